/* cmd.h — the parts of the `wasm-bpf` command that live outside main.c:
 * choosing the policy of a run, `wasm-bpf check`, the daemon's commands.
 */
#ifndef WASM_BPF_CMD_H
#define WASM_BPF_CMD_H

#include <stdbool.h>
#include <stdint.h>

struct policy;

/* The policy of this command: FILE (--policy), else $WASM_BPF_POLICY,
 * else /etc/wasm-bpf/policy.yaml if it exists, else NULL (no checks, as
 * before policies). 0, or an exit status after printing why. */
int wbpf_cli_policy(const char *file, struct policy **out);

/* Applies the run rules of `p` to the command's options: caps unset
 * limits, refuses (printing the rule) what exceeds them. 0 or 125. */
int wbpf_cli_check_run(const struct policy *p, uint64_t *max_memory,
		       uint64_t *fuel, double *timeout, const char **dirs,
		       int ndirs, const char **fds, int nfds);

/* An oci_admit_fn (oci/oci.h) applying the image rules of the policy
 * `ctx`: a pull it refuses stores nothing. */
struct oci_err;
int wbpf_cli_admit(void *ctx, const char *name, const char *digest,
		   bool verified, struct oci_err *e);

/* `wasm-bpf check [OPTIONS] MODULE|OBJECT`: argv[0] is "check". */
int wbpf_check_main(int argc, char **argv);

/* The daemon's socket unless --socket or $WASM_BPFD_SOCKET names one. */
#define WBPF_DAEMON_SOCKET "/run/wasm-bpf/wasm-bpfd.sock"

/* Whether argv is one of the daemon's commands (cmd_daemon.c): `run -d`,
 * ps, logs, stop, pause, resume, stats; then wbpf_daemon_main runs it. */
bool wbpf_daemon_cmd(int argc, char **argv);
int wbpf_daemon_main(int argc, char **argv);

#endif
