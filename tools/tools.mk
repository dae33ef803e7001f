# tools/ — developer and user tools. Each tool keeps its own block below;
# append new tools as new blocks and leave the others alone.

# ---- wasm-spectest (tools/spectest/) ----------------------------------------
# Runs the JSON scripts of wabt's wast2json against the engine: the project's
# own engine/tests/wast/*.wast and the official WebAssembly testsuite
# (tools/spectest/run-official.sh).
SPECTEST_SRCS := $(wildcard tools/spectest/*.c)
SPECTEST_OBJS := $(SPECTEST_SRCS:%.c=$(OBJ)/%.o)
SPECTEST_BIN  := $(BINDIR)/wasm-spectest

$(SPECTEST_BIN): $(SPECTEST_OBJS) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(SPECTEST_OBJS) $(ENGINE_LIB) $(LDLIBS_JSON) -lm

.PHONY: spectest
spectest: $(SPECTEST_BIN)
all: $(SPECTEST_BIN)
# ---- end of wasm-spectest ----------------------------------------------------
-include tools/gen/gen.mk

# ---- wasi-testsuite (tools/wasi-testsuite/) ----------------------------------
# The official WebAssembly wasi-testsuite under build/bin/wasm-bpf:
#   make wasi-testsuite-fetch [WASI_TESTSUITE=DIR]   (needs the network)
#   make wasi-testsuite [WASI_TESTSUITE=DIR]
WASI_TESTSUITE ?= build/wasi-testsuite

.PHONY: wasi-testsuite wasi-testsuite-fetch
wasi-testsuite: $(BINDIR)/wasm-bpf
	python3 tools/wasi-testsuite/run.py --runtime $(BINDIR)/wasm-bpf $(WASI_TESTSUITE)
wasi-testsuite-fetch:
	sh tools/wasi-testsuite/fetch.sh $(WASI_TESTSUITE)
# ---- end of wasi-testsuite ---------------------------------------------------
