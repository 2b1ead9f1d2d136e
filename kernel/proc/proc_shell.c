// SPDX-License-Identifier: MIT
/*
 * Processes from the shell: run, ps, pagemap PID, memstat PID; and the
 * user-program test mode, which runs every test program on the RAM disk
 * and checks that each one gives back every frame it used.
 */
#include "memlayout.h"
#include "kernel/fs/file.h"
#include "kernel/kernel.h"
#include "kernel/heap.h"
#include "kernel/proc/proc.h"
#include "kernel/shell.h"
#include "mm/commit.h"
#include "mm/heap.h"
#include "mm/pmm.h"

static void print_status(const char *name, int status)
{
	if (status & 0x7f)
		kprintf("%s killed by signal %d\n", name, status & 0x7f);
	else
		kprintf("%s exited with status %d\n", name, (status >> 8) & 0xff);
}

static unsigned background;	/* jobs started with `run ... &` and not yet waited for */

/* `run PROG ARGS &`: start it as the shell's child and return at once. */
static int run_background(int argc, char **argv)
{
	long err;
	struct task *t;

	argv[argc - 1] = NULL;
	t = proc_spawn(argv[1], (const char *const *)argv + 1, current(), &err);
	if (!t) {
		kprintf("run: cannot start %s: error %ld\n", argv[1], -err);
		return 1;
	}
	background++;			/* a zombie until `wait`: the pid stays ours */
	kprintf("[%d] %s\n", t->pid, argv[1]);
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	if (argc < 2 || (argc == 2 && !strcmp(argv[1], "&"))) {
		kprintf("usage: run PROGRAM [ARGS...] [&]\n");
		return 1;
	}
	if (!strcmp(argv[argc - 1], "&"))
		return run_background(argc, argv);
	uint64_t before = free_frames_settled();
	int status = proc_run_and_wait(argv[1], (const char *const *)argv + 1);
	if (status < 0)
		return 1;
	print_status(argv[1], status);
	uint64_t after = free_frames_settled();
	if (after != before && !background)	/* a background job may hold frames */
		kprintf("run: %ld frames not returned\n", (long)(before - after));
	return (status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
}
SHELL_COMMAND(run, "run a program from the RAM disk: run PROG [ARGS] [&]", cmd_run);

/* `wait`: wait for every background job and say how each ended. */
static int cmd_wait(int argc, char **argv)
{
	int status;
	long pid;
	char name[16];

	(void)argc;
	(void)argv;
	while (background) {
		pid = proc_wait(-1, &status, 0);
		if (pid <= 0)
			break;
		background--;
		ksnprintf(name, sizeof(name), "[%ld]", pid);
		print_status(name, status);
	}
	background = 0;
	return 0;
}
SHELL_COMMAND(wait, "wait for the jobs started with run ... &", cmd_wait);

static const char *state_name(enum task_state s)
{
	static const char *const names[] = { "-", "run", "sleep", "zombie" };
	return names[s];
}

static int cmd_ps(int argc, char **argv)
{
	kprintf("  %5s %5s %5s %-7s %3s %10s %10s %5s  %s\n", "pid", "tid", "ppid", "state",
		"cpu", "rss", "vsize", "maps", "name");
	list_for_each(n, &all_tasks) {
		struct task *t = list_entry(n, struct task, all_node);
		struct task *leader = t->group ? t->group->leader : t;
		struct as_stats st = { 0 };
		if (t->mm)
			as_get_stats(t->mm, &st);
		uint64_t rss = st.rss * PAGE_SIZE;
		kprintf("  %5d %5d %5d %-7s %3u %10pB %10pB %5" PRIu64 "  %s%s\n", t->tgid, t->pid,
			leader->parent ? leader->parent->tgid : 0, state_name(t->state),
			t->last_cpu, &rss, &st.vsize, st.regions, t->name,
			!t->group ? " [kernel]" : task_is_leader(t) ? "" : " [thread]");
	}
	kprintf("  %u tasks\n", task_count());
	return 0;
}
SHELL_COMMAND(ps, "tasks (every thread) with the CPU each ran on last and their sizes",
	      cmd_ps);

static int print_region(const struct as_region_info *ri, void *ctx)
{
	uint64_t size = ri->end - ri->start, res = ri->resident * PAGE_SIZE;

	kprintf("  %012" PRIxPTR "-%012" PRIxPTR " %10pB %c%c%c%c %10pB resident  %s\n", ri->start, ri->end, &size,
		ri->prot & MM_PROT_READ ? 'r' : '-', ri->prot & MM_PROT_WRITE ? 'w' : '-',
		ri->prot & MM_PROT_EXEC ? 'x' : '-', (ri->backing == AS_ANON_SHARED || ri->backing == AS_FILE_SHARED) ? 's' : 'p',
		&res, ri->name);
	return 0;
}

static struct task *user_task(const char *arg)
{
	uint64_t pid;
	struct task *t = parse_u64(arg, &pid) ? task_by_pid((int)pid) : NULL;

	if (!t || !t->mm) {
		task_put(t);
		kprintf("no process %s\n", arg);
		return NULL;
	}
	return t;	/* referenced: task_put() */
}

/* pagemap PID: the process's regions, then its page-table mappings. */
void pagemap_process(const char *arg)
{
	struct task *t = user_task(arg);

	if (!t)
		return;
	kprintf("pid %d (%s) regions:\n", t->pid, t->name);
	as_for_each_region(t->mm, print_region, NULL);
	kprintf("pid %d (%s) page tables (user half):\n", t->pid, t->name);
	unsigned long fl = read_lock_irqsave(&t->mm->lock);	/* no table freed meanwhile */
	pagemap_print_range(&t->mm->vs, 0, USER_SPACE_END);
	read_unlock_irqrestore(&t->mm->lock, fl);
	task_put(t);
}

void memstat_process(const char *arg)
{
	struct task *t = user_task(arg);
	struct as_stats st;

	if (!t)
		return;
	as_get_stats(t->mm, &st);
	uint64_t rss = st.rss * PAGE_SIZE, tables = st.table_pages * PAGE_SIZE;
	kprintf("pid %d (%s): virtual %pB in %" PRIu64 " regions, resident %pB, heap %pB, stack %pB, "
		"page tables %pB\n", t->pid, t->name, &st.vsize, st.regions, &rss, &st.heap,
		&st.stack, &tables);
	task_put(t);
}

/* --- usertest: every /t_* program on the RAM disk, with a frame check -------------- */

static int compare_names(const struct initrd_file *a, const struct initrd_file *b)
{
	return strcmp(a->name, b->name);
}

/**
 * run_user_tests() - run each test program, reporting status and leaks
 *
 * Each program's own TAP output appears between two marker lines, which
 * the host driver parses:
 *   # usertest: start /t_name
 *   # usertest: end /t_name status S leaked L
 *   # usertest: commit /t_name C
 * (C: committed pages not given back, mm/commit.h).
 * Return: the number of programs that failed (nonzero status or leak).
 */
int run_user_tests(void)
{
	const struct initrd_file *list[INITRD_MAX_FILES];
	unsigned n = 0, failed = 0;

	for (unsigned i = 0; root_fs && i < root_fs->count; i++)
		if (!strncmp(root_fs->file[i].name, "/t_", 3))
			list[n++] = &root_fs->file[i];
	for (unsigned i = 1; i < n; i++)	/* insertion sort: a few dozen names */
		for (unsigned j = i; j > 0 && compare_names(list[j - 1], list[j]) > 0; j--) {
			const struct initrd_file *tmp = list[j];
			list[j] = list[j - 1];
			list[j - 1] = tmp;
		}
	kprintf("# usertest: %u programs\n", n);
	for (unsigned i = 0; i < n; i++) {
		const char *argv[] = { list[i]->name, NULL };
		uint64_t before = free_frames_settled(), committed = vm_committed_pages();
		kprintf("# usertest: start %s\n", list[i]->name);
		int status = proc_run_and_wait(list[i]->name, argv);
		long leaked = (long)(before - free_frames_settled());
		long kept = (long)(vm_committed_pages() - committed);
		kprintf("# usertest: end %s status %d leaked %ld\n", list[i]->name, status, leaked);
		kprintf("# usertest: commit %s %ld\n", list[i]->name, kept);
		failed += status != 0 || leaked != 0 || kept != 0;
	}
	return failed;
}
