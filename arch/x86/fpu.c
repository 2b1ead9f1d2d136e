// SPDX-License-Identifier: MIT
/*
 * The x87/SSE/AVX state of user programs. The kernel itself never touches
 * these registers (it is built with -mgeneral-regs-only), so each task's
 * state is saved and restored only when switching tasks.
 *
 * With XSAVE (x86_64 only; i386 keeps FXSAVE), XCR0 enables x87, SSE, AVX
 * if the CPU has it and PKRU with protection keys, and a task's state is
 * an XSAVE image in the standard format, CPUID 0xD's size, from a
 * kmem_cache. PKRU is not in the task's image: like Linux, the scheduler
 * keeps it apart (task->pkru), so every save and restore here leaves it
 * out; only signal frames (signal_frame.c) carry it. Without XSAVE the
 * image is FXSAVE's 512 bytes.
 */
#include "arch.h"
#include "kernel/lib.h"
#include "mm/heap.h"

#define CR0_MP		(1ul << 1)
#define CR0_EM		(1ul << 2)
#define CR0_TS		(1ul << 3)
#define CR4_OSXMMEXCPT	(1ul << 10)
#define CR4_OSXSAVE	(1ul << 18)

#define FXSAVE_SIZE	512
#define XSAVE_HEADER_SIZE 64
/* The initial image is static (it is taken before the heap exists): the largest we accept. */
#define FPU_INITIAL_MAX	4096

struct fpu_state {
	uint8_t area[FXSAVE_SIZE];	/* then, with XSAVE, the header and the components */
} __attribute__((aligned(64)));

static uint8_t initial_area[FPU_INITIAL_MAX] __attribute__((aligned(64)));
#define initial_state	((struct fpu_state *)initial_area)

static uint64_t xfeatures;		/* XCR0; 0 without XSAVE */
static size_t state_size = FXSAVE_SIZE;
static struct kmem_cache *fpu_cache;

/* FXSAVE's and XSAVE's 64-bit forms save full 64-bit instruction and data pointers. */
#ifdef __x86_64__
#define FXSAVE	"fxsave64"
#define FXRSTOR	"fxrstor64"
#define XSAVE	"xsave64"
#define XRSTOR	"xrstor64"
#else
#define FXSAVE	"fxsave"
#define FXRSTOR	"fxrstor"
#define XSAVE	"xsave"
#define XRSTOR	"xrstor"
#endif

static void xsave(void *area, uint64_t mask)
{
	__asm__ volatile(XSAVE " (%0)" : : "r"(area), "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)) : "memory");
}

static void xrstor(const void *area, uint64_t mask)
{
	__asm__ volatile(XRSTOR " (%0)" : : "r"(area), "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)) : "memory");
}

static void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* What a task switch saves: everything enabled but PKRU (the scheduler's). */
static uint64_t task_mask(void)
{
	return xfeatures & ~XFEATURE_PKRU;
}

void fpu_save(struct fpu_state *s)
{
	if (xfeatures)
		xsave(s, task_mask());
	else
		__asm__ volatile(FXSAVE " %0" : "=m"(*s));
}

void fpu_restore(const struct fpu_state *s)
{
	if (xfeatures)
		xrstor(s, task_mask());
	else
		__asm__ volatile(FXRSTOR " %0" : : "m"(*s));
}

void fpu_init_state(struct fpu_state *s)
{
	memcpy(s, initial_state, state_size);
}

void fpu_load_initial(void)
{
	fpu_restore(initial_state);
}

void fpu_load_initial_features(uint64_t mask)
{
	if (xfeatures && (mask & xfeatures))
		xrstor(initial_state, mask & xfeatures);
}

uint64_t fpu_xfeatures(void)
{
	return xfeatures;
}

size_t fpu_state_size(void)
{
	return state_size;
}

uint32_t fpu_mxcsr_mask(void)
{
	uint32_t mask;

	memcpy(&mask, initial_state->area + 28, 4);
	return mask ? mask : 0xffbf;	/* 0: the default mask (SDM 10.5.1.2) */
}

/*
 * The components XCR0 gets: x87 and SSE always, AVX and PKRU when the CPU
 * has them (PKRU only with protection keys in use), and only if the
 * standard-format image fits the static initial one; 0: no XSAVE.
 */
static uint64_t xsave_features(void)
{
	uint32_t r[4];

	if (sizeof(void *) != 8 || !cpu_features.xsave)
		return 0;
	cpuid(0xd, 0, r);
	uint64_t want = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX |
			(cpu_features.pku ? XFEATURE_PKRU : 0);
	return want & (r[0] | (uint64_t)r[3] << 32);
}

/* On the boot CPU: what to enable, and the size of an image of it. */
static void xsave_detect(void)
{
	uint32_t r[4];
	uint64_t want = xsave_features();

	if (!want)
		return;
	write_cr4(read_cr4() | CR4_OSXSAVE);
	xsetbv(0, want);
	cpuid(0xd, 0, r);		/* EBX: the size XCR0's components need */
	if (r[1] > FPU_INITIAL_MAX) {
		xsetbv(0, XFEATURE_X87 | XFEATURE_SSE);
		write_cr4(read_cr4() & ~CR4_OSXSAVE);
		kprintf("fpu: XSAVE image of %u bytes too large, FXSAVE only\n", r[1]);
		return;
	}
	xfeatures = want;
	state_size = r[1];
}

/*
 * AT_MINSIGSTKSZ as Linux 6.1 computes it (init_sigframe_size()) for a
 * kernel with 32-bit programs (Debian's amd64 and 686-pae alike): the
 * largest signal frame of any kind (i386's sigframe) plus the XSAVE image of
 * every user component Linux supports that the CPU has, whether or not this
 * kernel enables it, so that a stack of that size fits Linux's frame and,
 * being no larger, ours. Without XSAVE the image is FXSAVE's.
 */
#define LINUX_USER_XFEATURES	0x602ffull	/* x87 .. AVX-512, MPX, PKRU, AMX tiles */
#define CPUID7_ECX_PKU		(1u << 3)
#define XSAVE_LEGACY_SIZE	(FXSAVE_SIZE + XSAVE_HEADER_SIZE)
#define FSAVE_HEADER_SIZE	112	/* struct fregs_state, before the FXSAVE image */
#define XSTATE_MAGIC2_SIZE	4	/* FP_XSTATE_MAGIC2 after the image */
#define SIGFRAME_IA32_SIZE	732	/* struct sigframe_ia32, the largest frame header */
#define SIGFRAME_ALIGN		16
#define XSAVE_ALIGN_PAD		63	/* the image is 64-byte aligned within the frame */

/* The standard-format XSAVE size of Linux's user components on this CPU. */
static uint32_t linux_xstate_size(void)
{
	uint32_t r[4], size = XSAVE_LEGACY_SIZE;

	cpuid(0xd, 0, r);
	uint64_t mask = (r[0] | (uint64_t)r[3] << 32) & LINUX_USER_XFEATURES;
	cpuid(7, 0, r);
	if (!(r[2] & CPUID7_ECX_PKU))
		mask &= ~XFEATURE_PKRU;
	for (unsigned i = 2; i < 64; i++) {
		if (!(mask >> i & 1))
			continue;
		cpuid(0xd, i, r);	/* EAX: size, EBX: offset */
		size = MM_MAX(size, r[1] + r[0]);
	}
	return size;
}

size_t fpu_sigstack_min(void)
{
	size_t fp = cpu_features.xsave ? linux_xstate_size() + XSTATE_MAGIC2_SIZE : FXSAVE_SIZE;
	size_t frame = SIGFRAME_IA32_SIZE + (SIGFRAME_ALIGN - 1) + FSAVE_HEADER_SIZE + fp +
		       XSAVE_ALIGN_PAD;

	return ALIGN_UP(frame, SIGFRAME_ALIGN);
}

/**
 * fpu_init() - let user code use x87, SSE (and AVX), and record a clean state
 *
 * The boot CPU decides the XSAVE components; every other CPU enables the same.
 */
void fpu_init(void)
{
	static bool detected;
	uint32_t mxcsr = 0x1f80;	/* all exceptions masked, round to nearest */

	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	if (detected && xfeatures) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		xsetbv(0, xfeatures);
	} else if (!detected) {
		xsave_detect();
	}
	__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
	if (!detected) {
		detected = true;
		fpu_save(initial_state);
	}
}

/**
 * fpu_cache_init() - the cache task states come from, once fpu_init() sized them
 */
void fpu_cache_init(void)
{
	fpu_cache = kmem_cache_create("fpu_state", state_size, 64, 0, NULL);
	if (!fpu_cache)
		panic("fpu: no memory for the state cache");
}

/**
 * fpu_state_alloc() - a task's FPU state, holding the clean state
 *
 * Return: the state, or NULL if out of memory.
 */
struct fpu_state *fpu_state_alloc(void)
{
	struct fpu_state *s = kmem_cache_alloc(fpu_cache);

	if (s)
		fpu_init_state(s);
	return s;
}

/**
 * fpu_state_free() - give back a state from fpu_state_alloc()
 * @s: the state; NULL is ignored
 */
void fpu_state_free(struct fpu_state *s)
{
	kmem_cache_free(fpu_cache, s);
}

/**
 * fpu_state_copy() - make @dst a copy of @src (fork and clone)
 * @dst: a state from fpu_state_alloc()
 * @src: another
 */
void fpu_state_copy(struct fpu_state *dst, const struct fpu_state *src)
{
	memcpy(dst, src, state_size);
}

/* si_code values of SIGFPE (Linux's ABI). */
#define FPE_FLTDIV	3
#define FPE_FLTOVF	4
#define FPE_FLTUND	5
#define FPE_FLTRES	6
#define FPE_FLTINV	7

/**
 * fpu_exception_code() - which floating-point exception a #MF or #XM raised
 * @simd: #XM (from MXCSR) rather than #MF (from the x87 status word)
 *
 * Return: FPE_FLTINV, FPE_FLTDIV, ... for the first unmasked exception that
 * is flagged, in Linux's order of priority, or 0.
 */
int fpu_exception_code(bool simd)
{
	struct { uint8_t area[FXSAVE_SIZE]; } __attribute__((aligned(16))) s;	/* the legacy part */
	uint32_t bits;

	__asm__ volatile(FXSAVE " %0" : "=m"(s));
	if (simd) {
		uint32_t mxcsr;
		memcpy(&mxcsr, s.area + 24, 4);
		bits = mxcsr & ~(mxcsr >> 7) & 0x3f;
	} else {
		uint16_t cwd, swd;
		memcpy(&cwd, s.area + 0, 2);
		memcpy(&swd, s.area + 2, 2);
		bits = swd & ~cwd & 0x3f;
	}
	if (bits & 0x01)
		return FPE_FLTINV;
	if (bits & 0x04)
		return FPE_FLTDIV;
	if (bits & 0x08)
		return FPE_FLTOVF;
	if (bits & 0x12)
		return FPE_FLTUND;
	if (bits & 0x20)
		return FPE_FLTRES;
	return 0;
}
