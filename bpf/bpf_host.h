/* bpf_host.h — the `wasm_bpf` host module: BPF objects loaded, attached,
 * polled and operated on through libbpf on behalf of one guest instance.
 * Every object, program, link and map the guest creates belongs to the
 * bpf_host and is destroyed with it, whatever way the instance ended.
 */
#ifndef WASM_BPF_BPF_HOST_H
#define WASM_BPF_BPF_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/wasm.h"

struct wasi_ctx;

struct bpf_host_opts {
	size_t sz;
	bool verbose;        /* libbpf's log (and the verifier log) to stderr */
	bool force_perfbuf;  /* switch ring buffers to perf buffers before load */
	const char *btf_path; /* kernel BTF for CO-RE when /sys/kernel/btf/vmlinux is absent */
	struct wasi_ctx *wasi; /* to resolve guest descriptors (attach by fd) */
	const char *go_callback_export; /* default "go-callback" */
	const char *go_poll_module;     /* default "callback-wrapper" */
	/* CO-RE BTF cache (bpf/README.md): its directory (NULL: the
	 * default), or none at all. Not used with btf_path. */
	const char *btf_cache_dir;
	bool no_btf_cache;
	/* A cgroup program's string target may be a cgroup v2 directory
	 * path the host opens (upstream's sockops does so). Off: the guest
	 * attaches by a descriptor it holds. */
	bool allow_cgroup_paths;
};

struct bpf_host;

struct bpf_host *bpf_host__new(const struct bpf_host_opts *opts);
/* Destroys every object the guest loaded: links, programs, maps. */
void bpf_host__free(struct bpf_host *h);
/* Defines the wasm_bpf imports (and the TinyGo callback-wrapper one) on the
 * linker with `h` as user pointer. */
int bpf_host__define(struct bpf_host *h, struct wasm_linker *l);
/* Number of objects still open (for tests and leak checks). */
int bpf_host__object_count(const struct bpf_host *h);

#endif
