#!/bin/sh
# Build the real Asterisk PBX the tests run against: a Debian sid root tree with Debian's asterisk
# (22.x), an OpenSSH server, the MariaDB ODBC driver and iproute2, made the way an operator builds a
# lab box. Debian 12 has no asterisk package and sid's would replace the host's C library, so it
# lives in its own tree, started with chroot by the tests (tests/integration/realpbx/pbxtree.py).
#
#   scripts/realpbx.sh            build the tree when missing; print its path
#   scripts/realpbx.sh --rebuild  build a new tree even if one is cached
#   scripts/realpbx.sh --path     print the cached tree's path (exit 1 when there is none)
#
# The tree is cached under ${MIRTA_HOME:-~/.cache/mirta-ops}/realpbx/asterisk-<version>, keyed by the
# version of the asterisk package it holds; `current` points at the newest. Needs root and
# debootstrap (installed here from Debian's packages when missing). Mirror: the one the host's apt
# sources name (MIRTA_DEBIAN_MIRROR overrides it).
set -eu

cache="${MIRTA_HOME:-$HOME/.cache/mirta-ops}/realpbx"
packages="asterisk,asterisk-modules,asterisk-config,openssh-server,odbc-mariadb,unixodbc,iproute2,procps"

cached() {
    [ -e "$cache/current/usr/sbin/asterisk" ] && [ -e "$cache/current/.mirta-realpbx-ok" ]
}

case "${1:-}" in
    --path)
        if cached; then readlink -f "$cache/current"; exit 0; fi
        echo "realpbx: no tree built yet (run scripts/realpbx.sh as root)" >&2
        exit 1 ;;
    --rebuild) ;;
    "")
        if cached; then readlink -f "$cache/current"; exit 0; fi ;;
    *)
        echo "usage: $0 [--path|--rebuild]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    echo "realpbx: building the tree needs root (debootstrap, chroot)" >&2
    exit 3
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null \
            || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y --no-install-recommends debootstrap >/dev/null; }
    fi
    command -v debootstrap >/dev/null 2>&1 || { echo "realpbx: debootstrap is missing" >&2; exit 3; }
fi

mirror="${MIRTA_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    # the first Debian archive the host's apt sources name (deb822 or one-line format)
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
                 2>/dev/null | grep -Eo 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ')
fi
mirror="${mirror:-http://deb.debian.org/debian}"

mkdir -p "$cache"
work="$cache/.build.$$"
trap 'umount "$work/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "realpbx: debootstrap sid from $mirror into $work (about a minute)" >&2
debootstrap --variant=minbase --include="$packages" sid "$work" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; echo "realpbx: debootstrap failed" >&2; exit 4; }

version=$(chroot "$work" dpkg-query -W -f='${Version}' asterisk)
# services are started by the tests, never at boot of the tree
rm -f "$work/etc/ssh/ssh_host_"*
chroot "$work" ssh-keygen -A >/dev/null
mkdir -p "$work/root/.ssh" && chmod 700 "$work/root/.ssh"
touch "$work/.mirta-realpbx-ok"

dest="$cache/asterisk-$(printf '%s' "$version" | sed 's/[^A-Za-z0-9.+_-]/_/g')"
rm -rf "$dest"
mv "$work" "$dest"
ln -sfn "$(basename "$dest")" "$cache/current"
trap - EXIT
echo "realpbx: asterisk $version in $dest" >&2
echo "$dest"
