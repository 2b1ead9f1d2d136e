// SPDX-License-Identifier: MIT
/* kprintf and friends: one formatter, several sinks. */
#include "kernel/lib.h"

struct spec {
	bool left, zero, plus, space, alt;
	int width, prec;	/* prec < 0: none given */
	int length;		/* 'H' hh, 'h', 'l', 'L' ll/j/z/t */
};

struct sink {
	void (*out)(char c, void *ctx);
	void *ctx;
	int count;
};

static void put(struct sink *s, char c)
{
	s->out(c, s->ctx);
	s->count++;
}

static void pad(struct sink *s, char c, int n)
{
	while (n-- > 0)
		put(s, c);
}

static void put_str(struct sink *s, const struct spec *sp, const char *str)
{
	if (!str)
		str = "(null)";
	int len = strnlen(str, sp->prec >= 0 ? (size_t)sp->prec : (size_t)-1);

	if (!sp->left)
		pad(s, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(s, str[i]);
	if (sp->left)
		pad(s, ' ', sp->width - len);
}

static void put_num(struct sink *s, const struct spec *sp, uint64_t v, bool neg,
		    unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0;

	while (v) {
		buf[n++] = digits[v % base];
		v /= base;
	}
	int prec = sp->prec < 0 ? 1 : sp->prec;
	int zeros = prec > n ? prec - n : 0;
	const char *prefix = neg ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	if (sp->alt && base == 16 && n)
		prefix = upper ? "0X" : "0x";
	if (sp->alt && base == 8 && !zeros)
		zeros = 1;
	int plen = strlen(prefix);
	int total = plen + zeros + n;

	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += sp->width > total ? sp->width - total : 0;
		total = plen + zeros + n;
	}
	if (!sp->left)
		pad(s, ' ', sp->width - total);
	for (int i = 0; i < plen; i++)
		put(s, prefix[i]);
	pad(s, '0', zeros);
	while (n)
		put(s, buf[--n]);
	if (sp->left)
		pad(s, ' ', sp->width - total);
}

static void put_symbol(struct sink *s, const struct spec *sp, uintptr_t addr)
{
	char buf[96];
	uintptr_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		ksnprintf(buf, sizeof(buf), "%s+%#" PRIxPTR, name, off);
	else
		ksnprintf(buf, sizeof(buf), "%#" PRIxPTR, addr);
	put_str(s, sp, buf);
}

static void put_bytes(struct sink *s, const struct spec *sp, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	uint64_t scaled = bytes;
	char buf[32];

	while (scaled >= 10240 && u < 4) {
		scaled >>= 10;
		u++;
	}
	ksnprintf(buf, sizeof(buf), "%" PRIu64 " %s", scaled, unit[u]);
	put_str(s, sp, buf);
}

static uint64_t get_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned);
	case 'h': return (unsigned short)va_arg(*ap, unsigned);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	default: return va_arg(*ap, unsigned);
	}
}

static int64_t get_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	default: return va_arg(*ap, int);
	}
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-') sp->left = true;
		else if (*f == '0') sp->zero = true;
		else if (*f == '+') sp->plus = true;
		else if (*f == ' ') sp->space = true;
		else if (*f == '#') sp->alt = true;
		else break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0)
			sp->left = true, sp->width = -sp->width;
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + *f++ - '0';
	if (*f == '.') {
		sp->prec = 0;
		if (*++f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->prec = sp->prec * 10 + *f++ - '0';
	}
	if (f[0] == 'h' && f[1] == 'h') sp->length = 'H', f += 2;
	else if (f[0] == 'l' && f[1] == 'l') sp->length = 'L', f += 2;
	else if (*f == 'h') sp->length = 'h', f++;
	else if (*f == 'j') sp->length = 'L', f++;	/* intmax_t is long long */
	else if (*f == 'l' || *f == 'z' || *f == 't') sp->length = 'l', f++;
	return f;
}

static const char *format_one(struct sink *s, const char *f, va_list *ap)
{
	struct spec sp;
	int64_t sv;

	f = parse_spec(f, &sp, ap);
	switch (*f) {
	case 'd': case 'i':
		sv = get_signed(&sp, ap);
		put_num(s, &sp, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, sv < 0, 10, false);
		break;
	case 'u': put_num(s, &sp, get_unsigned(&sp, ap), false, 10, false); break;
	case 'x': put_num(s, &sp, get_unsigned(&sp, ap), false, 16, false); break;
	case 'X': put_num(s, &sp, get_unsigned(&sp, ap), false, 16, true); break;
	case 'o': put_num(s, &sp, get_unsigned(&sp, ap), false, 8, false); break;
	case 'c': {
		char c = va_arg(*ap, int);
		char str[2] = { c, 0 };
		sp.prec = -1;
		put_str(s, &sp, str);
		break;
	}
	case 's': put_str(s, &sp, va_arg(*ap, const char *)); break;
	case 'p': {
		void *p = va_arg(*ap, void *);
		if (f[1] == 'S') {
			put_symbol(s, &sp, (uintptr_t)p);
			return f + 2;
		}
		if (f[1] == 'B') {
			put_bytes(s, &sp, *(const uint64_t *)p);
			return f + 2;
		}
		sp.alt = true;
		put_num(s, &sp, (uintptr_t)p, false, 16, false);
		break;
	}
	case '%': put(s, '%'); break;
	case 0: return f;
	default: put(s, '%'); put(s, *f); break;
	}
	return f + 1;
}

int kvformat(void (*out)(char c, void *ctx), void *ctx, const char *fmt, va_list ap)
{
	struct sink s = { out, ctx, 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%')
			put(&s, *fmt++);
		else
			fmt = format_one(&s, fmt + 1, &aq);
	}
	va_end(aq);
	return s.count;
}

struct buf_ctx {
	char *buf;
	size_t size, len;
};

static void buf_out(char c, void *ctx)
{
	struct buf_ctx *b = ctx;

	if (b->len + 1 < b->size)
		b->buf[b->len] = c;
	b->len++;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_ctx b = { buf, size, 0 };
	int n = kvformat(buf_out, &b, fmt, ap);

	if (size)
		buf[b.len < size ? b.len : size - 1] = 0;
	return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void console_out(char c, void *ctx)
{
	(void)ctx;
	console_putc(c);
}

bool log_quiet;

int kvprintf(const char *fmt, va_list ap)
{
	if (log_quiet)
		return 0;
	return kvformat(console_out, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}
