;; call_paths.wast — the compiled call sequences' paths: call_indirect to
;; a function of this instance (the fast path), of another instance, to a
;; host import, to a function left to the interpreter, each after warm
;; calls, with values live across the call; its traps (out of range, null,
;; type mismatch) in the same loop; and the frame limit reached exactly at
;; the interpreter's depth through call_indirect, a direct call and
;; another instance's function, and C code entered from compiled code at
;; depth counting the compiled frames.

(module $A
  (type $r (func (param i32) (result i32)))
  (table (export "tab") 1 funcref)
  (elem (i32.const 0) $rec)
  (func $rec (export "rec") (type $r)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1)
        (call_indirect (type $r) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))))
  (func (export "add3") (param i32) (result i32) (i32.add (local.get 0) (i32.const 3)))
)
(register "A" $A)

(module $B
  (type $r (func (param i32) (result i32)))
  (type $p (func (param i32)))
  (import "A" "add3" (func $add3 (type $r)))
  (import "A" "rec" (func $arec (type $r)))
  (import "spectest" "print_i32" (func $print (type $p)))
  (table $t 8 funcref)
  ;; 0 own, 1 another instance's, 2 host, 3 interpreted, 4 wrong type, 5 null
  (elem (table $t) (i32.const 0) func $dbl $add3 $print $interp $wrong)
  (func $dbl (type $r) (i32.shl (local.get 0) (i32.const 1)))
  (func $interp (type $r)
    (drop (f32.min (f32.const 1) (f32.const 2)))
    (i32.add (local.get 0) (i32.const 1)))
  (func $wrong (param i64) (result i32) (i32.wrap_i64 (local.get 0)))
  (func $brec (type $r)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $brec (i32.sub (local.get 0) (i32.const 1)))))))
  ;; n calls through element k (k = 2: the host's, its argument summed
  ;; instead), with values live across each: sum of a*b + c + result
  (func (export "loop") (param $k i32) (param $n i32) (result i64)
    (local $i i32) (local $a i64) (local $b i64) (local $c i32) (local $s i64)
    (local.set $a (i64.const 3)) (local.set $b (i64.const 5))
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $c (i32.mul (local.get $i) (i32.const 7)))
      (if (i32.eq (local.get $k) (i32.const 2))
        (then (call_indirect $t (type $p) (local.get $i) (i32.const 2))
              (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (local.get $i)))))
        (else (local.set $s (i64.add (local.get $s) (i64.extend_i32_u
          (call_indirect $t (type $r) (local.get $i) (local.get $k)))))))
      (local.set $s (i64.add (local.get $s)
        (i64.add (i64.mul (local.get $a) (local.get $b)) (i64.extend_i32_u (local.get $c)))))
      (local.set $a (i64.add (local.get $a) (i64.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $s))
  ;; warm calls through element 0, then one through element k
  (func (export "then") (param $k i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (call_indirect $t (type $r) (local.get $i) (i32.const 0))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))))
    (i32.add (local.get $s) (call_indirect $t (type $r) (i32.const 1) (local.get $k))))
  (func (export "brec") (param i32) (result i32) (call $brec (local.get 0)))
  (func (export "arec") (param i32) (result i32) (call $arec (local.get 0)))
)

;; sum over i < 10 of (3+i)*5 + 7i = 150 + 225 + 315 = 690, plus the calls'
(assert_return (invoke $B "loop" (i32.const 0) (i32.const 10)) (i64.const 780))
(assert_return (invoke $B "loop" (i32.const 1) (i32.const 10)) (i64.const 765))
(assert_return (invoke $B "loop" (i32.const 2) (i32.const 10)) (i64.const 735))
(assert_return (invoke $B "loop" (i32.const 3) (i32.const 10)) (i64.const 745))
(assert_return (invoke $B "then" (i32.const 0)) (i32.const 9902))
(assert_return (invoke $B "then" (i32.const 1)) (i32.const 9904))
(assert_return (invoke $B "then" (i32.const 3)) (i32.const 9902))
(assert_trap (invoke $B "then" (i32.const 4)) "indirect call type mismatch")
(assert_trap (invoke $B "then" (i32.const 5)) "uninitialized element")
(assert_trap (invoke $B "then" (i32.const 8)) "undefined element")
(assert_trap (invoke $B "then" (i32.const -1)) "undefined element")
(assert_trap (invoke $B "loop" (i32.const 4) (i32.const 10)) "indirect call type mismatch")
(assert_trap (invoke $B "loop" (i32.const 6) (i32.const 10)) "uninitialized element")
(assert_trap (invoke $B "loop" (i32.const 9) (i32.const 10)) "undefined element")
(assert_return (invoke $B "loop" (i32.const 9) (i32.const 0)) (i64.const 0))

;; the default limit of 100000 frames, the exported function's included
(assert_return (invoke $A "rec" (i32.const 99999)) (i32.const 99999))
(assert_exhaustion (invoke $A "rec" (i32.const 100000)) "call stack exhausted")
(assert_return (invoke $A "rec" (i32.const 99998)) (i32.const 99998))
(assert_return (invoke $B "brec" (i32.const 99998)) (i32.const 99998))
(assert_exhaustion (invoke $B "brec" (i32.const 99999)) "call stack exhausted")
(assert_return (invoke $B "arec" (i32.const 99998)) (i32.const 99998))
(assert_exhaustion (invoke $B "arec" (i32.const 99999)) "call stack exhausted")
(assert_return (invoke $B "arec" (i32.const 10)) (i32.const 10))

;; Compiled calls count their frames by the stack pointer: C code entered
;; from compiled code counts them first, at the exact depth. n levels of
;; compiled recursion, then the rest in another instance through the
;; helper ($down), or through a first call (lazily compiled: the lazy
;; stub) at that depth ($lz, first invoked at the limit).
(module $C
  (type $r (func (param i32) (result i32)))
  (import "A" "rec" (func $arec (type $r)))
  (func $down (param $n i32) (param $m i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n)) (then (call $arec (local.get $m)))
      (else (i32.add (i32.const 1)
        (call $down (i32.sub (local.get $n) (i32.const 1)) (local.get $m))))))
  (func (export "down") (param i32 i32) (result i32)
    (call $down (local.get 0) (local.get 1)))
  (func $g (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $g (i32.sub (local.get $n) (i32.const 1)))))))
  (func $lz (param $n i32) (param $m i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n)) (then (call $g (local.get $m)))
      (else (i32.add (i32.const 1)
        (call $lz (i32.sub (local.get $n) (i32.const 1)) (local.get $m))))))
  (func (export "lz") (param i32 i32) (result i32)
    (call $lz (local.get 0) (local.get 1)))
)
;; frames: the export, n + 1 of $down / $lz, m + 1 of rec / $g
(assert_exhaustion (invoke $C "lz" (i32.const 1000) (i32.const 98998)) "call stack exhausted")
(assert_return (invoke $C "lz" (i32.const 1000) (i32.const 98997)) (i32.const 99997))
(assert_exhaustion (invoke $C "down" (i32.const 1000) (i32.const 98998)) "call stack exhausted")
(assert_return (invoke $C "down" (i32.const 1000) (i32.const 98997)) (i32.const 99997))
