// SPDX-License-Identifier: MIT
/* The memory core's porting interface (mm/platform.h) on x86_64. */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86/smp.h"
#include "kernel/lib.h"
#include "mm/platform.h"

void *plat_phys_to_virt(phys_addr_t pa)
{
	return (void *)(DIRECT_MAP_BASE + pa);
}

phys_addr_t plat_virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= KERNEL_VMA)
		return v - KERNEL_VMA;
	return v - DIRECT_MAP_BASE;
}

/*
 * The direct map covers all RAM: no high memory, a temporary mapping is the
 * direct one. They are counted all the same, so that a holder switching
 * tasks is caught here too, not only on a kernel with high memory.
 */
phys_addr_t plat_highmem_base(void)
{
	return PLAT_NO_HIGHMEM;
}

void *plat_kmap(phys_addr_t pa)
{
	__asm__ volatile("incl %%gs:%c0" : : "i"(__builtin_offsetof(struct cpu_local, kmap_held))
			 : "memory");
	return plat_phys_to_virt(pa);
}

void plat_kunmap(void *va)
{
	(void)va;
	__asm__ volatile("decl %%gs:%c0" : : "i"(__builtin_offsetof(struct cpu_local, kmap_held))
			 : "memory");
}

unsigned kmap_held(void)
{
	return this_cpu()->kmap_held;
}

void plat_tlb_flush_page(uintptr_t va)
{
	invlpg(va);
}

/* Kernel mappings are global: toggling CR4.PGE drops those too. */
void plat_tlb_flush_all(void)
{
	uint64_t cr4 = read_cr4();

	if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
}

void plat_set_pt_root(phys_addr_t root)
{
	write_cr3(root);
}

phys_addr_t plat_pt_root(void)
{
	return read_cr3() & ~0xfffull;
}

unsigned plat_cpu_id(void)
{
	unsigned id;

	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(__builtin_offsetof(struct cpu_local, id)));
	return id;
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
