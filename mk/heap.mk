# The kernel heap's extra build steps (sources in mm/slab.c, mm/kmalloc.c,
# mm/slab_purge.c, mm/heap_runs.c, mm/heap_debug.c, mm/heap_pages.c; host/heap_pages_mmap.c; host/libkmalloc/).
#
#   build/host/libkmalloc.so        the heap as malloc (LD_PRELOAD), fast build
#   build/host/libkmalloc-debug.so  the same with the debug checks on
#   build/host/tests/test_heap_debug  host tests of the debug and hardened builds
#   build/heap-bench/heap_workload  the allocator benchmark's workloads (bench/heap.sh)

HEAP_CORE     := mm/slab.c mm/slab_purge.c mm/heap_runs.c mm/kmalloc.c mm/heap_debug.c mm/heap_front.c
HEAP_SO_SRC   := $(HEAP_CORE) host/heap_pages_mmap.c $(wildcard host/libkmalloc/*.c) user/lib/plat_hosted.c
HEAP_SO_HDR   := $(wildcard mm/*.h host/*.h)
# As malloc: size classes up to 64 KiB in 512 KiB slabs (touched lazily, so
# only used pages count), thread-local lists with initial-exec TLS.
HEAP_SO_FLAGS := -std=gnu11 -O2 -g -flto $(WARN) -I. -fPIC -shared -fvisibility=hidden \
                 -ftls-model=initial-exec -fno-plt -DNDEBUG \
                 -DHEAP_SLAB_SHIFT=19 -DKMALLOC_MAX_SIZE=65536 -Wl,-z,defs -lpthread \
                 -DPLAT_HOSTED_NAME='"kmalloc"'

# The kernel has the debug checks compiled in (off until heap=debug);
# `make HEAP_KDEFS=` builds the kernel without them.
HEAP_KDEFS ?= -DMM_HEAP_DEBUG
$(KOBJ): KCFLAGS += $(HEAP_KDEFS)

$(BUILD)/host/libkmalloc.so: $(HEAP_SO_SRC) $(HEAP_SO_HDR) mk/heap.mk
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(HEAP_SO_FLAGS) -o $@ $(HEAP_SO_SRC)

$(BUILD)/host/libkmalloc-debug.so: $(HEAP_SO_SRC) $(HEAP_SO_HDR) mk/heap.mk
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(HEAP_SO_FLAGS) -DMM_HEAP_DEBUG -o $@ $(HEAP_SO_SRC)

# Host tests of the debug + hardened heap: its own objects of the heap sources.
HEAPDBG_OBJ := $(patsubst %.c,$(BUILD)/host-heapdbg/%.o,$(HEAP_CORE))
HEAP_OTHER_CORE := $(filter-out $(patsubst %.c,$(BUILD)/host/%.o,$(HEAP_CORE)),$(HOBJ_CORE))
$(BUILD)/host-heapdbg/mm/%.o: mm/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(HCFLAGS) $(HCORE) $(HOST_SAN) -DMM_HEAP_DEBUG -DMM_HARDENED -MMD -MP -c $< -o $@

$(BUILD)/host/tests/test_heap_debug: tests/host/heap/test_heap_debug.c $(HEAPDBG_OBJ) $(HEAP_OTHER_CORE) $(HOBJ_PLAT)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(HCFLAGS) $(HOST_SAN) -DMM_HEAP_DEBUG -DMM_HARDENED -MMD -MP -o $@ $< \
		$(HEAPDBG_OBJ) $(HEAP_OTHER_CORE) $(HOBJ_PLAT) -lcmocka -lpthread

# The benchmark's workload program: plain C over the process's malloc.
$(BUILD)/heap-bench/heap_workload: bench/heap/workload.c mk/heap.mk
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARN) -o $@ $< -lpthread

heap-lib: $(BUILD)/host/libkmalloc.so $(BUILD)/host/libkmalloc-debug.so
all: heap-lib $(BUILD)/host/tests/test_heap_debug
bench: heap-lib $(BUILD)/heap-bench/heap_workload

.PHONY: heap-lib
