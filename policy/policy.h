/* policy.h — the capability policy: which BPF programs, attach points,
 * helpers, kfuncs and maps a guest may hand the kernel, which Wasm limits
 * and host resources a run may be given, and which images may run. A
 * policy is read from YAML (JSON is accepted too, being YAML), checked
 * against bpf_facts before load and against targets before attach; every
 * refusal names the rule and where it is written (policy/README.md).
 */
#ifndef WASM_BPF_POLICY_H
#define WASM_BPF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "policy/bpf_facts.h"

/* Where the command looks when no --policy is given (if present). */
#define POLICY_DEFAULT_PATH "/etc/wasm-bpf/policy.yaml"

struct policy_rule {
	char *pattern; /* fnmatch(3) pattern; '*' also matches '/' */
	int line;
};

struct policy_rules {
	struct policy_rule *v;
	size_t n;
	bool set; /* present in the file (an empty allow list allows nothing) */
	int line;
};

/* Deny wins; then, if an allow list is given, the value must match it. */
struct policy_list {
	const char *name; /* "helpers", "programs.tracepoints", ... */
	struct policy_rules allow, deny;
};

struct policy_limit {
	uint64_t value; /* bytes, count, or milliseconds for time */
	bool set;
	int line;
};

struct policy {
	char *source; /* the file, or "built-in" */
	struct policy_list types, tracepoints, kprobes, uprobes, interfaces,
	    cgroups, lsm, helpers, kfuncs, map_types, dirs, fds, images;
	struct policy_limit map_memory, ringbuf, wasm_memory, wasm_fuel,
	    wasm_time, event_rate, event_burst;
	bool require_signature;
	int require_signature_line;
};

/* The built-in policy: everything allowed, as before policies existed. */
struct policy *policy__new(void);
/* NULL on failure, with `err` as "FILE:LINE: what is wrong". */
struct policy *policy__parse(const char *text, size_t len, const char *source,
			     char *err, size_t err_len);
struct policy *policy__load_file(const char *path, char *err, size_t err_len);
void policy__free(struct policy *p);
/* A size or count as the policy and the command's options write it:
 * digits, then optionally K, M or G (powers of 1024), then optionally
 * "i" (after a unit) and "B": "4096", "64K", "64M", "64MiB", "1GB".
 * 0, or -1 for anything else (a sign, a fraction, overflow). */
int policy__parse_size(const char *s, uint64_t *out);

/* 0, or -EPERM with `why` as one line: "policy: SUBJECT is denied by
 * RULE (FILE:LINE)". */
int policy__check_object(const struct policy *p, const struct bpf_facts *f,
			 char *why, size_t why_len);
/* A target given at attach time: an interface, a kernel function, a
 * tracepoint "category:name", a binary "/path[:...]", a cgroup path. */
int policy__check_attach(const struct policy *p, enum bpf_facts_kind kind,
			 const char *prog, const char *target, char *why,
			 size_t why_len);

/* What a run is given. Unset limits (0) get the policy's maximum. */
struct policy_run {
	uint64_t *max_memory, *fuel;
	double *timeout;	 /* seconds; 0: none */
	const char *const *dirs; /* host paths */
	int ndirs;
	const int *fds;
	int nfds;
};
int policy__check_run(const struct policy *p, struct policy_run *r, char *why,
		      size_t why_len);
/* An image about to run: `ref` the name it was asked by
 * ("registry/repo:tag"), `digest` its manifest's ("sha256:HEX", or NULL).
 * A rule matches either the name or "NAME@DIGEST", so one pattern list
 * covers prefixes, tags and digests. `verified`: its signature was
 * checked against a key the user gave (images.require_signature). */
int policy__check_image(const struct policy *p, const char *ref,
			const char *digest, bool verified, char *why,
			size_t why_len);

/* Hooks a bpf_host up to `p` (which must outlive it): every object is
 * checked before load, every target before attach. */
struct bpf_host_opts;
void policy__guard_bpf_host(const struct policy *p, struct bpf_host_opts *o);

#endif
