/* bpf_cache.h — the rules of wasm-bpf's cache directory (bpf_cachefile.c),
 * shared by the CO-RE BTF cache (bpf_btfcache.c) and the runtime's cache
 * of compiled code (runtime/codecache.c): where it is, which directories
 * and files are trusted (ours, private), atomic writes, and the cap on
 * entries per directory (least recently used go first), entry names.
 */
#ifndef WASM_BPF_BPF_CACHE_H
#define WASM_BPF_BPF_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* $WASM_BPF_CACHE_DIR, /var/cache/wasm-bpf as root, else
 * $XDG_CACHE_HOME/wasm-bpf or ~/.cache/wasm-bpf (malloc'ed), or NULL. */
char *bpf_cache__default_dir(void);
/* 0 if `dir`, an entry directory under `top`, may be read: both safe
 * (top ours and not writable by others, or sticky; dir ours, 0700, not a
 * link) or dir missing; -EPERM otherwise. */
int bpf_cache__dir_ok(const char *top, const char *dir);
/* The whole file at `path` (at most `max` bytes) if it is a regular file
 * of ours that only we can read, malloc'ed into *buf; its time set to now
 * (a use, for the cap). 0, -ENOENT, -EPERM (not ours, or a link),
 * -EBADMSG (larger than max), -errno. */
int bpf_cache__read(const char *path, size_t max, uint8_t **buf, size_t *len);
/* A private (0600) temporary file in `dir` under `top`, dir made (0700)
 * if missing and both checked as above; its name in tmp. The descriptor,
 * or a negative errno. */
int bpf_cache__tmp(const char *top, const char *dir, char *tmp, size_t size);
/* Writes `len` bytes to fd (from bpf_cache__tmp) and closes it, then
 * renames tmp to `path` in dir, so readers see the old file or the whole
 * new one (tmp is removed on failure). Then at most the cap of entries
 * (WASM_BPF_CACHE_MAX_ENTRIES, else 128) stay in dir, those used least
 * recently going first; *evicted says how many went. 0 or -errno. */
int bpf_cache__commit(int fd, const char *tmp, const char *dir,
		      const char *path, const void *buf, size_t len,
		      size_t *evicted);

/* An entry's name: the SHA-256 of `n` byte ranges one after the other,
 * as 64 lowercase hex digits and a null. */
struct bpf_cache_part {
	const void *p;
	size_t len;
};
void bpf_cache__key(const struct bpf_cache_part *parts, int n, char hex[65]);

#endif
