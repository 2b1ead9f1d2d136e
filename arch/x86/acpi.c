// SPDX-License-Identifier: MIT
/*
 * Firmware tables: the RSDP (found in the EBDA or the BIOS area), the
 * RSDT/XSDT it points to, and of those the MADT (processors), SRAT (NUMA
 * affinity) and SLIT (node distances). With no ACPI, the Intel MP table
 * (MultiProcessor Specification 1.4) names the processors instead.
 * Every table is checksummed and every entry length checked before use:
 * firmware is input like any other.
 */
#include "arch/x86/acpi.h"
#include "kernel/lib.h"

struct machine_topology topology;

static const void *(*rd)(uint64_t pa, uint64_t len, void *ctx);
static void *rd_ctx;

struct sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct rsdp {
	char sig[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t xchecksum, reserved[3];
} __attribute__((packed));

#define MADT_LAPIC		0
#define MADT_LAPIC_OVERRIDE	5
#define MADT_X2APIC		9
#define SRAT_CPU		0
#define SRAT_MEM		1
#define SRAT_X2APIC		2

static bool sum_ok(const void *p, uint64_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s == 0;
}

static const void *map(uint64_t pa, uint64_t len)
{
	return rd(pa, len, rd_ctx);
}

/* A whole table at @pa, or NULL if it is unreadable or fails its checksum. */
static const struct sdt_header *table_at(uint64_t pa)
{
	const struct sdt_header *h = map(pa, sizeof(*h));

	if (!h || h->length < sizeof(*h) || h->length > (1u << 20))
		return NULL;
	h = map(pa, h->length);
	return h && sum_ok(h, h->length) ? h : NULL;
}

static const struct rsdp *scan_rsdp(uint64_t from, uint64_t len)
{
	const uint8_t *p = map(from, len);

	for (uint64_t off = 0; p && off + 20 <= len; off += 16) {
		const struct rsdp *r = (const struct rsdp *)(p + off);
		if (!memcmp(r->sig, "RSD PTR ", 8) && sum_ok(r, 20))
			return r;
	}
	return NULL;
}

/* The EBDA's first KiB (its segment is at 0x40e), then 0xe0000-0xfffff. */
static const struct rsdp *find_rsdp(void)
{
	const uint16_t *ebda_seg = map(0x40e, 2);
	const struct rsdp *r = NULL;

	if (ebda_seg && *ebda_seg)
		r = scan_rsdp((uint64_t)*ebda_seg << 4, 1024);
	return r ? r : scan_rsdp(0xe0000, 0x20000);
}

static const struct sdt_header *find_table(const struct rsdp *r, const char sig[4])
{
	bool x = r->revision >= 2 && r->xsdt && sum_ok(r, sizeof(*r));
	const struct sdt_header *root = table_at(x ? r->xsdt : r->rsdt);
	unsigned esize = x ? 8 : 4;

	if (!root)
		return NULL;
	const uint8_t *e = (const uint8_t *)(root + 1);
	unsigned n = (root->length - sizeof(*root)) / esize;
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, e + i * esize, esize);
		const struct sdt_header *t = table_at(pa);
		if (t && !memcmp(t->sig, sig, 4))
			return t;
	}
	return NULL;
}

static void add_cpu(unsigned apic_id, unsigned boot_apic_id)
{
	struct machine_topology *t = &topology;

	if (apic_id > 255 || apic_id == boot_apic_id)
		return;		/* the boot CPU is already CPU 0; xAPIC ids only */
	for (unsigned i = 0; i < t->ncpus; i++)
		if (t->apic_id[i] == apic_id)
			return;
	if (t->ncpus == MM_MAX_CPUS) {
		kprintf("smp: more than %u CPUs; APIC id %u left out\n", MM_MAX_CPUS, apic_id);
		return;
	}
	t->apic_id[t->ncpus++] = (uint8_t)apic_id;
}

/* Walks the variable-length entries after a table's fixed part. */
#define FOR_EACH_ENTRY(p, end, start)					\
	for (const uint8_t *p = (start); p + 2 <= (end) && p[1] >= 2 && p + p[1] <= (end); \
	     p += p[1])

static bool parse_madt(const struct sdt_header *m, unsigned boot_apic_id)
{
	const uint8_t *end = (const uint8_t *)m + m->length;
	uint32_t lapic;

	if (m->length < sizeof(*m) + 8)
		return false;
	memcpy(&lapic, m + 1, 4);
	topology.lapic_pa = lapic;
	FOR_EACH_ENTRY(p, end, (const uint8_t *)(m + 1) + 8) {
		uint32_t flags, id;
		if (p[0] == MADT_LAPIC && p[1] >= 8) {
			memcpy(&flags, p + 4, 4);
			if (flags & 3)		/* enabled, or online-capable */
				add_cpu(p[3], boot_apic_id);
		} else if (p[0] == MADT_X2APIC && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
			if (flags & 3)
				add_cpu(id, boot_apic_id);
		} else if (p[0] == MADT_LAPIC_OVERRIDE && p[1] >= 12) {
			memcpy(&topology.lapic_pa, p + 4, 8);
		}
	}
	return true;
}

static int cpu_of_apic(unsigned apic_id)
{
	for (unsigned i = 0; i < topology.ncpus; i++)
		if (topology.apic_id[i] == apic_id)
			return (int)i;
	return -1;
}

static void note_node(unsigned node)
{
	if (node + 1 > topology.nnodes)
		topology.nnodes = node + 1;
}

static void parse_srat(const struct sdt_header *s)
{
	const uint8_t *end = (const uint8_t *)s + s->length;
	struct machine_topology *t = &topology;

	FOR_EACH_ENTRY(p, end, (const uint8_t *)(s + 1) + 12) {
		uint32_t flags, node;
		if (p[0] == SRAT_CPU && p[1] >= 16) {
			memcpy(&flags, p + 4, 4);
			node = p[2] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 |
			       (uint32_t)p[11] << 24;
			int c = cpu_of_apic(p[3]);
			if ((flags & 1) && c >= 0 && node < MAX_NODES) {
				t->cpu_node[c] = (uint8_t)node;
				note_node(node);
			}
		} else if (p[0] == SRAT_MEM && p[1] >= 40) {
			uint64_t base, len;
			memcpy(&node, p + 2, 4);
			memcpy(&base, p + 8, 8);
			memcpy(&len, p + 16, 8);
			memcpy(&flags, p + 28, 4);
			if (!(flags & 1) || !len || node >= MAX_NODES || t->nmem == MAX_MEM_AFFINITY)
				continue;
			t->mem[t->nmem++] = (struct mem_affinity){ base, base + len, node };
			note_node(node);
		}
	}
}

static void parse_slit(const struct sdt_header *s)
{
	const uint8_t *p = (const uint8_t *)(s + 1);
	uint64_t n;

	if (s->length < sizeof(*s) + 8)
		return;
	memcpy(&n, p, 8);
	if (n == 0 || n > MAX_NODES || s->length < sizeof(*s) + 8 + n * n)
		return;
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			topology.distance[i][j] = p[8 + i * n + j];
}

/* --- The MP table, for machines without ACPI ------------------------------- */

struct mp_float {
	char sig[4];
	uint32_t config;
	uint8_t length, revision, checksum, features[5];
} __attribute__((packed));

struct mp_config {
	char sig[4];
	uint16_t length;
	uint8_t revision, checksum;
	char oem[20];
	uint32_t oem_table;
	uint16_t oem_size, count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum, reserved;
} __attribute__((packed));

static const struct mp_float *scan_mp(uint64_t from, uint64_t len)
{
	const uint8_t *p = map(from, len);

	for (uint64_t off = 0; p && off + 16 <= len; off += 16) {
		const struct mp_float *f = (const struct mp_float *)(p + off);
		if (!memcmp(f->sig, "_MP_", 4) && f->length == 1 && sum_ok(f, 16))
			return f;
	}
	return NULL;
}

static bool parse_mp_table(unsigned boot_apic_id)
{
	const uint16_t *ebda_seg = map(0x40e, 2);
	const struct mp_float *f = ebda_seg && *ebda_seg ? scan_mp((uint64_t)*ebda_seg << 4, 1024)
							 : NULL;
	if (!f)
		f = scan_mp(0x9fc00, 0x400);
	if (!f)
		f = scan_mp(0xf0000, 0x10000);
	if (!f || !f->config)
		return false;
	const struct mp_config *c = map(f->config, sizeof(*c));
	if (!c || memcmp(c->sig, "PCMP", 4) || c->length < sizeof(*c))
		return false;
	c = map(f->config, c->length);
	if (!c || !sum_ok(c, c->length))
		return false;
	topology.lapic_pa = c->lapic;
	const uint8_t *p = (const uint8_t *)(c + 1), *end = (const uint8_t *)c + c->length;
	for (unsigned i = 0; i < c->count && p < end; i++) {
		if (p[0] == 0) {		/* processor: 20 bytes */
			if (p + 20 > end)
				break;
			if (p[3] & 1)		/* enabled */
				add_cpu(p[1], boot_apic_id);
			p += 20;
		} else {
			p += 8;			/* bus, I/O APIC, interrupt entries */
		}
	}
	return true;
}

/**
 * topology_discover() - find the CPUs and NUMA nodes
 * @read: maps [pa, pa + len) for reading, or returns NULL
 * @ctx: passed to @read
 * @boot_apic_id: the boot CPU's local APIC id (CPU 0)
 *
 * Without ACPI or an MP table, the machine has one CPU, the boot CPU.
 */
void topology_discover(const void *(*read)(uint64_t pa, uint64_t len, void *ctx), void *ctx,
		       unsigned boot_apic_id)
{
	struct machine_topology *t = &topology;
	const struct rsdp *r;
	const struct sdt_header *h;

	rd = read;
	rd_ctx = ctx;
	t->ncpus = 1;
	t->apic_id[0] = (uint8_t)boot_apic_id;
	t->lapic_pa = 0xfee00000;
	t->source = "none";
	if ((r = find_rsdp()) && (h = find_table(r, "APIC")) && parse_madt(h, boot_apic_id)) {
		t->source = "ACPI";
		if ((h = find_table(r, "SRAT")))
			parse_srat(h);
		if (t->nnodes > 1 && (h = find_table(r, "SLIT")))
			parse_slit(h);
	} else if (parse_mp_table(boot_apic_id)) {
		t->source = "MP table";
	}
	for (unsigned i = 0; i < MAX_NODES; i++)
		for (unsigned j = 0; j < MAX_NODES; j++)
			if (!t->distance[i][j])
				t->distance[i][j] = i == j ? 10 : 20;
	kprintf("smp: %u CPU%s from %s, local APIC at %#" PRIx64, t->ncpus, t->ncpus > 1 ? "s" : "",
		t->source, t->lapic_pa);
	if (t->nnodes > 1)
		kprintf(", %u NUMA nodes", t->nnodes);
	kprintf("\n");
}
