/* ubpf_map.c — the userspace backend's array and hash maps (and their
 * per-CPU variants) in a memfd: a header (struct ubpf_shm) then the values,
 * or for hashes a bucket table and entries linked by index, never by
 * address, so every process mapping the file reads the same map.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpf/user/ubpf_int.h"

#define ROUND8(x) (((x) + 7u) & ~7u)
#define MAX_BYTES (1ull << 32)

/* A hash entry: next entry index + 1 (0 ends a chain), then key, values. */
struct hentry {
	uint32_t next;
	uint32_t used;
	uint8_t kv[];
};

void ubpf_lock(uint32_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			sched_yield();
}

void ubpf_unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

int ubpf_cpu(uint32_t ncpu)
{
	int c = sched_getcpu();

	return c < 0 || (uint32_t)c >= ncpu ? 0 : c;
}

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_PERCPU_HASH;
}

static bool is_hash(uint32_t type)
{
	return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH;
}

static bool is_ring(uint32_t type)
{
	return type == BPF_MAP_TYPE_RINGBUF ||
	       type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

static uint32_t nbuckets(uint32_t max)
{
	uint32_t n = 1;

	while (n < max && n < (1u << 30))
		n <<= 1;
	return n;
}

static void slots(struct ubpf_map *m)
{
	const struct ubpf_map_def *d = &m->shm->def;

	m->kslot = ROUND8(d->key_size);
	m->vslot = ROUND8(d->value_size);
	m->eslot = sizeof(struct hentry) + m->kslot + m->vslot * m->shm->ncpu;
}

/* Bytes after the header; 0 for a definition this backend refuses. */
static uint64_t body_bytes(const struct ubpf_map_def *d, uint32_t ncpu)
{
	uint64_t v = ROUND8((uint64_t)d->value_size),
		 k = ROUND8((uint64_t)d->key_size);

	if (is_ring(d->type))
		return ubpf_ring__bytes(d);
	if (!d->max_entries || !d->value_size || d->value_size > (1u << 20))
		return 0;
	if (is_percpu(d->type))
		v *= ncpu;
	if (d->type == BPF_MAP_TYPE_ARRAY ||
	    d->type == BPF_MAP_TYPE_PERCPU_ARRAY)
		return d->key_size == 4 ? v * d->max_entries : 0;
	if (is_hash(d->type) && d->key_size && d->key_size <= 512)
		return 4ull * nbuckets(d->max_entries) +
		       (sizeof(struct hentry) + k + v) * d->max_entries;
	return 0;
}

static struct ubpf_map *map_at(int fd, uint64_t size)
{
	struct ubpf_map *m = calloc(1, sizeof(*m));
	void *p;

	if (!m)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		free(m);
		return NULL;
	}
	m->fd = fd;
	m->shm = p;
	m->len = size;
	m->data = (uint8_t *)p + UBPF_SHM_HDR;
	slots(m);
	if (is_ring(m->shm->def.type) && ubpf_ring__map(m) < 0) {
		int e = errno;

		munmap(p, size);
		free(m);
		errno = e;
		return NULL;
	}
	return m;
}

static void hash_init(struct ubpf_map *m)
{
	uint8_t *e = m->data + 4ull * m->shm->nbuckets;
	uint32_t i;

	for (i = 0; i < m->shm->def.max_entries; i++)
		((struct hentry *)(e + (uint64_t)i * m->eslot))->next =
		    i + 1 < m->shm->def.max_entries ? i + 2 : 0;
	m->shm->free_head = 1;
}

/* Once per map: cold, built for size (README, size). */
__attribute__((cold)) struct ubpf_map *
ubpf_map__new(const struct ubpf_map_def *def)
{
	int ncpu = is_percpu(def->type) ? libbpf_num_possible_cpus() : 1;
	uint64_t body = ncpu > 0 ? body_bytes(def, ncpu) : 0, size;
	struct ubpf_shm hdr = {
	    .magic = UBPF_MAP_MAGIC, .def = *def, .ncpu = ncpu};
	struct ubpf_map *m;
	int fd;

	if (!body || body > MAX_BYTES) {
		errno = body ? E2BIG : EINVAL;
		return NULL;
	}
	size = UBPF_SHM_HDR + body;
	hdr.size = size;
	hdr.nbuckets = is_hash(def->type) ? nbuckets(def->max_entries) : 0;
	fd = memfd_create(def->name[0] ? def->name : "ubpf-map", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, size) < 0 ||
	    pwrite(fd, &hdr, sizeof(hdr), 0) != sizeof(hdr)) {
		close(fd);
		return NULL;
	}
	m = map_at(fd, size);
	if (!m) {
		close(fd);
		return NULL;
	}
	if (is_hash(def->type))
		hash_init(m);
	return m;
}

struct ubpf_map *ubpf_map__open_fd(int fd)
{
	struct ubpf_shm hdr;
	struct stat st;
	struct ubpf_map *m;
	int dup_fd;

	if (fstat(fd, &st) < 0 ||
	    pread(fd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		return NULL;
	if (hdr.magic != UBPF_MAP_MAGIC || !hdr.ncpu ||
	    hdr.size != UBPF_SHM_HDR + body_bytes(&hdr.def, hdr.ncpu) ||
	    (uint64_t)st.st_size != hdr.size) {
		errno = EINVAL;
		return NULL;
	}
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC,
		       fd); /* as high: not a number the process expects */
	if (dup_fd < 0)
		return NULL;
	m = map_at(dup_fd, hdr.size);
	if (!m)
		close(dup_fd);
	return m;
}

void ubpf_map__free(struct ubpf_map *m)
{
	if (!m)
		return;
	munmap(m->shm, m->len);
	close(m->fd);
	free(m);
}

int ubpf_map__fd(const struct ubpf_map *m)
{
	return m->fd;
}

const struct ubpf_map_def *ubpf_map__def(const struct ubpf_map *m)
{
	return &m->shm->def;
}

void *ubpf_map__data(const struct ubpf_map *m)
{
	return m->data;
}

size_t ubpf_map__user_value_size(const struct ubpf_map *m)
{
	return is_percpu(m->shm->def.type) ? (size_t)m->vslot * m->shm->ncpu
					   : m->shm->def.value_size;
}

/* ---- hash ------------------------------------------------------------- */

static uint32_t hash_key(const void *key, uint32_t n)
{
	const uint8_t *p = key;
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static struct hentry *entry(struct ubpf_map *m, uint32_t idx1)
{
	return (struct hentry *)(m->data + 4ull * m->shm->nbuckets +
				 (uint64_t)(idx1 - 1) * m->eslot);
}

static uint32_t *bucket(struct ubpf_map *m, const void *key)
{
	uint32_t h = hash_key(key, m->shm->def.key_size);

	return (uint32_t *)m->data + (h & (m->shm->nbuckets - 1));
}

/* The entry index + 1 of KEY, 0 if absent; *LINK the slot pointing at it.
 * An index out of range (a corrupted file) ends the chain. */
static uint32_t hash_find(struct ubpf_map *m, const void *key, uint32_t **link)
{
	uint32_t *l = bucket(m, key), i, steps = 0;

	while ((i = *l) && i <= m->shm->def.max_entries &&
	       steps++ < m->shm->def.max_entries) {
		struct hentry *e = entry(m, i);

		if (!memcmp(e->kv, key, m->shm->def.key_size)) {
			if (link)
				*link = l;
			return i;
		}
		l = &e->next;
	}
	return 0;
}

static uint8_t *hash_value(struct ubpf_map *m, uint32_t i)
{
	return entry(m, i)->kv + m->kslot;
}

static uint8_t *array_value(struct ubpf_map *m, const void *key)
{
	uint32_t k;

	memcpy(&k, key, 4);
	if (k >= m->shm->def.max_entries)
		return NULL;
	return m->data + (uint64_t)k * m->vslot * m->shm->ncpu;
}

/* Where the values of KEY start (all CPUs' slots), creating a hash entry
 * if CREATE; NULL with *ERR set otherwise. Called with the lock held for
 * hashes. */
static uint8_t *slot_of(struct ubpf_map *m, const void *key, uint64_t flags,
			bool create, int *err)
{
	uint32_t i;
	struct hentry *e;

	if (!is_hash(m->shm->def.type)) {
		uint8_t *v = array_value(m, key);

		*err = !v ? (create ? -E2BIG : -ENOENT)
		       : create && flags == BPF_NOEXIST ? -EEXIST
							: 0;
		return *err ? NULL : v;
	}
	i = hash_find(m, key, NULL);
	if (i) {
		*err = create && flags == BPF_NOEXIST ? -EEXIST : 0;
		return *err ? NULL : hash_value(m, i);
	}
	if (!create || flags == BPF_EXIST) {
		*err = -ENOENT;
		return NULL;
	}
	i = m->shm->free_head;
	if (!i || i > m->shm->def.max_entries) {
		*err = -E2BIG;
		return NULL;
	}
	e = entry(m, i);
	m->shm->free_head = e->next;
	memcpy(e->kv, key, m->shm->def.key_size);
	memset(e->kv + m->kslot, 0, (size_t)m->vslot * m->shm->ncpu);
	e->next = *bucket(m, key);
	e->used = 1;
	*bucket(m, key) = i;
	m->shm->count++;
	*err = 0;
	return hash_value(m, i);
}

static int check_flags(uint64_t flags)
{
	return flags > BPF_EXIST ? -EINVAL : 0;
}

/* ---- user-space operations ---------------------------------------------- */

int ubpf_map__lookup(struct ubpf_map *m, const void *key, void *value)
{
	uint8_t *v;
	uint32_t c;
	int err;

	if (is_ring(m->shm->def.type))
		return -EINVAL;
	ubpf_lock(&m->shm->lock);
	v = slot_of(m, key, 0, false, &err);
	if (v && is_percpu(m->shm->def.type)) {
		for (c = 0; c < m->shm->ncpu; c++)
			memcpy((uint8_t *)value + (size_t)c * m->vslot,
			       v + (size_t)c * m->vslot, m->vslot);
	} else if (v) {
		memcpy(value, v, m->shm->def.value_size);
	}
	ubpf_unlock(&m->shm->lock);
	return err;
}

int ubpf_map__update(struct ubpf_map *m, const void *key, const void *value,
		     uint64_t flags)
{
	uint8_t *v;
	uint32_t c;
	int err = check_flags(flags);

	if (err || is_ring(m->shm->def.type))
		return err ? err : -EINVAL;
	if (m->shm->def.flags & BPF_F_RDONLY) /* frozen, as the kernel's */
		return -EPERM;
	ubpf_lock(&m->shm->lock);
	v = slot_of(m, key, flags, true, &err);
	if (v && is_percpu(m->shm->def.type)) {
		for (c = 0; c < m->shm->ncpu; c++)
			memcpy(v + (size_t)c * m->vslot,
			       (const uint8_t *)value + (size_t)c * m->vslot,
			       m->shm->def.value_size);
	} else if (v) {
		memcpy(v, value, m->shm->def.value_size);
	}
	ubpf_unlock(&m->shm->lock);
	return err;
}

int ubpf_map__delete(struct ubpf_map *m, const void *key)
{
	uint32_t *link, i;

	if (!is_hash(m->shm->def.type))
		return -EINVAL;
	ubpf_lock(&m->shm->lock);
	i = hash_find(m, key, &link);
	if (i) {
		struct hentry *e = entry(m, i);

		*link = e->next;
		e->used = 0;
		e->next = m->shm->free_head;
		m->shm->free_head = i;
		m->shm->count--;
	}
	ubpf_unlock(&m->shm->lock);
	return i ? 0 : -ENOENT;
}

/* Hash order: entry index order, so a deletion does not restart a walk. */
static int hash_next(struct ubpf_map *m, const void *key, void *next)
{
	uint32_t i = key ? hash_find(m, key, NULL) : 0;

	for (i = i + 1; i <= m->shm->def.max_entries; i++) {
		if (entry(m, i)->used) {
			memcpy(next, entry(m, i)->kv, m->shm->def.key_size);
			return 0;
		}
	}
	return -ENOENT;
}

int ubpf_map__next_key(struct ubpf_map *m, const void *key, void *next)
{
	uint32_t k = 0;
	int err;

	if (is_ring(m->shm->def.type))
		return -EINVAL;
	if (is_hash(m->shm->def.type)) {
		ubpf_lock(&m->shm->lock);
		err = hash_next(m, key, next);
		ubpf_unlock(&m->shm->lock);
		return err;
	}
	if (key)
		memcpy(&k, key, 4);
	k = !key || k >= m->shm->def.max_entries ? 0 : k + 1;
	if (k >= m->shm->def.max_entries)
		return -ENOENT;
	memcpy(next, &k, 4);
	return 0;
}

/* ---- program-side operations -------------------------------------------- */

void *ubpf_map__elem(struct ubpf_map *m, const void *key)
{
	uint8_t *v;
	int err;

	if (!is_hash(m->shm->def.type)) {
		v = array_value(m, key);
	} else {
		ubpf_lock(&m->shm->lock);
		v = slot_of(m, key, 0, false, &err);
		ubpf_unlock(&m->shm->lock);
	}
	if (v && is_percpu(m->shm->def.type))
		v += (size_t)ubpf_cpu(m->shm->ncpu) * m->vslot;
	return v;
}

int ubpf_map__elem_update(struct ubpf_map *m, const void *key,
			  const void *value, uint64_t flags)
{
	uint8_t *v;
	int err = check_flags(flags);

	if (err)
		return err;
	ubpf_lock(&m->shm->lock);
	v = slot_of(m, key, flags, true, &err);
	if (v && is_percpu(m->shm->def.type))
		v += (size_t)ubpf_cpu(m->shm->ncpu) * m->vslot;
	if (v)
		memcpy(v, value, m->shm->def.value_size);
	ubpf_unlock(&m->shm->lock);
	return err;
}
