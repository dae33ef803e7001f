/* ubpf_vm.c — the interpreter of the userspace backend. It runs only
 * programs ubpf_prog__verify accepted and prepared (map references turned
 * into addresses, every access proven in bounds), so it checks nothing
 * itself; each bpf-to-bpf call gets its own 512-byte frame.
 */
#include <string.h>
#include "bpf/user/ubpf_int.h"

#define P(x) ((void *)(uintptr_t)(x))

static uint64_t load(uint64_t addr, uint8_t size, bool sx)
{
	switch (size) {
	case BPF_B: {
		int8_t v;
		memcpy(&v, P(addr), 1);
		return sx ? (uint64_t)(int64_t)v : (uint8_t)v;
	}
	case BPF_H: {
		int16_t v;
		memcpy(&v, P(addr), 2);
		return sx ? (uint64_t)(int64_t)v : (uint16_t)v;
	}
	case BPF_W: {
		int32_t v;
		memcpy(&v, P(addr), 4);
		return sx ? (uint64_t)(int64_t)v : (uint32_t)v;
	}
	default: {
		uint64_t v;
		memcpy(&v, P(addr), 8);
		return v;
	}
	}
}

static void store(uint64_t addr, uint8_t size, uint64_t v)
{
	switch (size) {
	case BPF_B: {
		uint8_t x = v;
		memcpy(P(addr), &x, 1);
		break;
	}
	case BPF_H: {
		uint16_t x = v;
		memcpy(P(addr), &x, 2);
		break;
	}
	case BPF_W: {
		uint32_t x = v;
		memcpy(P(addr), &x, 4);
		break;
	}
	default:
		memcpy(P(addr), &v, 8);
		break;
	}
}

#define ATOMIC_OPS(T, p, src, r0, imm)                                         \
	do {                                                                   \
		T *a_ = P(p), s_ = (T)(src);                                   \
		T old_;                                                        \
		switch (imm & ~BPF_FETCH) {                                    \
		case BPF_ADD:                                                  \
			old_ = __atomic_fetch_add(a_, s_, __ATOMIC_SEQ_CST);   \
			break;                                                 \
		case BPF_OR:                                                   \
			old_ = __atomic_fetch_or(a_, s_, __ATOMIC_SEQ_CST);    \
			break;                                                 \
		case BPF_AND:                                                  \
			old_ = __atomic_fetch_and(a_, s_, __ATOMIC_SEQ_CST);   \
			break;                                                 \
		case BPF_XOR:                                                  \
			old_ = __atomic_fetch_xor(a_, s_, __ATOMIC_SEQ_CST);   \
			break;                                                 \
		case BPF_XCHG & ~BPF_FETCH:                                    \
			old_ = __atomic_exchange_n(a_, s_, __ATOMIC_SEQ_CST);  \
			break;                                                 \
		default: /* CMPXCHG */                                         \
			old_ = (T)(r0);                                        \
			__atomic_compare_exchange_n(a_, &old_, s_, false,      \
						    __ATOMIC_SEQ_CST,          \
						    __ATOMIC_SEQ_CST);         \
			(r0) = old_;                                           \
			break;                                                 \
		}                                                              \
		if ((imm & BPF_FETCH) && (imm) != BPF_CMPXCHG)                 \
			(src) = old_;                                          \
	} while (0)

static void atomic(const struct bpf_insn *i, uint64_t *reg)
{
	uint64_t addr = reg[i->dst_reg] + i->off;

	if (BPF_SIZE(i->code) == BPF_W)
		ATOMIC_OPS(uint32_t, addr, reg[i->src_reg], reg[0], i->imm);
	else
		ATOMIC_OPS(uint64_t, addr, reg[i->src_reg], reg[0], i->imm);
}

struct frame {
	const struct bpf_insn *ret;
	uint64_t saved[5]; /* R6-R10 */
};

uint64_t ubpf_prog__run(const struct ubpf_prog *p, void *ctx)
{
	const struct bpf_insn *pc = p->xinsns;
	uint64_t reg[11] = {0};
	uint8_t stack[UBPF_MAX_FRAMES * UBPF_STACK_SIZE]
	    __attribute__((aligned(16)));
	struct frame frames[UBPF_MAX_FRAMES];
	int depth = 0;

	if (p->zero_stack)
		memset(stack, 0, sizeof(stack));
	reg[1] = (uintptr_t)ctx;
	reg[10] = (uintptr_t)(stack + sizeof(stack));
	for (;;) {
		const struct bpf_insn *i = pc++;
		uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);
		uint64_t *dst = &reg[i->dst_reg];
		uint64_t src = BPF_SRC(i->code) == BPF_X
				   ? reg[i->src_reg]
				   : (uint64_t)(int64_t)i->imm;

		switch (cls) {
		case BPF_ALU:
		case BPF_ALU64:
			if (op == BPF_END)
				*dst =
				    ubpf_end(cls == BPF_ALU64 ||
						 BPF_SRC(i->code) == BPF_TO_BE,
					     i->imm, *dst);
			else
				*dst = ubpf_alu(op, cls == BPF_ALU64, i->off,
						*dst, src);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (op == BPF_JA) {
				pc += cls == BPF_JMP ? i->off : i->imm;
			} else if (op == BPF_CALL &&
				   i->src_reg == BPF_PSEUDO_CALL) {
				frames[depth].ret = pc;
				memcpy(frames[depth].saved, &reg[6],
				       sizeof(frames[0].saved));
				depth++;
				reg[10] -= UBPF_STACK_SIZE;
				pc += i->imm;
			} else if (op == BPF_CALL) {
				reg[0] = ubpf_helper(i->imm)->fn(
				    p, reg[1], reg[2], reg[3], reg[4], reg[5]);
			} else if (op == BPF_EXIT) {
				if (!depth)
					return reg[0];
				depth--;
				pc = frames[depth].ret;
				memcpy(&reg[6], frames[depth].saved,
				       sizeof(frames[0].saved));
			} else if (ubpf_cond(op, cls == BPF_JMP, *dst, src)) {
				pc += i->off;
			}
			break;
		case BPF_LD: /* only LD_IMM64 passes the verifier */
			*dst = (uint32_t)i->imm | (uint64_t)(uint32_t)pc->imm
						      << 32;
			pc++;
			break;
		case BPF_LDX:
			*dst = load(reg[i->src_reg] + i->off, BPF_SIZE(i->code),
				    BPF_MODE(i->code) == BPF_MEMSX);
			break;
		case BPF_ST:
			store(*dst + i->off, BPF_SIZE(i->code),
			      (uint64_t)(int64_t)i->imm);
			break;
		case BPF_STX:
			if (BPF_MODE(i->code) == BPF_ATOMIC)
				atomic(i, reg);
			else
				store(*dst + i->off, BPF_SIZE(i->code),
				      reg[i->src_reg]);
			break;
		}
	}
}
