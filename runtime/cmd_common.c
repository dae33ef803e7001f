/* cmd_common.c — what the distribution subcommands share (cmd_common.h):
 * messages, the store, references, sizes, the progress bar and Ctrl-C. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "engine/wasm.h"
#include "policy/wasm_embed.h"
#include "runtime/cmd_common.h"

static volatile int g_cancel;
static const char *g_label;
static bool g_bar_shown;

int cmd_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	cmd_progress_done();
	fprintf(stderr, "wasm-bpf %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CMD_FAIL;
}

int cmd_usage(const char *cmd, const char *synopsis)
{
	fprintf(stderr, "Usage: wasm-bpf %s %s\n", cmd, synopsis);
	return CMD_USAGE;
}

int cmd_store(const char *cmd, const char *dir, struct oci_store **s)
{
	struct oci_err e;

	if (oci_store_open(dir, s, &e))
		return cmd_fail(cmd, "%s", e.msg);
	return 0;
}

int cmd_ref(const char *cmd, const char *arg, struct oci_ref *r)
{
	struct oci_err e;

	if (oci_ref_parse(arg, r, &e))
		return cmd_fail(cmd, "%s", e.msg);
	return 0;
}

void cmd_size(char *buf, size_t len, long long b)
{
	if (b < 1000)
		snprintf(buf, len, "%lld B", b);
	else if (b < 1000 * 1000)
		snprintf(buf, len, "%.1f kB", b / 1e3);
	else
		snprintf(buf, len, "%.1f MB", b / 1e6);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void on_progress(void *ctx, int64_t done, int64_t total)
{
	static long long last_ms;
	static int64_t last_done = -1;
	char d[32], t[32];
	int w = 30, fill;
	long long ms = now_ms();

	/* Small transfers finish before a bar would be worth drawing; redraw
	 * at most ten times a second, and the end once. */
	if (total < (1 << 20) || done == last_done ||
	    (done < total && ms - last_ms < 100))
		return;
	last_ms = ms;
	last_done = done;
	fill = (int)(w * done / total);
	cmd_size(d, sizeof(d), done);
	cmd_size(t, sizeof(t), total);
	fprintf(stderr, "\r%-24.24s [%.*s%*s] %s / %s ", g_label ? g_label : "",
		fill, "==============================", w - fill, "", d, t);
	g_bar_shown = true;
}

void cmd_progress_done(void)
{
	if (g_bar_shown)
		fputc('\n', stderr);
	g_bar_shown = false;
}

static void on_sigint(int sig)
{
	g_cancel = 1;
}

void cmd_client_opts(struct oci_client_opts *o, const char *label)
{
	struct sigaction sa = {.sa_handler = on_sigint};

	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->cancel = &g_cancel;
	g_label = label;
	if (isatty(STDERR_FILENO))
		o->progress = on_progress;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool cmd_is_sig_name(const char *name)
{
	const char *colon = strrchr(name, ':');
	size_t n = colon ? strlen(colon) : 0;

	return n > 4 && !strncmp(colon, ":sha256-", 8) &&
	       !strcmp(colon + n - 4, ".sig");
}

int cmd_add_str(const char ***v, int *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

int cmd_scan(const struct oci_buf *wasm, struct cmd_objs *o, char *err,
	     size_t errlen)
{
	struct wasm_error werr = {{0}};
	struct wasm_embed_obj *objs;
	struct wasm_module *m;
	size_t n;
	int r;

	memset(o, 0, sizeof(*o));
	m = wasm_module__load(wasm->data, wasm->len, NULL, &werr);
	if (!m) {
		snprintf(err, errlen, "not a valid Wasm module: %s", werr.msg);
		return -EINVAL;
	}
	r = wasm_embed__find(m, &objs, &n);
	wasm_module__free(m);
	if (r) {
		snprintf(err, errlen, "%s", wasm_embed__strerror(r));
		return r;
	}
	o->v = calloc(n ? n : 1, sizeof(*o->v));
	for (size_t i = 0; o->v && i < n; i++) {
		struct cmd_obj *c = &o->v[o->n++];

		c->size = objs[i].len;
		bpf_facts__scan(objs[i].elf, objs[i].len, &c->facts, c->why,
				sizeof(c->why));
	}
	wasm_embed__free(objs, n);
	if (!o->v) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

void cmd_objs_free(struct cmd_objs *o)
{
	for (size_t i = 0; i < o->n; i++)
		bpf_facts__free(o->v[i].facts);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

void cmd_caps(const struct cmd_objs *o, char *buf, size_t len)
{
	unsigned caps = 0;

	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].facts)
			caps |= bpf_facts__caps(o->v[i].facts);
	snprintf(buf, len, "%s%s%s", caps & BPF_FACTS_CAP_BPF ? "CAP_BPF" : "",
		 caps & BPF_FACTS_CAP_PERFMON ? " CAP_PERFMON" : "",
		 caps & BPF_FACTS_CAP_NET_ADMIN ? " CAP_NET_ADMIN" : "");
}

const char *cmd_prog_type(enum bpf_prog_type t)
{
	const char *s = libbpf_bpf_prog_type_str(t);

	return s ? s : "unknown";
}

const char *cmd_map_type(enum bpf_map_type t)
{
	const char *s = libbpf_bpf_map_type_str(t);

	return s ? s : "unknown";
}
