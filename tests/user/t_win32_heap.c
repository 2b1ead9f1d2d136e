/*
 * t_win32_heap: memcore only (memcore/win32.h): heaps as Windows documents
 * them - GetProcessHeap/GetProcessHeaps, growable and fixed-size HeapCreate,
 * HeapAlloc/HeapReAlloc/HeapFree/HeapSize with HEAP_ZERO_MEMORY,
 * HEAP_REALLOC_IN_PLACE_ONLY, HEAP_NO_SERIALIZE, HEAP_GENERATE_EXCEPTIONS,
 * large blocks from VirtualAlloc, HeapValidate catching overruns and double
 * frees, HeapWalk; and vectored exception handlers for access violations
 * and PAGE_GUARD guard pages. On Linux: "1..0 # SKIP".
 */
#define _GNU_SOURCE
#include "util.h"

#include "win32_util.h"

static int walk_count(HANDLE h, int *busy, size_t *busy_bytes, int *regions)
{
	PROCESS_HEAP_ENTRY e = { 0 };
	int n = 0;

	*busy = *regions = 0;
	*busy_bytes = 0;
	while (HeapWalk(h, &e)) {
		n++;
		if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) {
			(*busy)++;
			*busy_bytes += e.cbData;
		}
		if (e.wFlags & PROCESS_HEAP_REGION)
			(*regions)++;
	}
	return GetLastError() == ERROR_NO_MORE_ITEMS ? n : -1;
}

static void process_heap(void)
{
	HANDLE h = GetProcessHeap(), all[8];
	char *p;

	ok(h != NULL && h == GetProcessHeap(), "GetProcessHeap: one heap");
	ok(GetProcessHeaps(8, all) >= 1 && all[0] != NULL, "GetProcessHeaps lists it");
	ok((uintptr_t)h % 65536 == 0, "a heap handle is its 64 KiB-aligned base");
	p = HeapAlloc(h, 0, 100);
	ok(p && (uintptr_t)p % 16 == 0, "HeapAlloc: 16-byte aligned");
	ok(HeapSize(h, 0, p) == 100, "HeapSize is exactly what was asked");
	memset(p, 0x77, 100);
	p = HeapReAlloc(h, 0, p, 110);
	ok(p && HeapSize(h, 0, p) == 110 && p[99] == 0x77, "HeapReAlloc in place keeps data");
	char *q = HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 5000);
	ok(q == NULL && HeapSize(h, 0, p) == 110, "HEAP_REALLOC_IN_PLACE_ONLY: fails, block unchanged");
	q = HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 5000);
	ok(q && HeapSize(h, 0, q) == 5000 && q[0] == 0x77 && q[99] == 0x77 && q[110] == 0 &&
	   q[4999] == 0, "HeapReAlloc moves, copies, zeroes the growth");
	char *z = HeapAlloc(h, HEAP_ZERO_MEMORY, 300);
	int zero = 1;
	for (int i = 0; i < 300; i++)
		zero &= z[i] == 0;
	ok(zero, "HEAP_ZERO_MEMORY");
	ok(HeapFree(h, 0, q) && HeapFree(h, 0, z), "HeapFree");
	SetLastError(0);
	ok(!HeapFree(h, 0, q) && GetLastError() == ERROR_INVALID_PARAMETER,
	   "a double free is refused: ERROR_INVALID_PARAMETER");
	ok(HeapSize(h, 0, q) == (SIZE_T)-1, "HeapSize of a freed block: (SIZE_T)-1");
	ok(HeapFree(h, 0, NULL), "HeapFree(NULL) is fine");
	void *zs = HeapAlloc(h, 0, 0);
	ok(zs && HeapSize(h, 0, zs) == 0 && HeapFree(h, 0, zs), "zero-byte blocks");
	SetLastError(0);
	ok(!HeapDestroy(h) && GetLastError() == ERROR_INVALID_HANDLE,
	   "the process heap is not destroyed");
}

static void growable_and_large(void)
{
	HANDLE h = HeapCreate(0, 0, 0);
	void *ptrs[2000];
	MEMORY_BASIC_INFORMATION m;
	int busy, regions;
	size_t bytes, want = 0;

	ok(h != NULL, "HeapCreate(0, 0, 0): growable");
	for (int i = 0; i < 2000; i++) {
		ptrs[i] = HeapAlloc(h, 0, 16 + (i * 37) % 2000);
		memset(ptrs[i], i, 16 + (i * 37) % 2000);
		want += 16 + (i * 37) % 2000;
	}
	ok(ptrs[1999] != NULL, "2000 blocks, 2 MiB: the heap grew");
	ok(walk_count(h, &busy, &bytes, &regions) > 0 && busy == 2000 && bytes == want && regions >= 2,
	   "HeapWalk: every busy block with its exact size, and the regions");
	ok(HeapValidate(h, 0, NULL), "HeapValidate of the whole heap");
	for (int i = 0; i < 2000; i += 2)
		HeapFree(h, 0, ptrs[i]);
	ok(HeapValidate(h, 0, NULL) && walk_count(h, &busy, &bytes, &regions) > 0 && busy == 1000,
	   "half freed: valid, 1000 busy");
	int kept = 1;
	for (int i = 1; i < 2000; i += 2)
		kept &= ((unsigned char *)ptrs[i])[0] == (unsigned char)i;
	ok(kept, "the other blocks kept their data");
	char *big = HeapAlloc(h, 0, 3 << 20);
	ok(big && VirtualQuery(big, &m, sizeof(m)) && m.State == MEM_COMMIT &&
	   m.AllocationBase == (PVOID)((uintptr_t)big & ~(uintptr_t)0xffff) && HeapSize(h, 0, big) == 3u << 20,
	   "a 3 MiB block is its own VirtualAlloc allocation");
	big[(3 << 20) - 1] = 1;
	ok(walk_count(h, &busy, &bytes, &regions) > 0 && busy == 1001, "HeapWalk lists it");
	ok(HeapFree(h, 0, big), "and frees it");
	ok(VirtualQuery(big, &m, sizeof(m)) && m.State == MEM_FREE, "its pages released");
	ok(HeapDestroy(h), "HeapDestroy");
	ok(VirtualQuery(h, &m, sizeof(m)) && m.State != MEM_COMMIT, "all its memory decommitted");
}

static void fixed_heap(void)
{
	HANDLE h = HeapCreate(HEAP_NO_SERIALIZE, 8192, 256 << 10);
	MEMORY_BASIC_INFORMATION m;
	int n = 0;

	ok(h != NULL, "HeapCreate(HEAP_NO_SERIALIZE, 8 KiB, 256 KiB): fixed size");
	ok(VirtualQuery(h, &m, sizeof(m)) && m.State == MEM_COMMIT && m.RegionSize >= 8192,
	   "the initial size is committed");
	ok(HeapAlloc(h, 0, 600 << 10) == NULL, "a block larger than the maximum fails");
	while (HeapAlloc(h, 0, 1000))
		n++;
	ok(n > 200 && n < 262, "it fills up at its maximum (%d blocks of 1000)", n);
	ok(HeapValidate(h, 0, NULL), "and is valid");
	ok(HeapDestroy(h), "destroyed");
	SetLastError(0);
	ok(HeapCreate(0, 1 << 20, 4096) == NULL && GetLastError() == ERROR_INVALID_PARAMETER,
	   "initial above maximum: ERROR_INVALID_PARAMETER");
}

static void overrun(void *arg)
{
	HANDLE h = HeapCreate(0, 0, 0);
	char *p = HeapAlloc(h, 0, 20);
	(void)arg;
	p[20] = 'x';			/* one byte past the block */
	_exit(HeapValidate(h, 0, p) || HeapValidate(h, 0, NULL) ? 1 : 0);
}

static void validate(void)
{
	HANDLE h = HeapCreate(0, 0, 0);
	char *p = HeapAlloc(h, 0, 40);

	ok(HeapValidate(h, 0, p), "HeapValidate of a live block");
	ok(!HeapValidate(h, 0, p + 16), "of a pointer inside it: FALSE");
	ok_exited_with(run_in_child(overrun, NULL), 0, "a one-byte overrun is found");
	HeapFree(h, 0, p);
	ok(!HeapValidate(h, 0, p), "a freed block: FALSE");
	p[20] = 0x42;			/* a write after the free */
	ok(!HeapValidate(h, 0, NULL), "a freed block written to: the heap is not valid");
	ok(HeapDestroy(h), "destroyed anyway");
}

static volatile int oom_seen;

static LONG CALLBACK on_no_memory(PEXCEPTION_POINTERS ep)
{
	if (ep->ExceptionRecord->ExceptionCode != STATUS_NO_MEMORY)
		return EXCEPTION_CONTINUE_SEARCH;
	oom_seen++;
	return EXCEPTION_CONTINUE_EXECUTION;
}

/* Set by the handler behind the compiler's back: volatile. */
static char *volatile guard_addr;
static volatile int guard_hits, av_hits;
static char *volatile av_commit;

static LONG CALLBACK on_fault(PEXCEPTION_POINTERS ep)
{
	PEXCEPTION_RECORD r = ep->ExceptionRecord;

	if (r->ExceptionCode == STATUS_GUARD_PAGE_VIOLATION) {
		guard_hits++;
		guard_addr = (char *)r->ExceptionInformation[1];
		return EXCEPTION_CONTINUE_EXECUTION;	/* retried: the guard is gone */
	}
	if (r->ExceptionCode == STATUS_ACCESS_VIOLATION && av_commit &&
	    (char *)r->ExceptionInformation[1] >= av_commit &&
	    (char *)r->ExceptionInformation[1] < av_commit + (1 << 20)) {
		av_hits++;
		/* Commit the page on demand and retry, as a sparse-array program does. */
		VirtualAlloc((void *)(r->ExceptionInformation[1] & ~(uintptr_t)4095), 4096, MEM_COMMIT,
			     PAGE_READWRITE);
		return EXCEPTION_CONTINUE_EXECUTION;
	}
	return EXCEPTION_CONTINUE_SEARCH;
}

static void unhandled_guard(void *arg)
{
	char *g = VirtualAlloc(NULL, 4096, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
	(void)arg;
	g[0] = 1;
}

static void exceptions(void)
{
	HANDLE h;
	PVOID veh;

	ok_killed_by(run_in_child(unhandled_guard, NULL), SIGSEGV,
		     "an unhandled guard-page violation ends the process");
	h = HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 64 << 10);
	veh = AddVectoredExceptionHandler(1, on_no_memory);
	PVOID veh2 = AddVectoredExceptionHandler(0, on_fault);
	char *g;

	ok(veh && veh2, "AddVectoredExceptionHandler");
	ok(HeapAlloc(h, 0, 200 << 10) == NULL && oom_seen == 1,
	   "HEAP_GENERATE_EXCEPTIONS: STATUS_NO_MEMORY reaches the handler");
	HeapDestroy(h);
	g = VirtualAlloc(NULL, 3 * 4096, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
	((volatile char *)g)[4096 + 5] = 42;
	ok(guard_hits == 1 && guard_addr == g + 4096 + 5 && g[4096 + 5] == 42,
	   "a guard page: STATUS_GUARD_PAGE_VIOLATION with the address, then the write is done");
	((volatile char *)g)[4096 + 6] = 43;
	ok(guard_hits == 1, "one-shot: the second access is not reported");
	MEMORY_BASIC_INFORMATION m;
	ok(VirtualQuery(g + 4096, &m, sizeof(m)) && m.Protect == PAGE_READWRITE && m.RegionSize == 4096,
	   "VirtualQuery: that page lost PAGE_GUARD");
	ok(VirtualQuery(g, &m, sizeof(m)) && m.Protect == (PAGE_READWRITE | PAGE_GUARD),
	   "its neighbours kept it");
	(void)*(volatile char *)(g + 2 * 4096);
	ok(guard_hits == 2 && guard_addr == g + 2 * 4096, "a read hits a guard page too");
	av_commit = VirtualAlloc(NULL, 1 << 20, MEM_RESERVE, PAGE_READWRITE);
	for (int i = 0; i < 8; i++)
		((volatile char *)av_commit)[i * 100000] = (char)i;
	ok(av_hits == 8 && av_commit[700000] == 7, "access violations commit a sparse array on demand");
	ok(VirtualFree(av_commit, 0, MEM_RELEASE) && VirtualFree(g, 0, MEM_RELEASE), "released");
	ok(RemoveVectoredExceptionHandler(veh) == 1 && RemoveVectoredExceptionHandler(veh) == 0,
	   "RemoveVectoredExceptionHandler");
}

int main(void)
{
	win32_or_skip();
	process_heap();
	growable_and_large();
	fixed_heap();
	validate();
	exceptions();
	return done_testing();
}
