// SPDX-License-Identifier: MIT
/* Descriptor tables from the "files" kmem_cache, grown from the heap (see fdtable.h). */
#include "kernel/errno.h"
#include "kernel/fs/fdtable.h"
#include "kernel/fs/file.h"
#include "kernel/proc/rlimit.h"
#include "mm/heap.h"

static struct kmem_cache *files_cache;

struct kmem_cache *files_cache_init(void)
{
	return files_cache = kmem_cache_create("files", sizeof(struct files), 0, 0, NULL);
}

static void use_small(struct files *fs)
{
	fs->max = FD_SMALL;
	fs->fd = fs->small_fd;
	fs->open = &fs->small_open;
	fs->cloexec = &fs->small_cloexec;
}

struct files *files_alloc(void)
{
	struct files *fs = kmem_cache_alloc(files_cache);

	if (fs) {
		memset(fs, 0, sizeof(*fs));
		fs->refs = 1;
		fs->lock = (spinlock_t)SPINLOCK_INIT;
		use_small(fs);
	}
	return fs;
}

/* Arrays for @max slots (a multiple of 64): one allocation, pointers into it. */
static void *arrays_alloc(unsigned max, struct file ***fd, uint64_t **open, uint64_t **cloexec)
{
	size_t words = max / 64;
	uint8_t *p = kmalloc(max * sizeof(struct file *) + 2 * words * sizeof(uint64_t));

	if (!p)
		return NULL;
	memset(p, 0, max * sizeof(struct file *) + 2 * words * sizeof(uint64_t));
	*fd = (struct file **)p;
	*open = (uint64_t *)(p + max * sizeof(struct file *));
	*cloexec = *open + words;
	return p;
}

static void arrays_free(struct files *fs)
{
	if (fs->fd != fs->small_fd)
		kfree(fs->fd);
}

/* Table size holding descriptor @fd: the next power of two, at least twice FD_SMALL. */
static unsigned size_for(unsigned fd)
{
	unsigned max = 2 * FD_SMALL;

	while (max <= fd)
		max *= 2;
	return max;
}

int files_expand(struct files *fs, unsigned fd)
{
	struct file **nfd;
	uint64_t *nopen, *ncloexec;
	void *mem, *old;

	if (fd >= NR_OPEN)
		return -EMFILE;
	mem = arrays_alloc(size_for(fd), &nfd, &nopen, &ncloexec);
	if (!mem)
		return -ENOMEM;
	unsigned long flags = spin_lock_irqsave(&fs->lock);
	if (fs->max > fd) {		/* another thread grew it meanwhile */
		spin_unlock_irqrestore(&fs->lock, flags);
		kfree(mem);
		return 0;
	}
	memcpy(nfd, fs->fd, fs->max * sizeof(nfd[0]));
	memcpy(nopen, fs->open, fs->max / 8);
	memcpy(ncloexec, fs->cloexec, fs->max / 8);
	old = fs->fd != fs->small_fd ? fs->fd : NULL;
	fs->fd = nfd;
	fs->open = nopen;
	fs->cloexec = ncloexec;
	fs->max = size_for(fd);
	spin_unlock_irqrestore(&fs->lock, flags);
	kfree(old);
	return 0;
}

int files_find_free(const struct files *fs, unsigned min, unsigned end)
{
	end = MM_MIN(end, fs->max);
	for (unsigned w = min / 64; w * 64 < end; w++) {
		uint64_t free = ~fs->open[w];

		if (w == min / 64)
			free &= ~0ull << (min % 64);
		if (free) {
			unsigned fd = w * 64 + (unsigned)__builtin_ctzll(free);
			return fd < end ? (int)fd : -1;
		}
	}
	return -1;
}

struct file *files_set(struct files *fs, unsigned fd, struct file *f, bool cloexec)
{
	struct file *old = fs->fd[fd];
	uint64_t bit = 1ull << (fd % 64);

	fs->fd[fd] = f;
	fs->open[fd / 64] = f ? fs->open[fd / 64] | bit : fs->open[fd / 64] & ~bit;
	fs->cloexec[fd / 64] = f && cloexec ? fs->cloexec[fd / 64] | bit :
					     fs->cloexec[fd / 64] & ~bit;
	return old;
}

struct files *files_copy(const struct files *src)
{
	struct files *fs = files_alloc();

	if (!fs)
		return NULL;
	for (;;) {
		unsigned want = __atomic_load_n(&src->max, __ATOMIC_RELAXED);

		if (want > fs->max && files_expand(fs, want - 1)) {
			files_put(fs);
			return NULL;
		}
		unsigned long flags = spin_lock_irqsave((spinlock_t *)&src->lock);
		if (src->max > fs->max) {	/* grew meanwhile: again */
			spin_unlock_irqrestore((spinlock_t *)&src->lock, flags);
			continue;
		}
		for (unsigned w = 0; w < src->max / 64; w++)
			for (uint64_t m = src->open[w]; m; m &= m - 1) {
				unsigned fd = w * 64 + (unsigned)__builtin_ctzll(m);
				files_set(fs, fd, file_get(src->fd[fd]), files_cloexec(src, fd));
			}
		spin_unlock_irqrestore((spinlock_t *)&src->lock, flags);
		return fs;
	}
}

void fd_close_file(struct file *f, struct files *fs)
{
	file_lock_close(f, fs);
	file_put(f);
}

/**
 * files_lookup() - the file at descriptor @fd of @fs, referenced
 * @fs: a descriptor table the caller holds a reference on
 * @fd: the descriptor (an unsigned int: the upper half is ignored)
 *
 * Return: the file with a reference of the caller's (file_put()), or NULL.
 */
struct file *files_lookup(struct files *fs, uint64_t fd)
{
	unsigned long flags = spin_lock_irqsave(&fs->lock);
	struct file *f = NULL;

	if ((uint32_t)fd < fs->max && (f = fs->fd[(uint32_t)fd]))
		file_get(f);
	spin_unlock_irqrestore(&fs->lock, flags);
	return f;
}

struct files *files_get(struct files *fs)
{
	__atomic_add_fetch(&fs->refs, 1, __ATOMIC_RELAXED);
	return fs;
}

void files_put(struct files *fs)
{
	if (!fs || __atomic_sub_fetch(&fs->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (unsigned fd = 0; fd < fs->max; fd++)
		fd_close_file(fs->fd[fd], fs);
	arrays_free(fs);
	kmem_cache_free(files_cache, fs);
}

void files_close_on_exec(struct files *fs)
{
	for (unsigned fd = 0;; fd++) {
		unsigned long flags = spin_lock_irqsave(&fs->lock);
		if (fd >= fs->max) {
			spin_unlock_irqrestore(&fs->lock, flags);
			return;
		}
		struct file *f = files_cloexec(fs, fd) ? files_set(fs, fd, NULL, false) : NULL;
		spin_unlock_irqrestore(&fs->lock, flags);
		fd_close_file(f, fs);
	}
}
