# kernel/plat/hosted/hosted.mk: abi-run, the hosted platform, included by the
# top-level Makefile (after kernel.mk and loader.mk, whose variables it uses).
#   make hosted    build/hosted/abi-run: a static, libc-free executable
#                  holding the kernel (ABI_KERNEL_SRCS, with kernel/plat/linux
#                  and the ELF loader) and kernel/plat/hosted (entry, options,
#                  start-up, trap).

ABI_HBUILD := build/hosted
ABI_HOSTED_SRCS := $(sort $(wildcard kernel/plat/hosted/*.c))
ABI_HOSTED_OBJS := $(patsubst %.c,$(ABI_HBUILD)/obj/%.o,$(ABI_HOSTED_SRCS))
# Linked at the base of its region (HOSTED_REGION_BASE in hosted.h), not as
# a static-pie: the host's exec maps it where it runs, so start-up neither
# moves nor relocates it (docs/DESIGN.md, "Address space").
ABI_HOSTED_BASE := 0x7e8000000000
ABI_HOSTED_LDFLAGS := -static -no-pie -nostdlib -Wl,-Ttext-segment=$(ABI_HOSTED_BASE) -Wl,--no-relax \
	-Wl,-z,noexecstack -Wl,-z,norelro -Wl,--sort-section=alignment

.PHONY: hosted install-abi-run

ABI_SO_LAUNCHERS := $(addprefix $(ABI_HBUILD)/,so-launcher so-launcher-musl so-launcher-compat)

hosted: $(ABI_HBUILD)/abi-run $(ABI_SO_LAUNCHERS) install-abi-run

# The abi-run on the venv's PATH is the native binary itself, not a Python
# script (a Python start costs about 240 ms): a relative symlink, so a
# rebuild is what runs and /proc/self/exe still finds so-launcher beside
# it. tools/setup.sh makes the same link; pip's install removes an older
# console script of that name.
install-abi-run: $(ABI_HBUILD)/abi-run
	@if [ -d $(VENV)/bin ] && [ "$$(readlink $(VENV)/bin/abi-run)" != ../../$(ABI_HBUILD)/abi-run ]; \
	then ln -sfn ../../$(ABI_HBUILD)/abi-run $(VENV)/bin/abi-run; fi

# The launcher of .so applications: an ordinary dynamically linked guest
# program (libc, dlopen), found by abi-run beside itself.
$(ABI_HBUILD)/so-launcher: kernel/plat/hosted/launcher/so-launcher.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -o $@ $< -ldl

# The launchers of .so applications on musl (musl-launcher.c), whose
# interpreter is that musl's dynamic linker (ABI_SO_MUSL_LIB, shim.mk):
# so-launcher-musl for objects built against musl, so-launcher-compat for
# glibc-built ones (--libc=musl-compat), with the glibc shim before libc,
# the covered-symbol list built in, and the host glibc's library directories
# in its RUNPATH (where musl finds the other libraries a glibc-built object
# needs).
ABI_GLIBC_LIB_PATH := $(realpath $(ABI_GLIBC_DIR)):/lib/x86_64-linux-gnu
ABI_MUSL_LAUNCHER_FLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 \
	-Wl,-dynamic-linker,$(ABI_SO_MUSL_LIB)/libc.so
$(ABI_HBUILD)/so-launcher-musl: kernel/plat/hosted/launcher/musl-launcher.c $(ABI_SO_MUSL_DEP)
	@mkdir -p $(dir $@)
	$(ABI_SO_MUSL_CC) $(ABI_MUSL_LAUNCHER_FLAGS) -o $@ $<
$(ABI_HBUILD)/so-launcher-compat: kernel/plat/hosted/launcher/musl-launcher.c $(ABI_SHIM_SO) \
		$(ABI_SHIM_COVERED) $(ABI_SHIM_LDSO)
	@mkdir -p $(dir $@)
	$(ABI_SO_MUSL_CC) $(ABI_MUSL_LAUNCHER_FLAGS) -DGLIBC_COMPAT \
		'-DCOVERED_LIST="$(abspath $(ABI_SHIM_COVERED))"' \
		'-DGLIBC_LIB_PATH="$(ABI_GLIBC_LIB_PATH)"' -o $@ $< \
		-L$(ABI_SHIM_BUILD) -Wl,--no-as-needed -labi-glibc-shim \
		-Wl,-rpath,$(abspath $(ABI_SHIM_BUILD)):$(ABI_GLIBC_LIB_PATH)

# The kernel objects are the library's (-fPIC, freestanding): one compile.
$(ABI_HBUILD)/abi-run: $(ABI_HOSTED_OBJS) $(ABI_KERNEL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ABI_HOSTED_LDFLAGS) -o $@ $(ABI_HOSTED_OBJS) $(ABI_KERNEL_OBJS) -lgcc

# HOSTED_PROF=1: start-up probes (prof.c) printed on stderr at exit.
ABI_HOSTED_CFLAGS := $(ABI_KERNEL_CFLAGS) $(if $(HOSTED_PROF),-DHOSTED_PROF)

$(ABI_HBUILD)/obj/kernel/plat/hosted/%.o: kernel/plat/hosted/%.c | $(ABI_GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ABI_HOSTED_CFLAGS) -MMD -MP -c $< -o $@

-include $(ABI_HOSTED_OBJS:.o=.d)
