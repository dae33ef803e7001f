/* t_conform.c (wasm only) — the cases the official wasi-testsuite caught,
 * one per argument, so each is its own test: `shutdown` (sock_* on what is
 * not a socket is NOTSOCK, not a missing right), `preopen` (a directory
 * opens as one whatever write rights come with it; only FD_WRITE asked of
 * a directory is ISDIR) and `symlink` (a link to an absolute path is
 * refused). Run with preopen "." (fd 3) holding f.txt and sub/. */
#include "raw.h"

static void shutdown_case(void)
{
	I fd, n;

	expect("sock_shutdown on stdout", r_sock_shutdown(1, 1), E_NOTSOCK);
	expect("sock_shutdown on a directory", r_sock_shutdown(3, 3),
	       E_NOTSOCK);
	expect("open f.txt", open_at(3, "f.txt", 0, 0, RIGHTS_ALL, &fd), OK);
	expect("sock_shutdown on a file", r_sock_shutdown(fd, 2), E_NOTSOCK);
	expect("sock_accept on a file", r_sock_accept(fd, 0, P(&n)), E_NOTSOCK);
	expect("sock_shutdown on no descriptor", r_sock_shutdown(99, 1),
	       E_BADF);
}

/* Opens `path` beneath fd 3 and checks it is a directory. */
static void opens_dir(const char *what, const char *path, I oflags, L base,
		      L inh)
{
	uint8_t st[24] = {0};
	I fd = -1;

	expect(what, r_path_open(3, 0, S(path), oflags, base, inh, 0, P(&fd)),
	       OK);
	r_fd_fdstat_get(fd, P(st));
	expect("  ...as a directory", st[0], 3);
	r_fd_close(fd);
}

static void preopen_case(void)
{
	uint8_t st[24];
	L base, inh;
	I fd;

	expect("fdstat of the preopen", r_fd_fdstat_get(3, P(st)), OK);
	memcpy(&base, st + 8, 8);
	memcpy(&inh, st + 16, 8);
	opens_dir("reopen . with its own rights", ".", 0, base, inh);
	opens_dir("open sub with the preopen's rights", "sub", 0, base, inh);
	opens_dir("open sub with every right but FD_WRITE", "sub", 0,
		  RIGHTS_DIR, RIGHTS_ALL);
	opens_dir("open . with no rights", ".", 0, 0, 0);
	opens_dir("open . O_DIRECTORY, no rights", ".", 2, 0, 0);
	opens_dir("open . O_DIRECTORY, read", ".", 2, R_FD_READ, 0);
	expect("open . O_DIRECTORY, read+write",
	       open_at(3, ".", 0, 2, R_FD_READ | R_FD_WRITE, &fd), E_ISDIR);
	expect("open sub for writing", open_at(3, "sub", 0, 0, R_FD_WRITE, &fd),
	       E_ISDIR);
}

static void symlink_case(void)
{
	uint8_t fst[64];

	expect("symlink to /", r_path_symlink(S("/"), 3, S("l1")), E_PERM);
	expect("  ...nothing made", r_path_filestat_get(3, 0, S("l1"), P(fst)),
	       E_NOENT);
	expect("symlink to /etc/passwd",
	       r_path_symlink(S("/etc/passwd"), 3, S("l2")), E_PERM);
	expect("symlink to //f.txt", r_path_symlink(S("//f.txt"), 3, S("l3")),
	       E_PERM);
	expect("symlink to f.txt", r_path_symlink(S("f.txt"), 3, S("l4")), OK);
	expect("  ...made", r_path_filestat_get(3, 0, S("l4"), P(fst)), OK);
	expect("  ...a symlink", fst[16], 7);
	expect("symlink to / from a bad fd",
	       r_path_symlink(S("/"), 99, S("l5")), E_BADF);
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "shutdown"))
		shutdown_case();
	else if (!strcmp(c, "preopen"))
		preopen_case();
	else if (!strcmp(c, "symlink"))
		symlink_case();
	else
		expect("a known case", 0, 1);
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
