#!/bin/bash
# Several capture files read as one (-r A -r B, or a quoted glob): a capture cut in three with
# editcap -c gives the whole file's report, frame references apart (NAME#N put back as the
# whole file's numbers by frames.py), in any order on the command line and through a glob;
# two captures that overlap in time (one capture's flows split in two) give the sessions of
# the one they came from; link types may be mixed; an unsupported link type, a missing file,
# a glob that matches nothing, a damaged file and the options that need one file are refused
# or reported, naming the file, with exit 2; the JSON of a multi-file run validates.
# Usage: tests/multi-file/run.sh BINARY
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
t_init multi-file
t_binary "${1:-}"

for tool in editcap capinfos python3; do
    command -v "$tool" >/dev/null || t_unable "$tool is not installed (make test-deps)"
done
frames() { python3 "$here/tests/multi-file/frames.py" "$@"; }

# run OUT ARGS...: the binary's output in OUT, its errors in OUT.err, its status in $rc
run() {
    local out=$1
    shift
    "$bin" "$@" >"$out" 2>"$out.err"
    rc=$?
}

# same MAP A B: the two reports alike once B's (and A's) frame names are the whole file's
# shellcheck disable=SC2317 # called through check
same() { cmp -s <(frames norm "$1" "$2") <(frames norm "$1" "$3"); }

# sessions FILE: how many session lines a JSON report has
sessions() { grep -c '"type":"session"' "$1"; }

# 1. A capture cut in three, one after the other: the whole file's report, JSON and text.
for capture in pcaps/sample.pcap pcaps/gen/busy-server.pcap pcaps/gen/pop3-two-collectors.pcap; do
    name=$(basename "$capture" .pcap)
    dir=$tmp/$name
    mkdir -p "$dir"
    total=$(capinfos -Trc "$here/$capture" | cut -f2)
    per=$(((total + 2) / 3))
    # the first capture's parts as pcap, the others' as editcap writes them (pcapng)
    format=()
    [ "$name" = sample ] && format=(-F pcap)
    editcap "${format[@]}" -c "$per" "$here/$capture" "$dir/part.cap" >/dev/null
    parts=("$dir"/part_*)
    check "$name: editcap made three parts (${#parts[@]})" test "${#parts[@]}" -eq 3
    frames parts "$dir/map" "${parts[@]}"
    run "$dir/whole.json" --json -r "$here/$capture"
    run "$dir/whole.txt" -v -r "$here/$capture"
    run "$dir/parts.json" --json -r "${parts[0]}" -r "${parts[1]}" -r "${parts[2]}"
    check "$name: three -r files: exit 0 ($rc: $(head -c 200 "$dir/parts.json.err"))" test "$rc" -eq 0
    check "$name: three -r files: the whole file's JSON" same "$dir/map" "$dir/whole.json" "$dir/parts.json"
    check "$name: frames are named PART#N in JSON" \
        grep -q '"frame":"part_[0-9_]*\.cap#[0-9]*"' "$dir/parts.json"
    check "$name: a capture_file line per part, its frame 1 named" \
        test "$(grep -c '^{"type":"capture_file","file":"[^"]*part_[0-9_]*\.cap","first_frame":"part_[0-9_]*\.cap#1"}$' "$dir/parts.json")" -eq 3
    check "$name: the summary lists the three files" \
        grep -qF '"source":"'"${parts[0]}, ${parts[1]}, ${parts[2]}"'"' "$dir/parts.json"
    run "$dir/parts.txt" -v -r "${parts[0]}" -r "${parts[1]}" -r "${parts[2]}"
    check "$name: three -r files: the whole file's text report" same "$dir/map" "$dir/whole.txt" "$dir/parts.txt"
    run "$dir/reverse.json" --json -r "${parts[2]}" -r "${parts[1]}" -r "${parts[0]}"
    check "$name: given in reverse order: time order wins" same "$dir/map" "$dir/whole.json" "$dir/reverse.json"
    run "$dir/glob.json" --json -r "$dir/part_*"
    check "$name: a quoted glob: exit 0 ($rc)" test "$rc" -eq 0
    check "$name: a quoted glob: the whole file's JSON" same "$dir/map" "$dir/whole.json" "$dir/glob.json"
    check "$name: a session spans the parts (stitched, not cut in two)" \
        test "$(sessions "$dir/parts.json")" -eq "$(sessions "$dir/whole.json")"
    # the --html page: the whole file's drawings, its frames named as the report names them
    run "$dir/whole.page.out" --html "$dir/whole.html" -r "$here/$capture"
    run "$dir/parts.page.out" --html "$dir/parts.html" -r "${parts[0]}" -r "${parts[1]}" -r "${parts[2]}"
    check "$name: --html of the parts: as many drawings as the whole's" \
        test "$(grep -c '<svg' "$dir/parts.html")" -eq "$(grep -c '<svg' "$dir/whole.html")"
    if grep -q '<svg class="ladder"' "$dir/whole.html"; then
        check "$name: --html of the parts: ladder frames named PART#N" \
            grep -qE 'text-anchor="end">#part_[0-9_]*\.cap#[0-9]+</text>' "$dir/parts.html"
    fi
done

# 2. Overlapping files: the flows of a capture split between two files, read merged.
# (busy-server: connection attempts still pending at the end, listed in time order)
for capture in pcaps/gen/overload-mix.pcap pcaps/gen/busy-server.pcap pcaps/sample.pcap; do
    name=$(basename "$capture" .pcap)
    dir=$tmp/overlap-$name
    mkdir -p "$dir"
    frames split "$here/$capture" "$dir/whole.pcap" "$dir/even.pcap" "$dir/odd.pcap" "$dir/map"
    check "$name: both halves have frames" test -s "$dir/odd.pcap" -a -s "$dir/even.pcap"
    run "$dir/whole.json" --json -r "$dir/whole.pcap"
    run "$dir/merged.json" --json -r "$dir/even.pcap" -r "$dir/odd.pcap"
    check "$name: two overlapping files: exit 0 ($rc)" test "$rc" -eq 0
    check "$name: two overlapping files: the sessions of the one they came from" \
        same "$dir/map" "$dir/whole.json" "$dir/merged.json"
    run "$dir/merged2.json" --json -r "$dir/odd.pcap" -r "$dir/even.pcap"
    check "$name: the other order on the command line: the same report" \
        same "$dir/map" "$dir/whole.json" "$dir/merged2.json"
done

# 3. Link types mixed: Ethernet and Linux cooked capture read together.
run "$tmp/sll.json" --json -r "$here/pcaps/link/ipv6-sll.pcap"
run "$tmp/eth.json" --json -r "$here/pcaps/sample.pcap"
run "$tmp/mixed.json" --json -r "$here/pcaps/sample.pcap" -r "$here/pcaps/link/ipv6-sll.pcap"
check "mixed link types: exit 0 ($rc: $(head -c 200 "$tmp/mixed.json.err"))" test "$rc" -eq 0
check "mixed link types: the sessions of both" \
    test "$(sessions "$tmp/mixed.json")" -eq $(($(sessions "$tmp/sll.json") + $(sessions "$tmp/eth.json")))

# 4. Refusals and errors, exit 2 and the file named.
# a capture of DLT_USER0 frames (147), which smtpscope does not decode
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,147)+struct.pack("<IIII",1,0,4,4)+b"\0\0\0\0")' >"$tmp/wifi.pcap"
run "$tmp/out" -r "$here/pcaps/sample.pcap" -r "$tmp/wifi.pcap"
check "an unsupported link type: exit 2 ($rc)" test "$rc" -eq 2
check "an unsupported link type: the file and its link type named" \
    grep -q "wifi.pcap.*link type.*DLT 147" "$tmp/out.err"
run "$tmp/out" -r "$here/pcaps/sample.pcap" -r "$tmp/missing.pcap"
check "a missing file: exit 2 ($rc)" test "$rc" -eq 2
check "a missing file: named" grep -q "missing.pcap" "$tmp/out.err"
run "$tmp/out" -r "$tmp/nothing-*.pcap"
check "a glob that matches nothing: exit 2 ($rc)" test "$rc" -eq 2
check "a glob that matches nothing: said" grep -q "nothing-\*.pcap': no file matches" "$tmp/out.err"
dir=$tmp/sample
head -c $(($(stat -c %s "${dir}/part_00001"*) - 10)) "${dir}/part_00001"* >"$tmp/cut.pcap"
run "$tmp/damaged.json" --json -r "${dir}/part_00000"* -r "$tmp/cut.pcap" -r "${dir}/part_00002"*
check "a damaged file among others: exit 2 ($rc)" test "$rc" -eq 2
check "a damaged file among others: named, with how far it was read" \
    grep -q "cut.pcap': damaged capture, analysed up to its frame [0-9]" "$tmp/damaged.json.err"
check "a damaged file among others: the other files are read to their end" \
    grep -q '"frame":"part_00002[^"]*#' "$tmp/damaged.json"
for opt in "--workers 2" "--extract $tmp/x.pcap"; do
    # shellcheck disable=SC2086 # the option and its value
    run "$tmp/out" $opt -r "$here/pcaps/sample.pcap" -r "$tmp/eth.json"
    check "$opt with several files: exit 2 ($rc)" test "$rc" -eq 2
    check "$opt with several files: the conflict said" grep -q "several -r files" "$tmp/out.err"
done
run "$tmp/out" -r - -r "$here/pcaps/sample.pcap" </dev/null
check "standard input with another file: exit 2 ($rc)" test "$rc" -eq 2

# 5. The JSON of a multi-file run validates against the schema, strictly.
py=${SCHEMA_PYTHON:-/usr/bin/python3}
if "$py" -c 'import jsonschema' 2>/dev/null; then
    check "the JSON of multi-file runs validates (frames as FILE#N)" \
        "$py" "$here/tests/check_schema.py" "$here/docs/schema" lines "$tmp/sample/parts.json" \
        "$tmp/overlap-overload-mix/merged.json" "$tmp/pop3-two-collectors/parts.json"
fi

t_done
