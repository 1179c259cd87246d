#!/bin/bash
# The capture interface going down, coming back and going away, live: smtpscope -i on one end
# of a veth pair between two network namespaces, with --json --stats 1 --metrics.
#
#   smtpscope-ic-PID  10.78.0.1/24  licPID   tests/live/client.py
#        | veth
#   smtpscope-is-PID  10.78.0.2/24  lisPID   tests/live/server.py on port 25, and
#                                            smtpscope -i lisPID --json --stats 1 --metrics
#
# Checked: stats lines come each second while no packet does (the wall clock); "ip link set
# lisPID down" is said on stderr, in the stats ("state":"down") and the metrics gauge
# (smtpscope_interface_up 0); "up" again likewise, and a session after it is still analysed
# (streamed while the capture runs); the peer down (no carrier) and back; then down once more
# and deleted: smtpscope ends with exit status 2 and libpcap's "The interface disappeared"
# (libpcap alone would wait for ever on an interface deleted while down), a final stats line
# with "state":"gone" and the summary.
#
# Usage: tests/live-iface.sh [BINARY]   (default build/smtpscope; as root)
# Not root, or no network namespaces: "SKIP: ..." (FAIL with CI=true). KEEP=1 keeps the work
# directory. Every wait is for a condition, polled, with a generous limit.
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init live-iface
t_binary "${1:-}" build/smtpscope
cd "$here"
live=tests/live

[ "$(id -u)" -eq 0 ] || t_skip "needs root (network namespaces, live capture)"
[ -x "$bin" ] || {
    echo "FAIL: live-iface: no binary $bin (make build/smtpscope)" >&2
    exit 1
}
for tool in ip python3 timeout; do
    command -v "$tool" >/dev/null 2>&1 || t_unable "$tool is not installed (tools/install-deps.sh test)"
done

NSC=smtpscope-ic-$$
NSS=smtpscope-is-$$
VC=lic$$
VS=lis$$
D=$tmp
PIDS=""
NETNS=""
iface_cleanup() {
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done
    # shellcheck disable=SC2086 # a list of names
    t_netns_del $NETNS
}
t_on_exit iface_cleanup
show_logs() {
    for f in scope.err server.log client.err; do
        [ -s "$D/$f" ] && { echo "---- $f"; tail -n 20 "$D/$f"; }
    done
    return 0
}
die() {
    bad "$*"
    show_logs
    t_done
}

ip netns add "$NSC" 2>"$D/netns.err" || t_unable "cannot create a network namespace: $(cat "$D/netns.err")"
NETNS=$NSC
ip netns add "$NSS" 2>"$D/netns.err" || t_unable "cannot create a network namespace: $(cat "$D/netns.err")"
NETNS="$NSC $NSS"
ip link add "$VC" netns "$NSC" type veth peer name "$VS" netns "$NSS" 2>"$D/netns.err" ||
    t_unable "cannot create a veth pair: $(cat "$D/netns.err")"
ip -n "$NSC" addr add 10.78.0.1/24 dev "$VC"
ip -n "$NSS" addr add 10.78.0.2/24 dev "$VS"
for ns in "$NSC:$VC" "$NSS:$VS"; do
    ip -n "${ns%%:*}" link set lo up
    ip -n "${ns%%:*}" link set "${ns#*:}" up
done

ip netns exec "$NSS" python3 "$live/server.py" --ready "$D/server.ready" 2>"$D/server.log" &
server=$!
PIDS="$PIDS $server"
wait_until 30 test -s "$D/server.ready" || die "server.py did not start listening within 30 s"

# Root is given up once the capture is open: the metrics directory is that user's.
mkdir "$D/prom"
chmod 755 "$D"
user=nobody
id -u smtpscope >/dev/null 2>&1 && user=smtpscope
chown "$user" "$D/prom"
prom=$D/prom/smtpscope.prom
ip netns exec "$NSS" "$bin" -i "$VS" --json --stats 1 --metrics "$prom" >"$D/scope.jsonl" 2>"$D/scope.err" &
scope=$!
PIDS="$PIDS $scope"
capturing() { [ "$(awk '/^Uid:/ { print $2 }' "/proc/$scope/status" 2>/dev/null)" = "$(id -u "$user")" ]; }
wait_until 30 capturing || die "smtpscope -i $VS did not start capturing as $user within 30 s: $(head -c 300 "$D/scope.err")"

stats_lines() { grep -c '"type":"stats"' "$D/scope.jsonl" 2>/dev/null || true; }
# last_state STATE: the latest stats line says the interface is in STATE.
last_state() { grep '"type":"stats"' "$D/scope.jsonl" | tail -n 1 | grep -q "\"interface\":{\"name\":\"$VS\",\"state\":\"$1\"}"; }
gauge_is() { grep -q "^smtpscope_interface_up{interface=\"$VS\"} $1\$" "$prom" 2>/dev/null; }
said() { grep -q "$1" "$D/scope.err"; }
sessions() { grep -c '"type":"session"' "$D/scope.jsonl" 2>/dev/null || true; }
stats_at_least() { [ "$(stats_lines)" -ge "$1" ]; }
sessions_over() { [ "$(sessions)" -gt "$1" ]; }

# While nothing is sent: lines on the clock.
n0=$(stats_lines)
if wait_until 10 stats_at_least $((n0 + 3)); then
    ok "stats lines come each second while the link is idle"
else
    bad "only $(($(stats_lines) - n0)) stats lines in 10 s of an idle link with --stats 1"
fi
check "the stats say the interface is up" last_state up
check "the metrics gauge says it is up" gauge_is 1

# Down, then up: said, in the stats and the gauge.
ip -n "$NSS" link set "$VS" down
check "'interface $VS is down' on stderr" wait_until 10 said "interface $VS is down; waiting for it to come back"
check "the stats say down" wait_until 10 last_state down
check "the metrics gauge says 0" wait_until 10 gauge_is 0
check "smtpscope keeps running while the interface is down" kill -0 "$scope"
ip -n "$NSS" link set "$VS" up
check "'interface $VS is up again' on stderr" wait_until 10 said "interface $VS is up again"
check "the stats say up again" wait_until 10 last_state up
check "the metrics gauge says 1 again" wait_until 10 gauge_is 1

# A session after it came back is analysed (and streamed before the capture ends).
before=$(sessions)
ip netns exec "$NSC" timeout 30 python3 "$live/client.py" clean 10.78.0.2 >"$D/client.out" 2>"$D/client.err" ||
    bad "client clean after the interface came back: $(tail -n 3 "$D/client.err")"
if wait_until 20 sessions_over "$before"; then
    ok "a session after the interface came back is analysed"
else
    bad "no session line within 20 s of a session after the interface came back"
fi

# The peer down: no carrier here.
ip -n "$NSC" link set "$VC" down
check "'has no link (no carrier)' on stderr" wait_until 10 said "interface $VS has no link (no carrier)"
check "the stats say no_carrier" wait_until 10 last_state no_carrier
ip -n "$NSC" link set "$VC" up
check "... and up again" wait_until 10 last_state up

# Down, then deleted: the end, with libpcap's words.
ip -n "$NSS" link set "$VS" down
wait_until 10 last_state down || bad "the second down was not seen"
ip -n "$NSS" link del "$VS"
if wait_until 15 t_gone "$scope"; then
    rc=0
    wait "$scope" || rc=$?
    check "a deleted interface ends smtpscope with exit status 2 (got $rc)" [ "$rc" -eq 2 ]
    check "... saying so" said "interface $VS: capture failed after [0-9]* packets: The interface disappeared"
    check "... after a final stats line saying gone" \
        grep -q "\"final\":true.*\"interface\":{\"name\":\"$VS\",\"state\":\"gone\"}" "$D/scope.jsonl"
    check "... and the summary" grep -q '"type":"summary".*"read_error":"The interface disappeared"' "$D/scope.jsonl"
    check "... the metrics gauge 0" gauge_is 0
else
    die "smtpscope still runs 15 s after its interface was deleted"
fi
kill -KILL "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true # reaped here: bash would say "Killed"
[ "$fail" -eq 0 ] || show_logs
t_done
