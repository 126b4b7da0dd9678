# musl-compat: musl built from Debian's source package with our overlay
# (musl-compat/README.md). Outputs in build/musl-compat: lib/libc.a,
# lib/libc.so (also the dynamic linker), the crt files and include/.
# Each step leaves a stamp, so a second `make` runs nothing.

MC         := $(BUILD)/musl-compat
MC_ABS     := $(abspath $(MC))
MUSL_DEB   ?= 1.2.3-1
MC_APT     := $(MC)/apt
MC_OVERLAY := $(shell find musl-compat/overlay -type f | sort)
MC_PATCHES := $(sort $(wildcard musl-compat/patches/*.patch))
# -mno-red-zone: a `call` from inline asm must not clobber a red zone. -w:
# musl's own warnings are not ours to fix, and would drown a build log's.
MC_CFLAGS  := -mno-red-zone -w
# A private apt configuration: the system's sources plus the deb-src entries
# musl-compat/debsrc.py derives from them; the system's own is not touched.
MC_APT_OPTS = -o Dir::Etc::SourceList=$(abspath $(MC_APT))/sources.list \
	-o Dir::Etc::SourceParts=$(abspath $(MC_APT))/sources.list.d \
	-o Dir::State::Lists=$(abspath $(MC_APT))/lists \
	-o Dir::Cache=$(abspath $(MC_APT))/cache \
	-o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq

.PHONY: musl-compat
musl-compat: $(MC)/.installed

# apt verifies the Release file's signature and the source files' checksums.
$(MC)/.fetched: musl-compat/debsrc.py
	rm -rf $(MC_APT) $(MC)/src
	mkdir -p $(MC_APT)/sources.list.d $(MC_APT)/lists/partial $(MC_APT)/cache/archives/partial $(MC)/src
	: > $(MC_APT)/sources.list
	python3 musl-compat/debsrc.py > $(MC_APT)/sources.list.d/deb-src.sources
	apt-get $(MC_APT_OPTS) update
	cd $(MC)/src && apt-get $(MC_APT_OPTS) --only-source source musl=$(MUSL_DEB) >/dev/null
	@touch $@

# A fresh copy of the pristine tree, our files over it, then our patches.
$(MC)/.patched: $(MC)/.fetched $(MC_OVERLAY) $(MC_PATCHES) musl-compat/musl-compat.mk
	rm -rf $(MC)/tree
	cp -a $(MC)/src/musl-$(firstword $(subst -, ,$(MUSL_DEB))) $(MC)/tree
	cp -r musl-compat/overlay/. $(MC)/tree/
	set -e; for p in $(MC_PATCHES); do patch -s -p1 -d $(MC)/tree < $$p; done
	cd $(MC)/tree && ./configure --prefix=$(MC_ABS) --syslibdir=$(MC_ABS)/lib \
		--disable-wrapper CC=gcc CFLAGS="$(MC_CFLAGS)" >/dev/null
	@touch $@

$(MC)/.installed: $(MC)/.patched
	$(MAKE) -s -C $(MC)/tree
	$(MAKE) -s -C $(MC)/tree install >/dev/null
	@touch $@
