# The user library programs link against: build/user/libmemcore.a, one
# source file per interface family in user/lib/ (dos.c: memcore/dos.h; the
# Windows API adds win32.c: memcore/win32.h), headers in user/include/memcore/.
#
#   musl-gcc -static -I user/include prog.c build/user/libmemcore.a

USERLIB_SRC    := $(wildcard user/lib/*.c)
USERLIB_OBJ    := $(patsubst user/lib/%.c,$(BUILD)/user/lib/%.o,$(USERLIB_SRC))
USERLIB_HDR    := $(wildcard user/include/memcore/*.h user/lib/*.h mm/heap*.h)
USERLIB        := $(BUILD)/user/libmemcore.a
USERLIB_CFLAGS := -static -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
		  -Wmissing-prototypes -fstack-clash-protection -I user/include -I .
# The heap core (mm/), with its debug checks, under the Win32 heaps (user/lib/win32_heap.c).
USERLIB_CORE   := mm/slab.c mm/slab_purge.c mm/heap_runs.c mm/kmalloc.c mm/heap_debug.c mm/heap_walk.c mm/heap_front.c
USERLIB_CORE_CFLAGS := -std=gnu11 -O2 -g $(WARN) -fstack-clash-protection -I . -DMM_HEAP_DEBUG
USERLIB_COREOBJ := $(patsubst mm/%.c,$(BUILD)/user/core/%.o,$(USERLIB_CORE))

$(BUILD)/user/lib/%.o: user/lib/%.c $(USERLIB_HDR) mk/userlib.mk | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)musl-gcc $(USERLIB_CFLAGS) -c $< -o $@

$(BUILD)/user/core/%.o: mm/%.c $(wildcard mm/*.h) mk/userlib.mk | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)musl-gcc $(USERLIB_CORE_CFLAGS) -c $< -o $@

$(USERLIB): $(USERLIB_OBJ) $(USERLIB_COREOBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The same for i386 (mk/user32.mk, read before this file).
USER32_COREOBJ := $(patsubst mm/%.c,$(BUILD)/user32/core/%.o,$(USERLIB_CORE))
$(BUILD)/user32/core/%.o: mm/%.c $(wildcard mm/*.h) mk/userlib.mk tools/cc-i386
	@mkdir -p $(@D)
	$(call say,CC32,$@)
	$(Q)$(CC_I386) $(USERLIB_CORE_CFLAGS) -c $< -o $@
$(USER32_LIB): $(USER32_COREOBJ)

user-lib: $(USERLIB)
all: $(USERLIB)

.PHONY: user-lib
