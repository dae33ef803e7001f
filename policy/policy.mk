# policy/ — what a BPF object asks for (bpf_facts), the policy that says
# whether it may, and the finder of BPF objects inside Wasm modules. Above
# bpf/ (it reuses bpf/'s .BTF.ext reader) and the engine (whose decoder
# lays out a module's data), below oci/ and runtime/, which wires it into
# the bpf_host. Links with libbpf, libelf and libyaml.
POLICY_SRCS := $(filter-out policy/fuzz_%.c,$(wildcard policy/*.c))
POLICY_OBJS := $(POLICY_SRCS:%.c=$(OBJ)/%.o)
POLICY_LIB  := $(LIBDIR)/libwasm-bpf-policy.a
LDLIBS_POLICY := -lyaml

$(POLICY_LIB): $(POLICY_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

all: $(POLICY_LIB)

# libFuzzer targets: the policy parser on arbitrary text, and the object
# scanner plus the Wasm embedded-object finder (on the engine) on arbitrary
# bytes.
POLICY_FUZZ := build-fuzz/fuzz_policy build-fuzz/fuzz_bpf_facts
build-fuzz/fuzz_policy: policy/fuzz_policy.c $(filter-out policy/wasm_embed.c,$(POLICY_SRCS)) bpf/bpf_btfmin.c bpf/bpf_objcheck.c bpf/bpf_btfcheck.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -Iengine \
	  -D_GNU_SOURCE $^ -o $@ $(LDLIBS_POLICY) $(LDLIBS_BPF)
build-fuzz/fuzz_bpf_facts: policy/fuzz_bpf_facts.c $(POLICY_SRCS) bpf/bpf_btfmin.c bpf/bpf_objcheck.c bpf/bpf_btfcheck.c $(ENGINE_SRCS)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -Iengine \
	  -D_GNU_SOURCE $^ -o $@ $(LDLIBS_POLICY) $(LDLIBS_BPF) -lm -lpthread
fuzz: $(POLICY_FUZZ)
