# Real-mode DOS programs: tests/dos/*.asm assembled with nasm into .COM
# files, and dosrun, the i386 program that runs one in a DOS box on the i386
# kernel (tools/qemu-run --arch i386 --dos PROG.COM; run_tests.py suite dos).
#
#   build/dos/NAME.COM   one per tests/dos/NAME.asm
#   build/dos/dosrun     tests/dos/dosrun.c with user/lib/dos.c, for i386 (tools/cc-i386)

DOS_ASM := $(wildcard tests/dos/*.asm)
DOS_COM := $(patsubst tests/dos/%.asm,$(BUILD)/dos/%.COM,$(DOS_ASM))
DOS_RUN := $(BUILD)/dos/dosrun

# nasm comes with the i386 set of mk/deps.sh (what 32-bit programs need).
$(BUILD)/dos/%.COM: tests/dos/%.asm tests/dos/lib.inc mk/dos.mk
	@mkdir -p $(@D)
	@command -v nasm >/dev/null || sh mk/deps.sh i386 $(BUILD)/deps/i386
	$(call say,NASM,$@)
	$(Q)nasm -f bin -I tests/dos/ -o $@ $<

$(DOS_RUN): tests/dos/dosrun.c user/lib/dos.c user/include/memcore/dos.h \
	    user/include/memcore/syscall.h tools/cc-i386 mk/dos.mk
	@mkdir -p $(@D)
	$(call say,CC32,$@)
	$(Q)BUILD=$(abspath $(BUILD)) tools/cc-i386 -O2 -Wall -Wextra -Werror -I user/include \
		-o $@ tests/dos/dosrun.c user/lib/dos.c

dos-programs: $(DOS_COM) $(DOS_RUN)

.PHONY: dos-programs
