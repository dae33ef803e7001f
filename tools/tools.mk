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
