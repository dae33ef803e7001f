/* fuzz_bpf_facts.c — libFuzzer target: the BPF object scanner on
 * arbitrary bytes (input byte 0 even) and the finder of objects in a Wasm
 * module's initial memory (odd: a module the engine accepts), each object
 * found scanned too. */
#include <stdint.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include "engine/wasm.h"
#include "policy/bpf_facts.h"
#include "policy/policy.h"
#include "policy/wasm_embed.h"

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	return 0;
}

static void scan(const void *elf, size_t len, const struct policy *p)
{
	struct bpf_facts *f;
	char err[256];

	if (bpf_facts__scan(elf, len, &f, err, sizeof(err)))
		return;
	policy__check_object(p, f, err, sizeof(err));
	bpf_facts__free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *p;
	struct wasm_embed_obj *o;
	struct wasm_module *m;
	struct wasm_error werr;
	size_t n;
	int r;

	if (!p) {
		libbpf_set_print(quiet);
		p = policy__parse("helpers: {deny: [bpf_send_signal]}", 34,
				  "fuzz", NULL, 0);
	}
	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		scan(data + 1, size - 1, p);
		return 0;
	}
	m = wasm_module__load(data + 1, size - 1, NULL, &werr);
	if (!m)
		return 0;
	r = wasm_embed__find(m, &o, &n);
	wasm_module__free(m);
	if (r)
		return 0;
	for (size_t i = 0; i < n; i++)
		scan(o[i].elf, o[i].len, p);
	wasm_embed__free(o, n);
	return 0;
}
