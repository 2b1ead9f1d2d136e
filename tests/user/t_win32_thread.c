/*
 * t_win32_thread: memcore only (memcore/win32.h): CreateThread's stacks grow
 * by guard pages as on Windows - reserved whole, the top committed, a
 * PAGE_GUARD page below that moves down a page per touch, the last page
 * never committed, STATUS_STACK_OVERFLOW to the vectored handlers at the
 * end - and WaitForSingleObject / GetExitCodeThread / CloseHandle on thread
 * handles; the main thread's stack grows the same way (from a 1 MiB
 * reservation, STATUS_STACK_OVERFLOW at its end). On Linux the first call
 * fails and the program reports "1..0 # SKIP".
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#include "win32_util.h"

#define KB	1024u

/* The run of pages at @p as VirtualQuery reports it. */
static MEMORY_BASIC_INFORMATION q(const void *p)
{
	MEMORY_BASIC_INFORMATION m = { 0 };

	VirtualQuery(p, &m, sizeof(m));
	return m;
}

/* Bytes of the stack holding @p that are committed, and where its guard page is. */
static SIZE_T committed(const char *p, char **guard)
{
	MEMORY_BASIC_INFORMATION m = q(p);
	char *base = m.AllocationBase;
	SIZE_T n = 0;

	*guard = NULL;
	for (char *c = base; (m = q(c)).AllocationBase == base; c += m.RegionSize) {
		if (m.State == MEM_COMMIT)
			n += m.RegionSize;
		if (m.State == MEM_COMMIT && (m.Protect & PAGE_GUARD))
			*guard = c;
	}
	return n;
}

struct probe {
	char *base;		/* the stack's allocation base */
	SIZE_T size;		/* its reservation */
	SIZE_T before, after;	/* committed bytes before and after using 200 KiB */
	char *guard_before, *guard_after;
	DWORD state, type, aprot;
	int sum;
};

static int __attribute__((noinline)) use(int depth)
{
	volatile char buf[1024];

	buf[0] = (char)depth;
	buf[sizeof(buf) - 1] = 1;
	return depth ? use(depth - 1) + buf[0] + buf[sizeof(buf) - 1] : 0;
}

static DWORD WINAPI grow(LPVOID arg)
{
	struct probe *p = arg;
	char here = 0;
	MEMORY_BASIC_INFORMATION m = q(&here);

	p->base = m.AllocationBase;
	p->state = m.State;
	p->type = m.Type;
	p->aprot = m.AllocationProtect;
	for (char *c = p->base; q(c).AllocationBase == p->base; c += q(c).RegionSize)
		p->size = (SIZE_T)(c + q(c).RegionSize - p->base);
	p->before = committed(&here, &p->guard_before);
	p->sum = use(200);			/* about 200 KiB of stack */
	p->after = committed(&here, &p->guard_after);
	return 7;
}

static volatile int release_it;

static DWORD WINAPI wait_release(LPVOID arg)
{
	(void)arg;
	while (!release_it)
		usleep(1000);
	return 3;
}

static void growth(void)
{
	struct probe p = { 0 };
	DWORD code = 0, tid = 0;
	HANDLE h = CreateThread(NULL, 0, grow, &p, 0, &tid);

	ok(h != NULL, "CreateThread with the default stack");
	ok(WaitForSingleObject(h, INFINITE) == WAIT_OBJECT_0, "WaitForSingleObject(INFINITE)");
	ok(GetExitCodeThread(h, &code) && code == 7, "GetExitCodeThread: the thread's result");
	ok(p.base && p.state == MEM_COMMIT && p.type == MEM_PRIVATE && p.aprot == PAGE_READWRITE,
	   "the stack is a private allocation of its own");
	ok(p.size == 1024 * KB, "1 MiB reserved by default (got %zu KiB)", (size_t)(p.size / KB));
	ok(p.before <= 16 * KB, "little committed at the start (%zu KiB)", (size_t)(p.before / KB));
	ok(p.guard_before && p.guard_after && p.guard_after < p.guard_before - 190 * KB,
	   "the guard page moved down with the stack (%zu KiB)",
	   (size_t)((p.guard_before - p.guard_after) / KB));
	ok(p.after >= p.before + 190 * KB && p.after < 300 * KB,
	   "committed grew with use (%zu KiB)", (size_t)(p.after / KB));
	ok(q(p.base).State == MEM_RESERVE, "the rest stays reserved");
	ok(CloseHandle(h), "CloseHandle of the thread");
	ok(q(p.base).State == MEM_FREE, "the stack is released once the thread ended and its handle closed");
	ok(GetExitCodeThread(h, &code) == FALSE && GetLastError() == ERROR_INVALID_HANDLE,
	   "a closed thread handle: ERROR_INVALID_HANDLE");
}

static void sizes_and_waits(void)
{
	struct probe p = { 0 };
	DWORD code = 0;
	HANDLE h = CreateThread(NULL, 256 * KB, grow, &p, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);

	ok(h && WaitForSingleObject(h, INFINITE) == WAIT_OBJECT_0 && p.size == 256 * KB,
	   "STACK_SIZE_PARAM_IS_A_RESERVATION: 256 KiB reserved (got %zu KiB)",
	   (size_t)(p.size / KB));
	CloseHandle(h);
	h = CreateThread(NULL, 64 * KB, grow, &p, 0, NULL);
	ok(h && WaitForSingleObject(h, INFINITE) == WAIT_OBJECT_0 && p.before >= 64 * KB &&
	   p.size == 1024 * KB, "a commit size: committed at once (%zu KiB of %zu KiB)",
	   (size_t)(p.before / KB), (size_t)(p.size / KB));
	CloseHandle(h);
	release_it = 0;
	h = CreateThread(NULL, 0, wait_release, NULL, 0, NULL);
	ok(GetExitCodeThread(h, &code) && code == STILL_ACTIVE, "a running thread: STILL_ACTIVE");
	ok(WaitForSingleObject(h, 0) == WAIT_TIMEOUT, "WaitForSingleObject(0) on it: WAIT_TIMEOUT");
	release_it = 1;
	ok(WaitForSingleObject(h, 10000) == WAIT_OBJECT_0 && GetExitCodeThread(h, &code) && code == 3,
	   "and WAIT_OBJECT_0 once it ends");
	CloseHandle(h);
	SetLastError(0);
	ok(WaitForSingleObject((HANDLE)(uintptr_t)4000, 0) == WAIT_FAILED &&
	   GetLastError() == ERROR_INVALID_HANDLE, "a bad handle: WAIT_FAILED, ERROR_INVALID_HANDLE");
	SetLastError(0);
	ok(!CreateThread(NULL, 0, grow, &p, CREATE_SUSPENDED, NULL) &&
	   GetLastError() == ERROR_NOT_SUPPORTED, "CREATE_SUSPENDED: ERROR_NOT_SUPPORTED");
}

/* --- overflow, in a child: the handler reports in shared memory and exits ------------ */
static volatile ULONG_PTR *report;	/* code, address, the stack's base */
static char *stack_base;

static LONG CALLBACK on_overflow(PEXCEPTION_POINTERS ep)
{
	report[0] = ep->ExceptionRecord->ExceptionCode;
	report[1] = ep->ExceptionRecord->ExceptionInformation[1];
	report[2] = (ULONG_PTR)stack_base;
	_exit(ep->ExceptionRecord->ExceptionCode == STATUS_STACK_OVERFLOW ? 42 : 43);
}

static volatile int stop_at = -1;	/* never reached: the recursion is endless */

static int __attribute__((noinline)) forever(int depth)
{
	volatile char buf[512];

	buf[0] = (char)depth;
	if (depth == stop_at)
		return 0;
	return forever(depth + 1) + buf[0];
}

static DWORD WINAPI overflow(LPVOID arg)
{
	char here = 0;

	(void)arg;
	stack_base = q(&here).AllocationBase;
	return (DWORD)forever(0);
}

static void stack_overflow(void)
{
	int status = 0;
	pid_t pid;

	report = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED) {
		ok(0, "shared page for the report");
		return;
	}
	pid = fork();
	if (pid == 0) {
		AddVectoredExceptionHandler(1, on_overflow);
		HANDLE h = CreateThread(NULL, 128 * KB, overflow, NULL,
					STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
		WaitForSingleObject(h, INFINITE);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 42,
	   "endless recursion on a 128 KiB stack: STATUS_STACK_OVERFLOW to the handler");
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 42))
		diag("  status %#x, code %#lx", (unsigned)status, (unsigned long)report[0]);
	ok((report[1] & ~(ULONG_PTR)4095) == report[2] + 4096, "at the reservation's second page");
	diag("  fault at %#lx, stack base %#lx", (unsigned long)report[1], (unsigned long)report[2]);
	munmap((void *)report, 4096);
}

/* --- the main thread's stack ------------------------------------------------------------- */
static int guard_hits;

static LONG CALLBACK count_guards(PEXCEPTION_POINTERS ep)
{
	if (ep->ExceptionRecord->ExceptionCode == STATUS_GUARD_PAGE_VIOLATION)
		guard_hits++;
	return EXCEPTION_CONTINUE_SEARCH;
}

static void main_stack(void)
{
	struct probe p = { 0 };
	PVOID veh = AddVectoredExceptionHandler(1, count_guards);
	char here = 0, *top;
	MEMORY_BASIC_INFORMATION m = q(&here);

	p.base = m.AllocationBase;
	for (char *c = p.base; q(c).AllocationBase == p.base; c += q(c).RegionSize)
		p.size = (SIZE_T)(c + q(c).RegionSize - p.base);
	top = p.base + p.size;
	ok(m.State == MEM_COMMIT && m.Type == MEM_PRIVATE && m.AllocationProtect == PAGE_READWRITE &&
	   m.Protect == PAGE_READWRITE, "the main thread's stack is a private Win32 allocation");
	ok(p.size >= 1024 * KB && p.size < 1088 * KB && (uintptr_t)p.base % (64 * KB) == 0,
	   "about 1 MiB reserved, based on 64 KiB (got %zu KiB)", (size_t)(p.size / KB));
	p.before = committed(&here, &p.guard_before);
	ok(p.guard_before && q(p.guard_before).RegionSize == 4096 &&
	   q(p.guard_before).Protect == (PAGE_READWRITE | PAGE_GUARD) &&
	   q(p.guard_before - 4096).State == MEM_RESERVE,
	   "a PAGE_GUARD page below the committed part, reserved pages below it");
	ok(q(p.base).State == MEM_RESERVE, "the bottom stays reserved");
	p.sum = use(300);				/* about 300 KiB of stack */
	p.after = committed(&here, &p.guard_after);
	/* Linux's initial stack region was committed whole; below it pages come one by one. */
	uintptr_t sp = (uintptr_t)&here;
	ok(p.guard_after && p.guard_after < p.guard_before &&
	   (uintptr_t)p.guard_after <= sp - 290 * KB && (uintptr_t)p.guard_after > sp - 340 * KB,
	   "the guard page moved down with the stack, to just below its use (%zu KiB below)",
	   (size_t)((sp - (uintptr_t)p.guard_after) / KB));
	ok(p.after == (SIZE_T)(top - p.guard_after),
	   "committed: from the guard page to the top (%zu KiB)", (size_t)(p.after / KB));
	ok(guard_hits == 0, "growing the stack raises no guard-page violation (%d)", guard_hits);
	RemoveVectoredExceptionHandler(veh);
}

/* Endless recursion on the main thread, in a child. */
static void main_stack_overflow(void)
{
	int status = 0;
	pid_t pid;

	report = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED) {
		ok(0, "shared page for the report");
		return;
	}
	pid = fork();
	if (pid == 0) {
		char here = 0;

		AddVectoredExceptionHandler(1, on_overflow);
		stack_base = q(&here).AllocationBase;
		_exit(forever(0) ? 1 : 2);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 42,
	   "endless recursion on the main thread: STATUS_STACK_OVERFLOW to the handler");
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 42))
		diag("  status %#x, code %#lx", (unsigned)status, (unsigned long)report[0]);
	ok((report[1] & ~(ULONG_PTR)4095) == report[2] + 4096, "at the reservation's second page");
	munmap((void *)report, 4096);
}

/* --- SetThreadStackGuarantee ---------------------------------------------------------------- */
#define HANDLER_FRAME	(160 * KB)

/* Uses HANDLER_FRAME of stack, as a handler that logs or cleans up might. */
static LONG CALLBACK on_overflow_deep(PEXCEPTION_POINTERS ep)
{
	volatile char big[HANDLER_FRAME];
	stack_t ss;

	for (size_t i = 0; i < sizeof(big); i += 4096)
		big[i] = 1;
	report[0] = ep->ExceptionRecord->ExceptionCode;
	report[1] = sigaltstack(NULL, &ss) == 0 && (char *)big >= (char *)ss.ss_sp &&
		    (char *)big + sizeof(big) <= (char *)ss.ss_sp + ss.ss_size;
	_exit(ep->ExceptionRecord->ExceptionCode == STATUS_STACK_OVERFLOW ? 42 : 43);
}

static DWORD WINAPI small_thread_guarantee(LPVOID arg)
{
	ULONG v = 0;
	int *r = arg;

	r[0] = SetThreadStackGuarantee(&v) && v == 0;		/* per thread: none yet */
	v = 256 * KB;
	SetLastError(0);
	r[1] = !SetThreadStackGuarantee(&v) && GetLastError() == ERROR_INVALID_PARAMETER;
	v = 32 * KB;
	r[2] = SetThreadStackGuarantee(&v) && v == 0;
	v = 0;
	r[3] = SetThreadStackGuarantee(&v) && v == 32 * KB;
	return 0;
}

static void stack_guarantee(void)
{
	ULONG v = 0;
	int r[4] = { 0 }, status = 0;
	pid_t pid;

	/* First, before this thread has a guarantee its children would inherit. */
	report = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED) {
		ok(0, "shared page for the report");
		return;
	}
	pid = fork();
	if (pid == 0) {
		ULONG g = HANDLER_FRAME + 32 * KB;

		AddVectoredExceptionHandler(1, on_overflow_deep);
		if (!SetThreadStackGuarantee(&g))
			_exit(3);
		_exit(forever(0) ? 1 : 2);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 42 && report[1] == 1,
	   "a 192 KiB guarantee: the overflow handler uses 160 KiB of stack safely");
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 42 && report[1] == 1))
		diag("  status %#x, code %#lx, in the alternate stack %lu", (unsigned)status,
		     (unsigned long)report[0], (unsigned long)report[1]);
	munmap((void *)report, 4096);

	ok(SetThreadStackGuarantee(&v) && v == 0, "SetThreadStackGuarantee(0): the current one, none yet");
	v = 192 * KB;
	ok(SetThreadStackGuarantee(&v) && v == 0, "set 192 KiB: the previous one (0) comes back");
	v = 0;
	ok(SetThreadStackGuarantee(&v) && v == 192 * KB, "0 asks: 192 KiB");
	v = 64 * KB;
	ok(SetThreadStackGuarantee(&v) && v == 192 * KB, "a smaller one succeeds and returns the current");
	v = 0;
	ok(SetThreadStackGuarantee(&v) && v == 192 * KB, "but is ignored: still 192 KiB");
	v = 2048 * KB;
	SetLastError(0);
	ok(!SetThreadStackGuarantee(&v) && GetLastError() == ERROR_INVALID_PARAMETER && v == 2048 * KB,
	   "beyond the 1 MiB reserve: fails, ERROR_INVALID_PARAMETER");
	SetLastError(0);
	ok(!SetThreadStackGuarantee(NULL) && GetLastError() == ERROR_INVALID_PARAMETER, "NULL: fails");
	HANDLE h = CreateThread(NULL, 128 * KB, small_thread_guarantee, r, STACK_SIZE_PARAM_IS_A_RESERVATION,
				NULL);
	ok(h && WaitForSingleObject(h, INFINITE) == WAIT_OBJECT_0 && r[0] && r[1] && r[2] && r[3],
	   "per thread, bounded by its 128 KiB reserve (%d %d %d %d)", r[0], r[1], r[2], r[3]);
	CloseHandle(h);
}

int main(void)
{
	win32_or_skip();
	main_stack();
	main_stack_overflow();
	growth();
	sizes_and_waits();
	stack_overflow();
	stack_guarantee();
	return done_testing();
}
