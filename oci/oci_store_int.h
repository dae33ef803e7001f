/* oci_store_int.h — what the store's files (oci_store.c, oci_index.c,
 * oci_txn.c) share: the store itself, its paths, staging, the lock and
 * index.json. Not part of the API. */
#ifndef WASM_BPF_OCI_STORE_INT_H
#define WASM_BPF_OCI_STORE_INT_H

#include <cjson/cJSON.h>

#include "oci/oci.h"

struct oci_store {
	char *dir;
	int lockfd; /* flock: shared to read index.json, exclusive to change it
		     */
};

/* "store: WHAT PATH: strerror(errno)" into e; returns -errno. */
int store_sys_err(struct oci_err *e, const char *what, const char *path);
/* PATH_MAX buffers. */
void store_path_of(const struct oci_store *s, const char *rel, char *buf);
void store_blob_path(const struct oci_store *s, const char *digest, char *buf);
int store_fsync_dir(const char *dir);
/* A temporary file in ingest/ holding buf, synced, open and flock'ed. */
int store_stage(struct oci_store *s, const void *buf, size_t len, char *tmp,
		int *fdp);
/* buf as the file `rel` of the store, by a staged file and a rename. */
int store_write_atomic(struct oci_store *s, const char *rel, const void *buf,
		       size_t len);
/* flock with a message in e when it fails. */
int store_lock(struct oci_store *s, int how, struct oci_err *e);
void store_unlock(struct oci_store *s);
cJSON *store_read_index(struct oci_store *s, struct oci_err *e);
int store_write_index(struct oci_store *s, cJSON *j, struct oci_err *e);
/* Points `name` at d in the parsed index (replacing its old entry). */
void store_set_entry(cJSON *idx, const char *name, const struct oci_desc *d);

#endif
