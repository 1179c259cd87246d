#!/bin/bash
# The Wireshark hand-off end to end: each session's display filter and --extract, checked
# against tshark's own reading of the captures. For every session the report numbers, the
# frames tshark selects with its display_filter must be the frames the extract's map says
# it took, and the connection tshark calls one TCP stream; the extract must hold those
# packets, byte for byte. tshark is installed when missing (Debian package tshark).
# Usage: tests/wireshark-e2e.sh BINARY
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init wireshark
t_binary "${1:-}"

if ! command -v tshark >/dev/null; then
    # tools/install-deps.sh answers wireshark-common's debconf question (no setuid dumpcap)
    if [ "$(id -u)" -eq 0 ]; then "$here/tools/install-deps.sh" --packages "tshark"; fi
    command -v tshark >/dev/null || t_unable "tshark is not installed (apt-get install tshark)"
fi

# frames CAPTURE FILTER: the frame numbers tshark selects, one a line.
frames() { tshark -r "$1" -Y "$2" -T fields -e frame.number 2>/dev/null; }
# session_filter FILE ID: the display_filter of session ID in a JSON report.
session_filter() { grep "\"type\":\"session\",.*\"id\":$2," "$1" | sed 's/.*"display_filter":"\([^"]*\)".*/\1/'; }
# mapped FILE ID new|orig: the frames of session ID's extract map, expanded, one a line.
mapped() {
    grep "\"type\":\"extract\",.*\"session\":$2," "$1" | sed 's/.*"frames":\[\(.*\)\]}$/\1/' |
        tr -d '[' | tr ']' '\n' | sed 's/^,//' | awk -F, -v col="$3" 'NF == 3 {
            for (i = 0; i < $3; i++) print (col == "new" ? $1 : $2) + i }'
}
ids() { grep -o '"type":"session",\("protocol":"[a-z0-9]*",\)\?"id":[0-9]*' "$1" | sed 's/.*://'; }
# What tshark shows of packets, to compare an extract's with the capture's.
packets() { tshark -r "$1" ${2:+-Y "$2"} -T fields -e frame.time_epoch -e frame.len \
    -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.flags 2>/dev/null; }

# check_capture NAME CAPTURE [OPTIONS]: every session of CAPTURE extracted (--session 1-...):
# filter, map, TCP stream and bytes agree.
check_capture() {
    local name=$1 cap=$2 id want got stream
    shift 2
    "$bin" --json "$@" --extract "$tmp/$name.pcap" --session 1-1000000 -r "$cap" \
        >"$tmp/$name.jsonl" 2>"$tmp/$name.err"
    check "$name: exit 0" test $? -eq 0
    check "$name: has sessions" test -n "$(ids "$tmp/$name.jsonl")"
    for id in $(ids "$tmp/$name.jsonl"); do
        want=$(mapped "$tmp/$name.jsonl" "$id" orig)
        got=$(frames "$cap" "$(session_filter "$tmp/$name.jsonl" "$id")")
        check "$name: session $id: tshark selects with its display_filter the frames extracted" \
            test -n "$want" -a "$want" = "$got"
        stream=$(tshark -r "$cap" -Y "frame.number==$(echo "$want" | head -1)" -T fields \
            -e tcp.stream 2>/dev/null)
        [ "$name" = reuse ] || check "$name: session $id: the frames are tshark's TCP stream $stream, SYN to last" \
            test "$want" = "$(frames "$cap" "tcp.stream==$stream")"
        check "$name: session $id: the extract's frames at the map's places are those packets" \
            test "$(packets "$tmp/$name.pcap" "frame.number in {$(mapped "$tmp/$name.jsonl" "$id" new | tr '\n' ' ')}")" \
            = "$(packets "$cap" "frame.number in {$(echo "$want" | tr '\n' ' ')}")"
    done
}

cd "$here" || exit 2

# 1. The sample: the flagged sessions (2, 3, 4) by default, text and JSON.
"$bin" --json --extract "$tmp/x.pcap" -r pcaps/sample.pcap >"$tmp/x.jsonl"
check "sample: an extract line for each flagged session" \
    test "$(grep -o '"type":"extract","file":"[^"]*","session":[0-9]*' "$tmp/x.jsonl" |
        sed 's/.*://' | tr '\n' ' ')" = "2 3 4 "
total=$(grep -o '"type":"extract".*"packets":[0-9]*' "$tmp/x.jsonl" | sed 's/.*://' |
    awk '{ s += $1 } END { print s }')
check "sample: the extract holds the packets the lines count ($total)" \
    test "$(frames "$tmp/x.pcap" frame | wc -l)" -eq "$total" -a "$total" -eq 61
for id in 2 3 4; do
    check "sample: session $id: its display_filter selects the frames its map names" \
        test "$(mapped "$tmp/x.jsonl" $id orig)" = \
        "$(frames pcaps/sample.pcap "$(session_filter "$tmp/x.jsonl" $id)")"
    check "sample: session $id: the extract's own frames are those the map names" \
        test "$(mapped "$tmp/x.jsonl" $id new)" = \
        "$(frames "$tmp/x.pcap" "$(session_filter "$tmp/x.jsonl" $id | sed 's/ && frame.number.*//')")"
done
"$bin" --extract "$tmp/t.pcap" -r pcaps/sample.pcap >"$tmp/x.txt"
check "sample: text: the session's wireshark line" grep -qxF \
    "  wireshark: $(session_filter "$tmp/x.jsonl" 2)" "$tmp/x.txt"
check "sample: text: the extract's heading" \
    grep -qx "Extract: 61 packets of 3 sessions written to $tmp/t.pcap" "$tmp/x.txt"
check "sample: text: session 2's frames, in ranges" grep -qx \
    "  session 2: frames 1-18 of $tmp/t.pcap are frames 22-39 of the capture, 38-40 are 59-61" \
    "$tmp/x.txt"
check "sample: text and JSON runs write the same extract" cmp -s "$tmp/x.pcap" "$tmp/t.pcap"
"$bin" --json --workers 2 --extract "$tmp/w.pcap" -r pcaps/sample.pcap >"$tmp/w.jsonl"
check "sample: --workers 2 writes the same extract" cmp -s "$tmp/x.pcap" "$tmp/w.pcap"
check "sample: --workers 2 writes the same lines" \
    test "$(sed "s|$tmp/w.pcap|$tmp/x.pcap|" "$tmp/w.jsonl")" = "$(cat "$tmp/x.jsonl")"

# 2. --session picks sessions, flagged or not.
"$bin" --json --extract "$tmp/s.pcap" --session 1,3 -r pcaps/sample.pcap >"$tmp/s.jsonl"
check "--session 1,3: lines for sessions 1 and 3 only" \
    test "$(grep -o '"type":"extract","file":"[^"]*","session":[0-9]*' "$tmp/s.jsonl" |
        sed 's/.*://' | tr '\n' ' ')" = "1 3 "
check "--session 1,3: 21 + 19 packets" test "$(frames "$tmp/s.pcap" frame | wc -l)" -eq 40
"$bin" --extract "$tmp/s.pcap" --session 1,9 -r pcaps/sample.pcap >/dev/null 2>"$tmp/s.err"
check "--session 9 of 4: said" grep -q 'the report has no session 9' "$tmp/s.err"

# 3. Every session against tshark: SMTP over IPv4 and IPv6, POP3, retransmissions.
check_capture sample pcaps/sample.pcap
check_capture dual-stack pcaps/link/dual-stack.pcap
check_capture ipv6-vlan pcaps/link/ipv6-vlan.pcap
check_capture pop3 pcaps/gen/pop3-clean.pcap
check_capture retrans pcaps/gen/retrans-split.pcap
check_capture mailguard-retry pcaps/gen/mailguard-retry.pcap

# 4. A port used again: the same client port, later. The second session's range begins
#    after the first ended, so its filter leaves the first out where the ports alone do not.
#    (tshark numbers the two one TCP stream: it tells a reused port by a new sequence number,
#    and these are the same packets again; so the stream check is not made for them.)
editcap -t 600 pcaps/gen/clean.pcap "$tmp/later.pcap" >/dev/null 2>&1
mergecap -a -w "$tmp/reused.pcap" pcaps/gen/clean.pcap "$tmp/later.pcap" 2>/dev/null
n=$(frames pcaps/gen/clean.pcap frame | wc -l)
check_capture reuse "$tmp/reused.pcap"
check "port reuse: two sessions" test "$(ids "$tmp/reuse.jsonl" | wc -l)" -eq 2
port=$(grep -o '"id":2,"client":"[^"]*"' "$tmp/reuse.jsonl" | sed 's/.*:\([0-9]*\)"$/\1/')
check "port reuse: the ports alone select both sessions" \
    test "$(frames "$tmp/reused.pcap" "tcp.port==$port" | wc -l)" -eq $((2 * n))
check "port reuse: session 2's filter begins after session 1" \
    test "$(frames "$tmp/reused.pcap" "$(session_filter "$tmp/reuse.jsonl" 2)" | head -1)" -eq $((n + 1))

# 5. What cannot be extracted is refused, before anything is read.
rc=0
"$bin" --extract "$tmp/p.pcap" -r - <pcaps/sample.pcap >/dev/null 2>"$tmp/p.err" || rc=$?
check "standard input: exit 2" test $rc -eq 2
check "standard input: says why" grep -q 'cannot be read twice' "$tmp/p.err"
rc=0
"$bin" --extract "$tmp/p.pcap" -i lo >/dev/null 2>"$tmp/p.err" || rc=$?
check "-i without -w: exit 2, says why" test $rc -eq 2 -a -n "$(grep -- '-w FILE' "$tmp/p.err")"
cp pcaps/sample.pcap "$tmp/same.pcap"
rc=0
"$bin" --extract "$tmp/same.pcap" -r "$tmp/same.pcap" >/dev/null 2>"$tmp/p.err" || rc=$?
check "the capture itself: refused, and left whole" \
    test $rc -eq 2 -a "$(wc -c <"$tmp/same.pcap")" -eq "$(wc -c <pcaps/sample.pcap)"
ln -s "$tmp/elsewhere" "$tmp/link.pcap"
rc=0
"$bin" --extract "$tmp/link.pcap" -r pcaps/sample.pcap >/dev/null 2>"$tmp/p.err" || rc=$?
check "a symbolic link: refused as -w refuses it" \
    test $rc -eq 2 -a ! -e "$tmp/elsewhere" -a -n "$(grep 'symbolic link' "$tmp/p.err")"

t_done
