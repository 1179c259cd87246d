#!/bin/bash
# Builds the Debian binary package from a copy of the working tree, leaving the tree as it
# was: dpkg-buildpackage writes its .deb to the source's parent directory and its debhelper
# files into debian/, so it runs in OUTDIR/src, a copy without build/ and .git.
# Usage: tools/build-deb.sh OUTDIR
#   OUTDIR gets smtpscope_VERSION_ARCH.deb (and its -dbgsym .deb, .buildinfo, .changes) and
#   build.log; OUTDIR/src is removed afterwards. DEB_BUILD_OPTIONS defaults to parallel=2.
# The build dependencies must be installed (tools/install-deps.sh package).
set -eu
out=${1:?usage: tools/build-deb.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
case "$out/" in
"$root"/build/*) ;;
"$root"/*) echo "build-deb: OUTDIR must be outside the tree (or under build/)" >&2; exit 2 ;;
esac
src=$out/src
rm -rf "$src"
mkdir -p "$src"
# build/ can hold gigabytes (benchmark captures, fuzz corpora) and is rebuilt anyway.
tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -
# Files a build in the tree itself may have left: dh would clean them, but they should not
# even reach the copy's source.
rm -rf "$src"/debian/smtpscope "$src"/debian/smtpscope-dbgsym "$src"/debian/tmp \
    "$src"/debian/.debhelper "$src"/debian/files "$src"/debian/*.substvars \
    "$src"/debian/debhelper-build-stamp
rm -f "$out"/smtpscope_*.deb "$out"/smtpscope-dbgsym_*.deb "$out"/smtpscope_*.buildinfo \
    "$out"/smtpscope_*.changes
echo "build-deb: dpkg-buildpackage -us -uc -b in $src (log: $out/build.log)" >&2
if ! (cd "$src" && DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=2} \
    dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
    tail -40 "$out/build.log" >&2
    echo "build-deb: dpkg-buildpackage failed (whole log: $out/build.log)" >&2
    exit 1
fi
rm -rf "$src"
ls "$out"/smtpscope_*.deb
