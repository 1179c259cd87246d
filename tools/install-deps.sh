#!/bin/sh
# Installs the Debian packages smtpscope needs to build and test, only those missing.
# Usage: tools/install-deps.sh [build|test|cov|package|real]
#        tools/install-deps.sh --packages "PKG ..."   (the capture and lab scripts' own lists;
#        POSTFIX_MAILER_TYPE answers postfix's debconf question, e.g. "Local only")
#   test adds what `make test` runs beyond a minimal Debian 12 (debootstrap --variant=minbase,
#   or the debian:bookworm image), which already has bash, coreutils (timeout, mktemp, seq),
#   diffutils (cmp, diff), findutils, grep, sed, mawk (awk) and util-linux:
#     gzip, zstd, xz-utils, bzip2
#                         compressed captures made by the usual tools (tests/compressed)
#     python3             the test helpers (tests/*.py, tests/*/*.py, the mailguard test)
#     python3-jsonschema  the JSON Schema validator of make schema-test (4.10: draft 2020-12)
#     clang, libclang-rt-14-dev   libFuzzer (make fuzz-ci)
#     valgrind            make valgrind-e2e
#     time                /usr/bin/time, peak memory in make limits-test
#     tmux                the live screen's terminal in make tui-test
#     iproute2            ip: network namespaces and veth in make live-test
#     procps              pgrep: the workers of a process (tests/e2e.sh, make live-test)
#     tcpdump, ethtool    the POP3 lab's captures, offloads off on its veth (make pop3-test)
#     dovecot-pop3d       the POP3 lab's real server (its own instance; dovecot-core asks no
#                         debconf question)
#     fetchmail           the POP3 lab's real collector (no debconf question either)
#     tshark              make wireshark-test: the display filters and --extract checked
#                         against tshark (wireshark-common's setuid question answered no);
#                         its wireshark-common brings editcap and capinfos, which cut a
#                         capture in parts for make multi-file-test
#     tidy, chromium      make html-test: the --html page validated, and rendered headless
#     parallel            GNU parallel runs --partition K/N's N runs in make sensors-test,
#                         as an engineer's job runner would
#   cov adds llvm-14 (llvm-profdata, llvm-cov) for `make fuzz-cov`.
#   package: the Debian package's build (debian/control's Build-Depends, and
#   build-essential, which dpkg-buildpackage also requires: it refuses to start when one is
#   missing) and lintian: `make deb`, `make package-test`.
#   zlib, zstd, xz and bzip2 are there for compressed captures.
set -e
build="gcc make pkg-config libpcap-dev libnids-dev libncurses-dev libcunit1-dev libxxhash-dev libjson-c-dev
       zlib1g-dev libzstd-dev liblzma-dev libbz2-dev"
test="$build gzip zstd xz-utils bzip2 python3 python3-jsonschema clang libclang-rt-14-dev valgrind time tmux iproute2 procps tcpdump ethtool dovecot-pop3d fetchmail tshark tidy chromium parallel"
cov="$test llvm-14"
package="$build build-essential dpkg-dev debhelper lintian zlib1g-dev libzstd-dev liblzma-dev libbz2-dev"
real="$test postfix swaks ssl-cert libnet-ssleay-perl"
case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
cov) want=$cov ;;
package) want=$package ;;
real) want=$real ;;
--packages) want=${2:?--packages needs a list} ;;
*) echo "usage: $0 [build|test|cov|package|real] | --packages LIST" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Questions postfix and wireshark-common would ask: answered so no install ever prompts.
{
    [ -n "${POSTFIX_MAILER_TYPE:-}" ] &&
        echo "postfix postfix/main_mailer_type select $POSTFIX_MAILER_TYPE"
    echo "wireshark-common wireshark-common/install-setuid boolean false"
} | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
