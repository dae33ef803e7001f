/* fuzz_diff.c — libFuzzer target comparing the two tiers: any input that
 * loads is run once interpreted and compiled three times, up front,
 * lazily and tiered (hot at a second call or a loop's first round, so
 * loops enter compiled code at their headers), every export called with
 * zero arguments, under fuel (compiled to count it inline for inputs of
 * odd length, out of line for even); the runs must end alike: the same
 * status, trap message (function and offset), results, fuel left and
 * final memory.
 * Any difference aborts with both accounts. Built by `make fuzz`.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_stubs.h"
#include "wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOG_MAX 8192

/* What a run did, as text: compared between tiers, printed on mismatch. */
struct account {
	char text[LOG_MAX];
	size_t len;
};

static void note(struct account *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct account *a, const char *fmt, ...)
{
	va_list ap;
	if (a->len >= sizeof(a->text) - 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(a->text + a->len, sizeof(a->text) - a->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		a->len += (size_t)n;
	if (a->len > sizeof(a->text) - 1)
		a->len = sizeof(a->text) - 1;
}

static void call_export(struct wasm_instance *inst, const char *name,
			size_t name_len, struct account *a)
{
	struct wasm_func *f = wasm_instance__export_func_n(inst, name, name_len);
	uint32_t np = wasm_func__param_count(f);
	uint32_t nr = wasm_func__result_count(f);
	uint64_t *slots = calloc((np > nr ? np : nr) + 1, sizeof(uint64_t));
	if (!slots)
		abort();
	wasm_instance__set_fuel(inst, FUZZ_FUEL);
	int st = wasm_func__call_raw(inst, f, slots);
	note(a, "%.*s: %d", (int)name_len, name, st);
	/* The upper half of a 32-bit result's slot is unspecified, and a
	 * reference is an address of this run: only null or not compares. */
	for (uint32_t i = 0; st == WASM_OK && i < nr; i++) {
		enum wasm_valtype t = wasm_func__result_type(f, i);
		uint64_t v = slots[i];
		if (t == WASM_I32 || t == WASM_F32)
			v = (uint32_t)v;
		else if (t == WASM_FUNCREF || t == WASM_EXTERNREF)
			v = v != 0;
		note(a, " %llx", (unsigned long long)v);
	}
	if (st != WASM_OK)
		note(a, " %s", wasm_instance__trap(inst)->message);
	note(a, " fuel %llu\n",
	     (unsigned long long)wasm_instance__fuel(inst));
	free(slots);
}

/* FNV-1a of the memory: equal memories, equal digests. */
static void note_memory(struct wasm_instance *inst, struct account *a)
{
	uint64_t size = 0, h = 14695981039346656037ull;
	const uint8_t *p = wasm_instance__memory(inst, &size);
	for (uint64_t i = 0; p && i < size; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	note(a, "memory %llu bytes, digest %llx\n", (unsigned long long)size,
	     (unsigned long long)h);
}

static void run(const uint8_t *data, size_t size, int tier,
		struct account *a)
{
	struct wasm_error err;
	struct wasm_load_opts lo = {.sz = sizeof(lo), .tier = tier,
				    .fuel = size & 1};
	struct wasm_module *m = wasm_module__load(data, size, &lo, &err);
	if (!m) {
		note(a, "load: %s\n", err.msg);
		return;
	}
	struct wasm_linker *l = fuzz_stub_linker(m);
	struct wasm_instance *inst = fuzz_instance(m, l, &err);
	if (!inst) {
		note(a, "instantiate: %s\n", err.msg);
	} else {
		for (size_t i = 0; i < wasm_module__export_count(m); i++) {
			struct wasm_export_desc e;
			wasm_module__export(m, i, &e);
			if (e.kind == WASM_EXTERN_FUNC)
				call_export(inst, e.name, e.name_len, a);
		}
		note_memory(inst, a);
		wasm_instance__free(inst);
	}
	wasm_linker__free(l);
	wasm_module__free(m);
}

static void same(const struct account *interp, const struct account *jit,
		 const char *how)
{
	if (interp->len != jit->len || memcmp(interp->text, jit->text, jit->len)) {
		fprintf(stderr, "tiers differ\n--- interpreter:\n%.*s--- jit (%s):\n%.*s",
			(int)interp->len, interp->text, how, (int)jit->len,
			jit->text);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct account interp, jit;
	interp.len = jit.len = 0;
	run(data, size, WASM_TIER_INTERP, &interp);
	setenv("WASM_BPF_JIT_LAZY", "0", 1);
	run(data, size, WASM_TIER_JIT, &jit);
	same(&interp, &jit, "up front");
	jit.len = 0;
	setenv("WASM_BPF_JIT_LAZY", "1", 1);
	run(data, size, WASM_TIER_JIT, &jit);
	same(&interp, &jit, "lazily");
	jit.len = 0;
	setenv("WASM_BPF_JIT_TIER", "2,1", 1);
	run(data, size, WASM_TIER_TIERED, &jit);
	same(&interp, &jit, "tiered");
	return 0;
}
