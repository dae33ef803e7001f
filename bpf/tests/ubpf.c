/* ubpf.c — the userspace eBPF backend (bpf/user/) without the kernel:
 * hand-assembled programs the verifier must refuse (with the reason) or
 * accept and the VM must compute right; the maps' user-side semantics and
 * their sharing across processes; and, per OBJECT argument (clang -target
 * bpf builds of ubpf.bpf.c), a real uprobe program loaded, verified and
 * run on a fake pt_regs, its ring, perf and map output checked. Prints the
 * suite's PASS/FAIL lines. Usage: ubpf [OBJECT.bpf.o...] [--accept
 * EXAMPLE.bpf.o...] [--external OBJECT.bpf.o...] (every uprobe/tracepoint
 * program of the examples must pass the verifier; the last objects refer
 * to kernel symbols and must be refused); with
 * UBPF_SEED_DIR=DIR it writes the programs it accepts there (fuzz seeds).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bpf/user/ubpf.h"
#include "bpf/tests/ubpf_insns.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int failures;
static struct ubpf_map *maps[6];
enum { M_ARRAY, M_HASH, M_RING, M_RDONLY, M_PERCPU, M_FROZEN };

static void pass(const char *name)
{
	printf("PASS: user backend: %s\n", name);
}

static void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: user backend: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

static void make_maps(void)
{
	static const struct ubpf_map_def defs[] = {
	    {BPF_MAP_TYPE_ARRAY, 4, 16, 4, 0, "arr"},
	    {BPF_MAP_TYPE_HASH, 8, 8, 16, 0, "hash"},
	    {BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, "ring"},
	    {BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG, "ro"},
	    {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2, 0, "pcpu"},
	    /* .rodata: frozen, its value 5 read as a constant */
	    {BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG | BPF_F_RDONLY,
	     "frozen"},
	};
	size_t i;

	for (i = 0; i < N(defs); i++) {
		maps[i] = ubpf_map__new(&defs[i]);
		if (!maps[i]) {
			fail("maps: create", "%s: %s", defs[i].name,
			     strerror(errno));
			exit(1);
		}
	}
	memcpy(ubpf_map__data(maps[M_FROZEN]), &(uint64_t){5}, 8);
}

static struct ubpf_prog prog_of(const struct bpf_insn *insns, size_t n)
{
	struct ubpf_prog p = {
	    .type = BPF_PROG_TYPE_KPROBE, .ctx_size = 64, .trace_fd = -1};

	p.insns = malloc(n * sizeof(*insns));
	memcpy(p.insns, insns, n * sizeof(*insns));
	p.insn_cnt = n;
	p.maps = maps;
	p.map_cnt = N(maps);
	return p;
}

static uint64_t ctx[8] = {3, 99, 0xffffffffffffff00ull};

/* ---- programs that must run ------------------------------------------------
 */

struct good {
	const char *name;
	struct bpf_insn insns[32];
	uint64_t r0;
};

#define P(...)                                                                 \
	{                                                                      \
		__VA_ARGS__                                                    \
	}

/* Instructions in a table entry: up to the last one not all zero (no
 * program here ends in the zero second half of an LD_IMM64). */
static size_t count(const struct bpf_insn *insns, size_t max)
{
	static const struct bpf_insn zero;

	while (max && !memcmp(&insns[max - 1], &zero, sizeof(zero)))
		max--;
	return max;
}

/* A branch on a .rodata value (5) that rules out a path a verifier must
 * refuse: taken as a constant only when the map is frozen. */
#define RODATA_BRANCH(m)                                                       \
	P(LDVAL(1, m, 0), LDX(DW, 2, 1, 0), J(JEQ, 2, 5, 3), MOV(3, 0),        \
	  LDX(DW, 0, 3, 0), EXIT, MOV(0, 7), EXIT)

static const struct good goods[] = {
    {"frozen .rodata value as a constant", RODATA_BRANCH(M_FROZEN), 7},
    {"frozen .rodata value at an offset as a constant",
     P(LDVAL(1, M_FROZEN, 4), LDX(W, 2, 1, 0), J(JEQ, 2, 0, 3), MOV(3, 0),
       LDX(DW, 0, 3, 0), EXIT, MOV(0, 7), EXIT),
     7},
    {"alu64",
     P(MOV(0, 7), ALU(MUL, 0, 6), ALU(SUB, 0, 2), ALU(LSH, 0, 2),
       ALU(RSH, 0, 1), ALU(OR, 0, 1), ALU(XOR, 0, 3), ALU(MOD, 0, 7), EXIT),
     5},
    {"alu32 zero-extends", P(MOV(0, -1), ALU32(ADD, 0, 0), EXIT),
     0xffffffffull},
    {"alu32 wraps", P(MOV(0, -1), ALU32(ADD, 0, 1), EXIT), 0},
    {"signed div", P(MOV(0, -7), SALU(DIV, 0, 2), EXIT), (uint64_t)-3},
    {"signed mod", P(MOV(0, -7), SALU(MOD, 0, 2), EXIT), (uint64_t)-1},
    {"div by zero is 0", P(MOV(0, 9), MOV(1, 0), ALUR(DIV, 0, 1), EXIT), 0},
    {"movsx", P(MOV(1, 0x80), MOVSX(0, 1, 8), EXIT), (uint64_t)-128},
    {"arsh", P(MOV(0, -16), ALU(ARSH, 0, 2), EXIT), (uint64_t)-4},
    {"bswap", P(MOV(0, 0x1234), BE(0, 16), EXIT), 0x3412},
    {"ld_imm64", P(LD64(0, 0x123456789abcdef0ull), EXIT),
     0x123456789abcdef0ull},
    {"ctx read", P(LDX(DW, 0, 1, 8), EXIT), 99},
    {"stack spill and atomic add",
     P(ST(DW, 10, -8, 5), MOV(1, 3), ATOM(DW, 10, 1, -8, BPF_ADD | BPF_FETCH),
       LDX(DW, 0, 10, -8), ALUR(ADD, 0, 1), EXIT),
     13},
    {"cmpxchg",
     P(ST(DW, 10, -8, 5), MOV(0, 5), MOV(1, 9),
       ATOM(DW, 10, 1, -8, BPF_CMPXCHG), LDX(DW, 0, 10, -8), EXIT),
     9},
    {"xchg32",
     P(ST(W, 10, -4, 5), MOV(1, 9), ATOM(W, 10, 1, -4, BPF_XCHG), MOVR(0, 1),
       EXIT),
     5},
    {"bounded loop",
     P(MOV(0, 0), MOV(1, 0), ALUR(ADD, 0, 1), ALU(ADD, 1, 1), J(JLT, 1, 10, -3),
       EXIT),
     45},
    {"jmp32",
     P(LD64(1, 0x100000001ull), MOV(0, 1), J32(JEQ, 1, 1, 1), MOV(0, 2), EXIT),
     1},
    {"bpf-to-bpf call",
     P(MOV(1, 5), CALLP(2), ALU(ADD, 0, 1), EXIT, MOVR(0, 1), ALU(MUL, 0, 3),
       EXIT),
     16},
    {"callee writes caller's stack",
     P(ST(DW, 10, -8, 1), MOVR(1, 10), ALU(ADD, 1, -8), CALLP(2),
       LDX(DW, 0, 10, -8), EXIT, ST(DW, 1, 0, 42), MOV(0, 0), EXIT),
     42},
    {"map lookup, null check, write",
     P(ST(W, 10, -4, 1), MOVR(2, 10), ALU(ADD, 2, -4), LDMAP(1, M_ARRAY),
       CALL(map_lookup_elem), J(JEQ, 0, 0, 3), ST(DW, 0, 8, 77),
       LDX(DW, 0, 0, 8), EXIT, MOV(0, 0), EXIT),
     77},
    {"ring reserve and submit",
     P(LDMAP(1, M_RING), MOV(2, 8), MOV(3, 0), CALL(ringbuf_reserve),
       J(JEQ, 0, 0, 5), ST(DW, 0, 0, 0x1234), MOVR(1, 0), MOV(2, 0),
       CALL(ringbuf_submit), MOV(0, 1), EXIT),
     1},
    {"percpu map update",
     P(ST(W, 10, -4, 1), ST(DW, 10, -16, 31), MOVR(2, 10), ALU(ADD, 2, -4),
       MOVR(3, 10), ALU(ADD, 3, -16), MOV(4, 0), LDMAP(1, M_PERCPU),
       CALL(map_update_elem), EXIT),
     0},
    {"read-only map value read",
     P(LDVAL(1, M_RDONLY, 0), LDX(DW, 0, 1, 0), EXIT), 0},
    {"pid_tgid", P(CALL(get_current_pid_tgid), ALU(RSH, 0, 32), EXIT),
     0 /* getpid */},
};

/* The VM's stack memory is reused from run to run: a program passing
 * bytes it never wrote to a helper must see zeros, not the 7 the run
 * before left there (key 7 is outside the array: NULL, R0 = 2). */
static void zeroed_stack(void)
{
	static const struct bpf_insn leave[] = {ST(W, 10, -4, 7), MOV(0, 0),
						EXIT};
	static const struct bpf_insn use[] = {MOVR(2, 10),
					      ALU(ADD, 2, -4),
					      LDMAP(1, M_ARRAY),
					      CALL(map_lookup_elem),
					      J(JEQ, 0, 0, 2),
					      MOV(0, 1),
					      EXIT,
					      MOV(0, 2),
					      EXIT};
	struct ubpf_prog a = prog_of(leave, N(leave)), b = prog_of(use, N(use));
	const char *name = "verifier accepts: never-written key passed to a "
			   "helper, which reads zeros";
	char log[UBPF_LOG_SIZE];
	uint64_t r0 = 0;

	if (ubpf_prog__verify(&a, log, sizeof(log)) ||
	    ubpf_prog__verify(&b, log, sizeof(log))) {
		fail(name, "refused: %s", log);
	} else {
		ubpf_prog__run(&a, ctx);
		r0 = ubpf_prog__run(&b, ctx);
		if (r0 != 1)
			fail(name, "R0 = %llu, want 1", (unsigned long long)r0);
		else
			pass(name);
	}
	ubpf_prog__release(&a);
	ubpf_prog__release(&b);
}

/* A variable offset into a 16-byte value: (ctx[0] & 7) + 8 bytes fit. */
static const struct bpf_insn var_off[] = {
    MOVR(6, 1),	       ST(W, 10, -4, 0),
    MOVR(2, 10),       ALU(ADD, 2, -4),
    LDMAP(1, M_ARRAY), CALL(map_lookup_elem),
    J(JEQ, 0, 0, 5),   LDX(DW, 1, 6, 0),
    ALU(AND, 1, 7),    ALUR(ADD, 0, 1),
    LDX(DW, 0, 0, 0),  EXIT,
    MOV(0, 0),	       EXIT,
};

/* bpf_get_current_task's synthetic task: the parent's tgid through
 * real_parent (BPF_CORE_READ(task, real_parent, tgid)), laid out as the
 * object's type says; probe_read_kernel of anything else (the stack) is
 * -EFAULT with the destination zeroed; a frozen map refuses updates. */
static void task_check(void)
{
	static const struct bpf_insn parent_tgid[] = {CALL(get_current_task),
						      MOVR(3, 0),
						      ALU(ADD, 3, 24),
						      MOVR(1, 10),
						      ALU(ADD, 1, -8),
						      MOV(2, 8),
						      CALL(probe_read_kernel),
						      LDX(DW, 3, 10, -8),
						      ALU(ADD, 3, 16),
						      MOVR(1, 10),
						      ALU(ADD, 1, -16),
						      MOV(2, 4),
						      CALL(probe_read_kernel),
						      LDX(W, 0, 10, -16),
						      EXIT};
	static const struct bpf_insn stack[] = {ST(DW, 10, -16, 9),
						MOVR(3, 10),
						ALU(ADD, 3, -16),
						ST(DW, 10, -8, 1),
						MOVR(1, 10),
						ALU(ADD, 1, -8),
						MOV(2, 8),
						CALL(probe_read_kernel),
						LDX(DW, 1, 10, -8),
						ALUR(ADD, 0, 1),
						EXIT};
	struct ubpf_task_layout l = {64, 16, 20, 24};
	struct ubpf_prog a = prog_of(parent_tgid, N(parent_tgid)),
			 b = prog_of(stack, N(stack));
	const char *name = "helpers: get_current_task, probe_read_kernel";
	char log[UBPF_LOG_SIZE];
	uint64_t ra = 0, rb = 0;

	a.task = &l;
	if (ubpf_prog__verify(&a, log, sizeof(log)) ||
	    ubpf_prog__verify(&b, log, sizeof(log)))
		fail(name, "refused: %s", log);
	else if ((ra = ubpf_prog__run(&a, ctx)) != (uint64_t)getppid() ||
		 (rb = ubpf_prog__run(&b, ctx)) != (uint64_t)-EFAULT)
		fail(name, "parent tgid %llu (want %d), stack read %lld",
		     (unsigned long long)ra, getppid(), (long long)rb);
	else
		pass(name);
	ubpf_prog__release(&a);
	ubpf_prog__release(&b);
	name = "maps: a frozen map refuses updates";
	if (ubpf_map__update(maps[M_FROZEN], &(uint32_t){0}, &(uint64_t){1},
			     0) != -EPERM)
		fail(name, "accepted");
	else
		pass(name);
}

/* With UBPF_SEED_DIR, each accepted program also seeds the fuzzer. */
static void seed(const struct bpf_insn *insns, size_t n)
{
	const char *dir = getenv("UBPF_SEED_DIR");
	static int k;
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/good-%d", dir, k++);
	f = fopen(path, "wb");
	if (f) {
		fwrite(insns, sizeof(*insns), n, f);
		fclose(f);
	}
}

static void run_good(const char *name, const struct bpf_insn *insns, size_t n,
		     uint64_t want)
{
	struct ubpf_prog p = prog_of(insns, n);
	char log[UBPF_LOG_SIZE];
	int err = ubpf_prog__verify(&p, log, sizeof(log));
	char full[128];
	uint64_t r0;

	snprintf(full, sizeof(full), "verifier accepts: %s", name);
	if (err) {
		fail(full, "refused (%d): %s", err, log);
	} else if ((r0 = ubpf_prog__run(&p, ctx)) != want) {
		fail(full, "R0 = %#llx, want %#llx", (unsigned long long)r0,
		     (unsigned long long)want);
	} else {
		pass(full);
		seed(insns, n);
	}
	ubpf_prog__release(&p);
}

static void goods_run(void)
{
	size_t i;

	for (i = 0; i < N(goods); i++) {
		uint64_t want = goods[i].r0;

		if (!strcmp(goods[i].name, "pid_tgid"))
			run_good(goods[i].name, goods[i].insns,
				 count(goods[i].insns, N(goods[i].insns)),
				 getpid());
		else
			run_good(goods[i].name, goods[i].insns,
				 count(goods[i].insns, N(goods[i].insns)),
				 want);
	}
	run_good("bounded variable offset", var_off, N(var_off), 0);
	zeroed_stack();
}

/* ---- programs that must be refused ------------------------------------------
 */

struct bad {
	const char *name;
	struct bpf_insn insns[24];
	const char *why; /* in the verifier's message */
};

#define LOOKUP0                                                                \
	ST(W, 10, -4, 0), MOVR(2, 10), ALU(ADD, 2, -4), LDMAP(1, M_ARRAY),     \
	    CALL(map_lookup_elem)

static const struct bad bads[] = {
    {"ctx read past its end", P(LDX(DW, 0, 1, 64), EXIT), "context access"},
    {"ctx write", P(ST(DW, 1, 0, 1), MOV(0, 0), EXIT), "read-only"},
    {"stack write above the frame", P(ST(DW, 10, 0, 1), MOV(0, 0), EXIT),
     "outside the 512"},
    {"stack write below the frame", P(ST(DW, 10, -520, 1), MOV(0, 0), EXIT),
     "outside the 512"},
    {"uninitialized stack read", P(LDX(DW, 0, 10, -8), EXIT),
     "uninitialized stack"},
    {"map value read past its end",
     P(LOOKUP0, J(JEQ, 0, 0, 1), LDX(DW, 0, 0, 16), EXIT),
     "outside its 16 bytes"},
    {"map value before the NULL check", P(LOOKUP0, LDX(DW, 0, 0, 0), EXIT),
     "NULL check"},
    {"NULL branch dereferenced",
     P(LOOKUP0, J(JNE, 0, 0, 1), LDX(DW, 0, 0, 0), EXIT),
     "memory access through a scalar"},
    {"unbounded variable offset",
     P(MOVR(6, 1), LOOKUP0, J(JEQ, 0, 0, 3), LDX(DW, 1, 6, 0), ALUR(ADD, 0, 1),
       LDX(B, 0, 0, 0), EXIT),
     "unbounded offset"},
    {"offset bound too loose",
     P(MOVR(6, 1), LOOKUP0, J(JEQ, 0, 0, 4), LDX(DW, 1, 6, 0), ALU(AND, 1, 15),
       ALUR(ADD, 0, 1), LDX(DW, 0, 0, 0), EXIT),
     "outside its 16 bytes"},
    {"branch on a read-only map that is not frozen", RODATA_BRANCH(M_RDONLY),
     "memory access through a scalar"},
    {"helper: update of a read-only map",
     P(ST(W, 10, -4, 0), ST(DW, 10, -16, 1), LDMAP(1, M_FROZEN), MOVR(2, 10),
       ALU(ADD, 2, -4), MOVR(3, 10), ALU(ADD, 3, -16), MOV(4, 0),
       CALL(map_update_elem), EXIT),
     "map 'frozen' is read-only"},
    {"write to a read-only map",
     P(LDVAL(1, M_RDONLY, 0), ST(DW, 1, 0, 1), MOV(0, 0), EXIT), "read-only"},
    {"pointer stored into a map",
     P(LOOKUP0, J(JEQ, 0, 0, 1), STX(DW, 0, 10, 0), EXIT), "leak"},
    {"infinite loop", P(MOV(0, 0), JA(-1), EXIT), "cannot bound"},
    {"loop on an unknown bound",
     P(LDX(DW, 1, 1, 0), MOV(0, 0), ALU(ADD, 0, 1), JR(JNE, 0, 1, -2), EXIT),
     ""},
    {"uninitialized register", P(MOVR(0, 2), EXIT), "R2 is read before"},
    {"uninitialized R0 at exit", P(EXIT), "R0 is read before"},
    {"pointer returned", P(MOVR(0, 10), EXIT), "R0 returns a stack pointer"},
    {"helper: scalar for a map",
     P(MOV(1, 0), MOVR(2, 10), CALL(map_lookup_elem), EXIT),
     "no map of the right type"},
    {"helper: ring output to an array",
     P(LDMAP(1, M_ARRAY), MOVR(2, 10), ALU(ADD, 2, -8), ST(DW, 10, -8, 0),
       MOV(3, 8), MOV(4, 0), CALL(ringbuf_output), EXIT),
     "no map of the right type"},
    {"helper: size 0",
     P(MOVR(1, 10), ALU(ADD, 1, -16), MOV(2, 0), CALL(get_current_comm), EXIT),
     "size"},
    {"helper: buffer past the stack",
     P(MOVR(1, 10), ALU(ADD, 1, -8), MOV(2, 16), CALL(get_current_comm), EXIT),
     "outside the 512"},
    {"helper: write into ctx",
     P(MOV(2, 8), MOV(3, 0), CALL(probe_read_user), EXIT), "read-only"},
    {"helper: unknown", P(CALLID(9999), EXIT), "unknown helper"},
    {"ring record leaked",
     P(LDMAP(1, M_RING), MOV(2, 8), MOV(3, 0), CALL(ringbuf_reserve),
       J(JEQ, 0, 0, 1), MOV(0, 0), EXIT),
     "neither submitted"},
    {"ring record used after submit",
     P(LDMAP(1, M_RING), MOV(2, 8), MOV(3, 0), CALL(ringbuf_reserve),
       J(JEQ, 0, 0, 5), MOVR(6, 0), MOVR(1, 0), MOV(2, 0), CALL(ringbuf_submit),
       ST(DW, 6, 0, 1), MOV(0, 0), EXIT),
     "R6 is read before"},
    {"recursion", P(CALLP(-1), EXIT), "deeper"},
    {"callee's stack returned",
     P(CALLP(2), LDX(DW, 0, 0, 0), EXIT, MOVR(0, 10), ALU(ADD, 0, -8), EXIT),
     "returning frame"},
    {"jump out of the program", P(JA(5), EXIT), "jump to"},
    {"jump into ld_imm64", P(JA(1), LD64(0, 1), EXIT), "jump to"},
    {"invalid opcode", P(I_(0xff, 0, 0, 0, 0), EXIT), "invalid"},
    {"falls off the end", P(MOV(0, 0)), "falls off"},
    {"write to R10", P(MOV(10, 0), EXIT), "R10"},
    {"unknown map", P(LDMAP(1, 99), MOV(0, 0), EXIT), "map 99"},
};

static void bads_run(void)
{
	size_t i;

	for (i = 0; i < N(bads); i++) {
		struct ubpf_prog p = prog_of(
		    bads[i].insns, count(bads[i].insns, N(bads[i].insns)));
		char log[UBPF_LOG_SIZE], name[128];
		int err = ubpf_prog__verify(&p, log, sizeof(log));

		snprintf(name, sizeof(name), "verifier refuses: %s",
			 bads[i].name);
		if (!err)
			fail(name, "accepted");
		else if (!strstr(log, bads[i].why) || strncmp(log, "insn ", 5))
			fail(name, "message \"%s\" lacks \"%s\"", log,
			     bads[i].why);
		else
			pass(name);
		ubpf_prog__release(&p);
	}
}

/* ---- maps -------------------------------------------------------------------
 */

static int count_rec(void *c, void *data, size_t size)
{
	uint64_t v;

	memcpy(&v, data, 8);
	*(uint64_t *)c = size == 8 ? v : 0;
	return 0;
}

static void maps_check(void)
{
	uint64_t k, v, pc[2 * 64], got = 0;
	uint32_t ak = 1;
	uint8_t val[16];
	int i, n, ncpu = ubpf_map__user_value_size(maps[M_PERCPU]) / 8;

	/* what the programs above left */
	if (ubpf_map__lookup(maps[M_ARRAY], &ak, val) ||
	    memcmp(val + 8, &(uint64_t){77}, 8))
		fail("maps: program's array write seen by user space",
		     "value differs");
	else
		pass("maps: program's array write seen by user space");
	n = ubpf_ring__consume(maps[M_RING], count_rec, &got);
	if (n != 1 || got != 0x1234)
		fail("maps: ring record", "%d records, value %#llx", n,
		     (unsigned long long)got);
	else
		pass("maps: ring record");
	if (ncpu < 1 || ncpu > 64 ||
	    ubpf_map__lookup(maps[M_PERCPU], &ak, pc)) {
		fail("maps: per-CPU layout", "%d slots", ncpu);
	} else {
		for (v = 0, i = 0; i < ncpu; i++)
			v += pc[i];
		if (v != 31)
			fail("maps: per-CPU layout",
			     "slots sum to %llu, want 31",
			     (unsigned long long)v);
		else
			pass("maps: per-CPU layout");
	}
	/* hash semantics */
	for (k = 0; k < 16; k++)
		if (ubpf_map__update(maps[M_HASH], &k, &k, BPF_NOEXIST))
			break;
	v = 0;
	if (k != 16 || ubpf_map__update(maps[M_HASH], &k, &k, 0) != -E2BIG ||
	    ubpf_map__update(maps[M_HASH], &v, &v, BPF_NOEXIST) != -EEXIST)
		fail("maps: hash full / exists", "k=%llu",
		     (unsigned long long)k);
	else
		pass("maps: hash full / exists");
	k = 3;
	if (ubpf_map__delete(maps[M_HASH], &k) ||
	    ubpf_map__lookup(maps[M_HASH], &k, &v) != -ENOENT ||
	    ubpf_map__update(maps[M_HASH], &(uint64_t){100}, &k, BPF_NOEXIST))
		fail("maps: hash delete frees an entry", "");
	else
		pass("maps: hash delete frees an entry");
	for (n = 0, i = ubpf_map__next_key(maps[M_HASH], NULL, &k); !i;
	     i = ubpf_map__next_key(maps[M_HASH], &k, &k))
		n++;
	if (n != 16)
		fail("maps: hash walk", "%d keys, want 16", n);
	else
		pass("maps: hash walk");
}

/* A child maps the same memfd and writes; the parent sees it. */
static void maps_shared(void)
{
	uint64_t k = 500, v = 0;
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct ubpf_map *m =
		    ubpf_map__open_fd(ubpf_map__fd(maps[M_HASH]));

		ubpf_map__delete(maps[M_HASH], &(uint64_t){0});
		_exit(!m || ubpf_map__update(m, &k, &(uint64_t){501}, 0));
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) || ubpf_map__lookup(maps[M_HASH], &k, &v) ||
	    v != 501)
		fail("maps: shared with another process", "value %llu",
		     (unsigned long long)v);
	else
		pass("maps: shared with another process");
}

/* ---- a clang-built object -------------------------------------------------
 */

struct event {
	uint32_t pid, n;
	uint64_t sum;
	char comm[16];
	char str[32];
};

struct seen {
	int n;
	struct event last;
};

static int on_event(void *c, void *data, size_t size)
{
	struct seen *s = c;

	if (size == sizeof(struct event))
		memcpy(&s->last, data, size);
	s->n++;
	return 0;
}

static int on_perf(void *c, void *data, size_t size)
{
	uint32_t *sum = c;

	if (size == 4)
		*sum += *(uint32_t *)data;
	return 0;
}

static char buf[4 << 20];

static size_t slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;

	if (f)
		fclose(f);
	return len;
}

/* Every program of a type the backend runs must be accepted. */
static void object_accept(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = slurp(path), i;
	char log[UBPF_LOG_SIZE] = "", name[256];
	struct ubpf_object *o =
	    len ? ubpf_object__open_mem(buf, len, log, sizeof(log)) : NULL;
	struct ubpf_prog *p;

	if (!o) {
		snprintf(name, sizeof(name), "example %s: open", base);
		fail(name, "%s", log[0] ? log : "unreadable");
		return;
	}
	for (i = 0; (p = ubpf_object__prog_at(o, i)); i++) {
		if (!p->ctx_size)
			continue;
		snprintf(name, sizeof(name), "example %s: %s verifies", base,
			 p->name);
		if (ubpf_prog__verify(p, log, sizeof(log)))
			fail(name, "%s", log);
		else
			pass(name);
	}
	ubpf_object__close(o);
}

/* Functions of this program that the object's uprobe hooks. */
__attribute__((noinline)) unsigned hooked(const char *s, unsigned n)
{
	volatile unsigned x = n;

	return x * 3 + (unsigned char)s[0];
}

/* The program as a uprobe of hooked() and handle_ret as its uretprobe:
 * events while attached, the right results throughout, none and the
 * original code after detaching. */
static void hook_run(struct ubpf_object *o, struct ubpf_prog *p,
		     const char *base)
{
	char log[UBPF_LOG_SIZE] = "", name[256];
	struct seen seen = {0};
	uint8_t before[8];
	struct ubpf_hook *h;
	struct ubpf_prog *rp;
	uint64_t sum = 0, calls = 0;
	unsigned (*volatile call)(const char *, unsigned) = hooked;
	int (*volatile add)(int, int);
	unsigned r = 0;
	size_t size;
	void *fn;
	int i, err;

	snprintf(name, sizeof(name), "object %s: uprobe in this process", base);
	err = ubpf_sym__resolve("/proc/self/exe", "hooked", &fn, &size);
	if (err || fn != (void *)hooked) {
		fail(name, "symbol: %d, %p != %p", err, fn, (void *)hooked);
		return;
	}
	memcpy(before, fn, sizeof(before));
	rp = ubpf_object__prog(o, "handle_ret");
	if (!rp || ubpf_prog__verify(rp, log, sizeof(log))) {
		fail(name, "uretprobe program: %s", log);
		return;
	}
	/* a (stopped) thread at its second byte: refused, nothing written;
	 * one at the entry itself is no obstacle */
	{
		uint64_t ips[] = {(uintptr_t)fn, (uintptr_t)fn + 1};
		char sname[160];

		snprintf(sname, sizeof(sname),
			 "object %s: uprobe refused where a stopped thread is",
			 base);
		ubpf_hook__avoid(ips, 2);
		h = ubpf_hook__attach(fn, size, p, rp, log, sizeof(log));
		ubpf_hook__avoid(ips, 1);
		if (h || !strstr(log, "a stopped thread is inside") ||
		    memcmp(before, fn, sizeof(before)))
			fail(sname, "%s", h ? "attached" : log);
		else
			pass(sname);
		ubpf_hook__detach(h);
	}
	h = ubpf_hook__attach(fn, size, p, rp, log, sizeof(log));
	ubpf_hook__avoid(NULL, 0);
	if (!h) {
		fail(name, "attach: %s", log);
		return;
	}
	for (i = 0; i < 4; i++)
		r += call("hey", i);
	ubpf_hook__detach(h);
	call("after", 9);
	ubpf_ring__consume(ubpf_object__map(o, "rb"), on_event, &seen);
	if (seen.n != 4 || seen.last.n != 3 || strcmp(seen.last.str, "hey") ||
	    r != 4 * 'h' + 18 || memcmp(before, fn, sizeof(before)))
		fail(name,
		     "%d events (want 4), last n=%u str=%s, sum %u, code %s",
		     seen.n, seen.last.n, seen.last.str, r,
		     memcmp(before, fn, sizeof(before)) ? "changed"
							: "restored");
	else
		pass(name);
	snprintf(name, sizeof(name), "object %s: uretprobe in this process",
		 base);
	if (ubpf_map__lookup(ubpf_object__map(o, "rets"), &(uint32_t){0},
			     &sum) ||
	    ubpf_map__lookup(ubpf_object__map(o, "rets"), &(uint32_t){1},
			     &calls) ||
	    sum != r || calls != 4)
		fail(name, "%llu returns summing %llu, want 4 summing %u",
		     (unsigned long long)calls, (unsigned long long)sum, r);
	else
		pass(name);

	/* A jump does not fit in a 4-byte function that another follows at
	 * once: refused, nothing written. */
	snprintf(name, sizeof(name),
		 "object %s: uprobe on a 4-byte function refused", base);
	fn = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fn == MAP_FAILED) {
		fail(name, "mmap: %s", strerror(errno));
		return;
	}
	/* lea eax,[rdi+rsi]; ret; then the next function: mov rax,rdi; ret */
	memcpy(fn, "\x8d\x04\x37\xc3\x48\x89\xf8\xc3", 8);
	memcpy(before, fn, sizeof(before));
	add = (int (*)(int, int))fn;
	h = ubpf_hook__attach(fn, 4, p, NULL, log, sizeof(log));
	if (h || !strstr(log, "too short") ||
	    memcmp(before, fn, sizeof(before)) || add(40, 2) != 42)
		fail(name, "%s", h ? "attached" : log);
	else
		pass(name);
	ubpf_hook__detach(h);
	munmap(fn, 4096);
}

/* An object referring to a kernel symbol (ksym, kfunc, kconfig) is
 * refused when opened, naming it: nothing in user space stands for it. */
static void object_external(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = slurp(path);
	char log[UBPF_LOG_SIZE] = "", name[256];
	struct ubpf_object *o =
	    len ? ubpf_object__open_mem(buf, len, log, sizeof(log)) : NULL;

	snprintf(name, sizeof(name), "object %s: external symbol refused",
		 base);
	if (o || !strstr(log, "is external"))
		fail(name, "%s", o ? "opened" : log);
	else
		pass(name);
	ubpf_object__close(o);
}

static void object_run(const char *path)
{
	char log[UBPF_LOG_SIZE] = "", name[256];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = slurp(path);
	struct ubpf_object *o;
	struct ubpf_prog *p;
	struct seen seen = {0};
	uint64_t regs[21] = {0}, v, pc[64], sum = 0;
	uint32_t n[] = {10, 3, 10}, key, perf = 0;
	int i, ncpu;

	snprintf(name, sizeof(name), "object %s: open, link, verify", base);
	o = len ? ubpf_object__open_mem(buf, len, log, sizeof(log)) : NULL;
	p = o ? ubpf_object__prog(o, "handle") : NULL;
	if (!p || ubpf_prog__verify(p, log, sizeof(log))) {
		fail(name, "%s", log[0] ? log : "no program 'handle'");
		ubpf_object__close(o);
		return;
	}
	pass(name);
	regs[14] = (uintptr_t) "hello"; /* di */
	for (i = 0; i < 3; i++) {
		regs[13] = n[i]; /* si */
		ubpf_prog__run(p, regs);
	}
	snprintf(name, sizeof(name), "object %s: ring events", base);
	ubpf_ring__consume(ubpf_object__map(o, "rb"), on_event, &seen);
	if (seen.n != 3 || seen.last.n != 10 || seen.last.sum != 45 ||
	    seen.last.pid != (uint32_t)getpid() ||
	    strcmp(seen.last.str, "hello") || !seen.last.comm[0])
		fail(
		    name,
		    "%d events; last n=%u sum=%llu pid=%u str=%.31s comm=%.15s",
		    seen.n, seen.last.n, (unsigned long long)seen.last.sum,
		    seen.last.pid, seen.last.str, seen.last.comm);
	else
		pass(name);
	snprintf(name, sizeof(name), "object %s: perf array over the ring",
		 base);
	ubpf_ring__consume(ubpf_object__map(o, "pb"), on_perf, &perf);
	if (perf != 23)
		fail(name, "sum %u, want 23", perf);
	else
		pass(name);
	snprintf(name, sizeof(name), "object %s: hash, per-CPU array, globals",
		 base);
	key = 10;
	ncpu = ubpf_map__user_value_size(ubpf_object__map(o, "calls")) / 8;
	if (ubpf_map__lookup(ubpf_object__map(o, "counts"), &key, &v) ||
	    v != 2) {
		fail(name, "counts[10] = %llu", (unsigned long long)v);
	} else if (ncpu > 64 || ubpf_map__lookup(ubpf_object__map(o, "calls"),
						 &(uint32_t){0}, pc)) {
		fail(name, "per-CPU lookup");
	} else {
		struct ubpf_map *bss = NULL;
		size_t k;

		for (i = 0; i < ncpu; i++)
			sum += pc[i];
		for (k = 0; (bss = ubpf_object__map_at(o, k)); k++)
			if (strstr(ubpf_map__def(bss)->name, ".bss"))
				break;
		if (sum != 3 || !bss || *(uint64_t *)ubpf_map__data(bss) != 46)
			fail(name, "calls %llu (want 3), total %llu (want 46)",
			     (unsigned long long)sum,
			     bss ? (unsigned long long)*(
				       uint64_t *)ubpf_map__data(bss)
				 : 0ull);
		else
			pass(name);
	}
	ubpf_ring__consume(ubpf_object__map(o, "pb"), on_perf, &perf);
	hook_run(o, p, base);
	ubpf_object__close(o);
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	make_maps();
	goods_run();
	bads_run();
	task_check();
	maps_check();
	maps_shared();
	for (i = 1; i < argc && strcmp(argv[i], "--accept"); i++)
		object_run(argv[i]);
	for (i++; i < argc && strcmp(argv[i], "--external"); i++)
		object_accept(argv[i]);
	for (i++; i < argc; i++)
		object_external(argv[i]);
	for (i = 0; i < (int)N(maps); i++)
		ubpf_map__free(maps[i]);
	return failures ? 1 : 0;
}
