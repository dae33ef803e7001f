/* execve.h — the record execve.bpf.c sends for each execve() call. */
#ifndef EXECVE_H
#define EXECVE_H

#define TASK_COMM_LEN 16
#define ARGSIZE	      64
#define MAXARGS	      6

struct comm_event {
	int pid;
	int ppid;
	unsigned int uid;
	int nargs;
	char comm[TASK_COMM_LEN];
	char args[MAXARGS][ARGSIZE]; /* argv[0..nargs), truncated */
};

#endif
