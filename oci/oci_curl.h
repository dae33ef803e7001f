/* oci_curl.h — libcurl, loaded with dlopen the first time a command
 * needs HTTP (a registry, or the daemon's socket), not by the dynamic
 * loader at every start: libcurl and its TLS, Kerberos and LDAP
 * libraries cost each run ~4 ms and ~5 MB of resident pages, which tools
 * that never pull paid too. Code that talks HTTP includes this instead of
 * <curl/curl.h>; the curl_* names it uses become calls through the table
 * below. Without libcurl the calls that make handles fail (NULL,
 * CURLE_FAILED_INIT), with the reason printed once to stderr.
 */
#ifndef WASM_BPF_OCI_CURL_H
#define WASM_BPF_OCI_CURL_H

/* The type-checking macros of curl.h would wrap our names again. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

struct oci_curl {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption o, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO i, ...);
	void (*easy_reset)(CURL *h);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode c);
	char *(*easy_escape)(CURL *h, const char *s, int len);
	void (*free)(void *p);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

extern struct oci_curl oci_curl;

/* Out of line: they load libcurl first, or answer as libcurl does when
 * it cannot (NULL, CURLE_FAILED_INIT); the others take what these made. */
CURLcode oci_curl__global_init(long flags);
void oci_curl__global_cleanup(void);
CURL *oci_curl__easy_init(void);
struct curl_slist *oci_curl__slist_append(struct curl_slist *l, const char *s);
void oci_curl__slist_free_all(struct curl_slist *l);
const char *oci_curl__easy_strerror(CURLcode c);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init     oci_curl__global_init
#define curl_global_cleanup  oci_curl__global_cleanup
#define curl_easy_init       oci_curl__easy_init
#define curl_slist_append    oci_curl__slist_append
#define curl_slist_free_all  oci_curl__slist_free_all
#define curl_easy_strerror   oci_curl__easy_strerror
/* These take a handle or what one made: libcurl is loaded by then. */
#define curl_easy_setopt     oci_curl.easy_setopt
#define curl_easy_perform    oci_curl.easy_perform
#define curl_easy_getinfo    oci_curl.easy_getinfo
#define curl_easy_reset      oci_curl.easy_reset
#define curl_easy_cleanup    oci_curl.easy_cleanup
#define curl_easy_escape     oci_curl.easy_escape
#define curl_free            oci_curl.free

#endif
