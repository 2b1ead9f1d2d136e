// SPDX-License-Identifier: MIT
/*
 * User and group ids (Linux's kernel/sys.c rules for the set*id calls) and
 * the per-user counts RLIMIT_NPROC (tasks) and RLIMIT_SIGPENDING (pending
 * signals) are checked against. A count node exists while its user has
 * tasks or pending signals; a task points at the node it is counted in
 * (task.nproc_user), and so does each pending signal (struct sigqueue,
 * since set*id moves tasks but not what was sent to them), so uncounting
 * needs no lookup.
 */
#include "kernel/proc/cred.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/rlimit.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/syscall.h"
#include "mm/heap.h"

#define SYS_getuid	102
#define SYS_getgid	104
#define SYS_setuid	105
#define SYS_setgid	106
#define SYS_geteuid	107
#define SYS_getegid	108
#define SYS_setreuid	113
#define SYS_setregid	114
#define SYS_setresuid	117
#define SYS_getresuid	118
#define SYS_setresgid	119
#define SYS_getresgid	120

#define ID_NONE		((uint32_t)-1)	/* "leave it": also never a valid id */

struct user_count {
	uint32_t uid;
	uint32_t tasks;
	uint64_t sigpending;		/* signals pending on its tasks (RLIMIT_SIGPENDING) */
	struct user_count *next;
};

static struct user_count *users;		/* one node per user with tasks: a short list */
static spinlock_t uid_lock = SPINLOCK_INIT;

bool cred_capable(const struct task *t)
{
	return !t->group || t->group->cred.euid == 0;
}

/**
 * cred_may_access() - may the caller act on process @g as on its own?
 * @g: the target's thread group
 *
 * Linux's check_prlimit_permission() and the id test of
 * __ptrace_may_access() with real credentials.
 * Return: true for the caller's own process, root, or a target whose real,
 * effective and saved uids and gids are all the caller's real ones.
 */
bool cred_may_access(const struct thread_group *g)
{
	const struct cred *me = &current()->group->cred, *c = &g->cred;

	if (g == current()->group || cred_capable(current()))
		return true;
	return me->uid == c->uid && me->uid == c->euid && me->uid == c->suid &&
	       me->gid == c->gid && me->gid == c->egid && me->gid == c->sgid;
}

/**
 * cred_may_signal() - Linux's check_kill_permission() for a user's signal
 * @g: the target process
 * @sig: the signal, or 0 for kill()'s existence check
 *
 * Return: true for the caller's own process, root (CAP_KILL), a sender
 * whose real or effective uid is the target's real or saved uid
 * (kill_ok_by_cred()), or SIGCONT within the session: there are no
 * sessions here (no setsid), so every process shares the one session and
 * SIGCONT may go anywhere, as it may on Linux between processes that never
 * called setsid.
 */
bool cred_may_signal(const struct thread_group *g, int sig)
{
	const struct cred *me = &current()->group->cred, *c = &g->cred;

	if (g == current()->group || cred_capable(current()) || sig == SIGCONT)
		return true;
	return me->euid == c->suid || me->euid == c->uid || me->uid == c->suid ||
	       me->uid == c->uid;
}

/**
 * cred_may_ptrace() - __ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS)
 * @g: the target process
 *
 * Return: cred_may_access(), and besides a target that is dumpable unless
 * the caller is root (CAP_SYS_PTRACE) or the target itself.
 */
bool cred_may_ptrace(const struct thread_group *g)
{
	if (!cred_may_access(g))
		return false;
	return g == current()->group || !g->nondumpable || cred_capable(current());
}

/**
 * cred_exec() - the ids and dumpable flag of a process that execve()s
 * @g: the current process, past the point of no return
 *
 * Linux's cap_bprm_creds_from_file() (no set-user-id files here) and
 * begin_new_exec(): dumpable again unless the effective ids differ from
 * the real ones (then suid_dumpable, 0).
 */
void cred_exec(struct thread_group *g)
{
	struct cred *c = &g->cred;

	g->nondumpable = c->euid != c->uid || c->egid != c->gid;
	c->suid = c->fsuid = c->euid;
	c->sgid = c->fsgid = c->egid;
}

static struct user_count *user_find(uint32_t uid)
{
	for (struct user_count *u = users; u; u = u->next)
		if (u->uid == uid)
			return u;
	return NULL;
}

/* Counts @t for @uid, using @spare if @uid has no node yet (then *spare is taken). */
static void count_in(struct task *t, uint32_t uid, struct user_count **spare)
{
	struct user_count *u = user_find(uid);

	if (!u) {
		u = *spare;
		*spare = NULL;
		u->uid = uid;
		u->tasks = 0;
		u->sigpending = 0;
		u->next = users;
		users = u;
	}
	u->tasks++;
	t->nproc_user = u;
}

/* Unlinks @u if nothing is counted there any more: then returns it, to free. */
static struct user_count *unused(struct user_count *u)
{
	if (!u || u->tasks || u->sigpending)
		return NULL;
	for (struct user_count **p = &users; *p; p = &(*p)->next)
		if (*p == u) {
			*p = u->next;
			break;
		}
	return u;
}

/* Takes @t out of its count; returns the node if it became empty (unlinked, to free). */
static struct user_count *count_out(struct task *t)
{
	struct user_count *u = t->nproc_user;

	t->nproc_user = NULL;
	if (!u)
		return NULL;
	u->tasks--;
	return unused(u);
}

bool sigpending_charge(struct task *t, bool force, struct user_count **u)
{
	uint64_t limit = task_rlimit(t, RLIMIT_SIGPENDING);
	bool ok = true;

	*u = NULL;
	unsigned long irq = spin_lock_irqsave(&uid_lock);
	if (t->nproc_user) {
		ok = force || t->nproc_user->sigpending < limit;
		if (ok) {
			t->nproc_user->sigpending++;
			*u = t->nproc_user;
		}
	}
	spin_unlock_irqrestore(&uid_lock, irq);
	return ok;
}

void sigpending_uncharge(struct user_count *u)
{
	if (!u)
		return;
	unsigned long irq = spin_lock_irqsave(&uid_lock);
	u->sigpending--;
	u = unused(u);
	spin_unlock_irqrestore(&uid_lock, irq);
	kfree(u);
}

/**
 * nproc_charge() - count a new task for its creator's real user (copy_process())
 * @t: the new task
 * @parent: the task creating it, whose ids and limits it gets
 *
 * Return: 0, -EAGAIN (past RLIMIT_NPROC and neither root nor CAP_SYS_RESOURCE), -ENOMEM.
 */
long nproc_charge(struct task *t, const struct task *parent)
{
	struct user_count *spare = kmalloc(sizeof(*spare));
	uint32_t uid = parent->group->cred.uid;
	long r = 0;

	if (!spare)
		return -ENOMEM;
	struct user_count *gone = NULL;
	unsigned long irq = spin_lock_irqsave(&uid_lock);
	count_in(t, uid, &spare);
	if (t->nproc_user->tasks > task_rlimit(parent, RLIMIT_NPROC) && uid != 0 &&
	    !cred_capable(parent)) {
		gone = count_out(t);
		r = -EAGAIN;
	}
	spin_unlock_irqrestore(&uid_lock, irq);
	kfree(spare);
	kfree(gone);
	return r;
}

void nproc_uncharge(struct task *t)
{
	if (!t->nproc_user)
		return;
	unsigned long irq = spin_lock_irqsave(&uid_lock);
	struct user_count *u = count_out(t);
	spin_unlock_irqrestore(&uid_lock, irq);
	kfree(u);
}

/* set_user(): every task of the process is counted for @uid from now on. */
static long move_user(struct thread_group *g, uint32_t uid)
{
	struct user_count *spare = kmalloc(sizeof(*spare)), *gone = NULL;

	if (!spare)
		return -EAGAIN;
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);
	unsigned long irq2 = spin_lock_irqsave(&uid_lock);
	list_for_each(n, &g->threads) {
		struct task *t = list_entry(n, struct task, thread_node);
		if (!t->nproc_user)
			continue;
		struct user_count *u = count_out(t);
		if (u)
			gone = u;	/* the process's old user had no other task */
		count_in(t, uid, &spare);
	}
	spin_unlock_irqrestore(&uid_lock, irq2);
	spin_unlock_irqrestore(&tasklist_lock, irq);
	kfree(spare);
	kfree(gone);
	return 0;
}

/*
 * One id quadruple: real, effective, saved, file system. The rules for
 * users and groups are the same but for the capability (CAP_SETUID or
 * CAP_SETGID: root's either way) and the task counts, which follow the user.
 */
struct ids {
	uint32_t *r, *e, *s, *fs;
	bool user;
};

static struct ids ids_of(struct cred *c, bool user)
{
	return user ? (struct ids){ &c->uid, &c->euid, &c->suid, &c->fsuid, true } :
		      (struct ids){ &c->gid, &c->egid, &c->sgid, &c->fsgid, false };
}

static long commit_real(struct ids id, uint32_t r)
{
	long err = 0;

	if (id.user && r != *id.r)
		err = move_user(current()->group, r);
	if (!err)
		*id.r = r;
	return err;
}

/* setuid/setgid (__sys_setuid) */
static long set_one(uint32_t v, bool user)
{
	struct task *t = current();
	struct ids id = ids_of(&t->group->cred, user);
	long err;

	if (v == ID_NONE)
		return -EINVAL;
	if (cred_capable(t)) {
		if ((err = commit_real(id, v)))
			return err;
		*id.s = v;
	} else if (v != *id.r && v != *id.s) {
		return -EPERM;
	}
	*id.e = *id.fs = v;
	return 0;
}

/* setreuid/setregid (__sys_setreuid) */
static long set_re(uint32_t r, uint32_t e, bool user)
{
	struct task *t = current();
	struct ids id = ids_of(&t->group->cred, user);
	bool cap = cred_capable(t);
	uint32_t old_r = *id.r;
	long err;

	if (r != ID_NONE && r != *id.r && r != *id.e && !cap)
		return -EPERM;
	if (e != ID_NONE && e != *id.r && e != *id.e && e != *id.s && !cap)
		return -EPERM;
	if (r != ID_NONE && (err = commit_real(id, r)))
		return err;
	if (e != ID_NONE)
		*id.e = e;
	if (r != ID_NONE || (e != ID_NONE && e != old_r))
		*id.s = *id.e;
	*id.fs = *id.e;
	return 0;
}

/* setresuid/setresgid (__sys_setresuid) */
static long set_res(uint32_t r, uint32_t e, uint32_t s, bool user)
{
	struct task *t = current();
	struct ids id = ids_of(&t->group->cred, user);
	long err;

	if ((r == ID_NONE || r == *id.r) && (e == ID_NONE || (e == *id.e && e == *id.fs)) &&
	    (s == ID_NONE || s == *id.s))
		return 0;
#define NEW_ID(v) ((v) != ID_NONE && (v) != *id.r && (v) != *id.e && (v) != *id.s)
	if ((NEW_ID(r) || NEW_ID(e) || NEW_ID(s)) && !cred_capable(t))
		return -EPERM;
#undef NEW_ID
	if (r != ID_NONE && (err = commit_real(id, r)))
		return err;
	if (e != ID_NONE)
		*id.e = e;
	if (s != ID_NONE)
		*id.s = s;
	*id.fs = *id.e;
	return 0;
}

/*
 * commit_creds(): a change of the effective or file-system ids makes the
 * process non-dumpable (suid_dumpable is 0), and each change may change
 * the rights RLIMIT_MEMLOCK depends on. @old: the ids before the call.
 */
static long changed(const struct cred *old, long r)
{
	struct thread_group *g = current()->group;
	const struct cred *c = &g->cred;

	if (r)
		return r;
	if (old->euid != c->euid || old->egid != c->egid || old->fsuid != c->fsuid ||
	    old->fsgid != c->fsgid)
		g->nondumpable = true;
	rlimits_apply(current(), current()->mm);
	return 0;
}

/* The ids before a set*id call, for changed(). */
static struct cred ids_now(void)
{
	return current()->group->cred;
}

static long get_res(uint64_t ur, uint64_t ue, uint64_t us, bool user)
{
	struct ids id = ids_of(&current()->group->cred, user);

	if (copy_to_user(ur, id.r, 4) || copy_to_user(ue, id.e, 4) || copy_to_user(us, id.s, 4))
		return -EFAULT;
	return 0;
}

#define A uint64_t
/* The getters: one id of the calling process each. */
#define ID_GETTER(name, field)								\
	static long sys_##name(A a0, A a1, A a2, A a3, A a4, A a5)			\
	{										\
		return current()->group->cred.field;					\
	}										\
	SYSCALL_DEFINE(SYS_##name, name, sys_##name)
ID_GETTER(getuid, uid);
ID_GETTER(geteuid, euid);
ID_GETTER(getgid, gid);
ID_GETTER(getegid, egid);

static long sys_setuid(A u, A a1, A a2, A a3, A a4, A a5)
{
	struct cred old = ids_now();

	return changed(&old, set_one((uint32_t)u, true));
}
SYSCALL_DEFINE(SYS_setuid, setuid, sys_setuid);

static long sys_setgid(A g, A a1, A a2, A a3, A a4, A a5)
{
	struct cred old = ids_now();

	return changed(&old, set_one((uint32_t)g, false));
}
SYSCALL_DEFINE(SYS_setgid, setgid, sys_setgid);

static long sys_setreuid(A r, A e, A a2, A a3, A a4, A a5)
{
	struct cred old = ids_now();

	return changed(&old, set_re((uint32_t)r, (uint32_t)e, true));
}
SYSCALL_DEFINE(SYS_setreuid, setreuid, sys_setreuid);

static long sys_setregid(A r, A e, A a2, A a3, A a4, A a5)
{
	struct cred old = ids_now();

	return changed(&old, set_re((uint32_t)r, (uint32_t)e, false));
}
SYSCALL_DEFINE(SYS_setregid, setregid, sys_setregid);

static long sys_setresuid(A r, A e, A s, A a3, A a4, A a5)
{
	struct cred old = ids_now();

	return changed(&old, set_res((uint32_t)r, (uint32_t)e, (uint32_t)s, true));
}
SYSCALL_DEFINE(SYS_setresuid, setresuid, sys_setresuid);

static long sys_setresgid(A r, A e, A s, A a3, A a4, A a5)
{
	struct cred old = ids_now();

	return changed(&old, set_res((uint32_t)r, (uint32_t)e, (uint32_t)s, false));
}
SYSCALL_DEFINE(SYS_setresgid, setresgid, sys_setresgid);

static long sys_getresuid(A r, A e, A s, A a3, A a4, A a5)
{
	return get_res(r, e, s, true);
}
SYSCALL_DEFINE(SYS_getresuid, getresuid, sys_getresuid);

static long sys_getresgid(A r, A e, A s, A a3, A a4, A a5)
{
	return get_res(r, e, s, false);
}
SYSCALL_DEFINE(SYS_getresgid, getresgid, sys_getresgid);
#undef A
