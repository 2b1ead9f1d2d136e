// SPDX-License-Identifier: MIT
/*
 * Loading a static ELF executable from the RAM disk into a fresh address
 * space, and the initial stack the x86_64 System V ABI describes: argc,
 * argv, envp and the auxiliary vector, strings above them.
 */
#include "kernel/dos/box.h"
#include "kernel/fs/fdtable.h"
#include "kernel/fs/file.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "kernel/mutex.h"
#include "mm/vmalloc.h"

#define AT_NULL		0
#define AT_PHDR		3
#define AT_PHENT	4
#define AT_PHNUM	5
#define AT_PAGESZ	6
#define AT_ENTRY	9
#define AT_UID		11
#define AT_EUID		12
#define AT_GID		13
#define AT_EGID		14
#define AT_CLKTCK	17
#define AT_SECURE	23
#define AT_RANDOM	25
#define AT_EXECFN	31
#define AT_MINSIGSTKSZ	51

static uint64_t random_source(void *ctx)
{
	return arch_random();
}

/**
 * proc_as_params() - how every user address space is laid out
 */
struct as_params proc_as_params(void)
{
	return (struct as_params){
		.fmt = kernel_vm.pt.fmt,
		.kernel = &kernel_vm.pt,
		.random = random_source,
		.no_aslr = cmdline_has("norandmaps"),
	};
}

static unsigned mm_prot(unsigned elf_prot)
{
	return (elf_prot & ELF_PROT_READ ? MM_PROT_READ : 0) |
	       (elf_prot & ELF_PROT_WRITE ? MM_PROT_WRITE : 0) |
	       (elf_prot & ELF_PROT_EXEC ? MM_PROT_EXEC : 0);
}

/* end_data - start_data as load_elf_binary() has them (RLIMIT_DATA's brk check). */
static uint64_t data_segment(const struct elf_image *img)
{
	uint64_t start = 0, end = 0;

	for (unsigned i = 0; i < img->nseg; i++) {
		start = MM_MAX(start, img->seg[i].vaddr);
		end = MM_MAX(end, img->seg[i].vaddr + img->seg[i].filesz);
	}
	return end > start ? end - start : 0;
}

/*
 * One segment: its file bytes mapped privately from the file, the rest of
 * the last file page zeroed, anonymous zero pages for the rest (bss).
 */
static long load_segment(struct as *as, const struct elf_segment *s, const struct as_file *file)
{
	uintptr_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
	uintptr_t file_end = ALIGN_UP(s->vaddr + s->filesz, PAGE_SIZE);
	uintptr_t end = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
	unsigned prot = mm_prot(s->prot);
	long r;

	if (s->filesz) {
		r = as_mmap(as, start, file_end - start, prot,
			    MM_MAP_PRIVATE | MM_MAP_FIXED, file, ALIGN_DOWN(s->offset, PAGE_SIZE));
		if (as_is_err(r))
			return r;
		uint64_t tail = file_end - (s->vaddr + s->filesz);
		if (tail && s->memsz > s->filesz && (s->prot & ELF_PROT_WRITE)) {
			static const uint8_t zeros[PAGE_SIZE];
			if (as_copy_out(as, s->vaddr + s->filesz, zeros, tail))
				return -EFAULT;
		}
	} else {
		file_end = start;
	}
	if (end > file_end) {
		r = as_mmap(as, file_end, end - file_end, prot,
			    MM_MAP_PRIVATE | MM_MAP_FIXED | MM_MAP_ANONYMOUS, NULL, 0);
		if (as_is_err(r))
			return r;
	}
	return 0;
}

/*
 * Strings copied in from the caller (user or kernel), packed for the new
 * stack: argv's strings, then envp's, each with its NUL. Linux's limits
 * (bprm_stack_limits(), copy_strings()): all strings and their pointers
 * within a quarter of the stack limit (at least ARG_MAX, at most 6 MiB),
 * each string within MAX_ARG_STRLEN. Most fit the static buffer; larger
 * lists move to a vmalloc()ed one.
 */
struct args {
	char *buf;
	uint64_t used, cap, room;	/* bytes filled, allocated, allowed */
	uint32_t argc, envc;
	char small[ARG_SMALL_BYTES];
};

/* Make @need more bytes storable (within the room): 0 or -ENOMEM. */
static long args_reserve(struct args *a, uint64_t need)
{
	char *big;

	need = MM_MIN(need, a->room - a->used);
	if (a->used + need <= a->cap)
		return 0;
	big = vmalloc(a->room);
	if (!big)
		return -ENOMEM;
	memcpy(big, a->buf, a->used);
	a->buf = big;
	a->cap = a->room;
	return 0;
}

static void args_release(struct args *a)
{
	if (a->buf != a->small)
		vfree(a->buf);
	a->buf = a->small;
	a->cap = sizeof(a->small);
}

static long add_string(struct args *a, const char *s, bool from_user)
{
	uint64_t max = MM_MIN(ARG_MAX_STRLEN, a->room - a->used);
	int64_t len;
	long r;

	if (!max)
		return -E2BIG;
	if (from_user) {
		/* Into what is left of the buffer; if that is too short, a bigger one and again. */
		uint64_t fits = MM_MIN(max, a->cap - a->used);

		len = fits ? strncpy_from_user(a->buf + a->used, (uintptr_t)s, fits) : -ENAMETOOLONG;
		if (len == -ENAMETOOLONG && fits < max) {
			if ((r = args_reserve(a, max)))
				return r;
			len = strncpy_from_user(a->buf + a->used, (uintptr_t)s, max);
		}
		if (len == -ENAMETOOLONG)
			return -E2BIG;
		if (len < 0)
			return len;
	} else {
		len = strlen(s);
		if ((uint64_t)len >= max)
			return -E2BIG;
		if ((r = args_reserve(a, len + 1)))
			return r;
		memcpy(a->buf + a->used, s, len + 1);
	}
	a->used += len + 1;
	return 0;
}

/* Entry @i of the NULL-terminated vector @v (user or kernel): 0 or -EFAULT. */
static long vector_entry(char *const *v, uint64_t i, bool from_user, uint64_t *p)
{
	if (!v) {
		*p = 0;
		return 0;
	}
	if (from_user) {
		uintptr_t u;	/* a user pointer is as wide as the kernel's */
		if (copy_from_user(&u, (uintptr_t)(v + i), sizeof(u)))
			return -EFAULT;
		*p = u;
		return 0;
	}
	*p = (uintptr_t)v[i];
	return 0;
}

/* Strings in @v, at most @max (more: -E2BIG). */
static long count_vector(char *const *v, bool from_user, uint64_t max, uint32_t *count)
{
	uint64_t p = 0;

	for (uint64_t i = 0;; i++) {
		if (vector_entry(v, i, from_user, &p))
			return -EFAULT;
		if (!p) {
			*count = (uint32_t)i;
			return 0;
		}
		if (i >= max)
			return -E2BIG;
	}
}

static long add_vector(struct args *a, char *const *v, bool from_user, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		uint64_t p;
		long r = vector_entry(v, i, from_user, &p);

		if (!r && !p)
			r = -EFAULT;	/* the vector changed under us */
		if (r || (r = add_string(a, (const char *)(uintptr_t)p, from_user)))
			return r;
	}
	return 0;
}

/* Count, check against the limits and copy argv and envp into @a. */
static long gather_args(struct args *a, const char *path, char *const *argv,
			char *const *envp, bool from_user, uint64_t stack_limit)
{
	uint64_t limit = MM_MAX(MM_MIN(ARG_STACK_MAX, stack_limit / 4), ARG_MAX_BYTES);
	uint64_t ptrs;
	long r;

	a->buf = a->small;
	a->cap = sizeof(a->small);
	a->used = 0;
	if ((r = count_vector(argv, from_user, limit / sizeof(uintptr_t), &a->argc)) ||
	    (r = count_vector(envp, from_user, limit / sizeof(uintptr_t), &a->envc)))
		return r;
	ptrs = ((uint64_t)MM_MAX(a->argc, 1u) + a->envc) * sizeof(uintptr_t);
	if (limit <= ptrs + strlen(path) + 1)
		return -E2BIG;
	a->room = limit - ptrs - (strlen(path) + 1);	/* Linux copies the path there too */
	if ((r = add_vector(a, argv, from_user, a->argc)))
		return r;
	return add_vector(a, envp, from_user, a->envc);
}

static long push(struct as *as, uintptr_t *sp, const void *data, uint64_t len)
{
	*sp -= len;
	return as_copy_out(as, *sp, data, len) ? -EFAULT : 0;
}

/*
 * Builds the initial stack below as->stack_top; returns the new stack
 * pointer or -errno (as_is_err(): with 32-bit longs a stack address is
 * negative). Its words (argc, pointers, auxv) are the program's
 * word size, which is the kernel's: 8 bytes on x86_64, 4 on i386.
 */
static long build_stack(struct as *as, const struct args *a, const struct elf_image *img)
{
	uintptr_t sp = as->stack_top, strings;
	uint64_t rnd[2] = { arch_random(), arch_random() };
	long r;

	if ((r = push(as, &sp, a->buf, a->used)))
		return r;
	strings = sp;
	if ((r = push(as, &sp, rnd, sizeof(rnd))))
		return r;
	uintptr_t at_random = sp;
	uintptr_t auxv[] = {
		AT_PHDR, img->phdr_vaddr, AT_PHENT, img->phentsize, AT_PHNUM, img->phnum,
		AT_PAGESZ, PAGE_SIZE, AT_ENTRY, img->entry, AT_UID, 0, AT_EUID, 0, AT_GID, 0,
		AT_EGID, 0, AT_CLKTCK, TIMER_HZ, AT_SECURE, 0, AT_RANDOM, at_random,
		AT_EXECFN, strings, AT_MINSIGSTKSZ, fpu_sigstack_min(), AT_NULL, 0,
	};
	uint64_t words = 1 + a->argc + 1 + a->envc + 1 + ARRAY_LEN(auxv);
	sp = ALIGN_DOWN(sp - words * sizeof(uintptr_t), 16);	/* argc lands 16-byte aligned */
	uintptr_t p = sp;
	uintptr_t word = a->argc;
	if (as_copy_out(as, p, &word, sizeof(word)))
		return -EFAULT;
	p += sizeof(word);
	/* argv pointers, NULL, envp pointers, NULL; the strings lie end to end. */
	uint64_t at = 0;
	for (uint32_t i = 0; i <= a->argc + a->envc + 1; i++, p += sizeof(word)) {
		if (i == a->argc || i == a->argc + a->envc + 1) {
			word = 0;
		} else {
			word = strings + at;
			at += strlen(a->buf + at) + 1;
		}
		if (as_copy_out(as, p, &word, sizeof(word)))
			return -EFAULT;
	}
	if (as_copy_out(as, p, auxv, sizeof(auxv)))
		return -EFAULT;
	return sp;
}

/* Makes sure the space has its main stack region below stack_top. */
static long ensure_stack(struct as *as)
{
	struct as_stats st;

	as_get_stats(as, &st);
	if (st.stack)
		return 0;
	long r = as_mmap(as, as->stack_top - AS_STACK_INITIAL, AS_STACK_INITIAL,
			 MM_PROT_READ | MM_PROT_WRITE,
			 MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | MM_MAP_FIXED | MM_MAP_GROWSDOWN,
			 NULL, 0);
	return as_is_err(r) ? r : 0;
}

/* The first page of an executable: its ELF and program headers. */
static uint8_t exec_head[PAGE_SIZE];

/**
 * exec_into() - build a process image of @ino in the empty space @as
 * @as: a fresh address space
 * @ino: the executable (a regular file of the RAM file system)
 * @a: its arguments and environment
 * @entry: set to the entry point
 * @sp: set to the initial stack pointer
 *
 * The headers are parsed from the file's first page (the program headers
 * must lie within it, as every linker puts them); the segments are mapped
 * privately from the file's page cache.
 *
 * Return: 0 or -errno; on failure @as holds a partial image (destroy it).
 */
static long exec_into(struct as *as, struct inode *ino, const struct args *a,
		      uint64_t *entry, uint64_t *sp)
{
	uint64_t size = pcache_size(ino->pc);
	long head = pcache_read(ino->pc, 0, exec_head, sizeof(exec_head));
	struct elf_image img;
	const char *why;
	long r;

	memset(exec_head + head, 0, sizeof(exec_head) - head);
	r = elf_parse_kind(exec_head, head, size, AS_TASK_SIZE, ARCH_ELF_KIND, &img, &why);
	if (r) {
		kprintf("exec: %s: %s\n", ino->name, why);
		return r;
	}
	for (unsigned i = 0; i < img.nseg; i++)
		if ((r = load_segment(as, &img.seg[i], &ino->af)))
			return r;
	as->lim.data_seg = data_segment(&img);
	if ((r = as_set_brk_base(as, img.end)) || (r = ensure_stack(as)))
		return r;
	long top = build_stack(as, a, &img);
	if (as_is_err(top))
		return top;
	*entry = img.entry;
	*sp = top;
	return 0;
}

/*
 * One exec's strings at a time: copying them in may sleep (a swapped page
 * read from a disk), and other CPUs exec too.
 */
static struct args exec_args;
static struct kmutex exec_args_lock;

/**
 * load_image() - give @t a new address space holding @path
 * @t: the task (its current space, if any, is kept on failure)
 * @path: the executable on the RAM disk
 * @argv: arguments
 * @envp: environment
 * @from_user: @argv and @envp (and their strings) are user pointers
 *
 * Return: 0 or -errno.
 */
long load_image(struct task *t, const char *path, char *const *argv, char *const *envp,
		bool from_user)
{
	struct inode *ino;
	struct as *new_as;
	uint64_t entry, sp;
	long r = fs_lookup(path, &ino);

	if (r)
		return r;
	if (!S_ISREG(ino->mode)) {
		inode_put(ino);
		return -EACCES;
	}
	new_as = as_alloc();
	if (!new_as) {
		inode_put(ino);
		return -ENOMEM;
	}
	struct args *a = &exec_args;
	uint64_t stack_limit = t->mm ? t->mm->stack_limit : AS_STACK_LIMIT_DEFAULT;
	kmutex_lock(&exec_args_lock);
	if ((r = gather_args(a, path, argv, envp, from_user, stack_limit)))
		goto fail;
	struct as_params params = proc_as_params();
	if ((r = as_init(new_as, &params)))
		goto fail;
	rlimits_apply(t, new_as);	/* the process's limits outlive its image */
	if ((r = exec_into(new_as, ino, a, &entry, &sp))) {
		as_destroy(new_as);
		goto fail;
	}
	args_release(a);
	kmutex_unlock(&exec_args_lock);
	struct as *old = task_set_mm(t, new_as);
	if (t == current())
		as_activate(new_as);
	dos_box_release(t);		/* the new image is not a DOS box */
	if (old) {
		futex_release_robust(t, old);	/* past the point of no return, as Linux */
		mm_put(old);		/* a vfork parent or other threads may still use it */
	}
	const char *base = path;
	for (const char *p = path; *p; p++)
		if (*p == '/')
			base = p + 1;
	strlcpy(t->name, base, sizeof(t->name));
	inode_put(ino);
	trap_frame_init_user(t->frame, entry, sp);
	fpu_init_state(t->fpu);
	t->fs_base = 0;
	t->pkru = ARCH_PKRU_INIT;	/* Linux resets PKRU on exec */
	if (t == current()) {
		fpu_restore(t->fpu);
		arch_tls_load(0);
		arch_pkru_write(t->pkru);
	}
	return 0;
fail:
	args_release(a);
	kmutex_unlock(&exec_args_lock);
	as_free(new_as);
	inode_put(ino);
	return r;
}

static long sys_execve(uint64_t upath, uint64_t argv, uint64_t envp, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	char path[256];
	int64_t len = strncpy_from_user(path, upath, sizeof(path));

	if (len < 0)
		return len;
	struct task *t = current();
	long r = load_image(t, path, (char *const *)(uintptr_t)argv, (char *const *)(uintptr_t)envp, true);
	if (r)
		return r;
	signal_exec(t);
	cred_exec(t->group);
	vfork_release(t);
	if ((r = proc_kill_other_threads()))
		return r;		/* killed meanwhile: dies on the way out */
	if (t->files->refs > 1) {	/* shared (CLONE_FILES without a thread group): unshare */
		struct files *own = files_copy(t->files);
		if (!own)
			proc_kill(t, SIGKILL);	/* past the point of no return, as Linux */
		files_put(task_set_files(t, own));
	}
	files_close_on_exec(t->files);
	t->clear_child_tid = 0;
	return 0;
}
SYSCALL_DEFINE(SYS_execve, execve, sys_execve);
