/* guest.c — the policy suite's guest, with rules.bpf.o embedded
 * (rules_obj.h, generated at build time). argv[1]:
 *   load         load, attach wpol_exec by its section, wait for an exec
 *   target TP    load, attach wpol_exec to tracepoint TP
 *   cgroup       load, attach wpol_sock to the cgroup preopened as fd 3
 *   cgpath DIR   load, attach wpol_sock to the cgroup at host path DIR
 *   idle         load, attach wpol_exec, then wait until stopped
 *   count        load, attach wpol_exec, count the records delivered
 *                until stopped, then print "delivered N" (and "produced
 *                N", the object's own count, if it keeps one)
 * It prints what happened ("refused", "attach refused N", "attached",
 * "event") and lingers a moment after a refusal so the suite can count
 * what is in the kernel meanwhile.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "rules_obj.h"
#include "wasm_bpf_imports.h"

static int got;

static int on_event(void *ctx, void *data, unsigned size)
{
	got++;
	return 0;
}

static void say(const char *s, int n)
{
	printf(s, n);
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static char buf[64];
	uint64_t obj;
	int r;

	if (argc < 2)
		return 2;
	obj = wasm_load_bpf_object((void *)rules_obj, sizeof(rules_obj));
	if (!obj) {
		say("refused", 0);
		usleep(1500 * 1000);
		return 3;
	}
	if (!strcmp(argv[1], "cgroup"))
		r = wasm_attach_bpf_program_fd(obj, "wpol_sock", 3);
	else if (!strcmp(argv[1], "cgpath") && argc > 2)
		r = wasm_attach_bpf_program(obj, "wpol_sock", argv[2]);
	else
		r = wasm_attach_bpf_program(obj, "wpol_exec",
					    argc > 2 ? argv[2] : NULL);
	if (r) {
		say("attach refused %d", r);
		usleep(1500 * 1000);
		return 4;
	}
	say("attached", 0);
	/* until a graceful stop makes the poll return -EINTR */
	while (!strcmp(argv[1], "count") &&
	       wasm_bpf_buffer_poll(obj, wasm_bpf_map_fd_by_name(obj, "events"),
				    (int32_t)(intptr_t)on_event, NULL, buf,
				    sizeof(buf), 100) >= 0)
		;
	if (!strcmp(argv[1], "count")) {
		uint32_t k = 0;
		uint64_t n = 0;
		int fd = wasm_bpf_map_fd_by_name(obj, "produced");

		say("delivered %d", got);
		/* flood.bpf.o counts what it wrote (BPF_MAP_LOOKUP_ELEM) */
		if (fd >= 0 && !wasm_bpf_map_operate(fd, 1, &k, &n, NULL, 0))
			say("produced %d", (int)n);
		return 0;
	}
	while (!strcmp(argv[1], "idle"))
		wasm_bpf_buffer_poll(
		    obj, wasm_bpf_map_fd_by_name(obj, "events"),
		    (int32_t)(intptr_t)on_event, NULL, buf, sizeof(buf), 1000);
	if (strcmp(argv[1], "load"))
		return 0;
	for (int i = 0; i < 50 && !got; i++)
		wasm_bpf_buffer_poll(
		    obj, wasm_bpf_map_fd_by_name(obj, "events"),
		    (int32_t)(intptr_t)on_event, NULL, buf, sizeof(buf), 100);
	say(got ? "event" : "no event", 0);
	return got ? 0 : 5;
}
