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
};

static inline void wbpf__native_perf_sample(void *ctx, int cpu, void *data,
					    __u32 size)
{
	struct bpf_buffer *b = (struct bpf_buffer *)ctx;

	(void)cpu;
	b->sample_fn(b->ctx, data, size);
}

static inline struct bpf_buffer *bpf_buffer__open(struct bpf_map *events,
						  bpf_buffer_sample_fn sample_cb,
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
					 NULL, b, NULL);
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

#endif
