// SPDX-License-Identifier: MIT
/* Descriptor tables from the "files" kmem_cache (see fdtable.h). */
#include "kernel/fs/fdtable.h"
#include "kernel/fs/file.h"
#include "mm/heap.h"

static struct kmem_cache *files_cache;

struct kmem_cache *files_cache_init(void)
{
	return files_cache = kmem_cache_create("files", sizeof(struct files), 0, 0, NULL);
}

struct files *files_alloc(void)
{
	struct files *fs = kmem_cache_alloc(files_cache);

	if (fs) {
		memset(fs, 0, sizeof(*fs));
		fs->refs = 1;
		fs->lock = (spinlock_t)SPINLOCK_INIT;
	}
	return fs;
}

struct files *files_copy(const struct files *src)
{
	struct files *fs = files_alloc();

	if (!fs)
		return NULL;
	unsigned long flags = spin_lock_irqsave((spinlock_t *)&src->lock);
	for (int fd = 0; fd < FD_MAX; fd++) {
		fs->fd[fd] = src->fd[fd] ? file_get(src->fd[fd]) : NULL;
		fs->cloexec[fd] = src->cloexec[fd];
	}
	spin_unlock_irqrestore((spinlock_t *)&src->lock, flags);
	return fs;
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
	for (int fd = 0; fd < FD_MAX; fd++)
		file_put(fs->fd[fd]);
	kmem_cache_free(files_cache, fs);
}

void files_close_on_exec(struct files *fs)
{
	for (int fd = 0; fd < FD_MAX; fd++) {
		unsigned long flags = spin_lock_irqsave(&fs->lock);
		struct file *f = fs->cloexec[fd] ? fs->fd[fd] : NULL;
		if (fs->cloexec[fd]) {
			fs->fd[fd] = NULL;
			fs->cloexec[fd] = false;
		}
		spin_unlock_irqrestore(&fs->lock, flags);
		file_put(f);
	}
}
