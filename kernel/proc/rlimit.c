// SPDX-License-Identifier: MIT
/*
 * getrlimit, setrlimit and prlimit64 (Linux's kernel/sys.c do_prlimit()):
 * a process's limits start as Linux's defaults, are inherited by fork,
 * kept by execve, and checked where the resource is taken (rlimit.h).
 * Limits are read without a lock: one 64-bit word each, written by
 * setrlimit of the process itself or prlimit64 from another.
 */
#include "kernel/fs/fdtable.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "mm/pmm.h"

#define SYS_getrlimit	97
#define SYS_setrlimit	160
#define SYS_prlimit64	302

/* Linux's set_max_threads(): the RAM that 1/8 of could hold kernel stacks, half of it per user. */
static uint64_t default_nproc(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	uint64_t threads = (st.free_frames + st.used_frames) * PAGE_SIZE / (KSTACK_SIZE * 8ull);
	return MM_MAX(threads, 20ull) / 2;
}

void rlimits_init(struct rlimits *rl)
{
	uint64_t nproc = default_nproc();

	for (unsigned i = 0; i < RLIM_NLIMITS; i++)
		rl->r[i] = (struct rlim){ RLIM_INFINITY, RLIM_INFINITY };
	rl->r[RLIMIT_STACK].cur = AS_STACK_LIMIT_DEFAULT;
	rl->r[RLIMIT_CORE].cur = 0;
	rl->r[RLIMIT_NPROC] = (struct rlim){ nproc, nproc };
	rl->r[RLIMIT_NOFILE] = (struct rlim){ 1024, 4096 };	/* Linux's INR_OPEN_CUR/_MAX */
	rl->r[RLIMIT_MEMLOCK] = (struct rlim){ 8ull << 20, 8ull << 20 };
	rl->r[RLIMIT_SIGPENDING] = (struct rlim){ nproc, nproc };
	rl->r[RLIMIT_MSGQUEUE] = (struct rlim){ 819200, 819200 };
	rl->r[RLIMIT_NICE] = rl->r[RLIMIT_RTPRIO] = (struct rlim){ 0, 0 };
}

uint64_t task_rlimit(const struct task *t, unsigned res)
{
	return t->group ? __atomic_load_n(&t->group->rlim.r[res].cur, __ATOMIC_RELAXED) :
			  RLIM_INFINITY;
}

long rlimit_fsize_write(uint64_t pos, uint64_t *len)
{
	uint64_t lim = task_rlimit(current(), RLIMIT_FSIZE);

	if (lim == RLIM_INFINITY)
		return 0;
	if (pos >= lim) {
		signal_send_simple(current(), SIGXFSZ, SI_USER);
		return -EFBIG;
	}
	if (*len > lim - pos)
		*len = lim - pos;
	return 0;
}

long rlimit_fsize_grow(uint64_t size)
{
	uint64_t lim = task_rlimit(current(), RLIMIT_FSIZE);

	if (lim == RLIM_INFINITY || size <= lim)
		return 0;
	signal_send_simple(current(), SIGXFSZ, SI_USER);
	return -EFBIG;
}

/* A limit of group @g (NULL: a kernel task, no limit). */
static uint64_t group_rlimit(const struct thread_group *g, unsigned res)
{
	return g ? __atomic_load_n(&g->rlim.r[res].cur, __ATOMIC_RELAXED) : RLIM_INFINITY;
}

/* rlimits_apply() for the group @g (read once: another CPU may reap a task's). */
static void rlimits_apply_group(const struct thread_group *g, struct as *as)
{
	struct as_limits l = {
		.as_cur = group_rlimit(g, RLIMIT_AS),
		.data_cur = group_rlimit(g, RLIMIT_DATA),
		.data_max = g ? g->rlim.r[RLIMIT_DATA].max : RLIM_INFINITY,
		.memlock = !g || g->cred.euid == 0 ? AS_RLIM_INFINITY :
			   group_rlimit(g, RLIMIT_MEMLOCK),
	};

	if (!as)
		return;
	as_set_limits(as, &l);
	as_set_stack_limit(as, group_rlimit(g, RLIMIT_STACK));
}

void rlimits_apply(const struct task *t, struct as *as)
{
	rlimits_apply_group(t->group, as);
}

/* do_prlimit(): a hard limit goes up only with CAP_SYS_RESOURCE. */
static long do_prlimit(struct task *t, uint64_t res, const struct rlim *new, struct rlim *old)
{
	struct rlim *cur;

	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (new) {
		if (new->cur > new->max)
			return -EINVAL;
		if (res == RLIMIT_NOFILE && new->max > NR_OPEN)
			return -EPERM;
	}
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);
	if (!t->group) {
		spin_unlock_irqrestore(&tasklist_lock, irq);
		return -ESRCH;
	}
	cur = &t->group->rlim.r[res];
	if (new && new->max > cur->max && !cred_capable(current())) {
		spin_unlock_irqrestore(&tasklist_lock, irq);
		return -EPERM;
	}
	if (old)
		*old = *cur;
	if (new) {
		__atomic_store_n(&cur->cur, new->cur, __ATOMIC_RELAXED);
		__atomic_store_n(&cur->max, new->max, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&tasklist_lock, irq);
	if (new) {		/* @t may be another process, exiting meanwhile: pinned */
		struct task_pin p;
		task_pin(t, &p);
		if (p.mm)
			rlimits_apply_group(p.group, p.mm);
		task_unpin(&p);
	}
	return 0;
}

static long sys_getrlimit(uint64_t res, uint64_t uold, uint64_t a2, uint64_t a3, uint64_t a4,
			  uint64_t a5)
{
	struct rlim old;
	long r = do_prlimit(current(), res, NULL, &old);

	if (!r && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return r;
}
SYSCALL_DEFINE(SYS_getrlimit, getrlimit, sys_getrlimit);

static long sys_setrlimit(uint64_t res, uint64_t unew, uint64_t a2, uint64_t a3, uint64_t a4,
			  uint64_t a5)
{
	struct rlim new;

	if (copy_from_user(&new, unew, sizeof(new)))
		return -EFAULT;
	return do_prlimit(current(), res, &new, NULL);
}
SYSCALL_DEFINE(SYS_setrlimit, setrlimit, sys_setrlimit);

static long sys_prlimit64(uint64_t pid, uint64_t res, uint64_t unew, uint64_t uold, uint64_t a4,
			  uint64_t a5)
{
	struct rlim new, old;
	struct task *t;
	long r;

	if (unew && copy_from_user(&new, unew, sizeof(new)))
		return -EFAULT;
	t = (int)pid ? task_by_pid((int)pid) : current();	/* referenced: task_put() */
	struct task_pin p = { 0 };
	if (t)
		task_pin(t, &p);	/* its group stays while we read its ids */
	if (!p.group)
		r = -ESRCH;
	else if (!cred_may_access(p.group))	/* check_prlimit_permission() */
		r = -EPERM;
	else
		r = do_prlimit(t, res, unew ? &new : NULL, uold ? &old : NULL);
	if (t)
		task_unpin(&p);
	if (t && (int)pid)
		task_put(t);
	if (!r && uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return r;
}
SYSCALL_DEFINE(SYS_prlimit64, prlimit64, sys_prlimit64);
