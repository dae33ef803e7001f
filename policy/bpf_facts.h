/* bpf_facts.h — what a BPF ELF object asks of the kernel, read without
 * loading it: its programs (type, section, attach point named by the
 * section), the helpers and kfuncs every function calls, its maps (type,
 * sizes, memory), license and CO-RE relocation count. The policy checks
 * these facts; `wasm-bpf check` and `inspect` print them, `push` puts
 * some in the image's annotations.
 */
#ifndef WASM_BPF_POLICY_BPF_FACTS_H
#define WASM_BPF_POLICY_BPF_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

/* How a program attaches, as far as the policy cares. */
enum bpf_facts_kind {
	BPF_FACTS_OTHER = 0,
	BPF_FACTS_TRACEPOINT, /* target "category:name" (raw: "name") */
	BPF_FACTS_KPROBE,     /* kprobe, fentry & co: kernel function */
	BPF_FACTS_UPROBE,     /* uprobe, usdt: binary path */
	BPF_FACTS_NETDEV,     /* xdp, tc: interface, given at attach */
	BPF_FACTS_CGROUP,     /* cgroup programs: path, given at attach */
	BPF_FACTS_LSM,	      /* LSM hook */
};

/* One function of the object: a program (a function in its own section)
 * or a subprogram (.text) it may call. */
struct bpf_facts_func {
	char *name;
	char *section;
	bool is_prog;
	enum bpf_prog_type type; /* programs only */
	enum bpf_attach_type expected_attach;
	enum bpf_facts_kind kind;
	char *target; /* from the section; NULL: none or given at attach */
	uint32_t insns;
	uint32_t *helpers; /* helper ids, each once, in order of use */
	size_t nhelpers;
	char **kfuncs;
	size_t nkfuncs;
};

struct bpf_facts_map {
	char *name;
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries;
	uint64_t memory; /* estimated bytes: see bpf_facts__map_memory() */
};

struct bpf_facts {
	struct bpf_facts_func *funcs;
	size_t nfuncs;
	struct bpf_facts_map *maps;
	size_t nmaps;
	char license[128];
	int core_relos;		/* CO-RE relocation records; -1: malformed */
	uint64_t map_memory;	/* sum over maps */
	uint64_t ringbuf_bytes; /* sum over ring buffers */
};

/* Reads an ELF image (not kept). 0, or a negative errno with `err` (may be
 * NULL) saying why in one line. */
int bpf_facts__scan(const void *elf, size_t len, struct bpf_facts **out,
		    char *err, size_t err_len);
void bpf_facts__free(struct bpf_facts *f);

/* key+value per entry (values × possible CPUs for per-CPU maps), the
 * ring buffer's size, 8 bytes per CPU slot of a perf event array. */
uint64_t bpf_facts__map_memory(enum bpf_map_type type, uint32_t key_size,
			       uint32_t value_size, uint32_t max_entries);

/* The capabilities loading and attaching the object's programs needs on
 * a kernel with CAP_BPF: bits of enum bpf_facts_cap. */
enum bpf_facts_cap {
	BPF_FACTS_CAP_BPF = 1,
	BPF_FACTS_CAP_PERFMON = 2,   /* tracing programs */
	BPF_FACTS_CAP_NET_ADMIN = 4, /* networking programs */
};
unsigned bpf_facts__caps(const struct bpf_facts *f);

/* "bpf_probe_write_user" for 36, valid until this thread asks again; NULL
 * if the id is unknown here. */
const char *bpf_facts__helper_name(uint32_t id);
/* The kind of attach point a program of this type and section takes. */
enum bpf_facts_kind bpf_facts__kind(enum bpf_prog_type type,
				    enum bpf_attach_type expected,
				    const char *section);
/* "tracepoint", "kprobe", ... */
const char *bpf_facts__kind_name(enum bpf_facts_kind k);

#endif
