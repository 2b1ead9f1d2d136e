# The user-space test programs (tests/user/t_*.c) and memcore's user library
# built as static i386 programs with Debian's i386 musl (tools/cc-i386), for
# the i386 kernel (suite user32) and Linux i386 (suite diff32).
#
#   build/user32/t_NAME        one program per tests/user/t_NAME.c
#   build/user32/initrd.cpio   all of them, at /t_NAME
#   build/user32/libmemcore.a  user/lib for i386

USER32_PROGS  := $(patsubst tests/user/%.c,$(BUILD)/user32/%,$(USER_SRC))
USER32_INITRD := $(BUILD)/user32/initrd.cpio
USER32_LIB    := $(BUILD)/user32/libmemcore.a
USER32_LIBOBJ := $(patsubst user/lib/%.c,$(BUILD)/user32/lib/%.o,$(wildcard user/lib/*.c))
CC_I386       := BUILD=$(abspath $(BUILD)) tools/cc-i386
# SSE2 (every CPU the tests boot has it): t_sigfault checks that signals keep
# the SSE state on i386 too.
UCFLAGS32     := $(UCFLAGS) -msse2

$(BUILD)/user32/lib/%.o: user/lib/%.c $(wildcard user/include/memcore/*.h user/lib/*.h mm/heap*.h) mk/user32.mk tools/cc-i386
	@mkdir -p $(@D)
	$(call say,CC32,$@)
	$(Q)$(CC_I386) $(USERLIB_CFLAGS) -c $< -o $@

# (and the heap core's objects: mk/userlib.mk)
$(USER32_LIB): $(USER32_LIBOBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/user32/t_%: tests/user/t_%.c $(USER_HDR) mk/user32.mk tools/cc-i386 $(USER32_LIB)
	@mkdir -p $(@D)
	$(call say,LINK32,$@)
	$(Q)$(CC_I386) $(UCFLAGS32) -I user/include -o $@ $< $(USER32_LIB)

$(USER32_INITRD): $(USER32_PROGS) tools/mkinitrd.py tools/qemu.py
	$(call say,CPIO,$@)
	$(Q)python3 tools/mkinitrd.py $@ $(USER32_PROGS)

user32-programs: $(USER32_PROGS) $(USER32_INITRD)

.PHONY: user32-programs

# The guest benchmark for i386 (bench/guest.sh --arch i386): guestbench and the program
# it execs, on our i386 kernel (PAE) and Linux i386.
GUEST32_PROGS := $(BUILD)/guest32/guestbench $(BUILD)/guest32/guest_true

$(BUILD)/guest32/%: bench/guest/%.c mk/user32.mk tools/cc-i386 $(USER32_LIB)
	@mkdir -p $(@D)
	$(call say,LINK32,$@)
	$(Q)$(CC_I386) $(GUEST_CFLAGS) -msse2 -I user/include -o $@ $< $(USER32_LIB)

guest32-programs: $(GUEST32_PROGS)

kernel32-pae:
	@$(MAKE) --no-print-directory ARCH=i386 PAE=1 kernel

bench: guest32-programs kernel32-pae

.PHONY: guest32-programs kernel32-pae
