/* procfs.h — whether a host directory reaches a procfs mount: is one, lies
 * beneath one, or has one beneath it. A guest given such a directory could
 * open /proc/self/mem, the runtime's own memory, and so leave the sandbox;
 * the app refuses it as a preopen.
 */
#ifndef WASM_BPF_PROCFS_H
#define WASM_BPF_PROCFS_H

#include <stdbool.h>
#include <stddef.h>

/* True if `dir` reaches procfs; `mnt` (len bytes) then names the mount. A
 * directory that cannot be looked at is left for the preopen to report. */
bool procfs_reachable(const char *dir, char *mnt, size_t len);

#endif
