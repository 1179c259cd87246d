#!/bin/bash
# Re-makes every capture in pcaps/real/ from scratch: real SMTP sessions between swaks or
# tools/splitsend.c and a real Postfix on loopback, captured with tcpdump and then checked
# with tshark (segmentation of the end-of-data terminator, reply codes, how each session ended).
#
# Usage (as root, Debian 12): tools/make-real-captures.sh
#
# It installs what is missing, builds build/splitsend, runs a separate Postfix instance
# (config copied from tools/postfix-lab/ to /etc/postfix-lab) on 127.0.0.1:25 and :2525,
# and stops that instance again when done. A system Postfix that was running is stopped
# for the duration (it would hold port 25) and started again at the end.
# shellcheck source=tools/capture-common.sh
. "$(dirname "$0")/capture-common.sh"

OUT=pcaps/real
LAB=/etc/postfix-lab
FILTER='tcp port 25 or tcp port 2525'
FROM=sender@client.example.test
TO=rcpt@example.test
HELO=client.example.test
DEFAULT_WAS_RUNNING=0
LAB_STARTED=0
FAILED=0
# The files this script makes (pcaps/real/ also holds those of make-overload-captures.sh).
CAPTURES="swaks-clean swaks-pipelining swaks-starttls split-cut1 split-cut2 split-cut3 split-cut4
          no-quit rst-close port2525 split-cut2-rejected resend-after-ack"

# ---------------------------------------------------------------- setup

install_missing() {
    # 'Local only' gives a minimal system main.cf that our separate instance leaves alone.
    install_packages "postfix swaks libnet-ssleay-perl tcpdump tshark ssl-cert gcc libc6-dev" \
        "Local only"
}

build_client() {
    mkdir -p build
    gcc -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O2 tools/splitsend.c -o build/splitsend
}

# Waits until something listens on 127.0.0.1:$1 (or stops listening with "free").
wait_port() {
    local port=$1 want=${2:-listen}
    for _ in $(seq 50); do
        if ss -Hltn "sport = :$port" | grep -q .; then
            [ "$want" = listen ] && return 0
        else
            [ "$want" = free ] && return 0
        fi
        sleep 0.2
    done
    return 1
}

stop_default_postfix() {
    postfix status >/dev/null 2>&1 || return 0
    log "stopping the system Postfix for the duration"
    DEFAULT_WAS_RUNNING=1
    if [ -d /run/systemd/system ]; then
        systemctl stop postfix
    else
        postfix stop
    fi
}

start_lab() {
    [ -f /etc/ssl/private/ssl-cert-snakeoil.key ] || make-ssl-cert generate-default-snakeoil
    install -d -m 755 "$LAB" /var/spool/postfix-lab
    install -d -o postfix -g postfix -m 700 /var/lib/postfix-lab
    install -m 644 tools/postfix-lab/main.cf tools/postfix-lab/master.cf "$LAB/"
    # 'check' also creates the lab's queue directories.
    postfix -c "$LAB" check
    if postfix -c "$LAB" status >/dev/null 2>&1; then
        postfix -c "$LAB" reload
    else
        stop_default_postfix
        wait_port 25 free || die "something else holds 127.0.0.1:25"
        wait_port 2525 free || die "something else holds 127.0.0.1:2525"
        postfix -c "$LAB" start
    fi
    LAB_STARTED=1
    { wait_port 25 && wait_port 2525; } || die "lab Postfix is not listening on 25 and 2525"
    log "Postfix $(postconf -c "$LAB" -h mail_version) listening on 127.0.0.1:25 and :2525"
}

cleanup() {
    if [ "$LAB_STARTED" = 1 ]; then
        postfix -c "$LAB" stop >/dev/null 2>&1 || true
        wait_port 25 free || true
    fi
    if [ "$DEFAULT_WAS_RUNNING" = 1 ]; then
        if [ -d /run/systemd/system ]; then systemctl start postfix; else postfix start; fi
    fi
}
on_exit cleanup

# ---------------------------------------------------------------- capturing

# True while a TCP connection to or from port 25/2525 is not yet fully closed.
session_open() {
    ss -Htn state connected exclude time-wait \
        '( sport = :25 or dport = :25 or sport = :2525 or dport = :2525 )' | grep -q .
}

# capture NAME EXPECTED_EXIT COMMAND...: one capture file, one client run.
capture() {
    local name=$1 want_rc=$2 rc
    shift 2
    capture_start "$OUT/$name.pcap" lo "$FILTER"
    rc=0
    "$@" >"$WORK/$name.client" 2>&1 || rc=$?
    # The server's FIN and the last ACKs follow the client's exit.
    for _ in $(seq 50); do
        session_open || break
        sleep 0.1
    done
    sleep 0.3
    capture_stop
    if [ "$rc" != "$want_rc" ]; then
        cat "$WORK/$name.client" >&2
        die "$name: client exited $rc, expected $want_rc"
    fi
}

swaks_run() {
    local name=$1 port=$2
    shift 2
    swaks --server 127.0.0.1 --port "$port" --from "$FROM" --to "$TO" --helo "$HELO" \
        --header "Message-Id: <$name@client.example.test>" \
        --header "Subject: smtpscope real capture $name" "$@"
}

# splitsend_run NAME SENDER OPTIONS...
splitsend_run() {
    local name=$1 from=$2
    shift 2
    build/splitsend --server 127.0.0.1 --port 25 --from "$from" --to "$TO" \
        --ehlo "$HELO" --message-id "$name@client.example.test" "$@"
}

# The same message (same Message-ID) delivered twice, 2 s apart, both accepted: the sender,
# not the network, made the duplicate.
resend_twice() {
    splitsend_run resend-after-ack "$FROM" && sleep 2 && splitsend_run resend-after-ack "$FROM"
}

make_captures() {
    mkdir -p "$OUT"
    capture swaks-clean 0 swaks_run swaks-clean 25
    capture swaks-pipelining 0 swaks_run swaks-pipelining 25 --pipeline
    capture swaks-starttls 0 swaks_run swaks-starttls 25 --tls
    local n
    for n in 1 2 3 4; do
        capture "split-cut$n" 0 splitsend_run "split-cut$n" "$FROM" --cut "$n"
    done
    capture no-quit 0 splitsend_run no-quit "$FROM" --no-quit
    capture rst-close 0 splitsend_run rst-close "$FROM" --rst
    capture port2525 0 swaks_run port2525 2525
    # Postfix refuses this sender at end-of-data (tools/postfix-lab/main.cf): the client
    # gets 554, says QUIT and exits 1 as it should.
    capture split-cut2-rejected 1 splitsend_run split-cut2-rejected reject-eod@example.test --cut 2
    capture resend-after-ack 0 resend_twice
}

# ---------------------------------------------------------------- verification

tsh() { tshark "$@" 2>/dev/null; }

fail() {
    echo "VERIFY FAILED: $*" >&2
    FAILED=1
}

# Prints one line describing the capture, worked out from TCP flags and payload bytes only
# (not from tshark's SMTP dissector, which loses track of split terminators, see README):
#   streams=N   TCP connections in the file
#   closer=     who sent the first FIN or RST: client|server
#   end=        how the client's side ended: fin, rst, or fin+rst (RST after its FIN)
#   quit=N      plaintext QUIT commands from the client
#   starttls=N  plaintext STARTTLS commands from the client
#   cut=        where CR LF . CR LF was cut between two client segments: 1..4, 0 when it
#               came whole in one segment, none when no terminator was seen (e.g. encrypted)
#   eod=        code of the server's first reply after the terminator, none if there was none
session_summary() {
    tsh -r "$1" -T fields -e tcp.stream -e tcp.dstport -e tcp.len -e tcp.flags.fin \
        -e tcp.flags.reset -e tcp.payload |
        awk -F'\t' -v port="$2" '
        function ends(s, t) { return length(s) >= length(t) && substr(s, length(s) - length(t) + 1) == t }
        # Byte-aligned search of hex string t in s.
        function has(s, t,   i) {
            for (i = 1; i + length(t) - 1 <= length(s); i += 2) if (substr(s, i, length(t)) == t) return 1
            return 0
        }
        function line_cmd(s, c) { return substr(s, 1, length(c)) == c || has(s, "0d0a" c) }
        function hex(h,   d) { d = "0123456789abcdef"; return (index(d, substr(h, 1, 1)) - 1) * 16 + index(d, substr(h, 2, 1)) - 1 }
        BEGIN { T = "0d0a2e0d0a"; cut = -1; QUIT = "515549540d0a"; STLS = "5354415254544c530d0a" }
        { streams[$1] = 1 }
        $2 == port {
            if ($5 == 1 || $5 == "True") { crst = 1; if (closer == "") closer = "client" }
            if ($4 == 1 || $4 == "True") { cfin = 1; if (closer == "") closer = "client" }
            if ($3 == 0) next
            if (line_cmd($6, QUIT)) quit++
            if (line_cmd($6, STLS)) stls++
            # Client data after the (possibly pipelined) DATA command is the message.
            if (cut < 0 && in_data) {
                if (has($6, T)) cut = 0
                else for (n = 1; n <= 4; n++)
                    if ($6 == substr(T, 2 * n + 1) && ends(prev, substr(T, 1, 2 * n))) cut = n
            }
            if (ends($6, "444154410d0a")) in_data = 1
            prev = $6
            next
        }
        {
            if (($4 == 1 || $4 == "True" || $5 == 1 || $5 == "True") && closer == "") closer = "server"
            # The first server data after the terminator is the reply to end-of-data.
            if ($3 > 0 && cut >= 0 && code == "")
                code = sprintf("%c%c%c", hex(substr($6, 1, 2)), hex(substr($6, 3, 2)), hex(substr($6, 5, 2)))
        }
        END {
            for (k in streams) ns++
            printf "streams=%d closer=%s end=%s quit=%d starttls=%d cut=%s eod=%s\n", ns,
                closer == "" ? "none" : closer,
                cfin && crst ? "fin+rst" : crst ? "rst" : cfin ? "fin" : "none",
                quit, stls, cut < 0 ? "none" : cut, code == "" ? "none" : code
        }'
}

# verify NAME PORT EXPECTED: EXPECTED is a glob for session_summary's line.
verify() {
    local name=$1 port=$2 want=$3 f=$OUT/$1.pcap got
    [ -s "$f" ] || {
        fail "$name: no capture"
        return
    }
    got=$(session_summary "$f" "$port")
    # shellcheck disable=SC2053  # $want is a glob on purpose
    [[ $got == $want ]] || fail "$name: got '$got', expected '$want'"
    # tshark must at least recognise the session as SMTP (2525 is not a well-known port).
    [ "$(tsh -d tcp.port==2525,smtp -r "$f" -Y smtp | wc -l)" -gt 0 ] ||
        fail "$name: tshark sees no SMTP"
    printf '%-26s %s\n' "$name.pcap" "$got"
}

# Loopback packets carry the checksum the kernel left for offload: record what tshark says.
checksum_report() {
    local f=$1 bad good unver ipbad
    bad=$(tsh -o tcp.check_checksum:TRUE -r "$f" -Y 'tcp.checksum.status==0' | wc -l)
    good=$(tsh -o tcp.check_checksum:TRUE -r "$f" -Y 'tcp.checksum.status==1' | wc -l)
    unver=$(tsh -o tcp.check_checksum:TRUE -r "$f" -Y 'tcp.checksum.status==2' | wc -l)
    ipbad=$(tsh -o ip.check_checksum:TRUE -r "$f" -Y 'ip.checksum.status==0' | wc -l)
    printf '%-26s packets=%-3s tcp_bad=%-3s tcp_good=%-3s tcp_unverified=%-3s ip_bad=%s\n' \
        "$(basename "$f")" "$(tsh -r "$f" | wc -l)" "$bad" "$good" "$unver" "$ipbad"
}

verify_all() {
    log "session summaries (from TCP flags and payload bytes):"
    local s="streams=1 closer"
    verify swaks-clean 25 "$s=* end=fin quit=1 starttls=0 cut=0 eod=250"
    verify swaks-pipelining 25 "$s=* end=fin quit=1 starttls=0 cut=0 eod=250"
    # After STARTTLS everything is encrypted: QUIT, the message and its terminator are not
    # visible. swaks closes right after 221 and answers the server's late TLS close_notify
    # with RST, hence end=fin+rst (or rst if close_notify beat its close).
    verify swaks-starttls 25 "$s=* end=*rst quit=0 starttls=1 cut=none eod=none"
    local n
    for n in 1 2 3 4; do
        verify "split-cut$n" 25 "$s=* end=fin quit=1 starttls=0 cut=$n eod=250"
    done
    verify no-quit 25 "$s=client end=fin quit=0 starttls=0 cut=0 eod=250"
    verify rst-close 25 "$s=client end=rst quit=0 starttls=0 cut=0 eod=250"
    verify port2525 2525 "$s=* end=fin quit=1 starttls=0 cut=0 eod=250"
    verify resend-after-ack 25 "streams=2 *"
    verify split-cut2-rejected 25 "$s=* end=fin quit=1 starttls=0 cut=2 eod=554"
    log "checksums (tshark with tcp.check_checksum / ip.check_checksum on):"
    local f
    for f in $CAPTURES; do checksum_report "$OUT/$f.pcap"; done
}

# ---------------------------------------------------------------- main

need_root "installs packages, runs Postfix, captures on lo"
install_missing
build_client
start_lab
make_captures
verify_all
[ "$FAILED" = 0 ] || die "some captures are not as intended (see above)"
log "all captures in $OUT made and verified"
