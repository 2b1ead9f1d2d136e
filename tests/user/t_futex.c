/*
 * t_futex: the futex system call itself, as Linux defines it: WAIT checks
 * the word (EAGAIN), times out (ETIMEDOUT, relative for WAIT, absolute for
 * WAIT_BITSET), rejects bad arguments (EINVAL, EFAULT); WAKE counts whom it
 * woke; private and shared waits are keyed apart; a shared mapping's word
 * is one futex across processes; REQUEUE and CMP_REQUEUE move waiters;
 * bitsets select; a handled signal ends a wait with EINTR or, with
 * SA_RESTART, lets it go on; a waiter killed with its process goes away
 * cleanly.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "util.h"

#include <pthread.h>
#include <sys/syscall.h>

/* Linux's futex operations (musl's headers do not carry linux/futex.h). */
#define FUTEX_WAIT			0
#define FUTEX_WAKE			1
#define FUTEX_REQUEUE			3
#define FUTEX_CMP_REQUEUE		4
#define FUTEX_WAIT_BITSET		9
#define FUTEX_WAKE_BITSET		10
#define FUTEX_PRIVATE_FLAG		128
#define FUTEX_CLOCK_REALTIME		256
#define FUTEX_WAIT_PRIVATE		(FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE		(FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE		(FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE	(FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE	(FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_BITSET_PRIVATE	(FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY		(-1)

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts,
		  volatile int *uaddr2, int val3)
{
#ifdef SYS_futex_time64
	/* i386: musl's struct timespec has a 64-bit time_t, the old call 32 bits */
	return syscall(SYS_futex_time64, uaddr, op, val, ts, uaddr2, val3);
#else
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
#endif
}

/* A waiter thread: waits on *word for value 0 with op, records the result. */
struct waiter {
	volatile int *word;
	int op;
	int bitset;
	long ret;
	int err;
	volatile int started, done;
};

static void *wait_thread(void *p)
{
	struct waiter *w = p;

	w->started = 1;
	if (w->op == FUTEX_WAIT_BITSET || w->op == (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG))
		w->ret = futex(w->word, w->op, 0, NULL, NULL, w->bitset);
	else
		w->ret = futex(w->word, w->op, 0, NULL, NULL, 0);
	w->err = errno;
	w->done = 1;
	return NULL;
}

static void start_waiters(struct waiter *w, pthread_t *t, int n, volatile int *word, int op,
			  int bitset)
{
	for (int i = 0; i < n; i++) {
		w[i] = (struct waiter){ .word = word, .op = op, .bitset = bitset };
		pthread_create(&t[i], NULL, wait_thread, &w[i]);
	}
	for (int i = 0; i < n; i++)
		while (!w[i].started)
			sched_yield();
	sleep_ms(50);		/* time to enter the kernel and sleep */
}

static int count_done(struct waiter *w, int n)
{
	int d = 0;

	for (int i = 0; i < n; i++)
		d += w[i].done;
	return d;
}

static void test_errors(void)
{
	static volatile int word = 1;
	struct timespec ts = { 0, 1000 * 1000 * 1000 };
	void *unmapped = free_range(1);

	ok_sys(futex(&word, FUTEX_WAIT, 0, NULL, NULL, 0), EAGAIN,
	       "WAIT when the word differs is EAGAIN");
	ok_sys(futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EAGAIN,
	       "WAIT_PRIVATE when the word differs is EAGAIN");
	ok_sys(futex((volatile int *)((char *)&word + 1), FUTEX_WAIT, 1, NULL, NULL, 0), EINVAL,
	       "WAIT on an unaligned word is EINVAL");
	ok_sys(futex(unmapped, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT,
	       "WAIT on an unmapped word is EFAULT");
	ok_sys(futex(&word, FUTEX_WAIT, 1, &ts, NULL, 0), EINVAL,
	       "WAIT with tv_nsec of a second is EINVAL");
	ok_sys(futex(&word, FUTEX_WAIT_BITSET, 1, NULL, NULL, 0), EINVAL,
	       "WAIT_BITSET with an empty bitset is EINVAL");
	ok_sys(futex(&word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL,
	       "WAKE_BITSET with an empty bitset is EINVAL");
	ok_eq(futex(&word, FUTEX_WAKE, 10, NULL, NULL, 0), 0, "WAKE with no waiters wakes 0");
	ok_sys(futex(&word, 99, 0, NULL, NULL, 0), ENOSYS, "an unknown operation is ENOSYS");
}

static void test_timeouts(void)
{
	static volatile int word;
	struct timespec rel = { 0, 30 * 1000 * 1000 }, abs;

	long long t0 = mono_ns();
	ok_sys(futex(&word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0), ETIMEDOUT,
	       "WAIT with a 30 ms timeout and no waker is ETIMEDOUT");
	ok(mono_ns() - t0 >= 30LL * 1000 * 1000, "... after at least 30 ms");

	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 20 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	ok_sys(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY),
	       ETIMEDOUT, "WAIT_BITSET with an absolute monotonic deadline times out");
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ok(now.tv_sec > abs.tv_sec || (now.tv_sec == abs.tv_sec && now.tv_nsec >= abs.tv_nsec),
	   "... not before the deadline");
	abs = (struct timespec){ 0, 1 };	/* just after boot: long past */
	ok_sys(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY),
	       ETIMEDOUT, "WAIT_BITSET with a deadline in the past times out at once");
	struct timespec real;
	clock_gettime(CLOCK_REALTIME, &real);
	real.tv_nsec += 10 * 1000 * 1000;
	if (real.tv_nsec >= 1000000000) {
		real.tv_sec++;
		real.tv_nsec -= 1000000000;
	}
	ok_sys(futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &real, NULL,
		     FUTEX_BITSET_MATCH_ANY), ETIMEDOUT,
	       "WAIT_BITSET on CLOCK_REALTIME times out");
}

static void test_wake_counts(void)
{
	static volatile int word;
	struct waiter w[3];
	pthread_t t[3];

	start_waiters(w, t, 3, &word, FUTEX_WAIT_PRIVATE, 0);
	ok_eq(count_done(w, 3), 0, "3 threads sleep in WAIT");
	ok_eq(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1, "WAKE 1 wakes one");
	ok_eq(futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 2, "WAKE 10 wakes the other two");
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ok(w[0].ret == 0 && w[1].ret == 0 && w[2].ret == 0, "every woken WAIT returns 0");

	/* A shared wake does not reach a private waiter, nor the other way round. */
	start_waiters(w, t, 1, &word, FUTEX_WAIT_PRIVATE, 0);
	ok_eq(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0,
	      "a shared WAKE does not wake a private waiter");
	ok_eq(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1, "a private WAKE does");
	pthread_join(t[0], NULL);
	start_waiters(w, t, 1, &word, FUTEX_WAIT, 0);
	ok_eq(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0,
	      "a private WAKE does not wake a shared waiter");
	ok_eq(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 1, "a shared WAKE does");
	pthread_join(t[0], NULL);
}

static void test_bitset(void)
{
	static volatile int word;
	struct waiter a[1], b[1];
	pthread_t ta[1], tb[1];

	start_waiters(a, ta, 1, &word, FUTEX_WAIT_BITSET_PRIVATE, 1);
	start_waiters(b, tb, 1, &word, FUTEX_WAIT_BITSET_PRIVATE, 2);
	ok_eq(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 2), 1,
	      "WAKE_BITSET 2 wakes only the waiter whose bitset has bit 1");
	pthread_join(tb[0], NULL);
	ok(b[0].done && !a[0].done, "... and it is that one");
	ok_eq(futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 1,
	      "plain WAKE wakes a bitset waiter (all bits)");
	pthread_join(ta[0], NULL);
}

static void test_requeue(void)
{
	static volatile int from, to;
	struct waiter w[4];
	pthread_t t[4];

	start_waiters(w, t, 4, &from, FUTEX_WAIT_PRIVATE, 0);
	ok_sys(futex(&from, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &to, 5), EAGAIN,
	       "CMP_REQUEUE when the word differs from val3 is EAGAIN");
	ok_eq(futex(&from, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &to, 0), 3,
	      "CMP_REQUEUE wakes 1 and moves 2 (returns 3)");
	ok_eq(futex(&from, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 1,
	      "one waiter is left on the first word");
	ok_eq(futex(&to, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 2,
	      "the two moved ones are woken on the second");
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	start_waiters(w, t, 2, &from, FUTEX_WAIT_PRIVATE, 0);
	ok_eq(futex(&from, FUTEX_REQUEUE_PRIVATE, 0, (void *)1L, &to, 0), 1,
	      "REQUEUE of 1 without waking counts the moved one");
	ok_eq(futex(&to, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 1, "the moved one wakes on the second word");
	ok_eq(futex(&from, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 1, "the other on the first");
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ok_sys(futex(&from, FUTEX_REQUEUE_PRIVATE, -1, (void *)1L, &to, 0), EINVAL,
	       "REQUEUE with a negative count is EINVAL");
}

/* Two processes, one word in a shared mapping. */
static void test_shared_across_fork(void)
{
	volatile int *m = map_shared(PAGE);
	struct timespec ts = { 5, 0 };

	pid_t pid = tap_fork();
	if (pid == 0) {
		m[1] = 1;			/* about to wait */
		long r = futex(&m[0], FUTEX_WAIT, 0, &ts, NULL, 0);
		_exit(r == 0 ? 0 : 1);
	}
	wait_flag(&m[1], 1);
	sleep_ms(50);
	long woken = 0;
	for (int i = 0; i < 100 && !woken; i++) {
		woken = futex(&m[0], FUTEX_WAKE, 1, NULL, NULL, 0);
		if (!woken)
			sleep_ms(10);
	}
	ok_eq(woken, 1, "a shared WAKE in the parent wakes the child waiting on a MAP_SHARED word");
	ok_exited_with(tap_wait(pid), 0, "... whose WAIT returns 0");

	/* A private mapping is not shared after fork: a wake in the parent reaches no child. */
	static volatile int priv;
	pid = tap_fork();
	if (pid == 0) {
		struct timespec t50 = { 0, 100 * 1000 * 1000 };
		long r = futex(&priv, FUTEX_WAIT, 0, &t50, NULL, 0);
		_exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
	}
	sleep_ms(20);
	ok_eq(futex(&priv, FUTEX_WAKE, 1, NULL, NULL, 0), 0,
	      "a wake on a private word does not reach a forked child");
	ok_exited_with(tap_wait(pid), 0, "... which times out");
	munmap((void *)m, PAGE);
}

static volatile int handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

/* A signal handled while a thread waits: with SA_RESTART the wait goes on, without it EINTR. */
static void test_signals(void)
{
	static volatile int word;
	struct waiter w[1];
	pthread_t t[1];
	struct sigaction sa = { .sa_handler = on_usr1 };

	for (int restart = 1; restart >= 0; restart--) {
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGUSR1, &sa, NULL);
		handled = 0;
		start_waiters(w, t, 1, &word, FUTEX_WAIT_PRIVATE, 0);
		pthread_kill(t[0], SIGUSR1);
		for (int i = 0; i < 1000 && !handled; i++)
			sleep_ms(1);
		sleep_ms(30);
		if (restart) {
			ok(handled == 1 && !w[0].done,
			   "a handler with SA_RESTART runs and the WAIT goes on");
			ok_eq(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1,
			      "... until a WAKE, which finds it");
			pthread_join(t[0], NULL);
			ok_eq(w[0].ret, 0, "... and it returns 0");
		} else {
			pthread_join(t[0], NULL);
			ok(handled == 1 && w[0].ret == -1 && w[0].err == EINTR,
			   "without SA_RESTART the WAIT ends with EINTR after the handler");
		}
	}
	signal(SIGUSR1, SIG_DFL);
}

/*
 * A process-shared robust mutex whose owner process exits holding it: the
 * kernel walks the owner's robust list, the waiter gets EOWNERDEAD.
 */
static const char *self_path;

struct robust_shared {
	pthread_mutex_t m;
	volatile int locked;
};

static void test_robust(void)
{
	struct robust_shared *rs = map_shared(PAGE);
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&rs->m, &a);
	pthread_mutexattr_destroy(&a);
	pid_t pid = tap_fork();
	if (pid == 0) {
		pthread_mutex_lock(&rs->m);
		rs->locked = 1;
		sleep_ms(50);
		_exit(0);		/* still holding it: no unlock, no pthread_exit */
	}
	wait_flag(&rs->locked, 1);
	int r = pthread_mutex_lock(&rs->m);	/* waits, then the owner dies */
	ok_eq(r, EOWNERDEAD, "a robust mutex held by a process that exits: the waiter gets EOWNERDEAD");
	ok_eq(pthread_mutex_consistent(&rs->m), 0, "... and can make it consistent");
	ok_eq(pthread_mutex_unlock(&rs->m), 0, "... and unlock it");
	ok_exited_with(tap_wait(pid), 0, "the owner exited normally");
	pid = tap_fork();
	if (pid == 0) {
		pthread_mutex_lock(&rs->m);
		_exit(0);
	}
	tap_wait(pid);
	ok_eq(pthread_mutex_lock(&rs->m), EOWNERDEAD,
	      "locking after the owner died (no waiter then) also gives EOWNERDEAD");
	pthread_mutex_consistent(&rs->m);
	pthread_mutex_unlock(&rs->m);
	pid = tap_fork();
	if (pid == 0) {
		char *argv[] = { (char *)self_path, "exit-now", NULL };
		pthread_mutex_lock(&rs->m);
		rs->locked = 2;
		sleep_ms(50);
		execve(self_path, argv, (char *[]){ NULL });
		_exit(3);
	}
	wait_flag(&rs->locked, 2);
	ok_eq(pthread_mutex_lock(&rs->m), EOWNERDEAD,
	      "a robust mutex held across execve: the waiter gets EOWNERDEAD");
	pthread_mutex_consistent(&rs->m);
	pthread_mutex_unlock(&rs->m);
	ok_exited_with(tap_wait(pid), 0, "... and the new image ran");
	ok_eq(syscall(SYS_set_robust_list, NULL, 8), -1, "set_robust_list with a wrong size fails");
	munmap(rs, PAGE);
}

static void child_killed_waiting(void *arg)
{
	static volatile int word;
	volatile int *ready = arg;
	pthread_t t;
	struct waiter w;

	w = (struct waiter){ .word = &word, .op = FUTEX_WAIT_PRIVATE };
	pthread_create(&t, NULL, wait_thread, &w);
	while (!w.started)
		sched_yield();
	*ready = 1;
	futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	_exit(1);
}

static void test_killed_waiters(void)
{
	volatile int *ready = map_shared(PAGE);

	pid_t pid = tap_fork();
	if (pid == 0)
		child_killed_waiting((void *)ready);
	wait_flag(ready, 1);
	sleep_ms(20);
	kill(pid, SIGKILL);
	ok_killed_by(tap_wait(pid), SIGKILL, "a process whose two threads wait forever dies of SIGKILL");
	munmap((void *)ready, PAGE);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exit-now"))
		return 0;
	self_path = argv[0];
	test_errors();
	test_timeouts();
	test_wake_counts();
	test_bitset();
	test_requeue();
	test_shared_across_fork();
	test_signals();
	test_robust();
	test_killed_waiters();
	return done_testing();
}
