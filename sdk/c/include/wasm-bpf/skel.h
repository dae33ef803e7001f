/* wasm-bpf/skel.h — the one header a skeleton made by `wasm-bpf gen
 * skeleton` includes. It picks the skeleton back-end for whichever
 * libbpf-wasm.h the translation unit uses: upstream wasm-bpf's example
 * directories carry their own libbpf-wasm.h (a link to upstream's SDK),
 * which a source including "libbpf-wasm.h" finds before ours. Ours is
 * reached by a path relative to this file, so no include order picks
 * another; once included it also keeps upstream's out (same guard name).
 */
#ifndef WASM_BPF_SKEL_H
#define WASM_BPF_SKEL_H

#if defined(_LIBBPF_WASM_H) && !defined(WASM_BPF_LIBBPF_WASM_H)
#include "skel_upstream.h"
#else
#include "../libbpf-wasm.h"
#endif

#endif
