#!/bin/bash
# The end-to-end tests and the damaged-capture tests again, with smtpscope under valgrind's
# memcheck (tests/valgrind-smtpscope): no invalid read or write, no use of uninitialised
# memory, no leak at exit, on every capture those tests analyse.
# Usage: tests/valgrind-e2e.sh [BINARY]   (default build/smtpscope, a build without ASan)
# Counted: each valgrind run without a report passes, each with one fails; a failure of the
# two scripts' own checks fails too.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init valgrind
t_binary "${1:-}" build/smtpscope
export VG_BIN=$bin
export VG_LOGDIR=$here/build/valgrind
export E2E_WORKERS=0 # the runs compared across worker counts: not memory checks
rm -rf "$VG_LOGDIR"
mkdir -p "$VG_LOGDIR"
"$here/tests/e2e.sh" "$here/tests/valgrind-smtpscope" || bad "tests/e2e.sh under valgrind"
"$here/tests/corrupt/run.sh" "$here/tests/valgrind-smtpscope" || bad "tests/corrupt/run.sh under valgrind"
runs=$(ls "$VG_LOGDIR" | wc -l)
dirty=$(find "$VG_LOGDIR" -name 'vg.*.log' -size +0 | wc -l)
if [ "$dirty" -ne 0 ]; then
    echo "FAIL: valgrind reported errors in $dirty of $runs runs:"
    find "$VG_LOGDIR" -name 'vg.*.log' -size +0 | head -3 | xargs -r head -40
fi
pass=$((pass + runs - dirty))
fail=$((fail + dirty))
t_done
