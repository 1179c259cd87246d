#!/bin/bash
# make install / make uninstall, the bash completion and the Debian package, end to end:
#   1. make install into a staging root (PREFIX=/usr, then the default /usr/local): exactly
#      the four files, the unit's ExecStart pointing at the installed binary; make uninstall
#      removes them and nothing else
#   2. the completion offers exactly the options cli/options.c and the analysers define,
#      knows which take a value, completes files after -r and interfaces after -i
#   3. as root: the package built from a copy of the tree (tools/build-deb.sh), lintian
#      without errors, its dependencies and contents; installed with apt, the installed
#      smtpscope analyses pcaps/sample.pcap exactly as expected; purged, nothing is left.
#      Skipped (without root, or when smtpscope is already installed on this machine: an
#      admin's copy is not replaced and purged by a test); with CI=true it must run.
# Usage: tests/package.sh [BINARY]   (default build/smtpscope: what make install installs)
# About 2 minutes on 2 cores, most of it the package's build.
set -eu
. "$(dirname "$0")/lib.sh"
t_init package
t_binary "${1:-}" build/smtpscope
cd "$here"
version=$(cat VERSION)
files="usr/bin/smtpscope
usr/share/bash-completion/completions/smtpscope
usr/share/doc/smtpscope/examples/smtpscope.service
usr/share/man/man1/smtpscope.1"

# files_under DIR: the files and links under DIR, relative, sorted.
files_under() { (cd "$1" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort); }

# 1. make install / make uninstall (the tree's Makefile, as a user runs them).
stage_check() { # stage_check PREFIX [make variables...]: install, check, uninstall, check
    local prefix=$1 root="$tmp/stage${1//\//-}" want
    shift
    want=$(printf '%s\n' "$files" | sed "s|^usr/|${prefix#/}/|" | LC_ALL=C sort)
    if ! make --no-print-directory -s install DESTDIR="$root" "$@" >"$tmp/install.out" 2>&1; then
        bad "make install $*: $(head -c 300 "$tmp/install.out")"
        return 0
    fi
    check "make install $*: exactly the files ($(files_under "$root" | tr '\n' ' '))" \
        test "$(files_under "$root")" = "$want"
    check "make install $*: the binary is the built one" \
        cmp -s "$bin" "$root$prefix/bin/smtpscope"
    check "make install $*: the binary runs (--version $version)" \
        test "$("$root$prefix/bin/smtpscope" --version 2>&1 | cut -d' ' -f1-2)" = "smtpscope $version"
    check "make install $*: the man page is smtpscope.1" \
        cmp -s smtpscope.1 "$root$prefix/share/man/man1/smtpscope.1"
    check "make install $*: the completion is contrib's" \
        cmp -s contrib/smtpscope.bash-completion "$root$prefix/share/bash-completion/completions/smtpscope"
    local unit="$root$prefix/share/doc/smtpscope/examples/smtpscope.service"
    check "make install $*: the unit's ExecStart is $prefix/bin/smtpscope" \
        grep -q "^ExecStart=$prefix/bin/smtpscope " "$unit"
    check "make install $*: one ExecStart line" test "$(grep -c '^ExecStart=' "$unit")" -eq 1
    check "make install $*: the unit differs from contrib's in its ExecStart line only" \
        test "$(diff contrib/smtpscope.service "$unit" | grep -c '^[<>]')" -eq "$([ "$prefix" = /usr/local ] && echo 0 || echo 2)"
    check "make install $*: modes 0755 binary, 0644 the rest" \
        test "$(stat -c %a "$root$prefix/bin/smtpscope" "$unit" "$root$prefix/share/man/man1/smtpscope.1")" \
        = "$(printf '755\n644\n644')"
    # Something else in the same directories must survive the uninstall.
    echo keep >"$root$prefix/bin/other"
    if ! make --no-print-directory -s uninstall DESTDIR="$root" "$@" >"$tmp/install.out" 2>&1; then
        bad "make uninstall $*: $(head -c 300 "$tmp/install.out")"
        return 0
    fi
    check "make uninstall $*: only the other file is left ($(files_under "$root" | tr '\n' ' '))" \
        test "$(files_under "$root")" = "${prefix#/}/bin/other"
    check "make uninstall $*: its own doc directory is gone" \
        test ! -e "$root$prefix/share/doc/smtpscope"
}
stage_check /usr PREFIX=/usr
stage_check /usr/local
stage_check /opt/smtpscope PREFIX=/opt/smtpscope

# 2. The completion, against the option set of the sources (what getopt_long accepts).
comp() { # comp WORD...: the completions, one a line, of the last WORD after "smtpscope WORD..."
    bash -c '. contrib/smtpscope.bash-completion
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _smtpscope
        [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' _ "$bin" "$@"
}
comp_valued() { # the options the completion knows to take a value, one a line
    bash -c '. contrib/smtpscope.bash-completion; _smtpscope_help "$1"
        printf "%s\n" $_smtpscope_valued' _ "$bin"
}
optstring=$(grep -o 'getopt_long(argc, argv, "[^"]*"' cli/options.c | sed 's/.*"\(.*\)"/\1/')
src_long=$(grep -ohE '\{"[a-z0-9-]+", (no|required)_argument' cli/options.c | cut -d'"' -f2)
src_ports=$(grep -ohE '\.(tls_)?ports_option = "[a-z0-9-]+"' */analyser.c | cut -d'"' -f2)
src_all=$({
    printf '%s\n' "$optstring" | tr -d ':' | fold -w1 | sed 's/^/-/'
    printf -- '--%s\n' $src_long $src_ports
} | LC_ALL=C sort)
src_valued=$({
    printf '%s\n' "$optstring" | grep -oE '[[:alnum:]]:' | tr -d ':' | sed 's/^/-/'
    grep -ohE '\{"[a-z0-9-]+", required_argument' cli/options.c | cut -d'"' -f2 | sed 's/^/--/'
    printf -- '--%s\n' $src_ports
} | LC_ALL=C sort)
check "the sources give options ($(echo $src_all | wc -w)) and ports options ($(echo $src_ports | wc -w))" \
    test "$(echo $src_all | wc -w)" -gt 30 -a "$(echo $src_ports | wc -w)" -ge 2
comp_all=$(comp - | LC_ALL=C sort)
check "completion: '-' offers exactly the options of cli/options.c and the analysers" \
    test "$comp_all" = "$src_all"
[ "$comp_all" = "$src_all" ] || diff <(echo "$src_all") <(echo "$comp_all") | head -10
check "completion: the options taking a value are those of the sources" \
    test "$(comp_valued | LC_ALL=C sort)" = "$src_valued"
check "completion: --js gives --json" test "$(comp --js | head -1)" = --json
check "completion: --pop gives --pop3-ports" test "$(comp --pop | head -1)" = --pop3-ports
check "completion: after -r, file names" test "$(comp -r pcaps/sample.pc | head -1)" = pcaps/sample.pcap
check "completion: after --metrics=, file names" \
    test "$(comp --metrics = pcaps/sample.pc | head -1)" = pcaps/sample.pcap
check "completion: after -i, interfaces (lo)" test "$(comp -i l | grep -c '^lo$')" -eq 1
check "completion: after -Z, users (root)" test "$(comp -Z roo | grep -c '^root$')" -eq 1
check "completion: after --workers (a number), nothing" test -z "$(comp --workers '')"
check "completion: a BPF word is not completed" test -z "$(comp -r x ho)"

# 3. The Debian package.
if [ "$(id -u)" -ne 0 ]; then
    [ "$fail" -eq 0 ] || t_done # what failed above is reported, not skipped
    t_unable "the package part needs root (apt-get)"
fi
if dpkg-query -W -f='${Status}' smtpscope 2>/dev/null | grep -q 'installed' || [ -e /usr/bin/smtpscope ]; then
    echo "package: smtpscope is already installed here: the package part leaves it alone"
    [ "${CI:-}" != true ] || bad "CI=true: smtpscope must not be installed before the test"
    t_done
fi
tools/install-deps.sh package
check "debian/changelog's version is VERSION ($version)" \
    test "$(dpkg-parsechangelog -S Version)" = "$version"
touch "$tmp/start"
# nocheck: debian/rules runs build/unit, which `make test` has already run.
if ! DEB_BUILD_OPTIONS="parallel=2 nocheck" tools/build-deb.sh "$tmp/deb" >"$tmp/build-deb.out" 2>&1; then
    bad "the package does not build:"
    tail -40 "$tmp/build-deb.out"
    t_done
fi
check "the build left the tree alone (no debian/files, debian/smtpscope, ../smtpscope_*)" \
    test ! -e debian/files -a ! -e debian/smtpscope -a ! -e debian/.debhelper \
    -a -z "$(find .. -maxdepth 1 -name 'smtpscope_*' -newer "$tmp/start")"
arch=$(dpkg --print-architecture)
deb=$tmp/deb/smtpscope_${version}_$arch.deb
check "the package is smtpscope_${version}_$arch.deb" test -f "$deb"
[ -f "$deb" ] || t_done

lintian "$tmp/deb/smtpscope_${version}_$arch.changes" >"$tmp/lintian.out" 2>&1 || true
errors=$(grep -c '^E:' "$tmp/lintian.out" || true)
check "lintian: no errors ($errors)" test "$errors" -eq 0
grep '^[EW]:' "$tmp/lintian.out" | sed 's/^/  lintian: /' || true
echo "package: lintian: $errors errors, $(grep -c '^W:' "$tmp/lintian.out" || true) warnings"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libpcap0.8 libnids1.21 libxxhash0 libncursesw6; do
    check "the package depends on $lib ($depends)" grep -qE "(^|, )$lib( |,|$)" <<<"$depends"
done
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||' | grep -v -e '/$' -e '^$' | LC_ALL=C sort >"$tmp/contents"
want=$(printf '%s\n' "$files" usr/share/doc/smtpscope/changelog.gz usr/share/doc/smtpscope/copyright |
    sed 's|man1/smtpscope.1$|man1/smtpscope.1.gz|' | LC_ALL=C sort)
check "the package holds exactly the installed files ($(tr '\n' ' ' <"$tmp/contents"))" \
    test "$(cat "$tmp/contents")" = "$want"
check "the package installs no unit systemd would start, and no maintainer scripts" \
    test -z "$(dpkg-deb -c "$deb" | grep -E 'systemd/system|/etc/')" \
    -a -z "$(dpkg-deb -I "$deb" | grep -E 'postinst|prerm|postrm')"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/smtpscope/examples/smtpscope.service >"$tmp/unit"
check "the packaged unit's ExecStart is /usr/bin/smtpscope" grep -q '^ExecStart=/usr/bin/smtpscope ' "$tmp/unit"
# Debian's build flags reach the link (hardening=+all: relro and bind now).
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/smtpscope >"$tmp/bin"
check "the packaged binary is linked with relro and bind now" \
    test "$(readelf -lW "$tmp/bin" | grep -c GNU_RELRO)" -eq 1 -a "$(readelf -dW "$tmp/bin" | grep -cE 'BIND_NOW|FLAGS_1.*NOW')" -ge 1

# Installed with apt, as a user would (the dependencies come from the archive).
t_on_exit "DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o DPkg::Lock::Timeout=300 purge smtpscope >/dev/null 2>&1"
if ! DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=300 install "$deb" >"$tmp/apt.out" 2>&1; then
    bad "apt-get install $deb:"
    tail -20 "$tmp/apt.out"
    t_done
fi
check "dpkg: smtpscope $version installed" \
    test "$(dpkg-query -W -f='${Status} ${Version}' smtpscope)" = "install ok installed $version"
check "/usr/bin/smtpscope --version" \
    test "$(/usr/bin/smtpscope --version 2>&1 | cut -d' ' -f1-2)" = "smtpscope $version"
rc=0
/usr/bin/smtpscope -r pcaps/sample.pcap --json >"$tmp/sample.jsonl" 2>"$tmp/sample.err" || rc=$?
check "installed: smtpscope -r pcaps/sample.pcap --json exits 0 ($(head -c 200 "$tmp/sample.err"))" test "$rc" -eq 0
check "installed: the summary line is the expected one" \
    test "$(grep '^{"type":"summary"' "$tmp/sample.jsonl")" = "$(grep '^{"type":"summary"' pcaps/sample.expected.jsonl)"
check "installed: the whole report is pcaps/sample.expected.jsonl" \
    cmp -s "$tmp/sample.jsonl" pcaps/sample.expected.jsonl
check "installed: the text report finds the split end of data" \
    grep -q 'split_eod_unacked' <(/usr/bin/smtpscope -r pcaps/sample.pcap 2>&1)
# A minimal image may tell dpkg to skip man pages and docs (path-exclude, as Docker's
# debian images do): those files are then rightly absent.
excluded() { cat /etc/dpkg/dpkg.cfg.d/* 2>/dev/null | grep -qE "^path-exclude[= ]+/usr/share/$1/"; }
if excluded man; then
    echo "package: dpkg excludes /usr/share/man here: the man page is checked in the .deb only"
elif command -v man >/dev/null; then
    check "installed: man -w smtpscope" test "$(man -w smtpscope 2>&1)" = /usr/share/man/man1/smtpscope.1.gz
else
    check "installed: the man page" test -f /usr/share/man/man1/smtpscope.1.gz
fi
excluded doc || check "installed: the example unit" test -f /usr/share/doc/smtpscope/examples/smtpscope.service
comp_installed=$(bash -c '. /usr/share/bash-completion/completions/smtpscope
    COMP_WORDS=(smtpscope --vers); COMP_CWORD=1; _smtpscope; echo "${COMPREPLY[*]}"')
check "installed: the completion completes the installed smtpscope (--vers: $comp_installed)" \
    test "$comp_installed" = --version

if ! DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=300 purge smtpscope >"$tmp/apt.out" 2>&1; then
    bad "apt-get purge smtpscope: $(tail -5 "$tmp/apt.out")"
fi
check "purged: dpkg no longer has smtpscope" \
    test -z "$(dpkg-query -W -f='${Status}' smtpscope 2>/dev/null | grep 'installed')"
for f in $files; do
    check "purged: /$f is gone" test ! -e "/$f" -a ! -e "/$f.gz"
done
t_done
