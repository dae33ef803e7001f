/* bpf_scan.c — finds the BPF objects in a module's memory (bpf_scan.h). */
#include <errno.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "bpf/bpf_scan.h"

#define EM_BPF_MACHINE 247
/* libbpf prefixes internal maps (.rodata, .bss) with the object name. */
#define SCAN_OBJ "scan"

static uint64_t rd(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The size of a little-endian ELF64 BPF object starting at p (at most
 * avail bytes), or 0 if p does not start one: the furthest of the
 * section header table and every section with file contents. */
static size_t elf_extent(const uint8_t *p, size_t avail)
{
	uint64_t shoff, ent, num, end, off, sz;

	if (avail < 64 || memcmp(p, "\177ELF", 4) || p[4] != 2 || p[5] != 1 ||
	    rd(p + 18, 2) != EM_BPF_MACHINE)
		return 0;
	shoff = rd(p + 0x28, 8);
	ent = rd(p + 0x3a, 2);
	num = rd(p + 0x3c, 2);
	if (ent < 64 || shoff > avail || num > (avail - shoff) / ent)
		return 0;
	end = shoff + num * ent;
	for (uint64_t i = 0; i < num; i++) {
		const uint8_t *sh = p + shoff + i * ent;

		if (rd(sh + 4, 4) == SHT_NOBITS)
			continue;
		off = rd(sh + 0x18, 8);
		sz = rd(sh + 0x20, 8);
		if (off > avail || sz > avail - off)
			return 0;
		if (off + sz > end)
			end = off + sz;
	}
	return end;
}

static char *license_of(const uint8_t *p, size_t size)
{
	Elf *elf = elf_memory((char *)p, size);
	Elf_Scn *scn = NULL;
	size_t stridx;
	char *lic = NULL;

	if (!elf)
		return NULL;
	if (elf_getshdrstrndx(elf, &stridx) == 0) {
		while (!lic && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh))
				break;
			name = elf_strptr(elf, stridx, sh.sh_name);
			if (!name || strcmp(name, "license"))
				continue;
			d = elf_getdata(scn, NULL);
			if (d && d->d_buf && d->d_size)
				lic = strndup(d->d_buf, d->d_size);
		}
	}
	elf_end(elf);
	return lic;
}

static char *dupstr(const char *s)
{
	return strdup(s ? s : "unknown");
}

static int list_progs(struct bpf_object *o, struct bpf_scan_obj *so)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, o) n++;
	so->progs = calloc(n ? n : 1, sizeof(*so->progs));
	if (!so->progs)
		return -ENOMEM;
	bpf_object__for_each_program(p, o)
	{
		struct bpf_scan_prog *sp = &so->progs[so->nprogs++];

		sp->name = dupstr(bpf_program__name(p));
		sp->section = dupstr(bpf_program__section_name(p));
		sp->type =
		    dupstr(libbpf_bpf_prog_type_str(bpf_program__type(p)));
		if (!sp->name || !sp->section || !sp->type)
			return -ENOMEM;
	}
	return 0;
}

static int list_maps(struct bpf_object *o, struct bpf_scan_obj *so)
{
	struct bpf_map *m;
	int n = 0;

	bpf_object__for_each_map(m, o) n++;
	so->maps = calloc(n ? n : 1, sizeof(*so->maps));
	if (!so->maps)
		return -ENOMEM;
	bpf_object__for_each_map(m, o)
	{
		struct bpf_scan_map *sm = &so->maps[so->nmaps++];
		const char *name = bpf_map__name(m);

		if (name && !strncmp(name, SCAN_OBJ ".", sizeof(SCAN_OBJ)))
			name += sizeof(SCAN_OBJ) - 1;
		sm->name = dupstr(name);
		sm->type = dupstr(libbpf_bpf_map_type_str(bpf_map__type(m)));
		sm->key_size = bpf_map__key_size(m);
		sm->value_size = bpf_map__value_size(m);
		sm->max_entries = bpf_map__max_entries(m);
		if (!sm->name || !sm->type)
			return -ENOMEM;
	}
	return 0;
}

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return 0;
}

/* One candidate object; 1 if libbpf could not open it (skipped). */
static int scan_obj(const uint8_t *p, size_t size, size_t at,
		    struct bpf_scan *s)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = SCAN_OBJ);
	struct bpf_scan_obj *so, *nv;
	struct bpf_object *o;
	int r;

	o = bpf_object__open_mem(p, size, &oo);
	if (!o)
		return 1;
	nv = realloc(s->objs, (s->nobjs + 1) * sizeof(*nv));
	if (!nv) {
		bpf_object__close(o);
		return -ENOMEM;
	}
	s->objs = nv;
	so = memset(&nv[s->nobjs++], 0, sizeof(*so));
	so->offset = at;
	so->size = size;
	so->license = license_of(p, size);
	r = list_progs(o, so);
	if (!r)
		r = list_maps(o, so);
	bpf_object__close(o);
	return r;
}

static int scan_segment(const uint8_t *d, size_t len, struct bpf_scan *s)
{
	size_t at = 0, size;
	const uint8_t *p;
	int r;

	while (at + 64 <= len && (p = memmem(d + at, len - at, "\177ELF", 4))) {
		at = p - d;
		size = elf_extent(p, len - at);
		r = size ? scan_obj(p, size, at, s) : 1;
		if (r < 0)
			return r;
		at += r ? 4 : size;
	}
	return 0;
}

int bpf_scan_memory(const void *mem, size_t len, struct bpf_scan *out,
		    char *err, size_t errlen)
{
	libbpf_print_fn_t old;
	int r;

	memset(out, 0, sizeof(*out));
	elf_version(EV_CURRENT);
	old = libbpf_set_print(quiet);
	r = scan_segment(mem, len, out);
	libbpf_set_print(old);
	if (r) {
		snprintf(err, errlen, "%s", strerror(-r));
		bpf_scan_free(out);
	}
	return r;
}

void bpf_scan_free(struct bpf_scan *s)
{
	for (int i = 0; i < s->nobjs; i++) {
		struct bpf_scan_obj *o = &s->objs[i];

		for (int j = 0; j < o->nprogs; j++) {
			free(o->progs[j].name);
			free(o->progs[j].section);
			free(o->progs[j].type);
		}
		for (int j = 0; j < o->nmaps; j++) {
			free(o->maps[j].name);
			free(o->maps[j].type);
		}
		free(o->progs);
		free(o->maps);
		free(o->license);
	}
	free(s->objs);
	memset(s, 0, sizeof(*s));
}

/* Program types that need CAP_PERFMON besides CAP_BPF (tracing), or
 * CAP_NET_ADMIN (networking), as the kernel checks them at load or
 * attach time. */
static const char *const perfmon_types[] = {
    "kprobe",
    "tracepoint",
    "raw_tracepoint",
    "raw_tracepoint_writable",
    "perf_event",
    "tracing",
    "lsm",
    "ext",
    NULL,
};
static const char *const netadmin_types[] = {
    "xdp",
    "sched_cls",
    "sched_act",
    "cgroup_skb",
    "cgroup_sock",
    "cgroup_sock_addr",
    "cgroup_sockopt",
    "sock_ops",
    "sk_skb",
    "sk_msg",
    "lwt_in",
    "lwt_out",
    "lwt_xmit",
    "lwt_seg6local",
    "flow_dissector",
    "sk_reuseport",
    "sk_lookup",
    "netfilter",
    NULL,
};

static int any_of(const struct bpf_scan *s, const char *const *types)
{
	for (int i = 0; i < s->nobjs; i++)
		for (int j = 0; j < s->objs[i].nprogs; j++)
			for (int k = 0; types[k]; k++)
				if (!strcmp(s->objs[i].progs[j].type, types[k]))
					return 1;
	return 0;
}

void bpf_scan_caps(const struct bpf_scan *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", s->nobjs ? "CAP_BPF" : "",
		 any_of(s, perfmon_types) ? " CAP_PERFMON" : "",
		 any_of(s, netadmin_types) ? " CAP_NET_ADMIN" : "");
}
