/* wasi_cb.c — standard streams served by the embedder's callbacks
 * (wasi_opts.stdio_cb) instead of host descriptors: fd_read of 0 and
 * fd_write of 1 and 2 call them; the rest of the descriptor calls see a
 * stream with no host descriptor behind it.
 */
#include <errno.h>
#include <time.h>

#include "wasi/wasi_impl.h"

#define RETRY_MS 10 /* how often a blocking read asks again for input */

int wasi_cb_write(struct wasi_ctx *ctx, struct wasi_fd *f,
		  const struct iovec *iov, uint32_t n, uint32_t *done)
{
	ssize_t r = 0;

	*done = 0;
	/* One call per buffer: a short one ends the write, as writev's would.
	 */
	for (uint32_t i = 0; i < n; i++) {
		if (!iov[i].iov_len)
			continue;
		r = ctx->cb.write(ctx->cb.user, f->cb - 1, iov[i].iov_base,
				  iov[i].iov_len);
		if (r < 0)
			break;
		*done +=
		    (size_t)r > iov[i].iov_len ? iov[i].iov_len : (size_t)r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	/* Bytes taken before an error count; the error comes next time. */
	return r < 0 && !*done ? wasi_errno(-r) : 0;
}

/* Fills the first non-empty buffer only: a read may return less than asked,
 * and asking the embedder again could block with bytes already in hand. */
int wasi_cb_read(struct wasi_ctx *ctx, struct wasm_instance *inst,
		 struct wasi_fd *f, const struct iovec *iov, uint32_t n,
		 uint32_t *done)
{
	struct timespec ts = {0, RETRY_MS * 1000000L};
	uint32_t i = 0;
	ssize_t r;
	int stop;

	*done = 0;
	while (i < n && !iov[i].iov_len)
		i++;
	if (i == n)
		return 0;
	for (;;) {
		stop = wasi_stop_check(inst);
		if (stop < 0)
			return stop;
		r = ctx->cb.read(ctx->cb.user, iov[i].iov_base, iov[i].iov_len);
		if (r >= 0) {
			*done = (size_t)r > iov[i].iov_len ? iov[i].iov_len
							   : (size_t)r;
			return 0;
		}
		if (r != -EAGAIN && r != -EWOULDBLOCK)
			return wasi_errno(-r);
		if (f->cb_flags & WFD_NONBLOCK)
			return WE_AGAIN;
		/* A graceful stop cuts the wait short, as for descriptors. */
		if (stop)
			return stop;
		nanosleep(&ts, NULL);
	}
}
