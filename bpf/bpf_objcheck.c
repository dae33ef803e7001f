/* bpf_objcheck.c — refusing, before libbpf opens it, an object libbpf 1.1
 * would crash on: a symbol or section whose name is outside its string
 * table (libbpf compares the NULL name), a symbol in a section that does
 * not exist; and everything bpf_btfcheck.c refuses in .BTF and .BTF.ext
 * (types named outside the strings or referring to types that do not
 * exist: libbpf dereferences both while reading map definitions). Found
 * by fuzzing: one flipped bit in a guest's object crashed the host.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include "bpf/bpf_btfcheck.h"
#include "bpf/bpf_internal.h"

static int check_symbols(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t shnum, n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	GElf_Sym sym;

	if (!d || elf_getshdrnum(e, &shnum))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!gelf_getsym(d, (int)i, &sym) ||
		    !elf_strptr(e, sh->sh_link, sym.st_name) ||
		    (sym.st_shndx >= shnum && sym.st_shndx < SHN_LORESERVE))
			return -EINVAL;
	return 0;
}

static int check_sections(Elf *e, size_t shstrndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int err = 0;

	while (!err && (scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) ||
		    !elf_strptr(e, shstrndx, sh.sh_name))
			return -EINVAL;
		if (sh.sh_type == SHT_SYMTAB)
			err = check_symbols(e, scn, &sh);
	}
	return err;
}

int bh_object_check(const void *elf, size_t len)
{
	char why[256];
	size_t shstrndx;
	Elf *e;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	e = elf_memory((char *)elf, len);
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx)) {
		elf_end(e);
		return 0; /* not ELF: libbpf says so itself */
	}
	err = check_sections(e, shstrndx);
	elf_end(e);
	return err ? err : btfcheck__elf(elf, len, why, sizeof(why));
}
