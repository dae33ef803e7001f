/* wasi_poll.c — poll_oneoff (clock and fd readiness subscriptions) and the
 * sock_* calls of wasi_snapshot_preview1, which act on sockets the
 * embedder handed in (preview1 cannot create or connect sockets).
 * Waits are cut into short slices so an interrupt is seen promptly.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

#define SUB_SIZE   48
#define EVENT_SIZE 32
#define SLICE_NS   50000000ull /* 50 ms: the longest an interrupt waits */

enum { EV_CLOCK = 0, EV_FD_READ = 1, EV_FD_WRITE = 2 };

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct poll_state {
	const uint8_t *subs;
	uint8_t *events;
	uint32_t nsubs, nevents;
	struct pollfd *pfd; /* one per subscription; fd -1 for clocks */
	uint64_t *deadline; /* monotonic deadline per clock subscription */
};

static void put_event(struct poll_state *ps, uint32_t s, uint16_t err,
		      uint64_t nbytes, uint16_t flags)
{
	uint8_t *e = ps->events + ps->nevents++ * EVENT_SIZE;
	const uint8_t *sub = ps->subs + s * SUB_SIZE;

	memset(e, 0, EVENT_SIZE);
	put_u64(e, get_u64(sub));
	put_u16(e + 8, err);
	e[10] = sub[8];
	put_u64(e + 16, nbytes);
	put_u16(e + 24, flags);
}

/* A clock subscription as a monotonic deadline (UINT64_MAX: never). */
static int clock_deadline(const uint8_t *sub, uint64_t *out)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
	uint32_t id = get_u32(sub + 16);
	uint64_t timeout = get_u64(sub + 24), now,
		 mono = now_ns(CLOCK_MONOTONIC);
	bool abs = get_u16(sub + 40) & 1;

	/* CPU-time clocks cannot be slept on. */
	if (id > 1)
		return id > 3 ? WE_INVAL : WE_NOTSUP;
	if (!abs) {
		*out =
		    timeout > UINT64_MAX - mono ? UINT64_MAX : mono + timeout;
		return 0;
	}
	now = now_ns(ids[id]);
	timeout = timeout > now ? timeout - now : 0;
	*out = timeout > UINT64_MAX - mono ? UINT64_MAX : mono + timeout;
	return 0;
}

/* Reads the subscriptions; malformed ones become immediate error events. */
static int poll_setup(struct wasi_ctx *ctx, struct poll_state *ps)
{
	struct wasi_fd *f;
	uint32_t s;
	int err;

	for (s = 0; s < ps->nsubs; s++) {
		const uint8_t *sub = ps->subs + s * SUB_SIZE;

		ps->pfd[s].fd = -1;
		ps->deadline[s] = UINT64_MAX;
		err = 0;
		switch (sub[8]) {
		case EV_CLOCK:
			err = clock_deadline(sub, &ps->deadline[s]);
			break;
		case EV_FD_READ:
		case EV_FD_WRITE:
			f = wasi_fd_get(ctx, get_u32(sub + 16),
					WR_POLL_FD_READWRITE, &err);
			if (!f)
				break;
			/* The embedder's streams: ready, as a regular file is;
			 * a read that finds nothing waits in fd_read. */
			if (f->cb) {
				put_event(ps, s, 0, 0, 0);
				break;
			}
			ps->pfd[s].fd = f->host;
			ps->pfd[s].events =
			    sub[8] == EV_FD_READ ? POLLIN : POLLOUT;
			break;
		default:
			err = WE_INVAL;
		}
		if (err)
			put_event(ps, s, err, 0, 0);
	}
	return 0;
}

static uint64_t fd_nbytes(int fd, bool read)
{
	int n = 0;

	if (read && ioctl(fd, FIONREAD, &n) == 0 && n > 0)
		return n;
	return 0;
}

/* Events for whatever is ready now: fds by revents, clocks by time. */
static void poll_collect(struct poll_state *ps)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	uint32_t s;

	for (s = 0; s < ps->nsubs; s++) {
		struct pollfd *p = &ps->pfd[s];
		bool rd = ps->subs[s * SUB_SIZE + 8] == EV_FD_READ;

		if (p->fd >= 0 && p->revents) {
			uint16_t hup = (p->revents & POLLHUP) ? 1 : 0;
			uint16_t err = (p->revents & POLLNVAL) ? WE_BADF : 0;

			put_event(ps, s, err, fd_nbytes(p->fd, rd), hup);
		} else if (p->fd < 0 && ps->deadline[s] != UINT64_MAX &&
			   ps->deadline[s] <= now) {
			put_event(ps, s, 0, 0, 0);
		}
	}
}

static uint64_t next_deadline(const struct poll_state *ps)
{
	uint64_t d = UINT64_MAX;
	uint32_t s;

	for (s = 0; s < ps->nsubs; s++)
		if (ps->pfd[s].fd < 0 && ps->deadline[s] < d)
			d = ps->deadline[s];
	return d;
}

/* During a graceful stop, what is ready now is still reported; a wait
 * that would block returns EINTR. */
static int poll_wait(struct wasm_instance *inst, struct poll_state *ps)
{
	uint64_t dl = next_deadline(ps), now, wait;
	struct timespec ts;
	int n, stop;

	for (;;) {
		stop = wasi_stop_check(inst);
		if (stop < 0)
			return stop;
		now = now_ns(CLOCK_MONOTONIC);
		wait = dl > now && !stop ? dl - now : 0;
		wait = wait > SLICE_NS ? SLICE_NS : wait;
		ts.tv_sec = wait / 1000000000ull;
		ts.tv_nsec = wait % 1000000000ull;
		n = ppoll(ps->pfd, ps->nsubs, &ts, NULL);
		if (n < 0 && errno != EINTR)
			return wasi_errno(errno);
		if (n > 0 || now_ns(CLOCK_MONOTONIC) >= dl) {
			poll_collect(ps);
			if (ps->nevents)
				return 0;
		}
		if (stop)
			return stop;
	}
}

static int poll_oneoff(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	uint32_t n = a[2];
	struct poll_state ps = {.nsubs = n};
	uint8_t *nout = wasi_mem(i, a[3], 4);
	int err;

	if (!n)
		return WE_INVAL;
	if (n > UINT32_MAX / SUB_SIZE)
		return WE_FAULT;
	ps.subs = wasi_mem(i, a[0], n * SUB_SIZE);
	ps.events = wasi_mem(i, a[1], n * EVENT_SIZE);
	if (!ps.subs || !ps.events || !nout)
		return WE_FAULT;
	ps.pfd = calloc(n, sizeof(*ps.pfd));
	ps.deadline = calloc(n, sizeof(*ps.deadline));
	err = ps.pfd && ps.deadline ? poll_setup(c, &ps) : WE_NOMEM;
	if (!err && !ps.nevents)
		err = poll_wait(i, &ps);
	if (!err)
		put_u32(nout, ps.nevents);
	free(ps.pfd);
	free(ps.deadline);
	return err;
}

/* ---- sockets ------------------------------------------------------------ */

/* A socket with `rights`: anything else is not a socket at all, whatever
 * rights it has, as the host's own socket calls would answer. */
static struct wasi_fd *sock_get(struct wasi_ctx *c, uint32_t fd,
				uint64_t rights, int *err)
{
	struct wasi_fd *f = wasi_fd_get(c, fd, 0, err);

	if (f && f->filetype != WF_SOCKET_STREAM &&
	    f->filetype != WF_SOCKET_DGRAM) {
		*err = WE_NOTSOCK;
		return NULL;
	}
	return f ? wasi_fd_get(c, fd, rights, err) : NULL;
}

static int sock_accept(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	uint8_t *out = wasi_mem(i, a[2], 4);
	struct wasi_fd *f;
	uint32_t nfd;
	int err, h;

	f = sock_get(c, a[0], WR_SOCK_ACCEPT, &err);
	if (!f)
		return err;
	if (!out)
		return WE_FAULT;
	if ((uint32_t)a[1] & ~(uint32_t)WFD_NONBLOCK)
		return WE_INVAL;
	err = wasi_wait_readable(i, f);
	if (err)
		return err;
	do
		h = accept4(f->host, NULL, NULL,
			    SOCK_CLOEXEC |
				(a[1] & WFD_NONBLOCK ? SOCK_NONBLOCK : 0));
	while (h < 0 && errno == EINTR && !(err = wasi_stop_check(i)));
	if (h < 0 && errno == EINTR)
		return err;
	if (h < 0)
		return wasi_errno(errno);
	err = wasi_fd_alloc(c, h, WF_SOCKET_STREAM,
			    WR_STREAM | WR_SOCK_SHUTDOWN, 0, &nfd);
	if (err) {
		close(h);
		return err;
	}
	put_u32(out, nfd);
	return 0;
}

static int sock_recv(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	uint8_t *nout = wasi_mem(i, a[4], 4), *fout = wasi_mem(i, a[5], 2);
	uint32_t fl = a[3];
	struct msghdr msg = {0};
	struct wasi_fd *f;
	ssize_t n;
	int err;

	f = wasi_fd_get(c, a[0], WR_FD_READ, &err);
	if (!f)
		return err;
	if (!nout || !fout)
		return WE_FAULT;
	if (fl & ~3u)
		return WE_INVAL;
	err = wasi_wait_readable(i, f);
	if (err)
		return err;
	msg.msg_iov = wasi_iovecs(i, a[1], a[2]);
	msg.msg_iovlen = a[2];
	if (!msg.msg_iov)
		return WE_FAULT;
	do
		n = recvmsg(f->host, &msg,
			    (fl & 1 ? MSG_PEEK : 0) |
				(fl & 2 ? MSG_WAITALL : 0));
	while (n < 0 && errno == EINTR && !(err = wasi_stop_check(i)));
	free(msg.msg_iov);
	if (n < 0 && errno == EINTR)
		return err;
	if (n < 0)
		return wasi_errno(errno);
	put_u32(nout, n);
	put_u16(fout, msg.msg_flags & MSG_TRUNC ? 1 : 0);
	return 0;
}

static int sock_send(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	uint8_t *nout = wasi_mem(i, a[4], 4);
	struct msghdr msg = {0};
	struct wasi_fd *f;
	ssize_t n;
	int err;

	f = wasi_fd_get(c, a[0], WR_FD_WRITE, &err);
	if (!f)
		return err;
	if (!nout)
		return WE_FAULT;
	if ((uint32_t)a[3])
		return WE_INVAL; /* no siflags are defined */
	msg.msg_iov = wasi_iovecs(i, a[1], a[2]);
	msg.msg_iovlen = a[2];
	if (!msg.msg_iov)
		return WE_FAULT;
	do
		n = sendmsg(f->host, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR &&
	       !wasm_instance__interrupt_requested(i));
	free(msg.msg_iov);
	if (n < 0 && errno == EINTR)
		return WASI_STOP(WASM_INTERRUPTED);
	if (n < 0)
		return wasi_errno(errno);
	put_u32(nout, n);
	return 0;
}

static int sock_shutdown(struct wasi_ctx *c, struct wasm_instance *i,
			 uint64_t *a)
{
	static const int how[] = {-1, SHUT_RD, SHUT_WR, SHUT_RDWR};
	struct wasi_fd *f;
	int err;

	f = sock_get(c, a[0], WR_SOCK_SHUTDOWN, &err);
	if (!f)
		return err;
	if ((uint32_t)a[1] == 0 || (uint32_t)a[1] > 3)
		return WE_INVAL;
	return shutdown(f->host, how[(uint32_t)a[1]]) ? wasi_errno(errno) : 0;
}

const struct wasi_def wasi_poll_defs[] = {
    {"poll_oneoff", "iiii->i", poll_oneoff},
    {"sock_accept", "iii->i", sock_accept},
    {"sock_recv", "iiiiii->i", sock_recv},
    {"sock_send", "iiiii->i", sock_send},
    {"sock_shutdown", "ii->i", sock_shutdown},
    {NULL, NULL, NULL},
};
