/* api_test.c — tests of the embedding API that a .wast script cannot
 * express: interruption from a thread and from a signal handler (with its
 * latency), fuel, recovery after stack exhaustion, trap messages that name
 * the function, the checked memory helpers, host functions that call back
 * into the guest (and trap or exit there; once and through a prepared
 * call), per-instance limits and link errors, threads sharing a compiled
 * module, a compiled access's fault named like the interpreter's, and
 * compiled code saved and loaded in another process (and refused when
 * damaged), files mapped into guest memory (wasm_instance__mem_map: bad
 * arguments, shared contents, writes into read-only pages by compiled
 * code, the interpreter and the host, and every mapping gone with the
 * instance).
 * Modules are written in WAT and assembled with wabt's wat2wasm.
 * Prints PASS:/FAIL: lines for tests/run.sh.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wasm.h"

static int failures;

#define CHECK(name, cond, ...)                                                 \
	do {                                                                   \
		if (cond) {                                                    \
			printf("PASS: api/%s\n", name);                        \
		} else {                                                       \
			printf("FAIL: api/%s: ", name);                        \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
			failures++;                                            \
		}                                                              \
	} while (0)

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Assembles WAT text with wat2wasm (--debug-names keeps the names) into
 * buf; its size, or 0. */
static size_t assemble(const char *wat, uint8_t *buf, size_t cap)
{
	char src[] = "/tmp/wasm-api-XXXXXX";
	int fd = mkstemp(src);
	if (fd < 0)
		return 0;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(src);
		return 0;
	}
	fputs(wat, f);
	fclose(f);
	char out[64], cmd[256];
	snprintf(out, sizeof(out), "%s.wasm", src);
	snprintf(cmd, sizeof(cmd), "wat2wasm --debug-names %s -o %s", src, out);
	int rc = system(cmd);
	unlink(src);
	if (rc != 0)
		return 0;
	f = fopen(out, "rb");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	unlink(out);
	return n;
}

static struct wasm_module *load_bytes(const uint8_t *buf, size_t n,
				      int tier)
{
	struct wasm_load_opts o = {.sz = sizeof(o), .tier = tier};
	struct wasm_error err;
	struct wasm_module *m = wasm_module__load(buf, n, &o, &err);
	if (!m)
		fprintf(stderr, "load: %s\n", err.msg);
	return m;
}

static struct wasm_module *load_wat(const char *wat)
{
	static uint8_t buf[1 << 16];
	size_t n = assemble(wat, buf, sizeof(buf));
	return n ? load_bytes(buf, n, WASM_TIER_DEFAULT) : NULL;
}

static struct wasm_instance *instantiate(struct wasm_module *m,
					 struct wasm_linker *l,
					 const struct wasm_instance_opts *o)
{
	struct wasm_error err;
	struct wasm_instance *inst = wasm_instance__new(m, l, o, &err);
	if (!inst)
		fprintf(stderr, "instantiate: %s\n", err.msg);
	return inst;
}

static const char *spin_wat =
	"(module (func $spin (export \"spin\") (loop $l (br $l)))"
	" (func $rec (export \"rec\") (param i32) (result i32)"
	"   local.get 0 i32.const 1 i32.add call $rec)"
	" (func (export \"ok\") (result i32) i32.const 7))";

struct interrupter {
	struct wasm_instance *inst;
	int delay_ms;
	double fired_at;
};

static void *interrupt_later(void *arg)
{
	struct interrupter *it = arg;
	usleep(it->delay_ms * 1000);
	it->fired_at = now_ms();
	wasm_instance__interrupt(it->inst);
	return NULL;
}

static void test_interrupt_thread(struct wasm_module *m)
{
	struct wasm_instance *inst = instantiate(m, NULL, NULL);
	struct wasm_func *spin = wasm_instance__export_func(inst, "spin");
	struct interrupter it = {inst, 50, 0};
	pthread_t th;
	pthread_create(&th, NULL, interrupt_later, &it);
	int st = wasm_func__call(inst, spin, NULL, 0, NULL, 0);
	double latency = now_ms() - it.fired_at;
	pthread_join(th, NULL);
	CHECK("interrupt-from-thread", st == WASM_INTERRUPTED &&
		      wasm_instance__trap(inst)->kind == WASM_TRAP_INTERRUPTED,
	      "status %d", st);
	CHECK("interrupt-latency-under-10ms", latency < 10.0,
	      "took %.3f ms", latency);
	printf("# interrupt latency %.3f ms\n", latency);
	wasm_instance__clear_interrupt(inst);
	struct wasm_val r;
	st = wasm_func__call(inst, wasm_instance__export_func(inst, "ok"), NULL,
			     0, &r, 1);
	CHECK("usable-after-interrupt", st == WASM_OK && r.of.i32 == 7,
	      "status %d", st);
	wasm_instance__free(inst);
}

static struct wasm_instance *alarm_target;
static void on_alarm(int sig)
{
	(void)sig;
	wasm_instance__interrupt(alarm_target);
}

static void test_interrupt_signal(struct wasm_module *m)
{
	struct wasm_instance *inst = instantiate(m, NULL, NULL);
	alarm_target = inst;
	signal(SIGALRM, on_alarm);
	struct itimerval tv = {.it_value = {.tv_usec = 30000}};
	setitimer(ITIMER_REAL, &tv, NULL);
	int st = wasm_func__call(inst, wasm_instance__export_func(inst, "spin"),
				 NULL, 0, NULL, 0);
	CHECK("interrupt-from-signal-handler", st == WASM_INTERRUPTED,
	      "status %d", st);
	signal(SIGALRM, SIG_DFL);
	wasm_instance__free(inst);
}

static void test_fuel(struct wasm_module *m)
{
	struct wasm_instance_opts o = {.sz = sizeof(o), .fuel = 100000};
	struct wasm_instance *inst = instantiate(m, NULL, &o);
	int st = wasm_func__call(inst, wasm_instance__export_func(inst, "spin"),
				 NULL, 0, NULL, 0);
	CHECK("fuel-runs-out", st == WASM_INTERRUPTED &&
		      wasm_instance__trap(inst)->kind == WASM_TRAP_OUT_OF_FUEL,
	      "status %d kind %d", st, wasm_instance__trap(inst)->kind);
	CHECK("fuel-left-zero", wasm_instance__fuel(inst) == 0, "fuel %llu",
	      (unsigned long long)wasm_instance__fuel(inst));
	wasm_instance__free(inst);
}

/* Fuel in compiled code, counted inline (wasm_load_opts.fuel) or out of
 * line: for every budget up to past the end, the same trap at the same
 * instruction, or the same result and fuel left, as the interpreter. */
static const char *count_wat =
	"(module (func $f (param i32) (result i32) local.get 0 i32.const 3 i32.mul)"
	" (func (export \"run\") (param i32) (result i32) (local i32)"
	"  (loop $l local.get 1 local.get 0 call $f i32.add local.set 1"
	"   local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l) local.get 1))";

/* Status, trap offset, result and fuel left of run(6) on budget `fuel`. */
static uint64_t fuel_run(struct wasm_module *m, uint64_t fuel)
{
	struct wasm_instance_opts o = {.sz = sizeof(o), .fuel = fuel};
	struct wasm_instance *inst = instantiate(m, NULL, &o);
	struct wasm_val a = {.type = WASM_I32, .of.i32 = 6}, r = {0};
	if (!inst)
		return 0;
	int st = wasm_func__call(inst, wasm_instance__export_func(inst, "run"),
				 &a, 1, &r, 1);
	uint64_t got = (uint64_t)st << 56 ^
		       (uint64_t)wasm_instance__trap(inst)->offset << 40 ^
		       (uint64_t)r.of.i32 << 24 ^ wasm_instance__fuel(inst);
	wasm_instance__free(inst);
	return got;
}

static void test_fuel_compiled(void)
{
	static uint8_t buf[1 << 12];
	size_t n = assemble(count_wat, buf, sizeof(buf));
	static const int tiers[] = {WASM_TIER_JIT, WASM_TIER_TIERED};
	struct wasm_module *in = n ? load_bytes(buf, n, WASM_TIER_INTERP) : NULL;
	char name[64], id[2][128];
	setenv("WASM_BPF_JIT_TIER", "2,1", 1); /* tiered: hot at once */
	for (int k = 0; k < 4 && in; k++) {
		struct wasm_load_opts o = {.sz = sizeof(o), .tier = tiers[k / 2],
					   .fuel = k % 2};
		struct wasm_module *m = wasm_module__load(buf, n, &o, NULL);
		uint64_t f = 1, want = 0, got = 0;
		for (; m && f < 80 && want == got; f++)
			want = fuel_run(in, f), got = fuel_run(m, f);
		snprintf(name, sizeof(name), "fuel-compiled-%s%s-as-interp",
			 k / 2 ? "tiered" : "jit", k % 2 ? "-counting" : "");
		CHECK(name, m && f == 80 && (want >> 56) == WASM_OK,
		      "fuel %llu: %llx, interpreter %llx", (unsigned long long)f - 1,
		      (unsigned long long)got, (unsigned long long)want);
		wasm_module__free(m);
	}
	unsetenv("WASM_BPF_JIT_TIER");
	wasm_module__free(in);
	if (wasm_engine__code_id(NULL, id[0], sizeof(id[0])))
		return; /* lazy, interpreted or no build id: nothing saved */
	/* the saved code of one form is refused by a load for the other */
	struct wasm_load_opts o = {.sz = sizeof(o), .tier = WASM_TIER_JIT};
	void *saved = NULL;
	size_t len = 0;
	struct wasm_module *a = wasm_module__load(buf, n, &o, NULL), *b;
	bool ok = a && !wasm_module__save_code(a, &saved, &len) &&
		  !wasm_engine__code_id(&o, id[0], sizeof(id[0]));
	o.fuel = true, o.code = saved, o.code_len = len;
	b = ok ? wasm_module__load(buf, n, &o, NULL) : NULL;
	CHECK("fuel-code-id-differs",
	      !wasm_engine__code_id(&o, id[1], sizeof(id[1])) &&
		  strcmp(id[0], id[1]),
	      "'%s' '%s'", id[0], id[1]);
	CHECK("fuel-saved-code-not-mixed",
	      b && !wasm_module__code_loaded(b) && fuel_run(b, 100) == fuel_run(a, 100),
	      "loaded %d", b && wasm_module__code_loaded(b));
	wasm_module__free(a);
	wasm_module__free(b);
	free(saved);
}

/* Counting code without fuel: an interrupt still stops it. */
static void test_interrupt_counting(void)
{
	static uint8_t buf[1 << 12];
	size_t n = assemble(spin_wat, buf, sizeof(buf));
	struct wasm_load_opts o = {.sz = sizeof(o), .tier = WASM_TIER_JIT,
				   .fuel = true};
	struct wasm_module *m = n ? wasm_module__load(buf, n, &o, NULL) : NULL;
	struct wasm_instance *inst = m ? instantiate(m, NULL, NULL) : NULL;
	int st = -1;
	if (inst) {
		alarm_target = inst;
		signal(SIGALRM, on_alarm);
		struct itimerval tv = {.it_value = {.tv_usec = 30000}};
		setitimer(ITIMER_REAL, &tv, NULL);
		st = wasm_func__call(inst, wasm_instance__export_func(inst, "spin"),
				     NULL, 0, NULL, 0);
		signal(SIGALRM, SIG_DFL);
	}
	CHECK("interrupt-counting-code", st == WASM_INTERRUPTED &&
		      wasm_instance__fuel(inst) == UINT64_MAX,
	      "status %d", st);
	wasm_instance__free(inst);
	wasm_module__free(m);
}

static void test_exhaustion(struct wasm_module *m)
{
	struct wasm_instance *inst = instantiate(m, NULL, NULL);
	struct wasm_val a = {.type = WASM_I32, .of.i32 = 0}, r;
	int st = wasm_func__call(inst, wasm_instance__export_func(inst, "rec"),
				 &a, 1, &r, 1);
	const struct wasm_trap *t = wasm_instance__trap(inst);
	CHECK("stack-exhaustion-traps", st == WASM_TRAPPED &&
		      t->kind == WASM_TRAP_STACK_EXHAUSTED,
	      "status %d kind %d", st, t->kind);
	CHECK("trap-message-names-function", strstr(t->message, "in rec+0x"),
	      "message '%s'", t->message);
	st = wasm_func__call(inst, wasm_instance__export_func(inst, "ok"), NULL,
			     0, &r, 1);
	CHECK("usable-after-exhaustion", st == WASM_OK && r.of.i32 == 7,
	      "status %d", st);
	wasm_instance__free(inst);
}

static void test_memory_helpers(void)
{
	struct wasm_module *m = load_wat(
		"(module (memory (export \"m\") 1 3)"
		" (data (i32.const 0) \"hi\\00\")"
		" (data (i32.const 65530) \"abcdef\")"
		" (func (export \"grow\") (param i32) (result i32)"
		"   local.get 0 memory.grow))");
	struct wasm_instance_opts o = {.sz = sizeof(o), .max_memory_pages = 2};
	struct wasm_instance *inst = instantiate(m, NULL, &o);
	CHECK("mem-ptr-in-range", wasm_instance__mem_ptr(inst, 65535, 1) != NULL,
	      "NULL");
	CHECK("mem-ptr-past-end", !wasm_instance__mem_ptr(inst, 65535, 2),
	      "not NULL");
	CHECK("mem-ptr-overflow", !wasm_instance__mem_ptr(inst, 0xffffffffu, 2),
	      "not NULL");
	CHECK("mem-ptr-empty-at-end", wasm_instance__mem_ptr(inst, 65536, 0) != NULL,
	      "NULL");
	const char *s = wasm_instance__mem_str(inst, 0, 100);
	CHECK("mem-str-terminated", s && !strcmp(s, "hi"), "bad");
	CHECK("mem-str-unterminated", !wasm_instance__mem_str(inst, 65530, 100),
	      "not NULL");
	CHECK("mem-str-maxlen", !wasm_instance__mem_str(inst, 0, 2), "not NULL");
	struct wasm_func *grow = wasm_instance__export_func(inst, "grow");
	struct wasm_val a = {.type = WASM_I32, .of.i32 = 1}, r;
	wasm_func__call(inst, grow, &a, 1, &r, 1);
	CHECK("grow-within-limit", r.of.i32 == 1, "got %d", r.of.i32);
	wasm_func__call(inst, grow, &a, 1, &r, 1);
	CHECK("instance-memory-limit", r.of.i32 == -1, "got %d", r.of.i32);
	wasm_instance__free(inst);
	wasm_module__free(m);
}

/* Whether this process maps a file named `name` (memfd:NAME). */
static bool maps_file(const char *name)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, name) != NULL;
	if (f)
		fclose(f);
	return found;
}

static const char *map_wat =
	"(module (memory (export \"m\") 4)"
	" (func (export \"load\") (param i32) (result i64)"
	"   local.get 0 i64.load)"
	" (func (export \"store\") (param i32 i64)"
	"   local.get 0 local.get 1 i64.store))";

/* A 3-page file: page 0 mapped writable at 4096, pages 1-2 read-only at
 * 8192. A store into the read-only pages traps in compiled code; in the
 * interpreter (and from the host) the pages become zeroed writable ones
 * and the call ends interrupted, ro_fault telling why. */
static void test_mem_map_tier(int tier, const char *t)
{
	static uint8_t buf[1 << 12];
	size_t n = assemble(map_wat, buf, sizeof(buf));
	struct wasm_module *m = n ? load_bytes(buf, n, tier) : NULL;
	struct wasm_instance *inst = m ? instantiate(m, NULL, NULL) : NULL;
	int fd = memfd_create("wbt-mem-map", MFD_CLOEXEC);
	uint64_t v = 0x1122334455667788ull;
	struct wasm_val a[2] = {{.type = WASM_I32}, {.type = WASM_I64}}, r;
	char name[64];
	int st;

	if (!inst || fd < 0 || ftruncate(fd, 3 * 4096) ||
	    pwrite(fd, &v, 8, 4096) != 8) {
		CHECK(t, false, "setup");
		return;
	}
	snprintf(name, sizeof(name), "mem-map-%s-refused", t);
	CHECK(name,
	      wasm_instance__mem_map(inst, 4097, 4096, fd, 0, true) == -EINVAL &&
		  wasm_instance__mem_map(inst, 4096, 0, fd, 0, true) == -EINVAL &&
		  wasm_instance__mem_map(inst, 4096, 4096, fd, 1, true) == -EINVAL &&
		  wasm_instance__mem_map(inst, 4 * 65536 - 4096, 8192, fd, 0,
					 false) == -EFAULT &&
		  wasm_instance__mem_map(inst, 0xfffff000u, 8192, fd, 0,
					 false) == -EFAULT,
	      "bad arguments accepted");
	snprintf(name, sizeof(name), "mem-map-%s-maps", t);
	CHECK(name,
	      !wasm_instance__mem_map(inst, 4096, 4096, fd, 0, true) &&
		  !wasm_instance__mem_map(inst, 8192, 8192, fd, 4096, false) &&
		  wasm_instance__mem_map(inst, 12288, 4096, fd, 0, true) == -EBUSY,
	      "mapping failed");
	a[0].of.i32 = 8192;
	st = wasm_func__call(inst, wasm_instance__export_func(inst, "load"), a,
			     1, &r, 1);
	snprintf(name, sizeof(name), "mem-map-%s-shared", t);
	CHECK(name, st == WASM_OK && r.of.i64 == (int64_t)v, "read %llx",
	      (unsigned long long)r.of.i64);
	a[0].of.i32 = 12288 + 8, a[1].of.i64 = 1;
	st = wasm_func__call(inst, wasm_instance__export_func(inst, "store"), a,
			     2, NULL, 0);
	snprintf(name, sizeof(name), "mem-map-%s-read-only-write", t);
	if (tier == WASM_TIER_JIT)
		CHECK(name,
		      st == WASM_TRAPPED && wasm_instance__trap(inst)->kind ==
						WASM_TRAP_MEMORY_OOB,
		      "status %d", st);
	else
		CHECK(name, st == WASM_INTERRUPTED && wasm_instance__ro_fault(inst),
		      "status %d", st);
	snprintf(name, sizeof(name), "mem-map-%s-unmap", t);
	CHECK(name,
	      !wasm_instance__mem_unmap(inst, 4096, 4096) &&
		  !wasm_instance__mem_unmap(inst, 8192, 8192) &&
		  wasm_instance__mem_unmap(inst, 8192, 8192) == -ENOENT &&
		  *(uint64_t *)wasm_instance__mem_ptr(inst, 8192, 8) == 0 &&
		  !maps_file("wbt-mem-map"),
	      "a mapping is left");
	/* mapped again, then the instance ends with it */
	wasm_instance__mem_map(inst, 8192, 8192, fd, 4096, false);
	snprintf(name, sizeof(name), "mem-map-%s-gone-with-instance", t);
	bool was = maps_file("wbt-mem-map");
	wasm_instance__free(inst);
	CHECK(name, was && !maps_file("wbt-mem-map"), "mapped %d", was);
	close(fd);
	wasm_module__free(m);
}

/* A host function (here the test itself) writing into read-only pages:
 * no crash, zeroed pages in their place, the next call interrupted. */
static void test_mem_map_host_write(void)
{
	static uint8_t buf[1 << 12];
	size_t n = assemble(map_wat, buf, sizeof(buf));
	struct wasm_module *m = n ? load_bytes(buf, n, WASM_TIER_DEFAULT) : NULL;
	struct wasm_instance *inst = m ? instantiate(m, NULL, NULL) : NULL;
	int fd = memfd_create("wbt-mem-map", MFD_CLOEXEC);
	struct wasm_val a = {.type = WASM_I32, .of.i32 = 0}, r;
	uint8_t *p;
	int st;

	if (!inst || fd < 0 || ftruncate(fd, 8192) ||
	    wasm_instance__mem_map(inst, 8192, 8192, fd, 0, false)) {
		CHECK("mem-map-host-write", false, "setup");
		return;
	}
	p = wasm_instance__mem_ptr(inst, 8192, 8192);
	memset(p + 100, 0x5a, 5000);
	st = wasm_func__call(inst, wasm_instance__export_func(inst, "load"),
			     &a, 1, &r, 1);
	CHECK("mem-map-host-write",
	      p[100] == 0x5a && p[5099] == 0x5a && p[0] == 0 &&
		  wasm_instance__ro_fault(inst) && st == WASM_INTERRUPTED &&
		  !maps_file("wbt-mem-map"),
	      "status %d", st);
	wasm_instance__free(inst);
	close(fd);
	wasm_module__free(m);
}

/* host.callback(i) calls the guest's table[i] with (7) -> i32 and adds 1. */
static int host_callback(struct wasm_instance *caller, void *user,
			 uint64_t *slots)
{
	(void)user;
	struct wasm_func *f = wasm_instance__table_func(caller, 0,
							(uint32_t)slots[0]);
	if (!f)
		return wasm_instance__host_trap(caller, "no callback %u",
						(uint32_t)slots[0]);
	uint64_t s[1] = {7};
	int st = wasm_func__call_raw(caller, f, s);
	if (st != WASM_OK)
		return st;
	slots[0] = (uint32_t)s[0] + 1;
	return WASM_OK;
}

static int host_exit(struct wasm_instance *caller, void *user, uint64_t *slots)
{
	(void)user;
	return wasm_instance__exit(caller, (int)slots[0]);
}

static void test_host_reentry(void)
{
	struct wasm_module *m = load_wat(
		"(module (import \"host\" \"callback\" (func $cb (param i32) (result i32)))"
		" (import \"host\" \"exit\" (func $exit (param i32)))"
		" (table 4 funcref) (elem (i32.const 0) $double $boom $quit)"
		" (func $double (param i32) (result i32) local.get 0 i32.const 2 i32.mul)"
		" (func $boom (param i32) (result i32) unreachable)"
		" (func $quit (param i32) (result i32) i32.const 42 call $exit i32.const 0)"
		" (func (export \"run\") (param i32) (result i32) local.get 0 call $cb))");
	struct wasm_linker *l = wasm_linker__new();
	wasm_linker__define_func(l, "host", "callback", "i->i", host_callback,
				 NULL);
	wasm_linker__define_func(l, "host", "exit", "i->", host_exit, NULL);
	struct wasm_instance *inst = instantiate(m, l, NULL);
	struct wasm_func *run = wasm_instance__export_func(inst, "run");
	struct wasm_val a = {.type = WASM_I32, .of.i32 = 0}, r;
	int st = wasm_func__call(inst, run, &a, 1, &r, 1);
	CHECK("host-calls-guest-back", st == WASM_OK && r.of.i32 == 15,
	      "status %d value %d", st, r.of.i32);
	a.of.i32 = 1;
	st = wasm_func__call(inst, run, &a, 1, &r, 1);
	const struct wasm_trap *t = wasm_instance__trap(inst);
	CHECK("trap-in-callback-propagates",
	      st == WASM_TRAPPED && t->kind == WASM_TRAP_UNREACHABLE &&
		      strstr(t->message, "boom"),
	      "status %d kind %d '%s'", st, t->kind, t->message);
	a.of.i32 = 2;
	st = wasm_func__call(inst, run, &a, 1, &r, 1);
	CHECK("exit-in-callback-propagates",
	      st == WASM_EXITED && wasm_instance__trap(inst)->exit_code == 42,
	      "status %d", st);
	a.of.i32 = 3;
	st = wasm_func__call(inst, run, &a, 1, &r, 1);
	CHECK("host-trap-message", st == WASM_TRAPPED &&
		      strstr(wasm_instance__trap(inst)->message, "no callback 3"),
	      "status %d '%s'", st, wasm_instance__trap(inst)->message);
	a.of.i32 = 0;
	st = wasm_func__call(inst, run, &a, 1, &r, 1);
	CHECK("usable-after-callback-trap", st == WASM_OK && r.of.i32 == 15,
	      "status %d", st);
	struct wasm_val bad = {.type = WASM_I64, .of.i64 = 0};
	CHECK("call-rejects-wrong-type",
	      wasm_func__call(inst, run, &bad, 1, &r, 1) == -EINVAL, "accepted");
	CHECK("call-rejects-wrong-count",
	      wasm_func__call(inst, run, NULL, 0, &r, 1) == -EINVAL, "accepted");
	wasm_instance__free(inst);
	wasm_linker__free(l);
	wasm_module__free(m);
}

/* host.each(i, n): table[i] called n times through one prepared call, as
 * a ring-buffer poll does per record; returns the sum of its results.
 * With `user` set (host.batch), through begin, again n times and end, as
 * a poll draining a buffer does. */
static int host_each(struct wasm_instance *caller, void *user, uint64_t *slots)
{
	struct wasm_func *f = wasm_instance__table_func(caller, 0,
							(uint32_t)slots[0]);
	uint32_t n = (uint32_t)slots[1], sum = 0;
	struct wasm_call c;
	int st = f ? wasm_call__prepare(&c, caller, f) : -EINVAL;
	if (st != WASM_OK)
		return st < 0 ? wasm_instance__host_trap(caller, "prepare %d", st)
			      : st;
	if (user)
		wasm_call__begin(&c);
	for (uint32_t i = 0; i < n && st == WASM_OK; i++) {
		c.slots[0] = i;
		st = user ? wasm_call__again(&c) : wasm_call__run(&c);
		sum += (uint32_t)c.slots[0];
	}
	if (user)
		wasm_call__end(&c);
	slots[0] = sum;
	return st;
}

/* Through the export `name` (host.each or host.batch over the table):
 * 1000 calls summed; a trap in a callee ends the run with its trap, and
 * 100 such runs (more than the host depth allows) leave the context as
 * it was (host depth, frames, the running instance) for a next run. */
static void prepared_rounds(struct wasm_instance *inst, const char *name,
			    const char *test)
{
	struct wasm_func *run = wasm_instance__export_func(inst, name);
	struct wasm_val a[2] = {{.type = WASM_I32, .of.i32 = 0},
				{.type = WASM_I32, .of.i32 = 1000}}, r;
	char what[64];
	int st = wasm_func__call(inst, run, a, 2, &r, 1);
	snprintf(what, sizeof(what), "%s-repeated", test);
	CHECK(what, st == WASM_OK && r.of.i32 == 999000, "status %d sum %d",
	      st, r.of.i32);
	a[0].of.i32 = 1;
	for (int i = 0; i < 100; i++)
		st = wasm_func__call(inst, run, a, 2, &r, 1);
	const struct wasm_trap *t = wasm_instance__trap(inst);
	snprintf(what, sizeof(what), "%s-trap-propagates", test);
	CHECK(what,
	      st == WASM_TRAPPED && t->kind == WASM_TRAP_UNREACHABLE &&
		      strstr(t->message, "boom"),
	      "status %d kind %d '%s'", st, t->kind, t->message);
	a[0].of.i32 = 0, a[1].of.i32 = 3;
	st = wasm_func__call(inst, run, a, 2, &r, 1);
	snprintf(what, sizeof(what), "%s-after-trap", test);
	CHECK(what, st == WASM_OK && r.of.i32 == 6, "status %d sum %d", st,
	      r.of.i32);
}

static void test_prepared_call(void)
{
	struct wasm_module *m = load_wat(
		"(module (import \"host\" \"each\" (func $each (param i32 i32) (result i32)))"
		" (import \"host\" \"batch\" (func $batch (param i32 i32) (result i32)))"
		" (table 2 funcref) (elem (i32.const 0) $double $boom)"
		" (func $double (param i32) (result i32) local.get 0 i32.const 2 i32.mul)"
		" (func $boom (param i32) (result i32)"
		"  local.get 0 i32.const 5 i32.eq if unreachable end local.get 0)"
		" (func (export \"run\") (param i32 i32) (result i32)"
		"  local.get 0 local.get 1 call $each)"
		" (func (export \"run_batch\") (param i32 i32) (result i32)"
		"  local.get 0 local.get 1 call $batch))");
	struct wasm_linker *l = wasm_linker__new();
	wasm_linker__define_func(l, "host", "each", "ii->i", host_each, NULL);
	wasm_linker__define_func(l, "host", "batch", "ii->i", host_each, l);
	struct wasm_instance *inst = instantiate(m, l, NULL);
	prepared_rounds(inst, "run", "prepared-call");
	prepared_rounds(inst, "run_batch", "prepared-call-batch");
	wasm_instance__free(inst);
	wasm_linker__free(l);
	wasm_module__free(m);
}

static void test_link_errors(void)
{
	struct wasm_module *m = load_wat(
		"(module (import \"env\" \"f\" (func (param i32))))");
	struct wasm_linker *l = wasm_linker__new();
	struct wasm_error err;
	struct wasm_instance *inst = wasm_instance__new(m, l, NULL, &err);
	CHECK("missing-import-named", !inst && strstr(err.msg, "env.f"),
	      "'%s'", err.msg);
	wasm_linker__define_func(l, "env", "f", "I->", host_exit, NULL);
	inst = wasm_instance__new(m, l, NULL, &err);
	CHECK("import-signature-mismatch",
	      !inst && strstr(err.msg, "incompatible import type"), "'%s'",
	      err.msg);
	wasm_linker__free(l);
	wasm_module__free(m);
	CHECK("bad-signature-string",
	      wasm_linker__define_func(l = wasm_linker__new(), "a", "b", "x->",
				       host_exit, NULL) == -EINVAL,
	      "accepted");
	wasm_linker__free(l);
	const uint8_t junk[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
	CHECK("bad-version-rejected",
	      !wasm_module__load(junk, sizeof(junk), NULL, &err) && err.msg[0],
	      "accepted");
}

/* The data as the active segments lay it out before the module runs. */
static void test_initial_memory(void)
{
	struct wasm_module *m = load_wat(
	    "(module (memory 1)"
	    " (data (i32.const 4) \"ab\") (data (i32.const 10) \"c\")"
	    " (data \"passive\"))");
	struct wasm_module *far = load_wat(
	    "(module (memory 1) (data (i32.const 0) \"x\")"
	    " (data (i32.const 65535) \"yz\"))");
	struct wasm_module *none = load_wat("(module (memory 1))");
	/* 3 GiB of memory a 60-byte module asks to have laid out */
	struct wasm_module *huge =
	    load_wat("(module (memory 65536) (data (i32.const 0) \"x\")"
		     " (data (i32.const 0xc0000000) \"y\"))");
	size_t len = 1;
	uint8_t *img;
	int r;

	if (!m || !far || !none || !huge) {
		CHECK("initial-memory-setup", 0, "wat2wasm");
		goto out;
	}
	r = wasm_module__initial_memory(m, 1 << 20, &img, &len);
	CHECK("initial-memory-layout",
	      !r && img && len == 11 && !memcmp(img, "\0\0\0\0ab\0\0\0\0c", 11),
	      "r %d len %zu", r, len);
	free(img);
	/* A segment past the initial size would trap: it is left out. */
	r = wasm_module__initial_memory(far, 1 << 20, &img, &len);
	CHECK("initial-memory-bounded", !r && img && len == 1 && img[0] == 'x',
	      "r %d len %zu", r, len);
	free(img);
	r = wasm_module__initial_memory(none, 1 << 20, &img, &len);
	CHECK("initial-memory-empty", !r && !img && len == 0, "r %d len %zu", r,
	      len);
	free(img);
	r = wasm_module__initial_memory(huge, 256 << 20, &img, &len);
	CHECK("initial-memory-too-large", r == -E2BIG && !img && !len,
	      "r %d len %zu", r, len);
	free(img);
out:
	wasm_module__free(m);
	wasm_module__free(far);
	wasm_module__free(none);
	wasm_module__free(huge);
}

/* ---- compiled code shared by threads, and its faults ------------------
 * (compiled up front by default; WASM_BPF_JIT_LAZY=1 runs these again
 * compiling each function on its first call). $top calls $mid, which
 * calls $leaf in a loop; $oob faults past the memory after a call. */
static const char *chain_wat =
	"(module (memory 1)"
	" (func $leaf (param i32) (result i32)"
	"   local.get 0 i32.const 3 i32.mul i32.const 1 i32.add)"
	" (func $mid (param i32) (result i32) (local i32)"
	"   (loop $l local.get 1 local.get 0 call $leaf i32.add local.set 1"
	"     local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l)"
	"   local.get 1)"
	" (func $top (export \"top\") (param i32) (result i32)"
	"   local.get 0 call $mid local.get 0 i32.const 1 i32.add call $mid"
	"   i32.add)"
	" (func $oob (export \"oob\") (param i32) (result i32)"
	"   local.get 0 call $leaf drop local.get 0 i32.load offset=8))";

static int32_t chain_mid(int32_t n)
{
	return 3 * n * (n + 1) / 2 + n;
}

static int call_i32(struct wasm_instance *inst, const char *name, int32_t x,
		    int32_t *out)
{
	struct wasm_val a = {.type = WASM_I32, .of.i32 = x}, r = {0};
	int st = wasm_func__call(inst, wasm_instance__export_func(inst, name),
				 &a, 1, &r, 1);
	*out = r.of.i32;
	return st;
}

struct chain_run {
	struct wasm_module *m;
	pthread_barrier_t *start;
	int id, bad;
};

/* One thread: its own instance of the shared module, first calls racing
 * the other threads' (each function compiles once, on one of them). */
static void *chain_thread(void *arg)
{
	struct chain_run *c = arg;
	pthread_barrier_wait(c->start);
	struct wasm_instance *inst = instantiate(c->m, NULL, NULL);
	if (!inst) {
		c->bad++;
		return NULL;
	}
	for (int32_t n = 1 + c->id; n < 40; n += 7) {
		int32_t r, want = chain_mid(n) + chain_mid(n + 1);
		c->bad += call_i32(inst, "top", n, &r) != WASM_OK || r != want;
		c->bad += call_i32(inst, "oob", 65536, &r) != WASM_TRAPPED;
	}
	wasm_instance__free(inst);
	return NULL;
}

static void test_jit_threads(const uint8_t *wasm, size_t n)
{
	enum { THREADS = 8, ROUNDS = 12 };
	int bad = 0, runs = 0;
	for (int round = 0; round < ROUNDS; round++) {
		struct wasm_module *m = load_bytes(wasm, n, WASM_TIER_DEFAULT);
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, THREADS);
		pthread_t t[THREADS];
		struct chain_run c[THREADS];
		for (int i = 0; i < THREADS; i++) {
			c[i] = (struct chain_run){m, &start, i, 0};
			if (!m || pthread_create(&t[i], NULL, chain_thread,
						 &c[i])) {
				bad++;
				c[i].m = NULL;
			}
		}
		for (int i = 0; i < THREADS; i++)
			if (c[i].m) {
				pthread_join(t[i], NULL);
				bad += c[i].bad;
				runs++;
			}
		pthread_barrier_destroy(&start);
		wasm_module__free(m);
	}
	CHECK("threads-share-compiled-module", bad == 0 && runs == THREADS * ROUNDS,
	      "%d wrong results in %d thread runs", bad, runs);
}

/* A fault in compiled code (not the first compiled in its module) names
 * the same function and offset as the interpreter. */
static void test_fault_message(const uint8_t *wasm, size_t n)
{
	char msg[2][256];
	int st[2];
	for (int k = 0; k < 2; k++) {
		struct wasm_module *m = load_bytes(
		    wasm, n, k ? WASM_TIER_DEFAULT : WASM_TIER_INTERP);
		struct wasm_instance *inst = m ? instantiate(m, NULL, NULL) : NULL;
		int32_t r;
		st[k] = -1;
		snprintf(msg[k], sizeof(msg[k]), "(no instance)");
		if (inst) {
			call_i32(inst, "top", 3, &r);
			st[k] = call_i32(inst, "oob", 65532, &r);
			snprintf(msg[k], sizeof(msg[k]), "%s",
				 wasm_instance__trap(inst)->message);
			wasm_instance__free(inst);
		}
		wasm_module__free(m);
	}
	CHECK("fault-names-function-and-offset",
	      st[0] == WASM_TRAPPED && st[1] == WASM_TRAPPED &&
		  strstr(msg[1], "out of bounds memory access in oob+0x") &&
		  !strcmp(msg[0], msg[1]),
	      "interpreter '%s' (%d), default tier '%s' (%d)", msg[0], st[0],
	      msg[1], st[1]);
}

static void test_jit(void)
{
	static uint8_t wasm[4096];
	size_t n = assemble(chain_wat, wasm, sizeof(wasm));
	if (!n) {
		printf("FAIL: api/jit-setup: cannot assemble\n");
		failures++;
		return;
	}
	test_jit_threads(wasm, n);
	test_fault_message(wasm, n);
}

/* ---- saved compiled code (wasm_module__save_code, wasm_load_opts.code) */

/* call_indirect with types no other test uses, and a faulting load. */
static const char *ind_wat =
	"(module (memory 1) (table 2 funcref) (elem (i32.const 0) $f $g)"
	" (type $t (func (param i64 f64) (result i64)))"
	" (type $u (func (param f32 i64) (result f64)))"
	" (func $f (type $t) local.get 0 i64.const 7 i64.add)"
	" (func $g (type $u) f64.const 1)"
	" (func (export \"ind\") (param i32) (result i32)"
	"   i64.const 5 f64.const 0 local.get 0 call_indirect (type $t)"
	"   i32.wrap_i64)"
	" (func (export \"oob\") (param i32) (result i32)"
	"   local.get 0 i32.load offset=8))";
/* Loaded first, it gives ind_wat's types other numbers. */
static const char *other_wat =
	"(module (type (func (param f64 f64 f64 i64) (result i64)))"
	" (type (func (param i32 i64 i32 f32))) (func (type 1)))";

/* wasm's code as saved by a child that loaded `other` first; its size
 * (0: none). */
static size_t save_in_child(const uint8_t *wasm, size_t n,
			    const uint8_t *other, size_t no, uint8_t *out,
			    size_t cap)
{
	int p[2];
	size_t got = 0;
	if (pipe(p))
		return 0;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		struct wasm_module *o = load_bytes(other, no, WASM_TIER_DEFAULT);
		struct wasm_module *m = load_bytes(wasm, n, WASM_TIER_DEFAULT);
		void *buf = NULL;
		size_t len = 0;
		if (o && m && !wasm_module__save_code(m, &buf, &len))
			(void)!write(p[1], buf, len);
		_exit(0);
	}
	close(p[1]);
	for (ssize_t r; pid > 0 && (r = read(p[0], out + got, cap - got)) > 0;)
		got += (size_t)r;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return got;
}

/* A module run tiered saves the code of the whole module, the bytes a
 * load compiling up front saves (the code cache writes it at a run's end,
 * so that the next run loads all of it). */
static void test_code_tiered(const uint8_t *wasm, size_t n)
{
	struct wasm_module *t = load_bytes(wasm, n, WASM_TIER_TIERED);
	struct wasm_module *u = load_bytes(wasm, n, WASM_TIER_JIT);
	void *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	CHECK("code-tiered-saves-whole",
	      t && u && !wasm_module__save_code(t, &a, &na) &&
		  !wasm_module__save_code(u, &b, &nb) && na == nb &&
		  !memcmp(a, b, na),
	      "%zu bytes against %zu", na, nb);
	free(a);
	free(b);
	wasm_module__free(t);
	wasm_module__free(u);
}

/* ind(0), and the messages of ind(1) (a type mismatch) and oob(65532),
 * with `code` given to the load (or not); whether that code was used. */
static bool code_run(const uint8_t *wasm, size_t n, int tier,
		     const void *code, size_t len, int32_t *r, char msg[2][256])
{
	struct wasm_load_opts o = {.sz = sizeof(o), .tier = tier,
				   .code = code, .code_len = len};
	struct wasm_module *m = wasm_module__load(wasm, n, &o, NULL);
	struct wasm_instance *inst = m ? instantiate(m, NULL, NULL) : NULL;
	bool loaded = m && wasm_module__code_loaded(m);
	int32_t x;
	*r = -1;
	msg[0][0] = msg[1][0] = 0;
	if (inst) {
		call_i32(inst, "ind", 0, r);
		call_i32(inst, "ind", 1, &x);
		snprintf(msg[0], 256, "%s", wasm_instance__trap(inst)->message);
		call_i32(inst, "oob", 65532, &x);
		snprintf(msg[1], 256, "%s", wasm_instance__trap(inst)->message);
	}
	wasm_instance__free(inst);
	wasm_module__free(m);
	return loaded;
}

/* Damaged copies of saved code: each refused, the module compiled. */
static void test_code_damaged(const uint8_t *wasm, size_t n, uint8_t *saved,
			      size_t len, const uint8_t *other, size_t no)
{
	static const struct {
		const char *name;
		size_t at; /* byte changed; SIZE_MAX: one byte short */
		uint32_t value;
	} cases[] = {
	    {"truncated", SIZE_MAX, 0},	  {"bad-magic", 0, 0},
	    {"other-build", 4, 'x'},	  {"function-count", 100, 99},
	    {"code-length", 104, 1},	  {"landing-outside", 108, ~0u},
	    {"sites-overrun", 112, 1000}, {"sigs-overrun", 116, 1000},
	};
	int32_t r;
	char msg[2][256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t keep;
		size_t at = cases[i].at == SIZE_MAX ? 0 : cases[i].at;
		memcpy(&keep, saved + at, 4);
		if (cases[i].at != SIZE_MAX)
			memcpy(saved + at, &cases[i].value, 4);
		bool loaded = code_run(wasm, n, WASM_TIER_DEFAULT, saved,
				       cases[i].at == SIZE_MAX ? len - 1 : len,
				       &r, msg);
		memcpy(saved + at, &keep, 4);
		char name[64];
		snprintf(name, sizeof(name), "code-refused-%s", cases[i].name);
		CHECK(name, !loaded && r == 12, "loaded %d, ind(0) %d", loaded, r);
	}
	/* another module's code */
	struct wasm_module *o = load_bytes(other, no, WASM_TIER_DEFAULT);
	void *buf = NULL;
	size_t olen = 0;
	if (o)
		wasm_module__save_code(o, &buf, &olen);
	bool loaded = code_run(wasm, n, WASM_TIER_DEFAULT, buf, olen, &r, msg);
	CHECK("code-refused-other-module", buf && !loaded && r == 12,
	      "saved %d, loaded %d, ind(0) %d", buf != NULL, loaded, r);
	free(buf);
	wasm_module__free(o);
}

static void test_code(void)
{
	static uint8_t wasm[2048], other[1024], saved[1 << 16];
	size_t n = assemble(ind_wat, wasm, sizeof(wasm));
	size_t no = assemble(other_wat, other, sizeof(other));
	struct wasm_load_opts interp = {.sz = sizeof(interp),
					.tier = WASM_TIER_INTERP};
	char id[128], want[2][256], got[2][256];
	int32_t r0, r1;
	void *buf = NULL;
	size_t len, none;
	if (!n || !no) {
		CHECK("code-setup", 0, "cannot assemble");
		return;
	}
	/* first (this process has not seen wasm's types) */
	len = save_in_child(wasm, n, other, no, saved, sizeof(saved));
	struct wasm_module *m = load_bytes(wasm, n, WASM_TIER_INTERP);
	CHECK("code-none-when-interpreted",
	      m && wasm_module__save_code(m, &buf, &none) == -ENOENT && !buf &&
		  wasm_engine__code_id(&interp, id, sizeof(id)) == -ENOTSUP,
	      "save or id did not fail");
	wasm_module__free(m);
	if (wasm_engine__code_id(NULL, id, sizeof(id)))
		return; /* lazy, interpreted or no compiling tier: no more */
	code_run(wasm, n, WASM_TIER_INTERP, NULL, 0, &r0, want);
	bool loaded = code_run(wasm, n, WASM_TIER_DEFAULT, saved, len, &r1, got);
	CHECK("code-loaded-in-another-process", len && loaded,
	      "%zu bytes, loaded %d", len, loaded);
	CHECK("code-loaded-runs-like-interpreter",
	      r0 == 12 && r1 == 12 && strstr(want[0], "indirect call") &&
		  !strcmp(want[0], got[0]) && !strcmp(want[1], got[1]),
	      "ind(0) %d/%d, '%s'/'%s', '%s'/'%s'", r0, r1, want[0], got[0],
	      want[1], got[1]);
	CHECK("code-ignored-by-interpreter",
	      !code_run(wasm, n, WASM_TIER_INTERP, saved, len, &r1, got) &&
		  r1 == 12,
	      "used");
	if (len)
		test_code_damaged(wasm, n, saved, len, other, no);
	test_code_tiered(wasm, n);
}

int main(void)
{
	/* API_TEST_JIT_ONLY=1: the compiling-tier tests alone (for a
	 * ThreadSanitizer build, whose deferred signals never interrupt a
	 * spinning guest). */
	const char *only = getenv("API_TEST_JIT_ONLY");
	if (only && !strcmp(only, "1")) {
		test_jit();
		return failures ? 1 : 0;
	}
	/* API_TEST_CODE_ONLY=1: saved compiled code alone (the explicit
	 * bounds-check build's run). */
	only = getenv("API_TEST_CODE_ONLY");
	if (only && !strcmp(only, "1")) {
		test_code();
		return failures ? 1 : 0;
	}
	struct wasm_module *m = load_wat(spin_wat);
	if (!m) {
		printf("FAIL: api/setup: cannot assemble test modules (wat2wasm)\n");
		return 1;
	}
	test_interrupt_thread(m);
	test_interrupt_signal(m);
	test_fuel(m);
	test_fuel_compiled();
	test_interrupt_counting();
	test_exhaustion(m);
	wasm_module__free(m);
	test_memory_helpers();
	test_host_reentry();
	test_prepared_call();
	test_link_errors();
	test_initial_memory();
	test_mem_map_tier(WASM_TIER_JIT, "jit");
	test_mem_map_tier(WASM_TIER_INTERP, "interp");
	test_mem_map_host_write();
	test_jit();
	test_code();
	return failures ? 1 : 0;
}
