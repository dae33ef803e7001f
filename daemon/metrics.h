/* metrics.h — the daemon's /metrics: the plugin list (plugins_list()) in
 * the Prometheus text exposition format.
 */
#ifndef WASM_BPFD_METRICS_H
#define WASM_BPFD_METRICS_H

#include <cjson/cJSON.h>

/* malloc'd text, or NULL when out of memory. */
char *metrics_text(const cJSON *plugins);

#endif
