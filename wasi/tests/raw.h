/* raw.h — wasi_snapshot_preview1 imported directly (wasm32 only), so tests
 * can pass what libc never would: bad pointers, odd flags, exact errnos.
 * Pointers are plain i32 guest addresses.
 */
#ifndef WASI_TEST_RAW_H
#define WASI_TEST_RAW_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IMP(n)                                                                 \
	__attribute__((import_module("wasi_snapshot_preview1"),                \
		       import_name(#n)))
typedef int32_t I;
typedef int64_t L;

I r_args_sizes_get(I, I) IMP(args_sizes_get);
I r_environ_get(I, I) IMP(environ_get);
I r_clock_res_get(I, I) IMP(clock_res_get);
I r_clock_time_get(I, L, I) IMP(clock_time_get);
I r_fd_close(I) IMP(fd_close);
I r_fd_fdstat_get(I, I) IMP(fd_fdstat_get);
I r_fd_fdstat_set_flags(I, I) IMP(fd_fdstat_set_flags);
I r_fd_fdstat_set_rights(I, L, L) IMP(fd_fdstat_set_rights);
I r_fd_prestat_get(I, I) IMP(fd_prestat_get);
I r_fd_prestat_dir_name(I, I, I) IMP(fd_prestat_dir_name);
I r_fd_read(I, I, I, I) IMP(fd_read);
I r_fd_write(I, I, I, I) IMP(fd_write);
I r_fd_pread(I, I, I, L, I) IMP(fd_pread);
I r_fd_readdir(I, I, I, L, I) IMP(fd_readdir);
I r_fd_renumber(I, I) IMP(fd_renumber);
I r_fd_seek(I, L, I, I) IMP(fd_seek);
I r_fd_tell(I, I) IMP(fd_tell);
I r_fd_filestat_get(I, I) IMP(fd_filestat_get);
I r_fd_filestat_set_times(I, L, L, I) IMP(fd_filestat_set_times);
I r_path_open(I, I, I, I, I, L, L, I, I) IMP(path_open);
I r_path_create_directory(I, I, I) IMP(path_create_directory);
I r_path_filestat_get(I, I, I, I, I) IMP(path_filestat_get);
I r_path_filestat_set_times(I, I, I, I, L, L, I) IMP(path_filestat_set_times);
I r_path_link(I, I, I, I, I, I, I) IMP(path_link);
I r_path_readlink(I, I, I, I, I, I) IMP(path_readlink);
I r_path_remove_directory(I, I, I) IMP(path_remove_directory);
I r_path_rename(I, I, I, I, I, I) IMP(path_rename);
I r_path_symlink(I, I, I, I, I) IMP(path_symlink);
I r_path_unlink_file(I, I, I) IMP(path_unlink_file);
I r_poll_oneoff(I, I, I, I) IMP(poll_oneoff);
I r_proc_raise(I) IMP(proc_raise);
I r_random_get(I, I) IMP(random_get);
I r_sched_yield(void) IMP(sched_yield);
I r_sock_accept(I, I, I) IMP(sock_accept);
I r_sock_recv(I, I, I, I, I, I) IMP(sock_recv);
I r_sock_send(I, I, I, I, I) IMP(sock_send);
I r_sock_shutdown(I, I) IMP(sock_shutdown);

#define P(x) ((I)(uintptr_t)(x))
#define S(s) P(s), (I)strlen(s)
#define BAD  ((I)0xfffffff0) /* beyond any memory these tests use */

/* WASI errnos by number, as the host must return them. */
enum {
	OK = 0,
	E_AGAIN = 6,
	E_BADF = 8,
	E_EXIST = 20,
	E_FAULT = 21,
	E_INVAL = 28,
	E_ISDIR = 31,
	E_LOOP = 32,
	E_NOENT = 44,
	E_NOTSOCK = 57,
	E_NOTSUP = 58,
	E_NOTDIR = 54,
	E_PERM = 63,
	E_NOTCAPABLE = 76
};

static int failures;

static inline void expect(const char *what, int got, int want)
{
	if (got == want) {
		printf("ok %s\n", what);
	} else {
		printf("FAIL %s: got %d want %d\n", what, got, want);
		failures++;
	}
}

#define RIGHTS_ALL    ((L)((1ull << 30) - 1))
#define R_FD_READ     (1ll << 1)
#define R_FD_WRITE    (1ll << 6)
#define LOOKUP_FOLLOW 1

/* A directory asked to be written is EISDIR, as natively. */
#define RIGHTS_DIR (RIGHTS_ALL & ~R_FD_WRITE)

static inline I open_at(I dir, const char *path, I follow, I oflags, L rights,
			I *fd)
{
	return r_path_open(dir, follow, S(path), oflags, rights, RIGHTS_ALL, 0,
			   P(fd));
}

#endif
