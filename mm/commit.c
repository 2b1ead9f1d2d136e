// SPDX-License-Identifier: MIT
/* Commit accounting (see commit.h). */
#include "commit.h"
#include "errno.h"
#include "swap.h"

static int mode = VM_OVERCOMMIT_GUESS;
static unsigned ratio = 50;
static uint64_t ram;		/* pages of RAM the policy counts; 0: the caller's hint */
static uint64_t committed;	/* Committed_AS, in pages */

/**
 * vm_commit_configure() - set the policy (the kernel does at boot)
 * @m: VM_OVERCOMMIT_GUESS, _ALWAYS or _NEVER; anything else keeps the mode
 * @r: overcommit_ratio, percent of RAM CommitLimit allows in strict mode
 * @ram_pages: RAM the policy counts (0: each caller's hint)
 */
void vm_commit_configure(int m, unsigned r, uint64_t ram_pages)
{
	if (m >= VM_OVERCOMMIT_GUESS && m <= VM_OVERCOMMIT_NEVER)
		mode = m;
	ratio = r;
	ram = ram_pages;
}

/* The sysctls vm.overcommit_memory and vm.overcommit_ratio written at run time. */
void vm_commit_set_mode(int m)
{
	vm_commit_configure(m, ratio, ram);
}

void vm_commit_set_ratio(unsigned r)
{
	vm_commit_configure(mode, r, ram);
}

int vm_commit_mode(void)
{
	return mode;
}

unsigned vm_commit_ratio(void)
{
	return ratio;
}

/**
 * vm_commit_limit_pages() - CommitLimit: RAM * overcommit_ratio / 100 + swap
 * @ram_hint: RAM in pages if none was configured
 */
uint64_t vm_commit_limit_pages(uint64_t ram_hint)
{
	uint64_t r = ram ? ram : ram_hint;

	return r / 100 * ratio + r % 100 * ratio / 100 + swap_total_pages();
}

/**
 * vm_commit_charge() - commit @pages more, if the policy allows (__vm_enough_memory())
 * @pages: how many
 * @ram_hint: RAM in pages, if none was configured (the host build)
 *
 * Return: 0 (charged) or -MM_ENOMEM (nothing charged).
 */
int vm_commit_charge(uint64_t pages, uint64_t ram_hint)
{
	uint64_t now = __atomic_add_fetch(&committed, pages, __ATOMIC_RELAXED);
	uint64_t r = ram ? ram : ram_hint;

	switch (mode) {
	case VM_OVERCOMMIT_ALWAYS:
		return 0;
	case VM_OVERCOMMIT_NEVER:
		if (now < vm_commit_limit_pages(ram_hint))
			return 0;
		break;
	default:
		if (pages <= r + swap_total_pages())
			return 0;
		break;
	}
	__atomic_sub_fetch(&committed, pages, __ATOMIC_RELAXED);
	return -MM_ENOMEM;
}

/**
 * vm_commit_uncharge() - give back @pages charged before
 * @pages: how many
 */
void vm_commit_uncharge(uint64_t pages)
{
	__atomic_sub_fetch(&committed, pages, __ATOMIC_RELAXED);
}

/* Committed_AS, in pages. */
uint64_t vm_committed_pages(void)
{
	return __atomic_load_n(&committed, __ATOMIC_RELAXED);
}
