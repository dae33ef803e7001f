/* main.c — standalone `wasm-bpf-gen` for building examples and SDK apps
 * where the full wasm-bpf CLI is not (yet) built; same code as `wasm-bpf gen`.
 */
#include "tools/gen/gen.h"

int main(int argc, char **argv)
{
	argv[0] = "gen";
	return wbpf_gen_main(argc, argv);
}
