/* libbpf-wasm.h — the wasm-bpf C SDK: libbpf's user-space API for eBPF
 * control planes built as wasm32-wasi guests (header only), under the name
 * upstream wasm-bpf's examples include. Built natively, it is libbpf itself
 * plus the SDK's additions (wasm-bpf/native.h), so the same source runs both
 * ways.
 */
#ifndef WASM_BPF_LIBBPF_WASM_H
#define WASM_BPF_LIBBPF_WASM_H
/* Upstream wasm-bpf's header guard: a copy of upstream's header that an
 * example directory carries, included after this one, adds nothing. */
#define _LIBBPF_WASM_H

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __wasm__
#include "wasm-bpf/object.h"
#include "wasm-bpf/buffer.h"
#else
#include "wasm-bpf/native.h"
#endif

#endif
