// SPDX-License-Identifier: MIT
/* The string functions the kernel and the freestanding core rely on. */
#include "kernel/lib.h"

/* Keep GCC from turning these loops back into calls to themselves. */
#define NO_BUILTIN __attribute__((optimize("no-tree-loop-distribute-patterns")))

#ifdef KASAN
/*
 * The KASAN build: memcpy, memmove and memset check their whole ranges
 * against the shadow first (kernel/kasan.c); the copies themselves are
 * __memcpy, __memmove and __memset, which the files built without the checks
 * call directly (kernel/lib.h, mm/types.h).
 */
#include "kernel/kasan.h"
#define RAW(f)		__##f
#define RAW_ATTR	__attribute__((no_sanitize_address))
#else
#define RAW(f)		f
#define RAW_ATTR
#endif

/* A machine word at a time, then the tail: a string instruction's count is its work. */
#ifdef __x86_64__
#define REP_MOVS_WORD	"rep movsq"
#define REP_STOS_WORD	"rep stosq"
#else
#define REP_MOVS_WORD	"rep movsl"
#define REP_STOS_WORD	"rep stosl"
#endif

NO_BUILTIN RAW_ATTR void *RAW(memcpy)(void *dst, const void *src, size_t n)
{
	void *ret = dst;
	size_t q = n / sizeof(long);

	__asm__ volatile(REP_MOVS_WORD : "+D"(dst), "+S"(src), "+c"(q) : : "memory");
	n %= sizeof(long);
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return ret;
}

NO_BUILTIN RAW_ATTR void *RAW(memmove)(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return RAW(memcpy)(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

NO_BUILTIN RAW_ATTR void *RAW(memset)(void *dst, int c, size_t n)
{
	void *ret = dst;
	size_t q = n / sizeof(long);
	unsigned long v = (uint8_t)c * (~0ul / 0xff);	/* c in every byte */

	__asm__ volatile(REP_STOS_WORD : "+D"(dst), "+c"(q) : "a"(v) : "memory");
	n %= sizeof(long);
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
	return ret;
}

#ifdef KASAN
void *memcpy(void *dst, const void *src, size_t n)
{
	kasan_check_range(src, n, false, __builtin_return_address(0));
	kasan_check_range(dst, n, true, __builtin_return_address(0));
	return __memcpy(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n)
{
	kasan_check_range(src, n, false, __builtin_return_address(0));
	kasan_check_range(dst, n, true, __builtin_return_address(0));
	return __memmove(dst, src, n);
}

void *memset(void *dst, int c, size_t n)
{
	kasan_check_range(dst, n, true, __builtin_return_address(0));
	return __memset(dst, c, n);
}
#endif

NO_BUILTIN int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return (char *)s;
	return c ? NULL : (char *)s;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = 0;
	}
	return len;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

bool parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s++;
	if (digit_value(*s) >= (int)base)
		return false;
	for (; (d = digit_value(*s)) < (int)base; s++) {
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	unsigned shift = 0;
	switch (*s) {
	case 'K': case 'k': shift = 10; s++; break;
	case 'M': case 'm': shift = 20; s++; break;
	case 'G': case 'g': shift = 30; s++; break;
	}
	if (*s || (shift && v > UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}
