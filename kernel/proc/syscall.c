// SPDX-License-Identifier: MIT
/* Dispatching system calls by Linux's numbers. */
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/syscall.h"

extern const struct syscall_entry *const _syscalls_start[], *const _syscalls_end[];

/* Slots 0..511 are Linux's numbers; 512.. are memcore's MEMCORE_SYS_BASE.. . */
static syscall_fn table[NR_SYSCALL_SLOTS];
static const char *names[NR_SYSCALL_SLOTS];
static uint8_t unknown_logged[NR_SYSCALLS / 8];
struct syscall_stats syscall_stats[NR_SYSCALLS];

/* The table slot of call @nr, or NR_SYSCALL_SLOTS if it has none. */
static uint64_t slot_of(uint64_t nr)
{
	if (nr < NR_SYSCALLS)
		return nr;
	if (nr - MEMCORE_SYS_BASE < MEMCORE_SYS_COUNT)
		return NR_SYSCALLS + (nr - MEMCORE_SYS_BASE);
	return NR_SYSCALL_SLOTS;
}

/**
 * syscall_table_init() - fill the dispatch table from the .syscalls section
 */
void syscall_table_init(void)
{
	for (const struct syscall_entry *const *e = _syscalls_start; e < _syscalls_end; e++) {
		uint64_t s = slot_of((*e)->nr);

		if (s >= NR_SYSCALL_SLOTS || table[s])
			panic("syscall: bad or duplicate number %u (%s)", (*e)->nr, (*e)->name);
		table[s] = (*e)->fn;
		names[s] = (*e)->name;
	}
}

const char *syscall_name(unsigned nr)
{
	uint64_t s = slot_of(nr);

	return s < NR_SYSCALL_SLOTS && names[s] ? names[s] : "unknown";
}

static long unknown(struct task *t, uint64_t nr)
{
	if (nr >= NR_SYSCALLS || !(unknown_logged[nr / 8] & (1u << (nr % 8)))) {
		if (nr < NR_SYSCALLS)
			unknown_logged[nr / 8] |= 1u << (nr % 8);
		kprintf("syscall: %s (pid %d) called unimplemented system call %" PRIu64 ": ENOSYS\n",
			t->name, t->pid, nr);
	}
	return -ENOSYS;
}

/**
 * syscall_lookup() - the handler of Linux x86_64 (or memcore) call @nr
 * @nr: the number, as SYSCALL_DEFINE registered it
 *
 * For architectures whose numbers differ (i386's table maps onto these).
 * Return: the handler, or NULL.
 */
syscall_fn syscall_lookup(unsigned long nr)
{
	uint64_t s = slot_of(nr);

	return s < NR_SYSCALL_SLOTS ? table[s] : NULL;
}

/* Called by the entry code with interrupts enabled. */
void syscall_dispatch(struct trap_frame *f)
{
	struct task *t = current();
	uint64_t a[6];
	uint64_t nr = trap_syscall_args(f, a), s;
	syscall_fn fn;
	long ret;

	t->frame = f;
	f->error = nr;		/* orig_rax: a restarted call is issued again */
#ifdef ARCH_SYSCALL_NUMBERS
	/* The architecture's own numbers: its handler, or the shared one it names. */
	fn = arch_syscall_handler(nr, &s);
	s = slot_of(s);
#else
	s = slot_of(nr);
	fn = s < NR_SYSCALL_SLOTS ? table[s] : NULL;
#endif
	if (fn) {
		uint64_t start = rdtsc();
		ret = fn(a[0], a[1], a[2], a[3], a[4], a[5]);
		if (s < NR_SYSCALLS) {
			uint64_t d = rdtsc() - start;

			syscall_stats[s].calls++;
			syscall_stats[s].cycles += d;
			if (d > syscall_stats[s].max)
				syscall_stats[s].max = d;
		}
	} else {
		ret = unknown(t, nr);
	}
	if (t->nborrowed)
		fd_put_borrowed(t);
	ramfs_transient_reap();		/* names whose files this call let go */
	trap_set_return(f, ret);
}
