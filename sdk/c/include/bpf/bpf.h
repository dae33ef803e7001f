/* bpf/bpf.h — for wasm32 guests, the map fd calls of libbpf's bpf.h come
 * from the SDK; natively the system header is used as is. */
#ifdef __wasm__
#include "../libbpf-wasm.h"
#else
#include_next <bpf/bpf.h>
#endif
