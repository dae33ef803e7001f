/* ubpf_helpers.c — the BPF helper functions of the userspace backend (the
 * kernel's helper ids), each with the argument and return kinds the
 * verifier checks a call against. Pointers reaching a helper were proven
 * to lie in the program's stack, map values or context, except the
 * sources of probe_read_user*, which are copied with process_vm_readv and
 * so never fault.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "bpf/user/ubpf_int.h"

#define PTR(x) ((void *)(uintptr_t)(x))

static struct ubpf_map *map_of(uint64_t a)
{
	return PTR(a);
}

static uint64_t h_lookup(const struct ubpf_prog *p, uint64_t map, uint64_t key,
			 uint64_t a3, uint64_t a4, uint64_t a5)
{
	return (uintptr_t)ubpf_map__elem(map_of(map), PTR(key));
}

static uint64_t h_update(const struct ubpf_prog *p, uint64_t map, uint64_t key,
			 uint64_t val, uint64_t flags, uint64_t a5)
{
	return ubpf_map__elem_update(map_of(map), PTR(key), PTR(val), flags);
}

static uint64_t h_delete(const struct ubpf_prog *p, uint64_t map, uint64_t key,
			 uint64_t a3, uint64_t a4, uint64_t a5)
{
	return ubpf_map__delete(map_of(map), PTR(key));
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t h_ktime(const struct ubpf_prog *p, uint64_t a1, uint64_t a2,
			uint64_t a3, uint64_t a4, uint64_t a5)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t h_boot_ns(const struct ubpf_prog *p, uint64_t a1, uint64_t a2,
			  uint64_t a3, uint64_t a4, uint64_t a5)
{
	return clock_ns(CLOCK_BOOTTIME);
}

/* getpid and gettid are system calls (most of a uprobe's cost): each
 * thread remembers its ids until a fork makes them stale. */
static unsigned fork_gen = 1;
static __thread struct {
	unsigned gen;
	uint64_t ids;
} pid_cache;

static void forked(void)
{
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void watch_forks(void)
{
	pthread_atfork(NULL, NULL, forked);
}

void ubpf_ids__forget(void)
{
	pid_cache.gen = 0;
}

static uint64_t h_pid_tgid(const struct ubpf_prog *p, uint64_t a1, uint64_t a2,
			   uint64_t a3, uint64_t a4, uint64_t a5)
{
	unsigned gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);

	if (pid_cache.gen != gen) {
		pid_cache.ids = (uint64_t)getpid() << 32 | (uint32_t)gettid();
		pid_cache.gen = gen;
	}
	return pid_cache.ids;
}

static uint64_t h_uid_gid(const struct ubpf_prog *p, uint64_t a1, uint64_t a2,
			  uint64_t a3, uint64_t a4, uint64_t a5)
{
	return (uint64_t)getgid() << 32 | getuid();
}

static uint64_t h_cpu(const struct ubpf_prog *p, uint64_t a1, uint64_t a2,
		      uint64_t a3, uint64_t a4, uint64_t a5)
{
	return ubpf_cpu(UINT32_MAX);
}

static uint64_t h_prandom(const struct ubpf_prog *p, uint64_t a1, uint64_t a2,
			  uint64_t a3, uint64_t a4, uint64_t a5)
{
	static __thread uint64_t s;

	if (!s)
		s = clock_ns(CLOCK_MONOTONIC) | 1;
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (uint32_t)s;
}

/* The thread's name, as the kernel's comm (16 bytes, NUL-terminated). */
static uint64_t h_comm(const struct ubpf_prog *p, uint64_t buf, uint64_t size,
		       uint64_t a3, uint64_t a4, uint64_t a5)
{
	char name[17] = "";

	if (prctl(PR_GET_NAME, name) < 0)
		name[0] = 0;
	memset(PTR(buf), 0, size);
	memcpy(PTR(buf), name, strlen(name) < size ? strlen(name) : size - 1);
	return 0;
}

static long read_user(const struct ubpf_prog *p, void *dst, uint64_t size,
		      uint64_t src)
{
	struct iovec l = {dst, size}, r = {PTR(src), size};
	pid_t pid = p->target_pid ? p->target_pid : getpid();
	ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);

	return n < 0 ? -errno : n;
}

static uint64_t h_read_user(const struct ubpf_prog *p, uint64_t dst,
			    uint64_t size, uint64_t src, uint64_t a4,
			    uint64_t a5)
{
	long n = read_user(p, PTR(dst), size, src);

	if (n == (long)size)
		return 0;
	memset(PTR(dst), 0, size);
	return n < 0 ? n : -EFAULT;
}

/* Up to SIZE - 1 bytes and a NUL; returns the length with the NUL. Reads
 * page by page, so a string ending before an unmapped page is found. */
static uint64_t h_read_user_str(const struct ubpf_prog *p, uint64_t dst,
				uint64_t size, uint64_t src, uint64_t a4,
				uint64_t a5)
{
	char *d = PTR(dst);
	uint64_t got = 0;

	while (got < size - 1) {
		uint64_t page = 4096 - ((src + got) & 4095),
			 want = size - 1 - got;
		long n =
		    read_user(p, d + got, want < page ? want : page, src + got);
		char *nul;

		if (n <= 0)
			break;
		nul = memchr(d + got, 0, n);
		if (nul)
			return nul - d + 1;
		got += n;
	}
	if (!got) {
		memset(d, 0, size);
		return -EFAULT;
	}
	d[got] = 0;
	return got + 1;
}

static uint64_t h_ring_output(const struct ubpf_prog *p, uint64_t map,
			      uint64_t data, uint64_t size, uint64_t flags,
			      uint64_t a5)
{
	return ubpf_ring__output(map_of(map), PTR(data), size);
}

static uint64_t h_ring_reserve(const struct ubpf_prog *p, uint64_t map,
			       uint64_t size, uint64_t flags, uint64_t a4,
			       uint64_t a5)
{
	return flags ? 0 : (uintptr_t)ubpf_ring__reserve(map_of(map), size);
}

static uint64_t h_ring_submit(const struct ubpf_prog *p, uint64_t rec,
			      uint64_t flags, uint64_t a3, uint64_t a4,
			      uint64_t a5)
{
	ubpf_ring__commit(PTR(rec), false);
	return 0;
}

static uint64_t h_ring_discard(const struct ubpf_prog *p, uint64_t rec,
			       uint64_t flags, uint64_t a3, uint64_t a4,
			       uint64_t a5)
{
	ubpf_ring__commit(PTR(rec), true);
	return 0;
}

static uint64_t h_perf_output(const struct ubpf_prog *p, uint64_t ctx,
			      uint64_t map, uint64_t flags, uint64_t data,
			      uint64_t size)
{
	return ubpf_ring__output(map_of(map), PTR(data), size);
}

/* trace_printk's format: %d %i %u %x %c %p %s %% with l/ll; %s reads the
 * string like probe_read_user_str. At most three arguments. A debugging
 * aid, not a per-event path: cold, built for size (README, size). */
__attribute__((cold)) static uint64_t h_printk(const struct ubpf_prog *p,
					       uint64_t fmt, uint64_t fsize,
					       uint64_t a1, uint64_t a2,
					       uint64_t a3)
{
	const char *f = PTR(fmt), *end = f + fsize;
	uint64_t args[3] = {a1, a2, a3};
	char out[512];
	size_t n = 0;
	int k = 0;

#define PUT(...)                                                               \
	n += snprintf(out + n, n < sizeof(out) ? sizeof(out) - n : 0,          \
		      __VA_ARGS__)
	while (f < end && *f && n < sizeof(out)) {
		int longs = 0;

		if (*f != '%') {
			PUT("%c", *f++);
			continue;
		}
		for (f++; f < end && *f == 'l'; f++)
			longs++;
		if (f >= end)
			break;
		if (*f == '%') {
			PUT("%%");
		} else if (k >= 3 || !strchr("diuxcps", *f)) {
			return -EINVAL;
		} else {
			uint64_t v = args[k++];
			char s[64];

			if (longs == 0 && *f != 'p' && *f != 's')
				v = *f == 'd' || *f == 'i'
					? (uint64_t)(int64_t)(int32_t)v
					: (uint32_t)v;
			if (*f == 'd' || *f == 'i')
				PUT("%lld", (long long)v);
			else if (*f == 'u')
				PUT("%llu", (unsigned long long)v);
			else if (*f == 'x')
				PUT("%llx", (unsigned long long)v);
			else if (*f == 'c')
				PUT("%c", (char)v);
			else if (*f == 'p')
				PUT("0x%llx", (unsigned long long)v);
			else if ((int64_t)h_read_user_str(
				     p, (uintptr_t)s, sizeof(s), v, 0, 0) > 0)
				PUT("%s", s);
			else
				PUT("(fault)");
		}
		f++;
	}
#undef PUT
	if (n > sizeof(out) - 1)
		n = sizeof(out) - 1;
	if (p->trace_fd >= 0 && write(p->trace_fd, out, n) < 0)
		return -errno;
	return n;
}

/* H(id, function, return, map kind, releases, arguments...) */
#define UBPF_HELPERS(H)                                                        \
	H(map_lookup_elem, h_lookup, UR_MAP_VALUE_OR_NULL, UK_DATA, false,     \
	  UA_MAP, UA_KEY)                                                      \
	H(map_update_elem, h_update, UR_INT, UK_DATA, false, UA_MAP, UA_KEY,   \
	  UA_VALUE, UA_ANY)                                                    \
	H(map_delete_elem, h_delete, UR_INT, UK_DATA, false, UA_MAP, UA_KEY)   \
	H(ktime_get_ns, h_ktime, UR_INT, 0, false, UA_NONE)                    \
	H(ktime_get_boot_ns, h_boot_ns, UR_INT, 0, false, UA_NONE)             \
	H(trace_printk, h_printk, UR_INT, 0, false, UA_MEM, UA_SIZE, UA_ANY,   \
	  UA_ANY, UA_ANY)                                                      \
	H(get_prandom_u32, h_prandom, UR_INT, 0, false, UA_NONE)               \
	H(get_smp_processor_id, h_cpu, UR_INT, 0, false, UA_NONE)              \
	H(get_current_pid_tgid, h_pid_tgid, UR_INT, 0, false, UA_NONE)         \
	H(get_current_uid_gid, h_uid_gid, UR_INT, 0, false, UA_NONE)           \
	H(get_current_comm, h_comm, UR_INT, 0, false, UA_UNINIT_MEM, UA_SIZE)  \
	H(perf_event_output, h_perf_output, UR_INT, UK_PERF, false, UA_CTX,    \
	  UA_MAP, UA_ANY, UA_MEM, UA_SIZE)                                     \
	H(probe_read_user, h_read_user, UR_INT, 0, false, UA_UNINIT_MEM,       \
	  UA_SIZE, UA_ANY)                                                     \
	H(probe_read_user_str, h_read_user_str, UR_INT, 0, false,              \
	  UA_UNINIT_MEM, UA_SIZE, UA_ANY)                                      \
	H(get_current_task, ubpf_task__current, UR_INT, 0, false, UA_NONE)     \
	H(probe_read_kernel, ubpf_task__read, UR_INT, 0, false, UA_UNINIT_MEM, \
	  UA_SIZE, UA_ANY)                                                     \
	H(ringbuf_output, h_ring_output, UR_INT, UK_RING, false, UA_MAP,       \
	  UA_MEM, UA_SIZE, UA_ANY)                                             \
	H(ringbuf_reserve, h_ring_reserve, UR_MEM_OR_NULL, UK_RING, false,     \
	  UA_MAP, UA_SIZE, UA_ANY)                                             \
	H(ringbuf_submit, h_ring_submit, UR_VOID, 0, true, UA_RING_MEM,        \
	  UA_ANY)                                                              \
	H(ringbuf_discard, h_ring_discard, UR_VOID, 0, true, UA_RING_MEM,      \
	  UA_ANY)

/* Dense, with a byte per helper id giving its place + 1: the table
 * indexed by id was 3 KB, mostly empty. */
#define ENTRY(id, f, r, k, rel, ...)                                           \
	{.name = #id,                                                          \
	 .fn = f,                                                              \
	 .args = {__VA_ARGS__},                                                \
	 .ret = r,                                                             \
	 .map_kind = k,                                                        \
	 .release = rel},
static const struct ubpf_helper helpers[] = {UBPF_HELPERS(ENTRY)};
#undef ENTRY
#define PLACE(id, ...) PLACE_##id,
enum { UBPF_HELPERS(PLACE) NPLACES };
#undef PLACE
#define SLOT(id, ...) [BPF_FUNC_##id] = PLACE_##id + 1,
static const uint8_t slot_of[] = {UBPF_HELPERS(SLOT)};
#undef SLOT

const struct ubpf_helper *ubpf_helper(int32_t id)
{
	if (id <= 0 || (size_t)id >= sizeof(slot_of) || !slot_of[id])
		return NULL;
	return &helpers[slot_of[id] - 1];
}
