# The user library programs link against: build/user/libmemcore.a, one
# source file per interface family in user/lib/ (dos.c: memcore/dos.h; the
# Windows API adds win32.c: memcore/win32.h), headers in user/include/memcore/.
#
#   musl-gcc -static -I user/include prog.c build/user/libmemcore.a

USERLIB_SRC    := $(wildcard user/lib/*.c)
USERLIB_OBJ    := $(patsubst user/lib/%.c,$(BUILD)/user/lib/%.o,$(USERLIB_SRC))
USERLIB_HDR    := $(wildcard user/include/memcore/*.h user/lib/*.h)
USERLIB        := $(BUILD)/user/libmemcore.a
USERLIB_CFLAGS := -static -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
		  -Wmissing-prototypes -fstack-clash-protection -I user/include

$(BUILD)/user/lib/%.o: user/lib/%.c $(USERLIB_HDR) mk/userlib.mk | deps-build
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)musl-gcc $(USERLIB_CFLAGS) -c $< -o $@

$(USERLIB): $(USERLIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

user-lib: $(USERLIB)
all: $(USERLIB)

.PHONY: user-lib
