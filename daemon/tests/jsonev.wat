;; A plugin that prints one event as a JSON object (the tools' -o json
;; convention), one plain line and one on stderr, then exits 0.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"type\":\"exec\",\"pid\":42,\"comm\":\"true\"}\0aplain line\0a")
  (data (i32.const 128) "to stderr\0a")
  (func (export "_start")
    ;; iovec at 0: base 16, length 50
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 50))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 128))
    (i32.store (i32.const 4) (i32.const 10))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))))
