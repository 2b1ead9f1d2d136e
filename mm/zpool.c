// SPDX-License-Identifier: MIT
/*
 * The compressed-object pool (see zpool.h for the design).
 *
 * Layout. A zspage of class c is pages frames seen as one byte range; slot i
 * starts at i * slot. Its first 4 bytes are a header: the handle of the
 * object living there, or ZP_FREE_BIT | the next free slot. The rest holds
 * the object. Whole-frame ("huge") objects have no header: their zspage
 * descriptor names the owner.
 *
 * Tables. Handles and zspage descriptors live in two tables of fixed-size
 * entries in PMM frames; a handle entry says which zspage and slot hold the
 * object and its size, so compaction moves an object by copying it and
 * rewriting one entry. Free entries are chained through their first word.
 *
 * Lock order: p->lock -> PMM. Every function below the public ones runs with
 * p->lock held.
 */
#include "zpool.h"
#include "errno.h"
#include "platform.h"
#include "pmm.h"

#define ZP_HDR		4		/* object header bytes */
#define ZP_FREE_BIT	0x80000000u
#define ZP_END		0xffffu		/* no next free slot */
#define ZP_HUGE_CLASS	0xffffu
#define ZP_DIR_ORDER	1		/* directories are 2 frames */
#define ZP_HFREE	0xffffu		/* size of a free handle entry */

struct zspage {
	uint32_t next;			/* list link; free-entry link when unused */
	uint32_t prev;
	uint32_t pfn[ZPOOL_MAX_ZSPAGE];	/* its frames' numbers: 52 bytes a descriptor, not 88 */
	uint16_t cls;			/* class, or ZP_HUGE_CLASS */
	uint16_t inuse;			/* objects held */
	uint16_t free_slot;		/* first free slot, or ZP_END */
	uint16_t on_full;		/* on the class's full list (else partial) */
	uint32_t owner;			/* huge: the handle of the object */
};

struct zp_handle {
	uint32_t zspage;		/* holding zspage; free-entry link when unused */
	uint16_t slot;
	uint16_t size;			/* bytes of the object, ZP_HFREE if unused */
};

/* --- frames ------------------------------------------------------------------------- */

/*
 * A frame for the pool: from the PMM, or from the reserve when the PMM has
 * none. A frame the PMM gives also tops the reserve up by one.
 */
static phys_addr_t frame_get(struct zpool *p)
{
	phys_addr_t pa = pmm_alloc_pages(0, 0);

	if (pa == PMM_NO_FRAME) {
		if (!p->st.reserve_pages)
			return PMM_NO_FRAME;
		p->st.reserve_used++;
		return p->reserve[--p->st.reserve_pages];
	}
	for (int i = 0; i < 2 && p->st.reserve_pages < ZPOOL_RESERVE; i++) {
		phys_addr_t more = pmm_alloc_pages(0, 0);

		if (more == PMM_NO_FRAME)
			break;
		p->reserve[p->st.reserve_pages++] = more;
	}
	return pa;
}

/* A frame the pool no longer needs: to the reserve if it has room, else to the PMM. */
static void frame_put(struct zpool *p, phys_addr_t pa)
{
	if (p->st.reserve_pages < ZPOOL_RESERVE)
		p->reserve[p->st.reserve_pages++] = pa;
	else
		pmm_free_pages(pa, 0);
}

/* --- tables ------------------------------------------------------------------------- */

static void *frame_va(phys_addr_t pa)
{
	return plat_phys_to_virt(pa);
}

static int table_init(struct zpool *p, struct zpool_table *t, uint32_t esize)
{
	phys_addr_t pa = pmm_alloc_pages(ZP_DIR_ORDER, PMM_ZERO);

	if (pa == PMM_NO_FRAME)
		return -MM_ENOMEM;
	t->dir = frame_va(pa);
	t->dir_slots = (uint32_t)((PAGE_SIZE << ZP_DIR_ORDER) / sizeof(void *));
	t->esize = esize;
	t->per_page = (uint32_t)(PAGE_SIZE / esize);
	t->nr = 0;
	t->free = ZPOOL_NONE;
	p->st.meta_pages += 1u << ZP_DIR_ORDER;
	return 0;
}

static void table_fini(struct zpool *p, struct zpool_table *t)
{
	if (!t->dir)
		return;
	for (uint32_t i = 0; i < t->nr / t->per_page; i++)
		pmm_free_pages(plat_virt_to_phys(t->dir[i]), 0);
	p->st.meta_pages -= t->nr / t->per_page;
	pmm_free_pages(plat_virt_to_phys(t->dir), ZP_DIR_ORDER);
	p->st.meta_pages -= 1u << ZP_DIR_ORDER;
	t->dir = NULL;
}

static void *table_at(struct zpool_table *t, uint32_t id)
{
	return (char *)t->dir[id / t->per_page] + (size_t)(id % t->per_page) * t->esize;
}

static void table_put(struct zpool_table *t, uint32_t id)
{
	*(uint32_t *)table_at(t, id) = t->free;
	t->free = id;
}

/* A free entry (its content undefined), growing the table by a frame if needed; ZPOOL_NONE if no memory. */
static uint32_t table_get(struct zpool *p, struct zpool_table *t)
{
	uint32_t id = t->free;

	if (id == ZPOOL_NONE) {
		uint32_t page = t->nr / t->per_page;
		phys_addr_t pa;

		if (page >= t->dir_slots || (pa = frame_get(p)) == PMM_NO_FRAME)
			return ZPOOL_NONE;
		t->dir[page] = frame_va(pa);
		memset(t->dir[page], 0xff, PAGE_SIZE);	/* a handle entry of all ones is free */
		p->st.meta_pages++;
		/* Chain the new entries so the lowest comes out first. */
		for (uint32_t i = t->per_page; i-- > 0;)
			table_put(t, t->nr + i);
		t->nr += t->per_page;
		id = t->free;
	}
	t->free = *(uint32_t *)table_at(t, id);
	return id;
}

static struct zspage *zs(struct zpool *p, uint32_t id)
{
	return table_at(&p->zspages, id);
}

/* Frame @i of zspage @z. */
static phys_addr_t zs_frame(const struct zspage *z, unsigned i)
{
	return (phys_addr_t)z->pfn[i] << PAGE_SHIFT;
}

static struct zp_handle *hslot(struct zpool *p, zpool_handle_t h)
{
	return table_at(&p->handles, h - 1);
}

/* The live handle @h's entry, or NULL (reported) if @h names nothing. */
static struct zp_handle *handle_lookup(struct zpool *p, zpool_handle_t h, const char *who)
{
	struct zp_handle *e;

	if (h == 0 || h > p->handles.nr || (e = hslot(p, h))->size == ZP_HFREE) {
		p->st.bad_calls++;
		mm_err("%s: no object with handle %u\n", who, (unsigned)h);
		return NULL;
	}
	return e;
}

/* --- classes -------------------------------------------------------------------------- */

/* Frames per zspage for slots of @slot bytes: the count that wastes the least (ties: fewer). */
static unsigned best_pages(unsigned slot)
{
	unsigned best = 1;
	uint64_t best_waste = PAGE_SIZE % slot * 1000 / PAGE_SIZE;

	for (unsigned k = 2; k <= ZPOOL_MAX_ZSPAGE; k++) {
		uint64_t waste = (k * PAGE_SIZE) % slot * 1000 / (k * PAGE_SIZE);

		if (waste < best_waste) {
			best = k;
			best_waste = waste;
		}
	}
	return best;
}

/* Class of an object of @size bytes, or ZP_HUGE_CLASS. */
static unsigned class_of(size_t size)
{
	size_t slot = ALIGN_UP(size + ZP_HDR, (size_t)ZPOOL_CLASS_STEP);

	if (slot > PAGE_SIZE)
		return ZP_HUGE_CLASS;
	return (unsigned)(slot / ZPOOL_CLASS_STEP - 1);
}

/* --- bytes of a zspage ------------------------------------------------------------------ */

/* Copy @len bytes between @buf and offset @off of zspage @z, across its frames. */
static void zs_copy(struct zspage *z, size_t off, void *buf, size_t len, bool to_pool)
{
	uint8_t *b = buf;

	while (len) {
		size_t in = off % PAGE_SIZE, n = MM_MIN(len, (size_t)(PAGE_SIZE - in));
		uint8_t *va = (uint8_t *)frame_va(zs_frame(z, off / PAGE_SIZE)) + in;

		if (to_pool)
			memcpy(va, b, n);
		else
			memcpy(b, va, n);
		off += n;
		b += n;
		len -= n;
	}
}

static uint32_t hdr_get(struct zpool *p, struct zspage *z, unsigned slot)
{
	uint32_t v;

	zs_copy(z, (size_t)slot * p->cls[z->cls].slot, &v, sizeof(v), false);
	return v;
}

static void hdr_set(struct zpool *p, struct zspage *z, unsigned slot, uint32_t v)
{
	zs_copy(z, (size_t)slot * p->cls[z->cls].slot, &v, sizeof(v), true);
}

/* --- zspage lists ------------------------------------------------------------------------- */

static uint32_t *list_head(struct zpool *p, struct zspage *z)
{
	if (z->cls == ZP_HUGE_CLASS)
		return &p->huge_list;
	return z->on_full ? &p->cls[z->cls].full : &p->cls[z->cls].partial;
}

static void list_del(struct zpool *p, uint32_t id)
{
	struct zspage *z = zs(p, id);

	if (z->prev != ZPOOL_NONE)
		zs(p, z->prev)->next = z->next;
	else
		*list_head(p, z) = z->next;
	if (z->next != ZPOOL_NONE)
		zs(p, z->next)->prev = z->prev;
}

static void list_add(struct zpool *p, uint32_t id)
{
	struct zspage *z = zs(p, id);
	uint32_t *head = list_head(p, z);

	z->prev = ZPOOL_NONE;
	z->next = *head;
	if (*head != ZPOOL_NONE)
		zs(p, *head)->prev = id;
	*head = id;
}

/* Put @id on the list its fullness calls for. */
static void relist(struct zpool *p, uint32_t id)
{
	struct zspage *z = zs(p, id);
	uint16_t full = z->inuse == p->cls[z->cls].objs;

	if (full != z->on_full) {
		list_del(p, id);
		z->on_full = full;
		list_add(p, id);
	}
}

/* --- zspages ------------------------------------------------------------------------------ */

static unsigned zs_pages(struct zpool *p, struct zspage *z)
{
	return z->cls == ZP_HUGE_CLASS ? 1 : p->cls[z->cls].pages;
}

static void zspage_free(struct zpool *p, uint32_t id)
{
	struct zspage *z = zs(p, id);
	unsigned n = zs_pages(p, z);

	list_del(p, id);
	for (unsigned i = 0; i < n; i++)
		frame_put(p, zs_frame(z, i));
	p->st.pool_pages -= n;
	p->st.zspages--;
	if (z->cls != ZP_HUGE_CLASS)
		p->cls[z->cls].zspages--;
	table_put(&p->zspages, id);
}

/* A new, empty zspage of class @cls (all slots free), on its list; ZPOOL_NONE if no memory. */
static uint32_t zspage_new(struct zpool *p, unsigned cls)
{
	unsigned n = cls == ZP_HUGE_CLASS ? 1 : p->cls[cls].pages;
	uint32_t id = table_get(p, &p->zspages);
	struct zspage *z;

	if (id == ZPOOL_NONE)
		return ZPOOL_NONE;
	z = zs(p, id);
	for (unsigned i = 0; i < n; i++) {
		phys_addr_t pa = frame_get(p);

		if (pa != PMM_NO_FRAME && (pa >> PAGE_SHIFT) > UINT32_MAX) {
			mm_err("zpool: frame %#llx beyond 16 TiB, not used\n", (unsigned long long)pa);
			frame_put(p, pa);
			pa = PMM_NO_FRAME;
		}
		if (pa == PMM_NO_FRAME) {
			while (i--)
				frame_put(p, zs_frame(z, i));
			table_put(&p->zspages, id);
			return ZPOOL_NONE;
		}
		z->pfn[i] = (uint32_t)(pa >> PAGE_SHIFT);
	}
	z->cls = (uint16_t)cls;
	z->inuse = 0;
	z->on_full = 0;
	z->owner = 0;
	z->free_slot = ZP_END;
	if (cls != ZP_HUGE_CLASS) {
		for (unsigned s = p->cls[cls].objs; s-- > 0;) {
			hdr_set(p, z, s, ZP_FREE_BIT | z->free_slot);
			z->free_slot = (uint16_t)s;
		}
		p->cls[cls].zspages++;
	}
	list_add(p, id);
	p->st.pool_pages += n;
	p->st.zspages++;
	return id;
}

/* Take a free slot of zspage @id for handle @h; returns the slot. */
static unsigned slot_take(struct zpool *p, uint32_t id, zpool_handle_t h)
{
	struct zspage *z = zs(p, id);
	unsigned s = z->free_slot;

	z->free_slot = (uint16_t)(hdr_get(p, z, s) & ~ZP_FREE_BIT);
	hdr_set(p, z, s, h);
	z->inuse++;
	relist(p, id);
	return s;
}

static void slot_give(struct zpool *p, uint32_t id, unsigned s)
{
	struct zspage *z = zs(p, id);

	hdr_set(p, z, s, ZP_FREE_BIT | z->free_slot);
	z->free_slot = (uint16_t)s;
	z->inuse--;
	relist(p, id);
}

/* --- the interface ------------------------------------------------------------------------- */

/*
 * A class whose zspages would hold as many objects in as many frames as
 * the next larger class's sends its objects there (as zsmalloc merges
 * classes): a full zspage costs the same, and one class less has a partly
 * filled zspage. Sets each class's home, largest first.
 */
static void merge_classes(struct zpool *p)
{
	unsigned home = ZPOOL_NR_CLASSES - 1;

	for (unsigned c = ZPOOL_NR_CLASSES; c-- > 0;) {
		struct zpool_class *k = &p->cls[c], *h = &p->cls[home];

		if (k->pages != h->pages || k->objs != h->objs)
			home = c;
		k->home = (uint16_t)home;
	}
}

int zpool_init(struct zpool *p)
{
	memset(p, 0, sizeof(*p));
	p->huge_list = ZPOOL_NONE;
	for (unsigned c = 0; c < ZPOOL_NR_CLASSES; c++) {
		struct zpool_class *k = &p->cls[c];

		k->slot = (uint16_t)((c + 1) * ZPOOL_CLASS_STEP);
		k->pages = (uint8_t)best_pages(k->slot);
		k->objs = (uint16_t)(k->pages * PAGE_SIZE / k->slot);
		k->partial = k->full = ZPOOL_NONE;
	}
	merge_classes(p);
	if (table_init(p, &p->handles, sizeof(struct zp_handle)) ||
	    table_init(p, &p->zspages, sizeof(struct zspage))) {
		table_fini(p, &p->handles);
		return -MM_ENOMEM;
	}
	/* The reserve starts full: the first pages may come when the PMM is empty. */
	while (p->st.reserve_pages < ZPOOL_RESERVE) {
		phys_addr_t pa = pmm_alloc_pages(0, 0);

		if (pa == PMM_NO_FRAME)
			break;
		p->reserve[p->st.reserve_pages++] = pa;
	}
	return 0;
}

static void free_list_all(struct zpool *p, uint32_t *head)
{
	while (*head != ZPOOL_NONE)
		zspage_free(p, *head);
}

void zpool_destroy(struct zpool *p)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);

	for (unsigned c = 0; c < ZPOOL_NR_CLASSES; c++) {
		free_list_all(p, &p->cls[c].partial);
		free_list_all(p, &p->cls[c].full);
		p->cls[c].used = 0;
	}
	free_list_all(p, &p->huge_list);
	while (p->st.reserve_pages)
		pmm_free_pages(p->reserve[--p->st.reserve_pages], 0);
	table_fini(p, &p->handles);
	table_fini(p, &p->zspages);
	p->st.objects = p->st.obj_bytes = p->st.huge = 0;
	spin_unlock_irqrestore(&p->lock, flags);
}

/*
 * No frame for a new zspage of class *@cls: a partial zspage of the nearest
 * larger class, wasting the difference, rather than failing. Under memory
 * pressure this lets pages be stored (and their frames freed) before every
 * class has a zspage. Sets *@cls; ZPOOL_NONE if there is none.
 */
static uint32_t larger_partial(struct zpool *p, unsigned *cls)
{
	for (unsigned c = *cls + 1; c < ZPOOL_NR_CLASSES; c++) {
		if (p->cls[c].partial != ZPOOL_NONE) {
			*cls = c;
			p->st.borrowed++;
			return p->cls[c].partial;
		}
	}
	return ZPOOL_NONE;
}

static int alloc_locked(struct zpool *p, size_t size, zpool_handle_t *out)
{
	unsigned cls = class_of(size);

	if (cls != ZP_HUGE_CLASS)
		cls = p->cls[cls].home;
	uint32_t hid = table_get(p, &p->handles), id;
	struct zp_handle *e;
	zpool_handle_t h = hid + 1;

	if (hid == ZPOOL_NONE)
		return -MM_ENOMEM;
	if (cls == ZP_HUGE_CLASS || p->cls[cls].partial == ZPOOL_NONE) {
		id = zspage_new(p, cls);
		if (id == ZPOOL_NONE && cls != ZP_HUGE_CLASS)
			id = larger_partial(p, &cls);
		if (id == ZPOOL_NONE) {
			table_put(&p->handles, hid);
			return -MM_ENOMEM;
		}
	} else {
		id = p->cls[cls].partial;
	}
	e = hslot(p, h);
	e->zspage = id;
	e->size = (uint16_t)size;
	if (cls == ZP_HUGE_CLASS) {
		zs(p, id)->owner = h;
		zs(p, id)->inuse = 1;
		e->slot = 0;
		p->st.huge++;
	} else {
		e->slot = (uint16_t)slot_take(p, id, h);
		p->cls[cls].used++;
	}
	p->st.objects++;
	p->st.obj_bytes += size;
	*out = h;
	return 0;
}

int zpool_alloc(struct zpool *p, size_t size, zpool_handle_t *h)
{
	unsigned long flags;
	int ret;

	if (size == 0 || size > ZPOOL_MAX_OBJ)
		return -MM_EINVAL;
	flags = spin_lock_irqsave(&p->lock);
	ret = alloc_locked(p, size, h);
	if (ret)
		p->st.alloc_failures++;
	spin_unlock_irqrestore(&p->lock, flags);
	return ret;
}

void zpool_free(struct zpool *p, zpool_handle_t h)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct zp_handle *e = handle_lookup(p, h, "zpool_free");

	if (e) {
		uint32_t id = e->zspage;
		struct zspage *z = zs(p, id);

		p->st.objects--;
		p->st.obj_bytes -= e->size;
		if (z->cls == ZP_HUGE_CLASS) {
			p->st.huge--;
			zspage_free(p, id);
		} else {
			p->cls[z->cls].used--;
			slot_give(p, id, e->slot);
			if (z->inuse == 0)
				zspage_free(p, id);
		}
		e->size = ZP_HFREE;
		table_put(&p->handles, h - 1);
	}
	spin_unlock_irqrestore(&p->lock, flags);
}

/* Offset of @e's object bytes inside its zspage. */
static size_t obj_offset(struct zpool *p, struct zp_handle *e)
{
	struct zspage *z = zs(p, e->zspage);

	if (z->cls == ZP_HUGE_CLASS)
		return 0;
	return (size_t)e->slot * p->cls[z->cls].slot + ZP_HDR;
}

int zpool_write(struct zpool *p, zpool_handle_t h, const void *src)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct zp_handle *e = handle_lookup(p, h, "zpool_write");

	if (e)
		zs_copy(zs(p, e->zspage), obj_offset(p, e), (void *)(uintptr_t)src, e->size, true);
	spin_unlock_irqrestore(&p->lock, flags);
	return e ? 0 : -MM_EINVAL;
}

long zpool_read(struct zpool *p, zpool_handle_t h, void *dst, size_t cap)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct zp_handle *e = handle_lookup(p, h, "zpool_read");
	long ret = -MM_EINVAL;

	if (e && e->size > cap) {
		ret = -MM_ENOSPC;
	} else if (e) {
		zs_copy(zs(p, e->zspage), obj_offset(p, e), dst, e->size, false);
		ret = e->size;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return ret;
}

/* --- compaction ---------------------------------------------------------------------------- */

/* Move the object in slot @s of zspage @src to a free slot of @dst, bytes and handle. */
static void move_object(struct zpool *p, uint32_t src, unsigned s, uint32_t dst)
{
	struct zspage *zsrc = zs(p, src), *zdst = zs(p, dst);
	size_t slot = p->cls[zsrc->cls].slot;
	zpool_handle_t h = hdr_get(p, zsrc, s);
	struct zp_handle *e = hslot(p, h);
	unsigned d = slot_take(p, dst, h);
	uint8_t buf[256];

	for (size_t done = ZP_HDR; done < slot; done += sizeof(buf)) {
		size_t n = MM_MIN(sizeof(buf), slot - done);

		zs_copy(zsrc, s * slot + done, buf, n, false);
		zs_copy(zdst, d * slot + done, buf, n, true);
	}
	e->zspage = dst;
	e->slot = (uint16_t)d;
	slot_give(p, src, s);
	p->st.moved++;
}

/* The fullest partial zspage of class @c other than @not, or ZPOOL_NONE. */
static uint32_t fullest_except(struct zpool *p, unsigned c, uint32_t not)
{
	uint32_t best = ZPOOL_NONE;

	for (uint32_t id = p->cls[c].partial; id != ZPOOL_NONE; id = zs(p, id)->next)
		if (id != not && (best == ZPOOL_NONE || zs(p, id)->inuse > zs(p, best)->inuse))
			best = id;
	return best;
}

/*
 * The emptiest partial zspage of class @c, if the other partial ones have
 * free slots enough for all its objects (so moving them frees it); else
 * ZPOOL_NONE.
 */
static uint32_t emptiest_movable(struct zpool *p, unsigned c)
{
	uint32_t lo = ZPOOL_NONE;
	uint64_t free_slots = 0;

	for (uint32_t id = p->cls[c].partial; id != ZPOOL_NONE; id = zs(p, id)->next) {
		free_slots += p->cls[c].objs - zs(p, id)->inuse;
		if (lo == ZPOOL_NONE || zs(p, id)->inuse < zs(p, lo)->inuse)
			lo = id;
	}
	if (lo == ZPOOL_NONE || free_slots - (p->cls[c].objs - zs(p, lo)->inuse) < zs(p, lo)->inuse)
		return ZPOOL_NONE;
	return lo;
}

/* Empty up to @max zspages of class @c into its fuller ones; frames freed. */
static unsigned long compact_class(struct zpool *p, unsigned c, unsigned max)
{
	unsigned long freed = 0;
	uint32_t src;

	while (max-- && (src = emptiest_movable(p, c)) != ZPOOL_NONE) {
		struct zspage *z = zs(p, src);
		uint32_t dst = fullest_except(p, c, src);

		for (unsigned s = 0; s < p->cls[c].objs && z->inuse; s++) {
			if (hdr_get(p, z, s) & ZP_FREE_BIT)
				continue;
			if (zs(p, dst)->on_full)
				dst = fullest_except(p, c, src);
			move_object(p, src, s, dst);
		}
		if (z->inuse)
			plat_panic("zpool: compaction left %u objects in zspage %u\n", z->inuse,
				   (unsigned)src);
		freed += p->cls[c].pages;
		zspage_free(p, src);
	}
	return freed;
}

/*
 * Zspages emptied per hold of the pool's lock: at most 8 frames of objects
 * copied with interrupts off, then others (readers, writers, interrupts)
 * get in before the next batch.
 */
#define COMPACT_BATCH	4

unsigned long zpool_compact(struct zpool *p)
{
	unsigned long flags, freed = 0, got;

	for (unsigned c = 0; c < ZPOOL_NR_CLASSES; c++) {
		do {
			flags = spin_lock_irqsave(&p->lock);
			got = compact_class(p, c, COMPACT_BATCH);
			p->st.freed_pages += got;
			spin_unlock_irqrestore(&p->lock, flags);
			freed += got;
		} while (got);
	}
	flags = spin_lock_irqsave(&p->lock);
	p->st.compactions++;
	spin_unlock_irqrestore(&p->lock, flags);
	return freed;
}

void zpool_get_stats(struct zpool *p, struct zpool_stats *st)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);

	*st = p->st;
	spin_unlock_irqrestore(&p->lock, flags);
}

/* --- consistency --------------------------------------------------------------------------- */

#define BAD(...)	do { mm_err("zpool_check: " __VA_ARGS__); return -1; } while (0)

static int check_zspage(struct zpool *p, uint32_t id, unsigned c, bool full, uint64_t *objs)
{
	struct zspage *z = zs(p, id);
	unsigned nfree = 0, used = 0;

	if (z->cls != c)
		BAD("zspage %u of class %u on class %u's list\n", (unsigned)id, z->cls, c);
	if (c == ZP_HUGE_CLASS) {
		if (z->owner == 0 || z->owner > p->handles.nr || hslot(p, z->owner)->zspage != id ||
		    hslot(p, z->owner)->size == ZP_HFREE)
			BAD("huge zspage %u and handle %u disagree\n", (unsigned)id, (unsigned)z->owner);
		*objs += 1;
		return 0;
	}
	for (unsigned s = z->free_slot; s != ZP_END; s = hdr_get(p, z, s) & 0xffff) {
		if (s >= p->cls[c].objs || !(hdr_get(p, z, s) & ZP_FREE_BIT) || ++nfree > p->cls[c].objs)
			BAD("zspage %u: bad free list at slot %u\n", (unsigned)id, s);
	}
	for (unsigned s = 0; s < p->cls[c].objs; s++) {
		uint32_t h = hdr_get(p, z, s);
		struct zp_handle *e;

		if (h & ZP_FREE_BIT)
			continue;
		if (h == 0 || h > p->handles.nr)
			BAD("zspage %u slot %u names handle %u\n", (unsigned)id, s, (unsigned)h);
		e = hslot(p, h);
		if (e->size == ZP_HFREE || e->zspage != id || e->slot != s ||
		    class_of(e->size) > c)
			BAD("zspage %u slot %u names handle %u, which disagrees\n", (unsigned)id, s, (unsigned)h);
		used++;
	}
	if (used != z->inuse || used + nfree != p->cls[c].objs || (z->inuse == p->cls[c].objs) != full ||
	    z->inuse == 0)
		BAD("zspage %u: %u used, %u free, inuse %u, on the %s list\n", (unsigned)id, used, nfree,
		    z->inuse, full ? "full" : "partial");
	*objs += used;
	return 0;
}

static int check_list(struct zpool *p, uint32_t head, unsigned c, bool full, uint64_t *objs,
		      uint64_t *zspages, uint64_t *pages)
{
	uint32_t prev = ZPOOL_NONE;

	for (uint32_t id = head; id != ZPOOL_NONE; prev = id, id = zs(p, id)->next) {
		if (id >= p->zspages.nr || zs(p, id)->prev != prev || *zspages > p->zspages.nr)
			BAD("class %u: broken zspage list at %u\n", c, (unsigned)id);
		if (check_zspage(p, id, c, full, objs))
			return -1;
		++*zspages;
		*pages += zs_pages(p, zs(p, id));
	}
	return 0;
}

int zpool_check(struct zpool *p)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	uint64_t objs = 0, zspages = 0, pages = 0, huge = 0, bytes = 0, live = 0;
	int ret = 0;

	for (unsigned c = 0; c < ZPOOL_NR_CLASSES && !ret; c++) {
		uint64_t before = objs, zb = zspages;

		ret = check_list(p, p->cls[c].partial, c, false, &objs, &zspages, &pages) ||
		      check_list(p, p->cls[c].full, c, true, &objs, &zspages, &pages);
		if (!ret && (objs - before != p->cls[c].used || zspages - zb != p->cls[c].zspages ||
			     (p->cls[c].zspages && p->cls[c].home != c))) {
			mm_err("zpool_check: class %u counts disagree\n", c);
			ret = -1;
		}
	}
	if (!ret) {
		uint64_t before = objs;

		ret = check_list(p, p->huge_list, ZP_HUGE_CLASS, false, &objs, &zspages, &pages);
		huge = objs - before;
	}
	for (uint32_t i = 0; !ret && i < p->handles.nr; i++) {
		struct zp_handle *e = table_at(&p->handles, i);

		if (e->size != ZP_HFREE) {
			live++;
			bytes += e->size;
		}
	}
	if (!ret && (objs != p->st.objects || live != objs || bytes != p->st.obj_bytes ||
		     huge != p->st.huge || zspages != p->st.zspages || pages != p->st.pool_pages ||
		     p->st.meta_pages != 2u * (1u << ZP_DIR_ORDER) +
					 p->handles.nr / p->handles.per_page +
					 p->zspages.nr / p->zspages.per_page)) {
		mm_err("zpool_check: totals disagree (objects %llu/%llu/%llu, pages %llu/%llu)\n",
		       (unsigned long long)objs, (unsigned long long)live,
		       (unsigned long long)p->st.objects, (unsigned long long)pages,
		       (unsigned long long)p->st.pool_pages);
		ret = -1;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return ret;
}
