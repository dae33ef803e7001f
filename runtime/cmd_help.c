/* cmd_help.c — prints a help text from the deflated blob help_text.c
 * wrote at build time (cmd_help.h). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "runtime/cmd_help.h"

/* The texts in enum order, each ending in NUL, deflated (help_z.c). */
extern const unsigned char wbpf_help_z[];
extern const unsigned long wbpf_help_size, wbpf_help_zsize;

int cmd_help(enum cmd_help which, FILE *f)
{
	uLongf n = wbpf_help_size;
	char *text = malloc(n);
	const char *p = text;
	int ok;

	if (!text)
		return -1;
	ok = uncompress((Bytef *)text, &n, wbpf_help_z, wbpf_help_zsize) ==
		 Z_OK &&
	     n == wbpf_help_size;
	for (int i = 0; ok && i < (int)which; i++)
		p += strlen(p) + 1;
	if (ok)
		fputs(p, f);
	free(text);
	return ok ? 0 : -1;
}
