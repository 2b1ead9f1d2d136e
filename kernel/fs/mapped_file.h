/* SPDX-License-Identifier: MIT */
/* The seed's MemoryMappedFiles names (kernel/fs/mapped_file.c). */
#ifndef KERNEL_FS_MAPPED_FILE_H
#define KERNEL_FS_MAPPED_FILE_H

#include "kernel/fs/ramfs.h"

long MapFileToMemory(struct inode *file, uint64_t offset, uint64_t size, uint32_t protection);
bool UnmapFileFromMemory(void *addr);
bool SyncMappedFile(void *addr, uint64_t size, bool invalidate);

#endif
