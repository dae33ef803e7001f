/* wasi_fd.c — the fd_* calls of wasi_snapshot_preview1: I/O, seeking,
 * descriptor flags and rights, file status, directory reading and the
 * preopen queries. Rights are checked before anything touches the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

#define SLICE_MS 50 /* how often a blocked read looks for an interrupt */

int wasi_stop_check(struct wasm_instance *inst)
{
	if (wasm_instance__interrupt_requested(inst))
		return WASI_STOP(WASM_INTERRUPTED);
	return wasm_instance__cancel_requested(inst) ? WE_INTR : 0;
}

/* Before a read that could block for ever (a terminal, a pipe), wait in
 * short slices so a stop asked from another thread is seen even if its
 * wake-up signal came just before the wait. Data already there is read
 * during a graceful stop: only waiting is cut short. */
int wasi_wait_readable(struct wasm_instance *inst, const struct wasi_fd *f)
{
	struct pollfd p = {.fd = f->host, .events = POLLIN};
	int fl, r, stop;

	if (f->filetype == WF_REGULAR_FILE || f->filetype == WF_DIRECTORY)
		return 0;
	fl = fcntl(f->host, F_GETFL);
	if (fl < 0 || (fl & O_NONBLOCK))
		return 0;
	for (;;) {
		stop = wasi_stop_check(inst);
		if (stop < 0)
			return stop;
		r = poll(&p, 1, stop ? 0 : SLICE_MS);
		if (r > 0 || (r < 0 && errno != EINTR))
			return 0; /* ready, or an error read() will report */
		if (stop)
			return stop;
	}
}

struct io_args {
	struct wasi_fd *f;
	struct iovec *iov;
	uint32_t niov;
	uint8_t *result; /* guest u32 for the byte count */
};

static int io_prepare(struct wasi_ctx *ctx, struct wasm_instance *inst,
		      uint64_t *a, uint64_t rights, uint32_t presult,
		      struct io_args *io)
{
	int err;

	io->f = wasi_fd_get(ctx, a[0], rights, &err);
	if (!io->f)
		return err;
	io->result = wasi_mem(inst, presult, 4);
	io->niov = a[2];
	io->iov = io->result ? wasi_iovecs(inst, a[1], a[2]) : NULL;
	return io->iov ? 0 : WE_FAULT;
}

static int io_finish(struct io_args *io, ssize_t n)
{
	free(io->iov);
	if (n < 0)
		return wasi_errno(errno);
	put_u32(io->result, n);
	return 0;
}

/* fd_read/fd_write of a stream the embedder serves (wasi_cb.c). */
static int io_cb(struct wasi_ctx *c, struct wasm_instance *i,
		 struct io_args *io, bool write)
{
	uint32_t done;
	int r = write ? wasi_cb_write(c, io->f, io->iov, io->niov, &done)
		      : wasi_cb_read(c, i, io->f, io->iov, io->niov, &done);

	free(io->iov);
	if (!r)
		put_u32(io->result, done);
	return r;
}

static int fd_read(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	struct io_args io;
	ssize_t n;
	int r = io_prepare(c, i, a, WR_FD_READ, a[3], &io);

	if (r)
		return r;
	if (io.f->cb)
		return io_cb(c, i, &io, false);
	r = wasi_wait_readable(i, io.f);
	if (r) {
		free(io.iov);
		return r;
	}
	do {
		n = readv(io.f->host, io.iov, io.niov);
		if (n < 0 && errno == EINTR && (r = wasi_stop_check(i))) {
			free(io.iov);
			return r;
		}
	} while (n < 0 && errno == EINTR);
	return io_finish(&io, n);
}

static int fd_write(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	struct io_args io;
	ssize_t n;
	int r = io_prepare(c, i, a, WR_FD_WRITE, a[3], &io);

	if (r)
		return r;
	if (io.f->cb)
		return io_cb(c, i, &io, true);
	/* A graceful stop lets writes go on: they flush the guest's output.
	 * Only a hard stop cuts one short. */
	do {
		n = writev(io.f->host, io.iov, io.niov);
		if (n < 0 && errno == EINTR &&
		    wasm_instance__interrupt_requested(i)) {
			free(io.iov);
			return WASI_STOP(WASM_INTERRUPTED);
		}
	} while (n < 0 && errno == EINTR);
	return io_finish(&io, n);
}

/* pread and pwrite: the same checks around preadv or pwritev. */
static int fd_positioned(struct wasi_ctx *c, struct wasm_instance *i,
			 uint64_t *a, uint64_t right,
			 ssize_t (*io_at)(int, const struct iovec *, int, off_t))
{
	struct io_args io;
	ssize_t n;
	int r = io_prepare(c, i, a, right | WR_FD_SEEK, a[4], &io);

	if (r)
		return r;
	if ((int64_t)a[3] < 0) {
		free(io.iov);
		return WE_INVAL;
	}
	do
		n = io_at(io.f->host, io.iov, io.niov, a[3]);
	while (n < 0 && errno == EINTR);
	return io_finish(&io, n);
}

static int fd_pread(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	return fd_positioned(c, i, a, WR_FD_READ, preadv);
}

static int fd_pwrite(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	return fd_positioned(c, i, a, WR_FD_WRITE, pwritev);
}

static int fd_seek(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	static const int whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
	uint32_t w = a[2];
	/* Asking where one is needs only `tell`. */
	uint64_t need = (w == 1 && a[1] == 0) ? WR_FD_TELL : WR_FD_SEEK;
	struct wasi_fd *f;
	uint8_t *out;
	off_t off;
	int err;

	f = wasi_fd_get(c, a[0], need, &err);
	if (!f)
		return err;
	if (w > 2)
		return WE_INVAL;
	out = wasi_mem(i, a[3], 8);
	if (!out)
		return WE_FAULT;
	off = lseek(f->host, (off_t)a[1], whence[w]);
	if (off < 0)
		return wasi_errno(errno);
	put_u64(out, off);
	return 0;
}

static int fd_tell(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	struct wasi_fd *f = NULL;
	off_t off;
	int err;

	f = wasi_fd_get(c, a[0], WR_FD_TELL, &err);
	if (!f)
		return err;
	if (!wasi_mem(i, a[1], 8))
		return WE_FAULT;
	off = lseek(f->host, 0, SEEK_CUR);
	if (off < 0)
		return wasi_errno(errno);
	return wasi_out_u64(i, a[1], off);
}

static int fd_close(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	struct wasi_fd *f;
	int err;

	f = wasi_fd_get(c, a[0], 0, &err);
	if (!f)
		return err;
	wasi_fd_release(f);
	return 0;
}

static int fd_renumber(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	struct wasi_fd *from, *to;
	int err;

	from = wasi_fd_get(c, a[0], 0, &err);
	if (!from)
		return err;
	to = wasi_fd_get(c, a[1], 0, &err);
	if (!to)
		return err;
	if (from == to)
		return 0;
	wasi_fd_release(to);
	*to = *from;
	memset(from, 0, sizeof(*from));
	from->host = -1;
	from->restore_fl = -1;
	return 0;
}

static int sync_common(struct wasi_ctx *c, uint32_t fd, uint64_t right,
		       int (*fn)(int))
{
	struct wasi_fd *f;
	int err;

	f = wasi_fd_get(c, fd, right, &err);
	if (!f)
		return err;
	if (f->cb) /* the embedder has every byte already */
		return 0;
	return fn(f->host) ? wasi_errno(errno) : 0;
}

static int fd_sync(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	return sync_common(c, a[0], WR_FD_SYNC, fsync);
}

static int fd_datasync(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	return sync_common(c, a[0], WR_FD_DATASYNC, fdatasync);
}

static int fd_advise(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	static const int advice[] = {POSIX_FADV_NORMAL,	  POSIX_FADV_SEQUENTIAL,
				     POSIX_FADV_RANDOM,	  POSIX_FADV_WILLNEED,
				     POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
	struct wasi_fd *f;
	int err;

	f = wasi_fd_get(c, a[0], WR_FD_ADVISE, &err);
	if (!f)
		return err;
	if ((uint32_t)a[3] > 5)
		return WE_INVAL;
	err = posix_fadvise(f->host, a[1], a[2], advice[(uint32_t)a[3]]);
	return err ? wasi_errno(err) : 0;
}

static int fd_allocate(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	struct wasi_fd *f;
	int err;

	f = wasi_fd_get(c, a[0], WR_FD_ALLOCATE, &err);
	if (!f)
		return err;
	if ((int64_t)a[1] < 0 || (int64_t)a[2] <= 0)
		return WE_INVAL;
	err = posix_fallocate(f->host, a[1], a[2]);
	return err ? wasi_errno(err) : 0;
}

static uint16_t fdflags_of(int fl)
{
	uint16_t r = 0;

	if (fl & O_APPEND)
		r |= WFD_APPEND;
	if (fl & O_NONBLOCK)
		r |= WFD_NONBLOCK;
	if (fl & O_DSYNC)
		r |= WFD_DSYNC;
	if ((fl & O_SYNC) == O_SYNC)
		r |= WFD_SYNC | WFD_RSYNC;
	return r;
}

static int fd_fdstat_get(struct wasi_ctx *c, struct wasm_instance *i,
			 uint64_t *a)
{
	struct wasi_fd *f;
	uint8_t *p;
	int err, fl;

	f = wasi_fd_get(c, a[0], 0, &err);
	if (!f)
		return err;
	p = wasi_mem(i, a[1], 24);
	if (!p)
		return WE_FAULT;
	fl = fcntl(f->host, F_GETFL);
	memset(p, 0, 24);
	p[0] = f->filetype;
	put_u16(p + 2, f->cb ? f->cb_flags : fl < 0 ? 0 : fdflags_of(fl));
	put_u64(p + 8, f->rights_base);
	put_u64(p + 16, f->rights_inheriting);
	return 0;
}

static int fd_fdstat_set_flags(struct wasi_ctx *c, struct wasm_instance *i,
			       uint64_t *a)
{
	uint32_t want = a[1];
	struct wasi_fd *f;
	int err, fl;

	f = wasi_fd_get(c, a[0], WR_FD_FDSTAT_SET_FLAGS, &err);
	if (!f)
		return err;
	/* Linux cannot change the sync flags of an open file. */
	if (want & (WFD_DSYNC | WFD_RSYNC | WFD_SYNC))
		return WE_NOTSUP;
	if (want & ~(uint32_t)(WFD_APPEND | WFD_NONBLOCK))
		return WE_INVAL;
	if (f->cb) {
		f->cb_flags = want;
		return 0;
	}
	fl = fcntl(f->host, F_GETFL);
	if (fl < 0)
		return wasi_errno(errno);
	fl &= ~(O_APPEND | O_NONBLOCK);
	fl |= (want & WFD_APPEND ? O_APPEND : 0) |
	      (want & WFD_NONBLOCK ? O_NONBLOCK : 0);
	return fcntl(f->host, F_SETFL, fl) ? wasi_errno(errno) : 0;
}

static int fd_fdstat_set_rights(struct wasi_ctx *c, struct wasm_instance *i,
				uint64_t *a)
{
	struct wasi_fd *f;
	int err;

	f = wasi_fd_get(c, a[0], 0, &err);
	if (!f)
		return err;
	/* Rights can be given up, never gained. */
	if ((a[1] & ~f->rights_base) || (a[2] & ~f->rights_inheriting))
		return WE_NOTCAPABLE;
	f->rights_base = a[1];
	f->rights_inheriting = a[2];
	return 0;
}

static int fd_filestat_get(struct wasi_ctx *c, struct wasm_instance *i,
			   uint64_t *a)
{
	struct wasi_fd *f;
	struct stat st;
	uint8_t *p;
	int err;

	f = wasi_fd_get(c, a[0], WR_FD_FILESTAT_GET, &err);
	if (!f)
		return err;
	p = wasi_mem(i, a[1], 64);
	if (!p)
		return WE_FAULT;
	if (f->cb) { /* a stream with nothing on the host to describe */
		memset(&st, 0, sizeof(st));
		st.st_nlink = 1;
	} else if (fstat(f->host, &st))
		return wasi_errno(errno);
	wasi_put_filestat(p, &st, f->filetype);
	return 0;
}

static int fd_filestat_set_size(struct wasi_ctx *c, struct wasm_instance *i,
				uint64_t *a)
{
	struct wasi_fd *f;
	int err;

	f = wasi_fd_get(c, a[0], WR_FD_FILESTAT_SET_SIZE, &err);
	if (!f)
		return err;
	if ((int64_t)a[1] < 0)
		return WE_INVAL;
	return ftruncate(f->host, a[1]) ? wasi_errno(errno) : 0;
}

int wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst,
	       struct timespec ts[2])
{
	if (((fst & WST_ATIM) && (fst & WST_ATIM_NOW)) ||
	    ((fst & WST_MTIM) && (fst & WST_MTIM_NOW)) ||
	    (fst & ~(uint32_t)0xf))
		return WE_INVAL;
	ts[0].tv_sec = atim / 1000000000ull;
	ts[0].tv_nsec = atim % 1000000000ull;
	ts[1].tv_sec = mtim / 1000000000ull;
	ts[1].tv_nsec = mtim % 1000000000ull;
	if (fst & WST_ATIM_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (!(fst & WST_ATIM))
		ts[0].tv_nsec = UTIME_OMIT;
	if (fst & WST_MTIM_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (!(fst & WST_MTIM))
		ts[1].tv_nsec = UTIME_OMIT;
	return 0;
}

static int fd_filestat_set_times(struct wasi_ctx *c, struct wasm_instance *i,
				 uint64_t *a)
{
	struct timespec ts[2];
	struct wasi_fd *f;
	int err;

	f = wasi_fd_get(c, a[0], WR_FD_FILESTAT_SET_TIMES, &err);
	if (!f)
		return err;
	err = wasi_times(a[1], a[2], a[3], ts);
	if (err)
		return err;
	return futimens(f->host, ts) ? wasi_errno(errno) : 0;
}

static int fd_prestat_get(struct wasi_ctx *c, struct wasm_instance *i,
			  uint64_t *a)
{
	struct wasi_fd *f;
	uint8_t *p;
	int err;

	f = wasi_fd_get(c, a[0], 0, &err);
	if (!f)
		return err;
	if (!f->preopen)
		return WE_BADF;
	p = wasi_mem(i, a[1], 8);
	if (!p)
		return WE_FAULT;
	memset(p, 0, 8);
	put_u32(p + 4, strlen(f->preopen));
	return 0;
}

static int fd_prestat_dir_name(struct wasi_ctx *c, struct wasm_instance *i,
			       uint64_t *a)
{
	struct wasi_fd *f;
	size_t len;
	uint8_t *p;
	int err;

	f = wasi_fd_get(c, a[0], 0, &err);
	if (!f)
		return err;
	if (!f->preopen)
		return WE_BADF;
	len = strlen(f->preopen);
	if ((uint32_t)a[2] < len)
		return WE_NAMETOOLONG;
	p = wasi_mem(i, a[1], len);
	if (!p)
		return WE_FAULT;
	memcpy(p, f->preopen, len);
	return 0;
}

/* ---- fd_readdir ---------------------------------------------------------- */

static uint8_t dirent_type(DIR *d, const struct dirent *de)
{
	struct stat st;

	switch (de->d_type) {
	case DT_REG:
		return WF_REGULAR_FILE;
	case DT_DIR:
		return WF_DIRECTORY;
	case DT_LNK:
		return WF_SYMBOLIC_LINK;
	case DT_CHR:
		return WF_CHARACTER_DEVICE;
	case DT_BLK:
		return WF_BLOCK_DEVICE;
	case DT_SOCK:
		return WF_SOCKET_STREAM;
	case DT_UNKNOWN:
		if (!fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			return wasi_filetype(-1, &st);
		return WF_UNKNOWN;
	default:
		return WF_UNKNOWN;
	}
}

/* Cookies are entry indexes: position the stream at entry `cookie`. */
static int readdir_seek(struct wasi_fd *f, uint64_t cookie)
{
	if (!f->dir) {
		int d =
		    openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (d < 0)
			return wasi_errno(errno);
		f->dir = fdopendir(d);
		if (!f->dir) {
			close(d);
			return wasi_errno(errno);
		}
		f->dir_pos = 0;
	}
	if (cookie < f->dir_pos) {
		rewinddir(f->dir);
		f->dir_pos = 0;
	}
	while (f->dir_pos < cookie && readdir(f->dir))
		f->dir_pos++;
	return 0;
}

static int fd_readdir(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	uint32_t size = a[2], used = 0, n, namlen;
	uint8_t *buf, *out, ent[24];
	struct dirent *de;
	struct wasi_fd *f;
	long loc;
	int err;

	f = wasi_fd_get(c, a[0], WR_FD_READDIR, &err);
	if (!f)
		return err;
	buf = wasi_mem(i, a[1], size);
	out = wasi_mem(i, a[4], 4);
	if (!buf || !out)
		return WE_FAULT;
	err = readdir_seek(f, a[3]);
	if (err)
		return err;
	while (used < size) {
		loc = telldir(f->dir);
		de = readdir(f->dir);
		if (!de)
			break;
		namlen = strlen(de->d_name);
		memset(ent, 0, sizeof(ent));
		put_u64(ent, f->dir_pos + 1);
		put_u64(ent + 8, de->d_ino);
		put_u32(ent + 16, namlen);
		ent[20] = dirent_type(f->dir, de);
		n = size - used < 24 ? size - used : 24;
		memcpy(buf + used, ent, n);
		used += n;
		n = size - used < namlen ? size - used : namlen;
		memcpy(buf + used, de->d_name, n);
		used += n;
		if (n < namlen || used == size) {
			/* Cut short: the guest asks again from here. */
			seekdir(f->dir, loc);
			break;
		}
		f->dir_pos++;
	}
	put_u32(out, used);
	return 0;
}

const struct wasi_def wasi_fd_defs[] = {
    {"fd_advise", "iIIi->i", fd_advise},
    {"fd_allocate", "iII->i", fd_allocate},
    {"fd_close", "i->i", fd_close},
    {"fd_datasync", "i->i", fd_datasync},
    {"fd_fdstat_get", "ii->i", fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii->i", fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII->i", fd_fdstat_set_rights},
    {"fd_filestat_get", "ii->i", fd_filestat_get},
    {"fd_filestat_set_size", "iI->i", fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi->i", fd_filestat_set_times},
    {"fd_pread", "iiiIi->i", fd_pread},
    {"fd_prestat_get", "ii->i", fd_prestat_get},
    {"fd_prestat_dir_name", "iii->i", fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi->i", fd_pwrite},
    {"fd_read", "iiii->i", fd_read},
    {"fd_readdir", "iiiIi->i", fd_readdir},
    {"fd_renumber", "ii->i", fd_renumber},
    {"fd_seek", "iIii->i", fd_seek},
    {"fd_sync", "i->i", fd_sync},
    {"fd_tell", "ii->i", fd_tell},
    {"fd_write", "iiii->i", fd_write},
    {NULL, NULL, NULL},
};
