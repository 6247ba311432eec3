/* Messages from the machine to its client's log callback, and the machine's
 * source of randomness (seeded in deterministic runs). */
#include <stdio.h>
#include <time.h>
#include "machine.h"

void machine_vlog(machine_t *m, int level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (!m->cfg.log)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	m->cfg.log(m->cfg.log_ctx, level, buf);
}

void machine_log(machine_t *m, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	machine_vlog(m, level, fmt, ap);
	va_end(ap);
}

/* xorshift64*: small, fast, and reproducible from a seed. */
uint64_t machine_random(machine_t *m)
{
	uint64_t x = m->rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	m->rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* The guest kernel's clock for timeouts: host CLOCK_MONOTONIC in ns. */
uint64_t machine_now_ns(machine_t *m)
{
	struct timespec ts;

	(void)m;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* CLOCK_REALTIME (realtime) or CLOCK_MONOTONIC now, in ns. */
uint64_t machine_clock_ns(machine_t *m, bool realtime)
{
	struct timespec ts;

	if (!realtime)
		return machine_now_ns(m);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
