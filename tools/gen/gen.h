/* gen.h — `wasm-bpf gen`: skeleton and type headers for wasm32 guests,
 * generated from a BPF object's BTF through libbpf. */
#ifndef WASM_BPF_GEN_H
#define WASM_BPF_GEN_H

/* argv[0] is "gen"; returns the process exit status. */
int wbpf_gen_main(int argc, char **argv);

#endif
