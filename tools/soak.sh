#!/bin/bash
# tools/soak.sh: the soak test (make soak; docs/performance.md, "Soak: a synthetic week").
# benchgen --week streams a synthetic week of mail into `smtpscope -r - --json`, nothing on
# disk; once a second this samples smtpscope's VmRSS from /proc and how far through the
# capture its report is, into a CSV; at the end it prints peak RSS, RSS at 25/50/75/100 % of
# the sessions, a flat-or-growing verdict and the summary's correlation figures.
#
# Usage: tools/soak.sh [BUILD_DIR]          (default build: build/benchgen, build/smtpscope)
# Environment:
#   SOAK_GEN_ARGS      benchgen's arguments (default --week: 2,000,000 messages over 7 days,
#                      5 % sent twice); e.g. "--week --messages 300000 --span 1d"
#   SMTPSCOPE_FLAGS    smtpscope's options besides -r - --json (default: --stream when the
#                      binary has it, then SOAK_WINDOW when it has --dup-window)
#   SOAK_WINDOW        window options for the default above, e.g. "--dup-window 6h" for a
#                      one-day run (default none: smtpscope's own, 5d and 64 MB)
#   SOAK_NAME          the output files' name (default soak): SOAK_DIR/NAME.csv, .txt, .json
#   SOAK_DIR           where they go (default BUILD_DIR/soak)
#   SOAK_INTERVAL      seconds between samples (default 1)
#   SOAK_FLAT_FROM     the verdict looks at the run from this percent of the sessions on
#                      (default 75: the default --dup-window, 5 of 7 days, is full by 71 %)
#   SOAK_FLAT_PCT      flat: RSS over that part stays within this percent of its RSS at the
#                      start of it (default 5)
#   SOAK_REQUIRE_FLAT  1: exit 1 unless the verdict is flat; 0: only report it (default: 1
#                      when smtpscope has --dup-window, whose window makes RSS flat, else 0)
# Exit status: 0 when the generator, smtpscope and the reader all succeeded (and, with
# SOAK_REQUIRE_FLAT=1, RSS was flat); 1 otherwise; 2 on a usage error.
# Needs only bash, coreutils and awk (minimal Debian 12: no procps, no python3).
set -eu

build=${1:-build}
gen_args=${SOAK_GEN_ARGS:---week}
name=${SOAK_NAME:-soak}
out_dir=${SOAK_DIR:-$build/soak}
interval=${SOAK_INTERVAL:-1}
flat_from=${SOAK_FLAT_FROM:-75}
flat_pct=${SOAK_FLAT_PCT:-5}
window=${SOAK_WINDOW:-}

for tool in benchgen smtpscope; do
    [ -x "$build/$tool" ] || { echo "soak: $build/$tool not built (make all)" >&2; exit 2; }
done
# smtpscope's --help names option $1.
has_option() { "$build/smtpscope" --help 2>&1 | grep -q -- "$1"; }

# --stream makes a file run write what a live run would, as sessions end: the way the
# correlator runs for weeks. Until smtpscope has it, the run is the offline one; until it has
# the window, RSS is expected to grow and is only reported.
windowed=0
! has_option --dup-window || windowed=1
if [ -z "${SMTPSCOPE_FLAGS+set}" ]; then
    SMTPSCOPE_FLAGS=""
    ! has_option --stream || SMTPSCOPE_FLAGS="--stream"
    [ $windowed = 0 ] || SMTPSCOPE_FLAGS="$SMTPSCOPE_FLAGS${window:+ $window}"
fi
require_flat=${SOAK_REQUIRE_FLAT:-$windowed}
mkdir -p "$out_dir"
csv=$out_dir/$name.csv
report=$out_dir/$name.txt
summary=$out_dir/$name.json
rm -f "$summary" # a failed run must not show the last run's
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtpscope-soak.XXXXXX")
pids=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local p
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Microseconds since the epoch, from bash's own clock (no date(1) call per sample).
now_us() { local t=$EPOCHREALTIME; echo $((10#${t/[.,]/})); }

# The reader of smtpscope's JSON: counts session lines and duplicate lines, and every 2000
# sessions rewrites PROGRESS with "sessions capture_seconds duplicate_lines" (capture time
# from the first session's start); keeps the summary line. mawk reads 1 GB/s: the JSON of
# a week, about 3.5 GB, costs it a few seconds.
read_json() {
    awk -F '\n' -v prog="$tmp/progress" -v sum="$summary" '
        function start_time() {
            return match($0, /"start":[0-9.]+/) ? substr($0, RSTART + 8, RLENGTH - 8) + 0 : t
        }
        /^\{"type":"session"/ {
            n++
            if (n == 1) first = start_time()
            if (n % 2000 == 0) {
                t = start_time()
                printf "%d %d %d\n", n, t - first, d > prog
                close(prog)
            }
            next
        }
        /^\{"type":"duplicate"/ { d++; next }
        /^\{"type":"summary"/ { print > sum }
        END { printf "%d %d %d\n", n, t - first, d > prog }'
}

# VmRSS and VmHWM (KB) of process $1 into rss and hwm, its CPU seconds (user + system,
# hundredths) into cpu_cs. Returns 1 once the process has ended (gone, or a zombie), 2 when
# this sample could not be read (why says what), 0 otherwise. Each file is read whole, at
# once: bash's read builtin reads a seekable file in chunks and seeks back after each line
# (strace shows it), and /proc makes the text anew at each read, so a figure that grew a digit
# meanwhile shifts the lines after it; most likely why a first version, reading line by line,
# once found no VmRSS and stopped sampling 48 s into the week.
sample_proc() {
    local key val rest state="" text f
    rss="" hwm_now=""
    [ -e "/proc/$1/status" ] || return 1
    text=$(cat "/proc/$1/status" 2>/dev/null) || { why="status unreadable"; return 2; }
    while read -r key val rest; do
        case $key in
        State:) state=$val ;;
        VmRSS:) rss=$val ;;
        VmHWM:) hwm_now=$val ;;
        esac
    done <<<"$text"
    [ "$state" != Z ] || return 1
    [ -n "$rss" ] || { why="no VmRSS (state $state)"; return 2; }
    hwm=$hwm_now
    text=$(cat "/proc/$1/stat" 2>/dev/null) || { why="stat unreadable"; return 2; }
    read -r -a f <<<"$text"
    cpu_cs=$(((f[13] + f[14]) * 100 / ticks))
}

# The reader's latest "sessions capture_seconds duplicate_lines" into sessions, cap_s and
# dups; kept as they were while the file is missing or being rewritten (empty).
read_progress() {
    local a="" b="" c=""
    read -r a b c 2>/dev/null <"$tmp/progress" || true
    [ -z "$c" ] || { sessions=$a cap_s=$b dups=$c; }
}

ticks=$(getconf CLK_TCK)
load_start=$(cat /proc/loadavg)
mkfifo "$tmp/capture" "$tmp/json"
# shellcheck disable=SC2086 # the argument strings are lists of words
"$build/benchgen" $gen_args - >"$tmp/capture" 2>"$tmp/gen.err" &
gen_pid=$!
# shellcheck disable=SC2086
"$build/smtpscope" -r - --json $SMTPSCOPE_FLAGS <"$tmp/capture" >"$tmp/json" 2>"$tmp/scope.err" &
scope_pid=$!
read_json <"$tmp/json" &
read_pid=$!
pids="$gen_pid $scope_pid $read_pid"
t0=$(now_us)
echo "soak: benchgen $gen_args - | smtpscope -r - --json $SMTPSCOPE_FLAGS (pid $scope_pid)"
echo "soak: load average at start: $load_start"

echo "elapsed_s,rss_kb,sessions,capture_s,duplicate_lines" >"$csv"
rss="" hwm=0 cpu_cs=0 why="" sessions=0 cap_s=0 dups=0 last_report=0
while :; do
    got=0
    sample_proc "$scope_pid" || got=$?
    [ $got -ne 1 ] || break
    read_progress
    el=$((($(now_us) - t0) / 10000))
    if [ $got -eq 2 ]; then
        echo "soak: no sample at $((el / 100)) s: $why" >&2
        sleep "$interval"
        continue
    fi
    printf '%d.%02d,%s,%s,%s,%s\n' $((el / 100)) $((el % 100)) "$rss" "${sessions:-0}" \
        "${cap_s:-0}" "${dups:-0}" >>"$csv"
    if [ $((el / 100 - last_report)) -ge 30 ]; then # a line every 30 s: it is alive
        last_report=$((el / 100))
        echo "soak: ${last_report} s: RSS $((rss / 1024)) MB, ${sessions:-0} sessions, capture" \
            "day $(((${cap_s:-0}) / 86400)).$(((${cap_s:-0}) % 86400 * 10 / 86400))"
    fi
    sleep "$interval"
done
el=$((($(now_us) - t0) / 10000))

status=0
wait "$gen_pid" || gen_rc=$?
wait "$scope_pid" || scope_rc=$?
wait "$read_pid" || read_rc=$?
pids=""
load_end=$(cat /proc/loadavg)
if [ "${scope_rc:-0}" -ne 0 ]; then
    echo "soak: smtpscope failed (exit $scope_rc): $(head -c 500 "$tmp/scope.err")" >&2
    status=1
fi
# The generator is killed by SIGPIPE (141) only when smtpscope stopped reading: said above.
if [ "${gen_rc:-0}" -ne 0 ] && { [ "${gen_rc}" -ne 141 ] || [ $status -eq 0 ]; }; then
    echo "soak: benchgen failed (exit $gen_rc): $(head -c 500 "$tmp/gen.err")" >&2
    status=1
fi
if [ "${read_rc:-0}" -ne 0 ]; then echo "soak: the JSON reader failed (exit $read_rc)" >&2; status=1; fi
read_progress
if [ ! -s "$summary" ]; then echo "soak: smtpscope wrote no summary line" >&2; status=1; fi

# summarise: the figures from the CSV, the verdict, the summary's counts
summarise() {
    awk -F, -v total="${sessions:-0}" -v from="$flat_from" -v pct="$flat_pct" -v hwm="$hwm" '
        NR == 1 { next }
        { el[++n] = $1; rss[n] = $2; ses[n] = $3; if ($2 > peak) peak = $2 }
        END {
            if (n == 0 || total == 0) { print "verdict: no samples"; exit }
            for (q = 25; q <= 75; q += 25) {
                for (i = 1; i < n && ses[i] < total * q / 100; i++) ;
                printf "RSS at %3d %% of the sessions: %8.1f MB  (%s s, %d sessions)\n",
                    q, rss[i] / 1024, el[i], ses[i]
            }
            printf "RSS at 100 %% (last sample):  %8.1f MB  (%s s, %d sessions)\n",
                rss[n] / 1024, el[n], ses[n]
            printf "peak RSS: %.1f MB sampled, %.1f MB VmHWM (the kernel'"'"'s high-water mark, read %s s in)\n",
                peak / 1024, hwm / 1024, el[n]
            for (i = 1; i < n && ses[i] < total * from / 100; i++) ;
            base = rss[i]; top = base
            for (j = i; j <= n; j++) if (rss[j] > top) top = rss[j]
            growth = base > 0 ? (top - base) * 100 / base : 0
            printf "verdict: %s: from %d %% of the sessions on (%.1f MB) RSS rose to at most %.1f MB, %+.1f %% (flat: below %s %%)\n",
                growth < pct ? "flat" : "grows", from, base / 1024, top / 1024, growth, pct
        }' "$csv"
}

# The summary line's own figures, the first "sessions" being its own (pop3's comes later).
summary_figures() {
    local line sessions_s messages flagged corr
    line=$(cat "$summary")
    sessions_s=$(grep -o '"sessions":[0-9]*' <<<"$line" | head -1 | cut -d: -f2)
    messages=$(grep -o '"messages":[0-9]*' <<<"$line" | head -1 | cut -d: -f2)
    flagged=$(grep -o '"flagged":[0-9]*' <<<"$line" | head -1 | cut -d: -f2)
    echo "summary: $sessions_s sessions, $messages messages, $flagged flagged, $dups duplicate lines"
    corr=$(grep -o '"correlation":{[^}]*}' <<<"$line" | head -n 1 || true)
    echo "correlation: ${corr:-(none in the summary)}"
}

{
    echo "soak: benchgen $gen_args | smtpscope -r - --json $SMTPSCOPE_FLAGS"
    cat "$tmp/gen.err"
    printf 'run: %d.%02d s wall, smtpscope %d.%02d s CPU (user + system)\n' $((el / 100)) \
        $((el % 100)) $((cpu_cs / 100)) $((cpu_cs % 100))
    echo "load average: $load_start at start; $load_end at end"
    echo "sessions read: ${sessions:-0} over $(((${cap_s:-0}) / 3600)) h of capture time"
    summarise
    [ ! -s "$summary" ] || summary_figures
    echo "samples: $csv"
} | tee "$report"

if [ "$require_flat" = 1 ] && ! grep -q '^verdict: flat' "$report"; then
    echo "soak: RSS is not flat (SOAK_REQUIRE_FLAT=1)" >&2
    status=1
fi
# The correlator's own measure of what it held against the --dup-memory it was given.
corr=$(grep '^correlation:' "$report" || true)
memory=$(grep -o '"memory":[0-9]*' <<<"$corr" | cut -d: -f2)
peak=$(grep -o '"peak_bytes":[0-9]*' <<<"$corr" | cut -d: -f2)
if [ -n "$memory" ] && [ -n "$peak" ] && [ "$memory" -gt 0 ]; then
    if [ "$peak" -le "$memory" ]; then
        echo "soak: the correlator held at most $peak bytes, within its $memory"
    else
        echo "soak: the correlator held $peak bytes, past its $memory" >&2
        status=1
    fi
fi
exit $status
