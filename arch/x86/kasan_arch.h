/* SPDX-License-Identifier: MIT */
/*
 * What the KASAN build's shadow (kernel/kasan.c) needs of each arch
 * (arch/x86/kasan_early.c, arch/x86_64/kasan_early.c, arch/i386/kasan_early.c);
 * none of these files is instrumented, and all are empty in other builds.
 */
#ifndef ARCH_X86_KASAN_ARCH_H
#define ARCH_X86_KASAN_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "mm/types.h"

/*
 * Maps [@va, @va + @len) to [@pa, @pa + @len) in boot.S's page tables, in
 * 4 KiB pages, before the first C function runs (its prologue may write the
 * shadow of its stack frame). @va is the shadow of the image, page-aligned;
 * @len at most KASAN_IMAGE_SPAN / 8.
 */
void arch_kasan_early_map(uintptr_t va, phys_addr_t pa, size_t len);

/*
 * Reads a shadow byte that may have no page (vmalloc's unmapped pages): a
 * fault of its load (at kasan_probe_insn) resumes at kasan_probe_fixup
 * (arch/x86/traps.c), which answers 0 ("open"): the access being checked
 * then faults by itself.
 */
int8_t kasan_probe(const int8_t *shadow);
extern const char kasan_probe_insn[], kasan_probe_fixup[];

/*
 * Between arch/x86/kasan_early.c, which fills the early shadow's page tables,
 * and each arch's kasan_early.c, which links them into boot.S's tables. Those
 * tables' entries, and what one page table maps (log2): i386 two-level 4
 * bytes and 4 MiB; PAE and x86_64 8 bytes and 2 MiB.
 */
#if defined(__i386__) && !defined(I386_PAE)
typedef uint32_t kasan_early_pte;
#define KASAN_EARLY_PT_SHIFT	22
#else
typedef uint64_t kasan_early_pte;
#define KASAN_EARLY_PT_SHIFT	21
#endif

/* The directory entry that is to point to the page table mapping @va. */
kasan_early_pte *arch_kasan_early_pde(uintptr_t va);
/* All of [@va, ...) is in the tables: makes them reachable from CR3 and current. */
void arch_kasan_early_done(uintptr_t va);

#endif
