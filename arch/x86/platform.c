// SPDX-License-Identifier: MIT
/*
 * The memory core's porting interface (mm/platform.h), the part both x86
 * kernels share: TLB and page-table root, CPU number, interrupts, logging.
 * Physical memory access (the direct map, kmap) is each arch's platform.c.
 */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "arch/x86/smp.h"
#include "kernel/lib.h"
#include "mm/platform.h"

void plat_tlb_flush_page(uintptr_t va)
{
	invlpg(va);
}

/* Kernel mappings are global: toggling CR4.PGE drops those too. */
void plat_tlb_flush_all(void)
{
	unsigned long cr4 = read_cr4();

	if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
}

void plat_set_pt_root(phys_addr_t root)
{
	write_cr3((unsigned long)root);
}

/* CR3 without its flag bits: a 4 KiB-aligned root, or a 32-byte-aligned PAE one. */
phys_addr_t plat_pt_root(void)
{
	return read_cr3() & (sizeof(long) == 8 ? ~0xffful : ~0x1ful);
}

unsigned plat_cpu_id(void)
{
	unsigned id;

	__asm__ volatile("movl %%" PERCPU_SEG ":%c1, %0"
			 : "=r"(id) : "i"(__builtin_offsetof(struct cpu_local, id)));
	return id;
}

/* Temporary mappings held on this CPU: none may be held across a task switch. */
unsigned kmap_held(void)
{
	return this_cpu()->kmap_held;
}

unsigned long plat_irq_save(void)
{
	unsigned long flags = read_rflags();

	__asm__ volatile("cli" ::: "memory");
	if (flags & RFLAGS_IF)
		irqoff_begin((uintptr_t)__builtin_return_address(0));	/* the lock's taker */
	return flags;
}

void plat_irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		sti();
}

/*
 * A lockless walk of a space this CPU has loaded: with interrupts masked,
 * this CPU answers no shootdown of it (it does not spin for a lock here),
 * so the tables the walk reads are not freed under it.
 */
unsigned long plat_pt_walk_begin(struct pt_space *s)
{
	(void)s;
	return plat_irq_save();
}

void plat_pt_walk_end(struct pt_space *s, unsigned long cookie)
{
	(void)s;
	plat_irq_restore(cookie);
}

/* A CPU spinning for a lock still answers TLB shootdowns (tlb.c). */
void plat_cpu_relax(void)
{
	tlb_poll();
	__asm__ volatile("pause");
}

void plat_log(enum plat_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "" };
	va_list ap;

	if (level == LOG_DEBUG && !log_debug_enabled)
		return;
	kprintf("mm: %s", prefix[level]);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
}

_Noreturn void plat_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic(fmt, ap);
}
