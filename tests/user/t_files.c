/*
 * t_files: the writable file system. Creating, writing, reading at
 * positions and offsets, appending, truncating both ways (the tail reads
 * zero again), fallocate, an unlinked open file living on, rename,
 * directories (mkdir, rmdir, getdents64 listing), fsync, and the errors of
 * each. Everything happens under /tmp (made if missing) and is removed.
 */
#define _GNU_SOURCE
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define D "/tmp/t_files"

static unsigned char buf[3 * 4096 + 100], back[sizeof(buf)];

static long file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : (long)st.st_size;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in D, joined by spaces. */
static void list_dir(char *out, size_t room)
{
	DIR *d = opendir(D);
	char *names[32];
	int n = 0;
	struct dirent *e;

	out[0] = 0;
	if (!d)
		return;
	while ((e = readdir(d)) && n < 32)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (int i = 0; i < n; i++) {
		strncat(out, names[i], room - strlen(out) - 2);
		strcat(out, " ");
		free(names[i]);
	}
}

static void basics(void)
{
	int fd = open(D "/a", O_CREAT | O_EXCL | O_RDWR, 0644);
	struct stat st;

	ok(fd >= 0, "create a new file with O_EXCL");
	ok_sys(open(D "/a", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST, "O_EXCL on an existing file");
	fill(buf, sizeof(buf), 7);
	ok_eq(write(fd, buf, sizeof(buf)), sizeof(buf), "write 3 pages and 100 bytes");
	ok_eq(lseek(fd, 0, SEEK_CUR), sizeof(buf), "the position moved");
	ok_eq(file_size(fd), sizeof(buf), "fstat: the size");
	ok_eq(stat(D "/a", &st), 0, "stat by path");
	ok(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644, "a regular file, mode 0644");
	ok_eq(st.st_nlink, 1, "one link");
	ok_eq(lseek(fd, 0, SEEK_SET), 0, "seek to the start");
	memset(back, 0, sizeof(back));
	ok_eq(read(fd, back, sizeof(back)), sizeof(buf), "read it all back");
	ok_eq(check(back, sizeof(buf), 7), -1, "same bytes");
	ok_eq(read(fd, back, 10), 0, "read at the end: 0");
	ok_eq(pread(fd, back, 50, 4090), 50, "pread across a page boundary");
	ok_eq(check_at(back, 4090, 50, 7), -1, "pread's bytes");
	ok_eq(lseek(fd, 0, SEEK_CUR), sizeof(buf), "pread leaves the position");
	ok_eq(pwrite(fd, "XYZ", 3, 8190), 3, "pwrite in the middle");
	ok_eq(pread(fd, back, 4, 8189), 4, "read around it");
	ok(back[0] == pat(7, 8189) && !memcmp(back + 1, "XYZ", 3), "pwrite's bytes are there");
	ok_eq(pread(fd, back, 10, sizeof(buf) - 4), 4, "pread past the end is short");
	ok_sys(pread(fd, back, 1, -1), EINVAL, "pread at a negative offset");
	ok_eq(lseek(fd, 0, SEEK_END), sizeof(buf), "SEEK_END");
	ok_sys(lseek(fd, -1, SEEK_SET), EINVAL, "seek before the start");
	ok_eq(lseek(fd, 20000, SEEK_SET), 20000, "seek past the end");
	ok_eq(write(fd, "e", 1), 1, "write past the end");
	ok_eq(file_size(fd), 20001, "the file grew");
	ok_eq(pread(fd, back, 100, 19000), 100, "the gap reads");
	ok_eq(nonzero_at(back, 100), -1, "as zeroes");
	ok_eq(fsync(fd), 0, "fsync");
	ok_eq(fdatasync(fd), 0, "fdatasync");
	ok_eq(close(fd), 0, "close");

	fd = open(D "/a", O_WRONLY | O_APPEND);
	ok(fd >= 0, "open O_APPEND");
	ok_eq(write(fd, "tail", 4), 4, "append");
	ok_eq(file_size(fd), 20005, "appended at the end");
	ok_sys(read(fd, back, 1), EBADF, "read from a write-only descriptor");
	ok_eq(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND), O_WRONLY | O_APPEND, "F_GETFL");
	close(fd);
	fd = open(D "/a", O_RDONLY);
	ok_sys(write(fd, "x", 1), EBADF, "write to a read-only descriptor");
	ok_sys(ftruncate(fd, 0), EINVAL, "ftruncate of a read-only descriptor");
	close(fd);
	fd = open(D "/a", O_RDWR | O_TRUNC);
	ok_eq(file_size(fd), 0, "O_TRUNC empties it");
	close(fd);
}

static void truncation(void)
{
	int fd = open(D "/t", O_CREAT | O_RDWR, 0600);

	fill(buf, sizeof(buf), 3);
	write(fd, buf, sizeof(buf));
	ok_eq(ftruncate(fd, 5000), 0, "ftruncate down to 5000");
	ok_eq(file_size(fd), 5000, "size 5000");
	ok_eq(ftruncate(fd, 9000), 0, "ftruncate up to 9000");
	ok_eq(pread(fd, back, 9000, 0), 9000, "read all 9000");
	ok_eq(check(back, 5000, 3), -1, "the first 5000 bytes kept");
	ok_eq(nonzero_at(back + 5000, 4000), -1, "the rest reads zero (the old tail is gone)");
	ok_eq(truncate(D "/t", 10), 0, "truncate by path");
	ok_eq(file_size(fd), 10, "size 10");
	ok_sys(ftruncate(fd, -1), EINVAL, "negative size");
	ok_sys(truncate(D "/none", 0), ENOENT, "truncate of a missing file");
	ok_sys(truncate(D, 0), EISDIR, "truncate of a directory");

	ok_eq(fallocate(fd, 0, 0, 20000), 0, "fallocate 20000 bytes");
	ok_eq(file_size(fd), 20000, "the size grew");
	ok_eq(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 40000), 0, "fallocate with KEEP_SIZE");
	ok_eq(file_size(fd), 20000, "the size stayed");
	fill(buf, sizeof(buf), 4);
	pwrite(fd, buf, sizeof(buf), 0);
	ok_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 9000), 0,
	      "punch a hole over bytes 100..9099");
	ok_eq(pread(fd, back, sizeof(buf), 0), sizeof(buf), "read it");
	ok_eq(check(back, 100, 4), -1, "before the hole: kept");
	ok_eq(nonzero_at(back + 100, 9000), -1, "the hole reads zero");
	ok_eq(check_at(back, 9100, sizeof(buf) - 9100, 4), -1, "after the hole: kept");
	ok_eq(file_size(fd), 20000, "punching keeps the size");
	ok_sys(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP, "PUNCH_HOLE without KEEP_SIZE");
	ok_sys(fallocate(fd, 0, 0, 0), EINVAL, "fallocate of length 0");
	close(fd);
	unlink(D "/t");
}

static void unlinked(void)
{
	int fd = open(D "/u", O_CREAT | O_RDWR, 0600);
	struct stat st;

	write(fd, "still here", 10);
	ok_eq(unlink(D "/u"), 0, "unlink an open file");
	ok_sys(stat(D "/u", &st), ENOENT, "its name is gone");
	ok_eq(fstat(fd, &st), 0, "fstat still works");
	ok_eq(st.st_nlink, 0, "no links");
	ok_eq(pread(fd, back, 10, 0), 10, "it can still be read");
	ok(!memcmp(back, "still here", 10), "with its bytes");
	ok_eq(write(fd, "!", 1), 1, "and written");
	ok_eq(close(fd), 0, "the last close frees it");
	ok_sys(unlink(D "/u"), ENOENT, "unlink again");
}

static void names(void)
{
	char list[512];
	struct stat st;
	int fd;

	fd = open(D "/r1", O_CREAT | O_WRONLY, 0600);
	write(fd, "one", 3);
	close(fd);
	fd = open(D "/r2", O_CREAT | O_WRONLY, 0600);
	write(fd, "two!", 4);
	close(fd);
	ok_eq(rename(D "/r1", D "/r3"), 0, "rename to a new name");
	ok_sys(stat(D "/r1", &st), ENOENT, "the old name is gone");
	ok_eq(stat(D "/r3", &st), 0, "the new one is there");
	ok_eq(st.st_size, 3, "with the file");
	ok_eq(rename(D "/r3", D "/r2"), 0, "rename over an existing file");
	ok_eq(stat(D "/r2", &st), 0, "the target name");
	ok_eq(st.st_size, 3, "is the renamed file");
	ok_sys(rename(D "/none", D "/x"), ENOENT, "rename a missing file");

	ok_eq(mkdir(D "/sub", 0755), 0, "mkdir");
	ok_sys(mkdir(D "/sub", 0755), EEXIST, "mkdir again");
	ok_eq(stat(D "/sub", &st), 0, "stat a directory");
	ok(S_ISDIR(st.st_mode), "it is a directory");
	ok_eq(st.st_nlink, 2, "with two links");
	fd = open(D "/sub/f", O_CREAT | O_WRONLY, 0600);
	ok(fd >= 0, "a file in it");
	close(fd);
	ok_sys(rmdir(D "/sub"), ENOTEMPTY, "rmdir of a non-empty directory");
	ok_sys(unlink(D "/sub"), EISDIR, "unlink of a directory");
	ok_sys(rmdir(D "/r2"), ENOTDIR, "rmdir of a file");
	ok_sys(open(D "/sub", O_WRONLY), EISDIR, "open a directory for writing");
	ok_sys(open(D "/r2", O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file");
	ok_sys(open(D "/r2/x", O_RDONLY), ENOTDIR, "a path through a file");
	ok_sys(open(D "/nodir/x", O_CREAT | O_WRONLY, 0600), ENOENT, "create in a missing directory");
	ok_sys(rename(D "/sub", D "/sub/in"), EINVAL, "move a directory into itself");
	ok_eq(rename(D "/sub", D "/sub2"), 0, "rename a directory");
	ok_eq(stat(D "/sub2/f", &st), 0, "its file moved with it");
	fd = open(D "/sub2/../r2", O_RDONLY);
	ok(fd >= 0, "a path with ..");
	close(fd);
	list_dir(list, sizeof(list));
	ok(!strcmp(list, ". .. a r2 sub2 "), "getdents64 lists the directory");
	if (strcmp(list, ". .. a r2 sub2 "))
		diag("  listed: %s", list);
	ok_eq(unlink(D "/sub2/f"), 0, "unlink the file");
	ok_eq(rmdir(D "/sub2"), 0, "rmdir the empty directory");
	ok_sys(stat(D "/sub2", &st), ENOENT, "it is gone");
	unlink(D "/r2");
	unlink(D "/a");
	list_dir(list, sizeof(list));
	ok(!strcmp(list, ". .. "), "the directory is empty again");
}

int main(void)
{
	mkdir("/tmp", 01777);
	ok(mkdir(D, 0755) == 0 || errno == EEXIST, "make " D);
	basics();
	truncation();
	unlinked();
	names();
	ok_eq(rmdir(D), 0, "remove " D);
	return done_testing();
}
