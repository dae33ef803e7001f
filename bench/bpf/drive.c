/* bench/bpf/drive.c — the native driver of Part B's timed runs. Starts a
 * command with pipes on its stdin and stdout and measures:
 *   - start-up: fork until the command's first stdout line (bpfbench
 *     prints "attached"; the examples print their header after attaching);
 *   - with -n N: produces N records by calling getpgid(MAGIC) (-m) in a
 *     loop, paced to -r RATE per second if given, then waits for the
 *     consumer's "done ..." line; reports the consumer's CPU time over that
 *     span (from /proc/PID/schedstat, nanoseconds) and the wall time;
 *   - the command's peak RSS (wait4's rusage) after stopping it: by closing
 *     its stdin, or SIGINT with -s;
 *   - the command's CPU time at its first line (startup_cpu_ns: its main
 *     thread's, from /proc/PID/schedstat) and the time from the stop to its
 *     exit (exit_ns).
 * With -p the consumer is stopped (SIGSTOP) while the N records are
 * produced and continued afterwards: CPU and wall time then cover only
 * draining a full buffer (the per-record cost without wake-ups).
 * Prints one line of key=value pairs, with the consumer's "done" fields
 * copied in. Usage: drive [-n N] [-m MAGIC] [-r RATE] [-p] [-s] -- CMD... */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct opts {
	long n, rate, magic;
	int sigint, pause;
	char **cmd;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

static pid_t spawn(char **cmd, int *in_fd, FILE **out)
{
	int in[2], o[2];
	pid_t pid;

	if (pipe(in) || pipe(o))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		close(in[1]);
		close(o[0]);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	*in_fd = in[1];
	*out = fdopen(o[0], "r");
	return pid;
}

static void produce(const struct opts *o)
{
	uint64_t t0 = now_ns();

	for (long i = 0; i < o->n; i++) {
		if (o->rate > 0)
			while ((now_ns() - t0) * (uint64_t)o->rate <
			       (uint64_t)i * 1000000000ull)
				;
		syscall(SYS_getpgid, o->magic);
	}
}

static int parse(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt(argc, argv, "n:m:r:ps")) != -1) {
		switch (c) {
		case 'n':
			o->n = atol(optarg);
			break;
		case 'm':
			o->magic = strtol(optarg, NULL, 0);
			break;
		case 'r':
			o->rate = atol(optarg);
			break;
		case 's':
			o->sigint = 1;
			break;
		case 'p':
			o->pause = 1;
			break;
		default:
			return -1;
		}
	}
	o->cmd = argv + optind;
	return optind < argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	char line[512] = "", done[512] = "";
	uint64_t t0, t_up, t_prod = 0, t_done = 0, c0 = 0, c1 = 0, c_up, t_exit;
	struct rusage ru;
	struct opts o;
	int in_fd, status;
	FILE *out;
	pid_t pid;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: drive [-n N] [-m MAGIC] [-r RATE] [-p] "
				"[-s] -- CMD ARGS...\n");
		return 2;
	}
	t0 = now_ns();
	pid = spawn(o.cmd, &in_fd, &out);
	if (pid < 0 || !out || !fgets(line, sizeof(line), out)) {
		fprintf(stderr, "drive: %s printed nothing\n", o.cmd[0]);
		return 1;
	}
	t_up = now_ns() - t0;
	c_up = cpu_ns(pid);
	if (o.n > 0) {
		if (o.pause)
			kill(pid, SIGSTOP);
		c0 = cpu_ns(pid);
		t0 = now_ns();
		produce(&o);
		t_prod = now_ns() - t0;
		if (o.pause) {
			c0 = cpu_ns(pid);
			t0 = now_ns();
			kill(pid, SIGCONT);
		}
		while (fgets(done, sizeof(done), out) &&
		       strncmp(done, "done", 4))
			;
		t_done = now_ns() - t0;
		c1 = cpu_ns(pid);
		done[strcspn(done, "\n")] = 0;
	}
	t0 = now_ns();
	if (o.sigint)
		kill(pid, SIGINT);
	close(in_fd);
	while (fgets(line, sizeof(line), out))
		;
	if (wait4(pid, &status, 0, &ru) < 0)
		return 1;
	t_exit = now_ns() - t0;
	printf("startup_ns=%llu startup_cpu_ns=%llu exit_ns=%llu maxrss_kb=%ld "
	       "status=%d",
	       (unsigned long long)t_up, (unsigned long long)c_up,
	       (unsigned long long)t_exit, ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status));
	if (o.n > 0)
		printf(" produced=%ld prod_ns=%llu wall_ns=%llu cpu_ns=%llu %s",
		       o.n, (unsigned long long)t_prod,
		       (unsigned long long)t_done,
		       (unsigned long long)(c1 - c0), done + 4);
	printf("\n");
	return 0;
}
