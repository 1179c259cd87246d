# shellcheck shell=bash
# The preamble shared by the scripts that make real captures (tools/make-real-captures.sh,
# tools/make-overload-captures.sh). A script sources it first:
#
#   . "$(dirname "$0")/capture-common.sh"
#
# It gives:
#   strict mode (set -euo pipefail), the repository's root as the current directory,
#   $WORK       a work directory, removed at exit; on_exit CMD runs CMD (a string for eval)
#               at exit before that, the last one registered first; INT and TERM exit
#               through the same path
#   log MSG     "== MSG" on stderr;  die MSG: "SCRIPT: MSG" on stderr, exit 1
#   need_root WHY
#   install_packages "PKG ..." [MAILER_TYPE]
#               the missing ones, through tools/install-deps.sh (MAILER_TYPE answers
#               postfix's debconf question)
#   capture_start FILE IFACE FILTER [NETNS]
#               tcpdump on IFACE (inside NETNS if given) writing FILE, full packets, each
#               written as it arrives; returns once tcpdump is listening; its pid is
#               $CAPTURE_PID
#   capture_stop
#               stops that tcpdump with SIGINT, waits for it, logs the packet count
set -euo pipefail

cd "$(dirname "$0")/.."
CAPTURE_SCRIPT=$(basename "$0" .sh)
WORK=$(mktemp -d)
CAPTURE_PID=""
CAPTURE_FILE=""
capture_exit_cmds=""

log() { echo "== $(date +%T) $*" >&2; }
die() {
    echo "$CAPTURE_SCRIPT: $*" >&2
    exit 1
}
need_root() { [ "$(id -u)" = 0 ] || die "run as root ($*)"; }

on_exit() { capture_exit_cmds="$1${capture_exit_cmds:+; $capture_exit_cmds}"; }
capture_cleanup() {
    local st=$?
    trap - EXIT INT TERM
    set +e
    if [ -n "$CAPTURE_PID" ]; then
        kill -INT "$CAPTURE_PID" 2>/dev/null
        wait "$CAPTURE_PID" 2>/dev/null
    fi
    [ -z "$capture_exit_cmds" ] || eval "$capture_exit_cmds"
    rm -rf "$WORK"
    exit "$st"
}
trap capture_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_packages() {
    POSTFIX_MAILER_TYPE=${2:-} tools/install-deps.sh --packages "$1"
}

capture_start() {
    local file=$1 iface=$2 filter=$3 ns=${4:-} err
    local -a in_ns=()
    [ -z "$ns" ] || in_ns=(ip netns exec "$ns")
    [ -z "$CAPTURE_PID" ] || die "capture_start: a capture is already running"
    rm -f "$file"
    err=$WORK/$(basename "$file").tcpdump
    # Created here so the wait below never greps a file the background job has not made yet.
    : >"$err"
    # -Z root: Debian's tcpdump would drop to user tcpdump, who may not write here.
    # --immediate-mode: without it packets wait in the kernel ring and SIGINT loses them.
    # Not through a function: a background function would be a subshell, and $! not tcpdump.
    "${in_ns[@]}" tcpdump -i "$iface" -nn -U --immediate-mode -Z root -w "$file" "$filter" \
        2>"$err" &
    CAPTURE_PID=$!
    CAPTURE_FILE=$file
    for _ in $(seq 50); do
        grep -q 'listening on' "$err" && return 0
        sleep 0.1
    done
    die "tcpdump did not start for $file: $(cat "$err")"
}

capture_stop() {
    local err
    err=$WORK/$(basename "$CAPTURE_FILE").tcpdump
    kill -INT "$CAPTURE_PID"
    wait "$CAPTURE_PID" || true
    CAPTURE_PID=""
    log "$(basename "$CAPTURE_FILE"): $(grep 'packets captured' "$err"), $(stat -c %s "$CAPTURE_FILE") bytes"
}
