#!/bin/bash
# The benchmark behind `make bench` (docs/performance.md says what it measures and what was
# found). On the same synthetic captures (tools/benchgen.c) it runs smtpscope --json, the
# libnids-only floor (tools/floor_nids.c), the bare libpcap loop (tools/floor_pcap.c) and,
# when installed, tshark -Y smtp; each several times, interleaved, with medians of the wall
# time and of the CPU time (user + system) and the peak RSS, all from wait4(2).
#
# Usage: tools/bench.sh [BUILD_DIR]   (default build; the tools are looked for there)
# Environment:
#   BENCH_QUICK=1          smaller captures and one run each: a check, not a measurement
#   BENCH_RUNS=N           runs of each tool on each capture (default 3, 5 on the large one
#                          which is quick to read; 1 when quick)
#   BENCH_DIR=DIR          where the captures go (default BUILD_DIR/bench; never the repo)
#   BENCH_SMTPSCOPE=BIN    the smtpscope binary to measure (default BUILD_DIR/smtpscope)
#   BENCH_TSHARK_RUNS=N    tshark runs on the large capture (default 1; 0: none)
#   BENCH_TSHARK_LIMIT=S   seconds after which a tshark run is stopped (default 900)
#   BENCH_PROFILE=1        also profile smtpscope on the large capture with perf (linux-perf)
# Captures are made again only when benchgen or their arguments change.
set -euo pipefail

build=${1:-build}
quick=${BENCH_QUICK:-0}
[ "$quick" = 0 ] || quick=1
runs=${BENCH_RUNS:-$((quick ? 1 : 3))}
large_runs=${BENCH_RUNS:-$((quick ? 1 : 5))}
dir=${BENCH_DIR:-$build/bench}
smtpscope=${BENCH_SMTPSCOPE:-$build/smtpscope}
tshark_runs=${BENCH_TSHARK_RUNS:-1}
tshark_limit=${BENCH_TSHARK_LIMIT:-900}
profile=${BENCH_PROFILE:-0}
results=$dir/results.tsv

for t in "$smtpscope" "$build/benchgen" "$build/floor_nids" "$build/floor_pcap"; do
    [ -x "$t" ] || { echo "bench: $t missing (make bench builds it)" >&2; exit 2; }
done
if ! command -v python3 >/dev/null; then
    echo "bench: needs python3 (tools/install-deps.sh test)" >&2
    exit 2
fi
mkdir -p "$dir"

# Runs a command once: stdout to /dev/null, stderr to a file; prints
# "wall_s cpu_s user_s sys_s maxrss_kb exit" from wait4. A run past its time limit is killed
# and its exit is "timeout".
RUNNER='
import os, signal, sys, time
limit, err, argv = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.dup2(os.open("/dev/null", os.O_WRONLY), 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
    os.setpgid(0, 0)
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
timed_out = []
def stop(*_):
    timed_out.append(1)
    os.killpg(pid, signal.SIGKILL)
signal.signal(signal.SIGALRM, stop)
if limit > 0:
    signal.setitimer(signal.ITIMER_REAL, limit)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
signal.setitimer(signal.ITIMER_REAL, 0)
code = "timeout" if timed_out else str(os.waitstatus_to_exitcode(status))
print("%.4f %.4f %.4f %.4f %d %s" % (wall, ru.ru_utime + ru.ru_stime, ru.ru_utime,
                                     ru.ru_stime, ru.ru_maxrss, code))
'

# Medians of the runs of one (capture, tool) in results.tsv: wall cpu user sys, then the
# largest peak RSS, the number of runs and the smallest CPU time.
STATS='
import statistics, sys
cap, tool, path = sys.argv[1:4]
rows = [l.split("\t") for l in open(path) if l.startswith(cap + "\t" + tool + "\t")]
if not rows:
    sys.exit(1)
col = lambda i: statistics.median(float(r[i]) for r in rows)
print("%.4f %.4f %.4f %.4f %d %d %.4f" % (col(2), col(3), col(4), col(5),
      max(int(r[6]) for r in rows), len(rows), min(float(r[3]) for r in rows)))
'

# measure CAPTURE TOOL LIMIT CMD...: one run, appended to results.tsv.
measure() {
    local cap=$1 tool=$2 limit=$3
    shift 3
    local out
    out=$(python3 -c "$RUNNER" "$limit" "$dir/$tool.$cap.err" "$@")
    read -r wall cpu user sys rss code <<<"$out"
    if [ "$code" != 0 ]; then
        echo "bench: $tool on $cap: exit $code: $(head -c 300 "$dir/$tool.$cap.err")" >&2
        [ "$code" = timeout ] || exit 1
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cap" "$tool" "$wall" "$cpu" "$user" "$sys" \
        "$rss" "$code" >>"$results"
}

stats() { python3 -c "$STATS" "$1" "$2" "$results"; }

# ---- the captures ----

declare -A gen_args
if [ "$quick" = 1 ]; then
    gen_args[large]="--sessions 1500 --open 200 --body 16384"
    gen_args[short]="--short --sessions 100000 --open 10000 --body 256"
    gen_args[open100k]="--short --sessions 120000 --open 100000 --body 256 --pace 10"
    gen_args[msg50m]="--sessions 1 --open 1 --body 52428800 --fail-every 0"
    gen_args[msg5k]="--sessions 1 --open 1 --body 5120 --fail-every 0"
else
    gen_args[large]="--sessions 12000 --open 200 --body 16384"
    gen_args[short]="--short --sessions 1000000 --open 10000 --body 256"
    gen_args[open100k]="--short --sessions 300000 --open 100000 --body 256 --pace 10"
    gen_args[msg50m]="--sessions 3 --open 1 --body 52428800 --fail-every 0"
    gen_args[msg5k]="--sessions 3 --open 1 --body 5120 --fail-every 0"
fi
captures="large short open100k msg50m msg5k"

# A capture is kept while benchgen and its arguments are unchanged.
make_capture() {
    local cap=$1 file=$dir/$1.pcap stamp=$dir/$1.args
    local want
    want="${gen_args[$cap]} $(cksum <"$build/benchgen")"
    if [ -f "$file" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    rm -f "$stamp"
    # shellcheck disable=SC2086 # the arguments are words
    "$build/benchgen" ${gen_args[$cap]} "$file" >"$dir/$cap.gen"
    echo "$want" >"$stamp"
}

# What the capture holds, from floor_pcap's count: packets and bytes of the file.
packets_of() { grep -o '[0-9]* packets' "$dir/floor_pcap.$1.out" | cut -d' ' -f1; }
size_of() { stat -c %s "$dir/$1.pcap"; }

# ---- the report ----

machine() {
    local cpu
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
    echo "machine: $(nproc) CPUs, $cpu," \
        "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
    echo "versions: smtpscope $("$smtpscope" --version 2>&1 | head -1 | awk '{print $2}')" \
        "($(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo '?'))," \
        "libnids $(dpkg-query -W -f='${Version}' libnids1.21 2>/dev/null || echo '?')," \
        "libpcap $(dpkg-query -W -f='${Version}' libpcap0.8 2>/dev/null || echo '?')," \
        "tshark $(tshark --version 2>/dev/null | head -1 | awk '{print $3}' || true)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" \
        "(other processes on the machine inflate wall times more than CPU times)"
}

# row CAPTURE TOOL: one line of the table.
row() {
    local cap=$1 tool=$2 s
    s=$(stats "$cap" "$tool") || return 0
    read -r wall cpu _ _ rss n cpu_min <<<"$s"
    python3 -c '
import sys
cap, tool, wall, cpu, cpu_min, rss, n, size, pkts = sys.argv[1:]
wall, cpu, size, pkts = float(wall), float(cpu), int(size), int(pkts)
print("%-9s %-13s %8.3f %8.3f %8.3f %9.1f %9.1f %10.0f %8.1f  %s" % (cap, tool, wall, cpu,
      float(cpu_min), size / 1e6 / wall, size / 1e6 / cpu, pkts / wall, int(rss) / 1024, n))
' "$cap" "$tool" "$wall" "$cpu" "$cpu_min" "$rss" "$n" "$(size_of "$cap")" "$(packets_of "$cap")"
}

header() {
    printf '%-9s %-13s %8s %8s %8s %9s %9s %10s %8s  %s\n' capture tool "wall s" "cpu s" \
        "min cpu" "MB/s" "MB/cpu-s" "packets/s" "RSS MB" runs
}

# field CAPTURE TOOL NAME: one median (wall, cpu or rss in KB) of a tool on a capture.
field() {
    local s
    s=$(stats "$1" "$2") || return 1
    read -r wall cpu _ _ rss _ <<<"$s"
    case $3 in wall) echo "$wall" ;; cpu) echo "$cpu" ;; rss) echo "$rss" ;; esac
}

# calc EXPRESSION ARGS...: a python expression over a[0], a[1]...
calc() {
    local e=$1
    shift
    python3 -c "import sys; a = [float(x) for x in sys.argv[1:]]; print($e)" "$@"
}

# ratio CAPTURE TOOL_A TOOL_B wall|cpu: median of A over median of B.
ratio() { calc "'%.2f' % (a[0] / a[1])" "$(field "$1" "$2" "$4")" "$(field "$1" "$3" "$4")"; }

rss_mb() { calc "'%.1f' % (a[0] / 1024)" "$(field "$1" "$2" rss)"; }

# Packets per CPU-second: on a shared machine the CPU time is the steadier measure.
pps() { calc "'%.0f' % (a[0] / a[1])" "$(packets_of "$1")" "$(field "$1" "$2" cpu)"; }

# One run that keeps the JSON summary, to check what smtpscope found (not timed).
summary() {
    local cap=$1 out
    shift
    out=$dir/summary.$cap$(echo "$*" | tr -c 'a-z0-9\n' '_').json
    "$smtpscope" --json "$@" -r "$dir/$cap.pcap" | tail -n 1 >"$out"
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
r = s["reassembly"]
print("  %s%s: %d sessions, %d flagged, %d messages, %d split EOD unanswered, evicted %d,"
      " idle-expired %d, tcp warnings %d" % (sys.argv[2], sys.argv[3], s["sessions"], s["flagged"],
      s["messages"], s["eod"]["split"] - s["eod"]["split_acknowledged"], r["evicted"],
      r["idle_expired"], r["tcp_warnings"]))
' "$out" "$cap" "${*:+ ($*)}"
}

# ---- the runs ----

: >"$results"
note=""
[ "$quick" = 0 ] || note=" (BENCH_QUICK: smaller captures, not for the record)"
echo "== smtpscope benchmark$note"
machine
echo "== captures in $dir"
for cap in $captures; do
    make_capture "$cap"
    cat "$dir/$cap.gen"
done

echo "== runs ($large_runs of each tool on the large capture, $runs on the others, interleaved;" \
    "page cache warm: each file is read once first)"
for cap in large short open100k; do
    cat "$dir/$cap.pcap" >/dev/null
    "$build/floor_pcap" "$dir/$cap.pcap" >"$dir/floor_pcap.$cap.out"
    n=$runs
    [ $cap != large ] || n=$large_runs
    for ((i = 1; i <= n; i++)); do
        measure "$cap" floor_pcap 0 "$build/floor_pcap" "$dir/$cap.pcap"
        measure "$cap" floor_nids 0 "$build/floor_nids" "$dir/$cap.pcap"
        measure "$cap" smtpscope 0 "$smtpscope" --json -r "$dir/$cap.pcap"
    done
done
for cap in msg50m msg5k; do
    cat "$dir/$cap.pcap" >/dev/null
    "$build/floor_pcap" "$dir/$cap.pcap" >"$dir/floor_pcap.$cap.out"
    for ((i = 1; i <= runs; i++)); do
        measure "$cap" smtpscope 0 "$smtpscope" --json -r "$dir/$cap.pcap"
    done
done
# The table at its limit: 100,000 connections open, room for 50,000.
measure open100k "smtpscope@50k" 0 "$smtpscope" --json --max-streams 50000 -r "$dir/open100k.pcap"
have_tshark=0
if command -v tshark >/dev/null && [ "$tshark_runs" -gt 0 ]; then
    have_tshark=1
    for ((i = 1; i <= tshark_runs; i++)); do
        measure large tshark "$tshark_limit" tshark -r "$dir/large.pcap" -Y smtp
    done
fi

echo "== medians"
header
for cap in large short open100k; do
    for tool in floor_pcap floor_nids smtpscope; do row "$cap" "$tool"; done
done
row open100k "smtpscope@50k"
row large tshark
for cap in msg50m msg5k; do row "$cap" smtpscope; done

echo "== what smtpscope found (one more run each, output kept)"
for cap in large short open100k msg50m msg5k; do summary "$cap"; done
summary open100k --max-streams 50000
"$smtpscope" --max-streams 50000 -r "$dir/open100k.pcap" >"$dir/text.open100k" 2>&1 || true
grep -m1 "evicted" "$dir/text.open100k" | sed 's/^ */  text summary (--max-streams 50000): /' ||
    echo "  text summary (--max-streams 50000): no line about evicted sessions"

echo "== targets"
verdict() { calc "'met' if $1 else 'MISSED'" "${@:2}"; }
r_cpu=$(ratio large smtpscope floor_nids cpu)
r_wall=$(ratio large smtpscope floor_nids wall)
echo "smtpscope / libnids floor on the large capture: $r_cpu (CPU), $r_wall (wall);" \
    "target <= 1.3: $(verdict "a[0] <= 1.3" "$r_cpu")"
echo "smtpscope / libpcap floor on the large capture: $(ratio large smtpscope floor_pcap cpu)" \
    "(CPU), $(ratio large smtpscope floor_pcap wall) (wall)"
if [ $have_tshark = 1 ]; then
    r_t=$(ratio large tshark smtpscope wall)
    timeouts=$(awk -F'\t' '$2 == "tshark" && $8 == "timeout"' "$results" | wc -l)
    bound=""
    [ "$timeouts" -eq 0 ] || bound=", a lower bound: tshark was stopped after ${tshark_limit} s"
    echo "tshark / smtpscope on the large capture: $r_t (wall)$bound;" \
        "target >= 50: $(verdict "a[0] >= 50" "$r_t")"
else
    echo "tshark / smtpscope: tshark not installed (tools/install-deps.sh real), not measured"
fi
rss=$(rss_mb short smtpscope)
sessions=$(grep -o '^[^ ]* [0-9]* sessions' "$dir/short.gen" | cut -d' ' -f2)
echo "peak RSS on the capture of $sessions short sessions ($(packets_of short) packets):" \
    "$rss MB; target < 256 MB: $(verdict "a[0] < 256" "$rss")"
rss50=$(rss_mb msg50m smtpscope)
rss5=$(rss_mb msg5k smtpscope)
echo "peak RSS with 50 MB messages: $rss50 MB, with 5 KB messages: $rss5 MB; target: no more" \
    "(1 MB of allocator noise allowed): $(verdict "a[0] <= a[1] + 1" "$rss50" "$rss5")"
p100=$(pps open100k smtpscope)
p10=$(pps short smtpscope)
echo "packets per CPU-second with 100,000 connections open: $p100, with 10,000 open: $p10" \
    "(same sessions);" \
    "target: at least 0.8 of it: $(verdict "a[0] >= 0.8 * a[1]" "$p100" "$p10")"
echo "  the libnids floor on the same two: $(pps open100k floor_nids) and" \
    "$(pps short floor_nids);" \
    "smtpscope / floor: $(ratio open100k smtpscope floor_nids cpu) and" \
    "$(ratio short smtpscope floor_nids cpu) (CPU)"
echo "results: $results"

# Where smtpscope's time goes on the large capture: the functions with the most samples, and
# the pipeline's stages with their callees.
if [ "$profile" = 1 ]; then
    echo "== profile of smtpscope on the large capture (perf, cpu-clock)"
    perf record -q -e cpu-clock -F 2000 --call-graph dwarf,16384 -o "$dir/perf.data" \
        "$smtpscope" --json -r "$dir/large.pcap" >/dev/null 2>"$dir/perf.err"
    echo "-- self"
    perf report -i "$dir/perf.data" --no-children --sort dso,sym --stdio -g none \
        >"$dir/perf.self" 2>/dev/null
    awk '/%/ && n++ < 25' "$dir/perf.self"
    echo "-- with callees"
    perf report -i "$dir/perf.data" --children --sort sym --stdio -g none >"$dir/perf.children" \
        2>/dev/null
    stages='sniff_loop|pcap_next_ex|feed|nids_pcap_handler|process_tcp|on_ip|deliver|smtp_feed'
    stages="$stages|feed_body|on_end|report_session|json_session|correlate_session|tcp_init"
    grep -E "%.*\\] ($stages)\$" \
        "$dir/perf.children" || true
fi
