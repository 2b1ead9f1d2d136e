/*
 * t_win32_virtual: memcore only (memcore/win32.h): VirtualAlloc, VirtualFree,
 * VirtualQuery, VirtualProtect, VirtualLock/VirtualUnlock and GetSystemInfo
 * as Microsoft documents them - return values, GetLastError codes and every
 * VirtualQuery field - and Linux's munmap/mprotect/fork on the same pages.
 * On Linux the first call fails (no such system call) and the program
 * reports "1..0 # SKIP".
 */
#define _GNU_SOURCE
#include "util.h"

#include "win32_util.h"

#define KB	1024u
#define G64	(64 * KB)

/* VirtualQuery's fields at @a, all of them, in one check. */
static int query_is(const void *a, const void *base, const void *abase, DWORD aprot, SIZE_T size,
		    DWORD state, DWORD prot, DWORD type, const char *what)
{
	MEMORY_BASIC_INFORMATION m;
	SIZE_T n = VirtualQuery(a, &m, sizeof(m));
	int good = n == sizeof(m) && m.BaseAddress == base && m.AllocationBase == abase &&
		   m.AllocationProtect == aprot && m.RegionSize == size && m.State == state &&
		   m.Protect == prot && m.Type == type;

	ok(good, "VirtualQuery: %s", what);
	if (!good)
		diag("  got %zu: base %p alloc %p aprot %#x size %#zx state %#x prot %#x type %#x",
		     (size_t)n, m.BaseAddress, m.AllocationBase, (unsigned)m.AllocationProtect,
		     (size_t)m.RegionSize, (unsigned)m.State, (unsigned)m.Protect,
		     (unsigned)m.Type);
	return good;
}

/* The call failed (FALSE / NULL / 0) with this last error. */
#define ok_err(ret, err, ...) \
	({ \
		SetLastError(0); \
		long long r_ = (long long)(intptr_t)(ret); \
		DWORD e_ = GetLastError(); \
		int p_ = ok(r_ == 0 && e_ == (err), __VA_ARGS__); \
		if (!p_) \
			diag("  returned %lld, GetLastError %u, want 0 and %u", r_, (unsigned)e_, \
			     (unsigned)(err)); \
		p_; \
	})

static void touch_write(void *p)
{
	*(volatile char *)p = 1;
}

static void touch_read(void *p)
{
	(void)*(volatile char *)p;
}

static void reserve_commit(void)
{
	char *a = VirtualAlloc(NULL, 1 << 20, MEM_RESERVE, PAGE_READWRITE);

	ok(a && (uintptr_t)a % G64 == 0, "MEM_RESERVE: a 64 KiB-aligned base");
	query_is(a + 100, a, a, PAGE_READWRITE, 1 << 20, MEM_RESERVE, 0, MEM_PRIVATE,
		 "reserved: no protection, private");
	ok_killed_by(run_in_child((void (*)(void *))touch_read, a), SIGSEGV,
		     "reading reserved memory is an access violation");
	ok(VirtualAlloc(a + 4096 + 10, 4096, MEM_COMMIT, PAGE_READWRITE) == a + 4096,
	   "MEM_COMMIT of a range: the page-rounded start");
	query_is(a + 4096, a + 4096, a, PAGE_READWRITE, 8192, MEM_COMMIT, PAGE_READWRITE,
		 MEM_PRIVATE, "both touched pages committed");
	query_is(a, a, a, PAGE_READWRITE, 4096, MEM_RESERVE, 0, MEM_PRIVATE,
		 "the page before still reserved");
	query_is(a + 3 * 4096, a + 3 * 4096, a, PAGE_READWRITE, (1 << 20) - 3 * 4096, MEM_RESERVE,
		 0, MEM_PRIVATE, "the rest still reserved");
	ok(a[4096] == 0 && a[3 * 4096 - 1] == 0, "committed pages read zero");
	memset(a + 4096, 0x5a, 8192);
	ok(VirtualAlloc(a + 4096, 8192, MEM_COMMIT, PAGE_READONLY) == a + 4096,
	   "committing committed pages succeeds");
	ok(a[4096] == 0x5a, "and keeps their data");
	query_is(a + 4096, a + 4096, a, PAGE_READWRITE, 8192, MEM_COMMIT, PAGE_READONLY,
		 MEM_PRIVATE, "with the new protection");
	ok_killed_by(run_in_child(touch_write, a + 4096), SIGSEGV, "read-only now");
	ok(VirtualFree(a + 4096, 4096, MEM_DECOMMIT), "MEM_DECOMMIT of a page");
	query_is(a, a, a, PAGE_READWRITE, 2 * 4096, MEM_RESERVE, 0, MEM_PRIVATE,
		 "decommitted: reserved again, merged with its neighbour");
	ok(VirtualAlloc(a + 4096, 1, MEM_COMMIT, PAGE_READWRITE) == a + 4096 && a[4096] == 0,
	   "recommitted: zero again");
	ok(VirtualFree(a + 8 * 4096, 4096, MEM_DECOMMIT), "decommitting reserved pages: fine");
	ok_err(VirtualFree(a, 4096, MEM_RELEASE), ERROR_INVALID_PARAMETER,
	       "MEM_RELEASE with a size: ERROR_INVALID_PARAMETER");
	ok_err(VirtualFree(a + 4096, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS,
	       "MEM_RELEASE not at the base: ERROR_INVALID_ADDRESS");
	ok_err(VirtualFree(a, 0, MEM_RELEASE | MEM_DECOMMIT), ERROR_INVALID_PARAMETER,
	       "both free types: ERROR_INVALID_PARAMETER");
	ok(VirtualFree(a, 0, MEM_RELEASE), "MEM_RELEASE of the whole allocation");
	MEMORY_BASIC_INFORMATION m;
	ok(VirtualQuery(a, &m, sizeof(m)) == sizeof(m) && m.State == MEM_FREE &&
	   m.Protect == PAGE_NOACCESS && m.AllocationBase == NULL && m.Type == 0 &&
	   m.AllocationProtect == 0, "released: MEM_FREE, PAGE_NOACCESS, no allocation");
	ok_err(VirtualFree(a, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS, "released twice");
}

static void placement_and_errors(void)
{
	char *a = VirtualAlloc(NULL, 5000, MEM_COMMIT, PAGE_READWRITE);
	char *b;

	ok(a && (uintptr_t)a % G64 == 0, "MEM_COMMIT alone without an address reserves too");
	query_is(a, a, a, PAGE_READWRITE, 8192, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE,
		 "two pages for 5000 bytes");
	ok_err(VirtualAlloc(a + 4 * 4096, 4096, MEM_RESERVE, PAGE_READWRITE), ERROR_INVALID_ADDRESS,
	       "reserving inside another allocation's 64 KiB: ERROR_INVALID_ADDRESS");
	b = VirtualAlloc(a - 4 * G64 + 5 * 4096 + 3, 3 * 4096, MEM_RESERVE, PAGE_NOACCESS);
	ok(b == a - 4 * G64, "a fixed reservation is rounded down to 64 KiB");
	query_is(b, b, b, PAGE_NOACCESS, 9 * 4096, MEM_RESERVE, 0, MEM_PRIVATE,
		 "to the page holding its last byte");
	ok_err(VirtualAlloc(b + 8 * 4096, 2 * 4096, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_ADDRESS,
	       "commit past the reservation: ERROR_INVALID_ADDRESS");
	ok_err(VirtualAlloc(b + G64, 4096, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_ADDRESS,
	       "commit of free memory: ERROR_INVALID_ADDRESS");
	ok_err(VirtualAlloc(NULL, 0, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_PARAMETER,
	       "size 0: ERROR_INVALID_PARAMETER");
	ok_err(VirtualAlloc(NULL, 4096, 0, PAGE_READWRITE), ERROR_INVALID_PARAMETER,
	       "no allocation type: ERROR_INVALID_PARAMETER");
	ok_err(VirtualAlloc(NULL, 4096, MEM_COMMIT, 0), ERROR_INVALID_PARAMETER,
	       "no protection: ERROR_INVALID_PARAMETER");
	ok_err(VirtualAlloc(NULL, 4096, MEM_COMMIT, PAGE_READONLY | PAGE_READWRITE),
	       ERROR_INVALID_PARAMETER, "two protections: ERROR_INVALID_PARAMETER");
	ok_err(VirtualAlloc(NULL, 4096, MEM_COMMIT, PAGE_NOACCESS | PAGE_GUARD),
	       ERROR_INVALID_PARAMETER, "PAGE_GUARD with PAGE_NOACCESS: ERROR_INVALID_PARAMETER");
	ok_err(VirtualAlloc(NULL, 4096, MEM_COMMIT, PAGE_WRITECOPY), ERROR_INVALID_PARAMETER,
	       "PAGE_WRITECOPY for private memory: ERROR_INVALID_PARAMETER");
	ok_err(VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_LARGE_PAGES, PAGE_READWRITE),
	       ERROR_PRIVILEGE_NOT_HELD, "MEM_LARGE_PAGES: ERROR_PRIVILEGE_NOT_HELD");
#if ABI64
	ok_err(VirtualAlloc(NULL, (SIZE_T)1 << 62, MEM_RESERVE, PAGE_READWRITE),
	       ERROR_NOT_ENOUGH_MEMORY, "more than user space: ERROR_NOT_ENOUGH_MEMORY");
	ok_err(VirtualAlloc(NULL, (SIZE_T)1 << 42, MEM_COMMIT, PAGE_READWRITE),
	       ERROR_COMMITMENT_LIMIT, "committing more than RAM: ERROR_COMMITMENT_LIMIT");
	char *big = VirtualAlloc(NULL, (SIZE_T)1 << 42, MEM_RESERVE, PAGE_READWRITE);
	ok(big != NULL, "reserving 4 TiB costs nothing");
#else	/* i386: 3 GiB of user space, less than 1 GiB of RAM */
	ok_err(VirtualAlloc(NULL, (SIZE_T)15 << 28, MEM_RESERVE, PAGE_READWRITE),
	       ERROR_NOT_ENOUGH_MEMORY, "more than user space: ERROR_NOT_ENOUGH_MEMORY");
	ok_err(VirtualAlloc(NULL, (SIZE_T)3 << 29, MEM_COMMIT, PAGE_READWRITE),
	       ERROR_COMMITMENT_LIMIT, "committing more than RAM: ERROR_COMMITMENT_LIMIT");
	char *big = VirtualAlloc(NULL, (SIZE_T)3 << 29, MEM_RESERVE, PAGE_READWRITE);
	ok(big != NULL, "reserving 1.5 GiB costs nothing");
#endif
	ok(big && VirtualFree(big, 0, MEM_RELEASE), "and releases");
	a[5] = 7;
	ok(VirtualAlloc(a, 4096, MEM_RESET_UNDO, PAGE_NOACCESS) == a && a[5] == 7,
	   "MEM_RESET_UNDO of pages never reset: contents intact");
	ok(VirtualAlloc(a, 4096, MEM_RESET, PAGE_NOACCESS) == a, "MEM_RESET of committed pages");
	ok(a[5] == 0, "MEM_RESET dropped the contents (they read as zeroes)");
	query_is(a, a, a, PAGE_READWRITE, 8192, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE,
		 "reset pages stay committed");
	ok_err(VirtualAlloc(a, 4096, MEM_RESET_UNDO, PAGE_NOACCESS), ERROR_BUSY,
	       "MEM_RESET_UNDO after the contents went: fails (ERROR_BUSY)");
	ok(VirtualAlloc(a, 4096, MEM_RESET_UNDO, PAGE_NOACCESS) == a, "a second MEM_RESET_UNDO succeeds");
	ok_err(VirtualAlloc(b, 4096, MEM_RESET, PAGE_NOACCESS), ERROR_INVALID_ADDRESS,
	       "MEM_RESET of reserved pages: ERROR_INVALID_ADDRESS");
	MEMORY_BASIC_INFORMATION m;
	ok_err(VirtualQuery(a, &m, sizeof(m) - 1), ERROR_BAD_LENGTH,
	       "VirtualQuery with a short buffer: ERROR_BAD_LENGTH");
	ok_err(VirtualQuery(a, (void *)8, sizeof(m)), ERROR_NOACCESS,
	       "VirtualQuery into a bad pointer: ERROR_NOACCESS");
	ok_err(VirtualQuery((void *)~(uintptr_t)0, &m, sizeof(m)), ERROR_INVALID_PARAMETER,
	       "VirtualQuery of a kernel address: ERROR_INVALID_PARAMETER");
	ok(VirtualFree(a, 0, MEM_RELEASE) && VirtualFree(b, 0, MEM_RELEASE), "both released");
}

static void protect_and_lock(void)
{
	char *a = VirtualAlloc(NULL, 16 * 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
	DWORD old = 0;

	a[5 * 4096] = 3;
	ok(VirtualProtect(a + 5 * 4096, 2 * 4096, PAGE_READONLY, &old) && old == PAGE_READWRITE,
	   "VirtualProtect: the old protection of the first page");
	query_is(a + 6 * 4096, a + 6 * 4096, a, PAGE_READWRITE, 4096, MEM_COMMIT, PAGE_READONLY,
		 MEM_PRIVATE, "the pages changed");
	query_is(a, a, a, PAGE_READWRITE, 5 * 4096, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE,
		 "the pages before did not");
	ok(a[5 * 4096] == 3, "data kept");
	ok_killed_by(run_in_child(touch_write, a + 5 * 4096), SIGSEGV, "writes fault");
	ok(VirtualProtect(a + 5 * 4096, 2 * 4096, PAGE_READWRITE, &old) && old == PAGE_READONLY,
	   "back to read-write");
	query_is(a, a, a, PAGE_READWRITE, 16 * 4096, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE,
		 "one run again");
	ok(VirtualFree(a + 8 * 4096, 2 * 4096, MEM_DECOMMIT), "decommit two pages");
	ok_err(VirtualProtect(a + 7 * 4096, 2 * 4096, PAGE_READONLY, &old), ERROR_INVALID_ADDRESS,
	       "VirtualProtect over reserved pages: ERROR_INVALID_ADDRESS");
	ok_err(VirtualProtect(a + 14 * 4096, 4 * 4096, PAGE_READONLY, &old), ERROR_INVALID_ADDRESS,
	       "past the allocation: ERROR_INVALID_ADDRESS");
	ok_err(VirtualProtect(a, 4096, PAGE_READONLY, NULL), ERROR_NOACCESS,
	       "no place for the old protection: ERROR_NOACCESS");
	query_is(a, a, a, PAGE_READWRITE, 8 * 4096, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE,
		 "and nothing changed");
	ok_err(VirtualUnlock(a, 4096), ERROR_NOT_LOCKED, "VirtualUnlock of unlocked pages: ERROR_NOT_LOCKED");
	ok(VirtualLock(a, 2 * 4096), "VirtualLock");
	ok(VirtualUnlock(a, 2 * 4096), "VirtualUnlock");
	ok_err(VirtualLock(a + 7 * 4096, 2 * 4096), ERROR_INVALID_ADDRESS,
	       "VirtualLock over reserved pages: ERROR_INVALID_ADDRESS");
	ok_err(VirtualProtect(a, 0, PAGE_READONLY, &old), ERROR_INVALID_PARAMETER,
	       "VirtualProtect with size 0: ERROR_INVALID_PARAMETER");
	ok(VirtualFree(a + 4096, 0, MEM_DECOMMIT), "MEM_DECOMMIT with size 0 inside: to the end");
	query_is(a + 4096, a + 4096, a, PAGE_READWRITE, 15 * 4096, MEM_RESERVE, 0, MEM_PRIVATE,
		 "from that page to the allocation's end: reserved");
	ok(VirtualFree(a, 0, MEM_DECOMMIT), "MEM_DECOMMIT with size 0 at the base: all pages");
	query_is(a, a, a, PAGE_READWRITE, 16 * 4096, MEM_RESERVE, 0, MEM_PRIVATE, "all reserved");
	ok(VirtualFree(a, 0, MEM_RELEASE), "released");
}

static void linux_calls(void)
{
	char *a = VirtualAlloc(NULL, 32 * 4096, MEM_RESERVE, PAGE_READWRITE);
	char *m;
	DWORD old;

	ok(mprotect(a + 2 * 4096, 2 * 4096, PROT_READ | PROT_WRITE) == 0,
	   "mprotect of reserved pages");
	query_is(a + 2 * 4096, a + 2 * 4096, a, PAGE_READWRITE, 2 * 4096, MEM_COMMIT, PAGE_READWRITE,
		 MEM_PRIVATE, "commits them");
	a[2 * 4096] = 9;
	ok(mprotect(a + 2 * 4096, 4096, PROT_READ) == 0, "mprotect of committed pages");
	query_is(a + 2 * 4096, a + 2 * 4096, a, PAGE_READWRITE, 4096, MEM_COMMIT, PAGE_READONLY,
		 MEM_PRIVATE, "re-protects them");
	ok(munmap(a + 3 * 4096, 2 * 4096) == 0, "munmap inside an allocation");
	MEMORY_BASIC_INFORMATION q;
	ok(VirtualQuery(a + 3 * 4096, &q, sizeof(q)) && q.State == MEM_FREE, "releases those pages");
	query_is(a + 5 * 4096, a + 5 * 4096, a, PAGE_READWRITE, 27 * 4096, MEM_RESERVE, 0,
		 MEM_PRIVATE, "the rest stays part of the allocation");
	ok(VirtualFree(a, 0, MEM_RELEASE), "MEM_RELEASE of what is left below the hole");
	ok(VirtualQuery(a + 5 * 4096, &q, sizeof(q)) && q.State == MEM_RESERVE,
	   "(the part above the hole is another run)");
	ok(munmap(a + 5 * 4096, 27 * 4096) == 0, "munmap releases the rest");
	m = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	query_is(m + 4096, m + 4096, m, PAGE_READONLY, 2 * 4096, MEM_COMMIT, PAGE_READONLY,
		 MEM_PRIVATE, "an mmap region: a committed private allocation of its own");
	ok(VirtualProtect(m, 4096, PAGE_READWRITE, &old) && old == PAGE_READONLY,
	   "VirtualProtect of an mmap region");
	m[0] = 1;
	ok_err(VirtualFree(m, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS,
	       "VirtualFree of an mmap region: ERROR_INVALID_ADDRESS");
	munmap(m, 3 * 4096);
	/* fork: the child has the same allocations, copy-on-write. */
	a = VirtualAlloc(NULL, 8 * 4096, MEM_RESERVE, PAGE_READWRITE);
	VirtualAlloc(a, 4096, MEM_COMMIT, PAGE_READWRITE);
	a[0] = 6;
	pid_t pid = tap_fork();
	if (pid == 0) {
		MEMORY_BASIC_INFORMATION c;
		int good = a[0] == 6 && VirtualQuery(a + 4096, &c, sizeof(c)) &&
			   c.State == MEM_RESERVE && c.AllocationBase == a;
		a[0] = 7;
		_exit(good && VirtualFree(a, 0, MEM_RELEASE) ? 0 : 1);
	}
	ok_exited_with(tap_wait(pid), 0, "a forked child sees the allocation and releases its copy");
	ok(a[0] == 6, "the parent's page is its own");
	ok(VirtualFree(a, 0, MEM_RELEASE), "released");
}

static void system_info(void)
{
	SYSTEM_INFO si;

	GetSystemInfo(&si);
	ok(si.dwPageSize == 4096 && si.dwAllocationGranularity == 65536,
	   "GetSystemInfo: 4 KiB pages, 64 KiB granularity");
	ok(si.lpMinimumApplicationAddress == (void *)0x10000 &&
	   (uintptr_t)si.lpMaximumApplicationAddress > (uintptr_t)si.lpMinimumApplicationAddress &&
	   si.dwNumberOfProcessors >= 1, "address range and processors");
	SetLastError(1234);
	ok(GetLastError() == 1234, "SetLastError/GetLastError");
}

/*
 * `t_win32_virtual hold`: a reservation with committed, guard and reserved
 * pages, kept a few seconds so the shell's `vmquery PID` can list it.
 */
static int hold(void)
{
	struct timespec ts = { 3, 0 };
	char *a = VirtualAlloc(NULL, 1 << 20, MEM_RESERVE, PAGE_READWRITE);

	if (!a || !VirtualAlloc(a, 65536, MEM_COMMIT, PAGE_READWRITE) ||
	    !VirtualAlloc(a + 65536, 4096, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD))
		return 1;
	printf("t_win32_virtual: holding an allocation at %p for %ld s\n", (void *)a,
	       (long)ts.tv_sec);
	fflush(stdout);
	nanosleep(&ts, NULL);
	return 0;
}

/* --- MEM_WRITE_WATCH: GetWriteWatch, ResetWriteWatch ---------------------------------------- */
#define WW_PAGES	16

/* The written pages GetWriteWatch reports, as page indexes into @base (a bit each). */
static unsigned watched(char *base, DWORD flags, ULONG_PTR room, ULONG_PTR *count)
{
	PVOID addrs[WW_PAGES];
	DWORD gran = 0;
	unsigned bits = 0;

	*count = room;
	if (GetWriteWatch(flags, base, WW_PAGES * 4096, addrs, count, &gran) || gran != 4096)
		return ~0u;
	for (ULONG_PTR i = 0; i < *count; i++)
		bits |= 1u << (((char *)addrs[i] - base) / 4096);
	return bits;
}

static void write_watch(void)
{
	char *p = VirtualAlloc(NULL, WW_PAGES * 4096, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	char *q, *plain = VirtualAlloc(NULL, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
	PVOID addrs[4];
	ULONG_PTR n;
	DWORD gran, old;
	int status = 0;
	volatile char sink;

	ok(p != NULL, "VirtualAlloc(MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH)");
	ok(watched(p, 0, WW_PAGES, &n) == 0 && n == 0, "nothing written yet; granularity 4096");
	p[3 * 4096] = 3;
	p[4 * 4096 + 100] = 4;
	p[9 * 4096 + 4095] = 9;
	sink = p[5 * 4096];
	(void)sink;
	ok(watched(p, 0, WW_PAGES, &n) == (1u << 3 | 1u << 4 | 1u << 9) && n == 3,
	   "the three pages written, in order; a page read is not");
	ok(watched(p, 0, WW_PAGES, &n) == (1u << 3 | 1u << 4 | 1u << 9), "asked again: the same");
	ok(watched(p, WRITE_WATCH_FLAG_RESET, 2, &n) == (1u << 3 | 1u << 4) && n == 2,
	   "room for 2, WRITE_WATCH_FLAG_RESET: the first two, and they are reset");
	ok(watched(p, 0, WW_PAGES, &n) == 1u << 9, "the third is still reported");
	ok(ResetWriteWatch(p, WW_PAGES * 4096) == 0 && watched(p, 0, WW_PAGES, &n) == 0 && n == 0,
	   "ResetWriteWatch: none written");
	ok(p[3 * 4096] == 3 && p[4 * 4096 + 100] == 4 && p[9 * 4096 + 4095] == 9, "the data stays");
	p[3 * 4096] = 33;
	ok(watched(p, 0, WW_PAGES, &n) == 1u << 3 && p[3 * 4096] == 33, "written again after the reset");
	ok(VirtualProtect(p + 9 * 4096, 4096, PAGE_READONLY, &old) && old == PAGE_READWRITE &&
	   VirtualProtect(p + 9 * 4096, 4096, PAGE_READWRITE, &old) && watched(p, 0, WW_PAGES, &n) == 1u << 3,
	   "VirtualProtect is not a write");
	ok(VirtualQuery(p, (MEMORY_BASIC_INFORMATION *)(p + 12 * 4096), sizeof(MEMORY_BASIC_INFORMATION)) &&
	   watched(p, 0, WW_PAGES, &n) == (1u << 3 | 1u << 12), "a write by the kernel (VirtualQuery's answer) counts");
	pid_t pid = fork();
	if (pid == 0) {
		p[6 * 4096] = 6;
		_exit(watched(p, 0, WW_PAGES, &n) == (1u << 3 | 1u << 6 | 1u << 12) ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a forked child sees its own writes too");
	p[7 * 4096] = 7;		/* a copy-on-write break in the parent */
	ok(watched(p, 0, WW_PAGES, &n) == (1u << 3 | 1u << 7 | 1u << 12) && p[6 * 4096] == 0,
	   "the parent: its own writes, not the child's");

	q = VirtualAlloc(NULL, 8 * 4096, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE);
	ok(q && VirtualAlloc(q, 4 * 4096, MEM_COMMIT, PAGE_READWRITE) == q, "reserve with MEM_WRITE_WATCH, commit later");
	n = 4;
	ok(GetWriteWatch(0, q, 8 * 4096, addrs, &n, &gran) == 0 && n == 0, "committing is not a write");
	q[4096] = 1;
	n = 4;
	ok(GetWriteWatch(0, q, 8 * 4096, addrs, &n, &gran) == 0 && n == 1 && addrs[0] == q + 4096,
	   "a write to a page committed later");
	SetLastError(0);
	ok(VirtualAlloc(q, 4096, MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE) == NULL &&
	   GetLastError() == ERROR_INVALID_PARAMETER, "MEM_WRITE_WATCH without MEM_RESERVE: ERROR_INVALID_PARAMETER");
	n = 4;
	SetLastError(0);
	ok(GetWriteWatch(0, plain, 4096, addrs, &n, &gran) != 0 && GetLastError() == ERROR_INVALID_PARAMETER,
	   "GetWriteWatch of an allocation without it: fails, ERROR_INVALID_PARAMETER");
	n = 4;
	ok(GetWriteWatch(0, q, 9 * 4096, addrs, &n, &gran) != 0 && ResetWriteWatch(plain, 4096) != 0 &&
	   GetWriteWatch(2, q, 4096, addrs, &n, &gran) != 0, "beyond the allocation, reset of another, bad flags: fail");
	ok(VirtualFree(p, 0, MEM_RELEASE) && VirtualFree(q, 0, MEM_RELEASE) && VirtualFree(plain, 0, MEM_RELEASE),
	   "released");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "hold"))
		return hold();

	win32_or_skip();
	system_info();
	reserve_commit();
	placement_and_errors();
	protect_and_lock();
	linux_calls();
	write_watch();
	return done_testing();
}
