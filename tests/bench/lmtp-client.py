#!/usr/bin/env python3
"""tests/bench/lmtp-client.py - time LMTP deliveries over a UNIX socket.

Usage: lmtp-client.py SOCKET RECIPIENT FILE...

One connection (LHLO once), then one transaction per message file (MAIL,
one RCPT, DATA), each timed until its 250 (the server answers 250 only
once the message is durable).  Prints one JSON object on stdout:
{"messages", "seconds", "rate", "p50_ms", "p99_ms", "refused"}.
"""
import json
import smtplib
import sys
import time


def percentile(values, p):
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def main():
    if len(sys.argv) < 4:
        sys.stderr.write("usage: lmtp-client.py SOCKET RECIPIENT FILE...\n")
        return 64
    sock, rcpt, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    messages = [open(f, "rb").read() for f in files]
    lat = []
    refused = 0
    conn = smtplib.LMTP(sock)
    conn.ehlo_or_helo_if_needed()
    start = time.perf_counter()
    for data in messages:
        t = time.perf_counter()
        try:
            conn.sendmail("bench@example.org", [rcpt], data)
        except smtplib.SMTPException:
            refused += 1
            conn.rset()
        lat.append((time.perf_counter() - t) * 1000.0)
    secs = time.perf_counter() - start
    conn.quit()
    json.dump({"messages": len(messages), "seconds": secs,
               "rate": len(messages) / secs if secs > 0 else 0.0,
               "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
               "refused": refused}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
