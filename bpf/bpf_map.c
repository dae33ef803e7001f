/* bpf_map.c — wasm_bpf_map_operate: lookup, update, delete and get-next-key
 * on maps of the caller's own objects. The kernel reads and writes guest
 * memory directly, so every range is checked against the size the kernel
 * really copies (per-CPU values are one rounded slot per possible CPU), and
 * updates of maps whose values are descriptors only accept descriptors of
 * the caller's own programs and maps; descriptor keys are WASI descriptors.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_internal.h"
#include "wasi/wasi.h"

/* Linux 6.2; bookworm's UAPI headers predate it. */
#define BH_MAP_TYPE_CGRP_STORAGE 32

enum {
	BH_MAP_LOOKUP = 1, /* the values of enum bpf_cmd upstream uses */
	BH_MAP_UPDATE = 2,
	BH_MAP_DELETE = 3,
	BH_MAP_NEXT_KEY = 4,
};

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

size_t bh_map_value_size(const struct bpf_map *m)
{
	size_t vs = bpf_map__value_size(m);
	int ncpus;

	if (!is_percpu(bpf_map__type(m)))
		return vs < 4 && vs ? 4 : vs; /* fd maps copy a u32 */
	static int possible_cpus; /* fixed for the life of the system */
	if (!possible_cpus)
		possible_cpus = libbpf_num_possible_cpus();
	ncpus = possible_cpus;
	if (ncpus <= 0)
		return 0;
	return ((vs + 7) & ~(size_t)7) * (size_t)ncpus;
}

/* Where an update stores a descriptor: only the caller's own may go in. */
static int check_fd_value(struct bpf_host *h, enum bpf_map_type t,
			  const void *value, size_t vs)
{
	int fd;

	memcpy(&fd, value, sizeof(fd));
	switch (t) {
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_CPUMAP:
		/* { ifindex or qsize; optional program fd (> 0) } */
		if (vs < 8)
			return 0;
		memcpy(&fd, (const char *)value + 4, sizeof(fd));
		return fd <= 0 || bh_is_prog_fd(h, fd) ? 0 : -EBADF;
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

static bool fd_keyed(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_SK_STORAGE ||
	       t == BPF_MAP_TYPE_INODE_STORAGE ||
	       t == BPF_MAP_TYPE_TASK_STORAGE || t == BH_MAP_TYPE_CGRP_STORAGE;
}

/* Local storage maps are keyed by a descriptor (socket, file, pidfd,
 * cgroup): the key the guest passes is its own WASI descriptor, which the
 * host translates, so no host descriptor can be named. */
static int translate_key(struct bpf_host *h, const void *key, int *host_fd)
{
	int32_t gfd;

	if (!key)
		return -EINVAL;
	memcpy(&gfd, key, sizeof(gfd));
	*host_fd =
	    h->wasi && gfd >= 0 ? wasi_ctx__host_fd(h->wasi, gfd) : -EBADF;
	return *host_fd < 0 ? -EBADF : 0;
}

/* One command on map `mi` (descriptor `fd`) with key `k` already checked. */
static int run_cmd(struct bpf_host *h, struct wasm_instance *inst,
		   const struct bh_map_info *mi, int fd, int cmd, void *k,
		   uint32_t value, uint32_t next_key, uint64_t flags)
{
	size_t vs = mi->value_size;
	int err = 0;
	void *p;

	if (cmd == BH_MAP_DELETE)
		return bpf_map_delete_elem(fd, k);
	if (cmd == BH_MAP_NEXT_KEY) {
		p = range(inst, next_key, mi->key_size, &err);
		return err ? err : bpf_map_get_next_key(fd, k, p);
	}
	if (!vs && bpf_map__value_size(mi->map))
		return -EINVAL;
	p = range(inst, value, vs, &err);
	if (err)
		return err;
	if (cmd == BH_MAP_LOOKUP)
		return bpf_map_lookup_elem_flags(fd, k, p, flags);
	if (vs >= sizeof(int))
		err = check_fd_value(h, mi->type, p, vs);
	return err ? err : bpf_map_update_elem(fd, k, p, flags);
}

int bh_map_operate(struct bpf_host *h, struct wasm_instance *inst, int32_t fd,
		   int32_t cmd, uint32_t key, uint32_t value, uint32_t next_key,
		   uint64_t flags)
{
	const struct bh_map_info *mi = bh_map_by_fd(h, fd);
	void *k;
	int err = 0, host_key;

	if (!mi)
		return -EBADF;
	if (cmd < BH_MAP_LOOKUP || cmd > BH_MAP_NEXT_KEY)
		return -EINVAL;
	/* get-next-key from the start takes a NULL key: guest pointer 0. */
	if (cmd == BH_MAP_NEXT_KEY && key == 0)
		k = NULL;
	else
		k = range(inst, key, mi->key_size, &err);
	if (err)
		return err;
	if (fd_keyed(mi->type) && mi->key_size == sizeof(int)) {
		err = translate_key(h, k, &host_key);
		if (err)
			return err;
		k = &host_key;
	}
	err = run_cmd(h, inst, mi, fd, cmd, k, value, next_key, flags);
	/* libbpf 1.x returns -errno itself. */
	return err < 0 ? err : 0;
}
