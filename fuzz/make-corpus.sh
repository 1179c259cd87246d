#!/bin/bash
# Makes the fuzzers' seed corpora from captures: the capture files themselves for the
# pipeline target, and (through build/fuzz/pcap2seg) each TCP session's segments for the
# SMTP and POP3 targets and each server's first line for the banner target; plus, for the
# pipeline, the damaged captures of tests/corrupt/make-corrupt.py. The fast reader's target
# starts from the pipeline's captures, damaged ones included.
# Usage: fuzz/make-corpus.sh OUTDIR CAPTURE...   (from the repository root)
set -eu
out=${1:?outdir}
shift
rm -rf "$out"
mkdir -p "$out/pipeline" "$out/smtp" "$out/banner" "$out/pop3" "$out/path" "$out/unpack" \
    "$out/fastread"
for f in "$@"; do
    name=$(echo "$f" | tr / _)
    cp "$f" "$out/pipeline/$name"
done
# damaged files too: the pipeline's error paths start covered
python3 tests/corrupt/make-corrupt.py "$out/pipeline" pcaps/sample.pcap
cp "$out/pipeline/." "$out/fastread/" -r
build/fuzz/pcap2seg "$out/smtp" "$out/banner" "$@"
# the same session format: every session (POP3 captures' too) seeds the POP3 target
cp "$out/smtp/." "$out/pop3/" -r
# the path target: each session with the box's byte after its first (what the box does, to
# which records, the clocks' offset: cycled over the seeds)
i=0
for f in "$out/smtp"/*; do
    box=$(((i * 37) % 256))
    { head -c 1 "$f"; printf "\\$(printf %03o "$box")"; tail -c +2 "$f"; } >"$out/path/${f##*/}"
    i=$((i + 1))
done
# the unpack target: each session's records (its length first, 2 bytes little endian, at most
# 65535) and one damaged byte (offset, XOR), cycled over the seeds
i=0
for f in "$out/smtp"/*; do
    n=$(($(stat -c %s "$f") - 1))
    [ "$n" -le 65535 ] || n=65535
    off=$(((i * 97) % 65536))
    { printf "\\$(printf %03o $((n & 255)))\\$(printf %03o $((n >> 8)))"
      tail -c +2 "$f" | head -c "$n"
      printf "\\$(printf %03o $((off & 255)))\\$(printf %03o $((off >> 8)))\\001"; } >"$out/unpack/${f##*/}"
    i=$((i + 1))
done
echo "seeds: $(ls "$out/pipeline" | wc -l) captures, $(ls "$out/smtp" | wc -l) sessions," \
    "$(ls "$out/banner" | wc -l) banners"
