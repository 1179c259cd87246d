#!/bin/bash
# Runs one fuzz target for a set time and prints what it reached: executions, libFuzzer's
# edge coverage (cov) and features (ft), corpus size. Appends that line to
# build/fuzz/summary.txt. Exits 1, with the crashing input's path, when it found a crash.
# Usage: fuzz/run.sh TARGET SECONDS   (from the repository root)
set -u
t=${1:?target} secs=${2:?seconds}
bin=build/fuzz/fuzz_$t
corpus=build/fuzz/corpus/$t
art=build/fuzz/artifacts/$t
log=build/fuzz/$t.log
mkdir -p "$corpus" "$art"
dirs=("$corpus" "build/fuzz/seed/$t")
[ -d "fuzz/regress/$t" ] && dirs+=("fuzz/regress/$t")
opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$art/")
[ -f "fuzz/$t.dict" ] && opts+=(-dict="fuzz/$t.dict")
"$bin" "${opts[@]}" "${dirs[@]}" >"$log" 2>&1
rc=$?
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
line="fuzz $t: ${secs} s, ${execs:-?} execs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, peak RSS ${rss:-?} MB"
echo "$line" | tee -a build/fuzz/summary.txt
if [ $rc -ne 0 ]; then
    echo "FAIL: fuzz target $t stopped with status $rc; log $log:" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|^==' "$log" | head -20 >&2
    exit 1
fi
