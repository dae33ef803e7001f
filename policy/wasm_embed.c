/* wasm_embed.c — the ELF headers in a module's initial memory (laid out
 * by the engine from the validated data segments): an image's length is
 * where its section headers or its last section end, whichever is later.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine/wasm.h"
#include "policy/wasm_embed.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
#define IMAGE_MAX (256u << 20)

/* An ELF64 little-endian EM_BPF image starting at p (at most max bytes):
 * its length, or 0 if it is none or does not fit. */
static size_t elf_len(const uint8_t *p, size_t max)
{
	Elf64_Ehdr eh;
	size_t end;

	if (max < sizeof(eh) || memcmp(p, ELFMAG, SELFMAG))
		return 0;
	memcpy(&eh, p, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_BPF ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > max ||
	    (size_t)eh.e_shnum * sizeof(Elf64_Shdr) > max - eh.e_shoff)
		return 0;
	end = eh.e_shoff + (size_t)eh.e_shnum * sizeof(Elf64_Shdr);
	for (size_t i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;

		memcpy(&sh, p + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type == SHT_NOBITS)
			continue;
		if (sh.sh_offset > max || sh.sh_size > max - sh.sh_offset)
			return 0;
		if (sh.sh_offset + sh.sh_size > end)
			end = sh.sh_offset + sh.sh_size;
	}
	return end;
}

static int add(struct wasm_embed_obj **out, size_t *n, const uint8_t *elf,
	       size_t len, uint64_t addr)
{
	struct wasm_embed_obj *v = realloc(*out, (*n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	*out = v;
	v[*n].elf = malloc(len);
	if (!v[*n].elf)
		return -ENOMEM;
	memcpy(v[*n].elf, elf, len);
	v[*n].len = len;
	v[*n].addr = addr;
	(*n)++;
	return 0;
}

static int scan(const uint8_t *d, size_t len, struct wasm_embed_obj **out,
		size_t *n)
{
	for (size_t i = 0; i + SELFMAG <= len;) {
		const uint8_t *m = memmem(d + i, len - i, ELFMAG, SELFMAG);
		size_t at, el;
		int err;

		if (!m)
			break;
		at = (size_t)(m - d);
		el = elf_len(m, len - at);
		if (!el) {
			i = at + 1;
			continue;
		}
		err = add(out, n, m, el, at);
		if (err)
			return err;
		i = at + el;
	}
	return 0;
}

int wasm_embed__find(const struct wasm_module *m, struct wasm_embed_obj **out,
		     size_t *n)
{
	uint8_t *img;
	size_t len;
	int err = wasm_module__initial_memory(m, IMAGE_MAX, &img, &len);

	*out = NULL;
	*n = 0;
	if (!err && img)
		err = scan(img, len, out, n);
	free(img);
	if (err) {
		wasm_embed__free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

const char *wasm_embed__strerror(int err)
{
	return err == -E2BIG ? "more than 256 MiB of initial memory"
			     : strerror(-err);
}

void wasm_embed__free(struct wasm_embed_obj *objs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(objs[i].elf);
	free(objs);
}
