# liandong - build, test, bench, demo.  See README.md.
#
#   make            optimised build (build/release/)
#   make test       every test, built with ASan + UBSan (build/test/)
#   make demo       one node on an embedded default in ./demo
#   make bench-store  the store benchmark (docs/performance.md)
#   make bench-node   the node benchmark: clients over CURVE (same doc)
#   make bench-fed    the federation benchmark: county -> city catch-up (same doc)
#   make bench-report the monthly assessment and year report over a million tickets
#   make bench-pg     PostgreSQL on the node's ticket workload (installs postgresql)
#   make replay       the article's year through four real nodes (docs/replay.md)
#   make bench        all of it in one run, one table (docs/performance.md)
#   make valgrind   the unit tests under valgrind (optimised build)
#   make fuzz       libFuzzer on the decoders (needs clang)
#   make deps       install the Debian packages we need, if missing
#
# Every target that needs the libraries runs the dependency check first.

CC      ?= gcc
PKGS    := libzmq libsodium msgpack lmdb inih libmicrohttpd
CSTD    := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
INC     := -Ishared
OPT_REL := -O2 -g
OPT_TST := -O1 -g -fno-omit-frame-pointer \
           -fsanitize=address,undefined -fno-sanitize-recover=all
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lzmq -lsodium -lmsgpackc -llmdb -linih -lmicrohttpd) -lm
TLIBS    = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
# libpq, for tools/bench-pg.c only (libpq-dev; the nodes do not use it)
PQINC    = $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)

SHARED_SRC := $(wildcard shared/*.c)
# linked as sources, not from the archive (make fuzz): without the
# recorder, whose __real_mdb_* exist only with bench-store's --wrap flags
FUZZ_SRC   := $(filter-out shared/bench_trace.c,$(SHARED_SRC))
SHARED_HDR := $(wildcard shared/*.h)
TOOLS      := $(patsubst tools/%.c,%,$(wildcard tools/*.c))
TESTS      := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))

REL := build/release
TST := build/test
DEPS_OK := build/.deps-ok

.PHONY: all test demo deps bench bench-store bench-node bench-fed bench-report bench-pg replay valgrind fuzz clean
.DELETE_ON_ERROR:

all: $(REL)/city-node $(REL)/county-node $(addprefix $(REL)/,$(TOOLS))

deps:
	@sh tools/deps.sh

$(DEPS_OK): tools/deps.sh
	@mkdir -p build
	@sh tools/deps.sh
	@touch $@

# --- the common library, twice: optimised and sanitised -------------------
$(REL)/obj/%.o: shared/%.c $(SHARED_HDR) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT_REL) $(INC) -c -o $@ $<
$(TST)/obj/%.o: shared/%.c $(SHARED_HDR) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT_TST) $(INC) -c -o $@ $<

$(REL)/libliandong.a: $(patsubst shared/%.c,$(REL)/obj/%.o,$(SHARED_SRC))
	ar rcs $@ $^
$(TST)/libliandong.a: $(patsubst shared/%.c,$(TST)/obj/%.o,$(SHARED_SRC))
	ar rcs $@ $^

# --- daemons and tools ------------------------------------------------------
$(REL)/city-node: $(wildcard city-node/*.c) $(REL)/libliandong.a
	$(CC) $(CSTD) $(WARN) $(OPT_REL) $(INC) -o $@ $(filter %.c,$^) $(REL)/libliandong.a $(LIBS)
$(REL)/county-node: $(wildcard county-node/*.c) $(REL)/libliandong.a
	$(CC) $(CSTD) $(WARN) $(OPT_REL) $(INC) -o $@ $(filter %.c,$^) $(REL)/libliandong.a $(LIBS)
$(REL)/%: tools/%.c $(REL)/libliandong.a
	$(CC) $(CSTD) $(WARN) $(OPT_REL) $(INC) -o $@ $< $(REL)/libliandong.a $(LIBS)
$(TST)/%: tools/%.c $(TST)/libliandong.a
	$(CC) $(CSTD) $(WARN) $(OPT_TST) $(INC) -o $@ $< $(TST)/libliandong.a $(LIBS)
# bench-pg alone links libpq (private: not passed on to the library's objects)
$(REL)/bench-pg $(TST)/bench-pg: private INC += $(PQINC)
$(REL)/bench-pg $(TST)/bench-pg: private LIBS += -lpq
# bench-store records the store's LMDB operations (shared/bench_trace.h),
# and its test with it
BTRACE_WRAP := -Wl,--wrap=mdb_put,--wrap=mdb_get,--wrap=mdb_del,--wrap=mdb_cursor_open,--wrap=mdb_cursor_get,--wrap=mdb_cursor_close,--wrap=mdb_txn_begin,--wrap=mdb_txn_commit,--wrap=mdb_txn_abort,--wrap=mdb_cursor_put,--wrap=mdb_cursor_del,--wrap=mdb_drop
$(REL)/bench-store $(TST)/bench-store $(TST)/test_bench_trace: private LIBS += $(BTRACE_WRAP)
$(TST)/city-node: $(wildcard city-node/*.c) $(TST)/libliandong.a
	$(CC) $(CSTD) $(WARN) $(OPT_TST) $(INC) -o $@ $(filter %.c,$^) $(TST)/libliandong.a $(LIBS)
$(TST)/county-node: $(wildcard county-node/*.c) $(TST)/libliandong.a
	$(CC) $(CSTD) $(WARN) $(OPT_TST) $(INC) -o $@ $(filter %.c,$^) $(TST)/libliandong.a $(LIBS)

# --- tests ------------------------------------------------------------------
$(TST)/test_%: tests/test_%.c tests/testutil.h tests/testnet.h $(TST)/libliandong.a
	$(CC) $(CSTD) $(WARN) $(OPT_TST) $(INC) -Itests -o $@ $< $(TST)/libliandong.a $(LIBS) $(TLIBS)
# one libFuzzer target per decoder (tests/fuzz_NAME.c, corpus in
# tests/corpus/NAME); make test replays each corpus with mutations
FUZZERS    := $(patsubst tests/fuzz_%.c,%,$(filter-out tests/fuzz_replay.c,$(wildcard tests/fuzz_*.c)))
$(TST)/fuzz_replay_%: tests/fuzz_replay.c tests/fuzz_%.c $(TST)/libliandong.a
	$(CC) $(CSTD) $(WARN) $(OPT_TST) $(INC) -o $@ $(filter %.c,$^) $(TST)/libliandong.a $(LIBS)

test: $(addprefix $(TST)/,$(TESTS)) $(addprefix $(TST)/fuzz_replay_,$(FUZZERS)) $(TST)/city-node $(TST)/county-node $(TST)/topology $(TST)/linkctl $(TST)/liandong-replay
	@FUZZERS="$(FUZZERS)" sh tests/run.sh $(TST) $(TESTS)

valgrind: $(DEPS_OK)
	$(MAKE) TST=build/vg OPT_TST="-O1 -g" $(addprefix build/vg/,$(TESTS)) build/vg/city-node build/vg/county-node build/vg/topology build/vg/linkctl build/vg/liandong-replay
	@for t in $(TESTS); do \
	  LD_NODE_BIN=build/vg/city-node LD_COUNTY_BIN=build/vg/county-node \
	  LD_TOPOLOGY_BIN=build/vg/topology LD_LINKCTL_BIN=build/vg/linkctl \
	  LD_REPLAY_BIN=build/vg/liandong-replay LD_UNDER_VALGRIND=1 \
	  LD_CRASH_ROUNDS=20 LD_POWER_ROUNDS=15 valgrind -q --vgdb=no \
	    --trace-children=yes --trace-children-skip='/usr/*,/bin/*' \
	    --error-exitcode=9 --leak-check=full \
	    --errors-for-leak-kinds=definite build/vg/$$t >/dev/null || exit 1; \
	  echo "valgrind clean: $$t"; done

fuzz: $(DEPS_OK)
	@command -v clang >/dev/null && dpkg -s libclang-rt-14-dev >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev; }
	@for f in $(or $(FUZZ),$(FUZZERS)); do \
	  mkdir -p build/fuzz/corpus-$$f && cp tests/corpus/$$f/* build/fuzz/corpus-$$f/ && \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined $(INC) $(CSTD) \
	    -o build/fuzz/fuzz_$$f tests/fuzz_$$f.c $(FUZZ_SRC) $(LIBS) && \
	  build/fuzz/fuzz_$$f -max_total_time=$${FUZZ_SECONDS:-60} -max_len=16384 \
	    build/fuzz/corpus-$$f tests/corpus/$$f || exit 1; done

# --- demo and benchmarks ----------------------------------------------------
demo: $(REL)/city-node $(REL)/county-node $(REL)/topology $(REL)/linkctl
	@sh tools/demo.sh $(REL)

bench-store: $(REL)/bench-store
	$(REL)/bench-store $(BENCH_ARGS)

bench-node: $(REL)/bench-node $(REL)/city-node $(REL)/topology
	$(REL)/bench-node $(BENCH_ARGS)

bench-fed: $(REL)/bench-fed $(REL)/city-node $(REL)/county-node $(REL)/topology
	$(REL)/bench-fed $(BENCH_ARGS)

bench-report: $(REL)/bench-report
	$(REL)/bench-report $(BENCH_ARGS)

replay: $(REL)/liandong-replay $(REL)/city-node $(REL)/county-node
	$(REL)/liandong-replay $(BENCH_ARGS)

# the PostgreSQL server is installed here, not by make deps: only the
# benchmarks run it
bench: $(REL)/bench-store $(REL)/bench-node $(REL)/bench-pg $(REL)/liandong-replay $(REL)/city-node $(REL)/county-node $(REL)/topology
	@sh tools/deps.sh postgresql >/dev/null
	@sh tools/bench.sh $(REL)

bench-pg: $(REL)/bench-pg
	@sh tools/deps.sh postgresql
	$(REL)/bench-pg $(BENCH_ARGS)

clean:
	rm -rf build
