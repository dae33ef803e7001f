/* cmd_push.c — `wasm-bpf push FILE.wasm REF`: the module becomes an image
 * in the store (CNCF or ecli layout, our annotations and the user's) and
 * is pushed from there. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cmd_common.h"

static void now_rfc3339(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static void add_word(char *buf, size_t len, size_t *at, const char *w)
{
	if (*at < len && !has_word(buf, w))
		*at +=
		    snprintf(buf + *at, len - *at, "%s%s", *at ? " " : "", w);
}

/* The distinct program (or map) types of every object, space-separated. */
static void join_types(char *buf, size_t len, const struct cmd_objs *objs,
		       bool maps)
{
	size_t at = 0;

	buf[0] = 0;
	for (size_t i = 0; i < objs->n; i++) {
		const struct bpf_facts *f = objs->v[i].facts;

		for (size_t j = 0; f && maps && j < f->nmaps; j++)
			add_word(buf, len, &at, cmd_map_type(f->maps[j].type));
		for (size_t j = 0; f && !maps && j < f->nfuncs; j++)
			if (f->funcs[j].is_prog)
				add_word(buf, len, &at,
					 cmd_prog_type(f->funcs[j].type));
	}
}

/* The first license an object states. */
static const char *license_of(const struct cmd_objs *objs)
{
	for (size_t i = 0; i < objs->n; i++)
		if (objs->v[i].facts && objs->v[i].facts->license[0])
			return objs->v[i].facts->license;
	return NULL;
}

struct ann_list {
	struct oci_kv *v;
	int n;
};

static int ann_add(struct ann_list *a, const char *k, const char *v)
{
	struct oci_kv *nv = realloc(a->v, (a->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	a->v = nv;
	nv[a->n].key = strdup(k);
	nv[a->n].value = strdup(v);
	return nv[a->n++].key && nv[a->n - 1].value ? 0 : -ENOMEM;
}

static void ann_free(struct ann_list *a)
{
	for (int i = 0; i < a->n; i++) {
		free(a->v[i].key);
		free(a->v[i].value);
	}
	free(a->v);
}

/* Ours first (title, created, the BPF facts), then the user's, which win. */
static int our_annotations(const char *file, const struct oci_buf *wasm,
			   const char *created, struct ann_list *a, char *err,
			   size_t errlen)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	struct cmd_objs objs;
	char buf[1024], caps[128];
	int r;

	if ((r = cmd_scan(wasm, &objs, err, errlen)))
		return r;
	r = ann_add(a, OCI_ANN_TITLE, base) ||
	    ann_add(a, OCI_ANN_CREATED, created);
	cmd_caps(&objs, caps, sizeof(caps));
	if (!r && caps[0]) { /* a readable object */
		join_types(buf, sizeof(buf), &objs, false);
		r = ann_add(a, OCI_ANN_PROG_TYPES, buf);
		join_types(buf, sizeof(buf), &objs, true);
		r = r || ann_add(a, OCI_ANN_MAP_TYPES, buf);
		r = r || ann_add(a, OCI_ANN_CAPS, caps);
		if (license_of(&objs))
			r = r || ann_add(a, OCI_ANN_LICENSE, license_of(&objs));
	}
	cmd_objs_free(&objs);
	return r ? -ENOMEM : 0;
}

/* The image of `file` in the store under `name`. */
static int store_module(struct oci_store *s, const char *file, const char *name,
			enum oci_format fmt, struct ann_list *user,
			struct oci_desc *desc)
{
	struct ann_list a = {0};
	struct oci_buf wasm = {0};
	struct oci_txn *t = NULL;
	struct oci_err e;
	char created[32], wd[OCI_DIGEST_LEN], err[256];
	char *config = NULL, *manifest = NULL;
	int r;

	now_rfc3339(created, sizeof(created));
	if (oci_read_file(file, &wasm, &e))
		return cmd_fail("push", "%s", e.msg);
	if (our_annotations(file, &wasm, created, &a, err, sizeof(err))) {
		r = cmd_fail("push", "%s: %s", file, err);
		goto out;
	}
	for (int i = 0; i < user->n; i++)
		if (ann_add(&a, user->v[i].key, user->v[i].value))
			goto oom;
	oci_sha256(wasm.data, wasm.len, wd);
	if (oci_build_image(fmt, wd, wasm.len, created, a.v, a.n, &config,
			    &manifest))
		goto oom;
	*desc = (struct oci_desc){.media_type = OCI_MT_MANIFEST,
				  .size = (int64_t)strlen(manifest)};
	if ((r = oci_txn_begin(s, &t)))
		goto oom;
	if ((r = oci_txn_add(t, wasm.data, wasm.len, NULL, NULL, &e)) ||
	    (r = oci_txn_add(t, config, strlen(config), NULL, NULL, &e)) ||
	    (r = oci_txn_add(t, manifest, strlen(manifest), NULL, desc->digest,
			     &e)) ||
	    (r = oci_txn_commit(t, name, desc, &e)))
		r = cmd_fail("push", "%s", e.msg);
	goto out;
oom:
	r = cmd_fail("push", "out of memory");
out:
	oci_txn_free(t);
	free(config);
	free(manifest);
	ann_free(&a);
	oci_buf_free(&wasm);
	return r;
}

/* Which stored image goes: FILE made into one under dst's name, or a
 * stored SRC as it is. */
static int source(struct oci_store *s, int npos, char **pos,
		  const char *dst_name, enum oci_format fmt,
		  struct ann_list *user, bool opts_given, char *src_name,
		  struct oci_desc *desc)
{
	struct oci_ref src;
	struct oci_err e;
	int r;

	if (npos == 2 && !access(pos[0], F_OK)) {
		strcpy(src_name, dst_name);
		return store_module(s, pos[0], dst_name, fmt, user, desc);
	}
	if (opts_given)
		return cmd_fail("push", "--annotation and --format apply to a "
					"FILE, not to a stored image");
	if ((r = cmd_ref("push", pos[0], &src)))
		return r;
	oci_ref_name(&src, src_name, 700);
	if (oci_store_resolve(s, src_name, desc, &e))
		return cmd_fail("push", "%s (and no such file)", e.msg);
	return 0;
}

int cmd_push(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"annotation", required_argument, NULL, 'a'},
	    {"format", required_argument, NULL, 'f'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *syn =
	    "FILE.wasm|SRC REF [--annotation K=V]... [--format cncf|ecli] "
	    "[--store DIR]\n       wasm-bpf push REF [--store DIR]";
	enum oci_format fmt = OCI_FORMAT_CNCF;
	struct ann_list user = {0};
	const char *store_dir = NULL;
	struct oci_client_opts co;
	struct oci_store *s = NULL;
	struct oci_desc desc;
	struct oci_ref ref;
	struct oci_err e;
	char name[700], src[700], *eq;
	bool opts_given = false;
	int o, r, npos;

	while ((o = getopt_long(argc, argv, "a:f:s:", lo, NULL)) != -1) {
		switch (o) {
		case 'a':
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg) {
				ann_free(&user);
				return cmd_usage("push", syn);
			}
			*eq = 0;
			ann_add(&user, optarg, eq + 1);
			*eq = '=';
			opts_given = true;
			break;
		case 'f':
			if (!strcmp(optarg, "ecli"))
				fmt = OCI_FORMAT_ECLI;
			else if (strcmp(optarg, "cncf"))
				return cmd_usage("push", syn);
			opts_given = true;
			break;
		case 's':
			store_dir = optarg;
			break;
		default:
			return cmd_usage("push", syn);
		}
	}
	npos = argc - optind;
	/* A lone FILE lacks its REF. */
	if ((npos != 1 && npos != 2) ||
	    (npos == 1 && !access(argv[optind], F_OK))) {
		ann_free(&user);
		return cmd_usage("push", syn);
	}
	if ((r = cmd_ref("push", argv[argc - 1], &ref)) ||
	    (r = cmd_store("push", store_dir, &s)))
		goto out;
	oci_ref_name(&ref, name, sizeof(name));
	if ((r = source(s, npos, argv + optind, name, fmt, &user, opts_given,
			src, &desc)))
		goto out;
	cmd_client_opts(&co, argv[optind]);
	if (oci_push(s, src, &ref, &co, &e)) {
		r = cmd_fail("push", "%s", e.msg);
		goto out;
	}
	cmd_progress_done();
	printf("%s@%s\n", name, desc.digest);
out:
	ann_free(&user);
	oci_store_close(s);
	return r;
}
