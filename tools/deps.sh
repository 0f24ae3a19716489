#!/bin/sh
# deps.sh - install the Debian packages liandong needs, when missing.
# Run by `make deps` and before every build; quiet when all is there.
# Packages named as arguments are wanted too (`make bench-pg` asks for
# postgresql, the server its benchmark runs; nothing else needs it).
# libpq-dev builds tools/bench-pg.c, which `make` builds with every tool.
set -eu
PKGS="gcc make pkg-config libzmq3-dev libsodium-dev libmsgpack-dev liblmdb-dev
libcmocka-dev libinih-dev libmicrohttpd-dev libpq-dev $*"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
