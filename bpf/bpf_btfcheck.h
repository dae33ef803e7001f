/* bpf_btfcheck.h — vetting the BTF of an untrusted BPF object before libbpf
 * sees it. libbpf 1.1 checks the layout of .BTF (header, type sizes) but
 * trusts what is inside: an out-of-range type id, a string offset past the
 * string section or a loop of typedefs makes it crash or hang in
 * bpf_object__open_mem/load. This module owns every such check of the
 * sections .BTF and .BTF.ext: header and section bounds, each type's kind,
 * size, vlen and names, every type reference (and the kind it must have),
 * reference cycles that go through no pointer (or through no struct),
 * member layout, and every .BTF.ext record (section names, func and line
 * info, CO-RE relocations and their access strings).
 *
 * btfcheck__elf returns 0 or -EINVAL with one line in `why` naming what is
 * wrong, e.g. "BTF type 12 (STRUCT 'foo') member 3 refers to type 9999,
 * past the last type 57". No files, no kernel, no libbpf state.
 */
#ifndef WASM_BPF_BPF_BTFCHECK_H
#define WASM_BPF_BPF_BTFCHECK_H

#include <stddef.h>

/* The .BTF and .BTF.ext sections of an ELF image, as libbpf will find
 * them. An image that is not a native-endian ELF is left to libbpf (it
 * refuses those itself); two sections of one name are refused. */
int btfcheck__elf(const void *elf, size_t len, char *why, size_t why_len);

#endif
