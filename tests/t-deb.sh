#!/bin/bash
# t-deb.sh - `make deb` builds a Debian package that lintian passes, that
# installs on this machine like Postfix beside it (a `rounds` system user,
# /var/lib/rounds its own, no service enabled or started), that delivers
# as that user with the installed templates, and that removes and purges
# cleanly.  Needs root and a machine without Rounds installed.
. tests/lib.sh

if [ "$(id -u)" -ne 0 ]; then not_ok "t-deb runs as root"; t_done; fi
if dpkg-query -W -f='${Status}' rounds 2>/dev/null | grep -q installed || [ -e /var/lib/rounds ]; then
	echo "ok - the Debian package # SKIP Rounds is installed here already (/var/lib/rounds)"
	t_done
fi

if make --no-print-directory deb >"$T_TMP/deb.log" 2>&1; then
	ok "make deb builds the package and lintian reports no errors"
else
	not_ok "make deb builds the package and lintian reports no errors" "$(tail -15 "$T_TMP/deb.log")"
	t_done
fi
deb=$(ls build/deb/rounds_*_*.deb | grep -v dbgsym | head -1)
version=$(sed -n 's/^#define ROUNDS_VERSION "\(.*\)"/\1/p' src/main.c)
expect_eq "the package carries the program's version" "$(dpkg-deb -f "$deb" Version)" "$version"
dpkg-deb -c "$deb" | awk '{print $6}' >"$T_TMP/files"
for f in ./usr/bin/rounds ./usr/share/rounds/templates/digest.txt.mustache ./usr/share/man/man1/rounds.1.gz \
	./lib/systemd/system/rounds.service ./usr/lib/sysusers.d/rounds.conf ./usr/lib/tmpfiles.d/rounds.conf; do
	grep -qx "$f" "$T_TMP/files" && ok "the package ships $f" || not_ok "the package ships $f"
done

had_user=$(getent passwd rounds >/dev/null && echo yes || echo no)
purge() { DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq rounds >/dev/null 2>&1; rm -rf /var/lib/rounds; }
t_on_exit purge
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "./$deb" >"$T_TMP/apt.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb")"
else
	not_ok "apt-get install ./$(basename "$deb")" "$(tail -5 "$T_TMP/apt.log")"
	t_done
fi
expect_eq "rounds --version is the packaged one" "$(/usr/bin/rounds --version | head -1)" "rounds $version"
if [ "$had_user" = no ]; then
	expect_eq "a rounds system user, at home in /var/lib/rounds, with no shell" \
		"$(getent passwd rounds | cut -d: -f6,7)" "/var/lib/rounds:/usr/sbin/nologin"
fi
expect_eq "the rounds user is a system user" "$(( $(id -u rounds) < 1000 ))" 1
expect_eq "/var/lib/rounds belongs to it, mode 0750" "$(stat -c '%U:%G %a' /var/lib/rounds)" "rounds:rounds 750"
# Nothing runs before the installation is configured.
for u in rounds.service rounds-tick.timer; do
	expect_eq "$u is not enabled" "$(systemctl is-enabled "$u" 2>/dev/null)" disabled
done

# The first steps of the README, as the rounds user, with the installed program.
as_rounds() { runuser -u rounds -- /usr/bin/rounds "$@"; }
expect_code 0 "rounds init as the rounds user" as_rounds init --domain lists.example.test
as_rounds community create care --title "Care Team" --quiet >/dev/null 2>&1
as_rounds member add care ana@example.org --name Ana >/dev/null 2>&1
t_mail ana@example.org care@lists.example.test "Pressure ulcer audit" "Who has the audit form?" >"$T_TMP/post.eml"
expect_code 0 "a post delivered as the rounds user is stored" \
	runuser -u rounds -- /usr/bin/rounds deliver --recipient care@lists.example.test --sender ana@example.org <"$T_TMP/post.eml"
# +help is answered from the installed templates (never ./templates).
t_mail ana@example.org care+help@lists.example.test "help" "" >"$T_TMP/help.eml"
(cd / && runuser -u rounds -- /usr/bin/rounds deliver --recipient care+help@lists.example.test --sender ana@example.org <"$T_TMP/help.eml")
expect_eq "+help is answered from /usr/share/rounds/templates" "$?" 0
expect_eq "the answer is queued" "$(as_rounds outbox list --json | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin) if o["recipient"] == "ana@example.org"))')" 1
expect_eq "the database belongs to the rounds user" "$(stat -c %U /var/lib/rounds/rounds.db)" rounds

DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq rounds >/dev/null 2>&1
expect_eq "remove takes the program away" "$(command -v /usr/bin/rounds || echo gone)" gone
[ -f /var/lib/rounds/rounds.db ] && ok "remove keeps the lists (/var/lib/rounds)" || not_ok "remove keeps the lists (/var/lib/rounds)"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq rounds >/dev/null 2>&1
expect_eq "purge leaves no package" "$(dpkg-query -W -f='${Status}' rounds 2>/dev/null || echo none)" none
[ -e /var/lib/rounds ] && not_ok "purge removes /var/lib/rounds" || ok "purge removes /var/lib/rounds"
[ -e /usr/lib/sysusers.d/rounds.conf ] && not_ok "purge leaves no files" || ok "purge leaves no files"
t_done
