/* cmd_common.h — what the distribution subcommands (cmd_*.c) share: the
 * store they open, references from arguments, the progress bar, the
 * Ctrl-C that cancels a transfer, and the exit statuses. */
#ifndef WASM_BPF_CMD_COMMON_H
#define WASM_BPF_CMD_COMMON_H

#include <stdbool.h>

#include "oci/oci.h"
#include "policy/bpf_facts.h"

#define CMD_FAIL  125 /* like `run`: the runtime could not do it */
#define CMD_USAGE 2

/* A one-line error: "wasm-bpf CMD: message". Returns CMD_FAIL. */
int cmd_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cmd_usage(const char *cmd, const char *synopsis);

int cmd_store(const char *cmd, const char *dir, struct oci_store **s);
int cmd_ref(const char *cmd, const char *arg, struct oci_ref *r);

/* Client options with a progress bar on a terminal (stderr) and Ctrl-C
 * cancelling the transfer. */
void cmd_client_opts(struct oci_client_opts *o, const char *label);
void cmd_progress_done(void);

/* Is `name` a signature image's (REPO:sha256-HEX.sig)? */
bool cmd_is_sig_name(const char *name);

/* "2.0 MB" style sizes. */
void cmd_size(char *buf, size_t len, long long bytes);
/* The BPF objects a module embeds (policy/wasm_embed.h), each with what
 * it asks for (policy/bpf_facts.h), from the module's bytes: facts NULL
 * for an object that cannot be read, `why` saying why. */
struct cmd_obj {
	size_t size;
	struct bpf_facts *facts;
	char why[160];
};
struct cmd_objs {
	struct cmd_obj *v;
	size_t n;
};
int cmd_scan(const struct oci_buf *wasm, struct cmd_objs *o, char *err,
	     size_t errlen);
void cmd_objs_free(struct cmd_objs *o);
/* "CAP_BPF CAP_PERFMON" etc.: what loading the readable objects needs. */
void cmd_caps(const struct cmd_objs *o, char *buf, size_t len);
/* libbpf's names ("kprobe", "hash"), "unknown" for a type it lacks. */
const char *cmd_prog_type(enum bpf_prog_type t);
const char *cmd_map_type(enum bpf_map_type t);
/* Appends s to the array *v of *n strings; -1 when out of memory. */
int cmd_add_str(const char ***v, int *n, const char *s);

int cmd_push(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif
