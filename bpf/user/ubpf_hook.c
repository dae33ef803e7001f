/* ubpf_hook.c — uprobes of the userspace backend inside the process that
 * runs the target code (x86-64): the function's first instructions
 * (decoded with capstone, at least the 5 bytes of a jmp rel32) move to a
 * trampoline near it, which saves the registers as a struct pt_regs, runs
 * the program, restores them, executes the moved instructions and jumps
 * back. Detaching writes the original bytes back. Instructions that
 * cannot move (relative branches, RIP-relative operands) refuse the
 * attach. Patching assumes no other thread runs the function's first
 * bytes meanwhile (an agent attaches at process start, or with every
 * thread stopped by ubpf_inject.c).
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "bpf/user/ubpf_int.h"

#define JMP_LEN	  5
#define MAX_MOVED 32
#define TRAMP_LEN 4096

struct ubpf_hook {
	uint8_t *addr;		  /* the function */
	uint8_t saved[MAX_MOVED]; /* its original bytes */
	size_t moved;		  /* bytes moved to the trampoline */
	uint8_t *tramp;		  /* entry; the return trampoline at RET_OFF */
	struct ubpf_prog *entry, *ret;
	struct ubpf_hook *next; /* in kept, once detached */
};

/* Detached hooks whose return trampoline calls in flight may still use. */
static struct ubpf_hook *kept;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

/* struct pt_regs: where the trampolines keep ip, flags, sp; its size. */
#define PT_IP	  128
#define PT_FLAGS  144
#define PT_SP	  152
#define PT_SIZE	  168
#define RET_OFF	  2048
#define MAX_DEPTH 256

static __thread bool in_hook; /* a helper calling a probed function */

/* The return addresses the return trampoline replaced, per thread. */
static __thread struct {
	uint64_t ret, sp;
} shadow[MAX_DEPTH];
static __thread int depth;

/* Called by the entry trampoline. */
static void fire(struct ubpf_hook *h, uint64_t *regs)
{
	uint64_t *sp = (uint64_t *)(uintptr_t)regs[PT_SP / 8];

	if (in_hook)
		return;
	in_hook = true;
	if (h->entry)
		ubpf_prog__run(h->entry, regs);
	if (h->ret && depth < MAX_DEPTH) {
		shadow[depth].ret = *sp;
		shadow[depth++].sp = (uintptr_t)sp;
		*sp = (uintptr_t)(h->tramp + RET_OFF);
	}
	in_hook = false;
}

/* Called by the return trampoline; returns where the function would
 * have returned. Entries of frames a longjmp skipped are dropped. */
static uint64_t fire_ret(struct ubpf_hook *h, uint64_t *regs)
{
	uint64_t sp = regs[PT_SP / 8] - 8; /* the entry's */

	while (depth > 1 && shadow[depth - 1].sp < sp)
		depth--;
	if (!depth || shadow[depth - 1].sp != sp) {
		fprintf(stderr, "wasm-bpf: uretprobe: return address lost\n");
		abort();
	}
	if (!in_hook && h->ret) {
		in_hook = true;
		regs[PT_IP / 8] = shadow[depth - 1].ret;
		ubpf_prog__run(h->ret, regs);
		in_hook = false;
	}
	return shadow[--depth].ret;
}

static int say(char *log, size_t n, int err, const char *fmt, ...)
{
	va_list ap;

	if (n) {
		va_start(ap, fmt);
		vsnprintf(log, n, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* ---- code generation ------------------------------------------------- */

/* struct pt_regs offsets of the registers, by x86 register number
 * (rax rcx rdx rbx rsp rbp rsi rdi r8..r15); rsp is stored apart. */
static const uint8_t pt_off[16] = {80, 88, 96, 40, 152, 32, 104, 112,
				   72, 64, 56, 48, 24,	16, 8,	 0};

struct emit {
	uint8_t *p;
};

static void bytes(struct emit *e, const void *b, size_t n)
{
	memcpy(e->p, b, n);
	e->p += n;
}

/* mov [rsp+disp32], reg (store) or mov reg, [rsp+disp32] (load). */
static void mov_rsp(struct emit *e, bool store, int reg, int32_t disp)
{
	uint8_t b[8] = {0x48 | (reg >= 8 ? 4 : 0), store ? 0x89 : 0x8b,
			0x84 | (reg & 7) << 3, 0x24};

	memcpy(b + 4, &disp, 4);
	bytes(e, b, 8);
}

static void movabs(struct emit *e, int reg, uint64_t v)
{
	uint8_t b[2] = {0x48 | (reg >= 8 ? 1 : 0), 0xb8 + (reg & 7)};

	bytes(e, b, 2);
	bytes(e, &v, 8);
}

/* Saves every register and the flags as a struct pt_regs at rsp (the
 * caller's rsp was SP_ABOVE bytes above it, IP the function), then calls
 * FN(h, regs) with rbx keeping the regs' address. */
static void emit_save(struct emit *e, struct ubpf_hook *h, void *fn,
		      uint64_t ip, int32_t sp_above)
{
	static const uint8_t pushf[] = {0x9c};
	static const uint8_t sub[] = {0x48, 0x8d, 0xa4, 0x24, 0x58,
				      0xff, 0xff, 0xff}; /* lea rsp,[rsp-168] */
	static const uint8_t lea_rax[] = {0x48, 0x8d, 0x84, 0x24}; /* +disp32 */
	static const uint8_t save_sp[] = {0x48, 0x89, 0xe3}; /* mov rbx,rsp */
	static const uint8_t align[] = {0x48, 0x83, 0xe4,
					0xf0};		  /* and rsp,-16 */
	static const uint8_t args[] = {0x48, 0x89, 0xde}; /* mov rsi,rbx */
	static const uint8_t call[] = {0xff, 0xd0};	  /* call rax */
	static const uint8_t back[] = {0x48, 0x89, 0xdc}; /* mov rsp,rbx */
	int r;

	bytes(e, pushf, sizeof(pushf));
	bytes(e, sub, sizeof(sub));
	for (r = 0; r < 16; r++)
		if (r != 4)
			mov_rsp(e, true, r, pt_off[r]);
	mov_rsp(e, false, 0, PT_SIZE); /* the flags pushed first */
	mov_rsp(e, true, 0, PT_FLAGS);
	movabs(e, 0, ip);
	mov_rsp(e, true, 0, PT_IP);
	bytes(e, lea_rax, sizeof(lea_rax));
	bytes(e, &sp_above, 4);
	mov_rsp(e, true, 0, PT_SP);
	bytes(e, save_sp, sizeof(save_sp));
	bytes(e, align, sizeof(align));
	movabs(e, 7, (uintptr_t)h); /* rdi */
	bytes(e, args, sizeof(args));
	movabs(e, 0, (uintptr_t)fn);
	bytes(e, call, sizeof(call));
	bytes(e, back, sizeof(back));
}

/* Loads the registers and flags back (as the program may not change
 * them, the values saved). */
static void emit_restore(struct emit *e)
{
	static const uint8_t add[] = {0x48, 0x8d, 0xa4, 0x24, 0xa8,
				      0x00, 0x00, 0x00}; /* lea rsp,[rsp+168] */
	static const uint8_t popf[] = {0x9d};
	int r;

	for (r = 0; r < 16; r++)
		if (r != 4)
			mov_rsp(e, false, r, pt_off[r]);
	bytes(e, add, sizeof(add));
	bytes(e, popf, sizeof(popf));
}

/* Entry: [rsp] is the return address, every register the caller's; after
 * the program, the moved instructions, then back into the function.
 * Return (at RET_OFF): reached by the function's ret; a slot for the
 * real return address, which fire_ret gives, and a ret to it. */
static void emit_tramp(struct ubpf_hook *h, const uint8_t *moved, size_t n)
{
	static const uint8_t jmp_abs[] = {0xff, 0x25, 0,
					  0,	0,    0}; /* jmp [rip] */
	static const uint8_t slot[] = {0x48, 0x8d, 0x64, 0x24,
				       0xf8}; /* lea rsp,[rsp-8] */
	static const uint8_t ret[] = {0xc3};
	uint64_t back = (uintptr_t)(h->addr + n);
	struct emit e = {h->tramp};

	emit_save(&e, h, fire, (uintptr_t)h->addr, PT_SIZE + 8);
	emit_restore(&e);
	bytes(&e, moved, n);
	bytes(&e, jmp_abs, sizeof(jmp_abs));
	bytes(&e, &back, 8);

	e.p = h->tramp + RET_OFF;
	bytes(&e, slot, sizeof(slot));
	emit_save(&e, h, fire_ret, 0, PT_SIZE + 16);
	mov_rsp(&e, true, 0, PT_SIZE + 8); /* rax: the return address */
	emit_restore(&e);
	bytes(&e, ret, sizeof(ret));
}

/* ---- decoding ---------------------------------------------------------- */

static bool movable(csh cs, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	int i;

	if (cs_insn_group(cs, in, CS_GRP_JUMP) ||
	    cs_insn_group(cs, in, CS_GRP_CALL) ||
	    cs_insn_group(cs, in, CS_GRP_BRANCH_RELATIVE))
		return false;
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM &&
		    x->operands[i].mem.base == X86_REG_RIP)
			return false;
	return true;
}

/* Bytes of whole instructions covering JMP_LEN at ADDR; SIZE is the
 * function's (from its symbol): past a ret, only padding may follow. */
static int decode(const uint8_t *addr, size_t size, char *log, size_t n)
{
	csh cs;
	cs_insn *in;
	size_t cnt, i, len = 0;
	bool ended = false;
	int err = 0;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return say(log, n, -ENOSYS, "capstone cannot decode x86-64");
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cnt = cs_disasm(cs, addr, MAX_MOVED, (uintptr_t)addr, 0, &in);
	for (i = 0; i < cnt && len < JMP_LEN && !err; i++) {
		if (ended && in[i].id != X86_INS_NOP &&
		    in[i].id != X86_INS_INT3)
			err = say(log, n, -EOPNOTSUPP,
				  "function of %zu bytes is too short to patch",
				  size);
		else if (!ended && !movable(cs, &in[i]))
			err = say(log, n, -EOPNOTSUPP,
				  "cannot move '%s %s' at +%zu", in[i].mnemonic,
				  in[i].op_str, len);
		ended = ended || cs_insn_group(cs, &in[i], CS_GRP_RET);
		len += in[i].size;
	}
	if (!err && len < JMP_LEN)
		err = say(log, n, -EOPNOTSUPP,
			  "cannot decode the function's entry");
	if (cnt)
		cs_free(in, cnt);
	cs_close(&cs);
	return err ? err : (int)len;
}

/* ---- memory ------------------------------------------------------------ */

/* A page within a jmp rel32 of ADDR. */
static uint8_t *near_page(uint8_t *addr)
{
	uintptr_t base = (uintptr_t)addr & ~(uintptr_t)0xffff;
	uintptr_t d;

	for (d = 1u << 20; d < (1u << 31) - TRAMP_LEN; d <<= 1) {
		int s;

		for (s = -1; s <= 1; s += 2) {
			uintptr_t want = s < 0 ? base - d : base + d;
			void *p;

			if (s < 0 && base < d)
				continue;
			p = mmap(
			    (void *)want, TRAMP_LEN, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			    -1, 0);
			if (p != MAP_FAILED)
				return p;
		}
	}
	return NULL;
}

static int set_prot(uint8_t *addr, size_t len, int prot)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)4095;
	size_t span = (uintptr_t)addr + len - page;

	return mprotect((void *)page, span, prot) ? -errno : 0;
}

static int write_code(uint8_t *addr, const uint8_t *code, size_t len)
{
	int err = set_prot(addr, len, PROT_READ | PROT_WRITE | PROT_EXEC);

	if (err)
		return err;
	memcpy(addr, code, len);
	__builtin___clear_cache((char *)addr, (char *)addr + len);
	return set_prot(addr, len, PROT_READ | PROT_EXEC);
}

static const uint64_t *avoid_ips;
static size_t navoid;

void ubpf_hook__avoid(const uint64_t *ips, size_t n)
{
	avoid_ips = n ? ips : NULL;
	navoid = n;
}

/* A stopped thread inside [fn + 1, fn + len)? */
static bool thread_inside(const uint8_t *fn, int len)
{
	for (size_t i = 0; i < navoid; i++)
		if (avoid_ips[i] > (uintptr_t)fn &&
		    avoid_ips[i] < (uintptr_t)fn + len)
			return true;
	return false;
}

struct ubpf_hook *ubpf_hook__attach(void *fn, size_t size,
				    struct ubpf_prog *entry,
				    struct ubpf_prog *ret, char *log, size_t n)
{
	struct ubpf_hook *h = calloc(1, sizeof(*h));
	uint8_t jmp[MAX_MOVED];
	int len, err;

	if (!h)
		return NULL;
	h->addr = fn;
	h->entry = entry;
	h->ret = ret;
	len = decode(h->addr, size, log, n);
	if (len < 0) {
		err = len;
		goto fail;
	}
	h->moved = len;
	if (thread_inside(h->addr, len)) {
		err = say(log, n, -EBUSY,
			  "a stopped thread is inside its first %d bytes", len);
		goto fail;
	}
	memcpy(h->saved, h->addr, len);
	h->tramp = near_page(h->addr);
	if (!h->tramp) {
		err = say(log, n, -ENOMEM,
			  "no memory within 2 GiB of the function");
		goto fail;
	}
	emit_tramp(h, h->saved, len);
	if (mprotect(h->tramp, TRAMP_LEN, PROT_READ | PROT_EXEC)) {
		err = say(log, n, -errno, "trampoline: %s", strerror(errno));
		goto fail;
	}
	memset(jmp, 0xcc, len); /* never reached: the jump returns past them */
	jmp[0] = 0xe9;
	memcpy(jmp + 1, &(int32_t){(int32_t)(h->tramp - (h->addr + JMP_LEN))},
	       4);
	err = write_code(h->addr, jmp, len);
	if (err) {
		say(log, n, err, "patching the function: %s", strerror(-err));
		goto fail;
	}
	return h;
fail:
	if (h->tramp)
		munmap(h->tramp, TRAMP_LEN);
	free(h);
	errno = -err;
	return NULL;
}

int ubpf_hook__detach(struct ubpf_hook *h)
{
	int err;

	if (!h)
		return 0;
	err = write_code(h->addr, h->saved, h->moved);
	/* Calls in flight may still return through the return trampoline
	 * (and a thread may still be in the entry one if writing failed):
	 * then the page and the hook stay, the hook without programs. */
	if (err || h->ret) {
		h->entry = h->ret = NULL;
		pthread_mutex_lock(&kept_lock);
		h->next = kept;
		kept = h;
		pthread_mutex_unlock(&kept_lock);
		return err;
	}
	munmap(h->tramp, TRAMP_LEN);
	free(h);
	return 0;
}
