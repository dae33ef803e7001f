/* upstream.c — upstream wasm-bpf's C++ library entry point, wasm_main(),
 * over the embedding API, for applications moving over (README: Upstream
 * compatibility maps the rest of upstream's API onto wasm_bpf.h). Its own
 * file so that only programs calling it link it.
 */
#include <stdio.h>

#include "runtime/wasm_bpf.h"

int wasm_main(unsigned char *buf, unsigned int size, int argc, char *argv[])
{
	struct wasm_bpf_app_opts opts = {.sz = sizeof(opts)};
	struct wasm_error err = {{0}};
	struct wasm_bpf_app *app;
	int status;

	app = wasm_bpf_app__open_mem(buf, size, &opts, &err);
	if (!app) {
		fprintf(stderr, "wasm-bpf: %s\n", err.msg);
		return -1;
	}
	status = wasm_bpf_app__set_args(app, argc, (const char *const *)argv);
	if (!status)
		status = wasm_bpf_app__run(app);
	switch (wasm_bpf_app__end(app)) {
	case WASM_BPF_END_EXIT:
	case WASM_BPF_END_STOPPED:
		break;
	default:
		fprintf(stderr, "wasm-bpf: %s\n", wasm_bpf_app__errmsg(app));
		status = -1;
	}
	wasm_bpf_app__free(app);
	return status;
}
