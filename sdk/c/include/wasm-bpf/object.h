/* wasm-bpf/object.h — libbpf's object, program and map API for wasm32
 * guests, over the `wasm_bpf` imports, and the back-end of skeletons made by
 * `wasm-bpf gen skeleton`.
 *
 * The host only sees the object at load time and only by its ELF bytes, so
 * everything libbpf lets an application change before load is applied to a
 * private copy of the ELF: data sections (.rodata*, .data*) are written into
 * it, and sections whose programs all have autoload off are renamed
 * "?<name>". .bss has no bytes in the file; it is written into the kernel
 * map right after load. Data sections stay readable and writable after load
 * through the map the host exposes by section name (".bss"), with explicit
 * bpf_map__pull_data()/bpf_map__push_data() since guest memory cannot be
 * mmap()ed onto the kernel map.
 */
#ifndef WASM_BPF_OBJECT_H
#define WASM_BPF_OBJECT_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasm-bpf/bpf_defs.h"
#include "wasm-bpf/elf.h"
#include "wasm-bpf/imports.h"
#include "wasm-bpf/skel_desc.h"

#define LIBBPF_OPTS(TYPE, NAME, ...)                                           \
	struct TYPE NAME = {.sz = sizeof(struct TYPE), __VA_ARGS__}

/* libbpf's fields, so existing code compiles; only object_name is used
 * (the host opens the object with its own options). */
struct bpf_object_open_opts {
	size_t sz;
	const char *object_name;
	bool relaxed_maps;
	const char *pin_root_path;
	const char *kconfig;
	const char *btf_custom_path;
	char *kernel_log_buf;
	size_t kernel_log_size;
	uint32_t kernel_log_level;
};

struct bpf_object;

struct bpf_map {
	struct bpf_object *obj;
	char *name;
	int type;
	uint32_t key_size, value_size, max_entries; /* 0: unknown */
	int fd;	    /* cached after load, -1 before */
	void *data; /* data sections: the guest's copy (skel->rodata...) */
	size_t data_sz;
};

struct bpf_program {
	struct bpf_object *obj;
	char *name;
	char *sec;
	char attach_target[128];
	bool autoload, autoattach;
};

/* The host keeps the kernel link; the guest only knows it exists. */
struct bpf_link {
	struct bpf_program *prog;
	int id;
};

struct bpf_object {
	uint64_t handle; /* the host's, 0 until loaded */
	char name[64];
	void *elf;
	size_t elf_sz;
	bool lazy; /* opened without a skeleton: names resolved on demand */
	/* Set by bpf_program__set_autoload(): only guests that turn autoload
	 * off link the ELF rewriting it needs. */
	void *(*hide)(const void *elf, size_t sz, const char *const *secs,
		      int n, size_t *out_sz);
	struct bpf_map **maps;
	int nr_maps;
	struct bpf_program **progs;
	int nr_progs;
};

/* Guests are single threaded; these make fd-only APIs (bpf_map_*_elem on
 * a ring buffer fd, ring_buffer__new) find the object that owns an fd. */
static struct {
	int fd;
	uint64_t handle;
} wbpf__fd_owner[64];
static uint64_t wbpf__last_handle;

static inline int wbpf__ret(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* The host answers with Linux errno values (as libbpf and upstream
 * wasm-bpf do); wasi-libc numbers errno differently (EINTR is 27, not 4),
 * so results from imports are translated before a guest compares them
 * with E* constants. */
static inline int wbpf__errno_from_linux(int e)
{
	static const short map[][2] = {
	    {1, EPERM},		{2, ENOENT},	  {3, ESRCH},
	    {4, EINTR},		{5, EIO},	  {6, ENXIO},
	    {7, E2BIG},		{8, ENOEXEC},	  {9, EBADF},
	    {10, ECHILD},	{11, EAGAIN},	  {12, ENOMEM},
	    {13, EACCES},	{14, EFAULT},	  {16, EBUSY},
	    {17, EEXIST},	{18, EXDEV},	  {19, ENODEV},
	    {20, ENOTDIR},	{21, EISDIR},	  {22, EINVAL},
	    {23, ENFILE},	{24, EMFILE},	  {25, ENOTTY},
	    {27, EFBIG},	{28, ENOSPC},	  {30, EROFS},
	    {32, EPIPE},	{34, ERANGE},	  {35, EDEADLK},
	    {36, ENAMETOOLONG}, {38, ENOSYS},	  {40, ELOOP},
	    {71, EPROTO},	{74, EBADMSG},	  {75, EOVERFLOW},
	    {84, EILSEQ},	{88, ENOTSOCK},	  {95, EOPNOTSUPP},
	    {97, EAFNOSUPPORT}, {110, ETIMEDOUT}, {125, ECANCELED},
	    {524, EOPNOTSUPP}, /* the kernel's internal ENOTSUPP */
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i][0] == e)
			return map[i][1];
	return EIO;
}

/* A result from the host: negative Linux errno becomes negative WASI
 * errno, and errno is set, as libbpf does. */
static inline int wbpf__host(int ret)
{
	if (ret >= 0)
		return ret;
	return wbpf__ret(-wbpf__errno_from_linux(-ret));
}

static inline void wbpf__note_fd(int fd, uint64_t handle)
{
	for (size_t i = 0;
	     i < sizeof(wbpf__fd_owner) / sizeof(wbpf__fd_owner[0]); i++) {
		if (wbpf__fd_owner[i].handle && wbpf__fd_owner[i].fd != fd)
			continue;
		wbpf__fd_owner[i].fd = fd;
		wbpf__fd_owner[i].handle = handle;
		return;
	}
}

static inline uint64_t wbpf__fd_handle(int fd)
{
	for (size_t i = 0;
	     i < sizeof(wbpf__fd_owner) / sizeof(wbpf__fd_owner[0]); i++)
		if (wbpf__fd_owner[i].handle && wbpf__fd_owner[i].fd == fd)
			return wbpf__fd_owner[i].handle;
	return wbpf__last_handle;
}

static inline void wbpf__forget_handle(uint64_t handle)
{
	for (size_t i = 0;
	     i < sizeof(wbpf__fd_owner) / sizeof(wbpf__fd_owner[0]); i++)
		if (wbpf__fd_owner[i].handle == handle)
			wbpf__fd_owner[i].handle = 0;
	if (wbpf__last_handle == handle)
		wbpf__last_handle = 0;
}

/* ---- errors ------------------------------------------------------------ */

typedef int (*libbpf_print_fn_t)(int level, const char *, va_list ap);

static inline libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn)
{
	(void)fn; /* the host prints libbpf's log (wasm-bpf --verbose) */
	return NULL;
}

static inline int libbpf_strerror(int err, char *buf, size_t size)
{
	int n;

	if (!buf || !size)
		return -EINVAL;
	n = snprintf(buf, size, "%s", strerror(err < 0 ? -err : err));
	return n < 0 || (size_t)n >= size ? -ERANGE : 0;
}

static inline long libbpf_get_error(const void *ptr)
{
	return ptr ? 0 : -errno;
}

/* "0-3,5" -> 6; -errno if /sys is not visible to the guest (give it with
 * --dir /sys). Parsed by hand: fscanf would add 15 KB to every guest that
 * looks up a map. */
static inline int libbpf_num_possible_cpus(void)
{
	int fd = open("/sys/devices/system/cpu/possible", O_RDONLY);
	char buf[128], *p = buf;
	int n = 0, v;
	ssize_t len;

	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EINVAL;
	buf[len] = 0;
	while (*p >= '0' && *p <= '9') {
		for (v = 0; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (*p - '0');
		if (*p == '-' || *p == ',')
			p++; /* the highest number read is the last CPU */
		n = v + 1 > n ? v + 1 : n;
	}
	return n > 0 ? n : -EINVAL;
}

/* ---- objects ----------------------------------------------------------- */

static inline char *wbpf__strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = (char *)malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Room for one more pointer in *arr (n used). Doubles by calloc, copy and
 * free: realloc would pull dlmalloc's 1 KB realloc path into every guest. */
static inline int wbpf__grow(void ***arr, int n)
{
	void **a;

	if (n & (n - 1) || (n && n < 8))
		return 0; /* capacity is the next power of two >= 8 */
	a = (void **)calloc(n < 8 ? 8 : 2 * n, sizeof(*a));
	if (!a)
		return -ENOMEM;
	if (n)
		memcpy(a, *arr, n * sizeof(*a));
	free(*arr);
	*arr = a;
	return 0;
}

static inline struct bpf_map *wbpf__add_map(struct bpf_object *obj,
					    const char *name)
{
	struct bpf_map *m;

	if (wbpf__grow((void ***)&obj->maps, obj->nr_maps))
		return NULL;
	m = (struct bpf_map *)calloc(1, sizeof(*m));
	if (!m || !(m->name = wbpf__strdup(name))) {
		free(m);
		return NULL;
	}
	m->obj = obj;
	m->fd = -1;
	obj->maps[obj->nr_maps++] = m;
	return m;
}

static inline struct bpf_program *
wbpf__add_prog(struct bpf_object *obj, const char *name, const char *sec)
{
	struct bpf_program *p;

	if (wbpf__grow((void ***)&obj->progs, obj->nr_progs))
		return NULL;
	p = (struct bpf_program *)calloc(1, sizeof(*p));
	if (!p || !(p->name = wbpf__strdup(name)) ||
	    !(p->sec = wbpf__strdup(sec ? sec : ""))) {
		if (p)
			free(p->name);
		free(p);
		return NULL;
	}
	p->obj = obj;
	p->autoload = p->autoattach = true;
	obj->progs[obj->nr_progs++] = p;
	return p;
}

static inline struct bpf_object *wbpf__object_new(const void *elf, size_t sz,
						  const char *name)
{
	struct bpf_object *obj;

	if (!elf || !sz) {
		errno = EINVAL;
		return NULL;
	}
	obj = (struct bpf_object *)calloc(1, sizeof(*obj));
	if (!obj || !(obj->elf = malloc(sz))) {
		free(obj);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(obj->elf, elf, sz);
	obj->elf_sz = sz;
	snprintf(obj->name, sizeof(obj->name), "%s", name ? name : "bpf");
	return obj;
}

static inline struct bpf_object *
bpf_object__open_mem(const void *buf, size_t sz,
		     const struct bpf_object_open_opts *opts)
{
	struct bpf_object *obj;
	struct wbpf_elf_sec sec;

	if (!buf || wbpf_elf_find(buf, sz, ".strtab", &sec) < 0) {
		errno = EINVAL; /* not an ELF object */
		return NULL;
	}
	obj = wbpf__object_new(buf, sz, opts ? opts->object_name : NULL);
	if (obj)
		obj->lazy = true;
	return obj;
}

static inline struct bpf_object *
bpf_object__open_file(const char *path, const struct bpf_object_open_opts *opts)
{
	FILE *f = fopen(path, "rb");
	struct bpf_object *obj = NULL;
	long n = -1;
	void *buf = NULL;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 &&
	    !fseek(f, 0, SEEK_SET) && (buf = malloc(n)) &&
	    fread(buf, 1, n, f) == (size_t)n)
		obj = bpf_object__open_mem(buf, n, opts);
	else
		errno = buf ? EIO : (n > 0 ? ENOMEM : EINVAL);
	free(buf);
	fclose(f);
	return obj;
}

static inline struct bpf_object *bpf_object__open(const char *path)
{
	return bpf_object__open_file(path, NULL);
}

static inline const char *bpf_object__name(const struct bpf_object *obj)
{
	return obj ? obj->name : NULL;
}

/* Gives a data section map its guest copy, initialised from the ELF (zero
 * for .bss, which has no bytes in the file). */
static inline int wbpf__map_init_data(struct bpf_map *m, size_t sz)
{
	struct bpf_object *obj = m->obj;
	struct wbpf_elf_sec sec;

	if (wbpf_elf_find(obj->elf, obj->elf_sz, m->name, &sec) == 0 && !sz)
		sz = sec.size;
	m->data = calloc(1, sz ? sz : 1);
	if (!m->data)
		return -ENOMEM;
	m->data_sz = sz;
	if (wbpf_elf_find(obj->elf, obj->elf_sz, m->name, &sec) == 0 &&
	    sec.type != WBPF_SHT_NOBITS)
		memcpy(m->data, (char *)obj->elf + sec.offset,
		       sec.size < sz ? sec.size : sz);
	return 0;
}

static inline bool wbpf__is_data_sec(const char *name)
{
	return !strncmp(name, ".rodata", 7) || !strncmp(name, ".data", 5) ||
	       !strncmp(name, ".bss", 4);
}

static inline struct bpf_map *
bpf_object__find_map_by_name(const struct bpf_object *obj, const char *name)
{
	struct bpf_map *m;

	if (!obj || !name)
		return NULL;
	for (int i = 0; i < obj->nr_maps; i++)
		if (!strcmp(obj->maps[i]->name, name))
			return obj->maps[i];
	if (!obj->lazy)
		return NULL;
	/* No skeleton told us the maps: trust the name, the host checks it. */
	m = wbpf__add_map((struct bpf_object *)obj, name);
	if (m && wbpf__is_data_sec(name) && wbpf__map_init_data(m, 0))
		m->data = NULL;
	return m;
}

static inline struct bpf_program *
bpf_object__find_program_by_name(const struct bpf_object *obj, const char *name)
{
	if (!obj || !name)
		return NULL;
	for (int i = 0; i < obj->nr_progs; i++)
		if (!strcmp(obj->progs[i]->name, name))
			return obj->progs[i];
	return obj->lazy ? wbpf__add_prog((struct bpf_object *)obj, name, "")
			 : NULL;
}

/* ---- maps: the bpf(2) map commands by fd (bpf/bpf.h) -------------------- */

static inline int bpf_map_lookup_elem_flags(int fd, const void *key,
					    void *value, uint64_t flags)
{
	return wbpf__host(wasm_bpf_map_operate(
	    fd, BPF_MAP_LOOKUP_ELEM, (void *)key, value, NULL, flags));
}

static inline int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	return bpf_map_lookup_elem_flags(fd, key, value, 0);
}

static inline int bpf_map_update_elem(int fd, const void *key,
				      const void *value, uint64_t flags)
{
	return wbpf__host(wasm_bpf_map_operate(
	    fd, BPF_MAP_UPDATE_ELEM, (void *)key, (void *)value, NULL, flags));
}

static inline int bpf_map_delete_elem_flags(int fd, const void *key,
					    uint64_t flags)
{
	return wbpf__host(wasm_bpf_map_operate(fd, BPF_MAP_DELETE_ELEM,
					       (void *)key, NULL, NULL, flags));
}

static inline int bpf_map_delete_elem(int fd, const void *key)
{
	return bpf_map_delete_elem_flags(fd, key, 0);
}

static inline int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
	return wbpf__host(wasm_bpf_map_operate(fd, BPF_MAP_GET_NEXT_KEY,
					       (void *)key, NULL, next_key, 0));
}

/* ---- maps: the bpf_map__* API ----------------------------------------- */

static inline const char *bpf_map__name(const struct bpf_map *map)
{
	return map ? map->name : NULL;
}

static inline int bpf_map__type(const struct bpf_map *map)
{
	return map->type;
}

static inline uint32_t bpf_map__key_size(const struct bpf_map *map)
{
	return map->key_size;
}

static inline uint32_t bpf_map__value_size(const struct bpf_map *map)
{
	return map->value_size;
}

static inline uint32_t bpf_map__max_entries(const struct bpf_map *map)
{
	return map->max_entries;
}

static inline int bpf_map__fd(const struct bpf_map *map)
{
	struct bpf_map *m = (struct bpf_map *)map;
	int fd;

	if (!m)
		return wbpf__ret(-EINVAL);
	if (m->fd >= 0)
		return m->fd;
	if (!m->obj->handle)
		return wbpf__ret(-EINVAL); /* not loaded yet */
	fd = wasm_bpf_map_fd_by_name(m->obj->handle, m->name);
	if (fd < 0)
		return wbpf__host(fd);
	m->fd = fd;
	wbpf__note_fd(fd, m->obj->handle);
	return fd;
}

static inline bool wbpf__is_percpu(int type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* libbpf's checks: sizes must be the map's (per-CPU values: one 8-byte
 * aligned slot per possible CPU). Unknown sizes (lazy maps) pass. */
static inline int wbpf__check_sizes(const struct bpf_map *map, size_t key_sz,
				    size_t value_sz, bool check_value)
{
	size_t want = map->value_size;

	if (map->key_size && key_sz != map->key_size)
		return -EINVAL;
	if (!check_value || !map->value_size)
		return 0;
	if (wbpf__is_percpu(map->type)) {
		int ncpu = libbpf_num_possible_cpus();

		want = (want + 7) / 8 * 8;
		if (ncpu > 0)
			want *= ncpu;
		else
			return value_sz && value_sz % want == 0 ? 0 : -EINVAL;
	}
	return value_sz == want ? 0 : -EINVAL;
}

static inline int bpf_map__lookup_elem(const struct bpf_map *map,
				       const void *key, size_t key_sz,
				       void *value, size_t value_sz,
				       uint64_t flags)
{
	int err = wbpf__check_sizes(map, key_sz, value_sz, true);

	if (err)
		return wbpf__ret(err);
	return bpf_map_lookup_elem_flags(bpf_map__fd(map), key, value, flags);
}

static inline int bpf_map__update_elem(const struct bpf_map *map,
				       const void *key, size_t key_sz,
				       const void *value, size_t value_sz,
				       uint64_t flags)
{
	int err = wbpf__check_sizes(map, key_sz, value_sz, true);

	if (err)
		return wbpf__ret(err);
	return bpf_map_update_elem(bpf_map__fd(map), key, value, flags);
}

static inline int bpf_map__delete_elem(const struct bpf_map *map,
				       const void *key, size_t key_sz,
				       uint64_t flags)
{
	int err = wbpf__check_sizes(map, key_sz, 0, false);

	if (err)
		return wbpf__ret(err);
	return bpf_map_delete_elem_flags(bpf_map__fd(map), key, flags);
}

static inline int bpf_map__get_next_key(const struct bpf_map *map,
					const void *cur_key, void *next_key,
					size_t key_sz)
{
	int err = wbpf__check_sizes(map, key_sz, 0, false);

	if (err)
		return wbpf__ret(err);
	return bpf_map_get_next_key(bpf_map__fd(map), cur_key, next_key);
}

/* Map definitions travel in the object's BTF, which the guest does not
 * rewrite: resizing before load is not supported (the host could offer
 * it; none of upstream wasm-bpf's hosts do). */
static inline int bpf_map__set_max_entries(struct bpf_map *map, uint32_t n)
{
	(void)map;
	(void)n;
	return wbpf__ret(-EOPNOTSUPP);
}

static inline int bpf_map__set_value_size(struct bpf_map *map, uint32_t size)
{
	(void)map;
	(void)size;
	return wbpf__ret(-EOPNOTSUPP);
}

/* The guest copy of a data section (skel->bss and friends). */
static inline void *bpf_map__initial_value(struct bpf_map *map, size_t *psize)
{
	if (!map || !map->data)
		return NULL;
	if (psize)
		*psize = map->data_sz;
	return map->data;
}

static inline int bpf_map__set_initial_value(struct bpf_map *map,
					     const void *data, size_t size)
{
	if (!map || !map->data || map->obj->handle || size != map->data_sz)
		return wbpf__ret(-EINVAL);
	memcpy(map->data, data, size);
	return 0;
}

/* Refreshes the guest copy of a data section from the kernel (natively
 * the mmap()ed memory is always current; here it is explicit). */
static inline int bpf_map__pull_data(struct bpf_map *map)
{
	int zero = 0, fd;

	if (!map || !map->data)
		return wbpf__ret(-EINVAL);
	fd = bpf_map__fd(map);
	if (fd < 0)
		return fd;
	return bpf_map_lookup_elem(fd, &zero, map->data);
}

/* Writes the guest copy of a data section to the kernel. .rodata is
 * frozen after load: the kernel refuses (-EPERM). */
static inline int bpf_map__push_data(struct bpf_map *map)
{
	int zero = 0, fd;

	if (!map || !map->data)
		return wbpf__ret(-EINVAL);
	fd = bpf_map__fd(map);
	if (fd < 0)
		return fd;
	return bpf_map_update_elem(fd, &zero, map->data, BPF_ANY);
}

/* ---- load, close ------------------------------------------------------- */

/* Writes every data section's guest copy into `elf` (a private copy). */
static inline void wbpf__patch_data(struct bpf_object *obj, void *elf,
				    size_t sz)
{
	for (int i = 0; i < obj->nr_maps; i++) {
		struct bpf_map *m = obj->maps[i];
		struct wbpf_elf_sec sec;

		if (!m->data || wbpf_elf_find(elf, sz, m->name, &sec) ||
		    sec.type == WBPF_SHT_NOBITS)
			continue;
		memcpy((char *)elf + sec.offset, m->data,
		       sec.size < m->data_sz ? sec.size : m->data_sz);
	}
}

/* .bss starts zeroed in the kernel; write what the guest set before load. */
static inline int wbpf__push_bss(struct bpf_object *obj)
{
	for (int i = 0; i < obj->nr_maps; i++) {
		struct bpf_map *m = obj->maps[i];
		struct wbpf_elf_sec sec;
		size_t j = 0;

		if (!m->data ||
		    wbpf_elf_find(obj->elf, obj->elf_sz, m->name, &sec) ||
		    sec.type != WBPF_SHT_NOBITS)
			continue;
		while (j < m->data_sz && !((char *)m->data)[j])
			j++;
		if (j < m->data_sz && bpf_map__push_data(m) < 0)
			return -errno;
	}
	return 0;
}

/* Sections all of whose programs have autoload off (a section's programs
 * are loaded or not together once renamed, see wbpf_elf_hide_sections). */
static inline int wbpf__hidden_sections(struct bpf_object *obj,
					const char **secs)
{
	int n = 0;

	for (int i = 0; i < obj->nr_progs; i++) {
		const char *sec = obj->progs[i]->sec;
		bool hide = sec[0] != 0;

		for (int j = 0; hide && j < obj->nr_progs; j++)
			if (!strcmp(obj->progs[j]->sec, sec) &&
			    obj->progs[j]->autoload)
				hide = false;
		for (int j = 0; hide && j < n; j++)
			if (!strcmp(secs[j], sec))
				hide = false;
		if (hide)
			secs[n++] = sec;
	}
	return n;
}

/* The bytes the host gets: the object with autoload and data sections
 * applied. */
static inline void *wbpf__elf_for_load(struct bpf_object *obj, size_t *sz)
{
	const char **secs;
	void *elf;
	int n;

	secs = (const char **)calloc(obj->nr_progs + 1, sizeof(*secs));
	if (!secs)
		return NULL;
	n = obj->hide ? wbpf__hidden_sections(obj, secs) : 0;
	if (n) {
		elf = obj->hide(obj->elf, obj->elf_sz, secs, n, sz);
	} else {
		elf = malloc(obj->elf_sz);
		*sz = obj->elf_sz;
		if (elf)
			memcpy(elf, obj->elf, obj->elf_sz);
	}
	free(secs);
	if (elf)
		wbpf__patch_data(obj, elf, *sz);
	return elf;
}

static inline int bpf_object__load(struct bpf_object *obj)
{
	size_t sz;
	void *elf;
	uint64_t h;

	if (!obj)
		return wbpf__ret(-EINVAL);
	if (obj->handle)
		return wbpf__ret(-EBUSY); /* loaded already */
	elf = wbpf__elf_for_load(obj, &sz);
	if (!elf)
		return wbpf__ret(-ENOMEM);
	h = wasm_load_bpf_object(elf, (int)sz);
	free(elf);
	if (!h)
		return wbpf__ret(
		    -EINVAL); /* the host printed libbpf's reason */
	obj->handle = wbpf__last_handle = h;
	return wbpf__ret(wbpf__push_bss(obj));
}

static inline void bpf_object__close(struct bpf_object *obj)
{
	if (!obj)
		return;
	if (obj->handle) {
		wasm_close_bpf_object(obj->handle);
		wbpf__forget_handle(obj->handle);
	}
	for (int i = 0; i < obj->nr_maps; i++) {
		free(obj->maps[i]->name);
		free(obj->maps[i]->data);
		free(obj->maps[i]);
	}
	for (int i = 0; i < obj->nr_progs; i++) {
		free(obj->progs[i]->name);
		free(obj->progs[i]->sec);
		free(obj->progs[i]);
	}
	free(obj->maps);
	free(obj->progs);
	free(obj->elf);
	free(obj);
}

static inline int bpf_object__find_map_fd_by_name(const struct bpf_object *obj,
						  const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(obj, name));
}

#define bpf_object__for_each_map(pos, obj)                                     \
	for (int __i = 0; __i < (obj)->nr_maps && ((pos) = (obj)->maps[__i]);  \
	     __i++)
#define bpf_object__for_each_program(pos, obj)                                 \
	for (int __i = 0;                                                      \
	     __i < (obj)->nr_progs && ((pos) = (obj)->progs[__i]); __i++)

#include "wasm-bpf/program.h"
#include "wasm-bpf/skeleton.h"

#endif
