;; A guest of the embedding test (embed.c): each export is one scenario,
;; chosen with the app's entry option. It imports the test host's own
;; functions from module "host".
(module
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (import "host" "tick" (func $tick (param i64)))
  (import "host" "halt" (func $halt (param i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "out\n")
  (data (i32.const 32) "err\n")
  ;; add(40, 2) handed back through tick
  (func (export "sum") (call $tick (i64.extend_i32_s (call $add (i32.const 40) (i32.const 2)))))
  ;; "out\n" on descriptor 1, "err\n" on 2
  (func $say (param $fd i32) (param $at i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "write") (call $say (i32.const 1) (i32.const 16)) (call $say (i32.const 2) (i32.const 32)))
  ;; copies descriptor 0 to 1 in chunks of at most 64 bytes until the end
  ;; of input; a read error traps
  (func (export "echo")
    (loop $l
      (i32.store (i32.const 64) (i32.const 128))
      (i32.store (i32.const 68) (i32.const 64))
      (if (call $fd_read (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 72))
        (then unreachable))
      (if (i32.eqz (i32.load (i32.const 72))) (then return))
      (i32.store (i32.const 68) (i32.load (i32.const 72)))
      (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 76)))
      (br $l)))
  ;; counts up for ever, telling the host each step
  (func (export "spin") (local $i i64)
    (loop $l
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (call $tick (local.get $i))
      (br $l)))
  ;; the host ends the run from inside halt (how: by its argument)
  (func (export "halt") (call $halt (i32.const 7)) (call $tick (i64.const -1))))
