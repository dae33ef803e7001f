/* wasm-bpf/program.h — bpf_program__* and bpf_link__* for wasm32 guests.
 *
 * Attaching goes through the host by program name plus a target string
 * (empty: by section name, as libbpf's bpf_program__attach()), or a
 * descriptor. The host owns the kernel links and releases them when the
 * object is closed; a guest bpf_link only records that the attach worked.
 * autoload=false reaches the host through the object's bytes: the
 * program's section is renamed "?<name>", which libbpf does not load.
 */
#ifndef WASM_BPF_PROGRAM_H
#define WASM_BPF_PROGRAM_H

static inline const char *bpf_program__name(const struct bpf_program *prog)
{
	return prog ? prog->name : NULL;
}

static inline const char *
bpf_program__section_name(const struct bpf_program *prog)
{
	return prog ? prog->sec : NULL;
}

static inline int bpf_program__set_autoload(struct bpf_program *prog,
					    bool autoload)
{
	if (!prog || prog->obj->handle)
		return wbpf__ret(-EINVAL); /* libbpf: only before load */
	prog->autoload = autoload;
	prog->obj->hide = wbpf_elf_hide_sections;
	return 0;
}

static inline bool bpf_program__autoload(const struct bpf_program *prog)
{
	return prog->autoload;
}

static inline void bpf_program__set_autoattach(struct bpf_program *prog,
					       bool autoattach)
{
	prog->autoattach = autoattach;
}

static inline bool bpf_program__autoattach(const struct bpf_program *prog)
{
	return prog->autoattach;
}

static inline int wbpf__set_target(struct bpf_program *prog, const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (!prog || n >= sizeof(prog->attach_target))
		return wbpf__ret(-EINVAL);
	memcpy(prog->attach_target, t ? t : "", n + 1);
	return 0;
}

/* libbpf's signature; the function name becomes the host's attach target
 * (an interface for XDP/TC, "binary:func" for uprobes, "cat:name" for
 * tracepoints, a kernel function for kprobes). */
static inline int bpf_program__set_attach_target(struct bpf_program *prog,
						 int attach_prog_fd,
						 const char *attach_func_name)
{
	if (attach_prog_fd > 0)
		return wbpf__ret(-EOPNOTSUPP);
	return wbpf__set_target(prog, attach_func_name);
}

/* Upstream wasm-bpf's name for the same. */
static inline void bpf_set_prog_attach_target(struct bpf_program *prog,
					      const char *attach_target)
{
	wbpf__set_target(prog, attach_target);
}

static inline struct bpf_link *wbpf__link(struct bpf_program *prog, int ret)
{
	struct bpf_link *link;

	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	link = (struct bpf_link *)calloc(1, sizeof(*link));
	if (!link) {
		errno = ENOMEM;
		return NULL;
	}
	link->prog = prog;
	link->id = ret;
	return link;
}

static inline int wbpf__prog_ready(const struct bpf_program *prog)
{
	if (!prog)
		return -EINVAL;
	if (!prog->obj->handle)
		return -EINVAL; /* attach needs a loaded object */
	if (!prog->autoload)
		return -ENOENT; /* libbpf: not loaded, so nothing to attach */
	return 0;
}

static inline struct bpf_link *wbpf__attach_target(struct bpf_program *prog,
						   const char *target)
{
	int err = wbpf__prog_ready(prog);

	if (err)
		return wbpf__link(prog, err);
	return wbpf__link(prog, wbpf__host(wasm_attach_bpf_program(
				    prog->obj->handle, prog->name, target)));
}

static inline struct bpf_link *bpf_program__attach(struct bpf_program *prog)
{
	if (!prog)
		return wbpf__link(prog, -EINVAL);
	return wbpf__attach_target(
	    prog, prog->attach_target[0] ? prog->attach_target : NULL);
}

/* `fd` is a WASI descriptor: a cgroup directory under a preopened dir. */
static inline struct bpf_link *
bpf_program__attach_cgroup(struct bpf_program *prog, int cgroup_fd)
{
	int err = wbpf__prog_ready(prog);

	if (err)
		return wbpf__link(prog, err);
	return wbpf__link(prog, wbpf__host(wasm_attach_bpf_program_fd(
				    prog->obj->handle, prog->name, cgroup_fd)));
}

static inline struct bpf_link *
bpf_program__attach_tracepoint(struct bpf_program *prog, const char *category,
			       const char *name)
{
	char t[128];

	if (snprintf(t, sizeof(t), "%s:%s", category, name) >= (int)sizeof(t))
		return wbpf__link(prog, -EINVAL);
	return wbpf__attach_target(prog, t);
}

static inline struct bpf_link *
bpf_program__attach_raw_tracepoint(struct bpf_program *prog,
				   const char *tp_name)
{
	return wbpf__attach_target(prog, tp_name);
}

/* The probe kind (kprobe or kretprobe) comes from the section name. */
static inline struct bpf_link *
bpf_program__attach_kprobe(struct bpf_program *prog, bool retprobe,
			   const char *func_name)
{
	(void)retprobe;
	return wbpf__attach_target(prog, func_name);
}

/* wasm-bpf extension, also in the native shim: attach to a target string
 * as the host understands it (interface, "binary:func", "cat:name", kernel
 * function), whatever the program type. */
static inline struct bpf_link *
wbpf_program__attach_target(struct bpf_program *prog, const char *target)
{
	return wbpf__attach_target(prog, target);
}

/* wasm-bpf extension: attach to a descriptor (cgroup directory, socket,
 * network namespace) the guest holds; 0 or -errno. The attachment lasts
 * until the object is closed. */
static inline int wbpf_program__attach_fd(struct bpf_program *prog, int fd)
{
	int err = wbpf__prog_ready(prog);

	if (err)
		return wbpf__ret(err);
	return wbpf__host(
	    wasm_attach_bpf_program_fd(prog->obj->handle, prog->name, fd));
}

/* By interface name: the guest has no ifindex (wasm-bpf extension). */
static inline struct bpf_link *
bpf_program__attach_xdp_ifname(struct bpf_program *prog, const char *ifname)
{
	return wbpf__attach_target(prog, ifname);
}

static inline int bpf_program__fd(const struct bpf_program *prog)
{
	(void)prog; /* program fds stay in the host */
	return wbpf__ret(-EOPNOTSUPP);
}

/* Forgets the link; the program stays attached until the object closes,
 * as the host has no per-link detach import. */
static inline int bpf_link__destroy(struct bpf_link *link)
{
	free(link);
	return 0;
}

/* Sections libbpf attaches by itself (its SEC_ATTACHABLE definitions with
 * an argument); anything else (socket, xdp, sockops, cgroup, tc...) needs a
 * target, and libbpf's skeleton attach skips it. */
static inline bool wbpf__sec_autoattaches(const char *sec)
{
	static const char *const pfx[] = {
	    "tp/",
	    "tracepoint/",
	    "raw_tp/",
	    "raw_tracepoint/",
	    "raw_tp.w/",
	    "raw_tracepoint.w/",
	    "tp_btf/",
	    "fentry/",
	    "fexit/",
	    "fmod_ret/",
	    "fentry.s/",
	    "fexit.s/",
	    "fmod_ret.s/",
	    "lsm/",
	    "lsm.s/",
	    "kprobe/",
	    "kretprobe/",
	    "ksyscall/",
	    "kretsyscall/",
	    "kprobe.multi/",
	    "kretprobe.multi/",
	    "uprobe/",
	    "uretprobe/",
	    "uprobe.s/",
	    "uretprobe.s/",
	    "usdt/",
	    "iter/",
	    "iter.s/",
	};

	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (!strncmp(sec, pfx[i], strlen(pfx[i])))
			return true;
	return false;
}

#endif
