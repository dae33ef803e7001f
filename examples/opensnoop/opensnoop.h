/* opensnoop.h — what opensnoop.bpf.c keeps between syscall entry and exit,
 * and the record it sends to user space. */
#ifndef OPENSNOOP_H
#define OPENSNOOP_H

#define TASK_COMM_LEN 16
#define NAME_MAX      255
#define INVALID_UID   ((uid_t)-1)

struct args_t {
	const char *fname;
	int flags;
};

struct event {
	unsigned long long ts;
	int pid;
	unsigned int uid;
	int ret;
	int flags;
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX];
};

#endif
