#!/usr/bin/env python3
"""tests/bench/bench.py - make bench: every workload side by side, in one run.

Runs each workload against its reference on the same machine in the same
run, prints ONE table (workload, Rounds, reference, ratio, target) and
writes the figures as JSON (BENCH_JSON, default build/bench.json).
Figures, not pass/fail: the exit code is 0 unless the harness itself fails.

The corpus is the ham of the SpamAssassin public corpus (tests/fetch-corpus.sh,
4,150 messages); each message used gets a new Message-ID and subject
(copy number), so any count can be drawn from it without duplicates.

Sizes (environment; BENCH_QUICK=1 picks the smaller default in brackets):
  BENCH_DELIVER=1000 [200]       per-process deliver and notmuch insert; LMTP
  BENCH_IMPORT=4150 [1000]       import vs notmuch new vs the GMime floor
  BENCH_SCALE_SMALL=10000 [500], BENCH_SCALE_BIG=100000 [5000]     import scale
  BENCH_STORED_SMALL=10000 [10000], BENCH_STORED_BIG=1000000 [100000]
                                 messages generated into the store beforehand
  BENCH_STORED_DELIVER=200 [50], BENCH_STORED_IMPORT=300 [300]
  BENCH_PEOPLE=100000 [5000], BENCH_RENDER=2000 [500]   digests (run.sh)
  BENCH_MEMBERS=10000 [1000], BENCH_FANOUT_RUNS=5 [5]   fan-out (fanout.sh)
  BENCH_REF_THREAD=200 [50], BENCH_REF_MEMBERS=50 [50]  references.sh
  BENCH_ONLY=deliver,import,...  run only these workloads (see WORKLOADS)
ROUNDS is the binary (default build/rounds); BENCH_BIN the directory of
the helper programs (default build/tests/bench).
"""
import datetime
import email.utils
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.getcwd()
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
ROUNDS = os.environ.get("ROUNDS", os.path.join(TOP, "build/rounds"))
BIN = os.environ.get("BENCH_BIN", os.path.join(TOP, "build/tests/bench"))
OUT = os.environ.get("BENCH_JSON", os.path.join(TOP, "build/bench.json"))
DOMAIN = "lists.example.test"
RCPT = "corpus@" + DOMAIN
WORKLOADS = ["deliver", "lmtp", "import", "scale", "stored", "digest", "fanout", "references"]


def size(name, full, quick):
    return int(os.environ.get(name, quick if QUICK else full))


SIZES = {
    "deliver": size("BENCH_DELIVER", 1000, 200),
    "import": size("BENCH_IMPORT", 4150, 1000),
    "scale_small": size("BENCH_SCALE_SMALL", 10000, 500),
    "scale_big": size("BENCH_SCALE_BIG", 100000, 5000),
    "stored_small": size("BENCH_STORED_SMALL", 10000, 10000),
    "stored_big": size("BENCH_STORED_BIG", 1000000, 100000),
    "stored_deliver": size("BENCH_STORED_DELIVER", 200, 50),
    "stored_import": size("BENCH_STORED_IMPORT", 300, 300),
    "people": size("BENCH_PEOPLE", 100000, 5000),
    "render": size("BENCH_RENDER", 2000, 500),
    "members": size("BENCH_MEMBERS", 10000, 1000),
    "fanout_runs": size("BENCH_FANOUT_RUNS", 5, 5),
    "ref_thread": size("BENCH_REF_THREAD", 200, 50),
    "ref_members": size("BENCH_REF_MEMBERS", 50, 50),
}
ONLY = [w for w in os.environ.get("BENCH_ONLY", "").split(",") if w]

W = tempfile.mkdtemp(prefix="rounds-bench.")
results = {}  # workload key -> figures
rows = []  # the table


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def row(key, workload, rounds_text, reference_text, ratio, target, **figures):
    """One table row, and its figures under results[key]."""
    rows.append({"key": key, "workload": workload, "rounds": rounds_text,
                 "reference": reference_text, "ratio": ratio, "target": target})
    results[key] = dict(figures, workload=workload, ratio=ratio, target=target)


def na_row(key, workload, why, target):
    rows.append({"key": key, "workload": workload, "rounds": "n/a (%s)" % why,
                 "reference": "", "ratio": None, "target": target})
    results[key] = {"workload": workload, "ratio": None, "target": target, "skipped": why}


def pct(values, p):
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def run(argv, **kw):
    return subprocess.run(argv, check=True, **kw)


# ---------------------------------------------------------------- corpus

def load_ham():
    p = subprocess.run(["sh", "tests/fetch-corpus.sh"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench: no corpus: %s" % p.stderr.strip())
    d = p.stdout.strip()
    files = []
    for group in sorted(os.listdir(d)):
        if "ham" in group:
            g = os.path.join(d, group)
            files += [os.path.join(g, f) for f in sorted(os.listdir(g)) if f.endswith(".txt")]
    ham = []
    for f in files:
        data = open(f, "rb").read()
        if data.startswith(b"From "):  # the MTA never passes the mbox line
            data = data.split(b"\n", 1)[1]
        ham.append(data)
    return ham


HAM = []
HDR_DROP = re.compile(rb"^(message-id|subject):", re.I)


def variant(i):
    """Copy i of the ham: a new Message-ID, the subject with the copy number."""
    head, _, body = HAM[i % len(HAM)].partition(b"\n\n")
    out, subject, dropping = [], b"", None
    for line in head.split(b"\n"):
        if dropping is not None and line[:1] in (b" ", b"\t"):  # a folded line
            if dropping == b"subject":
                subject += b" " + line.strip()
            continue
        m = HDR_DROP.match(line)
        dropping = m.group(1).lower() if m else None
        if dropping == b"subject":
            subject = line.split(b":", 1)[1].strip()
        if dropping is None:
            out.append(line)
    out.append(b"Message-ID: <bench-%d@bench.example>" % i)
    out.append(b"Subject: %s [%d]" % (subject or b"(no subject)", i))
    return b"\n".join(out) + b"\n\n" + body


def write_dir(path, first, n):
    """A Maildir at path with copies first..first+n-1 in new/."""
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    files = []
    for i in range(first, first + n):
        f = os.path.join(path, "new", "%d.bench:2," % i)
        with open(f, "wb") as fh:
            fh.write(variant(i))
        files.append(f)
    return files


FROM_LINE = re.compile(rb"^(>*From )", re.M)


def write_mbox(path, first, n):
    with open(path, "wb") as fh:
        for i in range(first, first + n):
            fh.write(b"From bench@example.org Thu Jan  1 00:00:00 2026\n")
            body = FROM_LINE.sub(rb">\1", variant(i))
            fh.write(body if body.endswith(b"\n") else body + b"\n")
            fh.write(b"\n")


# ---------------------------------------------------------------- rounds and notmuch

def rounds_home(name):
    home = os.path.join(W, name)
    env = dict(os.environ, ROUNDS_HOME=home)
    run([ROUNDS, "init", "--domain", DOMAIN], env=env, stdout=subprocess.DEVNULL)
    run([ROUNDS, "community", "create", "corpus", "--policy", "open"], env=env,
        stdout=subprocess.DEVNULL)
    # List mail carries Precedence: bulk; accept it so that every message is
    # threaded and posted, not held.
    run([ROUNDS, "community", "set", "corpus", "--accept-auto", "yes"], env=env,
        stdout=subprocess.DEVNULL)
    return home, env


def notmuch_db(name, maildir=None):
    root = os.path.join(W, name)
    os.makedirs(root, exist_ok=True)
    maildir = maildir or os.path.join(root, "mail")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    cfg = os.path.join(root, "notmuch-config")
    with open(cfg, "w") as fh:
        fh.write("[database]\npath=%s\n[user]\nname=Bench\nprimary_email=bench@example.org\n"
                 "[new]\ntags=inbox;unread;\n[maildir]\nsynchronize_flags=true\n" % maildir)
    return dict(os.environ, NOTMUCH_CONFIG=cfg)


def per_process(argv, env, messages):
    """Run argv once per message (on stdin); seconds, latencies (ms), codes."""
    lat, codes = [], {}
    start = time.perf_counter()
    for data in messages:
        t = time.perf_counter()
        p = subprocess.run(argv, input=data, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        lat.append((time.perf_counter() - t) * 1000.0)
        codes[p.returncode] = codes.get(p.returncode, 0) + 1
    return time.perf_counter() - start, lat, codes


def timed(argv, env=None, out=False):
    t = time.perf_counter()
    p = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    secs = time.perf_counter() - t
    return (secs, p.stdout) if out else secs


def rate(n, secs):
    return n / secs if secs > 0 else 0.0


def fmt_rate(r):
    return "%.0f msg/s" % r


def rounds_import(env, path):
    """Import path into corpus; seconds and the summary's counts."""
    secs, out = timed([ROUNDS, "import", "corpus", path, "--quiet"], env=env, out=True)
    m = re.search(r"imported (\d+) messages \((\d+) new, (\d+) duplicates, (\d+) errors", out)
    counts = dict(zip(("done", "new", "duplicates", "errors"),
                      (int(x) for x in m.groups()))) if m else {}
    return secs, counts


DELIVER = [ROUNDS, "deliver", "--recipient", RCPT, "--sender", "bench@example.org"]


# ---------------------------------------------------------------- workloads

def w_deliver():
    n = SIZES["deliver"]
    msgs = [variant(i) for i in range(n)]
    env_nm = notmuch_db("nm-insert")
    run(["notmuch", "new", "--quiet"], env=env_nm)
    nm_secs, nm_lat, nm_codes = per_process(["notmuch", "insert"], env_nm, msgs)
    _, env = rounds_home("deliver")
    r_secs, r_lat, r_codes = per_process(DELIVER, env, msgs)
    rr, nr = rate(n, r_secs), rate(n, nm_secs)
    results["_notmuch_insert"] = {"rate": nr, "p50_ms": pct(nm_lat, 50), "p99_ms": pct(nm_lat, 99)}
    row("deliver", "rounds deliver, one process per message (%d)" % n,
        "%s, p50 %.1f ms, p99 %.1f ms" % (fmt_rate(rr), pct(r_lat, 50), pct(r_lat, 99)),
        "notmuch insert %s, p50 %.1f ms, p99 %.1f ms" % (fmt_rate(nr), pct(nm_lat, 50),
                                                         pct(nm_lat, 99)),
        rr / nr if nr else None, ">= 2.5; p99 < 20 ms",
        messages=n, rate=rr, p50_ms=pct(r_lat, 50), p99_ms=pct(r_lat, 99),
        exit_codes={str(k): v for k, v in r_codes.items()},
        reference={"name": "notmuch insert", "rate": nr, "p50_ms": pct(nm_lat, 50),
                   "p99_ms": pct(nm_lat, 99),
                   "exit_codes": {str(k): v for k, v in nm_codes.items()}})


def w_lmtp():
    target = ">= 10 x notmuch insert"
    name = "rounds lmtp, durable before 250"
    if subprocess.run([ROUNDS, "lmtp", "--help"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        na_row("lmtp", name, "no rounds lmtp", target)
        return
    n = SIZES["deliver"]
    home, env = rounds_home("lmtp")
    files = write_dir(os.path.join(W, "lmtp-msgs"), 0, n)
    sock = os.path.join(home, "lmtp")
    extra = os.environ.get("BENCH_LMTP_ARGS", "").split()
    server = subprocess.Popen([ROUNDS, "lmtp"] + extra, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and server.poll() is None:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                s.close()
                break
            except OSError:
                time.sleep(0.05)
        if server.poll() is not None:
            na_row("lmtp", name, "rounds lmtp exited %d" % server.returncode, target)
            return
        out = subprocess.run([sys.executable, os.path.join(TOP, "tests/bench/lmtp-client.py"),
                              sock, RCPT] + files, check=True, capture_output=True,
                             text=True).stdout
        fig = json.loads(out)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    nm = results.get("_notmuch_insert")
    nr = nm["rate"] if nm else 0.0
    row("lmtp", "%s (%d)" % (name, n),
        "%s, p50 %.1f ms, p99 %.1f ms" % (fmt_rate(fig["rate"]), fig["p50_ms"], fig["p99_ms"]),
        "notmuch insert %s" % fmt_rate(nr) if nm else "notmuch insert not run",
        fig["rate"] / nr if nr else None, target,
        messages=n, rate=fig["rate"], p50_ms=fig["p50_ms"], p99_ms=fig["p99_ms"],
        refused=fig["refused"], reference={"name": "notmuch insert", "rate": nr})


def w_import():
    n = SIZES["import"]
    maildir = os.path.join(W, "import", "mail")
    write_dir(maildir, 0, n)
    f_secs, f_out = timed([os.path.join(BIN, "gmime-floor"), os.path.join(maildir, "new")],
                          out=True)
    m = re.search(r"parsed (\d+) messages", f_out)
    floor_rate = rate(int(m.group(1)) if m else n, f_secs)
    _, env = rounds_home("import-home")
    r_secs, counts = rounds_import(env, maildir)
    env_nm = notmuch_db(os.path.join("import", "nm"), maildir)
    nm_secs = timed(["notmuch", "new", "--quiet"], env=env_nm)
    rr, nr = rate(n, r_secs), rate(n, nm_secs)
    row("import_vs_notmuch", "rounds import, Maildir (%d)" % n, fmt_rate(rr),
        "notmuch new %s" % fmt_rate(nr), rr / nr if nr else None, ">= 10",
        messages=n, rate=rr, seconds=r_secs, imported=counts,
        reference={"name": "notmuch new", "rate": nr, "seconds": nm_secs})
    row("import_vs_floor", "rounds import vs GMime parse only (%d)" % n, fmt_rate(rr),
        "gmime-floor %s" % fmt_rate(floor_rate), rr / floor_rate if floor_rate else None,
        ">= 0.35", messages=n, rate=rr,
        reference={"name": "gmime-floor", "rate": floor_rate, "seconds": f_secs})


def w_scale():
    small, big = SIZES["scale_small"], SIZES["scale_big"]
    secs, counts = {}, {}
    for n in (small, big):
        mbox = os.path.join(W, "scale-%d.mbox" % n)
        write_mbox(mbox, 0, n)
        _, env = rounds_home("scale-%d" % n)
        secs[n], counts[n] = rounds_import(env, mbox)
        os.unlink(mbox)
        shutil.rmtree(os.path.join(W, "scale-%d" % n))
    factor = big / small
    row("import_scale", "rounds import, mbox of %d vs %d" % (big, small),
        "%.1f s" % secs[big], "%.1f s" % secs[small], secs[big] / secs[small],
        "<= %.1f (linear %.0f)" % (1.1 * factor, factor),
        messages=big, seconds=secs[big], rate=rate(big, secs[big]), imported=counts[big],
        reference={"messages": small, "seconds": secs[small], "rate": rate(small, secs[small]),
                   "imported": counts[small]})


def generate_history(home, n):
    """n posted messages in threads of 10, straight into the store."""
    db = os.path.join(home, "rounds.db")
    authors = []
    for m in HAM[:2000]:
        head = m.partition(b"\n\n")[0].decode("latin-1")
        f = re.search(r"(?mi)^from:\s*(.*)$", head)
        a = email.utils.parseaddr(f.group(1))[1].lower() if f else ""
        if "@" in a and a not in authors:
            authors.append(a)
    authors = authors or ["author@example.net"]
    body = ("A line of an earlier case discussion, stored before the benchmark. " * 5).strip()
    raw = ("From: Author <author@example.net>\nSubject: History\n\n" + body + "\n") * 3
    sql = ["PRAGMA synchronous=OFF;", "BEGIN;",
           "CREATE TEMP TABLE authors(i INTEGER PRIMARY KEY, addr TEXT);"]
    sql += ["INSERT INTO authors VALUES (%d, '%s');" % (i, a.replace("'", "''"))
            for i, a in enumerate(authors)]
    base = 1500000000
    sql.append(
        "WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i < %d) "
        "INSERT INTO threads(id, community_id, subject, message_count, first_date, last_date) "
        "SELECT i + 1, c.id, 'History thread ' || i, 10, %d + i * 600, %d + i * 600 + 540 "
        "FROM t, communities c WHERE c.name = 'corpus';" % ((n - 1) // 10, base, base))
    sql.append(
        "WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < %d) "
        "INSERT INTO messages(id, community_id, message_id, thread_id, parent_message_id,"
        " from_addr, from_name, subject, norm_subject, is_reply, date, date_text, arrived,"
        " status, body, raw, posted_seq) "
        "SELECT i + 1, c.id, 'hist' || i || '@bench.example', i / 10 + 1,"
        " CASE WHEN i %% 10 THEN 'hist' || (i - 1) || '@bench.example' END,"
        " (SELECT addr FROM authors WHERE authors.i = m.i %% %d), 'Author',"
        " CASE WHEN i %% 10 THEN 'Re: ' ELSE '' END || 'History thread ' || (i / 10),"
        " 'history thread ' || (i / 10), i %% 10 > 0, %d + i * 60,"
        " strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %d + i * 60, 'unixepoch'), %d + i * 60,"
        " 'posted', '%s', CAST('%s' AS BLOB), i + 1 "
        "FROM m, communities c WHERE c.name = 'corpus';"
        % (n - 1, len(authors), base, base, base, body, raw))
    sql.append("INSERT INTO refs(message, position, ref) SELECT id, 0, parent_message_id "
               "FROM messages WHERE parent_message_id IS NOT NULL;")
    sql.append("COMMIT;")
    run(["sqlite3", db], input="\n".join(sql).encode(), stdout=subprocess.DEVNULL)
    run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE);"], stdout=subprocess.DEVNULL)


def w_stored():
    small, big = SIZES["stored_small"], SIZES["stored_big"]
    nd, ni = SIZES["stored_deliver"], SIZES["stored_import"]
    figs = {}
    for n in (small, big):
        home, env = rounds_home("stored-%d" % n)
        t = time.perf_counter()
        generate_history(home, n)
        gen = time.perf_counter() - t
        log("generated %d stored messages in %.1f s (%d MB)"
            % (n, gen, os.path.getsize(os.path.join(home, "rounds.db")) >> 20))
        d_secs, d_lat, _ = per_process(DELIVER, env, [variant(i) for i in range(nd)])
        maildir = os.path.join(W, "stored-import-%d" % n)
        write_dir(maildir, nd, ni)
        i_secs, _ = rounds_import(env, maildir)
        figs[n] = {"deliver_seconds": d_secs, "deliver_p50_ms": pct(d_lat, 50),
                   "deliver_p99_ms": pct(d_lat, 99), "import_seconds": i_secs,
                   "generate_seconds": gen}
        shutil.rmtree(home)
        shutil.rmtree(maildir)
    s, b = figs[small], figs[big]
    row("stored_deliver", "deliver %d with %d stored vs %d" % (nd, big, small),
        "%.2f s, p50 %.1f ms" % (b["deliver_seconds"], b["deliver_p50_ms"]),
        "%.2f s, p50 %.1f ms" % (s["deliver_seconds"], s["deliver_p50_ms"]),
        b["deliver_seconds"] / s["deliver_seconds"], "<= 1.2",
        messages=nd, stored=big, seconds=b["deliver_seconds"], p50_ms=b["deliver_p50_ms"],
        p99_ms=b["deliver_p99_ms"],
        reference={"stored": small, "seconds": s["deliver_seconds"],
                   "p50_ms": s["deliver_p50_ms"], "p99_ms": s["deliver_p99_ms"]})
    row("stored_import", "import %d with %d stored vs %d" % (ni, big, small),
        "%.2f s" % b["import_seconds"], "%.2f s" % s["import_seconds"],
        b["import_seconds"] / s["import_seconds"], "<= 1.2",
        messages=ni, stored=big, seconds=b["import_seconds"],
        reference={"stored": small, "seconds": s["import_seconds"]})


def script(name, extra_env):
    env = dict(os.environ, ROUNDS=ROUNDS, BENCH_DIGEST=os.path.join(BIN, "bench-digest"),
               **extra_env)
    p = subprocess.run(["bash", os.path.join(TOP, "tests/bench", name)], env=env,
                       capture_output=True, text=True)
    sys.stderr.write(p.stdout)
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (name, p.returncode, p.stderr[-500:]))
    return p.stdout


def w_digest():
    out = script("run.sh", {"BENCH_PEOPLE": str(SIZES["people"]),
                            "BENCH_RENDER": str(SIZES["render"])})
    dq = re.search(r"decide and queue: (\d+) digests in ([\d.]+)s = (\d+) digests/s", out)
    rd = re.search(r"rendered (\d+) digests in ([\d.]+) s: (\d+) digests/s \((\d+) per CPU", out)
    decide, render = float(dq.group(3)), float(rd.group(3))
    row("digest_decide", "digests: decide and queue (%d people)" % SIZES["people"],
        "%.0f digests/s" % decide, "22000/s (issue 13)", decide / 22000, ">= 1.0 (no regression)",
        people=SIZES["people"], rate=decide, reference={"rate": 22000})
    row("digest_render", "digests: render text + HTML (%s)" % rd.group(1),
        "%.0f digests/s" % render, "2700/s (issue 13)", render / 2700, ">= 1.0 (no regression)",
        digests=int(rd.group(1)), rate=render, cpu_rate=float(rd.group(4)),
        reference={"rate": 2700})


def w_fanout():
    ratios, rr, sr = [], [], []
    for _ in range(SIZES["fanout_runs"]):
        out = script("fanout.sh", {"BENCH_MEMBERS": str(SIZES["members"])})
        ratios.append(float(re.search(r"ratio rounds / smtp-source: ([\d.]+)", out).group(1)))
        sr.append(float(re.search(r"smtp-source: [\d.]+s = (\d+) messages/s", out).group(1)))
        rr.append(float(re.search(r"rounds outbox flush: \d+ sent in [\d.]+s = (\d+)",
                                  out).group(1)))
    med = statistics.median(ratios)
    row("fanout", "fan-out to smtp-sink, %d members, median of %d" % (SIZES["members"],
                                                                      len(ratios)),
        fmt_rate(statistics.median(rr)), "smtp-source %s" % fmt_rate(statistics.median(sr)),
        med, ">= 0.85", members=SIZES["members"], runs=len(ratios), ratios=ratios,
        rate=statistics.median(rr), reference={"name": "smtp-source",
                                               "rate": statistics.median(sr)})


def w_references():
    out = script("references.sh", {"BENCH_REF_THREAD": str(SIZES["ref_thread"]),
                                   "BENCH_REF_MEMBERS": str(SIZES["ref_members"])})
    plain = float(re.search(r"plain post: ([\d.]+)s", out).group(1))
    hostile = float(re.search(r"post with 20,000 References: ([\d.]+)s", out).group(1))
    copied = float(re.search(r"References copied from it: ([\d.]+)s", out).group(1))
    row("references", "post with 20,000 hostile References", "%.3f s" % hostile,
        "plain post %.3f s" % plain, hostile / plain, "< 3", seconds=hostile,
        reference={"name": "plain post", "seconds": plain})
    row("references_reply", "later reply, References copied from it", "%.3f s" % copied,
        "plain post %.3f s" % plain, copied / plain, "< 3", seconds=copied,
        reference={"name": "plain post", "seconds": plain})


STEPS = {"deliver": w_deliver, "lmtp": w_lmtp, "import": w_import, "scale": w_scale,
         "stored": w_stored, "digest": w_digest, "fanout": w_fanout,
         "references": w_references}


# ---------------------------------------------------------------- report

def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu}


def table():
    lines = ["| workload | Rounds | reference | ratio | target |", "|---|---|---|---|---|"]
    for r in rows:
        ratio = "" if r["ratio"] is None else "%.2f" % r["ratio"]
        lines.append("| %s | %s | %s | %s | %s |" % (r["workload"], r["rounds"],
                                                     r["reference"], ratio, r["target"]))
    return "\n".join(lines)


def main():
    global HAM
    start = time.perf_counter()
    # Stopped (timeout, Ctrl-C): still remove the working directory.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failed = []
    try:
        HAM = load_ham()
        log("corpus: %d ham messages%s" % (len(HAM), " (quick mode)" if QUICK else ""))
        for name in WORKLOADS:
            if ONLY and name not in ONLY:
                continue
            log("== %s" % name)
            t = time.perf_counter()
            try:
                STEPS[name]()
            except (subprocess.CalledProcessError, RuntimeError, AttributeError,
                    OSError, ValueError) as e:
                log("%s failed: %s" % (name, e))
                failed.append(name)
                na_row(name, name, "failed: %s" % str(e)[:80], "")
            log("%s took %.0f s" % (name, time.perf_counter() - t))
    finally:
        shutil.rmtree(W, ignore_errors=True)
    doc = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "machine": machine(), "quick": QUICK, "rounds": ROUNDS,
           "seconds": time.perf_counter() - start, "sizes": SIZES,
           "workloads": {k: v for k, v in results.items() if not k.startswith("_")},
           "table": rows, "failed": failed}
    os.makedirs(os.path.dirname(os.path.abspath(OUT)), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(doc, fh, indent=1)
    m = doc["machine"]
    print("%s, %d CPUs (%s), %s, %.0f s" % (doc["date"], m["nproc"], m["cpu"],
                                            "BENCH_QUICK=1" if QUICK else "full", doc["seconds"]))
    print(table())
    print("JSON: %s" % OUT)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
