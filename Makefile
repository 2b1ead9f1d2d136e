# The build: the kernel (x86_64, freestanding), the portable core's host build
# (unit tests under ASan/UBSan, fuzzers), and the commands of the README.
#
# Sources are found by folder, so adding a file needs no edit here:
#   mm/*.c                 portable memory core (kernel and host)
#   arch/x86/*.c           shared by the x86 kernels: PC devices, timer, exception names
#   arch/x86_64/*.{c,S}    x86_64 boot, CPU tables, interrupts, platform
#   kernel/**/*.c          kernel proper
#   tests/kernel/*.c       in-kernel test suites (KTAP)
#   host/*.c               host platform for the core
#   tests/host/test_*.c    one cmocka test program each
#   fuzz/fuzz_*.c          one libFuzzer target each
# A program that needs a library of its own names it in LDLIBS_<program>.

ARCH      ?= x86_64
BUILD     ?= build
ACCEL     ?= tcg
QEMU_MEM  ?= 512M
SMP       ?= 1
NUMA      ?= 0
TIMEOUT   ?= 120
FUZZ_SECONDS ?= 10

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
# Keep intermediate objects (the TSan builds would otherwise be redone each time).
.SECONDARY:

# V=1 shows every command.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

# --- toolchain -----------------------------------------------------------------
CC        := gcc
LD        := ld
OBJCOPY   := objcopy
NM        := nm
CLANG     := clang
GCC_INC   := $(shell $(CC) -print-file-name=include)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter

# Kernel: no libc, no SSE (we do not save it), frame pointers for backtraces.
# x86_64: no red zone (interrupts share the stack), code model for the top 2 GiB.
# The kernel proper includes its architecture's headers by bare name
# ("arch.h", "memlayout.h", ...), found in arch/$(ARCH).
# i386: two-level paging, or PAE with NX when built with PAE=1 (its own
# build folder); libgcc for 64-bit division.
ifeq ($(ARCH),i386)
KARCH     := -m32 -march=i686
KLDARCH   := -m elf_i386
KLIBS     := $(shell $(CC) -m32 -print-libgcc-file-name)
ifeq ($(PAE),1)
KARCH     += -DI386_PAE
KDIR      := $(BUILD)/i386-pae
else
KDIR      := $(BUILD)/i386
endif
else
KARCH     := -mno-red-zone -mcmodel=kernel -mno-avx
KDIR      := $(BUILD)/kernel
endif
KCFLAGS   := -std=gnu11 -O2 -g $(WARN) -ffreestanding -nostdinc -isystem $(GCC_INC) \
             -fno-stack-protector -fno-pic -fno-pie $(KARCH) \
             -mgeneral-regs-only -mno-sse -mno-mmx -fno-omit-frame-pointer \
             -fno-optimize-sibling-calls -fno-strict-aliasing -fno-common -I. \
             -iquote arch/$(ARCH) -iquote arch/x86 -DMM_KERNEL $(KDEFS)
# The core is plain C11 on top of that: no GNU dialect, no libc headers.
CORE_STD  := -std=c11
KASFLAGS  := -g -I. -iquote arch/$(ARCH) -iquote arch/x86 -D__ASSEMBLY__ $(filter -m32,$(KARCH))
KLDFLAGS  := $(KLDARCH) --no-warn-rwx-segments -nostdlib -z max-page-size=0x1000 -z noexecstack -T arch/$(ARCH)/kernel.ld

HOST_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all
HCFLAGS   := -std=gnu11 -O1 -g $(WARN) -fno-omit-frame-pointer -I. -DMM_HOST
HCORE     := $(CORE_STD) -ffreestanding -nostdinc -isystem $(GCC_INC)

# --- sources ---------------------------------------------------------------------
CORE_SRC    := $(wildcard mm/*.c)
ARCH_SRC    := $(wildcard arch/x86/*.c) $(wildcard arch/$(ARCH)/*.c) $(wildcard arch/$(ARCH)/*.S)
KERNEL_SRC  := $(shell find kernel -name '*.c' | sort)
# Linux's i386 system-call ABI on the shared handlers: the i386 kernel only.
ifneq ($(ARCH),i386)
KERNEL_SRC  := $(filter-out kernel/proc/compat32%.c,$(KERNEL_SRC))
endif
KTEST_SRC   := $(wildcard tests/kernel/*.c)
HOSTPLAT    := $(wildcard host/*.c)
# Kernel files that are pure data processing, so the host tests and fuzzers use them too.
HOST_KSRC   := kernel/boot/multiboot.c kernel/fs/initrd.c kernel/proc/elf.c kernel/swap/swap_format.c
# The DOS box's engines (the rest of kernel/dos is kernel glue).
HOST_KSRC   += kernel/dos/mcb.c kernel/dos/xms.c kernel/dos/ems.c kernel/dos/dos_call.c kernel/dos/mem_report.c
HTEST_SRC   := $(wildcard tests/host/test_*.c)
FUZZ_SRC    := $(wildcard fuzz/fuzz_*.c)

KOBJ := $(patsubst %,$(KDIR)/%.o,$(ARCH_SRC) $(KERNEL_SRC) $(KTEST_SRC) $(CORE_SRC))

# --- kernel ----------------------------------------------------------------------
KERNEL    := $(KDIR)/kernel.elf

# KSAN: the sanitizer flags of a sanitized kernel's C files (mk/ksan.mk); empty here.
$(KDIR)/mm/%.c.o: mm/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(KCFLAGS) $(CORE_STD) $(KSAN) -MMD -MP -c $< -o $@

$(KDIR)/%.c.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(KCFLAGS) $(KSAN) -MMD -MP -c $< -o $@

$(KDIR)/%.S.o: %.S
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(KCFLAGS) $(KASFLAGS) -MMD -MP -c $< -o $@

# Two links: the first without symbol names, whose text addresses the second
# link keeps because the name table sits after all code (see kernel.ld).
$(KDIR)/ksyms0.o: tools/mksyms.sh
	@mkdir -p $(@D)
	printf '' | sh tools/mksyms.sh > $(KDIR)/ksyms0.S
	$(call say,CC,$@)
	$(Q)$(CC) $(KASFLAGS) -c $(KDIR)/ksyms0.S -o $@

$(KDIR)/pass1.elf: $(KOBJ) $(KDIR)/ksyms0.o arch/$(ARCH)/kernel.ld
	$(call say,LD,$@)
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJ) $(KDIR)/ksyms0.o $(KLIBS)

$(KDIR)/ksyms.o: $(KDIR)/pass1.elf tools/mksyms.sh
	$(NM) -n --defined-only $< | sh tools/mksyms.sh > $(KDIR)/ksyms.S
	$(call say,CC,$@)
	$(Q)$(CC) $(KASFLAGS) -c $(KDIR)/ksyms.S -o $@

$(KERNEL): $(KOBJ) $(KDIR)/ksyms.o arch/$(ARCH)/kernel.ld tools/check-image.sh
	$(call say,LD,$@)
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJ) $(KDIR)/ksyms.o $(KLIBS)
	sh tools/check-image.sh $@ $(KDIR)/pass1.elf

kernel: $(KERNEL)

# The i386 kernels (two-level paging and PAE) that `make test` checks too.
kernel32:
	@$(MAKE) --no-print-directory ARCH=i386 kernel
	@$(MAKE) --no-print-directory ARCH=i386 PAE=1 kernel

# --- ISO (GRUB, multiboot 2) -----------------------------------------------------
ISODIR := $(if $(filter x86_64,$(ARCH)),$(BUILD),$(KDIR))
ISO := $(ISODIR)/memcore.iso
$(ISO): $(KERNEL) tools/grub.cfg
	@mkdir -p $(ISODIR)/iso/boot/grub
	cp $(KERNEL) $(ISODIR)/iso/boot/kernel.elf
	cp tools/grub.cfg $(ISODIR)/iso/boot/grub/grub.cfg
	printf 'a multiboot 2 module, to show modules are found\n' > $(ISODIR)/iso/boot/hello.txt
	grub-mkrescue -o $@ $(ISODIR)/iso 2>$(ISODIR)/grub-mkrescue.log || { cat $(ISODIR)/grub-mkrescue.log; exit 1; }

iso: deps-boot $(ISO)

# --- host build of the core ---------------------------------------------------------
HOBJ_CORE := $(patsubst %.c,$(BUILD)/host/%.o,$(CORE_SRC))
HOBJ_PLAT := $(patsubst %.c,$(BUILD)/host/%.o,$(HOSTPLAT) $(HOST_KSRC))
HTESTS    := $(patsubst tests/host/%.c,$(BUILD)/host/tests/%,$(HTEST_SRC))

$(BUILD)/host/mm/%.o: mm/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(HCFLAGS) $(HCORE) $(HOST_SAN) -MMD -MP -c $< -o $@

$(BUILD)/host/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(HCFLAGS) $(HOST_SAN) -MMD -MP -c $< -o $@

$(BUILD)/host/tests/%: tests/host/%.c $(HOBJ_CORE) $(HOBJ_PLAT)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(HCFLAGS) $(HOST_SAN) -MMD -MP -o $@ $< $(HOBJ_CORE) $(HOBJ_PLAT) -lcmocka -lpthread $(LDLIBS_$*)

# Tests that start threads run again under ThreadSanitizer.
HTEST_THREADED := $(shell grep -l pthread_create $(HTEST_SRC) /dev/null 2>/dev/null)
HTESTS_TSAN := $(patsubst tests/host/%.c,$(BUILD)/host-tsan/tests/%,$(HTEST_THREADED))
TSAN := -fsanitize=thread
$(BUILD)/host-tsan/mm/%.o: mm/%.c
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(HCFLAGS) $(HCORE) $(TSAN) -MMD -MP -c $< -o $@

$(BUILD)/host-tsan/%.o: %.c
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(HCFLAGS) $(TSAN) -MMD -MP -c $< -o $@

$(BUILD)/host-tsan/tests/%: tests/host/%.c $(patsubst $(BUILD)/host/%,$(BUILD)/host-tsan/%,$(HOBJ_CORE) $(HOBJ_PLAT))
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(HCFLAGS) $(TSAN) -MMD -MP -o $@ $(filter %.c %.o,$^) -lcmocka -lpthread $(LDLIBS_$*)

host-tests: $(HTESTS) $(HTESTS_TSAN)

# --- fuzzers (clang, libFuzzer) -------------------------------------------------------
# Each source is compiled once for all targets, with the coverage that fits
# its part: the code under test (mm/, the kernel's data-processing files, the
# targets' input decoding) with libFuzzer's full instrumentation, edge counters
# and comparison tracing; the core's checkers (FUZZ_CHECKERS) with edge
# counters only, as their comparisons say nothing about the input and their
# tracing used to be most of a run's time; the host simulation (soft MMU,
# platform) with none. Every object keeps ASan and UBSan.
FUZZERS   := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_DIR  := $(BUILD)/fuzzobj
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all
FCFLAGS   := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. -DMM_HOST $(FUZZ_SAN)
FUZZ_CHECKERS := mm/pt_read.c mm/pmm_info.c mm/as_info.c
fuzz_cov = $(if $(filter host/%,$(1)),,$(if $(filter $(FUZZ_CHECKERS),$(1)),\
	   -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp,-fsanitize=fuzzer-no-link))
FUZZ_OBJ  := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(CORE_SRC) $(HOSTPLAT) $(HOST_KSRC))
FUZZ_TOBJ := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(FUZZ_SRC))
# The flags each object was built with: a change rebuilds them all (objects
# are secondary, so a finished fuzzer would otherwise never see new flags).
FUZZ_STAMP := $(FUZZ_DIR)/flags
FUZZ_FLAGS_NOW := $(FCFLAGS) | $(FUZZ_CHECKERS) | $(call fuzz_cov,mm/x.c) | $(call fuzz_cov,$(firstword $(FUZZ_CHECKERS)))

$(FUZZ_STAMP): fuzz-flags-changed
	@mkdir -p $(@D)
	@echo '$(FUZZ_FLAGS_NOW)' | cmp -s - $@ || echo '$(FUZZ_FLAGS_NOW)' > $@
fuzz-flags-changed:

$(FUZZ_OBJ) $(FUZZ_TOBJ): $(FUZZ_DIR)/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CLANG) $(FCFLAGS) $(call fuzz_cov,$<) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/%: $(FUZZ_DIR)/fuzz/%.o $(FUZZ_OBJ) $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CLANG) $(FCFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LDLIBS_$*)

.PHONY: fuzz-flags-changed

fuzzers: $(FUZZERS)

# --- host benchmarks (optimized, no sanitizers) ---------------------------------------
BENCH_SRC := $(wildcard bench/*.c)
BENCHES   := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
BCFLAGS   := -std=gnu11 -O2 -g $(WARN) -I. -DMM_HOST -DNDEBUG
$(BUILD)/bench/%: bench/%.c $(CORE_SRC) $(HOSTPLAT) $(wildcard mm/*.h host/*.h bench/*.h)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(BCFLAGS) -o $@ $< $(CORE_SRC) $(HOSTPLAT) -lpthread -lm $(LDLIBS_$*)

bench: deps-bench $(BENCHES)
	@sh bench/run.sh $(BUILD)

deps-bench:
	@sh mk/deps.sh bench

# Subsystems with build steps of their own (libraries, extra programs) add
# them in mk/*.mk.
-include $(wildcard mk/*.mk)

# --- commands ------------------------------------------------------------------------
all: deps-build $(KERNEL) host-tests

deps-build:
	@sh mk/deps.sh build
deps-boot:
	@sh mk/deps.sh boot
deps-test:
	@sh mk/deps.sh test

# SWAP=image attaches a swap disk (mkswap) used from boot; DISK=image another disk.
# NUMA=N splits the memory into N NUMA nodes (SRAT, SLIT) with the CPUs dealt out.
run: deps-build deps-boot $(KERNEL)
	@python3 tools/qemu.py run --mem $(QEMU_MEM) --smp $(SMP) --numa $(NUMA) $(if $(SWAP),--swap $(SWAP)) \
		$(foreach d,$(DISK),--disk $(d)) $(KERNEL) $(CMDLINE)

# QEMU waits for gdb with the console on build/debug-serial.log; gdb loads
# the symbols, connects and stops at kmain.
debug: deps-build deps-boot $(KERNEL)
	@python3 tools/qemu.py debug --mem $(QEMU_MEM) --smp $(SMP) $(KERNEL) $(CMDLINE) \
		> $(BUILD)/debug-serial.log 2>&1 < /dev/null & pid=$$!; \
	sleep 1; gdb -q -x tools/gdbinit; kill $$pid 2>/dev/null || true

test: deps-test
	@$(MAKE) --no-print-directory all host32-tests kernel32 user32-programs dos-programs fuzzers $(ISO) \
		kernel-ubsan kernel-kasan kernel32-kasan
	@python3 tools/run_tests.py --build $(BUILD) --fuzz-seconds $(FUZZ_SECONDS) --timeout $(TIMEOUT)

clean:
	rm -rf $(BUILD)

.PHONY: all kernel kernel32 iso host-tests fuzzers bench run debug test clean deps-build deps-boot deps-test deps-bench

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
