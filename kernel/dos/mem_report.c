// SPDX-License-Identifier: MIT
/*
 * A DOS box's memory as MS-DOS's MEM /C shows it: totals by type
 * (conventional, upper, HMA, XMS, EMS), the largest free blocks, then the
 * MCB chain with each block's owner. Portable: it prints through a
 * callback (the shell's `mem PID`, the host tests).
 */
#include "kernel/dos/dosmem.h"

struct report {
	dos_print_fn print;
	void *ctx;
	unsigned blocks;
};

static void row(struct report *rp, const char *type, uint32_t total, uint32_t free)
{
	rp->print(rp->ctx, "  %-14s %8uK %8uK %8uK\n", type, total / 1024, (total - free) / 1024,
		  free / 1024);
}

static int block(const struct dos_mcb_info *m, void *ctx)
{
	struct report *rp = ctx;
	char name[9];
	const char *kind = m->owner == DOS_OWNER_FREE ? "free" :
			   m->owner == DOS_OWNER_SYSTEM ? "system" : "program";
	unsigned i;

	for (i = 0; i < 8 && m->name[i]; i++)
		name[i] = m->name[i] >= 0x20 && m->name[i] < 0x7f ? m->name[i] : '?';
	name[i] = 0;
	rp->print(rp->ctx, "  %04x   %c    %04x  %9u  %-8s %-7s %s\n", m->seg, m->type, m->owner,
		  m->paras * 16u, m->owner == DOS_OWNER_FREE ? "" : name, kind,
		  m->high ? "upper" : "conventional");
	rp->blocks++;
	return 0;
}

/**
 * dos_mem_report() - print @b's memory like MEM /C
 * @b: the box
 * @print: printf-like output
 * @ctx: for @print
 */
void dos_mem_report(struct dos_box *b, dos_print_fn print, void *ctx)
{
	struct report rp = { print, ctx, 0 };
	struct dos_totals t;

	dos_box_totals(b, &t);
	print(ctx, "  %-14s %9s %9s %9s\n", "Memory Type", "Total", "Used", "Free");
	print(ctx, "  %-14s %9s %9s %9s\n", "--------------", "--------", "--------", "--------");
	row(&rp, "Conventional", t.conv_total, t.conv_free);
	row(&rp, "Upper", t.umb_total, t.umb_free);
	row(&rp, "HMA", 64 * 1024, t.hma_used ? 0 : 64 * 1024);
	row(&rp, "XMS", t.xms_total_kb * 1024, t.xms_free_kb * 1024);
	row(&rp, "EMS", t.ems_total_pages * 16384, t.ems_free_pages * 16384);
	print(ctx, "\n  Largest executable program size   %7uK (%u bytes)\n", t.conv_largest / 1024,
	      t.conv_largest);
	print(ctx, "  Largest free upper memory block   %7uK (%u bytes)\n", t.umb_largest / 1024,
	      t.umb_largest);
	print(ctx, "  HMA %s, A20 %s; %u XMS handles, %u EMS handles in use\n",
	      t.hma_used ? "in use" : "available", t.a20 ? "on" : "off", t.xms_handles,
	      t.ems_handles);
	print(ctx, "  EMS maps %u, page-table entries written %u, TLB flushes %u, bytes copied %u\n\n",
	      (unsigned)b->info.ems_maps, (unsigned)b->info.ems_pte_writes,
	      (unsigned)b->info.ems_tlb_flushes, (unsigned)b->info.ems_copies);
	print(ctx, "  %-6s %-4s %-5s %9s  %-8s %-7s %s\n", "MCB", "Type", "Owner", "Size", "Name",
	      "Kind", "Area");
	if (dos_mcb_walk(b, block, &rp) == -DOS_E_MCB_DESTROYED)
		print(ctx, "  Memory control blocks destroyed after %u blocks (error 7)\n", rp.blocks);
}
