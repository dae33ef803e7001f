/* guest_check.h — CHECK for the suite's C guests: a condition that does not
 * hold is printed with its place and counted in `failures`, which the
 * scenario turns into its exit status. */
#ifndef WBT_GUEST_CHECK_H
#define WBT_GUEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "guest: check failed: " __VA_ARGS__);  \
			fprintf(stderr, " (%s:%d)\n", __FILE__, __LINE__);     \
			failures++;                                            \
		}                                                              \
	} while (0)

#endif
