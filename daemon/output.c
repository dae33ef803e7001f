/* output.c — a plugin's kept output, text and JSON lines (output.h). */
#include <stdlib.h>
#include <string.h>

#include "daemon/output.h"

int output_init(struct output *o, size_t cap, const char *id, const char *name)
{
	memset(o, 0, sizeof(*o));
	if (logring_init(&o->text, cap))
		return -1;
	if (logring_init(&o->json, cap)) {
		logring_free(&o->text);
		return -1;
	}
	pthread_mutex_init(&o->lock, NULL);
	o->id = id;
	o->name = name;
	return 0;
}

void output_free(struct output *o)
{
	logring_free(&o->text);
	logring_free(&o->json);
	pthread_mutex_destroy(&o->lock);
}

struct line_ctx {
	struct output *o;
	const char *stream;
};

/* Under the lock. */
static void json_line(void *arg, const char *s, size_t len)
{
	struct line_ctx *c = arg;
	char *line = jsonlog_format(c->o->id, c->o->name, c->stream, s, len);

	if (!line)
		return;
	logring_write(&c->o->json, line, strlen(line));
	jsonlog_copy(c->o->id, c->o->name, c->stream, line, s, len);
	free(line);
}

void output_write(struct output *o, const char *stream, struct linebuf *lb,
		  const char *data, size_t n)
{
	struct line_ctx c = {o, stream};

	pthread_mutex_lock(&o->lock);
	if (data)
		logring_write(&o->text, data, n);
	linebuf_feed(lb, data, n, json_line, &c);
	pthread_mutex_unlock(&o->lock);
}

void output_daemon_line(struct output *o, const char *msg)
{
	static const char who[] = "wasm-bpfd: ";
	struct line_ctx c = {o, "daemon"};
	size_t n = strlen(msg);
	/* The text says who speaks; the JSON line's stream does. */
	size_t skip = strncmp(msg, who, sizeof(who) - 1) ? 0 : sizeof(who) - 1;

	pthread_mutex_lock(&o->lock);
	logring_write(&o->text, msg, n);
	json_line(&c, msg + skip, n - skip - (n > skip && msg[n - 1] == '\n'));
	pthread_mutex_unlock(&o->lock);
}

int output_read(struct output *o, bool json, uint64_t since, char **buf,
		size_t *len, uint64_t *next)
{
	int r;

	pthread_mutex_lock(&o->lock);
	r = logring_read(json ? &o->json : &o->text, since, buf, len, next);
	/* Lines are written whole, so an offset a reader was given is a
	 * line's start; an older one fell out of the ring, maybe mid-line:
	 * JSON lines then start at the first whole one. */
	if (!r && json && o->json.total > o->json.cap &&
	    since < o->json.total - o->json.cap) {
		char *nl = memchr(*buf, '\n', *len);
		size_t cut = nl ? (size_t)(nl + 1 - *buf) : *len;

		memmove(*buf, *buf + cut, *len - cut + 1);
		*len -= cut;
	}
	pthread_mutex_unlock(&o->lock);
	return r;
}
