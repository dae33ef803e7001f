# wasi/ — WASI preview1 (wasi_snapshot_preview1) as a host module.
WASI_SRCS := $(wildcard wasi/*.c)
WASI_OBJS := $(WASI_SRCS:%.c=$(OBJ)/%.o)
WASI_LIB  := $(LIBDIR)/libwasm-wasi.a

$(WASI_LIB): $(WASI_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

all: $(WASI_LIB)
