/* cmd_image.c — `wasm-bpf push|pull|images|rmi|tag|save|load` and `run REF`
 * (cmd_image.h); the helpers every distribution subcommand shares
 * (cmd_common.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bpf/bpf_scan.h"
#include "runtime/cmd_common.h"
#include "runtime/cmd_image.h"

static volatile int g_cancel;
static const char *g_label;
static bool g_bar_shown;

/* ---- shared helpers --------------------------------------------------------- */

int cmd_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	cmd_progress_done();
	fprintf(stderr, "wasm-bpf %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CMD_FAIL;
}

int cmd_usage(const char *cmd, const char *synopsis)
{
	fprintf(stderr, "Usage: wasm-bpf %s %s\n", cmd, synopsis);
	return CMD_USAGE;
}

int cmd_store(const char *cmd, const char *dir, struct oci_store **s)
{
	struct oci_err e;

	if (oci_store_open(dir, s, &e))
		return cmd_fail(cmd, "%s", e.msg);
	return 0;
}

int cmd_ref(const char *cmd, const char *arg, struct oci_ref *r)
{
	struct oci_err e;

	if (oci_ref_parse(arg, r, &e))
		return cmd_fail(cmd, "%s", e.msg);
	return 0;
}

void cmd_size(char *buf, size_t len, long long b)
{
	if (b < 1000)
		snprintf(buf, len, "%lld B", b);
	else if (b < 1000 * 1000)
		snprintf(buf, len, "%.1f kB", b / 1e3);
	else
		snprintf(buf, len, "%.1f MB", b / 1e6);
}

static void on_progress(void *ctx, int64_t done, int64_t total)
{
	static time_t last;
	char d[32], t[32];
	int w = 30, fill;
	time_t now = time(NULL);

	/* Small transfers finish before a bar would be worth drawing. */
	if (total < (1 << 20) || (now == last && done < total))
		return;
	last = now;
	fill = (int)(w * done / total);
	cmd_size(d, sizeof(d), done);
	cmd_size(t, sizeof(t), total);
	fprintf(stderr, "\r%-24.24s [%.*s%*s] %s / %s ", g_label ? g_label : "",
		fill, "==============================", w - fill, "", d, t);
	g_bar_shown = true;
}

void cmd_progress_done(void)
{
	if (g_bar_shown)
		fputc('\n', stderr);
	g_bar_shown = false;
}

static void on_sigint(int sig)
{
	g_cancel = 1;
}

void cmd_client_opts(struct oci_client_opts *o, const char *label)
{
	struct sigaction sa = {.sa_handler = on_sigint};

	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->cancel = &g_cancel;
	g_label = label;
	if (isatty(STDERR_FILENO))
		o->progress = on_progress;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool cmd_is_sig_name(const char *name)
{
	const char *colon = strrchr(name, ':');
	size_t n = colon ? strlen(colon) : 0;

	return n > 4 && !strncmp(colon, ":sha256-", 8) &&
	       !strcmp(colon + n - 4, ".sig");
}

/* ---- push -------------------------------------------------------------------- */

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

/* The distinct program (or map) types of every object, space-separated. */
static void join_types(char *buf, size_t len, const struct bpf_scan *sc,
		       bool maps)
{
	size_t at = 0;

	buf[0] = 0;
	for (int i = 0; i < sc->nobjs; i++) {
		const struct bpf_scan_obj *o = &sc->objs[i];
		int n = maps ? o->nmaps : o->nprogs;

		for (int j = 0; j < n && at < len; j++) {
			const char *t = maps ? o->maps[j].type : o->progs[j].type;

			if (!has_word(buf, t))
				at += snprintf(buf + at, len - at, "%s%s",
					       at ? " " : "", t);
		}
	}
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
			   const char *created, struct ann_list *a,
			   char *err, size_t errlen)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	struct bpf_scan sc;
	char buf[1024];
	int r;

	if ((r = bpf_scan_wasm(wasm->data, wasm->len, &sc, err, errlen)))
		return r;
	r = ann_add(a, OCI_ANN_TITLE, base) || ann_add(a, OCI_ANN_CREATED, created);
	if (!r && sc.nobjs) {
		join_types(buf, sizeof(buf), &sc, false);
		r = ann_add(a, OCI_ANN_PROG_TYPES, buf);
		join_types(buf, sizeof(buf), &sc, true);
		r = r || ann_add(a, OCI_ANN_MAP_TYPES, buf);
		bpf_scan_caps(&sc, buf, sizeof(buf));
		r = r || ann_add(a, OCI_ANN_CAPS, buf);
		if (sc.objs[0].license)
			r = r || ann_add(a, OCI_ANN_LICENSE, sc.objs[0].license);
	}
	bpf_scan_free(&sc);
	return r ? -ENOMEM : 0;
}

/* The image of `file` in the store under `name`. */
static int store_module(struct oci_store *s, const char *file,
			const char *name, enum oci_format fmt,
			struct ann_list *user, struct oci_desc *desc)
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

static int cmd_push(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"annotation", required_argument, NULL, 'a'},
	    {"format", required_argument, NULL, 'f'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *syn = "FILE.wasm REF [--annotation K=V]... [--format cncf|ecli] "
			  "[--store DIR]";
	enum oci_format fmt = OCI_FORMAT_CNCF;
	struct ann_list user = {0};
	const char *store_dir = NULL;
	struct oci_client_opts co;
	struct oci_store *s = NULL;
	struct oci_desc desc;
	struct oci_ref ref;
	struct oci_err e;
	char name[700], *eq;
	int o, r;

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
			break;
		case 'f':
			if (!strcmp(optarg, "ecli"))
				fmt = OCI_FORMAT_ECLI;
			else if (strcmp(optarg, "cncf"))
				return cmd_usage("push", syn);
			break;
		case 's':
			store_dir = optarg;
			break;
		default:
			return cmd_usage("push", syn);
		}
	}
	if (argc - optind != 2) {
		ann_free(&user);
		return cmd_usage("push", syn);
	}
	if ((r = cmd_ref("push", argv[optind + 1], &ref)) ||
	    (r = cmd_store("push", store_dir, &s)))
		goto out;
	oci_ref_name(&ref, name, sizeof(name));
	if ((r = store_module(s, argv[optind], name, fmt, &user, &desc)))
		goto out;
	cmd_client_opts(&co, argv[optind]);
	if (oci_push(s, name, &ref, &co, &e)) {
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

/* ---- pull -------------------------------------------------------------------- */

static int write_module(struct oci_store *s, const char *name,
			const char *path, const char *cmd)
{
	struct oci_image img;
	struct oci_err e;
	FILE *f;
	int r = 0;

	if (oci_store_load_image(s, name, &img, &e))
		return cmd_fail(cmd, "%s", e.msg);
	f = fopen(path, "w");
	if (!f || fwrite(img.wasm.data, 1, img.wasm.len, f) != img.wasm.len)
		r = cmd_fail(cmd, "%s: %s", path, strerror(errno));
	if (f && fclose(f) && !r)
		r = cmd_fail(cmd, "%s: %s", path, strerror(errno));
	oci_image_free(&img);
	return r;
}

static int cmd_pull(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"verify-key", required_argument, NULL, 'k'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *syn = "REF [-o FILE] [--verify-key PUB]... [--store DIR]";
	const char *out = NULL, *store_dir = NULL, **keys = NULL;
	struct oci_client_opts co;
	struct oci_store *s = NULL;
	struct oci_desc desc;
	struct oci_ref ref;
	struct oci_err e;
	char name[700];
	int o, r, nkeys = 0;

	while ((o = getopt_long(argc, argv, "o:k:s:", lo, NULL)) != -1) {
		switch (o) {
		case 'o':
			out = optarg;
			break;
		case 'k':
			keys = realloc(keys, ++nkeys * sizeof(*keys));
			if (!keys)
				return cmd_fail("pull", "out of memory");
			keys[nkeys - 1] = optarg;
			break;
		case 's':
			store_dir = optarg;
			break;
		default:
			free(keys);
			return cmd_usage("pull", syn);
		}
	}
	if (argc - optind != 1) {
		free(keys);
		return cmd_usage("pull", syn);
	}
	if ((r = cmd_ref("pull", argv[optind], &ref)) ||
	    (r = cmd_store("pull", store_dir, &s)))
		goto done;
	oci_ref_name(&ref, name, sizeof(name));
	cmd_client_opts(&co, name);
	if (oci_pull(s, &ref, &co, keys, nkeys, &desc, &e)) {
		r = cmd_fail("pull", "%s", e.msg);
		goto done;
	}
	cmd_progress_done();
	if (out && (r = write_module(s, name, out, "pull")))
		goto done;
	printf("%s@%s\n", name, desc.digest);
done:
	free(keys);
	oci_store_close(s);
	return r;
}

/* ---- images, rmi, tag --------------------------------------------------------- */

struct row {
	const char *name;
	char digest[OCI_DIGEST_LEN], created[64];
	long long size;
};

static int image_row(struct oci_store *s, const struct oci_entry *en,
		     struct row *row)
{
	struct oci_image img;
	struct oci_err e;
	const char *cr;
	cJSON *cfg;

	if (oci_store_load_image(s, en->name, &img, &e))
		return -1;
	row->name = en->name;
	strcpy(row->digest, en->desc.digest);
	row->size = img.wasm.len;
	cr = oci_manifest_annotation(&img.manifest, OCI_ANN_CREATED);
	cfg = cJSON_ParseWithLength(img.config.data, img.config.len);
	if (!cr && cJSON_IsString(cJSON_GetObjectItem(cfg, "created")))
		cr = cJSON_GetObjectItem(cfg, "created")->valuestring;
	snprintf(row->created, sizeof(row->created), "%s", cr ? cr : "-");
	cJSON_Delete(cfg);
	oci_image_free(&img);
	return 0;
}

static int cmd_images(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *store_dir = NULL;
	struct oci_store *s = NULL;
	struct oci_entry *v = NULL;
	struct oci_err e;
	cJSON *arr = NULL;
	bool json = false;
	int o, n = 0, r = 0;

	while ((o = getopt_long(argc, argv, "o:s:", lo, NULL)) != -1) {
		if (o == 'o' && !strcmp(optarg, "json"))
			json = true;
		else if (o == 's')
			store_dir = optarg;
		else
			return cmd_usage("images", "[-o json] [--store DIR]");
	}
	if (optind != argc)
		return cmd_usage("images", "[-o json] [--store DIR]");
	if ((r = cmd_store("images", store_dir, &s)))
		return r;
	if (oci_store_list(s, &v, &n, &e)) {
		r = cmd_fail("images", "%s", e.msg);
		goto out;
	}
	if (json)
		arr = cJSON_CreateArray();
	else
		printf("%-50s %-19s %10s  %s\n", "REF", "DIGEST", "SIZE",
		       "CREATED");
	for (int i = 0; i < n; i++) {
		struct row row;
		char size[32];

		if (cmd_is_sig_name(v[i].name) || image_row(s, &v[i], &row))
			continue;
		if (json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "ref", row.name);
			cJSON_AddStringToObject(o, "digest", row.digest);
			cJSON_AddNumberToObject(o, "size", (double)row.size);
			cJSON_AddStringToObject(o, "created", row.created);
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		cmd_size(size, sizeof(size), row.size);
		printf("%-50s %.19s %10s  %s\n", row.name, row.digest, size,
		       row.created);
	}
	if (json) {
		char *txt = cJSON_Print(arr);

		printf("%s\n", txt ? txt : "[]");
		free(txt);
	}
out:
	cJSON_Delete(arr);
	oci_entries_free(v, n);
	oci_store_close(s);
	return r;
}

/* Arguments that are references become canonical store names. */
static int store_name(const char *cmd, const char *arg, char *name, size_t len)
{
	struct oci_ref ref;
	int r = cmd_ref(cmd, arg, &ref);

	if (!r)
		oci_ref_name(&ref, name, len);
	return r;
}

static int only_store_opt(int argc, char **argv, const char **dir)
{
	static const struct option lo[] = {
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	int o;

	while ((o = getopt_long(argc, argv, "s:", lo, NULL)) != -1) {
		if (o != 's')
			return -1;
		*dir = optarg;
	}
	return 0;
}

static int cmd_rmi(int argc, char **argv)
{
	const char *dir = NULL;
	struct oci_store *s;
	struct oci_err e;
	char name[700];
	int r = 0;

	if (only_store_opt(argc, argv, &dir) || optind == argc)
		return cmd_usage("rmi", "REF... [--store DIR]");
	if ((r = cmd_store("rmi", dir, &s)))
		return r;
	for (int i = optind; i < argc; i++) {
		if (store_name("rmi", argv[i], name, sizeof(name))) {
			r = CMD_FAIL;
			continue;
		}
		if (oci_store_remove(s, name, &e))
			r = cmd_fail("rmi", "%s", e.msg);
		else
			printf("removed %s\n", name);
	}
	oci_store_close(s);
	return r;
}

static int cmd_tag(int argc, char **argv)
{
	const char *dir = NULL;
	char src[700], dst[700];
	struct oci_store *s;
	struct oci_txn *t = NULL;
	struct oci_image img;
	struct oci_err e;
	int r;

	if (only_store_opt(argc, argv, &dir) || argc - optind != 2)
		return cmd_usage("tag", "SRC DST [--store DIR]");
	if ((r = store_name("tag", argv[optind], src, sizeof(src))) ||
	    (r = store_name("tag", argv[optind + 1], dst, sizeof(dst))) ||
	    (r = cmd_store("tag", dir, &s)))
		return r;
	if (oci_store_load_image(s, src, &img, &e)) {
		r = cmd_fail("tag", "%s", e.msg);
		goto out;
	}
	/* The manifest is staged again: rmi may collect it meanwhile. */
	if (oci_txn_begin(s, &t) ||
	    oci_txn_add(t, img.manifest_raw.data, img.manifest_raw.len,
			img.desc.digest, NULL, &e) ||
	    oci_txn_add(t, img.config.data, img.config.len,
			img.manifest.config.digest, NULL, &e) ||
	    oci_txn_add(t, img.wasm.data, img.wasm.len, NULL, NULL, &e) ||
	    oci_txn_commit(t, dst, &img.desc, &e))
		r = cmd_fail("tag", "%s", e.msg);
	oci_txn_free(t);
	oci_image_free(&img);
out:
	oci_store_close(s);
	return r;
}

/* ---- save, load ------------------------------------------------------------------ */

static int cmd_save(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *dir = NULL, **names;
	char (*buf)[700];
	struct oci_store *s;
	struct oci_err e;
	int o, n, r = 0;

	while ((o = getopt_long(argc, argv, "o:s:", lo, NULL)) != -1) {
		if (o == 'o')
			out = optarg;
		else if (o == 's')
			dir = optarg;
		else
			return cmd_usage("save", "REF... -o FILE.tar [--store DIR]");
	}
	n = argc - optind;
	if (!out || !n)
		return cmd_usage("save", "REF... -o FILE.tar [--store DIR]");
	names = calloc(n, sizeof(*names));
	buf = calloc(n, sizeof(*buf));
	if (!names || !buf) {
		r = cmd_fail("save", "out of memory");
		goto out;
	}
	for (int i = 0; !r && i < n; i++) {
		r = store_name("save", argv[optind + i], buf[i], sizeof(buf[i]));
		names[i] = buf[i];
	}
	if (r || (r = cmd_store("save", dir, &s)))
		goto out;
	if (oci_save(s, names, n, out, &e))
		r = cmd_fail("save", "%s", e.msg);
	oci_store_close(s);
out:
	free(names);
	free(buf);
	return r;
}

static void print_loaded(const char *name, void *ctx)
{
	printf("loaded %s\n", name);
}

static int cmd_load(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *in = NULL, *dir = NULL;
	struct oci_store *s;
	struct oci_err e;
	int o, r;

	while ((o = getopt_long(argc, argv, "i:s:", lo, NULL)) != -1) {
		if (o == 'i')
			in = optarg;
		else if (o == 's')
			dir = optarg;
		else
			return cmd_usage("load", "-i FILE.tar [--store DIR]");
	}
	if (!in && optind < argc)
		in = argv[optind++];
	if (!in || optind != argc)
		return cmd_usage("load", "-i FILE.tar [--store DIR]");
	if ((r = cmd_store("load", dir, &s)))
		return r;
	if (oci_load(s, in, print_loaded, NULL, &e))
		r = cmd_fail("load", "%s", e.msg);
	oci_store_close(s);
	return r;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
    {"push", cmd_push},	    {"pull", cmd_pull},	    {"images", cmd_images},
    {"rmi", cmd_rmi},	    {"tag", cmd_tag},	    {"save", cmd_save},
    {"load", cmd_load},	    {"inspect", cmd_inspect}, {"login", cmd_login},
    {"logout", cmd_logout}, {"sign", cmd_sign},	    {"verify", cmd_verify},
};

int wbpf_image_is_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return 1;
	return 0;
}

int wbpf_image_main(int argc, char **argv)
{
	optind = 1;
	opterr = 1;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, argv[0]))
			return cmds[i].fn(argc, argv);
	return CMD_USAGE;
}

/* ---- run REF ------------------------------------------------------------------------ */

int wbpf_image_run_opt(struct wbpf_image_run *o, int is_pull, const char *arg)
{
	const char **nk;

	if (is_pull) {
		if (strcmp(arg, "always") && strcmp(arg, "missing") &&
		    strcmp(arg, "never")) {
			fprintf(stderr, "wasm-bpf: invalid --pull: %s (always, "
					"missing or never)\n",
				arg);
			return CMD_USAGE;
		}
		o->pull = arg;
		return -1;
	}
	nk = realloc(o->keys, (o->nkeys + 1) * sizeof(*nk));
	if (!nk)
		return EXIT_FAILURE;
	nk[o->nkeys++] = arg;
	o->keys = nk;
	return -1;
}

static int resolve(struct oci_store *s, const struct oci_ref *ref,
		   const struct wbpf_image_run *o, struct oci_err *e)
{
	const char *pull = o->pull ? o->pull : "missing";
	struct oci_client_opts co;
	struct oci_desc d;
	char name[700];
	bool have;

	oci_ref_name(ref, name, sizeof(name));
	have = !oci_store_resolve(s, name, &d, e);
	if (!strcmp(pull, "always") || (!have && !strcmp(pull, "missing"))) {
		cmd_client_opts(&co, name);
		if (oci_pull(s, ref, &co, o->keys, o->nkeys, &d, e))
			return -1;
		cmd_progress_done();
		return 0; /* oci_pull verified the signature */
	}
	if (!have) {
		/* The caller names the module. */
		snprintf(e->msg, sizeof(e->msg), "not in the store (%.300s) "
						 "and --pull never",
			 oci_store_dir(s));
		return -1;
	}
	return o->nkeys ? oci_verify(s, ref, d.digest, o->keys, o->nkeys, e) : 0;
}

struct wasm_bpf_app *wbpf_image_open(const char *module,
				     const struct wbpf_image_run *o,
				     const struct wasm_bpf_app_opts *opts,
				     struct wasm_error *err)
{
	size_t n = strlen(module);
	struct wasm_bpf_app *app = NULL;
	struct oci_store *s = NULL;
	struct oci_image img;
	struct oci_ref ref;
	struct oci_err e;
	char name[700];

	if (!access(module, F_OK) || (n > 5 && !strcmp(module + n - 5, ".wasm")) ||
	    oci_ref_parse(module, &ref, &e))
		return wasm_bpf_app__open_file(module, opts, err);
	oci_ref_name(&ref, name, sizeof(name));
	if (oci_store_open(NULL, &s, &e) || resolve(s, &ref, o, &e) ||
	    oci_store_load_image(s, name, &img, &e)) {
		snprintf(err->msg, sizeof(err->msg), "%.255s", e.msg);
		oci_store_close(s);
		return NULL;
	}
	app = wasm_bpf_app__open_mem(img.wasm.data, img.wasm.len, opts, err);
	oci_image_free(&img);
	oci_store_close(s);
	return app;
}
