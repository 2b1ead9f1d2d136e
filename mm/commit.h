/* SPDX-License-Identifier: MIT */
/*
 * Commit accounting, as Linux's vm.overcommit_memory does it: every page a
 * process may write without a file behind it (private writable mappings,
 * the heap, the stack, shared anonymous memory, System V segments) is
 * "committed" when mapped, whether or not it is ever touched, and the sum
 * (Committed_AS) is checked against a policy:
 *   0 (heuristic): a single request may not exceed all of RAM;
 *   1 (always): anything goes;
 *   2 (strict): Committed_AS may not pass CommitLimit = RAM * ratio / 100.
 * Charges are made by the address-space layer on mmap, brk, mremap
 * growth, stack growth, mprotect to writable and fork, and by shared
 * objects on creation; they are returned when the memory is unmapped or
 * the object freed. The counter is one atomic; no lock.
 */
#ifndef MM_COMMIT_H
#define MM_COMMIT_H

#include "types.h"

#define VM_OVERCOMMIT_GUESS	0
#define VM_OVERCOMMIT_ALWAYS	1
#define VM_OVERCOMMIT_NEVER	2

void vm_commit_configure(int mode, unsigned ratio, uint64_t ram_pages);
int vm_commit_charge(uint64_t pages, uint64_t ram_hint);
void vm_commit_uncharge(uint64_t pages);
void vm_commit_set_mode(int m);
void vm_commit_set_ratio(unsigned r);
int vm_commit_mode(void);
unsigned vm_commit_ratio(void);
uint64_t vm_committed_pages(void);
uint64_t vm_commit_limit_pages(uint64_t ram_hint);

#endif
