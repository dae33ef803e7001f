/* skel_check.c — compiled for wasm32 against the skeleton of many.bpf.o:
 * every map, program, link and data section member a guest uses. */
#include "many.skel.h"

int main(void)
{
	struct many_bpf *s = many_bpf__open();
	int n = 0;

	if (!s)
		return 1;
	s->rodata->ro_int = 11;
	s->rodata->ro_long = 12;
	s->rodata->ro_pair.a = 13;
	s->rodata->ro_str[0] = 'R';
	s->data->data_int = 14;
	s->data->data_arr[2] = 15;
	s->bss->bss_int = 16;
	s->bss->bss_pair.p = 17;
	s->data_custom->custom_data = 18;
	s->rodata_custom->custom_ro = 19;
	n += !!s->maps.array_map + !!s->maps.hash_map + !!s->maps.percpu_map +
	     !!s->maps.ring + !!s->maps.perf + !!s->maps.rodata +
	     !!s->maps.data + !!s->maps.bss + !!s->maps.data_custom +
	     !!s->maps.rodata_custom;
	n += !!s->progs.prog_tp + !!s->progs.prog_xdp + !!s->progs.prog_socket +
	     !!s->progs.prog_raw;
	n += !s->links.prog_tp + !s->links.prog_xdp + !s->links.prog_socket +
	     !s->links.prog_raw;
	if (!many_bpf__load(s) && !many_bpf__attach(s))
		many_bpf__detach(s);
	many_bpf__destroy(s);
	return n == 18 ? 0 : 2;
}
