/* t_readonly.c (wasm only) — a read-only preopen "." (fd 3), which run.sh
 * fills with f.txt ("data") and sub/: looking, reading and listing work;
 * every call that would write or change the tree is NOTCAPABLE, on the
 * preopen and on what is opened beneath it, and a descriptor cannot win
 * its rights back. run.sh checks the tree is unchanged. */
#include "raw.h"

#define RO(what, call) expect(what, call, E_NOTCAPABLE)

static void rights(void)
{
	uint8_t st[24];
	L base, inh;

	expect("fdstat of the preopen", r_fd_fdstat_get(3, P(st)), 0);
	memcpy(&base, st + 8, 8);
	memcpy(&inh, st + 16, 8);
	expect("preopen: no write, create, unlink or rename rights",
	       !!(base & ((1 << 9) | (1 << 10) | (1 << 16) | (1 << 26))), 0);
	expect("preopen: nothing writable to inherit",
	       !!(inh & (R_FD_WRITE | (1 << 22) | (1 << 23))), 0);
	RO("widen the preopen's rights",
	   r_fd_fdstat_set_rights(3, RIGHTS_ALL, RIGHTS_ALL));
}

static void files(void)
{
	char buf[8] = {0};
	I fd, n, iov[2] = {P(buf), 4};

	expect("open f.txt asking for every right",
	       open_at(3, "f.txt", 0, 0, RIGHTS_ALL, &fd), 0);
	expect("read f.txt", r_fd_read(fd, P(iov), 1, P(&n)), 0);
	expect("f.txt read back", memcmp(buf, "data", 4), 0);
	RO("write f.txt", r_fd_write(fd, P(iov), 1, P(&n)));
	RO("set f.txt's times by descriptor",
	   r_fd_filestat_set_times(fd, 0, 0, 2 | 8));
	RO("widen f.txt's rights", r_fd_fdstat_set_rights(fd, RIGHTS_ALL, 0));
	r_fd_close(fd);
	RO("create new.txt", open_at(3, "new.txt", 0, 1, RIGHTS_ALL, &fd));
	RO("truncate f.txt", open_at(3, "f.txt", 0, 8, RIGHTS_ALL, &fd));
}

static void tree(void)
{
	uint8_t dirent[256];
	I sub, fd, n;

	RO("mkdir", r_path_create_directory(3, S("d2")));
	RO("unlink f.txt", r_path_unlink_file(3, S("f.txt")));
	RO("rmdir sub", r_path_remove_directory(3, S("sub")));
	RO("rename f.txt", r_path_rename(3, S("f.txt"), 3, S("g.txt")));
	RO("symlink", r_path_symlink(S("f.txt"), 3, S("l")));
	RO("link", r_path_link(3, 0, S("f.txt"), 3, S("h.txt")));
	RO("set f.txt's times by path",
	   r_path_filestat_set_times(3, 0, S("f.txt"), 0, 0, 2 | 8));
	expect("list the preopen",
	       r_fd_readdir(3, P(dirent), sizeof(dirent), 0, P(&n)), 0);
	expect("open sub", open_at(3, "sub", 0, 2, RIGHTS_DIR, &sub), 0);
	RO("create sub/new.txt",
	   open_at(sub, "new.txt", 0, 1, RIGHTS_ALL, &fd));
	RO("mkdir sub/d", r_path_create_directory(sub, S("d")));
	r_fd_close(sub);
}

int main(void)
{
	rights();
	files();
	tree();
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
