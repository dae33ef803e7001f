/* bpf_helpers.c — BPF helper names by id, from the kernel UAPI header's
 * own list (__BPF_FUNC_MAPPER), so the table follows the installed
 * linux/bpf.h and never drifts from the ids the instructions carry.
 */
#include <stdio.h>
#include <string.h>
#include "policy/bpf_facts.h"

/* NAME and its NUL for each helper, back to back in the mapper's order,
 * which is the ids' order (the header builds enum bpf_func_id from the
 * same list): a struct of char arrays, as the mapper separates its items
 * with commas, rather than a table of pointers. Without the "bpf_" every
 * name has: 850 bytes fewer in the binary. */
#define MEMBER(x) x[sizeof(#x)]
#define NAME(x)	  #x
static const struct {
	char __BPF_FUNC_MAPPER(MEMBER) end; /* the list ends in a comma */
} names = {__BPF_FUNC_MAPPER(NAME) 0};
#undef MEMBER
#undef NAME

#define helper_names ((const char *)&names)
#define NAMES_END    (&names.end)
#define PREFIX	     "bpf_"

/* The name is put back together per thread (the daemon checks policies
 * in several): callers print or copy it before they ask again. */
const char *bpf_facts__helper_name(uint32_t id)
{
	static _Thread_local char name[64];
	const char *p = helper_names;

	for (uint32_t i = id; i && p < NAMES_END; i--)
		p += strlen(p) + 1;
	if (!id || p >= NAMES_END)
		return NULL;
	snprintf(name, sizeof(name), PREFIX "%s", p);
	return name;
}
