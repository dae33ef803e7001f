/* ubpf_sym.c — where a function is: its symbol's value in an ELF file
 * (.symtab or .dynsym, read with libelf) and, for a file loaded in this
 * process, its address here (dl_iterate_phdr), as libbpf resolves a
 * uprobe's function. Used by the agent's hooks and by the injector
 * (libc's functions in another process).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpf/user/ubpf.h"

struct base_find {
	const char *path;
	uintptr_t base;
	bool found;
};

static int base_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct base_find *b = arg;
	char exe[PATH_MAX], real[PATH_MAX];
	const char *name = info->dlpi_name;

	if (!name[0]) { /* the main program */
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n < 0)
			return 0;
		exe[n] = 0;
		name = exe;
	}
	if (!realpath(name, real) || strcmp(real, b->path))
		return 0;
	b->base = info->dlpi_addr;
	b->found = true;
	return 1;
}

int ubpf_sym__value(const char *path, const char *sym, uint64_t *value,
		    size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	Elf_Scn *scn = NULL;
	Elf *elf;

	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !(d = elf_getdata(scn, NULL)) || !sh.sh_entsize)
			continue;
		for (i = 0; err && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *nm;

			if (!gelf_getsym(d, i, &s) ||
			    GELF_ST_TYPE(s.st_info) != STT_FUNC || !s.st_value)
				continue;
			nm = elf_strptr(elf, sh.sh_link, s.st_name);
			if (nm && !strcmp(nm, sym)) {
				*value = s.st_value;
				*size = s.st_size;
				err = 0;
			}
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

int ubpf_sym__resolve(const char *binary, const char *sym, void **addr,
		      size_t *size)
{
	struct base_find b = {0};
	char real[PATH_MAX];
	uint64_t value = 0;
	int err;

	if (!realpath(binary, real))
		return -errno;
	b.path = real;
	err = ubpf_sym__value(real, sym, &value, size);
	if (err)
		return err;
	dl_iterate_phdr(base_cb, &b);
	if (!b.found)
		return -ESRCH; /* not loaded in this process */
	*addr = (void *)(b.base + value);
	return 0;
}
