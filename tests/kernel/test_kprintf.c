// SPDX-License-Identifier: MIT
/* The formatter, against what C's printf would print. */
#include "kernel/ktest.h"

#define EXPECT_FMT(t, want, ...)					\
	do {								\
		char _buf[128];						\
		int _n = ksnprintf(_buf, sizeof(_buf), __VA_ARGS__);	\
		KEXPECT_STREQ(t, _buf, want);				\
		KEXPECT_EQ(t, _n, strlen(want));			\
	} while (0)

static void integers(struct ktest *t)
{
	EXPECT_FMT(t, "0 -1 42", "%d %i %u", 0, -1, 42u);
	EXPECT_FMT(t, "-2147483648", "%d", (int)0x80000000);
	EXPECT_FMT(t, sizeof(long) == 8 ? "18446744073709551615" : "4294967295", "%lu", ~0ul);
	EXPECT_FMT(t, "18446744073709551615", "%llu", ~0ull);
	EXPECT_FMT(t, "-9223372036854775808", "%lld", (long long)(1ull << 63));
	EXPECT_FMT(t, "ff FF 0xff 17", "%x %X %#x %o", 255u, 255u, 255u, 15u);
	EXPECT_FMT(t, "4096 1000", "%zu %zx", (size_t)4096, (size_t)4096);
	EXPECT_FMT(t, "255 65535", "%hhu %hu", 0x1ffu, 0x1ffffu);
}

static void widths_and_flags(struct ktest *t)
{
	EXPECT_FMT(t, "[   42]", "[%5d]", 42);
	EXPECT_FMT(t, "[42   ]", "[%-5d]", 42);
	EXPECT_FMT(t, "[00042]", "[%05d]", 42);
	EXPECT_FMT(t, "[-0042]", "[%05d]", -42);
	EXPECT_FMT(t, "[+42]", "[%+d]", 42);
	EXPECT_FMT(t, "[ 42]", "[% d]", 42);
	EXPECT_FMT(t, "[  007]", "[%5.3d]", 7);
	EXPECT_FMT(t, "[0x00ff]", "[%#06x]", 255u);
	EXPECT_FMT(t, "[   ab]", "[%*x]", 5, 0xabu);
}

static void strings_and_chars(struct ktest *t)
{
	EXPECT_FMT(t, "hello", "%s", "hello");
	EXPECT_FMT(t, "hel", "%.3s", "hello");
	EXPECT_FMT(t, "[  hi][hi  ]", "[%4s][%-4s]", "hi", "hi");
	const char *volatile null = NULL;	/* hidden from -Wformat */
	EXPECT_FMT(t, "(null)", "%s", null);
	EXPECT_FMT(t, "x%y", "%c%%%c", 'x', 'y');
}

static void pointers_and_sizes(struct ktest *t)
{
	uint64_t kib = 8192, mib = 3ull << 20, big = 6ull << 30, small = 100;

	EXPECT_FMT(t, sizeof(void *) == 8 ? "0xffffffff80001000" : "0x80001000", "%p",
		   (void *)(uintptr_t)0xffffffff80001000ull);
	EXPECT_FMT(t, "8192 B 3072 KiB 6144 MiB 100 B", "%pB %pB %pB %pB", &kib, &mib, &big, &small);
}

static void symbols(struct ktest *t)
{
	char buf[96];

	ksnprintf(buf, sizeof(buf), "%pS", (void *)((uintptr_t)ksym_lookup + 4));
	KEXPECT_STREQ(t, buf, "ksym_lookup+0x4");
	ksnprintf(buf, sizeof(buf), "%pS", (void *)0x1234);
	KEXPECT_STREQ(t, buf, "0x1234");
}

static void truncation(struct ktest *t)
{
	char buf[8];
	int n = ksnprintf(buf, sizeof(buf), "%s", "0123456789");

	KEXPECT_EQ(t, n, 10);
	KEXPECT_STREQ(t, buf, "0123456");
	KEXPECT_EQ(t, ksnprintf(NULL, 0, "%d", 12345), 5);
}

KTEST_SUITE(kprintf,
	    KTEST_CASE(integers),
	    KTEST_CASE(widths_and_flags),
	    KTEST_CASE(strings_and_chars),
	    KTEST_CASE(pointers_and_sizes),
	    KTEST_CASE(symbols),
	    KTEST_CASE(truncation));
