#!/bin/bash
# Resource limits: a SYN flood and a flood of completed handshakes cost memory bounded by
# --max-streams, whatever the number of connections; data held behind a hole in the
# sequence space is bounded per stream; what was shed is counted in the summary. Peak RSS
# comes from /usr/bin/time. The captures (21, 63 and 74 MB) are made in a temporary
# directory and removed.
# Usage: tests/limits/run.sh BINARY   (a build without ASan: its RSS is the real one)
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
t_init limits
t_binary "${1:-}"
N=300000

python3 "$here/tests/limits/make-flood.py" "$tmp/syn.pcap" $N syn || exit 2
python3 "$here/tests/limits/make-flood.py" "$tmp/handshake.pcap" $N handshake || exit 2
python3 "$here/tests/limits/make-flood.py" "$tmp/gap.pcap" 50000 gap || exit 2

# measure CAPTURE LIMIT_KB [OPTIONS...]: runs the JSON report, checks the peak RSS
measure() {
    local pcap=$1 limit=$2
    shift 2
    /usr/bin/time -f %M -o "$tmp/rss" "$bin" --json "$@" -r "$tmp/$pcap" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    rss=$(tail -1 "$tmp/rss")
    summary=$(tail -1 "$tmp/out")
    # the first of each: the summary's own, before the pop3 object's "sessions"
    evicted=$(grep -o '"evicted":[0-9]*' <<<"$summary" | head -1 | cut -d: -f2)
    sessions=$(grep -o '"sessions":[0-9]*' <<<"$summary" | head -1 | cut -d: -f2)
    echo "limits: $pcap ${*:-(defaults)}: peak RSS $((rss / 1024)) MB, $sessions sessions, $evicted evicted"
    [ "$rc" -eq 0 ] || { bad "$pcap $*: exit $rc: $(head -c 300 "$tmp/err")"; return 1; }
    [ "$rss" -lt "$limit" ] || { bad "$pcap $*: peak RSS $rss KB, limit $limit KB"; return 1; }
    ok
}

# Half-open connections never become sessions: only libnids' fixed table costs memory.
measure syn.pcap $((160 * 1024)) && { [ "$sessions" -eq 0 ] && ok || bad "SYN flood made sessions"; }
# The flood (one SYN a millisecond, each from its own address, for 300 s) is 20
# connect_failed lines a minute and one connect_failed_burst line for the rest of each
# minute, not a line per connection; together they count every attempt the summary does.
lines=$(grep -c '"type":"connect_failed"' "$tmp/out")
bursts=$(grep -c '"type":"connect_failed_burst"' "$tmp/out")
in_bursts=$(grep '"type":"connect_failed_burst"' "$tmp/out" | grep -o '"connections":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')
failed=$(grep -o '"connect_failed":[0-9]*' <<<"$summary" | head -1 | cut -d: -f2)
echo "limits: SYN flood: $lines connect_failed lines, $bursts burst lines holding $in_bursts, summary $failed"
if [ "$lines" -le $((20 * 6)) ] && [ "$bursts" -ge 5 ] && [ $((lines + in_bursts)) -eq "$failed" ]; then
    ok
else
    bad "SYN flood: $lines lines and $bursts bursts of $in_bursts do not add up to $failed, or too many lines"
fi

# Completed handshakes do become sessions; past --max-streams the oldest are evicted. The
# bound: 24 MB, plus 8 KB per stream the table may follow, plus 256 bytes per distinct client
# host (report/correlate.c keeps one record per client for the whole capture, uncapped: each
# connection of this flood comes from its own address).
for streams in 1024 16384 262144; do
    limit=$((24 * 1024 + streams * 8 + N * 256 / 1024)) # KB
    if measure handshake.pcap $limit --max-streams $streams; then
        [ "$sessions" -eq $N ] && ok || bad "handshake flood: $sessions sessions, expected $N"
        [ "$evicted" -ge $((N - 2 * streams)) ] && ok || bad "handshake flood: only $evicted evicted"
    fi
done

# 70 MB of segments waiting behind a hole in a 1 GiB window: libnids drops its queue each
# time it passes 64 KiB (a TCP warning each time) instead of keeping them.
if measure gap.pcap $((32 * 1024)) --max-streams 1024; then
    warnings=$(grep -o '"tcp_warnings":[0-9]*' <<<"$summary" | head -1 | cut -d: -f2)
    [ "$warnings" -gt 0 ] && ok || bad "gap: no TCP warning for the pruned queue"
fi

# The text summary says what was shed.
"$bin" --max-streams 1024 -r "$tmp/handshake.pcap" >"$tmp/text" 2>&1
if grep -q "sessions evicted (table full)" "$tmp/text"; then ok
else bad "text summary does not say sessions were evicted"; fi

echo "resource limits with $(basename "$bin") done"
t_done
