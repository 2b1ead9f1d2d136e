# The core built with its address-sanitizer hooks (MM_KASAN) on the host,
# against ASan's manual poisoning interface (host/kasan.c, docs/porting.md):
#
#   build/host/tests/test_kasan_host   its tests (tests/host/kasan/), with the host suite's others
#
# As in the KASAN kernel, the heap's own files are built without the address
# sanitizer (they write into what they poisoned; KKASAN_EXCLUDE, mk/ksan.mk)
# but keep UBSan; everything else has both. The build without MM_KASAN is
# every other host test.
HKASAN_DIR    := $(BUILD)/host-kasan
HKASAN_DEFS   := -DMM_KASAN -DMM_HEAP_DEBUG
HKASAN_PLAIN   = $(patsubst %.c,$(HKASAN_DIR)/%.o,$(filter $(KKASAN_EXCLUDE),$(CORE_SRC)))
HKASAN_CORE   := $(patsubst %.c,$(HKASAN_DIR)/%.o,$(CORE_SRC))
HKASAN_PLAT   := $(patsubst %.c,$(HKASAN_DIR)/%.o,$(HOSTPLAT) $(HOST_KSRC))

$(HKASAN_DIR)/mm/%.o: mm/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(HCFLAGS) $(HCORE) $(HKASAN_DEFS) $(if $(filter $@,$(HKASAN_PLAIN)),-fsanitize=undefined \
		-fno-sanitize-recover=all,$(HOST_SAN)) -MMD -MP -c $< -o $@

$(HKASAN_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(HCFLAGS) $(HKASAN_DEFS) $(HOST_SAN) -MMD -MP -c $< -o $@

$(BUILD)/host/tests/test_kasan_host: tests/host/kasan/test_kasan_host.c $(HKASAN_CORE) $(HKASAN_PLAT)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(HCFLAGS) $(HKASAN_DEFS) $(HOST_SAN) -MMD -MP -o $@ $< $(HKASAN_CORE) $(HKASAN_PLAT) \
		-lcmocka -lpthread

host-tests: $(BUILD)/host/tests/test_kasan_host
