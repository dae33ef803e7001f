/* api.h — the daemon's REST/JSON API over libmicrohttpd on a Unix socket
 * the caller made: routes, request bodies, peer-credential checks, JSON
 * errors. The plugins themselves are plugin.h's.
 */
#ifndef WASM_BPFD_API_H
#define WASM_BPFD_API_H

#include <sys/types.h>

#define API_MAX_BODY (64 * 1024) /* larger request bodies get 413 */

struct api;

/* Serves on listening socket `fd` (taken over) with a few threads. Peers
 * allowed: root, the daemon's own user, and members of `group` (-1:
 * none). NULL with errno on failure. */
struct api *api_start(int fd, gid_t group);
/* A second listener on TCP `addr` (HOST:PORT, [V6]:PORT, :PORT for every
 * address) that serves GET /metrics only, without a peer check: for a
 * Prometheus scraping the node. NULL with `why`. */
struct api *api_start_metrics(const char *addr, char *why, size_t why_len);
/* Serves the declared plugins' status at GET /v1/declared from now on. */
struct watch;
void api_set_watch(struct api *a, struct watch *w);
void api_stop(struct api *a);

#endif
