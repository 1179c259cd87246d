#!/bin/bash
# Compressed captures: pcaps/sample.pcap and a pcapng capture compressed by gzip, zstd, xz and
# bzip2 (the command-line tools) must give the JSON of the plain file, the summary's source
# and compression apart, read by name, from standard input and through a pipe; told by their
# magic bytes whatever their name; in parts one after the other (cat a.gz b.gz); with
# --workers N. A compressed file holding no capture is refused, naming its format.
# (Damaged and cut compressed captures: tests/corrupt.)
# Usage: tests/compressed/run.sh BINARY
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
t_init compressed
t_binary "${1:-}"

for tool in gzip zstd xz bzip2; do
    command -v "$tool" >/dev/null || t_unable "$tool is not installed (make test-deps)"
done

# compress FORMAT: standard input to standard output with that format's tool
compress() {
    case $1 in
    gzip) gzip -c ;;
    zstd) zstd -q -c ;;
    xz) xz -c ;;
    bzip2) bzip2 -c ;;
    esac
}

# same_json A B: the two JSON reports alike but for the summary's source and compression
strip() { sed -E 's/^(\{"type":"summary","source":)("([^"\\]|\\.)*"),"compression":("[a-z0-9]+"|null)/\1S/' "$1"; }
same_json() { cmp -s <(strip "$1") <(strip "$2"); }

# says FILE FORMAT: the summary names the compression
says() { grep -q '^{"type":"summary",.*"compression":"'"$2"'"' "$1"; }

for capture in pcaps/sample.pcap pcaps/link/multi-iface.pcapng; do
    name=$(basename "$capture")
    "$bin" --json -r "$here/$capture" >"$tmp/plain.jsonl" 2>"$tmp/err"
    rc=$?
    check "$name: plain run, exit 0 ($rc)" test $rc -eq 0
    check "$name: plain run says no compression" grep -q '"compression":null' "$tmp/plain.jsonl"
    check "$name: plain run has sessions" grep -q '"type":"session"' "$tmp/plain.jsonl"
    for fmt in gzip zstd xz bzip2; do
        z="$tmp/$name.$fmt"
        compress "$fmt" <"$here/$capture" >"$z"
        "$bin" --json -r "$z" >"$tmp/file.jsonl" 2>"$tmp/err"
        rc=$?
        check "$name.$fmt: exit 0 ($rc: $(head -c 200 "$tmp/err"))" test $rc -eq 0
        check "$name.$fmt: the JSON of the plain file" same_json "$tmp/plain.jsonl" "$tmp/file.jsonl"
        check "$name.$fmt: compression $fmt" says "$tmp/file.jsonl" "$fmt"
        check "$name.$fmt: the source is the file's name" \
            grep -qF '"source":"'"$z"'"' "$tmp/file.jsonl"
        "$bin" --json -r - <"$z" >"$tmp/stdin.jsonl" 2>/dev/null
        check "$name.$fmt: -r - < file: the same JSON" same_json "$tmp/plain.jsonl" "$tmp/stdin.jsonl"
        check "$name.$fmt: -r - < file: compression $fmt" says "$tmp/stdin.jsonl" "$fmt"
        cat "$z" | "$bin" --json -r - >"$tmp/pipe.jsonl" 2>/dev/null
        check "$name.$fmt: through a pipe: the same JSON" same_json "$tmp/plain.jsonl" "$tmp/pipe.jsonl"
        "$bin" -r "$z" >"$tmp/text" 2>/dev/null
        check "$name.$fmt: the text summary names the compression" \
            grep -qF "Summary of $z ($fmt-compressed)" "$tmp/text"
    done
done

# In parts, each compressed on its own, concatenated: gzip members (cat, pigz), zstd frames,
# xz and bzip2 streams. The cut lands inside a packet record: the parts are not captures.
head -c 3001 "$here/pcaps/sample.pcap" >"$tmp/part1"
tail -c +3002 "$here/pcaps/sample.pcap" >"$tmp/part2"
"$bin" --json -r "$here/pcaps/sample.pcap" >"$tmp/plain.jsonl" 2>/dev/null
for fmt in gzip zstd xz bzip2; do
    { compress "$fmt" <"$tmp/part1"; compress "$fmt" <"$tmp/part2"; } >"$tmp/parts.$fmt"
    "$bin" --json -r "$tmp/parts.$fmt" >"$tmp/parts.jsonl" 2>"$tmp/err"
    rc=$?
    check "$fmt in two parts, concatenated: exit 0 ($rc: $(head -c 200 "$tmp/err"))" test $rc -eq 0
    check "$fmt in two parts, concatenated: the JSON of the plain file" \
        same_json "$tmp/plain.jsonl" "$tmp/parts.jsonl"
done

# The magic bytes decide, not the name: gzip data named .pcap, plain data named .gz.
gzip -c <"$here/pcaps/sample.pcap" >"$tmp/looks-plain.pcap"
"$bin" --json -r "$tmp/looks-plain.pcap" >"$tmp/named.jsonl" 2>/dev/null
check "gzip named .pcap: the JSON of the plain file" same_json "$tmp/plain.jsonl" "$tmp/named.jsonl"
check "gzip named .pcap: compression gzip" says "$tmp/named.jsonl" gzip
cp "$here/pcaps/sample.pcap" "$tmp/looks-compressed.pcap.gz"
"$bin" --json -r "$tmp/looks-compressed.pcap.gz" >"$tmp/named.jsonl" 2>/dev/null
check "plain named .gz: the plain file's JSON" same_json "$tmp/plain.jsonl" "$tmp/named.jsonl"
check "plain named .gz: no compression" grep -q '"compression":null' "$tmp/named.jsonl"

# --workers N: each worker decompresses; the report is still the one of one process.
gzip -c <"$here/pcaps/sample.pcap" >"$tmp/w.pcap.gz"
"$bin" --json -r "$tmp/w.pcap.gz" >"$tmp/w1.jsonl" 2>/dev/null
for w in 2 3; do
    "$bin" --json --workers $w -r "$tmp/w.pcap.gz" >"$tmp/wn.jsonl" 2>/dev/null
    check "a .gz with --workers $w: the JSON of one process" cmp -s "$tmp/w1.jsonl" "$tmp/wn.jsonl"
done
"$bin" --workers 2 -r - <"$tmp/w.pcap.gz" >/dev/null 2>"$tmp/err"
check "a .gz on standard input with --workers 2: refused as any pipe" grep -q 'need one process' "$tmp/err"

# Compressed, but no capture inside: refused before any output, its format named.
printf 'not a capture at all\n' | gzip -c >"$tmp/text.gz"
rc=0
"$bin" --json -r "$tmp/text.gz" >"$tmp/out" 2>"$tmp/err" || rc=$?
check "a .gz of text: exit 2 ($rc)" test $rc -eq 2
check "a .gz of text: nothing written" test ! -s "$tmp/out"
check "a .gz of text: says gzip-compressed, not a capture ($(cat "$tmp/err"))" \
    grep -qF "smtpscope: '$tmp/text.gz' is gzip-compressed, but what it holds is not a capture file (unknown file format)" "$tmp/err"

echo "compressed captures with $(basename "$bin") done"
t_done
