# abi: top-level build. `make test` is what CI runs (after tools/setup.sh).
# Build outputs live in build/; nothing here writes beside the sources except
# `abi gen`, which refreshes the committed docs/SYSCALLS.md.

VENV    := .venv
PY      := $(VENV)/bin/python
ABI     := $(VENV)/bin/abi
BUILD   := build
GEN     := $(BUILD)/gen
TABLE   := $(wildcard syscalls/*.yaml)
PYSRC   := $(shell find abi -name '*.py')
HYPOTHESIS_PROFILE ?= ci
# Sequences the kernel's differential state machine runs (30 steps each).
ABI_DIFF_EXAMPLES ?= 2000
export ABI_DIFF_EXAMPLES

.PHONY: all setup gen docs check-gen lint test pytest conform run fuzz porting clean

all: gen

setup: $(VENV)/.abi-installed
$(VENV)/.abi-installed: pyproject.toml tools/setup.sh
	sh tools/setup.sh

# One stamp for everything abi gen writes; abi gen only rewrites changed files.
# The build never rewrites committed files: `make docs` (or plain `abi gen`)
# refreshes docs/SYSCALLS.md, and `make check-gen` fails when it is stale.
gen: $(GEN)/.stamp
$(GEN)/.stamp: $(TABLE) $(PYSRC) | setup
	$(ABI) gen --out $(GEN) --skip-docs >/dev/null
	@touch $@

docs: setup
	$(ABI) gen --out $(GEN)

check-gen: gen
	$(ABI) gen --out $(GEN) --check

-include kernel/kernel.mk
-include loader/loader.mk

lint: setup
	$(VENV)/bin/ruff check abi tests tools

pytest: gen kernel loader
	$(VENV)/bin/pytest -q -p no:cacheprovider --hypothesis-profile=$(HYPOTHESIS_PROFILE)

test: check-gen lint pytest

# The conformance suite against every runner this machine has; the report
# (JUnit XML, JSON, HTML) stays in build/conformance/ as CI's artifact.
CONFORM_RUNNERS ?= native
conform: setup
	@set -e; for r in $(CONFORM_RUNNERS); do \
		$(ABI) conform --runner $$r -j 2 --report $(BUILD)/conformance/$$r; done

# The main job. Until abi-run lands this shows the table's view of file I/O.
run: gen
	$(ABI) table read openat mmap
	$(ABI) table --family file

# docs/porting/*.md: abi inspect's reports for the JVM, CPython and busybox.
# They join the table's status, so regenerate them when a status changes.
porting: gen
	$(PY) -m abi.inspect.porting

fuzz: gen kernel loader
	ABI_DIFF_EXAMPLES=20000 $(VENV)/bin/pytest -q -p no:cacheprovider --hypothesis-profile=fuzz

clean:
	rm -rf $(BUILD)
