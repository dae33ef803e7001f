/* wasm-bpf/native.h — the native shim: the SDK's additions to libbpf's API
 * (bpf_buffer, data section pull/push, attach targets by name) implemented
 * over the real libbpf, so one application source builds both as a wasm32
 * guest and as a native program from the same .bpf.c (the native side uses
 * bpftool's skeleton).
 */
#ifndef WASM_BPF_NATIVE_H
#define WASM_BPF_NATIVE_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifndef POLL_TIMEOUT_MS
#define POLL_TIMEOUT_MS 100
#endif

typedef int (*bpf_buffer_sample_fn)(void *ctx, void *data, size_t size);

struct bpf_buffer {
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	bpf_buffer_sample_fn sample_fn;
	void *ctx;
	long long lost; /* perf buffer records the kernel dropped */
};

static inline void wbpf__native_perf_sample(void *ctx, int cpu, void *data,
					    __u32 size)
{
	struct bpf_buffer *b = (struct bpf_buffer *)ctx;

	(void)cpu;
	b->sample_fn(b->ctx, data, size);
}

static inline void wbpf__native_perf_lost(void *ctx, int cpu, __u64 cnt)
{
	(void)cpu;
	((struct bpf_buffer *)ctx)->lost += (long long)cnt;
}

static inline struct bpf_buffer *
bpf_buffer__open(struct bpf_map *events, bpf_buffer_sample_fn sample_cb,
		 void *ctx)
{
	struct bpf_buffer *b = (struct bpf_buffer *)calloc(1, sizeof(*b));
	int fd = bpf_map__fd(events);

	if (!b)
		return NULL;
	b->sample_fn = sample_cb;
	b->ctx = ctx;
	if (bpf_map__type(events) == BPF_MAP_TYPE_RINGBUF)
		b->rb = ring_buffer__new(fd, sample_cb, ctx, NULL);
	else
		b->pb = perf_buffer__new(fd, 64, wbpf__native_perf_sample,
					 wbpf__native_perf_lost, b, NULL);
	if (!b->rb && !b->pb) {
		free(b);
		return NULL;
	}
	return b;
}

static inline int bpf_buffer__poll(struct bpf_buffer *b, int timeout_ms)
{
	if (timeout_ms <= 0)
		timeout_ms = POLL_TIMEOUT_MS;
	return b->rb ? ring_buffer__poll(b->rb, timeout_ms)
		     : perf_buffer__poll(b->pb, timeout_ms);
}

/* As wasm-bpf/buffer.h's: records dropped from a perf buffer, or
 * -EOPNOTSUPP for a ring buffer. */
static inline long long wbpf_buffer__lost(struct bpf_buffer *b)
{
	if (!b || b->rb) {
		errno = b ? EOPNOTSUPP : EINVAL;
		return -errno;
	}
	return b->lost;
}

static inline void bpf_buffer__free(struct bpf_buffer *b)
{
	if (!b)
		return;
	ring_buffer__free(b->rb);
	perf_buffer__free(b->pb);
	free(b);
}

/* Data sections are mmap()ed natively: always current. */
static inline int bpf_map__pull_data(struct bpf_map *map)
{
	(void)map;
	return 0;
}

static inline int bpf_map__push_data(struct bpf_map *map)
{
	(void)map;
	return 0;
}

static inline struct bpf_link *
bpf_program__attach_xdp_ifname(struct bpf_program *prog, const char *ifname)
{
	unsigned int idx = if_nametoindex(ifname);

	if (!idx) {
		errno = ENODEV;
		return NULL;
	}
	return bpf_program__attach_xdp(prog, (int)idx);
}

/* Upstream wasm-bpf's attach target: natively, attach explicitly with
 * wbpf_program__attach_target() instead. */
static inline void bpf_set_prog_attach_target(struct bpf_program *prog,
					      const char *target)
{
	(void)prog;
	(void)target;
}

/* "IFNAME" for XDP, "binary:func" for uprobes, "cat:name" for
 * tracepoints, a function for kprobes: as the wasm-bpf host parses them. */
static inline struct bpf_link *
wbpf_program__attach_target(struct bpf_program *prog, const char *target)
{
	const char *sec = bpf_program__section_name(prog);
	const char *colon = strrchr(target, ':');
	char buf[512];

	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_XDP:
		return bpf_program__attach_xdp_ifname(prog, target);
	case BPF_PROG_TYPE_KPROBE:
		if (strncmp(sec, "uprobe", 6) && strncmp(sec, "uretprobe", 9))
			return bpf_program__attach_kprobe(
			    prog, !strncmp(sec, "kretprobe", 9), target);
		break;
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		break;
	default:
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (!colon || (size_t)(colon - target) >= sizeof(buf)) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(buf, target, colon - target);
	buf[colon - target] = 0;
	if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACEPOINT)
		return bpf_program__attach_tracepoint(prog, buf, colon + 1);
	if (bpf_program__type(prog) == BPF_PROG_TYPE_RAW_TRACEPOINT)
		return bpf_program__attach_raw_tracepoint(prog, target);
	{
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = colon + 1,
			    .retprobe = !strncmp(sec, "uretprobe", 9));
		return bpf_program__attach_uprobe_opts(prog, -1, buf, 0, &uo);
	}
}

/* Cgroup programs to a cgroup directory, socket filters to a socket;
 * 0 or -errno. A socket filter lasts as long as the socket. */
static inline int wbpf_program__attach_fd(struct bpf_program *prog, int fd)
{
	int prog_fd = bpf_program__fd(prog);
	struct bpf_link *link;

	if (bpf_program__type(prog) == BPF_PROG_TYPE_SOCKET_FILTER)
		return setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd,
				  sizeof(prog_fd))
			   ? -errno
			   : 0;
	link = bpf_program__attach_cgroup(prog, fd);
	if (!link)
		return -errno;
	/* A link detaches when its fd closes: kept (deliberately not freed)
	 * for the life of the process, as the wasm host keeps it for the
	 * life of the object. */
	return 0;
}

#endif
