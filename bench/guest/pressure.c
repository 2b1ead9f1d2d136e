// SPDX-License-Identifier: MIT
/*
 * pressure: a working set larger than the machine's RAM, the same static
 * program on our kernel and on Linux with zram, so each kernel has to swap
 * (issue 18's benchmark). Pages are text built from a small dictionary,
 * compressible about as much as text (LZ4 about 2.6x per page), each
 * different; every page is checked on every read.
 *
 * Phases, timed with the guest clock (instructions under -icount shift=0):
 *   write_all    first write of every page, in order
 *   read_all     every page read and checked, in order
 *   read_random  as many reads of pages picked at random, checked
 * Output, one line per figure:
 *   pressure.PHASE NS ns
 *   pressure.major_faults N faults      (getrusage; absent if the kernel has none)
 *   pressure.swap_ins N pages, pressure.swap_outs N pages, and for an in-RAM
 *   store pressure.swap_orig_bytes/swap_mem_bytes (memcore: MEMCORE_SYS_swap_stats)
 *   pressure.zram_orig_bytes N bytes, pressure.zram_mem_used_bytes N bytes
 *                                        (Linux: /sys/block/zram0/mm_stat)
 *   pressure.bad_pages N pages           (must be 0)
 * Exit status 0 only if every page read back intact.
 *
 * Usage: pressure [MiB [SEED]]   (default 384 MiB)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "memcore/swap.h"

#define PAGE 4096UL
#define MIB (1UL << 20)

static const char *const words[] = {
	"memory", "page", "frame", "swap", "the", "of", "and", "kernel", "table",
	"fault", "reclaim", "pool", "compress", "entry", "slot", "disk", "a", "in",
	"process", "address", "space", "map", "to", "is", "lru", "active", "list",
	"inactive", "zone", "watermark", "free", "used", "cache", "write", "read",
	"device", "queue", "ring", "buffer", "block", "sector", "header", "count",
	"reference", "shared", "private", "copy", "on", "fork", "exit", "thread",
	"lock", "order", "virtual", "physical", "mapping", "region", "heap", "slab",
	"object", "size", "class", "bitmap", "node",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * The dictionary: DICT bytes of text made of the words. A page is a run of
 * pieces of it (16 to 79 bytes from anywhere), so a page repeats itself
 * the way text does: LZ4 finds matches within the page.
 */
#define DICT 1536
static unsigned char dict[DICT + PAGE];

static void build_dict(void)
{
	uint64_t s = 88172645463325252ull;
	size_t n = 0;

	while (n < sizeof(dict)) {
		uint64_t r = next(&s);
		const char *w = words[r % NWORDS];
		size_t len = strlen(w);
		if (len > sizeof(dict) - n)
			len = sizeof(dict) - n;
		memcpy(dict + n, w, len);
		n += len;
		if (n < sizeof(dict))
			dict[n++] = (r >> 32) % 9 ? ' ' : '\n';
	}
}

/* Page @i: its number first (a misplaced page shows), then pieces of the dictionary. */
static void fill_page(unsigned char *p, uint64_t i, uint64_t seed)
{
	uint64_t s = (i + 1) * 0x9e3779b97f4a7c15ull ^ seed;
	size_t n = 8;

	memcpy(p, &i, 8);
	while (n < PAGE) {
		uint64_t r = next(&s);
		size_t len = 16 + (r >> 32) % 64, off = r % DICT;
		if (len > PAGE - n)
			len = PAGE - n;
		memcpy(p + n, dict + off, len);
		n += len;
	}
}

/* FNV-1a over 64-bit words: cheap next to the page generation. */
static uint64_t hash_page(const unsigned char *p)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t k = 0; k < PAGE / 8; k++)
		h = (h ^ w[k]) * 0x100000001b3ull;
	return h;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Our kernel's swap figures (ENOSYS on Linux). */
static void memcore_figures(void)
{
	struct memcore_swap_stats st;

	if (syscall(MEMCORE_SYS_swap_stats, &st) != 0)
		return;
	printf("pressure.swap_ins %llu pages\n", (unsigned long long)st.swpin);
	printf("pressure.swap_outs %llu pages\n", (unsigned long long)st.swpout);
	printf("pressure.swap_written_back %llu pages\n", (unsigned long long)st.written_back);
	if (st.ram_bytes) {
		printf("pressure.swap_orig_bytes %llu bytes\n", (unsigned long long)st.ram_orig_bytes);
		printf("pressure.swap_mem_bytes %llu bytes\n", (unsigned long long)st.ram_bytes);
	}
}

static void zram_figures(void)
{
	unsigned long long orig, compr, used;
	FILE *f = fopen("/sys/block/zram0/mm_stat", "r");

	if (!f)
		return;
	if (fscanf(f, "%llu %llu %llu", &orig, &compr, &used) == 3) {
		printf("pressure.zram_orig_bytes %llu bytes\n", orig);
		printf("pressure.zram_compr_bytes %llu bytes\n", compr);
		printf("pressure.zram_mem_used_bytes %llu bytes\n", used);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 384;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	uint64_t npages = mib * MIB / PAGE, bad = 0;
	uint64_t *sums = malloc(npages * sizeof(*sums));
	unsigned char *buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!sums || buf == MAP_FAILED) {
		printf("pressure: cannot map %llu MiB: %s\n", (unsigned long long)mib,
		       strerror(errno));
		return 2;
	}
	printf("pressure: %llu pages\n", (unsigned long long)npages);
	build_dict();

	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < npages; i++) {
		fill_page(buf + i * PAGE, i, seed);
		sums[i] = hash_page(buf + i * PAGE);
	}
	uint64_t t1 = now_ns();
	printf("pressure.write_all %llu ns\n", (unsigned long long)(t1 - t0));

	for (uint64_t i = 0; i < npages; i++)
		bad += hash_page(buf + i * PAGE) != sums[i];
	uint64_t t2 = now_ns();
	printf("pressure.read_all %llu ns\n", (unsigned long long)(t2 - t1));

	uint64_t s = seed * 0x2545f4914f6cdd1dull | 1;
	for (uint64_t k = 0; k < npages; k++) {
		uint64_t i = next(&s) % npages;
		bad += hash_page(buf + i * PAGE) != sums[i];
	}
	uint64_t t3 = now_ns();
	printf("pressure.read_random %llu ns\n", (unsigned long long)(t3 - t2));

	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("pressure.major_faults %ld faults\n", ru.ru_majflt);
	zram_figures();
	memcore_figures();
	printf("pressure.bad_pages %llu pages\n", (unsigned long long)bad);
	return bad ? 1 : 0;
}
