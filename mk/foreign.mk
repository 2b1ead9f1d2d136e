# Programs nobody on this project wrote, built as they ship, run on the
# kernel by the test suite to compare their output with Linux's.
# enough.c: zlib's example that counts Huffman codes (Debian's zlib1g-dev).
FOREIGN_ENOUGH_SRC := /usr/share/doc/zlib1g-dev/examples/enough.c

$(BUILD)/foreign/enough: $(FOREIGN_ENOUGH_SRC)
	$(call say,MUSL,$@)
	@mkdir -p $(@D)
	$(Q)musl-gcc -static -O2 -w -o $@ $<

all: $(BUILD)/foreign/enough
