/* SPDX-License-Identifier: MIT */
/*
 * What the KASAN build's shadow (kernel/kasan.c) needs of each arch
 * (arch/x86_64/kasan_early.c, arch/i386/kasan_early.c); neither file is
 * instrumented, and both are empty in other builds.
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

#endif
