/* bpf_share.c — map hand-over between hosts (bpf_host.h): a locked list
 * of (name, layout, duplicate descriptor) an old host fills as it loads
 * and a new host reads before it loads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/bpf_internal.h"

struct shared_map {
	char *name;
	int fd;
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries, flags;
};

struct bpf_map_share {
	pthread_mutex_t lock;
	struct shared_map *maps;
	size_t n;
	int refs;
	uint64_t reused;
};

struct bpf_map_share *bpf_map_share__new(void)
{
	struct bpf_map_share *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->refs = 1;
	return s;
}

struct bpf_map_share *bpf_map_share__get(struct bpf_map_share *s)
{
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void bpf_map_share__put(struct bpf_map_share *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->maps[i].name);
		close(s->maps[i].fd);
	}
	free(s->maps);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

uint64_t bpf_map_share__reused(const struct bpf_map_share *s)
{
	return s ? __atomic_load_n(&s->reused, __ATOMIC_RELAXED) : 0;
}

static bool same_layout(const struct shared_map *e, const struct bpf_map *m)
{
	return e->type == bpf_map__type(m) &&
	       e->key_size == bpf_map__key_size(m) &&
	       e->value_size == bpf_map__value_size(m) &&
	       e->max_entries == bpf_map__max_entries(m) &&
	       e->flags == bpf_map__map_flags(m);
}

/* Before load: each map of `obj` with a twin in `s` uses the twin. */
int bh_share_reuse(struct bpf_map_share *s, struct bpf_object *obj)
{
	struct bpf_map *m;
	int err = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	bpf_object__for_each_map(m, obj)
	{
		if (bpf_map__is_internal(m))
			continue;
		for (size_t i = 0; i < s->n && !err; i++) {
			struct shared_map *e = &s->maps[i];

			if (strcmp(e->name, bpf_map__name(m)) ||
			    !same_layout(e, m))
				continue;
			err = bpf_map__reuse_fd(m, e->fd);
			if (!err)
				s->reused++;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* After load: records the maps of `obj` (the newest of a name wins). */
int bh_share_export(struct bpf_map_share *s, struct bpf_object *obj)
{
	struct bpf_map *m;
	int err = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	bpf_object__for_each_map(m, obj)
	{
		struct shared_map e = {.type = bpf_map__type(m),
				       .key_size = bpf_map__key_size(m),
				       .value_size = bpf_map__value_size(m),
				       .max_entries = bpf_map__max_entries(m),
				       .flags = bpf_map__map_flags(m)};
		void *p;

		if (bpf_map__is_internal(m))
			continue;
		e.fd = fcntl(bpf_map__fd(m), F_DUPFD_CLOEXEC, 3);
		e.name = strdup(bpf_map__name(m));
		p = realloc(s->maps, (s->n + 1) * sizeof(e));
		if (e.fd < 0 || !e.name || !p) {
			if (e.fd >= 0)
				close(e.fd);
			free(e.name);
			if (p)
				s->maps = p;
			err = -ENOMEM;
			break;
		}
		s->maps = p;
		for (size_t i = 0; i < s->n; i++)
			if (!strcmp(s->maps[i].name, e.name)) {
				free(s->maps[i].name);
				close(s->maps[i].fd);
				s->maps[i] = s->maps[--s->n];
				break;
			}
		s->maps[s->n++] = e;
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}
