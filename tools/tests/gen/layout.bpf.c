// SPDX-License-Identifier: GPL-2.0
/* layout.bpf.c — types whose wasm32 layout differs from their BPF one in
 * every way `wasm-bpf gen types` must handle: pointers, long, arrays,
 * nested and anonymous structs and unions, padding, bitfields, enums, a
 * packed struct and a flexible array. Only its BTF is used. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

enum color { RED = 1, GREEN = 2, BIG = 0x7fffffff };

struct inner {
	char tag;
	long value; /* 8 bytes in BPF, 4 on wasm32 */
	short pair[2];
};

struct packed_one {
	char c;
	int i;
} __attribute__((packed));

struct layout {
	char c;
	void *ptr; /* 8 in BPF */
	long l;
	unsigned long ul;
	int arr[3];
	struct inner in;
	struct inner many[2];
	union {
		__u32 u32;
		__u64 u64;
		char bytes[12];
	} u;
	struct {
		__u8 a : 3;
		__u8 b : 5;
		__u32 c : 20;
		__u64 d : 40;
	} bits;
	enum color color;
	const char *name;
	struct packed_one po;
	_Bool flag;
	long long tail[];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct layout);
} layouts SEC(".maps");
