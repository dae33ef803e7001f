/* bpf_map.c — wasm_bpf_map_operate: lookup, update, delete and get-next-key
 * on maps of the caller's own objects. The kernel reads and writes guest
 * memory directly, so every range is checked against the size the kernel
 * really copies (per-CPU values are one rounded slot per possible CPU), and
 * updates of maps whose values are descriptors only accept descriptors of
 * the caller's own programs and maps.
 */
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_internal.h"

enum {
	BH_MAP_LOOKUP = 1, /* the values of enum bpf_cmd upstream uses */
	BH_MAP_UPDATE = 2,
	BH_MAP_DELETE = 3,
	BH_MAP_NEXT_KEY = 4,
};

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

size_t bh_map_value_size(const struct bpf_map *m)
{
	size_t vs = bpf_map__value_size(m);
	int ncpus;

	if (!is_percpu(bpf_map__type(m)))
		return vs < 4 && vs ? 4 : vs; /* fd maps copy a u32 */
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return 0;
	return ((vs + 7) & ~(size_t)7) * (size_t)ncpus;
}

/* Where an update stores a descriptor: only the caller's own may go in. */
static int check_fd_value(struct bpf_host *h, enum bpf_map_type t,
			  const void *value)
{
	int fd = *(const int *)value;

	switch (t) {
	case BPF_MAP_TYPE_PROG_ARRAY:
		return bh_is_prog_fd(h, fd) ? 0 : -EBADF;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return bh_map_by_fd(h, fd) ? 0 : -EBADF;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_SOCKMAP:
	case BPF_MAP_TYPE_SOCKHASH:
		/* Host descriptors the guest cannot own: refuse. */
		return -EPERM;
	default:
		return 0;
	}
}

/* Guest range of `len` bytes, or NULL; len 0 needs no memory at all. */
static void *range(struct wasm_instance *inst, uint32_t ptr, size_t len,
		   int *err)
{
	void *p;

	if (len == 0)
		return NULL;
	p = len > UINT32_MAX ? NULL : wasm_instance__mem_ptr(inst, ptr, len);
	if (!p)
		*err = -EFAULT;
	return p;
}

int bh_map_operate(struct bpf_host *h, struct wasm_instance *inst, int32_t fd,
		   int32_t cmd, uint32_t key, uint32_t value, uint32_t next_key,
		   uint64_t flags)
{
	struct bpf_map *m = bh_map_by_fd(h, fd);
	size_t ks, vs;
	void *k, *v, *nk;
	int err = 0;

	if (!m)
		return -EBADF;
	if (cmd < BH_MAP_LOOKUP || cmd > BH_MAP_NEXT_KEY)
		return -EINVAL;
	ks = bpf_map__key_size(m);
	vs = bh_map_value_size(m);
	if (!vs && bpf_map__value_size(m))
		return -EINVAL;
	/* get-next-key from the start takes a NULL key: guest pointer 0. */
	k = (cmd == BH_MAP_NEXT_KEY && key == 0) ? NULL : range(inst, key, ks,
								&err);
	if (err)
		return err;
	switch (cmd) {
	case BH_MAP_LOOKUP:
		v = range(inst, value, vs, &err);
		if (err)
			return err;
		err = bpf_map_lookup_elem_flags(fd, k, v, flags);
		break;
	case BH_MAP_UPDATE:
		v = range(inst, value, vs, &err);
		if (err)
			return err;
		if (vs >= sizeof(int))
			err = check_fd_value(h, bpf_map__type(m), v);
		if (err)
			return err;
		err = bpf_map_update_elem(fd, k, v, flags);
		break;
	case BH_MAP_DELETE:
		err = bpf_map_delete_elem(fd, k);
		break;
	default:
		nk = range(inst, next_key, ks, &err);
		if (err)
			return err;
		err = bpf_map_get_next_key(fd, k, nk);
		break;
	}
	/* libbpf 1.x returns -errno itself. */
	return err < 0 ? err : 0;
}
