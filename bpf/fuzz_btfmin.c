/* fuzz_btfmin.c — libFuzzer target for the minimal CO-RE BTF builder
 * (bpf_btfmin.c): .BTF.ext parsing and the relocation walk on arbitrary
 * bytes. The object's BTF and the "kernel" BTF are small synthetic ones
 * with the shapes CO-RE meets in vmlinux (flavors, anonymous unions,
 * bitfields, zero-length and flexible arrays, typedef chains, enums,
 * self-reference, function pointers); FUZZ_BTFMIN_VMLINUX=1 uses the
 * real /sys/kernel/btf/vmlinux instead. The first input byte picks:
 *   0: the rest is [u16 length][.BTF.ext][strings added to the object's
 *      BTF, NUL-separated] (access strings of the fuzzer's choosing);
 *   1: patches (u16 offset, u32 value) to a valid .BTF.ext with one
 *      relocation of every kind, so the walk is reached at once;
 *   2: the rest is an ELF image whose .BTF.ext is used (libelf's path).
 * A minimal BTF that comes out must parse again (btf__new).
 * Build: make fuzz; run: build-fuzz/fuzz_btfmin [corpus].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_internal.h"

static struct btf *kern, *local;
static uint8_t tmpl[1024];
static size_t tmpl_len;

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	return 0;
}

/* The kernel side: the names the object's relocations look for. */
static void make_kern(struct btf *b)
{
	int i = btf__add_int(b, "int", 4, BTF_INT_SIGNED); /* 1 */
	int u = btf__add_int(b, "unsigned int", 4, 0);	   /* 2 */
	int c = btf__add_int(b, "char", 1, BTF_INT_CHAR);  /* 3 */
	int u32 = btf__add_typedef(b, "u32", u);	   /* 4 */
	int cha = btf__add_array(b, u, c, 16);		   /* 5 */
	int zero = btf__add_array(b, u, i, 0);		   /* 6 */
	int anon_s, anon_u, task, proto, fnp, list, tt;

	anon_s = btf__add_struct(b, NULL, 8); /* 7 */
	btf__add_field(b, "y", i, 0, 0);
	btf__add_field(b, "z", i, 32, 0);
	anon_u = btf__add_union(b, NULL, 8); /* 8 */
	btf__add_field(b, "x", i, 0, 0);
	btf__add_field(b, NULL, anon_s, 0, 0);
	proto = btf__add_func_proto(b, i); /* 9 */
	btf__add_func_param(b, "a", i);
	btf__add_func_param(b, NULL, 0);
	fnp = btf__add_ptr(b, proto);	       /* 10 */
	task = btf__add_struct(b, "task", 96); /* 11 */
	btf__add_field(b, "pid", i, 0, 0);
	btf__add_field(b, "comm", cha, 32, 0);
	btf__add_field(b, "parent", task + 1, 192, 0);
	btf__add_field(b, NULL, anon_u, 256, 0);
	btf__add_field(b, "flags", u32, 320, 3);
	btf__add_field(b, "mark", zero, 352, 0);
	btf__add_field(b, "fn", fnp, 384, 0);
	btf__add_field(b, "last", c, 448, 0);
	btf__add_field(b, "tail", zero, 480, 0);
	btf__add_ptr(b, task);		     /* 12 */
	btf__add_typedef(b, "task_t", task); /* 13 */
	btf__add_enum(b, "state", 4);	     /* 14 */
	btf__add_enum_value(b, "S_A", 0);
	btf__add_enum_value(b, "S_B", -1);
	btf__add_enum64(b, "big", 8, false); /* 15 */
	btf__add_enum64_value(b, "BIG_A", 1ULL << 40);
	list = btf__add_struct(b, "list", 8); /* 16 */
	btf__add_field(b, "next", list + 1, 0, 0);
	btf__add_ptr(b, list);			     /* 17 */
	tt = btf__add_type_tag(b, "user", i);	     /* 18 */
	btf__add_const(b, btf__add_volatile(b, tt)); /* 19, 20 */
	btf__add_fwd(b, "opaque", BTF_FWD_STRUCT);   /* 21 */
	btf__add_float(b, "float", 4);		     /* 22 */
	btf__add_struct(b, "task", 8); /* 23: a second candidate */
	btf__add_field(b, "pid", i, 0, 0);
}

/* The object's side: flavored and plain names, anonymous members. */
static void make_local(struct btf *b)
{
	int i = btf__add_int(b, "int", 4, BTF_INT_SIGNED); /* 1 */
	int c = btf__add_int(b, "char", 1, BTF_INT_CHAR);  /* 2 */
	int cha = btf__add_array(b, i, c, 16);		   /* 3 */
	int zero = btf__add_array(b, i, i, 0);		   /* 4 */
	int anon = btf__add_union(b, NULL, 8);		   /* 5 */
	int task;

	btf__add_field(b, "x", i, 0, 0);
	btf__add_field(b, "z", i, 0, 0);
	task = btf__add_struct(b, "task___loc", 96); /* 6 */
	btf__add_field(b, "pid", i, 0, 0);
	btf__add_field(b, "comm", cha, 32, 0);
	btf__add_field(b, NULL, anon, 64, 0);
	btf__add_field(b, "flags", i, 128, 3);
	btf__add_field(b, "mark", zero, 160, 0);
	btf__add_field(b, "tail", zero, 192, 0);
	btf__add_field(b, "missing", i, 224, 0);
	btf__add_typedef(b, "task_t", task); /* 7 */
	btf__add_enum(b, "state___x", 4);    /* 8 */
	btf__add_enum_value(b, "S_B", 1);
	btf__add_struct(b, "list", 8);	 /* 9 */
	btf__add_struct(b, "opaque", 0); /* 10 */
	btf__add_struct(b, "task", 4);	 /* 11 */
	btf__add_field(b, "pid", i, 0, 0);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A valid .BTF.ext: one section, one record per line below. */
static void make_tmpl(void)
{
	static const struct {
		uint32_t type;
		const char *acc;
		uint32_t kind;
	} r[] = {
	    {6, "0:0", 0},   {6, "0:1:3", 0}, {6, "0:2:0", 0}, {6, "0:2:1", 1},
	    {6, "0:3", 4},   {6, "0:3", 5},   {6, "0:3", 3},   {6, "0:4:2", 0},
	    {6, "0:5:7", 0}, {6, "0:6", 2},   {7, "0", 8},     {7, "0", 9},
	    {8, "0", 11},    {8, "0", 10},    {9, "0", 12},    {6, "0", 6},
	    {11, "0:0", 0},
	};
	uint8_t *p = tmpl, *sub = tmpl + 32;
	size_t n = sizeof(r) / sizeof(r[0]);

	memset(tmpl, 0, sizeof(tmpl));
	p[0] = 0x9f;
	p[1] = 0xeb;
	p[2] = 1;
	put32(p + 4, 32);
	put32(p + 28, 4 + 8 + 16 * n);
	put32(sub, 16);
	put32(sub + 4, btf__add_str(local, "tp/x"));
	put32(sub + 8, n);
	for (size_t k = 0; k < n; k++) {
		uint8_t *rec = sub + 12 + 16 * k;

		put32(rec, 8 * k);
		put32(rec + 4, r[k].type);
		put32(rec + 8, btf__add_str(local, r[k].acc));
		put32(rec + 12, r[k].kind);
	}
	tmpl_len = 32 + 12 + 16 * n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *v = getenv("FUZZ_BTFMIN_VMLINUX");

	libbpf_set_print(quiet);
	local = btf__new_empty();
	make_local(local);
	if (v && *v == '1') {
		kern = btf__load_vmlinux_btf();
	} else {
		kern = btf__new_empty();
		make_kern(kern);
	}
	if (!kern || !local)
		abort();
	make_tmpl();
	return 0;
}

/* Builds, and checks that what comes out is a BTF libbpf reads back. */
static void run(const struct btf *loc, const void *ext, size_t len)
{
	struct btf *out = NULL, *again;
	const void *raw;
	uint32_t n;

	bh_btfmin_count(ext, len);
	if (bh_btfmin_build(loc, ext, len, kern, &out))
		return;
	raw = btf__raw_data(out, &n);
	again = raw ? btf__new(raw, n) : NULL;
	if (!again || btf__type_cnt(out) > btf__type_cnt(kern))
		abort();
	btf__free(again);
	btf__free(out);
}

/* Mode 0: the fuzzer's .BTF.ext, and its strings in a copy of the BTF. */
static void run_raw(const uint8_t *d, size_t n)
{
	uint32_t raw_len;
	const void *raw = btf__raw_data(local, &raw_len);
	struct btf *loc = btf__new(raw, raw_len);
	size_t ext_len = n >= 2 ? (size_t)(d[0] | d[1] << 8) : 0;

	if (!loc)
		abort();
	d += n >= 2 ? 2 : n;
	n -= n >= 2 ? 2 : n;
	if (ext_len > n)
		ext_len = n;
	for (size_t at = ext_len, k = 0; at < n && k < 64; k++) {
		char s[256];
		size_t l = strnlen((const char *)d + at, n - at);

		snprintf(s, sizeof(s), "%.*s", (int)l, d + at);
		btf__add_str(loc, s);
		at += l + 1;
	}
	run(loc, d, ext_len);
	btf__free(loc);
}

/* Mode 1: the template with (offset, value) patches. */
static void run_patched(const uint8_t *d, size_t n)
{
	uint8_t ext[sizeof(tmpl)];

	memcpy(ext, tmpl, sizeof(ext));
	for (; n >= 6; d += 6, n -= 6) {
		uint16_t off;
		uint32_t v;

		memcpy(&off, d, 2);
		memcpy(&v, d + 2, 4);
		off %= tmpl_len;
		memcpy(ext + off, &v, tmpl_len - off < 4 ? tmpl_len - off : 4);
	}
	run(local, ext, tmpl_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const void *ext;
	size_t len;

	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		run_raw(data + 1, size - 1);
		break;
	case 1:
		run_patched(data + 1, size - 1);
		break;
	default:
		if (!bh_btfmin_ext(data + 1, size - 1, &ext, &len) && ext)
			run(local, ext, len);
	}
	return 0;
}
