;; malformed.wast — hand-assembled binaries: the header, section framing
;; and order, LEB128 integers (too long, unused bits set, non-minimal but
;; valid), counts that disagree between sections, bad type, kind and flag
;; bytes, UTF-8 in names, illegal opcodes and broken function bodies.
;; Each malformed case has a well-formed neighbour that must load.
;; wabt 1.0.32's reader accepts two of these (a data count without a data
;; section; a non-zero memory index byte in memory.size, which it reads as
;; multi-memory); Wasm 2.0 says both are malformed.
;;
;; Sections used below:
;;   type  "\01\04\01\60\00\00"        one type [] -> []
;;   func  "\03\02\01\00"              one function of type 0
;;   code  "\0a\04\01\02\00\0b"        its body: no locals, end
;;   mem   "\05\03\01\00\01"           one memory, min 1 page

;; the header
(module binary "\00asm" "\01\00\00\00")
(assert_malformed (module binary "") "unexpected end")
(assert_malformed (module binary "\00asm") "unexpected end")
(assert_malformed (module binary "\00asm" "\01\00") "unexpected end")
(assert_malformed (module binary "\00asn" "\01\00\00\00") "magic header not detected")
(assert_malformed (module binary "asm\00" "\01\00\00\00") "magic header not detected")
(assert_malformed (module binary "\00asm" "\02\00\00\00") "unknown binary version")
(assert_malformed (module binary "\00asm" "\00\00\00\01") "unknown binary version")

;; section framing and order
(module binary "\00asm" "\01\00\00\00"
  "\00\04\03abc" "\01\04\01\60\00\00" "\00\02\01x" "\03\02\01\00"
  "\0a\04\01\02\00\0b" "\00\01\00")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\0e\01\00") "malformed section id")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\7f\01\00") "malformed section id")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\05\01\60\00\00") "unexpected end")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\03\01\60\00\00") "section size mismatch")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\05\01\60\00\00\00") "section size mismatch")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\04\02\60\00\00") "unexpected end")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01") "unexpected end")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\03\02\01\00" "\01\04\01\60\00\00" "\0a\04\01\02\00\0b")
  "unexpected content after last section")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\01\04\01\60\00\00")
  "unexpected content after last section")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\0a\04\01\02\00\0b" "\05\03\01\00\01")
  "unexpected content after last section")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\00\02\05ab") "unexpected end")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\00\00") "unexpected end")

;; LEB128
(module binary "\00asm" "\01\00\00\00" "\01\08\81\80\80\80\00\60\00\00")
(module binary "\00asm" "\01\00\00\00" "\01\84\80\80\80\00\01\60\00\00")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\84\80\80\80\80\00\01\60\00\00") "integer representation too long")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\08\81\80\80\80\10\60\00\00") "integer too large")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\08\81\80\80\80\80\60\00\00") "integer representation too long")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\03\81\80\80") "unexpected end")
(module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
  "\0a\0b\01\09\00\41\ff\ff\ff\ff\7f\1a\0b")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\0b\01\09\00\41\ff\ff\ff\ff\4f\1a\0b")
  "integer too large")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\0b\01\09\00\41\80\80\80\80\10\1a\0b")
  "integer too large")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\0c\01\0a\00\41\80\80\80\80\80\00\1a\0b")
  "integer representation too long")
(module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
  "\0a\10\01\0e\00\42\ff\ff\ff\ff\ff\ff\ff\ff\ff\7f\1a\0b")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\10\01\0e\00\42\ff\ff\ff\ff\ff\ff\ff\ff\ff\41\1a\0b")
  "integer too large")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\11\01\0f\00\42\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\00\1a\0b")
  "integer representation too long")

;; counts that must agree
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00")
  "function and code section have inconsistent lengths")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\0a\04\01\02\00\0b")
  "function and code section have inconsistent lengths")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\03\02\00\00" "\0a\04\01\02\00\0b")
  "function and code section have inconsistent lengths")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\05\03\01\00\01" "\0c\01\02" "\0b\07\01\00\41\00\0b\01\61")
  "data count and data section have inconsistent lengths")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\05\03\01\00\01" "\0c\01\01")
  "data count and data section have inconsistent lengths")
(module binary "\00asm" "\01\00\00\00" "\05\03\01\00\01" "\0c\01\01" "\0b\07\01\00\41\00\0b\01\61")
;; memory.init and data.drop need the data count section
(module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\05\03\01\00\01"
  "\0c\01\01" "\0a\0e\01\0c\00\41\00\41\00\41\00\fc\08\00\00\0b" "\0b\04\01\01\01\61")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\05\03\01\00\01"
    "\0a\0e\01\0c\00\41\00\41\00\41\00\fc\08\00\00\0b" "\0b\04\01\01\01\61")
  "data count section required")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\05\03\01\00\01"
    "\0a\07\01\05\00\fc\09\00\0b" "\0b\04\01\01\01\61")
  "data count section required")

;; bad type, kind and flag bytes
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\04\01\61\00\00") "integer representation too long")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\05\01\60\01\7a\00") "malformed value type")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01\05\01\60\00\01\40") "malformed value type")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\02\07\01\01m\01f\04\00") "malformed import kind")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\06\06\01\7f\02\41\00\0b") "malformed mutability")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\04\04\01\7f\00\01") "malformed reference type")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\05\03\01\08\01") "integer too large")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\05\03\01\00\01" "\0b\07\01\03\41\00\0b\01\61") "malformed data segment kind")
(module binary "\00asm" "\01\00\00\00" "\06\06\01\7f\01\41\00\0b")

;; names must be valid UTF-8
(module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
  "\07\07\01\03\e2\82\ac\00\00" "\0a\04\01\02\00\0b")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\07\05\01\01\ff\00\00" "\0a\04\01\02\00\0b")
  "malformed UTF-8 encoding")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\07\06\01\02\c0\80\00\00" "\0a\04\01\02\00\0b")
  "malformed UTF-8 encoding")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\07\07\01\03\ed\a0\80\00\00" "\0a\04\01\02\00\0b")
  "malformed UTF-8 encoding")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\02\08\01\02\e2\82\01f\00\00")
  "malformed UTF-8 encoding")

;; function bodies
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\0a\05\01\03\00\ff\0b")
  "illegal opcode")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\0a\05\01\03\00\06\0b")
  "illegal opcode")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\0a\06\01\04\00\fc\7f\0b")
  "illegal opcode")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\0a\03\01\01\00")
  "unexpected end")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\0a\05\01\03\00\0b\01")
  "section size mismatch")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\0a\04\01\05\00\0b")
  "unexpected end")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\06\01\04\00\02\40\0b")
  "unexpected end")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\10\01\0e\02\80\80\80\80\08\7f\80\80\80\80\08\7f\0b")
  "too many locals")
(module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
  "\0a\0a\01\08\02\01\7f\02\7e\01\01\0b")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\05\03\01\00\01"
    "\0a\07\01\05\00\3f\01\1a\0b")
  "zero byte expected")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\05\03\01\00\01"
    "\0a\09\01\07\00\41\00\40\01\1a\0b")
  "zero byte expected")
