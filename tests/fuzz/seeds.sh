#!/bin/sh
# seeds.sh DIR - the seed corpus of every fuzz target, from the project's
# own test mail and corpora, as DIR/TARGET/ (one input per file).  Run
# from the top of the checkout (tests/fuzz/run.sh does).
set -eu
out=${1:?usage: seeds.sh DIR}
rm -rf "$out"
for t in deliver bounce auth trim html command mustache address lmtp web; do
	mkdir -p "$out/$t"
done
n=0
put() { # put TARGET FILE...: copy each file (skipping empty ones)
	t=$1; shift
	for f in "$@"; do
		[ -f "$f" ] && [ -s "$f" ] || continue
		n=$((n + 1))
		cp "$f" "$out/$t/$n-$(basename "$f")"
	done
}
line() { # line TARGET TEXT: one written seed
	n=$((n + 1))
	printf '%b' "$2" >"$out/$1/$n-written"
}

mail=$(find tests/mail tests/reply-mail tests/bounces tests/import tests/digest \
	contrib/demo -name '*.eml' -size -257k 2>/dev/null | sort)
put deliver $mail
put bounce $(find tests/bounces -name '*.eml' -size -257k | sort) tests/mail/auto-replied.eml
put trim $(find tests/replies \( -name '*.txt' -o -name '*.html' \) -size -257k | sort)
put html $(find tests/replies -name '*.html' -size -257k | sort) templates/*.html.mustache
put command $(find tests/replies -name '*.txt' -size -257k | sort | head -40)
put mustache templates/*.mustache tests/mustache/*.mustache tests/mustache/partials/* 2>/dev/null || true

for c in 'subscribe\n' 'Re: unsubscribe\nthanks' 'help\n' 'set digest\ndigest 07:30\ntimezone Europe/Berlin\nend' \
	'approve 42 and allow\nreject #7 spam\n-- \nsig' 'invite <Ann@Example.org> Ann\nremove mailto:bob@example.org' \
	'Fwd: AW: subscribe care\n> quoted\nmute 12\npause until 2026-12-24' 'confirm c-abc123\n\xc2\xa0help\xc2\xa0'; do
	line command "$c"
done
for m in '{{#threads}}{{subject}}{{/threads}}' '{{=<% %>=}}<% name %><%={{ }}=%>{{> self}}' \
	'{{^none}}x{{/none}}{{! c }}{{{raw}}}{{& raw}}{{> footer}}' '{{#a}}{{#b}}{{.}}{{/b}}{{/a}}'; do
	line mustache "$m"
done
for a in 'care@lists.example.test' 'Care+Request@Lists.Example.Test' 'care-request@lists.example.test' \
	'care-team+owner@lists.example.test\ncare+r-aaaaaaaaaaaaaaaaaaaaaaaaaa@x' \
	'care+c-abc@lists.example.test\ncare+b-0123456789abcdefghijklmnop@l' '"care"@lists.example.test\n<care+help@l>' \
	'care+d-@l\ncare++subscribe@l\n@\ncare@'; do
	line address "$a"
done
for h in 'dkim=pass header.d=example.org; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org' \
	'dmarc=fail (p=reject) header.from=mail.example.org\nAuthentication-Results: mx.example.test; dkim=pass header.i=@example.org' \
	'none' 'dkim=pass (2048-bit key; "quoted (comment)") header.d="example.org" header.s=sel; arc=none' \
	'dmarc=pass policy.dmarc=none header.from=Example.Org\nAuthentication-Results: other.example; dmarc=pass header.from=example.org'; do
	line auth "$h"
done
lmtp='LHLO mx.example.test\r\nMAIL FROM:<ann@example.org> SIZE=120\r\nRCPT TO:<care@lists.example.test>\r\nRCPT TO:<care+7@lists.example.test>\r\nDATA\r\n'
line lmtp "${lmtp}From: ann@example.org\r\nSubject: hi\r\n\r\n..dot\r\nbody\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n"
line lmtp 'LHLO x\nMAIL FROM:<>\nRCPT TO:<"a>b"@example.org>\nDATA\nlong line\n.\nVRFY x\nHELO x\nQUIT\n'
line lmtp "LHLO x\r\nMAIL FROM:<a@b> BODY=8BITMIME\r\nDATA\r\nRCPT TO:<c@d>\r\nBDAT 10\r\nQUIT\r\n"
for w in 'GET /u/TOKEN0' 'POST /u/TOKEN1\nList-Unsubscribe=One-Click' 'POST /u/TOKEN0\nList-Unsubscribe=One-Click' \
	'GET /c/abcdef' 'POST /c/abcdef\n' 'HEAD /' 'GET /u/TOKEN0/../x' 'POST /u/tokenx\nList-Unsubscribe=Once'; do
	line web "$w"
done
# Every target also starts from what it once failed on.
for d in tests/fuzz/regress/*/; do
	[ -d "$d" ] || continue
	t=$(basename "$d")
	[ -d "$out/$t" ] && put "$t" "$d"*
done
true
