# Rounds - GNU Makefile (non-recursive).
#
#   make            build ./rounds
#   make demo       install missing packages, build, run a sample community
#   make check      install missing packages, build, run every test
#   make bench      benchmarks (figures, not pass/fail)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Every module under src/ goes into one static library; src/main.c is the
# thin front end.  Unit tests are tests/unit/test-*.c, picked up by name.

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/rounds
MANDIR    ?= $(PREFIX)/share/man
DESTDIR   ?=
BUILD     ?= build
SAN       ?=

PKGS := gmime-3.0 glib-2.0 gio-2.0 sqlite3 libesmtp-1.0 libetpan libxml-2.0 json-glib-1.0 cairo libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

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
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) \
              -DRD_DATADIR='"$(DATADIR)"' -Isrc -MMD -MP
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
LIBS    := $(PKG_LIBS) -lm

LIB_SRC   := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test-*.c)
UNIT_BIN  := $(UNIT_SRC:%.c=$(BUILD)/%)
DEPS      := $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d $(UNIT_BIN:=.d)

BIN := $(BUILD)/rounds

.PHONY: all deps demo check check-build bench install clean preview FORCE
all: rounds

rounds: $(BIN)
	@ln -sf $(BIN) rounds

$(BUILD)/librounds.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The template directory is compiled in (RD_DATADIR): objects are rebuilt
# when DATADIR changes, e.g. `make install PREFIX=/usr` after a plain make.
$(BUILD)/datadir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@
$(LIB_OBJ) $(BUILD)/src/main.o: $(BUILD)/datadir.stamp
FORCE:

$(BIN): $(BUILD)/src/main.o $(BUILD)/librounds.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/test-%: tests/unit/test-%.c $(BUILD)/librounds.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/librounds.a $(LIBS)

units: $(UNIT_BIN)

deps:
	@sh contrib/install-deps.sh --test

check-build: rounds units

# The tests install what they need (servers, the corpus) themselves; CI and
# people run exactly this.
check: deps
	@$(MAKE) --no-print-directory check-build
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 build/asan/rounds
	@sh tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory rounds
	@sh contrib/demo.sh

$(BUILD)/tests/bench/%: tests/bench/%.c $(BUILD)/librounds.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/librounds.a $(LIBS)

preview:
	@sh contrib/install-deps.sh --preview
	@$(MAKE) --no-print-directory rounds
	@sh contrib/demo.sh >/dev/null
	@sh contrib/preview.sh

bench: deps
	@$(MAKE) --no-print-directory rounds $(BUILD)/tests/bench/bench-digest
	@bash tests/bench/run.sh

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/rounds
	for f in templates/*; do [ -f "$$f" ] && install -m 644 "$$f" $(DESTDIR)$(DATADIR)/templates/; done; true
	if [ -d contrib/man ]; then install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5; \
	  for m in contrib/man/*.1; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man1/; done; \
	  for m in contrib/man/*.5; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man5/; done; fi; true

clean:
	rm -rf build rounds

-include $(DEPS)
