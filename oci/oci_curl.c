/* oci_curl.c — libcurl loaded on first use (oci_curl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "oci/oci_curl.h"

struct oci_curl oci_curl;

static int loaded = -ENOSYS;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	static const char *const names[] = {
	    "curl_global_init",	  "curl_global_cleanup", "curl_easy_init",
	    "curl_easy_setopt",	  "curl_easy_perform",	 "curl_easy_getinfo",
	    "curl_easy_reset",	  "curl_easy_cleanup",	 "curl_easy_strerror",
	    "curl_easy_escape",	  "curl_free",		 "curl_slist_append",
	    "curl_slist_free_all"};
	void *fn[sizeof(names) / sizeof(names[0])];
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	_Static_assert(sizeof(fn) == sizeof(oci_curl), "one name a pointer");
	if (!lib) {
		fprintf(stderr, "wasm-bpf: cannot load libcurl: %s\n", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fn[i] = dlsym(lib, names[i]);
		if (!fn[i]) {
			fprintf(stderr, "wasm-bpf: libcurl.so.4 has no %s\n",
				names[i]);
			dlclose(lib);
			return;
		}
	}
	/* The table is the pointers in the order of names (static assert). */
	memcpy(&oci_curl, fn, sizeof(oci_curl));
	loaded = 0;
}

static int ready(void)
{
	pthread_once(&once, load);
	return loaded;
}

CURLcode oci_curl__global_init(long flags)
{
	return ready() ? CURLE_FAILED_INIT : oci_curl.global_init(flags);
}

void oci_curl__global_cleanup(void)
{
	if (!loaded)
		oci_curl.global_cleanup();
}

CURL *oci_curl__easy_init(void)
{
	return ready() ? NULL : oci_curl.easy_init();
}

struct curl_slist *oci_curl__slist_append(struct curl_slist *l, const char *s)
{
	return ready() ? NULL : oci_curl.slist_append(l, s);
}

void oci_curl__slist_free_all(struct curl_slist *l)
{
	if (!loaded)
		oci_curl.slist_free_all(l);
}

const char *oci_curl__easy_strerror(CURLcode c)
{
	return loaded ? "libcurl not loaded" : oci_curl.easy_strerror(c);
}
