/*
 * t_shm: shared memory. System V segments (shmget by key and private,
 * shmat twice and across fork, IPC_STAT's counts and fields, IPC_SET,
 * IPC_RMID while attached and Linux's attach-after-remove, SHM_RDONLY, the
 * errors), POSIX shm_open through /dev/shm (made if missing), and
 * MADV_REMOVE on shared anonymous memory punching a hole every sharer sees.
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>

#define KEY 0x7e5701
#define SIZE (3 * PAGE + 100)

static int nattch(int id)
{
	struct shmid_ds ds;

	return shmctl(id, IPC_STAT, &ds) ? -1 : (int)ds.shm_nattch;
}

static void child_counts(void *arg)
{
	int id = *(int *)arg;
	char *p;

	if (nattch(id) != 4)
		_exit(1);
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		_exit(2);
	memcpy(p + PAGE, "from the child", 14);
	_exit(nattch(id) == 5 ? 0 : 3);
}

static char *ro_at;
static void write_ro(void *arg)
{
	(void)arg;
	probe_write(ro_at);
}

static void sysv(void)
{
	struct shmid_ds ds;
	int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
	char *a, *b;

	ok(id >= 0, "shmget a private segment of 3 pages and 100 bytes");
	a = shmat(id, NULL, 0);
	b = shmat(id, NULL, 0);
	ok(a != (void *)-1 && b != (void *)-1 && a != b, "attach it twice");
	ok_eq(nonzero_at(a, 4 * PAGE), -1, "it starts zeroed, to the end of its last page");
	fill(a, SIZE, 5);
	ok_eq(check(b, SIZE, 5), -1, "both attachments show the same memory");
	ok_eq(shmctl(id, IPC_STAT, &ds), 0, "IPC_STAT");
	ok_eq(ds.shm_segsz, SIZE, "shm_segsz");
	ok_eq(ds.shm_nattch, 2, "shm_nattch: 2");
	ok_eq(ds.shm_perm.mode & 0777, 0600, "the mode");
	ok_eq(ds.shm_cpid, getpid(), "shm_cpid");
	ok_eq(ds.shm_lpid, getpid(), "shm_lpid");
	ok_exited_with(run_in_child(child_counts, &id), 0,
		       "a child inherits both attachments and attaches a third");
	ok(!memcmp(a + PAGE, "from the child", 14), "the parent sees the child's store");
	ok_eq(nattch(id), 2, "the child's attachments went with it");
	ok_eq(shmdt(b), 0, "shmdt one");
	ok_eq(nattch(id), 1, "shm_nattch: 1");
	ok_sys(shmdt(b), EINVAL, "shmdt again");
	ok_sys(shmdt(a + PAGE), EINVAL, "shmdt inside an attachment");
	ds.shm_perm.mode = 0640;
	ok_eq(shmctl(id, IPC_SET, &ds), 0, "IPC_SET the mode");
	shmctl(id, IPC_STAT, &ds);
	ok_eq(ds.shm_perm.mode & 0777, 0640, "the new mode");

	ro_at = shmat(id, NULL, SHM_RDONLY);
	ok(ro_at != (void *)-1, "attach read-only");
	ok_eq(ro_at[PAGE], 'f', "it reads");
	ok_killed_by(run_in_child(write_ro, NULL), SIGSEGV, "a store to it is SIGSEGV");
	shmdt(ro_at);

	ok_eq(shmctl(id, IPC_RMID, NULL), 0, "IPC_RMID while attached");
	ok_eq(shmctl(id, IPC_STAT, &ds), 0, "it still exists");
	ok(ds.shm_perm.mode & SHM_DEST, "marked SHM_DEST");
	ok_eq(ds.shm_perm.__key, IPC_PRIVATE, "its key is private now");
	b = shmat(id, NULL, 0);
	ok(b != (void *)-1, "it can still be attached by id (as on Linux)");
	ok_eq(check(b, SIZE, 5) == -1 || !memcmp(b + PAGE, "from the child", 14), 1,
	      "with its data");
	shmdt(b);
	ok_eq(shmdt(a), 0, "the last detach");
	ok_sys(shmctl(id, IPC_STAT, &ds), EINVAL, "then it is gone");
	ok_sys(shmat(id, NULL, 0), EINVAL, "and cannot be attached");
}

static void keys(void)
{
	struct shmid_ds ds;
	int id = shmget(KEY, 2 * PAGE, IPC_CREAT | IPC_EXCL | 0600);
	char *p;

	ok(id >= 0, "shmget a new keyed segment");
	ok_sys(shmget(KEY, 2 * PAGE, IPC_CREAT | IPC_EXCL | 0600), EEXIST, "IPC_EXCL on it");
	ok_eq(shmget(KEY, PAGE, 0), id, "the key finds it");
	ok_sys(shmget(KEY, 3 * PAGE, 0), EINVAL, "asking for more than its size");
	ok_sys(shmget(KEY + 1, PAGE, 0), ENOENT, "a key without a segment");
	ok_sys(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL, "size 0");
	ok_sys(shmat(-1, NULL, 0), EINVAL, "shmat of a bad id");
	p = shmat(id, NULL, 0);
	ok_sys(shmat(id, p + 1, 0), EINVAL, "shmat at an unaligned address");
	ok_sys(shmat(id, p, 0), EINVAL, "shmat over a mapping without SHM_REMAP");
	shmdt(p);
	char *q = shmat(id, p + 5, SHM_RND);
	ok(q == p, "SHM_RND rounds the address down");
	shmdt(q);
	ok_eq(shmctl(id, IPC_RMID, NULL), 0, "IPC_RMID, not attached");
	ok_sys(shmctl(id, IPC_STAT, &ds), EINVAL, "gone at once");
	ok_sys(shmget(KEY, PAGE, 0), ENOENT, "and its key is free");
	ok_sys(shmctl(id, IPC_RMID, NULL), EINVAL, "IPC_RMID again");
}

static void posix_child(void *arg)
{
	int fd = shm_open("/t_shm", O_RDWR, 0);
	char *p = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	(void)arg;
	if (p == MAP_FAILED)
		_exit(1);
	memcpy(p + 100, "posix", 5);
	_exit(0);
}

static void posix(void)
{
	int fd;
	char *p;

	mkdir("/dev", 0755);
	mkdir("/dev/shm", 01777);
	fd = shm_open("/t_shm", O_CREAT | O_EXCL | O_RDWR, 0600);
	ok(fd >= 0, "shm_open a new object");
	ok_eq(ftruncate(fd, PAGE), 0, "size it");
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED, "map it");
	ok_exited_with(run_in_child(posix_child, NULL), 0, "a child opens and writes it by name");
	ok(!memcmp(p + 100, "posix", 5), "the parent sees it");
	ok_eq(shm_unlink("/t_shm"), 0, "shm_unlink");
	ok_sys(shm_open("/t_shm", O_RDWR, 0), ENOENT, "its name is gone");
	ok(!memcmp(p + 100, "posix", 5), "the mapping lives on");
	munmap(p, PAGE);
	close(fd);
}

static char *shared_anon;
static void remove_in_child(void *arg)
{
	(void)arg;
	if (madvise(shared_anon + PAGE, 2 * PAGE, MADV_REMOVE))
		_exit(1);
	_exit(nonzero_at(shared_anon + PAGE, 2 * PAGE) == -1 ? 0 : 2);
}

static void remove_shared_anon(void)
{
	shared_anon = map_shared(4 * PAGE);
	fill(shared_anon, 4 * PAGE, 6);
	ok_exited_with(run_in_child(remove_in_child, NULL), 0,
		       "a child's MADV_REMOVE on shared anonymous memory");
	ok_eq(nonzero_at(shared_anon + PAGE, 2 * PAGE), -1, "the parent sees the hole");
	ok_eq(check_at(shared_anon, 0, PAGE, 6), -1, "the page before is kept");
	ok_eq(check_at(shared_anon, 3 * PAGE, PAGE, 6), -1, "the page after is kept");
	shared_anon[PAGE] = 1;
	ok_eq(shared_anon[PAGE], 1, "the hole is writable again");
	char *priv = map_anon(PAGE, PROT_READ | PROT_WRITE);
	ok_sys(madvise(priv, PAGE, MADV_REMOVE), EINVAL, "MADV_REMOVE on private anonymous memory");
	munmap(priv, PAGE);
	munmap(shared_anon, 4 * PAGE);
}

int main(void)
{
	sysv();
	keys();
	posix();
	remove_shared_anon();
	return done_testing();
}
