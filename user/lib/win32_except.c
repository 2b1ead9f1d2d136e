// SPDX-License-Identifier: MIT
/*
 * Vectored exception handlers (memcore/win32.h) over SIGSEGV: an access
 * violation (SEGV_MAPERR/SEGV_ACCERR) or a guard-page violation (the
 * kernel's MEMCORE_SEGV_GUARD) or a thread stack's overflow
 * (MEMCORE_SEGV_STACK: STATUS_STACK_OVERFLOW) becomes an EXCEPTION_RECORD with Windows'
 * code and parameters (read/write/execute, the address); handlers run in
 * order, the first to answer EXCEPTION_CONTINUE_EXECUTION resumes the
 * faulting instruction. Unhandled, the process dies of the SIGSEGV.
 * ContextRecord is the signal's ucontext_t.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <ucontext.h>

#include "memcore/syscall.h"
#include "win32_internal.h"

struct veh {
	struct veh *next;
	PVECTORED_EXCEPTION_HANDLER fn;
	int live;
};

static struct veh *head;
static int list_lock, installed;

static LONG dispatch(PEXCEPTION_POINTERS ep)
{
	for (struct veh *v = __atomic_load_n(&head, __ATOMIC_ACQUIRE); v;
	     v = __atomic_load_n(&v->next, __ATOMIC_ACQUIRE))
		if (__atomic_load_n(&v->live, __ATOMIC_ACQUIRE) &&
		    v->fn(ep) == EXCEPTION_CONTINUE_EXECUTION)
			return EXCEPTION_CONTINUE_EXECUTION;
	return EXCEPTION_CONTINUE_SEARCH;
}

static void die_of(int sig)
{
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	EXCEPTION_RECORD rec = { 0 };
	EXCEPTION_POINTERS ep = { &rec, (PCONTEXT)ctx };
#ifdef __x86_64__
	unsigned long err = (unsigned long)uc->uc_mcontext.gregs[REG_ERR];
	rec.ExceptionAddress = (PVOID)uc->uc_mcontext.gregs[REG_RIP];
#else
	unsigned long err = (unsigned long)uc->uc_mcontext.gregs[REG_ERR];
	rec.ExceptionAddress = (PVOID)uc->uc_mcontext.gregs[REG_EIP];
#endif

	if (si->si_code != SEGV_MAPERR && si->si_code != SEGV_ACCERR &&
	    si->si_code != MEMCORE_SEGV_GUARD && si->si_code != MEMCORE_SEGV_STACK)
		die_of(sig);		/* sent, not a fault */
	rec.ExceptionCode = si->si_code == MEMCORE_SEGV_GUARD ? STATUS_GUARD_PAGE_VIOLATION :
			    si->si_code == MEMCORE_SEGV_STACK ? STATUS_STACK_OVERFLOW :
			    STATUS_ACCESS_VIOLATION;
	rec.NumberParameters = 2;
	rec.ExceptionInformation[0] = (err & 0x10) ? 8 : (err & 0x2) ? 1 : 0;
	rec.ExceptionInformation[1] = (ULONG_PTR)si->si_addr;
	if (dispatch(&ep) != EXCEPTION_CONTINUE_EXECUTION)
		die_of(sig);
}

static void install(void)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = on_segv;
	/* A handler may fault again, as on Windows; CreateThread's threads have an alternate stack. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
}

PVOID WINAPI AddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler)
{
	struct veh *v = malloc(sizeof(*v)), **pp;

	if (!v || !Handler) {
		free(v);
		return NULL;
	}
	v->fn = Handler;
	v->live = 1;
	while (__atomic_exchange_n(&list_lock, 1, __ATOMIC_ACQUIRE))
		;
	if (!installed) {
		install();
		installed = 1;
	}
	for (pp = &head; !First && *pp; pp = &(*pp)->next)
		;
	v->next = *pp;
	__atomic_store_n(pp, v, __ATOMIC_RELEASE);
	__atomic_store_n(&list_lock, 0, __ATOMIC_RELEASE);
	return v;
}

/* The entry stays linked (a handler may be running on it), marked dead. */
ULONG WINAPI RemoveVectoredExceptionHandler(PVOID Handle)
{
	ULONG found = 0;

	while (__atomic_exchange_n(&list_lock, 1, __ATOMIC_ACQUIRE))
		;
	for (struct veh *v = head; v; v = v->next)
		if (v == Handle && v->live) {
			__atomic_store_n(&v->live, 0, __ATOMIC_RELEASE);
			found = 1;
		}
	__atomic_store_n(&list_lock, 0, __ATOMIC_RELEASE);
	return found;
}

void win32_raise(DWORD code)
{
	EXCEPTION_RECORD rec = { .ExceptionCode = code,
				 .ExceptionAddress = __builtin_return_address(0) };
	EXCEPTION_POINTERS ep = { &rec, NULL };

	if (dispatch(&ep) != EXCEPTION_CONTINUE_EXECUTION)
		die_of(SIGABRT);
}
