/* SPDX-License-Identifier: MIT */
/*
 * Credentials: the real, effective, saved and file-system user and group
 * ids of a process (its thread group; musl's set*id calls change every
 * thread anyway). There are no capability sets: an effective uid of 0 has
 * every capability, as Linux gives root, and nobody else has any. What
 * they decide here: RLIMIT_NPROC (tasks counted per real uid; root and
 * CAP_SYS_RESOURCE are exempt), RLIMIT_SIGPENDING (pending signals counted
 * per real uid of their target; nobody is exempt), RLIMIT_MEMLOCK (CAP_IPC_LOCK), raising
 * a hard limit (CAP_SYS_RESOURCE), who may signal whom (CAP_KILL) and reach
 * whose memory or descriptors (CAP_SYS_PTRACE, and the dumpable flag).
 *
 * Lock order: uid_lock (the per-user task counts) is a leaf.
 */
#ifndef KERNEL_PROC_CRED_H
#define KERNEL_PROC_CRED_H

#include <stdbool.h>
#include <stdint.h>

struct cred {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
};

struct task;
struct user_count;

/* Has @t's process root's rights (any capability)? */
bool cred_capable(const struct task *t);
struct thread_group;
/* The caller's own process, root, or all of @g's uids and gids its real ones (prlimit, ptrace). */
bool cred_may_access(const struct thread_group *g);
/* May the caller send @sig (0: only the check) to process @g? (kill's rule) */
bool cred_may_signal(const struct thread_group *g, int sig);
/* cred_may_access() and a dumpable target, or root (ptrace attach with real ids). */
bool cred_may_ptrace(const struct thread_group *g);
/* execve's ids: saved and file-system ids become the effective ones; dumpable unless set*id. */
void cred_exec(struct thread_group *g);
/*
 * Counts new task @t for @parent's real user; -EAGAIN if that passes
 * RLIMIT_NPROC (and the user is not exempt), -ENOMEM.
 */
long nproc_charge(struct task *t, const struct task *parent);
/* Takes @t out of its user's count (task_free). */
void nproc_uncharge(struct task *t);
/*
 * RLIMIT_SIGPENDING: counts one more pending signal for @t's real user and
 * sets *@u to the count (NULL if @t is counted nowhere: a kernel task).
 * Past @t's limit (no one is exempt, as on Linux) it counts nothing and
 * returns false, unless @force. Interrupts off; nests inside the signal lock.
 */
bool sigpending_charge(struct task *t, bool force, struct user_count **u);
/* The pending signal counted at @u (may be NULL) is gone. */
void sigpending_uncharge(struct user_count *u);

#endif
