/* SPDX-License-Identifier: MIT */
/*
 * The physical memory map: the bootloader's raw entries are validated as they
 * are added, then normalized into sorted, non-overlapping, page-aligned
 * ranges, on which the kernel later carves out what it occupies itself.
 *
 * Where ranges claim the same byte, the higher class below wins:
 *
 *   BAD                          never touch it at all
 *   KERNEL MODULE BOOTINFO FRAMEDB   in use by us right now
 *   ACPI_NVS                     firmware state that must survive sleep
 *   RESERVED and unknown codes   the firmware's, for reasons we cannot know
 *   ACPI_RECLAIMABLE             tables we may reuse once they are parsed
 *   USABLE                       only where nothing else claims it
 *
 * Within a class the lower type code wins (RESERVED beats an unknown code),
 * which makes the result independent of the order of the entries.
 *
 * Normalization is a sweep over boundary points: between two neighbouring
 * points every entry either covers the whole interval or none of it, so the
 * interval gets the winning type of the entries covering it. It runs twice:
 * on the raw entries, then on the result with usable ranges rounded inward
 * and the rest rounded outward to pages, so that a page holding any
 * non-usable byte is never usable. Finding the next point by a linear scan
 * makes the sweep quadratic, which is nothing at these sizes and needs no
 * sorted copy of the points; the only working space, for the intermediate
 * list, lives in struct memmap itself.
 *
 * Anything left out of the normalized map (a gap, or a range dropped for want
 * of room) is memory that nobody may use, so dropping is always the safe side.
 */
#include "memmap.h"
#include "platform.h"

#define ULL(x)		((unsigned long long)(x))
#define RANGE_FMT	"[0x%llx-0x%llx)"

/* Messages of one kind logged per call; a hostile map could log thousands. */
#define LOG_BURST	16

/* The first pass yields at most 2n-1 intervals from n raw entries. */
_Static_assert(2 * MEMMAP_MAX_RAW <= MEMMAP_MAX_RANGES + 1,
	       "normalization could lose ranges for want of scratch space");

struct loglimit {
	unsigned warn, info;	/* logged so far */
	unsigned suppressed;	/* not logged once over the burst */
};

static bool may_log(struct loglimit *ll, unsigned *which)
{
	if (*which < LOG_BURST) {
		(*which)++;
		return true;
	}
	ll->suppressed++;
	return false;
}

static int type_rank(uint32_t type)
{
	switch (type) {
	case MEMMAP_USABLE:
		return 0;
	case MEMMAP_ACPI_RECLAIMABLE:
		return 1;
	case MEMMAP_ACPI_NVS:
		return 3;
	case MEMMAP_KERNEL:
	case MEMMAP_MODULE:
	case MEMMAP_BOOTINFO:
	case MEMMAP_FRAMEDB:
		return 4;
	case MEMMAP_BAD:
		return 5;
	default:
		return 2;	/* RESERVED and codes we do not know */
	}
}

/* True if @a wins over @b where both claim the same byte. */
static bool type_wins(uint32_t a, uint32_t b)
{
	int ra = type_rank(a), rb = type_rank(b);

	if (ra != rb)
		return ra > rb;
	return a < b;
}

static bool type_known(uint32_t type)
{
	return (type >= MEMMAP_USABLE && type <= MEMMAP_BAD) ||
	       (type >= MEMMAP_KERNEL && type <= MEMMAP_FRAMEDB);
}

/**
 * memmap_type_name - short human-readable name of a range type
 * @type: an enum memmap_type value or any bootloader code
 *
 * Returns a static string; "unknown" for codes we do not know.
 */
const char *memmap_type_name(uint32_t type)
{
	switch (type) {
	case MEMMAP_USABLE:		return "usable";
	case MEMMAP_RESERVED:		return "reserved";
	case MEMMAP_ACPI_RECLAIMABLE:	return "ACPI reclaimable";
	case MEMMAP_ACPI_NVS:		return "ACPI NVS";
	case MEMMAP_BAD:		return "bad";
	case MEMMAP_KERNEL:		return "kernel";
	case MEMMAP_MODULE:		return "module";
	case MEMMAP_BOOTINFO:		return "bootinfo";
	case MEMMAP_FRAMEDB:		return "framedb";
	default:			return "unknown";
	}
}

/**
 * memmap_init - empty a memory map
 * @map: the map
 */
void memmap_init(struct memmap *map)
{
	memset(map, 0, sizeof(*map));
}

static int reject(struct memmap *map, uint64_t base, uint64_t length,
		  uint32_t type, const char *why)
{
	/* Only the first few: the count tells the rest. */
	if (map->dropped < LOG_BURST)
		mm_warn("memmap: dropping entry base 0x%llx length 0x%llx type %u: %s",
			ULL(base), ULL(length), type, why);
	map->dropped++;
	return -1;
}

/*
 * The raw list is full and a non-usable entry arrives: give it the slot of
 * the smallest usable entry, since losing usable memory is harmless while
 * losing a reservation could hand out memory the firmware owns.
 */
static int evict_for(struct memmap *map, phys_addr_t base, phys_addr_t end,
		     uint32_t type)
{
	struct memmap_range *victim = NULL;
	unsigned i;

	if (type == MEMMAP_USABLE)
		return -1;
	for (i = 0; i < map->nraw; i++) {
		struct memmap_range *r = &map->raw[i];

		if (r->type == MEMMAP_USABLE &&
		    (!victim || r->end - r->base < victim->end - victim->base))
			victim = r;
	}
	if (!victim)
		return -1;
	if (map->dropped < LOG_BURST)
		mm_warn("memmap: more than %u entries: dropping usable " RANGE_FMT
			" to keep %s " RANGE_FMT, MEMMAP_MAX_RAW, ULL(victim->base),
			ULL(victim->end), memmap_type_name(type), ULL(base), ULL(end));
	map->dropped++;
	victim->base = base;
	victim->end = end;
	victim->type = type;
	return 0;
}

/**
 * memmap_add - record one raw entry of the bootloader's memory map
 * @map: the map
 * @base: first byte
 * @length: size in bytes
 * @type: an E820/multiboot type code; 0 and unknown codes count as reserved
 *
 * Rejects, logs and counts in @map->dropped: zero length, a range wrapping
 * past 2^64, a base at or beyond PHYS_ADDR_LIMIT. A range crossing the limit
 * is clipped to it. When the raw list is full a non-usable entry replaces
 * the smallest usable one (which is counted as dropped) and a usable entry
 * is rejected. memmap_normalize() must run after the last addition.
 *
 * Returns 0 if the entry was recorded, negative if it was rejected.
 */
int memmap_add(struct memmap *map, uint64_t base, uint64_t length, uint32_t type)
{
	/* Once full, the drop messages (limited) say enough. */
	bool chatty = map->nraw < MEMMAP_MAX_RAW;
	uint64_t last, end;

	if (length == 0)
		return reject(map, base, length, type, "zero length");
	last = base + (length - 1);
	if (last < base)
		return reject(map, base, length, type, "wraps past 2^64");
	if (base >= PHYS_ADDR_LIMIT)
		return reject(map, base, length, type, "starts beyond 2^52");
	end = last + 1;
	if (last >= PHYS_ADDR_LIMIT) {
		if (chatty)
			mm_warn("memmap: entry base 0x%llx length 0x%llx type %u ends beyond 2^52; clipped",
				ULL(base), ULL(length), type);
		end = PHYS_ADDR_LIMIT;
	}
	if (type == 0) {
		if (chatty)
			mm_warn("memmap: entry " RANGE_FMT " has type 0; treating it as reserved",
				ULL(base), ULL(end));
		type = MEMMAP_RESERVED;
	} else if (!type_known(type) && chatty) {
		mm_info("memmap: entry " RANGE_FMT " has unknown type %u; treating it as reserved",
			ULL(base), ULL(end), type);
	}
	if (map->nraw >= MEMMAP_MAX_RAW) {
		if (evict_for(map, base, end, type) == 0)
			return 0;
		return reject(map, base, length, type, "too many entries");
	}
	map->raw[map->nraw].base = base;
	map->raw[map->nraw].end = end;
	map->raw[map->nraw].type = type;
	map->nraw++;
	return 0;
}

/* Warn once about each pair of raw entries that overlap. */
static void log_raw_overlaps(const struct memmap *map, struct loglimit *ll)
{
	unsigned i, j;

	for (i = 0; i < map->nraw; i++) {
		for (j = i + 1; j < map->nraw; j++) {
			const struct memmap_range *a = &map->raw[i], *b = &map->raw[j];
			phys_addr_t lo = MM_MAX(a->base, b->base);
			phys_addr_t hi = MM_MIN(a->end, b->end);

			if (lo >= hi)
				continue;
			if (a->type == b->type) {
				if (may_log(ll, &ll->info))
					mm_info("memmap: %s entries " RANGE_FMT " and " RANGE_FMT
						" overlap; merged", memmap_type_name(a->type),
						ULL(a->base), ULL(a->end), ULL(b->base), ULL(b->end));
				continue;
			}
			if (type_wins(b->type, a->type)) {
				const struct memmap_range *t = a;

				a = b;
				b = t;
			}
			if (may_log(ll, &ll->warn))
				mm_warn("memmap: %s " RANGE_FMT " overlaps %s " RANGE_FMT
					" on " RANGE_FMT "; %s wins", memmap_type_name(a->type),
					ULL(a->base), ULL(a->end), memmap_type_name(b->type),
					ULL(b->base), ULL(b->end), ULL(lo), ULL(hi),
					memmap_type_name(a->type));
		}
	}
}

/* The smallest boundary of @in strictly above @cur, if there is one. */
static bool next_point(const struct memmap_range *in, unsigned n,
		       phys_addr_t cur, phys_addr_t *next)
{
	phys_addr_t best = UINT64_MAX;
	bool found = false;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (in[i].base > cur && in[i].base <= best) {
			best = in[i].base;
			found = true;
		}
		if (in[i].end > cur && in[i].end <= best) {
			best = in[i].end;
			found = true;
		}
	}
	*next = best;
	return found;
}

/*
 * The winning type at @pa, and in *@loser some other type also there (equal
 * to the winner if there is none). Returns false if nothing covers @pa.
 */
static bool type_at(const struct memmap_range *in, unsigned n, phys_addr_t pa,
		    uint32_t *win, uint32_t *loser)
{
	bool found = false;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (pa < in[i].base || pa >= in[i].end)
			continue;
		if (!found) {
			*win = *loser = in[i].type;
			found = true;
		} else if (type_wins(in[i].type, *win)) {
			*loser = *win;
			*win = in[i].type;
		} else if (in[i].type != *win) {
			*loser = in[i].type;
		}
	}
	return found;
}

/*
 * Sweep @in (unsorted, possibly overlapping) into @out: sorted, disjoint,
 * same-type neighbours merged. Whatever does not fit in @max is dropped,
 * which only ever takes memory away. With @log_shared, each interval that
 * several types claimed is logged (the raw pass logs overlaps by entry).
 */
static unsigned sweep(const struct memmap_range *in, unsigned n,
		      struct memmap_range *out, unsigned max,
		      struct loglimit *ll, bool log_shared)
{
	unsigned count = 0, lost = 0;
	phys_addr_t cur, next = 0;
	unsigned i;

	if (n == 0)
		return 0;
	for (cur = in[0].base, i = 1; i < n; i++)
		cur = MM_MIN(cur, in[i].base);

	for (; next_point(in, n, cur, &next); cur = next) {
		uint32_t win = 0, loser = 0;

		if (!type_at(in, n, cur, &win, &loser))
			continue;
		if (log_shared && loser != win && may_log(ll, &ll->info))
			mm_info("memmap: " RANGE_FMT " claimed by %s and %s after page alignment; %s wins",
				ULL(cur), ULL(next), memmap_type_name(win),
				memmap_type_name(loser), memmap_type_name(win));
		if (count && out[count - 1].end == cur && out[count - 1].type == win) {
			out[count - 1].end = next;
		} else if (count < max) {
			out[count].base = cur;
			out[count].end = next;
			out[count].type = win;
			count++;
		} else {
			if (!lost)
				mm_warn("memmap: more than %u ranges: dropping %s " RANGE_FMT
					" and everything above it", max,
					memmap_type_name(win), ULL(cur), ULL(next));
			lost++;
		}
	}
	return count;
}

/*
 * Round usable ranges inward and the others outward to whole pages, in
 * place; usable ranges smaller than a page disappear. Returns the new count.
 */
static unsigned align_ranges(struct memmap_range *r, unsigned n, struct loglimit *ll)
{
	unsigned i, k = 0;

	for (i = 0; i < n; i++) {
		phys_addr_t b = r[i].base, e = r[i].end, nb, ne;
		bool usable = r[i].type == MEMMAP_USABLE;

		if (usable) {
			nb = ALIGN_UP(b, PAGE_SIZE);
			ne = ALIGN_DOWN(e, PAGE_SIZE);
			if (nb >= ne) {
				if (may_log(ll, &ll->info))
					mm_info("memmap: usable " RANGE_FMT
						" holds no whole page; dropped", ULL(b), ULL(e));
				continue;
			}
		} else {
			nb = ALIGN_DOWN(b, PAGE_SIZE);
			ne = ALIGN_UP(e, PAGE_SIZE);
		}
		if ((nb != b || ne != e) && may_log(ll, &ll->info))
			mm_info("memmap: %s " RANGE_FMT " %s to pages " RANGE_FMT,
				memmap_type_name(r[i].type), ULL(b), ULL(e),
				usable ? "trimmed" : "widened", ULL(nb), ULL(ne));
		r[k].base = nb;
		r[k].end = ne;
		r[k].type = r[i].type;
		k++;
	}
	return k;
}

/**
 * memmap_normalize - build the normalized ranges from the raw entries
 * @map: the map, after the last memmap_add()
 *
 * Replaces @map->range (so earlier carves are lost) with sorted, disjoint,
 * page-aligned ranges, same-type neighbours merged, overlaps resolved by the
 * precedence at the top of this file. Logs every overlap and adjustment,
 * up to a burst per kind. Never fails; handles any raw contents.
 */
void memmap_normalize(struct memmap *map)
{
	struct loglimit ll = { 0, 0, 0 };
	unsigned n;

	if (map->nraw > MEMMAP_MAX_RAW)
		map->nraw = MEMMAP_MAX_RAW;	/* corrupt: trust no more than fits */
	log_raw_overlaps(map, &ll);
	n = sweep(map->raw, map->nraw, map->scratch, MEMMAP_MAX_RANGES, &ll, false);
	n = align_ranges(map->scratch, n, &ll);
	map->count = sweep(map->scratch, n, map->range, MEMMAP_MAX_RANGES, &ll, true);
	if (ll.suppressed)
		mm_info("memmap: %u further overlap/alignment messages not shown",
			ll.suppressed);
	if (map->dropped)
		mm_warn("memmap: %u bootloader entries were dropped in all", map->dropped);
}

/* Append [@base, @end) to @out, merged into a same-type neighbour; false if full. */
static bool emit(struct memmap_range *out, unsigned *k, phys_addr_t base,
		 phys_addr_t end, uint32_t type)
{
	if (*k && out[*k - 1].end == base && out[*k - 1].type == type) {
		out[*k - 1].end = end;
		return true;
	}
	if (*k >= MEMMAP_MAX_RANGES)
		return false;
	out[*k].base = base;
	out[*k].end = end;
	out[*k].type = type;
	(*k)++;
	return true;
}

/**
 * memmap_carve - mark part of the normalized map as used by us
 * @map: a normalized map
 * @base: first byte
 * @end: byte after the last
 * @type: what is there (MEMMAP_KERNEL, MEMMAP_MODULE, ...); not usable
 *
 * [@base, @end) is widened to whole pages and takes @type whatever was there
 * before, including gaps and reserved memory (which is logged, since our
 * own data should not be there). Returns 0, or negative without changing
 * the map if the arguments are bad or the result would not fit.
 */
int memmap_carve(struct memmap *map, phys_addr_t base, phys_addr_t end, uint32_t type)
{
	struct memmap_range *out = map->scratch;
	bool ok = true, placed = false;
	uint32_t foreign = 0;	/* a firmware type we override, if any */
	phys_addr_t covered = 0;
	unsigned i, k = 0;

	if (type == MEMMAP_USABLE || type == 0 || base >= end ||
	    base >= PHYS_ADDR_LIMIT || map->count > MEMMAP_MAX_RANGES) {
		mm_warn("memmap: cannot carve " RANGE_FMT " as %s (type %u)",
			ULL(base), ULL(end), memmap_type_name(type), type);
		return -1;
	}
	if (end > PHYS_ADDR_LIMIT) {
		mm_warn("memmap: carve " RANGE_FMT " clipped at 2^52", ULL(base), ULL(end));
		end = PHYS_ADDR_LIMIT;
	}
	base = ALIGN_DOWN(base, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);

	for (i = 0; i < map->count && ok; i++) {
		const struct memmap_range *r = &map->range[i];

		if (r->end <= base || r->base >= end) {
			if (!placed && r->base >= end) {
				ok = emit(out, &k, base, end, type);
				placed = true;
			}
			ok = ok && emit(out, &k, r->base, r->end, r->type);
			continue;
		}
		/* @r overlaps: keep its parts on either side. */
		covered += MM_MIN(r->end, end) - MM_MAX(r->base, base);
		if (r->type != MEMMAP_USABLE && type_rank(r->type) != type_rank(MEMMAP_KERNEL))
			foreign = r->type;
		if (r->base < base)
			ok = emit(out, &k, r->base, base, r->type);
		if (!placed) {
			ok = ok && emit(out, &k, base, end, type);
			placed = true;
		}
		if (r->end > end)
			ok = ok && emit(out, &k, end, r->end, r->type);
	}
	if (ok && !placed)
		ok = emit(out, &k, base, end, type);
	if (!ok) {
		mm_warn("memmap: no room to carve %s " RANGE_FMT,
			memmap_type_name(type), ULL(base), ULL(end));
		return -1;
	}
	if (foreign)
		mm_warn("memmap: %s " RANGE_FMT " overlaps %s memory",
			memmap_type_name(type), ULL(base), ULL(end),
			memmap_type_name(foreign));
	else if (covered < end - base)
		mm_info("memmap: %s " RANGE_FMT " reaches outside the memory map",
			memmap_type_name(type), ULL(base), ULL(end));
	memcpy(map->range, out, k * sizeof(*out));
	map->count = k;
	return 0;
}

/**
 * memmap_bytes - total size of the normalized ranges of one type
 * @map: a normalized map
 * @type: the type
 */
uint64_t memmap_bytes(const struct memmap *map, uint32_t type)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < map->count && i < MEMMAP_MAX_RANGES; i++)
		if (map->range[i].type == type)
			sum += map->range[i].end - map->range[i].base;
	return sum;
}

/**
 * memmap_highest_usable - end of the highest usable range
 * @map: a normalized map
 *
 * Returns the exclusive end address, or 0 if nothing is usable.
 */
phys_addr_t memmap_highest_usable(const struct memmap *map)
{
	unsigned i = MM_MIN(map->count, (unsigned)MEMMAP_MAX_RANGES);

	while (i--)
		if (map->range[i].type == MEMMAP_USABLE)
			return map->range[i].end;
	return 0;
}
