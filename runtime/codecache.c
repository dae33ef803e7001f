/* codecache.c — the cache of compiled code: a module compiled once loads
 * its machine code on later runs instead of compiling again (bootstrap:
 * ~1.5 ms of CPU at every start).
 *
 * An entry is <cache>/code/<SHA-256 of the engine's code id (with
 * whether the code counts fuel) and the module's bytes>: the engine's saved code (wasm_module__save_code) and a
 * CRC-32 of it. The code id names the build (its GNU build id), the CPU
 * features the code uses and the memory checks, so a rebuilt runtime or
 * another machine never reads an entry it did not write. The directory
 * rules are the BTF cache's (bpf_cache.h): only an entry that is ours,
 * private, in a directory of ours, is read — its machine code runs as the
 * runtime's own, so it is trusted like the binary: anyone who can write
 * there could already run code as this user. A damaged entry (CRC), one
 * the engine refuses, or one not ours is replaced by a fresh compile.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bpf/bpf_cache.h"
#include "runtime/codecache.h"

#define CODE_MAX_FILE (256u << 20)

struct codecache {
	char top[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	bool verbose;
};
#define cc codecache

static void cc_note(const struct cc *c, const char *what)
{
	if (c->verbose)
		fprintf(stderr, "wasm_bpf: compiled-code cache: %s %s\n", what,
			c->path);
}

/* dir and path of the entry; false when there can be none. */
static bool cc_paths(struct cc *c, const char *top, const void *bytes,
		     size_t len, const struct wasm_load_opts *lo)
{
	char id[128], hex[65];

	if (!top || wasm_engine__code_id(lo, id, sizeof(id)))
		return false;
	bpf_cache__key((struct bpf_cache_part[]){{id, strlen(id) + 1},
						 {bytes, len}},
		       2, hex);
	return snprintf(c->dir, sizeof(c->dir), "%s/code", top) <
		   (int)sizeof(c->dir) &&
	       snprintf(c->path, sizeof(c->path), "%s/%s", c->dir, hex) <
		   (int)sizeof(c->path);
}

/* The module's code with its CRC-32 into a fresh entry. */
static void cc_store(struct cc *c, const struct wasm_module *m)
{
	char tmp[PATH_MAX];
	uint8_t *buf = NULL, *p = NULL;
	size_t n = 0, gone;
	int fd = -1;

	if (wasm_module__save_code(m, (void **)&buf, &n) ||
	    !(p = realloc(buf, n + 4)) ||
	    (fd = bpf_cache__tmp(c->top, c->dir, tmp, sizeof(tmp))) < 0) {
		free(p ? p : buf);
		return;
	}
	buf = p;
	uint32_t crc = (uint32_t)crc32_z(0, buf, n);
	memcpy(buf + n, &crc, 4);
	if (!bpf_cache__commit(fd, tmp, c->dir, c->path, buf, n + 4, &gone))
		cc_note(c, "miss: wrote");
	free(buf);
}

/* A load that would compile up front (not interpreted, nor lazy) runs
 * tiered instead when nothing valid is cached: start-up interprets what
 * runs only a few times rather than compiling every function first. */
static int tier_of(const struct wasm_load_opts *lo)
{
	char id[128];
	if (lo->code || wasm_engine__code_id(lo, id, sizeof(id)))
		return lo->tier;
	return WASM_TIER_TIERED;
}

struct wasm_module *codecache__load(const void *bytes, size_t len,
				    const char *top, bool verbose, int tier,
				    bool fuel, struct wasm_error *err,
				    struct codecache **later)
{
	struct wasm_load_opts lo = {.sz = sizeof(lo), .tier = tier,
				    .fuel = fuel};
	struct cc *c = calloc(1, sizeof(*c)); /* paths: not on the stack */
	struct wasm_module *m;
	uint8_t *buf = NULL;
	size_t n = 0;
	uint32_t crc;

	if (later)
		*later = NULL;
	if (c && (!cc_paths(c, top, bytes, len, &lo) ||
		  snprintf(c->top, sizeof(c->top), "%s", top) >=
		      (int)sizeof(c->top)))
		c->path[0] = 0;
	else if (c) {
		c->verbose = verbose;
		if (bpf_cache__dir_ok(top, c->dir) ||
		    bpf_cache__read(c->path, CODE_MAX_FILE, &buf, &n) == -EPERM)
			cc_note(c, "not ours or not private:");
		if (buf && n >= 4 &&
		    (memcpy(&crc, buf + n - 4, 4),
		     crc == crc32_z(0, buf, n - 4))) {
			lo.code = buf;
			lo.code_len = n - 4;
		}
	}
	lo.tier = tier_of(&lo);
	m = wasm_module__load(bytes, len, &lo, err);
	if (m && c && c->path[0]) {
		if (wasm_module__code_loaded(m))
			cc_note(c, "hit:");
		else if (buf)
			cc_note(c, "damaged or refused, replacing:");
		/* bpf_cache__tmp checks the directories again, as a store
		 * needs: an unsafe one gets no entry */
		if (wasm_module__code_loaded(m))
			;
		else if (lo.tier == WASM_TIER_TIERED && later)
			*later = c, c = NULL;
		else
			cc_store(c, m);
	}
	free(buf);
	free(c);
	return m;
}

void codecache__store(struct codecache *c, const struct wasm_module *m)
{
	if (c && m)
		cc_store(c, m);
	free(c);
}
