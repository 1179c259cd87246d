#!/bin/bash
# smtpscope's mail-path lab: real MTAs on both sides of a Mailguard-style inspecting
# relay, each in its own network namespace, with tcpdump on both sides of the firewall. It
# re-makes every capture in pcaps/lab/, the expected smtpscope output of each, and a log of
# what the relay and the MTAs did; then tools/lab/check-lab.py checks every scenario.
#
#   smtpscope-tx  10.200.1.2  sending host: Postfix (and Exim for BDAT), swaks, splitsend
#        | veth tx-eth <-> fw-out          captured here: NAME.sender-side.pcap
#   smtpscope-fw  10.200.1.1 / 10.200.2.1  firewall host: build/mailguard on 10.200.1.1:25
#        | veth fw-in <-> rx-eth           captured here: NAME.receiver-side.pcap
#   smtpscope-rx  10.200.2.2, 10.200.2.3   receiving host: Postfix (10.200.2.3 is slow)
#
# Usage (as root, Debian 12): make lab   (or tools/lab/run-lab.sh after `make build/mailguard
# build/smtpscope`). Takes about 3 minutes; touches nothing outside its namespaces, its own
# Postfix instances (/etc/smtpscope-lab, /var/spool/smtpscope-lab-*, /var/lib/smtpscope-lab-*),
# its logs (/var/log/smtpscope-lab) and Exim's unpacked binary (/var/cache/smtpscope-lab).
# Everything it started is stopped on exit, also on failure. It also creates the system user
# Debian-exim (Exim's compiled-in user) if missing. LAB_ONLY="clean bdat" runs only those and
# rewrites only their files (captures, expected results, logs).
set -euo pipefail

cd "$(dirname "$0")/../.."
OUT=pcaps/lab
ETC=/etc/smtpscope-lab
LOGDIR=/var/log/smtpscope-lab
EXIM_ROOT=/var/cache/smtpscope-lab/exim
EXIM=$EXIM_ROOT/usr/sbin/exim4
NS_TX=smtpscope-tx
NS_FW=smtpscope-fw
NS_RX=smtpscope-rx
FW=10.200.1.1
RX=10.200.2.2
RX_SLOW=10.200.2.3
SENDER=sender@client.example.test
WORK=$(mktemp -d)
RELAY_PID=""
CAPTURE_PIDS=""
NETNS_MADE=0

log() { echo "== $*" >&2; }
die() {
    echo "run-lab: $*" >&2
    exit 1
}
in_tx() { ip netns exec "$NS_TX" "$@"; }
in_fw() { ip netns exec "$NS_FW" "$@"; }
in_rx() { ip netns exec "$NS_RX" "$@"; }

# ---------------------------------------------------------------- setup

install_missing() {
    # 'No configuration' leaves the system Postfix unconfigured and stopped: the lab runs its
    # own instances only.
    POSTFIX_MAILER_TYPE="No configuration" tools/install-deps.sh --packages \
        "postfix swaks libnet-ssleay-perl tcpdump tshark ssl-cert ethtool iproute2 iptables gcc libc6-dev python3 libidn12 libdb5.3 libgnutls-dane0 libnsl2"
}

# Exim's package conflicts with postfix (both are the system MTA), so its binary is unpacked
# from the Debian package instead of installed. It needs its compiled-in user to exist.
setup_exim() {
    if [ ! -x "$EXIM" ]; then
        log "unpacking Exim from Debian's exim4-daemon-light into $EXIM_ROOT"
        local deb=/var/cache/smtpscope-lab/deb
        rm -rf "$deb"
        mkdir -p "$EXIM_ROOT" "$deb"
        chown _apt "$deb" 2>/dev/null || true # apt downloads as user _apt
        (cd "$deb" && apt-get download -qq exim4-daemon-light) ||
            { apt-get update -qq && (cd "$deb" && apt-get download -qq exim4-daemon-light); }
        dpkg-deb -x "$deb"/exim4-daemon-light_*.deb "$EXIM_ROOT"
        rm -rf "$deb"
    fi
    getent group Debian-exim >/dev/null || groupadd --system Debian-exim
    getent passwd Debian-exim >/dev/null ||
        useradd --system -g Debian-exim -d /var/spool/smtpscope-lab-exim -s /usr/sbin/nologin \
            Debian-exim
    install -d -o Debian-exim -g Debian-exim -m 750 /var/spool/smtpscope-lab-exim
    rm -rf "$LOGDIR/exim"
    install -d -o Debian-exim -g Debian-exim -m 755 "$LOGDIR/exim"
    install -m 644 tools/lab/exim.conf "$ETC/exim.conf"
    "$EXIM" -C "$ETC/exim.conf" -bV >"$WORK/exim.bV" 2>&1 ||
        die "the unpacked Exim does not run: $(head -3 "$WORK/exim.bV")"
}

build_tools() {
    if [ ! -x build/mailguard ] || [ ! -x build/smtpscope ]; then
        die "build/mailguard and build/smtpscope are missing: run 'make lab'"
    fi
    gcc -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O2 tools/splitsend.c -o build/splitsend
}

# Three namespaces joined by two veth pairs. Offloads are off on every end, so the captures
# hold real MTU-sized segments with correct checksums, as on a wire.
netns_up() {
    local ns
    for ns in "$NS_TX" "$NS_FW" "$NS_RX"; do
        ip netns del "$ns" 2>/dev/null || true
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    NETNS_MADE=1
    ip link add fw-out netns "$NS_FW" type veth peer name tx-eth netns "$NS_TX"
    ip link add fw-in netns "$NS_FW" type veth peer name rx-eth netns "$NS_RX"
    ip -n "$NS_TX" addr add 10.200.1.2/24 dev tx-eth
    ip -n "$NS_FW" addr add "$FW/24" dev fw-out
    ip -n "$NS_FW" addr add 10.200.2.1/24 dev fw-in
    ip -n "$NS_RX" addr add "$RX/24" dev rx-eth
    ip -n "$NS_RX" addr add "$RX_SLOW/24" dev rx-eth
    local pair ns dev
    for pair in "$NS_TX:tx-eth" "$NS_FW:fw-out" "$NS_FW:fw-in" "$NS_RX:rx-eth"; do
        ns=${pair%%:*}
        dev=${pair#*:}
        ip netns exec "$ns" ethtool -K "$dev" tx off rx off tso off gso off gro off >/dev/null
        ip -n "$ns" link set "$dev" up
    done
    # The firewall does not route: the sender reaches the receiver only through the relay.
    in_fw sysctl -qw net.ipv4.ip_forward=0
}

# Waits until something listens on TCP port $2 in namespace $1.
wait_listen() {
    local i
    for i in $(seq 100); do
        ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

postfix_instance_up() {
    local name=$1 ns=$2 dir=$ETC/$1
    install -d -m 755 "$ETC" "$dir" "/var/spool/smtpscope-lab-$name" "$LOGDIR"
    install -d -o postfix -g postfix -m 700 "/var/lib/smtpscope-lab-$name"
    install -m 644 "tools/lab/postfix-$name/main.cf" "tools/lab/postfix-$name/master.cf" "$dir/"
    ip netns exec "$ns" postfix -c "$dir" stop >/dev/null 2>&1 || true
    rm -f "$LOGDIR/$name.log"
    # Inside the namespace: Postfix checks that inet_interfaces are local addresses. 'check'
    # also creates the queue directories. (Without syslog its complaints are not shown.)
    ip netns exec "$ns" postfix -c "$dir" check || die "postfix -c $dir check failed"
    ip netns exec "$ns" postfix -c "$dir" start
    wait_listen "$ns" 25 || die "Postfix $name is not listening"
    # Nothing left over from an earlier run may be retried into this one.
    postsuper -c "$dir" -d ALL >/dev/null 2>&1 || true
}

mta_up() {
    [ -f /etc/ssl/private/ssl-cert-snakeoil.key ] || make-ssl-cert generate-default-snakeoil
    install -d -m 755 "$ETC/rx"
    install -m 755 tools/lab/slow-policy.sh "$ETC/rx/slow-policy.sh"
    postfix_instance_up rx "$NS_RX"
    postfix_instance_up tx "$NS_TX"
    log "Postfix $(postconf -c "$ETC/tx" -h mail_version) running in $NS_TX and $NS_RX"
}

stop_pid() {
    local pid=$1 sig=${2:-TERM}
    [ -n "$pid" ] || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local ns pid
    set +e
    for pid in $CAPTURE_PIDS; do stop_pid "$pid" INT; done
    stop_pid "$RELAY_PID"
    in_tx postfix -c "$ETC/tx" stop >/dev/null 2>&1
    in_rx postfix -c "$ETC/rx" stop >/dev/null 2>&1
    if [ "$NETNS_MADE" = 1 ]; then
        sleep 1
        # Whatever still runs in the lab's namespaces was started by this script.
        for ns in "$NS_TX" "$NS_FW" "$NS_RX"; do
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
        done
        sleep 0.5
        for ns in "$NS_TX" "$NS_FW" "$NS_RX"; do ip netns del "$ns" 2>/dev/null; done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- one scenario

# start_relay NAME SERVER [SWITCHES...]: the relay on the firewall host for this scenario.
start_relay() {
    local name=$1 server=$2
    shift 2
    # Not through in_fw: a background function would be a subshell, and its pid not the relay's.
    ip netns exec "$NS_FW" build/mailguard --listen "$FW:25" --connect "$server:25" --idle-timeout 120 "$@" \
        >>"$WORK/$name.relay.log" 2>&1 &
    RELAY_PID=$!
    wait_listen "$NS_FW" 25 || die "$name: the relay is not listening"
}

start_captures() {
    local name=$1 side iface pid
    rm -f "$OUT/$name".*.pcap
    for side in sender-side:fw-out receiver-side:fw-in; do
        iface=${side#*:}
        side=${side%%:*}
        : >"$WORK/$name.$side.tcpdump"
        # -Z root: Debian's tcpdump would drop to a user who may not write here.
        # --immediate-mode: without it packets wait in the kernel ring and SIGINT loses them.
        ip netns exec "$NS_FW" tcpdump -i "$iface" -nn -U --immediate-mode -Z root -w "$OUT/$name.$side.pcap" \
            'tcp port 25' 2>"$WORK/$name.$side.tcpdump" &
        pid=$!
        CAPTURE_PIDS="$CAPTURE_PIDS $pid"
        for _ in $(seq 50); do
            grep -q 'listening on' "$WORK/$name.$side.tcpdump" && break
            sleep 0.1
        done
        grep -q 'listening on' "$WORK/$name.$side.tcpdump" || die "$name: tcpdump did not start"
    done
}

# True while a TCP connection through the firewall is not yet fully closed.
connections_open() {
    in_fw ss -Htn state connected exclude time-wait '( sport = :25 or dport = :25 )' | grep -q .
}

# Ends the scenario: waits for the last FINs and ACKs, stops the captures and the relay.
finish_scenario() {
    local name=$1 pid
    for _ in $(seq 300); do
        connections_open || break
        sleep 0.1
    done
    connections_open && die "$name: connections still open after 30 s"
    sleep 0.5
    for pid in $CAPTURE_PIDS; do stop_pid "$pid" INT; done
    CAPTURE_PIDS=""
    stop_pid "$RELAY_PID"
    RELAY_PID=""
    {
        echo "# mailguard relay (firewall host)"
        cat "$WORK/$name.relay.log"
        echo "# sending Postfix (tx.log), receiving Postfix (rx.log): lines of this scenario"
        tail -n "+$((TX_MARK + 1))" "$LOGDIR/tx.log" | sed 's/^/tx: /'
        tail -n "+$((RX_MARK + 1))" "$LOGDIR/rx.log" | sed 's/^/rx: /'
    } | grep -v -e 'postfix/postlogd' -e 'daemon started' >"$OUT/$name.log"
    log "$name: $(for f in "$OUT/$name".*.pcap; do
        echo -n "$(basename "$f") $(tshark -r "$f" 2>/dev/null | wc -l) packets; "
    done)"
}

# Remembers where the MTA logs stood when a scenario began.
mark_logs() {
    TX_MARK=$(wc -l <"$LOGDIR/tx.log")
    RX_MARK=$(wc -l <"$LOGDIR/rx.log")
}

# wait_log FILE SINCE_LINE PATTERN COUNT TIMEOUT_S: waits until PATTERN appears COUNT times.
wait_log() {
    local file=$1 since=$2 pattern=$3 count=$4 timeout=$5 n=0
    for _ in $(seq $((timeout * 5))); do
        n=$(tail -n "+$((since + 1))" "$file" | grep -c -E -e "$pattern" || true)
        [ "$n" -ge "$count" ] && return 0
        sleep 0.2
    done
    die "waited $timeout s for $count x '$pattern' in $file, saw $n"
}

# A few KB of body, so the message spans several segments as real mail does.
make_body() {
    local i
    {
        echo "This message was sent through smtpscope's mail-path lab (tools/lab/run-lab.sh)."
        for i in $(seq -w 1 40); do
            echo "Line $i of the body: the quick brown fox jumps over the lazy dog, again."
        done
        echo "The end-of-data terminator follows this line."
    } >"$WORK/body.txt"
}

# submit NAME RECIPIENT: swaks hands a message to the sending Postfix (not captured).
submit() {
    in_tx swaks --server 127.0.0.1 --port 25 --from "$SENDER" --to "$2" \
        --helo submit.client.example.test --header "Message-Id: <lab-$1@client.example.test>" \
        --header "Subject: smtpscope lab: $1" --body "@$WORK/body.txt" >"$WORK/$1.submit" 2>&1 ||
        die "$1: submission to the sending Postfix failed: $(tail -3 "$WORK/$1.submit")"
}

# swaks_direct NAME RECIPIENT [SWAKS OPTIONS...]: swaks on the sending host, through the relay.
swaks_direct() {
    local name=$1 rcpt=$2
    shift 2
    in_tx swaks --server "$FW" --port 25 --from "$SENDER" --to "$rcpt" \
        --helo swaks.client.example.test --header "Message-Id: <lab-$name@client.example.test>" \
        --header "Subject: smtpscope lab: $name" --body "@$WORK/body.txt" "$@" \
        >"$WORK/$name.swaks" 2>&1 || die "$name: swaks failed: $(tail -5 "$WORK/$name.swaks")"
}

# splitsend_direct WANT_RC MESSAGE_ID [SPLITSEND OPTIONS...]
splitsend_direct() {
    local want=$1 id=$2 rc=0
    shift 2
    in_tx build/splitsend --server "$FW" --port 25 --from "$SENDER" --to splitsend@example.test \
        --message-id "$id@client.example.test" "$@" >>"$WORK/splitsend.out" 2>&1 || rc=$?
    [ "$rc" = "$want" ] || die "splitsend $id exited $rc, expected $want: $(tail -5 "$WORK/splitsend.out")"
}

# ---------------------------------------------------------------- the scenarios

scenario_clean() {
    mark_logs
    start_relay clean "$RX"
    start_captures clean
    submit clean clean@example.test
    wait_log "$LOGDIR/tx.log" "$TX_MARK" 'to=<clean@example.test>.*status=sent' 1 60
    finish_scenario clean
}

scenario_pipelining() {
    mark_logs
    start_relay pipelining "$RX"
    start_captures pipelining
    submit pipelining pipelining@example.test
    wait_log "$LOGDIR/tx.log" "$TX_MARK" 'to=<pipelining@example.test>.*status=sent' 1 60
    swaks_direct pipelining-swaks pipelining-swaks@example.test --pipeline
    finish_scenario pipelining
}

scenario_bdat() {
    mark_logs
    start_relay bdat "$RX"
    start_captures bdat
    {
        printf 'From: <%s>\nTo: <bdat@example.test>\nSubject: smtpscope lab: bdat\n' "$SENDER"
        printf 'Message-Id: <lab-bdat@client.example.test>\n\n'
        cat "$WORK/body.txt"
    } >"$WORK/bdat.msg"
    in_tx "$EXIM" -C "$ETC/exim.conf" -odf -oi -f "$SENDER" bdat@example.test \
        <"$WORK/bdat.msg" >"$WORK/bdat.exim" 2>&1 || die "bdat: exim failed: $(cat "$WORK/bdat.exim")"
    wait_log "$LOGDIR/rx.log" "$RX_MARK" 'to=<bdat@example.test>.*status=sent' 1 60
    finish_scenario bdat
    sed 's/^/exim: /' "$LOGDIR/exim/mainlog" >>"$OUT/bdat.log"
}

scenario_starttls() {
    mark_logs
    start_relay starttls "$RX"
    start_captures starttls
    submit starttls starttls@example.test
    wait_log "$LOGDIR/tx.log" "$TX_MARK" 'to=<starttls@example.test>.*status=sent' 1 60
    finish_scenario starttls
}

# The duplicate series: every attempt of the sending Postfix has its terminator split by
# Postfix's own PIX workaround, the relay drops it, Postfix times out and tries again.
scenario_mailguard_retry() {
    mark_logs
    start_relay mailguard-retry "$RX" --mask-banner --refuse-esmtp --drop-split-eod
    start_captures mailguard-retry
    submit mailguard-retry mailguard@example.test
    wait_log "$LOGDIR/tx.log" "$TX_MARK" 'to=<mailguard@example.test>.*status=deferred' 3 120
    postsuper -c "$ETC/tx" -d ALL >/dev/null 2>&1
    finish_scenario mailguard-retry
}

# Postfix's defaults behind the same relay: the first attempt is not delayed, so it passes.
scenario_mailguard_pix_default() {
    mark_logs
    start_relay mailguard-pix-default "$RX" --mask-banner --refuse-esmtp --drop-split-eod
    start_captures mailguard-pix-default
    submit mailguard-pix-default mailguard-pix-default@example.test
    wait_log "$LOGDIR/tx.log" "$TX_MARK" 'to=<mailguard-pix-default@example.test>.*status=sent' 1 60
    finish_scenario mailguard-pix-default
}

# swaks through the relay: EHLO refused with 500, HELO instead, the terminator whole: passed.
scenario_mailguard_swaks() {
    mark_logs
    start_relay mailguard-swaks "$RX" --mask-banner --refuse-esmtp --drop-split-eod
    start_captures mailguard-swaks
    swaks_direct mailguard-swaks mailguard-swaks@example.test
    finish_scenario mailguard-swaks
}

# splitsend cuts the terminator at each of its 4 positions; each is dropped, the client gives
# up after 5 s and closes without QUIT.
scenario_mailguard_splitsend() {
    local n
    mark_logs
    start_relay mailguard-splitsend "$RX" --mask-banner --refuse-esmtp --drop-split-eod
    start_captures mailguard-splitsend
    for n in 1 2 3 4; do
        splitsend_direct 1 "lab-mailguard-splitsend-cut$n" --helo splitsend.client.example.test \
            --cut "$n" --timeout 5
    done
    finish_scenario mailguard-splitsend
}

# A receiving server that takes 15 s to answer end of data, a sending Postfix that gives up
# after 10 s: each attempt is accepted late, and delivered: real duplicates.
scenario_slow_server() {
    mark_logs
    start_relay slow-server "$RX_SLOW"
    start_captures slow-server
    submit slow-server slow@example.test
    wait_log "$LOGDIR/tx.log" "$TX_MARK" 'to=<slow@example.test>.*status=deferred' 2 120
    postsuper -c "$ETC/tx" -d ALL >/dev/null 2>&1
    wait_log "$LOGDIR/rx.log" "$RX_MARK" 'to=<slow@example.test>.*status=sent' 2 60
    finish_scenario slow-server
}

# Clients that close without QUIT: by FIN, and by RST.
scenario_no_quit() {
    mark_logs
    start_relay no-quit "$RX"
    start_captures no-quit
    splitsend_direct 0 lab-no-quit-fin --ehlo splitsend.client.example.test --no-quit
    splitsend_direct 0 lab-no-quit-rst --ehlo splitsend.client.example.test --rst
    finish_scenario no-quit
}

# Loss between the firewall and the receiver, after the capture point on fw-in, so both
# copies are on the wire: the receiver drops the first segment holding the end of data, the
# firewall the first reply "queued as". Deterministic (every 2nd match, first one dropped),
# unlike a random netem loss.
scenario_lossy_path() {
    mark_logs
    in_rx iptables -A INPUT -p tcp --dport 25 -m string --algo bm --hex-string '|0d0a2e0d0a|' \
        -m statistic --mode nth --every 2 --packet 0 -j DROP
    in_fw iptables -A INPUT -p tcp --sport 25 -m string --algo bm --string 'queued as' \
        -m statistic --mode nth --every 2 --packet 0 -j DROP
    start_relay lossy-path "$RX"
    start_captures lossy-path
    splitsend_direct 0 lab-lossy-path --ehlo splitsend.client.example.test
    finish_scenario lossy-path
    in_rx iptables -F INPUT
    in_fw iptables -F INPUT
}

# ASA `inspect esmtp`: swaks's EHLO reaches Postfix as XXXX, Postfix itself refuses it and swaks
# goes on with HELO. Only the inside shows the rewrite: outside, EHLO and the server's reply.
scenario_asa_rewrite() {
    mark_logs
    start_relay asa-rewrite "$RX" --mask-banner --rewrite-esmtp
    start_captures asa-rewrite
    swaks_direct asa-rewrite asa-rewrite@example.test
    finish_scenario asa-rewrite
}

# The terminator cut CRLF|.CRLF, and a relay that answers that by resetting both connections:
# outside a RST the server never sent, inside one the client never sent.
scenario_relay_reset() {
    mark_logs
    start_relay relay-reset "$RX" --reset-split-eod
    start_captures relay-reset
    splitsend_direct 1 lab-relay-reset --helo splitsend.client.example.test --cut 2 --timeout 5
    finish_scenario relay-reset
}

SCENARIOS="clean pipelining bdat starttls mailguard-retry mailguard-pix-default mailguard-swaks
           mailguard-splitsend slow-server no-quit lossy-path asa-rewrite relay-reset"

# ---------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || die "run as root (namespaces, Postfix instances, captures)"
install_missing
build_tools
mkdir -p "$OUT" "$ETC"
netns_up
mta_up
setup_exim
make_body
only=${LAB_ONLY:-$SCENARIOS}
for s in $only; do
    log "scenario $s"
    "scenario_${s//-/_}"
done
log "expected results (build/smtpscope --json -r CAPTURE)"
# Only the scenarios just captured: with LAB_ONLY the others' committed files stay as they are.
for s in $only; do
    for f in "$OUT/$s".*.pcap; do
        build/smtpscope --json -r "$f" >"${f%.pcap}.expected.jsonl"
    done
done
python3 tools/mailguard/test-mailguard.py build/mailguard >"$WORK/mailguard-test" 2>&1 ||
    die "the relay's own tests failed: $(grep FAIL "$WORK/mailguard-test")"
log "checking every scenario (tools/lab/check-lab.py)"
python3 tools/lab/check-lab.py "$OUT" build/smtpscope ||
    die "captures made, but some scenarios are not as intended (FAIL lines above)"
log "all lab captures in $OUT made and checked"
