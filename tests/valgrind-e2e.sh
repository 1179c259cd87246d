#!/bin/bash
# The end-to-end tests and the damaged-capture tests again, with smtpscope under valgrind's
# memcheck (tests/valgrind-smtpscope): no invalid read or write, no use of uninitialised
# memory, no leak at exit, on every capture those tests analyse.
# Usage: tests/valgrind-e2e.sh [BINARY]   (default build/smtpscope, a build without ASan)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
export VG_BIN=${1:-$here/build/smtpscope}
export VG_LOGDIR=$here/build/valgrind
export E2E_WORKERS=0 # the runs compared across worker counts: not memory checks
rm -rf "$VG_LOGDIR"
mkdir -p "$VG_LOGDIR"
status=0
"$here/tests/e2e.sh" "$here/tests/valgrind-smtpscope" || status=1
"$here/tests/corrupt/run.sh" "$here/tests/valgrind-smtpscope" || status=1
runs=$(ls "$VG_LOGDIR" | wc -l)
dirty=$(find "$VG_LOGDIR" -name 'vg.*.log' -size +0 | wc -l)
if [ "$dirty" -ne 0 ]; then
    echo "FAIL: valgrind reported errors in $dirty of $runs runs:"
    find "$VG_LOGDIR" -name 'vg.*.log' -size +0 | head -3 | xargs -r head -40
    status=1
fi
echo "valgrind: $((runs - dirty)) passed, $dirty failed"
exit $status
