/* watch.c — converging on a directory of plugin specs (watch.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "daemon/jsonlog.h"
#include "daemon/labels.h"
#include "daemon/plugin.h"
#include "daemon/pspec.h"
#include "daemon/state.h"
#include "daemon/watch.h"

/* After a change is seen, more usually follow (an editor's temporary
 * file, a ConfigMap's several renames): read the directory once they
 * settle. */
#define SETTLE_MS 200
#define WATCH_MASK                                                             \
	(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |                 \
	 IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |          \
	 IN_ONLYDIR)

/* After a start or upgrade failed, the same spec is tried again only
 * after a while, doubling up to this, or at once when it changes (the
 * module may come later: an image pulled into the store, a file copied). */
#define RETRY_MAX_S 300

/* What a spec file led to last time. */
struct known {
	char *file, *name;
	char *fp; /* the spec as started: its JSON */
	bool failed;
	double retry_at, backoff; /* monotonic seconds, after a failure */
	char error[600];
	char *invalid;	    /* the error last logged for the file */
	const char *action; /* started, upgraded, restarted, failed, ... */
	time_t since;	    /* of the action */
	struct known *next;
};

struct watch {
	struct watch_opts o;
	pthread_t thread;
	int ino, wd, stop[2];
	struct known *known;
	char *last_status; /* written last, to write only changes */
	pthread_mutex_t shown_lock;
	char *shown; /* the last pass's status, for the API */
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- ids ------------------------------------------------------------------
 */

/* A declared plugin's id: its name's hash, the same on every start. */
static void declared_id(const char *name, char *id)
{
	static const char salt[] = "wasm-bpfd declared plugin";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	memset(md, 0, sizeof(md));
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(c, salt, sizeof(salt)) &&
	    EVP_DigestUpdate(c, name, strlen(name)))
		EVP_DigestFinal_ex(c, md, &n);
	EVP_MD_CTX_free(c);
	for (int i = 0; i < PLUGIN_ID_LEN / 2; i++)
		sprintf(id + 2 * i, "%02x", md[i]);
}

static bool is_declared(const cJSON *plugin)
{
	const char *name = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(plugin, "name"));
	const char *id = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(plugin, "id"));
	char want[PLUGIN_ID_LEN + 1];

	if (!name || !id)
		return false;
	declared_id(name, want);
	return !strcmp(want, id);
}

/* ---- memory of files ------------------------------------------------------
 */

static struct known *known_of(struct watch *w, const char *file)
{
	struct known *k;

	for (k = w->known; k; k = k->next)
		if (!strcmp(k->file, file))
			return k;
	k = calloc(1, sizeof(*k));
	if (!k || !(k->file = strdup(file))) {
		free(k);
		return NULL;
	}
	k->next = w->known;
	w->known = k;
	return k;
}

static void known_set(struct known *k, const char *name, const char *fp,
		      const char *action, const char *error)
{
	if (name && (!k->name || strcmp(k->name, name))) {
		free(k->name);
		k->name = strdup(name);
	}
	if (fp) {
		free(k->fp);
		k->fp = strdup(fp);
	}
	k->failed = error != NULL;
	snprintf(k->error, sizeof(k->error), "%s", error ? error : "");
	if (action) {
		k->action = action;
		k->since = time(NULL);
	}
}

/* Forgets the files no longer there. */
static void known_prune(struct watch *w, struct pspec *specs, int n)
{
	for (struct known **kp = &w->known; *kp;) {
		struct known *k = *kp;
		int i = 0;

		while (i < n && strcmp(specs[i].file, k->file))
			i++;
		if (i < n) {
			kp = &k->next;
			continue;
		}
		*kp = k->next;
		free(k->invalid);
		free(k->file);
		free(k->name);
		free(k->fp);
		free(k);
	}
}

/* ---- one spec -------------------------------------------------------------
 */

static const char *str_of(const cJSON *j, const char *k)
{
	const char *s =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, k));

	return s ? s : "";
}

/* Whether the running plugin `cur` is what `want` (a parsed spec, as
 * JSON) asks for. */
static bool same(const cJSON *cur, const cJSON *want)
{
	static const char *keys[] = {"module", "args", "env",
				     "limits", "pull", "policy", NULL};

	for (int i = 0; keys[i]; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(cur, keys[i]);
		const cJSON *b =
		    cJSON_GetObjectItemCaseSensitive(want, keys[i]);

		if ((a || b) && !cJSON_Compare(a, b, true))
			return false;
	}
	return true;
}

static bool running(const cJSON *cur)
{
	const char *s = str_of(cur, "state");

	return !strcmp(s, "running") || !strcmp(s, "paused") ||
	       !strcmp(s, "pausing");
}

/* Starts it, or replaces the running one. 0, or -errno with `why`;
 * -EAGAIN when it could not be done now (busy, paused). */
static int apply(const char *id, cJSON *body, const cJSON *cur,
		 const char **action, char *why, size_t why_len)
{
	struct plugin_spec spec;
	char got[PLUGIN_ID_LEN + 1];
	int r;

	cJSON_DeleteItemFromObjectCaseSensitive(body, "id");
	cJSON_AddStringToObject(body, "id", id);
	r = plugin_spec_parse(body, &spec, why, why_len);
	if (r) {
		plugin_spec_free(&spec);
		return r;
	}
	if (cur && running(cur)) {
		*action = "upgraded";
		r = plugins_replace(id, &spec, why, why_len);
		return r == -EALREADY || r == -EBUSY ? -EAGAIN : r;
	}
	*action = "started";
	if (cur) { /* ended by itself: its record goes, a new run comes */
		*action = "restarted";
		if (plugins_remove(id, NULL) == -EBUSY) {
			plugin_spec_free(&spec);
			snprintf(why, why_len, "plugin %s is being upgraded",
				 id);
			return -EAGAIN;
		}
	}
	/* A reference being pulled has started too (PLUGIN_PULLING). */
	r = plugins_start(&spec, got, why, why_len);
	return r > 0 ? 0 : r;
}

/* A start or upgrade of `s` failed (or its pull did, later): tried again
 * after a backoff that doubles while it keeps failing, or at once when
 * the spec changes. */
static void failed(struct watch *w, struct known *k, const struct pspec *s,
		   const char *what, const char *why, const char *fp)
{
	k->backoff = !k->backoff		    ? 2 * w->o.rescan
		     : k->backoff * 2 > RETRY_MAX_S ? RETRY_MAX_S
						    : k->backoff * 2;
	k->retry_at = mono_now() + k->backoff;
	dlog("plugins: %s: %s of %s failed: %s; tried again in %.0f s or when "
	     "it changes",
	     s->file, what, s->name, why, k->backoff);
	known_set(k, s->name, fp, "failed", why);
}

/* Brings the plugin of a valid, selected spec to it. */
static void reconcile(struct watch *w, struct pspec *s, cJSON *st)
{
	struct known *k = known_of(w, s->file);
	char id[PLUGIN_ID_LEN + 1], why[600] = "";
	const char *action = "start";
	char *fp = cJSON_PrintUnformatted(s->body);
	cJSON *cur, *want = NULL;
	struct plugin_spec parsed;
	bool same_spec, cur_failed;
	int r = 0;

	if (!k || !fp) {
		free(fp);
		return;
	}
	declared_id(s->name, id);
	cJSON_AddStringToObject(st, "id", id);
	cur = plugins_get(id);
	/* The spec as the daemon would hold it, defaults filled in. */
	if (!plugin_spec_parse(s->body, &parsed, why, sizeof(why)))
		want = plugin_spec_json(&parsed);
	plugin_spec_free(&parsed);
	same_spec = cur && want && same(cur, want);
	cur_failed = cur && !strcmp(str_of(cur, "state"), "failed");
	/* A pull that failed on its own thread: as a start that failed. */
	if (cur_failed && same_spec && k->fp && !strcmp(k->fp, fp) &&
	    !k->failed)
		failed(w, k, s, "start", str_of(cur, "error"), fp);
	if (same_spec && running(cur)) {
		k->backoff = 0;
		if (!k->fp || strcmp(k->fp, fp)) /* adopted, or rewritten */
			known_set(k, s->name, fp, k->action ? NULL : "adopted",
				  NULL);
	} else if (same_spec && !strcmp(str_of(cur, "state"), "pulling")) {
		/* its start is under way */
	} else if (k->fp && !strcmp(k->fp, fp) && k->failed &&
		   mono_now() < k->retry_at) {
		/* tried, failed: wait for a change or the next try */
	} else if (same_spec && !cur_failed && k->fp && !strcmp(k->fp, fp)) {
		/* it ended by itself: reported, not restarted */
	} else {
		r = apply(id, s->body, cur, &action, why, sizeof(why));
		if (r == -EAGAIN)
			cJSON_AddStringToObject(st, "pending", why);
		else if (r)
			failed(w, k, s, action[0] == 'u' ? "upgrade" : "start",
			       why, fp);
		else {
			dlog("plugins: %s %s (%s) from %s", action, s->name, id,
			     s->file);
			known_set(k, s->name, fp, action, NULL);
		}
	}
	cJSON_Delete(cur);
	cJSON_Delete(want);
	free(fp);
	cur = plugins_get(id);
	/* A failed upgrade leaves the old version running: its state, and
	 * the failure as the error. */
	cJSON_AddStringToObject(st, "state",
				cur	    ? str_of(cur, "state")
				: k->failed ? "failed"
					    : "pending");
	if (cur)
		cJSON_AddStringToObject(st, "module", str_of(cur, "module"));
	if (k->failed || (cur && *str_of(cur, "error")))
		cJSON_AddStringToObject(
		    st, "error", k->failed ? k->error : str_of(cur, "error"));
	cJSON_Delete(cur);
}

/* ---- a pass ------------------------------------------------------------- */

static int spec_filter(const struct dirent *e)
{
	return pspec_is_spec_name(e->d_name);
}

/* The specs of the directory, sorted by file name; -errno when it
 * cannot be read. */
static int read_specs(const char *dir, struct pspec **out)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, spec_filter, alphasort);

	if (n < 0)
		return -errno;
	*out = calloc(n ? n : 1, sizeof(**out));
	for (int i = 0; i < n; i++) {
		if (*out)
			pspec_load(dir, ents[i]->d_name, &(*out)[i]);
		free(ents[i]);
	}
	free(ents);
	return *out ? n : -ENOMEM;
}

static bool in(char **names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return true;
	return false;
}

/* The status of one file; `keep` collects the names whose plugins stay. */
static cJSON *one(struct watch *w, struct pspec *s, int i,
		  const struct labels *node, char **keep)
{
	cJSON *st = cJSON_CreateObject();
	struct known *k = known_of(w, s->file);

	cJSON_AddStringToObject(st, "file", s->file);
	if (s->name)
		cJSON_AddStringToObject(st, "name", s->name);
	if (!s->error[0] && in(keep, i, s->name))
		snprintf(s->error, sizeof(s->error),
			 "%s: plugin \"%s\" is declared by another file too",
			 s->file, s->name);
	if (s->error[0] && k && (!k->invalid || strcmp(k->invalid, s->error))) {
		dlog("plugins: %s (nothing changed for it)", s->error);
		free(k->invalid);
		k->invalid = strdup(s->error);
	} else if (!s->error[0] && k && k->invalid) {
		free(k->invalid);
		k->invalid = NULL;
	}
	if (s->error[0]) {
		/* A broken spec changes nothing: what it ran runs on, known
		 * by the name it had, else the one it gives, else its file's
		 * (after a restart it may never have parsed). */
		keep[i] = k && k->name ? strdup(k->name)
			  : s->name    ? strdup(s->name)
				       : strndup(s->file,
						 strrchr(s->file, '.') - s->file);
		cJSON_AddStringToObject(st, "state", "invalid");
		cJSON_AddStringToObject(st, "error", s->error);
		return st;
	}
	if (!pspec_selected(s, node)) {
		cJSON_AddStringToObject(st, "state", "not-selected");
		return st;
	}
	keep[i] = strdup(s->name);
	reconcile(w, s, st);
	if (k && k->action) {
		cJSON_AddStringToObject(st, "action", k->action);
		cJSON_AddNumberToObject(st, "since", (double)k->since);
	}
	return st;
}

/* Stops the declared plugins no spec keeps. */
static void stop_orphans(char **keep, int n)
{
	cJSON *list = plugins_list(), *p;

	cJSON_ArrayForEach(p, list)
	{
		const char *name = str_of(p, "name");

		if (!is_declared(p) || in(keep, n, name))
			continue;
		if (plugins_remove(str_of(p, "id"), NULL) == 0)
			dlog("plugins: stopped %s (%s): no longer declared "
			     "for this node",
			     name, str_of(p, "id"));
	}
	cJSON_Delete(list);
}

static void write_status(struct watch *w, cJSON *status)
{
	char *text = cJSON_PrintUnformatted(status);
	int r;

	pthread_mutex_lock(&w->shown_lock);
	free(w->shown);
	w->shown = text ? strdup(text) : NULL;
	pthread_mutex_unlock(&w->shown_lock);
	if (!text || (w->last_status && !strcmp(text, w->last_status))) {
		free(text);
		return;
	}
	r = state_write_file(w->o.status_file, status);
	if (r)
		dlog("plugins: cannot write %s: %s", w->o.status_file,
		     strerror(-r));
	free(w->last_status);
	w->last_status = r ? NULL : text;
	if (r)
		free(text);
}

static void converge(struct watch *w)
{
	cJSON *status = cJSON_CreateObject(), *arr;
	struct labels node;
	struct pspec *specs = NULL;
	char why[600], **keep;
	int n;

	cJSON_AddStringToObject(status, "dir", w->o.dir);
	if (labels_load(w->o.node_labels, &node, why, sizeof(why))) {
		/* Without the labels no selection is known: change nothing. */
		cJSON_AddStringToObject(status, "error", why);
		write_status(w, status);
		cJSON_Delete(status);
		return;
	}
	cJSON_AddItemToObject(status, "node_labels", labels_json(&node));
	n = read_specs(w->o.dir, &specs);
	if (n < 0) {
		snprintf(why, sizeof(why), "%s: %s", w->o.dir, strerror(-n));
		cJSON_AddStringToObject(status, "error", why);
		write_status(w, status);
		cJSON_Delete(status);
		labels_free(&node);
		return;
	}
	keep = calloc(n ? n : 1, sizeof(*keep));
	arr = cJSON_AddArrayToObject(status, "plugins");
	for (int i = 0; keep && i < n; i++)
		cJSON_AddItemToArray(arr, one(w, &specs[i], i, &node, keep));
	if (keep)
		stop_orphans(keep, n);
	known_prune(w, specs, n);
	write_status(w, status);
	for (int i = 0; i < n; i++) {
		free(keep ? keep[i] : NULL);
		pspec_free(&specs[i]);
	}
	free(keep);
	free(specs);
	labels_free(&node);
	cJSON_Delete(status);
}

/* ---- the thread -----------------------------------------------------------
 */

/* Watches the directory (again, after it was replaced). */
static void add_watch(struct watch *w)
{
	if (w->wd < 0)
		w->wd = inotify_add_watch(w->ino, w->o.dir, WATCH_MASK);
}

/* Reads the pending events; false when the watch is gone. */
static void drain(struct watch *w)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n;

	while ((n = read(w->ino, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			if (e->mask & IN_IGNORED)
				w->wd = -1;
			p += sizeof(*e) + e->len;
		}
}

/* Waits `ms` for a stop; true when asked to stop. */
static bool stop_asked(struct watch *w, int ms)
{
	struct pollfd pf = {w->stop[0], POLLIN, 0};

	return poll(&pf, 1, ms) > 0;
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	int ms = (int)(w->o.rescan * 1000);

	for (;;) {
		struct pollfd pf[2] = {{w->ino, POLLIN, 0},
				       {w->stop[0], POLLIN, 0}};

		if (poll(pf, 2, ms) > 0 && pf[1].revents)
			break;
		if (pf[0].revents) {
			drain(w);
			if (stop_asked(w, SETTLE_MS))
				break;
			drain(w);
		}
		add_watch(w);
		converge(w);
	}
	return NULL;
}

struct watch *watch_start(const struct watch_opts *o, char *why, size_t why_len)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct labels node;

	if (!w) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	w->o = *o;
	w->wd = -1;
	pthread_mutex_init(&w->shown_lock, NULL);
	w->stop[0] = w->stop[1] = -1;
	if (labels_load(o->node_labels, &node, why, why_len))
		goto fail;
	labels_free(&node);
	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ino >= 0)
		add_watch(w);
	if (w->ino < 0 || w->wd < 0) {
		snprintf(why, why_len, "--plugins-dir %s: %s", o->dir,
			 strerror(errno));
		goto fail;
	}
	if (pipe2(w->stop, O_CLOEXEC)) {
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		goto fail;
	}
	converge(w);
	if (pthread_create(&w->thread, NULL, watch_main, w)) {
		snprintf(why, why_len, "cannot start a thread");
		goto fail;
	}
	return w;
fail:
	if (w->ino >= 0)
		close(w->ino);
	if (w->stop[0] >= 0) {
		close(w->stop[0]);
		close(w->stop[1]);
	}
	free(w);
	return NULL;
}

void watch_stop(struct watch *w)
{
	if (!w)
		return;
	if (write(w->stop[1], "x", 1) == 1)
		pthread_join(w->thread, NULL);
	close(w->ino);
	close(w->stop[0]);
	close(w->stop[1]);
	while (w->known) {
		struct known *k = w->known;

		w->known = k->next;
		free(k->invalid);
		free(k->file);
		free(k->name);
		free(k->fp);
		free(k);
	}
	free(w->last_status);
	free(w->shown);
	pthread_mutex_destroy(&w->shown_lock);
	free(w);
}

char *watch_status(struct watch *w)
{
	char *s;

	pthread_mutex_lock(&w->shown_lock);
	s = w->shown ? strdup(w->shown) : NULL;
	pthread_mutex_unlock(&w->shown_lock);
	return s;
}
