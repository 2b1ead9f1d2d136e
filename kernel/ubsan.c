// SPDX-License-Identifier: MIT
/*
 * The kernel's own undefined-behaviour checks (the UBSan build, make
 * kernel-ubsan): the compiler instruments kernel/, mm/ and arch/ with
 * -fsanitize=... and calls these handlers where an operation is undefined.
 * There is no runtime library: each handler prints the kind, the source
 * location, the values and a backtrace, then carries on (the default) or
 * panics (boot option ubsan=panic). A site is reported once: the handler
 * marks its location as seen, as a flood of the same report helps nobody.
 *
 * This file is not instrumented itself (mk/ksan.mk), and the handlers do not
 * nest: a report that hits undefined behaviour on its way is dropped.
 *
 * The data layouts are the compiler's ABI (GCC and Clang share it).
 */
#include "kernel/lib.h"
#include "kernel/ubsan.h"

#ifdef KUBSAN

struct source_location {
	const char *file;
	uint32_t line;
	uint32_t column;
};

/* Bit 31 of the column: this site was reported already. */
#define LOC_REPORTED	0x80000000u

enum { TYPE_KIND_INT = 0, TYPE_KIND_FLOAT = 1 };

struct type_descriptor {
	uint16_t kind;
	uint16_t info;		/* integers: bit 0 signed, bits 1+ log2(width) */
	char name[];
};

struct type_mismatch_data_v1 {
	struct source_location loc;
	const struct type_descriptor *type;
	unsigned char log_alignment;
	unsigned char check_kind;
};

struct overflow_data {
	struct source_location loc;
	const struct type_descriptor *type;
};

struct shift_data {
	struct source_location loc;
	const struct type_descriptor *lhs_type;
	const struct type_descriptor *rhs_type;
};

struct out_of_bounds_data {
	struct source_location loc;
	const struct type_descriptor *array_type;
	const struct type_descriptor *index_type;
};

struct location_data {
	struct source_location loc;
};

struct type_data {		/* vla bounds, invalid loads */
	struct source_location loc;
	const struct type_descriptor *type;
};

struct nonnull_arg_data {
	struct source_location loc;
	struct source_location attr_loc;
	int arg_index;
};

struct nonnull_return_data {
	struct source_location attr_loc;
};

struct invalid_builtin_data {
	struct source_location loc;
	unsigned char kind;
};

struct alignment_assumption_data {
	struct source_location loc;
	struct source_location assumption_loc;
	const struct type_descriptor *type;
};

static unsigned long reports;
static int reporting;		/* a report in progress (handlers do not nest) */
static int mode;		/* 0 not read yet, 1 carry on, 2 panic */

unsigned long ubsan_reports(void)
{
	return reports;
}

/* Starts a report unless this site was reported already or one is under way. */
static bool report_begin(struct source_location *loc, const char *kind)
{
	if (loc && (__atomic_fetch_or(&loc->column, LOC_REPORTED, __ATOMIC_RELAXED) & LOC_REPORTED))
		return false;
	if (__atomic_exchange_n(&reporting, 1, __ATOMIC_ACQUIRE))
		return false;
	__atomic_add_fetch(&reports, 1, __ATOMIC_RELAXED);
	kprintf("UBSAN: %s in %s:%u:%u\n", kind, loc ? loc->file : "?", loc ? loc->line : 0,
		loc ? loc->column & ~LOC_REPORTED : 0);
	return true;
}

static void report_end(void)
{
	if (!mode) {
		char v[8];
		mode = cmdline_value("ubsan", v, sizeof(v)) && !strcmp(v, "panic") ? 2 : 1;
	}
	backtrace();
	kprintf("--- end of UBSAN report ---\n");
	if (mode == 2)
		panic("ubsan: undefined behaviour (ubsan=panic)");
	__atomic_store_n(&reporting, 0, __ATOMIC_RELEASE);
}

static unsigned type_bits(const struct type_descriptor *t)
{
	return 1u << (t->info >> 1);
}

static bool type_signed(const struct type_descriptor *t)
{
	return t->kind == TYPE_KIND_INT && (t->info & 1);
}

/*
 * A value as the compiler passes it: in the handle itself when it fits in a
 * pointer, else a pointer to it (64-bit values on i386, 128-bit ones).
 */
static void format_value(char *buf, size_t len, const struct type_descriptor *t, uintptr_t v)
{
	unsigned bits = type_bits(t);

	if (t->kind != TYPE_KIND_INT) {
		ksnprintf(buf, len, "(value of type %s)", t->name);
		return;
	}
	if (bits > 64) {
		const uint64_t *p = (const uint64_t *)v;
		ksnprintf(buf, len, "0x%016" PRIx64 "%016" PRIx64, p[1], p[0]);
		return;
	}
	uint64_t x = bits <= sizeof(uintptr_t) * 8 ? v : *(const uint64_t *)v;
	if (type_signed(t)) {
		int64_t s = bits < 64 ? (int64_t)(x << (64 - bits)) >> (64 - bits) : (int64_t)x;
		ksnprintf(buf, len, "%lld", (long long)s);
	} else {
		if (bits < 64)
			x &= (1ull << bits) - 1;
		ksnprintf(buf, len, "%llu", (unsigned long long)x);
	}
}

static bool value_negative(const struct type_descriptor *t, uintptr_t v)
{
	char buf[48];

	if (!type_signed(t))
		return false;
	format_value(buf, sizeof(buf), t, v);
	return buf[0] == '-';
}

static void overflow(struct overflow_data *d, uintptr_t a, uintptr_t b, char op)
{
	char x[48], y[48];

	if (!report_begin(&d->loc, type_signed(d->type) ? "signed integer overflow" :
			  "unsigned integer overflow"))
		return;
	format_value(x, sizeof(x), d->type, a);
	format_value(y, sizeof(y), d->type, b);
	kprintf("  %s %c %s cannot be represented in type %s\n", x, op, y, d->type->name);
	report_end();
}

void __ubsan_handle_add_overflow(struct overflow_data *d, uintptr_t a, uintptr_t b);
void __ubsan_handle_add_overflow(struct overflow_data *d, uintptr_t a, uintptr_t b)
{
	overflow(d, a, b, '+');
}

void __ubsan_handle_sub_overflow(struct overflow_data *d, uintptr_t a, uintptr_t b);
void __ubsan_handle_sub_overflow(struct overflow_data *d, uintptr_t a, uintptr_t b)
{
	overflow(d, a, b, '-');
}

void __ubsan_handle_mul_overflow(struct overflow_data *d, uintptr_t a, uintptr_t b);
void __ubsan_handle_mul_overflow(struct overflow_data *d, uintptr_t a, uintptr_t b)
{
	overflow(d, a, b, '*');
}

void __ubsan_handle_negate_overflow(struct overflow_data *d, uintptr_t a);
void __ubsan_handle_negate_overflow(struct overflow_data *d, uintptr_t a)
{
	char x[48];

	if (!report_begin(&d->loc, "negation overflow"))
		return;
	format_value(x, sizeof(x), d->type, a);
	kprintf("  negation of %s cannot be represented in type %s\n", x, d->type->name);
	report_end();
}

void __ubsan_handle_divrem_overflow(struct overflow_data *d, uintptr_t a, uintptr_t b);
void __ubsan_handle_divrem_overflow(struct overflow_data *d, uintptr_t a, uintptr_t b)
{
	char x[48], y[48];

	if (!report_begin(&d->loc, "division overflow"))
		return;
	format_value(x, sizeof(x), d->type, a);
	format_value(y, sizeof(y), d->type, b);
	if (!strcmp(y, "0"))
		kprintf("  division of %s by zero\n", x);
	else
		kprintf("  %s / %s cannot be represented in type %s\n", x, y, d->type->name);
	report_end();
}

void __ubsan_handle_shift_out_of_bounds(struct shift_data *d, uintptr_t a, uintptr_t b);
void __ubsan_handle_shift_out_of_bounds(struct shift_data *d, uintptr_t a, uintptr_t b)
{
	char x[48], y[48];

	if (!report_begin(&d->loc, "shift out of bounds"))
		return;
	format_value(x, sizeof(x), d->lhs_type, a);
	format_value(y, sizeof(y), d->rhs_type, b);
	uint64_t n = 0;
	if (value_negative(d->rhs_type, b))
		kprintf("  shift exponent %s is negative\n", y);
	else if (!parse_u64(y, &n) || n >= type_bits(d->lhs_type))
		kprintf("  shift exponent %s is too large for %u-bit type %s\n", y,
			type_bits(d->lhs_type), d->lhs_type->name);
	else if (value_negative(d->lhs_type, a))
		kprintf("  left shift of negative value %s\n", x);
	else
		kprintf("  left shift of %s by %s places cannot be represented in type %s\n",
			x, y, d->lhs_type->name);
	report_end();
}

void __ubsan_handle_out_of_bounds(struct out_of_bounds_data *d, uintptr_t index);
void __ubsan_handle_out_of_bounds(struct out_of_bounds_data *d, uintptr_t index)
{
	char i[48];

	if (!report_begin(&d->loc, "array index out of bounds"))
		return;
	format_value(i, sizeof(i), d->index_type, index);
	kprintf("  index %s is out of range for type %s\n", i, d->array_type->name);
	report_end();
}

static const char *const check_kinds[] = {
	"load of", "store to", "reference binding to", "member access within",
	"member call on", "constructor call on", "downcast of", "downcast of",
	"upcast of", "cast to virtual base of", "_Nonnull binding to", "dynamic operation on",
};

void __ubsan_handle_type_mismatch_v1(struct type_mismatch_data_v1 *d, uintptr_t ptr);
void __ubsan_handle_type_mismatch_v1(struct type_mismatch_data_v1 *d, uintptr_t ptr)
{
	const char *what = d->check_kind < ARRAY_LEN(check_kinds) ?
		check_kinds[d->check_kind] : "access to";
	uintptr_t align = (uintptr_t)1 << d->log_alignment;

	if (!ptr) {
		if (!report_begin(&d->loc, "null pointer dereference"))
			return;
		kprintf("  %s null pointer of type %s\n", what, d->type->name);
	} else if (d->log_alignment && (ptr & (align - 1))) {
		if (!report_begin(&d->loc, "misaligned access"))
			return;
		kprintf("  %s misaligned address %#" PRIxPTR " for type %s, which requires %"
			PRIuPTR "-byte alignment\n", what, ptr, d->type->name, align);
	} else {
		if (!report_begin(&d->loc, "object size mismatch"))
			return;
		kprintf("  %s address %#" PRIxPTR " with insufficient space for an object of type %s\n",
			what, ptr, d->type->name);
	}
	report_end();
}

void __ubsan_handle_load_invalid_value(struct type_data *d, uintptr_t v);
void __ubsan_handle_load_invalid_value(struct type_data *d, uintptr_t v)
{
	char x[48];

	if (!report_begin(&d->loc, "invalid value"))
		return;
	format_value(x, sizeof(x), d->type, v);
	kprintf("  load of value %s, which is not valid for type %s\n", x, d->type->name);
	report_end();
}

void __ubsan_handle_vla_bound_not_positive(struct type_data *d, uintptr_t bound);
void __ubsan_handle_vla_bound_not_positive(struct type_data *d, uintptr_t bound)
{
	char x[48];

	if (!report_begin(&d->loc, "variable-length array bound"))
		return;
	format_value(x, sizeof(x), d->type, bound);
	kprintf("  variable length array bound evaluates to non-positive value %s\n", x);
	report_end();
}

void __ubsan_handle_pointer_overflow(struct location_data *d, uintptr_t base, uintptr_t result);
void __ubsan_handle_pointer_overflow(struct location_data *d, uintptr_t base, uintptr_t result)
{
	if (!report_begin(&d->loc, "pointer overflow"))
		return;
	if (!base && !result)
		kprintf("  applying zero offset to null pointer\n");
	else if (!result)
		kprintf("  applying non-zero offset to non-null pointer %#" PRIxPTR
			" produced null pointer\n", base);
	else
		kprintf("  pointer arithmetic on %#" PRIxPTR " overflowed to %#" PRIxPTR "\n",
			base, result);
	report_end();
}

void __ubsan_handle_nonnull_arg(struct nonnull_arg_data *d);
void __ubsan_handle_nonnull_arg(struct nonnull_arg_data *d)
{
	if (!report_begin(&d->loc, "null argument"))
		return;
	kprintf("  null pointer passed as argument %d, declared never null at %s:%u\n",
		d->arg_index, d->attr_loc.file ? d->attr_loc.file : "?", d->attr_loc.line);
	report_end();
}

void __ubsan_handle_nonnull_return_v1(struct nonnull_return_data *d, struct source_location *loc);
void __ubsan_handle_nonnull_return_v1(struct nonnull_return_data *d, struct source_location *loc)
{
	if (!report_begin(loc, "null return"))
		return;
	kprintf("  null pointer returned from a function declared never to return null (%s:%u)\n",
		d->attr_loc.file ? d->attr_loc.file : "?", d->attr_loc.line);
	report_end();
}

void __ubsan_handle_invalid_builtin(struct invalid_builtin_data *d);
void __ubsan_handle_invalid_builtin(struct invalid_builtin_data *d)
{
	if (!report_begin(&d->loc, "invalid builtin use"))
		return;
	kprintf("  passing zero to %s, which is not a valid argument\n",
		d->kind == 0 ? "ctz()" : "clz()");
	report_end();
}

void __ubsan_handle_alignment_assumption(struct alignment_assumption_data *d, uintptr_t ptr,
					 uintptr_t align, uintptr_t offset);
void __ubsan_handle_alignment_assumption(struct alignment_assumption_data *d, uintptr_t ptr,
					 uintptr_t align, uintptr_t offset)
{
	if (!report_begin(&d->loc, "alignment assumption"))
		return;
	kprintf("  assumption of %" PRIuPTR "-byte alignment (offset %" PRIuPTR ") for pointer %#"
		PRIxPTR " does not hold\n", align, offset, ptr);
	report_end();
}

/* Reaching these cannot be carried on from: the code after them does not exist. */
void __ubsan_handle_builtin_unreachable(struct location_data *d);
void __ubsan_handle_builtin_unreachable(struct location_data *d)
{
	report_begin(&d->loc, "unreachable code reached");
	panic("ubsan: __builtin_unreachable() reached at %s:%u", d->loc.file, d->loc.line);
}

void __ubsan_handle_missing_return(struct location_data *d);
void __ubsan_handle_missing_return(struct location_data *d)
{
	report_begin(&d->loc, "missing return");
	panic("ubsan: end of a value-returning function reached at %s:%u", d->loc.file, d->loc.line);
}

#endif
