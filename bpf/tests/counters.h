/* counters.h — what test.bpf.c and the programs reading it agree on: the
 * getpgid() arguments that make it write records, and the indexes of its
 * `counters` array (one per attach kind the suite checks).
 */
#ifndef WBT_COUNTERS_H
#define WBT_COUNTERS_H

/* getpgid(MAGIC_*): */
#define MAGIC_OUTPUT  0x5eed0001 /* a record through bpf_buffer__output */
#define MAGIC_RESERVE 0x5eed0002 /* one through reserve + submit */
#define MAGIC_FLOOD   0x5eed0003 /* a burst into flood_pb */
#define MAGIC_SIZES   0x5eed0004 /* a record of SIZES_LEN(seq) into rb_small */

/* Record seq of rb_small (test.bpf.c): this many bytes, byte i (from 4
 * on) (seq + i) & 0xff after the u32 seq; every 5th is discarded. */
#define SIZES_LEN(seq) ((seq) % 200 + 4)
#define SIZES_DISCARDED(seq) ((seq) % 5 == 4)

enum {
	C_SEQ,
	C_XDP,
	C_TC,
	C_CGROUP,
	C_UPROBE,
	C_SOCKET,
	C_KPROBE,
	C_FLOOD,
	C_SIZES,      /* rb_small records asked for */
	C_SIZES_FULL, /* and not written (the ring was full), discards aside */
	C_MAX
};

#endif
