// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lsm.c — forbids rmdir() of directories called NAME while it runs,
 * through a BPF LSM program: lsm NAME [seconds]. Prints how many removals
 * it refused, read from the program's .bss, every second. Needs "bpf" in
 * the kernel's LSM list. Builds as a wasm-bpf guest and natively. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "lsm.skel.h"

int main(int argc, char **argv)
{
	int seconds = argc > 2 ? atoi(argv[2]) : -1;
	unsigned long long last = 0;
	struct lsm_bpf *skel;
	int err;

	if (argc < 2 || argc > 3 || argv[1][0] == '-' ||
	    strlen(argv[1]) >= sizeof(skel->rodata->deny_name)) {
		fprintf(stderr, "Usage: lsm NAME [seconds]\n");
		return 1;
	}
	skel = lsm_bpf__open();
	if (!skel) {
		fprintf(stderr, "Failed to open BPF skeleton\n");
		return 1;
	}
	memcpy((char *)skel->rodata->deny_name, argv[1], strlen(argv[1]) + 1);
	err = lsm_bpf__load(skel);
	if (!err)
		err = lsm_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "Failed to load/attach the LSM program: %s\n",
			strerror(errno));
		goto cleanup;
	}
	printf("Denying rmdir of directories named '%s'\n", argv[1]);
	fflush(stdout);
	while (seconds < 0 || seconds-- > 0) {
		/* Cut short (non-zero) by Ctrl-C: end. */
		if (sleep(1))
			break;
		err = bpf_map__pull_data(skel->maps.bss);
		if (err)
			break;
		if (skel->bss->denied != last) {
			last = skel->bss->denied;
			printf("denied %llu rmdir calls\n", last);
			fflush(stdout);
		}
	}
cleanup:
	lsm_bpf__destroy(skel);
	return err != 0;
}
