/* bpf_attach.c — attaching a guest's programs and undoing it: libbpf auto
 * attach, the explicit targets a guest may name by string (see README.md:
 * interfaces, kernel functions, tracepoints, absolute binary paths, cgroup
 * paths when the embedder allows them), and targets it holds as a WASI
 * descriptor (cgroups, sockets, network namespaces). A string that does not
 * parse for its program type is ignored and the program attached by its
 * section, as upstream wasm-bpf does. Every attachment is recorded on its
 * object so closing the object (or freeing the host) leaves nothing in the
 * kernel.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_internal.h"
#include "wasi/wasi.h"

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif
#ifndef SO_DETACH_BPF
#define SO_DETACH_BPF SO_DETACH_FILTER
#endif

static struct bh_attach *att_new(struct bh_object *o, enum bh_attach_kind k)
{
	struct bh_attach *a;

	if (o->natt == o->capatt) {
		size_t cap = o->capatt ? o->capatt * 2 : 4;
		void *p = realloc(o->att, cap * sizeof(*o->att));

		if (!p)
			return NULL;
		o->att = p;
		o->capatt = cap;
	}
	a = &o->att[o->natt];
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->sock_fd = -1;
	return a;
}

/* Records a link libbpf returned (NULL with errno on failure). */
static int keep_link(struct bh_object *o, struct bpf_link *link)
{
	struct bh_attach *a;

	if (!link)
		return errno ? -errno : -EINVAL;
	a = att_new(o, BH_LINK);
	if (!a) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	a->link = link;
	o->natt++;
	return 0;
}

static void detach_one(struct bh_attach *a)
{
	switch (a->kind) {
	case BH_LINK:
		bpf_link__destroy(a->link);
		break;
	case BH_TC:
		a->tc.prog_fd = a->tc.flags = a->tc.prog_id = 0;
		bpf_tc_detach(&a->hook, &a->tc);
		if (a->hook_created) {
			a->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&a->hook);
		}
		break;
	case BH_SOCK_FILTER:
		setsockopt(a->sock_fd, SOL_SOCKET, SO_DETACH_BPF, NULL, 0);
		close(a->sock_fd);
		break;
	case BH_FD_LINK:
		close(a->sock_fd);
		break;
	}
}

void bh_detach_all(struct bh_object *o)
{
	/* Newest first, so a tc filter goes before the qdisc it sits on. */
	while (o->natt)
		detach_one(&o->att[--o->natt]);
	free(o->att);
	o->att = NULL;
	o->capatt = 0;
}

/* ---- string targets ---------------------------------------------------- */

/* A parser's answer for a string that is not a target of its program type
 * at all (as opposed to a target that names something missing): the
 * program is then attached by its section, the string ignored. */
#define BH_NOPARSE 1

static int ifindex_of(const char *name)
{
	unsigned int idx;

	if (!name[0] || strlen(name) >= IF_NAMESIZE)
		return -EINVAL;
	idx = if_nametoindex(name);
	return idx ? (int)idx : -ENODEV;
}

/* "IFNAME" or "IFNAME:ingress" / "IFNAME:egress". */
static int parse_tc_target(const char *target, int *ifindex, bool *egress)
{
	char ifname[IF_NAMESIZE + 8];
	const char *colon = strchr(target, ':');

	if (strlen(target) >= sizeof(ifname))
		return BH_NOPARSE;
	strcpy(ifname, target);
	if (colon)
		ifname[colon - target] = 0;
	*egress = colon && !strcmp(colon, ":egress");
	if (colon && !*egress && strcmp(colon, ":ingress"))
		return BH_NOPARSE;
	*ifindex = ifindex_of(ifname);
	if (*ifindex == -EINVAL)
		return BH_NOPARSE;
	return *ifindex < 0 ? *ifindex : 0;
}

/* tcx (Linux 6.6): a real link, so it also goes away if the runtime is
 * killed. libbpf 1.1 knows neither the attach types nor a link object for
 * them: raw bpf_link_create, and the fd is ours. -EINVAL: no tcx. */
#define BH_TCX_INGRESS 46
#define BH_TCX_EGRESS  47

static int attach_tcx(struct bh_object *o, struct bpf_program *p, int idx,
		      bool egress)
{
	struct bh_attach *a = att_new(o, BH_FD_LINK);
	int fd;

	if (!a)
		return -ENOMEM;
	fd = bpf_link_create(bpf_program__fd(p), idx,
			     egress ? BH_TCX_EGRESS : BH_TCX_INGRESS, NULL);
	if (fd < 0)
		return fd;
	a->sock_fd = fd;
	o->natt++;
	return 0;
}

/* Older kernels: a filter on the clsact qdisc (made here if missing, and
 * then removed again on detach). */
static int attach_tc_netlink(struct bh_object *o, struct bpf_program *p,
			     int idx, bool egress)
{
	struct bh_attach *a = att_new(o, BH_TC);
	int err;

	if (!a)
		return -ENOMEM;
	a->hook.sz = sizeof(a->hook);
	a->hook.ifindex = idx;
	a->hook.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
	err = bpf_tc_hook_create(&a->hook);
	if (err && err != -EEXIST)
		return err;
	a->hook_created = !err;
	a->tc.sz = sizeof(a->tc);
	a->tc.prog_fd = bpf_program__fd(p);
	err = bpf_tc_attach(&a->hook, &a->tc);
	if (!err) {
		o->natt++;
		return 0;
	}
	if (a->hook_created) {
		a->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&a->hook);
	}
	return err;
}

static int attach_tc(struct bh_object *o, struct bpf_program *p,
		     const char *target)
{
	bool egress;
	int idx, err;

	err = parse_tc_target(target, &idx, &egress);
	if (err)
		return err; /* BH_NOPARSE too */
	err = attach_tcx(o, p, idx, egress);
	if (err != -EINVAL)
		return err;
	return attach_tc_netlink(o, p, idx, egress);
}

/* Names handed to libbpf end up in tracefs paths and, on kernels without
 * the kprobe/uprobe PMUs, in lines written to kprobe_events/uprobe_events:
 * only symbol characters, so a target can neither walk out of
 * events/ nor add a line of its own. */
static bool is_symbol(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' &&
		    !strchr(extra, *s))
			return false;
	return true;
}

/* A binary the host may open for a uprobe or USDT: an absolute path to a
 * regular file, without blanks or control characters. Anything else is no
 * binary path (BH_NOPARSE): a relative path would resolve against the
 * host's working directory, which the guest neither sees nor controls. */
static int check_binary(const char *path)
{
	struct stat st;

	if (path[0] != '/' || strlen(path) >= PATH_MAX)
		return BH_NOPARSE;
	for (const char *c = path; *c; c++)
		if (!isgraph((unsigned char)*c))
			return BH_NOPARSE;
	if (stat(path, &st))
		return -errno;
	return S_ISREG(st.st_mode) ? 0 : -EINVAL;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Splits "A:B" in place at the last colon (paths may not contain one). */
static char *split_last(char *s)
{
	char *c = strrchr(s, ':');

	if (!c)
		return NULL;
	*c = 0;
	return c + 1;
}

/* "kernel_function" */
static int attach_kprobe(struct bh_object *o, struct bpf_program *p,
			 const char *func, bool ret)
{
	if (!is_symbol(func, "."))
		return BH_NOPARSE;
	return keep_link(o, bpf_program__attach_kprobe(p, ret, func));
}

/* "/abs/binary:provider:name" */
static int attach_usdt(struct bh_object *o, struct bpf_program *p, char *target)
{
	char *name = split_last(target);
	char *provider = name ? split_last(target) : NULL;
	int err;

	if (!provider || !is_symbol(provider, "") || !is_symbol(name, ""))
		return BH_NOPARSE;
	err = check_binary(target);
	if (err)
		return err;
	return keep_link(
	    o, bpf_program__attach_usdt(p, -1, target, provider, name, NULL));
}

/* "/abs/binary:function" */
static int attach_uprobe(struct bh_object *o, struct bpf_program *p,
			 char *target, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret);
	char *func = split_last(target);
	int err;

	if (!func || !is_symbol(func, ".@$"))
		return BH_NOPARSE;
	err = check_binary(target);
	if (err)
		return err;
	uo.func_name = func;
	return keep_link(
	    o, bpf_program__attach_uprobe_opts(p, -1, target, 0, &uo));
}

/* The KPROBE program type covers kprobes, uprobes and USDT: the section
 * says which. */
static int attach_kprobe_kind(struct bh_object *o, struct bpf_program *p,
			      char *target)
{
	const char *sec = bpf_program__section_name(p);

	if (has_prefix(sec, "kprobe") || has_prefix(sec, "kretprobe"))
		return attach_kprobe(o, p, target,
				     has_prefix(sec, "kretprobe"));
	if (has_prefix(sec, "usdt"))
		return attach_usdt(o, p, target);
	if (has_prefix(sec, "uprobe") || has_prefix(sec, "uretprobe"))
		return attach_uprobe(o, p, target,
				     has_prefix(sec, "uretprobe"));
	return BH_NOPARSE; /* ksyscall and friends: by section */
}

/* "category:name" or "category/name". */
static int attach_tp(struct bh_object *o, struct bpf_program *p, char *target)
{
	char *sep = strpbrk(target, ":/");

	if (!sep)
		return BH_NOPARSE;
	*sep = 0;
	if (!is_symbol(target, "") || !is_symbol(sep + 1, ""))
		return BH_NOPARSE;
	return keep_link(o, bpf_program__attach_tracepoint(p, target, sep + 1));
}

static int attach_raw_tp(struct bh_object *o, struct bpf_program *p,
			 const char *target)
{
	if (!is_symbol(target, ""))
		return BH_NOPARSE;
	return keep_link(o, bpf_program__attach_raw_tracepoint(p, target));
}

/* "/sys/fs/cgroup/..." (upstream's sockops passes its cgroup so). The host
 * opens a path the guest names: only when the embedder allows it (the
 * command does for root), and only a cgroup v2 directory. */
static int attach_cgroup_path(struct bpf_host *h, struct bh_object *o,
			      struct bpf_program *p, const char *path)
{
	struct statfs sfs;
	int fd, err;

	if (path[0] != '/')
		return BH_NOPARSE;
	if (!h->cgroup_paths) {
		bh_log(h,
		       "prog '%s': cgroup path targets are not allowed here; "
		       "give the cgroup with --dir and attach by descriptor",
		       bpf_program__name(p));
		return -EPERM;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && !fstatfs(fd, &sfs) &&
	    sfs.f_type == CGROUP2_SUPER_MAGIC) {
		errno = 0;
		err = keep_link(o, bpf_program__attach_cgroup(p, fd));
		close(fd); /* the link holds the cgroup */
		return err;
	}
	err = fd < 0 ? -errno : -ENOTDIR;
	if (fd >= 0)
		close(fd);
	bh_log(h, "prog '%s': %.256s: %s", bpf_program__name(p), path,
	       err == -ENOTDIR ? "not a cgroup v2 directory" : strerror(-err));
	return err;
}

static int attach_target(struct bpf_host *h, struct bh_object *o,
			 struct bpf_program *p, char *target)
{
	int idx;

	errno = 0;
	if (bpf_host__is_cgroup_type(bpf_program__type(p)))
		return attach_cgroup_path(h, o, p, target);
	switch (bpf_program__type(p)) {
	case BPF_PROG_TYPE_XDP:
		idx = ifindex_of(target);
		if (idx < 0)
			return idx;
		return keep_link(o, bpf_program__attach_xdp(p, idx));
	case BPF_PROG_TYPE_SCHED_CLS:
		return attach_tc(o, p, target);
	case BPF_PROG_TYPE_KPROBE:
		return attach_kprobe_kind(o, p, target);
	case BPF_PROG_TYPE_TRACEPOINT:
		return attach_tp(o, p, target);
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		return attach_raw_tp(o, p, target);
	default:
		return BH_NOPARSE;
	}
}

/* By section. The section name comes from the guest's object and reaches
 * the same tracefs paths and event lines as a string target: no blanks or
 * control characters. */
static int attach_auto(struct bh_object *o, struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	for (const char *c = sec; *c; c++)
		if (!isgraph((unsigned char)*c))
			return -EINVAL;
	errno = 0;
	return keep_link(o, bpf_program__attach(p));
}

static const char *prog_type_str(const struct bpf_program *p)
{
	const char *s = libbpf_bpf_prog_type_str(bpf_program__type(p));

	return s ? s : "new";
}

static struct bpf_program *find_prog(struct bh_object *o,
				     struct wasm_instance *inst, uint32_t name,
				     int *err)
{
	const char *s = wasm_instance__mem_str(inst, name, BH_NAME_MAX);
	struct bpf_program *p;

	*err = -EFAULT;
	if (!s)
		return NULL;
	*err = -ENOENT;
	p = bpf_object__find_program_by_name(o->obj, s);
	if (p && bpf_program__fd(p) < 0)
		p = NULL; /* not loaded (autoload off) */
	return p;
}

int bh_attach(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
	      uint32_t name, uint32_t target)
{
	struct bh_object *o = bh_object_find(h, id);
	struct bpf_program *p;
	const char *t = NULL;
	char *copy;
	int err;

	if (!o)
		return -EBADF;
	p = find_prog(o, inst, name, &err);
	if (!p)
		return err;
	if (target) {
		t = wasm_instance__mem_str(inst, target, BH_TARGET_MAX);
		if (!t)
			return -EFAULT;
	}
	err = bh_guard_attach(h, p, t ? t : "", -1);
	if (err)
		return err;
	if (!t || !t[0])
		return attach_auto(o, p);
	copy = strdup(t);
	if (!copy)
		return -ENOMEM;
	err = attach_target(h, o, p, copy);
	free(copy);
	if (err != BH_NOPARSE)
		return err;
	if (h->verbose)
		bh_log(h,
		       "prog '%s': \"%.64s\" is no target of a %s program; "
		       "attached by its section \"%s\" instead, as upstream "
		       "wasm-bpf does",
		       bpf_program__name(p), t, prog_type_str(p),
		       bpf_program__section_name(p));
	return attach_auto(o, p);
}

/* ---- descriptor targets ------------------------------------------------ */

static int attach_socket(struct bh_object *o, struct bpf_program *p, int fd)
{
	int prog_fd = bpf_program__fd(p);
	struct bh_attach *a = att_new(o, BH_SOCK_FILTER);
	int dup_fd;

	if (!a)
		return -ENOMEM;
	/* Our own reference to the socket, so detaching on close still works
	 * after the guest closed its descriptor. */
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return -errno;
	if (setsockopt(dup_fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd,
		       sizeof(prog_fd))) {
		int err = -errno;

		close(dup_fd);
		return err == -ENOTSOCK ? -EBADF : err;
	}
	a->sock_fd = dup_fd;
	o->natt++;
	return 0;
}

int bh_attach_fd(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
		 uint32_t name, int32_t target_fd)
{
	struct bh_object *o = bh_object_find(h, id);
	struct bpf_program *p;
	enum bpf_prog_type t;
	int err, fd;

	if (!o)
		return -EBADF;
	p = find_prog(o, inst, name, &err);
	if (!p)
		return err;
	if (!h->wasi || target_fd < 0)
		return -EBADF;
	fd = wasi_ctx__host_fd(h->wasi, (uint32_t)target_fd);
	if (fd < 0)
		return -EBADF;
	err = bh_guard_attach(h, p, "", fd);
	if (err)
		return err;
	t = bpf_program__type(p);
	errno = 0;
	if (bpf_host__is_cgroup_type(t))
		return keep_link(o, bpf_program__attach_cgroup(p, fd));
	if (t == BPF_PROG_TYPE_SOCKET_FILTER)
		return attach_socket(o, p, fd);
	if (t == BPF_PROG_TYPE_SK_LOOKUP || t == BPF_PROG_TYPE_FLOW_DISSECTOR)
		return keep_link(o, bpf_program__attach_netns(p, fd));
	return -EOPNOTSUPP;
}
