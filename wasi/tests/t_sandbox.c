/* t_sandbox.c (wasm only) — escape attempts from preopen "." (fd 3), which
 * run.sh fills with: inside.txt, sub/, abs_link -> OUTSIDE/secret.txt,
 * rel_link -> ../outside/secret.txt, dir_link -> ../outside, etc_link ->
 * /etc, dangling_out -> ../outside/created.txt. Every escape must fail
 * with NOTCAPABLE (or what the spec says for a symlink not followed) and
 * leave OUTSIDE unchanged (run.sh checks). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "raw.h"

#define ESC(what, call) expect(what, call, E_NOTCAPABLE)

static void opens(void)
{
	I fd, sub;

	ESC("open ..", open_at(3, "..", 0, 0, RIGHTS_ALL, &fd));
	ESC("open ../outside/secret.txt",
	    open_at(3, "../outside/secret.txt", 0, 0, RIGHTS_ALL, &fd));
	ESC("open absolute", open_at(3, "/etc/passwd", 0, 0, RIGHTS_ALL, &fd));
	ESC("open sub/../../x",
	    open_at(3, "sub/../../outside/secret.txt", 0, 0, RIGHTS_ALL, &fd));
	ESC("open abs_link follow",
	    open_at(3, "abs_link", LOOKUP_FOLLOW, 0, RIGHTS_ALL, &fd));
	ESC("open rel_link follow",
	    open_at(3, "rel_link", LOOKUP_FOLLOW, 0, RIGHTS_ALL, &fd));
	ESC("open dir_link/secret.txt",
	    open_at(3, "dir_link/secret.txt", 0, 0, RIGHTS_ALL, &fd));
	ESC("open etc_link/passwd",
	    open_at(3, "etc_link/passwd", LOOKUP_FOLLOW, 0, RIGHTS_ALL, &fd));
	ESC("create through dir_link",
	    open_at(3, "dir_link/new.txt", 0, 1, RIGHTS_ALL, &fd));
	ESC("create ../new.txt",
	    open_at(3, "../outside/new.txt", 0, 1, RIGHTS_ALL, &fd));
	ESC("create through dangling_out",
	    open_at(3, "dangling_out", LOOKUP_FOLLOW, 1, RIGHTS_ALL, &fd));
	expect("open abs_link nofollow",
	       open_at(3, "abs_link", 0, 0, RIGHTS_ALL, &fd), E_LOOP);
	expect("open .", open_at(3, ".", 0, 2, RIGHTS_DIR, &fd), OK);
	r_fd_close(fd);
	expect("open sub/../inside.txt",
	       open_at(3, "sub/../inside.txt", 0, 0, RIGHTS_ALL, &fd), OK);
	r_fd_close(fd);
	expect("open sub", open_at(3, "sub", 0, 2, RIGHTS_DIR, &sub), OK);
	/* Beneath the descriptor used, not just beneath the preopen. */
	ESC("open ../inside.txt from sub",
	    open_at(sub, "../inside.txt", 0, 0, RIGHTS_ALL, &fd));
	r_fd_close(sub);
}

static void names(void)
{
	uint8_t st[64], buf[256];
	I n;

	ESC("stat abs_link follow",
	    r_path_filestat_get(3, LOOKUP_FOLLOW, S("abs_link"), P(st)));
	expect("stat abs_link nofollow",
	       r_path_filestat_get(3, 0, S("abs_link"), P(st)), OK);
	expect("nofollow gives symlink type", st[16], 7);
	ESC("stat ../outside",
	    r_path_filestat_get(3, 0, S("../outside"), P(st)));
	ESC("stat dir_link/secret.txt",
	    r_path_filestat_get(3, 0, S("dir_link/secret.txt"), P(st)));
	ESC("mkdir ../newdir",
	    r_path_create_directory(3, S("../outside/newdir")));
	ESC("mkdir dir_link/newdir",
	    r_path_create_directory(3, S("dir_link/newdir")));
	ESC("unlink ../outside/secret.txt",
	    r_path_unlink_file(3, S("../outside/secret.txt")));
	ESC("unlink dir_link/secret.txt",
	    r_path_unlink_file(3, S("dir_link/secret.txt")));
	ESC("rmdir dir_link/..", r_path_remove_directory(3, S("dir_link/..")));
	ESC("rmdir ../outside", r_path_remove_directory(3, S("../outside")));
	ESC("rename out",
	    r_path_rename(3, S("inside.txt"), 3, S("../outside/moved.txt")));
	ESC("rename into dir_link",
	    r_path_rename(3, S("inside.txt"), 3, S("dir_link/moved.txt")));
	ESC("rename in from outside",
	    r_path_rename(3, S("../outside/secret.txt"), 3, S("got.txt")));
	ESC("rename via abs",
	    r_path_rename(3, S("inside.txt"), 3, S("/tmp/moved.txt")));
	ESC("link follow abs_link",
	    r_path_link(3, LOOKUP_FOLLOW, S("abs_link"), 3, S("stolen")));
	ESC("link from outside",
	    r_path_link(3, 0, S("../outside/secret.txt"), 3, S("stolen2")));
	ESC("link to outside",
	    r_path_link(3, 0, S("inside.txt"), 3, S("../outside/planted")));
	ESC("symlink placed outside",
	    r_path_symlink(S("x"), 3, S("../outside/planted")));
	expect("symlink pointing out (allowed)",
	       r_path_symlink(S("../outside/secret.txt"), 3, S("newlink")), OK);
	ESC("open newlink follow",
	    open_at(3, "newlink", LOOKUP_FOLLOW, 0, RIGHTS_ALL, (I *)buf));
	expect("readlink abs_link",
	       r_path_readlink(3, S("abs_link"), P(buf), sizeof(buf), P(&n)),
	       OK);
	ESC("times follow abs_link",
	    r_path_filestat_set_times(3, LOOKUP_FOLLOW, S("abs_link"), 0, 0,
				      0x4 | 0x1));
	ESC("times ../outside/secret.txt",
	    r_path_filestat_set_times(3, 0, S("../outside/secret.txt"), 0, 0,
				      0x5));
	expect("empty path", r_path_create_directory(3, P(""), 0), E_NOENT);
	expect("NUL inside path", r_path_create_directory(3, P("a\0b"), 3),
	       E_INVAL);
}

static void libc(void)
{
	errno = 0;
	printf("libc open ../outside/secret.txt: %d %s\n",
	       open("../outside/secret.txt", O_RDONLY), strerror(errno));
	errno = 0;
	printf("libc open abs_link: %d %s\n", open("abs_link", O_RDONLY),
	       strerror(errno));
	errno = 0;
	printf("libc rename out: %d %s\n", rename("inside.txt", "../outside/x"),
	       strerror(errno));
}

int main(void)
{
	opens();
	names();
	libc();
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
