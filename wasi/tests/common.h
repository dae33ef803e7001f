/* common.h — helpers shared by the WASI test programs, which are built
 * twice (wasm32-wasi with clang, native with gcc) and must print the same
 * thing either way: errno values differ between the two libcs, so they are
 * printed by name.
 */
#ifndef WASI_TEST_COMMON_H
#define WASI_TEST_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *errname(int e)
{
	switch (e) {
	case 0:
		return "OK";
	case EACCES:
		return "EACCES";
	case EBADF:
		return "EBADF";
	case EEXIST:
		return "EEXIST";
	case EFAULT:
		return "EFAULT";
	case EINVAL:
		return "EINVAL";
	case EISDIR:
		return "EISDIR";
	case ELOOP:
		return "ELOOP";
	case ENOENT:
		return "ENOENT";
	case ENOTDIR:
		return "ENOTDIR";
	case ENOTEMPTY:
		return "ENOTEMPTY";
	case EPERM:
		return "EPERM";
	case ESPIPE:
		return "ESPIPE";
	case EXDEV:
		return "EXDEV";
	case ENOTSUP:
		return "ENOTSUP";
	case ENOSYS:
		return "ENOSYS";
	case ENOTSOCK:
		return "ENOTSOCK";
	case EAGAIN:
		return "EAGAIN";
	case ENAMETOOLONG:
		return "ENAMETOOLONG";
#ifdef ENOTCAPABLE
	case ENOTCAPABLE:
		return "ENOTCAPABLE";
#endif
	default:
		return "E?";
	}
}

/* Prints "what: OK" or "what: ENAME" for a libc call's result. */
#define CHECK(what, expr)                                                      \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (long)(expr);                                        \
		printf("%s: %s\n", (what), r_ < 0 ? errname(errno) : "OK");    \
	} while (0)

#endif
