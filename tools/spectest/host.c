/* host.c — the "spectest" host module that the official test scripts
 * import: print functions, four constant globals, a funcref table of 10..20
 * elements and a memory of 1..2 pages, all defined through the linker API.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spectest.h"

struct print_fn {
	const char *name;
	const char *sig;
};

static const struct print_fn print_fns[] = {
    {"print", "->"},	       {"print_i32", "i->"}, {"print_i64", "I->"},
    {"print_f32", "f->"},      {"print_f64", "F->"}, {"print_i32_f32", "if->"},
    {"print_f64_f64", "FF->"},
};

static void print_slot(char type, uint64_t slot)
{
	uint32_t b32 = (uint32_t)slot;
	float f;
	double d;

	switch (type) {
	case 'i':
		printf(" i32:%" PRIu32, b32);
		break;
	case 'I':
		printf(" i64:%" PRIu64, slot);
		break;
	case 'f':
		memcpy(&f, &b32, sizeof(f));
		printf(" f32:%g", (double)f);
		break;
	case 'F':
		memcpy(&d, &slot, sizeof(d));
		printf(" f64:%g", d);
		break;
	}
}

/* Prints the call only with -v, so that normal output stays one line per
 * failure. `user` is the print_fn, or NULL when quiet. */
static int host_print(struct wasm_instance *caller, void *user, uint64_t *slots)
{
	const struct print_fn *fn = user;
	const char *p;
	int i = 0;

	if (!fn)
		return WASM_OK;
	printf("  spectest.%s(", fn->name);
	for (p = fn->sig; *p && *p != '-'; p++)
		print_slot(*p, slots[i++]);
	printf(" )\n");
	return WASM_OK;
}

static int define_globals(struct wasm_linker *l)
{
	struct wasm_val v;
	int err = 0;

	memset(&v, 0, sizeof(v));
	v.type = WASM_I32;
	v.of.i32 = 666;
	err |=
	    wasm_linker__define_global(l, "spectest", "global_i32", v, false);
	v.type = WASM_I64;
	v.of.i64 = 666;
	err |=
	    wasm_linker__define_global(l, "spectest", "global_i64", v, false);
	v.type = WASM_F32;
	v.of.f32 = 666.6f;
	err |=
	    wasm_linker__define_global(l, "spectest", "global_f32", v, false);
	v.type = WASM_F64;
	v.of.f64 = 666.6;
	err |=
	    wasm_linker__define_global(l, "spectest", "global_f64", v, false);
	return err ? -1 : 0;
}

int st_define_spectest(struct wasm_linker *l, bool verbose)
{
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(print_fns) / sizeof(print_fns[0]); i++)
		err |= wasm_linker__define_func(
		    l, "spectest", print_fns[i].name, print_fns[i].sig,
		    host_print, verbose ? (void *)&print_fns[i] : NULL);
	err |= define_globals(l);
	err |= wasm_linker__define_table(l, "spectest", "table", WASM_FUNCREF,
					 10, 20);
	err |= wasm_linker__define_memory(l, "spectest", "memory", 1, 2);
	return err ? -1 : 0;
}
