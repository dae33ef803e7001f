/* delegate.c — containers that are not Wasm go to runc or crun, with the
 * same command line except --root, which becomes ROOT/delegated so that
 * the two runtimes' state never mixes. Later commands for such an id
 * (start, kill, exec, ...) follow it there. $WASM_BPF_OCI_DELEGATE names
 * the runtime; else the first of runc, crun on $PATH. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocirt/ocirt.h"

static char **g_globals;
static int g_nglobals;

void ocirt_delegate_keep_globals(int argc, char **argv, int nglobal)
{
	g_globals = calloc(nglobal + 1, sizeof(char *));
	if (!g_globals)
		return;
	for (int i = 1; i < nglobal; i++) {
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		if (!strncmp(a, "root=", 5))
			continue;
		if (!strcmp(a, "root")) {
			i++;
			continue;
		}
		g_globals[g_nglobals++] = argv[i];
	}
}

static void delegate_root(char *out, size_t n)
{
	snprintf(out, n, "%s/delegated", ocirt_g.root);
}

/* The delegate's path, or NULL. */
static const char *find_delegate(char *buf, size_t n)
{
	const char *env = getenv("WASM_BPF_OCI_DELEGATE");
	const char *names[] = {"runc", "crun"};
	char self[PATH_MAX], *path, *dir, *save = NULL;

	if (env && *env)
		return env;
	if (!realpath("/proc/self/exe", self))
		self[0] = 0;
	for (unsigned i = 0; i < 2; i++) {
		path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
		for (dir = strtok_r(path, ":", &save); dir;
		     dir = strtok_r(NULL, ":", &save)) {
			char real[PATH_MAX];
			snprintf(buf, n, "%s/%s", dir, names[i]);
			if (!access(buf, X_OK) && realpath(buf, real) &&
			    strcmp(real, self)) {
				free(path);
				return buf;
			}
		}
		free(path);
	}
	return NULL;
}

int ocirt_delegate(char **argv, const char *why)
{
	char bin[PATH_MAX], root[4200];
	const char *d = find_delegate(bin, sizeof(bin));
	char **nv;
	int n = 0, argc = 0;

	if (!d)
		return ocirt_err("%s, and neither runc nor crun is installed "
				 "to run it", why);
	while (argv[argc])
		argc++;
	nv = calloc(g_nglobals + argc + 4, sizeof(char *));
	if (!nv)
		return ocirt_err("out of memory");
	delegate_root(root, sizeof(root));
	nv[n++] = (char *)d;
	nv[n++] = "--root";
	nv[n++] = root;
	for (int i = 0; i < g_nglobals; i++)
		nv[n++] = g_globals[i];
	for (int i = 0; i < argc; i++)
		nv[n++] = argv[i];
	ocirt_debug("%s: handing over to %s", why, d);
	execv(d, nv);
	return ocirt_err("%s: %s", d, strerror(errno));
}

void ocirt_delegate_if_theirs(char **argv, const char *id)
{
	char mine[4400], theirs[4400];

	if (strchr(id, '/') || id[0] == '.')
		return;
	snprintf(mine, sizeof(mine), "%s/%s", ocirt_g.root, id);
	delegate_root(theirs, sizeof(theirs));
	snprintf(theirs + strlen(theirs), sizeof(theirs) - strlen(theirs),
		 "/%s", id);
	if (access(mine, F_OK) && !access(theirs, F_OK))
		exit(ocirt_delegate(argv, "not a Wasm container"));
}
