/* bpf_backend.c — the backend a BPF object would run on, and why: what
 * the kernel offers (bpf(2) at all, each program's type, probed with
 * libbpf) against what the userspace backend attaches and its verifier
 * accepts (bpf/user/ubpf_host.h). Nothing is loaded or kept.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_backend.h"
#include "bpf/bpf_btfcheck.h"
#include "bpf/bpf_internal.h"
#include "bpf/user/ubpf_host.h"

const char *bpf_backend__name(enum bpf_backend_kind k)
{
	return k == BPF_BACKEND_KERNEL ? "kernel"
	       : k == BPF_BACKEND_USER ? "user"
				       : "none";
}

/* Types attached by BTF id: libbpf's probe loads no target for them, so
 * the kernel's verifier decides at load. */
static bool by_btf_id(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_LSM ||
	       t == BPF_PROG_TYPE_EXT || t == BPF_PROG_TYPE_STRUCT_OPS;
}

/* Whether bpf(2) loads a program here at all: under a seccomp filter,
 * without privileges or with kernel.unprivileged_bpf_disabled it fails. */
static int kernel_works(char *why, size_t n)
{
	const struct bpf_insn ret0[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
	    {.code = BPF_JMP | BPF_EXIT}};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", ret0,
			       2, NULL);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	snprintf(why, n, "bpf(2) does not load programs here (%s)",
		 strerror(-fd));
	return -1;
}

static bool kernel_runs(const struct bpf_program *p, bool works,
			const char *no_bpf, char *why, size_t n)
{
	enum bpf_prog_type t = bpf_program__type(p);
	const char *ts = libbpf_bpf_prog_type_str(t);
	int r;

	if (!works) {
		snprintf(why, n, "%s", no_bpf);
		return false;
	}
	if (by_btf_id(t)) {
		snprintf(why, n, "%s program (the kernel's verifier decides)",
			 ts ? ts : "?");
		return true;
	}
	r = libbpf_probe_bpf_prog_type(t, NULL);
	snprintf(why, n,
		 r > 0	  ? "the kernel runs %s programs"
		 : r == 0 ? "the kernel has no %s programs"
			  : "%s programs could not be probed",
		 ts ? ts : "unknown");
	return r > 0;
}

static bool user_runs(const struct bpf_program *p, int vet, const char *vet_why,
		      char *why, size_t n)
{
	const char *sec = bpf_program__section_name(p);

	if (!ubpf_host__attachable(sec)) {
		snprintf(why, n,
			 "the user backend attaches uprobes and the traced "
			 "syscall tracepoints, not '%s'",
			 sec);
		return false;
	}
	if (vet) {
		snprintf(why, n, "user backend: %s", vet_why);
		return false;
	}
	snprintf(why, n, "a %s, run in --spawn's processes",
		 strncmp(sec, "uprobe", 6) && strncmp(sec, "uretprobe", 9)
		     ? "syscall tracepoint"
		     : "uprobe");
	return true;
}

/* Each program's verdict on both backends, then the object's. */
static void decide(struct bpf_backend_plan *pl, const char *mode,
		   const bool *kern, const bool *user, char (*kwhy)[384],
		   char (*uwhy)[384])
{
	bool all_k = true, all_u = true, want_k = strcmp(mode, "user"),
	     want_u = strcmp(mode, "kernel");
	size_t i, bad = pl->nprogs;

	for (i = 0; i < pl->nprogs; i++) {
		all_k &= kern[i];
		all_u &= user[i];
		if (bad == pl->nprogs &&
		    ((want_k && !kern[i] && (!want_u || !user[i])) ||
		     (!want_k && !user[i])))
			bad = i;
	}
	pl->backend = want_k && all_k	? BPF_BACKEND_KERNEL
		      : want_u && all_u ? BPF_BACKEND_USER
					: BPF_BACKEND_NONE;
	for (i = 0; i < pl->nprogs; i++) {
		struct bpf_backend_prog *p = &pl->progs[i];

		p->backend = pl->backend;
		if (pl->backend == BPF_BACKEND_KERNEL)
			snprintf(p->why, sizeof(p->why), "%s", kwhy[i]);
		else if (pl->backend == BPF_BACKEND_USER)
			snprintf(p->why, sizeof(p->why), "%s", uwhy[i]);
		else if (want_k && want_u)
			snprintf(p->why, sizeof(p->why),
				 "kernel: %.180s; user: %.180s", kwhy[i],
				 uwhy[i]);
		else
			snprintf(p->why, sizeof(p->why), "%s",
				 want_k ? kwhy[i] : uwhy[i]);
	}
	if (pl->backend != BPF_BACKEND_NONE)
		snprintf(pl->why, sizeof(pl->why), "%s backend (%s%s%s%s)",
			 bpf_backend__name(pl->backend),
			 pl->nprogs ? "prog '" : "no programs",
			 pl->nprogs ? pl->progs[0].name : "",
			 pl->nprogs ? "': " : "",
			 pl->nprogs ? pl->progs[0].why : "");
	else if (bad < pl->nprogs)
		snprintf(pl->why, sizeof(pl->why), "prog '%s': %s",
			 pl->progs[bad].name, pl->progs[bad].why);
	else /* each program runs somewhere, not all on one backend */
		snprintf(pl->why, sizeof(pl->why),
			 "no backend runs every program (prog '%s': %s)",
			 pl->progs[0].name, pl->progs[0].why);
}

static int fill(struct bpf_backend_plan *pl, struct bpf_object *obj,
		const void *elf, size_t len, const char *mode)
{
	/* vet_why fits in a uwhy entry after user_runs' "user backend: " */
	char no_bpf[128] = "", vet_why[384 - sizeof("user backend: ")] = "";
	char (*kwhy)[384], (*uwhy)[384];
	bool works =
	    strcmp(mode, "user") && !kernel_works(no_bpf, sizeof(no_bpf));
	int vet = strcmp(mode, "kernel")
		      ? ubpf_host__vet(elf, len, vet_why, sizeof(vet_why))
		      : -1;
	struct bpf_program *p;
	bool *kern, *user;
	size_t i = 0;

	bpf_object__for_each_program(p, obj) pl->nprogs++;
	pl->progs = calloc(pl->nprogs + 1, sizeof(*pl->progs));
	kern = calloc(pl->nprogs + 1, 2 * sizeof(bool));
	kwhy = calloc(pl->nprogs + 1, 2 * sizeof(*kwhy));
	if (!pl->progs || !kern || !kwhy) {
		free(kern);
		free(kwhy);
		return -ENOMEM;
	}
	user = kern + pl->nprogs + 1;
	uwhy = kwhy + pl->nprogs + 1;
	bpf_object__for_each_program(p, obj)
	{
		snprintf(pl->progs[i].name, sizeof(pl->progs[i].name), "%s",
			 bpf_program__name(p));
		kern[i] =
		    kernel_runs(p, works, no_bpf, kwhy[i], sizeof(kwhy[i]));
		user[i] = user_runs(p, vet, vet_why, uwhy[i], sizeof(uwhy[i]));
		i++;
	}
	decide(pl, mode, kern, user, kwhy, uwhy);
	free(kern);
	free(kwhy);
	return 0;
}

int bpf_backend__plan(const void *elf, size_t len, const char *mode,
		      struct bpf_backend_plan *pl)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "plan");
	struct bpf_object *obj;
	int err;

	memset(pl, 0, sizeof(*pl));
	mode = mode ? mode : "kernel";
	/* vetted as a load would, before libbpf parses it */
	err = btfcheck__elf(elf, len, pl->why, sizeof(pl->why));
	if (!err && (err = bh_object_check(elf, len)))
		snprintf(pl->why, sizeof(pl->why),
			 "malformed object: a name, symbol or BTF type refers "
			 "to nothing");
	if (err)
		return err;
	obj = bpf_object__open_mem(elf, len, &oo);
	if (!obj) {
		err = -errno;
		snprintf(pl->why, sizeof(pl->why),
			 "cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	err = fill(pl, obj, elf, len, mode);
	bpf_object__close(obj);
	if (err)
		snprintf(pl->why, sizeof(pl->why), "%s", strerror(-err));
	return err;
}

void bpf_backend__plan_free(struct bpf_backend_plan *pl)
{
	free(pl->progs);
	pl->progs = NULL;
	pl->nprogs = 0;
}
