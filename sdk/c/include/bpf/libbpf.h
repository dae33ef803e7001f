/* bpf/libbpf.h — for wasm32 guests, libbpf's header name mapped onto the
 * SDK; natively the system libbpf header is used as is. */
#ifdef __wasm__
#include "../libbpf-wasm.h"
#else
#include_next <bpf/libbpf.h>
#endif
