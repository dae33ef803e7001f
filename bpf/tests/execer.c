/* execer.c — the execve example's target: execs through the libc names
 * the user backend's agent traces, each with TAG among the arguments so
 * the test can find its lines: a forked child's execv, a vfork child's
 * execl (its pid must not stick to the parent), an execve that fails
 * (ENOENT: the kernel's tracepoint sees it too), and an execve of the
 * parent itself last. Prints "child PID WHAT" for the children it made.
 *   execer TAG
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	/* On the stack: a forked child's file-backed pages (string
	 * literals) are not mapped until it touches them, and the kernel's
	 * tracepoint program cannot fault them in (its read would fail) */
	char t[] = "/bin/true", nx[] = "/nonexistent-wbt-execer",
	     f[] = "forked", m[] = "missing", l[] = "last", w[] = "wbt";
	char *tag = argc > 1 ? argv[1] : w;
	char *one[] = {t, tag, f, NULL};
	char *bad[] = {nx, tag, m, NULL};
	char *last[] = {t, tag, l, NULL};
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = fork();
	if (pid == 0) {
		execv(one[0], one);
		_exit(127);
	}
	printf("child %d forked\n", pid);
	waitpid(pid, NULL, 0);
	pid = vfork();
	if (pid == 0) {
		char v[] = "vforked";

		execl(t, t, tag, v, (char *)NULL);
		_exit(127);
	}
	printf("child %d vforked\n", pid);
	waitpid(pid, NULL, 0);
	if (execve(bad[0], bad, NULL) == 0 || errno != ENOENT)
		return 1;
	execve(last[0], last, NULL);
	return 1;
}
