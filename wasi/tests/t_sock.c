/* t_sock.c (wasm only) — sock_* on descriptors the runner hands in:
 * fds 3 and 4 are the two ends of a stream socketpair, fd 5 a listening
 * socket with one client queued that has sent "hello". Also poll_oneoff
 * read readiness with a byte count. */
#include "raw.h"

static I iov(uint8_t *v, void *buf, I len)
{
	I p = P(buf);

	memcpy(v, &p, 4);
	memcpy(v + 4, &len, 4);
	return P(v);
}

int main(void)
{
	uint8_t v[8], st[24], subs[48] = {0}, ev[32];
	char buf[16] = {0};
	I n = 0, fl = 0, c;
	L base;

	expect("fdstat socket", r_fd_fdstat_get(3, P(st)), OK);
	expect("filetype socket_stream", st[0], 6);
	expect("send", r_sock_send(3, iov(v, "ping", 4), 1, 0, P(&n)), OK);
	expect("sent 4", n, 4);
	/* Readiness: 4 bytes waiting on fd 4. */
	subs[0] = 9;
	subs[8] = 1;
	memcpy(subs + 16, &(I){4}, 4);
	expect("poll fd_read", r_poll_oneoff(P(subs), P(ev), 1, P(&n)), OK);
	expect("poll one event", n, 1);
	expect("poll event ok", ev[8], 0);
	expect("poll nbytes", ev[16], 4);
	expect("recv peek", r_sock_recv(4, iov(v, buf, 2), 1, 1, P(&n), P(&fl)),
	       OK);
	expect("peeked 2", n, 2);
	expect("recv", r_sock_recv(4, iov(v, buf, 16), 1, 0, P(&n), P(&fl)),
	       OK);
	expect("received 4", n, 4);
	expect("data ping", memcmp(buf, "ping", 4), 0);
	expect("roflags 0", fl, 0);
	expect("send bad siflags", r_sock_send(3, iov(v, "x", 1), 1, 7, P(&n)),
	       E_INVAL);
	expect("shutdown bad how", r_sock_shutdown(3, 0), E_INVAL);
	expect("shutdown wr", r_sock_shutdown(3, 2), OK);
	expect("recv after shutdown",
	       r_sock_recv(4, iov(v, buf, 16), 1, 0, P(&n), P(&fl)), OK);
	expect("eof", n, 0);
	expect(
	    "recv bad buffer",
	    r_sock_recv(4, iov(v, (void *)0xfffffff0, 16), 1, 0, P(&n), P(&fl)),
	    E_FAULT);
	expect("accept", r_sock_accept(5, 0, P(&c)), OK);
	memset(buf, 0, sizeof(buf));
	expect("recv from accepted",
	       r_sock_recv(c, iov(v, buf, 16), 1, 0, P(&n), P(&fl)), OK);
	expect("hello", memcmp(buf, "hello", 5), 0);
	expect("listener nonblocking", r_fd_fdstat_set_flags(5, 4), OK);
	expect("accept none pending", r_sock_accept(5, 4, P(&c)), E_AGAIN);
	expect("accept on non-listener", r_sock_accept(4, 4, P(&c)), E_INVAL);
	/* A socket, but without the right: a missing capability. */
	r_fd_fdstat_get(4, P(st));
	memcpy(&base, st + 8, 8);
	expect("drop shutdown right",
	       r_fd_fdstat_set_rights(4, base & ~(1ll << 28), 0), OK);
	expect("shutdown without the right", r_sock_shutdown(4, 1),
	       E_NOTCAPABLE);
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
