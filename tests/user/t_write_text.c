/*
 * t_write_text: the program's text is not writable (a write kills a child
 * with SIGSEGV, also after fork, and the text is unchanged), read-only data
 * is not writable, and memory that is not executable cannot be run: a
 * PROT_READ|PROT_WRITE page, the stack, a PROT_READ page. A PROT_EXEC page
 * can be run.
 */
#include "util.h"

int main(void);

static const char rodata[64] = "read-only data";

static __attribute__((noinline)) void ret_fn(void)
{
	__asm__ volatile("");
}

static void write_main(void *arg)
{
	(void)arg;
	*(volatile char *)(uintptr_t)&main = 0;
}

static void write_text_far(void *arg)
{
	(void)arg;
	*(volatile char *)((uintptr_t)&write_main + 16) = (char)0xc3;
}

static void write_rodata(void *arg)
{
	(void)arg;
	*(volatile char *)(uintptr_t)rodata = 'X';
}

/* Calls a function that is the single byte "ret" at arg. */
static void call_at(void *arg)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)arg;

	fn();
	_exit(0);
}

static void run_from_stack(void *arg)
{
	volatile unsigned char code[16] = { 0xc3 };

	(void)arg;
	call_at((void *)code);
}

int main(void)
{
	unsigned char before[16], *page;
	int st;

	memcpy(before, (const void *)(uintptr_t)&main, sizeof(before));
	st = run_in_child(write_main, NULL);
	ok_killed_by(st, SIGSEGV, "writing main's first byte: SIGSEGV");
	ok(memcmp(before, (const void *)(uintptr_t)&main, sizeof(before)) == 0,
	   "main's bytes are unchanged");
	st = run_in_child(write_text_far, NULL);
	ok_killed_by(st, SIGSEGV, "writing inside another function: SIGSEGV");
	st = run_in_child(write_rodata, NULL);
	ok_killed_by(st, SIGSEGV, "writing read-only data: SIGSEGV");
	ok(strcmp(rodata, "read-only data") == 0, "the read-only data is unchanged");

	st = run_in_child(call_at, (void *)(uintptr_t)&ret_fn);
	ok_exited_with(st, 0, "calling a function of the text through a pointer works");

	page = map_anon(PAGE, PROT_READ | PROT_WRITE);
	if (!ok(page != MAP_FAILED, "mmap a read-write page"))
		return done_testing();
	page[0] = 0xc3; /* ret */
	st = run_in_child(call_at, page);
	ok_killed_by(st, SIGSEGV, "running code from a read-write page: SIGSEGV");
	st = run_in_child(run_from_stack, NULL);
	ok_killed_by(st, SIGSEGV, "running code from the stack: SIGSEGV");
	ok_eq(mprotect(page, PAGE, PROT_READ), 0, "mprotect the page read-only");
	st = run_in_child(call_at, page);
	ok_killed_by(st, SIGSEGV, "running code from a read-only page: SIGSEGV");
	ok_eq(mprotect(page, PAGE, PROT_READ | PROT_EXEC), 0, "mprotect it read+exec");
	st = run_in_child(call_at, page);
	ok_exited_with(st, 0, "running code from it works");
	st = run_in_child(probe_write, page);
	ok_killed_by(st, SIGSEGV, "and writing it faults");
	ok_eq(mprotect(page, PAGE, PROT_READ | PROT_WRITE), 0, "mprotect it back read-write");
	st = run_in_child(call_at, page);
	ok_killed_by(st, SIGSEGV, "running code from it faults again");
	return done_testing();
}
