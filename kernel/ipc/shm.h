/* SPDX-License-Identifier: MIT */
/*
 * System V shared memory (kernel/ipc/shm.c) under the seed's names, the
 * kernel's entry points; shmget/shmat/shmdt/shmctl are built on them.
 */
#ifndef KERNEL_IPC_SHM_H
#define KERNEL_IPC_SHM_H

#include "kernel/lib.h"
#include "mm/as.h"

long shm_get(int key, uint64_t size, unsigned flags);
long CreateSharedMemory(uint32_t size, uint32_t permissions);
long MapSharedMemoryToProcess(struct as *space, uint32_t shm_id, uintptr_t virtual_addr,
			      unsigned flags);
long UnmapSharedMemoryFromProcess(struct as *space, uintptr_t addr);
long DestroySharedMemory(uint32_t shm_id);
uint64_t GetSharedMemorySize(uint32_t shm_id);

#endif
