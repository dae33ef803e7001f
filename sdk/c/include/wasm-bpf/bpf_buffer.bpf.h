/* bpf_buffer.bpf.h — for BPF programs: output to a buffer map that is a
 * BPF ring buffer, or a perf event array when the wasm-bpf runtime switched
 * it (kernels without BPF_MAP_TYPE_RINGBUF, or `force_perfbuf`).
 *
 * Declare the map as a ring buffer as usual:
 *
 *	struct {
 *		__uint(type, BPF_MAP_TYPE_RINGBUF);
 *		__uint(max_entries, 256 * 1024);
 *	} events SEC(".maps");
 *
 * and write records with bpf_buffer__output(&events, ctx, &e, sizeof(e)),
 * or bpf_buffer__reserve() / bpf_buffer__submit() with a constant size of
 * at most WASM_BPF_BUFFER_MAX. When the runtime switches the map it also
 * sets wasm_bpf_buffer_is_perf (below) before load; the flag lives in
 * .rodata, so the verifier sees a constant and only checks the branch that
 * runs. Include this header in one source file per BPF object (it defines
 * the flag and a scratch map). Perf buffers deliver records padded: the
 * size user space sees is the size written rounded up so that size + 4 is a
 * multiple of 8.
 */
#ifndef WASM_BPF_BPF_BUFFER_BPF_H
#define WASM_BPF_BPF_BUFFER_BPF_H

#include <bpf/bpf_helpers.h>

#ifndef WASM_BPF_BUFFER_MAX
#define WASM_BPF_BUFFER_MAX 4096 /* largest reserve in perf buffer mode */
#endif

/* Set to 1 by the runtime when it turned ring buffers into perf buffers. */
const volatile int wasm_bpf_buffer_is_perf = 0;

/* Where bpf_buffer__reserve() builds a record in perf buffer mode. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, WASM_BPF_BUFFER_MAX);
} wasm_bpf_buffer_scratch SEC(".maps");

/* Copies `size` bytes of `data` into the buffer. `ctx` is the program's
 * context (perf buffers need it). Returns 0 or a negative error. */
static __always_inline long bpf_buffer__output(void *map, void *ctx, void *data,
					       __u64 size)
{
	if (wasm_bpf_buffer_is_perf)
		return bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, data,
					     size);
	return bpf_ringbuf_output(map, data, size, 0);
}

/* Room for a record of constant `size`, or NULL; pair every non-NULL
 * result with bpf_buffer__submit() or bpf_buffer__discard(). */
static __always_inline void *bpf_buffer__reserve(void *map, __u64 size)
{
	__u32 zero = 0;

	if (!wasm_bpf_buffer_is_perf)
		return bpf_ringbuf_reserve(map, size, 0);
	if (size > WASM_BPF_BUFFER_MAX)
		return NULL;
	return bpf_map_lookup_elem(&wasm_bpf_buffer_scratch, &zero);
}

/* Sends a reserved record; `size` must be the size reserved. */
static __always_inline void bpf_buffer__submit(void *map, void *ctx, void *data,
					       __u64 size)
{
	if (!wasm_bpf_buffer_is_perf) {
		bpf_ringbuf_submit(data, 0);
		return;
	}
	bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, data, size);
}

static __always_inline void bpf_buffer__discard(void *map, void *data)
{
	if (!wasm_bpf_buffer_is_perf)
		bpf_ringbuf_discard(data, 0);
}

#endif
