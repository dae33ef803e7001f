# engine/ — the WebAssembly engine library (decode, validate, translate, run).
ENGINE_SRCS := $(filter-out engine/fuzz_%.c,$(wildcard engine/*.c))
ENGINE_OBJS := $(ENGINE_SRCS:%.c=$(OBJ)/%.o)
ENGINE_LIB  := $(LIBDIR)/libwasm-engine.a

$(ENGINE_LIB): $(ENGINE_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

all: $(ENGINE_LIB)
