/* unit.c — the oci parsers on fixed inputs: references (docker's rules
 * and ours), manifests (layouts accepted and refused), digests, base64.
 * Prints "ok: ..." per check and "FAIL: ..." for each that fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (cond) {                                                    \
			printf("ok: ");                                        \
		} else {                                                       \
			printf("FAIL: ");                                      \
			failures++;                                            \
		}                                                              \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
	} while (0)

static const char D[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void ref_ok(const char *in, const char *want_name, const char *host)
{
	struct oci_ref r;
	struct oci_err e = {{0}};
	char name[700];
	int rc = oci_ref_parse(in, &r, &e);

	if (!rc)
		oci_ref_name(&r, name, sizeof(name));
	CHECK(!rc && !strcmp(name, want_name) &&
		  !strcmp(oci_ref_host(&r), host),
	      "ref %s -> %s (%s) %s", in, rc ? e.msg : name,
	      rc ? "" : oci_ref_host(&r), want_name);
}

static void ref_bad(const char *in, const char *why)
{
	struct oci_ref r;
	struct oci_err e = {{0}};
	int rc = oci_ref_parse(in, &r, &e);

	CHECK(rc == -EINVAL && strstr(e.msg, why), "ref \"%s\" refused: %s", in,
	      e.msg);
}

static void refs(void)
{
	char with_digest[300], long_name[251];

	ref_ok("opensnoop", "docker.io/library/opensnoop:latest",
	       "registry-1.docker.io");
	ref_ok("org/tool:v1", "docker.io/org/tool:v1", "registry-1.docker.io");
	ref_ok("ghcr.io/org/opensnoop:v1", "ghcr.io/org/opensnoop:v1",
	       "ghcr.io");
	ref_ok("localhost/a/b", "localhost/a/b:latest", "localhost");
	ref_ok("localhost:5000/a_b__c-d.e:1.0-rc_1",
	       "localhost:5000/a_b__c-d.e:1.0-rc_1", "localhost:5000");
	ref_ok("127.0.0.1:5000/x:y", "127.0.0.1:5000/x:y", "127.0.0.1:5000");
	ref_ok("[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000");
	snprintf(with_digest, sizeof(with_digest), "reg.io/x@%s", D);
	ref_ok(with_digest, with_digest, "reg.io");
	snprintf(with_digest, sizeof(with_digest), "reg.io/x:t@%s", D);
	ref_ok(with_digest, "reg.io/x:t", "reg.io");
	ref_bad("", "empty");
	ref_bad("Upper/case", "lower-case");
	ref_bad("reg.io/x:", "bad tag");
	ref_bad("reg.io/x:-t", "bad tag");
	ref_bad("reg.io/x@sha256:abc", "digest");
	ref_bad("reg.io/x@md5:0123", "digest");
	ref_bad("reg.io:port/x", "registry");
	ref_bad("reg.io/a//b", "lower-case");
	ref_bad("reg.io/a..b", "lower-case");
	ref_bad("reg.io/-a", "lower-case");
	ref_bad("reg.io/a_", "lower-case");
	/* An official image's name that fits only without library/ (fuzz_oci:
	 * it was cut short and named another repository). */
	memset(long_name, 'a', 250);
	long_name[250] = 0;
	ref_bad(long_name, "too long");
	snprintf(with_digest, sizeof(with_digest), "docker.io/library/%s:latest",
		 long_name + 9);
	ref_ok(long_name + 9, with_digest, "registry-1.docker.io");
}

static void man_ok(const char *json, int want_layer, const char *what)
{
	struct oci_manifest m;
	struct oci_err e = {{0}};
	int rc = oci_manifest_parse(json, strlen(json), &m, &e), li = -1;

	if (!rc) {
		li = oci_manifest_wasm_layer(&m, &e);
		oci_manifest_free(&m);
	}
	CHECK(!rc && li == want_layer, "manifest %s accepted (%s)", what,
	      rc || li < 0 ? e.msg : "layer 0");
}

static void man_bad(const char *json, int want_rc, const char *msg,
		    const char *what)
{
	struct oci_manifest m;
	struct oci_err e = {{0}};
	int rc = oci_manifest_parse(json, strlen(json), &m, &e);

	if (!rc) {
		rc = oci_manifest_wasm_layer(&m, &e);
		oci_manifest_free(&m);
	}
	CHECK(rc == want_rc && strstr(e.msg, msg), "manifest %s refused: %s",
	      what, e.msg);
}

#define DESC(mt) "{\"mediaType\":\"" mt "\",\"digest\":\"%s\",\"size\":%s}"

static void manifests(void)
{
	char b[4096];

	snprintf(
	    b, sizeof(b),
	    "{\"schemaVersion\":2,\"config\":" DESC(
		OCI_MT_WASM_CONFIG) ",\"layers\":[" DESC(OCI_MT_WASM_LAYER) "]"
									    "}",
	    D, "10", D, "20");
	man_ok(b, 0, "CNCF");
	snprintf(b, sizeof(b),
		 "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST
		 "\",\"config\":" DESC(OCI_MT_ECLI_CONFIG) ",\"layers\":[" DESC(
		     OCI_MT_ECLI_LAYER) "]}",
		 D, "2", D, "20");
	man_ok(b, 0, "ecli");
	snprintf(
	    b, sizeof(b),
	    "{\"schemaVersion\":2,\"config\":" DESC(
		OCI_MT_WASM_CONFIG) ",\"layers\":[" DESC(OCI_MT_WASM_LAYER) "," DESC("text/x") "]}",
	    D, "10", D, "20", D, "3");
	man_bad(b, -EPROTO, "2 layers: application/wasm, text/x",
		"with two layers");
	snprintf(
	    b, sizeof(b),
	    "{\"schemaVersion\":2,\"config\":" DESC(
		OCI_MT_IMAGE_CONFIG) ",\"layers\":[" DESC("application/"
							  "vnd.oci.image.layer."
							  "v1.tar+gzip") "]}",
	    D, "10", D, "20");
	man_bad(b, -EPROTO, "tar+gzip", "of a container image");
	man_bad("{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX
		"\",\"manifests\":[]}",
		-EPROTO, "image index", "index");
	man_bad("{\"schemaVersion\":1}", -EBADMSG, "schemaVersion", "v1");
	man_bad("[1,2", -EBADMSG, "not JSON", "truncated");
	snprintf(b, sizeof(b),
		 "{\"schemaVersion\":2,\"config\":" DESC(
		     OCI_MT_WASM_CONFIG) ",\"layers\":[]}",
		 "sha256:../../etc/passwd", "1");
	man_bad(b, -EBADMSG, "digest", "with a path in a digest");
	snprintf(b, sizeof(b),
		 "{\"schemaVersion\":2,\"config\":" DESC(
		     OCI_MT_WASM_CONFIG) ",\"layers\":[]}",
		 D, "-1");
	man_bad(b, -EBADMSG, "size", "with a negative size");
}

static void codecs(void)
{
	struct oci_buf b = {0};
	char d[OCI_DIGEST_LEN], *s = oci_base64("user:pa:ss", 10);

	oci_sha256("", 0, d);
	CHECK(!strcmp(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
			 "934ca495991b7852b855"),
	      "sha256 of nothing");
	CHECK(oci_digest_valid(D) && !oci_digest_valid("sha256:ABC") &&
		  !oci_digest_valid(
		      "sha512:0123456789abcdef0123456789abcdef0123456789abcdef"
		      "0123456789abcdef"),
	      "digest forms");
	CHECK(s && !strcmp(s, "dXNlcjpwYTpzcw==") &&
		  oci_unbase64(s, &b) == 10 &&
		  !memcmp(b.data, "user:pa:ss", 10),
	      "base64 round trip with padding");
	CHECK(oci_unbase64("abc", &b) < 0, "base64 of a wrong length refused");
	oci_buf_free(&b);
	free(s);
}

static void plain_http(void)
{
	static const char *const yes[] = {
	    "localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3",
	    "[::1]:443", "a.io:5000",	   "b.io",	     NULL};
	static const char *const no[] = {"127.evil.com",
					 "127.0.0.1.nip.io:80",
					 "localhost.evil.com",
					 "example.com",
					 "a.io",
					 "b.io:80",
					 "[::2]:5000",
					 NULL};

	setenv("WASM_BPF_INSECURE_REGISTRIES", "a.io:5000, b.io", 1);
	for (int i = 0; yes[i]; i++)
		CHECK(oci_plain_http_allowed(yes[i]), "plain HTTP allowed: %s",
		      yes[i]);
	for (int i = 0; no[i]; i++)
		CHECK(!oci_plain_http_allowed(no[i]), "plain HTTP refused: %s",
		      no[i]);
	unsetenv("WASM_BPF_INSECURE_REGISTRIES");
}

int main(void)
{
	refs();
	manifests();
	codecs();
	plain_http();
	return failures != 0;
}
