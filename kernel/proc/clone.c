// SPDX-License-Identifier: MIT
/*
 * Making tasks from user space: fork, vfork and clone. clone shares what
 * its flags name (the address space, the descriptor table, the thread
 * group) and copies the rest, as Linux does; musl's pthread_create passes
 * CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
 * CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
 * its posix_spawn CLONE_VM | CLONE_VFORK.
 */
#include "kernel/fs/fdtable.h"
#include "kernel/kernel.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

#define CSIGNAL			0x000000ff	/* the signal sent to the parent at exit */
#define CLONE_VM		0x00000100
#define CLONE_FS		0x00000200
#define CLONE_FILES		0x00000400
#define CLONE_SIGHAND		0x00000800
#define CLONE_PIDFD		0x00001000
#define CLONE_PTRACE		0x00002000
#define CLONE_VFORK		0x00004000
#define CLONE_PARENT		0x00008000
#define CLONE_THREAD		0x00010000
#define CLONE_NEWNS		0x00020000
#define CLONE_SYSVSEM		0x00040000
#define CLONE_SETTLS		0x00080000
#define CLONE_PARENT_SETTID	0x00100000
#define CLONE_CHILD_CLEARTID	0x00200000
#define CLONE_DETACHED		0x00400000	/* ignored, as by Linux */
#define CLONE_UNTRACED		0x00800000
#define CLONE_CHILD_SETTID	0x01000000
#define CLONE_IO		0x80000000

/* What this kernel implements; namespaces, pidfds and ptrace are not here. */
#define CLONE_SUPPORTED	(CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
			 CLONE_VFORK | CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | \
			 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
			 CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_IO)

/* Linux's checks (copy_process), in its order. */
static long clone_flags_valid(uint64_t flags)
{
	if (flags >> 32)
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if (flags & ~(uint64_t)CLONE_SUPPORTED)
		return (flags & CLONE_NEWNS) || (flags & 0x7e000000) ? -EPERM : -EINVAL;
	return 0;
}

/* The memory and descriptors of @child from @parent, shared or copied. */
static long clone_resources(struct task *child, struct task *parent, uint64_t flags)
{
	long r;

	if (flags & CLONE_VM) {
		task_set_mm(child, mm_get(parent->mm));
	} else {
		struct as *mm = as_alloc();	/* in the child once whole: pins may read it */
		if (!mm)
			return -ENOMEM;
		if ((r = as_fork(mm, parent->mm))) {
			as_free(mm);
			return r;
		}
		task_set_mm(child, mm);
	}
	child->files = (flags & CLONE_FILES) ? files_get(parent->files) : files_copy(parent->files);
	if (!child->files)
		return -ENOMEM;
	if (flags & CLONE_SIGHAND) {
		signal_share(child, parent);
		return 0;
	}
	return signal_fork(child, parent);
}

/* Joins @parent's thread group, or starts a new process with @child as its leader. */
static long clone_group(struct task *child, struct task *parent, uint64_t flags)
{
	struct thread_group *g = parent->group;

	if (!(flags & CLONE_THREAD)) {
		child->group = group_alloc(child);
		if (!child->group)
			return -ENOMEM;
		child->group->cred = g->cred;
		child->group->rlim = g->rlim;	/* inherited by fork, kept by execve */
		child->group->oom_score_adj = g->oom_score_adj;
		child->group->nondumpable = g->nondumpable;	/* Linux's lives in the copied mm */
		child->group->has_child_subreaper = g->has_child_subreaper || g->child_subreaper;
		struct task *pl = g->leader;
		proc_set_parent(child, (flags & CLONE_PARENT) ? pl->parent : pl);
		return 0;
	}
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);
	if (g->exiting) {
		spin_unlock_irqrestore(&tasklist_lock, irq);
		return -EINTR;		/* the process is dying (Linux: fatal signal pending) */
	}
	child->group = g;
	child->tgid = g->leader->pid;
	child->parent = g->leader->parent;
	list_add_tail(&g->threads, &child->thread_node);
	g->live++;
	spin_unlock_irqrestore(&tasklist_lock, irq);
	return 0;
}

static void clone_undo(struct task *child)
{
	if (child->sig.hand)
		signal_exit(child);
	if (child->files)
		files_put(child->files);
	if (child->mm)
		mm_put(task_set_mm(child, NULL));
	if (child->group && child->group->leader == child)
		group_detach(child);
	task_free(child);
}

/**
 * do_clone() - a new task from the calling one
 * @flags: CLONE_* flags and the exit signal
 * @stack: the child's user stack pointer; 0 keeps the parent's
 * @ptid: CLONE_PARENT_SETTID: where the child's id goes in the parent
 * @ctid: CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID: the child's id word
 * @tls: CLONE_SETTLS: the child's FS base
 *
 * Return: the child's thread id, or -errno.
 */
static long do_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
		     uint64_t tls)
{
	struct task *parent = current(), *child;
	long r = clone_flags_valid(flags);

	if (r)
		return r;
	if ((flags & CLONE_SETTLS) && tls >= USER_SPACE_END)
		return -EPERM;		/* do_arch_prctl_64's check */
	child = task_alloc(parent->name);
	if (!child)
		return -EAGAIN;
	if ((r = nproc_charge(child, parent)) || (r = clone_resources(child, parent, flags)) ||
	    (r = clone_group(child, parent, flags))) {
		clone_undo(child);
		return r;
	}
	child->frame = frame_at_top(child);
	*child->frame = *parent->frame;
	trap_set_return(child->frame, 0);	/* clone returns 0 in the child */
	if (stack)
		trap_set_sp(child->frame, stack);
	fpu_save(parent->fpu);
	fpu_state_copy(child->fpu, parent->fpu);
	child->pkru = arch_pkru_read();		/* the calling thread's, for fork and threads alike */
	child->fs_base = (flags & CLONE_SETTLS) ? tls : arch_tls_save();
	child->affinity = parent->affinity;
	child->mempolicy = parent->mempolicy;
	if (flags & CLONE_CHILD_CLEARTID)
		child->clear_child_tid = ctid;
	int tid = child->pid;
	if (flags & CLONE_CHILD_SETTID)
		as_copy_out(child->mm, ctid, &tid, sizeof(tid));	/* Linux ignores a fault */
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(ptid, &tid, sizeof(tid));
	task_prepare_switch(child, (uintptr_t)child->frame, user_task_start, NULL);
	if (flags & CLONE_VFORK) {
		child->vfork_parent = parent;
		parent->vfork_done = false;
	}
	task_make_runnable(child);
	/* Like vfork(2): the parent waits until the child execs or exits. */
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);
	while ((flags & CLONE_VFORK) && !parent->vfork_done) {
		sleep_on_unlock(&parent->vfork_done, &tasklist_lock);
		spin_lock_irqsave(&tasklist_lock);
	}
	spin_unlock_irqrestore(&tasklist_lock, irq);
	return tid;
}

/* The child of a vfork has exec'd or exited: its parent goes on. */
void vfork_release(struct task *t)
{
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);
	struct task *p = t->vfork_parent;

	if (p) {
		t->vfork_parent = NULL;
		p->vfork_done = true;
		wakeup(&p->vfork_done);
	}
	spin_unlock_irqrestore(&tasklist_lock, irq);
}

#define SIGCHLD		17

static long sys_fork(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	return do_clone(SIGCHLD, 0, 0, 0, 0);
}
SYSCALL_DEFINE(SYS_fork, fork, sys_fork);

static long sys_vfork(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return do_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}
SYSCALL_DEFINE(SYS_vfork, vfork, sys_vfork);

/* x86_64's argument order: flags, stack, parent tid, child tid, tls. */
static long sys_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
		      uint64_t tls, uint64_t a5)
{
	return do_clone(flags, stack, ptid, ctid, tls);
}
SYSCALL_DEFINE(SYS_clone, clone, sys_clone);
