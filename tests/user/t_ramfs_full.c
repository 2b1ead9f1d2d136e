/*
 * t_ramfs_full: the page cache filling the RAM file system. A file is
 * written in large chunks until the file system refuses: ENOSPC, at half
 * of RAM (Linux's tmpfs default size; memcore's RAM fs has the same
 * limit), never an out-of-memory kill. Meanwhile the rest of the system
 * works: a process forks and runs while the file system is full; a shared
 * mapping of a new file faults SIGBUS past the limit (tmpfs's answer).
 * Removing the file gives every page back: a second fill gets as far (and
 * the harness checks every frame came back, on memcore).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include "util.h"

#define CHUNK	(1u << 20)
#define MiB	(1ull << 20)

static const char *const path = "/t_ramfs_full.data";

/* Writes @path until refused: the bytes written; *@err the errno that stopped it. */
static unsigned long long fill_fs(const char *name, char *buf, int *err)
{
	int fd = open(name, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	unsigned long long total = 0;

	*err = 0;
	if (fd < 0) {
		*err = errno;
		return 0;
	}
	for (unsigned i = 0;; i++) {
		buf[0] = (char)i;	/* each chunk a little different */
		ssize_t n = write(fd, buf, CHUNK);
		if (n < 0) {
			*err = errno;
			break;
		}
		total += (unsigned long long)n;
		if (n < (ssize_t)CHUNK)
			continue;	/* a short write: the next one says why */
	}
	close(fd);
	return total;
}

/* A shared mapping of a new file past the limit: the first store. */
static void touch_new_file(void *arg)
{
	int fd = open("/t_ramfs_full.map", O_CREAT | O_TRUNC | O_RDWR, 0600);
	char *p;

	(void)arg;
	if (fd < 0 || ftruncate(fd, 16 * PAGE))
		_exit(3);
	p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(4);
	for (int i = 0; i < 16; i++)
		p[i * PAGE] = 1;
	_exit(0);
}

int main(void)
{
	char *buf = map_anon(CHUNK, PROT_READ | PROT_WRITE);
	unsigned long long first, second;
	int err, st;

	memset(buf, 0x5a, CHUNK);
	first = fill_fs(path, buf, &err);
	ok_eq(err, ENOSPC, "writing until refused: ENOSPC");
	diag("%llu MiB written", first / MiB);
	ok(first >= 64 * MiB, "after many chunks");
	ok_exited_with(fork_ordinary_work(), 0, "a process forked while it is full runs");
	st = run_in_child(touch_new_file, NULL);
	ok_killed_by(st, SIGBUS, "a store to a new shared file page past the limit: SIGBUS");
	unlink("/t_ramfs_full.map");
	int fd = open(path, O_RDONLY);
	char probe[4];
	ok(fd >= 0 && pread(fd, probe, 4, (off_t)(first / CHUNK / 2) * CHUNK) == 4 &&
	   probe[0] == (char)(first / CHUNK / 2) && probe[1] == 0x5a, "the file holds what was written");
	close(fd);
	ok_eq(unlink(path), 0, "the file removed");
	second = fill_fs(path, buf, &err);
	ok_eq(err, ENOSPC, "a second fill: ENOSPC again");
	ok(second == first, "as far as the first: every page came back");
	if (second != first)
		diag("first %llu, second %llu bytes", first, second);
	ok_eq(unlink(path), 0, "removed again");
	return done_testing();
}
