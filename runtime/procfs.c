/* procfs.c — see procfs.h. The mount table is /proc/self/mountinfo: a
 * procfs mounted somewhere beneath a directory (as / holds /proc) is found
 * there; statfs() alone would only see the directory's own filesystem.
 */
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "runtime/procfs.h"

/* mountinfo writes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				    (s[3] - '0'));
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = 0;
}

/* Whether path `in` is `top` or lies beneath it (both absolute, clean). */
static bool within(const char *in, const char *top)
{
	size_t n = strlen(top);

	if (n == 1)
		return true; /* "/" */
	return !strncmp(in, top, n) && (in[n] == 0 || in[n] == '/');
}

/* The mount point of a procfs mount on this mountinfo line, or NULL. */
static char *proc_mount(char *line)
{
	char *sep = strstr(line, " - "), *mp;
	int i;

	if (!sep || strncmp(sep + 3, "proc ", 5))
		return NULL;
	mp = line;
	for (i = 0; i < 4 && mp; i++) { /* id parent dev root mountpoint */
		mp = strchr(mp, ' ');
		if (mp)
			mp++;
	}
	if (!mp || mp >= sep)
		return NULL;
	*strchr(mp, ' ') = 0;
	unescape(mp);
	return mp;
}

bool procfs_reachable(const char *dir, char *mnt, size_t len)
{
	char real[PATH_MAX], *line = NULL, *mp;
	struct statfs sf;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	if (!statfs(dir, &sf) && sf.f_type == PROC_SUPER_MAGIC) {
		snprintf(mnt, len, "%s", dir);
		return true;
	}
	if (!realpath(dir, real))
		return false;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false; /* no procfs mounted where we look for it */
	while (!found && getline(&line, &cap, f) > 0) {
		mp = proc_mount(line);
		if (mp && (within(mp, real) || within(real, mp))) {
			snprintf(mnt, len, "%s", mp);
			found = true;
		}
	}
	free(line);
	fclose(f);
	return found;
}
