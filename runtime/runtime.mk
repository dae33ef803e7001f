# runtime/ — the embedding library (libwasm-bpf.a) and the wasm-bpf command.
# The command links every layer: runtime, bpf host, gen, WASI, engine.
RUNTIME_LIB_SRCS := runtime/wasm_bpf.c runtime/upstream.c runtime/procfs.c \
		    runtime/codecache.c
RUNTIME_LIB_OBJS := $(RUNTIME_LIB_SRCS:%.c=$(OBJ)/%.o)
RUNTIME_LIB      := $(LIBDIR)/libwasm-bpf.a
RUNTIME_BIN      := $(BINDIR)/wasm-bpf
BPF_HOST_LIB     ?= $(LIBDIR)/libwasm-bpf-host.a
POLICY_LIB       ?= $(LIBDIR)/libwasm-bpf-policy.a
GEN_LIB          ?= $(LIBDIR)/libwasm-bpf-gen.a
WASI_LIB         ?= $(LIBDIR)/libwasm-wasi.a
OCI_LIB          ?= $(LIBDIR)/libwasm-bpf-oci.a
# The subcommands (check, push, pull, ...) and run's --policy: CLI only.
RUNTIME_CMD_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(wildcard runtime/cmd_*.c)) \
		    $(OBJ)/runtime/cli_policy.o

$(RUNTIME_LIB): $(RUNTIME_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# The help texts, deflated at build time (runtime/cmd_help.h).
HELP_GEN := $(BUILD)/gen/help_text
HELP_Z   := $(OBJ)/gen/help_z.o
$(HELP_GEN): runtime/help_text.c runtime/cmd_help.h runtime/cmd.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ -lz
$(BUILD)/gen/help_z.c: $(HELP_GEN)
	$(HELP_GEN) > $@.tmp && mv $@.tmp $@
$(HELP_Z): $(BUILD)/gen/help_z.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Archive order matters: each library before the ones it calls into.
RUNTIME_MAIN_OBJS := $(OBJ)/runtime/main.o $(RUNTIME_CMD_OBJS)
RUNTIME_LINK_LIBS := $(RUNTIME_LIB) $(OCI_LIB) $(GEN_LIB) $(POLICY_LIB) \
		     $(BPF_HOST_LIB) $(WASI_LIB) $(ENGINE_LIB)
# Or all of them in one, the run-once code optimised across files
# (Makefile, WASM_BPF_LTO_LIB).
ifneq ($(WASM_BPF_LTO_LIB),)
RUNTIME_MAIN_OBJS := $(subst $(OBJ)/,$(OBJ)/lto/,$(RUNTIME_MAIN_OBJS))
RUNTIME_LINK_LIBS := $(WASM_BPF_LTO_LIB)
endif
RUNTIME_MAIN_OBJS += $(HELP_Z)
$(RUNTIME_BIN): $(RUNTIME_MAIN_OBJS) $(RUNTIME_LINK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(WASM_BPF_LTO_LDFLAGS) -o $@ $(RUNTIME_MAIN_OBJS) \
		$(RUNTIME_LINK_LIBS) $(LDLIBS_POLICY) \
		$(LDLIBS_BPF) $(LDLIBS_JSON) $(LDLIBS_OCI) -lm -lpthread

all: $(RUNTIME_LIB) $(RUNTIME_BIN)
