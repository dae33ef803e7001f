/* oci.h — OCI distribution for wasm-bpf. This layer owns: image
 * references (docker-style names), the local store (an OCI image layout
 * whose blobs are verified against their digests on every write and read),
 * the registry client (OCI distribution v1.1 over libcurl, with basic and
 * bearer authentication), registry credentials in the docker/podman auth
 * files, the Wasm artifact formats we push and pull (CNCF TAG-Runtime and
 * ecli's), cosign-compatible key signatures, and image-layout tar archives.
 * The CLI (runtime/cmd_*.c) parses options and prints; the rules are here.
 *
 * Every function that can fail returns 0 or a negative errno and, when
 * given a struct oci_err, leaves a one-line reason in it. */
#ifndef WASM_BPF_OCI_H
#define WASM_BPF_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oci_err {
	char msg[512];
};

/* ---- digests ------------------------------------------------------------ */

#define OCI_DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL */

void oci_sha256(const void *buf, size_t len, char out[OCI_DIGEST_LEN]);
/* "sha256:" and 64 lower-case hex digits: the only algorithm we accept. */
bool oci_digest_valid(const char *d);

/* ---- references ---------------------------------------------------------- */

/* REGISTRY/REPO[:TAG][@DIGEST]. The first component is the registry when
 * it contains '.' or ':' or is "localhost"; otherwise the registry is
 * docker.io (and a one-component repository on it gets "library/", as
 * docker does). No tag and no digest means ":latest". */
struct oci_ref {
	char registry[256];
	char repo[256];
	char tag[129];
	char digest[OCI_DIGEST_LEN];
};

int oci_ref_parse(const char *s, struct oci_ref *r, struct oci_err *e);
/* The canonical name, REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST (the tag
 * wins when both are set: it is what the store indexes by). */
void oci_ref_name(const struct oci_ref *r, char *buf, size_t len);
/* The host to connect to: docker.io's API lives at registry-1.docker.io. */
const char *oci_ref_host(const struct oci_ref *r);

/* ---- growable byte buffers ----------------------------------------------- */

struct oci_buf {
	char *data;
	size_t len, cap;
};
int oci_buf_add(struct oci_buf *b, const void *p, size_t n);
void oci_buf_free(struct oci_buf *b);
int oci_read_file(const char *path, struct oci_buf *b, struct oci_err *e);
/* buf as `path`, whole or not at all: a temporary file beside it, synced,
 * given `mode`, renamed over it. */
int oci_write_file(const char *path, const void *buf, size_t len, int mode,
		   struct oci_err *e);
/* Standard base64 with padding (malloc'ed); decode returns the length or
 * a negative errno. */
char *oci_base64(const void *buf, size_t len);
int oci_unbase64(const char *s, struct oci_buf *out);

/* ---- manifests and formats ----------------------------------------------- */

#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX	"application/vnd.oci.image.index.v1+json"
#define OCI_MT_DOCKER_MANIFEST                                                 \
	"application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MT_DOCKER_LIST                                                     \
	"application/vnd.docker.distribution.manifest.list.v2+json"
/* CNCF TAG-Runtime Wasm artifact */
#define OCI_MT_WASM_CONFIG "application/vnd.wasm.config.v0+json"
#define OCI_MT_WASM_LAYER  "application/wasm"
/* ecli (eunomia-bpf) and wasm-to-oci */
#define OCI_MT_ECLI_CONFIG "application/vnd.wasm.config.v1+json"
#define OCI_MT_ECLI_LAYER  "application/vnd.wasm.content.layer.v1+wasm"
/* cosign */
#define OCI_MT_IMAGE_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_COSIGN_LAYER "application/vnd.dev.cosign.simplesigning.v1+json"
#define OCI_ANN_COSIGN_SIG  "dev.cosignproject.cosign/signature"

/* Our manifest annotations: facts about the embedded BPF objects that are
 * useful before pulling. Values are space-separated lists. */
#define OCI_ANN_PREFIX	   "io.github.wasm-bpf."
#define OCI_ANN_PROG_TYPES OCI_ANN_PREFIX "program-types"
#define OCI_ANN_MAP_TYPES  OCI_ANN_PREFIX "map-types"
#define OCI_ANN_CAPS	   OCI_ANN_PREFIX "capabilities"
#define OCI_ANN_LICENSE	   OCI_ANN_PREFIX "license"
#define OCI_ANN_TITLE	   "org.opencontainers.image.title"
#define OCI_ANN_CREATED	   "org.opencontainers.image.created"
#define OCI_ANN_REF_NAME   "org.opencontainers.image.ref.name"

enum oci_format { OCI_FORMAT_CNCF, OCI_FORMAT_ECLI };

struct oci_desc {
	char media_type[128];
	char digest[OCI_DIGEST_LEN];
	int64_t size;
};

struct oci_kv {
	char *key, *value;
};

/* What a manifest says, with the parts we use: its config and layers. */
struct oci_manifest {
	char media_type[128];
	struct oci_desc config;
	struct oci_desc *layers;
	int nlayers;
	struct oci_kv *annotations;
	int nannotations;
	char **sigs; /* per layer: its cosign signature annotation, or NULL */
};

/* Parses untrusted bytes: every digest is checked for form, every size for
 * sign. An image index is refused here, naming its media type. */
int oci_manifest_parse(const void *buf, size_t len, struct oci_manifest *m,
		       struct oci_err *e);
void oci_manifest_free(struct oci_manifest *m);
const char *oci_manifest_annotation(const struct oci_manifest *m,
				    const char *key);
/* The module's layer (index into layers) if the manifest is one of the two
 * Wasm layouts, else -EPROTO with the media types found in `e`. */
int oci_manifest_wasm_layer(const struct oci_manifest *m, struct oci_err *e);

/* Builds the config blob and the manifest of a Wasm module in `fmt`;
 * ann (n pairs) go into the manifest. Both strings are malloc'ed. */
int oci_build_image(enum oci_format fmt, const char *wasm_digest,
		    int64_t wasm_size, const char *created,
		    const struct oci_kv *ann, int nann, char **config,
		    char **manifest);

/* ---- the local store ----------------------------------------------------- */

struct oci_store;

/* dir NULL: $WASM_BPF_STORE, else /var/lib/wasm-bpf/oci as root, else
 * $XDG_DATA_HOME/wasm-bpf/oci or ~/.local/share/wasm-bpf/oci. Creates the
 * layout if missing. */
int oci_store_open(const char *dir, struct oci_store **out, struct oci_err *e);
void oci_store_close(struct oci_store *s);
const char *oci_store_dir(const struct oci_store *s);

/* A verified blob (its digest is recomputed). */
int oci_store_get(struct oci_store *s, const char *digest, struct oci_buf *b,
		  struct oci_err *e);
bool oci_store_has(struct oci_store *s, const char *digest);

/* A set of blobs and one index entry, written all or nothing: blobs go to
 * temporary files, and only oci_txn_commit() (under the store's exclusive
 * lock) renames them into place and rewrites index.json. */
struct oci_txn;
int oci_txn_begin(struct oci_store *s, struct oci_txn **out);
/* The content must match `digest` (if not NULL); *out gets its digest. */
int oci_txn_add(struct oci_txn *t, const void *buf, size_t len,
		const char *digest, char out[OCI_DIGEST_LEN],
		struct oci_err *e);
/* Points `name` at the manifest `desc` (already added or stored). */
int oci_txn_commit(struct oci_txn *t, const char *name,
		   const struct oci_desc *desc, struct oci_err *e);
void oci_txn_free(struct oci_txn *t);

struct oci_entry {
	char *name;
	struct oci_desc desc;
};
/* The index entries, sorted by name; free with oci_entries_free. */
int oci_store_list(struct oci_store *s, struct oci_entry **out, int *n,
		   struct oci_err *e);
void oci_entries_free(struct oci_entry *v, int n);
/* The entry called `name` (a canonical reference name); -ENOENT if none. */
int oci_store_resolve(struct oci_store *s, const char *name,
		      struct oci_desc *out, struct oci_err *e);
/* Drops the name; blobs no other entry needs are deleted. */
int oci_store_remove(struct oci_store *s, const char *name, struct oci_err *e);

/* A stored image: manifest, config and module, all verified. */
struct oci_image {
	struct oci_desc desc; /* of the manifest */
	struct oci_buf manifest_raw, config, wasm;
	struct oci_manifest manifest;
};
int oci_store_load_image(struct oci_store *s, const char *name,
			 struct oci_image *img, struct oci_err *e);
void oci_image_free(struct oci_image *img);

/* ---- registry client ----------------------------------------------------- */

/* Called with bytes done and total (0 if unknown) during transfers. */
typedef void (*oci_progress_fn)(void *ctx, int64_t done, int64_t total);

/* Whether an image fetched by oci_pull may go into the store: `name` as
 * oci_ref_name() gives it, `digest` its manifest's, `verified` whether a
 * signature verified with one of the keys. Non-zero refuses, with e->msg
 * saying why. */
typedef int (*oci_admit_fn)(void *ctx, const char *name, const char *digest,
			    bool verified, struct oci_err *e);

struct oci_client_opts {
	size_t sz;
	const char *ca_file; /* NULL: $WASM_BPF_CA_FILE, $SSL_CERT_FILE */
	const char *username, *password; /* NULL: from the auth files */
	oci_progress_fn progress;
	void *progress_ctx;
	volatile int *cancel; /* non-zero aborts the transfer in progress */
	/* oci_pull only: asked once everything is fetched and verified and
	 * before anything is stored (the policy's image rules). NULL: all. */
	oci_admit_fn admit;
	void *admit_ctx;
};

struct oci_client;
/* Connects (GET /v2/) to the registry of `ref`: HTTPS, or plain HTTP for
 * loopback hosts and those in $WASM_BPF_INSECURE_REGISTRIES when HTTPS
 * does not answer. Credentials the registry asks for are checked here
 * (which is what `login` relies on). */
int oci_client_new(const struct oci_ref *ref,
		   const struct oci_client_opts *opts, struct oci_client **out,
		   struct oci_err *e);
void oci_client_free(struct oci_client *c);
/* May `registry` (HOST[:PORT]) be spoken to in plain HTTP? Loopback
 * (localhost, 127.0.0.0/8, [::1]) and $WASM_BPF_INSECURE_REGISTRIES. */
bool oci_plain_http_allowed(const char *registry);
/* By tag or digest; the body's digest is checked against the reference's
 * digest and against Docker-Content-Digest. */
int oci_client_get_manifest(struct oci_client *c, const char *tag_or_digest,
			    struct oci_buf *body, struct oci_desc *desc,
			    struct oci_err *e);
int oci_client_get_blob(struct oci_client *c, const struct oci_desc *d,
			struct oci_buf *out, struct oci_err *e);
/* HEAD first; uploads (POST then PUT) only if the registry lacks it. */
int oci_client_put_blob(struct oci_client *c, const void *buf, size_t len,
			const char *digest, struct oci_err *e);
int oci_client_put_manifest(struct oci_client *c, const char *tag_or_digest,
			    const char *media_type, const void *buf, size_t len,
			    struct oci_err *e);

/* ---- credentials --------------------------------------------------------- */

/* user/password for `registry` from $REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json (the first
 * file that has it); -ENOENT if none. Strings are malloc'ed. */
int oci_auth_get(const char *registry, char **user, char **password);
/* login writes, and logout edits, the first of those files that can be
 * named: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json,
 * else ~/.docker/config.json. */
int oci_auth_store(const char *registry, const char *user, const char *password,
		   struct oci_err *e);
int oci_auth_remove(const char *registry, struct oci_err *e);

/* ---- pull and push ------------------------------------------------------- */

/* Fetches ref's manifest, config and module, verifies them, and stores
 * them under ref's name in one transaction. With public keys (npubs > 0)
 * the cosign signature image (tag sha256-HEX.sig) is fetched too and must
 * verify with one of them before anything is stored; it is then stored
 * as well, for offline verification. opts->admit, if set, is asked last,
 * also before anything is stored (-EPERM when it refuses). *desc (may be
 * NULL) gets the manifest's descriptor. */
int oci_pull(struct oci_store *s, const struct oci_ref *ref,
	     const struct oci_client_opts *opts, const char *const *pubs,
	     int npubs, struct oci_desc *desc, struct oci_err *e);
/* An image's manifest and config from the registry, not its module
 * (img->wasm stays empty): what `inspect` shows of an image not pulled. */
int oci_fetch_meta(const struct oci_ref *ref,
		   const struct oci_client_opts *opts, struct oci_image *img,
		   struct oci_err *e);
/* Pushes a stored image (by canonical name) to `dst`. */
int oci_push(struct oci_store *s, const char *name, const struct oci_ref *dst,
	     const struct oci_client_opts *opts, struct oci_err *e);

/* ---- signatures (cosign's key scheme) ------------------------------------ */

/* The simple-signing payload for the manifest `digest` of repository
 * REGISTRY/REPO (malloc'ed). */
char *oci_sig_payload(const struct oci_ref *ref, const char *digest);
/* ECDSA P-256 over SHA-256 of payload with a PEM private key; *b64 gets
 * the base64 DER signature (malloc'ed). */
int oci_sig_sign(const char *key_file, const void *payload, size_t len,
		 char **b64, struct oci_err *e);
/* 0 if b64 is a valid signature of payload by the PEM public key and the
 * payload names `digest`; -EBADMSG with the reason otherwise. */
int oci_sig_verify(const char *pub_file, const void *payload, size_t len,
		   const char *b64, const char *digest, struct oci_err *e);
/* The tag cosign keeps a digest's signature under: sha256-HEX.sig. */
void oci_sig_tag(const char *digest, char *buf, size_t len);
/* Signs `digest` with the key and adds the signature to its signature
 * image, as cosign does: the one in ref's registry when opts is not NULL
 * (and pushes the result there), else the one in the store. The result is
 * stored either way. */
int oci_sign(struct oci_store *s, const struct oci_ref *ref, const char *digest,
	     const char *key_file, const struct oci_client_opts *opts,
	     struct oci_err *e);
/* Verifies the stored signature of the manifest `digest` of ref's
 * repository against any of the public keys. Offline. */
int oci_verify(struct oci_store *s, const struct oci_ref *ref,
	       const char *digest, const char *const *pubs, int npubs,
	       struct oci_err *e);

/* ---- image-layout tar archives ------------------------------------------- */

/* Writes names (canonical) and their blobs as an OCI image layout tar. */
int oci_save(struct oci_store *s, const char *const *names, int n,
	     const char *tar_path, struct oci_err *e);
/* Imports every named manifest of the archive, verifying each blob. The
 * names loaded are printed to `report` if not NULL. */
int oci_load(struct oci_store *s, const char *tar_path,
	     void (*report)(const char *name, void *ctx), void *ctx,
	     struct oci_err *e);

#endif
