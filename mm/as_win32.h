/* SPDX-License-Identifier: MIT */
/*
 * The Windows memory model over a process's address space (seed 003's
 * VirtualAllocProcessMemory family), with the semantics Microsoft documents
 * for VirtualAlloc, VirtualFree, VirtualQuery, VirtualProtect and
 * VirtualLock/VirtualUnlock.
 *
 * An allocation is a run of regions (mm/as.h) that share an allocation base
 * and allocation protection; each region's pages are reserved
 * (AS_R_RESERVED: address space only, no access, no commit charge) or
 * committed (charged to the commit policy of mm/commit.h whatever their
 * protection, zero-filled on first touch). Placement is on 64 KiB
 * boundaries; commit, decommit and protection work on pages. Linux's
 * calls work on the same regions: munmap releases pages, mprotect commits
 * reserved pages it makes accessible and re-protects committed ones.
 *
 * Results are >= 0 or a negated Windows error code (ERROR_*), which the
 * system calls pass to the program's GetLastError().
 *
 * Locking: the space's lock (as_lock()), like every other entry point.
 */
#ifndef MM_AS_WIN32_H
#define MM_AS_WIN32_H

#include "as.h"
#include "user/include/memcore/win32_abi.h"

long VirtualAllocProcessMemory(struct as *space, uintptr_t address, uint64_t size,
			       uint32_t allocation_type, uint32_t protect);
long VirtualFreeProcessMemory(struct as *space, uintptr_t address, uint64_t size,
			      uint32_t free_type);
long VirtualQueryProcessMemory(struct as *space, uintptr_t address,
			       struct memory_basic_information *info);
long VirtualProtectProcessMemory(struct as *space, uintptr_t address, uint64_t size,
				 uint32_t new_protect, uint32_t *old_protect);
long VirtualLockProcessMemory(struct as *space, uintptr_t address, uint64_t size, bool lock);
long as_win32_stack(struct as *as, uint64_t reserve_size, uint64_t commit_size);
long as_win32_main_stack(struct as *as, uintptr_t sp, uint64_t reserve);
long as_win32_write_watch(struct as *as, uintptr_t start, uintptr_t end, uintptr_t *out, unsigned max,
			  bool reset, uintptr_t *next);
long as_win32_view_reserve(struct as *as, uintptr_t start, uint64_t len, uint32_t alloc_prot,
			   uint32_t view_prot);

/*
 * The commit state of a SEC_RESERVE section (as_win32_section.c), hung on
 * its file (struct as_file's section) by the platform: Windows keeps it in
 * the section, so a page committed through one view is committed in every
 * view of it, in any process. A view's reserved regions take the section's
 * committed pages, with the view's protection, whenever a Win32 call or a
 * fault looks at them. Pages are only ever committed (views cannot be
 * decommitted), so the bits need no lock.
 */
struct as_section *as_section_new(uint64_t pages, uint32_t protect);
void as_section_free(struct as_section *s);
/* The section's PAGE_* | SEC_RESERVE as made. */
uint32_t as_section_protect(const struct as_section *s);
void as_section_commit(struct as_section *s, uint64_t first, uint64_t n);
bool as_section_committed(const struct as_section *s, uint64_t page);

/* PAGE_* for Linux protection MM_PROT_* (what VirtualQuery shows for mmap). */
uint32_t as_win32_protect(uint32_t prot);
/* MM_PROT_* of a valid PAGE_* (modifiers ignored). */
uint32_t as_win32_mm_prot(uint32_t protect);

#endif
