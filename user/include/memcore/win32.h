/* SPDX-License-Identifier: MIT */
/*
 * The Windows memory API for programs on memcore (seed 003): Win32's types,
 * constants and exact signatures over memcore's system calls (virtual
 * memory), a user-space heap manager (as Windows keeps its heaps in the
 * process), sections over files and shared memory, and vectored exception
 * handlers for access and guard-page violations. docs/win32.md lists where
 * it differs from Windows.
 *
 *   musl-gcc -static -I user/include prog.c build/user/libmemcore.a
 */
#ifndef MEMCORE_WIN32_H
#define MEMCORE_WIN32_H

#include <stddef.h>
#include <stdint.h>

#include "memcore/win32_abi.h"

#define WINAPI
#define CALLBACK
#define TRUE	1
#define FALSE	0

typedef int BOOL;
typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD, *PDWORD, *LPDWORD;
typedef int32_t LONG;
typedef uint32_t ULONG, *PULONG, UINT;
typedef uintptr_t ULONG_PTR, *PULONG_PTR, DWORD_PTR, SIZE_T, *PSIZE_T;
typedef void VOID, *PVOID, *LPVOID;
typedef const void *LPCVOID;
typedef void *HANDLE, **PHANDLE;
typedef const char *LPCSTR;
typedef char CHAR;

#define INVALID_HANDLE_VALUE	((HANDLE)(intptr_t)-1)

/* VirtualQuery's answer: Windows' field names over the ABI layout. */
typedef struct _MEMORY_BASIC_INFORMATION {
	PVOID BaseAddress;
	PVOID AllocationBase;
	DWORD AllocationProtect;
#if UINTPTR_MAX > 0xffffffffu
	WORD PartitionId;
#endif
	SIZE_T RegionSize;
	DWORD State;
	DWORD Protect;
	DWORD Type;
} MEMORY_BASIC_INFORMATION, *PMEMORY_BASIC_INFORMATION;

_Static_assert(sizeof(MEMORY_BASIC_INFORMATION) == sizeof(struct memory_basic_information),
	       "MEMORY_BASIC_INFORMATION is the ABI's layout");
_Static_assert(offsetof(MEMORY_BASIC_INFORMATION, Type) ==
	       offsetof(struct memory_basic_information, type), "and field for field");

#define PROCESSOR_ARCHITECTURE_INTEL	0
#define PROCESSOR_ARCHITECTURE_AMD64	9
#define PROCESSOR_INTEL_PENTIUM		586
#define PROCESSOR_AMD_X8664		8664

typedef struct _SYSTEM_INFO {
	union {
		DWORD dwOemId;
		struct {
			WORD wProcessorArchitecture;
			WORD wReserved;
		};
	};
	DWORD dwPageSize;
	LPVOID lpMinimumApplicationAddress;
	LPVOID lpMaximumApplicationAddress;
	DWORD_PTR dwActiveProcessorMask;
	DWORD dwNumberOfProcessors;
	DWORD dwProcessorType;
	DWORD dwAllocationGranularity;
	WORD wProcessorLevel;
	WORD wProcessorRevision;
} SYSTEM_INFO, *LPSYSTEM_INFO;

/* Heaps. */
#define HEAP_NO_SERIALIZE		0x00000001u
#define HEAP_GROWABLE			0x00000002u
#define HEAP_GENERATE_EXCEPTIONS	0x00000004u
#define HEAP_ZERO_MEMORY		0x00000008u
#define HEAP_REALLOC_IN_PLACE_ONLY	0x00000010u
#define HEAP_CREATE_ENABLE_EXECUTE	0x00040000u

#define PROCESS_HEAP_REGION		0x0001
#define PROCESS_HEAP_UNCOMMITTED_RANGE	0x0002
#define PROCESS_HEAP_ENTRY_BUSY		0x0004
#define PROCESS_HEAP_ENTRY_MOVEABLE	0x0010
#define PROCESS_HEAP_ENTRY_DDESHARE	0x0020

typedef struct _PROCESS_HEAP_ENTRY {
	PVOID lpData;
	DWORD cbData;
	BYTE cbOverhead;
	BYTE iRegionIndex;
	WORD wFlags;
	union {
		struct {
			HANDLE hMem;
			DWORD dwReserved[3];
		} Block;
		struct {
			DWORD dwCommittedSize;
			DWORD dwUnCommittedSize;
			LPVOID lpFirstBlock;
			LPVOID lpLastBlock;
		} Region;
	};
} PROCESS_HEAP_ENTRY, *LPPROCESS_HEAP_ENTRY, *PPROCESS_HEAP_ENTRY;

#define ERROR_NO_MORE_ITEMS		259L

/* Exceptions (what vectored handlers see). */
#define STATUS_GUARD_PAGE_VIOLATION	0x80000001u
#define STATUS_ACCESS_VIOLATION		0xC0000005u
#define STATUS_NO_MEMORY		0xC0000017u
#define STATUS_STACK_OVERFLOW		0xC00000FDu
#define EXCEPTION_CONTINUE_EXECUTION	(-1)
#define EXCEPTION_CONTINUE_SEARCH	0
#define EXCEPTION_NONCONTINUABLE	0x1u
#define EXCEPTION_MAXIMUM_PARAMETERS	15

typedef struct _EXCEPTION_RECORD {
	DWORD ExceptionCode;
	DWORD ExceptionFlags;
	struct _EXCEPTION_RECORD *ExceptionRecord;
	PVOID ExceptionAddress;
	DWORD NumberParameters;
	ULONG_PTR ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS];
} EXCEPTION_RECORD, *PEXCEPTION_RECORD;

/* The CPU state at the exception: the signal frame's ucontext_t. */
typedef struct _CONTEXT CONTEXT, *PCONTEXT;

typedef struct _EXCEPTION_POINTERS {
	PEXCEPTION_RECORD ExceptionRecord;
	PCONTEXT ContextRecord;
} EXCEPTION_POINTERS, *PEXCEPTION_POINTERS;

typedef LONG (CALLBACK *PVECTORED_EXCEPTION_HANDLER)(PEXCEPTION_POINTERS ExceptionInfo);

/* --- errors and the system ----------------------------------------------------- */
DWORD WINAPI GetLastError(void);
void WINAPI SetLastError(DWORD dwErrCode);
void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo);

/* --- virtual memory (memcore's system calls 1040..1045) --------------------------- */
LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
			   DWORD flProtect);
BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType);
SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
			   SIZE_T dwLength);
BOOL WINAPI VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
			   PDWORD lpflOldProtect);
BOOL WINAPI VirtualLock(LPVOID lpAddress, SIZE_T dwSize);
BOOL WINAPI VirtualUnlock(LPVOID lpAddress, SIZE_T dwSize);
/* MEM_WRITE_WATCH allocations: 0 on success, non-zero (GetLastError) on failure. */
#define WRITE_WATCH_FLAG_RESET	0x01
UINT WINAPI GetWriteWatch(DWORD dwFlags, PVOID lpBaseAddress, SIZE_T dwRegionSize, PVOID *lpAddresses,
			  ULONG_PTR *lpdwCount, LPDWORD lpdwGranularity);
UINT WINAPI ResetWriteWatch(LPVOID lpBaseAddress, SIZE_T dwRegionSize);

/* --- heaps ------------------------------------------------------------------------ */
HANDLE WINAPI GetProcessHeap(void);
DWORD WINAPI GetProcessHeaps(DWORD NumberOfHeaps, PHANDLE ProcessHeaps);
HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize);
BOOL WINAPI HeapDestroy(HANDLE hHeap);
LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes);
LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes);
BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem);
SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
BOOL WINAPI HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
BOOL WINAPI HeapWalk(HANDLE hHeap, LPPROCESS_HEAP_ENTRY lpEntry);

/* --- sections and views ------------------------------------------------------------- */
typedef struct _SECURITY_ATTRIBUTES *LPSECURITY_ATTRIBUTES;
HANDLE WINAPI CreateFileMappingA(HANDLE hFile, LPSECURITY_ATTRIBUTES lpFileMappingAttributes,
				 DWORD flProtect, DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow,
				 LPCSTR lpName);
HANDLE WINAPI OpenFileMappingA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName);
LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
			    DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
			    SIZE_T dwNumberOfBytesToMap);
BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress);
BOOL WINAPI FlushViewOfFile(LPCVOID lpBaseAddress, SIZE_T dwNumberOfBytesToFlush);
BOOL WINAPI CloseHandle(HANDLE hObject);
/* memcore: a Win32 file handle for a descriptor (CreateFileMappingA's hFile). */
HANDLE memcore_handle_from_fd(int fd);

/* --- threads (stacks reserved, committed and grown by guard pages as on Windows) ----- */
typedef DWORD (WINAPI *LPTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
#define STACK_SIZE_PARAM_IS_A_RESERVATION	0x00010000u
#define CREATE_SUSPENDED			0x00000004u
#define INFINITE				0xFFFFFFFFu
#define WAIT_OBJECT_0				0x00000000u
#define WAIT_TIMEOUT				0x00000102u
#define WAIT_FAILED				0xFFFFFFFFu
#define STILL_ACTIVE				259u
HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
			   LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
			   DWORD dwCreationFlags, LPDWORD lpThreadId);
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
/*
 * memcore: the main thread's stack reservation (a PE header's SizeOfStackReserve;
 * 1 MiB unless a program defines this, e.g. const SIZE_T memcore_win32_stack_reserve = 4 << 20;).
 */
extern const SIZE_T memcore_win32_stack_reserve;
BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
BOOL WINAPI SetThreadStackGuarantee(PULONG StackSizeInBytes);

/* --- exceptions ----------------------------------------------------------------------- */
PVOID WINAPI AddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler);
ULONG WINAPI RemoveVectoredExceptionHandler(PVOID Handle);

#endif
