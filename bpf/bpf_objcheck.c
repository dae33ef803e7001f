/* bpf_objcheck.c — refusing, before libbpf opens it, an object libbpf 1.1
 * would crash on: a symbol or section whose name is outside its string
 * table (libbpf compares the NULL name), a symbol in a section that does
 * not exist, a .BTF type whose names lie outside its strings or that
 * refers to a type it does not have (libbpf dereferences both while
 * reading map definitions). Found by fuzzing: one
 * flipped bit in a guest's object crashed the host.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <bpf/btf.h>
#include "bpf/bpf_internal.h"

static bool ref_ok(const struct btf *btf, uint32_t id)
{
	return id < btf__type_cnt(btf);
}

static bool name_ok(const struct btf *btf, uint32_t off)
{
	return btf__name_by_offset(btf, off) != NULL;
}

/* The names of a type's members, values or parameters. */
static bool inner_names_ok(const struct btf *btf, const struct btf_type *t)
{
	uint16_t n = btf_vlen(t);

	for (uint16_t i = 0; i < n; i++)
		switch (btf_kind(t)) {
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			if (!name_ok(btf, btf_members(t)[i].name_off))
				return false;
			break;
		case BTF_KIND_ENUM:
			if (!name_ok(btf, btf_enum(t)[i].name_off))
				return false;
			break;
		case BTF_KIND_ENUM64:
			if (!name_ok(btf, btf_enum64(t)[i].name_off))
				return false;
			break;
		case BTF_KIND_FUNC_PROTO:
			if (!name_ok(btf, btf_params(t)[i].name_off))
				return false;
			break;
		default:
			return true;
		}
	return true;
}

static bool type_ok(const struct btf *btf, const struct btf_type *t)
{
	uint16_t n = btf_vlen(t);

	if (!name_ok(btf, t->name_off) || !inner_names_ok(btf, t))
		return false;

	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
	case BTF_KIND_TYPE_TAG:
		return ref_ok(btf, t->type);
	case BTF_KIND_ARRAY:
		return ref_ok(btf, btf_array(t)->type) &&
		       ref_ok(btf, btf_array(t)->index_type);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (uint16_t i = 0; i < n; i++)
			if (!ref_ok(btf, btf_members(t)[i].type))
				return false;
		return true;
	case BTF_KIND_FUNC_PROTO:
		for (uint16_t i = 0; i < n; i++)
			if (!ref_ok(btf, btf_params(t)[i].type))
				return false;
		return ref_ok(btf, t->type);
	case BTF_KIND_DATASEC:
		for (uint16_t i = 0; i < n; i++)
			if (!ref_ok(btf, btf_var_secinfos(t)[i].type))
				return false;
		return true;
	default:
		return true;
	}
}

static int check_btf(const void *data, size_t len)
{
	struct btf *btf = btf__new(data, len);
	int err = 0;

	if (!btf)
		return -EINVAL;
	for (uint32_t id = 1; !err && id < btf__type_cnt(btf); id++)
		if (!type_ok(btf, btf__type_by_id(btf, id)))
			err = -EINVAL;
	btf__free(btf);
	return err;
}

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
	const char *name;
	Elf_Data *d;
	int err = 0;

	while (!err && (scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) ||
		    !(name = elf_strptr(e, shstrndx, sh.sh_name)))
			return -EINVAL;
		if (sh.sh_type == SHT_SYMTAB)
			err = check_symbols(e, scn, &sh);
		else if (sh.sh_type == SHT_PROGBITS && !strcmp(name, ".BTF") &&
			 (d = elf_getdata(scn, NULL)) && d->d_buf)
			err = check_btf(d->d_buf, d->d_size);
	}
	return err;
}

int bh_object_check(const void *elf, size_t len)
{
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
	return err;
}
