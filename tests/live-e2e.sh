#!/bin/bash
# Live capture end to end: smtpscope -i on one end of a veth pair between two network
# namespaces, real SMTP traffic over IPv4 and IPv6 from tests/live/client.py to
# tests/live/server.py, then tests/live/check.py on the JSON Lines it streamed.
#
#   smtpscope-lc-PID  10.77.0.1/24 fd77::1/64  lvcPID   clients (tests/live/client.py)
#        | veth
#   smtpscope-ls-PID  10.77.0.2/24 fd77::2/64  lvsPID   server.py on port 25, and
#                                                       smtpscope -i lvsPID --json -w live.pcap
#
# Checked: exit status 0 after SIGINT, valid JSON Lines ending with the summary (source
# "interface lvsPID", dropped counts), a clean session over IPv4 and one over IPv6, a
# terminator split CRLF|.CRLF and never answered (split_eod_unacked, missing_quit), a session
# still open at the end (capture_end); the -w file analysed with -r gives the same sessions;
# root is dropped (to 'smtpscope', else 'nobody') while capturing, kept with -Z root; -w onto a
# symbolic link and an unknown interface are refused with exit status 2; --workers 2 on the
# same traffic (AF_PACKET fanout) finds the same sessions, with root given up in every process;
# a message sent three times gives its duplicate group while the capture runs (after attempts
# 2 and 3), then final, and -r --stream on that capture's -w file writes the same lines;
# rotation of the -w file: -G 1 -W 3 leaves 3 files (strftime names) and ends by itself, -C
# splits at the size (tcpdump's rule: over the size before a frame), -C -W 3 goes round a ring
# of 3 files (the first created by root, overwritten later by the user), each file read by -r, the
# files made by the unprivileged user, every frame read in one of them, a capture_file line
# for each (tests/live/check_rotation.py); bad rotation options exit 2.
#
# Usage: tests/live-e2e.sh [BINARY]   (default build/smtpscope; as root)
# Not root, or no network namespaces: "SKIP: ..." and exit 0, except that with CI=true a root
# run that cannot make its namespaces fails. KEEP=1 keeps the work directory.
#
# Every wait is for a condition (a file written, a uid changed, a socket open, a process
# gone), polled, with a generous limit, so that a loaded machine only makes it slower.
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init live-e2e
t_binary "${1:-}" build/smtpscope
t_verbose=1
cd "$here"
live=tests/live

[ "$(id -u)" -eq 0 ] || t_skip "needs root (network namespaces, live capture)"
[ -x "$bin" ] || {
    echo "FAIL: live-e2e: no binary $bin (make build/smtpscope)" >&2
    exit 1
}
for tool in ip python3 timeout pgrep; do
    command -v "$tool" >/dev/null 2>&1 || t_unable "$tool is not installed (tools/install-deps.sh test)"
done

NSC=smtpscope-lc-$$
NSS=smtpscope-ls-$$
VC=lvc$$
VS=lvs$$
D=$tmp
PIDS=""
NETNS=""
t0=$(date +%s)

# At exit: what this script started is killed, its namespaces deleted (then lib.sh removes
# the work directory).
live_cleanup() {
    for p in $PIDS; do
        kill -KILL "$p" 2>/dev/null || true
    done
    # Anything still running in our namespaces was started by this script.
    # shellcheck disable=SC2086 # a list of names
    t_netns_del $NETNS
}
t_on_exit live_cleanup

# die WHY: a failure after which nothing else can be checked.
die() {
    bad "$*"
    show_logs
    t_done
}
show_logs() {
    for f in live.err server.log clients.err open.err replay.err; do
        [ -s "$D/$f" ] || continue
        echo "---- $f"
        tail -n 30 "$D/$f"
    done
}

alive() { kill -0 "$1" 2>/dev/null; }
dead() { t_gone "$1"; }
# The real user id of process $1 ("" once it is gone).
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
uid_is_not() { u=$(uid_of "$1"); [ -n "$u" ] && [ "$u" != "$2" ]; }
file_has_line() { [ -s "$1" ] && grep -q . "$1"; }
# True once process $1 is in the server namespace (ip netns exec has moved it there) and that
# namespace has a packet socket: the capture is open.
has_packet_socket() {
    [ "$(ip netns identify "$1" 2>/dev/null)" = "$NSS" ] &&
        [ "$(wc -l <"/proc/$1/net/packet" 2>/dev/null || echo 0)" -gt 1 ]
}
# The number of session lines smtpscope has streamed so far.
streamed() { grep -c '^{ *"type": *"session"' "$D/live.jsonl" 2>/dev/null || true; }
streamed_at_least() { [ "$(streamed)" -ge "$1" ]; }

# stop PID SECONDS: SIGINT, then waits for the exit; sets $rc (or dies when it hangs).
stop_scope() {
    kill -INT "$1" 2>/dev/null || true
    wait_until "$2" dead "$1" || {
        kill -KILL "$1" 2>/dev/null || true
        die "smtpscope (pid $1) did not exit within $2 s of SIGINT"
    }
    rc=0
    wait "$1" || rc=$?
}

# ---------------------------------------------------------------- the namespaces

ip netns add "$NSC" 2>"$D/netns.err" || t_unable "cannot create a network namespace: $(cat "$D/netns.err")"
NETNS=$NSC
ip netns add "$NSS" 2>"$D/netns.err" || t_unable "cannot create a network namespace: $(cat "$D/netns.err")"
NETNS="$NSC $NSS"
ip link add "$VC" netns "$NSC" type veth peer name "$VS" netns "$NSS" 2>"$D/netns.err" ||
    t_unable "cannot create a veth pair: $(cat "$D/netns.err")"
ip -n "$NSC" link set lo up
ip -n "$NSS" link set lo up
ip -n "$NSC" addr add 10.77.0.1/24 dev "$VC"
ip -n "$NSS" addr add 10.77.0.2/24 dev "$VS"
{ ip -n "$NSC" addr add fd77::1/64 dev "$VC" nodad && ip -n "$NSS" addr add fd77::2/64 dev "$VS" nodad; } \
    2>"$D/netns.err" || t_unable "no IPv6 in the namespaces: $(cat "$D/netns.err")"
ip -n "$NSC" link set "$VC" up
ip -n "$NSS" link set "$VS" up

want_user=nobody
id -u smtpscope >/dev/null 2>&1 && want_user=smtpscope
want_uid=$(id -u "$want_user")

# ---------------------------------------------------------------- the capture

ip netns exec "$NSS" python3 "$live/server.py" --ready "$D/server.ready" 2>"$D/server.log" &
PIDS="$PIDS $!"
server_pid=$!
wait_until 30 test -s "$D/server.ready" || die "server.py did not start listening within 30 s"

# ip netns exec execs the command: $! is smtpscope itself.
ip netns exec "$NSS" "$bin" -i "$VS" --json -w "$D/live.pcap" >"$D/live.jsonl" 2>"$D/live.err" &
scope=$!
PIDS="$PIDS $scope"
# Root is given up right after the capture and its filter are set up: that is the sign it is
# capturing.
if wait_until 30 uid_is_not "$scope" 0; then
    :
elif dead "$scope"; then
    die "smtpscope -i $VS exited at once: $(cat "$D/live.err")"
else
    bad "smtpscope still runs as uid 0 after 30 s: root not dropped (expected $want_user)"
fi
sleep 0.3
u=$(uid_of "$scope")
if [ "$u" = "$want_uid" ]; then
    ok "while capturing, smtpscope runs as $want_user (uid $u)"
else
    bad "while capturing, smtpscope runs as uid '$u', expected $want_user (uid $want_uid)"
fi

# A second capture of the same traffic by two workers, which share the interface through the
# kernel's AF_PACKET fanout (a hash of each flow). Root is given up in the parent at once and in
# each worker once its capture is open.
ip netns exec "$NSS" "$bin" -i "$VS" --json --workers 2 >"$D/workers.jsonl" 2>"$D/workers.err" &
wscope=$!
PIDS="$PIDS $wscope"
workers_capturing() {
    kids=$(pgrep -P "$wscope" || true)
    [ "$(echo "$kids" | grep -c .)" -eq 2 ] || return 1
    for k in $kids; do uid_is_not "$k" 0 || return 1; done
}
if wait_until 30 workers_capturing; then
    ok "--workers 2 -i: two workers capture, none as root (parent uid $(uid_of "$wscope"))"
else
    bad "--workers 2 -i: not two unprivileged workers within 30 s: $(pgrep -P "$wscope" | tr '\n' ' ') $(head -c 300 "$D/workers.err")"
fi

# ---------------------------------------------------------------- the traffic

: >"$D/clients.jsonl"
ip netns exec "$NSC" python3 "$live/client.py" open 10.77.0.2 --hold 600 >"$D/open.out" 2>"$D/open.err" &
open_pid=$!
PIDS="$PIDS $open_pid"
wait_until 30 file_has_line "$D/open.out" || die "the open-session client did not get through EHLO within 30 s"
for sc in "clean 10.77.0.2" "clean fd77::2" "split 10.77.0.2"; do
    # shellcheck disable=SC2086 # two words: scenario and host
    if ip netns exec "$NSC" timeout 60 python3 "$live/client.py" $sc >>"$D/clients.jsonl" 2>>"$D/clients.err"; then
        ok "client $sc"
    else
        bad "client $sc: $(tail -n 3 "$D/clients.err")"
    fi
done
cat "$D/open.out" >>"$D/clients.jsonl"

# The clean and split sessions have ended (FIN both ways): each is reported as it ends, before
# the capture stops (the open one only then).
if wait_until 30 streamed_at_least 3; then
    ok "the 3 finished sessions were streamed before the capture ended"
else
    bad "only $(streamed) of the 3 finished sessions were streamed within 30 s of their end"
fi
alive "$scope" || die "smtpscope exited during the capture: $(cat "$D/live.err")"
u=$(uid_of "$scope")
[ "$u" = "$want_uid" ] || bad "at the end of the capture smtpscope runs as uid '$u', expected $want_uid"
stop_scope "$scope" 30
if [ "$rc" -eq 0 ]; then ok "smtpscope -i exits 0 after SIGINT"; else bad "smtpscope -i exited $rc after SIGINT"; fi
[ -s "$D/live.err" ] && echo "info: smtpscope -i wrote to stderr: $(head -c 500 "$D/live.err")"
stop_scope "$wscope" 30
if [ "$rc" -eq 0 ]; then ok "--workers 2 -i exits 0 after SIGINT"; else bad "--workers 2 -i exited $rc after SIGINT: $(head -c 300 "$D/workers.err")"; fi
# ---------------------------------------------------------------- rotation (-G, -C, -W)

# The files of a rotated capture are made after root is given up: in a directory that user
# may write to (the work directory only lets it through).
chmod 711 "$D"
R=$D/rot
mkdir "$R"
chown "$want_user" "$R"

# traffic_for SECONDS: clean sessions one after the other, to keep packets coming.
traffic_for() {
    ip netns exec "$NSC" timeout $(($1 + 30)) python3 "$live/client.py" clean 10.77.0.2 --for "$1" >/dev/null 2>>"$D/clients.err" ||
        bad "the traffic for the rotation checks failed: $(tail -n 3 "$D/clients.err")"
}
# rotation_check NAME MODE JSONL LIMIT FILES...: check_rotation.py's lines counted.
rotation_check() {
    n=$1
    shift
    python3 "$live/check_rotation.py" "$@" >"$D/$n.check" 2>&1 || true
    cat "$D/$n.check"
    c=$(grep -c '^FAIL' "$D/$n.check" || true)
    fail=$((fail + c))
    c=$(grep -c '^ok' "$D/$n.check" || true)
    pass=$((pass + c))
    grep -q '^ok' "$D/$n.check" || bad "$n: check_rotation.py did not run: $(tail -n 5 "$D/$n.check")"
}
# $1 names the files $2...: each analysed on its own, smtpscope -r exits 0; each made by (or
# handed to) the user root became.
each_readable_and_owned() {
    what=$1
    shift
    unread="" others=""
    for f in "$@"; do
        "$bin" -r "$f" --json >/dev/null 2>"$D/rot-read.err" || unread="$unread $(basename "$f"):$(head -c 200 "$D/rot-read.err")"
        u=$(stat -c %u "$f")
        [ "$u" = "$want_uid" ] || others="$others $(basename "$f"):uid$u"
    done
    if [ -z "$unread" ]; then ok "$what: smtpscope -r reads each of the $# files (exit 0)"; else bad "$what: smtpscope -r fails on$unread"; fi
    if [ -z "$others" ]; then ok "$what: the $# files belong to $want_user"; else bad "$what: files not $want_user's ($want_uid):$others"; fi
}

# -G 1 -W 3: a file a second, named through strftime, and the capture ends by itself once the
# third is done (as tcpdump), while the traffic goes on.
ip netns exec "$NSS" "$bin" -i "$VS" --json -w "$R/g-%Y%m%d%H%M%S.pcap" -G 1 -W 3 >"$D/rotg.jsonl" 2>"$D/rotg.err" &
gscope=$!
PIDS="$PIDS $gscope"
wait_until 30 uid_is_not "$gscope" 0 || die "-G 1 -W 3: smtpscope did not start capturing: $(head -c 300 "$D/rotg.err")"
traffic_for 5
if wait_until 30 dead "$gscope"; then
    rc=0
    wait "$gscope" || rc=$?
    if [ "$rc" -eq 0 ]; then ok "-G 1 -W 3 ends by itself, status 0"; else bad "-G 1 -W 3 exited $rc: $(head -c 300 "$D/rotg.err")"; fi
    if grep -q -- '-W 3' "$D/rotg.err"; then ok "-G 1 -W 3 says why it ended: $(head -n 1 "$D/rotg.err")"; else bad "-G 1 -W 3: no word on stderr of the file limit: '$(head -c 300 "$D/rotg.err")'"; fi
else
    bad "-G 1 -W 3 still runs 30 s after 5 s of traffic: it should end after its third file"
    stop_scope "$gscope" 30
fi
gfiles=$(find "$R" -name 'g-*.pcap' | sort)
# shellcheck disable=SC2086 # a list of paths without spaces
{
    rotation_check rotg time "$D/rotg.jsonl" 3 $gfiles
    each_readable_and_owned "-G 1 -W 3" $gfiles
}

# -C 10k: a new file, c.pcap1, c.pcap2..., each time the current one is over 10 KiB.
ip netns exec "$NSS" "$bin" -i "$VS" --json -w "$R/c.pcap" -C 10k >"$D/rotc.jsonl" 2>"$D/rotc.err" &
cscope=$!
PIDS="$PIDS $cscope"
wait_until 30 uid_is_not "$cscope" 0 || die "-C 10k: smtpscope did not start capturing: $(head -c 300 "$D/rotc.err")"
traffic_for 3
stop_scope "$cscope" 30
if [ "$rc" -eq 0 ]; then ok "-C 10k exits 0 after SIGINT"; else bad "-C 10k exited $rc: $(head -c 300 "$D/rotc.err")"; fi
cfiles=$(find "$R" -name 'c.pcap*' | sort -V)
# shellcheck disable=SC2086 # a list of paths without spaces
{
    rotation_check rotc size "$D/rotc.jsonl" 10240 $cfiles
    each_readable_and_owned "-C 10k" $cfiles
}

# -C 10k -W 3: a ring of r.pcap0, r.pcap1, r.pcap2, written over and over by the user root
# became (r.pcap0 was created by root, then handed over).
ip netns exec "$NSS" "$bin" -i "$VS" --json -w "$R/r.pcap" -C 10k -W 3 >"$D/rotr.jsonl" 2>"$D/rotr.err" &
rscope=$!
PIDS="$PIDS $rscope"
wait_until 30 uid_is_not "$rscope" 0 || die "-C 10k -W 3: smtpscope did not start capturing: $(head -c 300 "$D/rotr.err")"
traffic_for 3
stop_scope "$rscope" 30
if [ "$rc" -eq 0 ]; then ok "-C 10k -W 3 exits 0 after SIGINT"; else bad "-C 10k -W 3 exited $rc: $(head -c 300 "$D/rotr.err")"; fi
rfiles=$(find "$R" -name 'r.pcap*' | sort)
if [ "$(echo "$rfiles" | xargs -n1 basename | tr '\n' ' ')" = "r.pcap0 r.pcap1 r.pcap2 " ]; then
    ok "-C 10k -W 3: the files are r.pcap0, r.pcap1, r.pcap2"
else
    bad "-C 10k -W 3: files $(echo "$rfiles" | tr '\n' ' ')"
fi
if python3 - "$D/rotr.jsonl" "$R/r.pcap" >"$D/rotr.check" 2>&1 <<'PY'
import json, sys
files = [o["file"] for o in map(json.loads, open(sys.argv[1])) if o["type"] == "capture_file"]
print("capture_file lines:", len(files))
want = ["%s%d" % (sys.argv[2], i % 3) for i in range(len(files))]
sys.exit(0 if len(files) > 3 and files == want else 1)
PY
then
    ok "-C 10k -W 3: the ring went round, a capture_file line for each file begun ($(cat "$D/rotr.check"))"
else
    bad "-C 10k -W 3: capture_file lines do not go round r.pcap0..2: $(tail -c 300 "$D/rotr.check")"
fi
# shellcheck disable=SC2086 # a list of paths without spaces
each_readable_and_owned "-C 10k -W 3" $rfiles

kill -KILL "$open_pid" "$server_pid" 2>/dev/null || true
wait "$open_pid" "$server_pid" 2>/dev/null || true # reaped here: bash would say "Killed"
# The workers saw every flow whole: the same sessions, findings and ends as one process (the
# numbers and frames differ: each worker counts its own packets).
if python3 - "$D/live.jsonl" "$D/workers.jsonl" >"$D/workers.check" 2>&1 <<'PY'
import json, sys
def load(path):
    objs = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    sessions = sorted((o["client"], o["server"], tuple(o["flags"]), o["end_reason"], len(o["transactions"]))
                      for o in objs if o["type"] == "session")
    summary = [o for o in objs if o["type"] == "summary"]
    return sessions, summary[-1] if summary else None
one, s1 = load(sys.argv[1])
two, s2 = load(sys.argv[2])
print("one process:", one)
print("two workers:", two)
ok = one == two and len(one) == 4 and s2 is not None and s2["sessions"] == 4 and isinstance(s2["dropped"], dict)
sys.exit(0 if ok else 1)
PY
then
    ok "--workers 2 -i: the same 4 sessions (flags, ends, messages) as one process, summary with drops"
else
    bad "--workers 2 -i: sessions differ from one process: $(tail -c 600 "$D/workers.check")"
fi

# ---------------------------------------------------------------- the checks

rrc=0
"$bin" -r "$D/live.pcap" --json >"$D/replay.jsonl" 2>"$D/replay.err" || rrc=$?
if [ "$rrc" -eq 0 ]; then
    ok "smtpscope -r on the -w file exits 0"
else
    bad "smtpscope -r on the -w file exited $rrc: $(head -c 300 "$D/replay.err")"
fi
python3 "$live/check.py" "$D/live.jsonl" "$D/replay.jsonl" "$D/clients.jsonl" "$VS" >"$D/check.out" 2>&1 || true
cat "$D/check.out"
n=$(grep -c '^FAIL' "$D/check.out" || true)
fail=$((fail + n))
n=$(grep -c '^ok' "$D/check.out" || true)
pass=$((pass + n))
grep -q '^ok' "$D/check.out" || bad "check.py did not run: $(tail -n 5 "$D/check.out")"

# ---------------------------------------------------------------- duplicates as they happen

# One message sent three times, its terminator split and never answered each time (as through
# a relay that drops it): the duplicate group is written while the capture runs, after the
# second attempt and again after the third, then final at the end; the -w file read with
# --stream gives the same lines.
ip netns exec "$NSS" python3 "$live/server.py" --ready "$D/server2.ready" 2>"$D/server2.log" &
PIDS="$PIDS $!"
server2_pid=$!
wait_until 30 test -s "$D/server2.ready" || die "server.py did not start again within 30 s"
ip netns exec "$NSS" "$bin" -i "$VS" --json -w "$D/dups.pcap" >"$D/dups.jsonl" 2>"$D/dups.err" &
dscope=$!
PIDS="$PIDS $dscope"
wait_until 30 uid_is_not "$dscope" 0 || die "smtpscope -i for the duplicates did not start capturing"
sleep 0.3
# dup_line N: a non-final duplicate line with N attempts has been streamed.
dup_line() { grep '"type":"duplicate"' "$D/dups.jsonl" 2>/dev/null | grep '"final":false' | grep -q "\"attempts\":$1,"; }
for attempt in 1 2 3; do
    ip netns exec "$NSC" timeout 60 python3 "$live/client.py" split 10.77.0.2 \
        --message-id "<retried.$$@client.live.test>" >>"$D/dups-clients.jsonl" 2>>"$D/dups-clients.err" ||
        bad "retry client, attempt $attempt: $(tail -n 3 "$D/dups-clients.err")"
    [ "$attempt" -eq 1 ] && continue
    if wait_until 30 dup_line "$attempt"; then
        ok "attempt $attempt: a duplicate line with $attempt attempts while the capture runs"
    else
        bad "attempt $attempt: no duplicate line with $attempt attempts within 30 s: $(grep duplicate "$D/dups.jsonl" | tail -c 400)"
    fi
done
alive "$dscope" || die "smtpscope exited during the duplicates capture: $(cat "$D/dups.err")"
stop_scope "$dscope" 30
[ "$rc" -eq 0 ] || bad "smtpscope -i (duplicates) exited $rc after SIGINT"
kill -KILL "$server2_pid" 2>/dev/null || true
wait "$server2_pid" 2>/dev/null || true
if python3 - "$D/dups.jsonl" <<'PY'; then
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if '"type":"duplicate"' in l]
seq = [(o["attempts"], o["final"]) for o in d]
ids = {o["group"] for o in d}
ok = seq == [(2, False), (3, False), (3, True)] and len(ids) == 1 and d[-1]["cause"] == "smtp_inspection"
print(seq, ids, d[-1]["cause"] if d else None)
sys.exit(0 if ok else 1)
PY
    ok "duplicate lines: attempts 2, then 3, then final with 3, one group id, smtp_inspection"
else
    bad "duplicate lines not 2, 3, final 3 of one group: $(grep duplicate "$D/dups.jsonl" | cut -c1-200)"
fi
"$bin" -r "$D/dups.pcap" --json --stream >"$D/dups-replay.jsonl" 2>"$D/dups-replay.err" || bad "smtpscope -r --stream on the -w file failed"
# byte for byte, apart from the summary (capture source, kernel drop counters) and the line
# naming the -w file the live run wrote
live_only='"type":"(summary|capture_file)"'
if diff <(grep -Ev "$live_only" "$D/dups.jsonl") <(grep -Ev "$live_only" "$D/dups-replay.jsonl") >"$D/dups.diff"; then
    ok "-r --stream on the -w file writes the live run's lines byte for byte ($(wc -l <"$D/dups-replay.jsonl") lines)"
else
    bad "-r --stream differs from the live run: $(head -c 600 "$D/dups.diff")"
fi

# -Z root keeps root: on lo in the server namespace, ended by one packet (-c 1).
ip netns exec "$NSS" "$bin" -i lo -Z root --json -c 1 >"$D/zroot.jsonl" 2>"$D/zroot.err" &
zpid=$!
PIDS="$PIDS $zpid"
if wait_until 30 has_packet_socket "$zpid"; then
    sleep 0.5
    u=$(uid_of "$zpid")
    if [ "$u" = 0 ]; then ok "with -Z root smtpscope keeps uid 0"; else bad "with -Z root smtpscope runs as uid '$u'"; fi
    # A SYN to the (closed) port 25 on lo, once a second: the one packet -c 1 waits for.
    tries=30
    while [ "$tries" -gt 0 ] && alive "$zpid"; do
        ip netns exec "$NSS" python3 -c 'import socket
try: socket.create_connection(("127.0.0.1", 25), timeout=1)
except OSError: pass' || true
        wait_until 1 dead "$zpid" || true
        tries=$((tries - 1))
    done
    if dead "$zpid"; then
        rc=0
        wait "$zpid" || rc=$?
        if [ "$rc" -eq 0 ]; then
            ok "-Z root -c 1 exits 0 after one packet"
        else
            bad "-Z root -c 1 exited $rc: $(head -c 300 "$D/zroot.err")"
        fi
        if python3 -c 'import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
sys.exit(not (s["type"] == "summary" and s["packets_matched"] == 1))' "$D/zroot.jsonl" 2>/dev/null; then
            ok "-Z root -c 1: a summary of 1 packet"
        else
            bad "-Z root -c 1: no summary of exactly 1 packet: $(tail -c 300 "$D/zroot.jsonl")"
        fi
    else
        bad "-Z root -c 1 did not exit within 30 s of packets on lo; stopping it"
        stop_scope "$zpid" 30
    fi
else
    if dead "$zpid"; then
        bad "-Z root: smtpscope exited at once: $(head -c 300 "$D/zroot.err")"
    else
        bad "-Z root: no capture opened within 30 s"
    fi
fi

# -w onto a symbolic link is refused: a dangling one (its target must not be created) and
# one to an existing file (which must not be truncated).
echo keep >"$D/existing"
for case in "link:target" "link2:existing"; do
    l=${case%%:*}
    t=${case#*:}
    ln -s "$D/$t" "$D/$l"
    rc=0
    ip netns exec "$NSS" timeout 30 "$bin" -i lo -w "$D/$l" -c 1 >/dev/null 2>"$D/$l.err" || rc=$?
    if [ "$rc" -eq 2 ]; then
        ok "-w onto a symbolic link to $t exits 2"
    else
        bad "-w onto a symbolic link to $t exited $rc (expected 2)"
    fi
    if grep -q 'symbolic link' "$D/$l.err"; then
        ok "-w onto a symbolic link to $t: $(head -n 1 "$D/$l.err")"
    else
        bad "-w onto a symbolic link to $t: no message about a symbolic link: '$(head -c 300 "$D/$l.err")'"
    fi
done
if [ -e "$D/target" ]; then bad "-w onto a dangling symbolic link created its target"; else ok "the dangling link's target was not created"; fi
if [ "$(cat "$D/existing")" = keep ]; then ok "the link's existing target is unchanged"; else bad "-w onto a symbolic link changed its target"; fi

# An unknown interface.
rc=0
timeout 30 "$bin" -i no-such-if0 >/dev/null 2>"$D/noif.err" || rc=$?
if [ "$rc" -eq 2 ]; then ok "-i no-such-if0 exits 2"; else bad "-i no-such-if0 exited $rc (expected 2)"; fi
if grep -q 'no-such-if0' "$D/noif.err"; then
    ok "-i no-such-if0: $(head -n 1 "$D/noif.err")"
else
    bad "-i no-such-if0: the message does not name the interface: '$(head -c 300 "$D/noif.err")'"
fi

# Rotation options that cannot work are refused before anything is opened: exit 2, and a
# message that names the option.
refused() {
    want=$1
    shift
    rc=0
    timeout 30 "$bin" "$@" >/dev/null 2>"$D/refused.err" || rc=$?
    if [ "$rc" -eq 2 ] && grep -q -- "$want" "$D/refused.err"; then
        ok "smtpscope $*: exit 2, $(head -n 1 "$D/refused.err")"
    else
        bad "smtpscope $*: exit $rc, '$(head -c 300 "$D/refused.err")' (expected 2 and '$want')"
    fi
}
refused "give -w FILE" -i lo -G 1
refused "give -w FILE" -i lo -C 1 -W 2
refused "-W counts the files of -C" -i lo -w "$D/never.pcap" -W 3
refused "bad file size '1x'" -i lo -w "$D/never.pcap" -C 1x
refused "bad file size '0'" -i lo -w "$D/never.pcap" -C 0
refused "bad rotation period '0.5'" -i lo -w "$D/never.pcap" -G 0.5
refused "bad file count '0'" -i lo -w "$D/never.pcap" -G 1 -W 0
if [ -e "$D/never.pcap" ]; then bad "a refused rotation still created its -w file"; else ok "no -w file created by the refused commands"; fi

[ "$fail" -eq 0 ] || show_logs
echo "live-e2e with $bin done in $(($(date +%s) - t0)) s"
t_done
