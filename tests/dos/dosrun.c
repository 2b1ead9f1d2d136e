/*
 * dosrun: runs a real-mode .COM program in a DOS box (memcore's i386 kernel,
 * virtual-8086 mode): the process becomes a box (dos_init), the program is
 * loaded at its PSP:0100h as DOS loads a .COM (CS = DS = ES = SS = the PSP,
 * SP at the top of its block or FFFEh, a 0 word there, so RET reaches the
 * INT 20h at PSP:0000h)
 * and dos_run() runs it. The program prints through INT 21h to descriptor
 * 1; dosrun exits with its exit code, or says why it stopped and exits 126
 * (127: no DOS box here). With SECONDS, a SIGALRM from a child then interrupts it: dos_run
 * returns -EINTR to the handler's caller and dosrun exits 125.
 *
 *   dosrun PROG.COM [SECONDS]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memcore/dos.h>

#define COM_MAX	(0x10000 - 0x100 - 2)	/* a .COM fills its segment at most */

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	static unsigned char code[COM_MAX + 1];
	struct dos_regs r = { .eax = 0x6200 };	/* get the PSP */
	struct dos_v86 st;
	unsigned char *psp;
	uint32_t top;
	size_t n;
	FILE *f;
	int ret;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: dosrun PROG.COM [SECONDS]\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "dosrun: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	n = fread(code, 1, sizeof(code), f);
	fclose(f);
	if (n > COM_MAX) {
		fprintf(stderr, "dosrun: %s: larger than a .COM program can be\n", argv[1]);
		return 2;
	}
	ret = dos_init(NULL);
	if (ret || dos_int(0x21, &r)) {
		fprintf(stderr, "dosrun: no DOS box here (%s)\n", strerror(-ret));
		return 127;
	}
	psp = (unsigned char *)(uintptr_t)((r.ebx & 0xffff) << 4);
	psp[0] = 0xcd, psp[1] = 0x20;		/* INT 20h */
	psp[0x80] = 0, psp[0x81] = 0x0d;	/* an empty command tail */
	memcpy(psp + 0x100, code, n);
	/* The block's size is in its MCB, the paragraph below the PSP. */
	top = (uint32_t)(psp[-16 + 3] | psp[-16 + 4] << 8) * 16;
	top = (top > 0x10000 ? 0x10000 : top) - 2;
	psp[top] = psp[top + 1] = 0;
	memset(&st, 0, sizeof(st));
	st.r.ds = st.r.es = st.cs = st.ss = (uint16_t)(r.ebx & 0xffff);
	st.ip = 0x100;
	st.sp = (uint16_t)top;
	if (argc == 3) {
		struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
		pid_t parent = getpid();

		sigaction(SIGALRM, &sa, NULL);
		if (fork() == 0) {	/* the alarm: a child that signals after SECONDS */
			sleep((unsigned)atoi(argv[2]));
			kill(parent, SIGALRM);
			_exit(0);
		}
	}
	ret = dos_run(&st);
	if (ret >= DOS_RUN_EXIT)
		return ret & 0xff;
	if (ret == -EINTR) {
		fprintf(stderr, "dosrun: %s interrupted by a signal\n", argv[1]);
		return 125;
	}
	fprintf(stderr, "dosrun: %s stopped at %04x:%04x (bytes %02x %02x %02x %02x, exception %u): %s\n",
		argv[1], st.cs, st.ip, st.code[0], st.code[1], st.code[2], st.code[3],
		(unsigned)st.fault, ret == -ENOSYS ? "not provided by the DOS box" : strerror(-ret));
	return 126;
}
