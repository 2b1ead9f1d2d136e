// SPDX-License-Identifier: MIT
/* Running the in-kernel tests and writing KTAP. */
#include "arch.h"
#include "kernel/ktest.h"

extern const struct ktest_suite *const _ktests_start[], *const _ktests_end[];

static struct ktest *current;
static unsigned suites_failed;

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t->failed = true;
	kprintf("        # %s: %s:%d: ", t->name, file, line);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skipped = true;
	t->skip_reason = reason;
}

static bool selected(const char *filter, const char *name)
{
	size_t len = strlen(name);

	if (!filter || !*filter)
		return true;
	for (const char *p = filter; *p;) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) == len && !strncmp(p, name, len))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

/* A panic in the middle of a case: say so in KTAP before the kernel stops. */
static void bail_out(void)
{
	kprintf("Bail out! kernel panic in test %s\n", current ? current->name : "?");
	qemu_debug_exit(1);
}

static bool run_suite(const struct ktest_suite *s, unsigned index)
{
	unsigned failed = 0;

	kprintf("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", s->name, s->ncases);
	for (unsigned i = 0; i < s->ncases; i++) {
		struct ktest t = { .name = s->cases[i].name };
		current = &t;
		s->cases[i].run(&t);
		current = NULL;
		if (t.skipped)
			kprintf("    ok %u %s # SKIP %s\n", i + 1, t.name, t.skip_reason);
		else
			kprintf("    %sok %u %s\n", t.failed ? "not " : "", i + 1, t.name);
		failed += t.failed;
	}
	kprintf("%sok %u %s\n", failed ? "not " : "", index, s->name);
	return failed == 0;
}

/**
 * ktest_run() - run the selected suites and print their KTAP report.
 * @filter: comma-separated suite names, or NULL/"" for every suite
 *
 * Return: the number of suites that failed.
 */
int ktest_run(const char *filter)
{
	unsigned n = 0, index = 0;

	for (const struct ktest_suite *const *s = _ktests_start; s < _ktests_end; s++)
		n += selected(filter, (*s)->name);
	panic_exit_hook = bail_out;
	kprintf("KTAP version 1\n1..%u\n", n);
	for (const struct ktest_suite *const *s = _ktests_start; s < _ktests_end; s++)
		if (selected(filter, (*s)->name))
			suites_failed += !run_suite(*s, ++index);
	panic_exit_hook = NULL;
	return suites_failed;
}
