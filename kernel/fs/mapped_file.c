// SPDX-License-Identifier: MIT
/*
 * The seed's MemoryMappedFiles under its names, as kernel entry points for
 * the current process: a shared mapping of a file of the RAM file system,
 * its removal, and msync over it. mmap, munmap and msync are the same
 * operations through Linux's ABI (kernel/proc/sys_mm.c).
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/mapped_file.h"
#include "kernel/proc/proc.h"

/**
 * MapFileToMemory() - map @size bytes of @file from @offset, shared, anywhere
 * @file: a regular file
 * @offset: byte offset, page-aligned
 * @size: bytes
 * @protection: MM_PROT_* (the file is open for reading and writing here)
 *
 * Return: the address, or a negated errno.
 */
long MapFileToMemory(struct inode *file, uint64_t offset, uint64_t size, uint32_t protection)
{
	if (!file || !S_ISREG(file->mode))
		return -ENODEV;
	return as_mmap_file(current()->mm, 0, size, protection, MM_MAP_SHARED, &file->af, offset,
			    AS_FMODE_READ | AS_FMODE_WRITE);
}

/* The length of the file mapping region that starts at @addr, or 0. */
static uint64_t mapping_len(uintptr_t addr, const struct as_file **f)
{
	uint64_t pgoff;
	uintptr_t end = 0;

	*f = as_file_at(current()->mm, addr, &pgoff, &end);
	return *f ? end - addr : 0;
}

/**
 * UnmapFileFromMemory() - remove the file mapping that starts at @addr
 * @addr: what MapFileToMemory() returned
 *
 * Return: true if a file mapping was there and is gone.
 */
bool UnmapFileFromMemory(void *addr)
{
	const struct as_file *f;
	uint64_t len = mapping_len((uintptr_t)addr, &f);

	return len && as_unmap_file(current()->mm, (uintptr_t)addr, len & PAGE_MASK, f) > 0;
}

/**
 * SyncMappedFile() - msync(MS_SYNC) of the file mapping at @addr
 * @addr: what MapFileToMemory() returned
 * @invalidate: MS_INVALIDATE too
 * @size: bytes of it to sync
 *
 * Return: true on success.
 */
bool SyncMappedFile(void *addr, uint64_t size, bool invalidate)
{
	return !as_msync(current()->mm, (uintptr_t)addr, size,
			 MM_MS_SYNC | (invalidate ? MM_MS_INVALIDATE : 0));
}
