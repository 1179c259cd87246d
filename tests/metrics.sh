#!/bin/bash
# --stats and --metrics against the real thing: smtpscope reads a bundled capture with
# --stats 60 (capture time) and --metrics into a directory that Debian's
# prometheus-node-exporter, started here on loopback with only its textfile collector, reads;
# its /metrics, fetched over HTTP, must carry smtpscope's series with the values of the run's
# JSON (the summary and the final stats line); promtool (Debian's prometheus) must pass the
# file with no lint warning. Also: the stats lines of a file run are the same every time
# (tests/metrics/sample.stats.jsonl, the memory figure aside), and a metrics directory the
# run cannot write once root is given up is refused at once (exit status 2), and
# contrib/smtpscope.service passes systemd-analyze verify (when systemd is installed).
#
# Usage: tests/metrics.sh [BINARY]   (default build/smtpscope)
# Missing tools are installed with apt-get when root (tools/install-deps.sh); not root and
# missing: SKIP (FAIL with CI=true). KEEP=1 keeps the work directory.
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init metrics
t_binary "${1:-}" build/smtpscope
cd "$here"
D=$tmp
pcap=pcaps/sample.pcap
EXPORTER=""

[ -x "$bin" ] || {
    echo "FAIL: metrics: no binary $bin (make build/smtpscope)" >&2
    exit 1
}
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus-node-exporter >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || t_unable "needs promtool and prometheus-node-exporter (apt-get install prometheus prometheus-node-exporter)"
    tools/install-deps.sh --packages "prometheus prometheus-node-exporter" ||
        t_unable "cannot install prometheus and prometheus-node-exporter"
fi

stop_exporter() {
    [ -n "$EXPORTER" ] || return 0
    kill "$EXPORTER" 2>/dev/null || true
    wait "$EXPORTER" 2>/dev/null || true
    EXPORTER=""
}
t_on_exit stop_exporter

# The user smtpscope runs as after giving root up (-Z's default), who must write the directory.
run_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
    run_user=nobody
    id -u smtpscope >/dev/null 2>&1 && run_user=smtpscope
fi

# ---------------------------------------------------------------- the run

# As contrib/smtpscope.service does it: the file in a directory of that user's, a symbolic
# link to it in node_exporter's textfile directory (which belongs to root on Debian).
mkdir "$D/textfile" "$D/state" "$D/closed"
chmod 755 "$D" # mktemp's 0700 would keep that user out
chown "$run_user" "$D/state"
chmod 755 "$D/closed"
prom=$D/state/smtpscope.prom
ln -s "$prom" "$D/textfile/smtpscope.prom"
rc=0
"$bin" -r "$pcap" --json --stats 60 --metrics "$prom" >"$D/run.jsonl" 2>"$D/run.err" || rc=$?
check "smtpscope --stats --metrics exits 0 (as $run_user after root)" [ "$rc" -eq 0 ]
[ -s "$D/run.err" ] && bad "smtpscope wrote to stderr: $(head -c 300 "$D/run.err")"
check "the metrics file is there" [ -s "$prom" ]
check "no temporary file is left beside it" [ ! -e "$prom.tmp" ]

# The stats lines of a file run: on capture time, the same every run but for the memory.
{ grep '"type":"stats"' "$D/run.jsonl" || true; } | sed 's/,"rss_bytes":[0-9]*//' >"$D/stats.jsonl"
if cmp -s "$D/stats.jsonl" tests/metrics/sample.stats.jsonl; then
    ok "the stats lines are the expected ones (periods of 60 s of capture time, a final one)"
else
    bad "the stats lines differ from tests/metrics/sample.stats.jsonl: $(diff tests/metrics/sample.stats.jsonl "$D/stats.jsonl" | head -c 600)"
fi
check "every stats line has the process's memory" \
    [ "$(grep '"type":"stats"' "$D/run.jsonl" | grep -c '"rss_bytes":[1-9]')" -eq "$(wc -l <"$D/stats.jsonl")" ]
summary=$(grep '"type":"summary"' "$D/run.jsonl" || true)
final=$(grep '"type":"stats"' "$D/run.jsonl" | grep '"final":true' || true)
check "the summary comes after the final stats line" [ "$(tail -n 1 "$D/run.jsonl")" = "$summary" ]

# json_num TEXT KEY: the first "KEY":number in TEXT.
json_num() { printf '%s' "$1" | grep -o "\"$2\":[0-9]*" | head -n 1 | cut -d: -f2; }
# The SMTP flags object of the summary (its first "flags"; POP3's comes later), inside.
smtp_flags=$(printf '%s' "$summary" | grep -o '"flags":{[^}]*}' | head -n 1 | sed 's/^"flags":{//; s/}$//')

# ---------------------------------------------------------------- promtool

if promtool check metrics <"$prom" >"$D/promtool.out" 2>&1; then
    ok "promtool check metrics passes"
else
    bad "promtool check metrics fails: $(head -c 600 "$D/promtool.out")"
fi
check "promtool has no lint warning" [ ! -s "$D/promtool.out" ]

# ---------------------------------------------------------------- node_exporter

# start_exporter PORT: node_exporter on 127.0.0.1:PORT with only the textfile collector; true
# once it answers, false when it exits (the port taken).
start_exporter() {
    prometheus-node-exporter --collector.disable-defaults --collector.textfile \
        --collector.textfile.directory "$D/textfile" --web.listen-address "127.0.0.1:$1" \
        >"$D/exporter.log" 2>&1 &
    EXPORTER=$!
    wait_until 30 fetch "$1" "$D/metrics.txt" && return 0
    stop_exporter
    return 1
}
# fetch PORT FILE: GET /metrics over loopback (bash's /dev/tcp: no client needed), body only.
fetch() {
    t_gone "$EXPORTER" && return 1
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    tr -d '\r' <&3 | sed '1,/^$/d' >"$2"
    exec 3<&-
    grep -q '^node_textfile_scrape_error' "$2"
}
port=""
for _ in 1 2 3 4 5; do
    p=$((20000 + (RANDOM % 20000)))
    if start_exporter "$p"; then
        port=$p
        break
    fi
done
[ -n "$port" ] || {
    bad "node_exporter did not serve /metrics on loopback (5 ports tried): $(tail -c 400 "$D/exporter.log")"
    t_done
}
ok "node_exporter serves /metrics on 127.0.0.1:$port"
M=$D/metrics.txt

# value METRIC [LABEL=\"VALUE\"...]: the value of the series with those labels (in any order),
# as a whole number.
value() {
    local name=$1
    shift
    awk -v name="$name" -v want="$*" '
        index($0, name) == 1 && (substr($0, length(name) + 1, 1) == " " || substr($0, length(name) + 1, 1) == "{") {
            n = split(want, w, " "); found = 1
            for (i = 1; i <= n; i++) if (index($0, w[i]) == 0) found = 0
            if (found) { printf "%.0f\n", $NF; exit } # Go writes 5.5296e+06
        }' "$M"
}
# expect WHAT GOT WANT
expect() {
    if [ -n "$2" ] && [ "$2" = "$3" ]; then ok "$1 = $3"; else bad "$1: '$2', expected '$3'"; fi
}

expect "node_textfile_scrape_error" "$(value node_textfile_scrape_error)" 0
check "node_exporter saw the file" grep -q '^node_textfile_mtime_seconds{file=.*smtpscope.prom' "$M"
expect "smtpscope_packets_total" "$(value smtpscope_packets_total)" "$(json_num "$summary" packets)"
expect "smtpscope_packets_matched_total" "$(value smtpscope_packets_matched_total)" "$(json_num "$summary" packets_matched)"
expect "smtp sessions" "$(value smtpscope_sessions_total 'protocol="smtp"')" "$(json_num "$summary" sessions)"
expect "pop3 sessions" "$(value smtpscope_sessions_total 'protocol="pop3"')" \
    "$(printf '%s' "$summary" | sed 's/.*"pop3":{"sessions":\([0-9]*\).*/\1/')"
expect "smtpscope_flagged_sessions_total" "$(value smtpscope_flagged_sessions_total)" "$(json_num "$final" flagged)"
for kv in $(printf '%s' "$smtp_flags" | tr ',' ' ' | tr -d '"'); do
    flag=${kv%%:*}
    expect "smtp flag $flag" "$(value smtpscope_flags_total 'protocol="smtp"' "flag=\"$flag\"")" "${kv#*:}"
done
check "the summary has SMTP flags counted" [ "$(printf '%s' "$smtp_flags" | grep -o ':[1-9]' | wc -l)" -ge 3 ]
expect "pop3 flag pop3_retr_cut" "$(value smtpscope_flags_total 'protocol="pop3"' 'flag="pop3_retr_cut"')" 0
expect "smtpscope_duplicate_groups_total" "$(value smtpscope_duplicate_groups_total)" "$(json_num "$final" duplicate_groups)"
check "duplicate groups were counted" [ "$(value smtpscope_duplicate_groups_total)" -ge 1 ]
expect "smtpscope_correlation_expired_total" "$(value smtpscope_correlation_expired_total)" "$(json_num "$final" expired)"
expect "smtpscope_correlation_bytes" "$(value smtpscope_correlation_bytes)" "$(json_num "$final" bytes)"
expect "smtpscope_open_sessions" "$(value smtpscope_open_sessions)" 0
expect "kernel drops" "$(value smtpscope_drops_total 'where="kernel"')" 0
expect "smtpscope_not_analysed_total" "$(value smtpscope_not_analysed_total)" "$(json_num "$summary" not_analysed)"
expect "smtpscope_connect_failed_total" "$(value smtpscope_connect_failed_total)" "$(json_num "$summary" connect_failed)"
rss=$(value smtpscope_resident_bytes)
check "smtpscope_resident_bytes is a size ($rss)" [ "${rss:-0}" -gt 100000 ]
check "a file run has no interface gauge" [ -z "$(value smtpscope_interface_up)" ]
stop_exporter

# ---------------------------------------------------------------- refusals

if [ "$(id -u)" -eq 0 ] && [ "$run_user" != root ]; then
    rc=0
    "$bin" -r "$pcap" --metrics "$D/closed/x.prom" >/dev/null 2>"$D/closed.err" || rc=$?
    check "a metrics directory $run_user cannot write: exit status 2 (got $rc)" [ "$rc" -eq 2 ]
    check "... said at once, naming the file and -Z" grep -q 'closed/x.prom.tmp.*-Z' "$D/closed.err"
fi
rc=0
"$bin" -r "$pcap" --stats 60 --workers 2 >/dev/null 2>"$D/workers.err" || rc=$?
check "--stats with --workers 2 is refused (exit status 2)" [ "$rc" -eq 2 ]
check "... with a message" grep -q -- '--workers 1' "$D/workers.err"

# ---------------------------------------------------------------- the unit

# Verified with this binary in ExecStart and this man page on MANPATH (verify runs both).
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$D/unit" "$D/man/man1"
    cp smtpscope.1 "$D/man/man1/"
    sed "s#/usr/local/bin/smtpscope#$bin#" contrib/smtpscope.service >"$D/unit/smtpscope.service"
    if MANPATH=$D/man systemd-analyze verify "$D/unit/smtpscope.service" >"$D/verify.out" 2>&1; then
        ok "systemd-analyze verify contrib/smtpscope.service"
    else
        bad "systemd-analyze verify contrib/smtpscope.service: $(head -c 600 "$D/verify.out")"
    fi
else
    echo "info: metrics: no systemd-analyze here: contrib/smtpscope.service not verified"
fi
t_done
