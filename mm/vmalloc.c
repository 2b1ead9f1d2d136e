// SPDX-License-Identifier: MIT
/*
 * The vmalloc window as an augmented AVL tree of segments (see vmalloc.h).
 *
 * Every byte of the window belongs to exactly one segment: free, or an area
 * (mapped pages plus guard). Neighbouring free segments are always merged.
 * Each node keeps max_free, the largest free segment in its subtree, so the
 * lowest-addressed fit is found in one descent.
 *
 * The lock covers the tree only: pages are mapped and unmapped outside it,
 * while the area's segment is marked MAPPING or FREEING so nobody else uses
 * or frees it. Lock order: vmalloc, then the space's lock, then the PMM's.
 * Memory for a node page or a table, which the locks keep from reclaiming,
 * is reclaimed for after they are dropped (pmm_reclaim()), and tried again.
 */
#include "pmm.h"
#include "vmalloc.h"

/*
 * SEG_QUARANTINE (MM_KASAN): freed, still mapped and poisoned, not yet
 * reusable. SEG_UNUSED: a node slot on its page's free list.
 */
enum seg_state { SEG_FREE, SEG_MAPPING, SEG_BUSY, SEG_FREEING, SEG_QUARANTINE, SEG_UNUSED };

struct vnode {
	uintptr_t start;
	uint64_t len;			/* bytes: an area's size + VMALLOC_GUARD */
	uint64_t max_free;		/* largest free segment in this subtree */
	struct vnode *left, *right;	/* right doubles as the free-list link */
	uint32_t height;
	uint8_t state;			/* enum seg_state */
	uint8_t prot;			/* areas: PT_* */
#ifdef MM_KASAN
	struct vnode *qnext;		/* SEG_QUARANTINE: the next newer area */
	const void *stack[2][VMALLOC_STACK_DEPTH];	/* areas: where allocated, where freed */
#endif
};

/* A page of nodes; pages with a free node are on a list. */
struct npage {
	struct npage *next, *prev;
	struct vnode *free;
	uint32_t used;
};

#define NODES_PER_PAGE	((PAGE_SIZE - sizeof(struct npage)) / sizeof(struct vnode))

static struct {
	spinlock_t lock;
	struct pt_space *space;
	uintptr_t base, end;
	struct vnode *root;
	struct npage *partial;		/* pages with free nodes */
	uint64_t node_pages;
	uint64_t used;			/* bytes of the window not in free segments */
	uint64_t areas, bytes;
	uint64_t alloc_failures, bad_frees;
#ifdef MM_KASAN
	struct vnode *qhead, *qtail;	/* the quarantine, oldest first */
	uint64_t qbytes;		/* the pages it holds mapped */
#endif
} vm;

/* --- node pages -------------------------------------------------------------- */

static void npage_unlink(struct npage *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		vm.partial = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->next = p->prev = NULL;
}

static void npage_push(struct npage *p)
{
	p->prev = NULL;
	p->next = vm.partial;
	if (vm.partial)
		vm.partial->prev = p;
	vm.partial = p;
}

/* A free slot of page @p (which has one) in use. */
static struct vnode *node_take(struct npage *p)
{
	struct vnode *n = p->free;

	p->free = n->right;
	p->used++;
	if (!p->free)
		npage_unlink(p);
	memset(n, 0, sizeof(*n));
	return n;
}

static struct vnode *node_alloc(void)
{
	struct npage *p = vm.partial;

	if (!p) {
		phys_addr_t pa = pmm_alloc_pages(0, PMM_ZERO);
		struct vnode *n;

		if (pa == PMM_NO_FRAME)
			return NULL;
		p = plat_phys_to_virt(pa);
		n = (struct vnode *)(p + 1);
		for (size_t i = 0; i < NODES_PER_PAGE; i++) {
			n[i].state = SEG_UNUSED;
			n[i].right = p->free;
			p->free = &n[i];
		}
		npage_push(p);
		vm.node_pages++;
	}
	return node_take(p);
}

static void node_free(struct vnode *n)
{
	struct npage *p = (struct npage *)((uintptr_t)n & ~(uintptr_t)(PAGE_SIZE - 1));

	if (!p->free)
		npage_push(p);
	n->state = SEG_UNUSED;
	n->right = p->free;
	p->free = n;
	if (--p->used == 0) {
		npage_unlink(p);
		pmm_free_pages(plat_virt_to_phys(p), 0);
		vm.node_pages--;
	}
}

/* --- the augmented AVL tree ---------------------------------------------------- */

static uint32_t height(const struct vnode *n)
{
	return n ? n->height : 0;
}

static uint64_t max_free(const struct vnode *n)
{
	return n ? n->max_free : 0;
}

static void update(struct vnode *n)
{
	uint64_t m = n->state == SEG_FREE ? n->len : 0;

	n->height = 1 + MM_MAX(height(n->left), height(n->right));
	m = MM_MAX(m, max_free(n->left));
	n->max_free = MM_MAX(m, max_free(n->right));
}

static struct vnode *rotate_right(struct vnode *n)
{
	struct vnode *l = n->left;

	n->left = l->right;
	l->right = n;
	update(n);
	update(l);
	return l;
}

static struct vnode *rotate_left(struct vnode *n)
{
	struct vnode *r = n->right;

	n->right = r->left;
	r->left = n;
	update(n);
	update(r);
	return r;
}

static struct vnode *balance(struct vnode *n)
{
	int bf = (int)height(n->left) - (int)height(n->right);

	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	update(n);
	return n;
}

static struct vnode *insert(struct vnode *t, struct vnode *n)
{
	if (!t) {
		n->left = n->right = NULL;
		update(n);
		return n;
	}
	if (n->start < t->start)
		t->left = insert(t->left, n);
	else
		t->right = insert(t->right, n);
	return balance(t);
}

static struct vnode *remove_min(struct vnode *t, struct vnode **min)
{
	if (!t->left) {
		*min = t;
		return t->right;
	}
	t->left = remove_min(t->left, min);
	return balance(t);
}

/* Unlink the node starting at @start (which must exist); nodes keep their identity. */
static struct vnode *remove(struct vnode *t, uintptr_t start)
{
	if (start < t->start) {
		t->left = remove(t->left, start);
	} else if (start > t->start) {
		t->right = remove(t->right, start);
	} else {
		struct vnode *l = t->left, *r = t->right, *m;

		if (!r)
			return l;
		r = remove_min(r, &m);
		m->left = l;
		m->right = r;
		return balance(m);
	}
	return balance(t);
}

/* Recompute max_free on the path to the node at @start after it changed. */
static void touch(struct vnode *t, uintptr_t start)
{
	if (start < t->start)
		touch(t->left, start);
	else if (start > t->start)
		touch(t->right, start);
	update(t);
}

/* The segment holding @addr (inside the window). */
static struct vnode *find(uintptr_t addr)
{
	struct vnode *t = vm.root, *best = NULL;

	while (t) {
		if (addr < t->start) {
			t = t->left;
		} else {
			best = t;
			t = t->right;
		}
	}
	return best && addr - best->start < best->len ? best : NULL;
}

/* The lowest-addressed free segment of at least @need bytes. */
static struct vnode *find_fit(uint64_t need)
{
	struct vnode *t = vm.root;

	while (t) {
		if (max_free(t->left) >= need)
			t = t->left;
		else if (t->state == SEG_FREE && t->len >= need)
			return t;
		else if (max_free(t->right) >= need)
			t = t->right;
		else
			return NULL;
	}
	return NULL;
}

static void free_tree(struct vnode *t)
{
	if (!t)
		return;
	free_tree(t->left);
	free_tree(t->right);
	node_free(t);
}

/* --- segments ----------------------------------------------------------------- */

/* Carve a segment of @need bytes for an area; @spare is used if the fit is split. */
static struct vnode *segment_take(uint64_t need, struct vnode *spare)
{
	struct vnode *gap = find_fit(need);

	if (!gap)
		return NULL;
	vm.used += need;
	if (gap->len == need) {
		gap->state = SEG_MAPPING;
		touch(vm.root, gap->start);
		node_free(spare);
		return gap;
	}
	spare->start = gap->start;
	spare->len = need;
	spare->state = SEG_MAPPING;
	gap->start += need;		/* still between the same neighbours */
	gap->len -= need;
	touch(vm.root, gap->start);
	vm.root = insert(vm.root, spare);
	return spare;
}

/* Return segment @n to the free space, merging it with free neighbours. */
static void segment_release(struct vnode *n)
{
	struct vnode *next = n->start + n->len < vm.end ? find(n->start + n->len) : NULL;
	struct vnode *prev = n->start > vm.base ? find(n->start - 1) : NULL;

	vm.used -= n->len;
	n->state = SEG_FREE;
	if (next && next->state == SEG_FREE) {
		n->len += next->len;
		vm.root = remove(vm.root, next->start);
		node_free(next);
	}
	if (prev && prev->state == SEG_FREE) {
		prev->len += n->len;
		vm.root = remove(vm.root, n->start);
		node_free(n);
		n = prev;
	}
	touch(vm.root, n->start);
}

/* --- the interface -------------------------------------------------------------- */

/**
 * vmalloc_init() - set the window and the page tables vmalloc maps into
 * @s: the space
 * @base: page-aligned start
 * @end: page-aligned exclusive end
 *
 * Return: 0, -MM_EINVAL, -MM_ENOMEM.
 */
int vmalloc_init(struct pt_space *s, uintptr_t base, uintptr_t end)
{
	if (!s || !IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE) || end < base ||
	    end - base < 2 * PAGE_SIZE || pt_check_range(s, base, end - base))
		return -MM_EINVAL;

	unsigned long irq = spin_lock_irqsave(&vm.lock);
	int r = 0;

	free_tree(vm.root);
	vm.root = node_alloc();
	if (vm.root) {
		vm.root->start = base;
		vm.root->len = end - base;
		vm.root->state = SEG_FREE;
		update(vm.root);
	} else {
		r = -MM_ENOMEM;
	}
	vm.space = vm.root ? s : NULL;
	vm.base = base;
	vm.end = end;
	vm.used = vm.areas = vm.bytes = vm.alloc_failures = vm.bad_frees = 0;
#ifdef MM_KASAN
	vm.qhead = vm.qtail = NULL;
	vm.qbytes = 0;
#endif
	spin_unlock_irqrestore(&vm.lock, irq);
	return r;
}

static void release_frame(phys_addr_t pa, uint64_t size, void *ctx)
{
	(void)ctx;
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		pmm_free_pages(pa + off, 0);
}

/*
 * Map a fresh frame at @va. A frame reclaims for itself (pmm.h); a table is
 * allocated under the space's lock, where nothing reclaims, so a table that
 * could not be had is reclaimed for here, with no lock held, and tried again.
 */
static int map_page(uintptr_t va, unsigned prot, unsigned pflags)
{
	for (unsigned tries = 0;; tries++) {
		phys_addr_t pa = pmm_alloc_pages(0, pflags);
		int r;

		if (pa == PMM_NO_FRAME)
			return -MM_ENOMEM;
		r = pt_map(vm.space, va, pa, PAGE_SIZE, prot, 0);
		if (!r)
			return 0;
		pmm_free_pages(pa, 0);
		if (r != -MM_ENOMEM || tries >= PMM_RECLAIM_TRIES || !pmm_reclaim(0))
			return r;
	}
}

/* Back [va, va + size) with fresh frames; on failure nothing stays mapped. */
static int map_pages(uintptr_t va, uint64_t size, unsigned prot, unsigned flags)
{
	unsigned pflags = (flags & VMALLOC_ZERO) ? PMM_ZERO : 0;

	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		int r = map_page(va + off, prot, pflags);

		if (r) {
			if (off)
				pt_unmap(vm.space, va, off, release_frame, NULL);
			return r;
		}
	}
	return 0;
}

#ifdef MM_KASAN
/*
 * The address sanitizer's view of an area (MM_KASAN): its first @size bytes
 * open, the rest of its last page red zone. Pages not mapped (guard gaps,
 * free space) have an all-open shadow, where they have one: the MMU catches
 * an access there by itself.
 */
static bool kasan_map(uintptr_t va, uint64_t len)
{
	return plat_kasan_map((const void *)va, len);
}

static void kasan_open(uintptr_t va, uint64_t pages, uint64_t size)
{
	uint64_t used = ALIGN_UP(size, 8);

	plat_kasan_unpoison((const void *)va, size);
	if (used < pages)
		plat_kasan_poison((const void *)(uintptr_t)(va + used), pages - used, KASAN_VMALLOC_REDZONE);
}

/*
 * The pages either side of an area are unmapped (its guard gap above; the
 * one below is a guard gap or free space) and may hold a stack's red zones
 * from frames that overflowed into them: they are opened with it.
 */
static void kasan_unmap(uintptr_t va, uint64_t len)
{
	plat_kasan_unpoison((const void *)(uintptr_t)(va - PAGE_SIZE), PAGE_SIZE);
	plat_kasan_unpoison((const void *)va, len + PAGE_SIZE);
	plat_kasan_unmap((const void *)va, len);
}

/* The allocation stack of area @n (its caller's frames). */
static void kasan_note_alloc(struct vnode *n)
{
	plat_kasan_stack(n->stack[0], VMALLOC_STACK_DEPTH);
}

/*
 * The quarantine of freed areas: vfree() poisons an area's pages
 * (KASAN_VMALLOC_FREED) and keeps them mapped, and its range out of use,
 * until VMALLOC_QUARANTINE_BYTES of newer areas have followed it: a use after
 * vfree() is reported with both stacks (vmalloc_freed_of()) and reads the old
 * bytes, where the range's next owner would otherwise be. The frames come
 * back when an area leaves (vmalloc_drain() for leak checks).
 */
static void unmap_and_release(struct vnode *n)
{
	uintptr_t va = n->start;
	uint64_t size = n->len - VMALLOC_GUARD;

	kasan_unmap(va, size);
	pt_unmap(vm.space, va, size, release_frame, NULL);
	unsigned long irq = spin_lock_irqsave(&vm.lock);

	segment_release(n);
	spin_unlock_irqrestore(&vm.lock, irq);
}

/* The oldest area out of the quarantine (SEG_FREEING: ours), or NULL. vmalloc's lock held. */
static struct vnode *quarantine_pop(bool over_only)
{
	struct vnode *n = vm.qhead;

	if (!n || (over_only && vm.qbytes <= VMALLOC_QUARANTINE_BYTES))
		return NULL;
	vm.qhead = n->qnext;
	if (!vm.qhead)
		vm.qtail = NULL;
	vm.qbytes -= n->len - VMALLOC_GUARD;
	n->state = SEG_FREEING;
	return n;
}

/* Hold area @n (SEG_FREEING, ours), freed by the code at the top of this stack; let the oldest go. */
static void quarantine_put(struct vnode *n)
{
	uint64_t size = n->len - VMALLOC_GUARD;

	plat_kasan_stack(n->stack[1], VMALLOC_STACK_DEPTH);
	plat_kasan_poison((const void *)n->start, size, KASAN_VMALLOC_FREED);
	unsigned long irq = spin_lock_irqsave(&vm.lock);

	n->state = SEG_QUARANTINE;
	n->qnext = NULL;
	if (vm.qtail)
		vm.qtail->qnext = n;
	else
		vm.qhead = n;
	vm.qtail = n;
	vm.qbytes += size;
	vm.areas--;
	vm.bytes -= size;
	for (struct vnode *old; (old = quarantine_pop(true)) != NULL;) {
		spin_unlock_irqrestore(&vm.lock, irq);
		unmap_and_release(old);
		irq = spin_lock_irqsave(&vm.lock);
	}
	spin_unlock_irqrestore(&vm.lock, irq);
}

/* The partial node page with the most nodes in use but @not, or NULL. vmalloc's lock held. */
static struct npage *fullest_partial(const struct npage *not)
{
	struct npage *best = NULL;

	for (struct npage *p = vm.partial; p; p = p->next)
		if (p != not && (!best || p->used > best->used))
			best = p;
	return best;
}

/*
 * Empty the sparsest node pages into the others. After a burst of areas the
 * nodes left (long-lived areas, the free gaps between them) may be spread
 * over pages the burst took, and a leak check counts frames exactly. Only
 * free segments and live areas move: no pointer to those is held outside
 * the lock (the others' users hold theirs). vmalloc's lock held.
 */
static void compact_nodes(void)
{
	for (;;) {
		struct npage *victim = NULL;

		for (struct npage *p = vm.partial; p; p = p->next)
			if (!victim || p->used < victim->used)
				victim = p;
		struct npage *dst = fullest_partial(victim);
		if (!victim || !dst || victim->used > dst->used)
			return;
		struct vnode *slot = (struct vnode *)(victim + 1);
		for (size_t i = 0; i < NODES_PER_PAGE; i++) {
			struct vnode *x = &slot[i];
			if (x->state == SEG_UNUSED)
				continue;
			if ((x->state != SEG_FREE && x->state != SEG_BUSY) ||
			    !(dst = fullest_partial(victim)))
				return;
			bool last = victim->used == 1;
			struct vnode *to = node_take(dst);
			vm.root = remove(vm.root, x->start);
			*to = *x;
			vm.root = insert(vm.root, to);
			node_free(x);		/* the last one frees the page */
			if (last)
				break;
		}
	}
}

/**
 * vmalloc_drain() - unmap every area vfree() holds back and free its frames
 *
 * The quarantine of freed areas (MM_KASAN builds; nothing otherwise): leak
 * checks call it before they count frames, and vmalloc_prot() when the
 * window is full.
 *
 * Return: whether any area left.
 */
bool vmalloc_drain(void)
{
	bool any = false;

	for (;;) {
		unsigned long irq = spin_lock_irqsave(&vm.lock);
		struct vnode *n = quarantine_pop(false);

		if (!n)
			compact_nodes();
		spin_unlock_irqrestore(&vm.lock, irq);
		if (!n)
			return any;
		unmap_and_release(n);
		any = true;
	}
}

/**
 * vmalloc_freed_of() - the area in quarantine whose pages or guard gap hold @addr
 * @addr: any address
 * @f: filled in if found: the area and its allocation and free stacks
 *
 * Return: true if found (reports of a use after vfree()).
 */
bool vmalloc_freed_of(const void *addr, struct vmalloc_freed *f)
{
	uintptr_t va = (uintptr_t)addr;
	unsigned long irq = spin_lock_irqsave(&vm.lock);
	const struct vnode *n = va >= vm.base && va < vm.end ? find(va) : NULL;
	bool found = n && n->state == SEG_QUARANTINE;

	if (found) {
		f->base = n->start;
		f->size = n->len - VMALLOC_GUARD;
		memcpy(f->alloc_stack, n->stack[0], sizeof(f->alloc_stack));
		memcpy(f->free_stack, n->stack[1], sizeof(f->free_stack));
	}
	spin_unlock_irqrestore(&vm.lock, irq);
	return found;
}
#else
static inline bool kasan_map(uintptr_t va, uint64_t len)
{
	(void)va, (void)len;
	return true;
}

static inline void kasan_open(uintptr_t va, uint64_t pages, uint64_t size)
{
	(void)va, (void)pages, (void)size;
}

static inline void kasan_unmap(uintptr_t va, uint64_t len)
{
	(void)va, (void)len;
}

static inline void kasan_note_alloc(struct vnode *n)
{
	(void)n;
}

bool vmalloc_drain(void)
{
	return false;
}
#endif

/* map_pages() and the sanitizer's shadow of them (MM_KASAN); on failure neither stays. */
static int map_pages_shadowed(uintptr_t va, uint64_t size, unsigned prot, unsigned flags)
{
	int r = map_pages(va, size, prot, flags);

	if (!r && !kasan_map(va, size)) {
		pt_unmap(vm.space, va, size, release_frame, NULL);
		r = -MM_ENOMEM;
	}
	return r;
}

/**
 * vmalloc_fini() - free vmalloc's bookkeeping; vmalloc is off until vmalloc_init()
 */
void vmalloc_fini(void)
{
	unsigned long irq = spin_lock_irqsave(&vm.lock);

	free_tree(vm.root);
	vm.root = NULL;
	vm.space = NULL;
	vm.base = vm.end = 0;
	vm.used = vm.areas = vm.bytes = 0;
#ifdef MM_KASAN
	vm.qhead = vm.qtail = NULL;
	vm.qbytes = 0;
#endif
	spin_unlock_irqrestore(&vm.lock, irq);
}

/**
 * vmalloc_prot() - allocate and map a virtually contiguous area
 * @size: bytes
 * @prot: PT_* protections
 * @flags: VMALLOC_ZERO
 *
 * Return: the area's address, or NULL.
 */
void *vmalloc_prot(uint64_t size, unsigned prot, unsigned flags)
{
	uint64_t pages = ALIGN_UP(size, PAGE_SIZE);
	uint64_t need = pages + VMALLOC_GUARD;

	if (!size || pages < size || need < pages || (prot & ~PT_PROT_MASK) ||
	    (flags & ~VMALLOC_ZERO))
		return NULL;

	unsigned long irq;
	struct vnode *n;
	bool room;

	for (unsigned tries = 0;; tries++) {
		irq = spin_lock_irqsave(&vm.lock);
		room = vm.space && max_free(vm.root) >= need;
		struct vnode *spare = room ? node_alloc() : NULL;

		n = spare ? segment_take(need, spare) : NULL;
		if (n)
			n->prot = (uint8_t)prot;
		else
			vm.alloc_failures++;
		spin_unlock_irqrestore(&vm.lock, irq);
		if (n)
			break;
		/* The window is full: the quarantine's areas go first (MM_KASAN). */
		if (!room && vmalloc_drain())
			continue;
		/* A page of nodes could not be had under the lock: reclaim without it. */
		if (!room || tries >= PMM_RECLAIM_TRIES || !pmm_reclaim(0))
			return NULL;
	}

	int r = map_pages_shadowed(n->start, pages, prot, flags);

	if (!r) {
		kasan_open(n->start, pages, size);
		kasan_note_alloc(n);	/* while SEG_MAPPING: nothing moves it (compact_nodes()) */
	}
	irq = spin_lock_irqsave(&vm.lock);
	if (r) {
		segment_release(n);
		vm.alloc_failures++;
		n = NULL;
	} else {
		n->state = SEG_BUSY;
		vm.areas++;
		vm.bytes += pages;
	}
	spin_unlock_irqrestore(&vm.lock, irq);
	return n ? (void *)n->start : NULL;
}

/**
 * vmalloc() - allocate a virtually contiguous area, contents undefined
 * @size: bytes
 *
 * Return: the area's address or NULL.
 */
void *vmalloc(uint64_t size)
{
	return vmalloc_prot(size, VMALLOC_PROT, 0);
}

/**
 * vzalloc() - allocate a zeroed virtually contiguous area
 * @size: bytes
 *
 * Return: the area's address or NULL.
 */
void *vzalloc(uint64_t size)
{
	return vmalloc_prot(size, VMALLOC_PROT, VMALLOC_ZERO);
}

/**
 * vfree() - unmap an area and free its frames
 * @addr: what vmalloc*() returned; NULL is ignored
 */
void vfree(void *addr)
{
	uintptr_t va = (uintptr_t)addr;

	if (!addr)
		return;

	unsigned long irq = spin_lock_irqsave(&vm.lock);
	struct vnode *n = va >= vm.base && va < vm.end ? find(va) : NULL;
	const char *why = !n ? "not in the vmalloc window" :
			  n->state == SEG_FREE ? "not allocated (double free?)" :
			  n->state == SEG_QUARANTINE ? "freed already (double free)" :
			  n->start != va ? "not the start of its area" :
			  n->state != SEG_BUSY ? "area is being mapped or freed" : NULL;

	if (!why)
		n->state = SEG_FREEING;
	else
		vm.bad_frees++;
	spin_unlock_irqrestore(&vm.lock, irq);
	if (why) {
		mm_err("vfree(%p): %s; called from %p", addr, why, __builtin_return_address(0));
		return;
	}
#ifdef MM_KASAN
	quarantine_put(n);
#else
	uint64_t size = n->len - VMALLOC_GUARD;

	kasan_unmap(va, size);
	pt_unmap(vm.space, va, size, release_frame, NULL);
	irq = spin_lock_irqsave(&vm.lock);
	segment_release(n);
	vm.areas--;
	vm.bytes -= size;
	spin_unlock_irqrestore(&vm.lock, irq);
#endif
}

/* Map at @to the frames mapped at [@from, @from + @len): page-table entries move, not bytes. */
static int move_pages(uintptr_t from, uintptr_t to, uint64_t len, unsigned prot)
{
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		phys_addr_t pa;
		int r = pt_translate(vm.space, from + off, &pa, NULL, NULL) ?
			pt_map(vm.space, to + off, pa, PAGE_SIZE, prot, 0) : -MM_EINVAL;
		if (r) {
			if (off)
				pt_unmap(vm.space, to, off, NULL, NULL);
			return r;
		}
	}
	return 0;
}

/* Cut segment @n (an area, not free) to @keep bytes; the rest becomes free space, using @spare. */
static void segment_cut(struct vnode *n, uint64_t keep, struct vnode *spare)
{
	spare->start = n->start + keep;
	spare->len = n->len - keep;
	spare->state = SEG_MAPPING;
	n->len = keep;
	touch(vm.root, n->start);
	vm.root = insert(vm.root, spare);
	segment_release(spare);
}

/* Take @delta bytes off the front of the free segment after @n into @n; false if it is too small. */
static bool segment_extend(struct vnode *n, uint64_t delta)
{
	uintptr_t end = n->start + n->len;
	struct vnode *next = end < vm.end ? find(end) : NULL;

	if (!next || next->state != SEG_FREE || next->len < delta)
		return false;
	if (next->len == delta) {
		vm.root = remove(vm.root, next->start);
		node_free(next);
	} else {
		next->start += delta;		/* still between the same neighbours */
		next->len -= delta;
		touch(vm.root, next->start);
	}
	n->len += delta;
	touch(vm.root, n->start);
	vm.used += delta;
	return true;
}

/**
 * vrealloc() - resize a vmalloc area by mapping, moving or unmapping pages
 * @addr: what vmalloc*() returned
 * @size: new size in bytes, > 0
 *
 * Shrinking unmaps the tail pages (their frames freed; the guard follows the
 * new end). Growing maps fresh frames after the area when the window is free
 * there; otherwise the area moves: its frames are mapped at a new address
 * (page-table entries move, no byte is copied) and the old range is unmapped.
 * New pages are not zeroed. The caller must not use the old address after a
 * move, nor resize or free the area concurrently.
 *
 * Return: the area's (possibly new) address, or NULL with the area untouched
 * (out of memory or window space, or @addr not an area).
 */
void *vrealloc(void *addr, uint64_t size)
{
	uintptr_t va = (uintptr_t)addr;
	uint64_t pages = ALIGN_UP(size, PAGE_SIZE);

	if (!addr || !size || pages < size || pages + VMALLOC_GUARD < pages)
		return NULL;
	unsigned long irq = spin_lock_irqsave(&vm.lock);
	struct vnode *n = va >= vm.base && va < vm.end ? find(va) : NULL;
	if (!n || n->start != va || n->state != SEG_BUSY) {
		vm.bad_frees++;
		spin_unlock_irqrestore(&vm.lock, irq);
		mm_err("vrealloc(%p): not a vmalloc area; called from %p", addr,
		       __builtin_return_address(0));
		return NULL;
	}
	uint64_t old = n->len - VMALLOC_GUARD;
	struct vnode *spare = pages != old ? node_alloc() : NULL;
	if (pages == old || !spare) {
		spin_unlock_irqrestore(&vm.lock, irq);
		return pages == old ? addr : NULL;
	}
	n->state = SEG_MAPPING;			/* ours until we are done */
	if (pages < old) {
		spin_unlock_irqrestore(&vm.lock, irq);
		kasan_unmap(va + pages, old - pages);
		pt_unmap(vm.space, va + pages, old - pages, release_frame, NULL);
		kasan_open(va, pages, size);	/* its last page again, which kasan_unmap() opened */
		irq = spin_lock_irqsave(&vm.lock);
		segment_cut(n, pages + VMALLOC_GUARD, spare);
		n->state = SEG_BUSY;
		vm.bytes -= old - pages;
		spin_unlock_irqrestore(&vm.lock, irq);
		return addr;
	}
	if (segment_extend(n, pages - old)) {	/* in place: map after the old end */
		spin_unlock_irqrestore(&vm.lock, irq);
		int r = map_pages_shadowed(va + old, pages - old, n->prot, 0);
		if (!r)
			kasan_open(va, pages, size);
		irq = spin_lock_irqsave(&vm.lock);
		if (r) {
			segment_cut(n, old + VMALLOC_GUARD, spare);
		} else {
			node_free(spare);
			vm.bytes += pages - old;
		}
		n->state = SEG_BUSY;
		spin_unlock_irqrestore(&vm.lock, irq);
		return r ? NULL : addr;
	}
	struct vnode *to = max_free(vm.root) >= pages + VMALLOC_GUARD ?
			   segment_take(pages + VMALLOC_GUARD, spare) : NULL;
	if (to) {
		to->prot = n->prot;
#ifdef MM_KASAN
		memcpy(to->stack[0], n->stack[0], sizeof(to->stack[0]));
#endif
	} else {
		node_free(spare);
		n->state = SEG_BUSY;
		vm.alloc_failures++;
	}
	spin_unlock_irqrestore(&vm.lock, irq);
	if (!to)
		return NULL;
	int r = move_pages(va, to->start, old, n->prot);
	if (!r && (r = map_pages(to->start + old, pages - old, n->prot, 0)) != 0)
		pt_unmap(vm.space, to->start, old, NULL, NULL);
	if (!r && !kasan_map(to->start, pages)) {
		pt_unmap(vm.space, to->start + old, pages - old, release_frame, NULL);
		pt_unmap(vm.space, to->start, old, NULL, NULL);
		r = -MM_ENOMEM;
	}
	if (!r) {
		kasan_open(to->start, pages, size);
		kasan_unmap(va, old);
		pt_unmap(vm.space, va, old, NULL, NULL);	/* the frames live on at @to */
	}
	irq = spin_lock_irqsave(&vm.lock);
	if (r) {
		segment_release(to);
		n->state = SEG_BUSY;
		vm.alloc_failures++;
	} else {
		segment_release(n);
		to->state = SEG_BUSY;
		vm.bytes += pages - old;
	}
	spin_unlock_irqrestore(&vm.lock, irq);
	return r ? NULL : (void *)to->start;
}

/**
 * vmalloc_area_of() - the area whose pages or guard gap hold @addr
 * @addr: any address
 * @area: filled in if found
 *
 * Return: true if found.
 */
bool vmalloc_area_of(const void *addr, struct vmalloc_area *area)
{
	uintptr_t va = (uintptr_t)addr;
	unsigned long irq = spin_lock_irqsave(&vm.lock);
	const struct vnode *n = va >= vm.base && va < vm.end ? find(va) : NULL;
	bool found = n && n->state == SEG_BUSY;

	if (found)
		*area = (struct vmalloc_area){ n->start, n->len - VMALLOC_GUARD, VMALLOC_GUARD,
					       n->prot };
	spin_unlock_irqrestore(&vm.lock, irq);
	return found;
}

static int each(const struct vnode *t, int (*fn)(const struct vmalloc_area *, void *), void *ctx)
{
	int r;

	if (!t)
		return 0;
	r = each(t->left, fn, ctx);
	if (!r && t->state == SEG_BUSY) {
		struct vmalloc_area a = { t->start, t->len - VMALLOC_GUARD, VMALLOC_GUARD,
					  t->prot };

		r = fn(&a, ctx);
	}
	return r ? r : each(t->right, fn, ctx);
}

/**
 * vmalloc_for_each() - call @fn for every live area in address order
 * @fn: returns non-zero to stop
 * @ctx: passed to @fn
 *
 * Return: the first non-zero value of @fn, or 0.
 */
int vmalloc_for_each(int (*fn)(const struct vmalloc_area *area, void *ctx), void *ctx)
{
	unsigned long irq = spin_lock_irqsave(&vm.lock);
	int r = each(vm.root, fn, ctx);

	spin_unlock_irqrestore(&vm.lock, irq);
	return r;
}

/**
 * vmalloc_get_stats() - counts of areas, bytes, free space and bookkeeping
 * @st: filled in
 */
void vmalloc_get_stats(struct vmalloc_stats *st)
{
	unsigned long irq = spin_lock_irqsave(&vm.lock);

	*st = (struct vmalloc_stats){
		.base = vm.base,
		.end = vm.end,
		.areas = vm.areas,
		.bytes = vm.bytes,
		.free_bytes = vm.root ? vm.end - vm.base - vm.used : 0,
		.largest_free = max_free(vm.root),
		.node_pages = vm.node_pages,
		.alloc_failures = vm.alloc_failures,
		.bad_frees = vm.bad_frees,
#ifdef MM_KASAN
		.quarantine_bytes = vm.qbytes,
#endif
	};
	spin_unlock_irqrestore(&vm.lock, irq);
}
