// SPDX-License-Identifier: MIT
/*
 * Transient names: a file whose name is removed once nothing but its names
 * refers to it - no open file, no mapping - as a Windows named section
 * lives until its last handle and its last view are closed.
 *
 * The last such reference can go anywhere inode_put() runs, also under an
 * address space's lock (a region dropping its file), which is below
 * fs_lock in the lock order. So inode_put() does not remove the name: it
 * hands its reference to a list instead of dropping it, and
 * ramfs_transient_reap_now() - at the end of every system call and before
 * every name lookup, so the caller whose close or munmap dropped the last
 * reference, and anyone looking the name up afterwards, sees it gone -
 * checks again under fs_lock, removes the name and drops both references,
 * which frees the file.
 *
 * Lock order: fs_lock, then list_lock (a leaf: inode_put() takes it under
 * any lock).
 */
#include "kernel/errno.h"
#include "kernel/fs/ramfs.h"
#include "mm/spinlock.h"

struct inode *ramfs_transient_list;
static spinlock_t list_lock;

/**
 * ramfs_make_transient() - remove a file's name with its last user
 * @path: the file's name; the caller holds the file open
 * @ino: the file the caller holds open for writing (the same inode)
 *
 * Return: 0, -ENOENT (no such name, or it names another file), -EINVAL
 * (not a regular file).
 */
long ramfs_make_transient(const char *path, struct inode *ino)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	struct dentry *d;
	long err = fs_lookup_parent(NULL, path, &dir, name);

	if (err)
		return err;
	fs_lock();
	d = name[0] ? fs_dir_find(dir, name) : NULL;
	if (!d || d->inode != ino)
		err = -ENOENT;
	else if (!S_ISREG(ino->mode))
		err = -EINVAL;
	else if (!ino->transient_dir) {
		ino->transient_dir = dir;	/* keeps the lookup's reference */
		dir = NULL;
	}
	fs_unlock();
	inode_put(dir);
	return err;
}

/**
 * ramfs_transient_put() - inode_put() of a file with a transient name
 * @ino: the file
 *
 * When the reference dropped is the last but its names', it is kept and
 * handed to the list for ramfs_transient_reap_now().
 *
 * Return: false if the last reference went (the caller frees the inode).
 */
bool ramfs_transient_put(struct inode *ino)
{
	uint32_t refs = __atomic_load_n(&ino->refs, __ATOMIC_RELAXED);
	unsigned long fl;

	do {
		uint32_t links = __atomic_load_n(&ino->nlink, __ATOMIC_RELAXED);

		if (links && refs == links + 1 && !ino->transient_done &&
		    !__atomic_exchange_n(&ino->transient_queued, true, __ATOMIC_ACQ_REL)) {
			fl = spin_lock_irqsave(&list_lock);
			ino->transient_next = ramfs_transient_list;
			__atomic_store_n(&ramfs_transient_list, ino, __ATOMIC_RELEASE);
			spin_unlock_irqrestore(&list_lock, fl);
			return true;
		}
	} while (!__atomic_compare_exchange_n(&ino->refs, &refs, refs - 1, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return refs != 1;
}

/* Remove @ino's name in its transient directory if only names and the list refer to it; fs_lock held. */
static struct inode *remove_if_unused(struct inode *ino)
{
	struct inode *dir = ino->transient_dir;
	struct dentry *d;

	if (ino->refs != ino->nlink + 1)
		return NULL;		/* opened or mapped again meanwhile: its next put queues it */
	ino->transient_done = true;
	for (d = dir->children; d && d->inode != ino; d = d->next)
		;
	return d ? fs_unlink_entry(dir, d) : NULL;
}

/**
 * ramfs_transient_reap_now() - remove the names queued by ramfs_transient_put()
 *
 * Called with no lock held (the end of a system call, a name lookup).
 */
void ramfs_transient_reap_now(void)
{
	unsigned long fl = spin_lock_irqsave(&list_lock);
	struct inode *list = ramfs_transient_list, *ino, *gone;

	__atomic_store_n(&ramfs_transient_list, NULL, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&list_lock, fl);
	while ((ino = list)) {
		list = ino->transient_next;
		__atomic_store_n(&ino->transient_queued, false, __ATOMIC_RELEASE);
		fs_lock();
		gone = remove_if_unused(ino);
		fs_unlock();
		inode_put(gone);
		inode_put(ino);		/* the list's: the last, or it queues again */
	}
}
