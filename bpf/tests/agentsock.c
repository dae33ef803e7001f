/* agentsock.c — the injected agent's hand-over socket (--pid) takes only
 * the runtime's datagram: another process sending descriptors to its
 * abstract name first is skipped and its descriptors closed.
 *   agentsock AGENT.so   prints "ok" or what went wrong
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bpf/user/ubpf_inject.h"

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* Three descriptors to abstract NAME, from this process. */
static int send3(const char *name)
{
	int fds[3], r;

	for (int i = 0; i < 3; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	r = ubpf_inject__send(name, fds, 3, "", 1);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	return r;
}

int main(int argc, char **argv)
{
	void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
	int (*bind_fn)(const char *) =
	    h ? dlsym(h, "wasm_bpf_agent_bind") : NULL;
	int (*attach_fn)(int, int) =
	    h ? dlsym(h, "wasm_bpf_agent_attach") : NULL;
	char name[64];
	int s, before, r, st;
	pid_t child;

	if (!bind_fn || !attach_fn) {
		printf("no agent entry points: %s\n", dlerror());
		return 1;
	}
	snprintf(name, sizeof(name), "wbt-agentsock-%d", getpid());
	s = bind_fn(name);
	if (s < 0) {
		printf("bind: %s\n", strerror(-s));
		return 1;
	}
	child = fork();
	if (child == 0)
		_exit(send3(name) ? 1 : 0);
	waitpid(child, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("the other process could not send\n");
		return 1;
	}
	before = open_fds();
	r = attach_fn(s, getpid());
	/* its datagram skipped (descriptors closed), none of ours: EAGAIN;
	 * the socket closed too */
	if (r != -EAGAIN || open_fds() != before - 1) {
		printf("attach returned %d (%s), descriptors %d -> %d\n", r,
		       strerror(-r), before, open_fds());
		return 1;
	}
	printf("ok\n");
	return 0;
}
