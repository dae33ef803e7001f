# oci/ — OCI distribution (oci/README.md): references, the local store,
# the registry client, credentials, formats, signatures, archives. A
# library the CLI links; the fuzz target is built by `make fuzz`.
OCI_SRCS := $(filter-out oci/fuzz_%.c,$(wildcard oci/*.c))
OCI_OBJS := $(OCI_SRCS:%.c=$(OBJ)/%.o)
OCI_LIB  := $(LIBDIR)/libwasm-bpf-oci.a
LDLIBS_OCI := -lcrypto

$(OCI_LIB): $(OCI_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

all: $(OCI_LIB)

# libFuzzer target: manifests, references, base64, index.json, tars.
OCI_FUZZ := build-fuzz/fuzz_oci
$(OCI_FUZZ): oci/fuzz_oci.c $(OCI_SRCS)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -Iengine \
	  -D_GNU_SOURCE $^ -o $@ $(LDLIBS_JSON) $(LDLIBS_OCI)
fuzz: $(OCI_FUZZ)
