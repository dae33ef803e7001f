/* cmd.c — the lifecycle commands, with the checks runc's CLI makes:
 * create refuses a duplicate id, start needs a created container, kill a
 * live one, delete a stopped or created one unless --force. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ocirt/ocirt.h"

struct create_opts {
	const char *bundle, *pid_file, *console;
	int preserve_fds;
};

/* create's options; the index of ID, or -1 after an error. */
static int create_args(int argc, char **argv, struct create_opts *o)
{
	const char *v;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((v = ocirt_opt_value(argc, argv, &i, "bundle")) ||
		    (v = ocirt_opt_value(argc, argv, &i, "b")))
			o->bundle = v;
		else if ((v = ocirt_opt_value(argc, argv, &i, "pid-file")))
			o->pid_file = v;
		else if ((v = ocirt_opt_value(argc, argv, &i, "console-socket")))
			o->console = v;
		else if ((v = ocirt_opt_value(argc, argv, &i, "preserve-fds"))) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || end == v || n < 0 || n > 65536)
				return ocirt_err("create: bad --preserve-fds %s", v), -1;
			o->preserve_fds = (int)n;
		}
		else if (!strcmp(argv[i], "--no-pivot") ||
			 !strcmp(argv[i], "--no-new-keyring"))
			continue; /* nothing is pivoted or keyed for a guest */
		else
			return ocirt_err("create: unknown option %s", argv[i]), -1;
	}
	if (i != argc - 1)
		return ocirt_err("create: exactly one container id expected"), -1;
	return i;
}

/* Waits for the container process to say it is set up; 0 if it did. */
static int await_ready(int fd)
{
	char b = 1;
	ssize_t n = read(fd, &b, 1);

	close(fd);
	return n == 1 && !b ? 0 : -1;
}

static int write_pid_file(const char *path, pid_t pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%d", (int)pid);
	return ocirt_write_atomic(path, text);
}

/* Forks the container process and records it; 0 or 1. */
static int spawn(struct ocirt_spec *s, struct ocirt_state *st,
		 const struct create_opts *o)
{
	int p[2], dir_fd;
	pid_t pid;
	time_t now = time(NULL);

	dir_fd = open(st->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 || pipe2(p, O_CLOEXEC))
		return ocirt_err("%s: %s", st->dir, strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return ocirt_err("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		ocirt_init(s, st, o->console, p[1], dir_fd, o->preserve_fds);
	}
	close(p[1]);
	close(dir_fd);
	if (await_ready(p[0])) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 1; /* the child said why */
	}
	st->pid = pid;
	st->start_time = ocirt_proc_start_time(pid);
	strftime(st->created, sizeof(st->created), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime(&now));
	if (s->annotations)
		st->annotations = cJSON_PrintUnformatted(s->annotations);
	if (ocirt_state_save(st) ||
	    (o->pid_file && write_pid_file(o->pid_file, pid))) {
		kill(pid, SIGKILL);
		return ocirt_err("saving the state of %s: %s", st->id,
				 strerror(errno));
	}
	return 0;
}

/* Whether this runtime runs it: 0 yes, 1 after an error, or it execs
 * runc/crun. */
static int take_or_hand_on(const struct ocirt_spec *s, char **argv)
{
	int fd;

	if (ocirt_spec_is_wasm(s))
		return 0;
	/* Unannotated, a name that is not in the root may be runc's to
	 * look up on PATH. */
	if (!s->wasm_annotated)
		return ocirt_delegate(argv, "the entry point is not a Wasm "
					    "module");
	if ((fd = ocirt_spec_open_module(s)) < 0)
		return ocirt_err("%s in %s: %s", s->args[0], s->root,
				 strerror(errno));
	close(fd);
	return ocirt_err("%s is not a Wasm module, yet the annotations ask "
			 "for the Wasm handler", s->args[0]);
}

int ocirt_create(int argc, char **argv)
{
	struct create_opts o = {.bundle = "."};
	struct ocirt_state st = {.pid = 0};
	struct ocirt_spec s;
	char bundle[PATH_MAX], fifo[4200];
	int id = create_args(argc, argv, &o), r;

	if (id < 0)
		return OCIRT_EXIT_USAGE;
	if (ocirt_check_id(argv[id]))
		return 1;
	if (!realpath(o.bundle, bundle))
		return ocirt_err("bundle %s: %s", o.bundle, strerror(errno));
	if (ocirt_spec_load(&s, bundle) || take_or_hand_on(&s, argv) ||
	    ocirt_spec_check_caps(&s) ||
	    ocirt_cgroup_path(s.cgroups_path, st.cgroup, sizeof(st.cgroup))) {
		ocirt_spec_free(&s);
		return 1;
	}
	if (s.terminal && !o.console) {
		ocirt_spec_free(&s);
		return ocirt_err("process.terminal needs --console-socket");
	}
	ocirt_state_dir(&st, argv[id]);
	snprintf(st.bundle, sizeof(st.bundle), "%s", bundle);
	if (ocirt_mkdir_p(ocirt_g.root, 0711) || mkdir(st.dir, 0700)) {
		r = errno == EEXIST ? ocirt_err("container %s already exists",
						argv[id])
				    : ocirt_err("%s: %s", st.dir, strerror(errno));
		ocirt_spec_free(&s);
		return r;
	}
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", st.dir);
	r = mkfifo(fifo, 0600) ? ocirt_err("%s: %s", fifo, strerror(errno))
			       : spawn(&s, &st, &o);
	if (r)
		ocirt_state_remove(&st);
	else
		free(st.annotations);
	ocirt_spec_free(&s);
	return r;
}

/* The single id of a command without options; NULL after an error. */
static const char *only_id(int argc, char **argv)
{
	if (argc != 2) {
		ocirt_err("%s: exactly one container id expected", argv[0]);
		return NULL;
	}
	ocirt_delegate_if_theirs(argv, argv[1]);
	return argv[1];
}

int ocirt_start(int argc, char **argv)
{
	const char *id = only_id(argc, argv);
	struct ocirt_state st;
	enum ocirt_status s;
	char fifo[4200];
	int fd = -1;

	if (!id)
		return OCIRT_EXIT_USAGE;
	if (ocirt_state_load(&st, id))
		return 1;
	free(st.annotations);
	s = ocirt_state_status(&st);
	if (s != OCIRT_CREATED)
		return ocirt_err("cannot start a container that is %s",
				 ocirt_status_name(s));
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", st.dir);
	/* The process opens its end right after create returns: wait for
	 * it, while it lives. */
	for (int i = 0; i < 500 && fd < 0; i++) {
		fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && (errno != ENXIO ||
			       ocirt_state_status(&st) == OCIRT_STOPPED))
			break;
		if (fd < 0)
			usleep(10000);
	}
	if (fd < 0 || write(fd, "0", 1) != 1)
		return ocirt_err("starting %s: %s", id, strerror(errno));
	close(fd);
	unlink(fifo);
	return 0;
}

int ocirt_state_cmd(int argc, char **argv)
{
	const char *id = only_id(argc, argv);
	struct ocirt_state st;
	enum ocirt_status s;
	cJSON *o;
	char *text;

	if (!id)
		return OCIRT_EXIT_USAGE;
	if (ocirt_state_load(&st, id))
		return 1;
	s = ocirt_state_status(&st);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "ociVersion", OCIRT_VERSION_OCI);
	cJSON_AddStringToObject(o, "id", st.id);
	cJSON_AddStringToObject(o, "status", ocirt_status_name(s));
	cJSON_AddNumberToObject(o, "pid", s == OCIRT_STOPPED ? 0 : st.pid);
	cJSON_AddStringToObject(o, "bundle", st.bundle);
	cJSON_AddStringToObject(o, "created", st.created);
	if (st.annotations)
		cJSON_AddRawToObject(o, "annotations", st.annotations);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	free(st.annotations);
	if (!text)
		return ocirt_err("out of memory");
	printf("%s\n", text);
	free(text);
	return 0;
}

static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"HUP", SIGHUP},	 {"INT", SIGINT},   {"QUIT", SIGQUIT},
		    {"KILL", SIGKILL},	 {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
		    {"PIPE", SIGPIPE},	 {"ALRM", SIGALRM}, {"TERM", SIGTERM},
		    {"CONT", SIGCONT},	 {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
		    {"WINCH", SIGWINCH}, {"ABRT", SIGABRT}};
	char *end;
	long n = strtol(s, &end, 10);

	if (!*end && end != s)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcasecmp(s, sigs[i].name))
			return sigs[i].sig;
	return -1;
}

int ocirt_kill(int argc, char **argv)
{
	struct ocirt_state st;
	const char *id;
	int i = 1, sig = SIGTERM;

	/* --all: the guest is the container's only process. */
	while (i < argc && (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a")))
		i++;
	if (i >= argc || argc - i > 2)
		return ocirt_err("kill: usage: kill [--all] ID [SIGNAL]"),
		       OCIRT_EXIT_USAGE;
	id = argv[i];
	ocirt_delegate_if_theirs(argv, id);
	if (argc - i == 2 && (sig = parse_signal(argv[i + 1])) < 0)
		return ocirt_err("kill: unknown signal %s", argv[i + 1]);
	if (ocirt_state_load(&st, id))
		return 1;
	free(st.annotations);
	if (ocirt_state_status(&st) == OCIRT_STOPPED)
		return ocirt_err("container %s is not running", id);
	if (kill(st.pid, sig))
		return ocirt_err("kill %s: %s", id, strerror(errno));
	return 0;
}

/* SIGKILL and wait (up to 10 s) until the process is gone. */
static int kill_wait(const struct ocirt_state *st)
{
	kill(st->pid, SIGKILL);
	for (int i = 0; i < 1000; i++) {
		if (ocirt_state_status(st) == OCIRT_STOPPED)
			return 0;
		usleep(10000);
	}
	return ocirt_err("container %s did not die", st->id);
}

int ocirt_delete(int argc, char **argv)
{
	struct ocirt_state st;
	enum ocirt_status s;
	bool force = false;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--force") && strcmp(argv[i], "-f"))
			return ocirt_err("delete: unknown option %s", argv[i]),
			       OCIRT_EXIT_USAGE;
		force = true;
	}
	if (i != argc - 1)
		return ocirt_err("delete: exactly one container id expected"),
		       OCIRT_EXIT_USAGE;
	ocirt_delegate_if_theirs(argv, argv[i]);
	if (ocirt_check_id(argv[i]))
		return 1;
	ocirt_state_dir(&st, argv[i]);
	/* runc: forcing the delete of an unknown id is not an error. */
	if (force && access(st.dir, F_OK))
		return 0;
	if (ocirt_state_load(&st, argv[i]))
		return 1;
	s = ocirt_state_status(&st);
	if (s == OCIRT_RUNNING && !force) {
		free(st.annotations);
		return ocirt_err("cannot delete container %s that is not "
				 "stopped: running (use --force)", st.id);
	}
	if (s != OCIRT_STOPPED && kill_wait(&st)) {
		free(st.annotations);
		return 1;
	}
	ocirt_state_remove(&st);
	return 0;
}

int ocirt_features(void)
{
	static const char *const ns[] = {"mount", "uts", "ipc", "pid",
					 "network", "cgroup"};
	cJSON *o = cJSON_CreateObject(), *l, *cg, *ann;
	char *text;

	cJSON_AddStringToObject(o, "ociVersionMin", "1.0.0");
	cJSON_AddStringToObject(o, "ociVersionMax", OCIRT_VERSION_OCI);
	cJSON_AddItemToObject(o, "hooks", cJSON_CreateArray());
	cJSON_AddItemToObject(o, "mountOptions",
			      cJSON_CreateStringArray((const char *[]){"bind", "rbind"}, 2));
	l = cJSON_AddObjectToObject(o, "linux");
	cJSON_AddItemToObject(l, "namespaces", cJSON_CreateStringArray(ns, 6));
	cg = cJSON_AddObjectToObject(l, "cgroup");
	cJSON_AddBoolToObject(cg, "v1", 1);
	cJSON_AddBoolToObject(cg, "v2", 1);
	/* slice:prefix:name paths, but no scope registered with systemd. */
	cJSON_AddBoolToObject(cg, "systemd", 0);
	ann = cJSON_AddObjectToObject(o, "annotations");
	cJSON_AddStringToObject(ann, "run.oci.handler", "wasm");
	cJSON_AddStringToObject(ann, "module.wasm.image/variant", "compat");
	text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text)
		return ocirt_err("out of memory");
	printf("%s\n", text);
	free(text);
	return 0;
}
