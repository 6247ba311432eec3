/* Time syscalls: the machine's clocks (log.c: the host's, or the virtual
 * clock of a deterministic run), and sleeping as a guest-kernel sleep. */
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "syscall.h"

struct k_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

static bool clockid_valid(int64_t id)
{
	switch (id) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID: case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME: case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM: case CLOCK_TAI:
		return true;
	}
	return false;
}

static struct k_timespec ns_to_k(uint64_t ns)
{
	return (struct k_timespec){ (int64_t)(ns / 1000000000ULL), (int64_t)(ns % 1000000000ULL) };
}

static long sys_clock_gettime(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct k_timespec k;
	uint64_t ns;

	if (!clockid_valid((int64_t)(int32_t)a[0]))
		return -EINVAL;
	if (machine_clockid_ns(m, t, (int)a[0], &ns))
		return -EINVAL;
	k = ns_to_k(ns);
	return copy_to_user(t->mm, a[1], &k, sizeof(k));
}

static long sys_clock_getres(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct timespec ts;
	struct k_timespec k;

	if (!clockid_valid((int64_t)(int32_t)a[0]))
		return -EINVAL;
	if (clock_getres((clockid_t)a[0], &ts))
		return -errno;
	k.tv_sec = ts.tv_sec;
	k.tv_nsec = ts.tv_nsec;
	return a[1] ? copy_to_user(t->mm, a[1], &k, sizeof(k)) : 0;
}

static long sys_gettimeofday(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t ns = machine_clock_ns(m, true);
	int64_t tv[2];

	tv[0] = (int64_t)(ns / 1000000000ULL);
	tv[1] = (int64_t)(ns % 1000000000ULL) / 1000;
	if (a[0] && copy_to_user(t->mm, a[0], tv, sizeof(tv)))
		return -EFAULT;
	if (a[1]) {
		int32_t tz[2] = { 0, 0 };

		if (copy_to_user(t->mm, a[1], tz, sizeof(tz)))
			return -EFAULT;
	}
	return 0;
}

static long sys_time(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int64_t now = (int64_t)(machine_clock_ns(m, true) / 1000000000ULL);

	if (a[0] && copy_to_user(t->mm, a[0], &now, sizeof(now)))
		return -EFAULT;
	return now;
}

/* Sleeping is a guest-kernel sleep until a deadline on machine_now_ns's
 * clock (the scheduler's: the host's CLOCK_MONOTONIC, or virtual), so that other guest tasks run
 * meanwhile and a signal interrupts it. wait_args while asleep: [0] the
 * deadline, [1] where a relative sleep's remainder goes, [3] the marker
 * that restart_syscall looks for. */
#define NANOSLEEP_RESTART (-0x6e736c70L) /* never a user pointer, as wait4 keeps one there */

static bool cpu_clock(clockid_t clk)
{
	return clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID;
}

static int nanosleep_wait(machine_t *m, struct task_struct *t, long *result)
{
	if (machine_now_ns(m) < t->wake_deadline_ns)
		return WAIT_SLEEP;
	t->wake_deadline_ns = 0;
	t->wait_args[3] = 0;
	*result = 0;
	return WAIT_RESULT;
}

/* Linux's hrtimer_nanosleep: a relative sleep that a signal interrupts
 * returns -ERESTART_RESTARTBLOCK (EINTR for a handler, restart_syscall
 * resuming the same deadline otherwise); an absolute one -ERESTARTNOHAND,
 * which runs it again as it was. */
static long sleep_until(machine_t *m, struct task_struct *t, uint64_t deadline, uint64_t urem,
			bool relative)
{
	if (machine_now_ns(m) >= deadline)
		return 0;
	t->wake_deadline_ns = deadline;
	t->wait_args[0] = (long)deadline;
	t->wait_args[1] = relative ? (long)urem : 0;
	t->wait_args[3] = relative ? NANOSLEEP_RESTART : 0;
	task_sleep(m, t, nanosleep_wait);
	return relative ? -ERESTART_RESTARTBLOCK : -ERESTARTNOHAND;
}

void nanosleep_interrupted(machine_t *m, struct task_struct *t)
{
	uint64_t now = machine_now_ns(m), deadline = (uint64_t)t->wait_args[0], left;
	struct k_timespec k;

	t->wake_deadline_ns = 0;
	if (t->wait_args[3] != NANOSLEEP_RESTART || !t->wait_args[1])
		return;
	/* Linux's nanosleep_copyout: the time still to sleep; a fault is
	 * the syscall's -EFAULT in Linux, but the sleep is over either way. */
	left = deadline > now ? deadline - now : 0;
	k.tv_sec = (int64_t)(left / 1000000000ULL);
	k.tv_nsec = (int64_t)(left % 1000000000ULL);
	copy_to_user(t->mm, (uint64_t)t->wait_args[1], &k, sizeof(k));
}

static long do_nanosleep(machine_t *m, struct task_struct *t, clockid_t clk, int flags,
			 uint64_t ureq, uint64_t urem)
{
	struct k_timespec k;
	uint64_t now = machine_now_ns(m), req_ns;

	if (copy_from_user(t->mm, &k, ureq, sizeof(k)))
		return -EFAULT;
	if (k.tv_nsec < 0 || k.tv_nsec >= 1000000000 || k.tv_sec < 0)
		return -EINVAL;
	req_ns = (uint64_t)k.tv_sec > (UINT64_MAX / 2) / 1000000000ULL
		 ? UINT64_MAX / 2 : (uint64_t)k.tv_sec * 1000000000ULL + (uint64_t)k.tv_nsec;
	if (flags & TIMER_ABSTIME) {
		uint64_t clk_now;

		/* The same distance from now on the scheduler's clock. A
		 * CPU-time clock counts as wall time: a sleeping guest uses
		 * no CPU, so Linux would wake it only through other threads. */
		if (cpu_clock(clk))
			clk_now = machine_now_ns(m);
		else if (machine_clockid_ns(m, t, clk, &clk_now))
			return -EINVAL;
		if (req_ns <= clk_now)
			return 0;
		return sleep_until(m, t, now + (req_ns - clk_now), 0, false);
	}
	return sleep_until(m, t, now + req_ns, urem, true);
}

static long sys_nanosleep(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_nanosleep(m, t, CLOCK_MONOTONIC, 0, a[0], a[1]);
}

static long sys_clock_nanosleep(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	clockid_t clk = (clockid_t)a[0];

	if (!clockid_valid(clk))
		return -EINVAL;
	/* Linux's posix clocks without an nsleep method (the thread CPU
	 * clock lost its own in 4.x). */
	if (clk == CLOCK_THREAD_CPUTIME_ID || clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_REALTIME_COARSE ||
	    clk == CLOCK_MONOTONIC_COARSE)
		return -EOPNOTSUPP;
	return do_nanosleep(m, t, clk, (int)a[1], a[2], a[3]);
}

/* Linux's restart_syscall: an interrupted relative sleep goes on to its
 * first deadline; anything else says EINTR (do_no_restart_syscall). */
static long sys_restart_syscall(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if (t->wait_args[3] != NANOSLEEP_RESTART)
		return -EINTR;
	return sleep_until(m, t, (uint64_t)t->wait_args[0], (uint64_t)t->wait_args[1], true);
}

/* times: the CPU time of the vmemu process, as CLOCK_PROCESS_CPUTIME_ID
 * gives it, in USER_HZ ticks; the result is the host's tick count, as the
 * same kernel would answer natively. Reaped guest children are in the
 * process's own time already, so the children's fields stay 0. In a
 * deterministic run both are on the virtual clock. */
static long sys_times(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct tms h;
	int64_t k[4];
	clock_t now = times(&h);

	if (m->cfg.deterministic) {
		uint64_t cpu = 0;

		machine_clockid_ns(m, t, CLOCK_PROCESS_CPUTIME_ID, &cpu);
		h.tms_utime = (clock_t)(cpu / 10000000ULL);     /* USER_HZ = 100 */
		h.tms_stime = 0;
		now = (clock_t)(machine_now_ns(m) / 10000000ULL);
	}

	if (a[0]) {
		k[0] = h.tms_utime;
		k[1] = h.tms_stime;
		k[2] = 0;
		k[3] = 0;
		if (copy_to_user(t->mm, a[0], k, sizeof(k)))
			return -EFAULT;
	}
	return (long)now;
}

void sys_time_register(struct syscall_desc *table)
{
	SYSCALL(table, SYS_clock_gettime, sys_clock_gettime);
	SYSCALL(table, SYS_clock_getres, sys_clock_getres);
	SYSCALL(table, SYS_gettimeofday, sys_gettimeofday);
	SYSCALL(table, SYS_time, sys_time);
	SYSCALL(table, SYS_times, sys_times);
	SYSCALL(table, SYS_nanosleep, sys_nanosleep);
	SYSCALL(table, SYS_clock_nanosleep, sys_clock_nanosleep);
	SYSCALL(table, SYS_restart_syscall, sys_restart_syscall);
}
