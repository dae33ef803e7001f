/* wasm_bpf_imports.h — the raw `wasm_bpf` imports as a guest declares them
 * (types as upstream wasm-bpf defines them), for the suite's guests. */
#ifndef WASM_BPF_TEST_IMPORTS_H
#define WASM_BPF_TEST_IMPORTS_H

#include <stdint.h>

#define IMPORT(name)                                                           \
	__attribute__((import_module("wasm_bpf"), import_name(#name)))

IMPORT(wasm_load_bpf_object) uint64_t wasm_load_bpf_object(void *obj, int len);
IMPORT(wasm_attach_bpf_program)
int wasm_attach_bpf_program(uint64_t obj, const char *name, const char *target);
IMPORT(wasm_attach_bpf_program_fd)
int wasm_attach_bpf_program_fd(uint64_t obj, const char *name, int fd);
IMPORT(wasm_bpf_buffer_poll)
int wasm_bpf_buffer_poll(uint64_t obj, int fd, int32_t sample_func, void *ctx,
			 void *buf, int buf_len, int timeout_ms);
IMPORT(wasm_bpf_map_fd_by_name)
int wasm_bpf_map_fd_by_name(uint64_t obj, const char *name);
IMPORT(wasm_bpf_map_operate)
int wasm_bpf_map_operate(int fd, int cmd, void *key, void *value,
			 void *next_key, uint64_t flags);
IMPORT(wasm_close_bpf_object) int wasm_close_bpf_object(uint64_t obj);
/* wasm-bpf's own (guest-lost.wasm only): perf buffer records dropped. */
IMPORT(wasm_bpf_buffer_lost)
int64_t wasm_bpf_buffer_lost(uint64_t obj, int fd);

/* TinyGo's form: records go to the exported function "go-callback". */
__attribute__((import_module("callback-wrapper"),
	       import_name("wasm_bpf_buffer_poll"))) int
wasm_bpf_buffer_poll_go(uint64_t obj, int fd, void *ctx, void *buf, int buf_len,
			int timeout_ms);

#endif
