/* SPDX-License-Identifier: MIT */
/* Futexes: waiting on a user word and waking its waiters (futex.c). */
#ifndef KERNEL_PROC_FUTEX_H
#define KERNEL_PROC_FUTEX_H

#include <stdbool.h>
#include <stdint.h>

struct as;

void futex_init(void);
struct task;
/* @t exits, or execs (@as: the old image): its robust locks get FUTEX_OWNER_DIED (futex_robust.c). */
void futex_release_robust(struct task *t, struct as *as);
/* Wakes up to @nr waiters on the word at @uaddr of @as; returns how many or -errno. */
long futex_wake(struct as *as, uint64_t uaddr, int nr, bool private);

#endif
