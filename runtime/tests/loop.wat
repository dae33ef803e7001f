;; An endless loop with no calls: only an interrupt can end it.
(module
  (func $endless (export "_start") (loop $l (br $l))))
