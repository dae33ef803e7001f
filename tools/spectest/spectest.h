/* spectest.h — internal interface of wasm-spectest, the runner for the JSON
 * scripts that wabt's wast2json produces. main.c owns the command line and
 * the per-file child processes, script.c the commands of one script,
 * value.c the values in them and host.c the "spectest" host module.
 */
#ifndef SPECTEST_H
#define SPECTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "wasm.h"

/* Progress of one script. It lives in memory shared with the parent, so
 * the counts survive a crash of the child that runs the script. */
struct st_counts {
	uint64_t passed;
	uint64_t failed;
	uint64_t skipped;
	int line;     /* line of the command being run */
	char cmd[32]; /* its type */
};

struct st_opts {
	bool verbose;
	int tier; /* enum wasm_tier */
};

/* script.c: runs every command of one wast2json file; returns 0, or -1 if
 * the file itself could not be read (counted as a failure too). */
int st_run_script(const char *json_path, const struct st_opts *opts,
		  struct st_counts *counts);

/* value.c */
int st_parse_valtype(const char *s);
const char *st_valtype_name(int type);
/* Fills `out` from a JSON argument ({"type": ..., "value": ...}). */
int st_parse_arg(const cJSON *j, struct wasm_val *out);
/* True if `got` matches the JSON expectation (NaN classes, "either"). */
bool st_match(const cJSON *expected, const struct wasm_val *got);
/* The type an expectation wants, or -1 ("either" of mixed types). */
int st_expected_type(const cJSON *expected);
void st_format_val(const struct wasm_val *v, char *buf, size_t len);
void st_format_expected(const cJSON *expected, char *buf, size_t len);
/* ref.extern N <-> host pointer N + 1, so that N = 0 is not null. */
void *st_extern_ref(uint64_t n);

/* host.c: defines the "spectest" module on a linker. */
int st_define_spectest(struct wasm_linker *l, bool verbose);

#endif
