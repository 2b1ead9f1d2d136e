# User-space test programs (tests/user/t_*.c): static x86_64 Linux programs
# built with musl, that print TAP. They run natively on Linux and, packed in
# an initrd at /t_NAME, on our kernel.
#
#   build/user/t_NAME        one program per tests/user/t_NAME.c
#   build/user/initrd.cpio   all of them, at /t_NAME

USER_SRC    := $(wildcard tests/user/t_*.c)
USER_PROGS  := $(patsubst tests/user/%.c,$(BUILD)/user/%,$(USER_SRC))
USER_HDR    := $(wildcard tests/user/*.h)
USER_INITRD := $(BUILD)/user/initrd.cpio
MUSL_CC     := musl-gcc
# Stack probes (what __chkstk is to Windows compilers): a Win32 program's stacks grow by
# one guard page at a time (docs/win32.md), so a large frame must touch its pages in order.
UCFLAGS     := -static -O2 -Wall -Wextra -Werror -fstack-clash-protection

# musl-gcc comes from mk/deps.sh build (musl-tools), so that goes first. Every
# program may use memcore's own interfaces (mk/userlib.mk).
$(BUILD)/user/t_%: tests/user/t_%.c $(USER_HDR) mk/user.mk $(BUILD)/user/libmemcore.a | deps-build
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(MUSL_CC) $(UCFLAGS) -I user/include -o $@ $< $(BUILD)/user/libmemcore.a

$(USER_INITRD): $(USER_PROGS) tools/mkinitrd.py tools/qemu.py
	@mkdir -p $(@D)
	$(call say,CPIO,$@)
	$(Q)python3 tools/mkinitrd.py $@ $(USER_PROGS)

user-programs: $(USER_PROGS) $(USER_INITRD)
all: $(USER_PROGS) $(USER_INITRD)

.PHONY: user-programs
