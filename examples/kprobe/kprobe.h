/* kprobe.h — one entry into or return from do_unlinkat(). */
#ifndef KPROBE_H
#define KPROBE_H

#define NAME_LEN 128

struct event {
	int pid;
	int is_return;
	long ret;
	char comm[16];
	char filename[NAME_LEN];
};

#endif
