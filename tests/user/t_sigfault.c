/*
 * t_sigfault: faults delivered to handlers as signals with Linux's siginfo
 * and ucontext: SIGSEGV (SEGV_MAPERR, SEGV_ACCERR, si_addr), a handler that
 * mprotects and returns (the instruction runs again), SIGFPE, SIGILL,
 * SIGTRAP, a stack overflow caught on an alternate stack, the saved
 * registers and FPU state, a handler that moves RIP, and the cases where a
 * fault kills anyway (blocked, ignored, no room for the frame).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "tap.h"
#include "util.h"

/* The instruction pointer, and the register test_modify_context changes. */
#if ABI64
#define REG_IP REG_RIP
#define REG_SCRATCH REG_RBX
#else
#define REG_IP REG_EIP
#define REG_SCRATCH REG_ESI
#endif

static volatile int hits, got_sig, got_code;
static volatile uintptr_t got_addr, got_rip, got_trapno, got_err, got_cr2;
static char *volatile fix_page;
static sigjmp_buf jb;
static volatile uintptr_t low_addr = 16, null_word = 8;

static void on_fault_fix(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	hits++;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = (uintptr_t)si->si_addr;
	got_rip = uc->uc_mcontext.gregs[REG_IP];
	got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	got_err = uc->uc_mcontext.gregs[REG_ERR];
#if ABI64
	got_cr2 = uc->uc_mcontext.gregs[REG_CR2];
#else
	got_cr2 = uc->uc_mcontext.cr2;		/* i386: after the FPU state pointer */
#endif
	mprotect(fix_page, PAGE, PROT_READ | PROT_WRITE);
}

static void on_fault_jump(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	hits++;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = (uintptr_t)si->si_addr;
	siglongjmp(jb, 1);
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	install_handler(sig, (void *)fn, SA_SIGINFO | flags);
}

static void reset(void)
{
	hits = got_sig = got_code = 0;
	got_addr = got_rip = got_trapno = got_err = got_cr2 = 0;
}

static void test_mprotect_restart(void)
{
	fix_page = map_anon(PAGE, PROT_READ);
	set_handler(SIGSEGV, on_fault_fix, 0);
	reset();
	((volatile char *)fix_page)[100] = 42;	/* faults once; the handler fixes it */
	ok_eq(hits, 1, "write to a read-only page: one SIGSEGV, then the write runs again");
	ok_eq(fix_page[100], 42, "the restarted write stored its value");
	ok_eq(got_code, SEGV_ACCERR, "si_code SEGV_ACCERR for a protection fault");
	ok(got_addr == (uintptr_t)fix_page + 100, "si_addr is the faulting address");
	ok_eq(got_trapno, 14, "uc_mcontext trapno is the page fault vector");
	ok_eq(got_err & 6, 6, "uc_mcontext err: write, user");
	ok(got_cr2 == (uintptr_t)fix_page + 100, "uc_mcontext cr2 is the faulting address");

	/* PROT_NONE: a read faults with ACCERR too. */
	mprotect(fix_page, PAGE, PROT_NONE);
	reset();
	ok_eq(((volatile char *)fix_page)[5], 0, "read of PROT_NONE: handler fixes, read runs again");
	ok_eq(got_code, SEGV_ACCERR, "PROT_NONE read: SEGV_ACCERR");
	ok_eq(got_err & 2, 0, "uc_mcontext err says read");
	munmap(fix_page, PAGE);

	/* Many faults in a row, as a garbage collector's write barrier makes. */
	volatile char *area = map_anon(16 * PAGE, PROT_READ);
	int done = 0;
	reset();
	for (int i = 0; i < 16; i++) {
		fix_page = (char *)area + i * PAGE;
		area[i * PAGE + 7] = (char)i;
		done += area[i * PAGE + 7] == (char)i;
	}
	ok_eq(hits, 16, "16 pages made writable one fault at a time");
	ok_eq(done, 16, "every restarted write landed");
	munmap((void *)area, 16 * PAGE);
	signal(SIGSEGV, SIG_DFL);
}

static void test_maperr(void)
{
	char *volatile p = free_range(1);

	set_handler(SIGSEGV, on_fault_jump, 0);
	reset();
	if (!sigsetjmp(jb, 1))
		*(volatile char *)(p + 8) = 1;
	ok_eq(hits, 1, "write to an unmapped page: SIGSEGV");
	ok_eq(got_code, SEGV_MAPERR, "si_code SEGV_MAPERR for an unmapped address");
	ok(got_addr == (uintptr_t)(p + 8), "si_addr is the unmapped address");
	reset();
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)low_addr;
	ok_eq(got_code, SEGV_MAPERR, "null page read: SEGV_MAPERR");
	ok_eq(got_addr, 16, "null page read: si_addr 16");
	reset();
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)(KERNEL_HALF + 0x1000);
	ok_eq(got_code, SEGV_MAPERR, "kernel address read: SEGV_MAPERR");
	reset();
#if ABI64
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)0x0000900000000000ul;
	ok_eq(got_sig, SIGSEGV, "non-canonical address: SIGSEGV");
	ok_eq(got_code, SI_KERNEL, "non-canonical address: si_code SI_KERNEL (general protection)");
#else
	tap_skip("non-canonical address: SIGSEGV", "i386: every address is canonical");
	tap_skip("non-canonical address: si_code SI_KERNEL (general protection)",
		 "i386: every address is canonical");
#endif
	ok_eq(got_addr, 0, "non-canonical address: si_addr 0");
	signal(SIGSEGV, SIG_DFL);
}

static volatile int zero;

static void do_div0(void)
{
	volatile int x = 7 / zero;
	(void)x;
}
static void do_ud2(void) { __asm__ volatile("ud2"); }
static void do_int3(void) { __asm__ volatile("int3"); }
static void do_hlt(void) { __asm__ volatile("hlt"); }

static const struct trap_case {
	void (*fn)(void);
	int sig, code;
	const char *what;
} trap_cases[] = {
	{ do_div0, SIGFPE, FPE_INTDIV, "integer division by zero: SIGFPE, FPE_INTDIV" },
	{ do_ud2, SIGILL, ILL_ILLOPN, "ud2: SIGILL, ILL_ILLOPN" },
	{ do_int3, SIGTRAP, SI_KERNEL, "int3: SIGTRAP, SI_KERNEL" },
	{ do_hlt, SIGSEGV, SI_KERNEL, "hlt in user mode: SIGSEGV, SI_KERNEL" },
};

static void test_other_traps(void)
{
	for (unsigned i = 0; i < sizeof(trap_cases) / sizeof(trap_cases[0]); i++) {
		const struct trap_case *c = &trap_cases[i];
		set_handler(c->sig, on_fault_jump, 0);
		reset();
		if (!sigsetjmp(jb, 1))
			c->fn();
		ok(got_sig == c->sig && got_code == c->code, "%s", c->what);
		if (c->code != SI_KERNEL)
			ok(got_addr != 0, "%s: si_addr is the instruction", c->what);
		signal(c->sig, SIG_DFL);
	}
}

/* A file mapping longer than the file: past the end is SIGBUS, BUS_ADRERR. */
static void test_sigbus(void)
{
	mkdir("/tmp", 01777);
	int fd = open("/tmp/t_sigfault.bus", O_CREAT | O_TRUNC | O_RDWR, 0600);
	char *volatile p;

	ok(fd >= 0 && write(fd, "bus", 3) == 3, "a 3-byte file in /tmp");
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED, "mapped two pages of it");
	set_handler(SIGBUS, on_fault_jump, 0);
	reset();
	if (!sigsetjmp(jb, 1))
		(void)((volatile char *)p)[PAGE + 10];
	ok_eq(got_sig, SIGBUS, "reading the page past the end: SIGBUS to the handler");
	ok_eq(got_code, BUS_ADRERR, "si_code BUS_ADRERR");
	ok(got_addr == (uintptr_t)p + PAGE + 10, "si_addr is the address read");
	ok_eq(p[1], 'u', "the page with the file's bytes reads fine");
	signal(SIGBUS, SIG_DFL);
	munmap(p, 2 * PAGE);
	close(fd);
	unlink("/tmp/t_sigfault.bus");
}

/* The handler skips the faulting instruction by moving RIP (ud2 is 2 bytes). */
static void on_ill_skip(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	(void)si;
	hits++;
	uc->uc_mcontext.gregs[REG_IP] += 2;
	uc->uc_mcontext.gregs[REG_SCRATCH] = 0x1234;
}

static void test_modify_context(void)
{
	long rbx = 0;

	set_handler(SIGILL, on_ill_skip, 0);
	reset();
#if ABI64
	__asm__ volatile("xor %%ebx, %%ebx; ud2; mov %%rbx, %0" : "=r"(rbx) : : "rbx");
#else
	__asm__ volatile("xor %%esi, %%esi; ud2; mov %%esi, %0" : "=r"(rbx) : : "esi");
#endif
	ok_eq(hits, 1, "handler ran for ud2");
	ok_eq(rbx, 0x1234, "registers changed in uc_mcontext are restored by sigreturn");
	signal(SIGILL, SIG_DFL);
}

/* FPU: the handler may use SSE freely; the interrupted code's state comes back. */
static void on_usr1_fpu(int sig)
{
	volatile double d = 3.0;
	unsigned mxcsr;

	(void)sig;
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	got_code = (int)mxcsr;
	d = d * 7.0;
	__asm__ volatile("movsd %0, %%xmm0; movsd %0, %%xmm7" : : "m"(d) : "xmm0", "xmm7");
	hits++;
}

static void test_fpu(void)
{
	double in = 1.5, out = 0;
	unsigned mx = 0x1f80 | (1u << 13), mx_after = 0;	/* round down */

	signal(SIGUSR1, on_usr1_fpu);
	reset();
#if ABI64
	__asm__ volatile("ldmxcsr %3\n\t"
			 "movsd %2, %%xmm7\n\t"
			 "mov $62, %%eax\n\t"		/* kill(getpid(), SIGUSR1) */
			 "mov %4, %%edi\n\t"
			 "mov $10, %%esi\n\t"
			 "syscall\n\t"
			 "movsd %%xmm7, %0\n\t"
			 "stmxcsr %1"
			 : "=m"(out), "=m"(mx_after)
			 : "m"(in), "m"(mx), "r"(getpid())
			 : "rax", "rdi", "rsi", "rcx", "r11", "xmm7", "memory");
#else
	long nr = 37;		/* i386 kill(getpid(), SIGUSR1) */
	__asm__ volatile("ldmxcsr %4\n\t"
			 "movsd %3, %%xmm7\n\t"
			 "int $0x80\n\t"
			 "movsd %%xmm7, %0\n\t"
			 "stmxcsr %1"
			 : "=m"(out), "=m"(mx_after), "+a"(nr)
			 : "m"(in), "m"(mx), "b"(getpid()), "c"(10)
			 : "xmm7", "memory");
#endif
	unsigned dflt = 0x1f80;
	__asm__ volatile("ldmxcsr %0" : : "m"(dflt));
	ok_eq(hits, 1, "SIGUSR1 handler ran at the return from kill");
	ok(out == 1.5, "xmm7 of the interrupted code survives a handler that used it");
	ok_eq(mx_after, mx, "MXCSR of the interrupted code survives");
	ok_eq(got_code & 0xffbf, 0x1f80, "the handler starts with a default MXCSR");
	signal(SIGUSR1, SIG_DFL);
}

/* Stack overflow: recursion until the stack ends, caught on an alternate stack. */
static volatile int depth;
static volatile uintptr_t handler_sp;

static void on_overflow(int sig, siginfo_t *si, void *ctx)
{
	volatile char here;

	(void)ctx;
	hits++;
	got_sig = sig;
	got_code = si->si_code;
	handler_sp = (uintptr_t)&here;
	siglongjmp(jb, 1);
}

static volatile int forever = 1;

static int recurse(int n)
{
	volatile char buf[1024];

	buf[0] = (char)n;
	depth = n;
	return (forever ? recurse(n + 1) : 0) + buf[0];
}

static void overflow_child(void *arg)
{
	(void)arg;
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 };
	if (sigaltstack(&ss, NULL))
		_exit(10);
	set_handler(SIGSEGV, on_overflow, SA_ONSTACK);
	reset();
	if (!sigsetjmp(jb, 1))
		recurse(0);
	if (hits != 1 || got_sig != SIGSEGV)
		_exit(11);
	if (handler_sp < (uintptr_t)altstack || handler_sp >= (uintptr_t)altstack + sizeof(altstack))
		_exit(12);
	if (depth < 100)
		_exit(13);
	_exit(got_code == SEGV_MAPERR || got_code == SEGV_ACCERR ? 0 : 14);
}

static void overflow_no_altstack(void *arg)
{
	(void)arg;
	set_handler(SIGSEGV, on_overflow, SA_ONSTACK);	/* but no stack set */
	recurse(0);
}

/* SS_AUTODISARM: the stack is disarmed while the handler runs on it, and back after. */
static volatile int alt_flags_in_handler = -1;
static volatile uintptr_t alt_sp_in_handler;

static void on_usr1_alt(int sig)
{
	stack_t cur;
	volatile char here;

	(void)sig;
	alt_sp_in_handler = (uintptr_t)&here;
	sigaltstack(NULL, &cur);
	alt_flags_in_handler = cur.ss_flags;
}

static void test_altstack_flags(void)
{
	static char stk[32 * 1024];
	stack_t ss = { .ss_sp = stk, .ss_size = sizeof(stk), .ss_flags = 0 }, cur;

	sigaltstack(&ss, NULL);
	install_handler(SIGUSR1, (void *)on_usr1_alt, SA_ONSTACK);
	raise(SIGUSR1);
	ok(alt_sp_in_handler >= (uintptr_t)stk && alt_sp_in_handler < (uintptr_t)stk + sizeof(stk),
	   "SA_ONSTACK: the handler runs on the alternate stack");
	ok_eq(alt_flags_in_handler, SS_ONSTACK, "sigaltstack in the handler says SS_ONSTACK");
	ss.ss_flags = SS_AUTODISARM;	/* musl refuses SS_ONSTACK */
	ok_eq(sigaltstack(&ss, NULL), 0, "SS_AUTODISARM accepted");
	raise(SIGUSR1);
	ok_eq(alt_flags_in_handler, SS_DISABLE, "SS_AUTODISARM: disarmed inside the handler");
	sigaltstack(NULL, &cur);
	/*
	 * rt_sigreturn re-arms it from the frame's uc_stack. On i386 musl returns
	 * from a handler without SA_SIGINFO through the old sigreturn, whose
	 * frame records no stack: Linux leaves it disarmed.
	 */
	if (ABI64)
		ok(cur.ss_sp == stk && (cur.ss_flags & SS_AUTODISARM),
		   "and armed again after sigreturn (i386: still disarmed)");
	else
		ok(cur.ss_flags == SS_DISABLE, "and armed again after sigreturn (i386: still disarmed)");
	ok_eq(sigaltstack(&ss, NULL), 0, "SS_AUTODISARM again");
	install_handler(SIGUSR1, (void *)on_usr1_alt, SA_ONSTACK | SA_SIGINFO);
	raise(SIGUSR1);
	ok_eq(alt_flags_in_handler, SS_DISABLE, "SA_SIGINFO handler: disarmed inside it");
	sigaltstack(NULL, &cur);
	ok(cur.ss_sp == stk && (cur.ss_flags & SS_AUTODISARM),
	   "SA_SIGINFO handler: armed again after rt_sigreturn");
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	raise(SIGUSR1);
	ok(alt_sp_in_handler < (uintptr_t)stk || alt_sp_in_handler >= (uintptr_t)stk + sizeof(stk),
	   "with the stack disabled, SA_ONSTACK handlers run on the normal stack");
	signal(SIGUSR1, SIG_DFL);
}

static void on_usr2_eperm(int sig)
{
	stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0 };

	(void)sig;
	errno = 0;
	got_code = sigaltstack(&ss, NULL) == -1 ? errno : 0;
}

static void test_altstack_eperm(void)
{
	static char stk[32 * 1024];
	stack_t ss = { .ss_sp = stk, .ss_size = sizeof(stk), .ss_flags = 0 };

	sigaltstack(&ss, NULL);
	install_handler(SIGUSR2, (void *)on_usr2_eperm, SA_ONSTACK);
	reset();
	raise(SIGUSR2);
	ok_eq(got_code, EPERM, "changing the alternate stack while running on it: EPERM");
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	signal(SIGUSR2, SIG_DFL);
}

static void test_stack_overflow(void)
{
	ok_exited_with(run_in_child(overflow_child, NULL), 0,
		       "stack overflow: handler runs on the alternate stack, longjmps out");
	ok_killed_by(run_in_child(overflow_no_altstack, NULL), SIGSEGV,
		     "stack overflow without an alternate stack: no room for a frame, killed");
}

/* Faults a handler cannot take: blocked or ignored SIGSEGV still kills. */
static void fault_blocked(void *arg)
{
	(void)arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	sigprocmask(SIG_BLOCK, &s, NULL);
	set_handler(SIGSEGV, on_fault_jump, 0);
	*(volatile int *)null_word = 1;
}

static void fault_ignored(void *arg)
{
	(void)arg;
	signal(SIGSEGV, SIG_IGN);
	*(volatile int *)null_word = 1;
}

static void on_fault_return(int sig)
{
	(void)sig;
	hits++;
	if (hits > 3)
		signal(SIGSEGV, SIG_DFL);
}

static void fault_returns(void *arg)
{
	(void)arg;
	signal(SIGSEGV, on_fault_return);
	*(volatile int *)null_word = 1;		/* faults again after each return */
	_exit(1);
}

static void fault_resethand(void *arg)
{
	(void)arg;
	set_handler(SIGSEGV, on_fault_fix, SA_RESETHAND);
	fix_page = free_range(1);	/* the mprotect fails: the fault repeats */
	*(volatile int *)fix_page = 1;
	_exit(1);
}

static void no_restorer(void *arg)
{
	(void)arg;
	/* Raw rt_sigaction without SA_RESTORER: x86_64 cannot build a frame. */
	struct { void *h; unsigned long flags; void *restorer; unsigned long mask; } ka = {
		(void *)on_fault_return, 0, NULL, 0 };
	syscall(SYS_rt_sigaction, SIGUSR2, &ka, NULL, 8);
	kill(getpid(), SIGUSR2);
	_exit(1);
}

static void bad_sigreturn_frame(void *arg)
{
	(void)arg;
	/* rt_sigreturn with a stack that holds no frame: SIGSEGV. */
#if ABI64
	__asm__ volatile("mov $8, %%rsp; mov $15, %%eax; syscall" : : : "memory");
#else
	__asm__ volatile("mov $8, %%esp; mov $173, %%eax; int $0x80" : : : "memory");
#endif
	_exit(1);
}

static void test_fatal(void)
{
	ok_killed_by(run_in_child(fault_blocked, NULL), SIGSEGV, "fault with SIGSEGV blocked: killed");
	ok_killed_by(run_in_child(fault_ignored, NULL), SIGSEGV, "fault with SIGSEGV ignored: killed");
	ok_killed_by(run_in_child(fault_returns, NULL), SIGSEGV,
		     "handler returning without a fix: the fault repeats until SIG_DFL");
	ok_killed_by(run_in_child(fault_resethand, NULL), SIGSEGV,
		     "SA_RESETHAND: the second fault takes the default action");
#if ABI64
	ok_killed_by(run_in_child(no_restorer, NULL), SIGSEGV, "handler without SA_RESTORER: SIGSEGV");
#else
	(void)no_restorer;
	tap_skip("handler without SA_RESTORER: SIGSEGV",
		 "i386: Linux returns through its vDSO's sigreturn instead");
#endif
	ok_killed_by(run_in_child(bad_sigreturn_frame, NULL), SIGSEGV,
		     "rt_sigreturn with an unreadable frame: SIGSEGV");
}

int main(void)
{
	test_mprotect_restart();
	test_maperr();
	test_other_traps();
	test_modify_context();
	test_fpu();
	test_sigbus();
	test_altstack_flags();
	test_altstack_eperm();
	test_stack_overflow();
	test_fatal();
	return done_testing();
}
