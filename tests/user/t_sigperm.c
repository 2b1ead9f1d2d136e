/*
 * t_sigperm: who may signal, and read or take descriptors from, whom, as
 * Linux 6.1 answers (run as root; children drop to other uids):
 * - kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo: allowed when
 *   the sender's real or effective uid is the target's real or saved uid,
 *   or the sender is root, else EPERM (the target's effective uid and the
 *   sender's saved one do not count); SIGCONT goes anywhere in the
 *   session; a bad signal number is EINVAL before the permission; a forged
 *   si_code (SI_USER, SI_TKILL) to another process EPERM; a refused signal
 *   does not arrive; kill(-1) and kill(0) (the one process group) signal
 *   whom they may and answer 0 even when all refuse; another group ESRCH;
 * - prctl(PR_SET_DUMPABLE): 0 and 1 only (EINVAL otherwise, SUID_DUMP_ROOT
 *   included), PR_GET_DUMPABLE reads it; a change of the effective uid or
 *   gid clears it, of the real or saved ones only does not; fork keeps it,
 *   execve sets it again (but not with an effective uid other than the
 *   real one, which execve also makes the saved one);
 * - process_vm_readv and pidfd_getfd (ptrace attach rights on real ids):
 *   the caller's real uid and gid must be all of the target's, and the
 *   target dumpable, unless the caller is root; a process always reaches
 *   itself.
 */
#define _GNU_SOURCE
#include "util.h"

#include <limits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define NR_pidfd_open	434
#define NR_pidfd_getfd	438
#define UID_A		1000
#define UID_B		2000
#define UID_C		3000
#define NO_ID		((unsigned)-1)
#define BAD_SIG		99
#define SETUP_FAILED	99	/* a child's exit code: its ids could not be set */
#define SI_USER_	0
#define SI_QUEUE_	(-1)
#define SI_TKILL_	(-6)
#define SECRET		0x5eed1234
#define EXEC_MODE	"--dumpable-after-exec"

struct ids {
	unsigned r, e, s;
};

static const struct ids ROOT = { 0, 0, 0 }, A = { UID_A, UID_A, UID_A }, B = { UID_B, UID_B, UID_B };
static volatile int secret = SECRET;
static volatile sig_atomic_t usr1_seen;
static volatile int *ready;	/* shared: a target has set its ids */
static volatile int *caught;	/* shared: SIGUSR1s each catching target took */
static int slot = -1;		/* a target's index in caught[], -1: it does not catch */
static char *self;

static void on_usr1(int sig)
{
	(void)sig;
	if (slot >= 0)
		__atomic_add_fetch(&caught[slot], 1, __ATOMIC_SEQ_CST);
	else
		usr1_seen++;
}

/* Takes ids @id (and gid @gid unless NO_ID), or exits SETUP_FAILED. */
static void become(struct ids id, unsigned gid)
{
	if (gid != NO_ID && setresgid(gid, gid, gid))
		_exit(SETUP_FAILED);
	if (setresuid(id.r, id.e, id.s))
		_exit(SETUP_FAILED);
}

/* A process with ids @id and gid @gid that waits to be killed; @dumpable >= 0 is set after. */
static pid_t start_target(struct ids id, unsigned gid, int dumpable)
{
	*ready = 0;
	fflush(stdout);
	pid_t t = fork();
	if (!t) {
		become(id, gid);
		if (dumpable >= 0 && prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0))
			_exit(SETUP_FAILED);
		if (slot >= 0)
			install_handler(SIGUSR1, on_usr1, SA_RESTART);
		*ready = 1;
		for (;;)
			pause();
	}
	if (t > 0 && !wait_flag(ready, 1)) {
		kill(t, SIGKILL);
		waitpid(t, NULL, 0);
		t = -1;
	}
	return t;
}

static void stop_target(pid_t t)
{
	if (t > 0) {
		kill(t, SIGKILL);
		waitpid(t, NULL, 0);
	}
}

/* Runs @fn(@target) in a child with ids @id and gid @gid: its exit code (an errno, 0 for success). */
static int as_user(struct ids id, unsigned gid, int (*fn)(pid_t), pid_t target)
{
	int st;

	fflush(stdout);
	pid_t c = fork();
	if (!c) {
		become(id, gid);
		_exit(fn(target));
	}
	while (c > 0 && waitpid(c, &st, 0) != c)
		if (errno != EINTR)	/* a signal the child sent us */
			return -1;
	if (c < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 256 + WTERMSIG(st);
}

static int err_of(long r)
{
	return r < 0 ? errno : 0;
}

static int queue(pid_t tgid, pid_t tid, int sig, int code, int thread)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	si.si_pid = getpid();
	si.si_uid = getuid();
	if (thread)
		return err_of(syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, &si));
	return err_of(syscall(SYS_rt_sigqueueinfo, tgid, sig, &si));
}

static int kill0(pid_t t) { return err_of(kill(t, 0)); }
static int kill_usr1(pid_t t) { return err_of(kill(t, SIGUSR1)); }
static int kill_cont(pid_t t) { return err_of(kill(t, SIGCONT)); }
static int kill_bad(pid_t t) { return err_of(kill(t, BAD_SIG)); }
static int tkill0(pid_t t) { return err_of(syscall(SYS_tkill, t, 0)); }
static int tgkill0(pid_t t) { return err_of(syscall(SYS_tgkill, t, t, 0)); }
static int tgkill_bad(pid_t t) { return err_of(syscall(SYS_tgkill, t, t, BAD_SIG)); }
static int sigqueue0(pid_t t) { return queue(t, t, 0, SI_QUEUE_, 0); }
static int sigqueue_usr1(pid_t t) { return queue(t, t, SIGUSR1, SI_QUEUE_, 0); }
static int tgsigqueue0(pid_t t) { return queue(t, t, 0, SI_QUEUE_, 1); }
static int forged_user(pid_t t) { return queue(t, t, 0, SI_USER_, 0); }
static int forged_tkill(pid_t t) { return queue(t, t, 0, SI_TKILL_, 1); }

/* One sender/target pair of kill()'s uid rule. */
struct kill_case {
	const char *what;
	struct ids sender, target;
	int want;
};

static const struct kill_case kill_cases[] = {
	{ "same uid", { UID_A, UID_A, UID_A }, { UID_A, UID_A, UID_A }, 0 },
	{ "another uid", { UID_A, UID_A, UID_A }, { UID_B, UID_B, UID_B }, EPERM },
	{ "the target's saved uid", { UID_A, UID_A, UID_A }, { UID_B, UID_B, UID_A }, 0 },
	{ "the target's effective uid only", { UID_A, UID_A, UID_A }, { UID_B, UID_A, UID_B }, EPERM },
	{ "sender's euid is the target's suid", { UID_C, UID_A, UID_C }, { UID_B, UID_B, UID_A }, 0 },
	{ "sender's ruid is the target's ruid", { UID_A, UID_C, UID_C }, { UID_A, UID_B, UID_B }, 0 },
	{ "sender's euid is the target's ruid", { UID_C, UID_A, UID_C }, { UID_A, UID_B, UID_B }, 0 },
	{ "sender's saved uid only", { UID_C, UID_C, UID_A }, { UID_A, UID_A, UID_A }, EPERM },
	{ "root's effective uid", { UID_A, 0, UID_A }, { UID_B, UID_B, UID_B }, 0 },
	{ "root's real uid only", { 0, UID_A, 0 }, { UID_B, UID_B, UID_B }, EPERM },
	{ "to root's process", { UID_A, UID_A, UID_A }, { 0, 0, 0 }, EPERM },
};

static void kill_rule(void)
{
	for (size_t i = 0; i < sizeof(kill_cases) / sizeof(kill_cases[0]); i++) {
		const struct kill_case *k = &kill_cases[i];
		pid_t t = start_target(k->target, NO_ID, -1);
		ok_eq(as_user(k->sender, NO_ID, kill0, t), k->want, "kill(pid, 0): %s", k->what);
		stop_target(t);
	}
}

/* Each call to another user's process, and to its own user's. */
static void each_call(void)
{
	static const struct {
		const char *what;
		int (*fn)(pid_t);
		int other, same;
	} calls[] = {
		{ "kill SIGUSR1", kill_usr1, EPERM, -1 },
		{ "kill SIGCONT", kill_cont, 0, 0 },
		{ "kill bad signal", kill_bad, EINVAL, EINVAL },
		{ "tkill 0", tkill0, EPERM, 0 },
		{ "tgkill 0", tgkill0, EPERM, 0 },
		{ "tgkill bad signal", tgkill_bad, EINVAL, EINVAL },
		{ "rt_sigqueueinfo 0", sigqueue0, EPERM, 0 },
		{ "rt_sigqueueinfo SIGUSR1", sigqueue_usr1, EPERM, -1 },
		{ "rt_tgsigqueueinfo 0", tgsigqueue0, EPERM, 0 },
		{ "rt_sigqueueinfo forged SI_USER", forged_user, EPERM, EPERM },
		{ "rt_tgsigqueueinfo forged SI_TKILL", forged_tkill, EPERM, EPERM },
	};
	pid_t other = start_target(B, NO_ID, -1), same = start_target(A, NO_ID, -1);

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		ok_eq(as_user(A, NO_ID, calls[i].fn, other), calls[i].other,
		      "%s: another user's process", calls[i].what);
		if (calls[i].same >= 0)
			ok_eq(as_user(A, NO_ID, calls[i].fn, same), calls[i].same,
			      "%s: its own user's process", calls[i].what);
	}
	ok_eq(kill(other, 0), 0, "root may signal anybody");
	ok_eq(kill(99999, 0) == -1 ? errno : 0, ESRCH, "no such process: ESRCH");
	stop_target(other);
	stop_target(same);
}

/* A user's signal to its root parent is refused and does not arrive. */
static void to_parent(void)
{
	install_handler(SIGUSR1, on_usr1, 0);
	usr1_seen = 0;
	ok_eq(as_user(A, NO_ID, kill_usr1, getpid()), EPERM, "kill: a user's child to root's parent EPERM");
	ok_eq(as_user(A, NO_ID, sigqueue_usr1, getpid()), EPERM, "rt_sigqueueinfo: to root's parent EPERM");
	ok_eq(as_user(A, NO_ID, kill_cont, getpid()), 0, "kill: SIGCONT to root's parent");
	ok_eq(as_user(ROOT, NO_ID, kill_usr1, getpid()), 0, "kill: a root child to its parent");
	ok_eq(usr1_seen, 1, "only the allowed signal arrived");
	signal(SIGUSR1, SIG_DFL);
}

static int ignoring(int sig)
{
	return signal(sig, SIG_IGN) == SIG_ERR;
}

static int all_usr1(pid_t t) { (void)t; return ignoring(SIGUSR1) ? 90 : err_of(kill(-1, SIGUSR1)); }
static int all0(pid_t t) { (void)t; return err_of(kill(-1, 0)); }
static int all_cont(pid_t t) { (void)t; return err_of(kill(-1, SIGCONT)); }
static int all_bad(pid_t t) { (void)t; return err_of(kill(-1, BAD_SIG)); }
static int group_usr1(pid_t t) { (void)t; return ignoring(SIGUSR1) ? 90 : err_of(kill(0, SIGUSR1)); }
static int group0(pid_t t) { (void)t; return err_of(kill(0, 0)); }
static int group_bad(pid_t t) { (void)t; return err_of(kill(0, BAD_SIG)); }
static int no_group(pid_t t) { (void)t; return err_of(kill(-12345, 0)); }
static int no_group_bad(pid_t t) { (void)t; return err_of(kill(-12345, BAD_SIG)); }
static int own_pid_group(pid_t t) { (void)t; return err_of(kill(-getpid(), 0)); }
static int int_min(pid_t t) { (void)t; return err_of(kill(INT_MIN, 0)); }

/* A target of uid @u counting the SIGUSR1s it catches in caught[@i]. */
static pid_t start_catcher(struct ids id, int i)
{
	caught[i] = 0;
	slot = i;
	pid_t t = start_target(id, NO_ID, -1);
	slot = -1;
	return t;
}

/*
 * kill(-1): every process the sender may signal but process 1 and its
 * own; kill(0): its process group (everybody here: nobody calls setpgid
 * or setsid). Refusals are no error; another group ESRCH.
 */
static void kill_many(void)
{
	pid_t ta = start_catcher(A, 0), tb = start_catcher(B, 1);
	const struct ids C = { UID_C, UID_C, UID_C };

	ok_eq(as_user(A, NO_ID, all_usr1, 0), 0, "kill(-1, SIGUSR1) as a user: 0");
	ok(wait_flag(&caught[0], 1), "it reached the user's own process");
	ok_eq(as_user(C, NO_ID, all_usr1, 0), 0, "kill(-1, SIGUSR1) refused by everyone: 0");
	ok_eq(as_user(C, NO_ID, all0, 0), 0, "kill(-1, 0) refused by everyone: 0");
	ok_eq(as_user(C, NO_ID, all_cont, 0), 0, "kill(-1, SIGCONT): 0");
	ok_eq(as_user(C, NO_ID, all_bad, 0), EINVAL, "kill(-1, bad signal) EINVAL");
	ok_eq(as_user(A, NO_ID, group_usr1, 0), 0, "kill(0, SIGUSR1) as a user: 0");
	ok(wait_flag(&caught[0], 2), "it reached the user's own process");
	ok_eq(as_user(C, NO_ID, group0, 0), 0, "kill(0, 0): 0");
	ok_eq(as_user(C, NO_ID, group_bad, 0), EINVAL, "kill(0, bad signal) EINVAL");
	ok_eq(as_user(C, NO_ID, no_group, 0), ESRCH, "kill(-pgid) of no group ESRCH");
	ok_eq(as_user(C, NO_ID, no_group_bad, 0), ESRCH, "kill(-pgid, bad signal) of no group ESRCH");
	ok_eq(as_user(C, NO_ID, own_pid_group, 0), ESRCH, "kill(-own pid): not a group leader, ESRCH");
	ok_eq(as_user(C, NO_ID, int_min, 0), ESRCH, "kill(INT_MIN) ESRCH");
	ok_eq(caught[0], 2, "the user's process caught two");
	ok_eq(caught[1], 0, "another user's process caught none");
	stop_target(ta);
	stop_target(tb);
}

static int dumpable(void)
{
	return (int)prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

static void prctl_values(void)
{
	ok_eq(dumpable(), 1, "PR_GET_DUMPABLE: 1 to start with");
	ok_sys(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL, "PR_SET_DUMPABLE 2 (SUID_DUMP_ROOT) EINVAL");
	ok_sys(prctl(PR_SET_DUMPABLE, 3, 0, 0, 0), EINVAL, "PR_SET_DUMPABLE 3 EINVAL");
	ok_sys(prctl(PR_SET_DUMPABLE, -1L, 0, 0, 0), EINVAL, "PR_SET_DUMPABLE -1 EINVAL");
	ok_eq(dumpable(), 1, "still 1 after the refusals");
	ok_eq(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0, "PR_SET_DUMPABLE 0");
	ok_eq(dumpable(), 0, "PR_GET_DUMPABLE: 0");
	ok_eq(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0, "PR_SET_DUMPABLE 1");
	ok_eq(dumpable(), 1, "PR_GET_DUMPABLE: 1 again");
}

/* Id changes in a root child: the dumpable flag after each (the exit code). */
static int ch_all(pid_t u) { (void)u; return setresuid(UID_A, UID_A, UID_A) ? 90 : dumpable(); }
static int ch_real(pid_t u) { (void)u; return setreuid(UID_A, -1) ? 90 : dumpable(); }
static int ch_saved(pid_t u) { (void)u; return setresuid(-1, -1, UID_A) ? 90 : dumpable(); }
static int ch_egid(pid_t u) { (void)u; return setresgid(-1, UID_A, -1) ? 90 : dumpable(); }
static int ch_rgid(pid_t u) { (void)u; return setregid(UID_A, -1) ? 90 : dumpable(); }
static int ch_same(pid_t u) { (void)u; return setuid(0) ? 90 : dumpable(); }
static int ch_euid_back(pid_t u)
{
	(void)u;
	if (setresuid(0, UID_A, 0) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) || setresuid(-1, 0, -1))
		return 90;
	return dumpable();
}
static int ch_user_sets(pid_t u)
{
	(void)u;
	if (setresuid(UID_A, UID_A, UID_A) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return 90;
	return dumpable();
}
static int ch_fork(pid_t u)
{
	int st;

	(void)u;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return 90;
	pid_t c = fork();
	if (!c)
		_exit(dumpable());
	return waitpid(c, &st, 0) == c && WIFEXITED(st) ? WEXITSTATUS(st) : 91;
}
static int ch_exec(pid_t u)
{
	(void)u;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return 90;
	execl(self, self, EXEC_MODE, (char *)NULL);
	return 92;
}
static int ch_exec_euid(pid_t u)
{
	(void)u;
	if (setresuid(0, UID_A, 0))
		return 90;
	execl(self, self, EXEC_MODE, (char *)NULL);
	return 92;
}

/* After execve: the dumpable flag, plus 10 if the saved uid is the effective one. */
static int after_exec(void)
{
	uid_t r, e, s;

	if (getresuid(&r, &e, &s))
		return 93;
	return dumpable() + (s == e ? 10 : 0);
}

static void id_changes(void)
{
	ok_eq(as_user(ROOT, NO_ID, ch_all, 0), 0, "setresuid to a user clears dumpable");
	ok_eq(as_user(ROOT, NO_ID, ch_real, 0), 1, "a change of the real uid only keeps it");
	ok_eq(as_user(ROOT, NO_ID, ch_saved, 0), 1, "a change of the saved uid only keeps it");
	ok_eq(as_user(ROOT, NO_ID, ch_egid, 0), 0, "a change of the effective gid clears it");
	ok_eq(as_user(ROOT, NO_ID, ch_rgid, 0), 1, "a change of the real gid only keeps it");
	ok_eq(as_user(ROOT, NO_ID, ch_same, 0), 1, "setuid to the same uid keeps it");
	ok_eq(as_user(ROOT, NO_ID, ch_euid_back, 0), 0, "the effective uid back to root clears it");
	ok_eq(as_user(ROOT, NO_ID, ch_user_sets, 0), 1, "a user may set it again");
	ok_eq(as_user(ROOT, NO_ID, ch_fork, 0), 0, "fork keeps it");
	ok_eq(as_user(ROOT, NO_ID, ch_exec, 0), 11, "execve sets it again");
	ok_eq(as_user(ROOT, NO_ID, ch_exec_euid, 0), 10,
	      "execve with euid != ruid: not dumpable, saved uid = effective");
}

static int read_secret(pid_t t)
{
	int got = 0;
	struct iovec l = { &got, sizeof(got) }, r = { (void *)&secret, sizeof(secret) };
	ssize_t n = process_vm_readv(t, &l, 1, &r, 1, 0);

	if (n < 0)
		return errno;
	return n == sizeof(got) && got == SECRET ? 0 : 94;
}

static int take_fd(pid_t t)
{
	int pfd = (int)syscall(NR_pidfd_open, t, 0);

	if (pfd < 0)
		return 95;
	int fd = (int)syscall(NR_pidfd_getfd, pfd, STDOUT_FILENO, 0);
	return fd < 0 ? errno : 0;
}

/* One caller/target pair of ptrace's attach rule (dumpable -1: as the ids left it). */
struct access_case {
	const char *what;
	struct ids caller, target;
	unsigned caller_gid, target_gid;
	int dumpable, want;
};

static const struct access_case access_cases[] = {
	{ "same ids, dumpable", { UID_A, UID_A, UID_A }, { UID_A, UID_A, UID_A }, NO_ID, NO_ID, 1, 0 },
	{ "same ids, not dumpable", { UID_A, UID_A, UID_A }, { UID_A, UID_A, UID_A }, NO_ID, NO_ID, -1, EPERM },
	{ "same ids, dumpable cleared", { UID_A, UID_A, UID_A }, { UID_A, UID_A, UID_A }, NO_ID, NO_ID, 0, EPERM },
	{ "root, not dumpable", { 0, 0, 0 }, { UID_A, UID_A, UID_A }, NO_ID, NO_ID, -1, 0 },
	{ "another gid", { UID_A, UID_A, UID_A }, { UID_A, UID_A, UID_A }, UID_A, NO_ID, 1, EPERM },
	{ "same gids", { UID_A, UID_A, UID_A }, { UID_A, UID_A, UID_A }, UID_B, UID_B, 1, 0 },
	{ "target's saved uid differs", { UID_A, UID_A, UID_A }, { UID_A, UID_A, UID_B }, NO_ID, NO_ID, 1, EPERM },
	{ "target's effective uid differs", { UID_A, UID_A, UID_A }, { UID_A, UID_B, UID_A }, NO_ID, NO_ID, 1, EPERM },
	{ "caller's real uid counts", { UID_A, UID_B, UID_B }, { UID_A, UID_A, UID_A }, NO_ID, NO_ID, 1, 0 },
	{ "caller's effective uid does not", { UID_B, UID_A, UID_A }, { UID_A, UID_A, UID_A }, NO_ID, NO_ID, 1, EPERM },
	{ "another uid", { UID_A, UID_A, UID_A }, { UID_B, UID_B, UID_B }, NO_ID, NO_ID, 1, EPERM },
	{ "root's process", { UID_A, UID_A, UID_A }, { 0, 0, 0 }, NO_ID, NO_ID, -1, EPERM },
};

static void access_rule(void)
{
	for (size_t i = 0; i < sizeof(access_cases) / sizeof(access_cases[0]); i++) {
		const struct access_case *a = &access_cases[i];
		pid_t t = start_target(a->target, a->target_gid, a->dumpable);
		ok_eq(as_user(a->caller, a->caller_gid, read_secret, t), a->want,
		      "process_vm_readv: %s", a->what);
		ok_eq(as_user(a->caller, a->caller_gid, take_fd, t), a->want, "pidfd_getfd: %s", a->what);
		stop_target(t);
	}
}

/* A process reaches itself even when not dumpable. */
static void self_access(void)
{
	ok_eq(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0, "not dumpable");
	ok_eq(read_secret(getpid()), 0, "process_vm_readv of itself");
	ok_eq(take_fd(getpid()), 0, "pidfd_getfd of itself");
	ok_eq(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0, "dumpable again");
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc > 1 && !strcmp(argv[1], EXEC_MODE))
		return after_exec();
	if (getuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	ready = map_shared(PAGE);
	if (ready == MAP_FAILED)
		return 1;
	caught = ready + 1;
	kill_rule();
	each_call();
	to_parent();
	kill_many();
	prctl_values();
	id_changes();
	access_rule();
	self_access();
	return done_testing();
}
