# Sanitized kernels, each built in a folder of its own so that the normal
# kernel's code and speed stay as they are (docs/sanitizers.md):
#
#   build/ubsan/kernel/kernel.elf   x86_64 with the kernel's own UBSan handlers (kernel/ubsan.c)
#   build/ubsan/i386-pae/kernel.elf the same for i386 (PAE, as the user32 suite runs)
#   build/kasan/kernel/kernel.elf   x86_64 with the address sanitizer (kernel/kasan.c)
#   build/kasan/i386/kernel.elf     the same for i386, two-level paging (make kernel32-kasan)
#   build/kasan/i386-pae/kernel.elf the same for i386 with PAE
#
# The checks are those that mean something in a kernel. Not alignment: x86
# allows misaligned access and the hardware's packed structures need it.
# Every check carries on after its report (ubsan=panic stops at the first).
KUBSAN_FLAGS := -fsanitize=shift,integer-divide-by-zero,unreachable,vla-bound,null,signed-integer-overflow \
		-fsanitize=bounds,object-size,nonnull-attribute,returns-nonnull-attribute,bool,enum \
		-fsanitize=pointer-overflow,builtin -fsanitize-recover=all
# GCC's array-bounds warning misfires on the instrumented code (its checks add
# paths with indices it cannot bound); the normal build keeps the warning.
KUBSAN_FLAGS += -Wno-array-bounds

# KASAN: outline checks (calls, so that nothing is checked before the shadow
# exists); red zones around stack arrays (the prologues write their shadow
# inline, at the arch's KASAN_SHADOW_OFFSET, memlayout.h) and globals. The
# heap's own files are not instrumented: they write free-list pointers and
# records into poisoned objects; nor is the arch's early shadow mapping,
# which runs before the shadow exists.
KKASAN_FLAGS := -fsanitize=kernel-address --param asan-instrumentation-with-call-threshold=0 \
		--param asan-stack=1 --param asan-globals=1
KKASAN_OFFSET_x86_64 := 0xdffffc0000000000
KKASAN_OFFSET_i386 := 0xd8000000
# i386: the kernel's entries (boot, interrupts, new tasks) keep the stack
# 4-byte aligned, not the 16 GCC assumes; frames with red zones need their
# variables on the shadow's 8-byte granules, so GCC realigns those frames.
KKASAN_ARCH_i386 := -mincoming-stack-boundary=2
KKASAN_EXCLUDE := mm/slab.c mm/slab_purge.c mm/heap_runs.c mm/heap_front.c mm/heap_debug.c \
		mm/heap_pages.c mm/heap_walk.c mm/kmalloc.c arch/x86_64/kasan_early.c arch/i386/kasan_early.c \
		arch/x86/kasan_early.c

# A sanitized build passes KSAN_FLAGS (and KSAN_EXCLUDE, files built without
# them); the handlers themselves are never instrumented.
KSAN := $(KSAN_FLAGS)
$(patsubst %,$(KDIR)/%.o,kernel/ubsan.c kernel/kasan.c $(KSAN_EXCLUDE)): KSAN :=
# Their objects are rebuilt when the flags here change (the normal kernel's are not).
ifneq ($(KSAN_FLAGS),)
$(KOBJ): mk/ksan.mk
endif

kernel-ubsan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/ubsan KDEFS=-DKUBSAN KSAN_FLAGS="$(KUBSAN_FLAGS)" kernel
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/ubsan KDEFS=-DKUBSAN KSAN_FLAGS="$(KUBSAN_FLAGS)" \
		ARCH=i386 PAE=1 kernel

kernel-kasan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/kasan KDEFS="-DKASAN -DMM_KASAN" \
		KSAN_FLAGS="$(KKASAN_FLAGS) -fasan-shadow-offset=$(KKASAN_OFFSET_x86_64)" \
		KSAN_EXCLUDE="$(KKASAN_EXCLUDE)" kernel

# i386: the shadow of the 1 GiB kernel half takes 128 MiB of lowmem (memlayout.h).
kernel32-kasan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/kasan KDEFS="-DKASAN -DMM_KASAN" \
		KSAN_FLAGS="$(KKASAN_FLAGS) -fasan-shadow-offset=$(KKASAN_OFFSET_i386) $(KKASAN_ARCH_i386)" \
		KSAN_EXCLUDE="$(KKASAN_EXCLUDE)" ARCH=i386 kernel
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/kasan KDEFS="-DKASAN -DMM_KASAN" \
		KSAN_FLAGS="$(KKASAN_FLAGS) -fasan-shadow-offset=$(KKASAN_OFFSET_i386) $(KKASAN_ARCH_i386)" \
		KSAN_EXCLUDE="$(KKASAN_EXCLUDE)" ARCH=i386 PAE=1 kernel

.PHONY: kernel-ubsan kernel-kasan kernel32-kasan
