/* fuzz_bpfobj.c — libFuzzer target: whole BPF objects (ELF images) through
 * the host's real load path. Each input is first vetted by the BTF checks
 * (bpf_btfcheck.c) in this process, so the fuzzer learns from their
 * coverage; an input they accept is then loaded in a forked child exactly
 * as a guest's object is: wasm_load_bpf_object on a fake instance
 * (bpf/tests/fake_engine.c) — the checks again, libbpf's open, the CO-RE
 * BTF cache if FUZZ_BPFOBJ_CACHE names a directory, the load into the
 * kernel — then bpf_host__free. libbpf is not instrumented and crashes
 * there would take the fuzzer down, hence the child: one killed by a
 * signal, failing an ASan/UBSan check, or still running after
 * FUZZ_BPFOBJ_TIMEOUT seconds (default 30) makes the parent abort, and
 * libFuzzer keeps the input. The timeout is long because some loads are
 * slow in the kernel, not hung: an array map of a billion entries takes
 * the kernel ~16 s to allocate; the line says how the time was spent.
 *
 * Loading needs root. The target runs in a private mount namespace with
 * its own bpffs on /sys/fs/bpf, so maps an input pins vanish with it;
 * without one (not root) loads only get as far as the kernel's refusal.
 * Mutations aim at .BTF and .BTF.ext (LLVMFuzzerCustomMutator below).
 * Seed it with compiled objects (bpf/tests/run.sh renames their "wbt_"
 * programs so the suite's leak counts do not see them).
 * Build: make fuzz; run: build-fuzz/fuzz_bpfobj [corpus].
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include "bpf/bpf_btfcheck.h"
#include "bpf/bpf_host.h"
#include "bpf/tests/fake_engine.h"

static const char *cache_dir;
static int timeout_ms = 30000;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("FUZZ_BPFOBJ_TIMEOUT");

	cache_dir = getenv("FUZZ_BPFOBJ_CACHE");
	if (t && atoi(t) > 0)
		timeout_ms = atoi(t) * 1000;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("wbpf-fuzz", "/sys/fs/bpf", "bpf", 0, NULL))
		fprintf(stderr,
			"fuzz_bpfobj: no private bpffs (%s): loads will "
			"fail\n",
			strerror(errno));
	return 0;
}

/* What the child does: one guest load of the input, then the teardown. */
static int child(const uint8_t *data, size_t size)
{
	struct bpf_host_opts o = {.sz = sizeof(o),
				  .wasi = (void *)1,
				  .btf_cache_dir = cache_dir,
				  .no_btf_cache = !cache_dir};
	struct wasm_linker l = {0};
	struct wasm_instance *inst = fake_instance_new(size + 1);
	struct bpf_host *h = bpf_host__new(&o);
	const struct fake_def *load;
	uint64_t s[8] = {0, size};

	if (!inst || !h || bpf_host__define(h, &l))
		return 2;
	load = fake_lookup(&l, "wasm_bpf", "wasm_load_bpf_object");
	memcpy(inst->mem, data, size);
	load->fn(inst, h, s);
	bpf_host__free(h);
	fake_instance_free(inst);
	return 0;
}

/* The child's user and system CPU seconds so far (from /proc). */
static void cpu_times(pid_t pid, double *user, double *sys)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	p = f && fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	if (p)
		sscanf(p,
		       ") %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		       &ut, &st);
	if (f)
		fclose(f);
	*user = (double)ut / sysconf(_SC_CLK_TCK);
	*sys = (double)st / sysconf(_SC_CLK_TCK);
}

/* Waits for the child up to timeout_ms: its status, or -1 if it hung (then
 * it is killed, after saying where its time went). */
static int reap(pid_t pid)
{
	struct timespec tick = {0, 1000000};
	double user, sys;
	int st;

	for (int ms = 0; ms < timeout_ms; ms++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return 0;
		nanosleep(&tick, NULL);
	}
	cpu_times(pid, &user, &sys);
	fprintf(stderr,
		"fuzz_bpfobj: the load hung (over %d ms; CPU %.1f s user, "
		"%.1f s system)\n",
		timeout_ms, user, sys);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* ---- mutations --------------------------------------------------------- */

/* Most random changes to a whole ELF image break the ELF, and libbpf
 * stops there. A third of the mutations therefore go into .BTF/.BTF.ext
 * (found by the section headers), and a third write a value near a bound
 * (a type count, a string section's length, -1) into one of their words. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static uint64_t rnd(unsigned int *seed)
{
	return (uint64_t)rand_r(seed) << 31 | (uint64_t)rand_r(seed);
}

static uint64_t get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return v;
}

/* Offset and size of a section named .BTF or .BTF.ext (a random one of
 * the two if both), or 0. */
static size_t btf_section(const uint8_t *d, size_t size, size_t *len,
			  unsigned int *seed)
{
	size_t found[2], lens[2], n = 0, shoff, esz, num, stroff;

	if (size < 64 || memcmp(d, "\177ELF", 4))
		return 0;
	shoff = get(d + 0x28, 8);
	esz = get(d + 0x3a, 2);
	num = get(d + 0x3c, 2);
	if (esz < 64 || shoff > size || num > (size - shoff) / esz ||
	    get(d + 0x3e, 2) >= num)
		return 0;
	stroff = get(d + shoff + get(d + 0x3e, 2) * esz + 24, 8);
	for (size_t i = 0; i < num && n < 2; i++) {
		const uint8_t *sh = d + shoff + i * esz;
		size_t name = stroff + get(sh, 4), off = get(sh + 24, 8),
		       sz = get(sh + 32, 8);

		if (name > size - 9 || off > size || sz > size - off || !sz ||
		    (memcmp(d + name, ".BTF", 5) &&
		     memcmp(d + name, ".BTF.ext", 9)))
			continue;
		found[n] = off;
		lens[n++] = sz;
	}
	if (!n)
		return 0;
	n = rnd(seed) % n;
	*len = lens[n];
	return found[n];
}

static uint32_t near_bound(const uint8_t *btf, size_t len, unsigned int *seed)
{
	uint32_t hdr[6] = {0}, base;

	memcpy(hdr, btf, len < sizeof(hdr) ? len : sizeof(hdr));
	switch (rnd(seed) % 6) {
	case 0: /* about the number of types: type_len / 12 overestimates */
		base = hdr[3] / 12;
		break;
	case 1: /* string section length */
		base = hdr[5];
		break;
	case 2:
		return UINT32_MAX - (uint32_t)(rnd(seed) % 4);
	case 3:
		return (uint32_t)(rnd(seed) % 32);
	case 4:
		return (uint32_t)rnd(seed);
	default: /* a kind, vlen and kind_flag in a type's info word */
		return (uint32_t)(rnd(seed) % 32) << 24 |
		       (uint32_t)(rnd(seed) % 4) |
		       (uint32_t)(rnd(seed) % 2) << 31;
	}
	return base + (uint32_t)(rnd(seed) % 9) - 4;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	size_t len = 0, off = btf_section(data, size, &len, &seed);
	uint64_t how = rnd(&seed) % 3;

	if (!off || how == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	if (how == 1) {
		LLVMFuzzerMutate(data + off, len, len);
		return size;
	}
	if (len >= 8) {
		size_t at = off + (rnd(&seed) % (len / 4)) * 4;
		uint32_t v = near_bound(data + off, len, &seed);

		memcpy(data + at, &v, sizeof(v));
	}
	return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	pid_t pid;
	int st;

	if (!size || btfcheck__elf(data, size, why, sizeof(why)))
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(child(data, size));
	st = reap(pid);
	if (st == -1)
		abort();
	if (WIFSIGNALED(st)) {
		fprintf(stderr,
			"fuzz_bpfobj: the load died of signal %d (%s)\n",
			WTERMSIG(st), strsignal(WTERMSIG(st)));
		abort();
	}
	if (WEXITSTATUS(st)) {
		fprintf(stderr, "fuzz_bpfobj: the load exited %d\n",
			WEXITSTATUS(st));
		abort();
	}
	return 0;
}
