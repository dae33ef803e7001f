;; regalloc.wast — where the compiling tier keeps values (engine/jit_live.c):
;; more live values than registers, values live across calls, indirect
;; calls and memory.grow, one slot holding integers and floats in turn,
;; values carried along branches, results never read, floats through
;; memory, more values than one liveness word covers.

(module
  (memory 1 4)
  (table 2 funcref)
  (elem (i32.const 0) $inc $dbl)
  (type $t (func (param i32) (result i32)))

  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
  (func $fid (param f64) (result f64) (local.get 0))

  ;; twelve counters live across a call in every round of a loop
  (func (export "many_across_call") (param $n i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    (local $i i32) (local $j i32) (local $k i32) (local $l i32)
    (loop $top
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (local.set $b (i32.add (local.get $b) (i32.const 2)))
      (local.set $c (i32.add (local.get $c) (i32.const 3)))
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (local.set $e (i32.add (local.get $e) (call $inc (local.get $a))))
      (local.set $f (i32.add (local.get $f) (i32.const 6)))
      (local.set $g (i32.add (local.get $g) (i32.const 7)))
      (local.set $h (i32.add (local.get $h) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (call $dbl (local.get $b))))
      (local.set $j (i32.xor (local.get $j) (local.get $e)))
      (local.set $k (i32.sub (local.get $k) (local.get $c)))
      (local.set $l (i32.add (local.get $l) (local.get $d)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $top (local.get $n)))
    (i32.add (local.get $a)
      (i32.add (local.get $b)
        (i32.add (local.get $c)
          (i32.add (local.get $d)
            (i32.add (local.get $e)
              (i32.add (local.get $f)
                (i32.add (local.get $g)
                  (i32.add (local.get $h)
                    (i32.add (local.get $i)
                      (i32.add (local.get $j)
                        (i32.add (local.get $k) (local.get $l)))))))))))))

  ;; sixteen floats live across calls
  (func (export "floats_across_call") (param $n i32) (result f64)
    (local $x0 f64) (local $x1 f64) (local $x2 f64) (local $x3 f64)
    (local $x4 f64) (local $x5 f64) (local $x6 f64) (local $x7 f64)
    (local $x8 f64) (local $x9 f64) (local $xa f64) (local $xb f64)
    (local $xc f64) (local $xd f64) (local $xe f64) (local $xf f64)
    (loop $top
      (local.set $x0 (f64.add (local.get $x0) (f64.const 1)))
      (local.set $x1 (f64.add (local.get $x1) (local.get $x0)))
      (local.set $x2 (f64.add (local.get $x2) (call $fid (local.get $x1))))
      (local.set $x3 (f64.add (local.get $x3) (f64.const 0.5)))
      (local.set $x4 (f64.mul (f64.const 1.5) (f64.add (local.get $x4) (f64.const 1))))
      (local.set $x5 (f64.sub (local.get $x5) (local.get $x3)))
      (local.set $x6 (f64.add (local.get $x6) (call $fid (local.get $x5))))
      (local.set $x7 (f64.add (local.get $x7) (f64.const 7)))
      (local.set $x8 (f64.add (local.get $x8) (f64.const 8)))
      (local.set $x9 (f64.add (local.get $x9) (f64.const 9)))
      (local.set $xa (f64.add (local.get $xa) (f64.const 10)))
      (local.set $xb (f64.add (local.get $xb) (f64.const 11)))
      (local.set $xc (f64.add (local.get $xc) (f64.const 12)))
      (local.set $xd (f64.add (local.get $xd) (f64.const 13)))
      (local.set $xe (f64.add (local.get $xe) (local.get $x1)))
      (local.set $xf (f64.sub (local.get $xf) (local.get $x2)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $top (local.get $n)))
    (f64.add (local.get $x0) (f64.add (local.get $x1) (f64.add (local.get $x2)
    (f64.add (local.get $x3) (f64.add (local.get $x4) (f64.add (local.get $x5)
    (f64.add (local.get $x6) (f64.add (local.get $x7) (f64.add (local.get $x8)
    (f64.add (local.get $x9) (f64.add (local.get $xa) (f64.add (local.get $xb)
    (f64.add (local.get $xc) (f64.add (local.get $xd)
    (f64.add (local.get $xe) (local.get $xf)))))))))))))))))

  ;; live values across call_indirect and memory.grow
  (func (export "across_indirect_grow") (param $n i32) (result i32)
    (local $s i32) (local $t i32) (local $u f64)
    (local.set $t (i32.const 100))
    (local.set $u (f64.const 2.5))
    (loop $top
      (local.set $s (i32.add (local.get $s)
        (call_indirect (type $t) (local.get $n)
          (i32.and (local.get $n) (i32.const 1)))))
      (local.set $t (i32.add (local.get $t) (memory.grow (i32.const 0))))
      (local.set $u (f64.add (local.get $u) (f64.convert_i32_s (local.get $s))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $top (local.get $n)))
    (i32.add (i32.add (local.get $s) (local.get $t))
             (i32.trunc_f64_s (local.get $u))))

  ;; the operand stack's slots hold integers, then floats
  (func (export "mixed_slots") (param $x i32) (param $y f64) (result f64)
    (f64.add
      (f64.convert_i32_s (i32.mul (i32.add (local.get $x) (i32.const 3))
                                  (i32.sub (local.get $x) (i32.const 1))))
      (f64.mul (f64.add (local.get $y) (f64.const 1))
               (f64.sub (local.get $y) (f64.const 1)))))

  ;; a value carried out of a block by br_if and by the fall-through
  (func (export "carried") (param $n i32) (result i32)
    (local $acc i32)
    (loop $top
      (local.set $acc (i32.add (local.get $acc)
        (block (result i32)
          (br_if 0 (i32.mul (local.get $n) (i32.const 3))
                   (i32.and (local.get $n) (i32.const 1)))
          (drop)
          (i32.add (local.get $n) (i32.const 1000)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $top (local.get $n)))
    (local.get $acc))

  ;; results never read are left out; the last write wins
  (func (export "dead") (param $x i32) (result i32)
    (local $y i32)
    (drop (i32.add (local.get $x) (i32.const 5)))
    (local.set $y (i32.mul (local.get $x) (i32.const 7)))
    (local.set $y (i32.sub (local.get $x) (i32.const 2)))
    (drop (f64.add (f64.const 1) (f64.convert_i32_s (local.get $x))))
    (local.get $y))

  ;; floats through memory, their bits through integer loads
  (func (export "float_memory") (param $n i32) (result i64)
    (local $i i32) (local $s f64) (local $f f32)
    (loop $fill
      (f64.store (i32.shl (local.get $i) (i32.const 3))
                 (f64.mul (f64.convert_i32_u (local.get $i)) (f64.const 0.25)))
      (f32.store offset=4096 (i32.shl (local.get $i) (i32.const 2))
                 (f32.convert_i32_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $i (i32.const 0))
    (loop $sum
      (local.set $s (f64.add (local.get $s)
        (f64.load (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $f (f32.add (local.get $f)
        (f32.load offset=4096 (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $sum (i32.lt_u (local.get $i) (local.get $n))))
    (i64.add (i64.reinterpret_f64 (local.get $s))
             (i64.extend_i32_u (i32.reinterpret_f32 (local.get $f)))))

  ;; more values than one 64-bit liveness word covers: values carried along
  ;; a loop's back edge, br_table's and br_if's edges and fall-throughs
  (func (export "wide_branches") (param $n i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (loop $top
      (block $c
        (block $b
          (block $a
            (br_table $a $b $c (i32.rem_u (local.get 0) (i32.const 3))))
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (local.set 65 (i32.add (local.get 65) (i32.const 3)))
          (br $c))
        (local.set 33 (i32.add (local.get 33)
                               (i32.mul (local.get 0) (i32.const 5))))
        (br_if $c (i32.gt_u (local.get 0) (i32.const 4)))
        (local.set 66 (i32.add (local.get 66) (i32.const 7))))
      (local.set 40 (i32.add (local.get 40) (local.get 1)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $top (local.get 0)))
    (i32.add (i32.add (i32.add (local.get 1) (local.get 33)) (local.get 40))
             (i32.add (local.get 65) (local.get 66))))
)

(assert_return (invoke "many_across_call" (i32.const 1)) (i32.const 40))
(assert_return (invoke "many_across_call" (i32.const 10)) (i32.const 769))
(assert_return (invoke "floats_across_call" (i32.const 1)) (f64.const 74))
(assert_return (invoke "floats_across_call" (i32.const 5)) (f64.const 367.28125))
(assert_return (invoke "across_indirect_grow" (i32.const 4)) (i32.const 168))
(assert_return (invoke "mixed_slots" (i32.const 5) (f64.const 3)) (f64.const 40))
(assert_return (invoke "carried" (i32.const 6)) (i32.const 3039))
(assert_return (invoke "dead" (i32.const 10)) (i32.const 8))
(assert_return (invoke "float_memory" (i32.const 8)) (i64.const 4619567318880485376))
(assert_return (invoke "wide_branches" (i32.const 1)) (i32.const 12))
(assert_return (invoke "wide_branches" (i32.const 10)) (i32.const 277))
(assert_return (invoke "wide_branches" (i32.const 100)) (i32.const 123142))
