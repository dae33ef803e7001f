// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* runqlat.c — summarizes run queue (scheduler) latency as a histogram,
 * as libbpf-tools' runqlat does: runqlat [-T] [-m] [-P|-L] [-p PID]
 * [interval [count]]. Reads the histograms by iterating the map. Builds as
 * a wasm-bpf guest and natively. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "runqlat.skel.h"
#include "runqlat.types.h"

static struct env {
	bool timestamp, milliseconds, per_process, per_thread;
	int pid;
	long interval, count;
} env = {.interval = 99999999, .count = 99999999};

static const char usage[] =
    "Usage: runqlat [-h] [-T] [-m] [-P] [-L] [-p PID] [interval] [count]\n"
    "Summarize run queue (scheduler) latency as a histogram.\n\n"
    "  -m, --milliseconds  Millisecond histogram\n"
    "  -P, --pids          Print a histogram per process ID\n"
    "  -L, --tids          Print a histogram per thread ID\n"
    "  -p, --pid=PID       Trace this PID only\n"
    "  -T, --timestamp     Include timestamp on output\n";

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

static int parse_flag(const char *a)
{
	if (!strcmp(a, "-T") || !strcmp(a, "--timestamp"))
		env.timestamp = true;
	else if (!strcmp(a, "-m") || !strcmp(a, "--milliseconds"))
		env.milliseconds = true;
	else if (!strcmp(a, "-P") || !strcmp(a, "--pids"))
		env.per_process = true;
	else if (!strcmp(a, "-L") || !strcmp(a, "--tids"))
		env.per_thread = true;
	else
		return -1;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 1;
		}
		if (!parse_flag(a))
			continue;
		if (!strcmp(a, "-p") || !strcmp(a, "--pid")) {
			env.pid = number(i + 1 < argc ? argv[++i] : NULL);
			if (env.pid <= 0)
				goto bad;
		} else if (a[0] != '-' && npos < 2 && number(a) > 0) {
			if (npos++ == 0) {
				env.interval = number(a);
				env.count = 99999999;
			} else {
				env.count = number(a);
			}
		} else {
			goto bad;
		}
	}
	if (!(env.per_process && env.per_thread))
		return 0;
	fprintf(stderr, "pids and tids cannot be used together.\n");
bad:
	fputs(usage, stderr);
	return -1;
}

static void print_stars(unsigned int val, unsigned int max, int width)
{
	int n = max ? (int)((unsigned long long)val * width / max) : 0;

	for (int i = 0; i < width; i++)
		putchar(i < n ? '*' : ' ');
	if (val > max)
		putchar('+');
}

/* A log2 histogram: slot i counts values in [2^(i-1), 2^i - 1]. */
static void print_log2_hist(const unsigned int *slots, int n, const char *unit)
{
	unsigned int max = 0;
	int last = -1;

	for (int i = 0; i < n; i++) {
		if (slots[i] > 0)
			last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	printf("%*s%-*s : count    distribution\n", 5, "", 19, unit);
	for (int i = 0; i <= last; i++) {
		unsigned long long lo = i ? 1ULL << (i - 1) : 0;
		unsigned long long hi = (1ULL << i) - 1;

		printf("%*llu -> %-*llu : %-8u |", 10, lo, 10, hi, slots[i]);
		print_stars(slots[i], max, 40);
		printf("|\n");
	}
}

static int print_hists(struct bpf_map *hists)
{
	const char *unit = env.milliseconds ? "msecs" : "usecs";
	uint32_t lookup_key = -2, next_key;
	int err, fd = bpf_map__fd(hists);
	struct hist hist;

	while (!bpf_map_get_next_key(fd, &lookup_key, &next_key)) {
		err = bpf_map_lookup_elem(fd, &next_key, &hist);
		if (err < 0) {
			fprintf(stderr, "failed to lookup hist: %d\n", err);
			return -1;
		}
		if (env.per_process)
			printf("\npid = %d %s\n", next_key, hist.comm);
		else if (env.per_thread)
			printf("\ntid = %d %s\n", next_key, hist.comm);
		print_log2_hist(hist.slots,
				sizeof(hist.slots) / sizeof(hist.slots[0]),
				unit);
		lookup_key = next_key;
	}
	lookup_key = -2;
	while (!bpf_map_get_next_key(fd, &lookup_key, &next_key)) {
		err = bpf_map_delete_elem(fd, &next_key);
		if (err < 0) {
			fprintf(stderr, "failed to cleanup hist : %d\n", err);
			return -1;
		}
		lookup_key = next_key;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct runqlat_bpf *obj;
	int err;

	err = parse_args(argc, argv);
	if (err)
		return err < 0;
	obj = runqlat_bpf__open();
	if (!obj) {
		fprintf(stderr, "failed to open BPF object\n");
		return 1;
	}
	obj->rodata->targ_per_process = env.per_process;
	obj->rodata->targ_per_thread = env.per_thread;
	obj->rodata->targ_ms = env.milliseconds;
	obj->rodata->targ_tgid = env.pid;
	err = runqlat_bpf__load(obj);
	if (!err)
		err = runqlat_bpf__attach(obj);
	if (err) {
		fprintf(stderr, "failed to load/attach BPF object: %d\n", err);
		goto cleanup;
	}
	printf("Tracing run queue latency... Hit Ctrl-C to end.\n");
	fflush(stdout);
	while (env.count-- > 0) {
		/* Cut short (non-zero) by Ctrl-C: print once more and end. */
		unsigned int cut = sleep(env.interval);

		printf("\n");
		if (env.timestamp) {
			time_t t = time(NULL) % 86400;

			printf("%02d:%02d:%02d\n", (int)(t / 3600),
			       (int)(t / 60 % 60), (int)(t % 60));
		}
		err = print_hists(obj->maps.hists);
		fflush(stdout);
		if (err || cut)
			break;
	}
cleanup:
	runqlat_bpf__destroy(obj);
	return err != 0;
}
