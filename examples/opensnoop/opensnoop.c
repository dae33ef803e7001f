// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* opensnoop.c — traces open()/openat() system wide, as libbpf-tools'
 * opensnoop does (a subset of its options), reading a perf buffer with
 * libbpf's perf_buffer API. Builds as a wasm-bpf guest and natively. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libbpf-wasm.h"
#include "opensnoop.skel.h"
#include "opensnoop.types.h"

static struct env {
	int pid, tid;
	long uid;
	long duration;
	bool failed, timestamp;
} env = {.uid = -1};

static const char usage[] =
    "Usage: opensnoop [-h] [-T] [-x] [-p PID] [-t TID] [-u UID] [-d DURATION]\n"
    "Trace open family syscalls.\n\n"
    "  -d, --duration=SEC  Duration to trace\n"
    "  -p, --pid=PID       Process ID to trace\n"
    "  -t, --tid=TID       Thread ID to trace\n"
    "  -u, --uid=UID       User ID to trace\n"
    "  -T, --timestamp     Print timestamp\n"
    "  -x, --failed        Failed opens only\n";

static long number(const char *s)
{
	long v = 0;

	if (!s || !*s)
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
		const char *a = argv[i],
			   *val = i + 1 < argc ? argv[i + 1] : NULL;
		long v = number(val);

		if (!strcmp(a, "-T") || !strcmp(a, "--timestamp")) {
			env.timestamp = true;
			continue;
		}
		if (!strcmp(a, "-x") || !strcmp(a, "--failed")) {
			env.failed = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 1;
		}
		if (v < 0 || a[0] != '-' || !strchr("pdtu", a[1]) || a[2]) {
			fputs(usage, stderr);
			return -1;
		}
		i++;
		if (a[1] == 'p')
			env.pid = v;
		else if (a[1] == 't')
			env.tid = v;
		else if (a[1] == 'u')
			env.uid = v;
		else
			env.duration = v;
	}
	return 0;
}

static void handle_event(void *ctx, int cpu, void *data, uint32_t size)
{
	const struct event *e = data;
	int fd = e->ret >= 0 ? e->ret : -1;
	int err = e->ret >= 0 ? 0 : -e->ret;

	if (size < sizeof(*e))
		return;
	if (env.timestamp) {
		time_t t = time(NULL) % 86400;

		printf("%02d:%02d:%02d ", (int)(t / 3600), (int)(t / 60 % 60),
		       (int)(t % 60));
	}
	printf("%-6d %-16s %3d %3d %s\n", e->pid, e->comm, fd, err, e->fname);
	fflush(stdout);
}

static void handle_lost(void *ctx, int cpu, unsigned long long cnt)
{
	fprintf(stderr, "Lost %llu events on CPU #%d!\n", cnt, cpu);
}

int main(int argc, char **argv)
{
	struct perf_buffer *pb = NULL;
	struct opensnoop_bpf *obj;
	time_t end;
	int err;

	err = parse_args(argc, argv);
	if (err)
		return err < 0;
	obj = opensnoop_bpf__open();
	if (!obj) {
		fprintf(stderr, "failed to open BPF object\n");
		return 1;
	}
	obj->rodata->targ_tgid = env.pid;
	obj->rodata->targ_pid = env.tid;
	obj->rodata->targ_uid = (uint32_t)env.uid;
	obj->rodata->targ_failed = env.failed;
	err = opensnoop_bpf__load(obj);
	if (!err)
		err = opensnoop_bpf__attach(obj);
	if (err) {
		fprintf(stderr, "failed to load/attach BPF programs: %s\n",
			strerror(errno));
		goto cleanup;
	}
	pb = perf_buffer__new(bpf_map__fd(obj->maps.events), 64, handle_event,
			      (perf_buffer_lost_fn)handle_lost, NULL, NULL);
	if (!pb) {
		err = -errno;
		fprintf(stderr, "failed to open perf buffer: %d\n", err);
		goto cleanup;
	}
	if (env.timestamp)
		printf("%-8s ", "TIME");
	printf("%-6s %-16s %3s %3s %s\n", "PID", "COMM", "FD", "ERR", "PATH");
	fflush(stdout);
	end = env.duration ? time(NULL) + env.duration : 0;
	while ((err = perf_buffer__poll(pb, 100)) >= 0)
		if (end && time(NULL) >= end)
			break;
	if (err == -EINTR || err > 0)
		err = 0;
cleanup:
	perf_buffer__free(pb);
	opensnoop_bpf__destroy(obj);
	return err != 0;
}
