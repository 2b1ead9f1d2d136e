// SPDX-License-Identifier: MIT
/*
 * The shell's `mem PID`: a DOS box's memory as MS-DOS's MEM /C shows it
 * (kernel/dos/mem_report.c). `mem` alone lists the DOS boxes.
 */
#include <stdarg.h>

#include "kernel/dos/box.h"
#include "kernel/kernel.h"
#include "kernel/shell.h"

static void __attribute__((format(printf, 2, 3))) print(void *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

static int cmd_mem(int argc, char **argv)
{
	uint64_t pid;
	struct task *t;
	bool any = false;

	if (argc < 2) {
		list_for_each(n, &all_tasks) {
			struct task *d = list_entry(n, struct task, all_node);
			if (d->dos) {
				kprintf("  pid %d (%s) is a DOS box\n", d->pid, d->name);
				any = true;
			}
		}
		if (!any)
			kprintf("no DOS boxes; usage: mem PID\n");
		return 0;
	}
	t = parse_u64(argv[1], &pid) ? task_by_pid((int)pid) : NULL;
	if (!t || !t->dos) {
		task_put(t);
		kprintf("mem: %s is not a DOS box\n", argv[1]);
		return 1;
	}
	kprintf("DOS box of pid %d (%s)\n\n", t->pid, t->name);
	dos_box_report(t, print, NULL);
	task_put(t);
	return 0;
}
SHELL_COMMAND(mem, "a DOS box's memory, as MEM /C shows it: mem PID", cmd_mem);
