/* ocirt.h — wasm-bpf-oci, a runc-compatible OCI runtime that runs a
 * container whose entry point is a Wasm module with runtime/'s library.
 * This header owns what the command's files share: the global options,
 * the bundle's config.json as read, the state directory of a container
 * and the error log. */
#ifndef WBPF_OCIRT_H
#define WBPF_OCIRT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define OCIRT_VERSION_OCI "1.0.2"
#define OCIRT_DEFAULT_ROOT "/run/wasm-bpf/oci"
#define OCIRT_EXIT_USAGE 2

struct ocirt_globals {
	const char *root;     /* --root: one directory per container */
	const char *log;      /* --log: errors go there too */
	bool log_json;	      /* --log-format json */
	bool systemd_cgroup;  /* --systemd-cgroup: slice:prefix:name paths */
	bool debug;	      /* --debug: every invocation is logged */
};

extern struct ocirt_globals ocirt_g;

/* "--name=value" or "--name value" (also with one dash, as Go's flag
 * package reads runc's); the value, or NULL if argv[*i] is not --name. */
const char *ocirt_opt_value(int argc, char **argv, int *i, const char *name);

/* One line "wasm-bpf-oci: ..." on stderr and in --log. Returns 1, the
 * status of a failed command. */
int ocirt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ocirt_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- config.json (spec.c) ---- */
struct ocirt_mount {
	char *src, *dst;
};

struct ocirt_spec {
	char *root;	    /* root.path, made absolute */
	char **args, **env; /* NULL-terminated */
	int nargs, nenv;
	char *cwd;
	char *hostname;
	bool terminal, no_new_privs;
	struct ocirt_mount *mounts; /* directory binds only */
	int nmounts;
	char *cgroups_path;
	int unshare_flags; /* CLONE_NEWNS/UTS/IPC asked for */
	bool caps_given;
	unsigned long long caps_eff, caps_bnd;
	bool wasm_annotated; /* run.oci.handler / module.wasm.image/variant */
	void *annotations;   /* cJSON object or NULL */
	void *json;	     /* the whole document */
};

/* Reads BUNDLE/config.json. 0, or 1 after printing why. */
int ocirt_spec_load(struct ocirt_spec *s, const char *bundle);
void ocirt_spec_free(struct ocirt_spec *s);
/* Opens args[0] inside the root (symlinks cannot leave it): an fd or -1
 * with errno set. */
int ocirt_spec_open_module(const struct ocirt_spec *s);
/* Whether the module file starts with the Wasm magic. */
bool ocirt_spec_is_wasm(const struct ocirt_spec *s);
/* 0 if the capabilities let the guest load eBPF, else 1 after saying
 * which are missing. */
int ocirt_spec_check_caps(const struct ocirt_spec *s);

/* ---- a container's directory under --root (state.c) ---- */
/* "creating" is never seen: state.json is written once set up. */
enum ocirt_status {
	OCIRT_CREATED,
	OCIRT_RUNNING,
	OCIRT_STOPPED,
};

struct ocirt_state {
	char id[256];
	char dir[4096];	   /* ROOT/ID */
	char bundle[4096];
	pid_t pid;
	unsigned long long start_time; /* /proc/PID/stat field 22 */
	char created[64];
	char *annotations; /* JSON text or NULL */
	char cgroup[4096]; /* the path joined, "" if none */
};

/* An id runc would accept; 1 after an error line otherwise. */
int ocirt_check_id(const char *id);
void ocirt_state_dir(struct ocirt_state *st, const char *id);
/* 0, or 1 after "container ID does not exist" (or a read error). */
int ocirt_state_load(struct ocirt_state *st, const char *id);
int ocirt_state_save(const struct ocirt_state *st);
enum ocirt_status ocirt_state_status(const struct ocirt_state *st);
const char *ocirt_status_name(enum ocirt_status s);
unsigned long long ocirt_proc_start_time(pid_t pid);
/* Removes ROOT/ID and the cgroup directories made for it. */
void ocirt_state_remove(const struct ocirt_state *st);
/* mkdir -p; 0 or -1 with errno. */
int ocirt_mkdir_p(const char *path, mode_t mode);
/* A JSON file as a cJSON document, or NULL with errno (EINVAL: not
 * JSON). */
void *ocirt_read_json(const char *path);
/* Writes text to path by a rename, so readers see old or new. */
int ocirt_write_atomic(const char *path, const char *text);

/* ---- cgroups (cgroup.c) ---- */
/* linux.cgroupsPath relative to each hierarchy ("" if none); with
 * --systemd-cgroup, path is slice:prefix:name. 0 or 1 after an error. */
int ocirt_cgroup_path(const char *path, char *out, size_t outsz);
/* Moves pid into rel (v2, or every v1 hierarchy). 0 or 1 after an error
 * line. */
int ocirt_cgroup_join(const char *rel, pid_t pid);
void ocirt_cgroup_remove(const char *rel);

/* ---- commands ---- */
int ocirt_create(int argc, char **argv);
int ocirt_start(int argc, char **argv);
int ocirt_state_cmd(int argc, char **argv);
int ocirt_kill(int argc, char **argv);
int ocirt_delete(int argc, char **argv);
int ocirt_features(void);
/* The container process: set up from the spec, wait for `start`, run the
 * module; never returns. ready gets byte 0 once set up, 1 on a failure
 * (said on stderr and in --log). */
void ocirt_init(struct ocirt_spec *s, const struct ocirt_state *st,
		const char *console, int ready, int fifo_dir_fd,
		int preserve_fds) __attribute__((noreturn));

/* ---- runc/crun for images that are not Wasm (delegate.c) ---- */
/* Whether ID was handed on; then never returns (execs the delegate). */
void ocirt_delegate_if_theirs(char **argv, const char *id);
/* Execs runc or crun with argv; returns 1 after an error if none. */
int ocirt_delegate(char **argv, const char *why);
/* The global flags as given, kept to hand them on. */
void ocirt_delegate_keep_globals(int argc, char **argv, int nglobal);

#endif
