/* SPDX-License-Identifier: MIT */
/*
 * In-kernel tests, reported as KTAP (the format of Linux's KUnit) on the
 * console. A suite is a named list of cases; a case fails when any of its
 * expectations does, and the rest of the case still runs.
 *
 *	static void adds(struct ktest *t) { KEXPECT_EQ(t, 1 + 1, 2); }
 *	KTEST_SUITE(arith, KTEST_CASE(adds));
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include "kernel/lib.h"

struct ktest {
	const char *name;
	bool failed;
	bool skipped;
	const char *skip_reason;
};

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	unsigned ncases;
};

#define KTEST_CASE(fn)	{ #fn, fn }

#define KTEST_SUITE(sname, ...)						\
	static const struct ktest_case sname##_cases[] = { __VA_ARGS__ };	\
	static const struct ktest_suite sname##_suite = {		\
		#sname, sname##_cases, ARRAY_LEN(sname##_cases) };	\
	static const struct ktest_suite *const sname##_entry		\
	__attribute__((section(".ktests"), used)) = &sname##_suite



void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
	PRINTF(4, 5);
void ktest_skip(struct ktest *t, const char *reason);

#define KEXPECT(t, cond)						\
	do { if (!(cond)) ktest_fail(t, __FILE__, __LINE__, "expected %s", #cond); } while (0)

#define KEXPECT_EQ(t, a, b)						\
	do {								\
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);	\
		if (_a != _b)						\
			ktest_fail(t, __FILE__, __LINE__, "%s == %s: %#llx != %#llx", \
				   #a, #b, (unsigned long long)_a, (unsigned long long)_b); \
	} while (0)

#define KEXPECT_STREQ(t, a, b)						\
	do {								\
		const char *_a = (a), *_b = (b);			\
		if (strcmp(_a, _b))					\
			ktest_fail(t, __FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
				   #a, #b, _a, _b);			\
	} while (0)

/* Runs the suites named in @filter (comma-separated; NULL or "" for all). */
int ktest_run(const char *filter);

#endif
