/*
 * t_swapon: swapon(2) and swapoff(2) refuse what is not a swap area with
 * Linux's errors (checked against Linux 6.1: the order is flags, then
 * capability, then the path; a regular file of a RAM file system has no
 * usable swap header; a directory cannot be opened for writing). Turning
 * a real swap disk on and off is the kernel suite's (swap_dev).
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "memcore/swap.h"

static long sys_swapon(const char *path, long flags)
{
	return syscall(SYS_swapon, path, flags);
}

static long sys_swapoff(const char *path)
{
	return syscall(SYS_swapoff, path);
}

static void as_nobody(void *arg)
{
	if (setuid(1000) != 0)
		_exit(3);
	_exit(sys_swapon(arg, 0) == -1 && errno == EPERM &&
	      sys_swapoff(arg) == -1 && errno == EPERM ? 0 : 1);
}

/* A regular file of a page of zeroes: no swap header. (Not the program's own
 * file: Linux says ETXTBSY for a file being executed, opened for writing.) */
static const char *plain_file(void)
{
	static const char path[] = "/t_swapon.plain";
	static char page[PAGE];
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);

	if (fd < 0 || write(fd, page, sizeof(page)) != (ssize_t)sizeof(page))
		return NULL;
	close(fd);
	return path;
}

int main(void)
{
	static char longpath[5000];
	const char *plain = plain_file();

	if (!ok(plain != NULL, "create a plain file"))
		return done_testing();
	ok_sys(sys_swapon(NULL, 0), EFAULT, "swapon(NULL): EFAULT");
	ok_sys(sys_swapon((char *)1, 0), EFAULT, "swapon of a bad pointer: EFAULT");
	ok_sys(sys_swapon("", 0), ENOENT, "swapon(\"\"): ENOENT");
	ok_sys(sys_swapon("/no/such/file", 0), ENOENT, "swapon of a missing file: ENOENT");
	ok_sys(sys_swapon(plain, 0), EINVAL, "swapon of a file without a swap header: EINVAL");
	ok_sys(sys_swapon(plain, 0x80000), EINVAL, "swapon with an unknown flag: EINVAL");
	ok_sys(sys_swapon(NULL, 0x80000), EINVAL, "flags are checked before the path: EINVAL");
	ok_sys(sys_swapon("/", 0), EISDIR, "swapon of a directory: EISDIR");
	memset(longpath, 'a', sizeof(longpath) - 1);
	ok_sys(sys_swapon(longpath, 0), ENAMETOOLONG, "swapon of a 4999-byte path: ENAMETOOLONG");

	ok_sys(sys_swapoff(NULL), EFAULT, "swapoff(NULL): EFAULT");
	ok_sys(sys_swapoff("/no/such/file"), ENOENT, "swapoff of a missing file: ENOENT");
	ok_sys(sys_swapoff(plain), EINVAL, "swapoff of a file that is no swap area: EINVAL");
	ok_sys(sys_swapoff("/"), EISDIR, "swapoff of a directory: EISDIR");

	int status = run_in_child(as_nobody, (void *)plain);
	ok_exited_with(status, 0, "without root's rights both calls give EPERM");
	unlink(plain);

	/* memcore's figures: ENOSYS on Linux, so both results pass. */
	struct memcore_swap_stats st;
	long r = syscall(MEMCORE_SYS_swap_stats, NULL);
	ok(r == -1 && (errno == EFAULT || errno == ENOSYS), "swap_stats(NULL): EFAULT (ENOSYS on Linux)");
	r = syscall(MEMCORE_SYS_swap_stats, &st);
	ok((r == -1 && errno == ENOSYS) || (r == 0 && st.slots_used <= st.slots_total),
	   "swap_stats: slots in use within the total (ENOSYS on Linux)");
	return done_testing();
}
