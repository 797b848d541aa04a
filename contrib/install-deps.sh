#!/bin/sh
# Install the Debian 12 packages Rounds needs to build, test and run its demo.
# Idempotent: installs only what is missing and prints nothing when all is there.
# Usage: contrib/install-deps.sh [--demo|--test|--preview|--bench|--deb|--build-depends]
#   --demo adds what `make demo` runs (python3), --test the servers the tests
#   start, --preview a headless browser, --bench the references make bench
#   measures against (notmuch, smtp-source), --deb the Debian packaging tools
#   (make deb); --build-depends prints the build packages for debian/control
#   and installs nothing.
# It says what it will install before installing, and never upgrades a
# package that is already installed (apt-get --no-upgrade; when a missing
# package would need a newer version of an installed one, it stops and
# says so instead).
set -eu

build_pkgs="build-essential pkg-config libglib2.0-dev libgmime-3.0-dev libsqlite3-dev
libesmtp-dev libetpan-dev libxml2-dev libjson-glib-dev libcairo2-dev libgexiv2-dev libsoup-3.0-dev libpcre2-dev sqlite3 libxml2-utils tzdata"
test_pkgs="postfix swaks dovecot-imapd dovecot-pop3d openssl clang libclang-rt-14-dev cmark-gfm
ca-certificates procps time python3 exiv2 libjpeg-turbo-progs systemd notmuch curl
chromium fonts-dejavu-core"
# make deb: dpkg-buildpackage, debhelper and lintian; the tests also sign
# with OpenDKIM (mta-hooks/postfix/README).
deb_pkgs="debhelper dpkg-dev lintian"
test_pkgs="$test_pkgs $deb_pkgs opendkim opendkim-tools"
# make check-valgrind: memcheck.
test_pkgs="$test_pkgs valgrind"
# make demo: the build, and python3 for reading --json in contrib/demo.sh.
demo_pkgs="python3"

if [ "${1:-}" = "--build-depends" ]; then
	# build-essential is implied for every Debian build (Policy 4.2).
	echo $build_pkgs | tr ' ' '\n' | grep -v '^build-essential$' | paste -sd, - | sed 's/,/, /g'
	exit 0
fi

pkgs=$build_pkgs
[ "${1:-}" = "--demo" ] && pkgs="$build_pkgs $demo_pkgs"
[ "${1:-}" = "--test" ] && pkgs="$build_pkgs $test_pkgs"
# make preview: the demo digest in a real browser.
[ "${1:-}" = "--preview" ] && pkgs="$build_pkgs chromium fonts-dejavu-core"
# make bench: notmuch insert/new, and Postfix for smtp-source and smtp-sink.
[ "${1:-}" = "--bench" ] && pkgs="$build_pkgs notmuch postfix python3 time"
[ "${1:-}" = "--deb" ] && pkgs="$build_pkgs $deb_pkgs"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# npm (for the test corpus) comes with the machine's Node.js; Debian's npm
# package conflicts with that, so it is added only when no npm is found.
case "${1:-}" in --test | --bench) command -v npm >/dev/null 2>&1 || missing="$missing npm" ;; esac
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 1
fi

echo "install-deps: missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# A dry run first: what would be installed, and whether an installed package
# would be upgraded on the way (a new -dev package can pull its library's
# newer version).  Those are left to the machine's owner.
# shellcheck disable=SC2086
plan=$(apt-get install -s --no-upgrade --no-install-recommends $missing)
upgrades=$(printf '%s\n' "$plan" | sed -n 's/^Inst \([^ ]*\) \[\([^]]*\)\].*/\1 (\2)/p' | tr '\n' ' ')
if [ -n "$upgrades" ]; then
	echo "install-deps: installing them would upgrade installed packages: $upgrades" >&2
	echo "install-deps: nothing was changed; upgrade those yourself (apt-get upgrade) and run this again" >&2
	exit 1
fi
new=$(printf '%s\n' "$plan" | sed -n 's/^Inst \([^ ]*\) .*/\1/p' | tr '\n' ' ')
echo "install-deps: installing (with what they need): $new"
# Postfix asks how to configure itself; tests run private instances, so none.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
# shellcheck disable=SC2086
apt-get install -y -qq --no-upgrade --no-install-recommends $missing >/dev/null
