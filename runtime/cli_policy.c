/* cli_policy.c — which policy file the command runs under (cmd.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "oci/oci.h"
#include "policy/policy.h"
#include "runtime/cmd.h"
#include "runtime/wasm_bpf.h"

int wbpf_cli_policy(const char *file, struct policy **out)
{
	char err[512];

	*out = NULL;
	if (!file)
		file = getenv("WASM_BPF_POLICY");
	if (!file && access(POLICY_DEFAULT_PATH, F_OK) == 0)
		file = POLICY_DEFAULT_PATH;
	if (!file || !*file)
		return 0;
	*out = policy__load_file(file, err, sizeof(err));
	if (*out)
		return 0;
	fprintf(stderr, "wasm-bpf: policy: %s\n", err);
	return WASM_BPF_EXIT_ERROR;
}

int wbpf_cli_check_run(const struct policy *p, uint64_t *max_memory,
		       uint64_t *fuel, double *timeout, const char **dirs,
		       int ndirs, const char **fds, int nfds)
{
	struct policy_run r = {.max_memory = max_memory,
			       .fuel = fuel,
			       .timeout = timeout,
			       .ndirs = ndirs,
			       .nfds = nfds};
	char **hosts = calloc(ndirs + 1, sizeof(*hosts));
	int *nums = calloc(nfds + 1, sizeof(*nums));
	char why[1024];
	int err = !hosts || !nums;

	for (int i = 0; !err && i < ndirs; i++) {
		hosts[i] = strdup(dirs[i]);
		err = !hosts[i];
		if (!err && strstr(hosts[i], "::"))
			*strstr(hosts[i], "::") = 0;
	}
	for (int i = 0; !err && i < nfds; i++)
		nums[i] = atoi(fds[i]);
	r.dirs = (const char *const *)hosts;
	r.fds = nums;
	if (err)
		fprintf(stderr, "wasm-bpf: out of memory\n");
	else if (policy__check_run(p, &r, why, sizeof(why)))
		fprintf(stderr, "wasm-bpf: %s\n", why), err = 1;
	for (int i = 0; hosts && i < ndirs; i++)
		free(hosts[i]);
	free(hosts);
	free(nums);
	return err ? WASM_BPF_EXIT_ERROR : 0;
}

int wbpf_cli_admit(void *ctx, const char *name, const char *digest,
		   bool verified, struct oci_err *e)
{
	return policy__check_image(ctx, name, digest, verified, e->msg,
				   sizeof(e->msg));
}
