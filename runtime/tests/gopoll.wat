;; TinyGo's poll wrapper imported from module "tinygo-wrap" (-m), with a
;; callback export "my-cb" (-c). _start polls an object that does not exist
;; and exits with 100 minus the result: 109 (EBADF) when the host found the
;; callback export and went on to the object, 102 (ENOENT) when it did not.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "tinygo-wrap" "wasm_bpf_buffer_poll"
    (func $poll (param i64 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "my-cb") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "_start")
    (call $exit
      (i32.sub (i32.const 100)
        (call $poll (i64.const 12345) (i32.const 3) (i32.const 0)
                    (i32.const 16) (i32.const 64) (i32.const 0))))))
