/* ubpf_agent.h — what the agent's files share: the system calls it traces
 * in its process by interposing libc's wrappers (ubpf_agent_sys.c), given
 * their tracepoint programs by the plan (ubpf_agent.c).
 */
#ifndef WASM_BPF_UBPF_AGENT_H
#define WASM_BPF_UBPF_AGENT_H

#include <stdbool.h>
#include "bpf/user/ubpf.h"

/* Runs P at every entry (or exit) of system call NAME ("openat");
 * -ENOENT for calls the agent does not trace. */
int ubpf_agent_sys__set(const char *name, bool exit, struct ubpf_prog *p);
/* No system call runs a program any more. */
void ubpf_agent_sys__clear(void);

#endif
