/* uprobe.h — one call or return of the probed function. */
#ifndef UPROBE_H
#define UPROBE_H

struct probe_event {
	int pid;
	int is_return;
	long long a, b; /* arguments on entry */
	long long ret;	/* result on return */
};

#endif
