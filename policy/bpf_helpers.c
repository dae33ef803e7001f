/* bpf_helpers.c — BPF helper names by id, from the kernel UAPI header's
 * own list (__BPF_FUNC_MAPPER), so the table follows the installed
 * linux/bpf.h and never drifts from the ids the instructions carry.
 */
#include <string.h>
#include "policy/bpf_facts.h"

#define HELPER_NAME(x) [BPF_FUNC_##x] = "bpf_" #x
static const char *const helper_names[] = {__BPF_FUNC_MAPPER(HELPER_NAME)};
#undef HELPER_NAME

#define NHELPERS (sizeof(helper_names) / sizeof(helper_names[0]))

const char *bpf_facts__helper_name(uint32_t id)
{
	return id && id < NHELPERS ? helper_names[id] : NULL;
}

int bpf_facts__helper_id(const char *name)
{
	for (size_t i = 1; i < NHELPERS; i++)
		if (helper_names[i] && !strcmp(helper_names[i], name))
			return (int)i;
	return -1;
}
