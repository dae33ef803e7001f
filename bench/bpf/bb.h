/* bench/bpf/bb.h — the few BPF calls bpfbench.c makes, on the raw
 * `wasm_bpf` imports in a wasm32 guest and on libbpf natively, so both
 * builds run the same benchmark code. The guest side goes straight to the
 * host functions (no SDK object layer): what is measured is the host-call
 * path. Buffers are polled as every SDK guest polls them (the SDK's
 * bpf_buffer: ring buffers in batches, perf buffers record by record).
 *   bb_open(buf, len)        load an object; NULL on failure
 *   bb_attach(o, prog)       attach by section name; 0 or -errno
 *   bb_map_fd(o, name)       a map's fd or -errno
 *   bb_lookup/update/delete/next_key(fd, ...)   0 or -errno
 *   bb_buf_new(o, fd, rb, cb, ctx) / bb_buf_poll(b, ms) / bb_buf_free(b)
 *   bb_close(o)
 * A buffer callback is (ctx, data, size) -> int for both buffer kinds.
 * Natively, $BENCH_BTF names the kernel BTF file for CO-RE (wasm-bpf's
 * --btf option). */
#ifndef BENCH_BB_H
#define BENCH_BB_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

typedef int (*bb_sample_fn)(void *ctx, void *data, size_t size);

#ifdef __wasm__

#include "libbpf-wasm.h"

struct bb_obj {
	uint64_t h;
};

#define bb_buf bpf_buffer

static inline struct bb_obj *bb_open(const void *buf, size_t len)
{
	struct bb_obj *o = malloc(sizeof(*o));

	if (o && !(o->h = wasm_load_bpf_object(buf, (int)len))) {
		free(o);
		o = NULL;
	}
	return o;
}

static inline int bb_attach(struct bb_obj *o, const char *prog)
{
	int fd = wasm_attach_bpf_program(o->h, prog, "");

	return fd < 0 ? fd : 0;
}

static inline int bb_map_fd(struct bb_obj *o, const char *name)
{
	return wasm_bpf_map_fd_by_name(o->h, name);
}

static inline int bb_lookup(int fd, void *k, void *v)
{
	return wasm_bpf_map_operate(fd, 1, k, v, NULL, 0);
}

static inline int bb_update(int fd, void *k, void *v)
{
	return wasm_bpf_map_operate(fd, 2, k, v, NULL, 0);
}

static inline int bb_delete(int fd, void *k)
{
	return wasm_bpf_map_operate(fd, 3, k, NULL, NULL, 0);
}

static inline int bb_next_key(int fd, void *k, void *next)
{
	return wasm_bpf_map_operate(fd, 4, k, NULL, next, 0);
}

static inline struct bb_buf *bb_buf_new(struct bb_obj *o, int fd, bool rb,
					bb_sample_fn fn, void *ctx)
{
	return wbpf__buffer_new(o->h, fd, fn, ctx, !rb);
}

static inline int bb_buf_poll(struct bb_buf *b, int ms)
{
	return wbpf__buffer_poll(b, ms);
}

static inline void bb_buf_free(struct bb_buf *b)
{
	bpf_buffer__free(b);
}

static inline void bb_close(struct bb_obj *o)
{
	wasm_close_bpf_object(o->h);
	free(o);
}

static inline int bb_ncpus(void)
{
	return 0; /* the guest cannot ask; bpfbench.c takes it from argv */
}

#else /* native: libbpf */

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct bb_obj {
	struct bpf_object *obj;
};

struct bb_buf {
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	bb_sample_fn fn;
	void *ctx;
};

static inline struct bb_obj *bb_open(const void *buf, size_t len)
{
	struct bb_obj *o = malloc(sizeof(*o));

	if (!o)
		return NULL;
	/* BENCH_BTF: kernel BTF for CO-RE, as wasm-bpf's --btf */
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .btf_custom_path = getenv("BENCH_BTF"));

	o->obj = bpf_object__open_mem(buf, len, &opts);
	if (!o->obj || bpf_object__load(o->obj)) {
		bpf_object__close(o->obj);
		free(o);
		return NULL;
	}
	return o;
}

static inline int bb_attach(struct bb_obj *o, const char *prog)
{
	struct bpf_program *p = bpf_object__find_program_by_name(o->obj, prog);

	if (!p)
		return -ENOENT;
	return bpf_program__attach(p) ? 0 : -errno;
}

static inline int bb_map_fd(struct bb_obj *o, const char *name)
{
	return bpf_object__find_map_fd_by_name(o->obj, name);
}

static inline int bb_lookup(int fd, void *k, void *v)
{
	return bpf_map_lookup_elem(fd, k, v);
}

static inline int bb_update(int fd, void *k, void *v)
{
	return bpf_map_update_elem(fd, k, v, BPF_ANY);
}

static inline int bb_delete(int fd, void *k)
{
	return bpf_map_delete_elem(fd, k);
}

static inline int bb_next_key(int fd, void *k, void *next)
{
	return bpf_map_get_next_key(fd, k, next);
}

static inline void bb_pb_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct bb_buf *b = ctx;

	b->fn(b->ctx, data, size);
}

/* 16 pages per CPU for the perf buffer, as the wasm-bpf host uses. */
static inline struct bb_buf *bb_buf_new(struct bb_obj *o, int fd, bool rb,
					bb_sample_fn fn, void *ctx)
{
	struct bb_buf *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->fn = fn;
	b->ctx = ctx;
	if (rb)
		b->rb =
		    ring_buffer__new(fd, (ring_buffer_sample_fn)fn, ctx, NULL);
	else
		b->pb = perf_buffer__new(fd, 16, bb_pb_sample, NULL, b, NULL);
	if (!b->rb && !b->pb) {
		free(b);
		return NULL;
	}
	return b;
}

static inline int bb_buf_poll(struct bb_buf *b, int ms)
{
	return b->rb ? ring_buffer__poll(b->rb, ms)
		     : perf_buffer__poll(b->pb, ms);
}

static inline void bb_buf_free(struct bb_buf *b)
{
	ring_buffer__free(b->rb);
	perf_buffer__free(b->pb);
	free(b);
}

static inline void bb_close(struct bb_obj *o)
{
	bpf_object__close(o->obj);
	free(o);
}

static inline int bb_ncpus(void)
{
	return libbpf_num_possible_cpus();
}

#endif
#endif
