#!/bin/bash
# Re-makes the real captures in pcaps/link/ (real-*): SMTP sessions between swaks and a real
# Postfix on loopback, over IPv6 and IPv4, captured as an engineer would hand them over:
# `tcpdump -i any` (Linux cooked v2, and v1 with -y LINUX_SLL), `tcpdump -i lo`, dumpcap
# writing pcapng with two interfaces, and pcap files converted to pcapng with editcap. Each
# file is checked with tshark; then their expected outputs are re-made.
#
# Usage (as root, Debian 12): tools/make-link-captures.sh
#
# It installs what is missing, runs a separate Postfix instance (config made from
# tools/postfix-lab/ in /etc/postfix-lab6, listening on 127.0.0.1:25, [::1]:25 and
# [::1]:10025), and stops it again. A Postfix that was running (the system's, or
# tools/make-real-captures.sh's lab) is stopped for the duration and started again.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=pcaps/link
LAB=/etc/postfix-lab6
FILTER='tcp port 25 or tcp port 10025'
FROM=sender@client.example.test
TO=rcpt@example.test
HELO=client.example.test
WORK=$(mktemp -d)
STOPPED=""
LAB_STARTED=0
FAILED=0

log() { echo "== $*" >&2; }
die() {
    echo "make-link-captures: $*" >&2
    exit 1
}

# ---------------------------------------------------------------- setup

install_missing() {
    # libio-socket-inet6-perl: what gives swaks IPv6
    POSTFIX_MAILER_TYPE="Local only" tools/install-deps.sh --packages \
        "postfix swaks libio-socket-inet6-perl tcpdump tshark wireshark-common"
}

listening() { # ADDR PORT
    ss -Hltn "sport = :$2" | grep -q "$1:$2"
}

wait_listen() { # ADDR PORT [free]
    for _ in $(seq 50); do
        if listening "$1" "$2"; then [ "${3:-}" != free ] && return 0
        else [ "${3:-}" = free ] && return 0; fi
        sleep 0.2
    done
    return 1
}

# Stops whatever Postfix holds port 25 (the system's, or the IPv4 lab's), to start it again.
stop_other_postfix() {
    local dir
    for dir in /etc/postfix /etc/postfix-lab; do
        [ -f "$dir/main.cf" ] || continue
        postfix -c "$dir" status >/dev/null 2>&1 || continue
        log "stopping the Postfix of $dir for the duration"
        postfix -c "$dir" stop >/dev/null
        STOPPED="$STOPPED $dir"
    done
}

# The lab config of tools/postfix-lab, with its own queue and the listeners this needs.
write_config() {
    install -d -m 755 "$LAB" /var/spool/postfix-lab6
    install -d -o postfix -g postfix -m 700 /var/lib/postfix-lab6
    install -m 644 tools/postfix-lab/main.cf "$LAB/main.cf"
    sed -e '/^127\.0\.0\.1:25 /d' -e '/^127\.0\.0\.1:2525 /d' tools/postfix-lab/master.cf \
        >"$LAB/master.cf"
    cat >>"$LAB/master.cf" <<'EOF'
127.0.0.1:25   inet  n   -   n   -   -   smtpd
[::1]:25       inet  n   -   n   -   -   smtpd
[::1]:10025    inet  n   -   n   -   -   smtpd
EOF
    postconf -c "$LAB" -e \
        queue_directory=/var/spool/postfix-lab6 data_directory=/var/lib/postfix-lab6 \
        maillog_file=/var/log/postfix-lab6.log inet_protocols=all \
        'inet_interfaces=127.0.0.1, [::1]' 'mynetworks=127.0.0.0/8, [::1]/128'
}

start_lab() {
    write_config
    postfix -c "$LAB" check
    stop_other_postfix
    wait_listen 127.0.0.1 25 free || die "something else holds 127.0.0.1:25"
    postfix -c "$LAB" start
    LAB_STARTED=1
    { wait_listen '\[::1\]' 25 && wait_listen '\[::1\]' 10025 && wait_listen 127.0.0.1 25; } ||
        die "lab Postfix is not listening on [::1]:25, [::1]:10025 and 127.0.0.1:25"
    log "Postfix $(postconf -c "$LAB" -h mail_version) on 127.0.0.1:25, [::1]:25, [::1]:10025"
}

cleanup() {
    local dir
    if [ "$LAB_STARTED" = 1 ]; then
        postfix -c "$LAB" stop >/dev/null 2>&1 || true
        wait_listen 127.0.0.1 25 free || true
    fi
    for dir in $STOPPED; do postfix -c "$dir" start >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- capturing

session_open() {
    ss -Htn state connected exclude time-wait \
        '( sport = :25 or dport = :25 or sport = :10025 or dport = :10025 )' | grep -q .
}

# capture NAME TOOL-AND-OPTIONS... -- CLIENT...: one file, one client run. TOOL is tcpdump or
# dumpcap with its interface options; the file is written to $OUT/NAME.
capture() {
    local name=$1 pid rc=0 tool=()
    shift
    while [ "$1" != -- ]; do tool+=("$1"); shift; done
    shift
    local file=$OUT/$name
    rm -f "$file"
    : >"$WORK/$name.log"
    if [ "${tool[0]}" = dumpcap ]; then # its options carry their own filters
        "${tool[@]}" -q -w "$file" 2>"$WORK/$name.log" &
    else
        "${tool[@]}" -nn -U --immediate-mode -Z root -w "$file" "$FILTER" 2>"$WORK/$name.log" &
    fi
    pid=$!
    for _ in $(seq 50); do
        grep -q -i 'listening on\|capturing on' "$WORK/$name.log" && break
        sleep 0.1
    done
    sleep 0.5 # dumpcap says so before every interface is open
    "$@" >"$WORK/$name.client" 2>&1 || rc=$?
    for _ in $(seq 50); do
        session_open || break
        sleep 0.1
    done
    sleep 0.3
    kill -INT "$pid"
    wait "$pid" || true
    [ "$rc" = 0 ] || {
        cat "$WORK/$name.client" >&2
        die "$name: client exited $rc"
    }
    log "$name: $(stat -c %s "$file") bytes"
}

swaks_run() { # NAME SERVER PORT [OPTIONS]
    local name=$1 server=$2 port=$3
    shift 3
    swaks --server "$server" --port "$port" --from "$FROM" --to "$TO" --helo "$HELO" \
        --header "Message-Id: <$name@client.example.test>" \
        --header "Subject: smtpscope link capture $name" "$@"
}

make_captures() {
    mkdir -p "$OUT"
    rm -f "$OUT"/real-*
    # tcpdump 4.99 writes Linux cooked v2 for -i any; v1 when asked (and by older ones).
    capture real-any-ipv4.pcap tcpdump -i any -- swaks_run any-ipv4 127.0.0.1 25
    capture real-any-ipv6.pcap tcpdump -i any -- swaks_run any-ipv6 ::1 25 -6 --pipeline
    capture real-any-sll1-ipv6.pcap tcpdump -i any -y LINUX_SLL -- \
        swaks_run any-sll1-ipv6 ::1 25 -6
    capture real-lo-ipv6.pcap tcpdump -i lo -- swaks_run lo-ipv6 ::1 25 -6
    capture real-ipv6-port10025.pcap tcpdump -i lo -- swaks_run port10025 ::1 10025 -6
    # Two interfaces, one per direction, as a SPAN session with a port for each: dumpcap
    # writes what each saw as it comes, so the file is put in time order (reordercap), as a
    # user would before reading it.
    capture real-2iface-raw.pcapng dumpcap -i lo -f 'tcp dst port 25' -i lo -f 'tcp src port 25' -- \
        swaks_run 2iface ::1 25 -6
    reordercap "$OUT/real-2iface-raw.pcapng" "$OUT/real-2iface-ipv6.pcapng" >/dev/null
    rm -f "$OUT/real-2iface-raw.pcapng"
    editcap -F pcapng "$OUT/real-any-ipv6.pcap" "$OUT/real-any-ipv6.pcapng"
    editcap -F pcapng "$OUT/real-lo-ipv6.pcap" "$OUT/real-lo-ipv6.pcapng"
}

# ---------------------------------------------------------------- verification

tsh() { tshark "$@" 2>/dev/null; }

fail() {
    echo "VERIFY FAILED: $*" >&2
    FAILED=1
}

# verify FILE ENCAPSULATION IPVERSION SERVERPORT INTERFACES
verify() {
    local f=$OUT/$1 encap=$2 ipv=$3 port=$4 ifaces=$5 got streams quit eod
    got=$(capinfos -E -T "$f" | tail -1 | cut -f2)
    [ "$got" = "$encap" ] || fail "$1: encapsulation $got, expected $encap"
    got=$(tsh -r "$f" -T fields -e frame.interface_id | sort -u | wc -l)
    [ "$got" = "$ifaces" ] || fail "$1: $got interfaces with packets, expected $ifaces"
    local proto=ip
    [ "$ipv" = 6 ] && proto=ipv6
    streams=$(tsh -r "$f" -Y "$proto && tcp" -T fields -e tcp.stream | sort -u | wc -l)
    [ "$streams" = 1 ] || fail "$1: $streams IPv$ipv TCP streams, expected 1"
    quit=$(tsh -r "$f" -d "tcp.port==$port,smtp" -Y 'smtp.req.command == "QUIT"' | wc -l)
    eod=$(tsh -r "$f" -d "tcp.port==$port,smtp" -Y 'smtp.response.code == 250 && smtp.rsp.parameter contains "queued"' | wc -l)
    if [ "$quit" -lt 1 ] || [ "$eod" != 1 ]; then fail "$1: QUIT $quit, 250 queued $eod"; fi
    printf '%-28s %-22s IPv%s port %-5s %s interface(s) with packets, %s packets\n' "$1" \
        "$encap" "$ipv" "$port" "$ifaces" "$(tsh -r "$f" | wc -l)"
}

verify_all() {
    log "checks (capinfos and tshark):"
    verify real-any-ipv4.pcap linux-sll2 4 25 1
    verify real-any-ipv6.pcap linux-sll2 6 25 1
    verify real-any-sll1-ipv6.pcap linux-sll 6 25 1
    verify real-lo-ipv6.pcap ether 6 25 1
    verify real-ipv6-port10025.pcap ether 6 10025 1
    verify real-2iface-ipv6.pcapng ether 6 25 2
    verify real-any-ipv6.pcapng linux-sll2 6 25 1
    verify real-lo-ipv6.pcapng ether 6 25 1
}

# ---------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || die "run as root (installs packages, runs Postfix, captures on lo)"
install_missing
start_lab
make_captures
verify_all
[ "$FAILED" = 0 ] || die "some captures are not as intended (see above)"
make build/smtpscope build/linkgen >/dev/null
tests/link-e2e.sh --remake >/dev/null
log "all captures in $OUT made and verified; expected outputs re-made (review git diff $OUT)"
