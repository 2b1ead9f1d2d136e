// SPDX-License-Identifier: MIT
/*
 * /proc: the files Linux programs read to learn about memory, in Linux's
 * formats: /proc/meminfo, /proc/PID/{maps,smaps,status,statm,oom_score,
 * oom_score_adj} (PID also "self" and "thread-self"), and the vm sysctls
 * /proc/sys/vm/overcommit_memory, overcommit_ratio and max_map_count.
 *
 * There is no proc file system to mount: open() hands paths under /proc/
 * here, and each open renders its file once into a fresh unnamed RAM file,
 * which is what a seq_file reader sees in one pass. read, pread, lseek,
 * fstat and even mmap then work as on any file, and a reader of a snapshot
 * never sees a half-changed table. Only root may open for writing (the
 * files are 0444, the writable ones 0644); write() is EINVAL but for
 * oom_score_adj and the writable sysctls, whose value is parsed and applied
 * at once, as on Linux.
 *
 * Locking: rendering a process's files takes its address space's lock
 * (through as_for_each_region/as_get_stats) and nothing else; the task is
 * kept by task_by_pid()'s reference, its space and thread group by
 * task_pin(), so a process exiting meanwhile on another CPU frees neither.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/procfs.h"
#include "kernel/kernel.h"
#include "kernel/proc/cred.h"
#include "kernel/proc/proc.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "mm/commit.h"
#include "mm/heap.h"
#include "mm/lru.h"
#include "mm/pcache.h"
#include "mm/pmm.h"
#include "mm/swap.h"
#include "mm/vmalloc.h"

/* A growing text buffer; out of memory makes it "failed" (the open gives ENOMEM). */
struct pbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void pb_putc(char c, void *ctx)
{
	struct pbuf *b = ctx;

	if (b->failed)
		return;
	if (b->len == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		char *p = krealloc(b->p, cap);

		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	b->p[b->len++] = c;
}

static void PRINTF(2, 3) pb_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvformat(pb_putc, b, fmt, ap);
	va_end(ap);
}

/* Spaces up to column @col of the current line (seq_pad()). */
static void pb_pad(struct pbuf *b, size_t line_start, size_t col)
{
	while (!b->failed && b->len - line_start < col)
		pb_putc(' ', b);
}

/* "Label:" then a value in kB right-aligned in 8 columns: Linux's show_val_kb(). */
static void pb_kb(struct pbuf *b, const char *label, uint64_t pages)
{
	size_t start = b->len;

	pb_printf(b, "%s:", label);
	pb_pad(b, start, 16);
	pb_printf(b, "%8" PRIu64 " kB\n", pages * (PAGE_SIZE / 1024));
}

/* --- /proc/meminfo ------------------------------------------------------------------ */

static void render_meminfo(struct pbuf *b)
{
	struct pmm_stats pm;
	struct swap_counters sw;
	struct vmalloc_stats vm;
	memory_stats_t hs;

	pmm_get_stats(&pm);
	swap_get_counters(&sw);
	vmalloc_get_stats(&vm);
	heap_get_stats(&hs);
	uint64_t total = pm.free_frames + pm.used_frames, cached = pcache_total_pages();
	uint64_t avail = pm.free_frames + pm.cached_frames;

	pb_kb(b, "MemTotal", total);
	pb_kb(b, "MemFree", pm.free_frames + pm.cached_frames);
	pb_kb(b, "MemAvailable", avail);
	pb_kb(b, "Buffers", 0);
	pb_kb(b, "Cached", cached + sw.cache_pages);
	pb_kb(b, "SwapCached", sw.cache_pages);
	pb_kb(b, "Unevictable", lru_count(LRU_UNEVICTABLE));	/* locked pages reclaim has set aside */
	pb_kb(b, "SwapTotal", sw.slots_total);
	pb_kb(b, "SwapFree", sw.slots_total - sw.slots_used);
	pb_kb(b, "Shmem", cached);
	pb_kb(b, "Slab", hs.heap_size / PAGE_SIZE);
	pb_kb(b, "CommitLimit", vm_commit_limit_pages(0));
	pb_kb(b, "Committed_AS", vm_committed_pages());
	pb_kb(b, "VmallocTotal", (vm.end - vm.base) / PAGE_SIZE);
	pb_kb(b, "VmallocUsed", vm.bytes / PAGE_SIZE);
	pb_kb(b, "VmallocChunk", 0);
	pb_kb(b, "HardwareCorrupted", 0);
	pb_kb(b, "AnonHugePages", 0);
	pb_printf(b, "HugePages_Total:       0\nHugePages_Free:        0\n"
		  "HugePages_Rsvd:        0\nHugePages_Surp:        0\n");
	pb_kb(b, "Hugepagesize", 2 * 1024 * 1024 / PAGE_SIZE);
	pb_kb(b, "Hugetlb", 0);
}

/* --- /proc/PID/maps and smaps ---------------------------------------------------------- */

/* What maps shows after the header for a region: its name, or NULL. */
static void region_path(struct pbuf *b, const struct as_region_info *ri)
{
	const struct inode *ino = ri->file ? ramfs_inode_of(ri->file) : NULL;

	if (ri->flags & AS_R_HEAP) {
		pb_printf(b, "[heap]");
	} else if (ri->flags & AS_R_STACK) {
		pb_printf(b, "[stack]");
	} else if (ri->backing == AS_ANON_SHARED) {
		pb_printf(b, "/dev/zero (deleted)");	/* shared anonymous: shmem's file */
	} else if (ino) {
		pb_printf(b, "%s%s%s", ino->name[0] == '/' ? "" : "/", ino->name,
			  ino->nlink ? "" : " (deleted)");
	} else if (ri->file && ri->file->name) {
		pb_printf(b, "/%s (deleted)", ri->file->name);	/* SysV shm: "SYSVkey" */
	}
}

/* One maps line: show_map_vma()'s columns, padded to column 72 (48 on 32-bit), then a space and the name. */
static void map_line(struct pbuf *b, const struct as_region_info *ri)
{
	const struct inode *ino = ri->file ? ramfs_inode_of(ri->file) : NULL;
	bool shared = ri->backing == AS_ANON_SHARED || ri->backing == AS_FILE_SHARED;
	size_t start = b->len, before;

	pb_printf(b, "%08" PRIxPTR "-%08" PRIxPTR " %c%c%c%c %08" PRIx64 " %02x:%02x %lu ",
		  ri->start, ri->end, ri->prot & MM_PROT_READ ? 'r' : '-',
		  ri->prot & MM_PROT_WRITE ? 'w' : '-', ri->prot & MM_PROT_EXEC ? 'x' : '-',
		  shared ? 's' : 'p', ri->offset, 0, ri->file || shared ? 1 : 0,
		  ino ? (unsigned long)ino->ino : 0ul);
	before = b->len;
	pb_pad(b, start, 25 + sizeof(void *) * 6 - 1);
	pb_putc(' ', b);
	size_t padded = b->len;
	region_path(b, ri);
	if (b->len == padded)
		b->len = before;	/* no name: no padding either */
	pb_putc('\n', b);
}

static int maps_region(const struct as_region_info *ri, void *ctx)
{
	map_line(ctx, ri);
	return 0;
}

static int smaps_region(const struct as_region_info *ri, void *ctx)
{
	struct pbuf *b = ctx;
	uint64_t pages = (ri->end - ri->start) / PAGE_SIZE;
	bool anon = ri->backing == AS_ANON_PRIVATE;

	map_line(b, ri);
	pb_kb(b, "Size", pages);
	pb_kb(b, "KernelPageSize", 1);
	pb_kb(b, "MMUPageSize", 1);
	pb_kb(b, "Rss", ri->resident);
	pb_kb(b, "Anonymous", anon ? ri->resident : 0);
	pb_kb(b, "Swap", ri->swapped);
	pb_kb(b, "Locked", ri->flags & AS_R_LOCKED ? ri->resident : 0);
	if (plat_pkeys() > 1)	/* Linux: when the CPU has keys, after THPeligible */
		pb_printf(b, "ProtectionKey:  %8u\n", ri->pkey);
	pb_printf(b, "VmFlags:%s%s%s%s%s%s%s\n", ri->prot & MM_PROT_READ ? " rd" : "",
		  ri->prot & MM_PROT_WRITE ? " wr" : "", ri->prot & MM_PROT_EXEC ? " ex" : "",
		  ri->backing == AS_ANON_SHARED || ri->backing == AS_FILE_SHARED ? " sh" : "",
		  ri->flags & AS_R_GROWSDOWN ? " gd" : "", ri->flags & AS_R_LOCKED ? " lo" : "",
		  ri->flags & AS_R_DONTFORK ? " dc" : "");
	return 0;
}

/* --- /proc/PID/status and statm ---------------------------------------------------- */

/* Resident pages by kind, as status's RssAnon/RssFile/RssShmem split them. */
struct rss_split {
	uint64_t anon, file, shmem, exe;
};

static int split_region(const struct as_region_info *ri, void *ctx)
{
	struct rss_split *s = ctx;

	if (ri->backing == AS_ANON_PRIVATE)
		s->anon += ri->resident;
	else if (ri->backing == AS_ANON_SHARED || !ri->file || !ramfs_inode_of(ri->file))
		s->shmem += ri->resident;
	else
		s->file += ri->resident;
	if (ri->file && (ri->prot & MM_PROT_EXEC))
		s->exe += (ri->end - ri->start) / PAGE_SIZE;
	return 0;
}

static const char *state_name(const struct task *t)
{
	switch (t->state) {
	case TASK_RUNNABLE:
		return "R (running)";
	case TASK_ZOMBIE:
		return "Z (zombie)";
	default:
		return "S (sleeping)";
	}
}

static void render_status(struct pbuf *b, const struct task_pin *p)
{
	struct as_stats st;
	struct rss_split rs = { 0 };
	const struct task *t = p->t;
	const struct cred *c = &p->group->cred;

	as_get_stats(p->mm, &st);
	as_for_each_region(p->mm, split_region, &rs);
	pb_printf(b, "Name:\t%s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		  "PPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n",
		  t->name, state_name(t), t->tgid, t->pid, t->parent ? t->parent->tgid : 0,
		  c->uid, c->euid, c->suid, c->fsuid, c->gid, c->egid, c->sgid, c->fsgid);
	pb_kb(b, "VmPeak", st.peak_vm);
	pb_kb(b, "VmSize", st.vsize / PAGE_SIZE);
	pb_kb(b, "VmLck", st.locked);
	pb_kb(b, "VmPin", 0);
	pb_kb(b, "VmHWM", st.peak_rss);
	pb_kb(b, "VmRSS", st.rss);
	pb_kb(b, "RssAnon", rs.anon);
	pb_kb(b, "RssFile", rs.file);
	pb_kb(b, "RssShmem", rs.shmem);
	pb_kb(b, "VmData", st.data);
	pb_kb(b, "VmStk", st.stack / PAGE_SIZE);
	pb_kb(b, "VmExe", rs.exe);
	pb_kb(b, "VmLib", 0);
	pb_kb(b, "VmPTE", st.table_pages);
	pb_kb(b, "VmSwap", st.swap);
	pb_printf(b, "Threads:\t%d\n", p->group->live);
	pb_printf(b, "voluntary_ctxt_switches:\t%lu\nnonvoluntary_ctxt_switches:\t%lu\n",
		  __atomic_load_n(&t->nvcsw, __ATOMIC_RELAXED),
		  __atomic_load_n(&t->nivcsw, __ATOMIC_RELAXED));
}

static void render_statm(struct pbuf *b, const struct task_pin *p)
{
	struct as_stats st;
	struct rss_split rs = { 0 };

	as_get_stats(p->mm, &st);
	as_for_each_region(p->mm, split_region, &rs);
	pb_printf(b, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " 0 %" PRIu64 " 0\n",
		  st.vsize / PAGE_SIZE, st.rss, rs.file + rs.shmem, rs.exe,
		  st.data + st.stack / PAGE_SIZE);
}

/* --- /proc/sys/vm ---------------------------------------------------------------------- */

static const struct {
	const char *name;
	bool writable;
} sysctls[] = {
	{ "overcommit_memory", true },
	{ "overcommit_ratio", true },
	{ "max_map_count", false },
};

static uint64_t sysctl_value(unsigned i)
{
	if (i == 0)
		return (uint64_t)vm_commit_mode();
	return i == 1 ? vm_commit_ratio() : AS_MAX_MAP_COUNT;
}

/* --- paths ------------------------------------------------------------------------------ */

/* "self", "thread-self" or a number: the task, referenced; NULL if none has that id. */
static struct task *pid_task(const char *s, size_t n)
{
	uint64_t pid = 0;

	if ((n == 4 && !memcmp(s, "self", 4)) || (n == 11 && !memcmp(s, "thread-self", 11)))
		return task_by_pid(n == 4 ? current()->tgid : current()->pid);
	if (!n || n > 7)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return NULL;
		pid = pid * 10 + (uint64_t)(s[i] - '0');
	}
	return task_by_pid((int)pid);
}

/* What an open renders: the text, the file's name (pid resolved), whether it takes writes. */
struct rendering {
	struct pbuf text;
	char name[48];
	bool writable;
};

/* Render the per-process file @file of the task named by @pid: 0 or -ENOENT. */
static long render_pid_file(struct rendering *r, const char *pid, size_t n, const char *file)
{
	struct task *t = pid_task(pid, n);
	struct pbuf *b = &r->text;
	struct task_pin p = { 0 };
	long err = 0;

	if (!t || !task_pin(t, &p))
		err = -ENOENT;
	else if (!strcmp(file, "maps"))
		as_for_each_region(p.mm, maps_region, b);
	else if (!strcmp(file, "smaps"))
		as_for_each_region(p.mm, smaps_region, b);
	else if (!strcmp(file, "status"))
		render_status(b, &p);
	else if (!strcmp(file, "statm"))
		render_statm(b, &p);
	else if (!strcmp(file, "oom_score"))
		pb_printf(b, "%lu\n", oom_score(p.mm, p.group));
	else if (!strcmp(file, "oom_score_adj")) {
		int adj = 0;

		oom_score_adj_xchg(t, 0, false, &adj);
		pb_printf(b, "%d\n", adj);
		r->writable = true;
	} else
		err = -ENOENT;
	if (!err)
		ksnprintf(r->name, sizeof(r->name), "%d/%s", t->tgid, file);
	if (t)
		task_unpin(&p);
	task_put(t);
	return err;
}

/* Render @path (after "/proc/"): 0 or -ENOENT. */
static long render(struct rendering *r, const char *path)
{
	const char *slash = strchr(path, '/');

	ksnprintf(r->name, sizeof(r->name), "%s", path);
	if (!strcmp(path, "meminfo")) {
		render_meminfo(&r->text);
		return 0;
	}
	if (!strncmp(path, "sys/vm/", 7)) {
		for (unsigned i = 0; i < ARRAY_SIZE(sysctls); i++) {
			if (!strcmp(path + 7, sysctls[i].name)) {
				r->writable = sysctls[i].writable;
				pb_printf(&r->text, "%" PRIu64 "\n", sysctl_value(i));
				return 0;
			}
		}
		return -ENOENT;
	}
	if (!slash || strchr(slash + 1, '/'))
		return -ENOENT;
	return render_pid_file(r, path, (size_t)(slash - path), slash + 1);
}

/* --- writing ---------------------------------------------------------------------------- */

/* A decimal integer with optional sign, spaces before and one newline after (kstrtoint). */
static long parse_int(uint64_t ubuf, uint64_t len, int64_t *v)
{
	char buf[24];
	size_t i = 0, n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
	bool neg;

	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = 0;
	while (buf[i] == ' ' || buf[i] == '\t')
		i++;
	neg = buf[i] == '-';
	i += neg || buf[i] == '+';
	if (buf[i] < '0' || buf[i] > '9')
		return -EINVAL;
	for (*v = 0; buf[i] >= '0' && buf[i] <= '9' && *v < 1000000000; i++)
		*v = *v * 10 + (buf[i] - '0');
	if ((buf[i] && buf[i] != '\n') || (buf[i] == '\n' && buf[i + 1]))
		return -EINVAL;
	if (neg)
		*v = -*v;
	return 0;
}

/* Apply @v to the writable file @name: 0 or -errno. */
static long apply(const char *name, int64_t v)
{
	const char *slash = strchr(name, '/');

	if (!strcmp(name, "sys/vm/overcommit_memory")) {
		if (v < VM_OVERCOMMIT_GUESS || v > VM_OVERCOMMIT_NEVER)
			return -EINVAL;
		vm_commit_set_mode((int)v);
		return 0;
	}
	if (!strcmp(name, "sys/vm/overcommit_ratio")) {
		if (v < 0)
			return -EINVAL;
		vm_commit_set_ratio((unsigned)v);
		return 0;
	}
	struct task *t = pid_task(name, (size_t)(slash - name));	/* "PID/oom_score_adj" */
	long err = t && t->group ? oom_score_adj_xchg(t, (int)v, true, NULL) : -ESRCH;

	task_put(t);
	return err;
}

static long proc_write(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	int64_t v;
	long err = parse_int(ubuf, len, &v);

	if (!err)
		err = apply(f->inode->name, v);
	if (err)
		return err;
	*pos += len;
	return (long)len;
}

/* Writing a read-only /proc file: root may open it so, and write() says EINVAL. */
static long ro_write(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	return -EINVAL;
}

static const struct file_ops procfs_rw_ops = { .read = file_read_regular, .write = proc_write };
static const struct file_ops procfs_ro_ops = { .read = file_read_regular, .write = ro_write };

/**
 * procfs_open() - open a file under /proc/
 * @path: the path after "/proc/", e.g. "self/maps"
 * @flags: open flags
 * @out: the open file, on success
 *
 * Return: 0, -ENOENT for a file /proc does not have, -EACCES for writing
 * without root's rights, -ENOMEM.
 */
long procfs_open(const char *path, unsigned flags, struct file **out)
{
	struct rendering r = { 0 };
	struct inode *ino = NULL;
	bool write = (flags & O_ACCMODE) != O_RDONLY;
	long err = render(&r, path);

	if (!err && r.text.failed)
		err = -ENOMEM;
	if (!err && write && !cred_capable(current()))
		err = -EACCES;		/* 0444, or 0644 owned by root */
	if (!err && !(ino = inode_new(S_IFREG | (r.writable ? 0644 : 0444), r.name)))
		err = -ENOMEM;
	if (!err && r.text.len &&
	    pcache_write(ino->pc, 0, r.text.p, r.text.len) != (long)r.text.len)
		err = -ENOMEM;
	kfree(r.text.p);
	if (err) {
		inode_put(ino);
		return err;
	}
	*out = file_open_inode(ino, flags & ~(unsigned)(O_TRUNC | O_APPEND));
	if (!*out)
		return -ENOMEM;
	(*out)->ops = r.writable ? &procfs_rw_ops : &procfs_ro_ops;
	return 0;
}
