# ots — top-level Makefile.  See README.md for the two commands.
#
#   make                  libots (.a/.so), programs, test binaries -> build/
#   make check            every test (unit, golden, fuzz replay, e2e, bench smoke)
#   make check SANITIZE=address,undefined
#   make bench | bench-smoke | fuzz FUZZ_SECONDS=N | install PREFIX=… | format-check
#
# Sources are found by wildcard: a new formats/foo.c joins libots, a new
# tests/<mod>/test_<topic>.c joins that module's test binary (register its
# runner in tests/<mod>/main.c).

CC       ?= gcc
CXX      ?= g++
PREFIX   ?= /usr/local
SANITIZE ?=
O        ?= -O2

ifeq ($(SANITIZE),)
BUILD    ?= build
SANFLAGS :=
else
BUILD    ?= build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wcast-align -Wformat=2 -Wundef -Wvla
CPPFLAGS := -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude -I.
CFLAGS   := -std=c11 $(O) -g -fPIC $(WARN) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS  := $(SANFLAGS) $(EXTRA_LDFLAGS)

# Plain -l flags, not pkg-config at parse time: on a fresh machine the
# packages (and pkg-config) arrive only when scripts/deps.sh has run.
LIBS     := -lzstd -luring -lxxhash -ljansson -lroaring -lpthread -lm
SHELL_LIBS := -ledit
TESTLIBS := -lcmocka

MODULES  := formats storage query export ingest
LIB_SRCS := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)

TEST_MODS := $(patsubst tests/%/main.c,%,$(wildcard tests/*/main.c))
TEST_BINS := $(TEST_MODS:%=$(BUILD)/tests/test_%)

TOOL_SRCS := $(wildcard tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tools/%.c=$(BUILD)/bin/%)

PROG_SRCS := $(wildcard shell/*_main.c)
PROG_BINS := $(PROG_SRCS:shell/%_main.c=$(BUILD)/bin/%)

FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/fuzz-replay/%)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=build/fuzz/%)

DEPS_STAMP := build/.deps-ok

.PHONY: all demo check test-unit test-e2e fuzz-replay bench bench-smoke bench-peers fuzz \
        install format format-check compdb clean deps demo
all: $(BUILD)/lib/libots.a $(BUILD)/lib/libots.so $(PROG_BINS) $(TOOL_BINS) $(TEST_BINS) $(FUZZ_REPLAY)

# Install missing Debian packages once (scripts/deps.sh is idempotent).
$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(@D)
	@sh scripts/deps.sh
	@touch $@
deps: $(DEPS_STAMP)

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/lib/libots.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/lib/libots.so: $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libots.so.0 $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bin/%: $(BUILD)/obj/shell/%_main.o $(BUILD)/lib/libots.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/lib/libots.a $(LIBS) $(SHELL_LIBS)

$(BUILD)/bin/%: $(BUILD)/obj/tools/%.o $(BUILD)/lib/libots.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/lib/libots.a $(LIBS)

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/tests/test_%: $$(addprefix $(BUILD)/obj/,$$(addsuffix .o,$$(basename $$(wildcard tests/$$*/*.c)))) $(BUILD)/obj/tests/testutil.o $(BUILD)/lib/libots.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/lib/libots.a $(TESTLIBS) $(LIBS)

# fuzz targets compiled without libFuzzer, driven by fuzz/replay.c over the corpus
$(BUILD)/fuzz-replay/%: $(BUILD)/obj/fuzz/%.o $(BUILD)/obj/fuzz/replay.o $(BUILD)/lib/libots.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

test-unit: $(TEST_BINS)
	@sh tests/run_unit.sh $(TEST_BINS)

fuzz-replay: $(FUZZ_REPLAY)
	@for f in $(FUZZ_REPLAY); do t=$$(basename $$f); $$f fuzz/corpus/$${t#fuzz_} || exit 1; done

test-e2e: all
	@sh tests/run_e2e.sh $(BUILD)

check: all
	@sh tests/check.sh $(BUILD) "$(SANITIZE)"

# The demo: the bundled real data and a generated meter stream loaded into
# ./demo-store, then examples/demo.sql run in otsh with timings.
demo: all
	@rm -rf demo-out demo-store && mkdir -p demo-out
	$(BUILD)/bin/ots_demo demo-store
	$(BUILD)/bin/gen_meters 144 > demo-out/meters.csv
	$(BUILD)/bin/otsh -d demo-store --timer -f examples/demo.sql

# ---- libFuzzer builds (clang-14) --------------------------------------------
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang-14
FUZZ_CFLAGS  := -std=c11 -O1 -g $(CPPFLAGS) -Wall -Wextra -Werror
# libots once with fuzzer instrumentation (no libFuzzer main), each target linked to it
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@
build/fuzz/libots-fuzz.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^
build/fuzz/%: fuzz/%.c build/fuzz/libots-fuzz.a | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzz/libots-fuzz.a $(LIBS)
fuzz: $(FUZZ_BINS)
	@sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# ---- benchmarks ----------------------------------------------------------------
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_OBJS := $(BENCH_SRCS:%.c=$(BUILD)/obj/%.o)
$(BUILD)/obj/bench/shim/%.o: bench/shim/%.cc | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) -std=c++17 $(O) -g $(SANFLAGS) -Wall -Wextra -Werror -c $< -o $@
$(BUILD)/bin/ots_bench: $(BENCH_OBJS) $(BUILD)/obj/bench/shim/shim.o $(BUILD)/lib/libots.a
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $^ -lbenchmark $(LIBS)
bench: $(BUILD)/bin/ots_bench $(BUILD)/bin/gen_meters
	@sh bench/run.sh full $(BUILD)
bench-smoke: $(BUILD)/bin/ots_bench $(BUILD)/bin/gen_meters
	@sh bench/run.sh smoke $(BUILD)
bench-peers: all
	@sh bench/peers/run.sh $(BUILD)

# ---- install, format, editors ---------------------------------------------------
install: $(BUILD)/lib/libots.a $(BUILD)/lib/libots.so $(PROG_BINS)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/ots.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/lib/libots.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/lib/libots.so $(DESTDIR)$(PREFIX)/lib/libots.so.0
	ln -sf libots.so.0 $(DESTDIR)$(PREFIX)/lib/libots.so
	$(if $(PROG_BINS),install -m 755 $(PROG_BINS) $(DESTDIR)$(PREFIX)/bin/)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBS@|$(LIBS)|' ots.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/ots.pc

FMT_FILES = $(shell git ls-files '*.c' '*.h' '*.cc' 2>/dev/null)
format:
	clang-format -i $(FMT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FMT_FILES) && echo "format-check: clean"
compdb:
	bear -- $(MAKE) -B all

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj build/fuzz/obj -name '*.d' 2>/dev/null)
