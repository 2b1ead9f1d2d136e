// SPDX-License-Identifier: MIT
/*
 * Linux's i386 system-call ABI on the shared handlers (the i386 kernel
 * only: the Makefile leaves this file out of the x86_64 one). A call whose
 * arguments mean the same on both ABIs maps to the x86_64 number's handler;
 * the others have a wrapper here that converts: 64-bit values split in two
 * registers (_llseek, pread64), page offsets (mmap2) and argument blocks
 * (old mmap), the i386 layouts of iovec, stat64, sigaction, stack_t and
 * 32-bit timespec/timeval/itimerval, the ipc() multiplexer, and what only
 * i386 has (set_thread_area, sigreturn).
 *
 * Structure conversion reuses the shared handlers unchanged: the converted
 * structure is placed in scratch space below the caller's user stack pointer
 * (free on i386, which has no red zone) and the handler is given that user
 * address, so every check and fault path stays the handler's own.
 */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "kernel/fs/file.h"
#include "kernel/fs/largefile.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/compat32.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/syscall.h"
#include "kernel/task.h"

#define NR_I386		450
#define SCRATCH_GAP	256	/* left alone below the user's %esp */
/* x86_64 numbers that kernel/proc/syscall.h has no name for */
#define X86_64_prlimit64	302
#define X86_64_dup		32
#define X86_64_dup2		33
#define X86_64_dup3		292
#define X86_64_gettimeofday	96
#define X86_64_time		201
#define X86_64_clock_getres	229
#define X86_64_readahead	187
#define X86_64_sync_file_range	277
#define X86_64_flock		73
#define X86_64_sendfile		40
#define X86_64_pipe		22
#define X86_64_pipe2		293

/* i386 numbers (Linux's arch/x86/entry/syscalls/syscall_32.tbl). */
enum {
	I386_restart_syscall = 0, I386_exit = 1, I386_fork = 2, I386_read = 3, I386_write = 4, I386_open = 5,
	I386_close = 6, I386_creat = 8, I386_lseek = 19, I386_dup = 41, I386_dup2 = 63,
	I386_swapon = 87, I386_swapoff = 115, I386_getcpu = 318, I386_dup3 = 330, I386_unlink = 10, I386_execve = 11, I386_getpid = 20,
	I386_alarm = 27, I386_pause = 29, I386_setrlimit = 75, I386_getrlimit = 76,
	I386_ugetrlimit = 191, I386_setitimer = 104, I386_getitimer = 105, I386_ipc = 117, I386_kill = 37, I386_rename = 38, I386_mkdir = 39,
	I386_rmdir = 40, I386_brk = 45, I386_ioctl = 54, I386_fcntl = 55, I386_getppid = 64,
	I386_mmap = 90, I386_munmap = 91, I386_truncate = 92, I386_ftruncate = 93,
	I386_wait4 = 114, I386_fsync = 118, I386_sigreturn = 119, I386_clone = 120,
	I386_uname = 122, I386_mprotect = 125, I386__llseek = 140, I386_msync = 144,
	I386_readv = 145, I386_writev = 146, I386_fdatasync = 148, I386_mlock = 150,
	I386_munlock = 151, I386_mlockall = 152, I386_munlockall = 153, I386_sched_yield = 158,
	I386_nanosleep = 162, I386_mremap = 163, I386_rt_sigreturn = 173,
	I386_prctl = 172, I386_rt_sigaction = 174, I386_rt_sigprocmask = 175, I386_rt_sigpending = 176,
	I386_rt_sigsuspend = 179, I386_pread64 = 180, I386_pwrite64 = 181,
	I386_rt_sigtimedwait = 177, I386_rt_sigqueueinfo = 178, I386_rt_tgsigqueueinfo = 335,
	I386_sigaltstack = 186, I386_vfork = 190, I386_mmap2 = 192,
	I386_truncate64 = 193, I386_ftruncate64 = 194, I386_stat64 = 195,
	I386_lstat64 = 196, I386_fstat64 = 197, I386_getuid32 = 199, I386_getgid32 = 200,
	I386_geteuid32 = 201, I386_getegid32 = 202, I386_setreuid32 = 203,
	I386_setregid32 = 204, I386_setresuid32 = 208, I386_getresuid32 = 209,
	I386_setresgid32 = 210, I386_getresgid32 = 211, I386_setuid32 = 213,
	I386_setgid32 = 214, I386_mincore = 218, I386_madvise = 219, I386_getdents64 = 220,
	I386_fcntl64 = 221, I386_gettid = 224, I386_tkill = 238, I386_futex = 240,
	I386_sched_setaffinity = 241, I386_sched_getaffinity = 242,
	I386_set_thread_area = 243, I386_exit_group = 252, I386_set_tid_address = 258,
	I386_tgkill = 270, I386_openat = 295, I386_set_robust_list = 311,
	I386_get_robust_list = 312, I386_fallocate = 324, I386_mkdirat = 296, I386_fstatat64 = 300,
	I386_unlinkat = 301, I386_renameat = 302, I386_prlimit64 = 340,
	I386_renameat2 = 353, I386_getrandom = 355, I386_memfd_create = 356,
	I386_mlock2 = 376, I386_shmget = 395, I386_shmctl = 396, I386_shmat = 397,
	I386_shmdt = 398, I386_clock_gettime64 = 403, I386_rt_sigtimedwait_time64 = 421,
	I386_futex_time64 = 422, I386_fadvise64 = 250, I386_fadvise64_64 = 272, I386_statx = 383,
	I386_time = 13, I386_oldstat = 18, I386_oldfstat = 28, I386_gettimeofday = 78,
	I386_oldlstat = 84, I386_stat = 106, I386_lstat = 107, I386_fstat = 108,
	I386_readahead = 225, I386_clock_gettime = 265, I386_clock_getres = 266,
	I386_sync_file_range = 314, I386_clock_getres_time64 = 406,
	I386_flock = 143, I386_sendfile = 187, I386_sendfile64 = 239, I386_socketcall = 102,
	I386_socket = 359, I386_socketpair = 360, I386_bind = 361, I386_connect = 362,
	I386_listen = 363, I386_accept4 = 364, I386_getsockopt = 365, I386_setsockopt = 366,
	I386_getsockname = 367, I386_getpeername = 368, I386_sendto = 369, I386_sendmsg = 370,
	I386_recvfrom = 371, I386_recvmsg = 372, I386_shutdown = 373, I386_recvmmsg = 337,
	I386_sendmmsg = 345, I386_recvmmsg_time64 = 417,
	I386_pidfd_open = 434, I386_process_madvise = 440, I386_pidfd_send_signal = 424,
	I386_pidfd_getfd = 438, I386_waitid = 284, I386_poll = 168, I386_ppoll = 309,
	I386_ppoll_time64 = 414, I386_process_vm_readv = 347, I386_process_vm_writev = 348,
	I386_membarrier = 375, I386_pipe = 42, I386_pipe2 = 331,
};

/* Calls with the same arguments on both ABIs: i386 number -> x86_64 number. */
static const uint16_t same_args[][2] = {
	{ I386_exit, SYS_exit }, { I386_fork, SYS_fork }, { I386_read, SYS_read },
	{ I386_write, SYS_write }, { I386_open, SYS_open }, { I386_close, SYS_close },
	{ I386_creat, SYS_creat }, { I386_unlink, SYS_unlink }, { I386_execve, SYS_execve },
	{ I386_getpid, SYS_getpid }, { I386_alarm, SYS_alarm }, { I386_pause, SYS_pause },
	{ I386_kill, SYS_kill }, { I386_prctl, SYS_prctl }, { I386_rename, SYS_rename }, { I386_mkdir, SYS_mkdir },
	{ I386_rmdir, SYS_rmdir }, { I386_brk, SYS_brk }, { I386_ioctl, SYS_ioctl },
	{ I386_getppid, SYS_getppid },
	{ I386_munmap, SYS_munmap }, { I386_wait4, SYS_wait4 }, { I386_fsync, SYS_fsync },
	{ I386_uname, SYS_uname }, { I386_mprotect, SYS_mprotect }, { I386_msync, SYS_msync },
	{ I386_fdatasync, SYS_fdatasync }, { I386_mlock, 149 }, { I386_munlock, 150 },
	{ I386_mlockall, 151 }, { I386_munlockall, 152 }, { I386_sched_yield, SYS_sched_yield },
	{ I386_mremap, SYS_mremap }, { I386_rt_sigreturn, SYS_rt_sigreturn },
	{ I386_rt_sigprocmask, SYS_rt_sigprocmask }, { I386_rt_sigpending, SYS_rt_sigpending },
	{ I386_rt_sigsuspend, SYS_rt_sigsuspend },
	{ I386_rt_sigqueueinfo, SYS_rt_sigqueueinfo }, { I386_rt_tgsigqueueinfo, SYS_rt_tgsigqueueinfo }, { I386_vfork, SYS_vfork },
	{ I386_getuid32, 102 }, { I386_getgid32, 104 }, { I386_geteuid32, 107 },
	{ I386_getegid32, 108 }, { I386_setreuid32, 113 }, { I386_setregid32, 114 },
	{ I386_setresuid32, 117 }, { I386_getresuid32, 118 }, { I386_setresgid32, 119 },
	{ I386_getresgid32, 120 }, { I386_setuid32, 105 }, { I386_setgid32, 106 },
	{ I386_mincore, SYS_mincore }, { I386_madvise, SYS_madvise },
	{ I386_getdents64, SYS_getdents64 }, { I386_gettid, SYS_gettid }, { I386_tkill, SYS_tkill },
	{ I386_futex_time64, SYS_futex }, { I386_set_robust_list, SYS_set_robust_list },
	{ I386_get_robust_list, SYS_get_robust_list },
	{ I386_sched_setaffinity, SYS_sched_setaffinity },
	{ I386_sched_getaffinity, SYS_sched_getaffinity }, { I386_exit_group, SYS_exit_group },
	{ I386_set_tid_address, SYS_set_tid_address }, { I386_tgkill, SYS_tgkill },
	{ I386_openat, SYS_openat }, { I386_mkdirat, SYS_mkdirat }, { I386_unlinkat, SYS_unlinkat },
	{ I386_renameat, SYS_renameat }, { I386_renameat2, SYS_renameat2 },
	{ I386_prlimit64, X86_64_prlimit64 }, { I386_dup, X86_64_dup }, { I386_dup2, X86_64_dup2 },
	{ I386_dup3, X86_64_dup3 }, { I386_swapon, SYS_swapon }, { I386_swapoff, SYS_swapoff },
	{ I386_getcpu, SYS_getcpu }, { I386_pidfd_open, SYS_pidfd_open },
	{ I386_pidfd_send_signal, SYS_pidfd_send_signal }, { I386_pidfd_getfd, SYS_pidfd_getfd },
	{ I386_restart_syscall, SYS_restart_syscall },
	{ I386_waitid, SYS_waitid }, { I386_poll, SYS_poll }, { I386_ppoll_time64, SYS_ppoll },
	{ I386_getrandom, SYS_getrandom }, { I386_memfd_create, SYS_memfd_create },
	/* their iovecs are read at the kernel's own width (process_vm.c) */
	{ I386_process_vm_readv, SYS_process_vm_readv },
	{ I386_process_vm_writev, SYS_process_vm_writev }, { I386_membarrier, SYS_membarrier },
	/* an array of two ints on both ABIs (kernel/fs/pipe.c) */
	{ I386_pipe, X86_64_pipe }, { I386_pipe2, X86_64_pipe2 },
	/*
	 * pkey_mprotect, pkey_alloc, pkey_free (380..382) stay ENOSYS: Linux
	 * builds them only where the arch has protection keys, not on i386.
	 */
	{ I386_mlock2, 325 }, { I386_shmget, SYS_shmget }, { I386_shmat, SYS_shmat },
	{ I386_shmdt, SYS_shmdt }, { I386_clock_gettime64, SYS_clock_gettime },
	{ I386_rt_sigtimedwait_time64, SYS_rt_sigtimedwait }, { I386_statx, SYS_statx },
	{ I386_clock_getres_time64, X86_64_clock_getres }, { I386_flock, X86_64_flock },
	/* sockets (kernel/net/socket.c); socketcall and the old recvmmsg: compat32_socket.c */
	{ I386_socket, 41 }, { I386_socketpair, 53 }, { I386_bind, 49 }, { I386_connect, 42 },
	{ I386_listen, 50 }, { I386_accept4, 288 }, { I386_getsockopt, 55 },
	{ I386_setsockopt, 54 }, { I386_getsockname, 51 }, { I386_getpeername, 52 },
	{ I386_sendto, 44 }, { I386_sendmsg, 46 }, { I386_recvfrom, 45 }, { I386_recvmsg, 47 },
	{ I386_shutdown, 48 }, { I386_sendmmsg, 307 }, { I386_recvmmsg_time64, 299 },
};

static long call(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		 uint64_t a5)
{
	syscall_fn fn = syscall_lookup(nr);

	return fn ? fn(a0, a1, a2, a3, a4, a5) : -ENOSYS;
}

/* Room for @len bytes below the caller's stack pointer (see the top). */
static uint64_t scratch(uint64_t len)
{
	return (current()->frame->esp - SCRATCH_GAP - len) & ~15ull;
}

static uint64_t join64(uint64_t lo, uint64_t hi)
{
	return (uint64_t)(uint32_t)hi << 32 | (uint32_t)lo;
}

#define WRAPPER(name)							\
	static long name(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, \
			 uint64_t a5)

WRAPPER(i386_mmap2)
{
	return call(SYS_mmap, a0, a1, a2, a3, (uint64_t)(int32_t)a4, a5 << PAGE_SHIFT);
}

/* The first mmap: one pointer to its six arguments; a byte offset, page-aligned. */
WRAPPER(i386_old_mmap)
{
	uint32_t arg[6];

	if (copy_from_user(arg, a0, sizeof(arg)))
		return -EFAULT;
	if (arg[5] & (PAGE_SIZE - 1))
		return -EINVAL;
	return call(SYS_mmap, arg[0], arg[1], arg[2], arg[3], (uint64_t)(int32_t)arg[4], arg[5]);
}

/*
 * _llseek(fd, offset_high, offset_low, loff_t *result, whence): the whole
 * 64-bit position (lseek's long result is 32 bits here).
 */
WRAPPER(i386__llseek)
{
	int64_t pos = fs_lseek(a0, join64(a2, a1), a4);

	if (pos < 0)
		return (long)pos;
	return copy_to_user(a3, &pos, sizeof(pos)) ? -EFAULT : 0;
}

WRAPPER(i386_pread64)
{
	return call(SYS_pread64, a0, a1, a2, join64(a3, a4), 0, 0);
}

WRAPPER(i386_pwrite64)
{
	return call(SYS_pwrite64, a0, a1, a2, join64(a3, a4), 0, 0);
}

/*
 * i386 iovecs (two 32-bit words) into x86_64 ones in the scratch: its user
 * address in *@out, or -EINVAL (too many), -EFAULT.
 */
#define IOV_MAX_I386	1024
static long convert_iovecs(uint64_t uiov, uint64_t cnt, uint64_t *out)
{
	uint32_t v[2];
	uint64_t kv[2];

	if (cnt > IOV_MAX_I386)
		return -EINVAL;
	uint64_t s = scratch(cnt * sizeof(kv));
	for (uint64_t i = 0; i < cnt; i++) {
		if (copy_from_user(v, uiov + i * sizeof(v), sizeof(v)))
			return -EFAULT;
		kv[0] = v[0];
		kv[1] = (uint64_t)(int64_t)(int32_t)v[1];	/* a negative length stays invalid */
		if (copy_to_user(s + i * sizeof(kv), kv, sizeof(kv)))
			return -EFAULT;
	}
	*out = s;
	return 0;
}

/* readv/writev on converted iovecs. */
static long vector_io(unsigned nr, uint64_t fd, uint64_t uiov, uint64_t cnt)
{
	uint64_t s;
	long r = convert_iovecs(uiov, cnt, &s);

	return r ? r : call(nr, fd, s, cnt, 0, 0, 0);
}

/* process_madvise(pidfd, iovec, vlen, advice, flags): its flags are checked before the vector. */
WRAPPER(i386_process_madvise)
{
	uint64_t s;
	long r;

	if ((uint32_t)a4)
		return -EINVAL;
	r = convert_iovecs(a1, a2, &s);
	return r ? r : call(SYS_process_madvise, a0, s, a2, a3, 0, 0);
}

WRAPPER(i386_readv)
{
	return vector_io(SYS_readv, a0, a1, a2);
}

WRAPPER(i386_writev)
{
	return vector_io(SYS_writev, a0, a1, a2);
}

/* i386's struct stat64; the shared handlers write struct linux_stat (kernel/fs/file.h). */
struct stat64_i386 {
	uint64_t dev;
	uint32_t pad0, ino32, mode, nlink, uid, gid;
	uint64_t rdev;
	uint32_t pad3;
	int64_t size;
	uint32_t blksize;
	uint64_t blocks;
	uint32_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	uint64_t ino;
} __attribute__((packed, aligned(4)));
_Static_assert(sizeof(struct stat64_i386) == 96, "struct stat64 is 96 bytes");

/* Runs a stat handler on the scratch, then converts into the caller's stat64. */
static long stat64_of(long r, uint64_t s, uint64_t ust)
{
	struct linux_stat k;
	struct stat64_i386 st;

	if (r < 0)
		return r;
	if (copy_from_user(&k, s, sizeof(k)))
		return -EFAULT;
	memset(&st, 0, sizeof(st));
	st.dev = k.dev;
	st.ino32 = (uint32_t)k.ino;
	st.ino = k.ino;
	st.mode = k.mode;
	st.nlink = (uint32_t)k.nlink;
	st.uid = k.uid;
	st.gid = k.gid;
	st.rdev = k.rdev;
	st.size = k.size;
	st.blksize = (uint32_t)k.blksize;
	st.blocks = (uint64_t)k.blocks;
	st.atime = (uint32_t)k.atime, st.atime_ns = (uint32_t)k.atime_ns;
	st.mtime = (uint32_t)k.mtime, st.mtime_ns = (uint32_t)k.mtime_ns;
	st.ctime = (uint32_t)k.ctime, st.ctime_ns = (uint32_t)k.ctime_ns;
	return copy_to_user(ust, &st, sizeof(st)) ? -EFAULT : 0;
}

WRAPPER(i386_stat64)
{
	uint64_t s = scratch(sizeof(struct linux_stat));

	return stat64_of(call(SYS_stat, a0, s, 0, 0, 0, 0), s, a1);
}

WRAPPER(i386_lstat64)
{
	uint64_t s = scratch(sizeof(struct linux_stat));

	return stat64_of(call(SYS_lstat, a0, s, 0, 0, 0, 0), s, a1);
}

WRAPPER(i386_fstat64)
{
	uint64_t s = scratch(sizeof(struct linux_stat));

	return stat64_of(call(SYS_fstat, a0, s, 0, 0, 0, 0), s, a1);
}

WRAPPER(i386_fstatat64)
{
	uint64_t s = scratch(sizeof(struct linux_stat));

	return stat64_of(call(SYS_newfstatat, (uint64_t)(int32_t)a0, a1, s, a3, 0, 0), s, a2);
}

/* rt_sigaction: i386's struct sigaction has 32-bit handler, flags and restorer. */
struct sigaction_i386 {
	uint32_t handler, flags, restorer;
	uint32_t mask[2];
};

WRAPPER(i386_rt_sigaction)
{
	struct sigaction_i386 a;
	struct k_sigaction k;
	uint64_t s = scratch(2 * sizeof(k)), sact = 0, sold = a2 ? s + sizeof(k) : 0;

	if (a1) {
		if (copy_from_user(&a, a1, sizeof(a)))
			return -EFAULT;
		k = (struct k_sigaction){ .handler = a.handler, .flags = a.flags,
					  .restorer = a.restorer,
					  .mask = (uint64_t)a.mask[1] << 32 | a.mask[0] };
		sact = s;
		if (copy_to_user(sact, &k, sizeof(k)))
			return -EFAULT;
	}
	long r = call(SYS_rt_sigaction, a0, sact, sold, a3, 0, 0);
	if (r || !a2)
		return r;
	if (copy_from_user(&k, sold, sizeof(k)))
		return -EFAULT;
	a = (struct sigaction_i386){ .handler = (uint32_t)k.handler, .flags = (uint32_t)k.flags,
				     .restorer = (uint32_t)k.restorer,
				     .mask = { (uint32_t)k.mask, (uint32_t)(k.mask >> 32) } };
	return copy_to_user(a2, &a, sizeof(a)) ? -EFAULT : 0;
}

/* sigaltstack: stack_t is { void *sp; int flags; size_t size; } on both, widths differ. */
WRAPPER(i386_sigaltstack)
{
	uint32_t u[3];
	uint64_t k[3], s = scratch(2 * sizeof(k)), sss = 0, sold = a1 ? s + sizeof(k) : 0;

	if (a0) {
		if (copy_from_user(u, a0, sizeof(u)))
			return -EFAULT;
		k[0] = u[0], k[1] = u[1], k[2] = u[2];
		sss = s;
		if (copy_to_user(sss, k, sizeof(k)))
			return -EFAULT;
	}
	long r = call(SYS_sigaltstack, sss, sold, 0, 0, 0, 0);
	if (r || !a1)
		return r;
	if (copy_from_user(k, sold, sizeof(k)))
		return -EFAULT;
	u[0] = (uint32_t)k[0], u[1] = (uint32_t)k[1], u[2] = (uint32_t)k[2];
	return copy_to_user(a1, u, sizeof(u)) ? -EFAULT : 0;
}

/*
 * sigreturn (a handler without SA_SIGINFO): the same frame, one word further
 * up. Linux's old frame records no alternate stack, so an SS_AUTODISARM
 * stack stays disarmed after it.
 */
WRAPPER(i386_sigreturn)
{
	current()->frame->esp -= 4;	/* musl's restorer popped the signal number */
	return signal_return(false);
}

/* nanosleep with 32-bit timespecs. */
WRAPPER(i386_nanosleep)
{
	int32_t t[2];
	int64_t k[2];
	uint64_t s = scratch(2 * sizeof(k)), srem = a1 ? s + sizeof(k) : 0;

	if (copy_from_user(t, a0, sizeof(t)))
		return -EFAULT;
	k[0] = t[0], k[1] = t[1];
	if (copy_to_user(s, k, sizeof(k)))
		return -EFAULT;
	long r = call(SYS_nanosleep, s, srem, 0, 0, 0, 0);
	if (r != -EINTR || !a1)
		return r;
	if (copy_from_user(k, srem, sizeof(k)))
		return -EFAULT;
	t[0] = (int32_t)k[0], t[1] = (int32_t)k[1];
	return copy_to_user(a1, t, sizeof(t)) ? -EFAULT : r;
}

/* lseek: a signed 32-bit offset. */
WRAPPER(i386_lseek)
{
	return call(SYS_lseek, a0, (uint64_t)(int32_t)a1, a2, 0, 0, 0);
}

/* truncate/ftruncate: a signed 32-bit length. */
WRAPPER(i386_truncate)
{
	return call(SYS_truncate, a0, (uint64_t)(int32_t)a1, 0, 0, 0, 0);
}

WRAPPER(i386_ftruncate)
{
	return call(SYS_ftruncate, a0, (uint64_t)(int32_t)a1, 0, 0, 0, 0);
}

/* truncate64/ftruncate64: the length in two registers. */
WRAPPER(i386_truncate64)
{
	return call(SYS_truncate, a0, join64(a1, a2), 0, 0, 0, 0);
}

/*
 * ftruncate64 is Linux's "small" ftruncate on i386 (ia32_ftruncate64()):
 * past 2 GiB - 1 only on a file opened with O_LARGEFILE, else EINVAL.
 */
WRAPPER(i386_ftruncate64)
{
	struct file *f = fd_file(a0);
	int64_t len = (int64_t)join64(a1, a2);

	if (f && !(f->flags & O_LARGEFILE) && len > MAX_NON_LFS)
		return -EINVAL;
	return call(SYS_ftruncate, a0, (uint64_t)len, 0, 0, 0, 0);
}

/* fallocate(fd, mode, offset lo, hi, len lo, hi) */
WRAPPER(i386_fallocate)
{
	return call(SYS_fallocate, a0, a1, join64(a2, a3), join64(a4, a5), 0, 0);
}

/* fadvise64(fd, offset lo, hi, size_t len, advice): the length is unsigned. */
WRAPPER(i386_fadvise64)
{
	return call(SYS_fadvise64, a0, join64(a1, a2), (uint32_t)a3, a4, 0, 0);
}

/* fadvise64_64(fd, offset lo, hi, len lo, hi, advice) */
WRAPPER(i386_fadvise64_64)
{
	return call(SYS_fadvise64, a0, join64(a1, a2), join64(a3, a4), a5, 0, 0);
}

/*
 * A 32-bit pair (struct timespec or timeval of the old i386 calls) at user
 * @u, widened into the scratch at @s; 0 or -EFAULT.
 */
static long widen_pair(uint64_t u, uint64_t s)
{
	int32_t t[2];
	int64_t k[2];

	if (copy_from_user(t, u, sizeof(t)))
		return -EFAULT;
	k[0] = t[0], k[1] = t[1];
	return copy_to_user(s, k, sizeof(k)) ? -EFAULT : 0;
}

/* The other way: @n 64-bit words at scratch @s into 32-bit ones at user @u. */
static long narrow_words(uint64_t s, uint64_t u, unsigned n)
{
	int64_t k[4];
	int32_t t[4];

	if (copy_from_user(k, s, n * sizeof(k[0])))
		return -EFAULT;
	for (unsigned i = 0; i < n; i++)
		t[i] = (int32_t)k[i];
	return copy_to_user(u, t, n * sizeof(t[0])) ? -EFAULT : 0;
}

/*
 * futex with a 32-bit timespec (musl uses it while the time fits in 32
 * bits): the waits read a timeout; the requeues take a count there.
 */
#define FUTEX_CMD(op)		((op) & 0x7f)
#define FUTEX_WAIT		0
#define FUTEX_WAIT_BITSET	9
WRAPPER(i386_futex)
{
	uint64_t s = scratch(16);
	unsigned cmd = FUTEX_CMD((uint32_t)a1);

	if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && a3) {
		if (widen_pair(a3, s))
			return -EFAULT;
		a3 = s;
	}
	return call(SYS_futex, a0, a1, a2, a3, a4, a5);
}

/* ppoll(fds, nfds, 32-bit timespec, sigmask, size): the time left comes back narrowed. */
WRAPPER(i386_ppoll)
{
	uint64_t s = scratch(16);
	long r;

	if (a2 && widen_pair(a2, s))
		return -EFAULT;
	r = call(271, a0, a1, a2 ? s : 0, a3, a4, 0);
	if (a2 && narrow_words(s, a2, 2))
		return r == -ERESTARTNOHAND ? -EINTR : r;
	return r;
}

/* rt_sigtimedwait(set, info, 32-bit timespec, sigsetsize) */
WRAPPER(i386_rt_sigtimedwait)
{
	uint64_t s = scratch(16);

	if (a2) {
		if (widen_pair(a2, s))
			return -EFAULT;
		a2 = s;
	}
	return call(SYS_rt_sigtimedwait, a0, a1, a2, a3, 0, 0);
}

/* getitimer/setitimer: struct itimerval of four 32-bit words. */
WRAPPER(i386_getitimer)
{
	uint64_t s = scratch(32);
	long r = call(SYS_getitimer, a0, s, 0, 0, 0, 0);

	return r ? r : narrow_words(s, a1, 4);
}

WRAPPER(i386_setitimer)
{
	uint64_t s = scratch(64), snew = 0, sold = a2 ? s + 32 : 0;

	if (a1) {
		snew = s;
		if (widen_pair(a1, s) || widen_pair(a1 + 8, s + 16))
			return -EFAULT;
	}
	long r = call(SYS_setitimer, a0, snew, sold, 0, 0, 0);
	return r || !a2 ? r : narrow_words(sold, a2, 4);
}

/*
 * getrlimit/setrlimit: struct rlimit of two unsigned longs, RLIM_INFINITY
 * ~0ul, through prlimit64's 64-bit pairs. The old getrlimit (76) caps both
 * at 0x7fffffff as Linux's sys_old_getrlimit does; ugetrlimit (191) gives
 * values that do not fit as RLIM_INFINITY.
 */
#define RLIM32_INFINITY	0xffffffffu
#define RLIM32_OLD_MAX	0x7fffffffu

static long get_rlimit32(uint64_t res, uint64_t u, uint32_t max)
{
	uint64_t k[2], s = scratch(sizeof(k));
	uint32_t t[2];
	long r = call(X86_64_prlimit64, 0, res, 0, s, 0, 0);

	if (r)
		return r;
	if (copy_from_user(k, s, sizeof(k)))
		return -EFAULT;
	for (unsigned i = 0; i < 2; i++)
		t[i] = k[i] > max ? max : (uint32_t)k[i];
	return copy_to_user(u, t, sizeof(t)) ? -EFAULT : 0;
}

WRAPPER(i386_getrlimit)
{
	return get_rlimit32(a0, a1, RLIM32_OLD_MAX);
}

WRAPPER(i386_ugetrlimit)
{
	return get_rlimit32(a0, a1, RLIM32_INFINITY);
}

WRAPPER(i386_setrlimit)
{
	uint64_t k[2], s = scratch(sizeof(k));
	uint32_t t[2];

	if (copy_from_user(t, a1, sizeof(t)))
		return -EFAULT;
	for (unsigned i = 0; i < 2; i++)
		k[i] = t[i] == RLIM32_INFINITY ? ~0ull : t[i];
	if (copy_to_user(s, k, sizeof(k)))
		return -EFAULT;
	return call(X86_64_prlimit64, 0, a0, s, 0, 0, 0);
}

/*
 * ipc(call, first, second, third, ptr, fifth): the System V calls i386
 * programs make through one number (the version in call's upper half is
 * ignored, as Linux does for these). Only shared memory exists here.
 */
enum { IPC_SHMAT = 21, IPC_SHMDT = 22, IPC_SHMGET = 23, IPC_SHMCTL = 24 };
WRAPPER(i386_ipc)
{
	switch (a0 & 0xffff) {
	case IPC_SHMAT: {
		long r = call(SYS_shmat, a1, a4, a2, 0, 0, 0);
		uint32_t addr = (uint32_t)r;
		if ((unsigned long)r >= (unsigned long)-4095)
			return r;
		return copy_to_user(a3, &addr, sizeof(addr)) ? -EFAULT : 0;
	}
	case IPC_SHMDT:
		return call(SYS_shmdt, a4, 0, 0, 0, 0, 0);
	case IPC_SHMGET:
		return call(SYS_shmget, a1, a2, a3, 0, 0, 0);
	case IPC_SHMCTL:
		return call(SYS_shmctl, a1, a2, a4, 0, 0, 0);
	default:
		return -ENOSYS;
	}
}

/* Linux's struct user_desc (also gdt.c). */
struct user_desc {
	uint32_t entry_number, base_addr, limit;
	uint32_t seg_32bit : 1, contents : 2, read_exec_only : 1, limit_in_pages : 1,
		 seg_not_present : 1, useable : 1;
};

/*
 * set_thread_area: one TLS descriptor (entry -1: the first slot, as musl
 * asks). Only the first slot is switched per task (task->fs_base), which is
 * what musl and glibc use.
 */
WRAPPER(i386_set_thread_area)
{
	struct user_desc d;

	if (copy_from_user(&d, a0, sizeof(d)))
		return -EFAULT;
	if (d.entry_number == ~0u) {
		d.entry_number = GDT_TLS_FIRST;
		if (copy_to_user(a0, &d, sizeof(d)))
			return -EFAULT;
	}
	if (d.entry_number != GDT_TLS_FIRST)
		return -EINVAL;
	if (d.contents == 3 && !d.seg_not_present)
		return -EINVAL;		/* a code segment with the conforming bit */
	tls_desc_set(d.entry_number, &d);
	current()->fs_base = arch_tls_save();
	return 0;
}

#define CLONE_SETTLS	0x00080000u

/*
 * clone(flags, stack, parent_tid, tls, child_tid): tls is a struct user_desc.
 * The child's descriptor is in this CPU's TLS entry while the clone runs, so
 * the child starts with it (clone takes the thread pointer it finds there),
 * before it can run on another CPU; then the parent's goes back.
 */
WRAPPER(i386_clone)
{
	uint64_t saved = arch_tls_save();
	struct user_desc d;

	if (a0 & CLONE_SETTLS) {
		if (copy_from_user(&d, a3, sizeof(d)))
			return -EFAULT;
		if (d.entry_number != GDT_TLS_FIRST && d.entry_number != ~0u)
			return -EINVAL;
		tls_desc_set(GDT_TLS_FIRST, &d);	/* the child's, for the clone */
	}
	long tid = call(SYS_clone, a0 & ~(uint64_t)CLONE_SETTLS, a1, a2, a4, 0, 0);
	if (a0 & CLONE_SETTLS)
		arch_tls_load(saved);
	return tid;
}

/*
 * The stat calls before stat64: struct stat (106-108) with 32-bit fields
 * and __old_kernel_stat (18, 28, 84) with 16-bit ones. What does not fit is
 * EOVERFLOW, as Linux's cp_new_stat() and cp_old_stat() give it: a size
 * past 2 GiB - 1, an inode number or link count that is cut; user and group
 * ids above 65535 read as 65534 where they are 16 bits.
 */
struct stat_i386 {
	uint32_t dev, ino;
	uint16_t mode, nlink, uid, gid;
	uint32_t rdev, size, blksize, blocks;
	uint32_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	uint32_t unused[2];
};
_Static_assert(sizeof(struct stat_i386) == 64, "i386's struct stat is 64 bytes");

struct old_stat_i386 {
	uint16_t dev, ino, mode, nlink, uid, gid, rdev, pad;
	uint32_t size, atime, mtime, ctime;
};
_Static_assert(sizeof(struct old_stat_i386) == 32, "struct __old_kernel_stat is 32 bytes");

#define OVERFLOW_ID	65534u		/* Linux's overflowuid/overflowgid */

static uint16_t id16(uint32_t id)
{
	return id > 0xffff ? OVERFLOW_ID : (uint16_t)id;
}

/* A device number as Linux encodes it for user space, in the 16-bit old form. */
static uint16_t old_encode_dev(uint64_t dev)
{
	uint32_t major = (dev >> 8) & 0xfff, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);

	return (uint16_t)(major << 8 | minor);
}

static long stat32_fill(const struct linux_stat *k, struct stat_i386 *st)
{
	if (k->size > MAX_NON_LFS || k->ino != (uint32_t)k->ino || k->nlink > 0xffff)
		return -EOVERFLOW;
	*st = (struct stat_i386){
		.dev = (uint32_t)k->dev, .ino = (uint32_t)k->ino, .mode = (uint16_t)k->mode,
		.nlink = (uint16_t)k->nlink, .uid = id16(k->uid), .gid = id16(k->gid),
		.rdev = (uint32_t)k->rdev, .size = (uint32_t)k->size,
		.blksize = (uint32_t)k->blksize, .blocks = (uint32_t)k->blocks,
		.atime = (uint32_t)k->atime, .atime_ns = (uint32_t)k->atime_ns,
		.mtime = (uint32_t)k->mtime, .mtime_ns = (uint32_t)k->mtime_ns,
		.ctime = (uint32_t)k->ctime, .ctime_ns = (uint32_t)k->ctime_ns,
	};
	return 0;
}

static long old_stat_fill(const struct linux_stat *k, struct old_stat_i386 *st)
{
	if (k->ino > 0xffff || k->nlink > 0xffff || k->size > MAX_NON_LFS)
		return -EOVERFLOW;
	*st = (struct old_stat_i386){
		.dev = old_encode_dev(k->dev), .ino = (uint16_t)k->ino, .mode = (uint16_t)k->mode,
		.nlink = (uint16_t)k->nlink, .uid = id16(k->uid), .gid = id16(k->gid),
		.rdev = old_encode_dev(k->rdev), .size = (uint32_t)k->size,
		.atime = (uint32_t)k->atime, .mtime = (uint32_t)k->mtime, .ctime = (uint32_t)k->ctime,
	};
	return 0;
}

/* Runs the x86_64 stat call @nr on @a0 into the scratch, then converts (@old: 18/28/84). */
static long stat32(unsigned nr, uint64_t a0, uint64_t ust, bool old)
{
	uint64_t s = scratch(sizeof(struct linux_stat));
	long r = call(nr, a0, s, 0, 0, 0, 0);
	struct linux_stat k;

	if (r < 0)
		return r;
	if (copy_from_user(&k, s, sizeof(k)))
		return -EFAULT;
	if (old) {
		struct old_stat_i386 st;
		r = old_stat_fill(&k, &st);
		return r ? r : copy_to_user(ust, &st, sizeof(st));
	}
	struct stat_i386 st;
	r = stat32_fill(&k, &st);
	return r ? r : copy_to_user(ust, &st, sizeof(st));
}

WRAPPER(i386_stat)
{
	return stat32(SYS_stat, a0, a1, false);
}

WRAPPER(i386_lstat)
{
	return stat32(SYS_lstat, a0, a1, false);
}

WRAPPER(i386_fstat)
{
	return stat32(SYS_fstat, a0, a1, false);
}

WRAPPER(i386_oldstat)
{
	return stat32(SYS_stat, a0, a1, true);
}

WRAPPER(i386_oldlstat)
{
	return stat32(SYS_lstat, a0, a1, true);
}

WRAPPER(i386_oldfstat)
{
	return stat32(SYS_fstat, a0, a1, true);
}

/* clock_gettime/clock_getres with a 32-bit timespec (musl uses the *_time64 calls). */
WRAPPER(i386_clock_gettime)
{
	uint64_t s = scratch(16);
	long r = call(SYS_clock_gettime, (uint64_t)(int32_t)a0, s, 0, 0, 0, 0);

	return r ? r : narrow_words(s, a1, 2);
}

WRAPPER(i386_clock_getres)
{
	uint64_t s = scratch(16);
	long r = call(X86_64_clock_getres, (uint64_t)(int32_t)a0, a1 ? s : 0, 0, 0, 0, 0);

	return r || !a1 ? r : narrow_words(s, a1, 2);
}

/* gettimeofday: a 32-bit timeval; struct timezone is the same on both ABIs. */
WRAPPER(i386_gettimeofday)
{
	uint64_t s = scratch(16);
	long r = call(X86_64_gettimeofday, a0 ? s : 0, a1, 0, 0, 0, 0);

	return r || !a0 ? r : narrow_words(s, a0, 2);
}

/* time: 32-bit seconds, stored at @a0 too if given. */
WRAPPER(i386_time)
{
	int32_t t = (int32_t)call(X86_64_time, 0, 0, 0, 0, 0, 0);

	if (a0 && copy_to_user(a0, &t, sizeof(t)))
		return -EFAULT;
	return t;
}

/* readahead(fd, offset lo, hi, size_t count) */
WRAPPER(i386_readahead)
{
	return call(X86_64_readahead, a0, join64(a1, a2), (uint32_t)a3, 0, 0, 0);
}

/* sync_file_range(fd, offset lo, hi, nbytes lo, hi, flags) */
WRAPPER(i386_sync_file_range)
{
	return call(X86_64_sync_file_range, a0, join64(a1, a2), join64(a3, a4), a5, 0, 0);
}

/*
 * fcntl's record locks with i386's layouts (kernel/fs/flock_abi.h): a
 * struct flock of 32-bit offsets for fcntl (55) and fcntl64's F_GETLK,
 * F_SETLK, F_SETLKW; struct flock64 for fcntl64's F_*LK64 and F_OFD_*
 * (plain fcntl refuses those).
 * A lock reported through the 32-bit structure must fit in it (EOVERFLOW,
 * Linux's posix_lock_to_flock()). The rest of fcntl is the shared one.
 */
static long lock_i386(struct file *f, unsigned cmd, uint64_t u, bool wide)
{
	union {
		struct flock_i386 narrow;
		struct flock64_i386 wide;
	} l;
	uint64_t size = wide ? sizeof(l.wide) : sizeof(l.narrow);
	struct flock_args a;
	long r;

	if (f->flags & O_PATH)
		return -EBADF;
	if (copy_from_user(&l, u, size))
		return -EFAULT;
	a = wide ? FLOCK_ARGS_OF(l.wide) : FLOCK_ARGS_OF(l.narrow);
	if ((r = fcntl_lock(f, cmd, &a)) || (cmd != F_GETLK && cmd != F_OFD_GETLK))
		return r;
	if (wide) {
		FLOCK_SET_FROM_ARGS(l.wide, a);
	} else {
		if (a.type != F_UNLCK &&
		    (a.start > INT32_MAX || (a.len && a.start + a.len - 1 > INT32_MAX)))
			return -EOVERFLOW;
		FLOCK_SET_FROM_ARGS(l.narrow, a);
	}
	return copy_to_user(u, &l, size) ? -EFAULT : 0;
}

WRAPPER(i386_fcntl)
{
	struct file *f = fd_file(a0);
	unsigned cmd = (uint32_t)a1;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_GETLK: case F_SETLK: case F_SETLKW:
		return lock_i386(f, cmd, a2, false);
	case F_GETLK64: case F_SETLK64: case F_SETLKW64:
	case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
		return -EINVAL;		/* fcntl64's alone */
	}
	return call(SYS_fcntl, a0, a1, a2, 0, 0, 0);
}

WRAPPER(i386_fcntl64)
{
	struct file *f = fd_file(a0);
	unsigned cmd = (uint32_t)a1;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_GETLK: case F_SETLK: case F_SETLKW:
		return lock_i386(f, cmd, a2, false);
	case F_GETLK64: case F_SETLK64: case F_SETLKW64:
		return lock_i386(f, cmd - (F_GETLK64 - F_GETLK), a2, true);
	case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
		return lock_i386(f, cmd, a2, true);
	}
	return call(SYS_fcntl, a0, a1, a2, 0, 0, 0);
}

/*
 * sendfile (187): a 32-bit offset, and no offset past 2 GiB - 1 (Linux's
 * MAX_NON_LFS limit); size_t counts are 32 bits (negative as ssize_t: EINVAL).
 */
WRAPPER(i386_sendfile)
{
	int32_t off32;
	int64_t pos;
	long r;

	if (!a2)
		return fs_sendfile(a0, a1, NULL, (int32_t)a3, 0);
	if (copy_from_user(&off32, a2, sizeof(off32)))
		return -EFAULT;
	pos = off32;
	r = fs_sendfile(a0, a1, &pos, (int32_t)a3, MAX_NON_LFS);
	off32 = (int32_t)pos;
	return copy_to_user(a2, &off32, sizeof(off32)) ? -EFAULT : r;
}

/* sendfile64 (239): x86_64's sendfile but for the width of count. */
WRAPPER(i386_sendfile64)
{
	return call(X86_64_sendfile, a0, a1, a2, (uint64_t)(int64_t)(int32_t)a3, 0, 0);
}

static const struct {
	uint16_t nr;
	syscall_fn fn;
} own[] = {
	{ I386_fcntl, i386_fcntl }, { I386_fcntl64, i386_fcntl64 },
	{ I386_sendfile, i386_sendfile }, { I386_sendfile64, i386_sendfile64 },
	{ I386_socketcall, i386_socketcall }, { I386_recvmmsg, i386_recvmmsg },
	{ I386_mmap2, i386_mmap2 }, { I386_mmap, i386_old_mmap }, { I386__llseek, i386__llseek },
	{ I386_pread64, i386_pread64 }, { I386_pwrite64, i386_pwrite64 },
	{ I386_readv, i386_readv }, { I386_writev, i386_writev }, { I386_stat64, i386_stat64 },
	{ I386_lstat64, i386_lstat64 }, { I386_fstat64, i386_fstat64 },
	{ I386_fstatat64, i386_fstatat64 }, { I386_rt_sigaction, i386_rt_sigaction },
	{ I386_sigaltstack, i386_sigaltstack }, { I386_sigreturn, i386_sigreturn },
	{ I386_nanosleep, i386_nanosleep }, { I386_set_thread_area, i386_set_thread_area },
	{ I386_clone, i386_clone }, { I386_truncate, i386_truncate },
	{ I386_ftruncate, i386_ftruncate }, { I386_truncate64, i386_truncate64 },
	{ I386_ftruncate64, i386_ftruncate64 }, { I386_fallocate, i386_fallocate },
	{ I386_futex, i386_futex }, { I386_rt_sigtimedwait, i386_rt_sigtimedwait },
	{ I386_ppoll, i386_ppoll },
	{ I386_getitimer, i386_getitimer }, { I386_setitimer, i386_setitimer },
	{ I386_ipc, i386_ipc }, { I386_lseek, i386_lseek }, { I386_getrlimit, i386_getrlimit },
	{ I386_ugetrlimit, i386_ugetrlimit }, { I386_setrlimit, i386_setrlimit },
	{ I386_fadvise64, i386_fadvise64 }, { I386_fadvise64_64, i386_fadvise64_64 },
	{ I386_stat, i386_stat }, { I386_lstat, i386_lstat }, { I386_fstat, i386_fstat },
	{ I386_oldstat, i386_oldstat }, { I386_oldlstat, i386_oldlstat },
	{ I386_oldfstat, i386_oldfstat }, { I386_clock_gettime, i386_clock_gettime },
	{ I386_clock_getres, i386_clock_getres }, { I386_gettimeofday, i386_gettimeofday },
	{ I386_time, i386_time }, { I386_readahead, i386_readahead },
	{ I386_sync_file_range, i386_sync_file_range },
	{ I386_process_madvise, i386_process_madvise },
};

static syscall_fn handler[NR_I386];
static uint16_t shared_nr[NR_I386];

static void table_init(void)
{
	for (unsigned i = 0; i < ARRAY_LEN(same_args); i++) {
		handler[same_args[i][0]] = syscall_lookup(same_args[i][1]);
		shared_nr[same_args[i][0]] = same_args[i][1];
	}
	for (unsigned i = 0; i < ARRAY_LEN(own); i++) {
		handler[own[i].nr] = own[i].fn;
		shared_nr[own[i].nr] = NR_SYSCALL_SLOTS;	/* no x86_64 statistics slot */
	}
}

syscall_fn arch_syscall_handler(unsigned long nr, uint64_t *shared)
{
	static bool ready;

	if (!ready) {
		table_init();
		ready = true;
	}
	if (nr >= MEMCORE_SYS_BASE) {		/* memcore's own numbers are the same */
		*shared = nr;
		return syscall_lookup(nr);
	}
	if (nr >= NR_I386 || !handler[nr]) {
		*shared = ~0ull;
		return NULL;
	}
	*shared = shared_nr[nr];
	return handler[nr];
}
