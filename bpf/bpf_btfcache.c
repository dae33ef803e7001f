/* bpf_btfcache.c — the on-disk cache of minimal CO-RE BTFs (bpf_btfmin.c
 * makes them): which objects may use one, the key and place of an entry
 * (SHA-256 of what the minimal BTF is made from), its file format (a raw
 * BTF whose last string holds a CRC-32 of the file), and removal after a
 * load with it failed; bpf_cachefile.c's rules for the directory (atomic
 * writes, the checks before use, the cap on entries per kernel). Parsing the whole vmlinux BTF costs ~40 ms and ~11 MB; an entry
 * is a few hundred bytes. Every problem here only means the object is
 * loaded with the full kernel BTF, as without a cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <bpf/btf.h>
#include "bpf/bpf_cache.h"
#include "bpf/bpf_internal.h"

#define BC_VMLINUX "/sys/kernel/btf/vmlinux"
#define BC_NOTES   "/sys/kernel/notes"
/* Part of every file name: a change of what entries hold, or of which
 * objects get one, takes a new number so old entries are never read. */
#define BC_VERSION 2
/* The last string of an entry: this prefix and 8 hex digits. */
#define BC_TAG		     "wasm-bpf-btfmin-crc32:"
#define BC_TAG_LEN	     (sizeof(BC_TAG) - 1 + 8 + 1)
#define BC_MAX_FILE	     (64u << 20)
#define NT_GNU_BUILD_ID_TYPE 3
/* One lookup. */
struct bc {
	struct bpf_host *h;
	struct bpf_object *obj; /* opened without BTF path, for the checks */
	const void *ext;	/* its .BTF.ext */
	size_t ext_len;
	char top[PATH_MAX];  /* the cache directory */
	char dir[PATH_MAX];  /* top/<kernel build id>-<BTF size> */
	char path[PATH_MAX]; /* dir/<SHA-256 key>-v<version>.btf */
	char none[PATH_MAX]; /* dir/<object key>-v<version>.none: no entry */
	char why[PATH_MAX + 256]; /* verbose: why no entry is used */
};

static void bc_note(const struct bpf_host *h, const char *fmt, ...)
{
	va_list ap;

	if (!h->verbose)
		return;
	va_start(ap, fmt);
	fputs("wasm_bpf: CO-RE BTF cache: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- which objects ------------------------------------------------------- */

/* A typed __ksym extern (a variable of a known type, or a kfunc) makes
 * libbpf look it up in the kernel's BTF. */
static bool bc_has_typed_ksym(const struct btf *btf)
{
	int id = btf ? btf__find_by_name_kind(btf, ".ksyms", BTF_KIND_DATASEC)
		     : -ENOENT;
	const struct btf_type *sec = id > 0 ? btf__type_by_id(btf, id) : NULL;

	for (int i = 0; sec && i < btf_vlen(sec); i++) {
		const struct btf_type *v =
		    btf__type_by_id(btf, btf_var_secinfos(sec)[i].type);

		if (!v || btf_is_func(v))
			return true;
		if (btf_is_var(v) && btf__resolve_type(btf, v->type) != 0)
			return true;
	}
	return false;
}

/* Whether libbpf would load the whole vmlinux BTF for this object even
 * with a custom CO-RE BTF (programs that attach by BTF id, struct_ops,
 * typed ksyms): then an entry would only add to the cost. */
static bool bc_needs_vmlinux(struct bc *c)
{
	struct bpf_program *p;
	struct bpf_map *m;

	bpf_object__for_each_program(p, c->obj) {
		enum bpf_prog_type t = bpf_program__type(p);

		if (!bpf_program__autoload(p))
			continue;
		if (t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_LSM ||
		    t == BPF_PROG_TYPE_EXT || t == BPF_PROG_TYPE_STRUCT_OPS) {
			snprintf(c->why, sizeof(c->why),
				 "program '%s' attaches by kernel BTF id",
				 bpf_program__name(p));
			return true;
		}
	}
	bpf_object__for_each_map(m, c->obj) {
		if (bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS) {
			snprintf(c->why, sizeof(c->why), "struct_ops map '%s'",
				 bpf_map__name(m));
			return true;
		}
	}
	if (bc_has_typed_ksym(bpf_object__btf(c->obj))) {
		snprintf(c->why, sizeof(c->why), "typed __ksym extern");
		return true;
	}
	return false;
}

/* ---- keys and places --------------------------------------------------- */

/* "<GNU build id in hex>-<size of the vmlinux BTF>": a rebuilt kernel
 * has another build id; the size is a cheap second check that the BTF
 * read at miss time is still the one the entry was cut from. */
static int bc_kernel_id(char *buf, size_t size)
{
	uint8_t notes[4096];
	struct stat st;
	ssize_t n;
	size_t at = 0;
	int fd;

	if (stat(BC_VMLINUX, &st))
		return -errno;
	fd = open(BC_NOTES, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, notes, sizeof(notes));
	close(fd);
	while (n > 0 && (size_t)n - at >= 12) {
		uint32_t h[3], name_sz, desc_sz;

		memcpy(h, notes + at, sizeof(h));
		name_sz = (h[0] + 3) & ~3u;
		desc_sz = (h[1] + 3) & ~3u;
		at += 12;
		if (h[0] > 4096 || h[1] > 4096 ||
		    name_sz + desc_sz > (size_t)n - at)
			break;
		if (h[2] == NT_GNU_BUILD_ID_TYPE && h[0] == 4 &&
		    !memcmp(notes + at, "GNU", 4) && h[1] &&
		    h[1] * 2 + 24 < size) {
			for (uint32_t i = 0; i < h[1]; i++)
				sprintf(buf + 2 * i, "%02x",
					notes[at + name_sz + i]);
			snprintf(buf + 2 * h[1], size - 2 * h[1], "-%lld",
				 (long long)st.st_size);
			return 0;
		}
		at += name_sz + desc_sz;
	}
	return -ENOENT;
}

/* SHA-256 of what bh_btfmin_build reads of the object: its BTF as libbpf
 * holds it after open and its .BTF.ext, each preceded by its length. Bytes
 * nothing reads (trailing garbage, code, other sections) do not change the
 * key, and no one can make another object with the same key. */
static void bc_key(struct bc *c, char *hex)
{
	const struct btf *btf = bpf_object__btf(c->obj);
	uint32_t btf_len = 0;
	const void *raw = btf ? btf__raw_data(btf, &btf_len) : NULL;
	uint64_t n1 = raw ? btf_len : 0, n2 = c->ext_len;
	struct bpf_cache_part parts[] = {
	    {&n1, sizeof(n1)}, {raw, n1}, {&n2, sizeof(n2)}, {c->ext, n2}};

	bpf_cache__key(parts, 4, hex);
}

/* Names an entry: the kernel's directory, the key, the format version. */
static int bc_paths(struct bc *c)
{
	char kid[160], key[65];
	int err = bc_kernel_id(kid, sizeof(kid)), n1, n2, n3;

	if (err) {
		snprintf(c->why, sizeof(c->why),
			 "no kernel build id in " BC_NOTES);
		return err;
	}
	bc_key(c, key);
	n1 = snprintf(c->dir, sizeof(c->dir), "%s/%s", c->top, kid);
	n2 = snprintf(c->path, sizeof(c->path), "%s/%s-v%d.btf", c->dir, key,
		      BC_VERSION);
	n3 = snprintf(c->none, sizeof(c->none), "%.*s.none",
		      (int)strlen(c->path) - 4, c->path);
	if (n1 < 0 || n2 < 0 || n3 < 0 || (size_t)n2 >= sizeof(c->path) ||
	    (size_t)n3 >= sizeof(c->none)) {
		snprintf(c->why, sizeof(c->why), "cache path too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

/* ---- entries ------------------------------------------------------------- */

/* Checks a whole entry in memory: a raw BTF header that adds up to the
 * size, and the CRC-32 of the file (tag digits read as zeros). */
static int bc_verify(uint8_t *buf, size_t n)
{
	struct btf_header hdr;
	uint8_t *tag = buf + n - BC_TAG_LEN;
	unsigned long want;
	char hex[9];

	if (n < sizeof(hdr) + BC_TAG_LEN)
		return -EBADMSG;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != BTF_MAGIC || hdr.version != BTF_VERSION ||
	    hdr.hdr_len < sizeof(hdr) || hdr.hdr_len > n ||
	    (uint64_t)hdr.str_off + hdr.str_len != n - hdr.hdr_len ||
	    (uint64_t)hdr.type_off + hdr.type_len > n - hdr.hdr_len)
		return -EBADMSG;
	if (memcmp(tag, BC_TAG, sizeof(BC_TAG) - 1) || buf[n - 1])
		return -EBADMSG;
	memcpy(hex, tag + sizeof(BC_TAG) - 1, 8);
	hex[8] = 0;
	want = strtoul(hex, NULL, 16);
	memset(tag + sizeof(BC_TAG) - 1, '0', 8);
	return crc32_z(0, buf, n) == want ? 0 : -EBADMSG;
}

/* 0 if `path` holds an entry we wrote, intact (its time is then set to
 * now: the least recently used go first); -ENOENT if there is none;
 * -EBADMSG if it is damaged; -EPERM if we did not make it (another owner,
 * readable or writable by others, not a regular file). */
static int bc_check(const char *path)
{
	uint8_t *buf;
	size_t n;
	int err = bpf_cache__read(path, BC_MAX_FILE, &buf, &n);

	err = err ? err : bc_verify(buf, n);
	free(buf);
	return err;
}

/* The raw data of `btf` with its tag (malloc'ed): CRC-32 over the file
 * with the tag's digits as zeros. Fails if the tag string is not last
 * (libbpf appends new strings, so it always is). */
static int bc_btf_bytes(struct btf *btf, uint8_t **out, uint32_t *n)
{
	const uint8_t *raw;
	uint8_t *buf;
	char hex[9];

	if (btf__add_str(btf, BC_TAG "00000000") < 0)
		return -ENOMEM;
	raw = btf__raw_data(btf, n);
	if (!raw || *n < BC_TAG_LEN ||
	    memcmp(raw + *n - BC_TAG_LEN, BC_TAG "00000000", BC_TAG_LEN))
		return -EFAULT;
	buf = malloc(*n);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, raw, *n);
	snprintf(hex, sizeof(hex), "%08lx", crc32_z(0, buf, *n));
	memcpy(buf + *n - 9, hex, 8);
	*out = buf;
	return 0;
}

/* ---- making an entry ----------------------------------------------------- */

/* Builds the entry for the object from the vmlinux BTF and renames it into
 * place. When the object cannot have one (bh_btfmin_build says so, which
 * depends only on the object and the kernel), an empty .none file says so
 * to later runs, which then do not parse vmlinux for nothing. */
static int bc_fill(struct bc *c)
{
	char tmp[PATH_MAX];
	struct btf *kern, *min = NULL;
	int fd = bpf_cache__tmp(c->top, c->dir, tmp, sizeof(tmp)), err;
	uint8_t *buf = NULL;
	uint32_t n = 0;
	size_t gone = 0;

	if (fd < 0) {
		snprintf(c->why, sizeof(c->why), "cannot write to %s: %s",
			 c->dir, strerror(-fd));
		return fd;
	}
	kern = btf__load_vmlinux_btf();
	err = kern ? bh_btfmin_build(bpf_object__btf(c->obj), c->ext,
				     c->ext_len, kern, &min)
		   : -errno;
	btf__free(kern);
	if (err == -ENOTSUP || err == -EINVAL || err == -E2BIG) {
		snprintf(c->why, sizeof(c->why),
			 "no minimal BTF for this object (%s), noted in %s",
			 strerror(-err), c->none);
		bpf_cache__commit(fd, tmp, c->dir, c->none, "", 0, &gone);
	} else {
		err = err ? err : bc_btf_bytes(min, &buf, &n);
		if (err) {
			close(fd);
			unlink(tmp);
		} else {
			err = bpf_cache__commit(fd, tmp, c->dir, c->path, buf,
						n, &gone);
		}
		if (err)
			snprintf(c->why, sizeof(c->why), "cannot make %s: %s",
				 c->path, strerror(-err));
		else
			bc_note(c->h, "miss: wrote %s (%u types)", c->path,
				btf__type_cnt(min) - 1);
	}
	if (gone)
		bc_note(c->h, "evicted %zu least recently used entries of %s",
			gone, c->dir);
	free(buf);
	btf__free(min);
	return err;
}

/* ---- lookup ------------------------------------------------------------ */

/* Whether the object may have an entry at all, and where it would be. */
static int bc_plan(struct bc *c, const void *elf, size_t len)
{
	int n;

	if (access(BC_VMLINUX, R_OK)) {
		snprintf(c->why, sizeof(c->why), "no " BC_VMLINUX);
		return -ENOENT;
	}
	c->obj = bpf_object__open_mem(elf, len, NULL);
	if (!c->obj)
		return -errno; /* libbpf will say why when it opens it */
	if (bh_btfmin_ext(elf, len, &c->ext, &c->ext_len) ||
	    (n = bh_btfmin_count(c->ext, c->ext_len)) < 0) {
		snprintf(c->why, sizeof(c->why), "malformed .BTF.ext");
		return -EINVAL;
	}
	if (!n) {
		snprintf(c->why, sizeof(c->why), "no CO-RE relocations");
		return -ENOENT;
	}
	if (bc_needs_vmlinux(c))
		return -ENOTSUP;
	if (snprintf(c->top, sizeof(c->top), "%s", c->h->btf_cache_dir) >=
	    (int)sizeof(c->top))
		return -ENAMETOOLONG;
	return bc_paths(c);
}

/* 0 if the .none note is there and ours (its time is then set to now, as
 * an entry's on a hit); a note someone else could have put there is
 * removed and does not count. */
static int bc_none(struct bc *c)
{
	uint8_t *buf;
	size_t n;
	int err = bpf_cache__read(c->none, 0, &buf, &n);

	free(buf);
	if (err != -EPERM && err != -EBADMSG)
		return err;
	bc_note(c->h, "ignored %s: not ours or not private", c->none);
	unlink(c->none);
	return -EPERM;
}

/* The entry if it is there, intact and ours, else a new one. Nothing is
 * read from or written to directories that are not safe (bpf_cache.h). */
static int bc_use(struct bc *c)
{
	int err;

	if (bpf_cache__dir_ok(c->top, c->dir)) {
		snprintf(c->why, sizeof(c->why),
			 "%s is not ours and private (0700), or its parent "
			 "is writable by others",
			 c->dir);
		return -EPERM;
	}
	if (!bc_none(c)) {
		snprintf(c->why, sizeof(c->why), "%s: the full BTF is needed",
			 c->none);
		return -ENOTSUP;
	}
	err = bc_check(c->path);
	if (!err) {
		bc_note(c->h, "hit: %s", c->path);
		return 0;
	}
	if (err == -EBADMSG) {
		fprintf(stderr,
			"wasm_bpf: CO-RE BTF cache: %s is damaged, "
			"replacing it\n",
			c->path);
		unlink(c->path);
	} else if (err == -EPERM) {
		bc_note(c->h, "ignored %s: not ours or not private, replacing it",
			c->path);
		unlink(c->path);
	} else if (err != -ENOENT) {
		snprintf(c->why, sizeof(c->why), "cannot read %s: %s", c->path,
			 strerror(-err));
		return err;
	}
	return bc_fill(c);
}

char *bh_btfcache_lookup(struct bpf_host *h, const void *elf, size_t len)
{
	struct bc *c; /* large (paths): not on the guest's stack */
	char *path = NULL;
	int err;

	if (h->btf_path || !h->btf_cache_dir)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->h = h;
	err = bc_plan(c, elf, len);
	if (!err)
		err = bc_use(c);
	if (err && c->why[0])
		bc_note(h, "not used: %s", c->why);
	if (!err)
		path = strdup(c->path);
	bpf_object__close(c->obj);
	free(c);
	return path;
}

void bh_btfcache_failed(struct bpf_host *h, const char *path, int err,
			int full_err)
{
	char msg[128];

	libbpf_strerror(err, msg, sizeof(msg));
	if (!full_err)
		fprintf(stderr,
			"wasm_bpf: CO-RE BTF cache: loading with %s failed: "
			"%s (%d); loaded with the full kernel BTF instead, "
			"entry removed\n",
			path, msg, err);
	else
		bc_note(h,
			"loading with %s failed: %s (%d), and with the full "
			"BTF too; entry removed",
			path, msg, err);
	unlink(path);
}
