/* wasi_impl.h — what the wasi/ sources share and nobody else sees: the
 * preview1 constants (numbers from the WASI witx), the descriptor table,
 * guest-memory helpers and the per-group `define` hooks.
 */
#ifndef WASM_BPF_WASI_IMPL_H
#define WASM_BPF_WASI_IMPL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include "wasi/wasi.h"

/* ---- preview1 constants ------------------------------------------------ */

enum {
	WE_SUCCESS = 0,
	WE_2BIG = 1,
	WE_ACCES = 2,
	WE_AGAIN = 6,
	WE_BADF = 8,
	WE_EXIST = 20,
	WE_FAULT = 21,
	WE_INTR = 27,
	WE_INVAL = 28,
	WE_IO = 29,
	WE_ISDIR = 31,
	WE_LOOP = 32,
	WE_NAMETOOLONG = 37,
	WE_NOENT = 44,
	WE_NOMEM = 48,
	WE_NOSYS = 52,
	WE_NOTDIR = 54,
	WE_NOTSOCK = 57,
	WE_NOTSUP = 58,
	WE_OVERFLOW = 61,
	WE_PERM = 63,
	WE_SPIPE = 70,
	WE_NOTCAPABLE = 76,
};

#define WR_FD_DATASYNC		   (1ull << 0)
#define WR_FD_READ		   (1ull << 1)
#define WR_FD_SEEK		   (1ull << 2)
#define WR_FD_FDSTAT_SET_FLAGS	   (1ull << 3)
#define WR_FD_SYNC		   (1ull << 4)
#define WR_FD_TELL		   (1ull << 5)
#define WR_FD_WRITE		   (1ull << 6)
#define WR_FD_ADVISE		   (1ull << 7)
#define WR_FD_ALLOCATE		   (1ull << 8)
#define WR_PATH_CREATE_DIRECTORY   (1ull << 9)
#define WR_PATH_CREATE_FILE	   (1ull << 10)
#define WR_PATH_LINK_SOURCE	   (1ull << 11)
#define WR_PATH_LINK_TARGET	   (1ull << 12)
#define WR_PATH_OPEN		   (1ull << 13)
#define WR_FD_READDIR		   (1ull << 14)
#define WR_PATH_READLINK	   (1ull << 15)
#define WR_PATH_RENAME_SOURCE	   (1ull << 16)
#define WR_PATH_RENAME_TARGET	   (1ull << 17)
#define WR_PATH_FILESTAT_GET	   (1ull << 18)
#define WR_PATH_FILESTAT_SET_SIZE  (1ull << 19)
#define WR_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define WR_FD_FILESTAT_GET	   (1ull << 21)
#define WR_FD_FILESTAT_SET_SIZE	   (1ull << 22)
#define WR_FD_FILESTAT_SET_TIMES   (1ull << 23)
#define WR_PATH_SYMLINK		   (1ull << 24)
#define WR_PATH_REMOVE_DIRECTORY   (1ull << 25)
#define WR_PATH_UNLINK_FILE	   (1ull << 26)
#define WR_POLL_FD_READWRITE	   (1ull << 27)
#define WR_SOCK_SHUTDOWN	   (1ull << 28)
#define WR_SOCK_ACCEPT		   (1ull << 29)
#define WR_ALL			   ((1ull << 30) - 1)

/* What a regular file, a directory and a stream can ever be used for. */
#define WR_FILE                                                                \
	(WR_FD_DATASYNC | WR_FD_READ | WR_FD_SEEK | WR_FD_FDSTAT_SET_FLAGS |   \
	 WR_FD_SYNC | WR_FD_TELL | WR_FD_WRITE | WR_FD_ADVISE |                \
	 WR_FD_ALLOCATE | WR_FD_FILESTAT_GET | WR_FD_FILESTAT_SET_SIZE |       \
	 WR_FD_FILESTAT_SET_TIMES | WR_POLL_FD_READWRITE)
#define WR_DIR                                                                 \
	(WR_FD_FDSTAT_SET_FLAGS | WR_FD_SYNC | WR_FD_DATASYNC |                \
	 WR_PATH_CREATE_DIRECTORY | WR_PATH_CREATE_FILE |                      \
	 WR_PATH_LINK_SOURCE | WR_PATH_LINK_TARGET | WR_PATH_OPEN |            \
	 WR_FD_READDIR | WR_PATH_READLINK | WR_PATH_RENAME_SOURCE |            \
	 WR_PATH_RENAME_TARGET | WR_PATH_FILESTAT_GET |                        \
	 WR_PATH_FILESTAT_SET_SIZE | WR_PATH_FILESTAT_SET_TIMES |              \
	 WR_FD_FILESTAT_GET | WR_FD_FILESTAT_SET_TIMES | WR_PATH_SYMLINK |     \
	 WR_PATH_REMOVE_DIRECTORY | WR_PATH_UNLINK_FILE |                      \
	 WR_POLL_FD_READWRITE)
/* No seek/tell: wasi-libc's isatty() looks for exactly that. */
#define WR_STREAM                                                              \
	(WR_FD_READ | WR_FD_WRITE | WR_FD_FDSTAT_SET_FLAGS |                   \
	 WR_FD_FILESTAT_GET | WR_POLL_FD_READWRITE | WR_FD_SYNC |              \
	 WR_FD_DATASYNC)
#define WR_SOCKET (WR_STREAM | WR_SOCK_SHUTDOWN | WR_SOCK_ACCEPT)
/* A read-only preopen: look up, open, list and read; nothing more for it
 * and for all opened beneath it. */
#define WR_DIR_RO                                                              \
	(WR_PATH_OPEN | WR_FD_READDIR | WR_PATH_READLINK |                     \
	 WR_PATH_FILESTAT_GET | WR_FD_FILESTAT_GET | WR_POLL_FD_READWRITE)
#define WR_READ_ONLY                                                           \
	(WR_DIR_RO | WR_FD_READ | WR_FD_SEEK | WR_FD_TELL | WR_FD_ADVISE)

enum {
	WF_UNKNOWN = 0,
	WF_BLOCK_DEVICE = 1,
	WF_CHARACTER_DEVICE = 2,
	WF_DIRECTORY = 3,
	WF_REGULAR_FILE = 4,
	WF_SOCKET_DGRAM = 5,
	WF_SOCKET_STREAM = 6,
	WF_SYMBOLIC_LINK = 7,
};

#define WFD_APPEND   0x1
#define WFD_DSYNC    0x2
#define WFD_NONBLOCK 0x4
#define WFD_RSYNC    0x8
#define WFD_SYNC     0x10

#define WO_CREAT     0x1
#define WO_DIRECTORY 0x2
#define WO_EXCL	     0x4
#define WO_TRUNC     0x8

#define WL_SYMLINK_FOLLOW 0x1

#define WST_ATIM     0x1
#define WST_ATIM_NOW 0x2
#define WST_MTIM     0x4
#define WST_MTIM_NOW 0x8

/* ---- the descriptor table ---------------------------------------------- */

struct wasi_fd {
	bool used;
	uint8_t filetype;
	int host; /* owned host descriptor */
	uint64_t rights_base;
	uint64_t rights_inheriting;
	char *preopen;	  /* guest name if this is a preopen */
	DIR *dir;	  /* readdir stream, opened on first use */
	int restore_fl;	  /* stdio: status flags to put back on release */
	uint64_t dir_pos; /* entries already read from `dir` */
	/* A standard stream served by ctx->cb (host is -1): 1 + its number;
	 * its fdflags are kept here since there is no descriptor for them. */
	uint8_t cb;
	uint16_t cb_flags;
};

struct wasi_ctx {
	char **argv;
	int argc;
	char **envp;
	int envc;
	struct wasi_fd *fds;
	uint32_t nfds;
	void *bindings; /* per-function user pointers given to the linker */
	struct wasi_stdio_cb cb; /* opts.stdio_cb, or all NULL */
};

/* Status-or-errno: the handlers return a WASI errno (>= 0), or minus a
 * wasm_status when the call must end the guest's run (interrupt). */
#define WASI_STOP(status) (-(status))

typedef int (*wasi_handler_t)(struct wasi_ctx *ctx, struct wasm_instance *inst,
			      uint64_t *a);

struct wasi_def {
	const char *name;
	const char *sig;
	wasi_handler_t fn;
};

/* Every group's table ends with a NULL name. */
extern const struct wasi_def wasi_fd_defs[];
extern const struct wasi_def wasi_path_defs[];
extern const struct wasi_def wasi_poll_defs[];

/* Linux errno to WASI errno. */
int wasi_errno(int err);

struct wasi_fd *wasi_fd_get(struct wasi_ctx *ctx, uint32_t fd, uint64_t rights,
			    int *werr);
int wasi_fd_alloc(struct wasi_ctx *ctx, int host, uint8_t type, uint64_t rb,
		  uint64_t ri, uint32_t *out);
void wasi_fd_release(struct wasi_fd *f);
uint8_t wasi_filetype(int host, const struct stat *st);
/* Rights a descriptor of that type can hold (stdio, handed-in fds). */
uint64_t wasi_type_rights(int host, uint8_t type);
/* atim/mtim/fstflags to utimensat() times; WE_INVAL on a bad combination. */
int wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst,
	       struct timespec ts[2]);
void wasi_put_filestat(uint8_t *p, const struct stat *st, uint8_t type);

/* What a stop asks of a host call that would block, or whose syscall was
 * interrupted (EINTR): WASI_STOP(WASM_INTERRUPTED) after a hard stop,
 * WE_INTR during a graceful one (wasm_instance__cancel), 0 to go on. */
int wasi_stop_check(struct wasm_instance *inst);

/* Before a read that may block: waits in short slices for readiness so a
 * stop request is seen; what wasi_stop_check() said if one came. */
int wasi_wait_readable(struct wasm_instance *inst, const struct wasi_fd *f);

/* fd_read/fd_write on a stream served by ctx->cb (wasi_cb.c). */
int wasi_cb_read(struct wasi_ctx *ctx, struct wasm_instance *inst,
		 struct wasi_fd *f, const struct iovec *iov, uint32_t n,
		 uint32_t *done);
int wasi_cb_write(struct wasi_ctx *ctx, struct wasi_fd *f,
		  const struct iovec *iov, uint32_t n, uint32_t *done);

/* Copies guest iovecs into host ones; NULL on a bad pointer. */
struct iovec *wasi_iovecs(struct wasm_instance *inst, uint32_t iovs,
			  uint32_t n);

static inline void *wasi_mem(struct wasm_instance *inst, uint32_t p,
			     uint32_t len)
{
	return wasm_instance__mem_ptr(inst, p, len);
}

static inline void put_u16(void *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static inline void put_u32(void *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static inline void put_u64(void *p, uint64_t v)
{
	memcpy(p, &v, 8);
}
static inline uint16_t get_u16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}
static inline uint32_t get_u32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}
static inline uint64_t get_u64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Writes a u32/u64 result to guest memory; WE_FAULT if it does not fit. */
int wasi_out_u32(struct wasm_instance *inst, uint32_t ptr, uint32_t v);
int wasi_out_u64(struct wasm_instance *inst, uint32_t ptr, uint64_t v);

#endif
