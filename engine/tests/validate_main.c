/* validate_main.c — wasm-validate-only, a test tool: decodes and validates
 * one module and prints "ok" or the error. Exit status 0 when valid.
 */
#include <stdio.h>
#include <stdlib.h>

#include "module.h"

static unsigned char *read_file(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, got;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			unsigned char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	struct wasm_error err = {{0}};
	struct wm_module m;
	unsigned char *bytes;
	size_t len = 0;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE.wasm\n", argv[0]);
		return 2;
	}
	bytes = read_file(argv[1], &len);
	if (!bytes) {
		perror(argv[1]);
		return 2;
	}
	ret = wm_decode(&m, bytes, len, &err);
	free(bytes);
	if (!ret) {
		ret = wm_validate(&m, &err);
		wm_module_free(&m);
	}
	if (ret) {
		printf("%s\n", err.msg[0] ? err.msg : "invalid module");
		return 1;
	}
	printf("ok\n");
	return 0;
}
