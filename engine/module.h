/* module.h — the decoded form of a WebAssembly module.
 *
 * decode.c fills a struct wm_module from bytes (sections, index spaces,
 * names); validate.c checks it against the core spec (including every
 * function body); translate.c turns each body into threaded code; the
 * instance code reads the rest. Everything here is immutable once loaded.
 * All index spaces put imports first, as the spec does.
 */
#ifndef WASM_MODULE_H
#define WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "wasm.h"

#define WM_PAGE_SIZE 65536u
#define WM_MAX_PAGES 65536u

struct wm_functype {
	uint32_t nparams;
	uint32_t nresults;
	uint8_t *params;  /* enum wasm_valtype each */
	uint8_t *results;
	uint32_t sig_id;  /* equal ids <=> structurally equal types (process-wide) */
};

struct wm_limits {
	uint32_t min;
	uint32_t max;
	bool has_max;
};

struct wm_tabletype {
	uint8_t elem; /* WASM_FUNCREF or WASM_EXTERNREF */
	struct wm_limits lim;
};

struct wm_globaltype {
	uint8_t type;
	bool mut;
};

/* A constant expression. Wasm 2.0 allows exactly one instruction before
 * `end`: t.const, ref.null t, ref.func x or global.get x. */
enum wm_const_op {
	WM_CONST_I32 = 0x41,
	WM_CONST_I64 = 0x42,
	WM_CONST_F32 = 0x43,
	WM_CONST_F64 = 0x44,
	WM_CONST_GLOBAL_GET = 0x23,
	WM_CONST_REF_NULL = 0xd0,
	WM_CONST_REF_FUNC = 0xd2,
};
struct wm_const {
	uint8_t op;   /* enum wm_const_op */
	uint8_t type; /* result valtype (for ref.null: the ref type) */
	uint32_t index; /* global or function index */
	uint64_t bits;  /* numeric value, floats as their bit pattern */
};

struct wm_import {
	char *module;
	char *name;
	uint32_t module_len, name_len; /* bytes; names may contain NUL */
	uint8_t kind; /* enum wasm_extern_kind */
	uint32_t index; /* position in that kind's index space */
	union {
		uint32_t typeidx; /* func */
		struct wm_tabletype table;
		struct wm_limits mem;
		struct wm_globaltype global;
	} u;
};

struct wm_export {
	char *name;
	uint32_t name_len; /* bytes; a name may contain NUL */
	uint8_t kind;
	uint32_t index;
};

struct wm_global {
	struct wm_globaltype type;
	struct wm_const init;
};

enum wm_segment_mode {
	WM_SEG_ACTIVE = 0,
	WM_SEG_PASSIVE = 1,
	WM_SEG_DECLARATIVE = 2, /* elements only */
};

struct wm_elem {
	uint8_t mode;
	uint8_t type; /* WASM_FUNCREF or WASM_EXTERNREF */
	uint32_t table;
	struct wm_const offset; /* active only */
	uint32_t count;
	struct wm_const *items; /* ref.func x or ref.null t (or global.get) */
};

struct wm_data {
	uint8_t mode; /* active or passive */
	uint32_t memory;
	struct wm_const offset;
	const uint8_t *bytes; /* points into wm_module.bytes */
	uint32_t len;
};

struct wm_custom {
	char *name;
	const uint8_t *data; /* points into wm_module.bytes */
	uint32_t len;
};

struct wm_code; /* translated code, owned by translate.c */

/* A function defined in the module (not an import). */
struct wm_func {
	uint32_t typeidx;
	uint32_t nlocals;     /* declared locals, params not included */
	uint8_t *local_types; /* nlocals entries */
	const uint8_t *body;  /* expression bytes after the locals, up to and
				 including the final `end`; into .bytes */
	uint32_t body_len;
	uint32_t body_offset; /* offset of .body within the module bytes */
	struct wm_code *code; /* set by translate */
};

struct wm_module {
	uint8_t *bytes; /* owned copy of the binary */
	size_t len;

	uint32_t ntypes;
	struct wm_functype *types;

	uint32_t nimports;
	struct wm_import *imports;

	/* Function index space: imported then defined. */
	uint32_t nfuncs;
	uint32_t nimported_funcs;
	uint32_t *func_typeidx; /* nfuncs entries */
	struct wm_func *funcs;  /* nfuncs - nimported_funcs entries */

	uint32_t ntables;
	uint32_t nimported_tables;
	struct wm_tabletype *tables; /* ntables entries */

	uint32_t nmems; /* 0 or 1 in Wasm 2.0 */
	uint32_t nimported_mems;
	struct wm_limits *mems;

	uint32_t nglobals;
	uint32_t nimported_globals;
	struct wm_globaltype *global_types; /* nglobals entries */
	struct wm_global *globals; /* nglobals - nimported_globals entries */

	uint32_t nexports;
	struct wm_export *exports;

	bool has_start;
	uint32_t start;

	uint32_t nelems;
	struct wm_elem *elems;

	bool has_datacount;
	uint32_t datacount;
	uint32_t ndatas;
	struct wm_data *datas;

	uint32_t ncustoms;
	struct wm_custom *customs;

	/* From the "name" section; NULL where absent. */
	char *module_name;
	char **func_names; /* nfuncs entries or NULL */

	/* Functions that may be referenced by ref.func in bodies (C.refs):
	 * those in element segments, exports, or global initialisers. */
	uint8_t *func_declared; /* nfuncs entries, 0 or 1 */

	/* wasm_load_opts.fuel: compiled code counts fuel inline. */
	bool count_fuel;
};

/* decode.c: parse bytes (copied into m->bytes) into m. On error returns a
 * negative errno and writes "section N at 0x1a: ..." into err. Function
 * bodies are split out but not decoded. */
int wm_decode(struct wm_module *m, const uint8_t *bytes, size_t len,
	      struct wasm_error *err);
void wm_module_free(struct wm_module *m);

/* validate.c: module-level rules and every function body. Messages name the
 * function and the byte offset: "func 3 (main) at 0x1f4: type mismatch". */
int wm_validate(const struct wm_module *m, struct wasm_error *err);

/* translate.c: threaded code for every defined function. Assumes valid. */
int wm_translate(struct wm_module *m, struct wasm_error *err);
/* Debugging aid: prints translated code. */
void wm_code_dump(const struct wm_code *c, FILE *out);
void wm_code_free(struct wm_code *c);

/* Process-wide interning of function types for call_indirect checks. */
uint32_t wm_sig_intern(const struct wm_functype *t);

/* Name of function `idx` for messages: from the name section or "func[N]". */
const char *wm_func_name(const struct wm_module *m, uint32_t idx, char *buf,
			 size_t len);

/* leb.c: strict LEB128 readers. Each returns bytes consumed, or 0 when the
 * encoding is malformed (too long, unused bits set) or runs past `end`. */
size_t wm_read_u32(const uint8_t *p, const uint8_t *end, uint32_t *out);
size_t wm_read_s32(const uint8_t *p, const uint8_t *end, int32_t *out);
size_t wm_read_s33(const uint8_t *p, const uint8_t *end, int64_t *out);
size_t wm_read_s64(const uint8_t *p, const uint8_t *end, int64_t *out);

#endif
