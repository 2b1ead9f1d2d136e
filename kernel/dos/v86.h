/* SPDX-License-Identifier: MIT */
/* The calls a DOS box's real-mode program makes (v86_call.c), for the arch's monitor. */
#ifndef KERNEL_DOS_V86_H
#define KERNEL_DOS_V86_H

#include "kernel/task.h"
#include "user/include/memcore/dos.h"

long dos_v86_call(struct task *t, unsigned vector, struct dos_regs *r, uint32_t scratch);

#endif
