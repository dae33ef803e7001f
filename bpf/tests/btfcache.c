/* btfcache.c — the bpf suite's helper for the CO-RE BTF cache
 * (bpf_btfmin.c, bpf_btfcache.c); btfcache.sh runs it.
 *
 *   btfcache compare OBJ...
 *	for each object: builds the minimal BTF, loads the object once with it
 *	and once with the full vmlinux BTF, and requires every program's
 *	translated instructions (as the kernel reports them) to be the same;
 *	the minimal BTF must be under 1% of vmlinux.
 *   btfcache load [-v] [-d DIR] [-n] [-b BTF] OBJ
 *	one load through the host functions (fake instance) with those
 *	options (verbose, cache directory, no cache, btf_path); exits 0 if the
 *	object loaded, 1 if not.
 *   btfcache malformed OBJ DIR
 *	damages the object's .BTF.ext in many ways; each variant must load
 *	(or fail) with the cache in DIR as it does without a cache; and the
 *	builder must survive every truncation of the section.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_host.h"
#include "bpf/bpf_internal.h"
#include "bpf/tests/fake_engine.h"

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	return 0;
}

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0) {
		rewind(f);
		buf = malloc(n);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	if (f)
		fclose(f);
	return buf;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* ---- compare ----------------------------------------------------------- */

/* The kernel's view of a program, with what differs between two loads of
 * the same code (map ids, kernel addresses in ld_imm64) set to zero. */
static struct bpf_insn *xlated(int fd, uint32_t *n)
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);
	struct bpf_insn *insns;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return NULL;
	*n = info.xlated_prog_len / sizeof(*insns);
	insns = calloc(*n ? *n : 1, sizeof(*insns));
	if (!insns)
		return NULL;
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = *n * sizeof(*insns);
	info.xlated_prog_insns = (uintptr_t)insns;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		free(insns);
		return NULL;
	}
	for (uint32_t i = 0; i + 1 < *n; i++) {
		uint64_t imm;

		if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		imm = (uint64_t)(uint32_t)insns[i + 1].imm << 32 |
		      (uint32_t)insns[i].imm;
		if (insns[i].src_reg || imm >> 48 == 0xffff) {
			insns[i].imm = 0;
			insns[i + 1].imm = 0;
		}
		i++;
	}
	return insns;
}

static struct bpf_object *open_load(const void *buf, size_t len,
				    const char *btf, int *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .btf_custom_path = btf);
	struct bpf_object *obj = bpf_object__open_mem(buf, len, &o);

	*err = obj ? bpf_object__load(obj) : -errno;
	return obj;
}

/* 0 if every program of `full` translates as its namesake in `min`. */
static int same_programs(struct bpf_object *full, struct bpf_object *min,
			 int *nprogs, char *why, size_t size)
{
	struct bpf_program *p;

	*nprogs = 0;
	bpf_object__for_each_program(p, full)
	{
		struct bpf_program *q =
		    bpf_object__find_program_by_name(min, bpf_program__name(p));
		uint32_t n1 = 0, n2 = 0;
		struct bpf_insn *a, *b;
		int diff;

		if (bpf_program__fd(p) < 0)
			continue;
		a = xlated(bpf_program__fd(p), &n1);
		b = q ? xlated(bpf_program__fd(q), &n2) : NULL;
		diff = !a || !b || n1 != n2 || memcmp(a, b, n1 * sizeof(*a));
		free(a);
		free(b);
		if (diff) {
			snprintf(why, size,
				 "program %s differs (%u vs %u insns)",
				 bpf_program__name(p), n1, n2);
			return -1;
		}
		(*nprogs)++;
	}
	return 0;
}

static void compare_one(const char *path, const struct btf *kern,
			long long vmlinux_size)
{
	char name[256], file[] = "/tmp/wbt-btfmin-XXXXXX", why[256] = "";
	size_t len = 0, ext_len;
	void *buf = read_all(path, &len);
	struct bpf_object *plain = NULL, *full = NULL, *mini = NULL;
	struct btf *min = NULL;
	const void *ext, *raw;
	uint32_t raw_len = 0;
	int relos = 0, err, nprogs = 0, fd = -1;

	snprintf(name, sizeof(name), "btf cache: minimal BTF of %s",
		 base(path));
	plain = buf ? bpf_object__open_mem(buf, len, NULL) : NULL;
	if (!plain || bh_btfmin_ext(buf, len, &ext, &ext_len) ||
	    (relos = bh_btfmin_count(ext, ext_len)) <= 0) {
		printf("%s: %s: %s\n", relos ? "FAIL" : "SKIP", name,
		       relos ? "cannot read it" : "no CO-RE relocations");
		goto out;
	}
	err = bh_btfmin_build(bpf_object__btf(plain), ext, ext_len, kern, &min);
	raw = err ? NULL : btf__raw_data(min, &raw_len);
	fd = raw ? mkstemp(file) : -1;
	if (fd < 0 || write(fd, raw, raw_len) != (ssize_t)raw_len) {
		printf("FAIL: %s: build: %s\n", name,
		       strerror(err ? -err : EIO));
		goto out;
	}
	full = open_load(buf, len, NULL, &err);
	if (err) {
		printf("SKIP: %s: the object does not load here (%d)\n", name,
		       err);
		goto out;
	}
	mini = open_load(buf, len, file, &err);
	if (err)
		printf("FAIL: %s: loads with vmlinux, not with it (%d)\n", name,
		       err);
	else if (raw_len * 100LL >= vmlinux_size)
		printf("FAIL: %s: %u bytes, not under 1%% of vmlinux\n", name,
		       raw_len);
	else if (same_programs(full, mini, &nprogs, why, sizeof(why)))
		printf("FAIL: %s: %s\n", name, why);
	else
		printf("PASS: %s: %d relocations, %u bytes (vmlinux %lld), "
		       "%d programs translate identically\n",
		       name, relos, raw_len, vmlinux_size, nprogs);
out:
	if (fd >= 0) {
		unlink(file);
		close(fd);
	}
	bpf_object__close(mini);
	bpf_object__close(full);
	bpf_object__close(plain);
	btf__free(min);
	free(buf);
}

static int cmd_compare(int argc, char **argv)
{
	struct btf *kern = btf__load_vmlinux_btf();
	struct stat st;

	if (!kern || stat("/sys/kernel/btf/vmlinux", &st)) {
		printf("SKIP: btf cache: minimal BTF: no vmlinux BTF\n");
		return 0;
	}
	for (int i = 0; i < argc; i++)
		compare_one(argv[i], kern, (long long)st.st_size);
	btf__free(kern);
	return 0;
}

/* ---- load through the host ---------------------------------------------- */

struct load_opts {
	bool verbose, off;
	const char *dir, *btf;
};

/* The object's handle from wasm_load_bpf_object, 0 if it did not load. */
static uint64_t host_load(const void *buf, size_t len,
			  const struct load_opts *lo)
{
	struct bpf_host_opts o = {.sz = sizeof(o),
				  .verbose = lo->verbose,
				  .btf_path = lo->btf,
				  .btf_cache_dir = lo->dir,
				  .no_btf_cache = lo->off,
				  .wasi = (struct wasi_ctx *)1};
	struct wasm_instance *inst = fake_instance_new(len + 64);
	struct bpf_host *h = bpf_host__new(&o);
	struct wasm_linker l = {0};
	const struct fake_def *d;
	uint64_t s[8] = {0, len};

	if (!inst || !h || bpf_host__define(h, &l))
		exit(2);
	memcpy(inst->mem, buf, len);
	d = fake_lookup(&l, "wasm_bpf", "wasm_load_bpf_object");
	d->fn(inst, d->user, s);
	bpf_host__free(h);
	fake_instance_free(inst);
	return s[0];
}

static int cmd_load(int argc, char **argv)
{
	struct load_opts lo = {0};
	size_t len = 0;
	void *buf;
	int c;

	while ((c = getopt(argc, argv, "vd:nb:")) != -1) {
		switch (c) {
		case 'v':
			lo.verbose = true;
			break;
		case 'd':
			lo.dir = optarg;
			break;
		case 'n':
			lo.off = true;
			break;
		case 'b':
			lo.btf = optarg;
			break;
		default:
			return 2;
		}
	}
	buf = optind < argc ? read_all(argv[optind], &len) : NULL;
	if (!buf)
		return 2;
	c = host_load(buf, len, &lo) ? 0 : 1;
	printf("%s\n", c ? "load failed" : "loaded");
	free(buf);
	return c;
}

/* ---- malformed .BTF.ext ------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Damages to a .BTF.ext: a 32-bit value written into the header, the
 * CO-RE subsection (record size, then per ELF section {name, count,
 * records}) or its first record ({insn, type, access string, kind}). */
enum { AT_HDR, AT_SUB, AT_REC };
#define SEC_NAME 1 /* value: the section name's string offset */

static const struct {
	int at, off;
	uint32_t val;
	const char *what;
} damages[] = {
    {AT_HDR, 0, 0x0002eb9f, "version 2"},
    {AT_HDR, 4, 0xffffffff, "header longer than the section"},
    {AT_HDR, 24, 0xfffffff0, "CO-RE part past the end"},
    {AT_HDR, 28, 0x7fffffff, "CO-RE part longer than the section"},
    {AT_HDR, 28, 3, "CO-RE part shorter than a record size"},
    {AT_HDR, 28, 0, "no CO-RE part after all"},
    {AT_SUB, 0, 0, "record size 0"},
    {AT_SUB, 0, 15, "record size 15"},
    {AT_SUB, 0, 0x40000000, "huge record size"},
    {AT_SUB, 4, 0xffffff00, "section name outside the strings"},
    {AT_SUB, 8, 0xffffffff, "huge record count"},
    {AT_SUB, 8, 0, "no records"},
    {AT_REC, 4, 0xfffffff, "type id past the types"},
    {AT_REC, 4, 0, "type void"},
    {AT_REC, 8, 0xfffffff, "access string outside the strings"},
    {AT_REC, 8, SEC_NAME, "access string not of digits"},
    {AT_REC, 12, 7, "kind: the kernel's type id"},
    {AT_REC, 12, 99, "unknown kind"},
    {AT_REC, 12, 12, "a field record as a type match"},
};

/* Applies damage `k` to the section at `e` (n bytes); false if it does not
 * fit this section. */
static bool damage(uint8_t *e, size_t n, int k)
{
	uint32_t hl = get32(e + 4), co = get32(e + 24);
	uint8_t *sub = e + hl + co;
	uint8_t *base[] = {e, sub, sub + 12};
	uint32_t v = damages[k].val;

	if (n < 32 || (uint64_t)hl + co + 28 > n)
		return false;
	if (v == SEC_NAME)
		v = get32(sub + 4);
	put32(base[damages[k].at] + damages[k].off, v);
	return true;
}

static int cmd_malformed(const char *path, const char *dir)
{
	const char *name = "btf cache: malformed .BTF.ext loads as "
			   "without a cache";
	struct load_opts on = {.dir = dir}, off = {.off = true};
	size_t len = 0, ext_len;
	uint8_t *buf = read_all(path, &len), *copy;
	struct bpf_object *obj =
	    buf ? bpf_object__open_mem(buf, len, NULL) : NULL;
	struct btf *kern = btf__load_vmlinux_btf(), *min;
	const void *ext;
	int k, bad = 0, loaded = 0;

	if (!obj || !kern || bh_btfmin_ext(buf, len, &ext, &ext_len) || !ext) {
		printf("FAIL: %s: cannot read %s\n", name, path);
		return 1;
	}
	/* the builder on every prefix (the suite has no ASan: it must at
	 * least not crash; the fuzz target checks the rest) */
	for (size_t n = 0; n <= ext_len; n++)
		if (!bh_btfmin_build(bpf_object__btf(obj), ext, n, kern, &min))
			btf__free(min);
	copy = malloc(len);
	for (k = 0; copy && k < (int)(sizeof(damages) / sizeof(damages[0]));
	     k++) {
		uint64_t a, b;

		memcpy(copy, buf, len);
		if (!damage(copy + ((const uint8_t *)ext - buf), ext_len, k))
			continue;
		a = host_load(copy, len, &on);
		b = host_load(copy, len, &off);
		loaded += !!b;
		if (!a != !b) {
			printf("FAIL: %s: %s: %s with the cache, %s without\n",
			       name, damages[k].what, a ? "loads" : "fails",
			       b ? "loads" : "fails");
			bad = 1;
		}
	}
	if (!bad)
		printf("PASS: %s (%d variants, %d load)\n", name, k, loaded);
	free(copy);
	btf__free(kern);
	bpf_object__close(obj);
	free(buf);
	return bad;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	if (argc > 2 && !strcmp(argv[1], "compare"))
		return cmd_compare(argc - 2, argv + 2);
	if (argc > 2 && !strcmp(argv[1], "load"))
		return cmd_load(argc - 1, argv + 1);
	if (argc == 4 && !strcmp(argv[1], "malformed"))
		return cmd_malformed(argv[2], argv[3]);
	fprintf(stderr, "usage: btfcache compare OBJ... | load [-v] [-d DIR] "
			"[-n] [-b BTF] OBJ | malformed OBJ DIR\n");
	return 2;
}
