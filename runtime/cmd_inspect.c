/* cmd_inspect.c — `wasm-bpf inspect REF|FILE [-o json]`: the manifest,
 * config, annotations and digest of a stored image, and what its BPF
 * objects contain (programs, maps, license), as text or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bpf/bpf_scan.h"
#include "runtime/cmd_common.h"

static cJSON *bpf_json(const struct bpf_scan *sc)
{
	cJSON *objs = cJSON_CreateArray();

	for (int i = 0; i < sc->nobjs; i++) {
		const struct bpf_scan_obj *o = &sc->objs[i];
		cJSON *jo = cJSON_CreateObject(), *ps, *ms;

		cJSON_AddNumberToObject(jo, "size", (double)o->size);
		if (o->license)
			cJSON_AddStringToObject(jo, "license", o->license);
		else
			cJSON_AddNullToObject(jo, "license");
		ps = cJSON_AddArrayToObject(jo, "programs");
		for (int j = 0; j < o->nprogs; j++) {
			cJSON *p = cJSON_CreateObject();

			cJSON_AddStringToObject(p, "name", o->progs[j].name);
			cJSON_AddStringToObject(p, "type", o->progs[j].type);
			cJSON_AddStringToObject(p, "section", o->progs[j].section);
			cJSON_AddItemToArray(ps, p);
		}
		ms = cJSON_AddArrayToObject(jo, "maps");
		for (int j = 0; j < o->nmaps; j++) {
			cJSON *m = cJSON_CreateObject();

			cJSON_AddStringToObject(m, "name", o->maps[j].name);
			cJSON_AddStringToObject(m, "type", o->maps[j].type);
			cJSON_AddNumberToObject(m, "key_size", o->maps[j].key_size);
			cJSON_AddNumberToObject(m, "value_size",
						o->maps[j].value_size);
			cJSON_AddNumberToObject(m, "max_entries",
						o->maps[j].max_entries);
			cJSON_AddItemToArray(ms, m);
		}
		cJSON_AddItemToArray(objs, jo);
	}
	return objs;
}

static void print_bpf(const struct bpf_scan *sc)
{
	char caps[128];

	bpf_scan_caps(sc, caps, sizeof(caps));
	printf("BPF objects:  %d%s%s\n", sc->nobjs, *caps ? ", needs " : "",
	       caps);
	for (int i = 0; i < sc->nobjs; i++) {
		const struct bpf_scan_obj *o = &sc->objs[i];

		printf("  object %d: %zu bytes, license %s\n", i, o->size,
		       o->license ? o->license : "(none)");
		for (int j = 0; j < o->nprogs; j++)
			printf("    program %-24s %-16s %s\n", o->progs[j].name,
			       o->progs[j].type, o->progs[j].section);
		for (int j = 0; j < o->nmaps; j++)
			printf("    map     %-24s %-16s key %u value %u "
			       "max_entries %u\n",
			       o->maps[j].name, o->maps[j].type,
			       o->maps[j].key_size, o->maps[j].value_size,
			       o->maps[j].max_entries);
	}
}

static void print_text(const char *what, const char *digest,
		       const struct oci_image *img, size_t wasm_len,
		       const struct bpf_scan *sc)
{
	printf("%-13s %s\n", img ? "Reference:" : "File:", what);
	printf("%-13s %s\n", "Digest:", digest);
	if (img) {
		printf("%-13s %s\n", "Manifest:", img->manifest_raw.data);
		printf("%-13s %s\n", "Config:", img->config.data);
		printf("Annotations:\n");
		for (int i = 0; i < img->manifest.nannotations; i++)
			printf("  %s=%s\n", img->manifest.annotations[i].key,
			       img->manifest.annotations[i].value);
	}
	printf("%-13s %zu bytes\n", "Module:", wasm_len);
	print_bpf(sc);
}

static void print_json(const char *what, const char *digest,
		       const struct oci_image *img, size_t wasm_len,
		       const struct bpf_scan *sc)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char caps[128], *txt;

	cJSON_AddStringToObject(o, img ? "reference" : "file", what);
	cJSON_AddStringToObject(o, "digest", digest);
	if (img) {
		cJSON_AddItemToObject(o, "manifest",
				      cJSON_ParseWithLength(img->manifest_raw.data,
							    img->manifest_raw.len));
		cJSON_AddItemToObject(o, "config",
				      cJSON_ParseWithLength(img->config.data,
							    img->config.len));
		a = cJSON_AddObjectToObject(o, "annotations");
		for (int i = 0; i < img->manifest.nannotations; i++)
			cJSON_AddStringToObject(a, img->manifest.annotations[i].key,
						img->manifest.annotations[i].value);
	}
	cJSON_AddNumberToObject(o, "module_size", (double)wasm_len);
	cJSON_AddItemToObject(o, "bpf_objects", bpf_json(sc));
	bpf_scan_caps(sc, caps, sizeof(caps));
	cJSON_AddStringToObject(o, "capabilities", caps);
	txt = cJSON_Print(o);
	printf("%s\n", txt ? txt : "{}");
	free(txt);
	cJSON_Delete(o);
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *what;
	struct oci_image img, *im = NULL;
	struct oci_buf file = {0};
	struct oci_store *s = NULL;
	const struct oci_buf *wasm;
	struct bpf_scan sc;
	struct oci_ref ref;
	struct oci_err e;
	char name[700], digest[OCI_DIGEST_LEN], err[256];
	bool json = false;
	int o, r = 0;

	while ((o = getopt_long(argc, argv, "o:s:", lo, NULL)) != -1) {
		if (o == 'o' && !strcmp(optarg, "json"))
			json = true;
		else if (o == 's')
			dir = optarg;
		else
			return cmd_usage("inspect", "REF|FILE [-o json] [--store DIR]");
	}
	if (argc - optind != 1)
		return cmd_usage("inspect", "REF|FILE [-o json] [--store DIR]");
	what = argv[optind];
	if (!access(what, F_OK)) {
		if (oci_read_file(what, &file, &e))
			return cmd_fail("inspect", "%s", e.msg);
		wasm = &file;
		oci_sha256(file.data, file.len, digest);
	} else {
		if ((r = cmd_ref("inspect", what, &ref)) ||
		    (r = cmd_store("inspect", dir, &s)))
			return r;
		oci_ref_name(&ref, name, sizeof(name));
		if (oci_store_load_image(s, name, &img, &e)) {
			oci_store_close(s);
			return cmd_fail("inspect", "%s", e.msg);
		}
		im = &img;
		wasm = &img.wasm;
		strcpy(digest, img.desc.digest);
		what = name;
	}
	if (bpf_scan_wasm(wasm->data, wasm->len, &sc, err, sizeof(err))) {
		r = cmd_fail("inspect", "%s: %s", what, err);
	} else {
		(json ? print_json : print_text)(what, digest, im, wasm->len, &sc);
		bpf_scan_free(&sc);
	}
	if (im)
		oci_image_free(im);
	oci_buf_free(&file);
	oci_store_close(s);
	return r;
}
