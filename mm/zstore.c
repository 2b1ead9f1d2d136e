// SPDX-License-Identifier: MIT
/*
 * The compressed page store (see zstore.h). Lock order: z->lock -> the
 * pool's lock -> PMM; everything below the public functions runs with
 * z->lock held.
 */
#include "zstore.h"
#include "errno.h"
#include "platform.h"
#include "pmm.h"

enum slot_kind { SLOT_EMPTY, SLOT_SAME, SLOT_LZ4, SLOT_WHOLE };

/*
 * The slot table: leaf frames of z->per_leaf slots each. A leaf holds
 *   - per_leaf 8-byte entries: a same-filled page's word, or a pooled
 *     page's pool handle (low half) and its object's length (high half: a
 *     length of PAGE_SIZE is a page kept whole); 0 for an empty slot;
 *   - for a tier only, per_leaf age links (the other stores never need them);
 *   - a bitmap of the entries that are words.
 * 8 bytes and a bit a slot (a tier: 16 and a bit), half of zram's 16 bytes.
 */
struct zstore_age {
	uint32_t older, newer;
};

#define NO_SLOT		UINT32_MAX
#define WORK_ORDER	2		/* struct lz4_work: 16 KiB */

_Static_assert(sizeof(struct lz4_work) <= (PAGE_SIZE << WORK_ORDER), "lz4 work area fits");

/* Slots a leaf holds: its frame's bits over those a slot takes. */
static uint32_t leaf_slots(bool tier)
{
	size_t bits = (tier ? sizeof(uint64_t) + sizeof(struct zstore_age) : sizeof(uint64_t)) * 8 + 1;

	return (uint32_t)(PAGE_SIZE * 8 / bits);
}

static struct zstore *to_z(struct swap_backend *b)
{
	return (struct zstore *)((char *)b - __builtin_offsetof(struct zstore, b));
}

/* The entry of @slot (< nslots). */
static uint64_t *slot_entry(struct zstore *z, uint32_t slot)
{
	return (uint64_t *)z->dir[slot / z->per_leaf] + slot % z->per_leaf;
}

/* A tier's age links of @slot. */
static struct zstore_age *slot_age(struct zstore *z, uint32_t slot)
{
	uint64_t *leaf = z->dir[slot / z->per_leaf];

	return (struct zstore_age *)(leaf + z->per_leaf) + slot % z->per_leaf;
}

/* The byte of the same-filled bitmap that holds @slot's bit. */
static uint8_t *same_byte(struct zstore *z, uint32_t slot)
{
	uint8_t *bits = (uint8_t *)((uint64_t *)z->dir[slot / z->per_leaf] + z->per_leaf);

	if (z->lower)
		bits += z->per_leaf * sizeof(struct zstore_age);
	return bits + slot % z->per_leaf / 8;
}

static bool is_same(struct zstore *z, uint32_t slot)
{
	return *same_byte(z, slot) >> (slot % z->per_leaf % 8) & 1;
}

static void set_same(struct zstore *z, uint32_t slot, bool on)
{
	uint8_t bit = (uint8_t)(1u << (slot % z->per_leaf % 8));

	if (on)
		*same_byte(z, slot) |= bit;
	else
		*same_byte(z, slot) &= (uint8_t)~bit;
}

static enum slot_kind slot_kind(struct zstore *z, uint32_t slot)
{
	uint64_t e = *slot_entry(z, slot);

	if (is_same(z, slot))
		return SLOT_SAME;
	if (!e)
		return SLOT_EMPTY;
	return e >> 32 == PAGE_SIZE ? SLOT_WHOLE : SLOT_LZ4;
}

static zpool_handle_t entry_handle(uint64_t e)
{
	return (zpool_handle_t)e;
}

static size_t entry_len(uint64_t e)
{
	return (size_t)(e >> 32);
}

/* The word @page repeats throughout, if it does. */
static bool same_filled(const void *page, uint64_t *word)
{
	const uint64_t *w = page;
	uint64_t first = w[0];

	for (size_t i = 1; i < PAGE_SIZE / sizeof(*w); i++)
		if (w[i] != first)
			return false;
	*word = first;
	return true;
}

static void fill_words(void *page, uint64_t word)
{
	uint64_t *w = page;

	for (size_t i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		w[i] = word;
}

/* Slot @slot (pooled, in a tier) becomes the newest on the age list. */
static void age_add(struct zstore *z, uint32_t slot)
{
	struct zstore_age *a = slot_age(z, slot);

	a->older = z->newest;
	a->newer = NO_SLOT;
	if (z->newest != NO_SLOT)
		slot_age(z, z->newest)->newer = slot;
	else
		z->oldest = slot;
	z->newest = slot;
}

static void age_del(struct zstore *z, uint32_t slot)
{
	struct zstore_age *a = slot_age(z, slot);

	if (a->older != NO_SLOT)
		slot_age(z, a->older)->newer = a->newer;
	else
		z->oldest = a->newer;
	if (a->newer != NO_SLOT)
		slot_age(z, a->newer)->older = a->older;
	else
		z->newest = a->older;
}

/* Free what @slot holds (not empty). */
static void slot_clear(struct zstore *z, uint32_t slot)
{
	uint64_t *e = slot_entry(z, slot);

	if (is_same(z, slot)) {
		set_same(z, slot, false);
		z->st.same_filled--;
	} else {
		z->st.compr_bytes -= entry_len(*e);
		if (entry_len(*e) == PAGE_SIZE)
			z->st.incompressible--;
		if (z->lower)
			age_del(z, slot);
		zpool_free(&z->pool, entry_handle(*e));
	}
	*e = 0;
	z->st.stored--;
}

static int write_locked(struct zstore *z, uint32_t slot, const void *page)
{
	uint64_t *e = slot_entry(z, slot), word;
	const void *obj = z->buf;
	zpool_handle_t h;
	size_t len;

	if (slot_kind(z, slot) != SLOT_EMPTY) {
		z->st.bad_calls++;
		mm_err("zstore %s: write to slot %u, which is in use\n", z->b.name, (unsigned)slot);
		return -MM_EIO;
	}
	if (same_filled(page, &word)) {
		*e = word;
		set_same(z, slot, true);
		z->st.same_filled++;
		return 0;
	}
	len = lz4_compress_chained(page, PAGE_SIZE, z->buf, z->max_compressed, z->work);
	if (!len) {		/* kept whole: reading it back needs no decompression */
		obj = page;
		len = PAGE_SIZE;
	}
	if (zpool_alloc(&z->pool, len, &h))
		return -MM_ENOMEM;
	zpool_write(&z->pool, h, obj);
	*e = (uint64_t)len << 32 | h;
	z->st.compr_bytes += len;
	if (len == PAGE_SIZE)
		z->st.incompressible++;
	if (z->lower)
		age_add(z, slot);
	return 0;
}

int zstore_write(struct zstore *z, uint32_t slot, const void *page)
{
	unsigned long flags;
	int ret;

	if (slot >= z->b.nslots) {
		mm_err("zstore %s: write to slot %u of %u\n", z->b.name, (unsigned)slot,
		       (unsigned)z->b.nslots);
		__atomic_fetch_add(&z->st.bad_calls, 1, __ATOMIC_RELAXED);
		return -MM_EIO;
	}
	flags = spin_lock_irqsave(&z->lock);
	ret = write_locked(z, slot, page);
	if (ret == 0) {
		z->st.stored++;
		z->st.writes++;
	} else if (ret == -MM_ENOMEM) {
		z->st.failures++;
	}
	spin_unlock_irqrestore(&z->lock, flags);
	return ret;
}

static int read_locked(struct zstore *z, uint32_t slot, void *page)
{
	enum slot_kind kind = slot < z->b.nslots ? slot_kind(z, slot) : SLOT_EMPTY;
	uint64_t e = kind == SLOT_EMPTY ? 0 : *slot_entry(z, slot);
	size_t len;

	switch (kind) {
	case SLOT_EMPTY:
		z->st.bad_calls++;
		mm_err("zstore %s: read of slot %u, which holds nothing\n", z->b.name, (unsigned)slot);
		return -MM_EIO;
	case SLOT_SAME:
		fill_words(page, e);
		return 0;
	case SLOT_WHOLE:
		if (zpool_read(&z->pool, entry_handle(e), page, PAGE_SIZE) == (long)PAGE_SIZE)
			return 0;
		break;
	default:
		if (zpool_read(&z->pool, entry_handle(e), z->buf, PAGE_SIZE) == (long)entry_len(e) &&
		    lz4_decompress(z->buf, entry_len(e), page, PAGE_SIZE, &len) == 0 && len == PAGE_SIZE)
			return 0;
		break;
	}
	z->st.failures++;
	mm_err("zstore %s: slot %u: compressed data corrupt\n", z->b.name, (unsigned)slot);
	return -MM_EIO;
}

int zstore_read(struct zstore *z, uint32_t slot, void *page)
{
	unsigned long flags = spin_lock_irqsave(&z->lock);
	int ret = read_locked(z, slot, page);

	if (ret == 0)
		z->st.reads++;
	spin_unlock_irqrestore(&z->lock, flags);
	return ret;
}

void zstore_discard(struct zstore *z, uint32_t slot)
{
	unsigned long flags = spin_lock_irqsave(&z->lock);

	if (slot < z->b.nslots && slot_kind(z, slot) != SLOT_EMPTY)
		slot_clear(z, slot);
	spin_unlock_irqrestore(&z->lock, flags);
}

/* Without the store's lock: objects move, their handles (all the slots hold) stay. */
unsigned long zstore_compact(struct zstore *z)
{
	return zpool_compact(&z->pool);
}

void zstore_get_stats(struct zstore *z, struct zstore_stats *st)
{
	unsigned long flags = spin_lock_irqsave(&z->lock);
	struct zpool_stats ps;

	zpool_get_stats(&z->pool, &ps);
	*st = z->st;
	st->orig_bytes = st->stored * PAGE_SIZE;
	st->mem_bytes = zpool_total_bytes(&ps) + z->meta_pages * PAGE_SIZE;
	spin_unlock_irqrestore(&z->lock, flags);
}

/* --- the swap backend ----------------------------------------------------------------- */

static int zb_write(struct swap_backend *b, uint32_t slot, const void *page)
{
	return zstore_write(to_z(b), slot, page);
}

static int zb_read(struct swap_backend *b, uint32_t slot, void *page)
{
	return zstore_read(to_z(b), slot, page);
}

static void zb_discard(struct swap_backend *b, uint32_t slot)
{
	zstore_discard(to_z(b), slot);
}

static unsigned long zb_shrink(struct swap_backend *b, unsigned long pages)
{
	(void)pages;	/* compaction frees what it can; no lower tier yet */
	return zstore_compact(to_z(b));
}

static void zb_stats(struct swap_backend *b, struct swap_backend_stats *out)
{
	struct zstore_stats st;

	zstore_get_stats(to_z(b), &st);
	*out = (struct swap_backend_stats){
		.stored = st.stored,
		.orig_bytes = st.orig_bytes,
		.mem_bytes = st.mem_bytes,
		.same_filled = st.same_filled,
		.incompressible = st.incompressible,
		.reads = st.reads,
		.writes = st.writes,
		.failures = st.failures,
	};
}

static const struct swap_backend_ops zstore_ops = {
	.write = zb_write,
	.read = zb_read,
	.discard = zb_discard,
	.shrink = zb_shrink,
	.stats = zb_stats,
};

/* --- a tier in front of a device -------------------------------------------------------- */

/* Is the pool at its limit? Stays so until it is down to 7/8 of it (z->lock held). */
static bool tier_full(struct zstore *z)
{
	struct zpool_stats ps;
	uint64_t pages;

	zpool_get_stats(&z->pool, &ps);
	pages = ps.pool_pages;
	if (pages >= z->max_pages)
		z->full = true;
	else if (pages <= z->max_pages - z->max_pages / 8)
		z->full = false;
	return z->full;
}

/* The page at @page into the pool, unless it is full: 0, -MM_EAGAIN, -MM_EIO. */
static int tier_store(struct zstore *z, uint32_t slot, const void *page)
{
	unsigned long flags = spin_lock_irqsave(&z->lock);
	int r = tier_full(z) ? -MM_EAGAIN : write_locked(z, slot, page);

	if (r == -MM_ENOMEM) {		/* no frame for the pool: the device takes it */
		z->full = true;
		r = -MM_EAGAIN;
	}
	if (!r) {
		z->st.stored++;
		z->st.writes++;
	}
	spin_unlock_irqrestore(&z->lock, flags);
	return r;
}

/* @page filled from the pool: 0; -MM_EAGAIN (the slot's page is below); -MM_EIO. */
static int tier_load(struct zstore *z, uint32_t slot, void *page)
{
	unsigned long flags = spin_lock_irqsave(&z->lock);
	int r = -MM_EAGAIN;

	if (slot < z->b.nslots && slot_kind(z, slot) != SLOT_EMPTY) {
		r = read_locked(z, slot, page);
		if (!r)
			z->st.reads++;
	}
	spin_unlock_irqrestore(&z->lock, flags);
	return r;
}

static int zt_write_nowait(struct swap_backend *b, uint32_t slot, phys_addr_t pa)
{
	void *page = plat_kmap(pa);
	int r = tier_store(to_z(b), slot, page);

	plat_kunmap(page);
	return r;
}

static int zt_read_nowait(struct swap_backend *b, uint32_t slot, phys_addr_t pa)
{
	void *page = plat_kmap(pa);
	int r = tier_load(to_z(b), slot, page);

	plat_kunmap(page);
	return r;
}

/* The device below, by frame if it has the operations (one that sleeps does). */
static int lower_io(struct zstore *z, bool write, uint32_t slot, phys_addr_t pa)
{
	struct swap_backend *l = z->lower;
	int r;

	if (write ? !!l->ops->write_frame : !!l->ops->read_frame)
		return write ? l->ops->write_frame(l, slot, pa) : l->ops->read_frame(l, slot, pa);
	void *page = plat_kmap(pa);

	r = write ? l->ops->write(l, slot, page) : l->ops->read(l, slot, page);
	plat_kunmap(page);
	return r;
}

/* With no lock held: the pool if it has room, else the device. */
static int zt_write_frame(struct swap_backend *b, uint32_t slot, phys_addr_t pa)
{
	int r = zt_write_nowait(b, slot, pa);

	if (r != -MM_EAGAIN)
		return r;
	__atomic_fetch_add(&to_z(b)->st.refused, 1, __ATOMIC_RELAXED);
	return lower_io(to_z(b), true, slot, pa);
}

static int zt_read_frame(struct swap_backend *b, uint32_t slot, phys_addr_t pa)
{
	int r = zt_read_nowait(b, slot, pa);

	return r == -MM_EAGAIN ? lower_io(to_z(b), false, slot, pa) : r;
}

/* By mapping, for a device that never sleeps (one that does gets the frame operations). */
static int zt_write(struct swap_backend *b, uint32_t slot, const void *page)
{
	struct swap_backend *l = to_z(b)->lower;
	int r = tier_store(to_z(b), slot, page);

	if (r != -MM_EAGAIN)
		return r;
	__atomic_fetch_add(&to_z(b)->st.refused, 1, __ATOMIC_RELAXED);
	return l->ops->write(l, slot, page);
}

static int zt_read(struct swap_backend *b, uint32_t slot, void *page)
{
	struct swap_backend *l = to_z(b)->lower;
	int r = tier_load(to_z(b), slot, page);

	return r == -MM_EAGAIN ? l->ops->read(l, slot, page) : r;
}

/* A slot not in the pool is the device's (or holds nothing: a discard there is harmless). */
static void zt_discard(struct swap_backend *b, uint32_t slot)
{
	struct zstore *z = to_z(b);
	unsigned long flags = spin_lock_irqsave(&z->lock);
	bool pooled = slot < z->b.nslots && slot_kind(z, slot) != SLOT_EMPTY;

	if (pooled)
		slot_clear(z, slot);
	spin_unlock_irqrestore(&z->lock, flags);
	if (!pooled)
		z->lower->ops->discard(z->lower, slot);
}

static unsigned zt_cold(struct swap_backend *b, uint32_t *slots, unsigned max, bool force)
{
	struct zstore *z = to_z(b);
	unsigned long flags = spin_lock_irqsave(&z->lock);
	unsigned n = 0;

	if (force || tier_full(z))
		for (uint32_t s = z->oldest; s != NO_SLOT && n < max; s = slot_age(z, s)->newer)
			slots[n++] = s;
	spin_unlock_irqrestore(&z->lock, flags);
	return n;
}

/* The core holds @slot (its page in the swap cache, read into @pa): nobody frees it meanwhile. */
static int zt_move_down(struct swap_backend *b, uint32_t slot, phys_addr_t pa)
{
	struct zstore *z = to_z(b);
	unsigned long flags = spin_lock_irqsave(&z->lock);
	enum slot_kind kind = slot < z->b.nslots ? slot_kind(z, slot) : SLOT_EMPTY;
	bool pooled = kind == SLOT_LZ4 || kind == SLOT_WHOLE;
	int r;

	spin_unlock_irqrestore(&z->lock, flags);
	if (!pooled)
		return -MM_ENOENT;
	r = lower_io(z, true, slot, pa);
	if (r)
		return r;
	flags = spin_lock_irqsave(&z->lock);
	slot_clear(z, slot);
	z->st.written_back++;
	spin_unlock_irqrestore(&z->lock, flags);
	return 0;
}

static void zt_stats(struct swap_backend *b, struct swap_backend_stats *out)
{
	struct zstore *z = to_z(b);
	struct swap_backend_stats lower = { 0 };

	zb_stats(b, out);
	if (z->lower->ops->stats)
		z->lower->ops->stats(z->lower, &lower);
	out->stored += lower.stored;
	out->reads += lower.reads;
	out->writes += lower.writes;
	out->failures += lower.failures;
	out->written_back = z->st.written_back;
}

static const struct swap_backend_ops ztier_ops = {
	.write = zt_write,
	.read = zt_read,
	.write_frame = zt_write_frame,
	.read_frame = zt_read_frame,
	.write_nowait = zt_write_nowait,
	.read_nowait = zt_read_nowait,
	.cold = zt_cold,
	.move_down = zt_move_down,
	.discard = zt_discard,
	.shrink = zb_shrink,
	.stats = zt_stats,
};

/* --- setup ------------------------------------------------------------------------------ */

static unsigned order_for(size_t bytes)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

/* A store of @nslots slots; @lower: a tier's device (its leaves get age links), or NULL. */
static int store_init(struct zstore *z, const char *name, uint32_t nslots, struct swap_backend *lower)
{
	uint32_t per_leaf = leaf_slots(lower != NULL);
	size_t leaves = (nslots + (size_t)per_leaf - 1) / per_leaf;
	phys_addr_t dir, work, buf;

	memset(z, 0, sizeof(*z));
	if (nslots == 0 || nslots > SWAP_MAX_SLOTS)
		return -MM_EINVAL;
	z->per_leaf = per_leaf;
	z->lower = lower;
	z->dir_order = order_for(leaves * sizeof(*z->dir));
	if (z->dir_order > PMM_MAX_ORDER)
		return -MM_EINVAL;
	if (zpool_init(&z->pool))
		return -MM_ENOMEM;
	dir = pmm_alloc_pages(z->dir_order, PMM_ZERO);
	work = pmm_alloc_pages(WORK_ORDER, 0);
	buf = pmm_alloc_pages(0, 0);
	if (dir == PMM_NO_FRAME || work == PMM_NO_FRAME || buf == PMM_NO_FRAME) {
		pmm_free_pages(dir, z->dir_order);
		pmm_free_pages(work, WORK_ORDER);
		pmm_free_pages(buf, 0);
		zpool_destroy(&z->pool);
		return -MM_ENOMEM;
	}
	z->dir = plat_phys_to_virt(dir);
	z->work = plat_phys_to_virt(work);
	z->buf = plat_phys_to_virt(buf);
	z->meta_pages = (1u << z->dir_order) + (1u << WORK_ORDER) + 1;
	z->max_compressed = PAGE_SIZE * 3 / 4;
	z->b.nslots = nslots;
	/* The slot table whole, as zram sizes its table: no allocation when a page comes. */
	for (size_t i = 0; i < leaves; i++) {
		phys_addr_t pa = pmm_alloc_pages(0, PMM_ZERO);

		if (pa == PMM_NO_FRAME) {
			zstore_destroy(z);
			return -MM_ENOMEM;
		}
		z->dir[i] = plat_phys_to_virt(pa);
		z->meta_pages++;
	}
	z->b.ops = &zstore_ops;
	z->b.name = name;
	z->b.in_ram = true;
	z->oldest = z->newest = NO_SLOT;
	return 0;
}

int zstore_init(struct zstore *z, const char *name, uint32_t nslots)
{
	return store_init(z, name, nslots, NULL);
}

int zstore_init_tier(struct zstore *z, const char *name, struct swap_backend *lower,
		     uint64_t max_bytes)
{
	int r;

	if (!lower || !lower->ops || max_bytes < PAGE_SIZE)
		return -MM_EINVAL;
	r = store_init(z, name, lower->nslots, lower);
	if (r)
		return r;
	z->max_pages = max_bytes / PAGE_SIZE;
	z->b.ops = &ztier_ops;
	z->b.may_sleep = lower->may_sleep;
	return 0;
}

void zstore_destroy(struct zstore *z)
{
	size_t leaves = (z->b.nslots + (size_t)z->per_leaf - 1) / (z->per_leaf ? z->per_leaf : 1);

	if (!z->dir)
		return;
	zpool_destroy(&z->pool);
	for (size_t i = 0; i < leaves; i++)
		if (z->dir[i])
			pmm_free_pages(plat_virt_to_phys(z->dir[i]), 0);
	pmm_free_pages(plat_virt_to_phys(z->dir), z->dir_order);
	pmm_free_pages(plat_virt_to_phys(z->work), WORK_ORDER);
	pmm_free_pages(plat_virt_to_phys(z->buf), 0);
	memset(z, 0, sizeof(*z));
}
