/* SPDX-License-Identifier: MIT */
/*
 * Per-process resource limits with Linux's numbers and rules (getrlimit,
 * setrlimit, prlimit64). They belong to the thread group, are inherited by
 * fork and kept by execve. Where each is enforced:
 *   RLIMIT_NOFILE   descriptors (EMFILE; F_DUPFD at or above it: EINVAL)
 *   RLIMIT_NPROC    tasks per real user at fork/clone (EAGAIN; not for root)
 *   RLIMIT_STACK    stack growth and execve's argument room
 *   RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK   the address space (mm/as.h's as_limits)
 *   RLIMIT_FSIZE    writes and truncation of regular files (SIGXFSZ, EFBIG)
 *   RLIMIT_CPU      the timer tick (SIGXCPU each second past soft, SIGKILL at hard: cputime.c)
 *   RLIMIT_SIGPENDING  pending signals per real user of the target (signal.c, cred.c)
 */
#ifndef KERNEL_PROC_RLIMIT_H
#define KERNEL_PROC_RLIMIT_H

#include <stdint.h>

#include "mm/types.h"

#define RLIMIT_CPU	0
#define RLIMIT_FSIZE	1
#define RLIMIT_DATA	2
#define RLIMIT_STACK	3
#define RLIMIT_CORE	4
#define RLIMIT_RSS	5
#define RLIMIT_NPROC	6
#define RLIMIT_NOFILE	7
#define RLIMIT_MEMLOCK	8
#define RLIMIT_AS	9
#define RLIMIT_LOCKS	10
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE	12
#define RLIMIT_NICE	13
#define RLIMIT_RTPRIO	14
#define RLIMIT_RTTIME	15
#define RLIM_NLIMITS	16
#define RLIM_INFINITY	(~0ull)

/* sysctl fs.nr_open: no RLIMIT_NOFILE above it (Linux's default). */
#define NR_OPEN		(1u << 20)

/* One limit as struct rlimit64 has it: soft (cur) and hard (max). */
struct rlim {
	MM_ATOMIC64 uint64_t cur;	/* read unlocked by other threads */
	MM_ATOMIC64 uint64_t max;
};
MM_ATOMIC64_OK(struct rlim, cur);
MM_ATOMIC64_OK(struct rlim, max);

struct rlimits {
	struct rlim r[RLIM_NLIMITS];
};

struct task;
struct as;

/* The limits process 1 starts with (Linux's INIT_RLIMITS, scaled to this machine). */
void rlimits_init(struct rlimits *rl);
/* The soft limit @res of @t's process (RLIM_INFINITY for kernel threads). */
uint64_t task_rlimit(const struct task *t, unsigned res);
/* Hands @t's process's limits to address space @as (setrlimit, setuid, execve). */
void rlimits_apply(const struct task *t, struct as *as);
/*
 * RLIMIT_FSIZE for a write of *@len (> 0) bytes at @pos: 0 with *@len cut to
 * what fits, or -EFBIG with SIGXFSZ sent when @pos is at or past the limit
 * (Linux's generic_write_check_limits()).
 */
long rlimit_fsize_write(uint64_t pos, uint64_t *len);
/* RLIMIT_FSIZE for a file growing to @size (truncate): 0, or -EFBIG and SIGXFSZ. */
long rlimit_fsize_grow(uint64_t size);

#endif
