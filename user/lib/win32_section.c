// SPDX-License-Identifier: MIT
/*
 * Sections and views (memcore/win32.h) over the page cache: a section is a
 * descriptor of a file, of a POSIX shared-memory object (named sections,
 * /dev/shm/memcore-win32-NAME, found again after fork and execve) or of a
 * memfd (anonymous ones) - a named one loses its name with its last handle
 * and view, as on Windows (the kernel's section_name call); a view is a
 * MAP_SHARED mapping of it (MAP_PRIVATE
 * for FILE_MAP_COPY) placed on a 64 KiB boundary: VirtualAlloc reserves the
 * place, the mapping replaces the reservation. A view of a SEC_RESERVE
 * section of the paging file is reserved pages until VirtualAlloc commits
 * them (the kernel's view_reserve call); the kernel keeps the section's
 * commit state (section_reserve call), so a page committed through one view
 * is committed in all, also in views of sections opened by name. Handles index a table, so a
 * closed handle is recognised as invalid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memcore/syscall.h"
#include "win32_internal.h"

#define MAX_HANDLES	1024
#define G64		((uint64_t)MEMCORE_WIN32_GRANULARITY)

enum kind { K_FILE = 1, K_SECTION, K_THREAD };

struct object {
	enum kind kind;
	int fd;
	uint64_t size;		/* sections: bytes */
	DWORD protect;		/* sections: PAGE_* */
	void *thread;		/* threads: win32_thread.c's record */
	int memory;		/* sections: of the paging file (SEC_RESERVE applies) */
};

struct view {
	struct view *next;
	char *base;
	SIZE_T size;
	int copy;
};

static struct object *table[MAX_HANDLES];
static struct view *views;
static int lock_word;

static void lock(void)
{
	while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
		;
}

static void unlock(void)
{
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

/* A handle for @o (Windows' handles are multiples of 4), or NULL if the table is full. */
static HANDLE new_handle(struct object *o)
{
	lock();
	for (unsigned i = 0; i < MAX_HANDLES; i++)
		if (!table[i]) {
			table[i] = o;
			unlock();
			return (HANDLE)(uintptr_t)((i + 1) * 4);
		}
	unlock();
	return NULL;
}

static struct object *object_of(HANDLE h, enum kind kind)
{
	uintptr_t v = (uintptr_t)h;
	struct object *o;

	if (!v || v % 4 || v / 4 > MAX_HANDLES)
		return NULL;
	o = table[v / 4 - 1];
	return o && (!kind || o->kind == kind) ? o : NULL;
}

static HANDLE make(enum kind kind, int fd, uint64_t size, DWORD protect)
{
	struct object *o = malloc(sizeof(*o));
	HANDLE h;

	if (!o) {
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	*o = (struct object){ kind, fd, size, protect, NULL, 0 };
	h = new_handle(o);
	if (!h) {
		free(o);
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
	}
	return h;
}

HANDLE memcore_handle_from_fd(int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	HANDLE h;

	if (dup_fd < 0) {
		SetLastError(ERROR_INVALID_HANDLE);
		return INVALID_HANDLE_VALUE;
	}
	h = make(K_FILE, dup_fd, 0, 0);
	if (!h) {
		close(dup_fd);
		return INVALID_HANDLE_VALUE;
	}
	return h;
}

BOOL WINAPI CloseHandle(HANDLE hObject)
{
	struct object *o;
	uintptr_t v = (uintptr_t)hObject;

	lock();
	o = object_of(hObject, 0);
	if (o)
		table[v / 4 - 1] = NULL;
	unlock();
	if (!o) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	if (o->kind == K_THREAD)
		win32_thread_close(o->thread);
	else
		close(o->fd);
	free(o);
	return TRUE;
}

HANDLE win32_thread_handle(void *thread)
{
	HANDLE h = make(K_THREAD, -1, 0, 0);
	struct object *o;

	if (!h)
		return NULL;
	lock();
	o = object_of(h, K_THREAD);
	o->thread = thread;
	unlock();
	return h;
}

void *win32_thread_of(HANDLE h)
{
	struct object *o;
	void *t;

	lock();
	o = object_of(h, K_THREAD);
	t = o ? o->thread : NULL;
	unlock();
	return t;
}

static int writable(DWORD protect)
{
	DWORD b = protect & 0xff;

	return b == PAGE_READWRITE || b == PAGE_EXECUTE_READWRITE;
}

static int executable(DWORD protect)
{
	return (protect & 0xff) >= PAGE_EXECUTE_READ;
}

/* The shared-memory name of section @name. */
static void shm_name(char *buf, size_t len, LPCSTR name)
{
	snprintf(buf, len, "/memcore-win32-%s", name);
	for (char *c = buf + 1; *c; c++)
		if (*c == '/' || *c == '\\')
			*c = '!';
}

static DWORD err_of(int e)
{
	switch (e) {
	case ENOENT:
		return ERROR_FILE_NOT_FOUND;
	case EACCES:
	case EPERM:
		return ERROR_ACCESS_DENIED;
	case ENOMEM:
	case ENOSPC:
		return ERROR_NOT_ENOUGH_MEMORY;
	default:
		return ERROR_INVALID_PARAMETER;
	}
}

/* The name @path of the object open on @fd goes with its last handle and view. */
static int transient(int fd, const char *path)
{
	char full[300];

	snprintf(full, sizeof(full), "/dev/shm%s", path);
	return (int)win32_call(MEMCORE_SYS_win32_section_name, fd, (long)full, 0, 0);
}

/* A named or anonymous section's descriptor, sized; *existed if it was there already. */
static int open_memory(LPCSTR name, uint64_t size, int *existed)
{
	char path[256];
	int fd;

	*existed = 0;
	if (!name) {
		fd = memfd_create("win32-section", MFD_CLOEXEC);
	} else {
		shm_name(path, sizeof(path), name);
		fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0 && errno == EEXIST) {
			*existed = 1;
			return shm_open(path, O_RDWR, 0);
		}
		if (fd >= 0 && transient(fd, path) < 0) {
			close(fd);
			shm_unlink(path);
			errno = ENOMEM;
			return -1;
		}
	}
	if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
		int e = errno;

		close(fd);
		if (name)
			shm_unlink(path);
		errno = e;
		return -1;
	}
	return fd;
}

HANDLE WINAPI CreateFileMappingA(HANDLE hFile, LPSECURITY_ATTRIBUTES lpFileMappingAttributes,
				 DWORD flProtect, DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow,
				 LPCSTR lpName)
{
	const DWORD sec = SEC_COMMIT | SEC_RESERVE | SEC_IMAGE | SEC_NOCACHE | SEC_LARGE_PAGES;
	uint64_t size = (uint64_t)dwMaximumSizeHigh << 32 | dwMaximumSizeLow;
	DWORD base = flProtect & 0xff, attrs = flProtect & ~0xffu;
	int fd, existed = 0;
	struct stat st;
	HANDLE h;

	(void)lpFileMappingAttributes;
	if ((base != PAGE_READONLY && base != PAGE_READWRITE && base != PAGE_WRITECOPY &&
	     base != PAGE_EXECUTE_READ && base != PAGE_EXECUTE_READWRITE &&
	     base != PAGE_EXECUTE_WRITECOPY) || (attrs & ~sec) ||
	    (attrs & (SEC_COMMIT | SEC_RESERVE)) == (SEC_COMMIT | SEC_RESERVE)) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	if (attrs & SEC_LARGE_PAGES) {
		SetLastError(ERROR_PRIVILEGE_NOT_HELD);
		return NULL;
	}
	if (hFile == INVALID_HANDLE_VALUE) {
		if (!size || (attrs & SEC_IMAGE)) {
			SetLastError(ERROR_INVALID_PARAMETER);
			return NULL;
		}
		fd = open_memory(lpName, size, &existed);
		if (fd < 0) {
			SetLastError(err_of(errno));
			return NULL;
		}
	} else {
		struct object *f = object_of(hFile, K_FILE);

		if (!f) {
			SetLastError(ERROR_INVALID_HANDLE);
			return NULL;
		}
		if (attrs & SEC_IMAGE) {
			SetLastError(ERROR_NOT_SUPPORTED);
			return NULL;
		}
		if (fstat(f->fd, &st) < 0) {
			SetLastError(ERROR_INVALID_HANDLE);
			return NULL;
		}
		if (!size && !st.st_size) {
			SetLastError(ERROR_FILE_INVALID);
			return NULL;
		}
		if (!size)
			size = (uint64_t)st.st_size;
		/* A section larger than its file extends the file, if it may be written. */
		if (size > (uint64_t)st.st_size && (!writable(flProtect) ||
						     ftruncate(f->fd, (off_t)size) < 0)) {
			SetLastError(writable(flProtect) ? err_of(errno) : ERROR_NOT_ENOUGH_MEMORY);
			return NULL;
		}
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	}
	if (existed && fstat(fd, &st) == 0)
		size = (uint64_t)st.st_size;	/* the object as it was made */
	if (hFile == INVALID_HANDLE_VALUE && (existed || (attrs & SEC_RESERVE))) {
		/* SEC_RESERVE: the kernel keeps the commit state; an existing section keeps its own. */
		long made = win32_call(MEMCORE_SYS_win32_section_reserve, fd,
				       existed || !(attrs & SEC_RESERVE) ? 0 : (long)flProtect, 0, 0);

		if (made < 0) {
			DWORD e = GetLastError();

			close(fd);
			SetLastError(e);
			return NULL;
		}
		if (made)
			flProtect = (DWORD)made;
		else if (existed)
			flProtect &= ~(DWORD)SEC_RESERVE;
	}
	h = make(K_SECTION, fd, size, flProtect);
	if (!h) {
		close(fd);
		return NULL;
	}
	object_of(h, K_SECTION)->memory = hFile == INVALID_HANDLE_VALUE;
	SetLastError(existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
	return h;
}

HANDLE WINAPI OpenFileMappingA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName)
{
	int write = (dwDesiredAccess & FILE_MAP_WRITE) != 0;
	char path[256];
	struct stat st;
	long made;
	HANDLE h;
	int fd;

	(void)bInheritHandle;
	if (!lpName) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	shm_name(path, sizeof(path), lpName);
	fd = shm_open(path, write ? O_RDWR : O_RDONLY, 0);
	if (fd < 0 || fstat(fd, &st) < 0) {
		SetLastError(err_of(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/* A SEC_RESERVE section: its views are reserved here too, with its commit state. */
	made = win32_call(MEMCORE_SYS_win32_section_reserve, fd, 0, 0, 0);
	h = make(K_SECTION, fd, (uint64_t)st.st_size,
		 made > 0 ? (DWORD)made : write ? PAGE_READWRITE : PAGE_READONLY);
	if (!h)
		close(fd);
	else
		object_of(h, K_SECTION)->memory = 1;
	return h;
}

/* The page protection a view's access gives (pages committed through other views take it). */
static DWORD view_protect(DWORD access, int copy)
{
	int exec = (access & FILE_MAP_EXECUTE) != 0;

	if (copy)
		return exec ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
	if (access & FILE_MAP_WRITE)
		return exec ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
	return exec ? PAGE_EXECUTE_READ : PAGE_READONLY;
}

LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
			    DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
			    SIZE_T dwNumberOfBytesToMap)
{
	struct object *s = object_of(hFileMappingObject, K_SECTION);
	uint64_t off = (uint64_t)dwFileOffsetHigh << 32 | dwFileOffsetLow;
	/* FILE_MAP_COPY's bit is SECTION_QUERY, part of FILE_MAP_ALL_ACCESS: a copy only alone. */
	int copy = (dwDesiredAccess & ~FILE_MAP_EXECUTE) == FILE_MAP_COPY, prot = PROT_READ;
	struct view *v;
	SIZE_T n = dwNumberOfBytesToMap;
	char *place, *p;
	int reserve;

	if (!s) {
		SetLastError(ERROR_INVALID_HANDLE);
		return NULL;
	}
	if (off % G64) {
		SetLastError(ERROR_MAPPED_ALIGNMENT);
		return NULL;
	}
	if (off >= s->size || (n && n > s->size - off)) {
		SetLastError(ERROR_ACCESS_DENIED);
		return NULL;
	}
	if (!n)
		n = (SIZE_T)(s->size - off);
	if (copy || (dwDesiredAccess & FILE_MAP_WRITE))
		prot |= PROT_WRITE;
	if ((dwDesiredAccess & FILE_MAP_WRITE) && !copy && !writable(s->protect)) {
		SetLastError(ERROR_ACCESS_DENIED);
		return NULL;
	}
	if (dwDesiredAccess & FILE_MAP_EXECUTE) {
		if (!executable(s->protect)) {
			SetLastError(ERROR_ACCESS_DENIED);
			return NULL;
		}
		prot |= PROT_EXEC;
	}
	v = malloc(sizeof(*v));
	place = v ? VirtualAlloc(NULL, n, MEM_RESERVE, PAGE_NOACCESS) : NULL;
	if (!place) {
		free(v);
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	/*
	 * A view of a SEC_RESERVE section of the paging file starts as reserved
	 * pages (the kernel's view_reserve): VirtualAlloc(MEM_COMMIT) commits them.
	 */
	reserve = (s->protect & SEC_RESERVE) && s->memory;
	p = mmap(place, n, reserve ? PROT_NONE : prot, (copy ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED,
		 s->fd, (off_t)off);
	if (p != MAP_FAILED && reserve &&
	    win32_call(MEMCORE_SYS_win32_view_reserve, (long)p, (long)n, (long)(s->protect & 0xff),
		       (long)view_protect(dwDesiredAccess, copy)) < 0) {
		DWORD e = GetLastError();

		munmap(p, n);
		SetLastError(e);
		free(v);
		return NULL;
	}
	if (p == MAP_FAILED) {
		SetLastError(err_of(errno));
		VirtualFree(place, 0, MEM_RELEASE);
		free(v);
		return NULL;
	}
	*v = (struct view){ NULL, p, n, copy };
	lock();
	v->next = views;
	views = v;
	unlock();
	return p;
}

/* The view holding @p, unlinked from the list if @take. */
static struct view *view_at(LPCVOID p, int take)
{
	struct view **pp, *v;

	lock();
	for (pp = &views; (v = *pp); pp = &v->next)
		if ((const char *)p >= v->base && (const char *)p < v->base + v->size) {
			if (take)
				*pp = v->next;
			break;
		}
	unlock();
	return v;
}

BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress)
{
	struct view *v = view_at(lpBaseAddress, 1);

	if (!v) {
		SetLastError(ERROR_INVALID_ADDRESS);
		return FALSE;
	}
	munmap(v->base, v->size);
	free(v);
	return TRUE;
}

BOOL WINAPI FlushViewOfFile(LPCVOID lpBaseAddress, SIZE_T dwNumberOfBytesToFlush)
{
	struct view *v = view_at(lpBaseAddress, 0);
	uintptr_t start = (uintptr_t)lpBaseAddress & ~(uintptr_t)(MEMCORE_WIN32_PAGE_SIZE - 1);
	uintptr_t end;

	if (!v) {
		SetLastError(ERROR_INVALID_ADDRESS);
		return FALSE;
	}
	end = dwNumberOfBytesToFlush ? (uintptr_t)lpBaseAddress + dwNumberOfBytesToFlush :
				       (uintptr_t)v->base + v->size;
	if (end > (uintptr_t)v->base + v->size)
		end = (uintptr_t)v->base + v->size;
	if (v->copy)
		return TRUE;		/* a copy-on-write view has nothing to write back */
	if (msync((void *)start, end - start, MS_SYNC) < 0) {
		SetLastError(err_of(errno));
		return FALSE;
	}
	return TRUE;
}
