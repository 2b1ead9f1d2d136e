/* SPDX-License-Identifier: MIT */
/* The kernel's small C library: formatting, strings, console, panic. */
#ifndef KERNEL_LIB_H
#define KERNEL_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRINTF(f, a)	__attribute__((format(printf, f, a)))

/*
 * Length modifiers for fixed-width types, as <inttypes.h> has them: uint64_t
 * is unsigned long on x86_64 and unsigned long long on i386, uintptr_t
 * unsigned long and unsigned int. kprintf("%#" PRIx64, v).
 */
#if __SIZEOF_LONG__ == 8
#define PRIu64		"lu"
#define PRId64		"ld"
#define PRIx64		"lx"
#define PRIuPTR		"lu"
#define PRIxPTR		"lx"
#else
#define PRIu64		"llu"
#define PRId64		"lld"
#define PRIx64		"llx"
#define PRIuPTR		"u"
#define PRIxPTR		"x"
#endif
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Formatting: %d %i %u %x %X %o %c %s %p %% with flags (- 0 + space #),
 * width, precision and the length modifiers hh h l ll z t j. Extensions,
 * which -Wformat accepts as pointers: %pS prints a code address as
 * symbol+offset, %pB a byte count scaled to KiB/MiB/GiB (pass &count).
 */
int kvformat(void (*out)(char c, void *ctx), void *ctx, const char *fmt, va_list ap);
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF(3, 4);
int kvprintf(const char *fmt, va_list ap);
int kprintf(const char *fmt, ...) PRINTF(1, 2);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#ifdef KASAN
/* The KASAN build's unchecked copies, for its files without the checks (kernel/lib/string.c). */
void *__memcpy(void *dst, const void *src, size_t n);
void *__memmove(void *dst, const void *src, size_t n);
void *__memset(void *dst, int c, size_t n);
#ifndef __SANITIZE_ADDRESS__
#define memcpy	__memcpy
#define memmove	__memmove
#define memset	__memset
#endif
#endif
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);
/* Parses a decimal, 0x-hex or 0-octal number with an optional K/M/G suffix. */
bool parse_u64(const char *s, uint64_t *out);

/* Console: every output device at once; input from the serial line. */
void console_putc(char c);
void console_write(const char *s, size_t n);
int console_getc(void);		/* blocks */
bool console_input_ready(void);	/* would console_getc() return at once? */

/* Kernel command line (set once at boot). */
void cmdline_set(const char *s);
const char *cmdline_get(void);
bool cmdline_has(const char *word);
/* Value of key=value, copied into @buf; false if absent. */
bool cmdline_value(const char *key, char *buf, size_t len);
extern bool log_debug_enabled;
/* quiet: kprintf prints nothing (processes still write to the console). */
extern bool log_quiet;

/* Symbols, for backtraces. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);
void backtrace_from(uintptr_t rip, uintptr_t rbp);
void backtrace(void);

_Noreturn void panic(const char *fmt, ...) PRINTF(1, 2);
_Noreturn void vpanic(const char *fmt, va_list ap);
/* What panic does at the end: halt, or (test mode) report and exit QEMU. */
extern void (*panic_exit_hook)(void);

#define KASSERT(cond) \
	do { if (!(cond)) panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); } while (0)

#endif
