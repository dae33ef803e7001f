/* bench/engine/w2c-main.c — the host side of the wasm2c column: main()
 * for a kernel translated with `wasm2c --module-name=kern` and the few
 * WASI preview1 imports the kernels use (args, clock, fd_write to stdout
 * and stderr, proc_exit; fd_close/fd_seek/fd_fdstat_get answer as for a
 * character device). Built with gcc -O2 against wabt's wasm-rt-impl.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kern.w2c.h"
#include "wasm-rt-impl.h"

#define WASI_EBADF  8
#define WASI_EINVAL 28
#define WASI_ESPIPE 70

struct Z_wasi_snapshot_preview1_instance_t {
	wasm_rt_memory_t *mem;
	int argc;
	char **argv;
};

static uint8_t *at(struct Z_wasi_snapshot_preview1_instance_t *w, u32 p, u32 n)
{
	if ((uint64_t)p + n > w->mem->size)
		wasm_rt_trap(WASM_RT_TRAP_OOB);
	return w->mem->data + p;
}

static void put32(struct Z_wasi_snapshot_preview1_instance_t *w, u32 p, u32 v)
{
	memcpy(at(w, p, 4), &v, 4);
}

u32 Z_wasi_snapshot_preview1Z_args_sizes_get(
    struct Z_wasi_snapshot_preview1_instance_t *w, u32 pc, u32 psz)
{
	u32 sz = 0;

	for (int i = 0; i < w->argc; i++)
		sz += (u32)strlen(w->argv[i]) + 1;
	put32(w, pc, (u32)w->argc);
	put32(w, psz, sz);
	return 0;
}

u32 Z_wasi_snapshot_preview1Z_args_get(
    struct Z_wasi_snapshot_preview1_instance_t *w, u32 pv, u32 pbuf)
{
	for (int i = 0; i < w->argc; i++) {
		u32 n = (u32)strlen(w->argv[i]) + 1;

		memcpy(at(w, pbuf, n), w->argv[i], n);
		put32(w, pv + 4 * (u32)i, pbuf);
		pbuf += n;
	}
	return 0;
}

u32 Z_wasi_snapshot_preview1Z_clock_time_get(
    struct Z_wasi_snapshot_preview1_instance_t *w, u32 id, u64 prec, u32 p)
{
	struct timespec ts;
	u64 ns;

	static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
					 CLOCK_PROCESS_CPUTIME_ID,
					 CLOCK_THREAD_CPUTIME_ID };

	if (id > 3 || clock_gettime(ids[id], &ts))
		return WASI_EINVAL;
	ns = (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
	memcpy(at(w, p, 8), &ns, 8);
	return 0;
}

u32 Z_wasi_snapshot_preview1Z_fd_write(
    struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd, u32 iovs, u32 n,
    u32 pwritten)
{
	u32 total = 0;

	if (fd != 1 && fd != 2)
		return WASI_EBADF;
	for (u32 i = 0; i < n; i++) {
		u32 base, len;

		memcpy(&base, at(w, iovs + 8 * i, 4), 4);
		memcpy(&len, at(w, iovs + 8 * i + 4, 4), 4);
		if (len &&
		    write((int)fd, at(w, base, len), len) != (ssize_t)len)
			return WASI_EBADF;
		total += len;
	}
	put32(w, pwritten, total);
	return 0;
}

u32 Z_wasi_snapshot_preview1Z_fd_close(
    struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd)
{
	return 0;
}

u32 Z_wasi_snapshot_preview1Z_fd_seek(
    struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd, u64 off, u32 whence,
    u32 p)
{
	return WASI_ESPIPE;
}

/* fdstat: filetype character device, no flags, all rights. */
u32 Z_wasi_snapshot_preview1Z_fd_fdstat_get(
    struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd, u32 p)
{
	uint8_t *s = at(w, p, 24);

	if (fd > 2)
		return WASI_EBADF;
	memset(s, 0, 24);
	s[0] = 2;
	memset(s + 8, 0xff, 16);
	return 0;
}

void Z_wasi_snapshot_preview1Z_proc_exit(
    struct Z_wasi_snapshot_preview1_instance_t *w, u32 code)
{
	exit((int)code);
}

int main(int argc, char **argv)
{
	struct Z_wasi_snapshot_preview1_instance_t wasi = {NULL, argc, argv};
	Z_kern_instance_t inst;
	wasm_rt_trap_t trap;

	wasm_rt_init();
	Z_kern_init_module();
	Z_kern_instantiate(&inst, &wasi);
	wasi.mem = Z_kernZ_memory(&inst);
	trap = wasm_rt_impl_try();
	if (trap) {
		fprintf(stderr, "wasm2c: trap: %s\n", wasm_rt_strerror(trap));
		return 134;
	}
	Z_kernZ__start(&inst);
	Z_kern_free(&inst);
	wasm_rt_free();
	return 0;
}
