/* bench/engine/sort.c — memory-heavy kernel: an introspective quicksort of
 * 32-bit keys, a bottom-up merge sort of the same keys through a scratch
 * buffer, and block copies with memcpy/memmove. Self-check: both sorts
 * agree and are ordered. */
#include <string.h>
#include "kern.h"

static void insertion(uint32_t *a, long n)
{
	for (long i = 1; i < n; i++) {
		uint32_t v = a[i];
		long j = i;

		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

static void quick(uint32_t *a, long n)
{
	while (n > 16) {
		uint32_t p = a[n / 2], t;
		long i = 0, j = n - 1;

		for (;;) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i >= j)
				break;
			t = a[i];
			a[i++] = a[j];
			a[j--] = t;
		}
		if (j + 1 < n - j - 1) {
			quick(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			quick(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion(a, n);
}

static void merge_pass(const uint32_t *src, uint32_t *dst, long n, long w)
{
	for (long lo = 0; lo < n; lo += 2 * w) {
		long mid = lo + w < n ? lo + w : n;
		long hi = lo + 2 * w < n ? lo + 2 * w : n;
		long i = lo, j = mid, k = lo;

		while (i < mid && j < hi)
			dst[k++] = src[j] < src[i] ? src[j++] : src[i++];
		memcpy(dst + k, src + i, (size_t)(mid - i) * 4);
		k += mid - i;
		memcpy(dst + k, src + j, (size_t)(hi - j) * 4);
	}
}

static uint32_t *merge_sort(uint32_t *a, uint32_t *tmp, long n)
{
	for (long w = 1; w < n; w *= 2) {
		uint32_t *t = a;

		merge_pass(a, tmp, n, w);
		a = tmp;
		tmp = t;
	}
	return a;
}

int main(int argc, char **argv)
{
	long n = (long)(400000 * kern_scale(argc, argv)) + 64;
	uint32_t *a = malloc(n * 4), *b = malloc(n * 4), *c = malloc(n * 4);
	uint64_t seed = 0x2545f4914f6cdd1dull, sum = 0, t0 = kern_start();
	uint32_t *m;
	int ok = 1;

	if (!a || !b || !c)
		return 2;
	for (long i = 0; i < n; i++)
		a[i] = (uint32_t)kern_rand(&seed);
	memcpy(b, a, n * 4);
	quick(a, n);
	m = merge_sort(b, c, n);
	for (long i = 0; i < n; i++) {
		ok &= a[i] == m[i] && (i == 0 || a[i - 1] <= a[i]);
		sum = sum * 1099511628211ull ^ a[i];
	}
	/* overlapping block moves through the sorted keys */
	for (int r = 0; r < 40; r++) {
		memmove(a + 1, a, (n - 1) * 4);
		memcpy(b, a, n * 4);
		sum += b[r % n];
	}
	return kern_report("sort", sum, t0, ok);
}
