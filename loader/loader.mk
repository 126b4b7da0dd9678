# loader/loader.mk: the ELF program loader, included by the top-level Makefile.
#   make loader        build/loader/elf.o (freestanding, like the kernel)
#   make loader-test   build the test harness and the test programs, and run
#                      the loader's pytest suite (tests/loader)
# The loader is part of the kernel (its binfmt_elf, kernel/fs/binfmt_elf.c):
# kernel/kernel.mk compiles loader/*.c into libabik.so and abi-run; the
# objects here are for the test harness, which runs it natively.

LOADER_BUILD := build/loader

LOADER_SRCS := loader/elf.c
LOADER_HDRS := loader/elf.h loader/loader.h
LOADER_CFLAGS := -std=c11 -Wall -Wextra -Werror -ffreestanding -fno-stack-protector -fPIC \
	-nostdlib -O2 -g -I$(ABI_GEN)/include -Ikernel/include -iquote loader
LOADER_OBJS := $(patsubst loader/%.c,$(LOADER_BUILD)/%.o,$(LOADER_SRCS))

# The test harness: hosted (libc), a static-pie so that it stays out of the
# way of ET_EXEC programs' fixed addresses.
LOADER_HARNESS := $(LOADER_BUILD)/harness
LOADER_HARNESS_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O1 -g -fPIE -static-pie \
	-I$(ABI_GEN)/include -Ikernel/include -iquote loader

.PHONY: loader loader-harness loader-test

loader: $(LOADER_OBJS)
loader-harness: $(LOADER_HARNESS)

$(LOADER_BUILD)/%.o: loader/%.c | $(ABI_GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(LOADER_CFLAGS) -MMD -MP -c $< -o $@

-include $(LOADER_OBJS:.o=.d)

$(LOADER_HARNESS): tests/loader/harness.c $(LOADER_OBJS) $(LOADER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LOADER_HARNESS_CFLAGS) -o $@ tests/loader/harness.c $(LOADER_OBJS)

loader-test: $(LOADER_HARNESS)
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/loader
