// SPDX-License-Identifier: MIT
/* The RAM file system's tree of names (see ramfs.h). */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/ramfs.h"
#include "kernel/proc/rlimit.h"
#include "kernel/task.h"
#include "mm/as_win32.h"
#include "mm/heap.h"
#include "mm/pcache.h"
#include "mm/pmm.h"
#include "mm/spinlock.h"

struct inode *fs_root;
/*
 * The pages of every file, against the file system's size: half of RAM,
 * tmpfs's default. Past it writes get ENOSPC and faults SIGBUS, so the
 * page cache can never take the memory processes need (memfd files are
 * not counted, as Linux's internal mount has no limit).
 */
static struct pcache_quota ramfs_quota = { .max = UINT64_MAX };
static spinlock_t tree_lock;
static unsigned long tree_flags;
static uint32_t next_ino = 2;
static uint64_t next_cookie = 3;	/* 1 and 2 are "." and ".." */

void fs_lock(void)
{
	tree_flags = spin_lock_irqsave(&tree_lock);
}

void fs_unlock(void)
{
	spin_unlock_irqrestore(&tree_lock, tree_flags);
}

/* Seconds since the epoch, as well as the kernel knows it: from boot. */
uint64_t fs_now(void)
{
	return time_ns() / 1000000000ull;
}

static struct inode *of_af(const struct as_file *f)
{
	return (struct inode *)((const char *)f - __builtin_offsetof(struct inode, af));
}

/* A mapping region starts or stops referring to the file. */
static void af_get(const struct as_file *f)
{
	inode_get(of_af(f));
}

static void af_put(const struct as_file *f)
{
	inode_put(of_af(f));
}

/**
 * inode_new() - a new inode with one reference (the caller's), no links
 * @mode: S_IFREG or S_IFDIR with permission bits
 * @name: a name for listings (copied)
 *
 * Return: the inode, or NULL if out of memory.
 */
struct inode *inode_new(uint32_t mode, const char *name)
{
	struct inode *ino = kzalloc(sizeof(*ino));
	size_t len = strlen(name);

	if (!ino)
		return NULL;
	ino->name = kmalloc(len + 1);
	if (S_ISREG(mode) && (ino->pc = pcache_create(PCACHE_SIZED)))
		pcache_set_quota(ino->pc, &ramfs_quota);
	if (!ino->name || (S_ISREG(mode) && !ino->pc)) {
		if (ino->pc)
			pcache_put(ino->pc);
		kfree(ino->name);
		kfree(ino);
		return NULL;
	}
	memcpy(ino->name, name, len + 1);
	ino->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	ino->mode = mode;
	ino->refs = 1;
	file_lock_inode_init(&ino->locks);
	ino->atime = ino->mtime = ino->ctime = fs_now();
	ino->af = (struct as_file){ .name = ino->name, .pc = ino->pc, .get = af_get,
				    .put = af_put };
	return ino;
}

const struct inode *ramfs_inode_of(const struct as_file *f)
{
	return f->get == af_get ? of_af(f) : NULL;
}

struct inode *inode_get(struct inode *ino)
{
	__atomic_fetch_add(&ino->refs, 1, __ATOMIC_RELAXED);
	return ino;
}

/**
 * inode_put() - drop a reference; the last frees the inode and its data
 * @ino: the inode (NULL is fine)
 */
void inode_put(struct inode *ino)
{
	if (!ino)
		return;
	if (ino->transient_dir ? ramfs_transient_put(ino) :
	    __atomic_sub_fetch(&ino->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	inode_put(ino->transient_dir);
	file_lock_inode_free(&ino->locks);
	as_section_free(ino->af.section);
	if (ino->pc)
		pcache_put(ino->pc);
	kfree(ino->name);
	kfree(ino);
}

/**
 * fs_dir_find() - the entry @name of directory @dir
 * @dir: a directory
 * @name: one component
 *
 * Return: the entry, or NULL. Called with the tree locked.
 */
struct dentry *fs_dir_find(struct inode *dir, const char *name)
{
	for (struct dentry *d = dir->children; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

/* Link @ino into @dir as @name (a new reference for the entry); tree locked. */
static long link_in(struct inode *dir, const char *name, struct inode *ino)
{
	size_t len = strlen(name);
	struct dentry *d = kmalloc(sizeof(*d) + len + 1), **tail = &dir->children;

	if (!d)
		return -ENOMEM;
	memcpy(d->name, name, len + 1);
	d->inode = inode_get(ino);
	d->cookie = next_cookie++;
	d->next = NULL;
	while (*tail)		/* kept in creation order, so getdents64 positions are stable */
		tail = &(*tail)->next;
	*tail = d;
	dir->nchildren++;
	ino->nlink++;
	if (S_ISDIR(ino->mode)) {
		ino->parent = dir;
		dir->nlink++;
	}
	dir->mtime = dir->ctime = fs_now();
	return 0;
}

/* Remove entry @d from @dir, dropping its reference; tree locked. */
/*
 * Remove entry @d of @dir; tree locked. Returns the inode whose reference
 * the entry held: the caller puts it after fs_unlock(), because the last
 * put frees every cached page of the file, too long to do with the tree's
 * lock held and interrupts off (a 64 MiB file: milliseconds).
 */
struct inode *fs_unlink_entry(struct inode *dir, struct dentry *d)
{
	struct dentry **pp = &dir->children;
	struct inode *ino = d->inode;

	while (*pp != d)
		pp = &(*pp)->next;
	*pp = d->next;
	dir->nchildren--;
	ino->nlink--;
	if (S_ISDIR(ino->mode)) {
		ino->nlink--;		/* its "." */
		dir->nlink--;		/* its ".." */
		ino->parent = NULL;
	}
	ino->ctime = dir->mtime = dir->ctime = fs_now();
	kfree(d);
	return ino;
}

/*
 * Walk @path from the root; stop before the last component if @parent.
 * Return: the inode reached (referenced) or a negated errno; @last gets the
 * final component when @parent.
 */
static long walk(struct inode *start, const char *path, bool parent, struct inode **out,
		 char *last)
{
	struct inode *cur = start && path[0] != '/' ? start : fs_root;
	const char *p = path;

	if (!*p)
		return -ENOENT;
	if (!cur)
		return -ENOENT;
	ramfs_transient_reap();		/* a name whose file is gone is gone */
	fs_lock();
	for (;;) {
		char comp[NAME_MAX + 1];
		size_t n = 0;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		while (p[n] && p[n] != '/')
			n++;
		if (n > NAME_MAX) {
			fs_unlock();
			return -ENAMETOOLONG;
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		p += n;
		while (*p == '/')
			p++;
		if (!S_ISDIR(cur->mode)) {
			fs_unlock();
			return -ENOTDIR;
		}
		if (parent && !*p) {
			if (!strcmp(comp, ".") || !strcmp(comp, ".."))
				comp[0] = 0;	/* not a name to create or remove */
			memcpy(last, comp, n + 1);
			break;
		}
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			if (cur->parent)
				cur = cur->parent;
			continue;
		}
		struct dentry *d = fs_dir_find(cur, comp);
		if (!d) {
			fs_unlock();
			return -ENOENT;
		}
		cur = d->inode;
	}
	if (parent && !S_ISDIR(cur->mode)) {
		fs_unlock();
		return -ENOTDIR;
	}
	*out = inode_get(cur);
	fs_unlock();
	return 0;
}

long fs_lookup(const char *path, struct inode **out)
{
	return walk(NULL, path, false, out, NULL);
}

long fs_lookup_at(struct inode *start, const char *path, struct inode **out)
{
	return walk(start, path, false, out, NULL);
}

long fs_lookup_parent(struct inode *start, const char *path, struct inode **dir,
		      char name[NAME_MAX + 1])
{
	name[0] = 0;
	return walk(start, path, true, dir, name);
}

/**
 * fs_open_in() - find or create the file @name in @dir
 * @dir: the directory
 * @name: the component ("" for the directory itself)
 * @create: O_CREAT
 * @excl: O_EXCL
 * @mode: permission bits for a new file
 * @out: set to the inode, referenced
 *
 * Return: 0 or a negated errno (EEXIST, ENOENT, ENOMEM).
 */
/*
 * "/a/b/@name" for a new entry of @dir, into @buf: the name mapping listings
 * (/proc/PID/maps) show, as Linux shows the path it was opened by. fs_lock held.
 */
static void path_in(const struct inode *dir, const char *name, char *buf, size_t cap)
{
	size_t at = cap - 1;
	const char *comp = name;

	buf[at] = 0;
	for (const struct inode *d = dir;; d = d->parent) {
		size_t n = strlen(comp);

		if (n + 1 > at) {
			ksnprintf(buf, cap, "%s", name);	/* too deep: the name alone */
			return;
		}
		at -= n;
		memcpy(buf + at, comp, n);
		buf[--at] = '/';
		if (!d || d == fs_root)
			break;
		comp = d->name;
	}
	memmove(buf, buf + at, cap - at);
}

long fs_open_in(struct inode *dir, const char *name, bool create, bool excl, uint32_t mode,
		struct inode **out)
{
	struct dentry *d;
	struct inode *ino;
	long err = 0;

	if (!name[0]) {
		if (create && excl)
			return -EEXIST;
		*out = inode_get(dir);
		return 0;
	}
	fs_lock();
	d = fs_dir_find(dir, name);
	if (d) {
		if (create && excl)
			err = -EEXIST;
		else
			*out = inode_get(d->inode);
		fs_unlock();
		return err;
	}
	if (!create || !dir->nlink) {
		fs_unlock();
		return -ENOENT;
	}
	char *path = kmalloc(FS_PATH_MAX);

	if (path)
		path_in(dir, name, path, FS_PATH_MAX);
	ino = path ? inode_new(S_IFREG | (mode & 07777), path) : NULL;
	kfree(path);
	if (!ino)
		err = -ENOMEM;
	else if ((err = link_in(dir, name, ino)))
		inode_put(ino);
	else
		*out = ino;
	fs_unlock();
	return err;
}

long fs_mkdir(struct inode *dir, const char *name, uint32_t mode)
{
	struct inode *ino;
	long err;

	if (!name[0])
		return -EEXIST;
	fs_lock();
	if (fs_dir_find(dir, name)) {
		fs_unlock();
		return -EEXIST;
	}
	if (!dir->nlink) {
		fs_unlock();
		return -ENOENT;
	}
	ino = inode_new(S_IFDIR | (mode & 07777), name);
	if (!ino) {
		fs_unlock();
		return -ENOMEM;
	}
	ino->nlink = 1;		/* "." */
	err = link_in(dir, name, ino);
	if (err)
		ino->nlink = 0;
	inode_put(ino);
	fs_unlock();
	return err;
}

/**
 * fs_unlink() - remove a name: unlink (@want_dir false) or rmdir
 * @dir: the directory
 * @name: the entry
 * @want_dir: rmdir: the entry must be an empty directory
 *
 * Return: 0 or ENOENT, EISDIR, ENOTDIR, ENOTEMPTY, EBUSY (the root), EINVAL (".").
 */
long fs_unlink(struct inode *dir, const char *name, bool want_dir)
{
	struct dentry *d;
	struct inode *gone = NULL;
	long err = 0;

	if (!name[0])
		return want_dir ? -EBUSY : -EISDIR;
	fs_lock();
	d = fs_dir_find(dir, name);
	if (!d)
		err = -ENOENT;
	else if (!want_dir && S_ISDIR(d->inode->mode))
		err = -EISDIR;
	else if (want_dir && !S_ISDIR(d->inode->mode))
		err = -ENOTDIR;
	else if (want_dir && d->inode->nchildren)
		err = -ENOTEMPTY;
	else
		gone = fs_unlink_entry(dir, d);
	fs_unlock();
	inode_put(gone);
	return err;
}

/* Is @a @b or one of its ancestors? Tree locked. */
static bool is_ancestor(struct inode *a, struct inode *b)
{
	for (; b; b = b->parent)
		if (a == b)
			return true;
	return false;
}

/**
 * fs_rename() - move @oname of @odir to @nname of @ndir, replacing what is there
 * @odir: source directory
 * @oname: source name
 * @ndir: target directory
 * @nname: target name
 *
 * Linux's rules: a directory replaces only an empty directory, a file only
 * a file; a directory may not move into itself.
 *
 * Return: 0 or ENOENT, EISDIR, ENOTDIR, ENOTEMPTY, EINVAL, EBUSY, ENOMEM.
 */
long fs_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname)
{
	struct dentry *od, *nd;
	struct inode *ino, *replaced = NULL;
	long err = 0;

	if (!oname[0] || !nname[0])
		return -EBUSY;
	fs_lock();
	od = fs_dir_find(odir, oname);
	nd = fs_dir_find(ndir, nname);
	if (!od) {
		err = -ENOENT;
		goto out;
	}
	ino = od->inode;
	if (nd == od)
		goto out;
	if (S_ISDIR(ino->mode) && is_ancestor(ino, ndir)) {
		err = -EINVAL;
		goto out;
	}
	if (nd) {
		if (S_ISDIR(ino->mode) && !S_ISDIR(nd->inode->mode))
			err = -ENOTDIR;
		else if (!S_ISDIR(ino->mode) && S_ISDIR(nd->inode->mode))
			err = -EISDIR;
		else if (S_ISDIR(nd->inode->mode) && nd->inode->nchildren)
			err = -ENOTEMPTY;
		if (err)
			goto out;
	}
	inode_get(ino);
	err = link_in(ndir, nname, ino);
	if (!err) {
		if (nd)
			replaced = fs_unlink_entry(ndir, nd);
		if (S_ISDIR(ino->mode))
			ino->nlink++;	/* fs_unlink_entry() below takes the "." away once more */
		inode_put(fs_unlink_entry(odir, od));	/* not the last: @ino's own is held */
		if (S_ISDIR(ino->mode)) {
			ino->parent = ndir;
		}
	}
	inode_put(ino);
out:
	fs_unlock();
	inode_put(replaced);
	return err;
}

/**
 * fs_truncate() - set a regular file's size (truncate, ftruncate, O_TRUNC)
 * @ino: the file
 * @size: new size
 *
 * Shrinking drops the cached pages past the end and zaps every mapping of
 * them, in every process: an access there then gets SIGBUS.
 *
 * Return: 0, -EISDIR, -EINVAL, -EFBIG (growing past RLIMIT_FSIZE: SIGXFSZ sent).
 */
long fs_truncate(struct inode *ino, uint64_t size)
{
	uint64_t old;

	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (!ino->pc || size > (uint64_t)INT64_MAX)
		return -EINVAL;
	old = pcache_size(ino->pc);
	if (size > old && rlimit_fsize_grow(size))
		return -EFBIG;		/* inode_newsize_ok(): SIGXFSZ sent */
	pcache_set_size(ino->pc, size);
	if (size < old) {
		uint64_t keep = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
		as_unmap_object(ino->pc, keep, UINT64_MAX - keep, true);
	}
	ino->mtime = ino->ctime = fs_now();
	return 0;
}

/**
 * fs_dir_next() - the first entry of @dir whose cookie is at least @pos
 * @dir: a directory (tree locked)
 * @pos: a getdents64 position
 */
struct dentry *fs_dir_next(struct inode *dir, uint64_t pos)
{
	for (struct dentry *d = dir->children; d; d = d->next)
		if (d->cookie >= pos)
			return d;
	return NULL;
}

/* Make every directory on the way to @path (an initrd name like "/a/b/c"), return the last parent. */
static struct inode *make_parents(const char *path, char *last)
{
	struct inode *cur = fs_root;
	const char *p = path;

	for (;;) {
		char comp[NAME_MAX + 1];
		size_t n = 0;

		while (*p == '/')
			p++;
		while (p[n] && p[n] != '/')
			n++;
		if (n > NAME_MAX)
			return NULL;
		memcpy(comp, p, n);
		comp[n] = 0;
		p += n;
		while (*p == '/')
			p++;
		if (!*p) {
			memcpy(last, comp, n + 1);
			return cur;
		}
		struct dentry *d = fs_dir_find(cur, comp);
		if (!d) {
			fs_unlock();
			fs_mkdir(cur, comp, 0755);
			fs_lock();
			d = fs_dir_find(cur, comp);
		}
		if (!d || !S_ISDIR(d->inode->mode))
			return NULL;
		cur = d->inode;
	}
}

/* Copy one initrd entry into the tree. */
static void add_initrd_file(const struct initrd_file *f)
{
	char name[NAME_MAX + 1];
	struct inode *dir, *ino;

	fs_lock();
	dir = make_parents(f->name, name);
	fs_unlock();
	if (!dir || !name[0])
		return;
	if (S_ISDIR(f->mode)) {
		fs_mkdir(dir, name, f->mode);
		return;
	}
	if (!S_ISREG(f->mode) || fs_open_in(dir, name, true, true, f->mode, &ino))
		return;
	if (f->size && pcache_write(ino->pc, 0, f->data, f->size) != (long)f->size)
		kprintf("ramfs: %s: out of memory copying it in\n", f->name);
	ino->atime = ino->mtime = ino->ctime = f->mtime;
	inode_put(ino);
}

/**
 * ramfs_init() - mount the RAM file system: the root, the initrd's files, /tmp, /dev/shm
 */
void ramfs_init(void)
{
	struct inode *dev;

	struct pmm_stats st;

	pmm_get_stats(&st);
	ramfs_quota.max = (st.free_frames + st.used_frames) / 2;
	fs_root = inode_new(S_IFDIR | 0755, "/");
	if (!fs_root)
		panic("ramfs: no memory for the root directory");
	fs_root->nlink = 2;
	for (unsigned i = 0; root_fs && i < root_fs->count; i++)
		add_initrd_file(&root_fs->file[i]);
	fs_mkdir(fs_root, "tmp", 01777);
	fs_mkdir(fs_root, "dev", 0755);
	if (!fs_lookup("/dev", &dev)) {
		fs_mkdir(dev, "shm", 01777);
		inode_put(dev);
	}
	kprintf("ramfs: mounted at / (%" PRIu64 " pages cached, size %" PRIu64 " pages)\n",
		pcache_total_pages(), ramfs_quota.max);
}
