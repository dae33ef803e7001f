/* wasm-bpf/skeleton.h — the skeleton back-end behind the functions that
 * `wasm-bpf gen skeleton` writes (NAME__open/load/attach/detach/destroy),
 * with libbpf's bpf_object__*_skeleton names.
 */
#ifndef WASM_BPF_SKELETON_H
#define WASM_BPF_SKELETON_H

struct bpf_object_skeleton {
	size_t sz;
	const char *name;
	const void *data;
	size_t data_sz;
	struct bpf_object **obj;
	int map_cnt;
	const struct wbpf_map_desc *map_desc;
	struct bpf_map ***map_slots;
	void ***data_slots;
	int prog_cnt;
	const struct wbpf_prog_desc *prog_desc;
	struct bpf_program ***prog_slots;
	struct bpf_link ***link_slots;
};

static inline void *wbpf__dup(const void *src, size_t n)
{
	void *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, src, n);
	return d;
}

/* The slot arrays the generated code passes live on its stack: copied. */
static inline struct bpf_object_skeleton *wbpf_skeleton__new(
    const char *name, const void *elf, size_t elf_sz, struct bpf_object **obj,
    const struct wbpf_map_desc *maps, struct bpf_map ***map_slots,
    void ***data_slots, int nmaps, const struct wbpf_prog_desc *progs,
    struct bpf_program ***prog_slots, struct bpf_link ***link_slots, int nprogs)
{
	struct bpf_object_skeleton *s;

	s = (struct bpf_object_skeleton *)calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct bpf_object_skeleton){
	    .sz = sizeof(*s),
	    .name = name,
	    .data = elf,
	    .data_sz = elf_sz,
	    .obj = obj,
	    .map_cnt = nmaps,
	    .map_desc = maps,
	    .prog_cnt = nprogs,
	    .prog_desc = progs,
	};
	s->map_slots = (struct bpf_map ***)wbpf__dup(
	    map_slots, nmaps * sizeof(*map_slots));
	s->data_slots =
	    (void ***)wbpf__dup(data_slots, nmaps * sizeof(*data_slots));
	s->prog_slots = (struct bpf_program ***)wbpf__dup(
	    prog_slots, nprogs * sizeof(*prog_slots));
	s->link_slots = (struct bpf_link ***)wbpf__dup(
	    link_slots, nprogs * sizeof(*link_slots));
	if (!s->map_slots || !s->data_slots || !s->prog_slots ||
	    !s->link_slots) {
		free(s->map_slots);
		free(s->data_slots);
		free(s->prog_slots);
		free(s->link_slots);
		free(s);
		return NULL;
	}
	return s;
}

static inline int wbpf__open_maps(struct bpf_object_skeleton *s,
				  struct bpf_object *obj)
{
	for (int i = 0; i < s->map_cnt; i++) {
		const struct wbpf_map_desc *d = &s->map_desc[i];
		struct bpf_map *m = wbpf__add_map(obj, d->name);

		if (!m)
			return -ENOMEM;
		m->type = d->type;
		m->key_size = d->key_size;
		m->value_size = d->value_size;
		m->max_entries = d->max_entries;
		*s->map_slots[i] = m;
		if (!s->data_slots[i])
			continue;
		if (wbpf__map_init_data(m, d->sec_size))
			return -ENOMEM;
		*s->data_slots[i] = m->data;
	}
	return 0;
}

static inline int
bpf_object__open_skeleton(struct bpf_object_skeleton *s,
			  const struct bpf_object_open_opts *opts)
{
	struct bpf_object *obj;
	int err;

	if (!s || !s->data || !s->data_sz)
		return wbpf__ret(-EINVAL);
	obj = wbpf__object_new(s->data, s->data_sz,
			       opts && opts->object_name ? opts->object_name
							 : s->name);
	if (!obj)
		return -errno;
	*s->obj = obj;
	err = wbpf__open_maps(s, obj);
	for (int i = 0; !err && i < s->prog_cnt; i++) {
		struct bpf_program *p = wbpf__add_prog(
		    obj, s->prog_desc[i].name, s->prog_desc[i].sec);

		if (!p)
			err = -ENOMEM;
		else
			*s->prog_slots[i] = p;
	}
	return wbpf__ret(err);
}

static inline int bpf_object__load_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return wbpf__ret(-EINVAL);
	return bpf_object__load(*s->obj);
}

/* libbpf semantics: every program with autoload and autoattach that can be
 * attached without more information is attached; the first failure fails
 * the call. A program given a target (bpf_set_prog_attach_target) is
 * attached to it whatever its section. */
static inline int bpf_object__attach_skeleton(struct bpf_object_skeleton *s)
{
	if (!s || !*s->obj)
		return wbpf__ret(-EINVAL);
	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_program *p = *s->prog_slots[i];
		struct bpf_link **link = s->link_slots[i];

		if (!p->autoload || !p->autoattach || *link)
			continue;
		if (!p->attach_target[0] && !wbpf__sec_autoattaches(p->sec))
			continue;
		*link = bpf_program__attach(p);
		if (!*link) {
			fprintf(stderr,
				"libbpf: prog '%s': failed to attach: %s\n",
				p->name, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static inline void bpf_object__detach_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->prog_cnt; i++) {
		bpf_link__destroy(*s->link_slots[i]);
		*s->link_slots[i] = NULL;
	}
}

static inline void bpf_object__destroy_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return;
	if (*s->obj)
		bpf_object__detach_skeleton(s);
	bpf_object__close(*s->obj);
	*s->obj = NULL;
	free(s->map_slots);
	free(s->data_slots);
	free(s->prog_slots);
	free(s->link_slots);
	free(s);
}

#endif
