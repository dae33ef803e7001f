/* fuzz_decode.c — libFuzzer target for the decoder and validator: any input
 * must be either rejected with a message or accepted, without crashing,
 * leaking or invoking undefined behaviour. Built by `make fuzz`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wasm_error err;
	struct wm_module m;

	if (wm_decode(&m, data, size, &err))
		return 0;
	/* A decoded module must always be described by a message or pass. */
	if (wm_validate(&m, &err) && !err.msg[0])
		abort();
	wm_module_free(&m);
	return 0;
}
