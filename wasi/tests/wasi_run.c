/* wasi_run.c — the WASI suite's runner: engine + wasi/ only, no BPF.
 *   wasi_run [--dir HOST[::GUEST]]... [--env K=V]... [--socketpair]
 *            [--listen] MODULE.wasm [ARGS...]
 * --socketpair hands the guest both ends of a stream socketpair, --listen
 * a listening unix socket with one client already queued (it writes
 * "hello"); they follow the preopens. Exits with the guest's status, 134
 * on a trap, 125 if the module cannot be run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "wasi/wasi.h"

struct args {
	struct wasi_preopen pre[8];
	const char *env[16];
	int extra[4];
	int npre, nenv, nextra;
};

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? n : 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int listener(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c;

	/* An abstract name: nothing on disk to clean up. */
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "wasi-run-%d",
		 getpid());
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4))
		return -1;
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(c, "hello", 5) != 5)
		return -1;
	return l; /* c stays open so the guest can read */
}

static int parse(struct args *a, int argc, char **argv)
{
	int i, sv[2];

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((!strcmp(argv[i], "--dir") || !strcmp(argv[i], "--ro-dir")) &&
		    i + 1 < argc) {
			char *d = argv[i + 1], *sep = strstr(d, "::");

			a->pre[a->npre].read_only = argv[i++][2] == 'r';
			if (sep)
				*sep = 0;
			a->pre[a->npre].host_path = d;
			a->pre[a->npre++].guest_path = sep ? sep + 2 : d;
		} else if (!strcmp(argv[i], "--env") && i + 1 < argc) {
			a->env[a->nenv++] = argv[++i];
		} else if (!strcmp(argv[i], "--socketpair")) {
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
				return -1;
			a->extra[a->nextra++] = sv[0];
			a->extra[a->nextra++] = sv[1];
		} else if (!strcmp(argv[i], "--listen")) {
			a->extra[a->nextra++] = listener();
		} else {
			return -1;
		}
	}
	return i < argc ? i : -1;
}

static int run(struct wasm_module *m, struct wasi_ctx *ctx)
{
	struct wasm_instance_opts io = {.sz = sizeof(io)};
	struct wasm_linker *l = wasm_linker__new();
	struct wasm_error err;
	struct wasm_instance *inst;
	const struct wasm_trap *t;
	int st, rc;

	wasi_ctx__define(ctx, l);
	inst = wasm_instance__new(m, l, &io, &err);
	if (!inst) {
		fprintf(stderr, "wasi_run: %s\n", err.msg);
		return 125;
	}
	st = wasm_func__call(inst, wasm_instance__export_func(inst, "_start"),
			     NULL, 0, NULL, 0);
	t = wasm_instance__trap(inst);
	rc = st == WASM_OK ? 0 : st == WASM_EXITED ? t->exit_code : 134;
	if (rc == 134)
		fprintf(stderr, "wasi_run: trap: %s\n", t ? t->message : "?");
	wasm_instance__free(inst);
	wasm_linker__free(l);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = {.npre = 0};
	struct wasm_error err;
	struct wasm_module *m;
	struct wasi_ctx *ctx;
	size_t len;
	void *buf;
	int i = parse(&a, argc, argv), rc;

	if (i < 0) {
		fprintf(stderr, "usage: wasi_run [options] MODULE [ARGS...]\n");
		return 2;
	}
	buf = slurp(argv[i], &len);
	m = buf ? wasm_module__load(buf, len, NULL, &err) : NULL;
	if (!m) {
		fprintf(stderr, "wasi_run: %s: %s\n", argv[i],
			buf ? err.msg : strerror(errno));
		return 125;
	}
	struct wasi_opts o = {
	    .sz = sizeof(o),
	    .argc = argc - i,
	    .argv = (const char *const *)argv + i,
	    .envc = a.nenv,
	    .envp = a.env,
	    .npreopens = a.npre,
	    .preopens = a.pre,
	    .stdin_fd = 0,
	    .stdout_fd = 1,
	    .stderr_fd = 2,
	    .nextra_fds = a.nextra,
	    .extra_fds = a.extra,
	};
	ctx = wasi_ctx__new(&o, &err);
	if (!ctx) {
		fprintf(stderr, "wasi_run: %s\n", err.msg);
		return 125;
	}
	rc = run(m, ctx);
	wasi_ctx__free(ctx);
	wasm_module__free(m);
	free(buf);
	return rc;
}
