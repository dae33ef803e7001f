/* spec.c — the bundle's config.json as wasm-bpf-oci uses it: process
 * args/env/cwd/terminal/capabilities, root.path, directory bind mounts
 * (they become preopened directories), the namespaces that apply to a
 * guest, linux.cgroupsPath and the annotations selecting this handler. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ocirt/ocirt.h"

#define CAP_SYS_ADMIN_ 21
#define CAP_PERFMON_   38
#define CAP_BPF_       39

static char *dup_str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? strdup(s) : NULL;
}

/* A JSON array of strings as a NULL-terminated vector; -1 if not one. */
static int str_vec(const cJSON *a, char ***out, int *n)
{
	const cJSON *e;
	int i = 0;

	*n = cJSON_GetArraySize(a);
	*out = calloc(*n + 1, sizeof(char *));
	if (!*out)
		return -1;
	cJSON_ArrayForEach(e, a)
	{
		if (!cJSON_IsString(e))
			return -1;
		(*out)[i++] = strdup(e->valuestring);
	}
	return 0;
}

/* "CAP_BPF" etc. to bits; names this kernel era knows, others ignored. */
static unsigned long long cap_bits(const cJSON *a)
{
	static const char *const names[] = {
	    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
	    "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
	    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
	    "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
	    "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
	    "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND",
	    "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"};
	unsigned long long bits = 0;
	const cJSON *e;
	unsigned i;

	cJSON_ArrayForEach(e, a)
	{
		const char *s = cJSON_GetStringValue(e);
		if (!s || strncmp(s, "CAP_", 4))
			continue;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(s + 4, names[i]))
				bits |= 1ULL << i;
	}
	return bits;
}

static void read_process(struct ocirt_spec *s, const cJSON *p)
{
	const cJSON *caps = cJSON_GetObjectItem(p, "capabilities");

	s->cwd = dup_str(p, "cwd");
	s->terminal = cJSON_IsTrue(cJSON_GetObjectItem(p, "terminal"));
	s->no_new_privs = cJSON_IsTrue(cJSON_GetObjectItem(p, "noNewPrivileges"));
	if (caps) {
		s->caps_given = true;
		s->caps_eff = cap_bits(cJSON_GetObjectItem(caps, "effective"));
		s->caps_bnd = cap_bits(cJSON_GetObjectItem(caps, "bounding"));
	}
}

/* Binds of directories become preopens; files (podman's /etc/hosts and
 * friends) and kernel filesystems have no WASI counterpart. */
static void read_mounts(struct ocirt_spec *s, const cJSON *a)
{
	const cJSON *m, *o;
	struct stat sb;

	s->mounts = calloc(cJSON_GetArraySize(a) + 1, sizeof(*s->mounts));
	if (!s->mounts)
		return;
	cJSON_ArrayForEach(m, a)
	{
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(m, "type"));
		const char *src = cJSON_GetStringValue(cJSON_GetObjectItem(m, "source"));
		const char *dst = cJSON_GetStringValue(cJSON_GetObjectItem(m, "destination"));
		bool bind = type && !strcmp(type, "bind");

		cJSON_ArrayForEach(o, cJSON_GetObjectItem(m, "options"))
		{
			const char *v = cJSON_GetStringValue(o);
			bind |= v && (!strcmp(v, "bind") || !strcmp(v, "rbind"));
		}
		if (!bind || !src || !dst || stat(src, &sb) || !S_ISDIR(sb.st_mode))
			continue;
		s->mounts[s->nmounts].src = strdup(src);
		s->mounts[s->nmounts++].dst = strdup(dst);
	}
}

/* mount, uts and ipc namespaces are made; pid, network, cgroup stay the
 * host's because the guest's eBPF programs observe the host; a user
 * namespace would take away the capabilities bpf(2) needs. */
static int read_namespaces(struct ocirt_spec *s, const cJSON *a)
{
	const cJSON *n;

	cJSON_ArrayForEach(n, a)
	{
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(n, "type"));
		if (!t)
			continue;
		if (!strcmp(t, "user"))
			return ocirt_err("a user namespace is not supported: "
					 "eBPF needs the host's capabilities");
		if (cJSON_GetObjectItem(n, "path"))
			continue; /* joining another container's: not done */
		if (!strcmp(t, "mount"))
			s->unshare_flags |= CLONE_NEWNS;
		else if (!strcmp(t, "uts"))
			s->unshare_flags |= CLONE_NEWUTS;
		else if (!strcmp(t, "ipc"))
			s->unshare_flags |= CLONE_NEWIPC;
	}
	return 0;
}

/* crun's conventions: run.oci.handler=wasm|wasm-smart or
 * module.wasm.image/variant=compat|compat-smart. */
static bool annotated_wasm(const cJSON *ann)
{
	const char *h = cJSON_GetStringValue(cJSON_GetObjectItem(ann, "run.oci.handler"));
	const char *v = cJSON_GetStringValue(
	    cJSON_GetObjectItem(ann, "module.wasm.image/variant"));

	return (h && (!strcmp(h, "wasm") || !strcmp(h, "wasm-smart"))) ||
	       (v && (!strcmp(v, "compat") || !strcmp(v, "compat-smart")));
}

static int read_doc(struct ocirt_spec *s, const cJSON *d, const char *bundle)
{
	const cJSON *p = cJSON_GetObjectItem(d, "process");
	const cJSON *linux_ = cJSON_GetObjectItem(d, "linux");
	const char *root = cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(d, "root"), "path"));
	char buf[8192];

	if (!p || !root)
		return ocirt_err("%s/config.json: no process or root.path", bundle);
	if (str_vec(cJSON_GetObjectItem(p, "args"), &s->args, &s->nargs) ||
	    s->nargs < 1)
		return ocirt_err("%s/config.json: process.args must be a "
				 "non-empty list of strings", bundle);
	if (str_vec(cJSON_GetObjectItem(p, "env"), &s->env, &s->nenv))
		return ocirt_err("%s/config.json: process.env must be a list "
				 "of strings", bundle);
	read_process(s, p);
	if (root[0] == '/')
		snprintf(buf, sizeof(buf), "%s", root);
	else
		snprintf(buf, sizeof(buf), "%s/%s", bundle, root);
	s->root = strdup(buf);
	s->hostname = dup_str(d, "hostname");
	read_mounts(s, cJSON_GetObjectItem(d, "mounts"));
	s->cgroups_path = dup_str(linux_, "cgroupsPath");
	s->annotations = cJSON_GetObjectItem(d, "annotations");
	s->wasm_annotated = annotated_wasm(s->annotations);
	return read_namespaces(s, cJSON_GetObjectItem(linux_, "namespaces"));
}

int ocirt_spec_load(struct ocirt_spec *s, const char *bundle)
{
	char path[4200];

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (!(s->json = ocirt_read_json(path)))
		return ocirt_err("%s: %s", path, errno == EINVAL
						     ? "not valid JSON"
						     : strerror(errno));
	return read_doc(s, s->json, bundle);
}

static void free_vec(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void ocirt_spec_free(struct ocirt_spec *s)
{
	free_vec(s->args);
	free_vec(s->env);
	for (int i = 0; i < s->nmounts; i++) {
		free(s->mounts[i].src);
		free(s->mounts[i].dst);
	}
	free(s->mounts);
	free(s->root);
	free(s->cwd);
	free(s->hostname);
	free(s->cgroups_path);
	cJSON_Delete(s->json);
	memset(s, 0, sizeof(*s));
}

int ocirt_spec_open_module(const struct ocirt_spec *s)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT};
	char rel[4200];
	int root, fd, e;

	/* A relative args[0] is looked up from process.cwd, as execve's
	 * path would be inside the container. */
	if (s->args[0][0] == '/' || !s->cwd)
		snprintf(rel, sizeof(rel), "%s", s->args[0]);
	else
		snprintf(rel, sizeof(rel), "%s/%s", s->cwd, s->args[0]);
	root = open(s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	e = errno;
	close(root);
	errno = e;
	return fd;
}

bool ocirt_spec_is_wasm(const struct ocirt_spec *s)
{
	unsigned char magic[4];
	int fd = ocirt_spec_open_module(s);
	bool yes;

	if (fd < 0)
		return false;
	yes = read(fd, magic, 4) == 4 && !memcmp(magic, "\0asm", 4);
	close(fd);
	return yes;
}

int ocirt_spec_check_caps(const struct ocirt_spec *s)
{
	unsigned long long need = 1ULL << CAP_BPF_ | 1ULL << CAP_PERFMON_;
	unsigned long long have = s->caps_eff & s->caps_bnd;

	if (!s->caps_given)
		return ocirt_err("process.capabilities is missing: the guest "
				 "needs CAP_BPF and CAP_PERFMON (or "
				 "CAP_SYS_ADMIN)");
	if ((have & need) == need || have & 1ULL << CAP_SYS_ADMIN_)
		return 0;
	return ocirt_err("process.capabilities (effective and bounding) lack "
			 "%s%s: eBPF needs them (podman run --cap-add "
			 "bpf,perfmon)",
			 have & 1ULL << CAP_BPF_ ? "" : "CAP_BPF ",
			 have & 1ULL << CAP_PERFMON_ ? "" : "CAP_PERFMON");
}
