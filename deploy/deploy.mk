# deploy/ — the daemon's container image (deploy/Containerfile, FROM
# scratch) built with buildah from the tree's binaries; IMAGE_DAEMON
# names it.
IMAGE_DAEMON ?= localhost/wasm-bpf/wasm-bpfd:latest
.PHONY: image
image: $(BINDIR)/wasm-bpfd $(BINDIR)/wasm-bpf examples
	sh deploy/image/build.sh $(BINDIR) $(BUILD)/examples $(BUILD)/image $(IMAGE_DAEMON)
