/* fuzz_code.c — libFuzzer target for loading saved compiled code
 * (jit_save.c), which parses bytes from disk: each input module that
 * compiles is saved, and its bytes must load back (the round trip works
 * for every module); then copies with bytes changed at places the input
 * picks, and cut short, must load or be refused without crashing,
 * leaking or undefined behaviour (they are loaded, not run: code bytes
 * cannot be checked, README's trust model). Built by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load_with(const uint8_t *data, size_t size, const void *code,
		      size_t len, bool must)
{
	struct wasm_load_opts o = {.sz = sizeof(o),
				   .tier = WASM_TIER_JIT,
				   .code = code,
				   .code_len = len};
	struct wasm_module *m = wasm_module__load(data, size, &o, NULL);
	if (must && !(m && wasm_module__code_loaded(m)))
		abort();
	wasm_module__free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wasm_load_opts o = {.sz = sizeof(o), .tier = WASM_TIER_JIT};
	struct wasm_module *m = wasm_module__load(data, size, &o, NULL);
	uint8_t *code = NULL;
	size_t len = 0;
	if (!m || wasm_module__save_code(m, (void **)&code, &len)) {
		wasm_module__free(m);
		return 0;
	}
	wasm_module__free(m);
	load_with(data, size, code, len, true);
	/* the input's last bytes pick the changes: 4 bytes each */
	for (size_t i = 0; i + 4 <= size && i < 64; i += 4) {
		const uint8_t *p = data + size - 4 - i;
		size_t at = ((size_t)p[0] << 16 | p[1] << 8 | p[2]) % len;
		uint8_t keep = code[at];
		code[at] ^= p[3] ? p[3] : 0x80;
		load_with(data, size, code, len, false);
		code[at] = keep;
		load_with(data, size, code, at, false);
	}
	free(code);
	return 0;
}
