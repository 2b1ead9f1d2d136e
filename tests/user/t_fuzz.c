/*
 * t_fuzz: the guest system-call fuzzer. Seeded random sequences of memory
 * system calls (mmap, munmap, mprotect, mremap, madvise, brk, fork, and
 * read/write/pread/pwrite with good and bad buffers), on anonymous memory
 * and on shared and private mappings of a file, with arguments biased
 * toward boundaries (unaligned, empty, huge, wrapping, kernel addresses,
 * invalid flags), inside a window of address space this program owns, so
 * results do not depend on where a kernel places things. The calls are made
 * with syscall(), since musl's wrappers round or check some arguments.
 *
 * After each call the program checks its own model of the window (what is
 * mapped, with which protection, the byte it last wrote in every page; a
 * private file page reads the file until its first write copies it); a
 * fork's child runs its own sequence and checks its copy; after the child
 * is reaped, memcore's free-frame count (MEMCORE_SYS_free_frames, caches
 * drained) must be what it was before the fork. Every return value, made
 * address-independent, goes into a hash printed in the test names, so the
 * differential suite compares the values of Linux and of memcore.
 *
 *   t_fuzz [FIRST_SEED [SEEDS [OPS [trace|maps|quiet [old]]]]]     (default: 1 4 300)
 *
 * With no arguments the seeds that found gaps in the model (regression_seeds)
 * run after the first four, 300 calls each.
 *
 * With "trace" every call and its result is printed (diagnostics), to
 * compare a seed's run on two kernels line by line; with "maps" also the
 * mappings of the window after each call (/proc/self/maps), so the first
 * call after which the two kernels' mappings part shows. With "old" as the
 * fifth argument only the older kinds of calls are made (the sequences
 * seeds had before the newer kinds).
 *
 * The newer kinds (op_ext(), one call in EXT_ONE_IN, drawn from a second
 * stream of randomness so the older calls keep their arguments): mlock,
 * mlock2 (MLOCK_ONFAULT), munlock, mlockall, munlockall (the model knows
 * each page's lock: MADV_DONTNEED, COLD, PAGEOUT and REMOVE refuse it,
 * msync MS_INVALIDATE is EBUSY on it, locking populates, which copies
 * private writable file pages); mincore (its vector hashed, ENOMEM on
 * holes); msync's flags; MADV_WILLNEED, COLD, PAGEOUT, POPULATE_READ and
 * _WRITE, REMOVE (a hole every sharer sees) and an unknown advice; System
 * V shm (shmget, shmat in the window with SHM_RND, SHM_RDONLY, SHM_EXEC
 * and SHM_REMAP, shmdt as Linux finds the attach, shmctl IPC_RMID while
 * attached and IPC_STAT), whose attaches are shared mappings of the
 * segment; a memfd (memfd_create, ftruncate) mapped shared or private;
 * mmap with MAP_LOCKED, MAP_SHARED_VALIDATE with unknown flags, MAP_SYNC,
 * MAP_GROWSDOWN on shared and file mappings; mprotect with PROT_GROWSUP;
 * process_madvise through a pidfd of the process itself (MADV_WILLNEED,
 * COLD, PAGEOUT, which change no content, and an advice it refuses; up to
 * four ranges biased to the window's edges, or 1025 of them; a bad vector
 * pointer, a negative length, a descriptor that is no pidfd, flags): the
 * bytes of the ranges advised before the first that fails, else its error.
 * Their results the model predicts are checked as well as hashed.
 *
 * Protection keys (x86_64 with PKU only; op_pkey(), beside one call in
 * PKEY_ONE_IN, from a third stream, so every other call keeps its turn and
 * arguments): pkey_alloc (bad flags and rights too), pkey_free (keys taken
 * or not, 16, -2), pkey_mprotect (as mprotect, with a taken key mostly,
 * -1, or one not taken: EINVAL), and a check that sets random rights for
 * the keys taken and reads and writes every keyed page under them (the
 * model keeps each page's key); PKRU allows every key otherwise, so the
 * other calls run as before. Each seed starts with key 0 alone.
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <memcore/syscall.h>

#define WIN		48		/* pages the calls aim at */
#define SPAN		(WIN + 2)	/* with a PROT_NONE guard page each side */
#define BLOCK		50		/* calls per reported block */
#define FILE_PAGES	3
#define MAP_FPAGES	8		/* pages of the file the window maps */
#define MFD_PAGES	4		/* pages of the memfd it maps, file pages 8-11 to the model */
#define FPAGES		(MAP_FPAGES + MFD_PAGES)
#define SHM_SEGS	4		/* System V segments alive at once */
#define SHM_PAGES	8		/* largest segment */
#define EXT_ONE_IN	5		/* one call in 5 is of the newer kinds (op_ext()) */
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#define MADV_WIPEONFORK	18
#define MADV_KEEPONFORK	19
#define MREMAP_DONTUNMAP 4
#define PKEY_ONE_IN	12		/* a protection-key call beside one call in 12 (op_pkey()) */
#if ABI64
#define TASK_END	0x7ffffffff000ull	/* Linux's TASK_SIZE: one page below USER_TOP */
#define HUGE_LEN	(1ull << 47)
#define SYS_MMAP	SYS_mmap
#else
#define TASK_END	0xc0000000ul		/* i386: all 3 GiB are user space */
#define HUGE_LEN	(1ul << 31)
#define SYS_MMAP	SYS_mmap2		/* SYS_mmap is the one taking a pointer; offsets are 0 */
#endif

/*
 * What the model knows of a page's contents: the byte at one offset, chosen
 * when the page came to be (so it moves with the page under mremap).
 */
struct cell {
	unsigned short off;
	unsigned char val;
};

/*
 * A window page as the model sees it. A private page holds its own cell; a
 * shared page names one in cells[], since two window pages can map one page
 * of a shared object (mremap MREMAP_DONTUNMAP of shared memory leaves the
 * source mapped): a write through either shows in both.
 */
struct page {
	unsigned char mapped, prot, shared, dontfork, wipe;
	struct cell own;		/* private */
	unsigned short cell;		/* shared or cow: cells[cell] */
	unsigned char file;		/* a file mapping's page: file page + 1; 0: anonymous */
	unsigned char cow;		/* private file page not written yet: reads the file */
	unsigned char locked;		/* 1: mlock()ed (VM_LOCKED); 2: on fault (VM_LOCKONFAULT) */
	unsigned char shm, shmoff;	/* a System V attach: segment slot + 1, its page there */
	unsigned char nowrite;		/* never writable (SHM_RDONLY: no VM_MAYWRITE) */
	unsigned short attach;		/* which shmat() made it (each is a file of its own) */
	unsigned char key;		/* protection key (op_pkey()); 0: every mapping's to begin with */
};

/*
 * Cells of shared anonymous objects, then one per page of the mapped file
 * and of the memfd, then those of the System V segments.
 */
#define OBJ_CELLS	(4 * WIN)
#define FILE_CELL(f)	(OBJ_CELLS + (f))
#define SHM_CELL(s, k)	(OBJ_CELLS + FPAGES + (s) * SHM_PAGES + (k))
#define CELLS		SHM_CELL(SHM_SEGS, 0)

/* A System V segment the program made (shmget), by slot. */
struct seg {
	int id;
	unsigned char live, removed, pages;
	pid_t owner;		/* the process that made it: only it uses and removes it */
	size_t size;
};

static char *span, *win;		/* win = span + PAGE */
static struct page pg[WIN];
static struct cell cells[CELLS];
static uint64_t rng, hash;
static int fd_src, fd_dst, fd_map;
static int in_child, trace;	/* 1: calls; 2: and the window's mappings */
static int model_errors;
static uintptr_t brk0;
static sigjmp_buf jb;
static char last_op[160];		/* the call, for tracing */
static volatile int faulted;
static uint64_t rng2;			/* the newer kinds' stream: the older calls keep theirs */
static int classic;			/* only the older kinds (regression seeds found with them) */
static int lock_future;			/* mlockall(MCL_FUTURE): 1; with MCL_ONFAULT: 2 */
static int xflags, xprot;		/* extra mmap flags, mprotect bits (op_ext()) */
static int fd_mfd = -1;
static struct seg segs[SHM_SEGS];
static int dead_shm_id = -1;
static pid_t self;			/* getpid(), kept across forks */
static int fd_pidfd = -1;		/* a pidfd of pidfd_of, for process_madvise */
static pid_t pidfd_of;		/* a segment gone: its id must be refused */
static unsigned short attach_seq;
static unsigned char fpunched[FPAGES];	/* a file page MADV_REMOVE punched: may be out of the cache */
static int have_pkeys;			/* x86_64 with PKU: op_pkey() runs */
static uint64_t rng3;			/* op_pkey()'s stream: the other calls keep theirs */
static unsigned keys_taken;		/* bit k: pkey_alloc() gave key k, pkey_free() has not taken it */
static unsigned cur_pkru;		/* what PKRU should hold: 0 (all allowed) but in op_pkey()'s checks */
static int xkey = -100;			/* op_mprotect() is pkey_mprotect with this key (-1 included) */

/* --- randomness and the result hash ------------------------------------------------ */

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next() % n);
}

static void mix(long v)
{
	hash = (hash ^ (uint64_t)v) * 0x100000001b3ull;
}

/* A result made address-independent: window offsets, or -errno. */
static long norm(long r)
{
	if (r == -1)
		return -errno;
	if ((uintptr_t)r >= (uintptr_t)span && (uintptr_t)r < (uintptr_t)span + SPAN * PAGE)
		return 0x40000000 + ((uintptr_t)r - (uintptr_t)span);
	return r;
}

static void bad(const char *what, long i)
{
	model_errors++;
	if (model_errors < 10)
		diag("model: %s (page %ld)", what, i);
}

/* --- arguments biased toward boundaries ---------------------------------------------- */

static unsigned probe(unsigned i)
{
	return (i * 263) % PAGE;
}

/* Mostly window pages (and one past either end), sometimes unaligned or wild. */
static uintptr_t arg_addr(int wild_ok)
{
	static const uintptr_t wild[] = { 0, 1, 0xfff, TASK_END, USER_TOP, KERNEL_HALF,
					  (uintptr_t)-PAGE };
	unsigned k = pick(20);

	if (wild_ok && k == 0)
		return wild[pick(sizeof(wild) / sizeof(wild[0]))];
	uintptr_t a = (uintptr_t)win + ((long)pick(WIN + 1) - (k == 1)) * PAGE;
	return k == 2 ? a + 1 + pick(PAGE - 1) : a;
}

static size_t arg_len(void)
{
	switch (pick(16)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return PAGE - 1;
	case 3: return PAGE + 1;
	case 4: return HUGE_LEN;
	case 5: return (size_t)-PAGE;
	default: return (1 + pick(8)) * PAGE;
	}
}

static int arg_prot(void)
{
	int p = (int)pick(8);

	/* Not PROT_EXEC alone: Linux makes it execute-only where the CPU has protection keys. */
	if (p == PROT_EXEC)
		p |= PROT_READ;

	if (!pick(16))
		p |= pick(2) ? 0x8 : PROT_GROWSDOWN;
	return p;
}

/* Index of window page @a, or -1 outside the window. */
static long page_of(uintptr_t a)
{
	if (a < (uintptr_t)win || a >= (uintptr_t)win + WIN * PAGE)
		return -1;
	return (long)((a - (uintptr_t)win) / PAGE);
}

/* A range starting past user space: every call must refuse it, touching nothing. */
static int outside_user(uintptr_t a, size_t len)
{
	(void)len;
	return a >= TASK_END;
}

/* The model's page at @a; a scratch entry outside the window. */
static struct page *at(uintptr_t a)
{
	static struct page none;
	long i = page_of(a);

	none = (struct page){ 0 };
	return i < 0 ? &none : &pg[i];
}

/* --- the model ------------------------------------------------------------------------- */

static struct cell *content(struct page *m)
{
	return m->shared || m->cow ? &cells[m->cell] : &m->own;
}

/* A private file page (again) reading its file page: before a write, or after MADV_DONTNEED. */
static void file_cow(struct page *m)
{
	m->shared = 0;
	m->cow = 1;
	m->cell = (unsigned short)FILE_CELL(m->file - 1);
}

/* The model of a write of @v to page @i's byte: the first write to a private file page copies it. */
static void model_write(long i, unsigned char v)
{
	struct page *m = &pg[i];

	if (m->cow) {
		m->own = cells[m->cell];
		m->cow = 0;
	}
	content(m)->val = v;
}

/* A fresh page of a shared object: a cell no window page names, holding zero. */
static unsigned short new_cell(unsigned short off)
{
	unsigned char used[CELLS] = { 0 };
	unsigned short c = 0;

	for (long i = 0; i < WIN; i++)
		if (pg[i].mapped && pg[i].shared && !pg[i].file)
			used[pg[i].cell] = 1;
	while (used[c])
		c++;	/* at most WIN of OBJ_CELLS are named */
	cells[c] = (struct cell){ off, 0 };
	return c;
}

static void model_set(uintptr_t a, size_t len, int mapped, int prot, int shared)
{
	for (uintptr_t p = a; p < a + len; p += PAGE) {
		long i = page_of(p);
		if (i < 0)
			continue;
		pg[i] = (struct page){ .mapped = (unsigned char)mapped, .prot = (unsigned char)prot,
				       .shared = (unsigned char)shared,
				       .own = { (unsigned short)probe((unsigned)i), 0 } };
		if (mapped && shared)
			pg[i].cell = new_cell(pg[i].own.off);
	}
}

/* The first write to a private file page (a populating write fault): it copies the page. */
static void model_copy(struct page *m)
{
	if (m->cow) {
		m->own = cells[m->cell];
		m->cow = 0;
	}
}

/*
 * A new mapping's lock (MAP_LOCKED, or mlockall's MCL_FUTURE) and its
 * population: do_mmap() populates a locked mapping (unless on fault) or a
 * MAP_POPULATE one, with write faults where it is private and writable
 * (populate_vma_page_range(): FOLL_WRITE), which copy a file page at once.
 */
static void model_mapped(uintptr_t a, size_t len, int flags)
{
	int locked = lock_future ? lock_future : (flags & MAP_LOCKED) ? 1 : 0;
	int populate = locked ? locked == 1 : (flags & MAP_POPULATE) != 0;

	for (uintptr_t p = a; p < a + len; p += PAGE) {
		long i = page_of(p);

		if (i < 0 || !pg[i].mapped)
			continue;
		pg[i].locked = (unsigned char)locked;
		if (populate && !pg[i].shared && (pg[i].prot & PROT_WRITE))
			model_copy(&pg[i]);
	}
}

static void on_segv(int sig)
{
	(void)sig;
	faulted = 1;
	siglongjmp(jb, 1);
}

#if ABI64
static void set_pkru(unsigned v)
{
	if (have_pkeys)		/* WRPKRU: EAX the value, ECX and EDX 0 */
		__asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}
#else
static void set_pkru(unsigned v)
{
	(void)v;
}
#endif

/* Reads (and with @write, writes back) the model's byte of page @i; -1 if it faulted. */
static int touch(long i, int write, unsigned char v)
{
	volatile unsigned char *p = (volatile unsigned char *)win + i * PAGE + content(&pg[i])->off;
	int got;

	faulted = 0;
	if (sigsetjmp(jb, 1)) {
		set_pkru(cur_pkru);	/* the handler's default PKRU stays after siglongjmp */
		return -1;
	}
	got = *p;
	if (write)
		*p = v;
	return got;
}

/* Every page as the model says: readable or not, writable or not, its byte. */
static void verify(void)
{
	for (long i = 0; i < WIN; i++) {
		const struct page *m = &pg[i];

		if (in_child && m->mapped && m->shared)
			continue;	/* the parent's object: a fault here would grow it */
		int r = touch(i, 0, 0);

		if (!m->mapped || !(m->prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) {
			if (r >= 0)
				bad("readable, should fault", i);
			continue;
		}
		if (r < 0) {
			bad("faults, should be readable", i);
			continue;
		}
		if (r != content(&pg[i])->val) {
			if (trace)
				diag("page %ld holds %#x, model %#x (shared %d file %d cow %d wipe %d)", i, r,
				     content(&pg[i])->val, m->shared, m->file, m->cow, m->wipe);
			bad("content differs", i);
		}
		if (touch(i, 1, (unsigned char)r) < 0 ? (m->prot & PROT_WRITE) : !(m->prot & PROT_WRITE))
			bad("writability differs", i);
		else if (m->prot & PROT_WRITE)
			model_write(i, (unsigned char)r);	/* the write-back copies a cow page */
	}
}

/* --- the calls --------------------------------------------------------------------------- */

static int window_range(uintptr_t a, size_t len)
{
	/* a + len must not wrap (a = -PAGE passed, and seed 78 looped for ever) */
	return a >= (uintptr_t)win && len <= WIN * PAGE && a + len >= a &&
	       a + len <= (uintptr_t)win + WIN * PAGE && !(a & (PAGE - 1));
}

static size_t page_up(size_t len)
{
	return (len + PAGE - 1) & ~(PAGE - 1);
}

/*
 * mmap of the file (MAP_FPAGES pages, opened read-write), shared or private,
 * at a page offset, never past its end (that is SIGBUS territory); now and
 * then an unaligned offset or a closed descriptor, which must fail.
 */
static long mmap_file(int fd_file, unsigned base, unsigned fpages)
{
	uintptr_t a = (uintptr_t)win + pick(WIN) * PAGE;
	unsigned f = pick(fpages), n = 1 + pick(fpages - f);
	size_t len = n * PAGE - (pick(4) ? 0 : 1 + pick(PAGE - 1));
	int prot = arg_prot() & ~PROT_GROWSDOWN, shared = pick(2);
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | (pick(6) ? MAP_FIXED : MAP_FIXED_NOREPLACE);
	long off = (long)f * PAGE, fd = fd_file;

	if (!pick(8))
		flags |= MAP_POPULATE;
	if (!pick(16))
		off += 1 + pick(PAGE - 1);
	if (!pick(16))
		fd = 1000;
	if (a + n * PAGE > (uintptr_t)win + WIN * PAGE)
		return 0;
	if (in_child && shared)
		return 0;	/* the child's writes would change the parent's file */
	flags |= xflags & ~MAP_SHARED_VALIDATE;
	if ((xflags & MAP_SHARED_VALIDATE) == MAP_SHARED_VALIDATE && shared)
		flags |= MAP_SHARED_VALIDATE;	/* unknown flags: EOPNOTSUPP */
	else if (xflags & MAP_SYNC)
		return 0;	/* not validated, MAP_SYNC makes a VM_SYNC vma (docs/syscalls.md) */
	snprintf(last_op, sizeof(last_op), "mmap(%#lx, %#zx, %#x, %#x, %s, %#lx)",
		 (unsigned long)norm((long)a), len, prot, flags, base ? "memfd" : "file", off);
#if ABI64
	long r = syscall(SYS_MMAP, a, len, prot, flags, fd, off);
#else
	long r = syscall(SYS_MMAP, a, len, prot, flags, fd, off / (long)PAGE);	/* mmap2: in pages */
#endif
	if (r == -1)
		return norm(r);
	for (unsigned k = 0; k < n; k++) {
		struct page *m = &pg[page_of((uintptr_t)r) + k];

		*m = (struct page){ .mapped = 1, .prot = (unsigned char)(prot & 7),
				    .file = (unsigned char)(base + f + k + 1) };
		file_cow(m);
		if (shared) {
			m->cow = 0;
			m->shared = 1;
		}
	}
	/* MAP_POPULATE of a private writable mapping copies its pages now (seed 354). */
	model_mapped((uintptr_t)r, n * PAGE, flags);
	return norm(r);
}

static long op_mmap_file(void)
{
	return mmap_file(fd_map, 0, MAP_FPAGES);
}

static long op_mmap(void)
{
	uintptr_t a = arg_addr(1);
	size_t len = arg_len();
	int prot = arg_prot(), shared = pick(3) == 0;
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;

	if (!pick(3))
		return op_mmap_file();

	flags |= pick(6) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	switch (pick(12)) {
	case 0: flags |= MAP_POPULATE; break;
	case 1: flags |= MAP_NORESERVE; break;
	case 2: flags |= MAP_STACK; break;
	case 3: flags &= ~(MAP_SHARED | MAP_PRIVATE); break;
	}
	flags |= xflags;	/* MAP_SHARED_VALIDATE turns a private one shared */
	if (flags & MAP_SYNC)
		return 0;	/* anonymous: a VM_SYNC vma on Linux (docs/syscalls.md) */
	if ((flags & MAP_GROWSDOWN) && (flags & MAP_SHARED_VALIDATE) == MAP_PRIVATE)
		return 0;	/* a stack: faults below it would grow it, which the model does not */
	shared = (flags & MAP_SHARED) != 0;
	/*
	 * Below vm.mmap_min_addr: Linux lets root (CAP_SYS_RAWIO) map there,
	 * memcore keeps the null guard for everyone (docs/syscalls.md).
	 */
	if (a < 0x10000 && !(a & (PAGE - 1)))
		return 0;
	/* MAP_FIXED outside the window would replace this program: only where it must fail. */
	if (!window_range(a, page_up(len)) && !(a >= (uintptr_t)-PAGE || a >= TASK_END || a < 0x10000))
		return 0;
	snprintf(last_op, sizeof(last_op), "mmap(%#lx, %#zx, %#x, %#x)", (unsigned long)norm((long)a), len, prot, flags);
	long r = syscall(SYS_MMAP, a, len, prot, flags, -1, 0);
	if (r != -1) {
		model_set((uintptr_t)r, page_up(len), 1, prot & 7, shared);
		model_mapped((uintptr_t)r, page_up(len), flags);
	}
	return norm(r);
}

static long op_munmap(void)
{
	uintptr_t a = arg_addr(1);
	size_t len = arg_len();

	if (!window_range(a & ~(PAGE - 1), page_up(len)) && !outside_user(a, len))
		return 0;
	snprintf(last_op, sizeof(last_op), "munmap(%#lx, %#zx)", (unsigned long)norm((long)a), len);
	long r = syscall(SYS_munmap, a, len);
	if (!r)
		model_set(a, page_up(len), 0, 0, 0);
	return norm(r);
}

static long op_mprotect(void)
{
	uintptr_t a = arg_addr(1);
	size_t len = arg_len();
	int prot = arg_prot() | xprot;

	if (!window_range(a & ~(PAGE - 1), page_up(len)) && !outside_user(a, len))
		return 0;
	snprintf(last_op, sizeof(last_op), "mprotect(%#lx, %#zx, %#x)", (unsigned long)norm((long)a), len, prot);
	if (xkey != -100)
		snprintf(last_op, sizeof(last_op), "pkey_mprotect(%#lx, %#zx, %#x, %d)",
			 (unsigned long)norm((long)a), len, prot, xkey);
	long r = xkey != -100 ? syscall(SYS_pkey_mprotect, a, len, prot, xkey) : syscall(SYS_mprotect, a, len, prot);
	int err = r ? errno : 0;
	/*
	 * Linux changes the pages up to the first hole, then says ENOMEM; or
	 * up to a mapping that may never be writable, then says EACCES.
	 */
	if (!r || ((err == ENOMEM || err == EACCES) && window_range(a, page_up(len)) &&
		   !(prot & (PROT_GROWSDOWN | PROT_GROWSUP))))
		for (uintptr_t p = a; p < a + page_up(len) && at(p)->mapped; p += PAGE) {
			struct page *m = at(p);

			if ((prot & PROT_WRITE) && m->nowrite) {
				if (err != EACCES)
					bad("mprotect: writable, should be EACCES", page_of(p));
				break;
			}

			/*
			 * mprotect_fixup(): a locked private mapping made writable
			 * is populated with write faults, copying file pages.
			 */
			if (m->locked == 1 && !m->shared && !(m->prot & PROT_WRITE) && (prot & PROT_WRITE))
				model_copy(m);
			m->prot = (unsigned char)(prot & 7);
			if (xkey >= 0)
				m->key = (unsigned char)xkey;	/* an allocated one: else EINVAL before any change */
		}
	return norm(r);
}

static long op_madvise(void)
{
	static const int advice[] = { MADV_DONTNEED, MADV_DONTNEED, MADV_NORMAL, MADV_DONTFORK,
				      MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK, 99 };
	uintptr_t a = arg_addr(1);
	size_t len = arg_len();
	int adv = advice[pick(sizeof(advice) / sizeof(advice[0]))];

	if (!window_range(a & ~(PAGE - 1), page_up(len)) && !outside_user(a, len))
		return 0;
	snprintf(last_op, sizeof(last_op), "madvise(%#lx, %#zx, %d)", (unsigned long)norm((long)a), len, adv);
	long r = syscall(SYS_madvise, a, len, adv);
	/*
	 * Linux advises every mapping in the range and says ENOMEM if there were
	 * holes; WIPEONFORK stops with EINVAL at the first shared or file one,
	 * KEEPONFORK clears the flag on every kind (seed 244).
	 */
	int wipe = adv == MADV_WIPEONFORK;
	if (r && !(window_range(a, page_up(len)) && adv != 99 &&
		   (errno == ENOMEM || (errno == EINVAL && (wipe || adv == MADV_DONTNEED)))))
		return norm(r);
	for (uintptr_t p = a; p < a + page_up(len); p += PAGE) {
		long i = page_of(p);
		if (i < 0 || !pg[i].mapped)
			continue;
		if (wipe && (pg[i].shared || pg[i].file))
			break;
		if (adv == MADV_DONTNEED && pg[i].locked)
			break;	/* madvise_dontneed_free_valid_vma(): EINVAL */
		if (adv == MADV_DONTNEED && pg[i].file && !pg[i].shared)
			file_cow(&pg[i]);	/* the private copy goes: the file shows again */
		else if (adv == MADV_DONTNEED && !pg[i].shared)
			pg[i].own.val = 0;
		pg[i].dontfork = adv == MADV_DONTFORK ? 1 : adv == MADV_DOFORK ? 0 : pg[i].dontfork;
		pg[i].wipe = adv == MADV_WIPEONFORK ? 1 : adv == MADV_KEEPONFORK ? 0 : pg[i].wipe;
	}
	return norm(r);
}

static long op_mremap(void)
{
	uintptr_t a = arg_addr(1), to = arg_addr(0) & ~(PAGE - 1);
	size_t old = arg_len() % (9 * PAGE), len = (1 + pick(8)) * PAGE;
	int flags = 0;

	switch (pick(6)) {
	case 0: case 1: break;					/* in place */
	case 2: case 3: flags = MREMAP_MAYMOVE | MREMAP_FIXED; break;
	case 4: flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED; len = page_up(old); break;
	case 5: flags = 8; break;				/* unknown */
	}
	if (page_of(a) < 0 || !window_range(a & ~(PAGE - 1), page_up(old)) ||
	    ((flags & MREMAP_FIXED) && !window_range(to, len)))
		return 0;
	if (!(flags & MREMAP_FIXED) && !window_range(a & ~(PAGE - 1), len))
		return 0;
	if ((at(a)->shared || at(a)->file) && (len > page_up(old) || !old))
		return 0;	/* growing shared memory or a file mapping past its object: SIGBUS territory */
	/* move_vma() unlocks the whole old vma, whose extent the model does not know. */
	for (uintptr_t p = a & ~(PAGE - 1); (flags & MREMAP_DONTUNMAP) && p < a + old; p += PAGE)
		if (at(p)->locked)
			return 0;
	struct page saved[WIN];
	memcpy(saved, pg, sizeof(pg));
	snprintf(last_op, sizeof(last_op), "mremap(%#lx, %#zx, %#zx, %d, %#lx)", (unsigned long)norm((long)a), old, len, flags, (unsigned long)norm((long)to));
	long r = syscall(SYS_mremap, a, old, len, flags, to);
	int err = r == -1 ? errno : 0;
	size_t o = page_up(old);
	/*
	 * Linux 6.1's order (mremap(), mremap_to()): past the argument checks (on
	 * the lengths as given) and
	 * the source lookup, MREMAP_FIXED unmaps the target, and any shrink unmaps
	 * the source's tail, before the checks that may still fail.
	 */
	int valid = !(flags & ~7) && !(a & (PAGE - 1)) && at(a)->mapped &&
		    (!(flags & MREMAP_DONTUNMAP) || old == len);
	if (valid && (flags & MREMAP_FIXED) && !(a + o > to && to + len > a)) {
		model_set(to, len, 0, 0, 0);
		if (o > len) {
			model_set(a + len, o - len, 0, 0, 0);
			o = len;
		}
	} else if (valid && !(flags & MREMAP_FIXED) && o >= len) {
		model_set(a + len, o - len, 0, 0, 0);
		o = len;
	}
	if (err)
		return -err;
	long from = page_of(a), dst = page_of((uintptr_t)r);
	size_t n = o / PAGE, m = len / PAGE;
	if (!(flags & MREMAP_DONTUNMAP))
		model_set(a, o, 0, 0, 0);
	else
		for (size_t k = 0; k < n; k++)
			if (pg[from + k].file && !pg[from + k].shared)
				file_cow(&pg[from + k]);	/* private file: reads the file again */
			else
				pg[from + k].own.val = 0;	/* private: emptied; shared: its cell */
	for (size_t k = 0; k < m && n; k++) {
		struct page p = saved[from + (k < n ? k : n - 1)];
		if (k >= n)
			p.own.val = 0;	/* grown: fresh memory (never shared) */
		if (dst + (long)k < WIN)
			pg[dst + k] = p;
	}
	return norm(r);
}

static long op_brk(void)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	long delta = ((long)pick(12) - 3) * (long)PAGE + (pick(4) ? 0 : (long)pick(PAGE));
	uintptr_t want = cur + delta;

	if (want < brk0 || want > brk0 + 64 * PAGE)
		want = pick(2) ? brk0 - PAGE : brk0;
	return (long)((uintptr_t)syscall(SYS_brk, want) - brk0);
}

/* read/pread into and write/pwrite from any buffer: short counts and EFAULT. */
static long op_io(void)
{
	uintptr_t a = arg_addr(1);
	size_t len = arg_len() % (3 * PAGE);
	unsigned c = pick(4);
	long r;

	snprintf(last_op, sizeof(last_op), "io%u(%#lx, %#zx)", c, (unsigned long)norm((long)a), len);
	/* A child leaves the parent's shared pages alone: a copy would fault them in. */
	for (uintptr_t p = a & ~(PAGE - 1); in_child && p < a + len && p >= (a & ~(PAGE - 1)); p += PAGE)
		if (at(p)->shared)
			return 0;
	switch (c) {
	case 0:
		if (!window_range(a & ~(PAGE - 1), page_up(a + len) - (a & ~(PAGE - 1))) &&
		    a < USER_TOP)
			return 0;
		r = pread(fd_src, (void *)a, len, 0);
		if (r > 0)
			for (uintptr_t p = a; p < a + (size_t)r; p++) {
				long i = page_of(p);
				if (i >= 0 && pg[i].cow)
					model_write(i, content(&pg[i])->val);	/* any write copies it */
				if (i >= 0 && (p & (PAGE - 1)) == content(&pg[i])->off)
					content(&pg[i])->val = (unsigned char)((p - a) * 31 + 7);
			}
		return norm(r);
	case 1:
		return norm(pwrite(fd_dst, (void *)a, len, 0));
	case 2:
		if (trace)
			for (uintptr_t p = a & ~(PAGE - 1); p < a + len && p >= (a & ~(PAGE - 1)); p += PAGE)
				if (page_of(p) >= 0)
					diag("page %ld: model mapped %d prot %d, touch %d", page_of(p),
					     at(p)->mapped, at(p)->prot, touch(page_of(p), 0, 0));
		lseek(fd_dst, 0, SEEK_SET);
		return norm(write(fd_dst, (void *)a, len));
	default:
		return norm(syscall(SYS_write, fd_dst, a | 0xffff000000000000ull, len));
	}
}

static long op_store(void)
{
	long i = pick(WIN);
	unsigned char v = (unsigned char)next();
	const struct page *m = &pg[i];

	if (in_child && m->shared)
		return 0;
	int r = touch(i, 1, v);
	int ok_w = m->mapped && (m->prot & PROT_WRITE);
	if ((r >= 0 && !faulted) != ok_w)
		bad("store outcome differs", i);
	if (r >= 0 && !faulted)
		model_write(i, v);
	return ok_w;
}

/* --- the newer kinds: locks, residency, msync, more advice, System V shm, memfd ----------- */

/* A range of the window (or past user space) for a call on [a, a + len), else 0. */
static int ext_range(uintptr_t a, size_t len)
{
	return window_range(a & ~(PAGE - 1), page_up(len)) || outside_user(a, len);
}

/* A child leaves the parent's shared objects alone: populating one would grow it. */
static int child_shared(uintptr_t a, size_t len)
{
	if (!in_child || !window_range(a & ~(PAGE - 1), page_up(len + (a & (PAGE - 1)))))
		return 0;	/* out of the window: fails, or maps nothing of the parent's */
	for (uintptr_t p = a & ~(PAGE - 1); p < a + len; p += PAGE)
		if (at(p)->mapped && at(p)->shared)
			return 1;
	return 0;
}

/* A result the model predicted: checked, and hashed as any other. */
static long expect(long r, long want)
{
	if (r != want) {
		if (trace)
			diag("%s: %ld, model %ld", last_op, r, want);
		bad("result differs from the model's", want);
	}
	return r;
}

/*
 * mlock, mlock2 (MLOCK_ONFAULT, a bad flag) and munlock, as do_mlock():
 * the range starts at @a's page and covers @len more bytes (PAGE_ALIGN may
 * wrap it to nothing); regions are locked up to the first hole (ENOMEM);
 * then, unless on fault, populated with write faults where private and
 * writable, stopping at a PROT_NONE region (EFAULT, which mlock says as
 * ENOMEM).
 */
static long op_mlock(void)
{
	uintptr_t a = arg_addr(1);
	size_t len = arg_len();
	unsigned how = pick(6);		/* 0-1 mlock, 2 mlock2 on fault, 3 a bad flag, 4-5 munlock */
	uintptr_t start = a & ~(PAGE - 1);
	size_t l = (len + (a & (PAGE - 1)) + PAGE - 1) & ~(PAGE - 1);
	int val = how < 2 ? 1 : how == 2 ? 2 : 0;
	long r, want = 0;

	if (l && !window_range(start, l) && !outside_user(a, len))
		return 0;
	if (child_shared(a, l))
		return 0;
	snprintf(last_op, sizeof(last_op), "%s(%#lx, %#zx)", how < 2 ? "mlock" : how < 4 ? "mlock2" :
		 "munlock", (unsigned long)norm((long)a), len);
	if (how < 2)
		r = syscall(SYS_mlock, a, len);
	else if (how < 4)
		r = syscall(SYS_mlock2, a, len, how == 2 ? MLOCK_ONFAULT : 2);
	else
		r = syscall(SYS_munlock, a, len);
	r = norm(r);
	if (how == 3)
		return expect(r, -EINVAL);
	if (outside_user(a, len) || !l)
		return r;
	if (start + l < start)
		return expect(r, -EINVAL);
	for (uintptr_t p = start; p < start + l; p += PAGE) {
		if (!at(p)->mapped) {
			want = -ENOMEM;
			break;
		}
		at(p)->locked = (unsigned char)val;
	}
	for (uintptr_t p = start; !want && val == 1 && p < start + l; p += PAGE) {
		if (!at(p)->prot) {
			want = -ENOMEM;
			break;
		}
		if (!at(p)->shared && (at(p)->prot & PROT_WRITE))
			model_copy(at(p));
	}
	return expect(r, want);
}

/* mlockall (good and bad flags) and munlockall: every mapping, and MCL_FUTURE's later ones. */
static long op_mlockall(void)
{
	static const int flags[] = { MCL_CURRENT, MCL_FUTURE, MCL_CURRENT | MCL_FUTURE,
				     MCL_CURRENT | MCL_ONFAULT, MCL_FUTURE | MCL_ONFAULT, MCL_ONFAULT,
				     0, 8, -1, -1, -1 };
	int f = flags[pick(sizeof(flags) / sizeof(flags[0]))];
	long r;

	snprintf(last_op, sizeof(last_op), f < 0 ? "munlockall()" : "mlockall(%#x)", f);
	if (f < 0) {
		r = norm(syscall(SYS_munlockall));
		for (long i = 0; i < WIN; i++)
			pg[i].locked = 0;
		lock_future = 0;
		return expect(r, 0);
	}
	if (in_child)
		return 0;	/* it would populate the parent's shared objects */
	r = norm(syscall(SYS_mlockall, f));
	if (!f || (f & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || f == MCL_ONFAULT)
		return expect(r, -EINVAL);
	lock_future = (f & MCL_FUTURE) ? (f & MCL_ONFAULT) ? 2 : 1 : 0;
	for (long i = 0; (f & MCL_CURRENT) && i < WIN; i++) {
		if (!pg[i].mapped)
			continue;
		pg[i].locked = (f & MCL_ONFAULT) ? 2 : 1;
		if (!(f & MCL_ONFAULT) && !pg[i].shared && (pg[i].prot & PROT_WRITE))
			model_copy(&pg[i]);
	}
	return expect(r, 0);
}

/*
 * mincore: EINVAL unaligned, ENOMEM where a page of the range is unmapped,
 * else a byte per page, hashed (its low bit). A page of the mapped file is
 * always in the page cache (the file was written whole), unless punched.
 * In a fork child the vector is not hashed: Linux's fork copies the page
 * tables only of mappings that hold anonymous pages (vma_needs_copy()), so
 * a page that only read the zero page is resident in the child or not by
 * what else its vma holds (docs/syscalls.md).
 */
static long op_mincore(void)
{
	uintptr_t a = arg_addr(1);
	size_t len = arg_len();
	unsigned char vec[WIN + 16];
	void *v = pick(16) ? (void *)vec : (void *)16;	/* a bad vector: EFAULT */
	long r, want = 0;

	if (!ext_range(a, len))
		return 0;
	snprintf(last_op, sizeof(last_op), "mincore(%#lx, %#zx%s)", (unsigned long)norm((long)a), len,
		 v == vec ? "" : ", bad vector");
	memset(vec, 0xee, sizeof(vec));
	r = norm(syscall(SYS_mincore, a, len, v));
	if (outside_user(a, len))
		return r;
	if (a & (PAGE - 1))
		return expect(r, -EINVAL);
	for (uintptr_t p = a; p < a + page_up(len); p += PAGE)
		if (!at(p)->mapped)
			want = -ENOMEM;
	if (v != vec)	/* the first region's bytes cannot be stored */
		return expect(r, !len ? 0 : !at(a)->mapped ? -ENOMEM : -EFAULT);
	expect(r, want);
	for (size_t k = 0; !r && k < page_up(len) / PAGE; k++) {
		struct page *m = at(a + k * PAGE);

		if (!in_child)	/* see above */
			mix(vec[k] & 1);
		if (trace)
			snprintf(last_op + strlen(last_op), sizeof(last_op) - strlen(last_op), "%c",
				 '0' + (vec[k] & 1));
		if (m->file && m->file <= MAP_FPAGES && !fpunched[m->file - 1] && !(vec[k] & 1))
			bad("a page of the file not resident", page_of(a + k * PAGE));
	}
	return r;
}

/*
 * msync, in Linux's order: unknown flags, unaligned, MS_ASYNC with MS_SYNC:
 * EINVAL; a wrapping length: ENOMEM; then region by region: a hole is
 * ENOMEM (at once for MS_SYNC alone, else at the end), MS_INVALIDATE on a
 * locked region EBUSY.
 */
static long op_msync(void)
{
	static const int flags[] = { MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_ASYNC | MS_INVALIDATE,
				     MS_SYNC | MS_INVALIDATE, MS_ASYNC | MS_SYNC, 0, 8 };
	uintptr_t a = arg_addr(1);
	size_t len = arg_len();
	int f = flags[pick(sizeof(flags) / sizeof(flags[0]))];
	long r, want = 0;

	if (!ext_range(a, len))
		return 0;
	snprintf(last_op, sizeof(last_op), "msync(%#lx, %#zx, %d)", (unsigned long)norm((long)a), len, f);
	r = norm(syscall(SYS_msync, a, len, f));
	if ((f & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) || (a & (PAGE - 1)) ||
	    ((f & MS_ASYNC) && (f & MS_SYNC)))
		return expect(r, -EINVAL);
	if (outside_user(a, len))
		return r;
	for (uintptr_t p = a; p < a + page_up(len); p += PAGE) {
		if (!at(p)->mapped)
			want = -ENOMEM;
		else if ((f & MS_INVALIDATE) && at(p)->locked)
			return expect(r, -EBUSY);
	}
	return expect(r, want);
}

/*
 * The advice t_fuzz's first madvise does not give: hints, which change
 * nothing the model sees (WILLNEED; COLD and PAGEOUT refuse locked
 * regions), MADV_POPULATE_READ/WRITE (EINVAL on a region without that
 * access; writes copy private file pages), MADV_REMOVE (a hole punched in
 * a shared object: every sharer reads zeroes; EINVAL locked or private
 * anonymous, EACCES private or never writable), an unknown one.
 * Region by region as madvise_walk_vmas(): the first error stops the walk,
 * holes give ENOMEM at the end.
 */
static long op_madvise2(void)
{
	static const int advice[] = { MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ,
				      MADV_POPULATE_WRITE, MADV_POPULATE_WRITE, MADV_REMOVE,
				      MADV_REMOVE, MADV_FREE + 100 };
	uintptr_t a = arg_addr(1);
	size_t len = arg_len();
	int adv = advice[pick(sizeof(advice) / sizeof(advice[0]))];
	long r, want = 0;

	if (!ext_range(a, len) || child_shared(a, len))
		return 0;
	snprintf(last_op, sizeof(last_op), "madvise(%#lx, %#zx, %d)", (unsigned long)norm((long)a), len, adv);
	r = norm(syscall(SYS_madvise, a, len, adv));
	if (adv > 100 || (a & (PAGE - 1)))
		return expect(r, -EINVAL);
	if (outside_user(a, len))
		return r;
	for (uintptr_t p = a; p < a + page_up(len); p += PAGE) {
		struct page *m = at(p);
		long err = 0;

		if (!m->mapped) {
			want = -ENOMEM;
			continue;
		}
		switch (adv) {
		case MADV_COLD:
		case MADV_PAGEOUT:
			err = m->locked ? -EINVAL : 0;
			break;
		case MADV_POPULATE_READ:
			err = m->prot & PROT_READ ? 0 : -EINVAL;
			break;
		case MADV_POPULATE_WRITE:
			err = m->prot & PROT_WRITE ? 0 : -EINVAL;
			if (!err && !m->shared)
				model_copy(m);
			break;
		case MADV_REMOVE:
			if (m->locked || (!m->shared && !m->file))
				err = -EINVAL;
			else if (!m->shared || m->nowrite)
				err = -EACCES;	/* private, or never writable */
			else {
				content(m)->val = 0;
				if (m->file)
					fpunched[m->file - 1] = 1;
			}
			break;
		}
		if (err)
			return expect(r, err);
	}
	return expect(r, want);
}

#define NR_pidfd_open	434
#define UIO_MAXIOV	1024
#define PM_IOVS		4		/* ranges of a process_madvise call, at most */

/* A pidfd of this process (a forked child opens its own, the parent's is not its). */
static int own_pidfd(void)
{
	if (pidfd_of != self) {
		if (fd_pidfd >= 0)
			close(fd_pidfd);
		fd_pidfd = (int)syscall(NR_pidfd_open, self, 0);
		pidfd_of = self;
	}
	return fd_pidfd;
}

/*
 * What madvise(@a, @len, @adv) gives for one of process_madvise's hints
 * (WILLNEED, COLD, PAGEOUT: no content changes): do_madvise()'s checks,
 * then region by region, holes ENOMEM at the end, COLD and PAGEOUT EINVAL
 * on locked pages.
 */
static long hint_model(uintptr_t a, size_t len, int adv)
{
	long want = 0;

	if (a & (PAGE - 1))
		return -EINVAL;
	if (len && !page_up(len))
		return -EINVAL;
	for (uintptr_t p = a; p < a + page_up(len); p += PAGE) {
		struct page *m = at(p);

		if (!m->mapped)
			want = -ENOMEM;
		else if (m->locked && adv != MADV_WILLNEED)
			return -EINVAL;
	}
	return want;
}

/*
 * A range for process_madvise: a few pages at either edge of the window or
 * running to it, right after the range before, or any of arg_addr() and
 * arg_len() (unaligned, empty, wild, negative).
 */
static struct iovec pm_range(const struct iovec *prev)
{
	size_t len = pick(4) * PAGE;
	uintptr_t a;

	switch (pick(6)) {
	case 0: a = (uintptr_t)win; break;
	case 1: a = (uintptr_t)win + WIN * PAGE - len; break;
	case 2: a = (uintptr_t)win + pick(WIN + 1) * PAGE; len = PAGE; break;
	case 3:
		if (prev) {
			a = (uintptr_t)prev->iov_base + prev->iov_len;
			break;
		}
		/* fall through */
	default: a = arg_addr(1); len = arg_len(); break;
	}
	return (struct iovec){ (void *)a, len };
}

static unsigned pm_ranges(struct iovec *v)
{
	unsigned n = pick(PM_IOVS + 1);

	for (unsigned i = 0; i < n; i++)
		v[i] = pm_range(i ? &v[i - 1] : NULL);
	return n;
}

/*
 * process_madvise(pidfd, vec, vlen, advice, flags) on this process, in
 * Linux's order of checks: flags, the vector (vlen, reading it, a length
 * negative as ssize_t, then a range past user space EFAULT), the
 * descriptor, the advice; then range by range as madvise (an empty range
 * only when first: the walk steps over the others), the bytes before the
 * first failure, else its error. A call the model cannot follow (a range
 * out of the window, a shared page in a child) is not made.
 */
static long op_pmadvise(void)
{
	static const int advice[] = { MADV_WILLNEED, MADV_COLD, MADV_COLD, MADV_PAGEOUT,
				      MADV_PAGEOUT, MADV_DONTNEED };
	static const uintptr_t bad_vec[] = { 0, KERNEL_HALF };
	static struct iovec v[PM_IOVS];
	unsigned n = pm_ranges(v), vlen = pick(16) ? n : UIO_MAXIOV + 1;
	int adv = advice[pick(sizeof(advice) / sizeof(advice[0]))];
	int fd = pick(16) ? own_pidfd() : fd_src, flags = pick(16) == 0;
	uintptr_t vec = pick(12) ? (uintptr_t)v : pick(3) ? bad_vec[pick(2)] : (uintptr_t)span;
	int negative = 0, outside = 0;
	long r, done = 0;

	for (unsigned i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)v[i].iov_base;

		negative |= (ssize_t)v[i].iov_len < 0;
		outside |= v[i].iov_len > TASK_END || a > TASK_END - v[i].iov_len;	/* access_ok() */
		if ((!ext_range(a, v[i].iov_len) && (ssize_t)v[i].iov_len >= 0) ||
		    child_shared(a, v[i].iov_len))
			return 0;
	}
	snprintf(last_op, sizeof(last_op), "process_madvise(%s, %u ranges, %d, %d)",
		 fd == fd_src ? "file" : "self", vlen, adv, flags);
	r = norm(syscall(SYS_process_madvise, fd, vec, vlen, adv, flags));
	if (flags || vlen > UIO_MAXIOV)
		return expect(r, -EINVAL);
	if (vlen && vec != (uintptr_t)v)
		return expect(r, -EFAULT);
	if (negative)
		return expect(r, -EINVAL);
	if (outside)
		return expect(r, -EFAULT);
	if (fd == fd_src)
		return expect(r, -EBADF);
	if (adv == MADV_DONTNEED)
		return expect(r, -EINVAL);
	for (unsigned i = 0; i < n; i++) {
		size_t left = 0;

		for (unsigned j = i; j < n; j++)
			left += v[j].iov_len;
		if (!left)
			break;		/* empty ranges at the end are never looked at */
		if (!v[i].iov_len && i)
			continue;	/* nor after the first */
		long err = hint_model((uintptr_t)v[i].iov_base, v[i].iov_len, adv);
		if (err < 0)
			return expect(r, done ? done : err);
		done += (long)v[i].iov_len;
	}
	return expect(r, done);
}

/* Segments removed and attached nowhere are gone (shm_may_destroy()). */
static void seg_gc(void)
{
	for (int s = 0; s < SHM_SEGS; s++) {
		int attached = 0;

		for (long i = 0; i < WIN && segs[s].live && segs[s].removed; i++)
			attached |= pg[i].mapped && pg[i].shm == s + 1;
		if (segs[s].live && segs[s].removed && !attached) {
			segs[s].live = 0;
			dead_shm_id = segs[s].id;
		}
	}
}

/* shmget(IPC_PRIVATE) of 1-8 pages (or an odd size, none, too many): a fresh zeroed segment. */
static long shm_get(void)
{
	int s = 0;
	size_t size = (1 + pick(SHM_PAGES)) * PAGE - (pick(4) ? 0 : 1 + pick(PAGE - 1));

	while (s < SHM_SEGS && segs[s].live)
		s++;
	if (!pick(16))
		size = pick(2) ? 0 : (size_t)-PAGE;
	if (s == SHM_SEGS)
		return 0;
	snprintf(last_op, sizeof(last_op), "shmget(%#zx)", size);
	int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
	if (id < 0)
		return -errno;
	segs[s] = (struct seg){ .id = id, .live = 1, .pages = (unsigned char)(page_up(size) / PAGE),
				.owner = self, .size = size };
	for (unsigned k = 0; k < SHM_PAGES; k++)
		cells[SHM_CELL(s, k)] = (struct cell){ (unsigned short)probe(k * 7 + (unsigned)s + 3), 0 };
	return 0;
}

/*
 * shmat at a window page (or anywhere, detached at once), SHM_RND for an
 * unaligned address, SHM_RDONLY, SHM_EXEC, SHM_REMAP (without it, EINVAL
 * where anything is mapped), or a bad or removed id.
 */
static long shm_at(void)
{
	int s = (int)pick(SHM_SEGS), id = segs[s].id;
	unsigned k = pick(10);
	uintptr_t a = (uintptr_t)win + pick(WIN) * PAGE;
	int flags = (pick(4) ? 0 : SHM_RDONLY) | (pick(2) ? SHM_REMAP : 0) | (pick(8) ? 0 : SHM_EXEC);

	if (k == 0)
		a = 0;
	else if (k <= 2)
		a += 1 + pick(PAGE - 1);
	if (k == 2)
		flags |= SHM_RND;
	if (!segs[s].live || segs[s].owner != self)
		id = pick(2) ? dead_shm_id : -1;
	else if (a && (a & ~(PAGE - 1)) + segs[s].pages * PAGE > (uintptr_t)win + WIN * PAGE)
		return 0;
	snprintf(last_op, sizeof(last_op), "shmat(%d, %#lx, %#x)", s, (unsigned long)norm((long)a), flags);
	void *p = shmat(id, (void *)a, flags);
	if (p == (void *)-1)
		return -errno;
	uintptr_t at_ = (uintptr_t)p;
	if (page_of(at_) < 0) {
		long r = shmdt(p);
		return 0x100 + r;	/* placed outside the window: only whether it worked */
	}
	attach_seq++;
	for (unsigned j = 0; j < segs[s].pages; j++) {
		long i = page_of(at_ + j * PAGE);

		pg[i] = (struct page){ .mapped = 1, .shared = 1, .cell = (unsigned short)SHM_CELL(s, j),
				       .prot = (unsigned char)((flags & SHM_RDONLY ? PROT_READ :
							       PROT_READ | PROT_WRITE) |
							      (flags & SHM_EXEC ? PROT_EXEC : 0)),
				       .shm = (unsigned char)(s + 1), .shmoff = (unsigned char)j,
				       .attach = attach_seq, .nowrite = (flags & SHM_RDONLY) != 0 };
	}
	model_mapped(at_, segs[s].pages * PAGE, 0);
	return norm((long)p);
}

/*
 * shmdt as Linux's: the first shm region at or above @a whose offset in
 * its segment is its distance from @a is unmapped, then every region of
 * the same attach lying as far from @a as its offset, within the
 * segment's size. None: EINVAL.
 */
static long shm_dt(void)
{
	uintptr_t a = (uintptr_t)win + pick(WIN) * PAGE;
	long base, first = -1, want;

	if (!pick(8))
		a += 1 + pick(PAGE - 1);
	snprintf(last_op, sizeof(last_op), "shmdt(%#lx)", (unsigned long)norm((long)a));
	long r = shmdt((void *)a) ? -errno : 0;
	base = page_of(a);
	for (long i = base; !(a & (PAGE - 1)) && i < WIN && first < 0; i++)
		if (pg[i].mapped && pg[i].shm && pg[i].shmoff == i - base)
			first = i;
	want = first < 0 ? -EINVAL : 0;
	for (long i = first; first >= 0 && i < WIN; i++) {
		if (pg[i].mapped && pg[i].shm && pg[i].attach == pg[first].attach &&
		    pg[i].shmoff == i - base && i != first)
			model_set((uintptr_t)win + i * PAGE, PAGE, 0, 0, 0);
	}
	if (first >= 0)
		model_set((uintptr_t)win + first * PAGE, PAGE, 0, 0, 0);
	return expect(r, want);
}

/* shmctl: IPC_RMID (the segment lives on while attached), IPC_STAT, a bad command. */
static long shm_ctl(void)
{
	int s = (int)pick(SHM_SEGS), c = (int)pick(4);
	struct shmid_ds ds;

	if (!segs[s].live || segs[s].owner != self)
		return 0;
	snprintf(last_op, sizeof(last_op), "shmctl(%d, %d)", s, c);
	if (c == 0 || c == 1) {
		long r = shmctl(segs[s].id, IPC_RMID, 0) ? -errno : 0;

		segs[s].removed = 1;
		return expect(r, 0);
	}
	if (c == 3)
		return shmctl(segs[s].id, 99, &ds) ? -errno : 0;
	memset(&ds, 0, sizeof(ds));
	if (shmctl(segs[s].id, IPC_STAT, &ds))
		return -errno;
	if (ds.shm_segsz != segs[s].size)
		bad("shm_segsz differs", (long)ds.shm_segsz);
	mix((long)ds.shm_nattch);
	return (long)(ds.shm_perm.mode & (SHM_DEST | 0777));
}

static long op_shm(void)
{
	switch (pick(8)) {
	case 0: case 1: return shm_get();
	case 2: case 3: case 4: return shm_at();
	case 5: case 6: return shm_dt();
	default: return shm_ctl();
	}
}

/* Removes the segments this process made (and forgets all, at a seed's start). */
static void shm_cleanup(int forget)
{
	for (int s = 0; s < SHM_SEGS; s++) {
		if (segs[s].live && segs[s].owner == self)
			shmctl(segs[s].id, IPC_RMID, 0);
		if (forget)
			segs[s].live = 0;
	}
}

/* The memfd: a mapping of it (shared or private), or memfd_create and ftruncate's checks. */
static long op_memfd(void)
{
	static const unsigned mflags[] = { 0, MFD_CLOEXEC, MFD_ALLOW_SEALING, 0x100 };
	unsigned k = pick(8);

	if (k < 5)
		return mmap_file(fd_mfd, MAP_FPAGES, MFD_PAGES);
	if (k == 5) {
		unsigned f = mflags[pick(4)];
		snprintf(last_op, sizeof(last_op), "memfd_create(%#x)", f);
		int fd = (int)syscall(SYS_memfd_create, "t_fuzz", f);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	/* Growing it changes nothing mapped; a negative size is EINVAL. */
	long size = k == 6 ? (long)(MFD_PAGES + pick(3)) * (long)PAGE : -1;
	snprintf(last_op, sizeof(last_op), "ftruncate(memfd, %ld)", size);
	return ftruncate(fd_mfd, size) ? -errno : 0;
}

/* mmap with flags the first op_mmap never gives (MAP_LOCKED, MAP_SHARED_VALIDATE, ...). */
static long op_mmap_flags(void)
{
	static const int extra[] = { MAP_LOCKED, MAP_LOCKED | MAP_POPULATE, MAP_GROWSDOWN,
				     MAP_SHARED_VALIDATE, MAP_SHARED_VALIDATE | 0x200000,
				     MAP_SHARED_VALIDATE | MAP_SYNC, 0x200000, MAP_SYNC,
				     MAP_NORESERVE | MAP_POPULATE };
	long r;

	xflags = extra[pick(sizeof(extra) / sizeof(extra[0]))];
	r = op_mmap();
	xflags = 0;
	return r;
}

/* mprotect with PROT_GROWSUP (x86 has no such mappings: EINVAL) or both grow bits. */
static long op_mprotect_grows(void)
{
	long r;

	xprot = pick(2) ? PROT_GROWSUP : PROT_GROWSUP | PROT_GROWSDOWN;
	r = op_mprotect();
	xprot = 0;
	return r;
}

/* One call of the newer kinds, from their own stream of randomness. */
static long op_ext(void)
{
	uint64_t keep = rng;
	long r;

	rng = rng2;
	switch (pick(14)) {
	case 0: case 1: r = op_mlock(); break;
	case 2: r = op_mlockall(); break;
	case 3: case 4: r = op_mincore(); break;
	case 5: r = op_msync(); break;
	case 6: case 7: r = op_madvise2(); break;
	case 8: case 9: r = op_shm(); break;
	case 10: r = op_memfd(); break;
	case 11: r = op_mmap_flags(); break;
	case 12: r = op_pmadvise(); break;
	default: r = op_mprotect_grows(); break;
	}
	rng2 = rng;
	rng = keep;
	seg_gc();
	return r;
}

/* Whether this call is of the newer kinds (never for a classic seed). */
static int ext_turn(void)
{
	uint64_t keep = rng;
	int yes;

	if (classic)
		return 0;
	rng = rng2;
	yes = pick(EXT_ONE_IN) == 0;
	rng2 = rng;
	rng = keep;
	return yes;
}

/* --- protection keys (x86_64 with PKU) ----------------------------------------------------- */


/* A key argument: mostly one taken (if any), else -1, any key, or one no CPU has. */
static int pkey_arg(void)
{
	unsigned n = (unsigned)__builtin_popcount(keys_taken & ~1u), c = pick(8);

	if (c == 0)
		return -1;
	if (c == 1)
		return pick(2) ? 16 : -2;
	if (c == 2 || !n)
		return (int)(1 + pick(15));
	for (unsigned k = 1, nth = pick(n); k < 16; k++)
		if ((keys_taken & (1u << k)) && !nth--)
			return (int)k;
	return -1;
}

/*
 * A page's rights under PKRU @pkru: 1 readable, 2 writable as well, 0
 * neither (the protection first, then the key's two bits).
 */
static int rights(const struct page *m, unsigned pkru)
{
	unsigned bits = (pkru >> (2 * m->key)) & 3;

	if (!m->mapped || !(m->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) || (bits & 1))
		return 0;
	return (m->prot & PROT_WRITE) && !(bits & 2) ? 2 : 1;
}

/*
 * PKRU with random rights for the keys taken; each keyed page read and
 * written back under it: faults where the key forbids, as the model says.
 */
static long pkey_check(void)
{
	unsigned pkru = 0, seen = 0;

	for (int k = 1; k < 16; k++)
		if (keys_taken & (1u << k))
			pkru |= pick(4) << (2 * k);
	snprintf(last_op, sizeof(last_op), "pkey check, PKRU %#x", pkru);
	cur_pkru = pkru;
	set_pkru(pkru);
	for (long i = 0; i < WIN; i++) {
		const struct page *m = &pg[i];

		if (!m->key || (in_child && m->mapped && m->shared))
			continue;
		int want = rights(m, pkru);
		int r = touch(i, 0, 0);

		if ((r >= 0) != (want > 0)) {
			bad(r >= 0 ? "pkey: readable, should fault" : "pkey: faults, should be readable", i);
			continue;
		}
		if (r < 0)
			continue;
		if ((touch(i, 1, (unsigned char)r) >= 0) != (want == 2))
			bad("pkey: writability differs", i);
		else if (want == 2)
			model_write(i, (unsigned char)r);
		seen += (unsigned)want;
	}
	cur_pkru = 0;
	set_pkru(0);
	return seen;
}

/* pkey_alloc (sometimes bad flags or rights), pkey_free, pkey_mprotect or a rights check. */
static long op_pkey(void)
{
	uint64_t keep = rng;
	long r = 0;

	rng = rng3;
	switch (pick(8)) {
	case 0: case 1: {
		unsigned long flags = pick(16) ? 0 : 1, rts = pick(5);

		snprintf(last_op, sizeof(last_op), "pkey_alloc(%lu, %lu)", flags, rts);
		r = syscall(SYS_pkey_alloc, flags, rts);
		if (r >= 0)
			keys_taken |= 1u << r;
		else if (!flags && rts < 4 && keys_taken != 0xffff)
			bad("pkey_alloc failed with keys free", errno);
		set_pkru(cur_pkru);	/* it set the key's rights in PKRU: pkey_check() chooses them */
		r = norm(r);
		break;
	}
	case 2: {
		int k = pkey_arg();

		snprintf(last_op, sizeof(last_op), "pkey_free(%d)", k);
		r = norm(syscall(SYS_pkey_free, k));
		if ((r == 0) != (k > 0 && k < 16 && (keys_taken & (1u << k)) != 0))
			bad("pkey_free: result differs from the keys taken", k);
		if (!r)
			keys_taken &= ~(1u << k);
		break;
	}
	case 3: case 4: case 5:
		xkey = pkey_arg();
		r = op_mprotect();
		xkey = -100;
		break;
	default:
		r = pkey_check();
		break;
	}
	rng3 = rng;
	rng = keep;
	return r;
}

/* Whether a key call comes beside this turn's call: x86_64 with keys, never for a classic seed. */
static int pkey_turn(void)
{
	uint64_t keep = rng;
	int yes;

	if (!have_pkeys || classic)
		return 0;
	rng = rng3;
	yes = pick(PKEY_ONE_IN) == 0;
	rng3 = rng;
	rng = keep;
	return yes;
}

static void run_ops(unsigned n, int depth);

/* Calls @fn(lo, hi, perms) for each mapping of /proc/self/maps (read in one go). */
static void each_mapping(void (*fn)(unsigned long lo, unsigned long hi, const char *perms))
{
	static char buf[16384];
	int fd = open("/proc/self/maps", O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	char *line = buf, *end;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (; *line; line = end + (*end != 0)) {
		unsigned long lo, hi;
		char perms[5] = "";

		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3)
			fn(lo, hi, perms);
	}
}

/* A mapping in the span, for the trace: bounds (window offsets) and access. */
static void trace_mapping(unsigned long lo, unsigned long hi, const char *perms)
{
	if (lo < (uintptr_t)span + SPAN * PAGE && hi > (uintptr_t)span)
		diag("%s  map %#lx-%#lx %s", in_child ? "  " : "", (unsigned long)norm((long)lo),
		     (unsigned long)norm((long)hi), perms);
}

/* A writable mapping of the program's own (data, bss: below its heap): every page written. */
static void touch_mapping(unsigned long lo, unsigned long hi, const char *perms)
{
	if (!strcmp(perms, "rw-p") && lo < brk0)
		for (volatile char *p = (volatile char *)lo; p < (volatile char *)hi; p += PAGE)
			*p = *p;
}

/*
 * op_fork's frame check counts every frame this process takes until the
 * child is reaped. Its data, bss and stack are shared copy-on-write with
 * the new child (and, in a child, with its own parent, which lives on): a
 * first write to one of their pages after the fork would take a frame that
 * stays. So they are all written before the count. (Without it, where the
 * linker put a variable written after a fork decided whether a seed passed:
 * a 4 KiB buffer more in the bss made seed 1 fail.)
 */
static void own_pages(void)
{
	volatile char stack[64 * 1024];

	for (size_t i = 0; i < sizeof(stack); i += PAGE)
		stack[i] = 0;
	each_mapping(touch_mapping);
}

/*
 * Every page of the mapped file and the memfd in the page cache (what a
 * hole reads, the model's byte kept): a child's read fault on a hole would
 * otherwise add a page that outlives it, to op_fork's count.
 */
static void fill_files(void)
{
	for (unsigned f = 0; f < FPAGES; f++) {
		unsigned char page[PAGE] = { 0 };

		if (!fpunched[f])
			continue;
		page[cells[FILE_CELL(f)].off] = cells[FILE_CELL(f)].val;
		if (pwrite(f < MAP_FPAGES ? fd_map : fd_mfd, page, PAGE,
			   (off_t)(f < MAP_FPAGES ? f : f - MAP_FPAGES) * PAGE) != PAGE)
			diag("cannot fill file page %u: errno %d", f, errno);
		fpunched[f] = 0;
	}
}

/* fork: the child runs a sequence of its own on its copy and reports by exit status. */
static long op_fork(int depth)
{
	long before;
	pid_t pid;
	int st;

	if (depth > 1)
		return 0;
	own_pages();
	fill_files();
	before = syscall(MEMCORE_SYS_free_frames);
	fflush(stdout);
	uint64_t child_seed = next();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		in_child = 1;
		model_errors = 0;
		for (long i = 0; i < WIN; i++) {
			if (pg[i].dontfork)
				pg[i] = (struct page){ 0 };
			else if (pg[i].wipe && !pg[i].shared)
				pg[i].own.val = 0;
			pg[i].locked = 0;	/* locks are not inherited */
		}
		lock_future = 0;
		self = getpid();
		rng = child_seed | 1;
		rng2 = child_seed * 0x9e3779b97f4a7c15ull | 1;
		rng3 = child_seed * 0xd1342543de82ef95ull | 1;
		hash = 0;
		verify();
		run_ops(40, depth + 1);
		verify();
		shm_cleanup(0);		/* its own segments: nothing of the child stays */
		_exit((int)(hash & 0x7f) | (model_errors ? 0x80 : 0));
	}
	st = tap_wait(pid);
	if (!WIFEXITED(st) || (WEXITSTATUS(st) & 0x80))
		bad(WIFEXITED(st) ? "the child's model failed" : "the child died", WIFEXITED(st) ? 0 : st);
	if (before >= 0 && syscall(MEMCORE_SYS_free_frames) != before)
		bad("free frames not back after the child", syscall(MEMCORE_SYS_free_frames) - before);
	return WIFEXITED(st) ? WEXITSTATUS(st) & 0x7f : 1000 + WTERMSIG(st);
}

static void run_ops(unsigned n, int depth)
{
	for (unsigned k = 0; k < n; k++) {
		long r;

		if (pkey_turn()) {
			/* Beside the call of this turn, not instead: the other calls stay as they were. */
			r = op_pkey();
			mix(r);
			if (trace)
				diag("%s%u: %s -> %ld (errors %d)", in_child ? "  child " : "", k, last_op, r,
				     model_errors);
		}
		if (ext_turn()) {
			snprintf(last_op, sizeof(last_op), "ext");
			r = op_ext();
			goto done;
		}
		unsigned c = pick(20);
		static const char *const kind[20] = { "mmap", "mmap", "mmap", "mmap", "munmap",
			"munmap", "mprotect", "mprotect", "mprotect", "madvise", "madvise", "mremap",
			"mremap", "brk", "io", "io", "fork", "store", "store", "store" };
		snprintf(last_op, sizeof(last_op), "%s", kind[c]);
		switch (c) {
		case 0: case 1: case 2: case 3: r = op_mmap(); break;
		case 4: case 5: r = op_munmap(); break;
		case 6: case 7: case 8: r = op_mprotect(); break;
		case 9: case 10: r = op_madvise(); break;
		case 11: case 12: r = op_mremap(); break;
		case 13: r = op_brk(); break;
		case 14: case 15: r = op_io(); break;
		case 16: r = op_fork(depth); break;
		default: r = op_store(); break;
		}
done:
		seg_gc();
		mix(r);
		if (trace)
			diag("%s%u: %s -> %ld (errors %d)", in_child ? "  child " : "", k, last_op, r,
			     model_errors);
		if (trace > 1)
			each_mapping(trace_mapping);
		if (k % 8 == 7)
			verify();
	}
}

static void setup_files(void)
{
	unsigned char buf[FILE_PAGES * PAGE];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 31 + 7);
	fd_src = open("/tmp/t_fuzz.src", O_RDWR | O_CREAT | O_TRUNC, 0600);
	fd_dst = open("/tmp/t_fuzz.dst", O_RDWR | O_CREAT | O_TRUNC, 0600);
	fd_map = open("/tmp/t_fuzz.map", O_RDWR | O_CREAT | O_TRUNC, 0600);
	/* Both sized now: later writes within them allocate no page-cache pages. */
	if (fd_src < 0 || fd_dst < 0 || write(fd_src, buf, sizeof(buf)) != (long)sizeof(buf) ||
	    write(fd_dst, buf, sizeof(buf)) != (long)sizeof(buf))
		diag("cannot make the fuzzer's files: errno %d", errno);
	/* The mapped file: page f holds f + 1 at its cell's offset. */
	for (unsigned f = 0; f < MAP_FPAGES; f++) {
		unsigned char page[PAGE] = { 0 };

		cells[FILE_CELL(f)] = (struct cell){ (unsigned short)probe(f + 5), (unsigned char)(f + 1) };
		page[cells[FILE_CELL(f)].off] = (unsigned char)(f + 1);
		if (fd_map < 0 || pwrite(fd_map, page, PAGE, (off_t)f * PAGE) != PAGE)
			diag("cannot write the mapped file: errno %d", errno);
	}
}

/* A fresh memfd of MFD_PAGES zeroed pages for each seed (file pages 8-11 to the model). */
static void new_memfd(void)
{
	if (fd_mfd >= 0)
		close(fd_mfd);
	fd_mfd = (int)syscall(SYS_memfd_create, "t_fuzz", MFD_CLOEXEC);
	if (fd_mfd < 0 || ftruncate(fd_mfd, MFD_PAGES * PAGE))
		diag("cannot make the memfd: errno %d", errno);
	for (unsigned k = 0; k < MFD_PAGES; k++) {
		cells[FILE_CELL(MAP_FPAGES + k)] = (struct cell){ (unsigned short)probe(k + 17), 0 };
		fpunched[MAP_FPAGES + k] = 1;	/* no pages yet: fill_files() makes them */
	}
	fill_files();
}

/*
 * One seed's sequence of @ops calls on a fresh window, a TAP result per
 * block; @old_kinds: only the calls t_fuzz made before the newer kinds.
 */
static void run_seed(unsigned s, unsigned ops, int old_kinds)
{
	syscall(SYS_munlockall);
	lock_future = 0;
	/* Reserved PROT_NONE: nothing else is placed in the window. */
	mmap(win, WIN * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	memset(pg, 0, sizeof(pg));
	model_set((uintptr_t)win, WIN * PAGE, 1, PROT_NONE, 0);
	shm_cleanup(1);		/* detached with the window */
	new_memfd();
	syscall(SYS_brk, brk0);
	classic = old_kinds;
	rng = 0x9e3779b97f4a7c15ull * s | 1;
	rng2 = 0x2545f4914f6cdd1dull * s | 1;
	rng3 = 0xd1342543de82ef95ull * s | 1;
	for (int k = 1; have_pkeys && k < 16; k++)
		syscall(SYS_pkey_free, k);	/* every seed starts with key 0 alone */
	keys_taken = 1;
	cur_pkru = 0;
	set_pkru(0);
	for (unsigned b = 0; b < ops; b += BLOCK) {
		hash = 0xcbf29ce484222325ull;
		model_errors = 0;
		run_ops(ops - b < BLOCK ? ops - b : BLOCK, 0);
		verify();
		ok(!model_errors, "seed %u calls %u-%u: model holds, results %016llx", s, b,
		   b + BLOCK - 1, (unsigned long long)hash);
	}
}

/*
 * Seeds whose model gaps were found by the long run, run after the first
 * four when no seed is named: 244 (MADV_KEEPONFORK clears the flag past a
 * shared mapping, where MADV_WIPEONFORK stops), 354 (MAP_POPULATE copies a
 * private writable file page at once). Earlier finds have checks of their
 * own (t_vma_merge for seed 93) or lie in every long run's range (7, 9, 10).
 * They were found before the newer kinds of calls, which change every
 * seed's sequence: they run with the older kinds only (the same calls as
 * then), "old" as the fifth argument does.
 */
static const unsigned regression_seeds[] = { 244, 354 };

int main(int argc, char **argv)
{
	unsigned first = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
	unsigned seeds = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
	unsigned ops = argc > 3 ? (unsigned)atoi(argv[3]) : 300;
	int old_kinds = argc > 5 && !strcmp(argv[5], "old");

	trace = argc > 4 ? (!strcmp(argv[4], "maps") ? 2 : !strcmp(argv[4], "trace")) : 0;
	mkdir("/tmp", 0777);	/* Linux's test boot has none */

	self = getpid();
#if ABI64
	long k0 = syscall(SYS_pkey_alloc, 0, 0);

	have_pkeys = k0 > 0 && !syscall(SYS_pkey_free, k0);
#endif
	setup_files();
	install_handler(SIGSEGV, on_segv, SA_NODEFER);
	install_handler(SIGBUS, on_segv, SA_NODEFER);
	span = map_anon(SPAN * PAGE, PROT_NONE);
	win = span + PAGE;
	brk0 = (uintptr_t)syscall(SYS_brk, 0);
	for (unsigned s = first; s < first + seeds; s++)
		run_seed(s, ops, old_kinds);
	for (unsigned k = 0; argc == 1 && k < sizeof(regression_seeds) / sizeof(regression_seeds[0]); k++)
		run_seed(regression_seeds[k], ops, 1);
	syscall(SYS_munlockall);
	mmap(win, WIN * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	shm_cleanup(1);
	unlink("/tmp/t_fuzz.src");
	unlink("/tmp/t_fuzz.dst");
	unlink("/tmp/t_fuzz.map");
	return done_testing();
}
