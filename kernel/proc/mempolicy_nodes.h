/* SPDX-License-Identifier: MIT */
/*
 * Node masks as the NUMA calls read them from user space (sys_mempolicy.c):
 * set_mempolicy, mbind and migrate_pages share one parser.
 */
#ifndef KERNEL_PROC_MEMPOLICY_NODES_H
#define KERNEL_PROC_MEMPOLICY_NODES_H

#include "mm/types.h"

#define MAX_NUMNODES		1024		/* Linux x86_64's (CONFIG_NODES_SHIFT 10) */
#define MPOL_MASK_WORDS		(MAX_NUMNODES / 64)

/*
 * Linux's get_nodes(): the first @maxnode - 1 bits of the mask at @umask
 * into @mask (all zero for a NULL mask or maxnode 0 or 1).
 * Return: 0, -EINVAL (too long, or bits set beyond MAX_NUMNODES), -EFAULT.
 */
int mpol_get_nodes(uint64_t mask[MPOL_MASK_WORDS], uint64_t umask, uint64_t maxnode);

#endif
