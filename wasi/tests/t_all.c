/* t_all.c (wasm only) — imports every wasi_snapshot_preview1 function
 * through wasi-libc's own declarations (<wasi/api.h>), so instantiating it
 * checks that all 46 exist on the host with the exact witx signatures. */
#include <wasi/api.h>

#include "raw.h"

static void *volatile fns[] = {
    (void *)__wasi_args_get,
    (void *)__wasi_args_sizes_get,
    (void *)__wasi_clock_res_get,
    (void *)__wasi_clock_time_get,
    (void *)__wasi_environ_get,
    (void *)__wasi_environ_sizes_get,
    (void *)__wasi_fd_advise,
    (void *)__wasi_fd_allocate,
    (void *)__wasi_fd_close,
    (void *)__wasi_fd_datasync,
    (void *)__wasi_fd_fdstat_get,
    (void *)__wasi_fd_fdstat_set_flags,
    (void *)__wasi_fd_fdstat_set_rights,
    (void *)__wasi_fd_filestat_get,
    (void *)__wasi_fd_filestat_set_size,
    (void *)__wasi_fd_filestat_set_times,
    (void *)__wasi_fd_pread,
    (void *)__wasi_fd_prestat_dir_name,
    (void *)__wasi_fd_prestat_get,
    (void *)__wasi_fd_pwrite,
    (void *)__wasi_fd_read,
    (void *)__wasi_fd_readdir,
    (void *)__wasi_fd_renumber,
    (void *)__wasi_fd_seek,
    (void *)__wasi_fd_sync,
    (void *)__wasi_fd_tell,
    (void *)__wasi_fd_write,
    (void *)__wasi_path_create_directory,
    (void *)__wasi_path_filestat_get,
    (void *)__wasi_path_filestat_set_times,
    (void *)__wasi_path_link,
    (void *)__wasi_path_open,
    (void *)__wasi_path_readlink,
    (void *)__wasi_path_remove_directory,
    (void *)__wasi_path_rename,
    (void *)__wasi_path_symlink,
    (void *)__wasi_path_unlink_file,
    (void *)__wasi_poll_oneoff,
    (void *)__wasi_proc_exit,
    (void *)__wasi_random_get,
    (void *)__wasi_sched_yield,
    (void *)__wasi_sock_accept,
    (void *)__wasi_sock_recv,
    (void *)__wasi_sock_send,
    (void *)__wasi_sock_shutdown,
    (void *)r_proc_raise,
};

int main(void)
{
	volatile unsigned n = sizeof(fns) / sizeof(fns[0]);

	printf("%u functions imported\n", n);
	return fns[n - 1] ? 0 : 1;
}
