/* gen.c — `wasm-bpf gen` entry point: argument parsing and opening the BPF
 * object (read into memory, then opened, never loaded, by libbpf).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/bpf_btfcheck.h"
#include "tools/gen/gen.h"
#include "tools/gen/gen_internal.h"

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: wasm-bpf gen skeleton OBJ.bpf.o [-n NAME]\n"
	       "       wasm-bpf gen types OBJ.bpf.o [TYPE...]\n"
	       "\n"
	       "skeleton  C header for wasm32 guests embedding OBJ, with its\n"
	       "          maps, programs, links and data sections\n"
	       "types     wasm32 definitions of the structs (unions, enums)\n"
	       "          shared with OBJ's BPF code, laid out exactly as BPF\n"
	       "          sees them; without TYPE, those used by OBJ's maps\n"
	       "          and global variables\n");
}

static int read_file(const char *path, void **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	*data = malloc(n ? n : 1);
	if (!*data || fread(*data, 1, n, f) != (size_t)n) {
		free(*data);
		*data = NULL;
		fclose(f);
		return -EIO;
	}
	*size = n;
	fclose(f);
	return 0;
}

/* libbpf's codes (LIBBPF_ERRNO__*, 4000 and up) have no strerror text. */
const char *gen_strerror(int err)
{
	static char buf[128];

	libbpf_strerror(err, buf, sizeof(buf));
	return buf;
}

/* "dir/foo.bpf.o" -> "foo_bpf", as bpftool names skeletons: the file name
 * without ".o", every character not valid in a C identifier made '_'. */
static char *obj_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name;
	size_t n;

	name = strdup(base ? base + 1 : path);
	if (!name)
		return NULL;
	n = strlen(name);
	if (n > 2 && !strcmp(name + n - 2, ".o"))
		name[n - 2] = '\0';
	for (char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	return name;
}

int gen_obj_open(struct gen_obj *g, const char *path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "gen");
	char why[256];
	int err;

	memset(g, 0, sizeof(*g));
	err = read_file(path, &g->data, &g->size);
	if (err) {
		fprintf(stderr, "gen: %s: %s\n", path, gen_strerror(err));
		return err;
	}
	g->path = strdup(path);
	g->name = obj_name(path);
	/* libbpf 1.1 crashes on some malformed BTF: vet it first */
	err = btfcheck__elf(g->data, g->size, why, sizeof(why));
	if (err) {
		fprintf(stderr, "gen: %s: %s\n", path, why);
		return err;
	}
	g->obj = bpf_object__open_mem(g->data, g->size, &opts);
	if (!g->obj) {
		err = -errno;
		fprintf(stderr,
			"gen: %s: not a BPF object libbpf can open: %s\n", path,
			gen_strerror(err));
		return err;
	}
	g->btf = bpf_object__btf(g->obj);
	if (!g->btf) {
		fprintf(stderr, "gen: %s: no BTF (build with clang -g)\n",
			path);
		return -ENOENT;
	}
	return 0;
}

void gen_obj_close(struct gen_obj *g)
{
	bpf_object__close(g->obj);
	free(g->data);
	free(g->path);
	free(g->name);
}

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int wbpf_gen_main(int argc, char **argv)
{
	struct gen_obj g;
	int err;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (argc < 3 ||
	    (strcmp(argv[1], "skeleton") && strcmp(argv[1], "types"))) {
		usage(stderr);
		return 2;
	}
	libbpf_set_print(quiet_print);
	if (gen_obj_open(&g, argv[2])) {
		gen_obj_close(&g);
		return 1;
	}
	if (!strcmp(argv[1], "skeleton")) {
		if (argc == 5 && !strcmp(argv[3], "-n")) {
			free(g.name);
			g.name = strdup(argv[4]);
		} else if (argc != 3) {
			usage(stderr);
			gen_obj_close(&g);
			return 2;
		}
		err = gen_skeleton(&g, stdout);
	} else {
		err = gen_types(&g, argc - 3, argv + 3, stdout);
	}
	gen_obj_close(&g);
	if (fflush(stdout))
		err = -EIO;
	return err ? 1 : 0;
}
