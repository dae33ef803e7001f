# tools/gen/ — `wasm-bpf gen` (skeleton and wasm32 type headers) as a
# library the CLI links, plus a standalone wasm-bpf-gen used by the SDK and
# example builds before (or without) the full CLI.
GEN_SRCS := $(wildcard tools/gen/*.c)
GEN_OBJS := $(GEN_SRCS:%.c=$(OBJ)/%.o)
GEN_LIB  := $(LIBDIR)/libwasm-bpf-gen.a
GEN_BIN  := $(BINDIR)/wasm-bpf-gen

$(GEN_LIB): $(GEN_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# The BTF checks come from the bpf host library (bpf/bpf_btfcheck.c).
$(GEN_BIN): $(OBJ)/tools/gen/driver/main.o $(GEN_LIB) $(BPF_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_BPF)

all: $(GEN_LIB) $(GEN_BIN)
