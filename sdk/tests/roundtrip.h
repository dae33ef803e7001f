/* roundtrip.h — a struct the BPF side fills in the kernel and a wasm32
 * guest reads through `wasm-bpf gen types`, field by field. */
#ifndef ROUNDTRIP_H
#define ROUNDTRIP_H

enum rt_kind { RT_NONE = 0, RT_SOME = 7, RT_WIDE = 0x12345678 };

struct rt_nested {
	short s;
	long long ll;
	char name[5];
};

struct rt_shared {
	char c;
	void *ptr;
	long l;
	unsigned long ul;
	int arr[3];
	struct rt_nested nest;
	struct rt_nested nests[2];
	union {
		unsigned int w;
		unsigned long long q;
		char b[12];
	} un;
	struct {
		unsigned char a : 3;
		unsigned char b : 5;
		unsigned int c : 20;
		unsigned long long d : 40;
	} bits;
	enum rt_kind kind;
	const char *str;
	_Bool flag;
	int pid;
	long long magic; /* .rodata value the guest set before load */
	int data_in;	 /* .data value the guest set before load */
	int bss_in;	 /* .bss value the guest set before load */
};

#endif
