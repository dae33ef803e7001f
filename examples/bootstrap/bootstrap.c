// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bootstrap.c — prints process execs and exits (with lifetimes) as
 * libbpf-bootstrap's bootstrap does. Builds as a wasm-bpf guest and, from
 * the same source, natively against libbpf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libbpf-wasm.h"
#include "bootstrap.skel.h"
#include "bootstrap.types.h"

static struct env {
	bool verbose;
	long min_duration_ms;
} env;

static const char usage[] =
    "Usage: bootstrap [-v] [-d <min-duration-ms>]\n"
    "\n"
    "Trace process start and exits and show associated information\n"
    "(filename, process duration, PID and PPID, etc).\n"
    "\n"
    "  -d, --duration=MS  Minimum process duration (ms) to report\n"
    "  -v, --verbose      Verbose debug output\n";

/* A positive decimal number, or -1 (strtol would add 1.5 KB to the guest). */
static long parse_ms(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000L)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			env.verbose = true;
		} else if ((!strcmp(a, "-d") || !strcmp(a, "--duration")) &&
			   i + 1 < argc) {
			env.min_duration_ms = parse_ms(argv[++i]);
			if (env.min_duration_ms <= 0) {
				fprintf(stderr, "Invalid duration: %s\n",
					argv[i]);
				return -1;
			}
		} else {
			fputs(usage, !strcmp(a, "-h") || !strcmp(a, "--help")
					 ? stdout
					 : stderr);
			return strcmp(a, "-h") && strcmp(a, "--help") ? -1 : 1;
		}
	}
	return 0;
}

static int handle_event(void *ctx, void *data, size_t data_sz)
{
	const struct event *e = data;
	char ts[16];
	time_t t = time(NULL) % 86400;

	if (data_sz < sizeof(*e))
		return 0;
	/* HH:MM:SS (UTC, as WASI has no time zone) without strftime's 4 KB */
	snprintf(ts, sizeof(ts), "%02d:%02d:%02d", (int)(t / 3600),
		 (int)(t / 60 % 60), (int)(t % 60));
	if (e->exit_event) {
		printf("%-8s %-5s %-16s %-7d %-7d [%u]", ts, "EXIT", e->comm,
		       e->pid, e->ppid, e->exit_code);
		if (e->duration_ns)
			printf(" (%llums)",
			       (unsigned long long)e->duration_ns / 1000000);
		printf("\n");
	} else {
		printf("%-8s %-5s %-16s %-7d %-7d %s\n", ts, "EXEC", e->comm,
		       e->pid, e->ppid, e->filename);
	}
	/* The runtime may be stopped by a signal: never sit on output. */
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_buffer *rb = NULL;
	struct bootstrap_bpf *skel;
	int err;

	err = parse_args(argc, argv);
	if (err)
		return err < 0 ? 1 : 0;
	skel = bootstrap_bpf__open();
	if (!skel) {
		fprintf(stderr, "Failed to open BPF skeleton\n");
		return 1;
	}
	/* Before load: .rodata becomes read-only for the verifier. */
	skel->rodata->min_duration_ns = env.min_duration_ms * 1000000ULL;
	err = bootstrap_bpf__load(skel);
	if (err) {
		fprintf(stderr, "Failed to load and verify BPF skeleton\n");
		goto cleanup;
	}
	err = bootstrap_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "Failed to attach BPF skeleton\n");
		goto cleanup;
	}
	rb = bpf_buffer__open(skel->maps.rb, handle_event, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "Failed to create ring buffer\n");
		goto cleanup;
	}
	printf("%-8s %-5s %-16s %-7s %-7s %s\n", "TIME", "EVENT", "COMM", "PID",
	       "PPID", "FILENAME/EXIT CODE");
	fflush(stdout);
	for (;;) {
		err = bpf_buffer__poll(rb, 100 /* ms */);
		if (err == -EINTR) {
			err = 0;
			break;
		}
		if (err < 0) {
			fprintf(stderr, "Error polling ring buffer: %d\n", err);
			break;
		}
	}
cleanup:
	bpf_buffer__free(rb);
	bootstrap_bpf__destroy(skel);
	return err < 0 ? -err : 0;
}
