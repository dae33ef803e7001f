/* ubpf.h — wasm-bpf's userspace eBPF backend: maps in shared memory
 * (memfd + mmap, so another process can map the same data), BPF programs
 * taken from a clang -target bpf ELF object without the kernel, a verifier
 * that proves a program stays inside its context, stack and map values,
 * an interpreter that runs verified programs, and uprobes that run them in
 * the calling process. Errors are negative errno values (or NULL with
 * errno set), as in libbpf.
 */
#ifndef WASM_BPF_UBPF_H
#define WASM_BPF_UBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

/* ---- maps (ubpf_map.c, ubpf_ring.c) ------------------------------------ */

struct ubpf_map;

struct ubpf_map_def {
	uint32_t
	    type; /* BPF_MAP_TYPE_{ARRAY,HASH,PERCPU_*,RINGBUF,PERF_EVENT_ARRAY}
		   */
	uint32_t key_size, value_size, max_entries;
	/* BPF_F_RDONLY_PROG: programs may only read values; with BPF_F_RDONLY
	 * too (.rodata): frozen, user space may not write it either, and the
	 * verifier reads its values as constants */
	uint32_t flags;
	char name[16];
};

/* A new map in a fresh memfd. */
struct ubpf_map *ubpf_map__new(const struct ubpf_map_def *def);
/* The same map in another process (or again): maps memfd FD, which the
 * caller keeps. The header is checked against the size of the file. */
struct ubpf_map *ubpf_map__open_fd(int fd);
void ubpf_map__free(struct ubpf_map *map);
int ubpf_map__fd(const struct ubpf_map *map);
const struct ubpf_map_def *ubpf_map__def(const struct ubpf_map *map);
/* Size of a value as user space reads it: per-CPU maps hold one slot of
 * round_up(value_size, 8) per possible CPU, as the kernel's syscall does. */
size_t ubpf_map__user_value_size(const struct ubpf_map *map);
void *ubpf_map__data(const struct ubpf_map *map); /* arrays: values base */

/* User-space operations, with the bpf(2) map commands' semantics. */
int ubpf_map__lookup(struct ubpf_map *map, const void *key, void *value);
int ubpf_map__update(struct ubpf_map *map, const void *key, const void *value,
		     uint64_t flags);
int ubpf_map__delete(struct ubpf_map *map, const void *key);
int ubpf_map__next_key(struct ubpf_map *map, const void *key, void *next_key);

/* Program-side operations: the calling CPU's slot of per-CPU maps. */
void *ubpf_map__elem(struct ubpf_map *map, const void *key);
int ubpf_map__elem_update(struct ubpf_map *map, const void *key,
			  const void *value, uint64_t flags);

/* Ring buffers (RINGBUF, and PERF_EVENT_ARRAY over the same transport). */
typedef int (*ubpf_sample_fn)(void *ctx, void *data, size_t size);
void *ubpf_ring__reserve(struct ubpf_map *map, uint64_t size);
/* Makes a reserved record visible (or drops it): the record knows its ring. */
void ubpf_ring__commit(void *sample, bool discard);
int ubpf_ring__output(struct ubpf_map *map, const void *data, uint64_t size);
/* Calls FN for each committed record; returns how many, or FN's negative
 * return (records before it stay consumed). */
int ubpf_ring__consume(struct ubpf_map *map, ubpf_sample_fn fn, void *ctx);
uint64_t ubpf_ring__lost(const struct ubpf_map *map);

/* ---- programs (ubpf_load.c, ubpf_verify.c, ubpf_vm.c) ------------------- */

#define UBPF_MAX_INSNS	65536
#define UBPF_STACK_SIZE 512
#define UBPF_MAX_FRAMES 8
#define UBPF_LOG_SIZE	512

/* Where bpf_get_current_task's synthetic task (ubpf_task.c) holds the
 * fields it fills, as the object's own task_struct type places them (the
 * offsets compiled into its code: CO-RE is not applied here). */
struct ubpf_task_layout {
	uint32_t size;			/* 0: no usable task_struct */
	int32_t tgid, pid, real_parent; /* byte offsets; -1: absent */
};

struct ubpf_prog {
	char name[64];
	char sec[64];
	enum bpf_prog_type type;
	struct bpf_insn *insns; /* LD_IMM64 map refs: imm = index in maps[] */
	uint32_t insn_cnt;
	struct ubpf_map **maps; /* not owned */
	uint32_t map_cnt;
	uint32_t ctx_size; /* readable bytes at R1 */
	int target_pid;	   /* probe_read_user reads this process; 0: self */
	int trace_fd;	   /* trace_printk's output; -1: none */
	struct bpf_insn *xinsns; /* verified, map refs turned into addresses */
	bool zero_stack; /* helpers may copy stack bytes it never wrote */
	const struct ubpf_task_layout *task; /* the object's; not owned */
};

/* Checks P; on success prepares it to run. A refusal is -EACCES (or
 * -EINVAL for malformed code) with LOG saying "insn N: why". */
int ubpf_prog__verify(struct ubpf_prog *p, char *log, size_t log_size);
/* Runs a verified program on CTX (ctx_size bytes); returns R0. */
uint64_t ubpf_prog__run(const struct ubpf_prog *p, void *ctx);
void ubpf_prog__release(struct ubpf_prog *p); /* frees insns, xinsns */

/* get_current_pid_tgid caches the thread's ids (renewed after fork); a
 * vfork child shares that cache with its parent: forget it around
 * programs that may run in one (before exec). */
void ubpf_ids__forget(void);

/* Context size for a program type, 0 when the backend has no support. */
uint32_t ubpf_ctx_size(enum bpf_prog_type type);

/* The layout of the object's task_struct (every flavor, task_struct___x,
 * merged) from its BTF; size 0 when it has none or flavors disagree. */
struct btf;
void ubpf_task__layout(const struct btf *btf, struct ubpf_task_layout *out);

/* ---- objects (ubpf_load.c) --------------------------------------------- */

struct ubpf_object;

/* Parses a BPF ELF object (libbpf's open, no kernel) and creates its maps,
 * with .data/.rodata/.bss initial values; links each program's subprograms
 * and resolves map references. Nothing is verified yet. */
struct ubpf_object *ubpf_object__open_mem(const void *buf, size_t len,
					  char *log, size_t log_size);
/* The same with the maps of the object opened elsewhere (their memfds in
 * the object's map order) instead of new ones: another process's view. */
struct ubpf_object *ubpf_object__open_shared(const void *buf, size_t len,
					     const int *map_fds, size_t nmaps,
					     char *log, size_t log_size);
void ubpf_object__close(struct ubpf_object *obj);
struct ubpf_prog *ubpf_object__prog(struct ubpf_object *obj, const char *name);
struct ubpf_prog *ubpf_object__prog_at(struct ubpf_object *obj, size_t i);
struct ubpf_map *ubpf_object__map(struct ubpf_object *obj, const char *name);
struct ubpf_map *ubpf_object__map_at(struct ubpf_object *obj, size_t i);

/* ---- uprobes in this process (ubpf_hook.c, x86-64) -------------------- */

struct ubpf_hook;

/* Runs ENTRY (context: struct pt_regs at entry) and RET (at return: ax
 * the result, ip where it returns), either may be NULL, on every call of
 * the function at FN (SIZE bytes, from its symbol) until detached. */
struct ubpf_hook *ubpf_hook__attach(void *fn, size_t size,
				    struct ubpf_prog *entry,
				    struct ubpf_prog *ret, char *log,
				    size_t log_size);
/* Where the threads of this process were stopped while hooks are written
 * (an injected agent's: ubpf_inject.c stops them all): ubpf_hook__attach
 * then refuses a function with one inside the instructions it would
 * move, past their first byte (that thread would resume into the jump).
 * IPS stays the caller's; N 0 clears. */
void ubpf_hook__avoid(const uint64_t *ips, size_t n);
/* Writes the original code back. A hook with a RET program keeps its
 * trampoline page (calls in flight return through it). */
int ubpf_hook__detach(struct ubpf_hook *h);
/* Where function SYMBOL of the ELF file BINARY is in this process (it
 * must be loaded here: the program or one of its libraries). */
int ubpf_sym__resolve(const char *binary, const char *symbol, void **addr,
		      size_t *size);
/* Function SYMBOL's address in the ELF file PATH (.symtab or .dynsym). */
int ubpf_sym__value(const char *path, const char *symbol, uint64_t *value,
		    size_t *size);

#endif
