/*
 * t_commit: commit accounting under the default policy (heuristic,
 * vm.overcommit_memory=0): one request for more than all of RAM (1 TiB
 * here) fails with ENOMEM wherever private writable or shared memory is
 * asked for - mmap, mprotect to writable, mremap growth, brk, shared
 * anonymous memory, shmget - while read-only and MAP_NORESERVE mappings of
 * that size succeed, since nothing is committed for them.
 */
#define _GNU_SOURCE
#include "util.h"

#include <sys/ipc.h>
#include <sys/shm.h>

#if ABI64
#define HUGE (1ull << 40)
#else
#define HUGE (3ul << 29)	/* i386: 1.5 GiB, more than RAM, fits in user space */
#endif

int main(void)
{
	char *p;

	ok_sys(mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM,
	       "a private writable mapping larger than RAM");
	p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	ok(p != MAP_FAILED, "with MAP_NORESERVE it is not committed");
	p[0] = 1;
	p[HUGE - 1] = 2;
	ok(p[0] == 1 && p[HUGE - 1] == 2, "and its pages work");
	munmap(p, HUGE);
	p = mmap(NULL, HUGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(p != MAP_FAILED, "a read-only mapping larger than RAM");
	ok_sys(mprotect(p, HUGE, PROT_READ | PROT_WRITE), ENOMEM, "making it writable is refused");
	ok_eq(mprotect(p, 16 * PAGE, PROT_READ | PROT_WRITE), 0, "a small part of it is fine");
	munmap(p, HUGE);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok_sys(mremap(p, PAGE, HUGE, MREMAP_MAYMOVE), ENOMEM, "mremap growth larger than RAM");
	munmap(p, PAGE);
	ok_sys(mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), ENOMEM,
	       "shared anonymous memory larger than RAM");
	ok_sys(shmget(IPC_PRIVATE, HUGE, IPC_CREAT | 0600), ENOMEM, "a System V segment larger than RAM");
	uintptr_t b = raw_brk(0);
	ok_eq(raw_brk(b + HUGE), b, "brk larger than RAM is refused");
	return done_testing();
}
