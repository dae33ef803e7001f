# engine/ — the WebAssembly engine library (decode, validate, translate, run).
ENGINE_SRCS := $(filter-out engine/fuzz_%.c,$(wildcard engine/*.c))
ENGINE_OBJS := $(ENGINE_SRCS:%.c=$(OBJ)/%.o)
ENGINE_LIB  := $(LIBDIR)/libwasm-engine.a

$(ENGINE_LIB): $(ENGINE_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

all: $(ENGINE_LIB)

# Decoder and validator alone, for tests and fuzzing: they depend on nothing
# else in the engine.
ENGINE_CHECK_SRCS := engine/leb.c engine/decode.c engine/validate.c
ENGINE_CHECK_OBJS := $(ENGINE_CHECK_SRCS:%.c=$(OBJ)/%.o)

# Test-only tool: wasm-validate-only FILE.wasm prints "ok" or the error.
$(BINDIR)/wasm-validate-only: $(OBJ)/engine/tests/validate_main.o $(ENGINE_CHECK_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ -lpthread

all: $(BINDIR)/wasm-validate-only

# libFuzzer target over decode + validate (clang with libclang-rt-14-dev).
FUZZ_CC ?= clang
build-fuzz/fuzz_decode: engine/fuzz_decode.c $(ENGINE_CHECK_SRCS) engine/module.h engine/wasm.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 $(WARN) -g -O1 -I. -Iengine -D_GNU_SOURCE \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  engine/fuzz_decode.c $(ENGINE_CHECK_SRCS) -o $@ -lpthread

fuzz: build-fuzz/fuzz_decode

# libFuzzer target over the whole engine: load, instantiate, run exports
# under fuel and a memory cap.
ENGINE_ALL_SRCS := $(filter-out engine/fuzz_%.c,$(wildcard engine/*.c))
# fuzz_run: run every export; fuzz_diff: the same in both tiers, which must
# agree (the interpreter against the compiling tier); fuzz_code: saved
# compiled code loads back, and damaged copies are refused safely.
ENGINE_RUN_FUZZ := build-fuzz/fuzz_run build-fuzz/fuzz_diff build-fuzz/fuzz_code
$(ENGINE_RUN_FUZZ): build-fuzz/%: engine/%.c engine/fuzz_stubs.c $(ENGINE_ALL_SRCS) $(wildcard engine/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 $(WARN) -g -O1 -I. -Iengine -D_GNU_SOURCE \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  engine/$*.c engine/fuzz_stubs.c $(ENGINE_ALL_SRCS) -o $@ -lpthread -lm

fuzz: $(ENGINE_RUN_FUZZ)

# Embedding-API tests (interrupts, fuel, re-entry, limits, messages).
$(BINDIR)/wasm-api-test: $(OBJ)/engine/tests/api_test.o $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ -lpthread -lm

all: $(BINDIR)/wasm-api-test
