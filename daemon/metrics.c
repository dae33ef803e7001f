/* metrics.c — Prometheus text format of the plugin list (metrics.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics.h"

/* One metric family: a field of each plugin's JSON (a "bpf.x" path looks
 * one level down). */
static const struct family {
	const char *name, *type, *help, *field;
	double scale;
} families[] = {
    {"wasm_bpf_plugin_events_total", "counter",
     "Records delivered to the plugin's callbacks.", "events", 1},
    {"wasm_bpf_plugin_lost_events_total", "counter",
     "Records the kernel dropped because the plugin read too slowly.",
     "lost_events", 1},
    {"wasm_bpf_plugin_dropped_events_total", "counter",
     "Records read but not delivered: over the plugin's event rate limit.",
     "dropped_events", 1},
    {"wasm_bpf_plugin_callback_seconds_total", "counter",
     "Time spent in the plugin's event callbacks.", "callback_ns", 1e-9},
    {"wasm_bpf_plugin_memory_bytes", "gauge", "Linear memory of the plugin.",
     "memory", 1},
    {"wasm_bpf_plugin_fuel_left", "gauge",
     "Instructions left of the plugin's fuel limit.", "fuel_left", 1},
    {"wasm_bpf_plugin_uptime_seconds", "gauge",
     "Time since the plugin started.", "uptime", 1},
    {"wasm_bpf_plugin_bpf_programs", "gauge", "BPF programs the plugin holds.",
     "bpf.programs", 1},
    {"wasm_bpf_plugin_bpf_maps", "gauge", "BPF maps the plugin holds.",
     "bpf.maps", 1},
    {"wasm_bpf_plugin_bpf_links", "gauge",
     "BPF links and attachments the plugin holds.", "bpf.links", 1},
};

struct buf {
	char *s;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->len + n < b->cap)
			break;
		size_t cap = (b->cap + n) * 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	b->len += n;
}

/* A label value: backslash, quote and newline escaped. */
static void put_label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			put(b, "\\%c", *v);
		else if (*v == '\n')
			put(b, "\\n");
		else
			put(b, "%c", *v);
	}
}

static const cJSON *field(const cJSON *p, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[32];

	if (!dot)
		return cJSON_GetObjectItemCaseSensitive(p, path);
	snprintf(head, sizeof(head), "%.*s", (int)(dot - path), path);
	return cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(p, head), dot + 1);
}

static void put_ids(struct buf *b, const cJSON *p)
{
	put(b, "{id=\"");
	put_label(b, cJSON_GetStringValue(field(p, "id")));
	put(b, "\",name=\"");
	put_label(b, cJSON_GetStringValue(field(p, "name")));
	put(b, "\"");
}

char *metrics_text(const cJSON *plugins)
{
	struct buf b = {malloc(4096), 0, 4096, 0};
	const cJSON *p;

	if (!b.s)
		return NULL;
	put(&b,
	    "# HELP wasm_bpf_plugins Plugins the daemon holds.\n"
	    "# TYPE wasm_bpf_plugins gauge\n"
	    "wasm_bpf_plugins %d\n",
	    cJSON_GetArraySize(plugins));
	put(&b, "# HELP wasm_bpf_plugin_info The plugin's state (1 for the "
		"current one).\n# TYPE wasm_bpf_plugin_info gauge\n");
	cJSON_ArrayForEach(p, plugins)
	{
		put(&b, "wasm_bpf_plugin_info");
		put_ids(&b, p);
		put(&b, ",state=\"");
		put_label(&b, cJSON_GetStringValue(field(p, "state")));
		put(&b, "\"} 1\n");
	}
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		const struct family *fm = &families[f];

		put(&b, "# HELP %s %s\n# TYPE %s %s\n", fm->name, fm->help,
		    fm->name, fm->type);
		cJSON_ArrayForEach(p, plugins)
		{
			const cJSON *v = field(p, fm->field);

			if (!cJSON_IsNumber(v))
				continue;
			put(&b, "%s", fm->name);
			put_ids(&b, p);
			put(&b, "} %.17g\n", v->valuedouble * fm->scale);
		}
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
