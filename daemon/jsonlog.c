/* jsonlog.c — log lines as text or JSON (jsonlog.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "daemon/jsonlog.h"

static bool as_json, copy;
/* One line at a time on each of stdout and stderr, whole. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

void jsonlog_init(bool json, bool copy_output)
{
	as_json = json;
	copy = copy_output;
}

static void now_rfc3339(char *out, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char s[64];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%.20s.%03dZ", s, (int)(tv.tv_usec / 1000) % 1000);
}

/* A tool's line that is a JSON object (the `-o json` convention for
 * tools) goes in as that object, "event", so collectors get its fields;
 * any other line as the string "message". */
static void add_message(cJSON *j, const char *m, const char *stream)
{
	cJSON *ev = NULL;

	if (m[0] == '{' && strcmp(stream, "daemon"))
		ev = cJSON_Parse(m);
	if (cJSON_IsObject(ev)) {
		cJSON_AddItemToObject(j, "event", ev);
		return;
	}
	cJSON_Delete(ev);
	cJSON_AddStringToObject(j, "message", m);
}

char *jsonlog_format(const char *id, const char *name, const char *stream,
		     const char *msg, size_t len)
{
	cJSON *j = cJSON_CreateObject();
	char ts[40], *m = strndup(msg, len), *text = NULL, *line = NULL;

	now_rfc3339(ts, sizeof(ts));
	if (j && m) {
		cJSON_AddStringToObject(j, "time", ts);
		if (id)
			cJSON_AddStringToObject(j, "id", id);
		if (name)
			cJSON_AddStringToObject(j, "name", name);
		cJSON_AddStringToObject(j, "stream", stream);
		add_message(j, m, stream);
		text = cJSON_PrintUnformatted(j);
	}
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	free(text);
	free(m);
	cJSON_Delete(j);
	return line;
}

static void out(FILE *f, const char *s)
{
	pthread_mutex_lock(&out_lock);
	fputs(s, f);
	fflush(f);
	pthread_mutex_unlock(&out_lock);
}

void dlog(const char *fmt, ...)
{
	char msg[1024], *line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[strcspn(msg, "\n")] = 0;
	if (!as_json) {
		pthread_mutex_lock(&out_lock);
		fprintf(stderr, "wasm-bpfd: %s\n", msg);
		pthread_mutex_unlock(&out_lock);
		return;
	}
	line = jsonlog_format(NULL, NULL, "daemon", msg, strlen(msg));
	if (line)
		out(stderr, line);
	free(line);
}

void jsonlog_copy(const char *id, const char *name, const char *stream,
		  const char *json_line, const char *msg, size_t len)
{
	char *text;

	if (!copy)
		return;
	if (as_json) {
		out(stdout, json_line);
		return;
	}
	if (asprintf(&text, "%s %s: %.*s\n", name, id, (int)len, msg) >= 0) {
		out(stdout, text);
		free(text);
	}
}

void linebuf_feed(struct linebuf *lb, const char *data, size_t n,
		  void (*line)(void *ctx, const char *s, size_t len), void *ctx)
{
	if (!data) {
		if (lb->len)
			line(ctx, lb->buf, lb->len);
		lb->len = 0;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			line(ctx, lb->buf, lb->len);
			lb->len = 0;
			continue;
		}
		lb->buf[lb->len++] = data[i];
		if (lb->len == sizeof(lb->buf)) {
			line(ctx, lb->buf, lb->len);
			lb->len = 0;
		}
	}
}
