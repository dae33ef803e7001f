/* ubpf_inject.h — `--pid`: the agent (libwasm-bpf-agent.so) loaded into a
 * running process the runtime may trace, through ptrace (x86-64).
 */
#ifndef WASM_BPF_UBPF_INJECT_H
#define WASM_BPF_UBPF_INJECT_H

#include <stddef.h>
#include <sys/types.h>

/* Stops every thread of PID, makes its main thread dlopen AGENT (a path
 * valid in its mount namespace), hands the agent FDS (the plan first) and
 * calls its attach, then restores the thread's registers and lets every
 * thread go. Returns what the agent's attach returned (hooks set up, or a
 * negative errno), or a negative errno with WHY saying what failed (e.g.
 * -EPERM: ptrace refused). The process is left running either way. */
int ubpf_inject(pid_t pid, const char *agent, const int *fds, size_t nfds,
		char *why, size_t why_len);

/* Sends FDS in one SCM_RIGHTS datagram of the LEN bytes at DATA (at
 * least one) to abstract socket NAME (the agent's hand-over socket: the
 * stopped threads' instruction pointers). 0 or a negative errno. */
int ubpf_inject__send(const char *name, const int *fds, size_t n,
		      const void *data, size_t len);

#endif
