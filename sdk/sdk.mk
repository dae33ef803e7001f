# sdk/ — the guest C SDK (header only, sdk/c/include) and the make fragment
# for applications (sdk/wasm-bpf.mk). Nothing to compile. `make install`
# puts both under $(PREFIX)/share/wasm-bpf with the layout they have here,
# so an installed wasm-bpf.mk finds its headers the same way.
SDK_SHARE := $(DESTDIR)$(PREFIX)/share/wasm-bpf

.PHONY: install-sdk
install-sdk: $(GEN_BIN)
	install -d $(SDK_SHARE)/c/include/wasm-bpf $(SDK_SHARE)/c/include/bpf \
		$(DESTDIR)$(PREFIX)/bin
	install -m 644 sdk/wasm-bpf.mk $(SDK_SHARE)/
	install -m 644 sdk/c/include/libbpf-wasm.h $(SDK_SHARE)/c/include/
	install -m 644 $(wildcard sdk/c/include/wasm-bpf/*.h) \
		$(SDK_SHARE)/c/include/wasm-bpf/
	install -m 644 $(wildcard sdk/c/include/bpf/*.h) $(SDK_SHARE)/c/include/bpf/
	install -m 755 $(GEN_BIN) $(DESTDIR)$(PREFIX)/bin/

install: install-sdk
