/* interp.c — runs translated code (ir.h) by direct threading: every
 * instruction begins with the address of its handler and each handler ends
 * by jumping to the next one (computed goto).
 *
 * Wasm-to-wasm calls do not recurse in C: frames live on an explicit stack
 * in the execution context, so deep guest recursion ends in a trap, never in
 * a native stack overflow. Only host functions that call back into the
 * guest nest native frames, and that depth is bounded.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "bulk.h"
#include "ir.h"
#include "jit.h"
#include "runtime.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static inline const void *handler_at(const uint32_t *ip)
{
	const void *h;
	memcpy(&h, ip, sizeof(h));
	return h;
}

/* ---- numeric helpers with the spec's semantics --------------------------- */

/* NaN in, NaN out (a + b quiets and propagates); -0 < +0. */
static inline float f32_min(float a, float b)
{
	if (isnan(a) || isnan(b))
		return a + b;
	if (a == 0 && b == 0)
		return signbit(a) ? a : b;
	return a < b ? a : b;
}
static inline float f32_max(float a, float b)
{
	if (isnan(a) || isnan(b))
		return a + b;
	if (a == 0 && b == 0)
		return signbit(a) ? b : a;
	return a > b ? a : b;
}
static inline double f64_min(double a, double b)
{
	if (isnan(a) || isnan(b))
		return a + b;
	if (a == 0 && b == 0)
		return signbit(a) ? a : b;
	return a < b ? a : b;
}
static inline double f64_max(double a, double b)
{
	if (isnan(a) || isnan(b))
		return a + b;
	if (a == 0 && b == 0)
		return signbit(a) ? b : a;
	return a > b ? a : b;
}

static inline uint32_t rotl32(uint32_t x, uint32_t n)
{
	n &= 31;
	return (x << n) | (x >> ((32 - n) & 31));
}
static inline uint32_t rotr32(uint32_t x, uint32_t n)
{
	n &= 31;
	return (x >> n) | (x << ((32 - n) & 31));
}
static inline uint64_t rotl64(uint64_t x, uint64_t n)
{
	n &= 63;
	return (x << n) | (x >> ((64 - n) & 63));
}
static inline uint64_t rotr64(uint64_t x, uint64_t n)
{
	n &= 63;
	return (x >> n) | (x << ((64 - n) & 63));
}

/* Saturating truncations (0xfc 0..7). */
static inline int32_t sat_i32(double x)
{
	if (isnan(x))
		return 0;
	if (x <= -2147483649.0)
		return INT32_MIN;
	if (x >= 2147483648.0)
		return INT32_MAX;
	return (int32_t)x;
}
static inline uint32_t sat_u32(double x)
{
	if (isnan(x) || x <= -1.0)
		return 0;
	if (x >= 4294967296.0)
		return UINT32_MAX;
	return (uint32_t)x;
}
static inline int64_t sat_i64(double x)
{
	if (isnan(x))
		return 0;
	if (x < -9223372036854775808.0)
		return INT64_MIN;
	if (x >= 9223372036854775808.0)
		return INT64_MAX;
	return (int64_t)x;
}
static inline uint64_t sat_u64(double x)
{
	if (isnan(x) || x <= -1.0)
		return 0;
	if (x >= 18446744073709551616.0)
		return UINT64_MAX;
	return (uint64_t)x;
}

/* ---- the interpreter ----------------------------------------------------- */

#define W(k) (ip[2 + (k)])
#define S(k) (fp[W(k)])
#define DISPATCH() goto *handler_at(ip)
#define NEXT(n)                                                                \
	do {                                                                   \
		ip += 2 + (n);                                                 \
		DISPATCH();                                                    \
	} while (0)
#define TRAP(kind)                                                             \
	do {                                                                   \
		status = wm_trap(ctx, (kind), cur, ip);                        \
		goto unwind;                                                   \
	} while (0)
/* Table and bulk-memory instructions: shared with compiled code. */
#define BULK(name, n)                                                          \
	L_##name:                                                              \
	{                                                                      \
		int kind_ = wm_bulk_run(inst, IR_##name, ip + 2, fp);          \
		if (unlikely(kind_))                                           \
			TRAP(kind_);                                           \
		NEXT(n);                                                       \
	}
/* Backward branches are loop back-edges: that is where an endless loop
 * notices an interrupt or runs out of fuel, and where one that runs long
 * goes on in compiled code (tiered mode: every ctx->tier_edges). */
#define BRANCH(k)                                                              \
	do {                                                                   \
		int32_t rel_ = (int32_t)W(k);                                  \
		ip = &W(k) + rel_;                                             \
		if (rel_ < 0 && unlikely(--ctx->fuel < 0 || ctx->interrupt ||  \
					 --hot < 0))                           \
			goto check_failed;                                     \
		DISPATCH();                                                    \
	} while (0)
#define RELOAD_MEMORY()                                                        \
	do {                                                                   \
		mem = inst->mem ? inst->mem->base : NULL;                      \
		memsize = inst->mem ? inst->mem->size : 0;                     \
	} while (0)

#define UNOP(name, in, out, expr)                                              \
	L_##name : {                                                           \
		__typeof__(fp->in) a = S(1).in;                                \
		S(0).out = (expr);                                             \
		NEXT(2);                                                       \
	}
#define BINOP(name, in, out, expr)                                             \
	L_##name : {                                                           \
		__typeof__(fp->in) a = S(1).in, b = S(2).in;                   \
		S(0).out = (expr);                                             \
		NEXT(3);                                                       \
	}
#define BINOP_IMM32(name, in, out, expr)                                       \
	L_##name : {                                                           \
		__typeof__(fp->in) a = S(1).in, b = (__typeof__(fp->in))W(2);  \
		S(0).out = (expr);                                             \
		NEXT(3);                                                       \
	}
#define BINOP_IMM64(name, in, out, expr)                                       \
	L_##name : {                                                           \
		__typeof__(fp->in) a = S(1).in;                                \
		__typeof__(fp->in) b = (__typeof__(fp->in))(int32_t)W(2);      \
		S(0).out = (expr);                                             \
		NEXT(3);                                                       \
	}
#define BINOP_K64(name, expr)                                                  \
	L_##name : {                                                           \
		uint64_t a = S(1).u64;                                         \
		uint64_t b = (uint64_t)W(2) | ((uint64_t)W(3) << 32);          \
		S(0).u64 = (expr);                                             \
		NEXT(4);                                                       \
	}
#define BR_CMP(name, T, cmp)                                                   \
	L_##name : {                                                           \
		if ((T)S(0).u32 cmp (T)S(1).u32)                               \
			BRANCH(2);                                             \
		NEXT(3);                                                       \
	}
#define BR_CMP64(name, T, cmp)                                                 \
	L_##name : {                                                           \
		if ((T)S(0).u64 cmp (T)S(1).u64)                               \
			BRANCH(2);                                             \
		NEXT(3);                                                       \
	}
#define BR_CMP_IMM(name, T, cmp)                                               \
	L_##name : {                                                           \
		if ((T)S(0).u32 cmp (T)W(1))                                   \
			BRANCH(2);                                             \
		NEXT(3);                                                       \
	}
/* Explicit bounds checks, also in guard-page builds (where compiled code
 * relies on the fault handler): they give the trap its exact offset and
 * cost the interpreter no measurable time. */
#define CHECK_ACCESS(ea, n)                                                    \
	do {                                                                   \
		if (unlikely((ea) + (n) > memsize))                            \
			TRAP(WASM_TRAP_MEMORY_OOB);                            \
	} while (0)

#define LOAD(name, field, CT, T)                                               \
	L_##name : {                                                           \
		uint64_t ea = (uint64_t)S(1).u32 + W(2);                       \
		CHECK_ACCESS(ea, sizeof(CT));                                  \
		CT v;                                                          \
		memcpy(&v, mem + ea, sizeof(v));                               \
		S(0).field = (T)v;                                             \
		NEXT(3);                                                       \
	}
#define LOAD_AT(name, field, CT, T, ADDR)                                      \
	L_##name : {                                                           \
		uint64_t ea = (uint64_t)(uint32_t)(ADDR) + W(3);               \
		CHECK_ACCESS(ea, sizeof(CT));                                  \
		CT v;                                                          \
		memcpy(&v, mem + ea, sizeof(v));                               \
		S(0).field = (T)v;                                             \
		NEXT(4);                                                       \
	}
#define STORE_AT(name, field, CT, ADDR)                                        \
	L_##name : {                                                           \
		uint64_t ea = (uint64_t)(uint32_t)(ADDR) + W(3);               \
		CHECK_ACCESS(ea, sizeof(CT));                                  \
		CT v = (CT)S(2).field;                                         \
		memcpy(mem + ea, &v, sizeof(v));                               \
		NEXT(4);                                                       \
	}
#define LOAD_FUSED(name, field, CT, T)                                         \
	LOAD_AT(name##_ADD, field, CT, T, S(1).u32 + S(2).u32)                 \
	LOAD_AT(name##_ADDK, field, CT, T, S(1).u32 + W(2))
#define STORE_FUSED(name, field, CT)                                           \
	STORE_AT(name##_ADD, field, CT, S(0).u32 + S(1).u32)                   \
	STORE_AT(name##_ADDK, field, CT, S(0).u32 + W(1))

#define STORE(name, field, CT)                                                 \
	L_##name : {                                                           \
		uint64_t ea = (uint64_t)S(0).u32 + W(2);                       \
		CHECK_ACCESS(ea, sizeof(CT));                                  \
		CT v = (CT)S(1).field;                                         \
		memcpy(mem + ea, &v, sizeof(v));                               \
		NEXT(3);                                                       \
	}
/* Trapping float-to-int: in range when lo < x < hi (after NaN check). */
#define TRUNC(name, in, out, T, lo, hi)                                        \
	L_##name : {                                                           \
		__typeof__(fp->in) a = S(1).in;                                \
		if (unlikely(isnan(a)))                                        \
			TRAP(WASM_TRAP_INVALID_CONVERSION);                    \
		if (unlikely(!(a > (lo) && a < (hi))))                         \
			TRAP(WASM_TRAP_INT_OVERFLOW);                          \
		S(0).out = (T)a;                                               \
		NEXT(2);                                                       \
	}

/* Handler addresses by op, filled once from run()'s offsets: a table of
 * label addresses would need a relocation per entry and 2 KB of RELRO,
 * the offsets are 1 KB of read-only data. */
static const void *handler_table[IR_COUNT];
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

int wm_call_host(struct wasm_instance *ctx, struct wasm_func *cur,
		 struct wasm_func *callee, union wm_slot *fp,
		 union wm_slot *nfp, const uint32_t *ip)
{
	union wm_slot *saved_top = ctx->stack_top;
	ctx->stack_top = fp + cur->code->frame_slots;
	ctx->trap.func_name = NULL;
	wm_publish_usage(ctx, cur->inst);
	int st = callee->host(cur->inst, callee->user, (uint64_t *)nfp);
	ctx->stack_top = saved_top;
	if (unlikely(st == WASM_TRAPPED) && !ctx->trap.func_name)
		wm_trap(ctx, WASM_TRAP_HOST, cur, ip);
	return st;
}

static int run(struct wasm_instance *ctx, struct wasm_func *entry,
	       union wm_slot *fp)
{
	static const int32_t offsets[] = {
#define IR_LABEL(name, n) &&L_##name - &&L_ENTRY,
		IR_ALL_OPS(IR_LABEL)
#undef IR_LABEL
	};
	if (!ctx) { /* under handlers_once */
		for (unsigned i = 0; i < IR_COUNT; i++)
			handler_table[i] = (const char *)&&L_ENTRY + offsets[i];
		return 0;
	}

	struct wasm_func *cur = entry;
	struct wasm_instance *inst = entry->inst;
	const uint32_t base_frames = ctx->nframes;
	const uint32_t *ip;
	uint8_t *mem;
	uint64_t memsize;
	struct wasm_func *callee;
	union wm_slot *nfp;
	unsigned call_words;
	int status = WASM_OK;
	int32_t hot = ctx->tier_edges;

	if (ctx->nframes >= ctx->max_frames ||
	    fp + entry->code->frame_slots > ctx->stack_end) {
		ip = NULL;
		TRAP(WASM_TRAP_STACK_EXHAUSTED);
	}
	ctx->frames[ctx->nframes++] =
		(struct wm_frame){.ret_ip = NULL, .fp = NULL, .func = NULL};
	ip = entry->code->words;
	RELOAD_MEMORY();
	DISPATCH();

L_ENTRY: {
	/* Most functions have a few locals: stores beat a call to memset. */
	union wm_slot *z = &fp[W(0)];
	uint32_t n = W(1);
	if (n > 8)
		memset(z, 0, sizeof(*fp) * n);
	else
		while (n--)
			(z++)->u64 = 0;
}
	if (unlikely(--ctx->fuel < 0 || ctx->interrupt))
		goto check_failed;
	NEXT(2);
L_UNREACHABLE:
	TRAP(WASM_TRAP_UNREACHABLE);
L_BR:
	BRANCH(0);
L_BR_IF:
	if (S(0).u32)
		BRANCH(1);
	NEXT(2);
L_BR_UNLESS:
	if (!S(0).u32)
		BRANCH(1);
	NEXT(2);
L_BR_TABLE: {
	uint32_t i = S(0).u32, n = W(1);
	if (i > n)
		i = n;
	BRANCH(2 + i);
}
L_RET1:
	fp[0] = S(0);
	goto do_return;
L_RETN:
	memmove(&fp[0], &fp[W(0)], sizeof(*fp) * W(1));
	goto do_return;
L_RET0:
do_return: {
	struct wm_frame *fr = &ctx->frames[--ctx->nframes];
	if (unlikely(!fr->ret_ip)) {
		return WASM_OK;
	}
	ip = fr->ret_ip;
	fp = fr->fp;
	cur = fr->func;
	inst = cur->inst;
	RELOAD_MEMORY();
	DISPATCH();
}
L_CALL:
	callee = inst->funcs[W(0)];
	nfp = fp + W(1);
	call_words = 4;
	goto call_wasm;
L_CALL_IMPORT:
	callee = inst->funcs[W(0)];
	nfp = fp + W(1);
	call_words = 4;
	if (callee->host)
		goto call_host;
	goto call_wasm;
L_CALL_INDIRECT: {
	struct wasm_table *tb = inst->tables[W(0)];
	uint32_t i = S(3).u32;
	if (unlikely(i >= tb->size))
		TRAP(WASM_TRAP_UNDEFINED_ELEMENT);
	callee = tb->elems[i];
	if (unlikely(!callee))
		TRAP(WASM_TRAP_UNINITIALIZED_ELEMENT);
	if (unlikely(callee->sig_id != W(1)))
		TRAP(WASM_TRAP_INDIRECT_TYPE_MISMATCH);
	nfp = fp + W(2);
	call_words = 6;
	if (callee->host)
		goto call_host;
	goto call_wasm;
}
call_wasm:
	if (unlikely(ctx->nframes >= ctx->max_frames ||
		     nfp + callee->code->frame_slots > ctx->stack_end))
		TRAP(WASM_TRAP_STACK_EXHAUSTED);
	if (wm_jit_ready(callee->code)) {
		status = wm_jit_enter(ctx, callee, nfp);
		if (unlikely(status != WASM_OK))
			goto unwind;
		RELOAD_MEMORY();
		ip += call_words;
		DISPATCH();
	}
	ctx->frames[ctx->nframes++] =
		(struct wm_frame){.ret_ip = ip + call_words, .fp = fp, .func = cur};
	fp = nfp;
	cur = callee;
	if (callee->inst != inst) {
		inst = callee->inst;
		RELOAD_MEMORY();
	}
	ip = callee->code->words;
	DISPATCH();
call_host:
	status = wm_call_host(ctx, cur, callee, fp, nfp, ip);
	if (unlikely(status != WASM_OK))
		goto unwind;
	RELOAD_MEMORY();
	ip += call_words;
	DISPATCH();
L_COPY:
	S(0) = S(1);
	NEXT(2);
L_CONST32:
	S(0).u64 = W(1);
	NEXT(2);
L_CONST64:
	S(0).u64 = (uint64_t)W(1) | ((uint64_t)W(2) << 32);
	NEXT(3);
L_REF_FUNC:
	S(0).ref = inst->funcs[W(1)];
	NEXT(2);
L_REF_IS_NULL:
	S(0).u32 = S(1).ref == NULL;
	NEXT(2);
L_SELECT:
	S(0) = S(3).u32 ? S(1) : S(2);
	NEXT(4);
L_GLOBAL_GET:
	S(0) = inst->globals[W(1)]->val;
	NEXT(2);
L_GLOBAL_SET:
	inst->globals[W(0)]->val = S(1);
	NEXT(2);
	BULK(TABLE_GET, 3)
	BULK(TABLE_SET, 3)
	BULK(TABLE_SIZE, 2)
	BULK(TABLE_GROW, 4)
	BULK(TABLE_FILL, 4)
	BULK(TABLE_COPY, 5)
	BULK(TABLE_INIT, 5)
	BULK(ELEM_DROP, 1)
L_MEMORY_SIZE:
	S(0).u32 = inst->mem->pages;
	NEXT(1);
L_MEMORY_GROW:
	S(0).i32 = (int32_t)wm_memory_grow(inst->mem, S(1).u32);
	RELOAD_MEMORY();
	NEXT(2);
	BULK(MEMORY_COPY, 3)
	BULK(MEMORY_FILL, 3)
	BULK(MEMORY_INIT, 4)
	BULK(DATA_DROP, 1)

	LOAD(I32_LOAD, u32, uint32_t, uint32_t)
	LOAD(I64_LOAD, u64, uint64_t, uint64_t)
	LOAD(I32_LOAD8_S, u32, int8_t, int32_t)
	LOAD(I32_LOAD8_U, u32, uint8_t, uint32_t)
	LOAD(I32_LOAD16_S, u32, int16_t, int32_t)
	LOAD(I32_LOAD16_U, u32, uint16_t, uint32_t)
	LOAD(I64_LOAD8_S, i64, int8_t, int64_t)
	LOAD(I64_LOAD8_U, u64, uint8_t, uint64_t)
	LOAD(I64_LOAD16_S, i64, int16_t, int64_t)
	LOAD(I64_LOAD16_U, u64, uint16_t, uint64_t)
	LOAD(I64_LOAD32_S, i64, int32_t, int64_t)
	LOAD(I64_LOAD32_U, u64, uint32_t, uint64_t)
	STORE(I32_STORE, u32, uint32_t)
	STORE(I64_STORE, u64, uint64_t)
	STORE(I32_STORE8, u32, uint8_t)
	STORE(I32_STORE16, u32, uint16_t)
	LOAD_FUSED(I32_LOAD, u32, uint32_t, uint32_t)
	LOAD_FUSED(I64_LOAD, u64, uint64_t, uint64_t)
	LOAD_FUSED(I32_LOAD8_U, u32, uint8_t, uint32_t)
	LOAD_FUSED(I32_LOAD8_S, u32, int8_t, int32_t)
	LOAD_FUSED(I32_LOAD16_U, u32, uint16_t, uint32_t)
	STORE_FUSED(I32_STORE, u32, uint32_t)
	STORE_FUSED(I64_STORE, u64, uint64_t)
	STORE_FUSED(I32_STORE8, u32, uint8_t)

	BR_CMP(BR_I32_EQ, uint32_t, ==)
	BR_CMP(BR_I32_NE, uint32_t, !=)
	BR_CMP(BR_I32_LT_S, int32_t, <)
	BR_CMP(BR_I32_LT_U, uint32_t, <)
	BR_CMP(BR_I32_GT_S, int32_t, >)
	BR_CMP(BR_I32_GT_U, uint32_t, >)
	BR_CMP(BR_I32_LE_S, int32_t, <=)
	BR_CMP(BR_I32_LE_U, uint32_t, <=)
	BR_CMP(BR_I32_GE_S, int32_t, >=)
	BR_CMP(BR_I32_GE_U, uint32_t, >=)
	BR_CMP_IMM(BR_I32_EQ_IMM, uint32_t, ==)
	BR_CMP_IMM(BR_I32_NE_IMM, uint32_t, !=)
	BR_CMP_IMM(BR_I32_LT_S_IMM, int32_t, <)
	BR_CMP_IMM(BR_I32_LT_U_IMM, uint32_t, <)
	BR_CMP_IMM(BR_I32_GT_S_IMM, int32_t, >)
	BR_CMP_IMM(BR_I32_GT_U_IMM, uint32_t, >)
	BR_CMP_IMM(BR_I32_LE_S_IMM, int32_t, <=)
	BR_CMP_IMM(BR_I32_LE_U_IMM, uint32_t, <=)
	BR_CMP_IMM(BR_I32_GE_S_IMM, int32_t, >=)
	BR_CMP_IMM(BR_I32_GE_U_IMM, uint32_t, >=)
	BR_CMP64(BR_I64_EQ, uint64_t, ==)
	BR_CMP64(BR_I64_NE, uint64_t, !=)
	BR_CMP64(BR_I64_LT_S, int64_t, <)
	BR_CMP64(BR_I64_LT_U, uint64_t, <)
	BR_CMP64(BR_I64_GT_S, int64_t, >)
	BR_CMP64(BR_I64_GT_U, uint64_t, >)
	BR_CMP64(BR_I64_LE_S, int64_t, <=)
	BR_CMP64(BR_I64_LE_U, uint64_t, <=)
	BR_CMP64(BR_I64_GE_S, int64_t, >=)
	BR_CMP64(BR_I64_GE_U, uint64_t, >=)
L_BR_I64_NEZ:
	if (S(0).u64)
		BRANCH(1);
	NEXT(2);
L_BR_I64_EQZ:
	if (!S(0).u64)
		BRANCH(1);
	NEXT(2);

	UNOP(I32_EQZ, u32, u32, a == 0)
	UNOP(I64_EQZ, u64, u32, a == 0)
	UNOP(I32_CLZ, u32, u32, a ? (uint32_t)__builtin_clz(a) : 32)
	UNOP(I32_CTZ, u32, u32, a ? (uint32_t)__builtin_ctz(a) : 32)
	UNOP(I32_POPCNT, u32, u32, (uint32_t)__builtin_popcount(a))
	UNOP(I64_CLZ, u64, u64, a ? (uint64_t)__builtin_clzll(a) : 64)
	UNOP(I64_CTZ, u64, u64, a ? (uint64_t)__builtin_ctzll(a) : 64)
	UNOP(I64_POPCNT, u64, u64, (uint64_t)__builtin_popcountll(a))
	UNOP(F32_ABS, u32, u32, a & 0x7fffffffu)
	UNOP(F32_NEG, u32, u32, a ^ 0x80000000u)
	UNOP(F32_CEIL, f32, f32, isnan(a) ? a + a : ceilf(a))
	UNOP(F32_FLOOR, f32, f32, isnan(a) ? a + a : floorf(a))
	UNOP(F32_TRUNC, f32, f32, isnan(a) ? a + a : truncf(a))
	UNOP(F32_NEAREST, f32, f32, isnan(a) ? a + a : nearbyintf(a))
	UNOP(F32_SQRT, f32, f32, sqrtf(a))
	UNOP(F64_ABS, u64, u64, a & 0x7fffffffffffffffull)
	UNOP(F64_NEG, u64, u64, a ^ 0x8000000000000000ull)
	UNOP(F64_CEIL, f64, f64, isnan(a) ? a + a : ceil(a))
	UNOP(F64_FLOOR, f64, f64, isnan(a) ? a + a : floor(a))
	UNOP(F64_TRUNC, f64, f64, isnan(a) ? a + a : trunc(a))
	UNOP(F64_NEAREST, f64, f64, isnan(a) ? a + a : nearbyint(a))
	UNOP(F64_SQRT, f64, f64, sqrt(a))
	TRUNC(I32_TRUNC_F32_S, f32, i32, int32_t, -2147483904.0f, 2147483648.0f)
	TRUNC(I32_TRUNC_F32_U, f32, u32, uint32_t, -1.0f, 4294967296.0f)
	TRUNC(I32_TRUNC_F64_S, f64, i32, int32_t, -2147483649.0, 2147483648.0)
	TRUNC(I32_TRUNC_F64_U, f64, u32, uint32_t, -1.0, 4294967296.0)
	UNOP(I64_EXTEND_I32_S, i32, i64, (int64_t)a)
	UNOP(I64_EXTEND_I32_U, u32, u64, (uint64_t)a)
	TRUNC(I64_TRUNC_F32_S, f32, i64, int64_t, -9223373136366403584.0f,
	      9223372036854775808.0f)
	TRUNC(I64_TRUNC_F32_U, f32, u64, uint64_t, -1.0f,
	      18446744073709551616.0f)
	TRUNC(I64_TRUNC_F64_S, f64, i64, int64_t, -9223372036854777856.0,
	      9223372036854775808.0)
	TRUNC(I64_TRUNC_F64_U, f64, u64, uint64_t, -1.0,
	      18446744073709551616.0)
	UNOP(F32_CONVERT_I32_S, i32, f32, (float)a)
	UNOP(F32_CONVERT_I32_U, u32, f32, (float)a)
	UNOP(F32_CONVERT_I64_S, i64, f32, (float)a)
	UNOP(F32_CONVERT_I64_U, u64, f32, (float)a)
	UNOP(F32_DEMOTE_F64, f64, f32, (float)a)
	UNOP(F64_CONVERT_I32_S, i32, f64, (double)a)
	UNOP(F64_CONVERT_I32_U, u32, f64, (double)a)
	UNOP(F64_CONVERT_I64_S, i64, f64, (double)a)
	UNOP(F64_CONVERT_I64_U, u64, f64, (double)a)
	UNOP(F64_PROMOTE_F32, f32, f64, (double)a)
	UNOP(I32_EXTEND8_S, u32, i32, (int32_t)(int8_t)a)
	UNOP(I32_EXTEND16_S, u32, i32, (int32_t)(int16_t)a)
	UNOP(I64_EXTEND8_S, u64, i64, (int64_t)(int8_t)a)
	UNOP(I64_EXTEND16_S, u64, i64, (int64_t)(int16_t)a)
	UNOP(I64_EXTEND32_S, u64, i64, (int64_t)(int32_t)a)
	UNOP(I32_TRUNC_SAT_F32_S, f32, i32, sat_i32(a))
	UNOP(I32_TRUNC_SAT_F32_U, f32, u32, sat_u32(a))
	UNOP(I32_TRUNC_SAT_F64_S, f64, i32, sat_i32(a))
	UNOP(I32_TRUNC_SAT_F64_U, f64, u32, sat_u32(a))
	UNOP(I64_TRUNC_SAT_F32_S, f32, i64, sat_i64(a))
	UNOP(I64_TRUNC_SAT_F32_U, f32, u64, sat_u64(a))
	UNOP(I64_TRUNC_SAT_F64_S, f64, i64, sat_i64(a))
	UNOP(I64_TRUNC_SAT_F64_U, f64, u64, sat_u64(a))

	BINOP(I32_EQ, u32, u32, a == b)
	BINOP(I32_NE, u32, u32, a != b)
	BINOP(I32_LT_S, i32, u32, a < b)
	BINOP(I32_LT_U, u32, u32, a < b)
	BINOP(I32_GT_S, i32, u32, a > b)
	BINOP(I32_GT_U, u32, u32, a > b)
	BINOP(I32_LE_S, i32, u32, a <= b)
	BINOP(I32_LE_U, u32, u32, a <= b)
	BINOP(I32_GE_S, i32, u32, a >= b)
	BINOP(I32_GE_U, u32, u32, a >= b)
	BINOP(I64_EQ, u64, u32, a == b)
	BINOP(I64_NE, u64, u32, a != b)
	BINOP(I64_LT_S, i64, u32, a < b)
	BINOP(I64_LT_U, u64, u32, a < b)
	BINOP(I64_GT_S, i64, u32, a > b)
	BINOP(I64_GT_U, u64, u32, a > b)
	BINOP(I64_LE_S, i64, u32, a <= b)
	BINOP(I64_LE_U, u64, u32, a <= b)
	BINOP(I64_GE_S, i64, u32, a >= b)
	BINOP(I64_GE_U, u64, u32, a >= b)
	BINOP(F32_EQ, f32, u32, a == b)
	BINOP(F32_NE, f32, u32, a != b)
	BINOP(F32_LT, f32, u32, a < b)
	BINOP(F32_GT, f32, u32, a > b)
	BINOP(F32_LE, f32, u32, a <= b)
	BINOP(F32_GE, f32, u32, a >= b)
	BINOP(F64_EQ, f64, u32, a == b)
	BINOP(F64_NE, f64, u32, a != b)
	BINOP(F64_LT, f64, u32, a < b)
	BINOP(F64_GT, f64, u32, a > b)
	BINOP(F64_LE, f64, u32, a <= b)
	BINOP(F64_GE, f64, u32, a >= b)
	BINOP(I32_ADD, u32, u32, a + b)
	BINOP(I32_SUB, u32, u32, a - b)
	BINOP(I32_MUL, u32, u32, a * b)
L_I32_DIV_S: {
	int32_t a = S(1).i32, b = S(2).i32;
	if (unlikely(b == 0))
		TRAP(WASM_TRAP_DIV_ZERO);
	if (unlikely(a == INT32_MIN && b == -1))
		TRAP(WASM_TRAP_INT_OVERFLOW);
	S(0).i32 = a / b;
	NEXT(3);
}
L_I32_DIV_U: {
	uint32_t a = S(1).u32, b = S(2).u32;
	if (unlikely(b == 0))
		TRAP(WASM_TRAP_DIV_ZERO);
	S(0).u32 = a / b;
	NEXT(3);
}
L_I32_REM_S: {
	int32_t a = S(1).i32, b = S(2).i32;
	if (unlikely(b == 0))
		TRAP(WASM_TRAP_DIV_ZERO);
	S(0).i32 = b == -1 ? 0 : a % b;
	NEXT(3);
}
L_I32_REM_U: {
	uint32_t a = S(1).u32, b = S(2).u32;
	if (unlikely(b == 0))
		TRAP(WASM_TRAP_DIV_ZERO);
	S(0).u32 = a % b;
	NEXT(3);
}
	BINOP(I32_AND, u32, u32, a & b)
	BINOP(I32_OR, u32, u32, a | b)
	BINOP(I32_XOR, u32, u32, a ^ b)
	BINOP(I32_SHL, u32, u32, a << (b & 31))
	BINOP(I32_SHR_S, i32, i32, a >> (b & 31))
	BINOP(I32_SHR_U, u32, u32, a >> (b & 31))
	BINOP(I32_ROTL, u32, u32, rotl32(a, b))
	BINOP(I32_ROTR, u32, u32, rotr32(a, b))
	BINOP(I64_ADD, u64, u64, a + b)
	BINOP(I64_SUB, u64, u64, a - b)
	BINOP(I64_MUL, u64, u64, a * b)
L_I64_DIV_S: {
	int64_t a = S(1).i64, b = S(2).i64;
	if (unlikely(b == 0))
		TRAP(WASM_TRAP_DIV_ZERO);
	if (unlikely(a == INT64_MIN && b == -1))
		TRAP(WASM_TRAP_INT_OVERFLOW);
	S(0).i64 = a / b;
	NEXT(3);
}
L_I64_DIV_U: {
	uint64_t a = S(1).u64, b = S(2).u64;
	if (unlikely(b == 0))
		TRAP(WASM_TRAP_DIV_ZERO);
	S(0).u64 = a / b;
	NEXT(3);
}
L_I64_REM_S: {
	int64_t a = S(1).i64, b = S(2).i64;
	if (unlikely(b == 0))
		TRAP(WASM_TRAP_DIV_ZERO);
	S(0).i64 = b == -1 ? 0 : a % b;
	NEXT(3);
}
L_I64_REM_U: {
	uint64_t a = S(1).u64, b = S(2).u64;
	if (unlikely(b == 0))
		TRAP(WASM_TRAP_DIV_ZERO);
	S(0).u64 = a % b;
	NEXT(3);
}
	BINOP(I64_AND, u64, u64, a & b)
	BINOP(I64_OR, u64, u64, a | b)
	BINOP(I64_XOR, u64, u64, a ^ b)
	BINOP(I64_SHL, u64, u64, a << (b & 63))
	BINOP(I64_SHR_S, i64, i64, a >> (b & 63))
	BINOP(I64_SHR_U, u64, u64, a >> (b & 63))
	BINOP(I64_ROTL, u64, u64, rotl64(a, b))
	BINOP(I64_ROTR, u64, u64, rotr64(a, b))
	BINOP(F32_ADD, f32, f32, a + b)
	BINOP(F32_SUB, f32, f32, a - b)
	BINOP(F32_MUL, f32, f32, a * b)
	BINOP(F32_DIV, f32, f32, a / b)
	BINOP(F32_MIN, f32, f32, f32_min(a, b))
	BINOP(F32_MAX, f32, f32, f32_max(a, b))
	BINOP(F32_COPYSIGN, u32, u32, (a & 0x7fffffffu) | (b & 0x80000000u))
	BINOP(F64_ADD, f64, f64, a + b)
	BINOP(F64_SUB, f64, f64, a - b)
	BINOP(F64_MUL, f64, f64, a * b)
	BINOP(F64_DIV, f64, f64, a / b)
	BINOP(F64_MIN, f64, f64, f64_min(a, b))
	BINOP(F64_MAX, f64, f64, f64_max(a, b))
	BINOP(F64_COPYSIGN, u64, u64,
	      (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull))

	BINOP_IMM32(I32_ADD_IMM, u32, u32, a + b)
	BINOP_IMM32(I32_SUB_IMM, u32, u32, a - b)
	BINOP_IMM32(I32_MUL_IMM, u32, u32, a * b)
	BINOP_IMM32(I32_AND_IMM, u32, u32, a & b)
	BINOP_IMM32(I32_OR_IMM, u32, u32, a | b)
	BINOP_IMM32(I32_XOR_IMM, u32, u32, a ^ b)
	BINOP_IMM32(I32_SHL_IMM, u32, u32, a << (b & 31))
	BINOP_IMM32(I32_SHR_S_IMM, i32, i32, a >> (b & 31))
	BINOP_IMM32(I32_SHR_U_IMM, u32, u32, a >> (b & 31))
	BINOP_IMM32(I32_EQ_IMM, u32, u32, a == b)
	BINOP_IMM32(I32_NE_IMM, u32, u32, a != b)
	BINOP_IMM32(I32_LT_S_IMM, i32, u32, a < b)
	BINOP_IMM32(I32_LT_U_IMM, u32, u32, a < b)
	BINOP_IMM32(I32_GT_S_IMM, i32, u32, a > b)
	BINOP_IMM32(I32_GT_U_IMM, u32, u32, a > b)
	BINOP_IMM32(I32_LE_S_IMM, i32, u32, a <= b)
	BINOP_IMM32(I32_LE_U_IMM, u32, u32, a <= b)
	BINOP_IMM32(I32_GE_S_IMM, i32, u32, a >= b)
	BINOP_IMM32(I32_GE_U_IMM, u32, u32, a >= b)
	BINOP_IMM64(I64_ADD_IMM, u64, u64, a + b)
	BINOP_IMM64(I64_SUB_IMM, u64, u64, a - b)
	BINOP_IMM64(I64_AND_IMM, u64, u64, a & b)
	BINOP_IMM64(I64_OR_IMM, u64, u64, a | b)
	BINOP_IMM64(I64_XOR_IMM, u64, u64, a ^ b)
	BINOP_IMM64(I64_SHL_IMM, u64, u64, a << (b & 63))
	BINOP_IMM64(I64_SHR_S_IMM, i64, i64, a >> (b & 63))
	BINOP_IMM64(I64_SHR_U_IMM, u64, u64, a >> (b & 63))
	BINOP_IMM64(I64_MUL_IMM, u64, u64, a * b)
	BINOP_K64(I64_ADD_K64, a + b)
	BINOP_K64(I64_MUL_K64, a * b)
	BINOP_K64(I64_AND_K64, a & b)
	BINOP_K64(I64_OR_K64, a | b)
	BINOP_K64(I64_XOR_K64, a ^ b)

check_failed:
	/* A hot loop at its header ip: its function may go on compiled
	 * there, which returns for it. */
	if (hot < 0) {
		hot = ctx->tier_edges;
		if (ctx->fuel >= 0 && !ctx->interrupt) {
			if (!wm_jit_osr(ctx, cur, fp, ip, &status))
				DISPATCH();
			if (status != WASM_OK)
				goto unwind;
			goto do_return;
		}
	}
	/* A pause: ip is where the guest goes on (a branch's target, a
	 * function's entry, whose check then runs again). */
	if (ctx->interrupt && ctx->fuel >= 0 && wm_interrupt_handled(ctx))
		DISPATCH();
	if (ctx->interrupt) {
		status = wm_trap(ctx, WASM_TRAP_INTERRUPTED, cur, ip);
	} else {
		ctx->fuel = 0;
		status = wm_trap(ctx, WASM_TRAP_OUT_OF_FUEL, cur, ip);
	}
	goto unwind;
unwind:
	ctx->nframes = base_frames;
	return status;
}

static void fill_handlers(void)
{
	run(NULL, NULL, NULL);
}

const void *const *wm_interp_handlers(void)
{
	pthread_once(&handlers_once, fill_handlers);
	return handler_table;
}

int wm_interp_call(struct wasm_instance *ctx, struct wasm_func *f,
		   union wm_slot *fp)
{
	if (f->host) {
		union wm_slot *saved_top = ctx->stack_top;
		ctx->stack_top = fp + (f->type->nparams > f->type->nresults
					       ? f->type->nparams
					       : f->type->nresults);
		int st = f->host(ctx, f->user, (uint64_t *)fp);
		ctx->stack_top = saved_top;
		return st;
	}
	if (wm_jit_ready(f->code))
		return wm_jit_enter(ctx, f, fp);
	return run(ctx, f, fp);
}

int wm_interp_run(struct wasm_instance *ctx, struct wasm_func *f,
		  union wm_slot *fp)
{
	return run(ctx, f, fp);
}

static const uint8_t op_words[] = {
#define IR_SIZE(name, n) 2 + (n),
	IR_ALL_OPS(IR_SIZE)
#undef IR_SIZE
};
/* The names in op order, each ending in NUL: one string rather than a
 * table of pointers (used only by logs and dumps). */
static const char op_names[] =
#define IR_NAME(name, n) #name "\0"
	IR_ALL_OPS(IR_NAME)
#undef IR_NAME
	;

unsigned ir_op_words(enum ir_op op)
{
	return op_words[op];
}

const char *ir_op_name(enum ir_op op)
{
	const char *p = op_names;
	for (unsigned i = 0; i < (unsigned)op && i < IR_COUNT; i++)
		p += strlen(p) + 1;
	return op < IR_COUNT ? p : "?";
}
