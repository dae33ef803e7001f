# sdk/wasm-bpf.mk — build rules for wasm-bpf applications: NAME.bpf.c
# (kernel side) and NAME.c (user side, a wasm32-wasi guest). Include it from
# your Makefile and call the template for each app (see docs/first-tool.md):
#
#   WBPF_SDK := /path/to/wasm-bpf/sdk
#   include $(WBPF_SDK)/wasm-bpf.mk
#   $(eval $(call wbpf_app,mytool,.,build,event))
#
# which makes build/mytool.wasm (and build/mytool.native with libbpf).
# Arguments: name, source dir, output dir, types for `gen types` (empty:
# those the object's maps and globals use, plus its own structs), extra
# user-side sources. vmlinux.h comes from the running kernel's BTF into the
# output dir: generated, never committed.

ifndef WBPF_SDK
WBPF_SDK      := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
endif
WBPF_INC      ?= $(WBPF_SDK)/c/include
WBPF_ARCH     ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
		   -e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')
WBPF_CLANG    ?= clang
WBPF_OBJCOPY  ?= llvm-objcopy
# DWARF, and the relocations of .BTF/.BTF.ext and the address-significance
# table, which libbpf skips: the guest embeds the object, every byte counts.
WBPF_BPF_STRIP_FLAGS ?= --strip-debug --remove-section=.rel.BTF \
		       --remove-section=.rel.BTF.ext --remove-section=.llvm_addrsig
WBPF_BPFTOOL  ?= bpftool
WBPF_GEN      ?= wasm-bpf gen
WBPF_GEN_DEP  ?=
WBPF_BTF      ?= /sys/kernel/btf/vmlinux
# Binaryen: -Oz for size (wasm-ld leaves the first 1 KB of memory unused);
# --debuginfo keeps the name section so traps name the function; DWARF and
# producers go. Empty WBPF_WASM_OPT skips the step.
WBPF_WASM_OPT ?= $(shell command -v wasm-opt 2>/dev/null)
WBPF_WASM_OPT_FLAGS ?= -Oz --low-memory-unused --debuginfo --strip-dwarf \
		       --strip-producers

# Linux UAPI headers (<linux/bpf.h>...) live in a multiarch directory the
# BPF target does not search.
WBPF_MULTIARCH ?= $(shell cc -print-multiarch 2>/dev/null)
WBPF_BPF_CFLAGS  ?= -g -O2 -target bpf -D__TARGET_ARCH_$(WBPF_ARCH) -Wall \
		    $(if $(WBPF_MULTIARCH),-idirafter /usr/include/$(WBPF_MULTIARCH))
WBPF_WASM_CFLAGS ?= --target=wasm32-wasi -Oz -Wall -Wextra -Wno-unused-parameter
# No -O here: clang would run wasm-opt itself and drop the name section.
# printf without floating point saves ~5 KB; set WBPF_PRINTF_FLOAT=1 for %f.
WBPF_WASM_LDFLAGS ?= --target=wasm32-wasi -Wl,--export-table -Wl,--strip-debug
WBPF_WASM_LDLIBS  ?= $(if $(WBPF_PRINTF_FLOAT),,-lc-printscan-no-floating-point)
WBPF_NATIVE_CC     ?= cc
WBPF_NATIVE_CFLAGS ?= -O2 -g -Wall -Wextra -Wno-unused-parameter
WBPF_NATIVE_LDLIBS ?= -lbpf -lelf -lz

# $(1) the vmlinux.h to make
define wbpf_vmlinux
$(1):
	@mkdir -p $$(@D)
	$$(WBPF_BPFTOOL) btf dump file $$(WBPF_BTF) format c > $$@.tmp
	mv $$@.tmp $$@
endef

# $(1) name  $(2) source dir  $(3) output dir  $(4) types  $(5) extra .c
# $(6) vmlinux.h (default $(3)/vmlinux.h, made by this template then)
define wbpf_app
# Without a rule of its own before this, make would take vmlinux.h as the
# default goal; the app's module is the better one.
.DEFAULT_GOAL := $(or $(.DEFAULT_GOAL),$(3)/$(1).wasm)
$(if $(6),,$(call wbpf_vmlinux,$(3)/vmlinux.h))
$(3)/$(1).bpf.o: $(2)/$(1).bpf.c $(wildcard $(2)/*.h) $(or $(6),$(3)/vmlinux.h)
	@mkdir -p $$(@D)
	$$(WBPF_CLANG) $$(WBPF_BPF_CFLAGS) -I$$(dir $(or $(6),$(3)/vmlinux.h)) \
		-I$$(WBPF_INC) -I$(2) -c $$< -o $$@
	$$(WBPF_OBJCOPY) $$(WBPF_BPF_STRIP_FLAGS) $$@

$(3)/wasm/$(1).skel.h: $(3)/$(1).bpf.o $$(WBPF_GEN_DEP)
	@mkdir -p $$(@D)
	$$(WBPF_GEN) skeleton $$< > $$@.tmp
	mv $$@.tmp $$@

$(3)/$(1).types.h: $(3)/$(1).bpf.o $$(WBPF_GEN_DEP)
	$$(WBPF_GEN) types $$< $(4) > $$@.tmp
	mv $$@.tmp $$@

$(3)/$(1).wasm: $(2)/$(1).c $(5) $(3)/wasm/$(1).skel.h $(3)/$(1).types.h \
		$(wildcard $(2)/*.h) $$(wildcard $$(WBPF_INC)/*.h $$(WBPF_INC)/wasm-bpf/*.h)
	@mkdir -p $(3)/wasm/$(1).objs
	for s in $(2)/$(1).c $(5); do \
		$$(WBPF_CLANG) $$(WBPF_WASM_CFLAGS) -I$(3)/wasm -I$(3) \
		-I$$(WBPF_INC) -I$(2) -c $$$$s \
		-o $(3)/wasm/$(1).objs/$$$$(basename $$$$s .c).o || exit 1; \
	done
	$$(WBPF_CLANG) $$(WBPF_WASM_LDFLAGS) $(3)/wasm/$(1).objs/*.o \
		$$(WBPF_WASM_LDLIBS) -o $$@.tmp
	$$(if $$(WBPF_WASM_OPT),$$(WBPF_WASM_OPT) $$(WBPF_WASM_OPT_FLAGS) $$@.tmp -o $$@ \
		&& rm -f $$@.tmp,mv $$@.tmp $$@)

$(3)/native/$(1).skel.h: $(3)/$(1).bpf.o
	@mkdir -p $$(@D)
	$$(WBPF_BPFTOOL) gen skeleton $$< > $$@.tmp
	mv $$@.tmp $$@

$(3)/$(1).native: $(2)/$(1).c $(5) $(3)/native/$(1).skel.h $(3)/$(1).types.h
	$$(WBPF_NATIVE_CC) $$(WBPF_NATIVE_CFLAGS) -I$(3)/native -I$(3) \
		-I$$(WBPF_INC) -I$(2) $(2)/$(1).c $(5) -o $$@ $$(WBPF_NATIVE_LDLIBS)
endef
