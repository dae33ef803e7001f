/* value.c — the values of a wast2json script: parsing arguments and
 * expectations, matching results (exact bits, nan:canonical,
 * nan:arithmetic, references) and printing both for failure messages.
 *
 * wast2json writes integers as unsigned decimal strings and floats as the
 * unsigned decimal of their bit pattern, so nothing here goes through a
 * floating-point parser and NaN payloads are compared exactly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

#define F32_SIGN  0x80000000u
#define F32_QUIET 0x00400000u
#define F32_EXP	  0x7f800000u
#define F64_SIGN  0x8000000000000000ull
#define F64_QUIET 0x0008000000000000ull
#define F64_EXP	  0x7ff0000000000000ull

static const struct {
	const char *name;
	int type;
} valtypes[] = {
    {"i32", WASM_I32},
    {"i64", WASM_I64},
    {"f32", WASM_F32},
    {"f64", WASM_F64},
    {"v128", WASM_V128},
    {"funcref", WASM_FUNCREF},
    {"externref", WASM_EXTERNREF},
};

int st_parse_valtype(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(valtypes) / sizeof(valtypes[0]); i++)
		if (!strcmp(s, valtypes[i].name))
			return valtypes[i].type;
	return -1;
}

const char *st_valtype_name(int type)
{
	size_t i;

	for (i = 0; i < sizeof(valtypes) / sizeof(valtypes[0]); i++)
		if (valtypes[i].type == type)
			return valtypes[i].name;
	return "?";
}

void *st_extern_ref(uint64_t n)
{
	return (void *)(uintptr_t)(n + 1);
}

static const char *json_str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

static uint32_t f32_bits(float f)
{
	uint32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

static uint64_t f64_bits(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

/* A plain value: a number, or for references "null" / an extern index. */
static int parse_plain(int type, const char *s, struct wasm_val *out)
{
	uint64_t n;
	uint32_t b32;

	memset(out, 0, sizeof(*out));
	out->type = type;
	if ((type == WASM_FUNCREF || type == WASM_EXTERNREF) && s &&
	    !strcmp(s, "null"))
		return 0;
	if (parse_u64(s, &n))
		return -EINVAL;
	switch (type) {
	case WASM_I32:
		out->of.i32 = (int32_t)(uint32_t)n;
		return 0;
	case WASM_I64:
		out->of.i64 = (int64_t)n;
		return 0;
	case WASM_F32:
		b32 = (uint32_t)n;
		memcpy(&out->of.f32, &b32, sizeof(b32));
		return 0;
	case WASM_F64:
		memcpy(&out->of.f64, &n, sizeof(n));
		return 0;
	case WASM_EXTERNREF:
		out->of.ref = st_extern_ref(n);
		return 0;
	default:
		return -EINVAL; /* v128, funcref by index: not supported */
	}
}

int st_parse_arg(const cJSON *j, struct wasm_val *out)
{
	int type = st_parse_valtype(json_str(j, "type"));

	if (type < 0)
		return -EINVAL;
	return parse_plain(type, json_str(j, "value"), out);
}

static bool match_nan(int type, const char *cls, const struct wasm_val *got)
{
	bool canon = !strcmp(cls, "nan:canonical");
	uint64_t b, mask, want;

	if (type == WASM_F32) {
		b = f32_bits(got->of.f32) & ~F32_SIGN;
		want = F32_EXP | F32_QUIET;
		mask = canon ? ~F32_SIGN : want;
	} else {
		b = f64_bits(got->of.f64) & ~F64_SIGN;
		want = F64_EXP | F64_QUIET;
		mask = canon ? ~F64_SIGN : want;
	}
	return (b & mask) == want;
}

static bool match_one(const cJSON *exp, const struct wasm_val *got)
{
	int type = st_parse_valtype(json_str(exp, "type"));
	const char *s = json_str(exp, "value");
	struct wasm_val want;

	if (type < 0 || got->type != type)
		return false;
	if ((type == WASM_F32 || type == WASM_F64) && s &&
	    !strncmp(s, "nan:", 4))
		return match_nan(type, s, got);
	if (type == WASM_FUNCREF && (!s || strcmp(s, "null")))
		return got->of.ref != NULL; /* (ref.func): any non-null */
	if (parse_plain(type, s, &want))
		return false;
	switch (type) {
	case WASM_I32:
		return got->of.i32 == want.of.i32;
	case WASM_I64:
		return got->of.i64 == want.of.i64;
	case WASM_F32:
		return f32_bits(got->of.f32) == f32_bits(want.of.f32);
	case WASM_F64:
		return f64_bits(got->of.f64) == f64_bits(want.of.f64);
	default:
		return got->of.ref == want.of.ref;
	}
}

bool st_match(const cJSON *exp, const struct wasm_val *got)
{
	const char *type = json_str(exp, "type");
	const cJSON *alt;

	if (!type || strcmp(type, "either"))
		return match_one(exp, got);
	cJSON_ArrayForEach(
	    alt, cJSON_GetObjectItemCaseSensitive(
		     exp, "values")) if (match_one(alt, got)) return true;
	return false;
}

int st_expected_type(const cJSON *exp)
{
	const char *type = json_str(exp, "type");
	const cJSON *alt;
	int t = -1;

	if (!type || strcmp(type, "either"))
		return st_parse_valtype(type);
	cJSON_ArrayForEach(alt, cJSON_GetObjectItemCaseSensitive(exp, "values"))
	{
		int at = st_parse_valtype(json_str(alt, "type"));

		if (t >= 0 && at != t)
			return -1;
		t = at;
	}
	return t;
}

static void format_ref(const struct wasm_val *v, char *buf, size_t len)
{
	uintptr_t p = (uintptr_t)v->of.ref;

	if (!p)
		snprintf(buf, len, "ref.null %s",
			 v->type == WASM_FUNCREF ? "func" : "extern");
	else if (v->type == WASM_FUNCREF)
		snprintf(buf, len, "ref.func");
	else
		snprintf(buf, len, "ref.extern %" PRIuPTR, p - 1);
}

void st_format_val(const struct wasm_val *v, char *buf, size_t len)
{
	switch (v->type) {
	case WASM_I32:
		snprintf(buf, len, "i32:%" PRIu32, (uint32_t)v->of.i32);
		break;
	case WASM_I64:
		snprintf(buf, len, "i64:%" PRIu64, (uint64_t)v->of.i64);
		break;
	case WASM_F32:
		snprintf(buf, len, "f32:%.9g (0x%08" PRIx32 ")",
			 (double)v->of.f32, f32_bits(v->of.f32));
		break;
	case WASM_F64:
		snprintf(buf, len, "f64:%.17g (0x%016" PRIx64 ")", v->of.f64,
			 f64_bits(v->of.f64));
		break;
	case WASM_FUNCREF:
	case WASM_EXTERNREF:
		format_ref(v, buf, len);
		break;
	default:
		snprintf(buf, len, "<type 0x%02x>", v->type);
	}
}

static void format_one(const cJSON *exp, char *buf, size_t len)
{
	int type = st_parse_valtype(json_str(exp, "type"));
	const char *s = json_str(exp, "value");
	struct wasm_val v;

	if (type < 0)
		snprintf(buf, len, "<bad type>");
	else if (s && !strncmp(s, "nan:", 4))
		snprintf(buf, len, "%s:%s", st_valtype_name(type), s);
	else if (type == WASM_FUNCREF && (!s || strcmp(s, "null")))
		snprintf(buf, len, "ref.func");
	else if (parse_plain(type, s, &v))
		snprintf(buf, len, "%s:%s", st_valtype_name(type), s ? s : "?");
	else
		st_format_val(&v, buf, len);
}

void st_format_expected(const cJSON *exp, char *buf, size_t len)
{
	const char *type = json_str(exp, "type");
	const cJSON *alt;
	size_t used = 0;

	if (!type || strcmp(type, "either")) {
		format_one(exp, buf, len);
		return;
	}
	buf[0] = 0;
	cJSON_ArrayForEach(alt, cJSON_GetObjectItemCaseSensitive(exp, "values"))
	{
		if (used + 4 >= len)
			break;
		if (used)
			used += snprintf(buf + used, len - used, " | ");
		format_one(alt, buf + used, len - used);
		used = strlen(buf);
	}
}
