# wasm-bpf — top-level build. Each layer owns a fragment (LAYER/LAYER.mk)
# that adds its objects, libraries and binaries; this file holds only what
# they share. Variant builds (sanitizers) set BUILD to another folder.

BUILD    ?= build
OBJ      := $(BUILD)/obj
LIBDIR   := $(BUILD)/lib
BINDIR   := $(BUILD)/bin
PREFIX   ?= /usr/local

CC       ?= cc
ifeq ($(origin CC),default)
CC       := gcc
endif
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Wno-unused-parameter
# Linear-memory bounds by guard pages and a fault handler (the default,
# faster in compiled code) or, with GUARD_PAGES=0, by explicit checks (see
# engine/guard.h; README has the figures). Part of ALL_CFLAGS, so sanitizer
# builds that set EXTRA_CFLAGS get the same choice.
GUARD_PAGES ?= 1
ifeq ($(GUARD_PAGES),1)
GUARD_CFLAGS := -DWASM_GUARD_PAGES
endif
# Size (bench part B checks the stripped wasm-bpf against 400 KB): each
# function and datum in its own section so the link drops what no command
# calls; no .eh_frame (C without exceptions or thread cancellation never
# unwinds; -g still writes .debug_frame for debuggers); relative relocations
# packed (DT_RELR, glibc 2.36) instead of 24 bytes per pointer in a table;
# calls into shared libraries through the GOT, without PLT stubs (-fno-plt:
# 16 bytes a function fewer, the calls bound at start).
SIZE_CFLAGS := -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-plt
LDFLAGS  ?= -Wl,--gc-sections -Wl,-z,pack-relative-relocs
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(ALIGN) $(SIZE_CFLAGS) $(EXTRA_CFLAGS) $(GUARD_CFLAGS) -I. -Iengine -D_GNU_SOURCE
LDLIBS_BPF := -lbpf -lelf -lz -lcrypto
# wasm-bpf's run-once code optimised across files (below, COLD_SRCS).
ifeq ($(findstring clang,$(CC)),)
WASM_BPF_LTO_LIB := $(LIBDIR)/lto/libwasm-bpf-all.a
WASM_BPF_LTO_LDFLAGS := -flto=auto $(SIZE_CFLAGS)
# gcc's own archiver indexes the -flto objects without relying on the
# linker plugin being installed in /usr/lib/bfd-plugins.
LTO_AR ?= gcc-ar
endif
LDLIBS_JSON := -lcjson

.PHONY: all test bench demo install clean format asan fuzz setup
all:

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

-include engine/engine.mk
-include wasi/wasi.mk
-include bpf/bpf.mk
-include policy/policy.mk
-include oci/oci.mk
-include runtime/runtime.mk
-include ocirt/ocirt.mk
-include daemon/daemon.mk
-include tools/tools.mk
-include sdk/sdk.mk
-include examples/examples.mk
-include bench/bench.mk
-include deploy/deploy.mk

# Code that runs once per command or per load, not per event, is built for
# size: the CLI, the distribution (oci/), policy, the skeleton generator,
# the BPF object checks and attach path, the userspace backend's loader and
# verifier, app setup, WASI's path and poll calls. The interpreter, the
# instance and call paths, memory, WASI's fd calls and the BPF host calls,
# maps and buffers stay at $(OPT). The engine's load passes stay at -O2
# (at -Os they load 1.5x slower, README), without code alignment under gcc
# (3 KB, no measurable load-time cost). A command-line OPT (the sanitizer
# builds) still applies to everything.
COLD_SRCS := $(wildcard oci/*.c runtime/cmd_*.c tools/gen/*.c policy/*.c) \
	     engine/jit_save.c runtime/codecache.c \
	     runtime/main.c runtime/cli_policy.c runtime/upstream.c runtime/procfs.c \
	     runtime/wasm_bpf.c wasi/wasi_path.c wasi/wasi_poll.c \
	     $(addprefix bpf/bpf_,btfcheck.c btfmin.c btfcache.c cachefile.c objcheck.c attach.c bufsetup.c ringmap.c \
	       auto.c backend.c pin.c share.c) \
	     $(addprefix bpf/user/ubpf_,verify.c load.c inject.c sym.c hook.c task.c)
# -Oz (gcc 12 and clang): 2 KB smaller than -Os, in code that runs once.
$(COLD_SRCS:%.c=$(OBJ)/%.o): OPT := -Oz
# wasm-bpf's own link optimises that code across files too (gcc -flto:
# 2 KB of code, a page of the stripped file, mostly commands inlined into
# their one caller). It links one archive of every library's objects, the
# cold ones compiled again with -flto, so that no plain copy of them is
# pulled first; the libraries embedders and the other programs link stay
# plain objects any compiler links. Not under clang (its LTO needs its
# own linker plugin).
ifneq ($(WASM_BPF_LTO_LIB),)
WASM_BPF_LIB_OBJS := $(RUNTIME_LIB_OBJS) $(OCI_OBJS) $(GEN_OBJS) \
		     $(POLICY_OBJS) $(BPF_OBJS) $(UBPF_OBJS) $(WASI_OBJS) $(ENGINE_OBJS)
COLD_OBJS := $(COLD_SRCS:%.c=$(OBJ)/%.o)
LTO_OBJS := $(subst $(OBJ)/,$(OBJ)/lto/,$(COLD_OBJS))
$(OBJ)/lto/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -flto -MMD -MP -c $< -o $@
$(LTO_OBJS): OPT := -Oz
$(WASM_BPF_LTO_LIB): $(filter-out $(COLD_OBJS),$(WASM_BPF_LIB_OBJS)) \
		     $(filter $(LTO_OBJS),$(subst $(OBJ)/,$(OBJ)/lto/,$(WASM_BPF_LIB_OBJS)))
	@mkdir -p $(dir $@)
	rm -f $@
	$(LTO_AR) rcs $@ $^
endif
LOAD_SRCS := $(addprefix engine/,decode.c validate.c translate.c jit_x64.c \
	     jit_x64_enc.c jit_x64_ops.c jit_x64_float.c jit_x64_flow.c)
# gcc's code alignment, where it buys nothing measurable.
NOALIGN := $(if $(findstring clang,$(CC)),,-fno-align-functions \
	   -fno-align-jumps -fno-align-loops -fno-align-labels)
LOAD_OPT ?= -O2 $(NOALIGN)
$(LOAD_SRCS:%.c=$(OBJ)/%.o): OPT := $(LOAD_OPT)
# The register allocator's passes not inlined into their one caller: 2 KB
# smaller (what keeps the binary under 400 KB), compiling bootstrap.wasm
# ~4% slower (-Os: 4 KB, 10% slower).
$(OBJ)/engine/jit_live.o: OPT := $(LOAD_OPT) \
	$(if $(findstring clang,$(CC)),,-fno-inline-small-functions)
# The decoder likewise: 2 KB smaller, loading big.wasm no slower (CPU
# medians of 5 interleaved runs: 4.14 against 4.14 ms). Not the validator
# (+4%) nor the translator (+40%: its emitters must inline).
$(OBJ)/engine/decode.o: OPT := $(LOAD_OPT) \
	$(if $(findstring clang,$(CC)),,-fno-inline-small-functions)
# The rest of the engine, WASI and the BPF host (the per-call and per-event
# paths) stay at $(OPT), without the code alignment: 4 KB of padding (a
# page of the stripped file) and no slower in bench parts A and B or at
# start-up. The interpreter keeps it: its dispatch is the hot loop.
WARM_SRCS := $(filter-out $(COLD_SRCS) $(LOAD_SRCS) engine/interp.c \
	       engine/jit_live.c engine/decode.c engine/fuzz_%.c bpf/fuzz_%.c, \
	       $(wildcard engine/*.c wasi/*.c bpf/*.c bpf/user/*.c))
$(WARM_SRCS:%.c=$(OBJ)/%.o): ALIGN := $(NOALIGN)

setup:
	sh scripts/setup.sh

# The main job: a real eBPF tool under the runtime, stopping by itself.
demo: all
	sh scripts/demo.sh

# The whole suite: every layer's tests/run.sh, one summary line at the end.
test: all
	sh tests/run.sh

# The engine again under AddressSanitizer and UndefinedBehaviorSanitizer:
# the spec runner and the API tests, nothing else.
ASAN_TARGETS := build-asan/bin/wasm-spectest build-asan/bin/wasm-api-test
asan:
	$(MAKE) BUILD=build-asan CC=clang OPT=-O1 \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" $(ASAN_TARGETS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/wasm-bpf
	install -m 755 $(BINDIR)/wasm-bpf $(DESTDIR)$(PREFIX)/bin/wasm-bpf
	install -m 755 $(BINDIR)/wasm-bpfd $(DESTDIR)$(PREFIX)/bin/wasm-bpfd

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz build-explicit build-guard build-tsan

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
