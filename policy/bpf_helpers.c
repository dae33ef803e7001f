/* bpf_helpers.c — BPF helper names by id, from the kernel UAPI header's
 * own list (__BPF_FUNC_MAPPER), so the table follows the installed
 * linux/bpf.h and never drifts from the ids the instructions carry.
 */
#include <string.h>
#include "policy/bpf_facts.h"

/* "bpf_NAME" and its NUL for each helper, back to back in the mapper's
 * order, which is the ids' order (the header builds enum bpf_func_id from
 * the same list): a struct of char arrays, as the mapper separates its
 * items with commas, rather than a table of pointers. */
#define MEMBER(x) x[sizeof("bpf_" #x)]
#define NAME(x)	  "bpf_" #x
static const struct {
	char __BPF_FUNC_MAPPER(MEMBER) end; /* the list ends in a comma */
} names = {__BPF_FUNC_MAPPER(NAME) 0};
#undef MEMBER
#undef NAME

#define helper_names ((const char *)&names)
#define NAMES_END    (&names.end)

const char *bpf_facts__helper_name(uint32_t id)
{
	const char *p = helper_names;
	for (uint32_t i = id; i && p < NAMES_END; i--)
		p += strlen(p) + 1;
	return id && p < NAMES_END ? p : NULL;
}

int bpf_facts__helper_id(const char *name)
{
	int i = 0;
	for (const char *p = helper_names; p < NAMES_END; p += strlen(p) + 1)
		if (i++ && !strcmp(p, name))
			return i - 1;
	return -1;
}
