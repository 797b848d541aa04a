#!/bin/sh
# Install the Debian 12 packages Rounds needs to build, test and run its demo.
# Idempotent: installs only what is missing and prints nothing when all is there.
# Usage: contrib/install-deps.sh [--test|--preview]
#   --test adds the servers the tests start, --preview a headless browser.
set -eu

build_pkgs="build-essential pkg-config libglib2.0-dev libgmime-3.0-dev libsqlite3-dev
libesmtp-dev libetpan-dev libxml2-dev libjson-glib-dev libcairo2-dev sqlite3 libxml2-utils tzdata
libpcre2-dev"
test_pkgs="postfix swaks dovecot-imapd dovecot-pop3d openssl clang libclang-rt-14-dev
ca-certificates procps time"

pkgs=$build_pkgs
[ "${1:-}" = "--test" ] && pkgs="$build_pkgs $test_pkgs"
# make preview: the demo digest in a real browser.
[ "${1:-}" = "--preview" ] && pkgs="$build_pkgs chromium fonts-dejavu-core"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# npm (for the test corpus) comes with the machine's Node.js; Debian's npm
# package conflicts with that, so it is added only when no npm is found.
[ "${1:-}" = "--test" ] && ! command -v npm >/dev/null 2>&1 && missing="$missing npm"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; tests run private instances, so none.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
