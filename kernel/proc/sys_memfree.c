// SPDX-License-Identifier: MIT
/*
 * memcore's free_frames call: the number of free physical frames once the
 * heap's and the frame allocator's caches are given back, the figure the
 * usertest leak check compares. A program (the guest fuzzer) reads it
 * before a fork and after reaping the child: the two must be equal.
 */
#include "kernel/heap.h"
#include "kernel/proc/syscall.h"

static long sys_free_frames(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			    uint64_t a5)
{
	return (long)free_frames_settled();
}
SYSCALL_DEFINE(MEMCORE_SYS_free_frames, free_frames, sys_free_frames);
