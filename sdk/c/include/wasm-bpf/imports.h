/* wasm-bpf/imports.h — the `wasm_bpf` host imports as C declarations for
 * wasm32 guests. Types match upstream wasm-bpf's ABI exactly: pointers are
 * i32 guest addresses, object handles i64, results negative errno.
 */
#ifndef WASM_BPF_IMPORTS_H
#define WASM_BPF_IMPORTS_H

#include <stdint.h>

#define WBPF_IMPORT(name)                                                      \
	__attribute__((import_module("wasm_bpf"), import_name(#name)))

/* Opens and loads (CO-RE relocated, verified) a BPF ELF object; a handle,
 * 0 on failure. The host copies the bytes. */
WBPF_IMPORT(wasm_load_bpf_object)
uint64_t wasm_load_bpf_object(const void *obj_buf, int obj_buf_sz);

/* Attaches program `name`; NULL or "" target attaches by section name,
 * else the target is program specific (an interface name for XDP). */
WBPF_IMPORT(wasm_attach_bpf_program)
int wasm_attach_bpf_program(uint64_t obj, const char *name,
			    const char *attach_target);

/* Attaches program `name` to a descriptor the guest holds (a cgroup
 * directory opened through a preopened dir, a socket). */
WBPF_IMPORT(wasm_attach_bpf_program_fd)
int wasm_attach_bpf_program_fd(uint64_t obj, const char *name, int target_fd);

/* Polls the ring or perf buffer map `fd`; each record is copied to `data`
 * and the function at table index `sample_func` is called with
 * (ctx, data, size). Returns the number of records or -errno. */
WBPF_IMPORT(wasm_bpf_buffer_poll)
int wasm_bpf_buffer_poll(uint64_t obj, int fd, int32_t sample_func,
			 uint32_t ctx, char *data, int max_size,
			 int timeout_ms);

/* The fd of the map called `name` (".rodata", ".bss"... for data
 * sections); -errno when there is none. */
WBPF_IMPORT(wasm_bpf_map_fd_by_name)
int wasm_bpf_map_fd_by_name(uint64_t obj, const char *name);

/* cmd: 1 lookup, 2 update, 3 delete, 4 get next key. */
WBPF_IMPORT(wasm_bpf_map_operate)
int wasm_bpf_map_operate(int fd, int cmd, void *key, void *value,
			 void *next_key, uint64_t flags);

/* Detaches and unloads everything the object holds. */
WBPF_IMPORT(wasm_close_bpf_object)
int wasm_close_bpf_object(uint64_t obj);

/* wasm-bpf's own, not upstream's: records the kernel dropped from perf
 * buffer `fd` because it was full (-EOPNOTSUPP for a ring buffer). Only a
 * module that calls it imports it; such a module does not link in
 * upstream wasm-bpf. */
WBPF_IMPORT(wasm_bpf_buffer_lost)
int64_t wasm_bpf_buffer_lost(uint64_t obj, int fd);

/* wasm-bpf's own, not upstream's: ring buffer `fd` mapped into guest
 * memory [addr, addr+len) (addr 4096-aligned): the consumer position's
 * page (writable), the producer position's page, then the data area twice
 * over (read-only: a write traps). addr and len 0: the length to map
 * (2 pages and twice the ring's size). 0 or -errno: -EOPNOTSUPP when the
 * host cannot (a perf buffer, a rate limit, the userspace backend), -EBUSY if mapped already. The SDK's ring buffers
 * use these unless built with WBPF_UPSTREAM_IMPORTS; a module that
 * imports them does not link in upstream wasm-bpf. */
WBPF_IMPORT(wasm_bpf_ring_map)
int wasm_bpf_ring_map(uint64_t obj, int fd, void *addr, int len);
/* The mapping removed: zeroed writable memory there again. */
WBPF_IMPORT(wasm_bpf_ring_unmap)
int wasm_bpf_ring_unmap(uint64_t obj, int fd);
/* Waits up to timeout_ms (-1: no limit, 0: not at all) for records in
 * mapped ring `fd`: 1 when it has some (a walk over them begins), 0 when
 * not, -EINTR on Ctrl-C. While the host holds events (a live upgrade's
 * switch-over) it finds none. */
WBPF_IMPORT(wasm_bpf_ring_wait)
int wasm_bpf_ring_wait(uint64_t obj, int fd, int timeout_ms);
/* The walk a wait began is over: `delivered` records were handed to
 * callbacks (the host counts them). 0, -EBADF (no object), -ENOENT (not
 * mapped). */
WBPF_IMPORT(wasm_bpf_ring_done)
int wasm_bpf_ring_done(uint64_t obj, int fd, int delivered);

#endif
