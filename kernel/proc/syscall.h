/* SPDX-License-Identifier: MIT */
/*
 * The Linux x86_64 system-call ABI: number in RAX, arguments in RDI, RSI,
 * RDX, R10, R8, R9, result (or -errno) in RAX. Each implementation file
 * registers its calls in the table with SYSCALL_DEFINE.
 */
#ifndef KERNEL_PROC_SYSCALL_H
#define KERNEL_PROC_SYSCALL_H

#include "kernel/errno.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"

#define NR_SYSCALLS	512

/* memcore's own calls sit above Linux's range (user/include/memcore/syscall.h). */
#include "user/include/memcore/syscall.h"
#define NR_SYSCALL_SLOTS	(NR_SYSCALLS + MEMCORE_SYS_COUNT)

typedef long (*syscall_fn)(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			   uint64_t a4, uint64_t a5);

struct syscall_entry {
	unsigned nr;
	const char *name;
	syscall_fn fn;
};

syscall_fn syscall_lookup(unsigned long nr);
#ifdef ARCH_SYSCALL_NUMBERS
/*
 * The handler of the architecture's call @nr (its own, or a shared one);
 * *@shared is set to the shared number it stands for (for statistics), or
 * to a number with no slot.
 */
syscall_fn arch_syscall_handler(unsigned long nr, uint64_t *shared);
#endif

#define SYSCALL_DEFINE(number, sname, fn)				\
	static const struct syscall_entry syscall_##sname = { number, #sname, fn }; \
	static const struct syscall_entry *const syscall_entry_##sname	\
	__attribute__((section(".syscalls"), used)) = &syscall_##sname

/* Linux x86_64 numbers used in this kernel. */
enum {
	SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_stat = 4,
	SYS_fstat = 5, SYS_lstat = 6, SYS_lseek = 8, SYS_mmap = 9, SYS_mprotect = 10,
	SYS_munmap = 11, SYS_brk = 12, SYS_rt_sigaction = 13, SYS_rt_sigprocmask = 14,
	SYS_ioctl = 16, SYS_fcntl = 72, SYS_readv = 19, SYS_writev = 20, SYS_sched_yield = 24,
	SYS_mremap = 25, SYS_madvise = 28, SYS_nanosleep = 35, SYS_getpid = 39,
	SYS_clone = 56, SYS_fork = 57, SYS_vfork = 58, SYS_execve = 59, SYS_exit = 60,
	SYS_wait4 = 61, SYS_kill = 62, SYS_uname = 63, SYS_getppid = 110,
	SYS_prctl = 157, SYS_arch_prctl = 158, SYS_gettid = 186, SYS_set_tid_address = 218,
	SYS_clock_gettime = 228, SYS_exit_group = 231, SYS_openat = 257,
	SYS_newfstatat = 262, SYS_getrandom = 318,
	/* files, file mappings, shared memory */
	SYS_pread64 = 17, SYS_pwrite64 = 18, SYS_msync = 26, SYS_mincore = 27, SYS_shmget = 29,
	SYS_shmat = 30, SYS_shmctl = 31, SYS_shmdt = 67, SYS_fsync = 74, SYS_fdatasync = 75,
	SYS_truncate = 76, SYS_ftruncate = 77, SYS_rename = 82, SYS_mkdir = 83, SYS_rmdir = 84,
	SYS_creat = 85, SYS_unlink = 87, SYS_getdents64 = 217, SYS_mkdirat = 258,
	SYS_unlinkat = 263, SYS_renameat = 264, SYS_fallocate = 285, SYS_renameat2 = 316,
	SYS_memfd_create = 319, SYS_fadvise64 = 221, SYS_statx = 332,
	SYS_rt_sigreturn = 15, SYS_pause = 34, SYS_getitimer = 36, SYS_alarm = 37,
	SYS_setitimer = 38, SYS_rt_sigpending = 127, SYS_rt_sigtimedwait = 128, SYS_rt_sigqueueinfo = 129,
	SYS_rt_sigsuspend = 130, SYS_rt_tgsigqueueinfo = 297,
	SYS_sigaltstack = 131, SYS_tkill = 200, SYS_tgkill = 234,
	/* threads */
	SYS_futex = 202, SYS_sched_setaffinity = 203, SYS_sched_getaffinity = 204,
	SYS_set_robust_list = 273, SYS_get_robust_list = 274, SYS_getcpu = 309,
	/* swap */
	SYS_swapon = 167, SYS_swapoff = 168,
	/* process descriptors */
	SYS_pidfd_open = 434, SYS_process_madvise = 440, SYS_pidfd_send_signal = 424,
	SYS_pidfd_getfd = 438, SYS_waitid = 247, SYS_poll = 7, SYS_ppoll = 271,
	SYS_restart_syscall = 219,
	/* other processes' memory */
	SYS_process_vm_readv = 310, SYS_process_vm_writev = 311,
	SYS_membarrier = 324,
};

/* Statistics per system call (the `perf` counters build on these). */
struct syscall_stats {
	uint64_t calls, cycles;
	uint64_t max;		/* the longest call, in cycles */
};
extern struct syscall_stats syscall_stats[NR_SYSCALLS];
const char *syscall_name(unsigned nr);
void syscall_table_init(void);

#endif
