#!/bin/bash
# Many sensors: --sensor NAME tags every JSON object a run writes (one process, --workers 3,
# --stats, two capture points) and adds its records for --merge, the text report is
# unchanged, bad names are refused; --partition K/N run by GNU parallel as N jobs: their
# sessions, failed connection attempts and connections without a handshake together are a
# single run's (the session numbers apart), for N = 2, 3 and 5, and --merge of the N gives the
# single run's JSON and text byte for byte, on every bundled capture too; two sensors' captures
# of one message (MX1, MX2) merge into one duplicate group, from files or a stream; what
# cannot go with them is refused, and damaged records are said with their file and line; 150
# runs damaged at random (tests/sensors/mutate.py) are each taken or refused cleanly.
# Usage: tests/sensors/run.sh BINARY
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
t_init sensors
t_binary "${1:-}"
cd "$here" || exit 2

for tool in python3 parallel; do
    command -v "$tool" >/dev/null || t_unable "$tool is not installed (make test-deps)"
done
union() { python3 "$here/tests/sensors/union.py" "$@"; }
# merged_same EXPECTED ARGS...: the merge of ARGS writes EXPECTED's bytes
merged_same() {
    local expected=$1
    shift
    "$bin" "$@" >"$tmp/merged" || return 1
    cmp "$expected" "$tmp/merged" && return 0
    diff "$expected" "$tmp/merged" | head -4 | cut -c1-200
    return 1
}
# why WHAT COMMAND...: check, with the command's complaints shown when it fails
why() {
    local what=$1
    shift
    if "$@" >"$tmp/why" 2>&1; then ok "$what"; else
        bad "$what"
        head -5 "$tmp/why"
    fi
}

# 1. --sensor: the tag closes every object, whatever writes it.
"$bin" --json --sensor mx1.example -r pcaps/sample.pcap >"$tmp/one.json"
why "--sensor: every object of a run ends with \"sensor\":\"mx1.example\"" \
    union tagged "$tmp/one.json" sensor=mx1.example
"$bin" --json -r pcaps/sample.pcap >"$tmp/plain.json"
check "--sensor: the objects are otherwise the untagged run's, records for --merge apart" \
    cmp -s <(grep -v '^{"type":"record"' "$tmp/one.json" | sed 's/,"sensor":"mx1.example"}$/}/') \
    "$tmp/plain.json"
check "--sensor: the first line names the run (its records follow)" \
    grep -q '^{"type":"record","kind":"run","version":"[^"]*","layout":[0-9]*,"source":"pcaps/sample.pcap","partition":null,"files":\[\],"sensor":"mx1.example"}$' \
    <(head -1 "$tmp/one.json")
check "--sensor: a record for each session begun and ended" \
    test "$(grep -c '"kind":"start"' "$tmp/one.json")" -eq "$(grep -c '"type":"session"' "$tmp/one.json")" \
    -a "$(grep -c '"kind":"session"' "$tmp/one.json")" -eq "$(grep -c '"type":"session"' "$tmp/one.json")"
"$bin" --json --sensor mx2 --workers 3 -r pcaps/gen/overload-mix.pcap >"$tmp/w3.json"
why "--sensor with --workers 3: every object tagged" union tagged "$tmp/w3.json" sensor=mx2
"$bin" --json --sensor mx3 --stats 60 -r pcaps/gen/busy-server.pcap >"$tmp/stats.json"
check "--sensor with --stats: the stats lines too" grep -q '"type":"stats".*"sensor":"mx3"}$' "$tmp/stats.json"
why "--sensor with --stats: every object tagged" union tagged "$tmp/stats.json" sensor=mx3
"$bin" --json --sensor fw1 --outside pcaps/lab/clean.sender-side.pcap \
    --inside pcaps/lab/clean.receiver-side.pcap >"$tmp/path.json"
check "--sensor with two capture points: the sides' objects end with sensor, then vantage" \
    grep -q '"type":"summary".*,"sensor":"fw1","vantage":"inside"}$' "$tmp/path.json"
check "--sensor with two capture points: the comparison's lines carry the sensor" \
    grep -q '"type":"path_summary".*,"sensor":"fw1"}$' "$tmp/path.json"
"$bin" --sensor mx1 -r pcaps/sample.pcap >"$tmp/one.txt"
"$bin" -r pcaps/sample.pcap >"$tmp/plain.txt"
check "--sensor: the text report is unchanged" cmp -s "$tmp/one.txt" "$tmp/plain.txt"
for name in '' 'a"b' 'a\b' 'two words' "$(printf 'x%.0s' $(seq 65))"; do
    "$bin" --json --sensor "$name" -r pcaps/sample.pcap >/dev/null 2>"$tmp/err"
    check "--sensor '${name:0:12}': refused with exit 2" test $? -eq 2
done
check "a bad sensor name: says why" grep -q "bad sensor name" "$tmp/err"

# 2. --partition K/N, N runs through GNU parallel.
for capture in pcaps/sample.pcap pcaps/gen/busy-server.pcap pcaps/gen/overload-mix.pcap \
    pcaps/gen/syn-unanswered.pcap pcaps/real/busy-421.pcap pcaps/real/mail-loop.pcap pcaps/gen/pop3-two-collectors.pcap; do
    [ -f "$capture" ] || continue
    name=$(basename "$capture" .pcap)
    "$bin" --json --workers 1 -r "$capture" >"$tmp/$name.whole"
    for n in 2 3 5; do
        parallel --will-cite --halt now,fail=1 \
            "$bin" --json --sensor part{}of$n --partition {}/$n -r "$capture" '>' "$tmp/$name.{}of$n" \
            ::: $(seq "$n")
        check "$name: $n partitions run by GNU parallel" test $? -eq 0
        parts=()
        for k in $(seq "$n"); do parts+=("$tmp/$name.${k}of$n"); done
        for type in session connect_failed not_analysed; do
            if [ "$type$name" = sessionpop3-two-collectors ]; then
                continue # its sessions' pop3_concurrent_mailbox flag needs both: --merge below
            fi
            why "$name: the $type lines of $n partitions are the whole run's" \
                union same "$type" "$tmp/$name.whole" "${parts[@]}"
        done
        check "$name: each of $n partitions read every packet" \
            test "$(grep -ho '"packets":[0-9]*' "${parts[@]}" | sort -u | wc -l)" -eq 1
        why "$name: --merge of $n partitions is the single run's JSON, byte for byte" \
            merged_same "$tmp/$name.whole" --json --merge "${parts[@]}"
        "$bin" --workers 1 -v -r "$capture" >"$tmp/$name.whole.txt"
        why "$name: --merge of $n partitions is the single run's text (-v), byte for byte" \
            merged_same "$tmp/$name.whole.txt" -v --merge "${parts[@]}"
    done
done
why "a partition's objects are tagged by its --sensor" \
    union tagged "$tmp/sample.2of3" sensor=part2of3

# 3. --merge on every bundled capture: three partitions give the single run's JSON.
differ=0
total=0
for capture in pcaps/*.pcap pcaps/gen/*.pcap pcaps/lab/*.pcap pcaps/real/*.pcap*; do
    [ -f "$capture" ] || continue
    total=$((total + 1))
    "$bin" --json --workers 1 -r "$capture" >"$tmp/all.whole" 2>/dev/null
    for k in 1 2 3; do
        "$bin" --json --sensor "p$k" --partition "$k/3" -r "$capture" >"$tmp/all.$k" 2>/dev/null
    done
    if ! "$bin" --json --merge "$tmp/all.1" "$tmp/all.2" "$tmp/all.3" >"$tmp/all.merged" ||
        ! cmp -s "$tmp/all.whole" "$tmp/all.merged"; then
        differ=$((differ + 1))
        echo "    differs: $capture"
    fi
done
check "--merge of 3 partitions is the single run's JSON on all $total bundled captures" \
    test "$differ" -eq 0 -a "$total" -gt 100

# 3b. Partitions of several -r files (a capture cut in three by editcap): frames FILE#N and the
#     capture_file lines as the single run's.
editcap -c 200 pcaps/gen/overload-mix.pcap "$tmp/cut.pcap" >/dev/null
cut_files=()
for f in "$tmp"/cut_*.pcap; do cut_files+=(-r "$f"); done
"$bin" --json --workers 1 "${cut_files[@]}" >"$tmp/cut.whole"
"$bin" -v --workers 1 "${cut_files[@]}" >"$tmp/cut.whole.txt"
for k in 1 2 3; do "$bin" --json --sensor "c$k" --partition "$k/3" "${cut_files[@]}" >"$tmp/cut.$k"; done
check "several -r files: $((${#cut_files[@]} / 2)) files, frames named FILE#N" \
    grep -q '"frame":"cut_[0-9_]*\.pcap#[0-9]*"' "$tmp/cut.whole"
why "several -r files: --merge of 3 partitions is the single run's JSON (capture_file lines too)" \
    merged_same "$tmp/cut.whole" --json --merge "$tmp/cut.1" "$tmp/cut.2" "$tmp/cut.3"
why "several -r files: --merge of 3 partitions is the single run's text" \
    merged_same "$tmp/cut.whole.txt" -v --merge "$tmp/cut.1" "$tmp/cut.2" "$tmp/cut.3"

# 4. A --sensor run with workers writes what one process writes, records included.
for capture in pcaps/sample.pcap pcaps/gen/overload-mix.pcap pcaps/real/busy-421.pcap; do
    "$bin" --json --sensor w --workers 1 -r "$capture" >"$tmp/w1"
    "$bin" --json --sensor w --workers 2 -r "$capture" >"$tmp/w2"
    check "$(basename "$capture"): --sensor with --workers 2 writes --workers 1's lines" cmp -s "$tmp/w1" "$tmp/w2"
done

# 5. Two sensors, two MX hosts' captures of one message's attempts: one duplicate group.
retry=pcaps/gen/mailguard-retry.pcap
tcpdump -r "$retry" -w "$tmp/mx1.pcap" 'tcp port 40081 or tcp port 40082' 2>/dev/null
tcpdump -r "$retry" -w "$tmp/mx2.pcap" 'tcp port 40083' 2>/dev/null
"$bin" --json --sensor mx1 -r "$tmp/mx1.pcap" >"$tmp/mx1.json"
"$bin" --json --sensor mx2 -r "$tmp/mx2.pcap" >"$tmp/mx2.json"
check "MX1's own run: a duplicate group of its two attempts" \
    grep -q '"type":"duplicate".*"sessions":\[1,2\]' "$tmp/mx1.json"
check "MX2's own run: no duplicate group (one attempt)" test "$(grep -c '"type":"duplicate"' "$tmp/mx2.json")" -eq 0
"$bin" --json --merge "$tmp/mx1.json" "$tmp/mx2.json" >"$tmp/mx.merged"
check "--merge of MX1 and MX2: one duplicate group of the three attempts" \
    test "$(grep -c '"type":"duplicate"' "$tmp/mx.merged")" -eq 1
check "--merge of MX1 and MX2: the group holds sessions 1, 2 and 3" \
    grep -q '"type":"duplicate".*"sessions":\[1,2,3\]' "$tmp/mx.merged"
"$bin" --json -r "$retry" --workers 1 >"$tmp/mx.whole"
why "--merge of MX1 and MX2: the sessions and group of one capture holding both" \
    union same duplicate "$tmp/mx.whole" "$tmp/mx.merged"
check "--merge of MX1 and MX2: the three sessions, in time order" \
    test "$(grep -o '"type":"session","id":[0-9]*,"client":"[^"]*"' "$tmp/mx.merged" | tr '\n' ' ')" = \
    '"type":"session","id":1,"client":"198.51.100.10:40081" "type":"session","id":2,"client":"198.51.100.10:40082" "type":"session","id":3,"client":"198.51.100.10:40083" '
check "--merge of MX1 and MX2: each session line names the sensor whose frames it cites" \
    test "$(grep -o '"type":"session".*"sensor":"mx[12]"}$' "$tmp/mx.merged" | grep -o 'mx[12]"}$' | tr -d '"}\n')" = mx1mx1mx2
check "--merge of MX1 and MX2: the group and summary lines name no sensor" \
    test "$(grep -v '"type":"session"' "$tmp/mx.merged" | grep -c '"sensor"')" -eq 0
check "--merge of MX1 and MX2: the summary names both captures" \
    grep -q '"type":"summary".*mx1.pcap, .*mx2.pcap' "$tmp/mx.merged"
"$bin" --json --merge "$tmp/mx2.json" "$tmp/mx1.json" >"$tmp/mx.swapped"
check "--merge: different captures merge by time, whatever the order given" \
    cmp -s <(grep -v '"type":"summary"' "$tmp/mx.merged") <(grep -v '"type":"summary"' "$tmp/mx.swapped")
editcap -c 30 "$tmp/mx1.pcap" "$tmp/mxcut.pcap" >/dev/null
"$bin" --json --sensor mx1 -r "$tmp/mxcut_*.pcap" >"$tmp/mx1cut.json"
"$bin" --json --merge "$tmp/mx1cut.json" "$tmp/mx2.json" >"$tmp/mx.cut"
check "--merge of MX1 read as two files and MX2: MX1's frames named FILE#N, MX2's numbers" \
    grep -qE '^("frame":"mxcut_[0-9_]+\.pcap#[0-9]+"){2}"frame":4$' \
    <(grep '"type":"session"' "$tmp/mx.cut" | grep -o '"banner":{[^}]*"frame":[^,}]*' | grep -o '"frame":.*' | tr -d '\n')
cat "$tmp/mx1.json" "$tmp/mx2.json" | "$bin" --json --merge - >"$tmp/mx.stream"
check "--merge - (a stream of both sensors' lines): one duplicate group of three" \
    grep -q '"type":"duplicate".*"sessions":\[1,2,3\]' "$tmp/mx.stream"
paste -d '\n' "$tmp/mx1.json" "$tmp/mx2.json" | grep -v '^$' | "$bin" --json --merge - >"$tmp/mx.mixed"
check "--merge -: the two sensors' lines interleaved: one duplicate group of three" \
    test "$(grep -c '"type":"duplicate".*"sessions":\[[0-9],[0-9],[0-9]\]' "$tmp/mx.mixed")" -eq 1
"$bin" --merge "$tmp/mx1.json" "$tmp/mx2.json" >"$tmp/mx.txt"
check "--merge, text: the duplicate's three attempts in one group" grep -q "sessions: 1, 2, 3" "$tmp/mx.txt"
check "--merge, text: each session says its sensor" \
    test "$(grep -c '^  sensor: mx[12] (the frames are its capture' "$tmp/mx.txt")" -eq 3

"$bin" --merge "$tmp/mx1.json" "$tmp/mx2.json" --html "$tmp/mx.html" >/dev/null
check "--merge --html: the page says the message was sent 3 times" \
    grep -q 'sent 3 times (0 acknowledged' "$tmp/mx.html"
check "--merge --dup-window 5s: attempts 20 s apart form no group" \
    test "$("$bin" --json --dup-window 5s --merge "$tmp/mx1.json" "$tmp/mx2.json" | grep -c '"type":"duplicate"')" -eq 0

# 6. What --merge refuses, and damaged input said with its file and line.
refused() { # refused WHAT MESSAGE ARGS...: exit 2 and the message
    local what=$1 msg=$2
    shift 2
    "$bin" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    check "$what: exit 2" test $rc -eq 2
    why "$what: says why" grep -q -- "$msg" "$tmp/err"
}
refused "--merge with -r" "not with -r" --merge "$tmp/mx1.json" -r pcaps/sample.pcap
refused "--merge with --workers 2" "not with --workers" --merge "$tmp/mx1.json" --workers 2
refused "--merge - with a file" "the only input" --merge - "$tmp/mx1.json"
refused "--merge of a missing file" "mx9.json" --merge "$tmp/mx9.json" "$tmp/mx1.json"
refused "--merge of a run without --sensor" "plain.json:.*no run's records" \
    --merge "$tmp/plain.json" "$tmp/mx1.json"
printf 'not json\n' >"$tmp/junk.json"
refused "--merge of a line that is not JSON" "junk.json:1: not a JSON object" \
    --merge "$tmp/junk.json" "$tmp/mx1.json"
sed '1s/"version":"[^"]*"/"version":"0.0.1-other"/' "$tmp/mx1.json" >"$tmp/old.json"
refused "--merge of another version's records" "old.json:1: records of smtpscope 0.0.1-other" \
    --merge "$tmp/old.json" "$tmp/mx2.json"
sed '3s/"data":"[^"]*"/"data":"!!!="/' "$tmp/mx1.json" >"$tmp/b64.json"
refused "--merge of a record whose data is not base64" "b64.json:3: .*not base64" \
    --merge "$tmp/b64.json" "$tmp/mx2.json"
line=$(grep -n '"kind":"session"' "$tmp/mx1.json" | head -1 | cut -d: -f1)
sed "${line}s/\"data\":\"[^\"]*\"/\"data\":\"$(head -c 900 /dev/urandom | base64 -w0 | tr '/+' 'ab')\"/" "$tmp/mx1.json" >"$tmp/garbage.json"
refused "--merge of a session record of random bytes" "damaged session record" \
    --merge "$tmp/garbage.json" "$tmp/mx2.json"
line=$(grep -n '"kind":"totals"' "$tmp/mx1.json" | head -1 | cut -d: -f1)
short=$(printf '\020\000\000\000\000\000\000\000abcdefghabcdefgh' | base64 -w0)
sed "${line}s|\"data\":\"[^\"]*\"|\"data\":\"$short\"|" "$tmp/mx1.json" >"$tmp/size.json"
refused "--merge of a record too short for its kind" "size.json:$line: .*not the size its kind" \
    --merge "$tmp/size.json" "$tmp/mx2.json"
line=$(grep -n '"kind":"opened"' "$tmp/mx1.json" | head -1 | cut -d: -f1)
long=$(printf '\377\000\000\000\000\000\000\000mx.example:25\000\000\000' | base64 -w0)
sed "${line}s|\"data\":\"[^\"]*\"|\"data\":\"$long\"|" "$tmp/mx1.json" >"$tmp/count.json"
refused "--merge of a record whose count passes its bytes" "count.json:$line: .*not the size" \
    --merge "$tmp/count.json" "$tmp/mx2.json"
cat "$tmp/mx1.json" "$tmp/mx2.json" >"$tmp/both.json"
refused "--merge of two runs in one of several files" "a second run in one file" \
    --merge "$tmp/both.json" "$tmp/mx2.json"
refused "--merge of one partition twice" "partition 1/3 twice" \
    --merge "$tmp/all.1" "$tmp/all.1"
"$bin" --json --merge "$tmp/all.1" "$tmp/all.2" >/dev/null 2>"$tmp/err"
check "--merge of 2 of 3 partitions: merged (exit 0)" test $? -eq 0
check "--merge of 2 of 3 partitions: says the third is missing" grep -q "2 of the 3 partitions" "$tmp/err"
head -n 3 "$tmp/mx1.json" >"$tmp/cut.json"
"$bin" --json --merge "$tmp/cut.json" "$tmp/mx2.json" >/dev/null 2>"$tmp/err"
check "--merge of a run cut short: says it did not end" grep -q "sensor mx1 .* did not end" "$tmp/err"
sed 's/"sensor":"mx1"/"sensor":"\\u001b[31mX"/' "$tmp/cut.json" >"$tmp/esc.json"
"$bin" --json --merge "$tmp/esc.json" "$tmp/mx2.json" >/dev/null 2>"$tmp/err"
check "--merge: a file's sensor name reaches the terminal escaped" \
    grep -q 'sensor \\x1b\[31mX .* did not end' "$tmp/err"
check "--merge: no escape byte on standard error" test "$(tr -dc '\033' <"$tmp/err" | wc -c)" -eq 0

# 6b. Damaged records of every kind: --merge takes or refuses each mutant cleanly (exit 0 or
# 2, said on standard error, no sanitizer report), never crashes.
python3 "$here/tests/sensors/mutate.py" "$tmp/mx1.json" "$tmp/mutants" 150
crashed=0 refused_n=0
for m in "$tmp"/mutants/*.json; do
    "$bin" --json --merge "$m" "$tmp/mx2.json" >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 2 ] && refused_n=$((refused_n + 1))
    if { [ $rc -ne 0 ] && [ $rc -ne 2 ]; } || grep -q "Sanitizer\|runtime error" "$tmp/err" ||
        { [ $rc -eq 2 ] && ! [ -s "$tmp/err" ]; }; then
        crashed=$((crashed + 1))
        echo "  $m: exit $rc: $(head -c 300 "$tmp/err")"
    fi
done
check "--merge of 150 damaged runs: each taken or refused cleanly" test $crashed -eq 0
check "--merge of 150 damaged runs: most of them refused ($refused_n)" test $refused_n -ge 50

# 7. What --partition refuses.
for bad_arg in 0/3 4/3 3 1/0 a/b 1/3x -1/3 1/65537; do
    "$bin" --json --partition "$bad_arg" -r pcaps/sample.pcap >/dev/null 2>"$tmp/err"
    check "--partition $bad_arg: refused with exit 2" test $? -eq 2
done
check "a bad partition: says why" grep -q "bad partition" "$tmp/err"
"$bin" --json --partition 1/2 --workers 2 -r pcaps/sample.pcap >/dev/null 2>"$tmp/err"
check "--partition with --workers 2: exit 2" test $? -eq 2
check "--partition with --workers 2: says why" grep -q "not with --workers" "$tmp/err"
"$bin" --json --partition 1/2 --outside pcaps/lab/clean.sender-side.pcap \
    --inside pcaps/lab/clean.receiver-side.pcap >/dev/null 2>"$tmp/err"
check "--partition with two capture points: exit 2" test $? -eq 2

t_done
