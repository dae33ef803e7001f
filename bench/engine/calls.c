/* bench/engine/calls.c — call-heavy kernel: naive recursive Fibonacci,
 * the Ackermann function and mutual recursion through a function-pointer
 * table (indirect calls). Self-check: known values of fib and ack. */
#include "kern.h"

static __attribute__((noinline)) uint32_t fib(uint32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static __attribute__((noinline)) uint32_t ack(uint32_t m, uint32_t n)
{
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ack(m - 1, 1);
	return ack(m - 1, ack(m, n - 1));
}

typedef uint32_t (*step_fn)(uint32_t, uint32_t);
static uint32_t even_step(uint32_t n, uint32_t acc);
static uint32_t odd_step(uint32_t n, uint32_t acc);
static volatile step_fn table[2] = {even_step, odd_step};

static __attribute__((noinline)) uint32_t even_step(uint32_t n, uint32_t acc)
{
	return n ? table[(n - 1) & 1](n - 1, acc * 3 + 1) : acc;
}

static __attribute__((noinline)) uint32_t odd_step(uint32_t n, uint32_t acc)
{
	return n ? table[(n - 1) & 1](n - 1, acc ^ (acc >> 3)) : acc;
}

int main(int argc, char **argv)
{
	double sc = kern_scale(argc, argv);
	uint32_t fn = sc >= 1 ? 30 : 20, an = sc >= 1 ? 2000 : 100, f, a, e = 0;
	uint64_t t0 = kern_start();
	int rounds = (int)(2 * sc) + 1;
	int ok = 1;

	f = fib(fn);
	a = ack(2, an);
	for (int r = 0; r < rounds * 200; r++)
		e += table[r & 1]((uint32_t)(5000 * sc) + 1 + r, (uint32_t)r);
	ok &= fn != 30 || f == 832040;
	ok &= fn != 20 || f == 6765;
	ok &= a == 2 * an + 3;
	return kern_report("calls", (uint64_t)f << 32 ^ a ^ (uint64_t)e << 8,
			   t0, ok);
}
