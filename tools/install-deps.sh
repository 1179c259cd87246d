#!/bin/sh
# Installs the Debian packages smtpscope needs to build and test, only those missing.
# Usage: tools/install-deps.sh [build|test|real]
set -e
build="gcc make pkg-config libpcap-dev libnids-dev libncurses-dev libcunit1-dev libxxhash-dev"
test="$build python3"
real="$test postfix swaks ssl-cert libnet-ssleay-perl tshark"
case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
real) want=$real ;;
*) echo "usage: $0 [build|test|real]" >&2; exit 2 ;;
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
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
