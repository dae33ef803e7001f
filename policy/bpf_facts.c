/* bpf_facts.c — reading what a BPF object asks for: libbpf opens it (no
 * kernel involved) for program types and map definitions; libelf walks
 * every function's instructions for the helpers and kfuncs it calls, which
 * libbpf does not expose before load.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_internal.h"
#include "policy/bpf_facts.h"

#define CALL_INSN (BPF_JMP | BPF_CALL)
/* libbpf names internal maps (.rodata, .bss) after the object: "facts.bss" */
#define OBJ_NAME "facts"

static int say(char *err, size_t n, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && n) {
		va_start(ap, fmt);
		vsnprintf(err, n, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---- sizes -------------------------------------------------------------- */

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t bpf_facts__map_memory(enum bpf_map_type type, uint32_t key_size,
			       uint32_t value_size, uint32_t max_entries)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t cpus = ncpus > 0 ? (uint64_t)ncpus : 1;

	switch (type) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
		return max_entries;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		/* libbpf sizes it to the CPUs when the object leaves it 0 */
		return sat_mul(8, max_entries ? max_entries : cpus);
	default:
		break;
	}
	if (is_percpu(type))
		return sat_mul(max_entries,
			       sat_add(key_size, sat_mul(value_size, cpus)));
	return sat_mul(max_entries, (uint64_t)key_size + value_size);
}

/* ---- attach points named by the section ---------------------------------- */

static bool prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

enum bpf_facts_kind bpf_facts__kind(enum bpf_prog_type type,
				    enum bpf_attach_type expected,
				    const char *section)
{
	switch (type) {
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
		return BPF_FACTS_TRACEPOINT;
	case BPF_PROG_TYPE_KPROBE:
		return prefix(section, "uprobe") ||
			       prefix(section, "uretprobe") ||
			       prefix(section, "usdt")
			   ? BPF_FACTS_UPROBE
			   : BPF_FACTS_KPROBE;
	case BPF_PROG_TYPE_TRACING:
		if (expected == BPF_TRACE_RAW_TP)
			return BPF_FACTS_TRACEPOINT;
		return expected == BPF_TRACE_ITER ? BPF_FACTS_OTHER
						  : BPF_FACTS_KPROBE;
	case BPF_PROG_TYPE_XDP:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
		return BPF_FACTS_NETDEV;
	case BPF_PROG_TYPE_LSM:
		return BPF_FACTS_LSM;
	default:
		return bpf_host__is_cgroup_type(type) ? BPF_FACTS_CGROUP
						      : BPF_FACTS_OTHER;
	}
}

/* The part of the section after its first '/', as the policy names it:
 * "category:name" for tracepoints, the function without "+offset" for
 * kprobes, the binary for uprobes. NULL when the section names none. */
static char *target_of(const struct bpf_facts_func *f)
{
	const char *rest = strchr(f->section, '/');
	char *t, *cut;

	if (!rest || !rest[1] || f->kind == BPF_FACTS_OTHER ||
	    f->kind == BPF_FACTS_NETDEV || f->kind == BPF_FACTS_CGROUP)
		return NULL;
	t = strdup(rest + 1);
	if (!t)
		return NULL;
	if (f->kind == BPF_FACTS_TRACEPOINT) {
		cut = strchr(t, '/');
		if (cut)
			*cut = ':';
	} else if (f->kind == BPF_FACTS_KPROBE) {
		t[strcspn(t, "+")] = 0;
	} else if (f->kind == BPF_FACTS_UPROBE) {
		t[strcspn(t, ":")] = 0;
	}
	return t;
}

const char *bpf_facts__kind_name(enum bpf_facts_kind k)
{
	static const char *const names[] = {
	    [BPF_FACTS_OTHER] = "other",
	    [BPF_FACTS_TRACEPOINT] = "tracepoint",
	    [BPF_FACTS_KPROBE] = "kprobe",
	    [BPF_FACTS_UPROBE] = "uprobe",
	    [BPF_FACTS_NETDEV] = "netdev",
	    [BPF_FACTS_CGROUP] = "cgroup",
	    [BPF_FACTS_LSM] = "lsm",
	};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

/* Tracing needs CAP_PERFMON, networking CAP_NET_ADMIN, besides CAP_BPF,
 * as the kernel checks them at load or attach. */
static unsigned prog_caps(enum bpf_prog_type t)
{
	switch (t) {
	case BPF_PROG_TYPE_KPROBE:
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
	case BPF_PROG_TYPE_PERF_EVENT:
	case BPF_PROG_TYPE_TRACING:
	case BPF_PROG_TYPE_LSM:
	case BPF_PROG_TYPE_EXT:
		return BPF_FACTS_CAP_PERFMON;
	case BPF_PROG_TYPE_XDP:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_SOCK_OPS:
	case BPF_PROG_TYPE_SK_SKB:
	case BPF_PROG_TYPE_SK_MSG:
	case BPF_PROG_TYPE_LWT_IN:
	case BPF_PROG_TYPE_LWT_OUT:
	case BPF_PROG_TYPE_LWT_XMIT:
	case BPF_PROG_TYPE_LWT_SEG6LOCAL:
	case BPF_PROG_TYPE_FLOW_DISSECTOR:
	case BPF_PROG_TYPE_SK_REUSEPORT:
	case BPF_PROG_TYPE_SK_LOOKUP:
		return BPF_FACTS_CAP_NET_ADMIN;
	default:
		return 0;
	}
}

unsigned bpf_facts__caps(const struct bpf_facts *f)
{
	unsigned caps = BPF_FACTS_CAP_BPF;

	for (size_t i = 0; i < f->nfuncs; i++)
		if (f->funcs[i].is_prog)
			caps |= prog_caps(f->funcs[i].type);
	return caps;
}

/* ---- the ELF side ------------------------------------------------------- */

struct elf_view {
	Elf *elf;
	size_t shstrndx;
	Elf_Scn *symtab;
	GElf_Shdr symtab_sh;
	Elf_Data *syms;
};

static int add_helper(struct bpf_facts_func *f, uint32_t id)
{
	uint32_t *n;

	for (size_t i = 0; i < f->nhelpers; i++)
		if (f->helpers[i] == id)
			return 0;
	n = realloc(f->helpers, (f->nhelpers + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	n[f->nhelpers++] = id;
	f->helpers = n;
	return 0;
}

static int add_kfunc(struct bpf_facts_func *f, const char *name)
{
	char **n;

	for (size_t i = 0; i < f->nkfuncs; i++)
		if (!strcmp(f->kfuncs[i], name))
			return 0;
	n = realloc(f->kfuncs, (f->nkfuncs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	f->kfuncs = n;
	n[f->nkfuncs] = strdup(name);
	return n[f->nkfuncs++] ? 0 : -ENOMEM;
}

/* The undefined symbol a relocation at instruction `idx` of section
 * `sec` points to (an extern: a kfunc when the instruction is a call). */
static const char *extern_at(struct elf_view *v, size_t sec, size_t idx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Rel rel;
	GElf_Sym sym;

	while ((scn = elf_nextscn(v->elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL ||
		    sh.sh_info != sec || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0;
		     sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			if (!gelf_getrel(d, (int)i, &rel) ||
			    rel.r_offset != idx * sizeof(struct bpf_insn) ||
			    !gelf_getsym(v->syms, (int)GELF_R_SYM(rel.r_info),
					 &sym) ||
			    sym.st_shndx != SHN_UNDEF)
				continue;
			return elf_strptr(v->elf, v->symtab_sh.sh_link,
					  sym.st_name);
		}
	}
	return NULL;
}

static int scan_calls(struct elf_view *v, struct bpf_facts_func *f, size_t sec,
		      const struct bpf_insn *insns, size_t first)
{
	const char *kf;
	int err = 0;

	for (size_t i = 0; !err && i < f->insns; i++) {
		const struct bpf_insn *in = &insns[i];

		if (in->code != CALL_INSN)
			continue;
		if (in->src_reg == 0) {
			err = add_helper(f, (uint32_t)in->imm);
			continue;
		}
		if (in->src_reg != BPF_PSEUDO_CALL &&
		    in->src_reg != BPF_PSEUDO_KFUNC_CALL)
			continue;
		/* clang emits a kfunc call as a pseudo call to an extern */
		kf = extern_at(v, sec, first + i);
		if (kf)
			err = add_kfunc(f, kf);
		else if (in->src_reg == BPF_PSEUDO_KFUNC_CALL)
			err = add_kfunc(f, "?");
	}
	return err;
}

static int add_func(struct bpf_facts *fa, struct elf_view *v, Elf_Scn *scn,
		    const GElf_Sym *sym)
{
	struct bpf_facts_func *f, *n;
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	const char *name, *sec;
	size_t first, count;

	if (!d || !d->d_buf || !gelf_getshdr(scn, &sh))
		return -EINVAL;
	name = elf_strptr(v->elf, v->symtab_sh.sh_link, sym->st_name);
	sec = elf_strptr(v->elf, v->shstrndx, sh.sh_name);
	first = sym->st_value / sizeof(struct bpf_insn);
	count = sym->st_size / sizeof(struct bpf_insn);
	if (!name || !sec || sym->st_value % sizeof(struct bpf_insn) ||
	    first > d->d_size / sizeof(struct bpf_insn) ||
	    count > d->d_size / sizeof(struct bpf_insn) - first)
		return -EINVAL;
	n = realloc(fa->funcs, (fa->nfuncs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	fa->funcs = n;
	f = &n[fa->nfuncs++];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->section = strdup(sec);
	f->insns = (uint32_t)count;
	if (!f->name || !f->section)
		return -ENOMEM;
	return scan_calls(v, f, elf_ndxscn(scn),
			  (const struct bpf_insn *)d->d_buf + first, first);
}

static int scan_funcs(struct bpf_facts *fa, struct elf_view *v)
{
	GElf_Sym sym;
	GElf_Shdr sh;
	Elf_Scn *scn;
	size_t n = v->symtab_sh.sh_entsize
		       ? v->symtab_sh.sh_size / v->symtab_sh.sh_entsize
		       : 0;
	int err = 0;

	for (size_t i = 0; !err && i < n; i++) {
		if (!gelf_getsym(v->syms, (int)i, &sym) ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
			continue;
		scn = elf_getscn(v->elf, sym.st_shndx);
		if (!scn || !gelf_getshdr(scn, &sh) ||
		    !(sh.sh_flags & SHF_EXECINSTR) ||
		    sh.sh_type != SHT_PROGBITS)
			continue;
		err = add_func(fa, v, scn, &sym);
	}
	return err;
}

static void read_license(struct bpf_facts *fa, struct elf_view *v)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	const char *name;

	while ((scn = elf_nextscn(v->elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) ||
		    !(name = elf_strptr(v->elf, v->shstrndx, sh.sh_name)) ||
		    strcmp(name, "license") || !(d = elf_getdata(scn, NULL)) ||
		    !d->d_buf)
			continue;
		snprintf(fa->license, sizeof(fa->license), "%.*s",
			 (int)strnlen(d->d_buf, d->d_size), (char *)d->d_buf);
		return;
	}
}

static int open_view(struct elf_view *v, void *img, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	memset(v, 0, sizeof(*v));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	v->elf = elf_memory(img, len);
	if (!v->elf || elf_kind(v->elf) != ELF_K_ELF ||
	    elf_getshdrstrndx(v->elf, &v->shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(v->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			v->symtab = scn;
			v->symtab_sh = sh;
			v->syms = elf_getdata(scn, NULL);
		}
	return v->syms ? 0 : -EINVAL;
}

/* ---- the libbpf side ------------------------------------------------------
 */

static void type_funcs(struct bpf_facts *fa, struct bpf_object *obj)
{
	for (size_t i = 0; i < fa->nfuncs; i++) {
		struct bpf_facts_func *f = &fa->funcs[i];
		struct bpf_program *p =
		    bpf_object__find_program_by_name(obj, f->name);

		if (!p || strcmp(bpf_program__section_name(p), f->section))
			continue;
		f->is_prog = true;
		f->type = bpf_program__type(p);
		f->expected_attach = bpf_program__expected_attach_type(p);
		f->kind =
		    bpf_facts__kind(f->type, f->expected_attach, f->section);
		f->target = target_of(f);
	}
}

/* As the object names it: ".rodata", not "facts.rodata". */
static const char *map_name(const struct bpf_map *m)
{
	const char *name = bpf_map__name(m);

	if (!strncmp(name, OBJ_NAME ".", sizeof(OBJ_NAME)))
		name += sizeof(OBJ_NAME) - 1;
	return name;
}

static int read_maps(struct bpf_facts *fa, struct bpf_object *obj)
{
	struct bpf_map *m;
	size_t n = 0;

	bpf_object__for_each_map(m, obj) n++;
	fa->maps = calloc(n ? n : 1, sizeof(*fa->maps));
	if (!fa->maps)
		return -ENOMEM;
	bpf_object__for_each_map(m, obj)
	{
		struct bpf_facts_map *fm = &fa->maps[fa->nmaps++];

		fm->name = strdup(map_name(m));
		if (!fm->name)
			return -ENOMEM;
		fm->type = bpf_map__type(m);
		fm->key_size = bpf_map__key_size(m);
		fm->value_size = bpf_map__value_size(m);
		fm->max_entries = bpf_map__max_entries(m);
		fm->memory = bpf_facts__map_memory(
		    fm->type, fm->key_size, fm->value_size, fm->max_entries);
		fa->map_memory = sat_add(fa->map_memory, fm->memory);
		if (fm->type == BPF_MAP_TYPE_RINGBUF)
			fa->ringbuf_bytes =
			    sat_add(fa->ringbuf_bytes, fm->memory);
	}
	return 0;
}

static int core_relos(const void *img, size_t len)
{
	const void *ext;
	size_t ext_len;

	if (bh_btfmin_ext(img, len, &ext, &ext_len))
		return -1;
	return ext ? bh_btfmin_count(ext, ext_len) : 0;
}

/* ---- entry points -------------------------------------------------------- */

int bpf_facts__scan(const void *elf, size_t len, struct bpf_facts **out,
		    char *err, size_t err_len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = OBJ_NAME);
	struct bpf_facts *fa = calloc(1, sizeof(*fa));
	struct bpf_object *obj = NULL;
	struct elf_view v = {0};
	void *img = malloc(len ? len : 1);
	int r = -ENOMEM;

	*out = NULL;
	if (!fa || !img)
		goto done;
	memcpy(img, elf, len);
	r = open_view(&v, img, len);
	if (r) {
		say(err, err_len, 0,
		    "not a BPF ELF object with a symbol table");
		goto done;
	}
	r = scan_funcs(fa, &v);
	if (r) {
		say(err, err_len, 0, "malformed function symbol or code");
		goto done;
	}
	read_license(fa, &v);
	fa->core_relos = core_relos(img, len);
	r = bh_object_check(img, len);
	if (r) {
		say(err, err_len, 0,
		    "malformed object: a name, symbol or "
		    "BTF type refers to nothing");
		goto done;
	}
	obj = bpf_object__open_mem(img, len, &oo);
	if (!obj) {
		r = -errno;
		say(err, err_len, 0, "libbpf cannot open it: %s",
		    strerror(errno));
		goto done;
	}
	type_funcs(fa, obj);
	r = read_maps(fa, obj);
done:
	if (r == -ENOMEM)
		say(err, err_len, 0, "out of memory");
	bpf_object__close(obj);
	if (v.elf)
		elf_end(v.elf);
	free(img);
	if (r)
		bpf_facts__free(fa);
	else
		*out = fa;
	return r;
}

void bpf_facts__free(struct bpf_facts *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nfuncs; i++) {
		struct bpf_facts_func *fn = &f->funcs[i];

		free(fn->name);
		free(fn->section);
		free(fn->target);
		free(fn->helpers);
		for (size_t k = 0; k < fn->nkfuncs; k++)
			free(fn->kfuncs[k]);
		free(fn->kfuncs);
	}
	for (size_t i = 0; i < f->nmaps; i++)
		free(f->maps[i].name);
	free(f->funcs);
	free(f->maps);
	free(f);
}
