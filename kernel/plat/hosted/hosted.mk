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

hosted: $(ABI_HBUILD)/abi-run $(ABI_HBUILD)/so-launcher install-abi-run

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
