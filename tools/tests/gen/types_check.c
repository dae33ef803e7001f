/* types_check.c — compiled for wasm32 and natively against the header
 * `wasm-bpf gen types` made from layout.bpf.o: its _Static_asserts check
 * every offset and size under both ILP32 and LP64; this adds the members
 * a guest reads. */
#include "layout.types.h"

int check(struct layout *l);

int check(struct layout *l)
{
	return l->c + (int)l->ptr + (int)l->l + (int)l->ul + l->arr[2] +
	       l->in.tag + (int)l->in.value + l->many[1].pair[1] +
	       (int)l->u.u64 + l->u.bytes[11] + l->bits.a + l->bits.b +
	       (int)l->bits.c + (int)l->bits.d + (l->color == GREEN) +
	       (int)l->name + l->po.i + l->flag;
}
