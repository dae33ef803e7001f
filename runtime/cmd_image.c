/* cmd_image.c — `wasm-bpf pull|images|rmi|tag|save|load` and the
 * dispatch of every distribution subcommand (cmd_image.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "policy/policy.h"
#include "runtime/cmd.h"
#include "runtime/cmd_common.h"
#include "runtime/cmd_image.h"

static int write_module(struct oci_store *s, const char *name, const char *path,
			const char *cmd)
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
	    {"policy", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	const char *syn = "REF [-o FILE] [--verify-key PUB]... [--store DIR] "
			  "[--policy FILE]";
	const char *out = NULL, *store_dir = NULL, **keys = NULL;
	const char *polfile = NULL;
	struct policy *pol = NULL;
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
			if (cmd_add_str(&keys, &nkeys, optarg)) {
				free(keys);
				return cmd_fail("pull", "out of memory");
			}
			break;
		case 's':
			store_dir = optarg;
			break;
		case 'p':
			polfile = optarg;
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
	/* the image rules, as run applies them: checked before the store
	 * is touched */
	if ((r = wbpf_cli_policy(polfile, &pol)) ||
	    (r = cmd_ref("pull", argv[optind], &ref)) ||
	    (r = cmd_store("pull", store_dir, &s)))
		goto done;
	oci_ref_name(&ref, name, sizeof(name));
	cmd_client_opts(&co, name);
	co.admit = pol ? wbpf_cli_admit : NULL;
	co.admit_ctx = pol;
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
	policy__free(pol);
	return r;
}

/* ---- images, rmi, tag ---------------------------------------------------- */

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

/* ---- save, load ---------------------------------------------------------- */

static int cmd_save(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *dir = NULL, **names;
	char(*buf)[700];
	struct oci_store *s;
	struct oci_err e;
	int o, n, r = 0;

	while ((o = getopt_long(argc, argv, "o:s:", lo, NULL)) != -1) {
		if (o == 'o')
			out = optarg;
		else if (o == 's')
			dir = optarg;
		else
			return cmd_usage("save",
					 "REF... -o FILE.tar [--store DIR]");
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
		r = store_name("save", argv[optind + i], buf[i],
			       sizeof(buf[i]));
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

/* ---- dispatch ------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
    {"push", cmd_push},	    {"pull", cmd_pull},	      {"images", cmd_images},
    {"rmi", cmd_rmi},	    {"tag", cmd_tag},	      {"save", cmd_save},
    {"load", cmd_load},	    {"inspect", cmd_inspect}, {"login", cmd_login},
    {"logout", cmd_logout}, {"sign", cmd_sign},	      {"verify", cmd_verify},
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
