/*
 * t_map_count: vm.max_map_count (65530). One-page mappings placed every
 * other page inside a PROT_NONE reservation (two regions each) until mmap
 * fails: it must fail with ENOMEM, near the limit and not before; unmapping
 * a few lets mapping go on; the space works throughout. Exact counts differ
 * between kernels (Linux's vdso, vvar) and are not printed.
 */
#define _GNU_SOURCE
#include "util.h"

#define RESERVE_PAGES (1UL << 17)	/* room for 65536 mappings with a gap each */

int main(void)
{
	char *base = map_anon(RESERVE_PAGES * PAGE, PROT_NONE);
	unsigned long n = 0;
	int err = 0;

	ok(base != MAP_FAILED, "a 512 MiB PROT_NONE reservation");
	for (; n < RESERVE_PAGES / 2; n++) {
		void *p = mmap(base + 2 * n * PAGE, PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED) {
			err = errno;
			break;
		}
	}
	ok(err == ENOMEM, "mapping stops with ENOMEM");
	if (err != ENOMEM)
		diag("stopped after %lu mappings, errno %d", n, err);
	ok(n > 32700 && n < 32768, "at about vm.max_map_count regions, not before");
	if (n <= 32700 || n >= 32768)
		diag("%lu mappings", n);
	ok_sys((long)map_anon(PAGE, PROT_READ), ENOMEM, "any new mapping: ENOMEM");
	base[0] = 1;
	base[2 * (n - 1) * PAGE] = 2;
	ok(base[0] == 1 && base[2 * (n - 1) * PAGE] == 2, "the mappings work at the limit");
	for (unsigned long i = 0; i < 8; i++)
		munmap(base + 2 * i * PAGE, PAGE);
	ok(map_anon(PAGE, PROT_READ) != MAP_FAILED, "after 8 munmaps a new mapping fits");
	ok_eq(munmap(base, RESERVE_PAGES * PAGE), 0, "one munmap removes them all");
	ok(map_anon(PAGE, PROT_READ) != MAP_FAILED, "and mapping goes on");
	return done_testing();
}
