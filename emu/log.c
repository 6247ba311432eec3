/* Messages from the machine to its client's log callback, and the machine's
 * source of randomness (seeded in deterministic runs). */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include "machine.h"
#include "task.h"

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

/* The clocks. Without --deterministic they are the host's. With it they
 * are virtual: CLOCK_MONOTONIC is m->vclock_ns, which the block hook
 * (run.c) advances for the code the guest executes and idle() moves to
 * the next deadline when every task sleeps; CLOCK_REALTIME is a fixed
 * epoch plus the same count, and the CPU-time clocks are the time the
 * tasks ran on it. */
#define VCLOCK_EPOCH_NS (1704067200ULL * 1000000000ULL) /* 2024-01-01T00:00:00Z */
#define VCLOCK_TAI_OFFSET_NS (37ULL * 1000000000ULL)

static uint64_t host_clock(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The guest kernel's clock for timeouts and deadlines (CLOCK_MONOTONIC). */
uint64_t machine_now_ns(machine_t *m)
{
	if (m->cfg.deterministic)
		return m->vclock_ns;
	return host_clock(CLOCK_MONOTONIC);
}

/* CLOCK_REALTIME (realtime) or CLOCK_MONOTONIC now, in ns. */
uint64_t machine_clock_ns(machine_t *m, bool realtime)
{
	if (!realtime)
		return machine_now_ns(m);
	if (m->cfg.deterministic)
		return VCLOCK_EPOCH_NS + m->vclock_ns;
	return host_clock(CLOCK_REALTIME);
}

uint64_t task_cpu_ns(machine_t *m, const struct task_struct *t)
{
	uint64_t ns = t->cpu_ns;

	if (t == m->current)
		ns += m->vclock_ns - m->vclock_mark;
	return ns;
}

int machine_clockid_ns(machine_t *m, struct task_struct *t, int clockid, uint64_t *out)
{
	uint64_t ns = 0;

	switch (clockid) {
	case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_REALTIME_ALARM:
		*out = machine_clock_ns(m, true);
		return 0;
	case CLOCK_TAI:
		*out = machine_clock_ns(m, true) + (m->cfg.deterministic ? VCLOCK_TAI_OFFSET_NS : 0);
		if (!m->cfg.deterministic)
			*out = host_clock(CLOCK_TAI);
		return 0;
	case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM:
		*out = m->cfg.deterministic ? m->vclock_ns : host_clock(clockid);
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
		if (!m->cfg.deterministic) {
			*out = host_clock(CLOCK_PROCESS_CPUTIME_ID);
			return 0;
		}
		for (struct task_struct *o = m->tasks; o; o = o->next)
			if (o->tgid == t->tgid)
				ns += task_cpu_ns(m, o);
		*out = ns;
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*out = m->cfg.deterministic ? task_cpu_ns(m, t) : host_clock(CLOCK_THREAD_CPUTIME_ID);
		return 0;
	}
	return -EINVAL;
}
