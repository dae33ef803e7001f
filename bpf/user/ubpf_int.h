/* ubpf_int.h — what the userspace backend's files share: the layout of a
 * map's shared memory, the helper table the verifier checks calls against
 * and the VM calls through, and the ALU semantics both of them compute
 * with (so the verifier's constants are exactly the VM's results).
 */
#ifndef WASM_BPF_UBPF_INT_H
#define WASM_BPF_UBPF_INT_H

#include "bpf/user/ubpf.h"

/* Opcodes newer than bookworm's <linux/bpf.h>. */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif

#define UBPF_MAP_MAGIC 0x7562706d /* "ubpm" */

/* Start of every map's memfd; the rest depends on the type. */
struct ubpf_shm {
	uint32_t magic;
	struct ubpf_map_def def;
	uint32_t ncpu;	       /* slots of per-CPU maps */
	uint64_t size;	       /* bytes of the file */
	uint32_t lock;	       /* spinlock: hash updates, ring producers */
	uint32_t free_head;    /* hash: first free entry + 1 */
	uint32_t count;	       /* hash: entries in use */
	uint32_t nbuckets;     /* hash: power of two */
	uint64_t consumer_pos; /* ring */
	uint64_t producer_pos; /* ring */
	uint64_t lost;	       /* ring: records that did not fit */
};

#define UBPF_SHM_HDR 4096 /* page: the ring's data starts page-aligned */

struct ubpf_map {
	int fd;
	struct ubpf_shm *shm;
	size_t len;	/* mapped bytes (a ring maps its data twice) */
	uint8_t *data;	/* after the header */
	uint32_t vslot; /* round_up(value_size, 8) */
	uint32_t kslot; /* round_up(key_size, 8) */
	uint32_t eslot; /* hash entry size */
};

void ubpf_lock(uint32_t *l);
void ubpf_unlock(uint32_t *l);
int ubpf_cpu(uint32_t ncpu);
/* Rings: set up the double mapping of the data after the header. */
int ubpf_ring__map(struct ubpf_map *map);
uint64_t ubpf_ring__bytes(const struct ubpf_map_def *def);

/* ---- helpers ---------------------------------------------------------- */

enum ubpf_arg {
	UA_NONE,
	UA_ANY,	  /* initialized scalar or pointer */
	UA_MAP,	  /* map pointer (LD_IMM64 map reference) */
	UA_KEY,	  /* readable key_size bytes of the map in the arg before */
	UA_VALUE, /* readable value_size bytes of that map */
	UA_MEM,	  /* readable bytes, as many as the next argument */
	UA_UNINIT_MEM, /* writable bytes, as many as the next argument */
	UA_SIZE,       /* known-range scalar, > 0, bounds the argument before */
	UA_CTX,	       /* the context pointer, unmodified */
	UA_RING_MEM    /* a ring record from ringbuf_reserve, unmodified */
};

enum ubpf_ret {
	UR_INT,
	UR_VOID,
	UR_MAP_VALUE_OR_NULL, /* value of the map in argument 1 */
	UR_MEM_OR_NULL	      /* argument 2 (known size) bytes, a reference */
};

/* Which map kind a UA_MAP argument must be. */
enum ubpf_map_kind { UK_DATA, UK_RING, UK_PERF };

struct ubpf_helper {
	const char *name;
	uint64_t (*fn)(const struct ubpf_prog *p, uint64_t a1, uint64_t a2,
		       uint64_t a3, uint64_t a4, uint64_t a5);
	uint8_t args[5];
	uint8_t ret;
	uint8_t map_kind;
	bool
	    release; /* releases the reference its UA_RING_MEM argument holds */
};

/* ubpf_task.c: get_current_task (a synthetic task of the calling thread,
 * laid out per p->task) and probe_read_kernel (copies only from it). */
uint64_t ubpf_task__current(const struct ubpf_prog *p, uint64_t a1, uint64_t a2,
			    uint64_t a3, uint64_t a4, uint64_t a5);
uint64_t ubpf_task__read(const struct ubpf_prog *p, uint64_t dst, uint64_t size,
			 uint64_t src, uint64_t a4, uint64_t a5);

/* NULL for ids the backend does not have. */
const struct ubpf_helper *ubpf_helper(int32_t id);

/* ---- ALU --------------------------------------------------------------- */

/* DST op SRC for BPF_ALU/ALU64 (op = code & 0xf0, off selects the signed
 * div/mod and movsx variants), 32-bit results zero-extended. Division by
 * zero gives 0, modulo by zero leaves DST, shifts mask their count — the
 * eBPF ISA's rules. */
static inline uint64_t ubpf_alu(uint8_t op, bool is64, int16_t off,
				uint64_t dst, uint64_t src)
{
	uint64_t r;

	if (!is64) {
		dst = (uint32_t)dst;
		src = (uint32_t)src;
	}
	switch (op) {
	case BPF_ADD:
		r = dst + src;
		break;
	case BPF_SUB:
		r = dst - src;
		break;
	case BPF_MUL:
		r = dst * src;
		break;
	case BPF_OR:
		r = dst | src;
		break;
	case BPF_AND:
		r = dst & src;
		break;
	case BPF_XOR:
		r = dst ^ src;
		break;
	case BPF_LSH:
		r = dst << (src & (is64 ? 63 : 31));
		break;
	case BPF_RSH:
		r = dst >> (src & (is64 ? 63 : 31));
		break;
	case BPF_NEG:
		r = -dst;
		break;
	case BPF_ARSH:
		r = is64 ? (uint64_t)((int64_t)dst >> (src & 63))
			 : (uint32_t)((int32_t)dst >> (src & 31));
		break;
	case BPF_MOV:
		if (off == 8)
			r = (uint64_t)(int64_t)(int8_t)src;
		else if (off == 16)
			r = (uint64_t)(int64_t)(int16_t)src;
		else if (off == 32)
			r = (uint64_t)(int64_t)(int32_t)src;
		else
			r = src;
		break;
	case BPF_DIV:
		if (!src)
			r = 0;
		else if (off != 1)
			r = dst / src;
		else if (is64)
			r = (int64_t)src == -1
				? -dst
				: (uint64_t)((int64_t)dst / (int64_t)src);
		else
			r = (int32_t)src == -1
				? -(uint32_t)dst
				: (uint32_t)((int32_t)dst / (int32_t)src);
		break;
	case BPF_MOD:
		if (!src)
			r = dst;
		else if (off != 1)
			r = dst % src;
		else if (is64)
			r = (int64_t)src == -1
				? 0
				: (uint64_t)((int64_t)dst % (int64_t)src);
		else
			r = (int32_t)src == -1
				? 0
				: (uint32_t)((int32_t)dst % (int32_t)src);
		break;
	default:
		r = 0;
		break;
	}
	return is64 ? r : (uint32_t)r;
}

/* BPF_END: to little endian (a truncation here), to big endian, or (ALU64)
 * an unconditional swap; WIDTH is 16, 32 or 64. */
static inline uint64_t ubpf_end(bool swap, unsigned width, uint64_t v)
{
	if (width == 16)
		return swap ? __builtin_bswap16((uint16_t)v) : (uint16_t)v;
	if (width == 32)
		return swap ? __builtin_bswap32((uint32_t)v) : (uint32_t)v;
	return swap ? __builtin_bswap64(v) : v;
}

/* Whether a conditional jump OP (code & 0xf0) is taken. */
static inline bool ubpf_cond(uint8_t op, bool is64, uint64_t a, uint64_t b)
{
	int64_t sa, sb;

	if (!is64) {
		a = (uint32_t)a;
		b = (uint32_t)b;
		sa = (int32_t)a;
		sb = (int32_t)b;
	} else {
		sa = (int64_t)a;
		sb = (int64_t)b;
	}
	switch (op) {
	case BPF_JEQ:
		return a == b;
	case BPF_JNE:
		return a != b;
	case BPF_JGT:
		return a > b;
	case BPF_JGE:
		return a >= b;
	case BPF_JLT:
		return a < b;
	case BPF_JLE:
		return a <= b;
	case BPF_JSET:
		return a & b;
	case BPF_JSGT:
		return sa > sb;
	case BPF_JSGE:
		return sa >= sb;
	case BPF_JSLT:
		return sa < sb;
	case BPF_JSLE:
		return sa <= sb;
	default:
		return false;
	}
}

#endif
