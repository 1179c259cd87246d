#!/bin/bash
# Replays the inputs that once crashed a fuzz target (fuzz/regress/TARGET/*): each must run
# clean under ASan+UBSan. libFuzzer given files, not directories, runs each once.
# Usage: fuzz/regress.sh TARGET   (from the repository root)
set -u
t=${1:?target}
shopt -s nullglob
inputs=(fuzz/regress/"$t"/*)
if [ ${#inputs[@]} -eq 0 ]; then
    echo "fuzz $t: no regression inputs"
    exit 0
fi
mkdir -p build/fuzz/artifacts/"$t"
# the prefix keeps a crash's copy out of the working directory
if build/fuzz/fuzz_"$t" -runs=1 -artifact_prefix=build/fuzz/artifacts/"$t"/ "${inputs[@]}" \
    >build/fuzz/regress-"$t".log 2>&1; then
    echo "fuzz $t: ${#inputs[@]} regression inputs pass"
else
    echo "FAIL: fuzz $t regression inputs; see build/fuzz/regress-$t.log" >&2
    grep -E 'Running:|ERROR|SUMMARY' build/fuzz/regress-"$t".log | tail -5 >&2
    exit 1
fi
