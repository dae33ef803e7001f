;; globals.wast — global.get/global.set of every type, immutable and
;; mutable globals, exported globals read from the host, imported globals
;; (constant initialisers may read them), and a mutable global shared
;; between modules, where a write by one is seen by the other.
;; (spectest.global_f32/f64 are 666.6 as in the spec interpreter; wabt's
;; spectest-interp uses 666.0, so it reports those two as mismatches.)

(module
  (import "spectest" "global_i32" (global $si i32))
  (import "spectest" "global_i64" (global $sI i64))
  (import "spectest" "global_f32" (global $sf f32))
  (import "spectest" "global_f64" (global $sF f64))
  (global $a i32 (i32.const -2))
  (global $b (mut i32) (i32.const 5))
  (global $c (mut i64) (i64.const 0x100000000))
  (global $d (mut f32) (f32.const -0))
  (global $e (mut f64) (f64.const nan:0x4000000000000))
  (global $f (mut externref) (ref.null extern))
  (global $g (mut funcref) (ref.null func))
  (global $from_import i32 (global.get $si))
  (global $h funcref (ref.func $id))
  (global (export "exp_const") i64 (i64.const 77))
  (global $em (export "exp_mut") (mut i32) (i32.const 1))
  (func $id (param i32) (result i32) (local.get 0))

  (func (export "get_a") (result i32) (global.get $a))
  (func (export "get_b") (result i32) (global.get $b))
  (func (export "set_b") (param i32) (global.set $b (local.get 0)))
  (func (export "get_c") (result i64) (global.get $c))
  (func (export "set_c") (param i64) (global.set $c (local.get 0)))
  (func (export "get_d") (result f32) (global.get $d))
  (func (export "set_d") (param f32) (global.set $d (local.get 0)))
  (func (export "get_e") (result f64) (global.get $e))
  (func (export "set_e") (param f64) (global.set $e (local.get 0)))
  (func (export "get_f") (result externref) (global.get $f))
  (func (export "set_f") (param externref) (global.set $f (local.get 0)))
  (func (export "g_is_null") (result i32) (ref.is_null (global.get $g)))
  (func (export "set_g") (global.set $g (global.get $h)))
  (func (export "get_si") (result i32) (global.get $si))
  (func (export "get_sI") (result i64) (global.get $sI))
  (func (export "get_sf") (result f32) (global.get $sf))
  (func (export "get_sF") (result f64) (global.get $sF))
  (func (export "get_from_import") (result i32) (global.get $from_import))
  (func (export "set_exp_mut") (param i32) (global.set $em (local.get 0)))
  (func (export "counter") (result i32)
    (global.set $b (i32.add (global.get $b) (i32.const 1)))
    (global.get $b))
)

(assert_return (invoke "get_a") (i32.const -2))
(assert_return (invoke "get_b") (i32.const 5))
(assert_return (invoke "set_b" (i32.const 9)))
(assert_return (invoke "get_b") (i32.const 9))
(assert_return (invoke "counter") (i32.const 10))
(assert_return (invoke "counter") (i32.const 11))
(assert_return (invoke "get_c") (i64.const 0x100000000))
(assert_return (invoke "set_c" (i64.const -1)))
(assert_return (invoke "get_c") (i64.const -1))
(assert_return (invoke "get_d") (f32.const -0))
(assert_return (invoke "set_d" (f32.const nan:0x200000)))
(assert_return (invoke "get_d") (f32.const nan:0x200000))
(assert_return (invoke "get_e") (f64.const nan:0x4000000000000))
(assert_return (invoke "set_e" (f64.const -inf)))
(assert_return (invoke "get_e") (f64.const -inf))
(assert_return (invoke "get_f") (ref.null extern))
(assert_return (invoke "set_f" (ref.extern 3)))
(assert_return (invoke "get_f") (ref.extern 3))
(assert_return (invoke "g_is_null") (i32.const 1))
(assert_return (invoke "set_g"))
(assert_return (invoke "g_is_null") (i32.const 0))
(assert_return (invoke "get_si") (i32.const 666))
(assert_return (invoke "get_sI") (i64.const 666))
(assert_return (invoke "get_sf") (f32.const 666.6))
(assert_return (invoke "get_sF") (f64.const 666.6))
(assert_return (invoke "get_from_import") (i32.const 666))
(assert_return (get "exp_const") (i64.const 77))
(assert_return (get "exp_mut") (i32.const 1))
(assert_return (invoke "set_exp_mut" (i32.const 99)))
(assert_return (get "exp_mut") (i32.const 99))

;; a mutable global shared between two modules
(module $M
  (global (export "g") (mut i32) (i32.const 10))
  (global (export "k") i32 (i32.const 20))
  (func (export "get") (result i32) (global.get 0))
  (func (export "inc") (global.set 0 (i32.add (global.get 0) (i32.const 1))))
)
(register "M" $M)
(module $N
  (import "M" "g" (global $g (mut i32)))
  (import "M" "k" (global $k i32))
  (global $k2 i32 (global.get $k))
  (func (export "get") (result i32) (global.get $g))
  (func (export "set") (param i32) (global.set $g (local.get 0)))
  (func (export "k2") (result i32) (global.get $k2))
)
(assert_return (invoke $N "get") (i32.const 10))
(assert_return (invoke $M "inc"))
(assert_return (invoke $N "get") (i32.const 11))
(assert_return (invoke $N "set" (i32.const 500)))
(assert_return (invoke $M "get") (i32.const 500))
(assert_return (get $M "g") (i32.const 500))
(assert_return (invoke $N "k2") (i32.const 20))

;; mutability must match across an import
(assert_unlinkable
  (module (import "M" "g" (global i32)))
  "incompatible import type")
(assert_unlinkable
  (module (import "M" "k" (global (mut i32))))
  "incompatible import type")
(assert_unlinkable
  (module (import "M" "g" (global (mut i64))))
  "incompatible import type")
(assert_unlinkable
  (module (import "spectest" "global_i32" (global (mut i32))))
  "incompatible import type")

;; writes to immutable globals and bad initialisers do not validate
(assert_invalid
  (module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))
  "global is immutable")
(assert_invalid
  (module (import "M" "k" (global i32)) (func (global.set 0 (i32.const 1))))
  "global is immutable")
(assert_invalid
  (module (global i32 (i64.const 0)))
  "type mismatch")
(assert_invalid
  (module (global $m (mut i32) (i32.const 0)) (global i32 (global.get $m)))
  "constant expression required")
(assert_invalid
  (module (global i32 (i32.const 0)) (global i32 (global.get 0)))
  "unknown global")
(assert_invalid
  (module (global i32 (i32.add (i32.const 1) (i32.const 2))))
  "constant expression required")
(assert_invalid
  (module (func (result i32) (global.get 3)))
  "unknown global")
