/* help_text.c — the command's help texts. A build-time tool, not part of
 * wasm-bpf: it prints them deflated, in the order of enum cmd_help, as
 * the C source of the blob cmd_help.c inflates (cmd_help.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "runtime/cmd.h"
#include "runtime/cmd_help.h"

static const char *const texts[HELP_COUNT] = {
    [HELP_RUN] =
	"Usage: wasm-bpf [run] [OPTIONS] MODULE.wasm|REF [ARGS...]\n"
	"       wasm-bpf [run] [OPTIONS] MODULE.wasm|REF [OPTIONS] -- "
	"[ARGS...]\n"
	"       wasm-bpf check [CHECK OPTIONS] MODULE.wasm|OBJ.bpf.o|REF\n"
	"       wasm-bpf gen [GEN OPTIONS...]\n"
	"       wasm-bpf push|pull|images|rmi|tag|inspect|save|load|login|"
	"logout|sign|verify ...\n"
	"\n"
	"Runs an eBPF control plane compiled to WebAssembly (WASI). "
	"Everything\n"
	"after MODULE.wasm goes to the guest, which sees MODULE.wasm as "
	"argv[0];\n"
	"as with upstream wasm-bpf, options between MODULE.wasm and a "
	"`--` are\n"
	"the runtime's, and the `--` is dropped.\n"
	"\n"
	"Options:\n"
	"  --dir HOST[::GUEST]  give the guest directory HOST, named "
	"GUEST\n"
	"                       (default: HOST); repeatable\n"
	"  --env K=V            set a guest environment variable (--env K "
	"copies\n"
	"                       the host's value); repeatable\n"
	"  --fd N               hand inherited host descriptor N (a "
	"socket, "
	"a\n"
	"                       file) to the guest; it gets the next "
	"number "
	"after\n"
	"                       the --dir preopens; repeatable\n"
	"  --timeout SECONDS    stop the guest (as SIGTERM would) after "
	"SECONDS,\n"
	"                       load included; exit 124 (0: none, the "
	"default)\n"
	"  --stop-timeout SECONDS\n"
	"                       grace period of a stop: the guest's waits "
	"return\n"
	"                       EINTR so it can flush its output and "
	"return; after\n"
	"                       SECONDS (default 5; 0: at once) or a "
	"second "
	"signal it\n"
	"                       is interrupted\n"
	"  --fuel N             trap after about N executed instructions\n"
	"  --max-memory SIZE    cap linear memory (bytes; K, M, G "
	"suffixes; 64K to\n"
	"                       4G; default 256M)\n"
	"  --max-event-rate N   hand the guest at most N ring/perf buffer "
	"records a\n"
	"                       second; the rest are read and counted as "
	"dropped\n"
	"  --event-burst N      records allowed at once above that rate "
	"(default N\n"
	"                       of --max-event-rate: one second's worth)\n"
	"  --btf FILE           kernel BTF for CO-RE if "
	"/sys/kernel/btf/vmlinux\n"
	"                       is missing (no BTF cache then)\n"
	"  --btf-cache DIR      keep the minimal kernel BTF each BPF "
	"object's CO-RE\n"
	"                       needs in DIR, so later runs skip "
	"parsing vmlinux\n"
	"                       BTF (default: $WASM_BPF_CACHE_DIR, "
	"else\n"
	"                       /var/cache/wasm-bpf as root, else\n"
	"                       $XDG_CACHE_HOME/wasm-bpf or "
	"~/.cache/wasm-bpf)\n"
	"  --no-btf-cache       always use the full kernel BTF\n"
	"  --no-code-cache      compile what gets hot, without reading "
	"or keeping\n"
	"                       machine code in the cache directory's "
	"code/\n"
	"  --interp             run the module in the interpreter, not "
	"compiled\n"
	"  --pull POLICY        REF from the store or a registry: always, "
	"missing\n"
	"                       (default) or never\n"
	"  --verify-key PUB     REF must carry a cosign signature by PUB; "
	"repeatable\n"
	"  --force-perfbuf      use perf buffers instead of ring buffers\n"
	"  --no-host-view       no read-only view of the host's tracing "
	"events,\n"
	"                       BTF and CPU directories (given unless "
	"--fd is)\n"
	"  --backend kernel|user|auto\n"
	"                       run BPF programs in the kernel "
	"(default), in the\n"
	"                       userspace backend (uprobes and traced "
	"syscalls of\n"
	"                       --spawn's processes, without bpf(2)), or "
	"in the\n"
	"                       kernel when bpf(2) runs the object's "
	"programs, else\n"
	"                       in userspace when it can (auto)\n"
	"  --spawn \"CMD ARGS\"   start CMD (a shell command) at the "
	"guest's first\n"
	"                       poll, with the user backend's probes; "
	"repeatable\n"
	"  --pid PID            load the user backend's uprobes into "
	"running process\n"
	"                       PID (ptrace) at the guest's first poll; "
	"repeatable\n"
	"  -m, --wrapper-module-name NAME\n"
	"                       import module of TinyGo's poll wrapper\n"
	"                       (default: callback-wrapper)\n"
	"  -c, --callback-export-name NAME\n"
	"                       guest export it calls per record\n"
	"                       (default: go-callback)\n"
	"  --policy FILE        check BPF objects, targets and these "
	"options against\n"
	"                       FILE (default: $WASM_BPF_POLICY, else\n"
	"                       /etc/wasm-bpf/policy.yaml if present)\n"
	"  -v, --verbose        print libbpf and verifier logs\n"
	"  -V, --version        print the version\n"
	"  -h, --help           print this help\n"
	"\n"
	"Exit status: the guest's exit code, also when it returns after "
	"SIGINT or\n"
	"SIGTERM; 0 when a stop had to interrupt it; 124 after --timeout; "
	"125 if\n"
	"the module cannot be loaded or linked; 134 if it trapped or ran "
	"out of\n"
	"fuel; 2 for bad options.\n",
    [HELP_CHECK] =
	"Usage: wasm-bpf check [OPTIONS] MODULE.wasm|OBJ.bpf.o|REF\n"
	"\n"
	"Says, without running the guest, whether it would run on "
	"this kernel\n"
	"and under this policy: the BPF objects it embeds (programs, "
	"helpers,\n"
	"maps, license, CO-RE relocations), its imports, kernel "
	"support, the\n"
	"verifier's verdict (a load without attach) and the "
	"policy's.\n"
	"\n"
	"Options:\n"
	"  --policy FILE   the policy (default as for run)\n"
	"  --btf FILE      kernel BTF for CO-RE\n"
	"  --backend kernel|user|auto\n"
	"                  the backend a run would be given (default "
	"kernel):\n"
	"                  each program's is shown, with the reason\n"
	"  --pull WHEN     an image not stored: missing (default), "
	"always, never,\n"
	"                  as for run\n"
	"  --verify-key PUB  check the image's signature (repeatable)\n"
	"  -o json         one JSON document instead of tables\n"
	"  -v, --verbose   the verifier log of a refused program\n"
	"  -h, --help      print this help\n"
	"\n"
	"Exit status: 0 when everything would run, 1 when not, 2 "
	"for bad\n"
	"options, 125 when the file or image cannot be read.\n",
    [HELP_DAEMON] =
	"usage: wasm-bpf run -d [OPTIONS] MODULE [ARGS]\n"
	"       wasm-bpf ps [-o json]\n"
	"       wasm-bpf declared [-o json]   (wasm-bpfd --plugins-dir)\n"
	"       wasm-bpf logs [-f] [-o json] ID   (-o json: JSON lines)\n"
	"       wasm-bpf stop|pause|resume|rollback ID\n"
	"       wasm-bpf upgrade [--pull always|missing|never] "
	"[--policy FILE] ID MODULE\n"
	"       wasm-bpf stats [-o json] ID\n"
	"  --socket PATH (or $WASM_BPFD_SOCKET): the daemon's socket, "
	"default " WBPF_DAEMON_SOCKET "\n",
};

int main(void)
{
	size_t size = 0, len;
	uLongf zsize;
	char *all;
	unsigned char *z;
	int rc = 1;

	for (int i = 0; i < HELP_COUNT; i++)
		size += strlen(texts[i]) + 1;
	zsize = compressBound(size);
	all = malloc(size);
	z = malloc(zsize);
	if (!all || !z)
		goto out;
	size = 0;
	for (int i = 0; i < HELP_COUNT; i++) {
		len = strlen(texts[i]) + 1;
		memcpy(all + size, texts[i], len);
		size += len;
	}
	if (compress2(z, &zsize, (const Bytef *)all, size, 9) != Z_OK)
		goto out;
	printf("/* Generated by runtime/help_text.c. */\n"
	       "const unsigned long wbpf_help_size = %zu;\n"
	       "const unsigned long wbpf_help_zsize = %lu;\n"
	       "const unsigned char wbpf_help_z[] = {",
	       size, (unsigned long)zsize);
	for (uLongf i = 0; i < zsize; i++)
		printf("%s%u,", i % 16 ? "" : "\n\t", z[i]);
	printf("\n};\n");
	rc = ferror(stdout) ? 1 : 0;
out: /* freed, so the generator runs clean under LeakSanitizer too */
	free(all);
	free(z);
	return rc;
}
