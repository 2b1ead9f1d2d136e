// SPDX-License-Identifier: MIT
/*
 * Exceptions raised by user code. A page fault goes to the process's
 * address space, which may resolve it (demand paging, copy-on-write, stack
 * growth). Anything else becomes the signal Linux would send, with its
 * siginfo (force_sig_fault): a handler may fix things and return to the
 * instruction; without one the process dies, after a one-line report.
 */
#include "memlayout.h"
#include "kernel/heap.h"
#include "kernel/perf.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/proc.h"
#include "user/include/memcore/syscall.h"

struct region_hit {
	uintptr_t addr;
	const char *name;
	bool inside, below_stack;
};

static int find_region(const struct as_region_info *ri, void *ctx)
{
	struct region_hit *h = ctx;

	if (h->addr >= ri->start && h->addr < ri->end) {
		h->name = ri->name;
		h->inside = true;
		return 1;
	}
	if ((ri->flags & AS_R_GROWSDOWN) && h->addr < ri->start &&
	    ri->start - h->addr <= AS_STACK_GUARD_GAP + AS_STACK_LIMIT_DEFAULT)
		h->below_stack = true;
	return 0;
}

/* Which part of the process's memory @addr falls in, for the report. */
static const char *user_region_of(struct as *as, uintptr_t addr, char *buf, unsigned len)
{
	struct region_hit h = { .addr = addr };

	if (addr < AS_MMAP_MIN_ADDR)
		return "null page";
	if (addr >= AS_TASK_SIZE)
		return addr >= USER_SPACE_END ? "kernel space" : "top guard page";
	as_for_each_region(as, find_region, &h);
	if (h.inside) {
		ksnprintf(buf, len, "%s", h.name);
		return buf;
	}
	return h.below_stack ? "stack guard gap" : "unmapped";
}

/* The signal and si_code Linux sends for an exception other than a page fault. */
static void signal_for(const struct trap_frame *f, int *sig, int *code, uint64_t *addr)
{
	*addr = 0;
	*code = SI_KERNEL;
	switch (f->vector) {
	case VEC_DE:
		*sig = SIGFPE, *code = FPE_INTDIV, *addr = trap_ip(f);
		break;
	case VEC_MF:
	case VEC_XM:
		*sig = SIGFPE, *code = fpu_exception_code(f->vector == VEC_XM), *addr = trap_ip(f);
		break;
	case VEC_UD:
		*sig = SIGILL, *code = ILL_ILLOPN, *addr = trap_ip(f);
		break;
	case VEC_DB:
		*sig = SIGTRAP, *code = TRAP_TRACE, *addr = trap_ip(f);
		break;
	case VEC_BP:
		*sig = SIGTRAP;
		break;
	case VEC_AC:
		*sig = SIGBUS, *code = BUS_ADRALN;
		break;
	case VEC_NP:
	case VEC_SS:
		*sig = SIGBUS;
		break;
	default:
		*sig = SIGSEGV;
		break;
	}
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGBUS: return "SIGBUS";
	case SIGKILL: return "SIGKILL";
	default: return "SIGSEGV";
	}
}

static void report(struct task *t, const struct trap_frame *f, uint64_t cr2, int sig,
		   const char *why)
{
	char what[96], region[64];

	if (f->vector == VEC_PF) {
		pf_decode(f->error, what, sizeof(what));
		kprintf("pid %d (%s): %s: %s at %#" PRIx64 ", rip %#" PRIxPTR ": %s; region: %s\n",
			t->pid, t->name, signal_name(sig), why, cr2, trap_ip(f), what,
			user_region_of(t->mm, cr2, region, sizeof(region)));
	} else {
		kprintf("pid %d (%s): %s: %s at rip %#" PRIxPTR "\n", t->pid, t->name,
			signal_name(sig), trap_name(f->vector), trap_ip(f));
	}
}

#ifdef KPERF
/* What kind of fault this will be, from the region before it is handled. */
static enum perf_fault_kind fault_kind(struct as *as, uint64_t addr, unsigned flags)
{
	enum as_backing backing;

	if (!as_region_at(as, addr, &backing))
		return PERF_FAULT_STACK;
	if (flags & VM_FAULT_PRESENT)
		return (flags & VM_FAULT_WRITE) ? PERF_FAULT_COW : PERF_FAULT_SPURIOUS;
	switch (backing) {
	case AS_ANON_SHARED: return PERF_FAULT_SHARED;
	case AS_FILE_PRIVATE: return PERF_FAULT_FILE;
	case AS_FILE_SHARED: return PERF_FAULT_SHARED;
	default: return PERF_FAULT_ZERO;
	}
}
#endif

/*
 * A fault becomes a signal; the one-line report is for faults that kill
 * (no handler will see them), as Linux's "segfault at" line.
 */
static void fault_signal(struct task *t, struct trap_frame *f, uint64_t cr2, int sig, int code,
			 uint64_t addr, const char *why)
{
	if (!force_sig_fault(sig, code, addr, (unsigned)f->vector, f->error))
		report(t, f, cr2, sig, why);
}

/*
 * A data access the thread's PKRU forbids (Linux's access_error(), then
 * bad_area_access_from_pkeys()): the CPU said so (PF_PK: the page is there
 * and no mapping change can help), or the page is missing and its region's
 * key forbids the access, so filling it would only fault again. Either way
 * SIGSEGV with SEGV_PKUERR and the region's key, before any write-permission
 * check, as Linux. The region is looked up only when a key can be at stake:
 * keys other than 0 were handed out, or PKRU forbids key 0 itself.
 */
static bool pkey_fault(struct task *t, struct trap_frame *f, uint64_t cr2)
{
	bool write = f->error & PF_W;
	uint32_t pkru;
	int key;

	if (arch_pkeys() <= 1 || (f->error & PF_I) || cr2 >= AS_TASK_SIZE)
		return false;	/* keys never stop instruction fetches */
	pkru = arch_pkru_read();
	if (!(f->error & PF_PK) && __atomic_load_n(&t->mm->pkeys, __ATOMIC_RELAXED) == 1 &&
	    !arch_pkru_denies(pkru, 0, write))
		return false;
	key = as_pkey_at(t->mm, cr2);
	if (key < 0 || (!(f->error & PF_PK) && !arch_pkru_denies(pkru, key, write)))
		return false;
	if (!force_sig_pkuerr(cr2, (uint32_t)key, (unsigned)f->vector, f->error))
		report(t, f, cr2, SIGSEGV, "protection key");
	return true;
}

static void user_exception(struct trap_frame *f, uint64_t cr2)
{
	struct task *t = current();

	t->frame = f;
	if (f->vector == VEC_PF && t->mm && pkey_fault(t, f, cr2))
		return;
	if (f->vector == VEC_PF && t->mm) {
		struct vm_fault vf = { .addr = cr2, .flags = f->error & VM_FAULT_MASK,
				       .ip = trap_ip(f) };
#ifdef KPERF
		enum perf_fault_kind kind = fault_kind(t->mm, cr2, vf.flags);
		uint64_t start = rdtsc();
#endif
		enum vm_fault_result r = vm_handle_fault(&t->mm->vs, &vf);
		if (r == VM_FAULT_OOM) {	/* what every CPU's heap lists hold, first */
			heap_drain_all();
			r = vm_handle_fault(&t->mm->vs, &vf);
		}
#ifdef KPERF
		perf_fault_account(r == VM_FAULT_RESOLVED ? kind : PERF_FAULT_KILLED,
				   rdtsc() - start);
#endif
		if (r == VM_FAULT_RESOLVED)
			return;
		if (r == VM_FAULT_OOM) {
			report(t, f, cr2, SIGKILL, "out of memory");
			proc_kill(t, SIGKILL);
		}
		if (r == VM_FAULT_GUARD) {
			/* A Win32 guard page: its guard is gone; a handler may retry the access. */
			fault_signal(t, f, cr2, SIGSEGV, MEMCORE_SEGV_GUARD, cr2, "guard page");
			return;
		}
		if (r == VM_FAULT_STACK_OVERFLOW) {
			/* A Win32 stack reached the end of its reservation (STATUS_STACK_OVERFLOW). */
			fault_signal(t, f, cr2, SIGSEGV, MEMCORE_SEGV_STACK, cr2, "stack overflow");
			return;
		}
		if (r == VM_FAULT_SIGBUS) {
			fault_signal(t, f, cr2, SIGBUS, BUS_ADRERR, cr2, "past the end of the file");
			return;
		}
		/* A region there: the access was not allowed; none: nothing mapped. */
		bool mapped = cr2 < AS_TASK_SIZE && as_region_at(t->mm, cr2, NULL);
		fault_signal(t, f, cr2, SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, cr2,
			     "bad access");
		return;
	}
	int sig, code;
	uint64_t addr;
	signal_for(f, &sig, &code, &addr);
	fault_signal(t, f, cr2, sig, code, addr, "");
}

void proc_faults_init(void)
{
	user_exception_hook = user_exception;
	futex_init();
}
