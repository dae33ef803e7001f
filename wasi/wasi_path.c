/* wasi_path.c — the path_* calls of wasi_snapshot_preview1 and the
 * sandbox they rely on. A guest path is always taken relative to a
 * directory descriptor the guest holds and is resolved by the kernel with
 * openat2(RESOLVE_BENEATH): `..`, absolute paths and symlinks cannot leave
 * that directory. Calls that act on a name resolve its parent that way,
 * then use the *at syscall on the last component alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* A guest path split for an *at call: `dir` is the resolved parent (an
 * O_PATH descriptor beneath the guest's directory), `last` its last
 * component (trailing slashes kept: the kernel gives them meaning). */
struct wpath {
	int dir;
	const char *last;
	char path[PATH_MAX + 1];
};

/* openat2 beneath `base`: a WASI errno on failure. Leaving the tree is a
 * missing capability, whatever way it was tried. Only an O_PATH open is
 * retried on EINTR here: others can block (a FIFO without a peer) and
 * their caller asks whether a stop interrupted them. */
static int open_beneath(int base, const char *path, int flags, mode_t mode,
			int *out)
{
	struct open_how how = {
	    .flags = flags | O_CLOEXEC,
	    .mode = (flags & O_CREAT) ? mode : 0,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	do
		fd = syscall(SYS_openat2, base, path, &how, sizeof(how));
	while (fd < 0 && errno == EINTR && (flags & O_PATH));
	if (fd < 0)
		return errno == EXDEV ? WE_NOTCAPABLE : wasi_errno(errno);
	*out = fd;
	return 0;
}

/* Copies the guest's path; embedded NULs would silently cut it short. */
static int copy_path(struct wasm_instance *inst, uint32_t ptr, uint32_t len,
		     char *buf)
{
	const char *p;

	if (len > PATH_MAX)
		return WE_NAMETOOLONG;
	p = wasi_mem(inst, ptr, len);
	if (!p)
		return WE_FAULT;
	if (memchr(p, 0, len))
		return WE_INVAL;
	memcpy(buf, p, len);
	buf[len] = 0;
	return len ? 0 : WE_NOENT;
}

static bool is_dot_or_dotdot(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') ||
	       (n == 2 && s[0] == '.' && s[1] == '.');
}

/* Splits w->path in place and resolves the parent beneath `base`. */
static int split_resolve(int base, struct wpath *w)
{
	char *p = w->path, *end = p + strlen(p), *slash;
	static char dot[] = ".";
	int err;

	while (end > p + 1 && end[-1] == '/')
		end--;
	for (slash = end; slash > p && slash[-1] != '/'; slash--)
		;
	if (is_dot_or_dotdot(slash, end - slash) || slash == end) {
		/* "a/..", "/": the whole path is the directory acted on. */
		w->last = dot;
		return open_beneath(base, p, O_PATH | O_DIRECTORY, 0, &w->dir);
	}
	w->last = slash;
	if (slash == p)
		return open_beneath(base, ".", O_PATH | O_DIRECTORY, 0,
				    &w->dir);
	/* Cut after the slash: "a/b" -> "a/", "/b" -> "/". */
	memmove(slash + 1, slash, strlen(slash) + 1);
	w->last = slash + 1;
	*slash = 0;
	err = open_beneath(base, p, O_PATH | O_DIRECTORY, 0, &w->dir);
	return err;
}

/* The common start of every path call: rights on `fd`, the path copied
 * and its parent resolved. On success w->dir must be closed. */
static int path_at(struct wasi_ctx *c, struct wasm_instance *inst, uint32_t fd,
		   uint64_t rights, uint32_t ptr, uint32_t len, struct wpath *w)
{
	struct wasi_fd *f;
	int err;

	w->dir = -1;
	f = wasi_fd_get(c, fd, rights, &err);
	if (!f)
		return err;
	if (len >= PATH_MAX) /* room for the split's extra NUL */
		return WE_NAMETOOLONG;
	err = copy_path(inst, ptr, len, w->path);
	return err ? err : split_resolve(f->host, w);
}

/* The whole path opened O_PATH beneath `fd`'s directory, following a
 * final symlink or not. */
static int target_at(struct wasi_ctx *c, struct wasm_instance *inst,
		     uint32_t fd, uint64_t rights, bool follow, uint32_t ptr,
		     uint32_t len, int *out)
{
	char path[PATH_MAX + 1];
	struct wasi_fd *f;
	int err;

	f = wasi_fd_get(c, fd, rights, &err);
	if (!f)
		return err;
	err = copy_path(inst, ptr, len, path);
	if (err)
		return err;
	return open_beneath(f->host, path, O_PATH | (follow ? 0 : O_NOFOLLOW),
			    0, out);
}

static int done(struct wpath *w, int r)
{
	int e = errno;

	if (w->dir >= 0)
		close(w->dir);
	return r ? wasi_errno(e) : 0;
}

static void proc_fd_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static int path_create_directory(struct wasi_ctx *c, struct wasm_instance *i,
				 uint64_t *a)
{
	struct wpath w;
	int err = path_at(c, i, a[0], WR_PATH_CREATE_DIRECTORY, a[1], a[2], &w);

	if (err)
		return err;
	return done(&w, mkdirat(w.dir, w.last, 0777));
}

static int path_unlink_file(struct wasi_ctx *c, struct wasm_instance *i,
			    uint64_t *a)
{
	struct wpath w;
	int err = path_at(c, i, a[0], WR_PATH_UNLINK_FILE, a[1], a[2], &w);

	if (err)
		return err;
	return done(&w, unlinkat(w.dir, w.last, 0));
}

static int path_remove_directory(struct wasi_ctx *c, struct wasm_instance *i,
				 uint64_t *a)
{
	struct wpath w;
	int err = path_at(c, i, a[0], WR_PATH_REMOVE_DIRECTORY, a[1], a[2], &w);

	if (err)
		return err;
	return done(&w, unlinkat(w.dir, w.last, AT_REMOVEDIR));
}

static int path_readlink(struct wasi_ctx *c, struct wasm_instance *i,
			 uint64_t *a)
{
	uint8_t *buf = wasi_mem(i, a[3], a[4]), *used = wasi_mem(i, a[5], 4);
	struct wpath w;
	ssize_t n;
	int err;

	if (!buf || !used)
		return WE_FAULT;
	err = path_at(c, i, a[0], WR_PATH_READLINK, a[1], a[2], &w);
	if (err)
		return err;
	n = readlinkat(w.dir, w.last, (char *)buf, (uint32_t)a[4]);
	if (n >= 0)
		put_u32(used, n);
	return done(&w, n < 0);
}

static int path_symlink(struct wasi_ctx *c, struct wasm_instance *i,
			uint64_t *a)
{
	char target[PATH_MAX + 1];
	struct wpath w;
	int err = copy_path(i, a[0], a[1], target);

	if (err)
		return err;
	err = path_at(c, i, a[2], WR_PATH_SYMLINK, a[3], a[4], &w);
	if (err)
		return err;
	/* An absolute target can only name something outside the sandbox
	 * (the guest's "/" is not the host's). */
	if (target[0] == '/')
		return done(&w, 0), WE_PERM;
	return done(&w, symlinkat(target, w.dir, w.last));
}

static int path_rename(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	struct wpath from, to;
	int err, r;

	err = path_at(c, i, a[0], WR_PATH_RENAME_SOURCE, a[1], a[2], &from);
	if (err)
		return err;
	err = path_at(c, i, a[3], WR_PATH_RENAME_TARGET, a[4], a[5], &to);
	if (err)
		return done(&from, 0), err;
	r = renameat(from.dir, from.last, to.dir, to.last);
	err = done(&to, r);
	done(&from, 0);
	return err;
}

static int path_link(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	char proc[64];
	struct wpath from, to;
	int err, r, src = -1;

	err = path_at(c, i, a[4], WR_PATH_LINK_TARGET, a[5], a[6], &to);
	if (err)
		return err;
	if (a[1] & WL_SYMLINK_FOLLOW) {
		/* Link what the symlink names, found beneath the preopen. */
		err = target_at(c, i, a[0], WR_PATH_LINK_SOURCE, true, a[2],
				a[3], &src);
		if (err)
			return done(&to, 0), err;
		proc_fd_path(proc, sizeof(proc), src);
		r = linkat(AT_FDCWD, proc, to.dir, to.last, AT_SYMLINK_FOLLOW);
		err = done(&to, r);
		close(src);
		return err;
	}
	err = path_at(c, i, a[0], WR_PATH_LINK_SOURCE, a[2], a[3], &from);
	if (err)
		return done(&to, 0), err;
	r = linkat(from.dir, from.last, to.dir, to.last, 0);
	err = done(&to, r);
	done(&from, 0);
	return err;
}

static int path_filestat_get(struct wasi_ctx *c, struct wasm_instance *i,
			     uint64_t *a)
{
	uint8_t *out = wasi_mem(i, a[4], 64);
	struct stat st;
	int err, fd, r;

	if (!out)
		return WE_FAULT;
	err = target_at(c, i, a[0], WR_PATH_FILESTAT_GET,
			a[1] & WL_SYMLINK_FOLLOW, a[2], a[3], &fd);
	if (err)
		return err;
	r = fstat(fd, &st);
	err = r ? wasi_errno(errno) : 0;
	close(fd);
	if (!err)
		wasi_put_filestat(out, &st, wasi_filetype(-1, &st));
	return err;
}

static int path_filestat_set_times(struct wasi_ctx *c, struct wasm_instance *i,
				   uint64_t *a)
{
	struct timespec ts[2];
	char proc[64];
	struct wpath w;
	int err, fd, r;

	err = wasi_times(a[4], a[5], a[6], ts);
	if (err)
		return err;
	if (a[1] & WL_SYMLINK_FOLLOW) {
		err = target_at(c, i, a[0], WR_PATH_FILESTAT_SET_TIMES, true,
				a[2], a[3], &fd);
		if (err)
			return err;
		proc_fd_path(proc, sizeof(proc), fd);
		r = utimensat(AT_FDCWD, proc, ts, 0);
		err = r ? wasi_errno(errno) : 0;
		close(fd);
		return err;
	}
	err = path_at(c, i, a[0], WR_PATH_FILESTAT_SET_TIMES, a[2], a[3], &w);
	if (err)
		return err;
	return done(&w, utimensat(w.dir, w.last, ts, AT_SYMLINK_NOFOLLOW));
}

/* ---- path_open ---------------------------------------------------------- */

#define WR_WANTS_READ (WR_FD_READ | WR_FD_READDIR)
#define WR_WANTS_WRITE                                                         \
	(WR_FD_WRITE | WR_FD_DATASYNC | WR_FD_ALLOCATE |                       \
	 WR_FD_FILESTAT_SET_SIZE)

static int open_flags(uint32_t dirflags, uint32_t oflags, uint32_t fdflags,
		      uint64_t rights)
{
	bool rd = rights & WR_WANTS_READ, wr = rights & WR_WANTS_WRITE;
	int fl = O_NOCTTY;

	/* A directory cannot be opened for writing, and its own rights
	 * include some write ones (datasync): only FD_WRITE asks to write
	 * it, and gets EISDIR as natively. */
	if (oflags & WO_DIRECTORY)
		wr = rights & WR_FD_WRITE;
	fl |= rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
	if (oflags & WO_CREAT)
		fl |= O_CREAT;
	if (oflags & WO_DIRECTORY)
		fl |= O_DIRECTORY;
	if (oflags & WO_EXCL)
		fl |= O_EXCL;
	if (oflags & WO_TRUNC)
		fl |= O_TRUNC;
	if (fdflags & WFD_APPEND)
		fl |= O_APPEND;
	if (fdflags & WFD_NONBLOCK)
		fl |= O_NONBLOCK;
	if (fdflags & WFD_DSYNC)
		fl |= O_DSYNC;
	if (fdflags & (WFD_SYNC | WFD_RSYNC))
		fl |= O_SYNC;
	if (!(dirflags & WL_SYMLINK_FOLLOW))
		fl |= O_NOFOLLOW;
	return fl;
}

static uint64_t open_needs(uint32_t oflags, uint32_t fdflags)
{
	uint64_t r = WR_PATH_OPEN;

	if (oflags & WO_CREAT)
		r |= WR_PATH_CREATE_FILE;
	if (oflags & WO_TRUNC)
		r |= WR_PATH_FILESTAT_SET_SIZE;
	return r;
}

static int path_open(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	uint32_t oflags = a[4], fdflags = a[7], nfd;
	uint8_t *out = wasi_mem(i, a[8], 4);
	char path[PATH_MAX + 1];
	uint64_t rb, ri;
	struct wasi_fd *dir;
	struct stat st;
	uint8_t type;
	int err, h, fl;

	dir = wasi_fd_get(c, a[0], open_needs(oflags, fdflags), &err);
	if (!dir)
		return err;
	if (!out)
		return WE_FAULT;
	err = copy_path(i, a[2], a[3], path);
	if (err)
		return err;
	/* A new descriptor gets what was asked for and the directory
	 * allows to inherit, nothing more. */
	rb = a[5] & dir->rights_inheriting;
	ri = a[6] & dir->rights_inheriting;
	fl = open_flags(a[1], oflags, fdflags, rb);
	while ((err = open_beneath(dir->host, path, fl, 0666, &h)) == WE_INTR) {
		err = wasi_stop_check(i);
		if (err)
			return err;
	}
	/* The same for a directory reached without O_DIRECTORY, such as a
	 * preopen reopened with the rights it has. */
	if (err == WE_ISDIR && !(rb & WR_FD_WRITE))
		err = open_beneath(dir->host, path,
				   (fl & ~O_ACCMODE) | O_RDONLY, 0666, &h);
	if (err)
		return err;
	if (fstat(h, &st)) {
		err = wasi_errno(errno);
		close(h);
		return err;
	}
	type = wasi_filetype(h, &st);
	err =
	    wasi_fd_alloc(c, h, type, rb & wasi_type_rights(h, type), ri, &nfd);
	if (err) {
		close(h);
		return err;
	}
	put_u32(out, nfd);
	return 0;
}

const struct wasi_def wasi_path_defs[] = {
    {"path_create_directory", "iii->i", path_create_directory},
    {"path_filestat_get", "iiiii->i", path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi->i", path_filestat_set_times},
    {"path_link", "iiiiiii->i", path_link},
    {"path_open", "iiiiiIIii->i", path_open},
    {"path_readlink", "iiiiii->i", path_readlink},
    {"path_remove_directory", "iii->i", path_remove_directory},
    {"path_rename", "iiiiii->i", path_rename},
    {"path_symlink", "iiiii->i", path_symlink},
    {"path_unlink_file", "iii->i", path_unlink_file},
    {NULL, NULL, NULL},
};
