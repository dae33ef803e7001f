/* ubpf_task.c — bpf_get_current_task in user space: there is no kernel
 * task to point at, so each thread gets a synthetic one, a zeroed block
 * laid out like the object's own task_struct type (its BTF; the field
 * offsets its code was compiled with, CO-RE not being applied here) with
 * tgid, pid and real_parent filled in, real_parent pointing to a second
 * block holding the parent's tgid and pid. The pointer is a scalar to the
 * verifier; bpf_probe_read_kernel copies only from these blocks (any other
 * address is -EFAULT with the destination zeroed, as the kernel's helper
 * fails), so a program reads nothing else of the process through it.
 * Every other field reads as zero.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "bpf/user/ubpf_int.h"

#define TASK_MAX (64u << 10) /* a task_struct is ~10 KiB */

/* "task_struct" or a flavor of it ("task_struct___x"). */
static bool is_task(const char *name)
{
	size_t n = strlen("task_struct");

	return name && !strncmp(name, "task_struct", n) &&
	       (!name[n] || !strncmp(name + n, "___", 3));
}

/* Sets *OFF to the member's byte offset, or fails on a flavor that places
 * it elsewhere, a bitfield, or a size other than WANT. */
static int put(const struct btf *btf, const struct btf_type *t, int i,
	       int32_t *off, uint32_t want, bool ptr)
{
	const struct btf_member *m = btf_members(t) + i;
	const struct btf_type *mt = btf__type_by_id(btf, m->type);
	uint32_t bits = btf_member_bit_offset(t, i);
	__s64 sz;

	while (mt && (btf_is_mod(mt) || btf_is_typedef(mt)))
		mt = btf__type_by_id(btf, mt->type);
	sz = btf__resolve_size(btf, m->type);
	if (!mt || bits % 8 || btf_member_bitfield_size(t, i) ||
	    sz != (__s64)want || btf_is_ptr(mt) != ptr ||
	    (*off >= 0 && *off != (int32_t)(bits / 8)))
		return -1;
	*off = bits / 8;
	return 0;
}

static int add_struct(const struct btf *btf, const struct btf_type *t,
		      struct ubpf_task_layout *l)
{
	int i, err = 0;

	if (t->size > l->size)
		l->size = t->size;
	for (i = 0; !err && i < btf_vlen(t); i++) {
		const char *n =
		    btf__name_by_offset(btf, btf_members(t)[i].name_off);

		if (!n)
			continue;
		if (!strcmp(n, "tgid"))
			err = put(btf, t, i, &l->tgid, 4, false);
		else if (!strcmp(n, "pid"))
			err = put(btf, t, i, &l->pid, 4, false);
		else if (!strcmp(n, "real_parent"))
			err = put(btf, t, i, &l->real_parent, 8, true);
	}
	return err;
}

static bool overlap(int32_t a, uint32_t an, int32_t b, uint32_t bn)
{
	return a >= 0 && b >= 0 && a < b + (int32_t)bn && b < a + (int32_t)an;
}

void ubpf_task__layout(const struct btf *btf, struct ubpf_task_layout *l)
{
	__u32 id, n = btf ? btf__type_cnt(btf) : 0;
	int err = 0;

	*l = (struct ubpf_task_layout){0, -1, -1, -1};
	for (id = 1; !err && id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (t && btf_is_struct(t) &&
		    is_task(btf__name_by_offset(btf, t->name_off)))
			err = add_struct(btf, t, l);
	}
	if (err || l->size > TASK_MAX || overlap(l->tgid, 4, l->pid, 4) ||
	    overlap(l->tgid, 4, l->real_parent, 8) ||
	    overlap(l->pid, 4, l->real_parent, 8))
		*l = (struct ubpf_task_layout){0, -1, -1, -1};
}

/* ---- the thread's blocks ------------------------------------------------ */

/* Mapped, not malloc'd: the program may run inside a hooked malloc. */
static __thread struct {
	uint8_t *mem; /* the task, then its parent: 2 * size */
	size_t len;
	const struct ubpf_task_layout *for_layout;
} blk;
static pthread_key_t blk_key;
static pthread_once_t blk_once = PTHREAD_ONCE_INIT;

static void blk_free(void *mem)
{
	if (mem)
		munmap(mem, blk.len);
}

static void blk_init(void)
{
	pthread_key_create(&blk_key, blk_free);
}

static uint8_t *blocks(const struct ubpf_task_layout *l)
{
	size_t len = 2 * (size_t)l->size;
	void *m;

	if (blk.mem && blk.len >= len && blk.for_layout == l)
		return blk.mem;
	if (!blk.mem || blk.len < len) {
		m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		if (blk.mem)
			munmap(blk.mem, blk.len);
		blk.mem = m;
		blk.len = len;
		pthread_once(&blk_once, blk_init);
		pthread_setspecific(blk_key, m);
	}
	memset(blk.mem, 0, blk.len);
	blk.for_layout = l;
	return blk.mem;
}

static void put32(uint8_t *b, int32_t off, uint32_t v)
{
	if (off >= 0)
		memcpy(b + off, &v, 4);
}

uint64_t ubpf_task__current(const struct ubpf_prog *p, uint64_t a1, uint64_t a2,
			    uint64_t a3, uint64_t a4, uint64_t a5)
{
	const struct ubpf_task_layout *l = p->task;
	uint8_t *t, *parent;
	uint64_t pp;

	if (!l || !l->size || !(t = blocks(l)))
		return 0;
	parent = t + l->size;
	pp = (uintptr_t)parent;
	put32(t, l->tgid, getpid());
	put32(t, l->pid, gettid());
	put32(parent, l->tgid, getppid());
	put32(parent, l->pid, getppid());
	if (l->real_parent >= 0)
		memcpy(t + l->real_parent, &pp, 8);
	return (uintptr_t)t;
}

uint64_t ubpf_task__read(const struct ubpf_prog *p, uint64_t dst, uint64_t size,
			 uint64_t src, uint64_t a4, uint64_t a5)
{
	uintptr_t lo = (uintptr_t)blk.mem;

	if (blk.mem && src >= lo && size <= blk.len &&
	    src - lo <= blk.len - size) {
		memcpy((void *)(uintptr_t)dst, (void *)(uintptr_t)src, size);
		return 0;
	}
	memset((void *)(uintptr_t)dst, 0, size);
	return (uint64_t)-EFAULT;
}
