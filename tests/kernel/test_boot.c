// SPDX-License-Identifier: MIT
/* What the kernel learned at boot: the memory map, the command line. */
#include "arch.h"
#include "arch/x86/pc.h"
#include "memlayout.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "mm/fault.h"
#include "mm/platform.h"

static void map_is_normalized(struct ktest *t)
{
	const struct memmap *map = &boot_info.map;

	KEXPECT(t, map->count > 0);
	for (unsigned i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->range[i];
		KEXPECT(t, r->base < r->end);
		KEXPECT_EQ(t, r->base & 0xfff, 0);
		KEXPECT_EQ(t, r->end & 0xfff, 0);
		KEXPECT(t, r->end <= PHYS_ADDR_LIMIT);
		if (i) {
			KEXPECT(t, map->range[i - 1].end <= r->base);
			/* adjacent ranges of one type would have been merged */
			KEXPECT(t, map->range[i - 1].end < r->base ||
				   map->range[i - 1].type != r->type);
		}
	}
}

static bool covered_by(const struct memmap *map, uint64_t base, uint64_t end, uint32_t type)
{
	for (unsigned i = 0; i < map->count; i++)
		if (map->range[i].type == type && map->range[i].base <= base &&
		    map->range[i].end >= end)
			return true;
	return false;
}

static void kernel_image_reserved(struct ktest *t)
{
	uint64_t end = ALIGN_UP((uintptr_t)_end - KERNEL_VMA, PAGE_SIZE);

	KEXPECT(t, covered_by(&boot_info.map, KERNEL_LMA, end, MEMMAP_KERNEL));
	KEXPECT(t, boot_info.info_end > boot_info.info_start);
}

static void has_usable_memory(struct ktest *t)
{
	KEXPECT(t, memmap_bytes(&boot_info.map, MEMMAP_USABLE) >= 16ull << 20);
	KEXPECT(t, memmap_highest_usable(&boot_info.map) > 1ull << 20);
	KEXPECT(t, !boot_info.map_from_fallback);
}

static void command_line(struct ktest *t)
{
	char value[32];

	KEXPECT(t, cmdline_has("test") || cmdline_value("test", value, sizeof(value)));
	KEXPECT(t, !cmdline_has("no-such-option"));
	KEXPECT(t, !cmdline_value("no-such-key", value, sizeof(value)));
}

static void number_parsing(struct ktest *t)
{
	uint64_t v;

	KEXPECT(t, parse_u64("42", &v) && v == 42);
	KEXPECT(t, parse_u64("0x1f", &v) && v == 31);
	KEXPECT(t, parse_u64("64M", &v) && v == 64ull << 20);
	KEXPECT(t, parse_u64("6G", &v) && v == 6ull << 30);
	KEXPECT(t, !parse_u64("", &v));
	KEXPECT(t, !parse_u64("12x", &v));
	KEXPECT(t, !parse_u64("99999999999999999999", &v));
	KEXPECT(t, !parse_u64("17179869184G", &v));
}

static void cpu_state(struct ktest *t)
{
	KEXPECT(t, read_cr0() & CR0_WP);	/* the kernel respects read-only pages */
	KEXPECT(t, !kernel_vm.pt.fmt->nx || (rdmsr(MSR_EFER) & EFER_NXE));
	KEXPECT(t, read_rflags() & RFLAGS_IF);
}

/*
 * Reads and writes back one word of physical memory; false if that faults.
 * High memory through a temporary mapping. Free frames too: not checked by
 * KASAN, which poisons them.
 */
__attribute__((no_sanitize_address))
static bool probe_phys(uint64_t pa)
{
	uint8_t *page = plat_kmap(pa & PAGE_MASK);
	volatile uint64_t *p = (volatile uint64_t *)(page + (pa & ~PAGE_MASK));
	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
		*p = *p;
		fault_catch_disarm();
	}
	plat_kunmap(page);
	return !fc.caught;
}

/* Every usable byte must be reachable: the direct map, or kmap in high memory. */
static void direct_map_covers_ram(struct ktest *t)
{
	const struct memmap *map = &boot_info.map;
	unsigned checked = 0, failed = 0;

	for (unsigned i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->range[i];
		if (r->type != MEMMAP_USABLE)
			continue;
		/* every 2 MiB of each usable range, and its last word */
		for (uint64_t pa = r->base; pa < r->end; pa += 2ull << 20, checked++)
			failed += !probe_phys(pa);
		failed += !probe_phys(r->end - 8);
	}
	KEXPECT(t, checked > 0);
	KEXPECT_EQ(t, failed, 0);
}

/*
 * The clock's TSC rate, calibrated at boot, agrees with the PIT measured
 * again now. Each measurement comes with bounds the true rate lies within
 * (a PIT reading sits between two TSC reads, its count is right to a
 * tick), so the check is that the boot rate is within the new bounds,
 * widened by the boot's own uncertainty and CLOCK_SLACK. A loaded host
 * only widens the bounds; it cannot make them miss. QEMU's TCG runs both
 * clocks on the host's time, or under -icount both on the instruction
 * count: either way the ratio is fixed, so no more slack is needed than
 * for the host's clock being slewed (under 500 ppm) against its TSC.
 * A boot rate 2.4x off, as one stop of the CPU at the wrong moment gave
 * the single wait before, fails it; so does one off by a percent.
 */
#define CLOCK_SLACK	1000	/* 0.1% */

static void clock_rate_matches_pit(struct ktest *t)
{
	const struct tsc_rate *boot = tsc_rate_boot();
	struct tsc_rate now;
	bool good = tsc_rate_measure(&now);
	uint64_t boot_width = boot->fallback ? 0 : boot->hi - boot->lo;
	uint64_t slack = now.per_ms / CLOCK_SLACK + boot_width / 2;
	uint64_t lo = now.lo > slack ? now.lo - slack : 0, hi = now.hi + slack;

	kprintf("    # TSC at boot %" PRIu64 " [%" PRIu64 "-%" PRIu64 "]%s, now %" PRIu64 " [%" PRIu64
		"-%" PRIu64 "]%s cycles/ms\n", boot->per_ms, boot->lo, boot->hi,
		boot->fallback ? " (fallback)" : "", now.per_ms, now.lo, now.hi,
		good ? "" : " (no good try)");
	KEXPECT(t, boot->per_ms > 0);
	KEXPECT(t, boot->lo <= boot->per_ms && boot->per_ms <= boot->hi);
	/* A fallback is an upper bound: the clock may run slow, never fast. */
	if (boot->fallback)
		KEXPECT(t, boot->per_ms + slack >= now.lo);
	else
		KEXPECT(t, lo <= boot->per_ms && boot->per_ms <= hi);
}

KTEST_SUITE(boot,
	    KTEST_CASE(map_is_normalized),
	    KTEST_CASE(kernel_image_reserved),
	    KTEST_CASE(has_usable_memory),
	    KTEST_CASE(command_line),
	    KTEST_CASE(number_parsing),
	    KTEST_CASE(cpu_state),
	    KTEST_CASE(direct_map_covers_ram),
	    KTEST_CASE(clock_rate_matches_pit));
