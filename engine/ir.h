/* ir.h — the internal instruction set the translator emits and the
 * interpreter runs.
 *
 * Code is a stream of 32-bit words. An instruction is a handler address
 * (two words, direct threading) followed by its operand words. Operands
 * name frame slots (index from the frame pointer), immediates, or branch
 * offsets (signed, in words, relative to the operand word itself).
 * Layouts: d = destination slot, a/b/c = source slots, k = immediate.
 */
#ifndef WASM_IR_H
#define WASM_IR_H

#include <stdint.h>

/* X(name, operand words) */
#define IR_CONTROL_OPS(X)                                                      \
	X(ENTRY, 2)         /* first_local, nlocals: zero them, check stack */  \
	X(UNREACHABLE, 0)                                                       \
	X(BR, 1)            /* rel */                                           \
	X(BR_IF, 2)         /* a, rel: branch if a != 0 */                      \
	X(BR_UNLESS, 2)     /* a, rel: branch if a == 0 */                      \
	X(BR_TABLE, 2)      /* a, n, then n+1 rel words (last: default) */     \
	X(RET0, 0)                                                              \
	X(RET1, 1)          /* a: fp[0] = fp[a] */                              \
	X(RETN, 2)          /* first, n: fp[0..n) = fp[first..first+n) */       \
	X(CALL, 2)          /* funcidx, argbase: a function of this module */  \
	X(CALL_IMPORT, 2)   /* funcidx, argbase: through the instance */        \
	X(CALL_INDIRECT, 4) /* table, sig_id, argbase, a (element index) */    \
	X(COPY, 2)          /* d, a */                                          \
	X(CONST32, 2)       /* d, k */                                          \
	X(CONST64, 3)       /* d, k_lo, k_hi */                                 \
	X(REF_FUNC, 2)      /* d, funcidx */                                    \
	X(REF_IS_NULL, 2)   /* d, a */                                          \
	X(SELECT, 4)        /* d, a, b, c: d = c ? a : b */                     \
	X(GLOBAL_GET, 2)    /* d, globalidx */                                  \
	X(GLOBAL_SET, 2)    /* globalidx, a */                                  \
	X(TABLE_GET, 3)     /* d, table, a */                                   \
	X(TABLE_SET, 3)     /* table, a (index), b (ref) */                     \
	X(TABLE_SIZE, 2)    /* d, table */                                      \
	X(TABLE_GROW, 4)    /* d, table, a (init ref), b (delta) */             \
	X(TABLE_FILL, 4)    /* table, a (i), b (ref), c (n) */                  \
	X(TABLE_COPY, 5)    /* dst table, src table, a (d), b (s), c (n) */     \
	X(TABLE_INIT, 5)    /* table, elem, a (d), b (s), c (n) */              \
	X(ELEM_DROP, 1)     /* elem */                                          \
	X(MEMORY_SIZE, 1)   /* d */                                             \
	X(MEMORY_GROW, 2)   /* d, a */                                          \
	X(MEMORY_COPY, 3)   /* a (d), b (s), c (n) */                           \
	X(MEMORY_FILL, 3)   /* a (d), b (val), c (n) */                         \
	X(MEMORY_INIT, 4)   /* seg, a (d), b (s), c (n) */                      \
	X(DATA_DROP, 1)     /* seg */

/* Loads: d, a (address), k (offset). Stores: a (address), b (value), k. */
#define IR_MEMORY_OPS(X)                                                       \
	X(I32_LOAD, 3) X(I64_LOAD, 3) X(I32_LOAD8_S, 3) X(I32_LOAD8_U, 3)       \
	X(I32_LOAD16_S, 3) X(I32_LOAD16_U, 3) X(I64_LOAD8_S, 3)                 \
	X(I64_LOAD8_U, 3) X(I64_LOAD16_S, 3) X(I64_LOAD16_U, 3)                 \
	X(I64_LOAD32_S, 3) X(I64_LOAD32_U, 3) X(I32_STORE, 3) X(I64_STORE, 3)   \
	X(I32_STORE8, 3) X(I32_STORE16, 3)

/* Address computed by an i32.add fused in: loads d, a, b, k (offset) with
 * address (u32)(a + b) + k; _ADDK: d, a, c, k with (u32)(a + c) + k for an
 * immediate c. Stores: a, b|c, v, k. The 32-bit wrap of the add is kept. */
#define IR_FUSED_MEMORY_OPS(X)                                                 \
	X(I32_LOAD_ADD, 4) X(I32_LOAD_ADDK, 4) X(I64_LOAD_ADD, 4)               \
	X(I64_LOAD_ADDK, 4) X(I32_LOAD8_U_ADD, 4) X(I32_LOAD8_U_ADDK, 4)        \
	X(I32_LOAD8_S_ADD, 4) X(I32_LOAD8_S_ADDK, 4) X(I32_LOAD16_U_ADD, 4)     \
	X(I32_LOAD16_U_ADDK, 4) X(I32_STORE_ADD, 4) X(I32_STORE_ADDK, 4)        \
	X(I64_STORE_ADD, 4) X(I64_STORE_ADDK, 4) X(I32_STORE8_ADD, 4)           \
	X(I32_STORE8_ADDK, 4)

/* Fused compare-and-branch: a, b, rel or a, k, rel (_IMM). */
#define IR_BRANCH_CMP_OPS(X)                                                   \
	X(BR_I32_EQ, 3) X(BR_I32_NE, 3) X(BR_I32_LT_S, 3) X(BR_I32_LT_U, 3)     \
	X(BR_I32_GT_S, 3) X(BR_I32_GT_U, 3) X(BR_I32_LE_S, 3)                   \
	X(BR_I32_LE_U, 3) X(BR_I32_GE_S, 3) X(BR_I32_GE_U, 3)                   \
	X(BR_I32_EQ_IMM, 3) X(BR_I32_NE_IMM, 3) X(BR_I32_LT_S_IMM, 3)           \
	X(BR_I32_LT_U_IMM, 3) X(BR_I32_GT_S_IMM, 3) X(BR_I32_GT_U_IMM, 3)       \
	X(BR_I32_LE_S_IMM, 3) X(BR_I32_LE_U_IMM, 3) X(BR_I32_GE_S_IMM, 3)       \
	X(BR_I32_GE_U_IMM, 3) X(BR_I64_EQ, 3) X(BR_I64_NE, 3)                   \
	X(BR_I64_LT_S, 3) X(BR_I64_LT_U, 3) X(BR_I64_GT_S, 3) X(BR_I64_GT_U, 3) \
	X(BR_I64_LE_S, 3) X(BR_I64_LE_U, 3) X(BR_I64_GE_S, 3) X(BR_I64_GE_U, 3) \
	X(BR_I64_NEZ, 2) X(BR_I64_EQZ, 2) /* a, rel */

/* Unary: d, a. */
#define IR_UNARY_OPS(X)                                                        \
	X(I32_EQZ, 2) X(I64_EQZ, 2) X(I32_CLZ, 2) X(I32_CTZ, 2)                 \
	X(I32_POPCNT, 2) X(I64_CLZ, 2) X(I64_CTZ, 2) X(I64_POPCNT, 2)           \
	X(F32_ABS, 2) X(F32_NEG, 2) X(F32_CEIL, 2) X(F32_FLOOR, 2)              \
	X(F32_TRUNC, 2) X(F32_NEAREST, 2) X(F32_SQRT, 2) X(F64_ABS, 2)          \
	X(F64_NEG, 2) X(F64_CEIL, 2) X(F64_FLOOR, 2) X(F64_TRUNC, 2)            \
	X(F64_NEAREST, 2) X(F64_SQRT, 2) X(I32_TRUNC_F32_S, 2)                  \
	X(I32_TRUNC_F32_U, 2) X(I32_TRUNC_F64_S, 2) X(I32_TRUNC_F64_U, 2)       \
	X(I64_EXTEND_I32_S, 2) X(I64_EXTEND_I32_U, 2) X(I64_TRUNC_F32_S, 2)     \
	X(I64_TRUNC_F32_U, 2) X(I64_TRUNC_F64_S, 2) X(I64_TRUNC_F64_U, 2)       \
	X(F32_CONVERT_I32_S, 2) X(F32_CONVERT_I32_U, 2)                         \
	X(F32_CONVERT_I64_S, 2) X(F32_CONVERT_I64_U, 2) X(F32_DEMOTE_F64, 2)    \
	X(F64_CONVERT_I32_S, 2) X(F64_CONVERT_I32_U, 2)                         \
	X(F64_CONVERT_I64_S, 2) X(F64_CONVERT_I64_U, 2) X(F64_PROMOTE_F32, 2)   \
	X(I32_EXTEND8_S, 2) X(I32_EXTEND16_S, 2) X(I64_EXTEND8_S, 2)            \
	X(I64_EXTEND16_S, 2) X(I64_EXTEND32_S, 2) X(I32_TRUNC_SAT_F32_S, 2)     \
	X(I32_TRUNC_SAT_F32_U, 2) X(I32_TRUNC_SAT_F64_S, 2)                     \
	X(I32_TRUNC_SAT_F64_U, 2) X(I64_TRUNC_SAT_F32_S, 2)                     \
	X(I64_TRUNC_SAT_F32_U, 2) X(I64_TRUNC_SAT_F64_S, 2)                     \
	X(I64_TRUNC_SAT_F64_U, 2)

/* Binary: d, a, b. */
#define IR_BINARY_OPS(X)                                                       \
	X(I32_EQ, 3) X(I32_NE, 3) X(I32_LT_S, 3) X(I32_LT_U, 3) X(I32_GT_S, 3)  \
	X(I32_GT_U, 3) X(I32_LE_S, 3) X(I32_LE_U, 3) X(I32_GE_S, 3)             \
	X(I32_GE_U, 3) X(I64_EQ, 3) X(I64_NE, 3) X(I64_LT_S, 3) X(I64_LT_U, 3)  \
	X(I64_GT_S, 3) X(I64_GT_U, 3) X(I64_LE_S, 3) X(I64_LE_U, 3)             \
	X(I64_GE_S, 3) X(I64_GE_U, 3) X(F32_EQ, 3) X(F32_NE, 3) X(F32_LT, 3)    \
	X(F32_GT, 3) X(F32_LE, 3) X(F32_GE, 3) X(F64_EQ, 3) X(F64_NE, 3)        \
	X(F64_LT, 3) X(F64_GT, 3) X(F64_LE, 3) X(F64_GE, 3) X(I32_ADD, 3)       \
	X(I32_SUB, 3) X(I32_MUL, 3) X(I32_DIV_S, 3) X(I32_DIV_U, 3)             \
	X(I32_REM_S, 3) X(I32_REM_U, 3) X(I32_AND, 3) X(I32_OR, 3)              \
	X(I32_XOR, 3) X(I32_SHL, 3) X(I32_SHR_S, 3) X(I32_SHR_U, 3)             \
	X(I32_ROTL, 3) X(I32_ROTR, 3) X(I64_ADD, 3) X(I64_SUB, 3) X(I64_MUL, 3) \
	X(I64_DIV_S, 3) X(I64_DIV_U, 3) X(I64_REM_S, 3) X(I64_REM_U, 3)         \
	X(I64_AND, 3) X(I64_OR, 3) X(I64_XOR, 3) X(I64_SHL, 3) X(I64_SHR_S, 3)  \
	X(I64_SHR_U, 3) X(I64_ROTL, 3) X(I64_ROTR, 3) X(F32_ADD, 3)             \
	X(F32_SUB, 3) X(F32_MUL, 3) X(F32_DIV, 3) X(F32_MIN, 3) X(F32_MAX, 3)   \
	X(F32_COPYSIGN, 3) X(F64_ADD, 3) X(F64_SUB, 3) X(F64_MUL, 3)            \
	X(F64_DIV, 3) X(F64_MIN, 3) X(F64_MAX, 3) X(F64_COPYSIGN, 3)

/* Binary with an immediate second operand: d, a, k (i64 ones: k is
 * sign-extended from 32 bits). */
#define IR_BINARY_IMM_OPS(X)                                                   \
	X(I32_ADD_IMM, 3) X(I32_SUB_IMM, 3) X(I32_MUL_IMM, 3)                   \
	X(I32_AND_IMM, 3) X(I32_OR_IMM, 3) X(I32_XOR_IMM, 3)                    \
	X(I32_SHL_IMM, 3) X(I32_SHR_S_IMM, 3) X(I32_SHR_U_IMM, 3)               \
	X(I32_EQ_IMM, 3) X(I32_NE_IMM, 3) X(I32_LT_S_IMM, 3)                    \
	X(I32_LT_U_IMM, 3) X(I32_GT_S_IMM, 3) X(I32_GT_U_IMM, 3)                \
	X(I32_LE_S_IMM, 3) X(I32_LE_U_IMM, 3) X(I32_GE_S_IMM, 3)                \
	X(I32_GE_U_IMM, 3) X(I64_ADD_IMM, 3) X(I64_SUB_IMM, 3)                  \
	X(I64_AND_IMM, 3) X(I64_OR_IMM, 3) X(I64_XOR_IMM, 3)                    \
	X(I64_SHL_IMM, 3) X(I64_SHR_S_IMM, 3) X(I64_SHR_U_IMM, 3)               \
	X(I64_MUL_IMM, 3)

/* i64 binary with a full 64-bit immediate: d, a, k_lo, k_hi. Hash
 * multipliers and wide masks do not fit the sign-extended 32-bit forms. */
#define IR_BINARY_K64_OPS(X)                                                   \
	X(I64_ADD_K64, 4) X(I64_MUL_K64, 4) X(I64_AND_K64, 4)                   \
	X(I64_OR_K64, 4) X(I64_XOR_K64, 4)

#define IR_ALL_OPS(X)                                                          \
	IR_CONTROL_OPS(X)                                                       \
	IR_MEMORY_OPS(X)                                                        \
	IR_FUSED_MEMORY_OPS(X)                                                  \
	IR_BRANCH_CMP_OPS(X)                                                    \
	IR_UNARY_OPS(X)                                                         \
	IR_BINARY_OPS(X)                                                        \
	IR_BINARY_IMM_OPS(X)                                                    \
	IR_BINARY_K64_OPS(X)

enum ir_op {
#define IR_ENUM(name, n) IR_##name,
	IR_ALL_OPS(IR_ENUM)
#undef IR_ENUM
	IR_COUNT
};

/* Handler addresses, indexed by enum ir_op (from the interpreter). */
const void *const *wm_interp_handlers(void);

/* Words an instruction of `op` occupies, handler included (BR_TABLE: the
 * fixed part only). */
unsigned ir_op_words(enum ir_op op);
const char *ir_op_name(enum ir_op op);

#endif
