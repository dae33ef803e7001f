;; linking.wast — imports resolved against the spectest module and
;; registered instances: missing imports, kind and type mismatches, limits
;; subtyping for tables and memories, shared memories and tables, the
;; start function, instantiation failures (out-of-bounds segments, a
;; trapping start function) including which writes persist after them,
;; and export names holding NUL bytes.

(module $Exp
  (func (export "f_i32") (param i32) (result i32) (local.get 0))
  (func (export "f_void"))
  (global (export "g_i32") i32 (i32.const 1))
  (global (export "g_mut") (mut i32) (i32.const 2))
  (table (export "tab") 2 5 funcref)
  (table (export "tab_ext") 1 externref)
  (memory (export "mem") 1 4)
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "tab_null") (param i32) (result i32) (ref.is_null (table.get 0 (local.get 0))))
)
(register "Exp" $Exp)

;; what links
(module
  (import "Exp" "f_i32" (func (param i32) (result i32)))
  (import "Exp" "g_i32" (global i32))
  (import "Exp" "g_mut" (global (mut i32)))
  (import "Exp" "tab" (table 2 funcref))
  (import "Exp" "tab" (table 1 5 funcref))
  (import "Exp" "mem" (memory 1))
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "table" (table 10 funcref))
)
(module (import "Exp" "mem" (memory 0 4)))
(module (import "Exp" "mem" (memory 1 65536)))
(module (import "spectest" "memory" (memory 1 2)))
(module (import "spectest" "memory" (memory 0 3)))
(module (import "spectest" "table" (table 5 20 funcref)))

;; missing imports
(assert_unlinkable (module (import "Exp" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "Nope" "f_void" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print_x" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "unknown" (memory 1))) "unknown import")

;; wrong kind
(assert_unlinkable (module (import "Exp" "g_i32" (func))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "f_void" (global i32))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "mem" (table 1 funcref))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "tab" (memory 1))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "global_i32" (memory 1))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "print" (table 1 funcref))) "incompatible import type")

;; wrong function type
(assert_unlinkable (module (import "Exp" "f_i32" (func))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "f_i32" (func (param i32)))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "f_i32" (func (param i64) (result i32)))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "f_i32" (func (param i32) (result i32 i32)))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "f_void" (func (result i32)))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param f32)))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "print_i64" (func (param i64) (result i64)))) "incompatible import type")

;; wrong global type
(assert_unlinkable (module (import "Exp" "g_i32" (global i64))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "g_i32" (global f32))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "global_f64" (global f32))) "incompatible import type")

;; limits: the import's declared limits must contain the actual ones
(assert_unlinkable (module (import "Exp" "tab" (table 3 funcref))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "tab" (table 1 4 funcref))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "tab_ext" (table 1 funcref))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "tab" (table 1 externref))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "mem" (memory 2))) "incompatible import type")
(assert_unlinkable (module (import "Exp" "mem" (memory 1 3))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "memory" (memory 2))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "memory" (memory 1 1))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "table" (table 11 funcref))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "table" (table 10 15 funcref))) "incompatible import type")

;; a memory grown by its owner is seen grown by an importer, and the other
;; way round; limits checks use the current size
(module $Grow
  (import "Exp" "mem" (memory 1 4))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
)
(assert_return (invoke $Grow "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke $Exp "size") (i32.const 2))
(assert_return (invoke $Grow "store" (i32.const 70000) (i32.const 9)))
(assert_return (invoke $Exp "load" (i32.const 70000)) (i32.const 9))
(module (import "Exp" "mem" (memory 2 4)))
(assert_unlinkable (module (import "Exp" "mem" (memory 3))) "incompatible import type")

;; the start function runs once, at instantiation, after the segments
(module $Start
  (memory (export "m") 1)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 0) "\05")
  (func $start (global.set $g (i32.add (global.get $g) (i32.load8_u (i32.const 0)))))
  (start $start)
  (func (export "g") (result i32) (global.get $g))
)
(assert_return (invoke $Start "g") (i32.const 5))
(module
  (import "spectest" "print_i32" (func $print (param i32)))
  (func $main (call $print (i32.const 1)))
  (start $main)
)

;; instantiation failures
(assert_trap
  (module (memory 1) (data (i32.const 65536) "a"))
  "out of bounds memory access")
(assert_trap
  (module (memory 1) (data (i32.const 65535) "ab"))
  "out of bounds memory access")
(assert_trap
  (module (memory 0) (data (i32.const 1) ""))
  "out of bounds memory access")
(assert_trap
  (module (memory 1) (data (i32.const -1) "a"))
  "out of bounds memory access")
(assert_trap
  (module (table 1 funcref) (func $f) (elem (i32.const 1) $f))
  "out of bounds table access")
(assert_trap
  (module (table 0 funcref) (elem (i32.const 1)))
  "out of bounds table access")
(assert_trap
  (module (func $f (unreachable)) (start $f))
  "unreachable")
(assert_trap
  (module (func $f (drop (i32.div_u (i32.const 1) (i32.const 0)))) (start $f))
  "integer divide by zero")
(assert_trap
  (module (func $r (call $r)) (start $r))
  "call stack exhausted")
;; zero-length segments at the very end are fine
(module (memory 1) (data (i32.const 65536) ""))
(module (table 1 funcref) (elem (i32.const 1)))

;; segments are applied in order; what was written before a failure stays
(assert_trap
  (module
    (import "Exp" "mem" (memory 1))
    (data (i32.const 10) "\01")
    (data (i32.const 0x40000) "\02"))
  "out of bounds memory access")
(assert_return (invoke $Exp "load" (i32.const 10)) (i32.const 1))
(assert_trap
  (module
    (import "Exp" "mem" (memory 1))
    (data (i32.const 11) "\03")
    (func $boom (unreachable))
    (start $boom))
  "unreachable")
(assert_return (invoke $Exp "load" (i32.const 11)) (i32.const 3))
(assert_trap
  (module
    (import "Exp" "tab" (table 2 funcref))
    (func $f)
    (elem (i32.const 0) $f)
    (elem (i32.const 1) $f $f))
  "out of bounds table access")
(assert_return (invoke $Exp "tab_null" (i32.const 0)) (i32.const 0))
(assert_return (invoke $Exp "tab_null" (i32.const 1)) (i32.const 1))
;; the function left in the table by the failed module can still be called
(module
  (import "Exp" "tab" (table 2 funcref))
  (func (export "call0") (call_indirect (i32.const 0)))
)
(assert_return (invoke "call0"))

;; re-exported imports are the same objects: a mutable global, the
;; spectest memory and table, seen through a second and third module
(module $RM (global (export "g") (mut i32) (i32.const 10))
  (func (export "set") (param i32) (global.set 0 (local.get 0))))
(register "RM" $RM)
(module $RN
  (import "RM" "g" (global $g (mut i32))) (export "g2" (global $g))
  (import "spectest" "global_i32" (global $s i32)) (export "s" (global $s))
  (import "spectest" "memory" (memory 1 2)) (export "mem" (memory 0))
  (import "spectest" "table" (table 10 funcref)) (export "tab" (table 0)))
(register "RN" $RN)
(assert_return (get $RN "g2") (i32.const 10))
(assert_return (invoke $RM "set" (i32.const 77)))
(assert_return (get $RN "g2") (i32.const 77))
(assert_return (get $RN "s") (i32.const 666))
(module $RO
  (import "RN" "g2" (global $g (mut i32)))
  (import "RN" "mem" (memory 1))
  (import "RN" "tab" (table 10 funcref))
  (func (export "get") (result i32) (global.get $g))
  (func (export "set") (param i32) (global.set $g (local.get 0)))
  (func (export "store") (i32.store (i32.const 100) (i32.const 0x12345678)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "tsize") (result i32) (table.size 0)))
(assert_return (invoke $RO "get") (i32.const 77))
(assert_return (invoke $RO "set" (i32.const 5)))
(assert_return (get $RM "g") (i32.const 5))
(assert_return (invoke $RO "store"))
(assert_return (invoke $RO "tsize") (i32.const 10))
(module $RP
  (import "spectest" "memory" (memory 1 2))
  (func (export "load") (result i32) (i32.load (i32.const 100)))
  (func (export "size") (result i32) (memory.size)))
(assert_return (invoke $RP "load") (i32.const 0x12345678))
(assert_return (invoke $RO "grow") (i32.const 1))
(assert_return (invoke $RP "size") (i32.const 2))
(assert_return (invoke $RO "grow") (i32.const -1))

;; export names are byte strings: a NUL inside one is part of the name
(module $Names
  (func (export "a\00b") (result i32) (i32.const 1))
  (func (export "a") (result i32) (i32.const 2))
  (func (export "\00") (result i32) (i32.const 3))
  (func (export "") (result i32) (i32.const 4))
  (global (export "a\00") i32 (i32.const 5))
)
(assert_return (invoke "a\00b") (i32.const 1))
(assert_return (invoke "a") (i32.const 2))
(assert_return (invoke "\00") (i32.const 3))
(assert_return (invoke "") (i32.const 4))
(register "Names" $Names)
(module
  (import "Names" "a\00b" (func $ab (result i32)))
  (import "Names" "a" (func $a (result i32)))
  (func (export "sum") (result i32) (i32.add (call $ab) (i32.mul (call $a) (i32.const 10))))
)
(assert_return (invoke "sum") (i32.const 21))
(assert_unlinkable (module (import "Names" "a\00c" (func (result i32)))) "unknown import")
