#!/bin/sh
# Install the Debian/Ubuntu packages the project needs and that are missing.
#
#   scripts/system-deps.sh             packages listed in scripts/system-deps.txt
#   scripts/system-deps.sh PKG ...     only these packages
#
# Needs root (CI runs as root). Without root, or without apt-get, it prints what is missing and
# exits 0, so `make test` still runs (tests needing a missing program skip with a reason).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ "$#" -gt 0 ]; then
    wanted="$*"
else
    wanted=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/system-deps.txt")
fi

missing=""
for pkg in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ]; then
    echo "system-deps: all Debian packages present"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: no apt-get here; install by hand:$missing"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: not root, not installing:$missing"
    echo "system-deps: run 'sudo $0' (tests that need these programs will skip)"
    exit 0
fi

echo "system-deps: installing$missing"
# postfix asks questions at install time: preseed "No configuration" (tests write their own config)
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string localhost" | debconf-set-selections

# do not let package scripts start services (dnsmasq, haproxy, sshd ... would grab ports, and
# there may be no init system): tests start their own instances on loopback
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created_policy=1
fi
cleanup() { if [ -n "$created_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get update
# shellcheck disable=SC2086  # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
echo "system-deps: done"
