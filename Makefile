# tcpsentry: `make` builds, `make test` runs every test layer, `make bench`
# measures, `make demo` runs the lab. Quiet unless V=1.
.DELETE_ON_ERROR:
.PHONY: all deps test unit unit-asan fuzz bpftest e2e bench bench-synflood demo clean \
	test-attacks fuzz-datapath

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CLANG   ?= clang
BPFTOOL ?= bpftool
CC      ?= gcc
BUILD   := build
ARCH    := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -dumpmachine)

CFLAGS_COMMON := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
		 -Iinclude -Iuser -I$(BUILD)
CFLAGS  ?=
LDLIBS  := -lbpf -lelf -lz -lmicrohttpd -lpthread
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 20
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Iinclude -Ibpf -I/usr/include/$(MULTIARCH)

BPF_HDRS  := $(wildcard bpf/*.h include/tcpsentry/*.h)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(wildcard bpf/*.bpf.c))
TEST_BPF_OBJS := $(patsubst tests/e2e/%.bpf.c,$(BUILD)/%.bpf.o,$(wildcard tests/e2e/*.bpf.c))
USER_SRCS := $(wildcard user/*.c)
USER_HDRS := $(wildcard user/*.h include/tcpsentry/*.h)
LIB_SRCS  := $(filter-out user/main.c,$(USER_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
UNIT_ASAN := $(patsubst tests/unit/%.c,$(BUILD)/unit-asan/%,$(UNIT_SRCS))
FUZZ_SRCS := user/policy_file.c user/policy_keys.c user/args.c user/format.c
# the tools of issue 11's attack tests (tests/e2e/attacks/)
ATTACK_TOOLS := $(BUILD)/segspray $(BUILD)/fuzz_datapath

all: tcpsentry $(BUILD)/bpftest $(BUILD)/bench $(BUILD)/tcpdrive $(BUILD)/rstinject $(BUILD)/synflood \
     $(TEST_BPF_OBJS)

$(BUILD) $(BUILD)/unit $(BUILD)/unit-asan $(BUILD)/fuzz:
	$(Q)mkdir -p $@

# One rule for BPF objects ...
$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# (test fixtures: stand-ins for other tools' programs)
$(BUILD)/%.bpf.o: tests/e2e/%.bpf.c | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# (lab tools' programs)
$(BUILD)/%.bpf.o: tools/%.bpf.c | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# ... one for their skeletons.
$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

tcpsentry: $(USER_SRCS) $(USER_HDRS) $(BUILD)/tcpsentry.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(USER_SRCS) -o $@ $(LDLIBS)

$(BUILD)/tcpsentry-asan: $(USER_SRCS) $(USER_HDRS) $(BUILD)/tcpsentry.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) $(SAN) $(USER_SRCS) -o $@ $(LDLIBS)

# Unit tests (cmocka, no root), plain and under ASan/UBSan.
$(BUILD)/unit/%: tests/unit/%.c $(LIB_SRCS) $(USER_HDRS) $(BUILD)/tcpsentry.skel.h | $(BUILD)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) $< $(LIB_SRCS) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/unit-asan/%: tests/unit/%.c $(LIB_SRCS) $(USER_HDRS) $(BUILD)/tcpsentry.skel.h | $(BUILD)/unit-asan
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) $(SAN) $< $(LIB_SRCS) -o $@ $(LDLIBS) -lcmocka

# libFuzzer target (clang): the policy file parser and what it calls.
$(BUILD)/fuzz/fuzz_policy_file: tests/fuzz/fuzz_policy_file.c $(FUZZ_SRCS) $(USER_HDRS) | $(BUILD)/fuzz
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(CFLAGS_COMMON) $(FUZZ_SAN) $< $(FUZZ_SRCS) -o $@

# BPF_PROG_TEST_RUN tests and the benchmark harness.
$(BUILD)/bpftest: tests/bpf/*.c tests/bpf/*.h user/format.c user/gc.c user/policy_store.c $(BPF_OBJS) $(USER_HDRS) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) $(SAN) $(filter %.c,$^) -o $@ $(LDLIBS)

$(BUILD)/bench: tools/bench.c tools/bench_scrape.c tools/bench_scrape.h $(LIB_SRCS) $(BPF_OBJS) $(USER_HDRS) \
		$(BUILD)/tcpsentry.skel.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) -Itools tools/bench.c tools/bench_scrape.c $(LIB_SRCS) -o $@ $(LDLIBS)

$(BUILD)/tcpdrive: tools/tcpdrive.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) $< -o $@

$(BUILD)/rstinject: tools/rstinject.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) $< -o $@

$(BUILD)/synflood: tools/synflood.c $(BUILD)/synflood.skel.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) $< -o $@ $(LDLIBS)

# The attack tools of issue 11 (tests/e2e/attacks/): crafted segments over
# AF_PACKET, and the differential fuzzer of the tracker.
$(BUILD)/segspray: tools/segspray.c tools/craft.c tools/craft.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) -Itools tools/segspray.c tools/craft.c -o $@

$(BUILD)/fuzz_datapath: tools/fuzz_datapath.c tools/craft.c tools/craft.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_COMMON) -Itools tools/fuzz_datapath.c tools/craft.c -o $@ -ljson-c

deps:
	$(Q)tools/deps.sh

unit: deps tcpsentry $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

unit-asan: deps $(BUILD)/tcpsentry-asan $(UNIT_ASAN)
	$(Q)set -e; for t in $(UNIT_ASAN); do echo "== $$t (asan/ubsan)"; TCPSENTRY=$(BUILD)/tcpsentry-asan $$t; done

# FUZZ_SECONDS of fuzzing on a copy of the seed corpus in build/ (new inputs
# and crash files stay there, never in the tree); a crash fails.
fuzz: deps $(BUILD)/fuzz/fuzz_policy_file
	$(Q)mkdir -p $(BUILD)/fuzz/corpus && cp tests/fuzz/corpus/* $(BUILD)/fuzz/corpus/
	$(Q)echo "== fuzz_policy_file for $(FUZZ_SECONDS) s (log: $(BUILD)/fuzz/fuzz.log)"
	$(Q)$(BUILD)/fuzz/fuzz_policy_file -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=6000 \
		-dict=tests/fuzz/policy_file.dict -artifact_prefix=$(BUILD)/fuzz/ -print_final_stats=1 \
		$(BUILD)/fuzz/corpus >$(BUILD)/fuzz/fuzz.log 2>&1 || { tail -n 60 $(BUILD)/fuzz/fuzz.log; exit 1; }
	$(Q)grep -E '^(Done|stat::average_exec_per_sec|stat::new_units_added)' $(BUILD)/fuzz/fuzz.log

bpftest: deps all
	$(Q)$(BUILD)/bpftest $(BUILD)

e2e: deps all $(BUILD)/tcpsentry-asan \
	$(if $(or $(filter 1 only,$(E2E_ATTACKS)),$(findstring atk,$(E2E_TESTS))),$(ATTACK_TOOLS))
	$(Q)TCPSENTRY=$(CURDIR)/$(BUILD)/tcpsentry-asan tests/e2e/run.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit unit-asan fuzz bpftest e2e

# Issue 11's attack tests and its differential fuzzer: expected to fail
# until its fixes land, so not part of `test` yet (E2E_ATTACKS=1 adds the
# attack tests to `make e2e`). fuzz-datapath runs FUZZ_DATAPATH_SEGMENTS
# segments (the acceptance budget: 1,000,000) in batches of
# FUZZ_DATAPATH_BATCH (the e2e run checks every 2000).
FUZZ_DATAPATH_SEGMENTS ?= 1000000
FUZZ_DATAPATH_BATCH ?= 20000
FUZZ_DATAPATH_SECONDS ?= 3000

test-attacks: deps all $(BUILD)/tcpsentry-asan $(ATTACK_TOOLS)
	$(Q)TCPSENTRY=$(CURDIR)/$(BUILD)/tcpsentry-asan E2E_ATTACKS=only tests/e2e/run.sh

fuzz-datapath: deps all $(ATTACK_TOOLS)
	$(Q)FUZZ_DATAPATH_SEGMENTS=$(FUZZ_DATAPATH_SEGMENTS) \
		FUZZ_DATAPATH_SECONDS=$(FUZZ_DATAPATH_SECONDS) FUZZ_DATAPATH_BATCH=$(FUZZ_DATAPATH_BATCH) \
		bash tests/e2e/attacks/test_atk_fuzz_datapath.sh

bench: deps all
	$(Q)$(BUILD)/bench $(BUILD)

# SYN flood: kernel cookies vs nftables synproxy vs tcpsentry's XDP cookies,
# in a namespace lab; writes BENCHMARKS.md. Not part of `make test`.
bench-synflood: deps all $(BUILD)/xdp_drop.bpf.o
	$(Q)tools/bench_synflood.sh

demo: deps all
	$(Q)tools/demo.sh

clean:
	$(Q)rm -rf $(BUILD) tcpsentry
