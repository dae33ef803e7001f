/* bpf_rate.h — the event rate limit of one bpf_host: which ring/perf
 * buffer records go on to the guest's callback. A token bucket of `burst`
 * tokens refilled at `rate` per second, kept in its GCRA form (one
 * "theoretical arrival time" instead of a token count), so admitting a
 * record is a compare and an add on a clock the caller has already read.
 * A record refused is still consumed from the kernel's buffer: the tool
 * keeps up with the kernel and only its guest sees less.
 */
#ifndef WASM_BPF_BPF_RATE_H
#define WASM_BPF_BPF_RATE_H

#include <stdbool.h>
#include <stdint.h>

#define BH_RATE_MAX 1000000000ull /* records per second: 1 per ns */

struct bh_rate {
	uint64_t interval_ns;  /* between two tokens; 0: no limit */
	uint64_t tolerance_ns; /* (burst - 1) intervals */
	uint64_t tat_ns;       /* when the bucket is full again */
};

/* rate 0: unlimited; burst 0: one second's worth (`rate`). The interval is
 * rounded up, so over any span t no more than rate * t + burst pass. */
static inline void bh_rate__init(struct bh_rate *r, uint64_t rate,
				 uint64_t burst)
{
	r->tat_ns = 0;
	r->interval_ns = r->tolerance_ns = 0;
	if (!rate)
		return;
	if (rate > BH_RATE_MAX)
		rate = BH_RATE_MAX;
	burst = burst ? burst : rate;
	r->interval_ns = (1000000000ull + rate - 1) / rate;
	/* saturating: a burst of 2^40 records is as good as endless */
	r->tolerance_ns = burst - 1 > UINT64_MAX / 2 / r->interval_ns
			      ? UINT64_MAX / 2
			      : (burst - 1) * r->interval_ns;
}

/* Whether a record arriving at `now_ns` (CLOCK_MONOTONIC) may go on. */
static inline bool bh_rate__admit(struct bh_rate *r, uint64_t now_ns)
{
	uint64_t tat;

	if (!r->interval_ns)
		return true;
	tat = r->tat_ns > now_ns ? r->tat_ns : now_ns;
	if (tat - now_ns > r->tolerance_ns)
		return false;
	r->tat_ns = tat + r->interval_ns;
	return true;
}

#endif
