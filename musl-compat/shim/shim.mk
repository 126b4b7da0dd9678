# musl-compat/shim/shim.mk: the glibc shim, included by the top-level Makefile
# (before kernel/plat/hosted/hosted.mk, whose compat launcher links it).
#   build/musl-compat/shim/libabi-glibc-shim.so  the shim (musl-compat/shim/README.md)
#   build/musl-compat/shim/covered.txt           every glibc symbol a glibc-built
#                                                object may use on musl-compat
#
# The musl the shim and the .so launchers are built with (and whose
# libc.so is the launchers' interpreter): `musl-compat`, build/musl-compat's
# with abi-cc (musl-compat/musl-compat.mk), which puts .so applications on
# the function-call path, whenever the tree has it; else `debian`, Debian's
# musl-tools. `make ABI_SO_MUSL=debian` chooses Debian's anyway.
ABI_SO_MUSL ?= $(if $(wildcard musl-compat/musl-compat.mk),musl-compat,debian)
ifeq ($(ABI_SO_MUSL),musl-compat)
ABI_SO_MUSL_CC := $(VENV)/bin/abi-cc
ABI_SO_MUSL_LIB := $(abspath $(BUILD)/musl-compat/lib)
ABI_SO_MUSL_DEP := $(BUILD)/musl-compat/.installed
else
ABI_SO_MUSL_CC := musl-gcc
ABI_SO_MUSL_LIB := /usr/lib/x86_64-linux-musl
ABI_SO_MUSL_DEP :=
endif

ABI_SHIM_BUILD := build/musl-compat/shim
ABI_SHIM_SRCS := $(sort $(wildcard musl-compat/shim/*.c))
ABI_SHIM_OBJS := $(patsubst musl-compat/shim/%.c,$(ABI_SHIM_BUILD)/obj/%.o,$(ABI_SHIM_SRCS))
ABI_SHIM_SO := $(ABI_SHIM_BUILD)/libabi-glibc-shim.so
ABI_SHIM_COVERED := $(ABI_SHIM_BUILD)/covered.txt
# A stand-in for glibc's dynamic linker, which glibc-built objects with
# general-dynamic TLS need (for __tls_get_addr): empty, so they bind to
# musl's; found first in the compat launcher's RUNPATH.
ABI_SHIM_LDSO := $(ABI_SHIM_BUILD)/ld-linux-x86-64.so.2
# The host glibc's libraries: the versions the shim's symbols take, and the
# symbols there are to cover.
ABI_GLIBC_DIR := $(dir $(shell $(CC) -print-file-name=libc.so.6))

.PHONY: glibc-shim
glibc-shim: $(ABI_SHIM_SO) $(ABI_SHIM_COVERED) $(ABI_SHIM_LDSO)

$(ABI_SHIM_BUILD)/obj/%.o: musl-compat/shim/%.c musl-compat/shim/shim.h $(ABI_SO_MUSL_DEP)
	@mkdir -p $(dir $@)
	$(ABI_SO_MUSL_CC) -std=gnu11 -Wall -Wextra -Werror -O2 -fPIC -c $< -o $@

$(ABI_SHIM_BUILD)/glibc.map: $(ABI_SHIM_OBJS) musl-compat/shim/symbols.sh
	sh musl-compat/shim/symbols.sh map $(ABI_GLIBC_DIR) $(ABI_SHIM_OBJS) >$@.tmp && mv $@.tmp $@

$(ABI_SHIM_SO): $(ABI_SHIM_OBJS) $(ABI_SHIM_BUILD)/glibc.map
	$(ABI_SO_MUSL_CC) -shared -o $@ $(ABI_SHIM_OBJS) -Wl,-soname,libabi-glibc-shim.so \
		-Wl,--version-script=$(ABI_SHIM_BUILD)/glibc.map

$(ABI_SHIM_COVERED): $(ABI_SHIM_SO) musl-compat/shim/incompatible.txt musl-compat/shim/symbols.sh
	sh musl-compat/shim/symbols.sh covered $(ABI_GLIBC_DIR) $(ABI_SO_MUSL_LIB)/libc.so \
		$(ABI_SHIM_SO) musl-compat/shim/incompatible.txt >$@.tmp && mv $@.tmp $@

$(ABI_SHIM_LDSO): $(ABI_SO_MUSL_DEP)
	@mkdir -p $(dir $@)
	printf '' | $(ABI_SO_MUSL_CC) -shared -o $@ -Wl,-soname,ld-linux-x86-64.so.2 -x c -
