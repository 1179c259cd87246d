# shellcheck shell=bash
# The shared preamble of the end-to-end test scripts (bash). A script sources it first:
#
#   . "$(dirname "$0")/lib.sh"        (tests/corrupt/run.sh: "$(dirname "$0")/../lib.sh")
#   t_init NAME                        NAME: one word, the summary's label
#   t_binary "${1:-}" [DEFAULT]        the binary under test, as $bin
#   ...
#   check "what" COMMAND...            or ok / bad "what" around a test of its own
#   t_done                             the summary line, and the exit status
#
# It gives:
#   $here       the repository's root (the script's directory is not changed)
#   $tmp        a work directory, removed at exit (KEEP=1 keeps it and says where);
#               t_on_exit CMD runs CMD (a string for eval) before it is removed, the last
#               one registered first; INT and TERM end the script through the same cleanup
#   $pass $fail the counters, and ok [WHAT], bad WHAT, check WHAT COMMAND...: ok is silent
#               unless t_verbose=1 (or VERBOSE=1 in the environment), bad always prints
#               "FAIL: WHAT" and then runs $t_on_fail (a command, e.g. one showing a screen)
#   wait_until SECONDS COMMAND...
#               polls COMMAND every 0.1 s until it succeeds (status 0) or SECONDS have
#               passed (status 1): the way to wait for something to happen, never a fixed
#               sleep. SECONDS is whole; $T_SLOW (a whole number, default 1) multiplies
#               every SECONDS, for very slow machines.
#   t_gone PID  true once process PID has ended (gone, or a zombie nobody has reaped yet)
#   t_skip WHY  "SKIP: NAME: WHY" and exit 0
#   t_netns_del NS...
#               kills whatever still runs in the network namespaces NS (the caller's own:
#               only its processes run there) and deletes them; for exit handlers
#   t_unable WHY
#               a missing capability (root, a tool, network namespaces): t_skip on a
#               developer's machine, "FAIL" and exit 1 with CI=true, where it must run
#   t_done      prints "NAME: P passed, F failed" and exits 0 only when nothing failed

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pass=0
fail=0
t_name="test"
t_verbose=${VERBOSE:-0}
t_on_fail=""
t_exit_cmds=""

# t_init NAME: the label of the summary; makes $tmp and sets the cleanup traps.
t_init() {
    t_name=$1
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtpscope-$t_name.XXXXXX") || {
        echo "FAIL: $t_name: cannot make a temporary directory" >&2
        exit 2
    }
    trap t_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

t_on_exit() { t_exit_cmds="$1${t_exit_cmds:+; $t_exit_cmds}"; }

t_cleanup() {
    local st=$?
    trap - EXIT INT TERM
    [ -z "$t_exit_cmds" ] || eval "$t_exit_cmds" || true
    if [ "${KEEP:-}" = 1 ]; then
        echo "$t_name: work directory kept: $tmp" >&2
    else
        rm -rf "$tmp"
    fi
    exit "$st"
}

# t_binary ARG [DEFAULT]: $bin, an absolute path. A relative ARG is taken from the current
# directory when it names a file there, else from the repository's root.
t_binary() {
    bin=${1:-${2:-}}
    if [ -z "$bin" ]; then
        echo "usage: $0 ${t_usage:-BINARY}" >&2
        exit 2
    fi
    case "$bin" in
    /*) ;;
    *) if [ -e "$bin" ]; then bin=$PWD/$bin; else bin=$here/$bin; fi ;;
    esac
}

ok() {
    pass=$((pass + 1))
    if [ "$t_verbose" = 1 ] && [ -n "${1:-}" ]; then echo "ok: $1"; fi
    return 0
}
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*"
    if [ -n "$t_on_fail" ]; then $t_on_fail || true; fi
    return 0
}
check() { # check WHAT COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}

wait_until() { # wait_until SECONDS COMMAND...
    local n=$(($1 * ${T_SLOW:-1} * 10))
    shift
    while :; do
        if "$@"; then return 0; fi
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
        n=$((n - 1))
    done
}

t_gone() {
    local st
    kill -0 "$1" 2>/dev/null || return 0
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    st=${st##*) } # after the command's name, which may hold spaces and parentheses
    [ "${st%% *}" = Z ]
}

t_skip() {
    echo "SKIP: $t_name: $*"
    exit 0
}

t_netns_del() {
    local ns p
    for ns in "$@"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$p" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
}

t_unable() {
    if [ "${CI:-}" = true ]; then
        echo "FAIL: $t_name: $* (CI=true: this test must run here)" >&2
        exit 1
    fi
    t_skip "$*"
}

t_done() {
    echo "$t_name: $pass passed, $fail failed"
    if [ "$fail" -eq 0 ]; then exit 0; fi
    exit 1
}
