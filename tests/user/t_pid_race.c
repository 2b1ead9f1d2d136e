/*
 * t_pid_race: lookups by pid racing with the exit of what they look at.
 * The main thread forks short-lived children (each maps and touches some
 * memory, some with a second thread, then exits or is killed) while
 * other threads keep reading /proc/PID/{maps,status,statm,oom_score} of
 * the newest child, sending it signal 0, and calling prlimit on it. Every
 * call must either work or fail as Linux says a vanished process does
 * (ENOENT, ESRCH; a zombie's files may read empty), the kernel must not
 * crash, and every child must be collected with the status it chose.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define CHILDREN	150
#define LOOKERS		2

static volatile pid_t newest;
static volatile int stop;
static volatile long calls, odd;

static void note(int bad)
{
	__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	if (bad)
		__atomic_fetch_add(&odd, 1, __ATOMIC_RELAXED);
}

static void read_proc(pid_t pid, const char *file)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		note(errno != ENOENT && errno != ESRCH);
		return;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	note(0);
}

static void *looker(void *p)
{
	(void)p;
	while (!stop) {
		pid_t pid = newest;
		struct rlimit old;
		if (!pid) {
			sched_yield();
			continue;
		}
		read_proc(pid, "maps");
		read_proc(pid, "status");
		read_proc(pid, "statm");
		read_proc(pid, "oom_score");
		note(kill(pid, 0) && errno != ESRCH);
		note(prlimit(pid, RLIMIT_NOFILE, NULL, &old) && errno != ESRCH);
	}
	return NULL;
}

static void *spin_thread(void *p)
{
	(void)p;
	for (;;)
		sched_yield();
	return NULL;
}

static void child(int i)
{
	size_t len = (size_t)(1 + i % 8) * 4096 * 4;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		_exit(2);
	for (size_t o = 0; o < len; o += 4096)
		m[o] = (char)i;
	pthread_t th;
	if (i % 3 == 0 && pthread_create(&th, NULL, spin_thread, NULL))
		_exit(3);
	if (i % 5 == 0)
		raise(SIGKILL);
	_exit(i % 100);
}

int main(void)
{
	pthread_t th[LOOKERS];
	int started = 0, right = 0;

	for (int i = 0; i < LOOKERS; i++)
		started += pthread_create(&th[i], NULL, looker, NULL) == 0;
	ok_eq(started, LOOKERS, "%d threads look processes up by pid", LOOKERS);
	for (int i = 0; i < CHILDREN; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			child(i);
		if (pid < 0)
			break;
		newest = pid;
		int st;
		if (waitpid(pid, &st, 0) != pid)
			break;
		right += i % 5 == 0 ? WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL :
				      WIFEXITED(st) && WEXITSTATUS(st) == i % 100;
	}
	stop = 1;
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	ok_eq(right, CHILDREN, "%d children exit (some threaded, some killed) with their status",
	      CHILDREN);
	ok(calls > 0, "lookups ran while they exited");
	if (!ok_eq(odd, 0, "every lookup worked or failed with ENOENT/ESRCH"))
		diag("%ld of %ld calls failed otherwise", odd, calls);
	return done_testing();
}
