/* t_raw.c (wasm only) — exact WASI errnos: bad guest pointers give EFAULT,
 * rights are dropped and never regained, path_open's inheriting rights are
 * intersected, prestat past the last preopen is EBADF, unsupported calls
 * answer NOTSUP, poll_oneoff corner cases. Run with preopen "." holding a
 * file "f.txt". */
#include "raw.h"

static void pointers(void)
{
	uint8_t iov[8];
	I n, fd;

	expect("args_sizes_get bad ptr", r_args_sizes_get(BAD, BAD), E_FAULT);
	expect("environ_get bad ptr", r_environ_get(BAD, BAD), E_FAULT);
	expect("clock_time_get bad ptr", r_clock_time_get(0, 1, BAD), E_FAULT);
	expect("random_get bad ptr", r_random_get(BAD, 64), E_FAULT);
	expect("random_get wrapping len", r_random_get(0x100, -1), E_FAULT);
	I buf = BAD, len = 4;
	memcpy(iov, &buf, 4);
	memcpy(iov + 4, &len, 4);
	expect("fd_write bad iovec buf", r_fd_write(1, P(iov), 1, P(&n)),
	       E_FAULT);
	expect("fd_write bad iovec array", r_fd_write(1, BAD, 1, P(&n)),
	       E_FAULT);
	expect("fd_write huge iovec count",
	       r_fd_write(1, P(iov), 0x7fffffff, P(&n)), E_FAULT);
	expect("fd_read bad nread", r_fd_read(0, P(iov), 0, BAD), E_FAULT);
	expect("path_open bad path",
	       r_path_open(3, 0, BAD, 8, 0, 0, 0, 0, P(&fd)), E_FAULT);
	expect("path_open bad out",
	       r_path_open(3, 0, S("f.txt"), 0, 0, 0, 0, BAD), E_FAULT);
	expect("fd_prestat_get bad ptr", r_fd_prestat_get(3, BAD), E_FAULT);
	expect("fd_fdstat_get bad ptr", r_fd_fdstat_get(1, BAD), E_FAULT);
	expect("fd_readdir bad buf", r_fd_readdir(3, BAD, 100, 0, P(&n)),
	       E_FAULT);
	expect("poll_oneoff bad subs", r_poll_oneoff(BAD, BAD, 1, P(&n)),
	       E_FAULT);
	expect("path_filestat_get bad out",
	       r_path_filestat_get(3, 0, S("f.txt"), BAD), E_FAULT);
}

static void descriptors(void)
{
	uint8_t pre[8], name[8], st[24], fst[64];
	I fd, n;
	L pos, base, t;

	expect("fd_prestat_get 3", r_fd_prestat_get(3, P(pre)), OK);
	expect("prestat name len", pre[4], 1);
	expect("fd_prestat_dir_name", r_fd_prestat_dir_name(3, P(name), 8), OK);
	expect("prestat name is .", name[0], '.');
	expect("fd_prestat_get past last", r_fd_prestat_get(4, P(pre)), E_BADF);
	expect("fd_prestat_get of stdout", r_fd_prestat_get(1, P(pre)), E_BADF);
	expect("fd_close unknown", r_fd_close(99), E_BADF);
	expect("fd_write unknown", r_fd_write(77, P(pre), 0, P(&n)), E_BADF);
	expect("open f.txt", open_at(3, "f.txt", 0, 0, RIGHTS_ALL, &fd), OK);
	expect("fd_tell", r_fd_tell(fd, P(&pos)), OK);
	expect("fd_seek bad whence", r_fd_seek(fd, 0, 7, P(&pos)), E_INVAL);
	expect("set flags dsync", r_fd_fdstat_set_flags(fd, 2), E_NOTSUP);
	r_fd_fdstat_get(fd, P(st));
	memcpy(&base, st + 8, 8);
	expect("drop write right",
	       r_fd_fdstat_set_rights(fd, base & ~R_FD_WRITE, 0), OK);
	expect("write without right", r_fd_write(fd, P(pre), 0, P(&n)),
	       E_NOTCAPABLE);
	expect("regain write right", r_fd_fdstat_set_rights(fd, base, 0),
	       E_NOTCAPABLE);
	expect("fd_fdstat_get", r_fd_fdstat_get(fd, P(st)), OK);
	expect("filetype regular", st[0], 4);
	expect("rights lack write", (int)((st[8] >> 6) & 1), 0);
	expect("fd_renumber onto 77", r_fd_renumber(fd, 77), E_BADF);
	expect("fd_renumber onto stdin? no: dup fd", r_fd_renumber(fd, fd), OK);
	expect("sock_recv on file", r_sock_recv(fd, P(pre), 0, 0, P(&n), P(&n)),
	       E_NOTSOCK);
	expect("sock_accept on file", r_sock_accept(fd, 0, P(&n)), E_NOTSOCK);
	expect("sock_shutdown on file", r_sock_shutdown(fd, 3), E_NOTSOCK);
	expect("times: atim now, mtim given",
	       r_fd_filestat_set_times(fd, 0, 1234000000000ll, 0x2 | 0x4), OK);
	expect("times: both now and given",
	       r_fd_filestat_set_times(fd, 0, 0, 0x3), E_INVAL);
	r_fd_filestat_get(fd, P(fst));
	memcpy(&t, fst + 40, 8);
	expect("atime is now", t > 1600000000ll * 1000000000ll, 1);
	memcpy(&t, fst + 48, 8);
	expect("mtime as given", t == 1234000000000ll, 1);
	expect("fd_close", r_fd_close(fd), OK);
	expect("fd_close twice", r_fd_close(fd), E_BADF);
}

static void inheriting(void)
{
	uint8_t st[24];
	L base;
	I fd, dfd, n;

	/* A directory whose children may not be written... */
	expect("open dir",
	       r_path_open(3, 0, S("."), 2, RIGHTS_DIR,
			   RIGHTS_ALL & ~R_FD_WRITE, 0, P(&dfd)),
	       OK);
	/* ...hands out read-only files even when write is asked for. */
	expect("open child asking write",
	       open_at(dfd, "f.txt", 0, 0, R_FD_READ | R_FD_WRITE, &fd), OK);
	r_fd_fdstat_get(fd, P(st));
	memcpy(&base, st + 8, 8);
	expect("child has read", (int)((base >> 1) & 1), 1);
	expect("child lacks write", (int)((base >> 6) & 1), 0);
	expect("child write refused", r_fd_write(fd, P(st), 0, P(&n)),
	       E_NOTCAPABLE);
	r_fd_close(fd);
	expect("renumber dir onto child slot", r_fd_renumber(dfd, 3), OK);
	expect("prestat gone after renumber", r_fd_prestat_get(3, P(st)),
	       E_BADF);
}

/* Reads the directory whole, then one entry per call with a buffer that
 * fits a single entry (and sometimes only part of one), following cookies
 * the way wasi-libc does; both must see the same entries. */
static void readdir_cookies(void)
{
	uint8_t big[4096], small[64];
	uint32_t namlen, off = 0;
	int nbig = 0, nsmall = 0, calls = 0;
	L cookie = 0;
	I used, size = 26;

	expect("readdir whole",
	       r_fd_readdir(3, P(big), sizeof(big), 0, P(&used)), OK);
	while (off + 24 <= (uint32_t)used) {
		memcpy(&namlen, big + off + 16, 4);
		off += 24 + namlen;
		nbig++;
	}
	while (calls++ < 100) {
		if (r_fd_readdir(3, P(small), size, cookie, P(&used)))
			break;
		if (used == 0)
			break;
		memcpy(&namlen, small + 16, 4);
		if (24 + namlen > (uint32_t)used) {
			size = 24 + namlen; /* cut short: ask again, bigger */
			continue;
		}
		memcpy(&cookie, small, 8);
		nsmall++;
		size = 26;
	}
	expect("readdir: at least . .. f.txt", nbig >= 3, 1);
	expect("readdir by cookies sees the same", nsmall, nbig);
}

static void misc(void)
{
	uint8_t subs[96] = {0}, ev[64];
	L t, res;
	I n, id;

	for (id = 0; id < 4; id++) {
		expect("clock_res_get", r_clock_res_get(id, P(&res)), OK);
		expect("clock_time_get", r_clock_time_get(id, 1, P(&t)), OK);
	}
	expect("clock_time_get bad id", r_clock_time_get(9, 1, P(&t)), E_INVAL);
	expect("proc_raise", r_proc_raise(2), E_NOTSUP);
	expect("sched_yield", r_sched_yield(), OK);
	expect("poll_oneoff no subs", r_poll_oneoff(P(subs), P(ev), 0, P(&n)),
	       E_INVAL);
	/* fd_read on an unknown fd: an event carrying EBADF. */
	subs[8] = 1;
	memcpy(subs + 16, &(I){55}, 4);
	expect("poll bad fd", r_poll_oneoff(P(subs), P(ev), 1, P(&n)), OK);
	expect("poll bad fd nevents", n, 1);
	expect("poll bad fd event error", ev[8], E_BADF);
	/* Two clocks: only the earlier fires. */
	memset(subs, 0, sizeof(subs));
	subs[0] = 11;
	memcpy(subs + 16, &(I){1}, 4);
	memcpy(subs + 24, &(L){5000000}, 8);
	subs[48] = 22;
	memcpy(subs + 64, &(I){1}, 4);
	memcpy(subs + 72, &(L){5000000000ll}, 8);
	expect("poll two clocks", r_poll_oneoff(P(subs), P(ev), 2, P(&n)), OK);
	expect("one event", n, 1);
	expect("earlier clock fired", ev[0], 11);
}

int main(void)
{
	pointers();
	readdir_cookies();
	descriptors();
	inheriting();
	misc();
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
