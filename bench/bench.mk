# bench/ — `make bench`: performance evidence (bench/README.md). Part A
# times the engine against native code, Node.js (V8) and wasm2c+gcc on
# compute kernels and measures load throughput; Part B times BPF map
# operations, ring/perf buffers, start-up, size and memory against native
# libbpf. Everything is built under $(BUILD)/bench; bench/run.sh runs it and
# writes bench/results.json. `make bench-smoke` is a few-second run of
# every path (also what bench/tests/run.sh runs).
BENCH_OUT     := $(BUILD)/bench
BENCH_KERNELS := sieve mandel sort calls mix
BENCH_CLANG   ?= clang
BENCH_WASM_CC := $(BENCH_CLANG) --target=wasm32-wasi -O2 -Wall -Wextra
BENCH_W2C_RT  := /usr/share/wabt/wasm2c
BENCH_GENBIG_N ?= 1500

BENCH_K_NATIVE := $(BENCH_KERNELS:%=$(BENCH_OUT)/engine/%.native)
BENCH_K_WASM   := $(BENCH_KERNELS:%=$(BENCH_OUT)/engine/%.wasm)
BENCH_K_W2C    := $(if $(wildcard $(BENCH_W2C_RT)/wasm-rt-impl.c),\
		    $(BENCH_KERNELS:%=$(BENCH_OUT)/engine/%.w2c))
BENCH_MIN_BTF  := $(BENCH_OUT)/bpf/bench.min.btf \
		  $(if $(wildcard examples/bootstrap/bootstrap.bpf.c),$(BENCH_OUT)/bpf/bootstrap.min.btf)
BENCH_BPF_ALL  := $(BENCH_OUT)/bpf/bpfbench.wasm $(BENCH_OUT)/bpf/bpfbench.native \
		  $(BENCH_OUT)/bpf/bpfbench-upstream.wasm
BENCH_BUILD_SMOKE := $(BENCH_K_NATIVE) $(BENCH_K_WASM) $(BENCH_K_W2C) \
		     $(BENCH_OUT)/engine/loadtime $(BENCH_OUT)/engine/ttf.wasm \
		     $(BENCH_OUT)/bpf/drive $(BENCH_OUT)/bpf/policytime \
		     $(if $(wildcard /sys/kernel/btf/vmlinux),$(BENCH_BPF_ALL) \
		     $(BENCH_MIN_BTF))
BENCH_BUILD_FULL := $(BENCH_BUILD_SMOKE) $(BENCH_OUT)/engine/big.wasm

$(BENCH_OUT)/engine/%.native: bench/engine/%.c bench/engine/kern.h
	@mkdir -p $(@D)
	$(BENCH_CLANG) -O2 -Wall -Wextra $< -o $@ -lm

$(BENCH_OUT)/engine/%.wasm: bench/engine/%.c bench/engine/kern.h
	@mkdir -p $(@D)
	$(BENCH_WASM_CC) $< -o $@

# wasm2c with one module name for every kernel, so w2c-main.c fits all.
$(BENCH_OUT)/engine/%.w2c: $(BENCH_OUT)/engine/%.wasm bench/engine/w2c-main.c
	@mkdir -p $@.d
	wasm2c --module-name=kern $< -o $@.d/kern.w2c.c
	gcc -O2 -w -I$@.d -I$(BENCH_W2C_RT) -c $@.d/kern.w2c.c -o $@.d/kern.o
	gcc -O2 -I$@.d -I$(BENCH_W2C_RT) -c $(BENCH_W2C_RT)/wasm-rt-impl.c \
		-o $@.d/rt.o
	gcc -std=gnu11 -O2 $(WARN) -I$@.d -I$(BENCH_W2C_RT) \
		-c bench/engine/w2c-main.c -o $@.d/main.o
	gcc $@.d/kern.o $@.d/rt.o $@.d/main.o -o $@ -lm

$(BENCH_OUT)/engine/loadtime: bench/engine/loadtime.c $(ENGINE_LIB)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARN) -Iengine $< $(ENGINE_LIB) -o $@ -lm -lpthread

# A large clang-compiled module (generated functions) for load throughput.
$(BENCH_OUT)/engine/big.wasm: bench/engine/genbig.sh
	@mkdir -p $(@D)
	sh $< $(BENCH_GENBIG_N) > $(BENCH_OUT)/engine/big.c
	$(BENCH_WASM_CC) -w $(BENCH_OUT)/engine/big.c -o $@

# Binaryen's fuzzer module generator on deterministic pseudo-random bytes.
$(BENCH_OUT)/engine/ttf.wasm: bench/bench.mk
	@mkdir -p $(@D)
	LC_ALL=C awk 'BEGIN { srand(7); for (i = 0; i < 1000000; i++) \
		printf "%c", int(rand() * 256) }' > $(BENCH_OUT)/engine/ttf.seed
	wasm-opt -ttf $(BENCH_OUT)/engine/ttf.seed -o $@ 2>/dev/null

# ---- Part B -------------------------------------------------------------
$(BENCH_OUT)/bpf/vmlinux.h:
	@mkdir -p $(@D)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

$(BENCH_OUT)/bpf/bench.bpf.o: bench/bpf/bench.bpf.c bench/bpf/bench.h $(BENCH_OUT)/bpf/vmlinux.h
	$(BENCH_CLANG) -target bpf -g -O2 -D__TARGET_ARCH_x86 -I$(@D) -Ibench/bpf \
		-c $< -o $@
	llvm-objcopy --strip-debug --remove-section=.rel.BTF \
		--remove-section=.rel.BTF.ext --remove-section=.llvm_addrsig $@

$(BENCH_OUT)/bpf/bench_bpf_obj.h: $(BENCH_OUT)/bpf/bench.bpf.o
	cd $(@D) && xxd -i -n bench_bpf_o bench.bpf.o > bench_bpf_obj.h

BENCH_BB_DEPS := bench/bpf/bpfbench.c bench/bpf/bb.h bench/bpf/bench.h \
		 $(BENCH_OUT)/bpf/bench_bpf_obj.h \
		 $(wildcard sdk/c/include/*.h sdk/c/include/wasm-bpf/*.h)

$(BENCH_OUT)/bpf/bpfbench.wasm: $(BENCH_BB_DEPS)
	$(BENCH_WASM_CC) -Wno-unused-parameter -I$(@D) -Ibench/bpf -Isdk/c/include \
		-Wl,--export-table $< -o $@

# Upstream imports only (WBPF_UPSTREAM_IMPORTS): every record handed over
# by the host, for the reproducer in README.md.
$(BENCH_OUT)/bpf/bpfbench-upstream.wasm: $(BENCH_BB_DEPS)
	$(BENCH_WASM_CC) -Wno-unused-parameter -I$(@D) -Ibench/bpf -Isdk/c/include \
		-DWBPF_UPSTREAM_IMPORTS -Wl,--export-table $< -o $@

$(BENCH_OUT)/bpf/bpfbench.native: $(BENCH_BB_DEPS)
	$(CC) -std=gnu11 -O2 $(WARN) -I$(@D) -Ibench/bpf $< -o $@ $(LDLIBS_BPF)

# Minimal CO-RE BTF (bpftool gen min_core_btf): start-up without parsing
# the whole vmlinux BTF, for bench.bpf.o and the bootstrap example.
$(BENCH_OUT)/bpf/%.min.btf: $(BENCH_OUT)/bpf/%.bpf.o
	bpftool gen min_core_btf /sys/kernel/btf/vmlinux $@ $<
$(BENCH_OUT)/bpf/bootstrap.min.btf: $(BUILD)/examples/bootstrap/bootstrap.bpf.o
	bpftool gen min_core_btf /sys/kernel/btf/vmlinux $@ $<
$(BENCH_OUT)/bpf/drive: bench/bpf/drive.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARN) $< -o $@
# What --policy adds per BPF object load (the bpf_host guard), per example.
$(BENCH_OUT)/bpf/policytime: bench/bpf/policytime.c $(POLICY_LIB) \
		$(BPF_HOST_LIB) $(ENGINE_LIB)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARN) -I. -Iengine -D_GNU_SOURCE $< \
		$(POLICY_LIB) $(BPF_HOST_LIB) $(ENGINE_LIB) -o $@ \
		$(LDLIBS_POLICY) $(LDLIBS_BPF) -lm -lpthread

.PHONY: bench-build bench-build-smoke bench-smoke
bench-build: $(BENCH_BUILD_FULL)
bench-build-smoke: $(BENCH_BUILD_SMOKE)

bench: all bench-build
	BENCH_NO_BUILD=1 sh bench/run.sh

bench-smoke: all bench-build-smoke
	BENCH_NO_BUILD=1 sh bench/run.sh --smoke
