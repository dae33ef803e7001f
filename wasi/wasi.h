/* wasi.h — WASI preview1 (`wasi_snapshot_preview1`) as a host module of the
 * engine. A wasi_ctx owns the guest's descriptor table, its arguments,
 * environment and preopened directories; one per instance.
 */
#ifndef WASM_BPF_WASI_H
#define WASM_BPF_WASI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/wasm.h"

struct wasi_preopen {
	const char *host_path;	/* directory on the host */
	const char *guest_path; /* name the guest sees ("/data", ".") */
	/* Look and read only: the directory and everything opened beneath
	 * it lack every right that writes or changes the file system, and
	 * the host opens files beneath it read-only. */
	bool read_only;
};

/* Standard streams served by the embedder's functions instead of host
 * descriptors, called on the guest's thread from fd_read/fd_write. */
struct wasi_stdio_cb {
	/* Guest bytes for stream 1 or 2: how many were taken (fewer is a
	 * short write) or a negative errno. NULL: 1 and 2 stay descriptors. */
	ssize_t (*write)(void *user, int stream, const void *buf, size_t len);
	/* Up to len bytes for stream 0: how many (0: end of input), -EAGAIN
	 * when none are there yet (a blocking read asks again every 10 ms,
	 * seeing stops meanwhile), or a negative errno. NULL: 0 stays a
	 * descriptor. */
	ssize_t (*read)(void *user, void *buf, size_t len);
	void *user;
};

struct wasi_opts {
	size_t sz;
	int argc;
	const char *const
	    *argv; /* argv[0] is what the guest sees as its name */
	int envc;
	const char *const *envp; /* "K=V" */
	int npreopens;
	const struct wasi_preopen *preopens;
	int stdin_fd, stdout_fd, stderr_fd; /* host fds; -1 to close */
	/* Host descriptors handed in after the preopens (guest fds
	 * 3 + npreopens ...), e.g. sockets for sock_accept/recv/send. All
	 * descriptors given in opts are duplicated: the caller keeps its own.
	 */
	int nextra_fds;
	const int *extra_fds;
	/* Replaces stdin_fd (read) and stdout_fd/stderr_fd (write); copied. */
	const struct wasi_stdio_cb *stdio_cb;
};

struct wasi_ctx;

/* NULL with errno set and a message in err on failure (a preopen that
 * cannot be opened names it). */
struct wasi_ctx *wasi_ctx__new(const struct wasi_opts *opts,
			       struct wasm_error *err);
void wasi_ctx__free(struct wasi_ctx *ctx);

/* Defines all 46 functions of wasi_snapshot_preview1 on the linker, with
 * `ctx` as their user pointer. */
int wasi_ctx__define(struct wasi_ctx *ctx, struct wasm_linker *l);

/* The host descriptor behind guest descriptor `fd`, or -EBADF. Lets other
 * host modules (bpf: attach to a cgroup directory the guest holds) act on
 * what the guest was given and nothing else. */
int wasi_ctx__host_fd(struct wasi_ctx *ctx, uint32_t fd);

/* WASI errno (the preview1 numbering) for a Linux errno value. */
int wasi_ctx__errno(int linux_errno);

#endif
