/* main.c — wasm-spectest's command line. Each script runs in a child
 * process with a time limit, so that a crash or a hang of the engine under
 * test is reported as a failure of that script and the runner goes on.
 * Prints the failures, then one line "N passed, N failed".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spectest.h"

struct run_opts {
	struct st_opts st;
	bool fork;
	unsigned int timeout; /* seconds per script; 0: none */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wasm-spectest [-v] [-n] [-i|-j|-T] [-t SECONDS] FILE.json...\n"
		"Runs scripts made by wast2json against the wasm-bpf engine.\n"
		"  -v          print each command as it runs\n"
		"  -n          no child process per script (for debuggers)\n"
		"  -i, -j      run in the interpreter / the compiling tier\n"
		"              (default: compiled unless WASM_BPF_JIT=0)\n"
		"  -T          tiered: interpreted until hot, then compiled\n"
		"              (WASM_BPF_JIT_TIER=N: how hot)\n"
		"  -t SECONDS  time limit per script (default 300, 0: none)\n");
}

/* Reports how a child that did not exit normally ended. */
static void report_death(const char *path, int status, struct st_counts *c)
{
	c->failed++;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		printf("%s:%d: %s: timed out\n", path, c->line, c->cmd);
	else if (WIFSIGNALED(status))
		printf("%s:%d: %s: crashed: %s\n", path, c->line, c->cmd,
		       strsignal(WTERMSIG(status)));
	else
		printf("%s: runner exited with status %d (a sanitizer report "
		       "is on stderr)\n",
		       path, WEXITSTATUS(status));
}

static int run_in_child(const char *path, const struct run_opts *o,
			struct st_counts *c)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return st_run_script(path, &o->st, c);
	}
	if (pid == 0) {
		alarm(o->timeout);
		st_run_script(path, &o->st, c);
		/* exit(), not _exit(): LeakSanitizer checks the child here. */
		exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		report_death(path, status, c);
	return 0;
}

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	int opt;

	while ((opt = getopt(argc, argv, "vnijTt:h")) != -1) {
		switch (opt) {
		case 'v':
			o->st.verbose = true;
			break;
		case 'n':
			o->fork = false;
			break;
		case 'i':
			o->st.tier = WASM_TIER_INTERP;
			break;
		case 'j':
			o->st.tier = WASM_TIER_JIT;
			break;
		case 'T':
			o->st.tier = WASM_TIER_TIERED;
			break;
		case 't':
			o->timeout = strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct run_opts o = {.fork = true, .timeout = 300};
	uint64_t passed = 0, failed = 0;
	struct st_counts *c;
	int i, nfiles;

	if (parse_opts(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	nfiles = argc - optind;
	for (i = optind; i < argc; i++) {
		memset(c, 0, sizeof(*c));
		if (o.fork)
			run_in_child(argv[i], &o, c);
		else
			st_run_script(argv[i], &o.st, c);
		if (nfiles > 1)
			printf("%s: %llu/%llu\n", argv[i],
			       (unsigned long long)c->passed,
			       (unsigned long long)(c->passed + c->failed));
		passed += c->passed;
		failed += c->failed;
	}
	printf("%llu passed, %llu failed\n", (unsigned long long)passed,
	       (unsigned long long)failed);
	return failed ? 1 : 0;
}
