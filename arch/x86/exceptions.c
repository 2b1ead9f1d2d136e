// SPDX-License-Identifier: MIT
/* Names of x86 vectors and page-fault error codes, for trap and panic reports. */
#include "arch/x86/exceptions.h"
#include "kernel/lib.h"

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved (15)", "x87 floating-point error", "alignment check",
	"machine check", "SIMD floating-point error", "virtualization exception",
	"control protection", "reserved (22)", "reserved (23)", "reserved (24)",
	"reserved (25)", "reserved (26)", "reserved (27)", "hypervisor injection",
	"VMM communication", "security exception", "reserved (31)",
};

const char *trap_name(unsigned vector)
{
	if (vector < 32)
		return exception_names[vector];
	if (vector >= VEC_IRQ0 && vector < VEC_IRQ0 + 16)
		return "IRQ";
	return "interrupt";
}

void pf_decode(uint64_t error, char *buf, unsigned len)
{
	ksnprintf(buf, len, "%s %s in %s mode%s%s%s",
		  error & PF_P ? "protection violation on" : "not-present page on",
		  error & PF_I ? "instruction fetch" : error & PF_W ? "write" : "read",
		  error & PF_U ? "user" : "kernel",
		  error & PF_RSVD ? ", reserved bit set" : "",
		  error & PF_PK ? ", protection key" : "",
		  error & PF_SS ? ", shadow stack" : "");
}
