// SPDX-License-Identifier: MIT
/*
 * linux-init: process 1 of the reference Linux boot (tools/linux-run and
 * the differential tests). A static musl program, alone in the initramfs
 * with the programs it runs.
 *
 * If /init.args exists (NUL-separated words: the program and its
 * arguments), it prints "init: starting PROG", runs it and passes its exit
 * status (128+N if signal N killed it) to QEMU through the isa-debug-exit
 * port, as our kernel does when its process 1 exits.
 *
 * Otherwise it runs every /t_* program in name order, between the markers
 * our kernel's `usertest` mode prints:
 *   # usertest: start /t_name
 *   # usertest: end /t_name status S leaked -1
 * (S is the wait status; Linux is not checked for leaks) and reports the
 * number of programs that failed.
 *
 * Either way it then powers the machine off. First it mounts proc on /proc,
 * as every Linux system has it (our kernel answers /proc paths itself).
 *
 * Before that, for the memory-pressure benchmark: /init.modules (module
 * file names, one a line) are loaded in order with finit_module, and
 * /init.zram ("ALGORITHM BYTES") sets up compressed swap as a distribution
 * would: devtmpfs on /dev, sysfs on /sys, the algorithm
 * written to /sys/block/zram0/comp_algorithm before its disksize, a swap
 * header (version 1, last page, "SWAPSPACE2") in the device's first page,
 * then swapon.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEBUG_EXIT_PORT 0xf4

static void console(void)
{
	int fd;

	if (fcntl(1, F_GETFD) >= 0)
		return;
	mkdir("/dev", 0755);
	mknod("/dev/console", S_IFCHR | 0600, makedev(5, 1));
	fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static _Noreturn void power_off(int code)
{
	fflush(stdout);
	sync();
	if (ioperm(DEBUG_EXIT_PORT, 4, 1) == 0)
		outb((unsigned char)code, DEBUG_EXIT_PORT);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static int run(char *const argv[])
{
	static char *const envp[] = { "PATH=/", "HOME=/", NULL };
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execve(argv[0], argv, envp);
		fprintf(stderr, "init: cannot run %s\n", argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	/* Reap whatever the program left behind: we are their parent now. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return status;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = fd >= 0 ? write(fd, text, strlen(text)) : -1;

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)strlen(text)) {
		printf("init: cannot write \"%s\" to %s\n", text, path);
		return -1;
	}
	return 0;
}

static int load_modules(void)
{
	char list[4096], *save = NULL;
	int fd = open("/init.modules", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, list, sizeof(list) - 1) : -1;

	if (fd < 0)
		return 0;
	close(fd);
	list[n > 0 ? n : 0] = 0;
	for (char *name = strtok_r(list, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
		int mfd = open(name, O_RDONLY);
		if (mfd < 0 || syscall(SYS_finit_module, mfd, "", 0) != 0) {
			printf("init: cannot load module %s\n", name);
			return -1;
		}
		close(mfd);
	}
	return 0;
}

/* The swap header mkswap would write: Linux's union swap_header, version 1. */
static int write_swap_header(const char *dev, unsigned long long bytes)
{
	static unsigned char page[4096];
	unsigned int version = 1, last_page = (unsigned int)(bytes / 4096 - 1);
	int fd = open(dev, O_WRONLY);

	memcpy(page + 1024, &version, 4);
	memcpy(page + 1028, &last_page, 4);
	memcpy(page + 4096 - 10, "SWAPSPACE2", 10);
	if (fd < 0 || write(fd, page, sizeof(page)) != (ssize_t)sizeof(page) || fsync(fd)) {
		printf("init: cannot write the swap header to %s\n", dev);
		return -1;
	}
	close(fd);
	return 0;
}

static int setup_zram(void)
{
	char conf[128], algo[32], size[32];
	int fd = open("/init.zram", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, conf, sizeof(conf) - 1) : -1;

	if (fd < 0)
		return 0;
	close(fd);
	conf[n > 0 ? n : 0] = 0;
	if (sscanf(conf, "%31s %31s", algo, size) != 2)
		return -1;
	mkdir("/sys", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL)) {
		printf("init: cannot mount devtmpfs or sysfs\n");
		return -1;
	}
	if (write_file("/sys/block/zram0/comp_algorithm", algo) ||
	    write_file("/sys/block/zram0/disksize", size) ||
	    write_swap_header("/dev/zram0", strtoull(size, NULL, 0)))
		return -1;
	if (swapon("/dev/zram0", 0)) {
		printf("init: swapon /dev/zram0 failed\n");
		return -1;
	}
	printf("init: swap on /dev/zram0 (%s, %s bytes)\n", algo, size);
	return 0;
}

static int code_of(int status)
{
	if (status < 0)
		return 127;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static int one_program(int fd)
{
	static char buf[65536];
	char *argv[256];
	ssize_t n, len = 0;
	int argc = 0;

	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	for (char *p = buf; p < buf + len && argc < 255; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (!argc)
		return 127;
	printf("init: starting %s\n", argv[0]);
	return code_of(run(argv));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int all_tests(void)
{
	char *names[1024];
	int n = 0, failed = 0;
	struct dirent *e;
	DIR *d = opendir("/");

	while (d && (e = readdir(d)) && n < 1024)
		if (!strncmp(e->d_name, "t_", 2))
			names[n++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	printf("# usertest: %d programs\n", n);
	for (int i = 0; i < n; i++) {
		char path[300];
		char *argv[] = { path, NULL };

		snprintf(path, sizeof(path), "/%s", names[i]);
		printf("# usertest: start %s\n", path);
		int status = run(argv);
		printf("# usertest: end %s status %d leaked -1\n", path, status);
		failed += status != 0;
	}
	return failed;
}

int main(void)
{
	int fd;

	console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir("/proc", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL))
		printf("init: cannot mount proc\n");
	if (load_modules() || setup_zram())
		power_off(126);
	fd = open("/init.args", O_RDONLY);
	power_off(fd >= 0 ? one_program(fd) : all_tests() ? 1 : 0);
}
