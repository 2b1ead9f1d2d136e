/* SPDX-License-Identifier: MIT */
/*
 * The Windows memory API's numbers as the kernel and programs share them:
 * Microsoft's values of MEM_*, PAGE_*, SEC_*, FILE_MAP_*, the error codes
 * the calls report, and the layout of MEMORY_BASIC_INFORMATION. Programs
 * include memcore/win32.h, which adds the Windows types and functions; the
 * kernel includes only this (no libc, fixed-width types only).
 *
 * memcore's Win32 system calls (memcore/syscall.h) return a value >= 0 or
 * a negated Windows error code (ERROR_*), never an errno.
 */
#ifndef MEMCORE_WIN32_ABI_H
#define MEMCORE_WIN32_ABI_H

#include <stdint.h>

/* Allocation types (VirtualAlloc, VirtualFree). */
#define MEM_COMMIT		0x00001000u
#define MEM_RESERVE		0x00002000u
#define MEM_DECOMMIT		0x00004000u
#define MEM_RELEASE		0x00008000u
#define MEM_FREE		0x00010000u	/* VirtualQuery's State */
#define MEM_PRIVATE		0x00020000u	/* VirtualQuery's Type */
#define MEM_MAPPED		0x00040000u
#define MEM_RESET		0x00080000u
#define MEM_TOP_DOWN		0x00100000u
#define MEM_WRITE_WATCH		0x00200000u
#define MEM_PHYSICAL		0x00400000u
#define MEM_RESET_UNDO		0x01000000u
#define MEM_LARGE_PAGES		0x20000000u
#define MEM_IMAGE		0x01000000u	/* VirtualQuery's Type (same bit as MEM_RESET_UNDO) */
#define MEM_COALESCE_PLACEHOLDERS 0x00000001u
#define MEM_PRESERVE_PLACEHOLDER  0x00000002u

/* Page protections: exactly one base value, at most one modifier. */
#define PAGE_NOACCESS		0x001u
#define PAGE_READONLY		0x002u
#define PAGE_READWRITE		0x004u
#define PAGE_WRITECOPY		0x008u
#define PAGE_EXECUTE		0x010u
#define PAGE_EXECUTE_READ	0x020u
#define PAGE_EXECUTE_READWRITE	0x040u
#define PAGE_EXECUTE_WRITECOPY	0x080u
#define PAGE_GUARD		0x100u
#define PAGE_NOCACHE		0x200u
#define PAGE_WRITECOMBINE	0x400u

/* Sections (CreateFileMapping) and views (MapViewOfFile). */
#define SEC_FILE		0x00800000u
#define SEC_IMAGE		0x01000000u
#define SEC_RESERVE		0x04000000u
#define SEC_COMMIT		0x08000000u
#define SEC_NOCACHE		0x10000000u
#define SEC_LARGE_PAGES		0x80000000u
#define FILE_MAP_COPY		0x0001u
#define FILE_MAP_WRITE		0x0002u
#define FILE_MAP_READ		0x0004u
#define FILE_MAP_EXECUTE	0x0020u
#define FILE_MAP_ALL_ACCESS	0x000f001fu

/* Error codes (GetLastError). */
#define ERROR_SUCCESS			0L
#define ERROR_FILE_NOT_FOUND		2L
#define ERROR_ACCESS_DENIED		5L
#define ERROR_INVALID_HANDLE		6L
#define ERROR_BAD_LENGTH		24L
#define ERROR_NOT_SUPPORTED		50L
#define ERROR_NOT_ENOUGH_MEMORY		8L
#define ERROR_OUTOFMEMORY		14L
#define ERROR_INVALID_PARAMETER		87L
#define ERROR_NOT_LOCKED		158L
#define ERROR_BUSY			170L
#define ERROR_ALREADY_EXISTS		183L
#define ERROR_INVALID_ADDRESS		487L
#define ERROR_NOACCESS			998L
#define ERROR_INVALID_FLAGS		1004L
#define ERROR_FILE_INVALID		1006L
#define ERROR_MAPPED_ALIGNMENT		1132L
#define ERROR_PRIVILEGE_NOT_HELD	1314L
#define ERROR_COMMITMENT_LIMIT		1455L

/* Sizes GetSystemInfo reports. */
#define MEMCORE_WIN32_PAGE_SIZE		0x1000u
#define MEMCORE_WIN32_GRANULARITY	0x10000u

/*
 * MEMORY_BASIC_INFORMATION as VirtualQuery fills it (the seed's
 * memory_basic_information): field for field Windows' layout for the
 * width of a pointer (64-bit Windows has PartitionId, 32-bit does not).
 */
struct memory_basic_information {
	uintptr_t base_address;		/* BaseAddress: the page queried, rounded down */
	uintptr_t allocation_base;	/* AllocationBase: VirtualAlloc's base (0 if free) */
	uint32_t allocation_protect;	/* AllocationProtect: PAGE_* it was allocated with */
#if UINTPTR_MAX > 0xffffffffu
	uint16_t partition_id;		/* PartitionId: always 0 */
#endif
	uintptr_t region_size;		/* RegionSize: bytes of alike pages from base_address */
	uint32_t state;			/* State: MEM_COMMIT, MEM_RESERVE or MEM_FREE */
	uint32_t protect;		/* Protect: PAGE_* (0 unless committed) */
	uint32_t type;			/* Type: MEM_PRIVATE, MEM_MAPPED or 0 if free */
};

#endif
