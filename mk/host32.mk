# The portable core and its host unit tests built as 32-bit programs (gcc -m32,
# ASan + UBSan): uintptr_t and size_t are 32 bits there while physical
# addresses stay 64 bits, as on an i386 kernel with PAE.
#
#   build/host32/tests/test_*   one program per tests/host/test_*.c
#   build/kernel32/mm/*.o       the core compiled as for an i386 kernel (a
#                               compile check: freestanding, no SSE, -m32)
#
# tools/run_tests.py runs them (suite host32); on a machine whose kernel
# cannot execute 32-bit programs, under qemu-i386 (user-mode emulation).

H32_FLAGS  := -m32
HOBJ32_CORE := $(patsubst %.c,$(BUILD)/host32/%.o,$(CORE_SRC))
HOBJ32_PLAT := $(patsubst %.c,$(BUILD)/host32/%.o,$(HOSTPLAT) $(HOST_KSRC))
HTESTS32    := $(patsubst tests/host/%.c,$(BUILD)/host32/tests/%,$(HTEST_SRC))

$(BUILD)/host32/mm/%.o: mm/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(H32_FLAGS) $(HCFLAGS) $(HCORE) $(HOST_SAN) -MMD -MP -c $< -o $@

$(BUILD)/host32/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(H32_FLAGS) $(HCFLAGS) $(HOST_SAN) -MMD -MP -c $< -o $@

$(BUILD)/host32/tests/%: tests/host/%.c $(HOBJ32_CORE) $(HOBJ32_PLAT)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(H32_FLAGS) $(HCFLAGS) $(HOST_SAN) -MMD -MP -o $@ $< $(HOBJ32_CORE) $(HOBJ32_PLAT) -lcmocka -lpthread $(LDLIBS_$*)

# The kernel's flags for the core, in 32-bit mode (no -mcmodel=kernel, no red zone: x86_64 only).
KCFLAGS32   := $(filter-out -mcmodel=kernel -mno-red-zone -mno-avx,$(KCFLAGS)) -m32 $(HEAP_KDEFS)
KOBJ32_CORE := $(patsubst %.c,$(BUILD)/kernel32/%.o,$(CORE_SRC))

$(BUILD)/kernel32/mm/%.o: mm/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(KCFLAGS32) $(CORE_STD) -MMD -MP -c $< -o $@

deps-host32:
	@sh mk/deps.sh host32

host32-tests: deps-host32 $(HTESTS32) $(KOBJ32_CORE)

.PHONY: host32-tests deps-host32
