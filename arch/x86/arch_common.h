/* SPDX-License-Identifier: MIT */
/*
 * The part of the arch interface (arch.h) that is the same on x86_64 and
 * i386: the kernel's address space, FPU state, task switching, non-local
 * jumps and fault catching, user copies, randomness, leaving the machine.
 * Each arch.h includes it after its struct jmp_state and struct trap_frame;
 * the kernel proper includes arch.h, never this file.
 */
#ifndef ARCH_X86_ARCH_COMMON_H
#define ARCH_X86_ARCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's address space (kernel_space.c). */
struct memmap;
struct vm_space;
extern struct vm_space kernel_vm;
void kernel_space_init(const struct memmap *map);
/* CR4's global pages, SMEP and SMAP, as the CPU offers them (every CPU). */
void enable_protections(void);
void smap_patch_sites(void);
const char *kernel_region_of(uintptr_t addr, char *buf, unsigned len);
bool kernel_mapped(uintptr_t addr);
/* Runs fn(arg) on the stack whose top is @stack_top; returns what fn returns. */
long call_on_stack(long (*fn)(long), long arg, uintptr_t stack_top);

/*
 * The FPU state of a user task (fpu.c): an XSAVE image (standard format) of
 * XCR0's components but PKRU, or an FXSAVE image where XSAVE is not used
 * (CPUs without it, i386); fpu_state_size() bytes, 64-byte aligned, from
 * fpu_state_alloc() once fpu_cache_init() has run.
 */
#define XFEATURE_X87		(1ull << 0)
#define XFEATURE_SSE		(1ull << 1)
#define XFEATURE_AVX		(1ull << 2)
#define XFEATURE_PKRU		(1ull << 9)
struct fpu_state;
void fpu_init(void);
void fpu_cache_init(void);
struct fpu_state *fpu_state_alloc(void);
void fpu_state_free(struct fpu_state *s);
void fpu_state_copy(struct fpu_state *dst, const struct fpu_state *src);
size_t fpu_state_size(void);
/* XCR0: the components XSAVE images hold, PKRU included; 0 without XSAVE. */
uint64_t fpu_xfeatures(void);
void fpu_save(struct fpu_state *s);
void fpu_restore(const struct fpu_state *s);
void fpu_init_state(struct fpu_state *s);
/* Load the clean state into the registers (a signal handler starts with it). */
void fpu_load_initial(void);
/* Put the components of @mask (XFEATURE_*, PKRU too) in their init state. */
void fpu_load_initial_features(uint64_t mask);
/* AT_MINSIGSTKSZ: Linux's bound on a signal frame with this CPU's xstate. */
size_t fpu_sigstack_min(void);
/* MXCSR bits this CPU accepts (FXSAVE's MXCSR_MASK). */
uint32_t fpu_mxcsr_mask(void);
/* si_code (FPE_*) of the pending x87 (#MF) or SIMD (#XM) exception. */
int fpu_exception_code(bool simd);

/*
 * Protection keys (pkru.c): how many the CPU gives user pages (1: only the
 * default key 0), and the current thread's rights register, PKRU.
 */
#define ARCH_PKEYS_MAX		16
#define ARCH_PKRU_INIT		0x55555554u	/* Linux's init_pkru: keys 1..15 access-disabled */
unsigned arch_pkeys(void);
uint32_t arch_pkru_read(void);			/* 0 without keys */
void arch_pkru_write(uint32_t pkru);		/* nothing without keys */
/* Does @pkru forbid a data access (@write or a read) to a page of key @pkey? */
bool arch_pkru_denies(uint32_t pkru, int pkey, bool write);
/* Set @pkey's bits in the current PKRU from pkey_alloc()'s PKEY_DISABLE_* @rights. */
void arch_pkey_set_rights(int pkey, unsigned long rights);

/*
 * Temporary mappings (plat_kmap()) this CPU holds, high memory or not: the
 * porting rule says none is held across a task switch (sched.c checks).
 */
unsigned kmap_held(void);

/* Task switching (switch.S): save callee-saved state, continue on @new_sp. */
void switch_context(uintptr_t *save_sp, uintptr_t new_sp);
/* A switch frame below @top whose first switch_context() runs fn(arg). */
uintptr_t switch_frame_init(uintptr_t top, void (*fn)(void *), void *arg);
/* The user's thread pointer (x86_64: the FS base; i386: %gs's TLS descriptor), per task. */
uint64_t arch_tls_save(void);
void arch_tls_load(uint64_t tls);
extern char task_trampoline[];
extern char ret_to_user[];

/*
 * The DOS box's virtual-8086 mode (arch/i386/v86.c; long mode has none, so
 * x86_64 answers -ENOSYS): enter it from the dos_run system call at @f, and
 * leave it when a signal is due (dos_run returns -EINTR).
 */
struct trap_frame;
struct dos_v86;
long arch_v86_enter(struct trap_frame *f, const struct dos_v86 *st, uint64_t ustate);
void arch_v86_interrupted(struct trap_frame *f);
/* The virtual-8086 monitor: true if it handled the exception (x86_64: never). */
bool v86_trap(struct trap_frame *f);

/* The timer (PIT, TSC, CMOS clock): arch/x86/pc.h. */

/* 64 random bits: RDRAND if the CPU has it, else a seeded xorshift. */
uint64_t arch_random(void);

/* Devices every PC has: arch/x86/pc.h (through trap.h). */

/* Leave the machine. */
_Noreturn void machine_reboot(void);
_Noreturn void machine_poweroff(void);
/* QEMU's isa-debug-exit device: QEMU exits with status (code << 1) | 1. */
void qemu_debug_exit(uint8_t code);

/* A non-local jump, also taken from a trap handler by rewriting the frame. */
int arch_setjmp(struct jmp_state *js) __attribute__((returns_twice));
_Noreturn void arch_longjmp(struct jmp_state *js, int val);
void trap_frame_longjmp(struct trap_frame *f, const struct jmp_state *js, int val);

/*
 * Catching an expected CPU exception (tests, probing): arm a catcher, run
 * code that may fault; if it does, the trap handler records what happened
 * and resumes after FAULT_TRY with a false result.
 *
 *	struct fault_catch fc;
 *	if (FAULT_TRY(&fc)) {
 *		*(volatile int *)addr = 1;
 *		fault_catch_disarm();
 *	}
 *	if (fc.caught) ... fc.vector, fc.error, fc.addr (CR2), fc.rip
 */
struct fault_catch {
	struct jmp_state js;
	bool caught;
	unsigned vector;
	uint64_t error, addr, rip;	/* rip: the faulting instruction's address */
};
void fault_catch_arm(struct fault_catch *fc);
void fault_catch_disarm(void);
#define FAULT_TRY(fc)	(fault_catch_arm(fc), arch_setjmp(&(fc)->js) == 0)

/* Exceptions from user mode (the process layer kills or resolves). */
extern void (*user_exception_hook)(struct trap_frame *f, uint64_t cr2);

/* User memory access with fault recovery (usercopy.S); SMAP-aware. */
size_t user_copy(void *dst, const void *src, size_t n);		/* bytes not copied */
size_t user_zero(void *dst, size_t n);				/* bytes not zeroed */
long user_strncpy(char *dst, const char *src, size_t n);	/* len, n, or -1 */
int user_fxsave(void *dst);		/* 0, or -1 on a fault */
int user_fxrstor(const void *src);	/* 0, or -1 on a fault or bad MXCSR */
/* XSAVE/XRSTOR of @mask's components at a 64-byte aligned user area (with XSAVE only). */
int user_xsave(void *dst, uint64_t mask);	/* 0, or -1 on a fault */
int user_xrstor(const void *src, uint64_t mask);	/* 0, or -1 on a fault or a bad header */

/* A page fault's one chance to be resolved before that (the VMM's hook). */
extern bool (*page_fault_hook)(struct trap_frame *f, uint64_t addr);

/* The kernel's image, from kernel.ld. */
extern char _boot_start[], _boot_end[], _text[], _etext[], _rodata[], _erodata[];
extern char _data[], _edata[], __bss_start[], _end[];
extern char boot_stack_bottom[], boot_stack_top[];

#endif
