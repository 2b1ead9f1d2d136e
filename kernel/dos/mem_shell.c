// SPDX-License-Identifier: MIT
/*
 * The shell's `mem PID`: a DOS box's memory as MS-DOS's MEM /C shows it,
 * totals by type (conventional, upper, HMA, XMS, EMS), then the MCB chain
 * with each block's owner. `mem` alone lists the DOS boxes.
 */
#include "kernel/dos/box.h"
#include "kernel/kernel.h"
#include "kernel/shell.h"

static void kb_row(const char *type, uint32_t total, uint32_t free)
{
	kprintf("  %-14s %8uK %8uK %8uK\n", type, total / 1024, (total - free) / 1024, free / 1024);
}

static int print_block(const struct dos_mcb_info *m, void *ctx)
{
	char name[9];
	const char *kind = m->owner == DOS_OWNER_FREE ? "free" :
			   m->owner == DOS_OWNER_SYSTEM ? "system" : "program";

	for (unsigned i = 0; i < 9; i++)
		name[i] = m->name[i] >= 0x20 && m->name[i] < 0x7f ? m->name[i] : (i < 8 && m->name[i] ? '?' : 0);
	kprintf("  %04x   %c    %04x  %8u  %-8s %-7s %s\n", m->seg, m->type, m->owner,
		m->paras * 16u, m->owner == DOS_OWNER_FREE ? "" : name, kind,
		m->high ? "upper" : "conventional");
	(*(unsigned *)ctx)++;
	return 0;
}

static void show(struct task *t)
{
	struct dos_totals tot;
	struct dos_info info;
	unsigned blocks = 0;
	long r;

	dos_box_stats(t, &info, &tot);
	kprintf("DOS box of pid %d (%s)\n\n", t->pid, t->name);
	kprintf("  %-14s %9s %9s %9s\n", "Memory Type", "Total", "Used", "Free");
	kprintf("  %-14s %9s %9s %9s\n", "--------------", "--------", "--------", "--------");
	kb_row("Conventional", tot.conv_total, tot.conv_free);
	kb_row("Upper", tot.umb_total, tot.umb_free);
	kb_row("HMA", 64 * 1024, tot.hma_used ? 0 : 64 * 1024);
	kb_row("XMS", tot.xms_total_kb * 1024, tot.xms_free_kb * 1024);
	kb_row("EMS", tot.ems_total_pages * 16384, tot.ems_free_pages * 16384);
	kprintf("\n  Largest executable program size   %7uK (%u bytes)\n",
		tot.conv_largest / 1024, tot.conv_largest);
	kprintf("  Largest free upper memory block   %7uK (%u bytes)\n",
		tot.umb_largest / 1024, tot.umb_largest);
	kprintf("  HMA %s, A20 %s; %u XMS handles, %u EMS handles in use\n",
		tot.hma_used ? "in use" : "available", tot.a20 ? "on" : "off", tot.xms_handles,
		tot.ems_handles);
	kprintf("  EMS maps: %lu, page-table entries written: %lu, TLB flushes: %lu, bytes copied: %lu\n\n",
		(unsigned long)info.ems_maps, (unsigned long)info.ems_pte_writes,
		(unsigned long)info.ems_tlb_flushes, (unsigned long)info.ems_copies);
	kprintf("  %-6s %-4s %-5s %9s  %-8s %-7s %s\n", "MCB", "Type", "Owner", "Size", "Name",
		"Kind", "Area");
	r = dos_box_walk(t, print_block, &blocks);
	if (r == -DOS_E_MCB_DESTROYED)
		kprintf("  Memory control blocks destroyed after %u blocks (error 7)\n", blocks);
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
		kprintf("mem: %s is not a DOS box\n", argv[1]);
		return 1;
	}
	show(t);
	return 0;
}
SHELL_COMMAND(mem, "a DOS box's memory, as MEM /C shows it: mem PID", cmd_mem);
