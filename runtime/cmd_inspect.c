/* cmd_inspect.c — `wasm-bpf inspect REF|FILE [-o json]`: the manifest,
 * config, annotations and digest of a stored image, and what its BPF
 * objects contain (programs, maps, license), as text or JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "runtime/cmd_common.h"

static cJSON *obj_json(const struct cmd_obj *o)
{
	const struct bpf_facts *f = o->facts;
	cJSON *jo = cJSON_CreateObject(), *ps, *ms;

	cJSON_AddNumberToObject(jo, "size", (double)o->size);
	if (!f) {
		cJSON_AddStringToObject(jo, "error", o->why);
		return jo;
	}
	if (f->license[0])
		cJSON_AddStringToObject(jo, "license", f->license);
	else
		cJSON_AddNullToObject(jo, "license");
	ps = cJSON_AddArrayToObject(jo, "programs");
	for (size_t j = 0; j < f->nfuncs; j++) {
		const struct bpf_facts_func *fn = &f->funcs[j];
		cJSON *p;

		if (!fn->is_prog)
			continue;
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", fn->name);
		cJSON_AddStringToObject(p, "type", cmd_prog_type(fn->type));
		cJSON_AddStringToObject(p, "section", fn->section);
		cJSON_AddItemToArray(ps, p);
	}
	ms = cJSON_AddArrayToObject(jo, "maps");
	for (size_t j = 0; j < f->nmaps; j++) {
		const struct bpf_facts_map *fm = &f->maps[j];
		cJSON *m = cJSON_CreateObject();

		cJSON_AddStringToObject(m, "name", fm->name);
		cJSON_AddStringToObject(m, "type", cmd_map_type(fm->type));
		cJSON_AddNumberToObject(m, "key_size", fm->key_size);
		cJSON_AddNumberToObject(m, "value_size", fm->value_size);
		cJSON_AddNumberToObject(m, "max_entries", fm->max_entries);
		cJSON_AddItemToArray(ms, m);
	}
	return jo;
}

static cJSON *bpf_json(const struct cmd_objs *objs)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < objs->n; i++)
		cJSON_AddItemToArray(a, obj_json(&objs->v[i]));
	return a;
}

/* What inspect shows: a file, a stored image, or an image in a registry
 * whose module was not pulled (objs NULL: only the annotations tell). */
struct view {
	const char *what, *digest;
	const struct oci_image *img;
	size_t wasm_len;
	const struct cmd_objs *objs;
};

static void print_obj(size_t i, const struct cmd_obj *o)
{
	const struct bpf_facts *f = o->facts;

	if (!f) {
		printf("  object %zu: %zu bytes, unreadable: %s\n", i, o->size,
		       o->why);
		return;
	}
	printf("  object %zu: %zu bytes, license %s\n", i, o->size,
	       f->license[0] ? f->license : "(none)");
	for (size_t j = 0; j < f->nfuncs; j++)
		if (f->funcs[j].is_prog)
			printf("    program %-24s %-16s %s\n", f->funcs[j].name,
			       cmd_prog_type(f->funcs[j].type),
			       f->funcs[j].section);
	for (size_t j = 0; j < f->nmaps; j++)
		printf("    map     %-24s %-16s key %u value %u "
		       "max_entries %u\n",
		       f->maps[j].name, cmd_map_type(f->maps[j].type),
		       f->maps[j].key_size, f->maps[j].value_size,
		       f->maps[j].max_entries);
}

static void print_bpf(const struct cmd_objs *objs)
{
	char caps[128];

	if (!objs) {
		printf(
		    "BPF objects:  module not pulled (see the " OCI_ANN_PREFIX
		    "* annotations)\n");
		return;
	}
	cmd_caps(objs, caps, sizeof(caps));
	printf("BPF objects:  %zu%s%s\n", objs->n, *caps ? ", needs " : "",
	       caps);
	for (size_t i = 0; i < objs->n; i++)
		print_obj(i, &objs->v[i]);
}

static void print_text(const struct view *v)
{
	const struct oci_image *img = v->img;

	printf("%-13s %s\n", img ? "Reference:" : "File:", v->what);
	printf("%-13s %s\n", "Digest:", v->digest);
	if (img) {
		printf("%-13s %s\n", "Manifest:", img->manifest_raw.data);
		printf("%-13s %s\n", "Config:", img->config.data);
		printf("Annotations:\n");
		for (int i = 0; i < img->manifest.nannotations; i++)
			printf("  %s=%s\n", img->manifest.annotations[i].key,
			       img->manifest.annotations[i].value);
	}
	printf("%-13s %zu bytes\n", "Module:", v->wasm_len);
	print_bpf(v->objs);
}

static void print_json(const struct view *v)
{
	const struct oci_image *img = v->img;
	cJSON *o = cJSON_CreateObject(), *a;
	char caps[128], *txt;

	cJSON_AddStringToObject(o, img ? "reference" : "file", v->what);
	cJSON_AddStringToObject(o, "digest", v->digest);
	if (img) {
		cJSON_AddItemToObject(
		    o, "manifest",
		    cJSON_ParseWithLength(img->manifest_raw.data,
					  img->manifest_raw.len));
		cJSON_AddItemToObject(
		    o, "config",
		    cJSON_ParseWithLength(img->config.data, img->config.len));
		a = cJSON_AddObjectToObject(o, "annotations");
		for (int i = 0; i < img->manifest.nannotations; i++)
			cJSON_AddStringToObject(
			    a, img->manifest.annotations[i].key,
			    img->manifest.annotations[i].value);
	}
	cJSON_AddNumberToObject(o, "module_size", (double)v->wasm_len);
	cJSON_AddBoolToObject(o, "module_pulled", v->objs != NULL);
	if (v->objs) {
		cJSON_AddItemToObject(o, "bpf_objects", bpf_json(v->objs));
		cmd_caps(v->objs, caps, sizeof(caps));
		cJSON_AddStringToObject(o, "capabilities", caps);
	}
	txt = cJSON_Print(o);
	printf("%s\n", txt ? txt : "{}");
	free(txt);
	cJSON_Delete(o);
}

/* The image called `name`: from the store, else (-ENOENT) its manifest
 * and config from the registry. *pulled says which. */
static int load(const char *dir, const struct oci_ref *ref, const char *name,
		struct oci_image *img, bool *pulled)
{
	struct oci_client_opts co;
	struct oci_store *s;
	struct oci_err e;
	int r = cmd_store("inspect", dir, &s);

	if (r)
		return r;
	r = oci_store_load_image(s, name, img, &e);
	oci_store_close(s);
	*pulled = !r;
	if (r == -ENOENT) {
		cmd_client_opts(&co, name);
		r = oci_fetch_meta(ref, &co, img, &e);
	}
	return r ? cmd_fail("inspect", "%s", e.msg) : 0;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *syn = "REF|FILE [-o json] [--store DIR]";
	struct oci_image img = {0};
	struct oci_buf file = {0};
	struct view v = {0};
	const char *dir = NULL;
	struct cmd_objs objs;
	struct oci_ref ref;
	struct oci_err e;
	char name[700], digest[OCI_DIGEST_LEN], err[256];
	bool json = false, pulled = true;
	int o, r;

	while ((o = getopt_long(argc, argv, "o:s:", lo, NULL)) != -1) {
		if (o == 'o' && !strcmp(optarg, "json"))
			json = true;
		else if (o == 's')
			dir = optarg;
		else
			return cmd_usage("inspect", syn);
	}
	if (argc - optind != 1)
		return cmd_usage("inspect", syn);
	v.what = argv[optind];
	if (!access(v.what, F_OK)) {
		if (oci_read_file(v.what, &file, &e))
			return cmd_fail("inspect", "%s", e.msg);
		oci_sha256(file.data, file.len, digest);
	} else {
		if ((r = cmd_ref("inspect", v.what, &ref)))
			return r;
		oci_ref_name(&ref, name, sizeof(name));
		if ((r = load(dir, &ref, name, &img, &pulled)))
			return r;
		strcpy(digest, img.desc.digest);
		v.what = name;
		v.img = &img;
		file = img.wasm;
		img.wasm = (struct oci_buf){0};
	}
	v.digest = digest;
	v.wasm_len = pulled ? file.len : (size_t)img.manifest.layers[0].size;
	if (pulled && cmd_scan(&file, &objs, err, sizeof(err))) {
		r = cmd_fail("inspect", "%s: %s", v.what, err);
	} else {
		v.objs = pulled ? &objs : NULL;
		(json ? print_json : print_text)(&v);
		if (pulled)
			cmd_objs_free(&objs);
		r = 0;
	}
	oci_image_free(&img);
	oci_buf_free(&file);
	return r;
}
