/* SPDX-License-Identifier: MIT */
/* DOS boxes of processes (box.c): creation, calls, release, figures. */
#ifndef KERNEL_DOS_BOX_H
#define KERNEL_DOS_BOX_H

#include "kernel/dos/dosmem.h"
#include "kernel/task.h"
#include "user/include/memcore/syscall.h"

long dos_box_create(struct task *t, const struct dos_config *cfg);
void dos_box_release(struct task *t);
long dos_box_call(struct task *t, unsigned vector, struct dos_regs *r);
long dos_box_stats(struct task *t, struct dos_info *info, struct dos_totals *tot);
long dos_box_report(struct task *t, dos_print_fn print, void *ctx);
long dos_box_walk(struct task *t, dos_mcb_fn fn, void *ctx);
void **dos_box_v86_slot(struct task *t);

#endif
