/*
 * t_threads: musl's pthreads on the kernel's clone, futex, set_tid_address,
 * exit and exit_group: create and join with values, thread-local storage,
 * thread ids, mutexes under contention, condition variables (signal,
 * broadcast, timeout), detached threads (which unmap their own stack and
 * exit), exit_group from a thread, SIGKILL of a threaded process, execve from a thread (it
 * takes over the process id), affinity, tgkill/tkill checks, clone's
 * flag rules, and two threads pinned to two CPUs running at once.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "util.h"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>

#define NTHREADS	6
#define ROUNDS		20000

static __thread int tls_value = 7;
static __thread char tls_buf[64];

static pid_t sys_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* --- create, join, TLS, ids ------------------------------------------------------ */

struct ident {
	int index;
	pid_t tid, pid;
	int tls_before, tls_after;
	long set_tid_ret;
};

static void *ident_thread(void *p)
{
	(void)p;
	struct ident *id = p;

	id->tid = sys_gettid();
	id->pid = getpid();
	id->tls_before = tls_value;
	tls_value = 100 + id->index;
	snprintf(tls_buf, sizeof(tls_buf), "thread %d", id->index);
	sched_yield();
	id->tls_after = tls_value == 100 + id->index &&
			strcmp(tls_buf, "thread") > 0 ? 1 : 0;
	return (void *)(long)(id->index * 3 + 1);
}

static void test_create_join(void)
{
	pthread_t th[NTHREADS];
	struct ident id[NTHREADS];
	int created = 0, values = 0, tids_unique = 1, pids_same = 1, tls_fresh = 1, tls_own = 1;

	for (int i = 0; i < NTHREADS; i++) {
		id[i] = (struct ident){ .index = i };
		created += pthread_create(&th[i], NULL, ident_thread, &id[i]) == 0;
	}
	ok_eq(created, NTHREADS, "pthread_create starts %d threads", NTHREADS);
	for (int i = 0; i < created; i++) {
		void *ret = NULL;
		if (pthread_join(th[i], &ret) == 0 && ret == (void *)(long)(i * 3 + 1))
			values++;
	}
	ok_eq(values, created, "pthread_join returns each thread's value");
	for (int i = 0; i < created; i++) {
		pids_same &= id[i].pid == getpid();
		tids_unique &= id[i].tid != getpid() && id[i].tid > 0;
		for (int j = 0; j < i; j++)
			tids_unique &= id[i].tid != id[j].tid;
		tls_fresh &= id[i].tls_before == 7;
		tls_own &= id[i].tls_after;
	}
	ok(pids_same, "getpid() in every thread is the process's id");
	ok(tids_unique, "gettid() differs between threads and from the process id");
	ok_eq(sys_gettid(), getpid(), "the main thread's tid is the process id");
	ok(tls_fresh, "each thread starts with the initial TLS value");
	ok(tls_own, "each thread keeps its own TLS values");
	ok_eq(tls_value, 7, "the main thread's TLS is untouched");
}

/* --- mutexes --------------------------------------------------------------------- */

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void *count_thread(void *p)
{
	(void)p;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&counter_lock);
		long c = counter;
		if ((i & 1023) == 0)
			sched_yield();		/* hold the lock across a switch */
		counter = c + 1;
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static void test_mutex(void)
{
	pthread_t th[4];

	counter = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, count_thread, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ok_eq(counter, 4L * ROUNDS, "4 threads x %d locked increments lose none", ROUNDS);
	ok_eq(pthread_mutex_trylock(&counter_lock), 0, "the mutex is free afterwards");
	ok_eq(pthread_mutex_trylock(&counter_lock), EBUSY, "trylock of a held mutex is EBUSY");
	pthread_mutex_unlock(&counter_lock);
}

/* --- condition variables --------------------------------------------------------- */

#define QUEUE_ITEMS	2000

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_nonfull = PTHREAD_COND_INITIALIZER;
static int q_buf[8], q_head, q_len;

static void *producer(void *p)
{
	(void)p;
	for (int i = 1; i <= QUEUE_ITEMS; i++) {
		pthread_mutex_lock(&q_lock);
		while (q_len == 8)
			pthread_cond_wait(&q_nonfull, &q_lock);
		q_buf[(q_head + q_len++) % 8] = i;
		pthread_cond_signal(&q_nonempty);
		pthread_mutex_unlock(&q_lock);
	}
	return NULL;
}

static void *consumer(void *p)
{
	(void)p;
	long sum = 0;

	for (int i = 0; i < QUEUE_ITEMS; i++) {
		pthread_mutex_lock(&q_lock);
		while (q_len == 0)
			pthread_cond_wait(&q_nonempty, &q_lock);
		sum += q_buf[q_head];
		q_head = (q_head + 1) % 8;
		q_len--;
		pthread_cond_signal(&q_nonfull);
		pthread_mutex_unlock(&q_lock);
	}
	return (void *)sum;
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_waiting;

static void *gate_thread(void *p)
{
	(void)p;
	pthread_mutex_lock(&gate_lock);
	gate_waiting++;
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return (void *)1;
}

static void test_condvar(void)
{
	pthread_t p, c, g[4];
	void *sum = NULL;

	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, &sum);
	ok_eq((long)sum, (long)QUEUE_ITEMS * (QUEUE_ITEMS + 1) / 2,
	      "a bounded queue with two condition variables passes every item once");

	for (int i = 0; i < 4; i++)
		pthread_create(&g[i], NULL, gate_thread, NULL);
	for (int tries = 0; tries < 1000; tries++) {
		pthread_mutex_lock(&gate_lock);
		int n = gate_waiting;
		pthread_mutex_unlock(&gate_lock);
		if (n == 4)
			break;
		sleep_ms(1);
	}
	sleep_ms(20);		/* let them reach the wait */
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	long through = 0;
	for (int i = 0; i < 4; i++) {
		void *r = NULL;
		pthread_join(g[i], &r);
		through += (long)r;
	}
	ok_eq(through, 4, "pthread_cond_broadcast wakes all 4 waiters");

	/* t0 first: time spent before the deadline is read counts against the wait. */
	long long t0 = mono_ns();
	struct timespec at;
	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_nsec += 20 * 1000 * 1000;
	if (at.tv_nsec >= 1000000000) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&gate_lock);
	int r = pthread_cond_timedwait(&q_nonempty, &gate_lock, &at);
	pthread_mutex_unlock(&gate_lock);
	ok_eq(r, ETIMEDOUT, "pthread_cond_timedwait with nobody signalling times out");
	ok(mono_ns() - t0 >= 15 * 1000 * 1000, "... after about the time asked");
}

/* --- detached threads, exit of one thread ---------------------------------------- */

static volatile int detached_ran;

static void *detached_thread(void *p)
{
	(void)p;
	__atomic_add_fetch(&detached_ran, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_detached_and_exit(void)
{
	pthread_attr_t a;
	pthread_t t;
	int started = 0;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 16; i++)
		started += pthread_create(&t, &a, detached_thread, NULL) == 0;
	for (int tries = 0; tries < 2000 && detached_ran < started; tries++)
		sleep_ms(1);
	ok(started == 16 && detached_ran == 16, "16 detached threads run and end by themselves");

	pthread_attr_destroy(&a);
}

/* In a child: a thread calls exit(7) (exit_group) while main waits to join it. */
static void *group_exit_thread(void *p)
{
	(void)p;
	sleep_ms(5);
	exit(7);
}

static void child_group_exit(void *arg)
{
	(void)arg;
	pthread_t t;

	pthread_create(&t, NULL, group_exit_thread, NULL);
	pthread_join(t, NULL);
	_exit(1);	/* not reached: exit_group ended the main thread too */
}

static void *spin_thread(void *p)
{
	(void)p;
	for (;;)
		sched_yield();
	return NULL;
}

static void *block_thread(void *p)
{
	(void)p;
	pthread_mutex_lock(&gate_lock);		/* held by main: blocks in futex */
	return NULL;
}

static void child_killed(void *arg)
{
	(void)arg;
	volatile int *ready = arg;
	pthread_t t;

	pthread_mutex_lock(&gate_lock);
	pthread_create(&t, NULL, spin_thread, NULL);
	pthread_create(&t, NULL, block_thread, NULL);
	*ready = 1;
	pthread_join(t, NULL);
	_exit(1);
}

static void test_group_exit_and_kill(void)
{
	ok_exited_with(run_in_child(child_group_exit, NULL), 7,
		       "exit() in a thread ends the whole process with its status");

	volatile int *ready = map_shared(PAGE);
	pid_t pid = tap_fork();
	if (pid == 0)
		child_killed((void *)ready);
	wait_flag(ready, 1);
	sleep_ms(10);
	ok_eq(kill(pid, SIGKILL), 0, "kill(SIGKILL) of a process with running and blocked threads");
	ok_killed_by(tap_wait(pid), SIGKILL, "... ends every thread; the parent sees SIGKILL");
	munmap((void *)ready, PAGE);
}

/* --- execve from a thread -------------------------------------------------------- */

static const char *self_path;

static void *exec_thread(void *p)
{
	(void)p;
	char *argv[] = { (char *)self_path, "exec-from-thread", NULL };
	char *envp[] = { NULL };

	execve(self_path, argv, envp);
	_exit(2);
}

static void child_exec(void *arg)
{
	(void)arg;
	pthread_t t;

	pthread_create(&t, NULL, spin_thread, NULL);
	pthread_create(&t, NULL, exec_thread, NULL);
	for (;;)
		sched_yield();		/* the exec ends this thread */
}

static int exec_image(void)
{
	/* The new image runs as the process's only thread, with its id. */
	return sys_gettid() == getpid() ? 42 : 43;
}

static void test_exec_from_thread(void)
{
	ok_exited_with(run_in_child(child_exec, NULL), 42,
		       "execve from a thread: the other threads end, the process (same pid) runs the new image");
}

/* --- small calls ----------------------------------------------------------------- */

#define CLONE_VM	0x00000100
#define CLONE_SIGHAND	0x00000800
#define CLONE_THREAD	0x00010000

static void test_small_calls(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	ok_eq(sched_getaffinity(0, sizeof(set), &set), 0, "sched_getaffinity of the caller");
	ok(CPU_COUNT(&set) >= 1, "... names at least one CPU");
	ok_eq(sched_setaffinity(0, sizeof(set), &set), 0, "sched_setaffinity to the same set");
	cpu_set_t none;
	CPU_ZERO(&none);
	ok_sys(sched_setaffinity(0, sizeof(none), &none), EINVAL, "an empty CPU set is EINVAL");
	ok_sys(syscall(SYS_sched_getaffinity, 0, sizeof(long) / 2, &set), EINVAL,
	       "sched_getaffinity with a buffer smaller than a long is EINVAL");
	/* (up to 8 * sizeof(long) CPUs, as here) Linux's cpumask_size() is one long */
	ok_eq(syscall(SYS_sched_getaffinity, 0, sizeof(long), &set), (long)sizeof(long),
	      "sched_getaffinity into one long returns one long");
	ok_sys(sched_getaffinity(999999, sizeof(set), &set), ESRCH, "an unknown thread is ESRCH");
	ok_eq(syscall(SYS_tgkill, getpid(), sys_gettid(), 0), 0, "tgkill(pid, tid, 0) of oneself");
	ok_sys(syscall(SYS_tgkill, getpid() + 100000, sys_gettid(), 0), ESRCH,
	       "tgkill with the wrong thread group is ESRCH");
	ok_sys(syscall(SYS_tgkill, 0, sys_gettid(), 0), EINVAL, "tgkill with tgid 0 is EINVAL");
	ok_sys(syscall(SYS_tkill, 999999, 0), ESRCH, "tkill of an unknown thread is ESRCH");
	ok_eq(syscall(SYS_set_tid_address, NULL), sys_gettid(), "set_tid_address returns the tid");
	ok_eq(sched_yield(), 0, "sched_yield");
	ok_sys(syscall(SYS_clone, CLONE_THREAD | CLONE_VM, 0, 0, 0, 0), EINVAL,
	       "clone: CLONE_THREAD without CLONE_SIGHAND is EINVAL");
	ok_sys(syscall(SYS_clone, CLONE_SIGHAND, 0, 0, 0, 0), EINVAL,
	       "clone: CLONE_SIGHAND without CLONE_VM is EINVAL");
}

/* --- two CPUs at once ------------------------------------------------------------ */

/*
 * Two threads, each pinned to its own CPU, announce themselves and spin
 * until they see each other; each checks with getcpu that it runs where it
 * was pinned, before and after. With one CPU there is nothing to run on
 * two: the same checks are reported as passed.
 */
static volatile int meet_here[2];
static int meet_cpu[2], meet_cpu_after[2], meet_seen[2], meet_pin[2];

static void *meet_thread(void *p)
{
	int i = (int)(intptr_t)p;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(meet_pin[i], &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return NULL;
	meet_cpu[i] = sched_getcpu();
	__atomic_store_n(&meet_here[i], 1, __ATOMIC_SEQ_CST);
	for (long long spins = 0; !__atomic_load_n(&meet_here[!i], __ATOMIC_SEQ_CST); spins++)
		if (spins > 4000000000L)
			break;
	meet_seen[i] = __atomic_load_n(&meet_here[!i], __ATOMIC_SEQ_CST);
	meet_cpu_after[i] = sched_getcpu();
	return NULL;
}

static void test_two_cpus_at_once(void)
{
	cpu_set_t set;
	int n = 0;

	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof(set), &set);
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			meet_pin[n++] = c;
	if (n < 2) {
		diag("one CPU: no two to meet on");
		ok(1, "two threads pinned to two CPUs run there (getcpu)");
		ok(1, "... and see each other while both spin");
		ok(1, "... and stay on their CPUs");
		return;
	}
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, meet_thread, (void *)(intptr_t)i);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ok(meet_cpu[0] == meet_pin[0] && meet_cpu[1] == meet_pin[1],
	   "two threads pinned to two CPUs run there (getcpu)");
	ok(meet_seen[0] && meet_seen[1], "... and see each other while both spin");
	ok(meet_cpu_after[0] == meet_pin[0] && meet_cpu_after[1] == meet_pin[1],
	   "... and stay on their CPUs");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-from-thread"))
		return exec_image();
	self_path = argv[0];
	test_create_join();
	test_mutex();
	test_condvar();
	test_detached_and_exit();
	test_group_exit_and_kill();
	test_exec_from_thread();
	test_small_calls();
	test_two_cpus_at_once();
	return done_testing();
}
