;; A module importing a wasm_bpf function the host does not define.
(module
  (import "wasm_bpf" "foo" (func (param i32)))
  (func (export "_start")))
