;; A plugin that never returns and never calls out.
(module (func (export "_start") (loop $l (br $l))))
