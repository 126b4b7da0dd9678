# kernel/kernel.mk: the kernel, included by the top-level Makefile.
#   make kernel       build/kernel/libabik.so (the library platform)
#   make kernel-test  build and run the C unit tests of kernel internals
# ABI_KERNEL_SRCS and ABI_KERNEL_CFLAGS are what other builds (the hosted
# abi-run, later) reuse.

ABI_KBUILD := build/kernel

# The platform is a choice of the build: kernel/plat/$(ABI_PLAT)/*.c
# implements kernel/plat/plat.h (linux: raw host syscalls, for libabik.so
# and abi-run, which needs it; another platform builds in
# build/kernel-$(ABI_PLAT)). hostfs comes with a platform that has host
# files, i.e. whose hostfile.c implements plat_hostfile.h.
ABI_PLAT ?= linux
$(if $(wildcard kernel/plat/$(ABI_PLAT)/*.c),,$(error ABI_PLAT=$(ABI_PLAT): no kernel/plat/$(ABI_PLAT)/*.c))
ifneq ($(ABI_PLAT),linux)
ABI_KBUILD := build/kernel-$(ABI_PLAT)
endif

ABI_KERNEL_SRCS := $(sort $(wildcard kernel/lib/*.c kernel/mm/*.c kernel/fs/*.c \
	kernel/fs/*/*.c kernel/fd/*.c kernel/dev/*.c kernel/core/*.c kernel/time/*.c \
	kernel/plat/$(ABI_PLAT)/*.c loader/*.c))
ifeq ($(wildcard kernel/plat/$(ABI_PLAT)/hostfile.c),)
ABI_KERNEL_SRCS := $(filter-out kernel/fs/hostfs/%,$(ABI_KERNEL_SRCS))
endif
ABI_KERNEL_GEN_SRCS := $(ABI_GEN)/src/dispatch.c $(ABI_GEN)/src/stubs.c $(ABI_GEN)/src/trace_meta.c
ABI_KERNEL_CFLAGS := -std=c11 -Wall -Wextra -Werror -ffreestanding -fno-stack-protector -fPIC -fdata-sections \
	-mgeneral-regs-only \
	-nostdlib -O2 -g -I$(ABI_GEN)/include -Ikernel/include -iquote loader
ABI_KERNEL_LDFLAGS := -shared -nostdlib -Wl,--version-script=kernel/libabik.map -Wl,-z,defs \
	-Wl,--no-undefined

ABI_KERNEL_OBJS := $(patsubst %.c,$(ABI_KBUILD)/obj/%.o,$(ABI_KERNEL_SRCS)) \
	$(patsubst $(ABI_GEN)/src/%.c,$(ABI_KBUILD)/obj/gen/%.o,$(ABI_KERNEL_GEN_SRCS))

# The emulated platform (abi-run --emu, kernel/plat/emu): libabik.so only,
# with the parts of abi-run it shares (its options, filesystem set-up,
# output, --trace lines and signal frames), so both run programs alike.
ABI_EMU_SRCS := $(sort $(wildcard kernel/plat/emu/*.c)) \
	$(addprefix kernel/plat/hosted/,fs.c options.c output.c signal.c trace.c)
ABI_EMU_OBJS := $(patsubst %.c,$(ABI_KBUILD)/obj/%.o,$(ABI_EMU_SRCS))

.PHONY: kernel kernel-test

kernel: $(ABI_KBUILD)/libabik.so

$(ABI_KBUILD)/libabik.so: $(ABI_KERNEL_OBJS) $(ABI_EMU_OBJS) kernel/libabik.map
	$(CC) $(ABI_KERNEL_LDFLAGS) -o $@ $(ABI_KERNEL_OBJS) $(ABI_EMU_OBJS) -lgcc

# The string functions must not be compiled into calls to themselves.
$(ABI_KBUILD)/obj/kernel/lib/string.o: ABI_KERNEL_XFLAGS := -fno-tree-loop-distribute-patterns

$(ABI_KBUILD)/obj/kernel/%.o: kernel/%.c | $(ABI_GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ABI_KERNEL_CFLAGS) $(ABI_KERNEL_XFLAGS) -MMD -MP -c $< -o $@

# The ELF loader (loader/) is the kernel's binfmt_elf's.
$(ABI_KBUILD)/obj/loader/%.o: loader/%.c | $(ABI_GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ABI_KERNEL_CFLAGS) -MMD -MP -c $< -o $@

# abi gen writes these (with the stamp); say so, or a fresh tree has no rule for them.
$(ABI_KERNEL_GEN_SRCS): $(ABI_GEN)/.stamp ;

$(ABI_KBUILD)/obj/gen/%.o: $(ABI_GEN)/src/%.c | $(ABI_GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ABI_KERNEL_CFLAGS) -MMD -MP -c $< -o $@

-include $(ABI_KERNEL_OBJS:.o=.d) $(ABI_EMU_OBJS:.o=.d)

# C unit tests: hosted programs (libc allowed) linked with the kernel objects.
ABI_KTEST_SRCS := $(wildcard tests/kernel/c/test_*.c)
ABI_KTEST_BINS := $(patsubst tests/kernel/c/%.c,$(ABI_KBUILD)/tests/%,$(ABI_KTEST_SRCS))

$(ABI_KBUILD)/tests/%: tests/kernel/c/%.c tests/kernel/c/ktest.h $(ABI_KERNEL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O1 -g -I$(ABI_GEN)/include -Ikernel/include \
		-Itests/kernel/c -o $@ $< $(ABI_KERNEL_OBJS)

# test_trace.c includes abi-run's trace.c: it is rebuilt when that changes.
$(ABI_KBUILD)/tests/test_trace: kernel/plat/hosted/trace.c kernel/plat/hosted/hosted.h

kernel-test: $(ABI_KTEST_BINS)
	@set -e; for t in $(ABI_KTEST_BINS); do echo "$$t"; $$t; done
