/* fuzz_bpf_host.c — libFuzzer target for the `wasm_bpf` interface: random
 * sequences of host-function calls with random arguments against a fake
 * instance (bpf/tests/fake_engine.c) whose memory holds the input. With
 * FUZZ_BPF_OBJ=path (root, real kernel) inputs whose first byte is odd also
 * work on a loaded copy of that object, so handles, map fds and programs
 * are real; every input ends with bpf_host__free. Polls never wait.
 * Build: make fuzz; run: build-fuzz/fuzz_bpf_host [corpus].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpf/bpf_host.h"
#include "bpf/tests/fake_engine.h"

#define MEM_SIZE 65536u

static void *obj_bytes;
static size_t obj_len;

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint32_t take32(struct cursor *c)
{
	uint32_t v = 0;
	size_t k = c->n < 4 ? c->n : 4;

	memcpy(&v, c->p, k);
	c->p += k;
	c->n -= k;
	return v;
}

static int cb(struct wasm_instance *inst, void *user, uint64_t *s)
{
	uint32_t *mode = user;

	s[0] = *mode & 3 ? (uint32_t) - (int)(*mode & 3) : 0;
	return (*mode >> 2) & 3; /* OK, TRAPPED, EXITED, INTERRUPTED */
}

/* Arguments: mostly interesting values, sometimes raw input. */
static uint64_t arg(struct cursor *c, uint64_t handle, int fd)
{
	uint32_t v = take32(c);

	switch (v & 7) {
	case 0:
		return handle;
	case 1:
		return (uint32_t)fd;
	case 2:
		return MEM_SIZE - (v >> 3 & 63);
	case 3:
		return v >> 3 & 4095;
	case 4:
		return 0;
	default:
		return ((uint64_t)take32(c) << 32) | v;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("FUZZ_BPF_OBJ");
	FILE *f = path ? fopen(path, "rb") : NULL;

	if (f && !fseek(f, 0, SEEK_END)) {
		long n = ftell(f);

		rewind(f);
		obj_bytes = n > 0 && n < MEM_SIZE / 2 ? malloc(n) : NULL;
		if (obj_bytes && fread(obj_bytes, 1, n, f) == (size_t)n)
			obj_len = n;
	}
	if (f)
		fclose(f);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* No BTF cache: this fuzzes the interface (fuzz_btfmin the cache's
	 * builder) and must not write cache files. */
	struct bpf_host_opts o = {
	    .sz = sizeof(o), .wasi = (void *)1, .no_btf_cache = true};
	struct cursor c = {data, size};
	struct wasm_func good, wrong;
	struct wasm_linker l = {0};
	struct wasm_instance *inst;
	struct bpf_host *h;
	uint64_t handle = 0;
	uint32_t mode = 0;
	int fd = -1;

	inst = fake_instance_new(MEM_SIZE);
	h = bpf_host__new(&o);
	if (!inst || !h || bpf_host__define(h, &l))
		abort();
	memcpy(inst->mem, data, size < MEM_SIZE ? size : MEM_SIZE);
	fake_func_init(&good, cb, &mode);
	fake_func_init(&wrong, cb, &mode);
	wrong.nresults = 0;
	inst->table[0] = &good;
	inst->table[1] = &wrong;
	inst->export_name = "go-callback";
	inst->export_fn = &good;
	if (size && (data[0] & 1) && obj_len) {
		uint64_t s[8] = {MEM_SIZE / 2, obj_len};

		memcpy(inst->mem + MEM_SIZE / 2, obj_bytes, obj_len);
		l.defs[0].fn(inst, h, s);
		handle = s[0];
		memcpy(inst->mem + 64, "rb\0hash_map\0wbt_getpgid", 24);
		s[0] = handle;
		s[1] = 64;
		l.defs[4].fn(inst, h, s);
		fd = (int)s[0];
	}
	for (int ops = 0; c.n && ops < 64; ops++) {
		uint32_t sel = take32(&c);
		const struct fake_def *d = &l.defs[sel % l.n];
		uint64_t s[8];

		mode = sel >> 8;
		for (int i = 0; i < 8; i++)
			s[i] = arg(&c, handle, fd);
		if (!strcmp(d->name, "wasm_bpf_buffer_poll"))
			s[d->module[0] == 'w' ? 6 : 5] = 0; /* never wait */
		if (!strcmp(d->name, "wasm_bpf_ring_wait"))
			s[2] = 0;
		d->fn(inst, d->user, s);
	}
	bpf_host__free(h);
	fake_instance_free(inst);
	return 0;
}
