# Rounds - GNU Makefile (non-recursive).
#
#   make            build ./rounds
#   make demo       install missing build packages, build, run a sample community
#   make check      install missing packages, build, run every test
#   make bench      benchmarks (figures, not pass/fail)
#   make soak       100,000 deliveries under load (not in make check)
#   make check-valgrind  end-to-end tests under valgrind memcheck
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb        a Debian package in build/deb/ (contrib/debian/)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (300) each
#
# Every module under src/ goes into one static library; src/main.c is the
# thin front end.  Unit tests are tests/unit/test-*.c, picked up by name.

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/rounds
MANDIR    ?= $(PREFIX)/share/man
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR   ?=
BUILD     ?= build
SAN       ?=

PKGS := gmime-3.0 glib-2.0 gio-2.0 sqlite3 libesmtp-1.0 libetpan libxml-2.0 json-glib-1.0 cairo gexiv2 gmodule-2.0 libsoup-3.0 libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libetpan's .pc leaks its own build's -specs=.../no-pie-link.specs, which
# would make every binary non-PIE (lintian: hardening-no-pie).
PKG_LIBS   := $(filter-out -specs=%,$(shell pkg-config --libs $(PKGS) 2>/dev/null))
# What `rounds deliver` links (src/lean.c): no libetpan, libesmtp, cairo.
LEAN_PKGS := gmime-3.0 glib-2.0 gio-2.0 sqlite3 libxml-2.0 json-glib-1.0 gmodule-2.0 libpcre2-8
LEAN_LIBS := $(shell pkg-config --libs $(LEAN_PKGS) 2>/dev/null)

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wwrite-strings -Wmissing-prototypes -Wshadow \
           -Wformat=2 -Wno-format-nonliteral -Wno-unused-parameter -fno-common
ifdef CI
WARN    += -Werror
endif
ifeq ($(SAN),1)
CFLAGS  := -O1 -g -fno-omit-frame-pointer
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
# The library as the fuzz targets link it (clang, build/fuzz): coverage
# instrumentation for libFuzzer, ASan and UBSan.
ifeq ($(SAN),fuzz)
CC      := clang
CFLAGS  := -O1 -g -fno-omit-frame-pointer
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
# gcc's warnings gate the code; clang's own extra ones do not fail this build.
WARN    += -Wno-error -Wno-missing-field-initializers -Wno-string-concatenation
endif
# An installed binary finds its templates next to itself
# (BINDIR/../share/rounds/templates), so PREFIX and DESTDIR need no rebuild;
# only a DATADIR outside that layout is compiled in.
ifeq ($(DATADIR)|$(BINDIR),$(PREFIX)/share/rounds|$(PREFIX)/bin)
DATADIR_DEF :=
else
DATADIR_DEF := -DRD_DATADIR='"$(DATADIR)"'
endif
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) \
              $(DATADIR_DEF) -DRD_BINDIR='"$(BINDIR)"' -Isrc -MMD -MP
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
LIBS    := $(PKG_LIBS) -lm

LIB_SRC   := $(filter-out src/main.c src/lean.c,$(wildcard src/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test-*.c)
UNIT_BIN  := $(UNIT_SRC:%.c=$(BUILD)/%)
DEPS      := $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d $(BUILD)/src/lean.d $(UNIT_BIN:=.d)

# rounds is the lean front (src/lean.c): it runs deliver itself and execs
# rounds-full, beside it, for every other verb.
BIN := $(BUILD)/rounds
FULL := $(BUILD)/rounds-full

.PHONY: all deps demo check check-build bench install clean preview deb fuzz fuzz-build soak check-valgrind FORCE
all: rounds

rounds: $(BIN)
	@ln -sf $(BIN) rounds

$(BUILD)/librounds.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# A DATADIR of its own is compiled in (RD_DATADIR): objects are rebuilt
# when it changes, e.g. `make install DATADIR=/opt/rounds` after a plain make.
$(BUILD)/datadir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR_DEF) $(BINDIR)' | cmp -s - $@ || echo '$(DATADIR_DEF) $(BINDIR)' >$@
$(LIB_OBJ) $(BUILD)/src/main.o $(BUILD)/src/lean.o: $(BUILD)/datadir.stamp
FORCE:

$(FULL): $(BUILD)/src/main.o $(BUILD)/librounds.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# --as-needed: a library only the objects left out would use is not loaded.
$(BIN): $(BUILD)/src/lean.o $(BUILD)/librounds.a | $(FULL)
	$(CC) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $^ $(LEAN_LIBS) -lm

$(BUILD)/tests/unit/test-%: tests/unit/test-%.c $(BUILD)/librounds.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/librounds.a $(LIBS)

units: $(UNIT_BIN)

deps:
	@sh contrib/install-deps.sh --test

# The bench's helper programs: tests/t-bench.sh runs them too.
BENCH_PROGS = $(BUILD)/tests/bench/bench-digest $(BUILD)/tests/bench/gmime-floor
# The fault-injection shim (LD_PRELOAD) of tests/t-faults.sh.
FAULT_SHIM = $(BUILD)/tests/faults/faultshim.so
check-build: rounds units $(BENCH_PROGS) $(FAULT_SHIM)

# The tests install what they need (servers, the corpus) themselves; CI and
# people run exactly this.
check: deps
	@$(MAKE) --no-print-directory check-build
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 build/asan/rounds
	@sh tests/run.sh

# The demo installs only what it runs (no test servers), and says what first.
demo:
	@sh contrib/install-deps.sh --demo
	@$(MAKE) --no-print-directory rounds
	@sh contrib/demo.sh

# No sanitizer: it is preloaded into any build, ASan's included.
$(BUILD)/tests/faults/%.so: tests/faults/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -g -fPIC -shared $(shell pkg-config --cflags sqlite3) -o $@ $< -ldl

$(BUILD)/tests/bench/%: tests/bench/%.c $(BUILD)/librounds.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/librounds.a $(LIBS)

preview:
	@sh contrib/install-deps.sh --preview
	@$(MAKE) --no-print-directory rounds
	@sh contrib/demo.sh >/dev/null
	@sh contrib/preview.sh

# Every workload side by side with its reference, one table and
# $(BUILD)/bench.json (tests/bench/bench.py; BENCH_QUICK=1 for ~2 minutes).
bench:
	@sh contrib/install-deps.sh --bench
	@$(MAKE) --no-print-directory rounds $(BENCH_PROGS)
	@python3 tests/bench/bench.py

# The long soak (not in make check, which runs tests/t-soak.sh with 5,000):
# 100,000 deliveries from 8 writers while `rounds run` sends digests;
# tests/soak/soak.sh says what is checked, build/soak.txt gets the result.
soak:
	@sh contrib/install-deps.sh --test
	@$(MAKE) --no-print-directory rounds
	@SOAK_COUNT=$${SOAK_COUNT:-100000} SOAK_DAYS=$${SOAK_DAYS:-40} SOAK_MEMBERS=$${SOAK_MEMBERS:-20} \
	  SOAK_RESULT=build/soak.txt bash tests/t-soak.sh

# Memory: the end-to-end tests of VG_TESTS with every rounds command under
# valgrind memcheck (tests/valgrind.sh, tests/valgrind-rounds.sh).
check-valgrind:
	@$(MAKE) --no-print-directory rounds
	@sh tests/valgrind.sh

install: $(BIN) $(FULL)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/rounds
	install -m 755 $(FULL) $(DESTDIR)$(BINDIR)/rounds-full
	for f in templates/*; do [ -f "$$f" ] && install -m 644 "$$f" $(DESTDIR)$(DATADIR)/templates/; done; true
	if [ -d contrib/man ]; then install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5; \
	  for m in contrib/man/*.1; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man1/; done; \
	  for m in contrib/man/*.5; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man5/; done; fi; true
	install -d $(DESTDIR)$(SYSTEMDDIR)
	# The units name the program where this install puts it.
	for u in contrib/systemd/*.service contrib/systemd/*.socket contrib/systemd/*.timer; do \
	  [ -f "$$u" ] || continue; \
	  sed 's#/usr/local/bin/rounds#$(BINDIR)/rounds#g' "$$u" >$(DESTDIR)$(SYSTEMDDIR)/$$(basename "$$u"); \
	  chmod 644 $(DESTDIR)$(SYSTEMDDIR)/$$(basename "$$u"); done

# The package is built from a copy of the tree with contrib/debian/ as its
# debian/, so the top level keeps its layout; the changelog entry carries
# the version `rounds --version` prints.
VERSION := $(shell sed -n 's/^\#define ROUNDS_VERSION "\(.*\)"/\1/p' src/main.c)
DEB_TREE := build/deb/rounds-$(VERSION)
deb:
	@sh contrib/install-deps.sh --deb
	rm -rf build/deb && mkdir -p $(DEB_TREE)
	cp -r Makefile README.md src templates contrib mta-hooks $(DEB_TREE)/
	cp -r contrib/debian $(DEB_TREE)/debian
	cp contrib/sysusers.d/rounds.conf $(DEB_TREE)/debian/rounds.sysusers
	cp contrib/tmpfiles.d/rounds.conf $(DEB_TREE)/debian/rounds.tmpfiles
	sed -i "s/@BUILD_DEPENDS@/$$(sh contrib/install-deps.sh --build-depends)/" $(DEB_TREE)/debian/control
	printf 'rounds (%s) unstable; urgency=medium\n\n  * Built from the upstream tree by make deb.\n\n -- %s  %s\n' \
	  '$(VERSION)' 'Rounds developers <rounds@lists.example.org>' "$$(date -R)" >$(DEB_TREE)/debian/changelog
	cd $(DEB_TREE) && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	lintian --fail-on error build/deb/rounds_$(VERSION)_*.deb
	@ls build/deb/*.deb

# libFuzzer targets tests/fuzz/fuzz-*.c against the library built with
# clang (SAN=fuzz, build/fuzz); tests/fuzz/run.sh seeds and runs them.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 300
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build/fuzz SAN=fuzz build/fuzz/librounds.a
	@$(MAKE) --no-print-directory BUILD=build/fuzz SAN=fuzz $(FUZZ_BIN)

build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h build/fuzz/librounds.a
	clang $(ALL_CFLAGS) -fsanitize=fuzzer -DRD_FUZZ_TOP='"$(CURDIR)"' -o $@ $< build/fuzz/librounds.a $(LIBS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

clean:
	rm -rf build rounds

-include $(DEPS)
