// SPDX-License-Identifier: MIT
/*
 * CreateThread with a Windows stack: the kernel reserves the stack
 * (MEMCORE_SYS_win32_stack; 1 MiB unless told), commits its top and puts a
 * PAGE_GUARD page below; each touch of the guard commits that page and
 * moves the guard down, and the last page of the reservation is never
 * committed: a thread reaching it gets STATUS_STACK_OVERFLOW (the kernel's
 * MEMCORE_SEGV_STACK) in its vectored handlers, which run on a small
 * alternate signal stack of the thread's own. The thread runs as a POSIX
 * thread on that stack; the stack is released once the thread has ended and
 * its handle is closed or waited for.
 *
 * The main thread's stack is made one too, before main() runs
 * (win32_main_stack_init(), MEMCORE_SYS_win32_main_stack): Linux's stack
 * becomes the committed top of a reservation (1 MiB, or what the program
 * sets in memcore_win32_stack_reserve, as a PE header's SizeOfStackReserve
 * does) with a guard page below it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "memcore/syscall.h"
#include "win32_internal.h"

#define DEFAULT_RESERVE	(1u << 20)
#define ALT_STACK	(64u << 10)

struct thread {
	pthread_t pt;
	LPTHREAD_START_ROUTINE fn;
	LPVOID arg;
	char *stack;		/* the stack's allocation base */
	DWORD exit_code;
	int done;		/* fn returned (atomic) */
	int joined;
	int handle_closed;
};

/* A thread whose handle was closed while it ran: released by the next CreateThread. */
static struct orphan {
	struct orphan *next;
	struct thread *t;
} *orphans;
static int orphan_lock;

static void release(struct thread *t)
{
	if (!t->joined)
		pthread_join(t->pt, NULL);
	VirtualFree(t->stack, 0, MEM_RELEASE);
	free(t);
}

static void reap_orphans(void)
{
	struct orphan *o, *keep = NULL, *next;

	while (__atomic_exchange_n(&orphan_lock, 1, __ATOMIC_ACQUIRE))
		;
	o = orphans;
	orphans = NULL;
	__atomic_store_n(&orphan_lock, 0, __ATOMIC_RELEASE);
	for (; o; o = next) {
		next = o->next;
		if (__atomic_load_n(&o->t->done, __ATOMIC_ACQUIRE)) {
			release(o->t);
			free(o);
		} else {
			o->next = keep;
			keep = o;
		}
	}
	while (keep) {
		next = keep->next;
		while (__atomic_exchange_n(&orphan_lock, 1, __ATOMIC_ACQUIRE))
			;
		keep->next = orphans;
		orphans = keep;
		__atomic_store_n(&orphan_lock, 0, __ATOMIC_RELEASE);
		keep = next;
	}
}

/*
 * SetThreadStackGuarantee: the vectored handlers see STATUS_STACK_OVERFLOW
 * on the thread's alternate signal stack, so the guarantee is that stack's
 * room: a guarantee beyond it gets the thread a larger one (own_alt), freed
 * when a CreateThread thread ends.
 */
#define ALT_SLACK	(16u << 10)	/* the signal frame and the handlers' callers */
static _Thread_local ULONG guarantee;
static _Thread_local void *own_alt;

/* Bytes reserved for the calling thread's stack (its Win32 allocation), 0 if unknown. */
static SIZE_T stack_reserve(void)
{
	MEMORY_BASIC_INFORMATION m;
	char here = 0, *base, *c;

	if (!VirtualQuery(&here, &m, sizeof(m)) || m.State != MEM_COMMIT)
		return 0;
	base = m.AllocationBase;
	for (c = base; VirtualQuery(c, &m, sizeof(m)) && m.AllocationBase == base; c += m.RegionSize)
		;
	return (SIZE_T)(c - base);
}

/* An alternate signal stack of at least @bytes for the calling thread. */
static BOOL alt_stack_at_least(SIZE_T bytes)
{
	stack_t old, alt = { .ss_size = (bytes + 4095) & ~(SIZE_T)4095 };

	if (sigaltstack(NULL, &old) || (old.ss_flags & SS_ONSTACK))
		return FALSE;			/* not while a handler runs on it */
	if (!(old.ss_flags & SS_DISABLE) && old.ss_size >= bytes)
		return TRUE;
	alt.ss_sp = VirtualAlloc(NULL, alt.ss_size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
	if (!alt.ss_sp)
		return FALSE;
	if (sigaltstack(&alt, NULL)) {
		VirtualFree(alt.ss_sp, 0, MEM_RELEASE);
		return FALSE;
	}
	if (own_alt)
		VirtualFree(own_alt, 0, MEM_RELEASE);
	own_alt = alt.ss_sp;
	return TRUE;
}

BOOL WINAPI SetThreadStackGuarantee(PULONG StackSizeInBytes)
{
	ULONG want, prev = guarantee;
	SIZE_T reserve;

	if (!StackSizeInBytes) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	want = *StackSizeInBytes;
	if (want > prev) {			/* 0, or less than now: succeeds, changes nothing */
		reserve = stack_reserve();
		if (reserve && want > reserve) {
			SetLastError(ERROR_INVALID_PARAMETER);	/* beyond the reserved stack */
			return FALSE;
		}
		if (!alt_stack_at_least((SIZE_T)want + ALT_SLACK)) {
			SetLastError(ERROR_NOT_ENOUGH_MEMORY);
			return FALSE;
		}
		guarantee = want;
	}
	*StackSizeInBytes = prev;
	return TRUE;
}

static void *start(void *p)
{
	struct thread *t = p;
	stack_t alt = { .ss_sp = malloc(ALT_STACK), .ss_size = ALT_STACK };
	DWORD code;

	if (alt.ss_sp)
		sigaltstack(&alt, NULL);
	code = t->fn(t->arg);
	if (alt.ss_sp) {
		stack_t off = { .ss_flags = SS_DISABLE };

		sigaltstack(&off, NULL);
		free(alt.ss_sp);
	}
	if (own_alt) {
		stack_t off = { .ss_flags = SS_DISABLE };

		sigaltstack(&off, NULL);
		VirtualFree(own_alt, 0, MEM_RELEASE);
		own_alt = NULL;
	}
	t->exit_code = code;
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The program's own main-stack reservation, if it defines one (memcore/win32.h). */
extern const SIZE_T memcore_win32_stack_reserve __attribute__((weak));

void win32_main_stack_init(void)
{
	static char alt_stack[ALT_STACK];	/* the overflow handler's stack */
	SIZE_T reserve = &memcore_win32_stack_reserve ? memcore_win32_stack_reserve : DEFAULT_RESERVE;
	stack_t alt = { .ss_sp = alt_stack, .ss_size = sizeof(alt_stack) }, old;
	DWORD saved = GetLastError();
	char here = 0;

	if (win32_call(MEMCORE_SYS_win32_main_stack, (long)&here, (long)reserve, 0, 0) != -1 &&
	    sigaltstack(NULL, &old) == 0 && (old.ss_flags & SS_DISABLE))
		sigaltstack(&alt, NULL);
	SetLastError(saved);	/* not a Win32 kernel (Linux): the stack stays Linux's */
}

/* Reserve and commit sizes as Windows reads dwStackSize. */
static void stack_sizes(SIZE_T size, DWORD flags, SIZE_T *reserve, SIZE_T *commit)
{
	*reserve = DEFAULT_RESERVE;
	*commit = MEMCORE_WIN32_PAGE_SIZE;
	if (flags & STACK_SIZE_PARAM_IS_A_RESERVATION) {
		if (size)
			*reserve = size;
	} else if (size) {
		*commit = size;
		if (*commit >= *reserve)	/* the reservation rounds up to 1 MiB */
			*reserve = (*commit + DEFAULT_RESERVE) & ~(SIZE_T)(DEFAULT_RESERVE - 1);
	}
}

HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
			   LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
			   DWORD dwCreationFlags, LPDWORD lpThreadId)
{
	struct thread *t;
	SIZE_T reserve, commit;
	MEMORY_BASIC_INFORMATION mbi;
	pthread_attr_t attr;
	long base;
	HANDLE h;

	(void)lpThreadAttributes;
	if (!lpStartAddress || (dwCreationFlags & ~STACK_SIZE_PARAM_IS_A_RESERVATION)) {
		SetLastError(dwCreationFlags & CREATE_SUSPENDED ? ERROR_NOT_SUPPORTED :
			     ERROR_INVALID_PARAMETER);
		return NULL;
	}
	reap_orphans();
	stack_sizes(dwStackSize, dwCreationFlags, &reserve, &commit);
	t = calloc(1, sizeof(*t));
	if (!t) {
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	base = win32_call(MEMCORE_SYS_win32_stack, (long)reserve, (long)commit, 0, 0);
	if (base == -1) {
		free(t);
		return NULL;
	}
	t->stack = (char *)base;
	t->fn = lpStartAddress;
	t->arg = lpParameter;
	VirtualQuery(t->stack, &mbi, sizeof(mbi));	/* the reservation's size: the bottom run */
	for (char *p = t->stack; VirtualQuery(p, &mbi, sizeof(mbi)) &&
	     mbi.AllocationBase == t->stack; p += mbi.RegionSize)
		reserve = (SIZE_T)(p + mbi.RegionSize - t->stack);
	h = win32_thread_handle(t);
	if (!h) {
		VirtualFree(t->stack, 0, MEM_RELEASE);
		free(t);
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, t->stack, reserve);
	if (pthread_create(&t->pt, &attr, start, t)) {
		pthread_attr_destroy(&attr);
		t->joined = t->done = 1;	/* never started: the handle's close frees it all */
		CloseHandle(h);
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	pthread_attr_destroy(&attr);
	if (lpThreadId)
		*lpThreadId = (DWORD)(uintptr_t)t->pt;
	return h;
}

void win32_thread_close(void *thread)
{
	struct thread *t = thread;
	struct orphan *o;

	if (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) || !(o = malloc(sizeof(*o)))) {
		release(t);	/* ended (or no memory to remember it: wait for it) */
		return;
	}
	o->t = t;
	while (__atomic_exchange_n(&orphan_lock, 1, __ATOMIC_ACQUIRE))
		;
	o->next = orphans;
	orphans = o;
	__atomic_store_n(&orphan_lock, 0, __ATOMIC_RELEASE);
}

/* Threads only: INFINITE joins; a timeout polls every millisecond. */
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
	struct thread *t = win32_thread_of(hHandle);
	struct timespec ms = { 0, 1000000 };

	if (!t) {
		SetLastError(ERROR_INVALID_HANDLE);
		return WAIT_FAILED;
	}
	for (DWORD waited = 0; dwMilliseconds != INFINITE; waited++) {
		if (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE))
			break;
		if (waited >= dwMilliseconds)
			return WAIT_TIMEOUT;
		nanosleep(&ms, NULL);
	}
	if (!t->joined) {
		pthread_join(t->pt, NULL);
		t->joined = 1;
	}
	return WAIT_OBJECT_0;
}

BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
	struct thread *t = win32_thread_of(hThread);

	if (!t) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	*lpExitCode = __atomic_load_n(&t->done, __ATOMIC_ACQUIRE) ? t->exit_code : STILL_ACTIVE;
	return TRUE;
}
