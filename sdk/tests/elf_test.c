/* elf_test.c — native test of the guest SDK's ELF section finder: finds
 * the sections of a real BPF object where llvm-readelf says they are
 * (argv[2..]: "name offset size" triples) and fails cleanly, without
 * reading out of bounds, on every truncation of the object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "wasm-bpf/elf.h"

/* Renaming a program's section "?<name>" (what the guest does for
 * autoload=false): the section keeps its bytes, and libbpf opens the
 * result with that program's autoload off and the others' on. */
static int check_hide(const unsigned char *b, size_t n, const char *sec)
{
	const char *secs[] = {sec};
	struct wbpf_elf_sec a, h;
	struct bpf_program *p;
	struct bpf_object *obj;
	char hidden[256];
	size_t hn;
	void *c;
	int bad = 0;

	snprintf(hidden, sizeof(hidden), "?%s", sec);
	c = wbpf_elf_hide_sections(b, n, secs, 1, &hn);
	if (!c || wbpf_elf_find(b, n, sec, &a) ||
	    wbpf_elf_find(c, hn, hidden, &h) || a.offset != h.offset ||
	    a.size != h.size || !wbpf_elf_find(c, hn, sec, &h)) {
		printf("FAIL: hide %s: section not renamed in place\n", sec);
		free(c);
		return 1;
	}
	obj = bpf_object__open_mem(c, hn, NULL);
	if (!obj) {
		printf("FAIL: hide %s: libbpf cannot open the result\n", sec);
		free(c);
		return 1;
	}
	bpf_object__for_each_program(p, obj) bad +=
	    bpf_program__autoload(p) ==
	    !strcmp(bpf_program__section_name(p), sec);
	printf("%s: hide %s: autoload off for it only\n", bad ? "FAIL" : "ok",
	       sec);
	bpf_object__close(obj);
	free(c);
	return bad != 0;
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long sz;

	if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET))
		return NULL;
	b = malloc(sz);
	if (!b || fread(b, 1, sz, f) != (size_t)sz)
		return NULL;
	fclose(f);
	*n = sz;
	return b;
}

int main(int argc, char **argv)
{
	struct wbpf_elf_sec sec;
	unsigned char *b;
	size_t n;
	int bad = 0;

	if (argc < 2 || !(b = slurp(argv[1], &n)))
		return 2;
	for (int i = 2; i + 2 < argc; i += 3) {
		size_t off = strtoul(argv[i + 1], NULL, 16);
		size_t size = strtoul(argv[i + 2], NULL, 16);
		int ok = !wbpf_elf_find(b, n, argv[i], &sec) &&
			 sec.size == size &&
			 (sec.type == WBPF_SHT_NOBITS || sec.offset == off);

		printf("%s: find %s\n", ok ? "ok" : "FAIL", argv[i]);
		bad += !ok;
	}
	if (!wbpf_elf_find(b, n, ".no.such.section", &sec)) {
		printf("FAIL: found a missing section\n");
		bad++;
	}
	bad += check_hide(b, n, "tp/syscalls/sys_enter_getpid");
	/* Every prefix of the file: each must fail or give in-bounds data
	 * (ASan/valgrind catch an out-of-bounds read). */
	for (size_t cut = 0; cut < n; cut++) {
		unsigned char *p = malloc(cut ? cut : 1);

		memcpy(p, b, cut);
		if (!wbpf_elf_find(p, cut, ".rodata", &sec) &&
		    sec.offset + sec.size > cut) {
			printf("FAIL: truncated at %zu: section past the end\n",
			       cut);
			bad++;
		}
		free(p);
	}
	printf("%s: every truncation handled\n", bad ? "FAIL" : "ok");
	return bad != 0;
}
