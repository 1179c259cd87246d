#!/bin/bash
# Two capture points (--outside A --inside B): every lab scenario's sender-side and
# receiver-side captures (real Postfix, Exim and swaks through the Mailguard-style relay) give
# the findings the scenario means, and none but the box's delay on the clean ones; pcapgen's
# pairs give what the lab cannot (a NAT box, a box that delays, answers, rewrites, drops,
# resets, sessions on one side only, twenty sessions at once) with the delays to the
# microsecond; the inside's clock moved by editcap -t up to the stated 300 s gives the same
# pairs and the offset, and beyond it no pairs; several files per side as one; the text
# section; the refusals (exit 2).
# Usage: tests/path/run.sh BINARY
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
t_init path
t_binary "${1:-}"

for tool in editcap python3; do
    command -v "$tool" >/dev/null || t_unable "$tool is not installed (make test-deps)"
done
[ -x "$here/build/pcapgen" ] || t_unable "build/pcapgen is not built (make build/pcapgen)"
pycheck() { python3 "$here/tests/path/check.py" "$@"; }
lab=$here/pcaps/lab
pairs=$tmp/pairs
mkdir -p "$pairs"
"$here/build/pcapgen" --pairs "$pairs" >/dev/null || t_unable "pcapgen --pairs failed"

# run OUT OUTSIDE INSIDE [ARGS...]: the JSON of the two sides in OUT, its status in $rc
run() {
    local out=$1 outside=$2 inside=$3
    shift 3
    "$bin" --json "$@" --outside "$outside" --inside "$inside" >"$out" 2>"$out.err"
    rc=$?
}

# expect WHAT OUT ARGS...: check.py's assertions on a run (its complaints shown on failure)
expect() {
    local what=$1 out=$2
    shift 2
    if pycheck expect "$out" "$@" >"$tmp/why" 2>&1; then ok "$what"; else
        bad "$what"
        head -5 "$tmp/why"
    fi
}

delay=middlebox_delay
masked=middlebox_masked_banner
dropped=middlebox_dropped_eod

# 1. The lab: each scenario's two sides.
while read -r scenario n findings verdict; do
    out=$tmp/lab-$scenario.json
    run "$out" "$lab/$scenario.sender-side.pcap" "$lab/$scenario.receiver-side.pcap"
    check "lab $scenario: exit 0" test "$rc" -eq 0
    args=(--pairs "$n" --outside-only 0 --inside-only 0 --each "$findings")
    [ "$verdict" = - ] || args+=(--verdict "$verdict")
    expect "lab $scenario: $n pairs, each $findings" "$out" "${args[@]}"
done <<EOF
clean 1 $delay changed nothing in 1 paired session
pipelining 2 $delay changed nothing in 2 paired sessions
bdat 1 $delay -
starttls 1 $delay -
slow-server 2 $delay -
no-quit 2 $delay -
lossy-path 1 $delay -
mailguard-pix-default 1 $masked,$delay masked the server's greeting in 1 of 1
mailguard-swaks 1 middlebox_answered,$masked,$delay answered the client itself
mailguard-retry 3 $dropped,$masked,$delay dropped the end of data of message <lab-mailguard-retry@client.example.test> in 3 of 3 attempts
mailguard-splitsend 4 $dropped,$masked,$delay dropped the end of data in 4 of 4 paired sessions
asa-rewrite 1 middlebox_rewrote_command,$masked,$delay rewrote a command on its way to the server in 1 of 1
relay-reset 1 $dropped,middlebox_reset,$delay (also middlebox_reset in 1)
EOF

# 2. pcapgen's pairs.
p() { echo "$pairs/$1.outside.pcap" "$pairs/$1.inside.pcap"; }
# shellcheck disable=SC2046 # two file names
run "$tmp/nat.json" $(p path-nat)
expect "path-nat (a NAT box): 3 pairs, the delay only, 0.5 ms and 0.2 ms" "$tmp/nat.json" \
    --pairs 3 --each $delay --to-server 0.0005,0.0005 --to-client 0.0002,0.0002
# shellcheck disable=SC2046
run "$tmp/delay.json" $(p path-delay)
expect "path-delay: 200 ms toward the server (900 ms held once), 40 ms back" "$tmp/delay.json" \
    --pairs 2 --each $delay --to-server 0.2,0.9 --to-client 0.04,0.04
# shellcheck disable=SC2046
run "$tmp/answered.json" $(p path-answered)
expect "path-answered: EHLO answered by the box, the greeting masked" "$tmp/answered.json" \
    --pairs 1 --each middlebox_answered,$masked,$delay
check "path-answered: the evidence quotes the box's 500 and names EHLO" \
    grep -q 'Command unrecognized.*answered \\"EHLO client.example.org\\" outside' "$tmp/answered.json"
# shellcheck disable=SC2046
run "$tmp/rewrite.json" $(p path-rewrite)
expect "path-rewrite: EHLO reached the server as XXXX" "$tmp/rewrite.json" \
    --pairs 1 --each middlebox_rewrote_command,$delay
check "path-rewrite: the evidence has both commands" \
    grep -q 'EHLO client.example.org\\" outside (frame 5) reached the server as \\"XXXX client.example.org\\"' \
    "$tmp/rewrite.json"
# shellcheck disable=SC2046
run "$tmp/dropped.json" $(p path-dropped-eod)
expect "path-dropped-eod: three attempts, each dropped" "$tmp/dropped.json" \
    --pairs 3 --each $dropped,$delay --verdict "in 3 of 3 attempts"
check "path-dropped-eod: the evidence says how long the server waited" \
    grep -q 'the server waited 11.013 s after DATA' "$tmp/dropped.json"
# shellcheck disable=SC2046
run "$tmp/reset.json" $(p path-reset)
expect "path-reset: the client reset by the box, then the server" "$tmp/reset.json" \
    --pairs 2 --pair 1 $dropped,middlebox_reset,$delay \
    --pair 2 middlebox_reset,middlebox_answered,$delay
# shellcheck disable=SC2046
run "$tmp/one-sided.json" $(p path-one-sided)
expect "path-one-sided: one pair, one session outside only, one inside only" \
    "$tmp/one-sided.json" --pairs 1 --outside-only 1 --inside-only 1 --each $delay \
    --verdict "1 session seen outside only"
# shellcheck disable=SC2046
run "$tmp/busy.json" $(p path-busy)
expect "path-busy: 20 sessions 50 ms apart, each with its own message" "$tmp/busy.json" \
    --pairs 20 --each $delay --to-server 0.0005,0.0005

# 3. The inside's clock moved: the same pairs, the offset stated; the round trip unchanged.
#    The offset is estimated by making the box's fastest crossing each way equal: exact for a
#    box as fast both ways (dropped-eod: 0.8 and 0.3 ms, within 1 ms), off by half the
#    difference for path-delay's (200 ms in, 40 ms out: 80 ms).
for scenario in path-dropped-eod path-busy path-delay; do
    tolerance=0.001
    [ "$scenario" = path-delay ] && tolerance=0.0801
    for shift in 3.5 -7 15 -250 299; do
        editcap -t "$shift" "$pairs/$scenario.inside.pcap" "$tmp/shifted.pcap"
        run "$tmp/shifted.json" "$pairs/$scenario.outside.pcap" "$tmp/shifted.pcap"
        base=$tmp/${scenario#path-}.json
        [ "$scenario" = path-dropped-eod ] && base=$tmp/dropped.json
        check "$scenario with the inside's clock ${shift} s off: the same pairs and findings, the offset found" \
            pycheck same "$base" "$tmp/shifted.json" "$shift" "$tolerance"
    done
done
editcap -t 400 "$pairs/path-busy.inside.pcap" "$tmp/shifted.pcap"
run "$tmp/far.json" "$pairs/path-busy.outside.pcap" "$tmp/shifted.pcap"
expect "path-busy 400 s off (past the 300 s stated): nothing paired, each side listed" \
    "$tmp/far.json" --pairs 0 --outside-only 20 --inside-only 20 --verdict "no session was seen on both sides"

# 4. Several files a side: mailguard-retry's outside cut in three is the same comparison, its
#    frames named FILE#N.
editcap -c 24 "$lab/mailguard-retry.sender-side.pcap" "$tmp/out.pcap" >/dev/null
parts=("$tmp"/out_*)
check "the outside cut in three (${#parts[@]})" test "${#parts[@]}" -eq 3
"$bin" --json --outside "$tmp/out_*" --inside "$lab/mailguard-retry.receiver-side.pcap" \
    >"$tmp/parts.json" 2>"$tmp/parts.err"
check "three outside files and one inside: exit 0" test $? -eq 0
expect "three outside files: the same three pairs and findings" "$tmp/parts.json" \
    --pairs 3 --each $dropped,$masked,$delay --verdict "in 3 of 3 attempts"
check "three outside files: the outside's frames are named FILE#N, the inside's plain" \
    grep -q 'entered the box outside (frames out_00000_[0-9]*\.pcap#18 to out_00000_[0-9]*\.pcap#20, split).*after DATA (frame 13)' \
    "$tmp/parts.json"

# 5. The text report: each side under its heading, then the comparison with its verdict.
"$bin" --outside "$lab/mailguard-retry.sender-side.pcap" \
    --inside "$lab/mailguard-retry.receiver-side.pcap" >"$tmp/text" 2>&1
check "text: exit 0" test $? -eq 0
check "text: the outside's heading, then the inside's, then the comparison" \
    python3 -c 'import sys; t = open(sys.argv[1]).read(); a = t.find("Outside the box"); b = t.find("Inside the box"); c = t.find("Between the two capture points"); sys.exit(not (0 <= a < b < c))' "$tmp/text"
check "text: the verdict in one sentence" \
    grep -q '^  verdict: the box between the captures dropped the end of data of message <lab-mailguard-retry@client.example.test> in 3 of 3 attempts' "$tmp/text"
check "text: each pair's evidence, with frames of both sides" \
    grep -q 'entered the box outside (frames 18 to 20, split) and never left it; inside, the server waited' "$tmp/text"
check "text: the advice of each finding" grep -q '=> middlebox_dropped_eod:' "$tmp/text"
"$bin" --outside "$lab/clean.sender-side.pcap" --inside "$lab/clean.receiver-side.pcap" >"$tmp/clean.txt"
check "text: a clean pair is counted, not listed" grep -q '1 pairs with nothing but the box' "$tmp/clean.txt"
"$bin" -v --outside "$lab/clean.sender-side.pcap" --inside "$lab/clean.receiver-side.pcap" >"$tmp/clean-v.txt"
check "text -v: the clean pair is listed with its delays" \
    grep -q 'paired by Message-ID' "$tmp/clean-v.txt"

# 6. What is refused, with exit 2 and the reason.
refused() { # refused WHAT PATTERN ARGS...
    local what=$1 pattern=$2
    shift 2
    "$bin" "$@" >"$tmp/refused" 2>&1
    local status=$?
    check "$what: exit 2" test "$status" -eq 2
    check "$what: says why" grep -q -- "$pattern" "$tmp/refused"
}
o=$lab/clean.sender-side.pcap
i=$lab/clean.receiver-side.pcap
refused "--outside alone" "go together" --outside "$o"
refused "--inside alone" "go together" --inside "$i"
refused "with -r" "not with -r" --outside "$o" --inside "$i" -r "$o"
refused "with --workers 2" "not with --workers" --outside "$o" --inside "$i" --workers 2
refused "with --html" "not with --html" --outside "$o" --inside "$i" --html "$tmp/p.html"
refused "a missing inside file" "$tmp/none.pcap" --outside "$o" --inside "$tmp/none.pcap"
refused "a glob without a match" "no file matches" --outside "$o" --inside "$tmp/none-*.pcap"
refused "standard input" "each must be a file" --outside - --inside "$i"
printf 'not a capture' >"$tmp/bad.pcap"
refused "a file that is no capture" "bad.pcap" --outside "$o" --inside "$tmp/bad.pcap"

t_done
