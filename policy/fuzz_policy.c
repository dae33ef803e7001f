/* fuzz_policy.c — libFuzzer target: the policy parser on arbitrary text,
 * and every check of a parsed policy against a fixed set of facts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t helpers[] = {1, 36, 130};
	static char *kfuncs[] = {"bpf_task_acquire"};
	struct bpf_facts_func fn = {.name = "p",
				    .section =
					"tracepoint/sched/sched_process_exec",
				    .is_prog = true,
				    .type = BPF_PROG_TYPE_TRACEPOINT,
				    .kind = BPF_FACTS_TRACEPOINT,
				    .target = "sched:sched_process_exec",
				    .helpers = helpers,
				    .nhelpers = 3,
				    .kfuncs = kfuncs,
				    .nkfuncs = 1};
	struct bpf_facts_map map = {.name = "m",
				    .type = BPF_MAP_TYPE_RINGBUF,
				    .max_entries = 4096,
				    .memory = 4096};
	struct bpf_facts f = {.funcs = &fn,
			      .nfuncs = 1,
			      .maps = &map,
			      .nmaps = 1,
			      .map_memory = 4096,
			      .ringbuf_bytes = 4096};
	const char *dirs[] = {"/tmp"};
	int fds[] = {3};
	uint64_t mem = 0, fuel = 5;
	double timeout = 0;
	struct policy_run run = {&mem, &fuel, &timeout, dirs, 1, fds, 1};
	char err[256], why[512];
	struct policy *p =
	    policy__parse((const char *)data, size, "fuzz", err, sizeof(err));

	if (!p)
		return 0;
	policy__check_object(p, &f, why, sizeof(why));
	policy__check_attach(p, BPF_FACTS_CGROUP, "p", "/sys/fs/cgroup/x", why,
			     sizeof(why));
	policy__check_attach(p, BPF_FACTS_TRACEPOINT, "p", "a/b", why,
			     sizeof(why));
	policy__check_run(p, &run, why, sizeof(why));
	policy__check_image(p, "example.org/a:b", "sha256:00", false, why,
			    sizeof(why));
	policy__free(p);
	return 0;
}
