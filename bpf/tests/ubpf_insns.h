/* ubpf_insns.h — instruction builders for hand-assembled eBPF in the
 * userspace backend's tests (the kernel's filter.h is not a uapi header).
 */
#ifndef WASM_BPF_UBPF_INSNS_H
#define WASM_BPF_UBPF_INSNS_H

#include <linux/bpf.h>

#define I_(c, d, s, o, i)                                                      \
	{                                                                      \
		.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o),       \
		.imm = (i)                                                     \
	}
#define MOV(d, i)	      I_(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOVR(d, s)	      I_(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOVSX(d, s, w)	      I_(BPF_ALU64 | BPF_MOV | BPF_X, d, s, w, 0)
#define ALU(op, d, i)	      I_(BPF_ALU64 | BPF_##op | BPF_K, d, 0, 0, i)
#define ALUR(op, d, s)	      I_(BPF_ALU64 | BPF_##op | BPF_X, d, s, 0, 0)
#define SALU(op, d, i)	      I_(BPF_ALU64 | BPF_##op | BPF_K, d, 0, 1, i)
#define ALU32(op, d, i)	      I_(BPF_ALU | BPF_##op | BPF_K, d, 0, 0, i)
#define ALU32R(op, d, s)      I_(BPF_ALU | BPF_##op | BPF_X, d, s, 0, 0)
#define BE(d, w)	      I_(BPF_ALU | BPF_END | BPF_TO_BE, d, 0, 0, w)
#define LDX(sz, d, s, o)      I_(BPF_LDX | BPF_MEM | BPF_##sz, d, s, o, 0)
#define STX(sz, d, s, o)      I_(BPF_STX | BPF_MEM | BPF_##sz, d, s, o, 0)
#define ST(sz, d, o, i)	      I_(BPF_ST | BPF_MEM | BPF_##sz, d, 0, o, i)
#define ATOM(sz, d, s, o, op) I_(BPF_STX | BPF_ATOMIC | BPF_##sz, d, s, o, op)
#define J(op, d, i, o)	      I_(BPF_JMP | BPF_##op | BPF_K, d, 0, o, i)
#define JR(op, d, s, o)	      I_(BPF_JMP | BPF_##op | BPF_X, d, s, o, 0)
#define J32(op, d, i, o)      I_(BPF_JMP32 | BPF_##op | BPF_K, d, 0, o, i)
#define JA(o)		      I_(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(id)	      I_(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_##id)
#define CALLID(id)	      I_(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define CALLP(rel)	      I_(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, rel)
#define EXIT		      I_(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LDMAP(d, m)                                                            \
	I_(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, m),             \
	    I_(0, 0, 0, 0, 0)
#define LDVAL(d, m, o)                                                         \
	I_(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_VALUE, 0, m),          \
	    I_(0, 0, 0, 0, o)
#define LD64(d, v)                                                             \
	I_(BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, (int32_t)(uint32_t)(v)),        \
	    I_(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))

#endif
