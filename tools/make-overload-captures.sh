#!/bin/bash
# Re-makes the overload captures in pcaps/real/: real Postfix 3.7 servers that are busy,
# slow to greet, size-limited, unreachable, looping, relaying and fanning out, each capture
# with the MTAs' log lines that show what happened (NAME.log), then checks every file with
# tools/overload/check-captures.py (packets read with tshark), which also prints the frames
# pcaps/real/README.md quotes.
#
# Three hosts (network namespaces) on one switch (a bridge in a fourth namespace); each host
# has one veth to the switch, with offloads off so the captures hold wire-sized segments with
# correct checksums:
#   smtpscope-ov-client  10.201.0.10       swaks, smtplib; Postfix "tx" (takes submissions on
#                                          its own 127.0.0.1:25, not captured)
#   smtpscope-ov-relay   10.201.0.30       Postfix "relay"
#   smtpscope-ov-mx      10.201.0.21..26   Postfix "mx": .25 normal, .21 busy, .22 small,
#                                          .23 slow greeting; .24 nothing listens,
#                                          .26 SYNs dropped (nftables)
#   smtpscope-ov-sw      bridge br0
# Captured on client0 (the client host's side) for most files, on relay0 for mail-loop and
# relay-path (a capture on the relay sees both of its sessions).
#
# Usage (as root, Debian 12): tools/make-overload-captures.sh [NAME...]   (default: all)
# Run by hand only; `make test` never runs it (it uses the committed files). Takes about 3
# minutes, two of them the slow greetings. It installs what is missing, and touches nothing
# outside its namespaces, its Postfix instances (/etc/smtpscope-overload,
# /var/spool/smtpscope-overload-*, /var/lib/smtpscope-overload-*) and their logs
# (/var/log/smtpscope-overload). A system Postfix keeps running: the instances listen only
# inside the namespaces. Everything the script starts (Postfix, tcpdump, the namespaces with
# their links and the nftables rule) is stopped or removed on exit, also on failure.
# shellcheck source=tools/capture-common.sh
. "$(dirname "$0")/capture-common.sh"

OUT=pcaps/real
CONF=tools/overload
ETC=/etc/smtpscope-overload
LOGDIR=/var/log/smtpscope-overload
NS_SW=smtpscope-ov-sw
NS_CL=smtpscope-ov-client
NS_MX=smtpscope-ov-mx
NS_RL=smtpscope-ov-relay
CLIENT=10.201.0.10
MX=10.201.0.25
MX_BUSY=10.201.0.21
MX_SMALL=10.201.0.22
MX_SLOW=10.201.0.23
MX_CLOSED=10.201.0.24
MX_DROP=10.201.0.26
RELAY=10.201.0.30
SENDER=sender@client.example.test
HELO=client.example.test
NETNS_MADE=0

in_cl() { ip netns exec "$NS_CL" "$@"; }
in_mx() { ip netns exec "$NS_MX" "$@"; }
in_rl() { ip netns exec "$NS_RL" "$@"; }

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
    local n=$(($1 * 5))
    shift
    until "$@"; do
        [ "$n" -gt 0 ] || return 1
        sleep 0.2
        n=$((n - 1))
    done
}

# ---------------------------------------------------------------- setup

install_missing() {
    # 'No configuration' leaves the system Postfix unconfigured and stopped: only the
    # script's own instances run.
    install_packages "postfix swaks tcpdump tshark nftables ethtool iproute2 python3" \
        "No configuration"
}

# Three hosts on one switch (a bridge in its own namespace). Offloads are off on every veth,
# so the captures hold MTU-sized segments with correct checksums, as on a wire.
netns_up() {
    local ns host
    for ns in "$NS_SW" "$NS_CL" "$NS_MX" "$NS_RL"; do
        ip netns del "$ns" 2>/dev/null || true
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    NETNS_MADE=1
    ip -n "$NS_SW" link add br0 type bridge
    ip -n "$NS_SW" link set br0 up
    for host in client:"$NS_CL" mx:"$NS_MX" relay:"$NS_RL"; do
        ns=${host#*:}
        host=${host%%:*}
        ip link add "sw-$host" netns "$NS_SW" type veth peer name "${host}0" netns "$ns"
        ip -n "$NS_SW" link set "sw-$host" master br0
        ip netns exec "$NS_SW" ethtool -K "sw-$host" tx off rx off tso off gso off gro off >/dev/null
        ip netns exec "$ns" ethtool -K "${host}0" tx off rx off tso off gso off gro off >/dev/null
        ip -n "$NS_SW" link set "sw-$host" up
        ip -n "$ns" link set "${host}0" up
    done
    ip -n "$NS_CL" addr add "$CLIENT/24" dev client0
    ip -n "$NS_RL" addr add "$RELAY/24" dev relay0
    local a
    for a in "$MX" "$MX_BUSY" "$MX_SMALL" "$MX_SLOW" "$MX_CLOSED" "$MX_DROP"; do
        ip -n "$NS_MX" addr add "$a/24" dev mx0
    done
}

# listening NS ADDR: something listens on ADDR:25 in NS.
listening() { ip netns exec "$1" ss -Hltn "src $2 and sport = :25" | grep -q .; }

postfix_up() {
    local name=$1 ns=$2 dir=$ETC/$1
    install -d -m 755 "$ETC" "$dir" "/var/spool/smtpscope-overload-$name" "$LOGDIR"
    install -d -o postfix -g postfix -m 700 "/var/lib/smtpscope-overload-$name"
    install -m 644 "$CONF/postfix-$name/main.cf" "$CONF/postfix-$name/master.cf" "$dir/"
    ip netns exec "$ns" postfix -c "$dir" stop >/dev/null 2>&1 || true
    rm -f "$LOGDIR/$name.log"
    # Inside the namespace: Postfix checks that inet_interfaces are local addresses. 'check'
    # also creates the queue directories.
    ip netns exec "$ns" postfix -c "$dir" check || die "postfix -c $dir check failed"
    # Nothing left over from an earlier run may be delivered in this one.
    postsuper -c "$dir" -d ALL >/dev/null 2>&1 || true
    ip netns exec "$ns" postfix -c "$dir" start
}

mta_up() {
    postfix_up mx "$NS_MX"
    postfix_up relay "$NS_RL"
    postfix_up tx "$NS_CL"
    local a
    for a in "$MX" "$MX_BUSY" "$MX_SMALL" "$MX_SLOW"; do
        wait_for 20 listening "$NS_MX" "$a" || die "Postfix mx is not listening on $a"
    done
    wait_for 20 listening "$NS_RL" "$RELAY" || die "Postfix relay is not listening"
    wait_for 20 listening "$NS_CL" 127.0.0.1 || die "Postfix tx is not listening"
    log "Postfix $(postconf -c "$ETC/mx" -h mail_version) running in $NS_CL, $NS_RL, $NS_MX"
}

cleanup() {
    local ns pid
    in_cl postfix -c "$ETC/tx" stop >/dev/null 2>&1
    in_rl postfix -c "$ETC/relay" stop >/dev/null 2>&1
    in_mx postfix -c "$ETC/mx" stop >/dev/null 2>&1
    if [ "$NETNS_MADE" = 1 ]; then
        sleep 1
        # Whatever still runs in these namespaces was started by this script.
        for ns in "$NS_CL" "$NS_MX" "$NS_RL" "$NS_SW"; do
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
        done
        sleep 0.5
        # Deleting a namespace removes its links, the bridge and the nftables table with it.
        for ns in "$NS_CL" "$NS_MX" "$NS_RL" "$NS_SW"; do ip netns del "$ns" 2>/dev/null; done
    fi
}
on_exit cleanup

# ---------------------------------------------------------------- one scenario

LOGS="tx mx relay"
declare -A MARK

mark_logs() {
    local l
    for l in $LOGS; do MARK[$l]=$(wc -l <"$LOGDIR/$l.log"); done
    : >"$WORK/client.log"
}

# log_count LOG PATTERN: lines of LOG since the mark that match PATTERN (extended regexp).
log_count() {
    tail -n "+$((MARK[$1] + 1))" "$LOGDIR/$1.log" | grep -c -E -e "$2" || true
}
# wait_log SECONDS LOG PATTERN COUNT
wait_log() {
    local t=$1 l=$2 pattern=$3 count=$4
    # shellcheck disable=SC2317 # called by wait_for
    log_has() { [ "$(log_count "$l" "$pattern")" -ge "$count" ]; }
    wait_for "$t" log_has || die "waited $t s for $count x '$pattern' in $l.log, saw $(log_count "$l" "$pattern")"
}

# True while a TCP connection on port 25 between the hosts is not yet fully closed.
connections_open() {
    local ns
    for ns in "$NS_CL" "$NS_MX" "$NS_RL"; do
        ip netns exec "$ns" ss -Htn state connected exclude time-wait \
            '( sport = :25 or dport = :25 )' | grep -v -F 127.0.0.1 | grep -q . && return 0
    done
    return 1
}
connections_closed() { ! connections_open; }

queues_empty() {
    local l
    for l in $LOGS; do
        [ -z "$(find "/var/spool/smtpscope-overload-$l"/{incoming,active,deferred,maildrop} -type f 2>/dev/null)" ] || return 1
    done
}

# start NAME IFACE-NS IFACE FILTER: marks the logs, starts the capture.
start() {
    NAME=$1
    mark_logs
    capture_start "$OUT/$NAME.pcap" "$3" "$4" "$2"
}

# finish: waits for the last FINs and ACKs, stops the capture, writes NAME.log.
finish() {
    wait_for 30 connections_closed || die "$NAME: connections still open after 30 s"
    sleep 0.5
    capture_stop
    local l
    {
        echo "# $NAME: the lines the MTAs logged during the capture (tx: client host, mx: server"
        echo "# host, relay: relay host), then what the clients reported (client:)"
        for l in $LOGS; do
            tail -n "+$((MARK[$l] + 1))" "$LOGDIR/$l.log" | sed "s/^/$l: /"
        done | grep -v -e 'postfix.*/postlogd' -e 'daemon started' -e 'postfix/postfix-script' || true
        sed 's/^/client: /' "$WORK/client.log"
    } >"$OUT/$NAME.log"
}

# A body of about N KB (one 72-character line per 80 bytes): the message spans segments.
make_body() {
    local kb=$1 f=$WORK/body-$1k.txt i
    {
        echo "This message was sent by tools/make-overload-captures.sh for smtpscope."
        for i in $(seq -w 1 $((kb * 1024 / 80))); do
            echo "Line $i of the body: the quick brown fox jumps over the lazy dog."
        done
        echo "The end-of-data terminator follows this line."
    } >"$f"
    echo "$f"
}

# swaks_to TAG WANT_RC SERVER RCPT MESSAGE_ID [SWAKS OPTIONS...]: one swaks run from the
# client host; its exit status and its error lines go to the scenario's log.
swaks_to() {
    local tag=$1 want=$2 server=$3 rcpt=$4 id=$5 rc=0
    shift 5
    in_cl swaks --server "$server" --port 25 --from "$SENDER" --to "$rcpt" --helo "$HELO" \
        --header "Message-Id: <$id@client.example.test>" --header "Subject: smtpscope $NAME" \
        "$@" >"$WORK/$tag.swaks" 2>&1 || rc=$?
    {
        echo "$tag: swaks --server $server --to $rcpt (Message-Id <$id@client.example.test>) exited $rc"
        grep -E '^ *(<\*\*|\*\*\*)' "$WORK/$tag.swaks" | sed "s/^ */$tag:   /" || true
    } >>"$WORK/client.log"
    case "$want" in
    any) ;;
    fail) [ "$rc" != 0 ] || die "$tag: swaks succeeded, expected a failure" ;;
    *) [ "$rc" = "$want" ] || die "$tag: swaks exited $rc, expected $want: $(tail -5 "$WORK/$tag.swaks")" ;;
    esac
}

# submit RCPTS MESSAGE_ID [SWAKS OPTIONS...]: swaks hands a message to the client host's
# Postfix on its 127.0.0.1:25 (not on the captured link).
submit() {
    local rcpts=$1 id=$2
    shift 2
    in_cl swaks --server 127.0.0.1 --port 25 --from "$SENDER" --to "$rcpts" \
        --helo submit.client.example.test --header "Message-Id: <$id@client.example.test>" \
        --header "Subject: smtpscope $NAME" "$@" >"$WORK/$NAME.submit" 2>&1 ||
        die "$NAME: submission to the client host's Postfix failed: $(tail -3 "$WORK/$NAME.submit")"
    echo "submitted <$id@client.example.test> to $rcpts through the client host's Postfix" >>"$WORK/client.log"
}

# ---------------------------------------------------------------- the scenarios

# Six swaks clients at once from one address; the server allows two connections per client.
scenario_busy_421() {
    local i pids=""
    start busy-421 "$NS_CL" client0 "tcp port 25 and host $MX_BUSY"
    for i in 1 2 3 4 5 6; do
        swaks_to "swaks$i" any "$MX_BUSY" busy@example.test "busy-421-$i" &
        pids="$pids $!"
    done
    for i in $pids; do wait "$i" || die "busy-421: a client run failed (see above)"; done
    finish
}

# A sender that declares SIZE= (RFC 1870) larger than the server's limit: refused at MAIL
# FROM with 552 5.3.4, the message itself is never sent. The sender is Python's smtplib (see
# tools/overload/smtplib-send.py for why not Postfix or swaks).
scenario_size_declared() {
    local rc=0
    start size-declared "$NS_CL" client0 "tcp port 25 and host $MX_SMALL"
    in_cl python3 "$CONF/smtplib-send.py" "$MX_SMALL" "$HELO" "$SENDER" size@example.test \
        size-declared "$(make_body 12)" >"$WORK/smtplib.out" 2>&1 || rc=$?
    echo "smtplib-send.py --server $MX_SMALL (Message-Id <size-declared@client.example.test>) exited $rc: $(cat "$WORK/smtplib.out")" >>"$WORK/client.log"
    [ "$rc" = 1 ] || die "size-declared: expected the server to refuse MAIL FROM: $(cat "$WORK/smtplib.out")"
    finish
}

# swaks declares nothing: the message is sent whole and refused at end of data; the sender
# sends the same message again 5 s later, and it is refused again.
scenario_size_resent() {
    local body
    body=$(make_body 12)
    start size-resent "$NS_CL" client0 "tcp port 25 and host $MX_SMALL"
    swaks_to attempt1 fail "$MX_SMALL" big@example.test size-resent --body "@$body"
    sleep 5
    swaks_to attempt2 fail "$MX_SMALL" big@example.test size-resent --body "@$body"
    finish
}

# The greeting comes 35 s after the handshake; the client waits up to 60 s and delivers.
scenario_slow_banner() {
    start slow-banner "$NS_CL" client0 "tcp port 25 and host $MX_SLOW"
    swaks_to swaks 0 "$MX_SLOW" slow@example.test slow-banner --timeout 60
    finish
}

# The same server, a client with swaks' default 30 s timeout: it gives up before the 220.
scenario_slow_banner_gave_up() {
    start slow-banner-gave-up "$NS_CL" client0 "tcp port 25 and host $MX_SLOW"
    swaks_to swaks fail "$MX_SLOW" slow@example.test slow-banner-gave-up --timeout 30
    # The server's late 220 follows the client's close.
    wait_log 20 mx 'slowgreet/smtpd.*disconnect from' 1
    finish
}

# Postfix tries an address where nothing listens: RST to its SYN, deferred, tried again.
scenario_refused() {
    start refused "$NS_CL" client0 "tcp port 25 and host $MX_CLOSED"
    submit refused@example.test refused
    wait_log 60 tx 'to=<refused@example.test>.*status=deferred.*Connection refused' 3
    postsuper -c "$ETC/tx" -d ALL >/dev/null 2>&1
    finish
}

# Postfix tries an address whose SYNs are dropped: the SYN is retransmitted until Postfix's
# 8 s connect timeout; the message is deferred (and then deleted by the script).
scenario_no_synack() {
    in_mx nft -f - <<EOF
table inet smtpscope_overload {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $MX_DROP tcp dport 25 drop
    }
}
EOF
    start no-synack "$NS_CL" client0 "tcp port 25 and host $MX_DROP"
    submit blackhole@example.test no-synack
    wait_log 30 tx 'to=<blackhole@example.test>.*status=deferred.*timed out' 1
    postsuper -c "$ETC/tx" -d ALL >/dev/null 2>&1
    finish
    in_mx nft list table inet smtpscope_overload | sed 's/^/nft (server host): /' >>"$OUT/$NAME.log"
    in_mx nft delete table inet smtpscope_overload
}

# The relay and the server relay loop.example.test to each other (each one's transport for
# the domain is the other: the same as relayhost pointing at each other). Postfix itself ends
# the loop: hopcount_limit is 6 on both (default 50), so the 6th transfer, the 5th between
# them, is refused with "554 5.4.0 Error: too many hops" and the relay bounces the message
# (the bounce is discarded). That keeps the capture small and every session in it complete;
# stopping the instances mid-loop instead would cut a transfer at a random point. The waits
# below are bounded: a loop that does not end fails the script, whose cleanup stops both.
scenario_mail_loop() {
    start mail-loop "$NS_RL" relay0 "tcp port 25"
    swaks_to swaks 0 "$RELAY" loop@loop.example.test mail-loop
    wait_log 60 relay 'to=<loop@loop.example.test>.*status=bounced|status=bounced.*to=<loop@loop.example.test>' 1
    wait_for 30 queues_empty || die "mail-loop: the queues did not empty"
    finish
}

# swaks -> relay -> final server, captured on the relay host: two sessions, both accepted.
scenario_relay_path() {
    start relay-path "$NS_RL" relay0 "tcp port 25"
    swaks_to swaks 0 "$RELAY" relay@example.test relay-path
    wait_log 30 mx 'to=<relay@example.test>.*status=sent' 1
    finish
}

# One message to three recipients; the client host's Postfix sends one per transaction.
scenario_fanout() {
    start fanout "$NS_CL" client0 "tcp port 25 and host $MX"
    submit fan1@example.test,fan2@example.test,fan3@example.test fanout
    wait_log 30 tx 'to=<fan[123]@example.test>.*status=sent' 3
    finish
}

SCENARIOS="busy-421 size-declared size-resent slow-banner slow-banner-gave-up refused
           no-synack mail-loop relay-path fanout"

# ---------------------------------------------------------------- main

only=${*:-$SCENARIOS}
# Names are checked before anything is set up.
for s in $only; do
    case " ${SCENARIOS//$'\n'/ } " in *" $s "*) ;; *) die "no scenario '$s' (one of: $SCENARIOS)" ;; esac
done
need_root "network namespaces, Postfix instances, nftables, captures"
install_missing
mkdir -p "$OUT"
netns_up
mta_up
for s in $only; do
    log "scenario $s"
    "scenario_${s//-/_}"
    wait_for 30 queues_empty || die "$s: mail left in a queue"
done
log "checking the captures (tools/overload/check-captures.py)"
# shellcheck disable=SC2086 # the names are words
python3 "$CONF/check-captures.py" "$OUT" $only ||
    die "captures made, but some are not as intended (FAIL lines above)"
log "overload captures in $OUT made and checked: $only"
