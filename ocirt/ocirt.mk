# ocirt/ — wasm-bpf-oci, the runc-compatible OCI runtime, built on
# runtime/'s library like the daemon.
OCIRT_SRCS := $(wildcard ocirt/*.c)
OCIRT_OBJS := $(OCIRT_SRCS:%.c=$(OBJ)/%.o)
OCIRT_BIN  := $(BINDIR)/wasm-bpf-oci

$(OCIRT_BIN): $(OCIRT_OBJS) $(RUNTIME_LIB) $(GEN_LIB) $(POLICY_LIB) \
		$(BPF_HOST_LIB) $(WASI_LIB) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(OCIRT_OBJS) $(RUNTIME_LIB) $(GEN_LIB) \
		$(POLICY_LIB) $(BPF_HOST_LIB) $(WASI_LIB) $(ENGINE_LIB) \
		$(LDLIBS_POLICY) $(LDLIBS_BPF) $(LDLIBS_JSON) -lm -lpthread

all: $(OCIRT_BIN)

# An image of the bootstrap example for podman/containerd (README:
# Container runtime); IMAGE names it.
IMAGE ?= localhost/wasm-bpf/bootstrap:latest
.PHONY: image-example
image-example: $(BUILD)/examples/bootstrap/bootstrap.wasm
	sh ocirt/build-image.sh $< $(IMAGE)

.PHONY: install-ocirt
install: install-ocirt
install-ocirt: $(OCIRT_BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(OCIRT_BIN) $(DESTDIR)$(PREFIX)/bin/wasm-bpf-oci
