# examples/ — example wasm-bpf applications, each built three ways from
# examples/NAME/: NAME.bpf.o, the wasm32 guest NAME.wasm and a native
# NAME.native against libbpf (same NAME.c), all under $(BUILD)/examples/NAME.
# They need clang's BPF target and the running kernel's BTF; `make examples`
# builds them, `make all` too when that BTF exists.
include sdk/wasm-bpf.mk

EXAMPLES      := bootstrap execve opensnoop runqlat sockfilter sockops \
		 uprobe xdp lsm kprobe tcpconnlat
EX_OUT        := $(BUILD)/examples
EX_VMLINUX    := $(EX_OUT)/vmlinux.h
WBPF_GEN      := $(GEN_BIN)
WBPF_GEN_DEP  := $(GEN_BIN)

# Types each guest reads from its BPF side (`wasm-bpf gen types`).
EX_TYPES_bootstrap  := event
EX_TYPES_execve     := comm_event
EX_TYPES_opensnoop  := event
EX_TYPES_runqlat    := hist
EX_TYPES_sockfilter := so_event
EX_TYPES_sockops    := conn_event
EX_TYPES_uprobe     := probe_event
EX_TYPES_xdp        := counter
EX_TYPES_lsm        :=
EX_TYPES_kprobe     := event
EX_TYPES_tcpconnlat := event

$(eval $(call wbpf_vmlinux,$(EX_VMLINUX)))
$(foreach e,$(EXAMPLES),$(if $(wildcard examples/$(e)/$(e).bpf.c),$(eval \
	$(call wbpf_app,$(e),examples/$(e),$(EX_OUT)/$(e),$(EX_TYPES_$(e)),$(EX_EXTRA_$(e)),$(EX_VMLINUX)))))

EX_BUILT   := $(foreach e,$(EXAMPLES),$(if $(wildcard examples/$(e)/$(e).bpf.c),$(e)))
EX_WASM    := $(foreach e,$(EX_BUILT),$(EX_OUT)/$(e)/$(e).wasm)
EX_NATIVE  := $(foreach e,$(EX_BUILT),$(EX_OUT)/$(e)/$(e).native)
EX_TARGETS := $(EX_WASM) $(EX_NATIVE)

# Helper programs the tests drive (uprobe's target).
EX_HELPERS := $(if $(wildcard examples/uprobe/target.c),$(EX_OUT)/uprobe/target)
$(EX_OUT)/uprobe/target: examples/uprobe/target.c
	@mkdir -p $(@D)
	$(CC) -O0 -g -o $@ $<

.PHONY: examples examples-wasm
examples: $(EX_TARGETS) $(EX_HELPERS)
examples-wasm: $(EX_WASM)
ifneq ($(wildcard /sys/kernel/btf/vmlinux),)
all: examples
endif
