/* cmd_check.c — `wasm-bpf check MODULE|OBJECT|REF`: will it run here, and
 * is it allowed? Without running the guest: the BPF objects its data
 * segments carry (or one object file), what they ask for, the module's
 * imports; then this kernel (BTF, program types, attach support, helpers,
 * the verifier on a load without attach) and the policy. An image
 * reference is taken as run takes it, with its signature and the image
 * rules checked too. One cJSON report
 * is built and printed as JSON (-o json) or as tables.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include "bpf/bpf_backend.h"
#include "bpf/bpf_host.h"
#include "engine/wasm.h"
#include "oci/oci.h"
#include "policy/bpf_facts.h"
#include "policy/policy.h"
#include "policy/wasm_embed.h"
#include "runtime/cmd.h"
#include "runtime/cmd_common.h"
#include "runtime/cmd_help.h"
#include "runtime/cmd_image.h"
#include "runtime/wasm_bpf.h"
#include "wasi/wasi.h"

#define EXIT_USAGE 2
#define EXIT_NO	   1

struct check {
	bool json, verbose;
	struct wbpf_image_run img; /* --pull, --verify-key */
	const char *btf;     /* --btf */
	const char *backend; /* --backend: kernel (NULL), user or auto */
	struct policy *pol;
	cJSON *report, *checks;
	bool failed;
};

static __thread char load_error[512];
static bool verbose_log;

static int print_cb(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	const char *prog;
	va_list copy;

	if (level == LIBBPF_WARN && !load_error[0]) {
		va_copy(copy, ap);
		vsnprintf(line, sizeof(line), fmt, copy);
		va_end(copy);
		prog = strstr(line, "prog '");
		if (prog) {
			snprintf(load_error, sizeof(load_error), "%s", prog);
			load_error[strcspn(load_error, "\n")] = 0;
		}
	}
	if (!verbose_log || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void verdict(struct check *c, bool ok, const char *what, const char *fmt,
		    ...)
{
	cJSON *it = cJSON_CreateObject();
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(it, "check", what);
	cJSON_AddBoolToObject(it, "ok", ok);
	cJSON_AddStringToObject(it, "detail", detail);
	cJSON_AddItemToArray(c->checks, it);
	c->failed |= !ok;
}

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf = NULL;

	if (!f)
		return NULL;
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode) &&
	    (buf = malloc(st.st_size ? st.st_size : 1)) &&
	    fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	if (!buf && !errno)
		errno = EINVAL;
	*len = st.st_size;
	fclose(f);
	return buf;
}

/* ---- what the module and its objects ask for ------------------------------
 */

static const char *kind_name(enum wasm_extern_kind k)
{
	static const char *const n[] = {"func", "table", "memory", "global"};
	return (unsigned)k < 4 ? n[k] : "?";
}

/* Which imports the runtime defines: the linker a run would build. */
static void report_imports(struct check *c, const struct wasm_module *m)
{
	struct wasi_opts wo = {
	    .sz = sizeof(wo), .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
	struct bpf_host_opts bo = {.sz = sizeof(bo), .no_btf_cache = true};
	struct wasm_error err = {{0}};
	struct wasi_ctx *w = wasi_ctx__new(&wo, &err);
	struct bpf_host *h = bpf_host__new(&bo);
	struct wasm_linker *l = wasm_linker__new();
	cJSON *arr = cJSON_AddArrayToObject(c->report, "imports");
	size_t n = wasm_module__import_count(m), missing = 0;

	if (w && l)
		wasi_ctx__define(w, l);
	if (h && l)
		bpf_host__define(h, l);
	for (size_t i = 0; i < n; i++) {
		struct wasm_import_desc d;
		cJSON *it = cJSON_CreateObject();
		bool ok = l && wasm_linker__provides(l, m, i);

		wasm_module__import(m, i, &d);
		cJSON_AddStringToObject(it, "module", d.module);
		cJSON_AddStringToObject(it, "name", d.name);
		cJSON_AddStringToObject(it, "kind", kind_name(d.kind));
		cJSON_AddBoolToObject(it, "provided", ok);
		cJSON_AddItemToArray(arr, it);
		if (!ok) {
			verdict(c, false, "import",
				"%s.%s (%s) is not provided by this runtime",
				d.module, d.name, kind_name(d.kind));
			missing++;
		}
	}
	if (!missing)
		verdict(c, true, "imports", "all %zu provided", n);
	wasm_linker__free(l);
	bpf_host__free(h);
	wasi_ctx__free(w);
}

static const char *str(const cJSON *o, const char *k);

static cJSON *names_json(const struct bpf_facts_func *f)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < f->nhelpers; i++) {
		const char *n = bpf_facts__helper_name(f->helpers[i]);
		char buf[32];

		snprintf(buf, sizeof(buf), "helper#%u", f->helpers[i]);
		cJSON_AddItemToArray(a, cJSON_CreateString(n ? n : buf));
	}
	return a;
}

static cJSON *func_json(const struct bpf_facts_func *f)
{
	cJSON *o = cJSON_CreateObject(), *k = cJSON_CreateArray();
	const char *t = libbpf_bpf_prog_type_str(f->type);

	cJSON_AddStringToObject(o, "name", f->name);
	cJSON_AddStringToObject(o, "section", f->section);
	if (f->is_prog) {
		cJSON_AddStringToObject(o, "type", t ? t : "unknown");
		cJSON_AddStringToObject(o, "attach",
					bpf_facts__kind_name(f->kind));
		if (f->target)
			cJSON_AddStringToObject(o, "target", f->target);
		else
			cJSON_AddNullToObject(o, "target");
	}
	cJSON_AddNumberToObject(o, "instructions", f->insns);
	cJSON_AddItemToObject(o, "helpers", names_json(f));
	for (size_t i = 0; i < f->nkfuncs; i++)
		cJSON_AddItemToArray(k, cJSON_CreateString(f->kfuncs[i]));
	cJSON_AddItemToObject(o, "kfuncs", k);
	return o;
}

static cJSON *facts_json(const struct bpf_facts *fa)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *progs = cJSON_AddArrayToObject(o, "programs");
	cJSON *subs = cJSON_AddArrayToObject(o, "subprograms");
	cJSON *maps = cJSON_AddArrayToObject(o, "maps");

	for (size_t i = 0; i < fa->nfuncs; i++)
		cJSON_AddItemToArray(fa->funcs[i].is_prog ? progs : subs,
				     func_json(&fa->funcs[i]));
	for (size_t i = 0; i < fa->nmaps; i++) {
		const struct bpf_facts_map *m = &fa->maps[i];
		const char *t = libbpf_bpf_map_type_str(m->type);
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "name", m->name);
		cJSON_AddStringToObject(j, "type", t ? t : "unknown");
		cJSON_AddNumberToObject(j, "key_size", m->key_size);
		cJSON_AddNumberToObject(j, "value_size", m->value_size);
		cJSON_AddNumberToObject(j, "max_entries", m->max_entries);
		cJSON_AddNumberToObject(j, "memory", (double)m->memory);
		cJSON_AddItemToArray(maps, j);
	}
	cJSON_AddStringToObject(o, "license", fa->license);
	cJSON_AddNumberToObject(o, "core_relocations", fa->core_relos);
	cJSON_AddNumberToObject(o, "map_memory", (double)fa->map_memory);
	return o;
}

/* ---- this kernel ------------------------------------------------------------
 */

static bool exists(const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return access(path, F_OK) == 0;
}

static bool has_lsm_bpf(void)
{
	FILE *f = fopen("/sys/kernel/security/lsm", "r");
	char buf[512] = "";
	bool yes;

	if (!f)
		return false;
	yes = fgets(buf, sizeof(buf), f) &&
	      (strstr(buf, ",bpf") || !strncmp(buf, "bpf", 3));
	fclose(f);
	return yes;
}

static const char *tracefs(void)
{
	if (exists("/sys/kernel/tracing/events"))
		return "/sys/kernel/tracing";
	if (exists("/sys/kernel/debug/tracing/events"))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

/* What the kernel must have for this program to attach at all. */
static void check_attach_support(struct check *c,
				 const struct bpf_facts_func *f)
{
	const char *tfs = tracefs();
	char what[300], cat[256];

	snprintf(what, sizeof(what), "attach %s", f->name);
	if (f->type == BPF_PROG_TYPE_KPROBE && f->kind == BPF_FACTS_KPROBE) {
		bool ok = exists("/sys/bus/event_source/devices/kprobe") ||
			  (tfs && exists("%s/kprobe_events", tfs));
		verdict(c, ok, what,
			ok ? "kprobes available"
			   : "kernel without kprobes (no kprobe PMU, no "
			     "kprobe_events; CONFIG_KPROBES off)");
	} else if (f->kind == BPF_FACTS_UPROBE) {
		bool ok = exists("/sys/bus/event_source/devices/uprobe") ||
			  (tfs && exists("%s/uprobe_events", tfs));
		verdict(c, ok, what,
			ok ? "uprobes available" : "kernel without uprobes");
	} else if (f->kind == BPF_FACTS_LSM) {
		bool ok = has_lsm_bpf();
		verdict(c, ok, what,
			ok ? "BPF LSM active"
			   : "BPF LSM not active (\"bpf\" not in "
			     "/sys/kernel/security/lsm)");
	} else if (f->type == BPF_PROG_TYPE_TRACEPOINT && f->target && tfs) {
		snprintf(cat, sizeof(cat), "%s", f->target);
		if (strchr(cat, ':'))
			*strchr(cat, ':') = '/';
		bool ok = exists("%s/events/%s", tfs, cat);
		verdict(c, ok, what,
			ok ? "tracepoint %s exists"
			   : "no tracepoint %s in this kernel",
			f->target);
	}
}

static bool needs_btf_target(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_LSM ||
	       t == BPF_PROG_TYPE_EXT || t == BPF_PROG_TYPE_STRUCT_OPS;
}

static void check_prog_kernel(struct check *c, const struct bpf_facts_func *f)
{
	const char *t = libbpf_bpf_prog_type_str(f->type);
	char what[300];
	int r;

	snprintf(what, sizeof(what), "program type %s", t ? t : "?");
	if (needs_btf_target(f->type)) {
		/* libbpf's probe loads no target: the verifier check says */
		verdict(c, true, what, "probed by the verifier check (%s)",
			f->name);
		r = 1;
	} else {
		r = libbpf_probe_bpf_prog_type(f->type, NULL);
		verdict(c, r != 0, what,
			r > 0	 ? "supported (%s)"
			: r == 0 ? "not supported by this kernel (%s)"
				 : "could not be probed (%s)",
			f->name);
	}
	check_attach_support(c, f);
	for (size_t i = 0;
	     r > 0 && !needs_btf_target(f->type) && i < f->nhelpers; i++) {
		const char *n = bpf_facts__helper_name(f->helpers[i]);

		r = libbpf_probe_bpf_helper(f->type, f->helpers[i], NULL);
		if (r > 0)
			continue;
		snprintf(what, sizeof(what), "helper %s",
			 n ? n : "(unknown id)");
		verdict(c, r < 0, what,
			r == 0 ? "not available to %s programs here (%s)"
			       : "could not be probed for %s (%s)",
			t ? t : "?", f->name);
	}
}

/* Load without attach, with the CO-RE BTF a run would use. */
static void check_verifier(struct check *c, const void *elf, size_t len,
			   int idx)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = c->btf);
	struct bpf_object *obj;
	char what[64], msg[128];
	int err;

	snprintf(what, sizeof(what), "verifier (object %d)", idx);
	if (geteuid() != 0) {
		verdict(c, false, what, "not checked: loading needs root");
		return;
	}
	load_error[0] = 0;
	libbpf_set_print(print_cb); /* a bpf_host set its own */
	obj = bpf_object__open_mem(elf, len, &oo);
	err = obj ? bpf_object__load(obj) : -errno;
	bpf_object__close(obj);
	if (!err) {
		verdict(c, true, what, "every program loads");
		return;
	}
	libbpf_strerror(err, msg, sizeof(msg));
	verdict(c, false, what, "refused: %s (%d)%s",
		load_error[0] ? load_error : msg, err,
		c->verbose ? "" : "; -v shows the log");
}

/* CO-RE relocations need a kernel BTF (--btf will do); programs attached
 * by BTF id need the kernel's own. */
static void check_btf(struct check *c, const struct bpf_facts *fa)
{
	bool vmlinux = exists("/sys/kernel/btf/vmlinux"), by_id = false;

	for (size_t i = 0; i < fa->nfuncs; i++)
		by_id |=
		    fa->funcs[i].is_prog && needs_btf_target(fa->funcs[i].type);
	if (by_id)
		verdict(c, vmlinux, "kernel BTF",
			vmlinux ? "/sys/kernel/btf/vmlinux (programs attach by "
				  "BTF id)"
				: "missing: programs attach by BTF id and the "
				  "kernel has no /sys/kernel/btf/vmlinux");
	else if (fa->core_relos > 0)
		verdict(c, c->btf || vmlinux, "kernel BTF",
			"%s (%d CO-RE relocations)",
			c->btf	  ? c->btf
			: vmlinux ? "/sys/kernel/btf/vmlinux"
				  : "missing: no /sys/kernel/btf/vmlinux "
				    "(--btf FILE)",
			fa->core_relos);
}

/* The backend of each program (into the facts' programs, by name) and of
 * the object; the kind chosen. */
static int check_backend(struct check *c, const void *elf, size_t len, cJSON *o,
			 int idx)
{
	cJSON *progs = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "facts"),
					   "programs"),
	      *p;
	struct bpf_backend_plan pl;
	char what[64];
	int k;

	snprintf(what, sizeof(what), "backend (object %d)", idx);
	if (bpf_backend__plan(elf, len, c->backend, &pl)) {
		verdict(c, false, what, "%s", pl.why);
		return BPF_BACKEND_NONE;
	}
	cJSON_ArrayForEach(p, progs)
	{
		for (size_t i = 0; i < pl.nprogs; i++) {
			if (strcmp(pl.progs[i].name, str(p, "name")))
				continue;
			cJSON_AddStringToObject(
			    p, "backend",
			    bpf_backend__name(pl.progs[i].backend));
			cJSON_AddStringToObject(p, "backend_reason",
						pl.progs[i].why);
		}
	}
	cJSON_AddStringToObject(o, "backend", bpf_backend__name(pl.backend));
	cJSON_AddStringToObject(o, "backend_reason", pl.why);
	verdict(c, pl.backend != BPF_BACKEND_NONE, what, "%s", pl.why);
	k = pl.backend;
	bpf_backend__plan_free(&pl);
	return k;
}

static void check_object(struct check *c, const void *elf, size_t len, cJSON *o,
			 int idx)
{
	struct bpf_facts *fa;
	char err[256], why[1024], what[64];

	if (bpf_facts__scan(elf, len, &fa, err, sizeof(err))) {
		snprintf(what, sizeof(what), "object %d", idx);
		verdict(c, false, what, "unreadable: %s", err);
		return;
	}
	cJSON_AddItemToObject(o, "facts", facts_json(fa));
	/* the kernel's checks say nothing of a run in user space */
	if (check_backend(c, elf, len, o, idx) != BPF_BACKEND_USER) {
		check_btf(c, fa);
		for (size_t i = 0; i < fa->nfuncs; i++)
			if (fa->funcs[i].is_prog)
				check_prog_kernel(c, &fa->funcs[i]);
		check_verifier(c, elf, len, idx);
	}
	snprintf(what, sizeof(what), "policy (object %d)", idx);
	if (policy__check_object(c->pol, fa, why, sizeof(why)))
		verdict(c, false, what, "%s", why + strlen("policy: "));
	else
		verdict(c, true, what, "allowed by %s", c->pol->source);
	bpf_facts__free(fa);
}

/* ---- the module -----------------------------------------------------------
 */

static bool is_bpf_elf(const uint8_t *b, size_t len)
{
	return len > 20 && !memcmp(b, "\177ELF", 4) && b[18] == 247 &&
	       b[19] == 0;
}

/* A module (or one BPF object) in memory; `path` names it in messages. */
static int check_bytes(struct check *c, const char *path, const uint8_t *buf,
		       size_t len)
{
	struct wasm_load_opts lo = {.sz = sizeof(lo)};
	struct wasm_error werr = {{0}};
	struct wasm_embed_obj *objs = NULL;
	struct wasm_module *m;
	size_t n = 0;
	cJSON *arr;
	int r;

	cJSON_AddStringToObject(c->report, "file", path);
	arr = cJSON_AddArrayToObject(c->report, "objects");
	if (is_bpf_elf(buf, len)) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "size", (double)len);
		cJSON_AddItemToArray(arr, o);
		check_object(c, buf, len, o, 1);
		return 0;
	}
	m = wasm_module__load(buf, len, &lo, &werr);
	if (!m) {
		fprintf(stderr, "wasm-bpf: %s: %s\n", path, werr.msg);
		return WASM_BPF_EXIT_ERROR;
	}
	report_imports(c, m);
	r = wasm_embed__find(m, &objs, &n);
	wasm_module__free(m);
	if (r)
		verdict(c, false, "data segments", "%s",
			wasm_embed__strerror(r));
	else if (!n)
		verdict(c, true, "BPF objects", "none embedded in the data");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "address", (double)objs[i].addr);
		cJSON_AddNumberToObject(o, "size", (double)objs[i].len);
		cJSON_AddItemToArray(arr, o);
		check_object(c, objs[i].elf, objs[i].len, o, (int)i + 1);
	}
	wasm_embed__free(objs, n);
	return 0;
}

static int check_file(struct check *c, const char *path)
{
	size_t len;
	uint8_t *buf = read_all(path, &len);
	int r;

	if (!buf) {
		fprintf(stderr, "wasm-bpf: %s: %s\n", path, strerror(errno));
		return WASM_BPF_EXIT_ERROR;
	}
	r = check_bytes(c, path, buf, len);
	free(buf);
	return r;
}

/* ---- an image -----------------------------------------------------------
 */

/* The signature of a stored image, as run --verify-key checks it: kept
 * with the image, else fetched (unless --pull never). 0: verified. */
static int check_signature(struct check *c, struct oci_store *s,
			   const struct oci_ref *ref, const char *digest)
{
	struct oci_client_opts co;
	struct oci_err e = {{0}};
	int r = oci_verify(s, ref, digest, c->img.keys, c->img.nkeys, &e);

	if (r == -ENOENT && (!c->img.pull || strcmp(c->img.pull, "never"))) {
		cmd_client_opts(&co, "signature");
		r = oci_pull(s, ref, &co, c->img.keys, c->img.nkeys, NULL, &e);
		cmd_progress_done();
	}
	verdict(c, !r, "signature",
		r ? "%s" : "verified with %s%s", r ? e.msg : c->img.keys[0],
		c->img.nkeys > 1 ? " (or another --verify-key)" : "");
	return r;
}

/* `check REF`: the image as run would take it (store, --pull, image rules
 * of the policy on a pull), its signature with --verify-key, the image
 * rules, then its module as a file's. */
static int check_image(struct check *c, const char *arg,
		       const struct oci_ref *ref)
{
	struct wbpf_image_run plain = {.pull = c->img.pull};
	struct oci_store *s = NULL;
	struct oci_image img = {0};
	struct oci_err e = {{0}};
	char name[700], why[1024];
	cJSON *im = cJSON_AddObjectToObject(c->report, "image");
	bool verified = false;
	int r;

	oci_ref_name(ref, name, sizeof(name));
	cJSON_AddStringToObject(im, "ref", name);
	r = oci_store_open(NULL, &s, &e);
	if (!r)
		r = wbpf_image_resolve(s, ref, &plain, c->pol, &e);
	if (r == -EPERM) { /* refused by the image rules before the store */
		verdict(c, false, "image rules", "%s", e.msg + strlen("policy: "));
		cJSON_AddStringToObject(c->report, "file", arg);
		oci_store_close(s);
		return 0;
	}
	if (r || (r = oci_store_load_image(s, name, &img, &e))) {
		fprintf(stderr, "wasm-bpf: check: %s: %s\n", arg, e.msg);
		oci_store_close(s);
		return WASM_BPF_EXIT_ERROR;
	}
	cJSON_AddStringToObject(im, "digest", img.desc.digest);
	if (c->img.nkeys)
		verified = !check_signature(c, s, ref, img.desc.digest);
	cJSON_AddBoolToObject(im, "verified", verified);
	r = policy__check_image(c->pol, name, img.desc.digest, verified, why,
				sizeof(why));
	cJSON_AddBoolToObject(im, "allowed", !r);
	verdict(c, !r, "image rules", r ? "%s" : "allowed by %s",
		r ? why + strlen("policy: ") : c->pol->source);
	r = check_bytes(c, arg, (const uint8_t *)img.wasm.data, img.wasm.len);
	oci_image_free(&img);
	oci_store_close(s);
	return r;
}

/* ---- output -----------------------------------------------------------------
 */

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsString(v) ? v->valuestring : "-";
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_list(const cJSON *a, const char *sep)
{
	const cJSON *it;
	bool first = true;

	cJSON_ArrayForEach(it, a)
	{
		printf("%s%s", first ? "" : sep, it->valuestring);
		first = false;
	}
	if (first)
		printf("-");
}

static void print_funcs(const cJSON *a, bool progs)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, a)
	{
		if (progs)
			printf("  %-20s %-14s %-7s %-30s %-28s ",
			       str(f, "name"), str(f, "type"),
			       str(f, "backend"), str(f, "section"),
			       str(f, "target"));
		else
			printf("  %-20s %-14s %-7s %-30s %-28s ",
			       str(f, "name"), "(subprogram)", "-",
			       str(f, "section"), "-");
		print_list(cJSON_GetObjectItem(f, "helpers"), ",");
		if (cJSON_GetArraySize(cJSON_GetObjectItem(f, "kfuncs"))) {
			printf(" kfuncs:");
			print_list(cJSON_GetObjectItem(f, "kfuncs"), ",");
		}
		printf("\n");
	}
}

static void print_object(const cJSON *o, int idx)
{
	const cJSON *fa = cJSON_GetObjectItem(o, "facts"), *m;

	printf("\nBPF object %d: %.0f bytes", idx, num(o, "size"));
	if (cJSON_GetObjectItem(o, "address"))
		printf(" at 0x%.0f in linear memory", num(o, "address"));
	if (!fa) {
		printf("\n");
		return;
	}
	printf(", license %s, %.0f CO-RE relocations\n", str(fa, "license"),
	       num(fa, "core_relocations"));
	printf("  %-20s %-14s %-7s %-30s %-28s %s\n", "PROGRAM", "TYPE",
	       "BACKEND", "SECTION", "TARGET", "HELPERS");
	print_funcs(cJSON_GetObjectItem(fa, "programs"), true);
	print_funcs(cJSON_GetObjectItem(fa, "subprograms"), false);
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(fa, "programs"))
	    printf("  backend of %s: %s: %s\n", str(m, "name"),
		   str(m, "backend"), str(m, "backend_reason"));
	printf("  %-20s %-20s %6s %6s %10s %12s\n", "MAP", "TYPE", "KEY",
	       "VALUE", "ENTRIES", "MEMORY");
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(fa, "maps"))
	    printf("  %-20s %-20s %6.0f %6.0f %10.0f %12.0f\n", str(m, "name"),
		   str(m, "type"), num(m, "key_size"), num(m, "value_size"),
		   num(m, "max_entries"), num(m, "memory"));
	printf("  map memory: %.0f bytes\n", num(fa, "map_memory"));
}

static void print_table(const cJSON *r)
{
	const cJSON *it;
	int idx = 0, provided = 0, total = 0;
	const cJSON *im = cJSON_GetObjectItem(r, "image");

	if (im)
		printf("image %s@%s\n", str(im, "ref"), str(im, "digest"));
	else
		printf("%s\n", str(r, "file"));
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r, "imports"))
	{
		total++;
		provided += cJSON_IsTrue(cJSON_GetObjectItem(it, "provided"));
	}
	if (cJSON_GetObjectItem(r, "imports"))
		printf("imports: %d, %d provided by this runtime\n", total,
		       provided);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r, "objects"))
	    print_object(it, ++idx);
	printf("\nOn this kernel, with policy %s:\n", str(r, "policy"));
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r, "checks"))
	    printf("  %-4s %-32s %s\n",
		   cJSON_IsTrue(cJSON_GetObjectItem(it, "ok")) ? "ok" : "NO",
		   str(it, "check"), str(it, "detail"));
	printf("\n%s\n", cJSON_IsTrue(cJSON_GetObjectItem(r, "runs"))
			     ? "verdict: would run here"
			     : "verdict: would NOT run here");
}

/* ---- entry ------------------------------------------------------------------
 */

static void usage(FILE *f)
{
	cmd_help(HELP_CHECK, f);
}

static int parse(struct check *c, int argc, char **argv, const char **pol)
{
	static const struct option lo[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"btf", required_argument, NULL, 'b'},
	    {"backend", required_argument, NULL, 'B'},
	    {"pull", required_argument, NULL, 'P'},
	    {"verify-key", required_argument, NULL, 'k'},
	    {"output", required_argument, NULL, 'o'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int o, r;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+o:vh", lo, NULL)) != -1) {
		switch (o) {
		case 'p':
			*pol = optarg;
			break;
		case 'b':
			c->btf = optarg;
			break;
		case 'B':
			if (strcmp(optarg, "kernel") &&
			    strcmp(optarg, "user") && strcmp(optarg, "auto")) {
				fprintf(stderr,
					"wasm-bpf: check: --backend takes "
					"kernel, user or auto, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			c->backend = optarg;
			break;
		case 'P':
		case 'k':
			r = wbpf_image_run_opt(&c->img, o == 'P', optarg);
			if (r >= 0)
				return r;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'o':
			if (strcmp(optarg, "json")) {
				fprintf(stderr, "wasm-bpf: check: -o takes "
						"json\n");
				return EXIT_USAGE;
			}
			c->json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "wasm-bpf: check: bad option %s\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int wbpf_check_main(int argc, char **argv)
{
	struct check c = {0};
	struct oci_ref ref;
	const char *polfile = NULL;
	char *out;
	int r = parse(&c, argc, argv, &polfile);

	if (r >= 0)
		return r;
	r = wbpf_cli_policy(polfile, &c.pol);
	if (r)
		return r;
	if (!c.pol && !(c.pol = policy__new()))
		return WASM_BPF_EXIT_ERROR;
	verbose_log = c.verbose;
	c.report = cJSON_CreateObject();
	c.checks = cJSON_CreateArray();
	r = wbpf_image_ref(argv[optind], &ref)
		? check_image(&c, argv[optind], &ref)
		: check_file(&c, argv[optind]);
	cJSON_AddStringToObject(c.report, "policy", c.pol->source);
	cJSON_AddItemToObject(c.report, "checks", c.checks);
	cJSON_AddBoolToObject(c.report, "runs", !c.failed);
	if (!r) {
		if (c.json) {
			out = cJSON_Print(c.report);
			printf("%s\n", out ? out : "{}");
			free(out);
		} else {
			print_table(c.report);
		}
		r = c.failed ? EXIT_NO : 0;
	}
	cJSON_Delete(c.report);
	policy__free(c.pol);
	free(c.img.keys);
	return r;
}
