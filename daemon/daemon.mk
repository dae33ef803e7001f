# daemon/ — wasm-bpfd, the plugin daemon: the runtime library's apps on
# threads behind a REST/JSON API (libmicrohttpd) on a Unix socket.
DAEMON_SRCS := $(wildcard daemon/*.c)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(OBJ)/%.o)
DAEMON_BIN  := $(BINDIR)/wasm-bpfd
LDLIBS_DAEMON := -lmicrohttpd -lsystemd

$(DAEMON_BIN): $(DAEMON_OBJS) $(RUNTIME_LIB) $(OCI_LIB) $(POLICY_LIB) \
		$(BPF_HOST_LIB) $(WASI_LIB) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(RUNTIME_LIB) $(OCI_LIB) \
		$(POLICY_LIB) $(BPF_HOST_LIB) $(WASI_LIB) $(ENGINE_LIB) \
		$(LDLIBS_DAEMON) $(LDLIBS_POLICY) $(LDLIBS_BPF) $(LDLIBS_JSON) \
		$(LDLIBS_OCI) -lm -lpthread

all: $(DAEMON_BIN)
