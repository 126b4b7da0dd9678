# abi: top-level build. `make test` is what CI runs (after tools/setup.sh).
# Build outputs live in build/; nothing here writes beside the sources except
# `abi gen`, which refreshes the committed docs/SYSCALLS.md.

VENV    := .venv
PY      := $(VENV)/bin/python
ABI     := $(VENV)/bin/abi
BUILD   := build
ABI_GEN := $(BUILD)/gen
TABLE   := $(wildcard syscalls/*.yaml)
PYSRC   := $(shell find abi -name '*.py')
HYPOTHESIS_PROFILE ?= ci
# Sequences the kernel's differential state machine runs (30 steps each).
ABI_DIFF_EXAMPLES ?= 2000
export ABI_DIFF_EXAMPLES

.PHONY: all setup gen docs check-gen lint test pytest conform run fuzz porting bench stress clean

all: gen kernel loader hosted musl-compat

setup: $(VENV)/.abi-installed
$(VENV)/.abi-installed: pyproject.toml tools/setup.sh
	sh tools/setup.sh

# The stamp says when abi gen last ran (after a change to the table or to the
# generator). abi gen only rewrites files whose content changed, and objects
# depend on the generated files they include (the compiler's -MMD lists), with
# the stamp order-only: a generator edit that changes no output recompiles
# nothing; a status change recompiles the objects that include what changed.
# The build never rewrites committed files: `make docs` (or plain `abi gen`)
# refreshes docs/SYSCALLS.md and README.md's counts, and `make check-gen` fails
# when they are stale.
gen: $(ABI_GEN)/.stamp
$(ABI_GEN)/.stamp: $(TABLE) $(PYSRC) | setup
	$(ABI) gen --out $(ABI_GEN) --skip-docs >/dev/null
	@touch $@

# The stamp's recipe makes every generated header (the -MMD lists name them);
# the empty recipe makes make look at a header's time again after abi gen ran.
# kernel.mk says the same of the generated sources.
$(ABI_GEN)/include/abi/%.h: $(ABI_GEN)/.stamp ;

docs: setup
	$(ABI) gen --out $(ABI_GEN)

check-gen: gen
	$(ABI) gen --out $(ABI_GEN) --check

include kernel/kernel.mk
include loader/loader.mk
include musl-compat/shim/shim.mk
include kernel/plat/hosted/hosted.mk
include musl-compat/musl-compat.mk

# Each checker is one line of LINTERS' recipe; add a target to extend it.
LINTERS := lint-c lint-python lint-types
.PHONY: lint $(LINTERS)
lint: $(LINTERS)

lint-python: setup
	$(VENV)/bin/ruff check abi tests tools

lint-types: setup
	$(VENV)/bin/mypy

pytest: gen kernel loader hosted musl-compat $(BUILD)/arm64/busybox
	$(VENV)/bin/pytest -q -p no:cacheprovider --hypothesis-profile=$(HYPOTHESIS_PROFILE)

test: check-gen lint pytest conform

# The conformance suite under abi-run and under abi-run --emu (the emulated
# platform: unicorn and the same kernel), and any other CONFORM_RUNNERS, e.g.
# qemu; each report (JUnit XML, JSON, HTML) stays in build/conformance/RUNNER
# as CI's artifact, and the summary line is printed.
CONFORM_RUNNERS ?= hosted emu emu-aarch64
conform: setup hosted kernel $(BUILD)/arm64/busybox
	@set -e; for r in $(CONFORM_RUNNERS); do \
		$(ABI) conform --runner $$r -j 2 --no-progress --report $(BUILD)/conformance/$$r; done

# Debian's busybox-static for arm64, the suite's aarch64 programs: tools/setup.sh
# fetches it into build/arm64/ (apt-get download + dpkg-deb -x); this brings it
# back after a make clean.
$(BUILD)/arm64/busybox:
	sh tools/setup.sh

# The main job: unmodified Linux programs on the hosted kernel (abi-run).
run: hosted $(BUILD)/examples/tour
	$(BUILD)/hosted/abi-run $(BUILD)/examples/tour
	echo "hello from the host" | $(BUILD)/hosted/abi-run /bin/busybox tr a-z A-Z
	$(BUILD)/hosted/abi-run --trace /bin/busybox echo "hello from abi-run"
	$(BUILD)/hosted/abi-run --sandbox /bin/busybox ls -l /

# docs/porting/*.md: abi inspect's reports for the JVM, CPython and busybox.
# They join the table's status, so regenerate them when a status changes.
porting: gen
	$(PY) -m abi.inspect.porting

# The main job's example program, static so it needs nothing from the root.
$(BUILD)/examples/tour: examples/tour.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<

# Ratios against native Linux, measured in the same run (docs/BENCHMARKS.md).
$(BUILD)/bench/libbench: tools/bench/libbench.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $< -ldl

# The directory benchmarks' program, static: abi-run --sandbox runs it too.
$(BUILD)/bench/dirbench: tools/bench/dirbench.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<

# The threads benchmarks' program, static like dirbench.
$(BUILD)/bench/threadbench: tools/bench/threadbench.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<

# The emulated platform's rows (abi run --emu against native and qemu-x86_64).
$(BUILD)/bench/emubench: tools/bench/emubench.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<

# The start-up row: a static musl hello, timed by a fork+exec loop.
$(BUILD)/bench/spawnbench: tools/bench/spawnbench.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<
$(BUILD)/bench/hello: tools/bench/hello.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

# The function-call rows (issue 17): one source built with abi-cc (the
# kernel's entry under abi-run, `syscall` natively) and with musl-gcc (the
# trapped path); callbench_flags.c takes the futex op from the table.
CALLBENCH_SRC := tools/bench/callbench.c tools/bench/callbench_flags.c
CALLBENCH_CFLAGS := -static -O2 -Wall -Wextra -Werror -I$(ABI_GEN)/include
$(BUILD)/bench/callbench-abi: $(CALLBENCH_SRC) $(MC)/.installed $(ABI_GEN)/.stamp
	@mkdir -p $(dir $@)
	$(VENV)/bin/abi-cc $(CALLBENCH_CFLAGS) -o $@ $(CALLBENCH_SRC)
$(BUILD)/bench/callbench-musl: $(CALLBENCH_SRC) $(ABI_GEN)/.stamp
	@mkdir -p $(dir $@)
	musl-gcc $(CALLBENCH_CFLAGS) -o $@ $(CALLBENCH_SRC)
$(BUILD)/bench/hello-abi: tools/bench/hello.c $(MC)/.installed
	@mkdir -p $(dir $@)
	$(VENV)/bin/abi-cc -static -O2 -Wall -Wextra -Werror -o $@ $<

# BENCH_ARGS: tools/bench.py's options, e.g. BENCH_ARGS="--only dirs".
bench: kernel hosted $(BUILD)/bench/libbench $(BUILD)/bench/dirbench $(BUILD)/bench/threadbench \
		$(BUILD)/bench/spawnbench $(BUILD)/bench/hello $(BUILD)/bench/emubench \
		$(BUILD)/bench/callbench-abi $(BUILD)/bench/callbench-musl $(BUILD)/bench/hello-abi
	$(PY) tools/bench.py $(BENCH_ARGS)

# 10,000 mutated ELF programs under abi-run (tests/hosted/test_fuzz.py; make
# test runs the ci profile's 200) and 800 gfuzz runs of 20,000 random calls
# each (tests/hosted/test_gfuzz.py; make test runs 16); their outcome classes
# are printed at the end.
fuzz: gen kernel loader hosted
	ABI_DIFF_EXAMPLES=20000 ABI_FUZZ_MUTANTS=10000 ABI_GFUZZ_RUNS=800 \
		$(VENV)/bin/pytest -q -p no:cacheprovider --hypothesis-profile=fuzz
	@cat $(BUILD)/fuzz/elf-outcomes.txt $(BUILD)/fuzz/gfuzz-outcomes.txt

# 16 threads mixing futex, pipes, signals, thread create/exit and exit_group
# (tests/hosted/progs/threads/stress.c) for ABI_STRESS_SECONDS, natively and
# then under abi-run, with both libcs; make test runs it for 10 s with glibc.
# --runxfail: here an abi-run failure is a failure even while the test is
# marked as waiting for the kernel's threads (CORE_PENDING).
ABI_STRESS_SECONDS ?= 60
stress: hosted
	ABI_STRESS_SECONDS=$(ABI_STRESS_SECONDS) ABI_STRESS_LIBCS="glibc musl" \
		$(VENV)/bin/pytest -q -p no:cacheprovider --runxfail -s \
		tests/hosted/test_threads.py -k stress

# C style (.clang-format): `make format` rewrites the C sources, `make lint-c`
# (part of `make lint`) fails on any difference. Formatting differs between
# clang-format major versions, so both insist on 14 (Debian 12's, tools/setup.sh).
CLANG_FORMAT ?= $(firstword $(shell command -v clang-format-14 clang-format 2>/dev/null))
C_SOURCES = $(shell find kernel loader conformance tests tools examples musl-compat/shim -name '*.[ch]' \
	-not -path 'tests/golden/*' | sort)
.PHONY: format clang-format-version
clang-format-version:
	@$(CLANG_FORMAT) --version 2>/dev/null | grep -q 'version 14\.' || { echo \
		"make: the C style needs clang-format 14 (tools/setup.sh); found '$(CLANG_FORMAT)'" >&2; \
		exit 1; }
format: clang-format-version
	@$(CLANG_FORMAT) -i $(C_SOURCES)
lint-c: clang-format-version
	$(CLANG_FORMAT) --dry-run -Werror $(C_SOURCES)

clean:
	rm -rf $(BUILD)
