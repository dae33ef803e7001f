/* bpf_scan.h — what a wasm-bpf module will load, read without running it:
 * the BPF ELF objects embedded in its initial memory (where the skeletons
 * of `wasm-bpf gen` put them: wasm_module__initial_memory() lays it out),
 * and each object's programs, maps and license as libbpf opens them.
 * Nothing touches the kernel. Used by `wasm-bpf inspect` and the image
 * annotations of `wasm-bpf push`. */
#ifndef WASM_BPF_SCAN_H
#define WASM_BPF_SCAN_H

#include <stddef.h>
#include <stdint.h>

struct bpf_scan_prog {
	char *name, *section, *type; /* type: libbpf's name ("kprobe") */
};

struct bpf_scan_map {
	char *name, *type;
	uint32_t key_size, value_size, max_entries;
};

struct bpf_scan_obj {
	size_t offset, size; /* in mem */
	char *license;	     /* NULL if the object has none */
	struct bpf_scan_prog *progs;
	struct bpf_scan_map *maps;
	int nprogs, nmaps;
};

struct bpf_scan {
	struct bpf_scan_obj *objs;
	int nobjs;
};

/* Every little-endian ELF64 EM_BPF object in mem, into `out`; 0 or a
 * negative errno, with a one-line reason in `err` (size errlen). An object
 * libbpf cannot open is skipped, not fatal: the data may hold other ELF
 * bytes. */
int bpf_scan_memory(const void *mem, size_t len, struct bpf_scan *out,
		    char *err, size_t errlen);
void bpf_scan_free(struct bpf_scan *s);

/* Capabilities (e.g. "CAP_BPF CAP_PERFMON") loading these program types
 * needs on a kernel with CAP_BPF, space-separated, into buf. */
void bpf_scan_caps(const struct bpf_scan *s, char *buf, size_t len);

#endif
