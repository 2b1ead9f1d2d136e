/*
 * t_win32_section: memcore only (memcore/win32.h): CreateFileMappingA,
 * OpenFileMappingA, MapViewOfFile, UnmapViewOfFile, FlushViewOfFile and
 * CloseHandle - anonymous and named sections of the paging file, sections of
 * a file, views that alias, FILE_MAP_COPY, a named section found again
 * after fork and after execve, a named section gone with its last handle
 * and view (its frames back), VirtualQuery of a view, Microsoft's error
 * codes. On Linux: "1..0 # SKIP".
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <memcore/syscall.h>
#include "win32_util.h"

#define SECT "t_win32_section.shared"

/* The program again, after execve: open the named section and sign it. */
static int exec_child(void)
{
	HANDLE s = OpenFileMappingA(FILE_MAP_WRITE, FALSE, SECT);
	char *v = s ? MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0) : NULL;

	if (!v || strcmp(v + 4096, "from the child") != 0)
		return 2;
	strcpy(v + 8192, "from the exec'd program");
	return UnmapViewOfFile(v) && CloseHandle(s) ? 0 : 3;
}

static void anonymous(void)
{
	HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 1 << 20, NULL);
	MEMORY_BASIC_INFORMATION m;
	char *a, *b;

	ok(s != NULL && GetLastError() == ERROR_SUCCESS, "an anonymous section of 1 MiB");
	a = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0);
	b = MapViewOfFile(s, FILE_MAP_READ, 0, 65536, 4096);
	ok(a && b && (uintptr_t)a % 65536 == 0 && (uintptr_t)b % 65536 == 0,
	   "two views, on 64 KiB boundaries");
	ok(a[12345] == 0, "a section starts zeroed");
	a[65536 + 7] = 'x';
	ok(b[7] == 'x', "views alias: a write through one is seen through the other");
	ok(VirtualQuery(a + 5000, &m, sizeof(m)) && m.BaseAddress == a + 4096 && m.AllocationBase == a &&
	   m.Type == MEM_MAPPED && m.State == MEM_COMMIT && m.Protect == PAGE_READWRITE &&
	   m.RegionSize == (1 << 20) - 4096, "VirtualQuery of a view: MEM_MAPPED, its base");
	ok(VirtualQuery(b, &m, sizeof(m)) && m.Protect == PAGE_READONLY && m.RegionSize == 4096,
	   "a FILE_MAP_READ view is read-only");
	char *c = MapViewOfFile(s, FILE_MAP_COPY, 0, 0, 0);
	ok(c && c[65536 + 7] == 'x', "a FILE_MAP_COPY view sees the section");
	c[65536 + 7] = 'y';
	ok(a[65536 + 7] == 'x' && c[65536 + 7] == 'y', "its writes are its own");
	a[200000] = 'z';
	ok(c[200000] == 'z', "pages it has not written follow the section");
	ok(FlushViewOfFile(a, 0) && FlushViewOfFile(c + 10, 100), "FlushViewOfFile");
	ok(UnmapViewOfFile(a + 300000), "UnmapViewOfFile from an address inside the view");
	ok(VirtualQuery(a, &m, sizeof(m)) && m.State == MEM_FREE, "the whole view is gone");
	SetLastError(0);
	ok(!UnmapViewOfFile(a) && GetLastError() == ERROR_INVALID_ADDRESS,
	   "unmapping it again: ERROR_INVALID_ADDRESS");
	ok(CloseHandle(s), "CloseHandle of the section");
	ok(b[7] == 'x', "a view outlives the handle");
	SetLastError(0);
	ok(!CloseHandle(s) && GetLastError() == ERROR_INVALID_HANDLE,
	   "a closed handle: ERROR_INVALID_HANDLE");
	ok(UnmapViewOfFile(b) && UnmapViewOfFile(c), "the other views unmapped");
}

static void errors(void)
{
	HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READONLY, 0, 65536 * 2, NULL);

	SetLastError(0);
	ok(!MapViewOfFile(s, FILE_MAP_READ, 0, 4096, 0) && GetLastError() == ERROR_MAPPED_ALIGNMENT,
	   "an offset off 64 KiB: ERROR_MAPPED_ALIGNMENT");
	SetLastError(0);
	ok(!MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0) && GetLastError() == ERROR_ACCESS_DENIED,
	   "FILE_MAP_WRITE of a read-only section: ERROR_ACCESS_DENIED");
	SetLastError(0);
	ok(!MapViewOfFile(s, FILE_MAP_READ, 0, 0, 3 * 65536) && GetLastError() == ERROR_ACCESS_DENIED,
	   "a view past the section's end: ERROR_ACCESS_DENIED");
	SetLastError(0);
	ok(!MapViewOfFile((HANDLE)(uintptr_t)4000, FILE_MAP_READ, 0, 0, 0) &&
	   GetLastError() == ERROR_INVALID_HANDLE, "no such handle: ERROR_INVALID_HANDLE");
	SetLastError(0);
	ok(!CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0, NULL) &&
	   GetLastError() == ERROR_INVALID_PARAMETER, "an anonymous section of size 0: ERROR_INVALID_PARAMETER");
	SetLastError(0);
	ok(!CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_NOACCESS, 0, 4096, NULL) &&
	   GetLastError() == ERROR_INVALID_PARAMETER, "PAGE_NOACCESS: ERROR_INVALID_PARAMETER");
	SetLastError(0);
	ok(!CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_COMMIT | SEC_RESERVE,
			       0, 4096, NULL) && GetLastError() == ERROR_INVALID_PARAMETER,
	   "SEC_COMMIT with SEC_RESERVE: ERROR_INVALID_PARAMETER");
	SetLastError(0);
	ok(!OpenFileMappingA(FILE_MAP_READ, FALSE, "t_win32_section.none") &&
	   GetLastError() == ERROR_FILE_NOT_FOUND, "OpenFileMappingA of no section: ERROR_FILE_NOT_FOUND");
	ok(CloseHandle(s), "closed");
}

static void named(const char *self)
{
	HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 3 * 4096, SECT);
	char *v;

	ok(s && GetLastError() == ERROR_SUCCESS, "a named section");
	v = MapViewOfFile(s, FILE_MAP_ALL_ACCESS, 0, 0, 0);
	strcpy(v, "from the parent");
	HANDLE again = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, SECT);
	ok(again && GetLastError() == ERROR_ALREADY_EXISTS, "created again: ERROR_ALREADY_EXISTS");
	char *w = MapViewOfFile(again, FILE_MAP_READ, 0, 0, 0);
	ok(w && !strcmp(w, "from the parent") && VirtualQuery(w, &(MEMORY_BASIC_INFORMATION){ 0 },
							   sizeof(MEMORY_BASIC_INFORMATION)),
	   "the same section, its size as made");
	UnmapViewOfFile(w);
	CloseHandle(again);
	pid_t pid = tap_fork();
	if (pid == 0) {
		HANDLE o = OpenFileMappingA(FILE_MAP_WRITE, FALSE, SECT);
		char *x = o ? MapViewOfFile(o, FILE_MAP_WRITE, 0, 0, 0) : NULL;

		if (!x || strcmp(x, "from the parent"))
			_exit(1);
		strcpy(x + 4096, "from the child");
		execl(self, self, "exec-child", (char *)NULL);
		_exit(4);
	}
	ok_exited_with(tap_wait(pid), 0, "a child opens it by name, then execve's program too");
	ok(!strcmp(v + 4096, "from the child") && !strcmp(v + 8192, "from the exec'd program"),
	   "both wrote into the parent's view");
	ok(UnmapViewOfFile(v) && CloseHandle(s), "unmapped and closed");
}

#define LIFE "t_win32_section.lifetime"
#define LIFE_SIZE (64 * 4096)

/* Can the section LIFE be opened by name? The handle is closed again. */
static int life_open(void)
{
	HANDLE o;

	SetLastError(0);
	o = OpenFileMappingA(FILE_MAP_READ, FALSE, LIFE);
	if (!o)
		return GetLastError() == ERROR_FILE_NOT_FOUND ? 0 : -1;
	CloseHandle(o);
	return 1;
}

/*
 * Microsoft (CreateFileMappingA, "Remarks"): the section object is not
 * closed until all its views are unmapped and all its handles closed; a
 * name then opens nothing (OpenFileMappingA: ERROR_FILE_NOT_FOUND). The
 * second round's free frames must come back exactly (the first makes the
 * library's own allocations).
 */
static void lifetime_round(int round)
{
	long before = syscall(MEMCORE_SYS_free_frames), after;
	HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, LIFE_SIZE, LIFE);
	char *v = s ? MapViewOfFile(s, FILE_MAP_ALL_ACCESS, 0, 0, 0) : NULL;
	HANDLE o;
	char *w;

	ok(v && GetLastError() == ERROR_SUCCESS, "round %d: a new named section and a view", round);
	if (!v)
		return;
	memset(v, 0x5a, LIFE_SIZE);
	ok(CloseHandle(s) && life_open() == 1, "handle closed, the view keeps it: found by name");
	o = OpenFileMappingA(FILE_MAP_READ, FALSE, LIFE);
	w = o ? MapViewOfFile(o, FILE_MAP_READ, 0, 0, 0) : NULL;
	ok(w && w[LIFE_SIZE - 1] == 0x5a, "opened by name: the same data");
	ok(CloseHandle(o) && UnmapViewOfFile(v) && life_open() == 1,
	   "first view unmapped, the second keeps it");
	ok(UnmapViewOfFile(w) && life_open() == 0,
	   "last view unmapped: OpenFileMappingA fails with ERROR_FILE_NOT_FOUND");
	ok(stat("/dev/shm/memcore-win32-" LIFE, &(struct stat){ 0 }) < 0 && errno == ENOENT,
	   "its name is gone from /dev/shm");
	after = syscall(MEMCORE_SYS_free_frames);
	if (round)
		ok_eq(after, before, "its frames are back (free frames after, before)");
}

static void lifetime(void)
{
	pid_t pid;
	HANDLE s;
	char *v;

	lifetime_round(0);
	lifetime_round(1);
	s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, LIFE);
	v = s ? MapViewOfFile(s, FILE_MAP_READ, 0, 0, 0) : NULL;
	ok(v && GetLastError() == ERROR_SUCCESS && v[0] == 0,
	   "made again: a new section (no ERROR_ALREADY_EXISTS), zero-filled");
	ok(UnmapViewOfFile(v) && CloseHandle(s) && life_open() == 0, "and gone again");
	pid = tap_fork();
	if (pid == 0) {
		HANDLE c = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
					      LIFE);
		char *x = c ? MapViewOfFile(c, FILE_MAP_WRITE, 0, 0, 0) : NULL;

		if (!x)
			_exit(1);
		strcpy(x, "from the child");
		_exit(life_open() == 1 ? 0 : 2);	/* exits with its handle and view open */
	}
	ok_exited_with(tap_wait(pid), 0, "a child makes a named section and exits holding it");
	ok(life_open() == 0, "the child's exit closed it: not found by name");
	s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, LIFE);
	v = s ? MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0) : NULL;
	pid = v ? tap_fork() : -1;
	if (pid == 0) {
		HANDLE c = OpenFileMappingA(FILE_MAP_WRITE, FALSE, LIFE);
		char *x = c ? MapViewOfFile(c, FILE_MAP_WRITE, 0, 0, 0) : NULL;

		if (!x)
			_exit(1);
		CloseHandle(c);
		strcpy(x, "child's");
		_exit(0);
	}
	ok_exited_with(tap_wait(pid), 0, "a child opens the parent's section by name");
	ok(v && !strcmp(v, "child's") && UnmapViewOfFile(v) && life_open() == 1,
	   "the parent's handle keeps it after its view and the child are gone");
	ok(CloseHandle(s) && life_open() == 0, "the parent's last handle closed: gone");
}

static void file_backed(void)
{
	const char *path = "/tmp/t_win32_section.dat";
	char buf[16] = { 0 };
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	HANDLE f, s;
	char *v;

	ok(fd >= 0 && write(fd, "hello, sections", 15) == 15, "a 15-byte file");
	f = memcore_handle_from_fd(fd);
	s = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 0, NULL);
	v = s ? MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0) : NULL;
	ok(v && !memcmp(v, "hello, sections", 15), "a view of the file shows its content");
	v[0] = 'J';
	ok(FlushViewOfFile(v, 1) && pread(fd, buf, 15, 0) == 15 && buf[0] == 'J',
	   "a write through the view reaches the file");
	ok(UnmapViewOfFile(v) && CloseHandle(s), "closed");
	s = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 8192, NULL);
	struct stat st;
	ok(s && fstat(fd, &st) == 0 && st.st_size == 8192, "a larger section extends the file");
	CloseHandle(s);
	ok(ftruncate(fd, 0) == 0, "the file emptied");
	SetLastError(0);
	ok(!CreateFileMappingA(f, NULL, PAGE_READONLY, 0, 0, NULL) && GetLastError() == ERROR_FILE_INVALID,
	   "an empty file with size 0: ERROR_FILE_INVALID");
	ok(CloseHandle(f), "the file handle closed");
	close(fd);
	unlink(path);
}

/* SEC_RESERVE: views start reserved; VirtualAlloc(MEM_COMMIT) commits their pages. */
static void sec_reserve(void)
{
	HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_RESERVE, 0,
				      4 * 65536, NULL);
	char *v = MapViewOfFile(s, FILE_MAP_ALL_ACCESS, 0, 0, 0);
	char *w = MapViewOfFile(s, FILE_MAP_ALL_ACCESS, 0, 0, 0);
	MEMORY_BASIC_INFORMATION m;

	ok(s && v && w, "a SEC_RESERVE section and two views of it");
	ok(VirtualQuery(v, &m, sizeof(m)) == sizeof(m) && m.State == MEM_RESERVE &&
	   m.Type == MEM_MAPPED && m.AllocationBase == v && m.AllocationProtect == PAGE_READWRITE &&
	   m.Protect == 0 && m.RegionSize == 4 * 65536, "a view is reserved (MEM_RESERVE, MEM_MAPPED)");
	ok_killed_by(run_in_child(probe_write, v + 100), SIGSEGV,
		     "touching a reserved page of the view: an access violation");
	ok(VirtualAlloc(v + 65536, 8192, MEM_COMMIT, PAGE_READWRITE) == v + 65536,
	   "VirtualAlloc(MEM_COMMIT) commits pages of the view");
	ok(VirtualQuery(v + 65536, &m, sizeof(m)) == sizeof(m) && m.State == MEM_COMMIT &&
	   m.Type == MEM_MAPPED && m.AllocationBase == v && m.Protect == PAGE_READWRITE &&
	   m.RegionSize == 8192, "VirtualQuery: those pages committed, the rest reserved");
	strcpy(v + 65536, "committed data");
	ok(VirtualAlloc(w + 65536, 4096, MEM_COMMIT, PAGE_READONLY) == w + 65536 &&
	   !strcmp(w + 65536, "committed data"),
	   "the other view, committing the same page, sees the section's data");
	ok_killed_by(run_in_child(probe_write, w + 65536), SIGSEGV, "committed read-only there");
	ok(!VirtualFree(v + 65536, 4096, MEM_DECOMMIT), "a view's pages cannot be decommitted");
	ok(UnmapViewOfFile(v) && UnmapViewOfFile(w) && CloseHandle(s), "unmapped and closed");
}

#define RSV "t_win32_section.reserve"

/* In a child: the section RSV opened by name, its views reserved where nothing committed them. */
static int reserve_child(void)
{
	HANDLE o = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, RSV);
	char *x = o ? MapViewOfFile(o, FILE_MAP_ALL_ACCESS, 0, 0, 0) : NULL;
	MEMORY_BASIC_INFORMATION m;

	if (!x || VirtualQuery(x, &m, sizeof(m)) != sizeof(m))
		return 1;
	if (m.State != MEM_COMMIT || m.Protect != PAGE_READWRITE || m.RegionSize != 4096 ||
	    m.AllocationProtect != PAGE_READWRITE || strcmp(x, "first page"))
		return 2;
	if (VirtualQuery(x + 4096, &m, sizeof(m)) != sizeof(m) || m.State != MEM_RESERVE)
		return 3;
	if (VirtualAlloc(x + 65536, 4096, MEM_COMMIT, PAGE_READWRITE) != x + 65536)
		return 4;
	strcpy(x + 65536, "from the child");
	return UnmapViewOfFile(x) && CloseHandle(o) ? 0 : 5;
}

/*
 * Microsoft (CreateFileMappingA, SEC_RESERVE): the section's pages are
 * reserved until VirtualAlloc commits them; the commit state is the
 * section's, so a page committed through one view is committed in every
 * view of it, in this process or another (opened by name), with the
 * protection of that view.
 */
static void sec_reserve_shared(void)
{
	HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_RESERVE, 0,
				      4 * 65536, RSV);
	char *v = s ? MapViewOfFile(s, FILE_MAP_ALL_ACCESS, 0, 0, 0) : NULL;
	char *r = s ? MapViewOfFile(s, FILE_MAP_READ, 0, 0, 0) : NULL;
	MEMORY_BASIC_INFORMATION m;
	DWORD old;
	pid_t pid;

	ok(v && r, "a named SEC_RESERVE section, a read-write and a read-only view");
	if (!v || !r)
		return;
	ok(VirtualAlloc(v, 4096, MEM_COMMIT, PAGE_READWRITE) == v, "a page committed through the first");
	strcpy(v, "first page");
	ok(VirtualQuery(r, &m, sizeof(m)) == sizeof(m) && m.State == MEM_COMMIT &&
	   m.Protect == PAGE_READONLY && m.RegionSize == 4096 && m.AllocationBase == r,
	   "VirtualQuery of the other view: committed, with that view's protection");
	ok(!strcmp(r, "first page"), "the other view reads it");
	ok_killed_by(run_in_child(probe_write, r), SIGSEGV, "and cannot write it (a read view)");
	ok(VirtualAlloc(v + 8192, 4096, MEM_COMMIT, PAGE_READWRITE) == v + 8192, "a third page");
	v[8192] = 'x';
	ok(r[8192] == 'x', "read through the other view with no query first");
	ok_killed_by(run_in_child(probe_read, r + 4096), SIGSEGV,
		     "a page no view committed: an access violation in both");
	SetLastError(0);
	ok(!VirtualProtect(r + 4096, 4096, PAGE_READONLY, &old) &&
	   GetLastError() == ERROR_INVALID_ADDRESS, "VirtualProtect of it: ERROR_INVALID_ADDRESS");
	pid = tap_fork();
	if (pid == 0)
		_exit(reserve_child());
	ok_exited_with(tap_wait(pid), 0,
		       "a child opening it by name sees what is committed and commits a page");
	ok(!strcmp(v + 65536, "from the child") && !strcmp(r + 65536, "from the child"),
	   "the child's page is committed in both views here");
	ok(VirtualQuery(v + 65536, &m, sizeof(m)) == sizeof(m) && m.State == MEM_COMMIT &&
	   m.Protect == PAGE_READWRITE, "VirtualQuery agrees");
	ok(UnmapViewOfFile(v) && UnmapViewOfFile(r) && CloseHandle(s), "unmapped and closed");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return exec_child();
	win32_or_skip();
	anonymous();
	errors();
	named(argv[0]);
	lifetime();
	file_backed();
	sec_reserve();
	sec_reserve_shared();
	shm_unlink("/memcore-win32-" SECT);
	return done_testing();
}
