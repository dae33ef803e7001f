# bpf/ — the `wasm_bpf` host module (libbpf side). The final binary links
# $(BPF_LIB) with $(LDLIBS_BPF); the suite's helpers are built by
# bpf/tests/run.sh, not here.
BPF_SRCS := $(filter-out bpf/fuzz_%.c,$(wildcard bpf/*.c))
BPF_OBJS := $(BPF_SRCS:%.c=$(OBJ)/%.o)
BPF_LIB  := $(LIBDIR)/libwasm-bpf-host.a

# The userspace backend (bpf/user/): maps in shared memory, loader,
# verifier, interpreter, uprobe hooks (the core), and the host functions
# over it, in the same library; linking ubpf_hook.o needs $(LDLIBS_UBPF).
# The agent the backend preloads into spawned processes is a shared
# library of the core.
UBPF_CORE := $(addprefix bpf/user/ubpf_,map.c ring.c load.c verify.c vm.c helpers.c task.c hook.c sym.c)
UBPF_SRCS := $(UBPF_CORE) bpf/user/ubpf_host.c bpf/user/ubpf_inject.c
LDLIBS_UBPF := -lcapstone
UBPF_OBJS := $(UBPF_SRCS:%.c=$(OBJ)/%.o)
$(BPF_LIB): $(UBPF_OBJS)

$(BPF_LIB): $(BPF_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

all: $(BPF_LIB)

# libFuzzer target: the interface against a fake instance (bpf/tests/fake_engine.c).
BPF_FUZZ := build-fuzz/fuzz_bpf_host
$(BPF_FUZZ): bpf/fuzz_bpf_host.c bpf/tests/fake_engine.c $(BPF_SRCS) $(UBPF_SRCS)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -Iengine \
	  -D_GNU_SOURCE $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_UBPF)
# The minimal CO-RE BTF builder (bpf_btfmin.c) on arbitrary .BTF.ext bytes.
BTFMIN_FUZZ := build-fuzz/fuzz_btfmin
$(BTFMIN_FUZZ): bpf/fuzz_btfmin.c bpf/bpf_btfmin.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -Iengine \
	  -D_GNU_SOURCE $^ -o $@ $(LDLIBS_BPF)
fuzz: $(BPF_FUZZ) $(BTFMIN_FUZZ)
# Whole BPF objects through the load path, libbpf and the kernel included
# (each load in a forked child): the BTF checks of bpf_btfcheck.c.
BPFOBJ_FUZZ := build-fuzz/fuzz_bpfobj
$(BPFOBJ_FUZZ): bpf/fuzz_bpfobj.c bpf/tests/fake_engine.c $(BPF_SRCS) $(UBPF_SRCS)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -Iengine \
	  -D_GNU_SOURCE $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_UBPF)
fuzz: $(BPFOBJ_FUZZ)

UBPF_AGENT := $(LIBDIR)/libwasm-bpf-agent.so
$(UBPF_AGENT): bpf/user/ubpf_agent.c bpf/user/ubpf_agent_sys.c $(UBPF_CORE) \
		bpf/user/ubpf.h bpf/user/ubpf_int.h bpf/user/ubpf_agent.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -shared -fvisibility=hidden \
	  $(filter %.c,$^) -o $@ $(LDLIBS_BPF) $(LDLIBS_UBPF) -lpthread -ldl
all: $(UBPF_AGENT)
# Its verifier and VM on arbitrary instruction arrays.
UBPF_FUZZ := build-fuzz/fuzz_ubpf
$(UBPF_FUZZ): bpf/user/fuzz_ubpf.c $(UBPF_CORE)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
	  $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_UBPF)
fuzz: $(UBPF_FUZZ)

# A uprobe's cost per call, kernel against userspace backend (root).
UBPF_BENCH := $(BUILD)/ubpf/bench-uprobe
$(UBPF_BENCH): bpf/user/bench_uprobe.c $(UBPF_CORE:%.c=$(OBJ)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_UBPF)
.PHONY: bench-uprobe
bench-uprobe: $(UBPF_BENCH) all
	$(UBPF_BENCH) $(BUILD)/examples/uprobe/uprobe.bpf.o uprobe_add events
