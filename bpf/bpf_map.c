/* bpf_map.c — wasm_bpf_map_operate: lookup, update, delete and get-next-key
 * on maps of the caller's own objects. The kernel reads and writes guest
 * memory directly, so every range is checked against the size the kernel
 * really copies (per-CPU values are one rounded slot per possible CPU), and
 * no host descriptor number a guest wrote reaches the kernel: descriptors
 * in values are the caller's own programs and maps, or WASI descriptors
 * translated to the host's (sockets, cgroups), as are descriptor keys.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_internal.h"
#include "wasi/wasi.h"

/* Linux 6.2; bookworm's UAPI headers predate it. */
#define BH_MAP_TYPE_CGRP_STORAGE 32
/* The newest map type whose values this file knows (ARENA, Linux 6.9). */
#define BH_MAP_TYPE_LAST 33

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
	/* Fixed for the life of the system; atomic: hosts run on threads. */
	static int possible_cpus;
	ncpus = __atomic_load_n(&possible_cpus, __ATOMIC_RELAXED);
	if (!ncpus) {
		ncpus = libbpf_num_possible_cpus();
		__atomic_store_n(&possible_cpus, ncpus, __ATOMIC_RELAXED);
	}
	if (ncpus <= 0)
		return 0;
	return ((vs + 7) & ~(size_t)7) * (size_t)ncpus;
}

/* What the value of an update names, by map type. Descriptors never reach
 * the kernel as numbers the guest chose: each is the caller's own program
 * or map (host numbers, as wasm_bpf_map_fd_by_name hands them out, which
 * is what upstream guests store), or a WASI descriptor the guest holds,
 * translated to the host's. */
enum bh_value {
	BH_VAL_DATA,	 /* plain bytes */
	BH_VAL_PROG,	 /* a program of the caller's objects */
	BH_VAL_MAP,	 /* a map of the caller's objects */
	BH_VAL_GUEST_FD, /* a socket or cgroup the guest holds */
	BH_VAL_DEV,	 /* { ifindex or qsize; optional program (> 0) } */
	BH_VAL_HOST,	 /* not the guest's to change */
	BH_VAL_UNKNOWN,	 /* a type newer than this host */
};

static enum bh_value value_kind(uint32_t t)
{
	switch (t) {
	case BPF_MAP_TYPE_PROG_ARRAY:
		return BH_VAL_PROG;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return BH_VAL_MAP;
	case BPF_MAP_TYPE_SOCKMAP:
	case BPF_MAP_TYPE_SOCKHASH:
	case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
	case BPF_MAP_TYPE_XSKMAP:
	case BPF_MAP_TYPE_CGROUP_ARRAY:
		return BH_VAL_GUEST_FD;
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_CPUMAP:
		return BH_VAL_DEV;
	/* Perf event arrays hold the host's buffer readers (opened at load);
	 * a struct_ops value holds program descriptors and registers the
	 * ops with the kernel, which attach does. */
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_STRUCT_OPS:
		return BH_VAL_HOST;
	default:
		return t <= BH_MAP_TYPE_LAST ? BH_VAL_DATA : BH_VAL_UNKNOWN;
	}
}

/* One line under -v: a guest debugging a refused update learns why. */
__attribute__((format(printf, 4, 5))) static int
refuse(struct bpf_host *h, const struct bh_map_info *mi, int err,
       const char *fmt, ...)
{
	const char *type = libbpf_bpf_map_type_str(mi->type);
	char why[512];
	va_list ap;

	if (!h->verbose)
		return err;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	bh_log(h, "update of map '%s' (%s) refused: %s (%d)",
	       bpf_map__name(mi->map), type ? type : "unknown type", why, err);
	return err;
}

/* The descriptor in the first `size` bytes of a value (a u32, or a u64
 * for socket maps with 8-byte values), or -1 if it cannot be one. */
static long value_fd(const void *value, size_t size)
{
	uint64_t v64;
	uint32_t v32;

	if (size == 8) {
		memcpy(&v64, value, 8);
		return v64 > INT32_MAX ? -1 : (long)v64;
	}
	if (size != 4)
		return -1;
	memcpy(&v32, value, 4);
	return v32 > INT32_MAX ? -1 : (long)v32;
}

static int own_prog(struct bpf_host *h, const struct bh_map_info *mi, long fd)
{
	if (fd >= 0 && bh_is_prog_fd(h, (int)fd))
		return 0;
	return refuse(h, mi, -EBADF, "%ld is not a program of the guest's", fd);
}

/* A WASI descriptor in a value of 4 or 8 bytes, as the host's descriptor
 * in *out of the same width. */
static int translate_value(struct bpf_host *h, const struct bh_map_info *mi,
			   const void *value, size_t vs, uint64_t *out)
{
	long fd = value_fd(value, vs);
	int host_fd =
	    h->wasi && fd >= 0 ? wasi_ctx__host_fd(h->wasi, (int)fd) : -EBADF;
	uint32_t v32 = (uint32_t)host_fd;

	if (host_fd < 0)
		return refuse(h, mi, -EBADF,
			      "the guest holds no descriptor %ld (values are "
			      "the guest's WASI descriptors)",
			      fd);
	*out = (uint64_t)host_fd;
	if (vs == 4)
		memcpy(out, &v32, 4);
	return 0;
}

/* Checks the descriptors in an update's value. A WASI descriptor is
 * translated into *out, and *value then points there: guest memory stays
 * as the guest wrote it. */
static int check_value(struct bpf_host *h, const struct bh_map_info *mi,
		       const void **value, size_t vs, uint64_t *out)
{
	int err;

	switch (value_kind(mi->type)) {
	case BH_VAL_DATA:
		return 0;
	case BH_VAL_PROG:
		return own_prog(h, mi, value_fd(*value, vs));
	case BH_VAL_MAP:
		if (bh_map_by_fd(h, (int)value_fd(*value, vs)))
			return 0;
		return refuse(h, mi, -EBADF, "%ld is not a map of the guest's",
			      value_fd(*value, vs));
	case BH_VAL_DEV:
		/* the kernel reads a program fd <= 0 as none */
		if (vs < 8 || value_fd((const char *)*value + 4, 4) <= 0)
			return 0;
		return own_prog(h, mi, value_fd((const char *)*value + 4, 4));
	case BH_VAL_GUEST_FD:
		err = translate_value(h, mi, *value, vs, out);
		if (!err)
			*value = out;
		return err;
	case BH_VAL_HOST:
		return refuse(h, mi, -EPERM, "its values belong to the host");
	default:
		return refuse(h, mi, -EOPNOTSUPP,
			      "map type %u is newer than this host", mi->type);
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
	uint64_t host_value;
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
	err = check_value(h, mi, (const void **)&p, vs, &host_value);
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
