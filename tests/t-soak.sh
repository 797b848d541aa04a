#!/bin/bash
# tests/t-soak.sh - the short soak of make check: 5,000 deliveries from 8
# writers while `rounds run` sends digests (tests/soak/soak.sh says what is
# checked; `make soak` runs 100,000).
#
# The plain build, not the AddressSanitizer one lib.sh prefers: the point
# is load over time and the daemon's resident set, and ASan's quarantine
# makes a process's memory grow by design, while 5,000 sanitized process
# starts would not fit the time make check allows.  SOAK_ROUNDS overrides.
TOP=${TOP:-$(pwd)}
if [ -n "${SOAK_ROUNDS:-}" ]; then
	ROUNDS=$SOAK_ROUNDS
elif [ -x "$TOP/build/rounds" ]; then
	ROUNDS=$TOP/build/rounds
fi
. tests/soak/soak.sh
