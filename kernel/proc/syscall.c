// SPDX-License-Identifier: MIT
/* Dispatching system calls by Linux's numbers. */
#include "kernel/proc/syscall.h"

extern const struct syscall_entry *const _syscalls_start[], *const _syscalls_end[];

static syscall_fn table[NR_SYSCALLS];
static const char *names[NR_SYSCALLS];
static uint8_t unknown_logged[NR_SYSCALLS / 8];
struct syscall_stats syscall_stats[NR_SYSCALLS];

/**
 * syscall_table_init() - fill the dispatch table from the .syscalls section
 */
void syscall_table_init(void)
{
	for (const struct syscall_entry *const *e = _syscalls_start; e < _syscalls_end; e++) {
		if ((*e)->nr >= NR_SYSCALLS || table[(*e)->nr])
			panic("syscall: bad or duplicate number %u (%s)", (*e)->nr, (*e)->name);
		table[(*e)->nr] = (*e)->fn;
		names[(*e)->nr] = (*e)->name;
	}
}

const char *syscall_name(unsigned nr)
{
	return nr < NR_SYSCALLS && names[nr] ? names[nr] : "unknown";
}

static long unknown(struct task *t, uint64_t nr)
{
	if (nr >= NR_SYSCALLS || !(unknown_logged[nr / 8] & (1u << (nr % 8)))) {
		if (nr < NR_SYSCALLS)
			unknown_logged[nr / 8] |= 1u << (nr % 8);
		kprintf("syscall: %s (pid %d) called unimplemented system call %lu: ENOSYS\n",
			t->name, t->pid, nr);
	}
	return -ENOSYS;
}

/* Called by syscall_entry with interrupts enabled. */
void syscall_dispatch(struct trap_frame *f);
void syscall_dispatch(struct trap_frame *f)
{
	struct task *t = current();
	uint64_t nr = f->rax;
	long ret;

	t->frame = f;
	f->error = nr;		/* orig_rax: a restarted call is issued again */
	if (nr < NR_SYSCALLS && table[nr]) {
		uint64_t start = rdtsc();
		ret = table[nr](f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
		syscall_stats[nr].calls++;
		syscall_stats[nr].cycles += rdtsc() - start;
	} else {
		ret = unknown(t, nr);
	}
	f->rax = ret;
}
