/* bench/engine/sieve.c — integer kernel: a sieve of Eratosthenes over a
 * byte array, repeated, then a multiplicative byte hash over the primes
 * found. Self-check: the number of primes below 2^20 is 82025. */
#include <string.h>
#include "kern.h"

#define LIMIT (1u << 20)

static unsigned char composite[LIMIT];

static uint32_t sieve(void)
{
	uint32_t count = 0;

	memset(composite, 0, sizeof(composite));
	for (uint32_t i = 2; i * i < LIMIT; i++) {
		if (composite[i])
			continue;
		for (uint32_t j = i * i; j < LIMIT; j += i)
			composite[j] = 1;
	}
	for (uint32_t i = 2; i < LIMIT; i++)
		count += !composite[i];
	return count;
}

static uint32_t hash_primes(uint32_t seed)
{
	uint32_t h = seed ^ 0x9e3779b9u;

	for (uint32_t i = 2; i < LIMIT; i++) {
		if (composite[i])
			continue;
		h ^= i;
		h *= 0x01000193u;
		h = (h << 7) | (h >> 25);
	}
	return h;
}

int main(int argc, char **argv)
{
	int rounds = (int)(12 * kern_scale(argc, argv)) + 1;
	uint64_t t0 = kern_start(), sum = 0;
	int ok = 1;

	for (int r = 0; r < rounds; r++) {
		uint32_t n = sieve();

		ok &= n == 82025;
		sum = sum * 31 + hash_primes((uint32_t)r) + n;
	}
	return kern_report("sieve", sum, t0, ok);
}
