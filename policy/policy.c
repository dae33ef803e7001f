/* policy.c — deciding with a policy: objects before load, targets before
 * attach, the resources of a run, image references; and the bpf_host
 * guard that puts the first two in the host's path.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_host.h"
#include "policy/policy.h"

struct policy *policy__new(void)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->source = strdup("built-in");
	p->types.name = "programs.types";
	p->tracepoints.name = "programs.tracepoints";
	p->kprobes.name = "programs.kprobes";
	p->uprobes.name = "programs.uprobes";
	p->interfaces.name = "programs.interfaces";
	p->cgroups.name = "programs.cgroups";
	p->lsm.name = "programs.lsm";
	p->helpers.name = "helpers";
	p->kfuncs.name = "kfuncs";
	p->map_types.name = "maps.types";
	p->dirs.name = "host.dirs";
	p->fds.name = "host.fds";
	p->images.name = "images";
	if (!p->source) {
		free(p);
		return NULL;
	}
	return p;
}

static void free_rules(struct policy_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].pattern);
	free(r->v);
}

void policy__free(struct policy *p)
{
	if (!p)
		return;
	struct policy_list *lists[] = {
	    &p->types,	    &p->tracepoints, &p->kprobes, &p->uprobes,
	    &p->interfaces, &p->cgroups,     &p->lsm,	  &p->helpers,
	    &p->kfuncs,	    &p->map_types,   &p->dirs,	  &p->fds,
	    &p->images};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		free_rules(&lists[i]->allow);
		free_rules(&lists[i]->deny);
	}
	free(p->source);
	free(p);
}

/* ---- rules --------------------------------------------------------------- */

static int refuse(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	k = snprintf(why, n, "policy: ");
	va_start(ap, fmt);
	if (k > 0 && (size_t)k < n)
		vsnprintf(why + k, n - k, fmt, ap);
	va_end(ap);
	return -EPERM;
}

static int find_rule(const struct policy_rules *r, const char *value)
{
	for (size_t i = 0; i < r->n; i++)
		if (!fnmatch(r->v[i].pattern, value, 0))
			return (int)i;
	return -1;
}

/* `subject` says what asked, e.g. "helper bpf_probe_write_user (id 36)
 * in program 'x'". */
static int check_list(const struct policy *p, const struct policy_list *l,
		      const char *value, const char *subject, char *why,
		      size_t n)
{
	int i = find_rule(&l->deny, value);

	if (i >= 0)
		return refuse(why, n, "%s is denied by %s.deny[%d] (%s:%d)",
			      subject, l->name, i, p->source,
			      l->deny.v[i].line);
	if (l->allow.set && find_rule(&l->allow, value) < 0)
		return refuse(why, n, "%s is not in %s.allow (%s:%d)", subject,
			      l->name, p->source, l->allow.line);
	return 0;
}

static int check_limit(const struct policy *p, const struct policy_limit *l,
		       const char *rule, uint64_t value, const char *subject,
		       char *why, size_t n)
{
	if (!l->set || value <= l->value)
		return 0;
	return refuse(why, n, "%s exceeds %s %llu (%s:%d)", subject, rule,
		      (unsigned long long)l->value, p->source, l->line);
}

static const struct policy_list *list_for(const struct policy *p,
					  enum bpf_facts_kind k)
{
	switch (k) {
	case BPF_FACTS_TRACEPOINT:
		return &p->tracepoints;
	case BPF_FACTS_KPROBE:
		return &p->kprobes;
	case BPF_FACTS_UPROBE:
		return &p->uprobes;
	case BPF_FACTS_NETDEV:
		return &p->interfaces;
	case BPF_FACTS_CGROUP:
		return &p->cgroups;
	case BPF_FACTS_LSM:
		return &p->lsm;
	default:
		return NULL;
	}
}

/* Paths are judged by what they name: "/allowed/../elsewhere" or a
 * symlink must not pass as "/allowed/...". A path that does not resolve
 * is judged as written unless it has a "." or ".." component (NULL). */
static const char *canonical(enum bpf_facts_kind k, const char *value,
			     char *buf)
{
	if (k != BPF_FACTS_CGROUP && k != BPF_FACTS_UPROBE)
		return value;
	if (realpath(value, buf))
		return buf;
	for (const char *c = value; (c = strstr(c, "/.")); c++)
		if (c[2] == '/' || !c[2] ||
		    (c[2] == '.' && (c[3] == '/' || !c[3])))
			return NULL;
	return value;
}

static int unresolvable(const char *what, const char *path, const char *prog,
			char *why, size_t n)
{
	return refuse(why, n,
		      "%s %s of program '%s' does not resolve to a path the "
		      "policy can judge",
		      what, path, prog);
}

/* ---- objects ------------------------------------------------------------- */

static const char *prog_or_sub(const struct bpf_facts_func *f)
{
	return f->is_prog ? "program" : "subprogram";
}

static int check_prog(const struct policy *p, const struct bpf_facts_func *f,
		      char *why, size_t n)
{
	const struct policy_list *l = list_for(p, f->kind);
	const char *type = libbpf_bpf_prog_type_str(f->type);
	char subj[PATH_MAX + 128], real[PATH_MAX];
	const char *target;
	int err;

	snprintf(subj, sizeof(subj), "program type %s of '%s'",
		 type ? type : "unknown", f->name);
	err = check_list(p, &p->types, type ? type : "unknown", subj, why, n);
	if (err || !f->target || !l)
		return err;
	target = canonical(f->kind, f->target, real);
	if (!target)
		return unresolvable(bpf_facts__kind_name(f->kind), f->target,
				    f->name, why, n);
	snprintf(subj, sizeof(subj), "%s %s of program '%s'",
		 bpf_facts__kind_name(f->kind), target, f->name);
	return check_list(p, l, target, subj, why, n);
}

static int check_calls(const struct policy *p, const struct bpf_facts_func *f,
		       char *why, size_t n)
{
	char subj[512], unknown[32];
	int err = 0;

	for (size_t i = 0; !err && i < f->nhelpers; i++) {
		const char *name = bpf_facts__helper_name(f->helpers[i]);

		if (!name) {
			snprintf(unknown, sizeof(unknown), "helper#%u",
				 f->helpers[i]);
			name = unknown;
		}
		snprintf(subj, sizeof(subj), "helper %s (id %u) in %s '%s'",
			 name, f->helpers[i], prog_or_sub(f), f->name);
		err = check_list(p, &p->helpers, name, subj, why, n);
	}
	for (size_t i = 0; !err && i < f->nkfuncs; i++) {
		snprintf(subj, sizeof(subj), "kfunc %s in %s '%s'",
			 f->kfuncs[i], prog_or_sub(f), f->name);
		err = check_list(p, &p->kfuncs, f->kfuncs[i], subj, why, n);
	}
	return err;
}

static int check_maps(const struct policy *p, const struct bpf_facts *fa,
		      char *why, size_t n)
{
	char subj[512];
	int err = 0;

	for (size_t i = 0; !err && i < fa->nmaps; i++) {
		const char *t = libbpf_bpf_map_type_str(fa->maps[i].type);

		snprintf(subj, sizeof(subj), "map type %s of map '%s'",
			 t ? t : "unknown", fa->maps[i].name);
		err = check_list(p, &p->map_types, t ? t : "unknown", subj, why,
				 n);
	}
	if (!err) {
		snprintf(subj, sizeof(subj), "map memory %llu bytes",
			 (unsigned long long)fa->map_memory);
		err = check_limit(p, &p->map_memory, "maps.max_memory",
				  fa->map_memory, subj, why, n);
	}
	if (!err) {
		snprintf(subj, sizeof(subj), "ring buffer size %llu bytes",
			 (unsigned long long)fa->ringbuf_bytes);
		err = check_limit(p, &p->ringbuf, "maps.max_ringbuf",
				  fa->ringbuf_bytes, subj, why, n);
	}
	return err;
}

int policy__check_object(const struct policy *p, const struct bpf_facts *f,
			 char *why, size_t why_len)
{
	int err = 0;

	for (size_t i = 0; !err && i < f->nfuncs; i++) {
		if (f->funcs[i].is_prog)
			err = check_prog(p, &f->funcs[i], why, why_len);
		if (!err)
			err = check_calls(p, &f->funcs[i], why, why_len);
	}
	return err ? err : check_maps(p, f, why, why_len);
}

/* ---- attach targets ------------------------------------------------------ */

int policy__check_attach(const struct policy *p, enum bpf_facts_kind kind,
			 const char *prog, const char *target, char *why,
			 size_t why_len)
{
	const struct policy_list *l = list_for(p, kind);
	char value[PATH_MAX], subj[PATH_MAX + 128], real[PATH_MAX];

	if (!l || !target || !*target)
		return 0;
	snprintf(value, sizeof(value), "%s", target);
	/* the attach forms of bpf/README.md, as the policy names them */
	if (kind == BPF_FACTS_TRACEPOINT && strchr(value, '/'))
		*strchr(value, '/') = ':';
	else if (kind == BPF_FACTS_NETDEV || kind == BPF_FACTS_UPROBE)
		value[strcspn(value, ":")] = 0;
	target = canonical(kind, value, real);
	if (!target)
		return unresolvable(bpf_facts__kind_name(kind), value, prog,
				    why, why_len);
	snprintf(subj, sizeof(subj), "%s %s of program '%s'",
		 kind == BPF_FACTS_NETDEV ? "interface"
					  : bpf_facts__kind_name(kind),
		 target, prog);
	return check_list(p, l, target, subj, why, why_len);
}

/* ---- runs and images ----------------------------------------------------- */

static int cap_limit(const struct policy *p, const struct policy_limit *l,
		     const char *rule, uint64_t *v, const char *opt, char *why,
		     size_t n)
{
	char subj[128];

	if (!l->set)
		return 0;
	if (!*v) {
		*v = l->value;
		return 0;
	}
	snprintf(subj, sizeof(subj), "%s %llu", opt, (unsigned long long)*v);
	return check_limit(p, l, rule, *v, subj, why, n);
}

static int check_time(const struct policy *p, double *timeout, char *why,
		      size_t n)
{
	const struct policy_limit *l = &p->wasm_time;
	char subj[64];

	if (!l->set)
		return 0;
	if (*timeout <= 0) {
		*timeout = l->value / 1000.0;
		return 0;
	}
	snprintf(subj, sizeof(subj), "--timeout %g s (%llu ms)", *timeout,
		 (unsigned long long)(*timeout * 1000));
	return check_limit(p, l, "wasm.max_time (ms)",
			   (uint64_t)(*timeout * 1000 + 0.5), subj, why, n);
}

int policy__check_run(const struct policy *p, struct policy_run *r, char *why,
		      size_t why_len)
{
	char subj[PATH_MAX + 32], num[16], real[PATH_MAX];
	int err = 0;

	if (r->max_memory)
		err = cap_limit(p, &p->wasm_memory, "wasm.max_memory",
				r->max_memory, "--max-memory", why, why_len);
	if (!err && r->fuel)
		err = cap_limit(p, &p->wasm_fuel, "wasm.max_fuel", r->fuel,
				"--fuel", why, why_len);
	if (!err && r->timeout)
		err = check_time(p, r->timeout, why, why_len);
	for (int i = 0; !err && i < r->ndirs; i++) {
		/* the directory itself, not a symlink's name for it */
		const char *d = realpath(r->dirs[i], real) ? real : r->dirs[i];

		snprintf(subj, sizeof(subj), "host directory %s", d);
		err = check_list(p, &p->dirs, d, subj, why, why_len);
	}
	for (int i = 0; !err && i < r->nfds; i++) {
		snprintf(num, sizeof(num), "%d", r->fds[i]);
		snprintf(subj, sizeof(subj), "host descriptor %s", num);
		err = check_list(p, &p->fds, num, subj, why, why_len);
	}
	return err;
}

/* The first rule of `r` matching the name or the pinned form, or -1. */
static int find_image_rule(const struct policy_rules *r, const char *ref,
			   const char *pinned)
{
	int i = find_rule(r, ref);

	return i >= 0 || !pinned ? i : find_rule(r, pinned);
}

int policy__check_image(const struct policy *p, const char *ref,
			const char *digest, bool verified, char *why,
			size_t why_len)
{
	const struct policy_list *l = &p->images;
	char pinned[1024], subj[1100];
	int i;

	snprintf(pinned, sizeof(pinned), "%s@%s", ref, digest ? digest : "");
	snprintf(subj, sizeof(subj), "image %s", digest ? pinned : ref);
	if (p->require_signature && !verified)
		return refuse(why, why_len,
			      "%s has no verified signature, which "
			      "images.require_signature asks for (%s:%d); "
			      "give its key with --verify-key",
			      subj, p->source, p->require_signature_line);
	i = find_image_rule(&l->deny, ref, digest ? pinned : NULL);
	if (i >= 0)
		return refuse(why, why_len,
			      "%s is denied by %s.deny[%d] (%s:%d)", subj,
			      l->name, i, p->source, l->deny.v[i].line);
	if (l->allow.set &&
	    find_image_rule(&l->allow, ref, digest ? pinned : NULL) < 0)
		return refuse(why, why_len, "%s is not in %s.allow (%s:%d)",
			      subj, l->name, p->source, l->allow.line);
	return 0;
}

/* ---- the bpf_host guard -------------------------------------------------- */

static int guard_load(void *ctx, const void *elf, size_t len, char *why,
		      size_t why_len)
{
	struct bpf_facts *f;
	char err[256];
	int r = bpf_facts__scan(elf, len, &f, err, sizeof(err));

	if (r)
		return refuse(why, why_len, "cannot read the BPF object: %s",
			      err);
	r = policy__check_object(ctx, f, why, why_len);
	bpf_facts__free(f);
	return r;
}

/* A descriptor target is checked by what it names: a cgroup's path. */
static int guard_attach(void *ctx, const struct bpf_guard_prog *prog,
			const char *target, int host_fd, char *why,
			size_t why_len)
{
	enum bpf_facts_kind k =
	    bpf_facts__kind(prog->type, prog->expected_attach, prog->section);
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (host_fd >= 0 && k == BPF_FACTS_CGROUP) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", host_fd);
		n = readlink(link, path, sizeof(path) - 1);
		if (n < 0)
			return refuse(why, why_len,
				      "cannot name the target of program "
				      "'%s': %s",
				      prog->name, strerror(errno));
		path[n] = 0;
		target = path;
	}
	return policy__check_attach(ctx, k, prog->name, target, why, why_len);
}

void policy__guard_bpf_host(const struct policy *p, struct bpf_host_opts *o)
{
	o->guard_load = guard_load;
	o->guard_attach = guard_attach;
	o->guard_ctx = (void *)p;
}
