;; Tiered mode: loops entered in compiled code at their headers (the
;; runner's tiered mode makes a function hot at a loop's first round), with
;; values live into the header in general and float registers, nested
;; loops, calls in and out of loops, traps and multiple results.
(module
  (memory 1)
  ;; many values live around one loop: more than the general registers
  (func (export "many") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local $e i64) (local $f i64) (local $g i64) (local $h i64)
    (local $i i64) (local $j i64)
    (local.set $a (i64.const 1)) (local.set $b (i64.const 2))
    (local.set $c (i64.const 3)) (local.set $d (i64.const 4))
    (local.set $e (i64.const 5)) (local.set $f (i64.const 6))
    (local.set $g (i64.const 7)) (local.set $h (i64.const 8))
    (local.set $i (i64.const 9)) (local.set $j (i64.const 10))
    (loop $l
      (local.set $a (i64.add (local.get $a) (local.get $b)))
      (local.set $b (i64.xor (local.get $b) (local.get $c)))
      (local.set $c (i64.mul (local.get $c) (i64.const 3)))
      (local.set $d (i64.add (local.get $d) (local.get $a)))
      (local.set $e (i64.sub (local.get $e) (local.get $d)))
      (local.set $f (i64.rotl (local.get $f) (i64.const 5)))
      (local.set $g (i64.add (local.get $g) (local.get $f)))
      (local.set $h (i64.xor (local.get $h) (local.get $g)))
      (local.set $i (i64.add (local.get $i) (local.get $h)))
      (local.set $j (i64.add (local.get $j) (local.get $i)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.add (i64.add (i64.add (local.get $a) (local.get $b))
                      (i64.add (local.get $c) (local.get $d)))
             (i64.add (i64.add (i64.add (local.get $e) (local.get $f))
                               (i64.add (local.get $g) (local.get $h)))
                      (i64.add (local.get $i) (local.get $j)))))
  ;; floats live into the header
  (func (export "floats") (param $n i32) (result f64)
    (local $x f64) (local $y f64) (local $z f32)
    (local.set $x (f64.const 1.5)) (local.set $y (f64.const 0.25))
    (local.set $z (f32.const 2))
    (loop $l
      (local.set $x (f64.add (f64.mul (local.get $x) (f64.const 1.0625))
                             (local.get $y)))
      (local.set $y (f64.sub (local.get $y) (f64.const 0.125)))
      (local.set $z (f32.mul (local.get $z) (f32.const 1.5)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f64.add (local.get $x) (f64.promote_f32 (local.get $z))))
  ;; nested loops: the inner one tiers first, the outer goes on compiled
  (func $nested (export "nested") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $s (i32.add (local.get $s)
                               (i32.mul (local.get $i) (local.get $j))))
        (br_if $inner (i32.lt_u (local.tee $j (i32.add (local.get $j)
                                                      (i32.const 1)))
                                (local.get $n))))
      (br_if $outer (i32.lt_u (local.tee $i (i32.add (local.get $i)
                                                    (i32.const 1)))
                              (local.get $n))))
    (local.get $s))
  ;; a loop calling an interpreted function and one that loops itself
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (export "calls") (param $n i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
                             (i32.add (call $sq (local.get $n))
                                      (call $nested (i32.const 3)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  ;; memory in a loop, then a trap at a known place after entering
  (func (export "fill") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (i32.store (i32.shl (local.get $i) (i32.const 2))
                 (i32.mul (local.get $i) (i32.const 7)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (local.get $n))))
    (i32.load (i32.const 400)))
  (func (export "divloop") (param $n i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
                             (i32.div_u (i32.const 1000) (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l))
    (local.get $s))
  ;; two results from a function entered at its loop
  (func (export "pair") (param $n i32) (result i32 i64) (local $a i64)
    (loop $l
      (local.set $a (i64.add (local.get $a) (i64.extend_i32_u (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.wrap_i64 (local.get $a)) (i64.mul (local.get $a) (i64.const 3)))
  ;; a back edge through br_table, and recursion inside a loop
  (func $rec (export "rec") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 1))))
    (block $done
      (loop $l
        (local.set $s (i32.add (local.get $s)
                               (call $rec (i32.sub (local.get $n) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_table $l $done (i32.ge_u (local.get $i) (i32.const 2)))))
    (local.get $s)))

(assert_return (invoke "many" (i32.const 1000)) (i64.const -4557163206777270337))
(assert_return (invoke "floats" (i32.const 20)) (f64.const 6629.4245561255384))
(assert_return (invoke "nested" (i32.const 30)) (i32.const 189225))
(assert_return (invoke "calls" (i32.const 10)) (i32.const 475))
(assert_return (invoke "fill" (i32.const 200)) (i32.const 700))
(assert_trap (invoke "divloop" (i32.const 5)) "integer divide by zero")
(assert_return (invoke "pair" (i32.const 100)) (i32.const 5050) (i64.const 15150))
(assert_return (invoke "rec" (i32.const 10)) (i32.const 1024))
(assert_return (invoke "many" (i32.const 1000)) (i64.const -4557163206777270337))
(assert_return (invoke "nested" (i32.const 30)) (i32.const 189225))
