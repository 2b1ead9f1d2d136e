/*
 * t_xstate: the extended FPU state. On x86_64 with XSAVE the signal frame's
 * FP state is Linux's XSAVE image: _fpx_sw_bytes in the legacy area's
 * software bytes (magic1, sizes, XCR0), the header, the components at
 * CPUID 0xD's offsets and MAGIC2 after them. A handler finds PKRU there
 * (the interrupted code's), changes it and the interrupted code gets the
 * new rights; rt_sigreturn without the magics loads only the legacy area
 * and puts the rest (PKRU too) in its init state, a header XRSTOR refuses
 * is SIGSEGV; a handler's frame does not fit a MINSIGSTKSZ alternate
 * stack. On both ABIs: AT_MINSIGSTKSZ is Linux's bound for this CPU's
 * xstate (the i386 frame header, the fsave header, the XSAVE image of the
 * user components the CPU has, MAGIC2, alignment) and an alternate stack
 * of exactly that size, a guard page below, takes a handler's frame;
 * xmm registers survive a handler that clobbers them
 * and task switches between processes and threads; with AVX the ymm upper
 * halves too, and a handler sees and edits them in the frame.
 */
#define _GNU_SOURCE
#include "pkru_util.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/auxv.h>
#include <ucontext.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ	51
#endif

#define FXSAVE_SIZE	512
#define SW_BYTES	464
#define MAGIC1		0x46505853u
#define MAGIC2		0x46505845u
#define XF_FPSSE	0x3ull
#define XF_AVX		0x4ull
#define XF_PKRU		(1ull << 9)

#if ABI64
#define NXMM 16
#else
#define NXMM 8
#endif

static bool cpu_xsave, xsave_frames, avx, pku;
static uint64_t xcr0;
static unsigned xstate_size, pkru_off, avx_off;

static void cpuid_(unsigned leaf, unsigned sub, unsigned r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static uint64_t xgetbv0(void)
{
	unsigned a, d;

	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return (uint64_t)d << 32 | a;
}

static void detect(void)
{
	unsigned r[4];

	cpuid_(1, 0, r);
	cpu_xsave = r[2] >> 26 & 1;
	if (!(r[2] >> 27 & 1))		/* OSXSAVE */
		return;
	xcr0 = xgetbv0();
	avx = ABI64 && (r[2] >> 28 & 1) && (xcr0 & 6) == 6;
	xsave_frames = ABI64;		/* i386 frames: the kernels' layouts differ */
	cpuid_(0xd, 0, r);
	xstate_size = r[1];
	cpuid_(0xd, 2, r);
	avx_off = r[1];
	cpuid_(7, 0, r);
	pku = ABI64 && (r[2] >> 4 & 1) && (xcr0 & XF_PKRU);	/* OSPKE */
	cpuid_(0xd, 9, r);
	pkru_off = r[1];
}

/* --- Registers around system calls ---------------------------------------- */

/* Load the vector registers from in, make nr(a1, a2) n times, store them to out. */
struct around {
	const void *in;
	void *out;
	long nr, a1, a2, n;
};

#define X8(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)
#define X16(op) X8(op) op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define XLOAD(i) "movdqu " #i "*16(%%rdx), %%xmm" #i "\n\t"
#define XSTORE(i) "movdqu %%xmm" #i ", " #i "*16(%%rdx)\n\t"
#define YLOAD(i) "vmovdqu " #i "*32(%%rdx), %%ymm" #i "\n\t"
#define YSTORE(i) "vmovdqu %%ymm" #i ", " #i "*32(%%rdx)\n\t"
#define XLOAD32(i) "movdqu " #i "*16(%%edx), %%xmm" #i "\n\t"
#define XSTORE32(i) "movdqu %%xmm" #i ", " #i "*16(%%edx)\n\t"

#if ABI64
#define SYSCALL_LOOP \
	"1: mov 16(%%rbx), %%rax; mov 24(%%rbx), %%rdi; mov 32(%%rbx), %%rsi\n\t" \
	"syscall\n\tdecq 40(%%rbx)\n\tjnz 1b\n\t"
#define AROUND_CLOBBERS "rax", "rcx", "rdx", "rdi", "rsi", "r11", "memory", \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
	"xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static void xmm_around(struct around *a)
{
	__asm__ volatile("mov 0(%%rbx), %%rdx\n\t" X16(XLOAD) SYSCALL_LOOP
			 "mov 8(%%rbx), %%rdx\n\t" X16(XSTORE)
			 : : "b"(a) : AROUND_CLOBBERS);
}

static void ymm_around(struct around *a)
{
	__asm__ volatile("mov 0(%%rbx), %%rdx\n\t" X16(YLOAD) SYSCALL_LOOP
			 "mov 8(%%rbx), %%rdx\n\t" X16(YSTORE) "vzeroupper\n\t"
			 : : "b"(a) : AROUND_CLOBBERS);
}

static void clobber_vectors(void)
{
	if (avx)
		__asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
				 "vmovdqa %%ymm0, %%ymm1; vmovdqa %%ymm0, %%ymm5\n\t"
				 "vmovdqa %%ymm0, %%ymm9; vmovdqa %%ymm0, %%ymm15\n\t"
				 "vzeroupper" : : : "xmm0", "xmm1", "xmm5", "xmm9", "xmm15");
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0; movdqa %%xmm0, %%xmm3\n\t"
			 "movdqa %%xmm0, %%xmm7; movdqa %%xmm0, %%xmm8; movdqa %%xmm0, %%xmm15"
			 : : : "xmm0", "xmm3", "xmm7", "xmm8", "xmm15");
}
#else
static void xmm_around(struct around *a)
{
	__asm__ volatile("mov 0(%%esi), %%edx\n\t" X8(XLOAD32)
			 "1: mov 8(%%esi), %%eax; mov 12(%%esi), %%ebx; mov 16(%%esi), %%ecx\n\t"
			 "int $0x80\n\tdecl 20(%%esi)\n\tjnz 1b\n\t"
			 "mov 4(%%esi), %%edx\n\t" X8(XSTORE32)
			 : : "S"(a) : "eax", "ebx", "ecx", "edx", "memory", "xmm0", "xmm1",
			   "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
}

static void ymm_around(struct around *a)
{
	(void)a;
}

static void clobber_vectors(void)
{
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0; movdqa %%xmm0, %%xmm3; movdqa %%xmm0, %%xmm7"
			 : : : "xmm0", "xmm3", "xmm7");
}
#endif

static void fill_seed(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 37u + i * 11u + 1u);
}

/* The vector registers (ymm: @wide) hold their values across @n calls of nr(a1, a2). */
static bool vectors_kept(bool wide, unsigned seed, long nr, long a1, long a2, long n)
{
	uint8_t in[16 * 32], out[16 * 32];
	size_t len = wide ? 16 * 32 : NXMM * 16;
	struct around a = { in, out, nr, a1, a2, n };

	fill_seed(in, len, seed);
	memset(out, 0, sizeof(out));
	if (wide)
		ymm_around(&a);
	else
		xmm_around(&a);
	return memcmp(in, out, len) == 0;
}

/* --- Handlers ------------------------------------------------------------- */

enum edit { LOOK, SET_PKRU, DROP_PKRU_BIT, NO_MAGIC1, NO_MAGIC2, BAD_BV, BAD_HEADER,
	    NULL_FPSTATE, SET_YMM, CLOBBER };

static volatile enum edit edit;
static volatile int seen;
static volatile uint32_t seen_magic1, seen_ext, seen_size, seen_magic2, seen_pkru;
static volatile uint32_t handler_pkru, seen_align;
static volatile uint64_t seen_xfeatures, seen_bv;
static uint8_t seen_ymm_hi[16];
static const unsigned new_pkru = 0x55555550u;

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	(void)sig, (void)si;

	seen++;
	if (edit == CLOBBER || !xsave_frames) {
		clobber_vectors();
		return;
	}
	uint32_t *sw = (uint32_t *)(fp + SW_BYTES);
	uint64_t *bv = (uint64_t *)(fp + FXSAVE_SIZE);

	seen_align = (uint32_t)((uintptr_t)fp & 63);
	seen_magic1 = sw[0];
	seen_ext = sw[1];
	memcpy((void *)&seen_xfeatures, sw + 2, 8);
	seen_size = sw[4];
	seen_bv = *bv;
	if (sw[0] == MAGIC1)
		memcpy((void *)&seen_magic2, fp + sw[4], 4);
	if (pku && (*bv & XF_PKRU))
		memcpy((void *)&seen_pkru, fp + pkru_off, 4);
	if (pku)
		handler_pkru = rdpkru();
	if (avx && (*bv & XF_AVX))
		memcpy(seen_ymm_hi, fp + avx_off + 16 * 5, 16);	/* ymm5's upper half */
	switch (edit) {
	case SET_PKRU:
		memcpy(fp + pkru_off, &new_pkru, 4);
		break;
	case DROP_PKRU_BIT:
		*bv &= ~XF_PKRU;
		break;
	case NO_MAGIC1:
		sw[0] = 0;
		break;
	case NO_MAGIC2:
		memset(fp + sw[4], 0, 4);
		break;
	case BAD_BV:
		for (int b = 0; b < 63; b++)
			if (!(xcr0 >> b & 1)) {
				*bv |= 1ull << b;
				break;
			}
		break;
	case BAD_HEADER:
		bv[1] = 1;		/* XCOMP_BV of a standard-format image */
		break;
	case NULL_FPSTATE:
		uc->uc_mcontext.fpregs = NULL;
		break;
	case SET_YMM:
		*bv |= XF_AVX;
		memset(fp + avx_off + 16 * 5, 0x5a, 16);
		break;
	default:
		break;
	}
	clobber_vectors();
}

/* Raise SIGUSR1 with xmm/ymm (@wide) loaded; are they what the interrupted code had? */
static bool signal_keeps(bool wide, unsigned seed)
{
	return vectors_kept(wide, seed, SYS_kill, getpid(), SIGUSR1, 1);
}

static uint8_t ymm5_hi_after(void)
{
	uint8_t in[16 * 32], out[16 * 32];
	struct around a = { in, out, SYS_kill, getpid(), SIGUSR1, 1 };

	fill_seed(in, sizeof(in), 7);
	memset(out, 0, sizeof(out));
	ymm_around(&a);
	return out[5 * 32 + 16];
}

static void set_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
}

/* --- Tests ---------------------------------------------------------------- */

static void test_frame_layout(void)
{
	const char *n1 = "fpstate is 64-byte aligned";
	const char *n2 = "_fpx_sw_bytes: magic1, xstate_size from CPUID 0xD, extended_size + 4, xfeatures = XCR0";
	const char *n3 = "MAGIC2 right after xstate_size bytes; xstate_bv has x87|SSE, nothing outside XCR0";

	if (ABI64)
		ok(!cpu_xsave || xsave_frames, "the kernel enables XSAVE (CR4.OSXSAVE) where the CPU has it");
	else
		tap_skip("the kernel enables XSAVE (CR4.OSXSAVE) where the CPU has it", "i386");
	if (!xsave_frames) {
		tap_skip(n1, "no XSAVE frames here");
		tap_skip(n2, "no XSAVE frames here");
		tap_skip(n3, "no XSAVE frames here");
		return;
	}
	edit = LOOK;
	raise(SIGUSR1);
	ok_eq(seen_align, 0u, "%s", n1);
	ok(seen_magic1 == MAGIC1 && seen_size == xstate_size && seen_ext == xstate_size + 4 &&
	   seen_xfeatures == xcr0, "%s", n2);
	if (seen_magic1 != MAGIC1)
		diag("magic1 %#x size %u ext %u xfeatures %#llx", seen_magic1, seen_size, seen_ext,
		     (unsigned long long)seen_xfeatures);
	ok(seen_magic2 == MAGIC2 && (seen_bv & XF_FPSSE) == XF_FPSSE && !(seen_bv & ~xcr0), "%s", n3);
}

/* PKRU edits: @e in the handler, interrupted PKRU @before; the PKRU after the return. */
static unsigned pkru_after(enum edit e, unsigned before)
{
	unsigned after;

	edit = e;
	seen_pkru = 0xdeadbeef;
	wrpkru(before);
	raise(SIGUSR1);
	after = rdpkru();
	wrpkru(0x55555554u);
	return after;
}

static void test_pkru(void)
{
	const char *names[] = {
		"the frame's PKRU (xstate_bv bit 9, CPUID 0xD offset) is the interrupted code's",
		"the handler runs with Linux's default PKRU",
		"a handler's new PKRU in the frame is the interrupted code's after return",
		"xstate_bv without PKRU's bit: PKRU returns in its init state (0)",
		"no magic1: only the legacy area, PKRU 0",
		"no MAGIC2: only the legacy area, PKRU 0",
		"no FP state in the frame: the default PKRU",
	};
	const unsigned before = 0x55555540u;

	if (!pku) {
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			tap_skip(names[i], "no protection keys");
		return;
	}
	unsigned got = pkru_after(LOOK, before);
	ok(seen_pkru == before && got == before, "%s", names[0]);
	ok_eq(handler_pkru, 0x55555554u, "%s", names[1]);
	ok_eq(pkru_after(SET_PKRU, before), new_pkru, "%s", names[2]);
	ok_eq(pkru_after(DROP_PKRU_BIT, before), 0u, "%s", names[3]);
	ok_eq(pkru_after(NO_MAGIC1, before), 0u, "%s", names[4]);
	ok_eq(pkru_after(NO_MAGIC2, before), 0u, "%s", names[5]);
	ok_eq(pkru_after(NULL_FPSTATE, before), 0x55555554u, "%s", names[6]);
}

static void bad_frame_child(void *arg)
{
	edit = (enum edit)(uintptr_t)arg;
	raise(SIGUSR1);
	_exit(0);
}

static void test_bad_frames(void)
{
	const char *n1 = "xstate_bv with a bit outside XCR0: rt_sigreturn is SIGSEGV";
	const char *n2 = "a non-zero XCOMP_BV in the header: SIGSEGV";
	const char *n3 = "no magic1: xmm registers still come back from the legacy area";

	if (!xsave_frames) {
		tap_skip(n1, "no XSAVE frames here");
		tap_skip(n2, "no XSAVE frames here");
		tap_skip(n3, "no XSAVE frames here");
		return;
	}
	ok_killed_by(run_in_child(bad_frame_child, (void *)(uintptr_t)BAD_BV), SIGSEGV, "%s", n1);
	ok_killed_by(run_in_child(bad_frame_child, (void *)(uintptr_t)BAD_HEADER), SIGSEGV, "%s", n2);
	edit = NO_MAGIC1;
	ok(signal_keeps(false, 3), "%s", n3);
}

static void test_signal_vectors(void)
{
	const char *n1 = "ymm upper halves survive a handler that clobbers them";
	const char *n2 = "the handler finds ymm5's upper half in the frame's AVX component";
	const char *n3 = "an upper half the handler writes in the frame is ymm5's after return";

	edit = CLOBBER;
	ok(signal_keeps(false, 1), "xmm registers survive a handler that clobbers them");
	edit = LOOK;
	ok(signal_keeps(false, 2), "xmm registers survive a handler that reads the frame");
	if (!avx) {
		tap_skip(n1, "no AVX");
		tap_skip(n2, "no AVX");
		tap_skip(n3, "no AVX");
		return;
	}
	edit = CLOBBER;
	ok(signal_keeps(true, 4), "%s", n1);
	uint8_t want[16 * 32];
	fill_seed(want, sizeof(want), 7);
	edit = LOOK;
	memset(seen_ymm_hi, 0, sizeof(seen_ymm_hi));
	ymm5_hi_after();
	ok(memcmp(seen_ymm_hi, want + 5 * 32 + 16, 16) == 0, "%s", n2);
	edit = SET_YMM;
	ok_eq(ymm5_hi_after(), 0x5a, "%s", n3);
}

/* --- Task switches ------------------------------------------------------------ */

#define WORKERS 3
#define YIELDS 3000

static void *worker(void *arg)
{
	uintptr_t seed = (uintptr_t)arg;
	bool wide = seed & 1;

	return (void *)(uintptr_t)vectors_kept(wide, (unsigned)seed, SYS_sched_yield, 0, 0, YIELDS);
}

static int run_workers_in_processes(bool wide)
{
	pid_t pids[WORKERS];
	int good = 0;

	fflush(stdout);
	for (int i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(worker((void *)(uintptr_t)(10 + 2 * i + wide)) ? 0 : 1);
	}
	good += worker((void *)(uintptr_t)(20 + wide)) != NULL;
	for (int i = 0; i < WORKERS; i++) {
		int st;
		if (pids[i] > 0 && waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			good++;
	}
	return good;
}

static int run_workers_in_threads(bool wide)
{
	pthread_t th[WORKERS];
	int good = 0;

	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(30 + 2 * i + wide)))
			return -1;
	good += worker((void *)(uintptr_t)(40 + wide)) != NULL;
	for (int i = 0; i < WORKERS; i++) {
		void *r;
		pthread_join(th[i], &r);
		good += r != NULL;
	}
	return good;
}

static void test_switches(void)
{
	const char *n1 = "ymm registers of 4 processes survive task switches";
	const char *n2 = "ymm registers of 4 threads survive task switches";

	ok_eq(run_workers_in_processes(false), WORKERS + 1,
	      "xmm registers of 4 processes survive task switches");
	ok_eq(run_workers_in_threads(false), WORKERS + 1,
	      "xmm registers of 4 threads survive task switches");
	if (!avx) {
		tap_skip(n1, "no AVX");
		tap_skip(n2, "no AVX");
		return;
	}
	ok_eq(run_workers_in_processes(true), WORKERS + 1, "%s", n1);
	ok_eq(run_workers_in_threads(true), WORKERS + 1, "%s", n2);
}

/* --- The alternate stack ------------------------------------------------------ */

static void on_alt(int sig)
{
	(void)sig;
	seen++;
}

/* Raises SIGUSR2 for @handler on the alternate stack [@sp, @sp + @size): how often it ran. */
static int run_on_altstack(void *sp, size_t size, void (*handler)(int))
{
	stack_t ss = { .ss_sp = sp, .ss_size = size };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	if (sigaltstack(&ss, NULL) || sigaction(SIGUSR2, &sa, NULL))
		_exit(2);
	seen = 0;
	raise(SIGUSR2);
	return seen;
}

static void alt_child(void *arg)
{
	size_t size = (size_t)(uintptr_t)arg;

	_exit(run_on_altstack(map_anon(size, PROT_READ | PROT_WRITE), size, on_alt) == 1 ? 0 : 1);
}

/* Linux's user components: x87 .. AVX-512, MPX, PKRU (if the CPU has PKU), AMX tiles. */
#define LINUX_USER_XF	0x602ffull
#define XSAVE_LEGACY	(FXSAVE_SIZE + 64)

/* The standard-format XSAVE image of Linux's user components on this CPU. */
static unsigned linux_xstate_size(void)
{
	unsigned r[4], size = XSAVE_LEGACY;

	cpuid_(0xd, 0, r);
	uint64_t mask = (r[0] | (uint64_t)r[3] << 32) & LINUX_USER_XF;
	cpuid_(7, 0, r);
	if (!(r[2] >> 3 & 1))		/* PKU */
		mask &= ~XF_PKRU;
	for (unsigned i = 2; i < 64; i++) {
		if (mask >> i & 1) {
			cpuid_(0xd, i, r);
			size = r[1] + r[0] > size ? r[1] + r[0] : size;
		}
	}
	return size;
}

/*
 * init_sigframe_size()'s sum: i386's sigframe (732 bytes), 15 bytes of
 * alignment, the fsave header (112), the image with MAGIC2 (or FXSAVE's),
 * 63 bytes to align it, rounded up to 16.
 */
static unsigned long linux_minsigstksz(void)
{
	unsigned long fp = cpu_xsave ? linux_xstate_size() + 4 : FXSAVE_SIZE;

	return (732 + 15 + 112 + fp + 63 + 15) & ~15ul;
}

static char *volatile alt_lo, *volatile alt_hi;
static volatile int on_alt_stack;

static void on_alt_exact(int sig)
{
	char here;

	(void)sig;
	on_alt_stack = &here >= alt_lo && &here < alt_hi;
	seen++;
}

/* A stack of @arg bytes with a PROT_NONE page right below it: a frame too big faults. */
static void alt_exact_child(void *arg)
{
	size_t size = (size_t)(uintptr_t)arg, span = (size + PAGE - 1) / PAGE * PAGE;
	char *base = map_anon(PAGE + span, PROT_READ | PROT_WRITE);

	if (mprotect(base, PAGE, PROT_NONE))
		_exit(3);
	alt_lo = base + PAGE;
	alt_hi = alt_lo + size;
	_exit(run_on_altstack(alt_lo, size, on_alt_exact) == 1 && on_alt_stack ? 0 : 1);
}

static void test_minsigstksz(void)
{
	unsigned long min = getauxval(AT_MINSIGSTKSZ);

	ok(min != 0, "AT_MINSIGSTKSZ is in the auxiliary vector");
	ok(min == linux_minsigstksz(), "AT_MINSIGSTKSZ is Linux's bound for this CPU's xstate");
	if (min < MINSIGSTKSZ)
		min = MINSIGSTKSZ;	/* sigaltstack refuses less (ENOMEM) */
	ok_exited_with(run_in_child(alt_exact_child, (void *)(uintptr_t)min), 0,
		       "a handler runs on an alternate stack of exactly AT_MINSIGSTKSZ bytes");
}

static void test_altstack(void)
{
	const char *n1 = "the XSAVE frame does not fit a MINSIGSTKSZ alternate stack: SIGSEGV";

	if (!xsave_frames || xstate_size + 600 < MINSIGSTKSZ) {
		tap_skip(n1, "the frame fits");
	} else {
		ok_killed_by(run_in_child(alt_child, (void *)(uintptr_t)MINSIGSTKSZ), SIGSEGV,
			     "%s", n1);
	}
	ok_exited_with(run_in_child(alt_child, (void *)(uintptr_t)SIGSTKSZ), 0,
		       "a SIGSTKSZ alternate stack takes the frame");
}

int main(void)
{
	detect();
	set_handler();
	test_frame_layout();
	test_pkru();
	test_bad_frames();
	test_signal_vectors();
	test_switches();
	test_altstack();
	test_minsigstksz();
	return done_testing();
}
