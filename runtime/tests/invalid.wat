;; Decodes but does not validate (i32.add with one operand); built with
;; wat2wasm --no-check.
(module
  (func (export "_start") (drop (i32.add (i32.const 1)))))
