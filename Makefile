# SPDX-License-Identifier: GPL-2.0
#
# Build Linux 6.12 with our virtio subsystem laid over it, boot it under
# QEMU, test it.  `make run` and `make test` work on a fresh Debian 12.
# See README.md.

BUILD ?= $(CURDIR)/build
SRC = $(BUILD)/linux-source-6.12
JOBS ?= $(shell echo $$(( $$(nproc) + 1 )))
TOOLS = tools/testing/virtio
FRAGMENTS = kernel/configs/virtio_guest.config \
	    kernel/configs/virtio_guest_$(GUEST).config

# The guest's architecture: x86_64 (native), or cross-built arm64 or
# big-endian ppc64, each in its own object tree (`make kernel GUEST=arm64`).
GUEST ?= x86_64
ifeq ($(GUEST),x86_64)
OBJ = $(BUILD)/obj
IMAGE = bzImage
else ifeq ($(GUEST),arm64)
OBJ = $(BUILD)/obj-arm64
IMAGE = Image
KARCH = ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
else ifeq ($(GUEST),ppc64)
OBJ = $(BUILD)/obj-ppc64
IMAGE = vmlinux
KARCH = ARCH=powerpc CROSS_COMPILE=powerpc64-linux-gnu-
else
$(error GUEST=$(GUEST): want x86_64, arm64 or ppc64)
endif
export GUEST

# ccache when present; CCACHE_BASEDIR makes a clone in another folder hit
# the same cache (CCACHE_DIR keeps its default).  kbuild uses real paths,
# hence realpath when $(BUILD) exists (it may be a symlink).
ifneq ($(wildcard /usr/lib/ccache/gcc),)
export PATH := /usr/lib/ccache:$(PATH)
export CCACHE_BASEDIR := $(or $(realpath $(BUILD)),$(BUILD))
endif
export BUILD

KMAKE = $(MAKE) -C $(SRC) O=$(OBJ) $(KARCH)
QEMU = python3 $(TOOLS)/qemu.py --build $(BUILD)

.PHONY: all deps overlay config kernel initramfs run shell test check bench \
	hotplug-stress clean help
all: kernel initramfs

help:
	@echo "make run        deps, kernel, initramfs, then boot the demo guest"
	@echo "make test       deps, kernel, initramfs, then every test (run-tests.py)"
	@echo "make shell      boot the guest into a busybox shell (Ctrl-A X quits)"
	@echo "make check      the static checks only"
	@echo "make bench      our ring vs the base tree's, instructions and ns per buffer"
	@echo "make hotplug-stress  CYCLES (100) hot-plug cycles of each device, ACPI and native PCIe"
	@echo "make deps | overlay | config | kernel | initramfs | clean"
	@echo "GUEST=x86_64|arm64|ppc64 picks the guest for config, kernel, initramfs"
	@echo "BUILD=$(BUILD) JOBS=$(JOBS) GUEST=$(GUEST)"

deps:
	$(TOOLS)/deps.sh
	tools/virtio/deps.sh

# Our ring against the base tree's, in userspace: not a test.
bench:
	$(MAKE) -C tools/virtio BUILD=$(BUILD) bench

overlay:
	$(TOOLS)/overlay.sh $(BUILD)

# tinyconfig + our fragments, redone when a fragment changes.  Merged in
# one pass: `make a.config b.config` would resolve a.config alone first,
# dropping what depends on b.config (x86 KASAN needs 64BIT).
config: $(OBJ)/.config
$(OBJ)/.config: $(FRAGMENTS) | overlay
	mkdir -p $(OBJ)
	$(KMAKE) tinyconfig
	$(SRC)/scripts/kconfig/merge_config.sh -m -O $(OBJ) $@ $(FRAGMENTS)
	$(KMAKE) olddefconfig
	touch $@

kernel: overlay config
	$(KMAKE) -j$(JOBS) $(IMAGE) modules

initramfs: kernel
	$(TOOLS)/mkinitramfs.sh $(BUILD)

run: deps
	$(MAKE) initramfs
	$(QEMU) demo

shell: deps
	$(MAKE) initramfs
	$(QEMU) shell

test: deps
	$(MAKE) initramfs
	python3 $(TOOLS)/run-tests.py --build $(BUILD)

# Not a test: the hotplug scenarios with CYCLES plug-use-unplug cycles of
# each device (the test command runs 3); prints how many passed.
CYCLES ?= 100
hotplug-stress: deps
	$(MAKE) initramfs
	for s in hotplug hotplug-pcie; do \
		$(QEMU) $$s --quiet --timeout $$(( $(CYCLES) * 60 + 300 )) \
			--append vtest.hotplug_cycles=$(CYCLES) || fail=1; \
		grep -h '^vtest: hotplug-[a-z]*: [0-9]* of' $(BUILD)/logs/$$s.log | \
			sed "s/^vtest:/$$s:/"; \
	done; exit $${fail:-0}

check: kernel
	python3 $(TOOLS)/run-tests.py --build $(BUILD) --only static

clean:
	rm -rf $(BUILD)
