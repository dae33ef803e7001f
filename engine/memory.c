/* memory.c — linear memories and table storage.
 *
 * A memory reserves its whole possible range of address space once
 * (PROT_NONE) and makes pages accessible as it grows, so its base never
 * moves: host pointers into guest memory stay valid across memory.grow,
 * and a stray access past the accessible size faults instead of reading
 * another allocation. With guard pages (the default build) the
 * reservation also covers every 32-bit address plus offset, and nothing
 * checks bounds explicitly. Because the base never moves, a host may map a
 * file over pages the guest allocated (wm_memory_map: a BPF ring buffer
 * read in place); the memory keeps the list, and its teardown ends them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guard.h"
#include "runtime.h"

static size_t round_to_page(uint64_t n)
{
	return (size_t)((n + 4095) & ~(uint64_t)4095);
}

int wm_memory_init(struct wasm_memory *mem, uint32_t pages, uint32_t max,
		   bool has_max, struct wasm_error *err)
{
	memset(mem, 0, sizeof(*mem));
	if (pages > max) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "memory of %u pages exceeds the limit of %u pages",
				 pages, max);
		return -ENOMEM;
	}
	mem->max_pages = max;
	mem->has_max = has_max;
	mem->reserved = round_to_page((uint64_t)max * WM_PAGE_SIZE);
	if (mem->reserved == 0)
		mem->reserved = 4096;
#ifdef WASM_GUARD_PAGES
	mem->reserved = WM_GUARD_RESERVE;
	wm_guard_install();
#endif
	void *p = mmap(NULL, mem->reserved, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "cannot reserve %zu bytes for memory",
				 mem->reserved);
		mem->reserved = 0;
		return -ENOMEM;
	}
	mem->base = p;
	if (pages && wm_memory_grow(mem, pages) < 0) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "cannot allocate %u pages of memory", pages);
		wm_memory_free(mem);
		return -ENOMEM;
	}
	return 0;
}

void wm_memory_free(struct wasm_memory *mem)
{
	for (uint32_t i = 0; i < mem->nmaps; i++)
		if (mem->maps[i].ro)
			wm_guard_ro_del(mem->base + mem->maps[i].ptr);
	free(mem->maps);
	mem->maps = NULL;
	mem->nmaps = 0;
	if (mem->base)
		munmap(mem->base, mem->reserved);
	mem->base = NULL;
	mem->size = 0;
	mem->pages = 0;
}

int64_t wm_memory_grow(struct wasm_memory *mem, uint32_t delta)
{
	uint32_t old = mem->pages;
	if (delta == 0)
		return old;
	if ((uint64_t)old + delta > mem->max_pages)
		return -1;
	uint64_t new_size = (uint64_t)(old + delta) * WM_PAGE_SIZE;
	if (mprotect(mem->base + mem->size, new_size - mem->size,
		     PROT_READ | PROT_WRITE) != 0)
		return -1;
	mem->pages = old + delta;
	mem->size = new_size;
	return old;
}

/* Zeroed private pages over [p, p+len), as memory.grow made them. */
static int restore(uint8_t *p, size_t len)
{
	return mmap(p, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
		    0) == MAP_FAILED
		   ? -errno
		   : 0;
}

static bool overlaps(const struct wasm_memory *mem, uint32_t ptr, uint32_t len)
{
	for (uint32_t i = 0; i < mem->nmaps; i++)
		if (ptr < mem->maps[i].ptr + mem->maps[i].len &&
		    mem->maps[i].ptr < ptr + len)
			return true;
	return false;
}

int wm_memory_map(struct wasm_memory *mem, struct wasm_instance *inst,
		  uint32_t ptr, uint32_t len, int fd, int64_t off, bool writable)
{
	struct wm_mapping *arr;
	uint8_t *p = mem->base + ptr;
	int err;

	if (!len || ((ptr | len) & 4095) || off < 0 || (off & 4095))
		return -EINVAL;
	if ((uint64_t)ptr + len > mem->size)
		return -EFAULT;
	if (overlaps(mem, ptr, len))
		return -EBUSY;
	arr = realloc(mem->maps, (mem->nmaps + 1) * sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	mem->maps = arr;
	if (!writable && (err = wm_guard_ro_add(p, len, inst)))
		return err;
	if (mmap(p, len, writable ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED | MAP_FIXED, fd, off) == MAP_FAILED) {
		err = -errno;
		if (!writable)
			wm_guard_ro_del(p);
		/* a failed MAP_FIXED may have unmapped the range */
		restore(p, len);
		return err;
	}
	arr[mem->nmaps++] = (struct wm_mapping){ptr, len, !writable};
	return 0;
}

int wm_memory_unmap(struct wasm_memory *mem, uint32_t ptr, uint32_t len)
{
	for (uint32_t i = 0; i < mem->nmaps; i++) {
		struct wm_mapping *m = &mem->maps[i];

		if (m->ptr != ptr || m->len != len)
			continue;
		if (m->ro)
			wm_guard_ro_del(mem->base + ptr);
		*m = mem->maps[--mem->nmaps];
		return restore(mem->base + ptr, len);
	}
	return -ENOENT;
}

int64_t wm_table_grow(struct wasm_table *t, uint32_t delta, void *init)
{
	uint32_t old = t->size;
	if ((uint64_t)old + delta > t->max)
		return -1;
	if (delta == 0)
		return old;
	void **e = realloc(t->elems, sizeof(void *) * ((size_t)old + delta));
	if (!e)
		return -1;
	for (uint32_t i = old; i < old + delta; i++)
		e[i] = init;
	t->elems = e;
	t->size = old + delta;
	return old;
}
