/* fuzz_oci.c — libFuzzer target for what oci/ parses from untrusted
 * bytes: registry manifests, image references, base64 (auth files,
 * signatures), the store's index.json, and image-layout tars (`load`).
 * The first input byte picks:
 *   0: a manifest (oci_manifest_parse, then the Wasm layout check);
 *   1: an image reference (parsed, named, parsed again: same name);
 *   2: base64 (decoded, encoded again: same text when it decoded);
 *   3: an index.json in a scratch store (list, resolve, remove);
 *   4: a tar archive loaded into a scratch store.
 * Build: make fuzz; run: build-fuzz/fuzz_oci [corpus].
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/oci.h"

static char dir[64];

static void manifest(const uint8_t *d, size_t n)
{
	struct oci_manifest m;
	struct oci_err e;

	if (oci_manifest_parse(d, n, &m, &e))
		return;
	oci_manifest_wasm_layer(&m, &e);
	for (int i = 0; i < m.nannotations; i++)
		oci_manifest_annotation(&m, m.annotations[i].key);
	oci_manifest_free(&m);
}

static void reference(const uint8_t *d, size_t n)
{
	char s[1100], name[700], again[700];
	struct oci_ref r, r2;
	struct oci_err e;

	if (n >= sizeof(s))
		return;
	memcpy(s, d, n);
	s[n] = 0;
	if (oci_ref_parse(s, &r, &e))
		return;
	oci_ref_name(&r, name, sizeof(name));
	if (oci_ref_parse(name, &r2, &e))
		abort();
	oci_ref_name(&r2, again, sizeof(again));
	if (strcmp(name, again))
		abort();
}

static void base64(const uint8_t *d, size_t n)
{
	struct oci_buf b = {0};
	char *s = strndup((const char *)d, n), *enc;

	if (s && oci_unbase64(s, &b) >= 0 && !strchr(s, '\n')) {
		enc = oci_base64(b.data ? b.data : "", b.len);
		free(enc);
	}
	oci_buf_free(&b);
	free(s);
}

static void put(const char *name, const uint8_t *d, size_t n)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fwrite(d, 1, n, f);
		fclose(f);
	}
}

static void index_json(const uint8_t *d, size_t n)
{
	struct oci_store *s;
	struct oci_entry *v;
	struct oci_desc desc;
	struct oci_err e;
	int cnt;

	if (oci_store_open(dir, &s, &e))
		return;
	put("index.json", d, n);
	if (!oci_store_list(s, &v, &cnt, &e)) {
		for (int i = 0; i < cnt; i++)
			oci_store_resolve(s, v[i].name, &desc, &e);
		if (cnt)
			oci_store_remove(s, v[0].name, &e);
		oci_entries_free(v, cnt);
	}
	oci_store_close(s);
}

static void tar(const uint8_t *d, size_t n)
{
	char p[128];
	struct oci_store *s;
	struct oci_err e;

	snprintf(p, sizeof(p), "%s/in.tar", dir);
	put("in.tar", d, n);
	if (oci_store_open(dir, &s, &e))
		return;
	oci_load(s, p, NULL, NULL, &e);
	oci_store_close(s);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void rm_dir(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static void (*const fn[])(const uint8_t *, size_t) = {
	    manifest, reference, base64, index_json, tar,
	};

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_oci.%d", getpid());
		atexit(rm_dir);
	}
	if (n < 1 || d[0] >= sizeof(fn) / sizeof(fn[0]))
		return 0;
	fn[d[0]](d + 1, n - 1);
	return 0;
}
