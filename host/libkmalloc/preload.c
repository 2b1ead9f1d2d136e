// SPDX-License-Identifier: MIT
/*
 * libkmalloc.so: the kernel heap as a program's malloc (LD_PRELOAD it).
 * Each thread gets the heap's per-CPU lists as thread-local storage; a
 * pthread key gives them back when the thread ends. The heap sets itself up
 * on the first call, which may come before any constructor runs.
 * KMALLOC_DEBUG=1 in the environment turns the debug checks on in a build
 * that has them (libkmalloc-debug.so has them on by default).
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "host/heap_pages_mmap.h"
#include "mm/heap_impl.h"

#define EXPORT	__attribute__((visibility("default")))

static pthread_key_t exit_key;
static int state;		/* 0 not set up, 1 setting up, 2 ready */

static void thread_gone(void *arg)
{
	(void)arg;
	heap_thread_exit();
}

static void thread_attached(void)
{
	pthread_setspecific(exit_key, (void *)1);
}

/*
 * fork() in a threaded program: take every heap lock first, so that the
 * child does not inherit one held by a thread that no longer exists.
 */
static void fork_prepare(void)
{
	spin_lock_irqsave(&heap_global.caches_lock);
	for (unsigned i = 0; i < HEAP_MAX_CACHES; i++)
		if (heap_global.cache[i])
			cache_lock(heap_global.cache[i]);
	spin_lock_irqsave(&heap_global.large_lock);
	spin_lock_irqsave(&heap_global.runs.lock);
	spin_lock_irqsave(&heap_global.cpus_lock);
	heap_pages_mmap_lock();
}

static void fork_done(void)
{
	heap_pages_mmap_unlock();
	spin_unlock_irqrestore(&heap_global.cpus_lock, 0);
	spin_unlock_irqrestore(&heap_global.runs.lock, 0);
	spin_unlock_irqrestore(&heap_global.large_lock, 0);
	for (unsigned i = HEAP_MAX_CACHES; i-- > 0;)
		if (heap_global.cache[i])
			cache_unlock(heap_global.cache[i]);
	spin_unlock_irqrestore(&heap_global.caches_lock, 0);
}

static void setup(void)
{
	unsigned flags = HEAP_PAGE_RUNS;

	if (__atomic_exchange_n(&state, 1, __ATOMIC_ACQ_REL) != 0) {
		while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
			plat_cpu_relax();
		return;
	}
#ifdef MM_HEAP_DEBUG
	const char *d = getenv("KMALLOC_DEBUG");
	if (!d || *d != '0')
		flags |= HEAP_DEBUG;
#endif
	heap_pages_mmap.seed = (uint64_t)__builtin_ia32_rdtsc() ^ (uintptr_t)&flags;
	if (heap_init(&heap_pages_mmap, flags))
		abort();
	/* Ready before the hooks are registered, in case registering allocates. */
	__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
	pthread_key_create(&exit_key, thread_gone);
	pthread_atfork(fork_prepare, fork_done, fork_done);
	heap_cpu_attach_hook = thread_attached;
}

static inline void ready(void)
{
	if (unlikely(__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2))
		setup();
}

/* Everything but a pop from the thread's list: out of line, so malloc() needs no stack frame. */
static __attribute__((noinline)) void *malloc_slow(size_t size)
{
	ready();
	void *p = kmalloc(size ? size : 1);
	if (unlikely(!p))
		errno = ENOMEM;
	return p;
}

EXPORT void *malloc(size_t size)
{
	void *p = kmalloc_cached(size);

	return likely(p != NULL) ? p : malloc_slow(size);
}

EXPORT void free(void *p)
{
	kfree(p);			/* which takes NULL */
}

EXPORT void *calloc(size_t n, size_t size)
{
	ready();
	void *p = kcalloc(n ? n : 1, size ? size : 1);
	if (unlikely(!p))
		errno = ENOMEM;
	return p;
}

EXPORT void *realloc(void *p, size_t size)
{
	ready();
	if (p && !size) {
		kfree(p);
		return NULL;
	}
	void *q = krealloc(p, size);
	if (unlikely(!q))
		errno = ENOMEM;
	return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

static void *aligned(size_t align, size_t size)
{
	ready();
	void *p = kmalloc_aligned(size ? size : 1, align);
	if (unlikely(!p))
		errno = ENOMEM;
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	void *p = aligned(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(align, size);
}

/*
 * glibc's memalign takes any alignment: one below a pointer's size asks for
 * nothing more than malloc's, any other is rounded up to a power of two
 * (programs pass 0 or, say, 24 and expect a block).
 */
EXPORT void *memalign(size_t align, size_t size)
{
	size_t a = sizeof(void *);

	if (align > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	while (a < align)
		a <<= 1;
	return aligned(a, size);
}

EXPORT void *valloc(size_t size)
{
	return aligned(PAGE_SIZE, size);
}

EXPORT void *pvalloc(size_t size)
{
	return aligned(PAGE_SIZE, ALIGN_UP(size ? size : 1, (size_t)PAGE_SIZE));
}

EXPORT size_t malloc_usable_size(void *p)
{
	return p ? ksize(p) : 0;
}

/* glibc's: give memory back to the system; 1 if some could be. */
EXPORT int malloc_trim(size_t pad)
{
	(void)pad;
	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
		return 0;
	heap_drain();
	heap_pages_mmap_trim();
	return 1;
}
