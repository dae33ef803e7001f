/* ubpf_load.c — a BPF ELF object for the userspace backend, without the
 * kernel: libbpf's open (no load) gives the maps' definitions and initial
 * data and the programs' names, sections and types; libelf gives the code
 * and its relocations. Each program is linked like libbpf links it for the
 * kernel: the subprograms it calls are appended after it, calls re-aimed,
 * and map references (LD_IMM64 against .maps or a data section) become
 * indexes of the object's maps. CO-RE relocations are not applied: the
 * offsets compiled in are this machine's (the context is this kernel's
 * struct pt_regs or tracepoint record).
 */
#include <errno.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "bpf/user/ubpf_int.h"

#define MAX_BLOCKS 256

struct ubpf_object {
	struct ubpf_map **maps;
	char (*map_names)[64]; /* libbpf's names: symbol or ".data"-like */
	size_t nmaps;
	struct ubpf_prog *progs;
	size_t nprogs;
	struct ubpf_task_layout task;
};

struct block {
	size_t sec;
	uint32_t start, cnt; /* in the section, instructions */
	uint32_t at;	     /* in the linked program */
};

struct linker {
	Elf *elf;
	size_t shstrndx;
	Elf_Data *syms;
	size_t strndx; /* the symbols' names */
	struct ubpf_object *obj;
	struct bpf_insn *insns;
	uint32_t cnt, cap;
	struct block blocks[MAX_BLOCKS];
	int nblocks;
	char *log;
	size_t log_size;
};

static int say(char *log, size_t size, int err, const char *fmt, ...)
{
	va_list ap;

	if (size) {
		va_start(ap, fmt);
		vsnprintf(log, size, fmt, ap);
		va_end(ap);
	}
	return err;
}

uint32_t ubpf_ctx_size(enum bpf_prog_type type)
{
	switch (type) {
	case BPF_PROG_TYPE_KPROBE: /* uprobes: x86-64 struct pt_regs */
		return 21 * 8;
	case BPF_PROG_TYPE_TRACEPOINT: /* syscalls: common fields, id, 6 args */
		return 64;
	default:
		return 0;
	}
}

static const char *sec_name(struct linker *l, size_t idx)
{
	Elf_Scn *scn = elf_getscn(l->elf, idx);
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh))
		return NULL;
	return elf_strptr(l->elf, l->shstrndx, sh.sh_name);
}

static Elf_Data *sec_data(struct linker *l, size_t idx, GElf_Shdr *sh)
{
	Elf_Scn *scn = elf_getscn(l->elf, idx);

	if (!scn || !gelf_getshdr(scn, sh))
		return NULL;
	return elf_getdata(scn, NULL);
}

/* ---- maps -------------------------------------------------------------- */

static int add_maps(struct ubpf_object *o, struct bpf_object *bo,
		    const int *fds, size_t nfds, char *log, size_t size)
{
	struct bpf_map *bm;
	size_t n = 0;

	bpf_object__for_each_map(bm, bo) n++;
	o->maps = calloc(n ? n : 1, sizeof(*o->maps));
	o->map_names = calloc(n ? n : 1, sizeof(*o->map_names));
	if (!o->maps || !o->map_names)
		return -ENOMEM;
	bpf_object__for_each_map(bm, bo)
	{
		struct ubpf_map_def d = {
		    .type = bpf_map__type(bm),
		    .key_size = bpf_map__key_size(bm),
		    .value_size = bpf_map__value_size(bm),
		    .max_entries = bpf_map__max_entries(bm),
		    .flags = bpf_map__map_flags(bm) & BPF_F_RDONLY_PROG};
		const void *init;
		size_t init_size;
		struct ubpf_map *m;

		snprintf(d.name, sizeof(d.name), "%s", bpf_map__name(bm));
		/* .rodata (and .kconfig): libbpf freezes these after load, so
		 * the verifier may take their values as constants */
		if (bpf_map__is_internal(bm) && (d.flags & BPF_F_RDONLY_PROG))
			d.flags |= BPF_F_RDONLY;
		if (fds && o->nmaps >= nfds)
			return say(log, size, -EINVAL,
				   "map '%s': no descriptor given",
				   bpf_map__name(bm));
		m = fds ? ubpf_map__open_fd(fds[o->nmaps]) : ubpf_map__new(&d);
		if (m && fds && memcmp(&d, ubpf_map__def(m), sizeof(d))) {
			ubpf_map__free(m);
			return say(log, size, -EINVAL,
				   "map '%s': the shared map differs",
				   bpf_map__name(bm));
		}
		if (!m)
			return say(log, size, -errno,
				   "map '%s': type %u is not supported in user "
				   "space (%s)",
				   bpf_map__name(bm), d.type, strerror(errno));
		o->maps[o->nmaps] = m;
		snprintf(o->map_names[o->nmaps++], 64, "%s", bpf_map__name(bm));
		init = bpf_map__initial_value(bm, &init_size);
		if (init && !fds && d.type == BPF_MAP_TYPE_ARRAY &&
		    init_size <= d.value_size)
			memcpy(ubpf_map__data(m), init, init_size);
	}
	return 0;
}

/* The map of data section SEC: libbpf names it after the section, maybe
 * behind a prefix of the object's name, or cut to 15 characters. */
static int data_map(struct ubpf_object *o, const char *sec)
{
	size_t i, sl = strlen(sec);

	for (i = 0; i < o->nmaps; i++) {
		const char *n = o->map_names[i];
		size_t nl = strlen(n);

		if ((nl >= sl && !strcmp(n + nl - sl, sec)) ||
		    (sl >= 15 && !strncmp(n, sec, 15)))
			return i;
	}
	return -1;
}

static int named_map(struct ubpf_object *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nmaps; i++)
		if (!strcmp(o->map_names[i], name))
			return i;
	return -1;
}

/* ---- linking ----------------------------------------------------------- */

static int add_block(struct linker *l, size_t sec, uint32_t start, uint32_t cnt)
{
	GElf_Shdr sh;
	Elf_Data *d = sec_data(l, sec, &sh);
	struct block *b;

	if (!d || (uint64_t)(start + (uint64_t)cnt) * 8 > d->d_size || !cnt)
		return say(l->log, l->log_size, -EINVAL,
			   "code outside section %zu", sec);
	if (l->nblocks == MAX_BLOCKS || l->cnt + (uint64_t)cnt > UBPF_MAX_INSNS)
		return say(l->log, l->log_size, -E2BIG, "program too large");
	if (l->cnt + cnt > l->cap) {
		uint32_t cap = (l->cnt + cnt) * 2;
		struct bpf_insn *n = realloc(l->insns, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->insns = n;
		l->cap = cap;
	}
	memcpy(l->insns + l->cnt, (char *)d->d_buf + (size_t)start * 8,
	       (size_t)cnt * 8);
	b = &l->blocks[l->nblocks++];
	*b = (struct block){sec, start, cnt, l->cnt};
	l->cnt += cnt;
	return b->at;
}

/* The function symbol starting at instruction IDX of section SEC. */
static int func_at(struct linker *l, size_t sec, uint32_t idx, GElf_Sym *out)
{
	size_t i, n = l->syms->d_size / sizeof(Elf64_Sym);

	for (i = 0; i < n; i++) {
		GElf_Sym s;

		if (gelf_getsym(l->syms, i, &s) &&
		    GELF_ST_TYPE(s.st_info) == STT_FUNC && s.st_shndx == sec &&
		    s.st_value == (uint64_t)idx * 8 && s.st_size) {
			*out = s;
			return 0;
		}
	}
	return -ENOENT;
}

/* Linked position of the function at IDX of SEC, appending it once. */
static int place(struct linker *l, size_t sec, uint32_t idx)
{
	GElf_Sym f;
	int i;

	for (i = 0; i < l->nblocks; i++)
		if (l->blocks[i].sec == sec && l->blocks[i].start == idx)
			return l->blocks[i].at;
	if (func_at(l, sec, idx, &f))
		return say(l->log, l->log_size, -EINVAL,
			   "call to instruction %u of %s, no function", idx,
			   sec_name(l, sec));
	return add_block(l, sec, idx, f.st_size / 8);
}

static int reloc_one(struct linker *l, struct block *b, GElf_Rel *rel,
		     int32_t *call_target, size_t *call_sec)
{
	uint32_t i = b->at + rel->r_offset / 8 - b->start;
	struct bpf_insn *in = &l->insns[i];
	GElf_Sym sym;
	const char *sn;
	int m;

	if (!gelf_getsym(l->syms, GELF_R_SYM(rel->r_info), &sym))
		return say(l->log, l->log_size, -EINVAL,
			   "bad relocation symbol");
	if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
		return say(l->log, l->log_size, -EOPNOTSUPP,
			   "instruction %u: '%s' is external (a kfunc, ksym or "
			   "kconfig), not supported",
			   i, elf_strptr(l->elf, l->strndx, sym.st_name));
	sn = sec_name(l, sym.st_shndx);
	if (!sn)
		return say(l->log, l->log_size, -EINVAL,
			   "relocation against section %u", sym.st_shndx);
	if (in->code == (BPF_JMP | BPF_CALL) &&
	    in->src_reg == BPF_PSEUDO_CALL) {
		*call_sec = sym.st_shndx;
		*call_target = sym.st_value / 8 + in->imm + 1;
		return 0;
	}
	if (in->code != (BPF_LD | BPF_IMM | BPF_DW) || i + 1 >= b->at + b->cnt)
		return say(l->log, l->log_size, -EINVAL,
			   "relocation of instruction %u (0x%02x)", i,
			   in->code);
	if (!strcmp(sn, ".maps")) {
		const char *name = elf_strptr(l->elf, l->strndx, sym.st_name);

		m = name ? named_map(l->obj, name) : -1;
		if (m < 0)
			return say(l->log, l->log_size, -ENOENT,
				   "instruction %u: unknown map", i);
		in->src_reg = BPF_PSEUDO_MAP_FD;
		in->imm = m;
		return 0;
	}
	m = data_map(l->obj, sn);
	if (m < 0)
		return say(l->log, l->log_size, -EOPNOTSUPP,
			   "instruction %u: reference into section %s is not "
			   "supported",
			   i, sn);
	in[1].imm = in->imm + (int32_t)sym.st_value;
	in->src_reg = BPF_PSEUDO_MAP_VALUE;
	in->imm = m;
	return 0;
}

/* Relocations and calls of block B (blocks it calls are appended). */
static int link_block(struct linker *l, int bi)
{
	struct block b = l->blocks[bi];
	int32_t *targets;
	size_t *tsecs;
	Elf_Scn *scn = NULL;
	uint32_t j;
	int err = 0;

	targets = calloc(b.cnt, sizeof(*targets));
	tsecs = calloc(b.cnt, sizeof(*tsecs));
	if (!targets || !tsecs) {
		err = -ENOMEM;
		goto out;
	}
	for (j = 0; j < b.cnt; j++)
		targets[j] = -1;
	while (!err && (scn = elf_nextscn(l->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t k;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL ||
		    sh.sh_info != b.sec)
			continue;
		d = elf_getdata(scn, NULL);
		for (k = 0; d && !err && k < sh.sh_size / sizeof(Elf64_Rel);
		     k++) {
			GElf_Rel rel;

			if (!gelf_getrel(d, k, &rel) || rel.r_offset % 8 ||
			    rel.r_offset / 8 < b.start ||
			    rel.r_offset / 8 >= b.start + b.cnt)
				continue;
			j = rel.r_offset / 8 - b.start;
			err = reloc_one(l, &b, &rel, &targets[j], &tsecs[j]);
		}
	}
	for (j = 0; !err && j < b.cnt; j++) {
		struct bpf_insn *in = &l->insns[b.at + j];
		int64_t t = targets[j] >= 0
				? targets[j]
				: (int64_t)b.start + j + 1 + in->imm;
		size_t sec = targets[j] >= 0 ? tsecs[j] : b.sec;
		int at;

		if (in->code != (BPF_JMP | BPF_CALL) ||
		    in->src_reg != BPF_PSEUDO_CALL)
			continue;
		if (targets[j] < 0 && t >= b.start && t < b.start + b.cnt)
			continue; /* inside this function: already relative */
		at = t < 0 ? -EINVAL : place(l, sec, t);
		if (at < 0)
			err = at;
		else
			l->insns[b.at + j].imm = at - (int64_t)(b.at + j + 1);
	}
out:
	free(targets);
	free(tsecs);
	return err;
}

static int find_symtab(struct linker *l)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(l->elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			l->syms = elf_getdata(scn, NULL);
			l->strndx = sh.sh_link;
			return l->syms ? 0 : -EINVAL;
		}
	}
	return -EINVAL;
}

/* The FUNC symbol NAME in the section named SEC. */
static int prog_sym(struct linker *l, const char *name, const char *sec,
		    GElf_Sym *out)
{
	size_t i, n = l->syms->d_size / sizeof(Elf64_Sym);

	for (i = 0; i < n; i++) {
		GElf_Sym s;
		const char *sn, *ss;

		if (!gelf_getsym(l->syms, i, &s) ||
		    GELF_ST_TYPE(s.st_info) != STT_FUNC)
			continue;
		sn = elf_strptr(l->elf, l->strndx, s.st_name);
		ss = sec_name(l, s.st_shndx);
		if (sn && ss && !strcmp(sn, name) && !strcmp(ss, sec)) {
			*out = s;
			return 0;
		}
	}
	return -ENOENT;
}

static int link_prog(struct linker *l, struct bpf_program *bp,
		     struct ubpf_prog *p)
{
	GElf_Sym s;
	int err, i;

	snprintf(p->name, sizeof(p->name), "%s", bpf_program__name(bp));
	snprintf(p->sec, sizeof(p->sec), "%s", bpf_program__section_name(bp));
	p->type = bpf_program__type(bp);
	p->ctx_size = ubpf_ctx_size(p->type);
	p->trace_fd = 2;
	p->maps = l->obj->maps;
	p->map_cnt = l->obj->nmaps;
	p->task = &l->obj->task;
	if (prog_sym(l, p->name, p->sec, &s) || s.st_value % 8 || !s.st_size)
		return say(l->log, l->log_size, -ENOENT,
			   "program '%s': no code", p->name);
	l->insns = NULL;
	l->cnt = l->cap = 0;
	l->nblocks = 0;
	err = add_block(l, s.st_shndx, s.st_value / 8, s.st_size / 8);
	for (i = 0; err >= 0 && i < l->nblocks; i++)
		err = link_block(l, i);
	p->insns = l->insns;
	p->insn_cnt = l->cnt;
	if (err < 0 && l->log_size) {
		char tmp[UBPF_LOG_SIZE];

		snprintf(tmp, sizeof(tmp), "program '%s': %s", p->name, l->log);
		snprintf(l->log, l->log_size, "%s", tmp);
	}
	return err < 0 ? err : 0;
}

static int add_progs(struct ubpf_object *o, struct bpf_object *bo,
		     const void *buf, size_t len, char *log, size_t size)
{
	struct linker l = {.obj = o, .log = log, .log_size = size};
	struct bpf_program *bp;
	void *copy = malloc(len);
	size_t n = 0;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	elf_version(EV_CURRENT);
	l.elf = elf_memory(copy, len);
	if (!l.elf || elf_getshdrstrndx(l.elf, &l.shstrndx) ||
	    find_symtab(&l)) {
		err = say(log, size, -EINVAL, "not a BPF ELF object");
		goto out;
	}
	bpf_object__for_each_program(bp, bo) n++;
	o->progs = calloc(n ? n : 1, sizeof(*o->progs));
	if (!o->progs) {
		err = -ENOMEM;
		goto out;
	}
	bpf_object__for_each_program(bp, bo)
	{
		err = link_prog(&l, bp, &o->progs[o->nprogs++]);
		if (err)
			break;
	}
out:
	if (l.elf)
		elf_end(l.elf);
	free(copy);
	return err;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

struct ubpf_object *ubpf_object__open_mem(const void *buf, size_t len,
					  char *log, size_t log_size)
{
	return ubpf_object__open_shared(buf, len, NULL, 0, log, log_size);
}

struct ubpf_object *ubpf_object__open_shared(const void *buf, size_t len,
					     const int *map_fds, size_t nmaps,
					     char *log, size_t log_size)
{
	struct ubpf_object *o = calloc(1, sizeof(*o));
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	/* A fixed name: libbpf's default for memory is the buffer's address,
	 * which would name the data sections' maps differently in each
	 * process sharing them. */
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "ubpf");
	struct bpf_object *bo = bpf_object__open_mem(buf, len, &oo);
	int err;

	libbpf_set_print(old);
	if (!o || !bo) {
		err = say(log, log_size, bo ? -ENOMEM : -errno,
			  "not a BPF object libbpf can open");
		goto fail;
	}
	ubpf_task__layout(bpf_object__btf(bo), &o->task);
	err = add_maps(o, bo, map_fds, nmaps, log, log_size);
	if (!err)
		err = add_progs(o, bo, buf, len, log, log_size);
	if (err)
		goto fail;
	bpf_object__close(bo);
	return o;
fail:
	bpf_object__close(bo);
	ubpf_object__close(o);
	errno = -err;
	return NULL;
}

void ubpf_object__close(struct ubpf_object *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->nprogs; i++)
		ubpf_prog__release(&o->progs[i]);
	for (i = 0; i < o->nmaps; i++)
		ubpf_map__free(o->maps[i]);
	free(o->progs);
	free(o->maps);
	free(o->map_names);
	free(o);
}

void ubpf_prog__release(struct ubpf_prog *p)
{
	free(p->insns);
	free(p->xinsns);
	p->insns = p->xinsns = NULL;
}

struct ubpf_prog *ubpf_object__prog(struct ubpf_object *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nprogs; i++)
		if (!strcmp(o->progs[i].name, name))
			return &o->progs[i];
	return NULL;
}

struct ubpf_prog *ubpf_object__prog_at(struct ubpf_object *o, size_t i)
{
	return i < o->nprogs ? &o->progs[i] : NULL;
}

struct ubpf_map *ubpf_object__map(struct ubpf_object *o, const char *name)
{
	int i = named_map(o, name);

	return i < 0 ? NULL : o->maps[i];
}

struct ubpf_map *ubpf_object__map_at(struct ubpf_object *o, size_t i)
{
	return i < o->nmaps ? o->maps[i] : NULL;
}
