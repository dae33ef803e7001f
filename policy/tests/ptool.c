/* ptool.c — the policy suite's driver of policy/ without the kernel:
 *   ptool parse POLICY            "ok" or the error (exit 1)
 *   ptool facts OBJ               what the scanner reads, one fact a line
 *   ptool check POLICY OBJ        "allowed" or the refusal (exit 1)
 *   ptool attach POLICY KIND PROG TARGET
 *   ptool image POLICY REF        "allowed" or the refusal (exit 1)
 *   ptool time POLICY OBJ N       microseconds per scan+check, N runs
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "policy/policy.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0)
		exit(2);
	rewind(f);
	b = malloc(n + 1);
	if (!b || fread(b, 1, n, f) != (size_t)n)
		exit(2);
	fclose(f);
	*len = n;
	return b;
}

static struct policy *load(const char *path)
{
	char err[512];
	struct policy *p = policy__load_file(path, err, sizeof(err));

	if (!p) {
		printf("%s\n", err);
		exit(1);
	}
	return p;
}

static struct bpf_facts *scan(const char *path)
{
	char err[256];
	size_t len;
	char *b = slurp(path, &len);
	struct bpf_facts *f;

	if (bpf_facts__scan(b, len, &f, err, sizeof(err))) {
		printf("scan: %s\n", err);
		exit(1);
	}
	free(b);
	return f;
}

static void facts(const struct bpf_facts *f)
{
	for (size_t i = 0; i < f->nfuncs; i++) {
		const struct bpf_facts_func *fn = &f->funcs[i];

		printf("%s %s section=%s type=%s kind=%s target=%s",
		       fn->is_prog ? "prog" : "subprog", fn->name, fn->section,
		       fn->is_prog ? libbpf_bpf_prog_type_str(fn->type) : "-",
		       bpf_facts__kind_name(fn->kind),
		       fn->target ? fn->target : "-");
		for (size_t k = 0; k < fn->nhelpers; k++)
			printf(" helper=%s",
			       bpf_facts__helper_name(fn->helpers[k]));
		for (size_t k = 0; k < fn->nkfuncs; k++)
			printf(" kfunc=%s", fn->kfuncs[k]);
		printf("\n");
	}
	for (size_t i = 0; i < f->nmaps; i++)
		printf(
		    "map %s type=%s key=%u value=%u entries=%u memory=%llu\n",
		    f->maps[i].name, libbpf_bpf_map_type_str(f->maps[i].type),
		    f->maps[i].key_size, f->maps[i].value_size,
		    f->maps[i].max_entries,
		    (unsigned long long)f->maps[i].memory);
	printf("license %s\ncore_relos %d\nmap_memory %llu\nringbuf %llu\n",
	       f->license, f->core_relos, (unsigned long long)f->map_memory,
	       (unsigned long long)f->ringbuf_bytes);
}

static enum bpf_facts_kind kind(const char *s)
{
	for (int k = BPF_FACTS_OTHER; k <= BPF_FACTS_LSM; k++)
		if (!strcmp(bpf_facts__kind_name(k), s))
			return k;
	exit(2);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	char why[1024];
	struct policy *p;
	struct bpf_facts *f;

	libbpf_set_print(NULL);
	if (argc == 3 && !strcmp(argv[1], "parse")) {
		policy__free(load(argv[2]));
		printf("ok\n");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "facts")) {
		f = scan(argv[2]);
		facts(f);
		bpf_facts__free(f);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "check")) {
		p = load(argv[2]);
		f = scan(argv[3]);
		int r = policy__check_object(p, f, why, sizeof(why));
		printf("%s\n", r ? why : "allowed");
		bpf_facts__free(f);
		policy__free(p);
		return r != 0;
	}
	if (argc == 6 && !strcmp(argv[1], "attach")) {
		p = load(argv[2]);
		int r = policy__check_attach(p, kind(argv[3]), argv[4], argv[5],
					     why, sizeof(why));
		printf("%s\n", r ? why : "allowed");
		policy__free(p);
		return r != 0;
	}
	/* image POLICY REF [DIGEST|-] [signed] */
	if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "image")) {
		p = load(argv[2]);
		const char *dg = argc > 4 && strcmp(argv[4], "-") ? argv[4] : NULL;
		bool sig = argc > 5 && !strcmp(argv[5], "signed");
		int r = policy__check_image(p, argv[3], dg, sig, why,
					    sizeof(why));
		printf("%s\n", r ? why : "allowed");
		policy__free(p);
		return r != 0;
	}
	if (argc == 5 && !strcmp(argv[1], "time")) {
		size_t len;
		char *b = slurp(argv[3], &len);
		int n = atoi(argv[4]);
		double t0;

		p = load(argv[2]);
		t0 = now_us();
		for (int i = 0; i < n; i++) {
			if (bpf_facts__scan(b, len, &f, why, sizeof(why)))
				return 1;
			policy__check_object(p, f, why, sizeof(why));
			bpf_facts__free(f);
		}
		printf("%.1f\n", (now_us() - t0) / n);
		policy__free(p);
		free(b);
		return 0;
	}
	fprintf(stderr, "usage: see ptool.c\n");
	return 2;
}
