// SPDX-License-Identifier: MIT
/*
 * memcore/win32.h: the last-error value, GetSystemInfo, and the virtual
 * memory functions over memcore's system calls (mm/as_win32.c does the
 * work; a call returns >= 0 or a negated Windows error code).
 */
#include <errno.h>
#include <unistd.h>

#include "memcore/syscall.h"
#include "memcore/win32.h"
#include "win32_internal.h"

static __thread DWORD last_error;

DWORD WINAPI GetLastError(void)
{
	return last_error;
}

void WINAPI SetLastError(DWORD dwErrCode)
{
	last_error = dwErrCode;
}

/* A Win32 program's main thread runs on a Windows stack (win32_thread.c). */
__attribute__((constructor)) static void win32_init(void)
{
	win32_main_stack_init();
}

/* A memcore call: its result, or -1 with the last error set. */
long win32_call(long nr, long a, long b, long c, long d)
{
	int saved = errno;
	long r = syscall(nr, a, b, c, d);

	if (r == -1) {
		/* Linux (no such call) says ENOSYS: Windows' "not supported". */
		last_error = errno == ENOSYS ? ERROR_NOT_SUPPORTED : (DWORD)errno;
		errno = saved;
	}
	return r;
}

void WINAPI GetSystemInfo(LPSYSTEM_INFO si)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
#if UINTPTR_MAX > 0xffffffffu
	si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_AMD64;
	si->dwProcessorType = PROCESSOR_AMD_X8664;
	si->lpMaximumApplicationAddress = (LPVOID)0x7fffffffefffull;
#else
	si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_INTEL;
	si->dwProcessorType = PROCESSOR_INTEL_PENTIUM;
	si->lpMaximumApplicationAddress = (LPVOID)0xbfffffffu;
#endif
	si->wReserved = 0;
	si->dwPageSize = MEMCORE_WIN32_PAGE_SIZE;
	si->lpMinimumApplicationAddress = (LPVOID)(uintptr_t)MEMCORE_WIN32_GRANULARITY;
	si->dwActiveProcessorMask = n >= (long)(8 * sizeof(DWORD_PTR)) ? ~(DWORD_PTR)0 :
				    ((DWORD_PTR)1 << n) - 1;
	si->dwNumberOfProcessors = (DWORD)n;
	si->dwAllocationGranularity = MEMCORE_WIN32_GRANULARITY;
	si->wProcessorLevel = 6;
	si->wProcessorRevision = 0;
}

LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
			   DWORD flProtect)
{
	long r = win32_call(MEMCORE_SYS_VirtualAlloc, (long)lpAddress, (long)dwSize,
			    (long)flAllocationType, (long)flProtect);

	return r == -1 ? NULL : (LPVOID)r;
}

BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
	return win32_call(MEMCORE_SYS_VirtualFree, (long)lpAddress, (long)dwSize, (long)dwFreeType,
			  0) != -1;
}

SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
			   SIZE_T dwLength)
{
	long r = win32_call(MEMCORE_SYS_VirtualQuery, (long)lpAddress, (long)lpBuffer,
			    (long)dwLength, 0);

	return r == -1 ? 0 : (SIZE_T)r;
}

BOOL WINAPI VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
			   PDWORD lpflOldProtect)
{
	return win32_call(MEMCORE_SYS_VirtualProtect, (long)lpAddress, (long)dwSize,
			  (long)flNewProtect, (long)lpflOldProtect) != -1;
}

BOOL WINAPI VirtualLock(LPVOID lpAddress, SIZE_T dwSize)
{
	return win32_call(MEMCORE_SYS_VirtualLock, (long)lpAddress, (long)dwSize, 0, 0) != -1;
}

BOOL WINAPI VirtualUnlock(LPVOID lpAddress, SIZE_T dwSize)
{
	return win32_call(MEMCORE_SYS_VirtualUnlock, (long)lpAddress, (long)dwSize, 0, 0) != -1;
}

/* Memcore call 1052 (five arguments): 0, or 1 with GetLastError() set. */
static UINT write_watch(PVOID base, SIZE_T size, PVOID *addrs, ULONG_PTR *count, DWORD flags)
{
	int saved = errno;

	if (syscall(MEMCORE_SYS_win32_write_watch, (long)base, (long)size, (long)addrs, (long)count,
		    (long)flags) != -1)
		return 0;
	SetLastError(errno == ENOSYS ? ERROR_NOT_SUPPORTED : (DWORD)errno);
	errno = saved;
	return 1;
}

UINT WINAPI GetWriteWatch(DWORD dwFlags, PVOID lpBaseAddress, SIZE_T dwRegionSize, PVOID *lpAddresses,
			  ULONG_PTR *lpdwCount, LPDWORD lpdwGranularity)
{
	if (!lpAddresses || !lpdwCount || !lpdwGranularity) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return 1;
	}
	if (write_watch(lpBaseAddress, dwRegionSize, lpAddresses, lpdwCount, dwFlags))
		return 1;
	*lpdwGranularity = MEMCORE_WIN32_PAGE_SIZE;
	return 0;
}

UINT WINAPI ResetWriteWatch(LPVOID lpBaseAddress, SIZE_T dwRegionSize)
{
	return write_watch(lpBaseAddress, dwRegionSize, NULL, NULL, 0);
}
