/* Time syscalls: the host's clocks (a virtual clock for deterministic runs
 * comes with that issue), and sleeping. */
#include <sys/syscall.h>
#include <sys/time.h>
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

static long sys_clock_gettime(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct timespec ts;
	struct k_timespec k;

	if (!clockid_valid((int64_t)(int32_t)a[0]))
		return -EINVAL;
	if (clock_gettime((clockid_t)a[0], &ts))
		return -errno;
	k.tv_sec = ts.tv_sec;
	k.tv_nsec = ts.tv_nsec;
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
	struct timespec ts;
	int64_t tv[2];

	clock_gettime(CLOCK_REALTIME, &ts);
	tv[0] = ts.tv_sec;
	tv[1] = ts.tv_nsec / 1000;
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
	int64_t now = time(NULL);

	if (a[0] && copy_to_user(t->mm, a[0], &now, sizeof(now)))
		return -EFAULT;
	return now;
}

/* Sleeps on the host; with one guest task nothing else could run. The
 * scheduler of the processes issue turns this into a guest-kernel sleep. */
static long do_nanosleep(machine_t *m, struct task_struct *t, clockid_t clk, int flags,
			 uint64_t ureq, uint64_t urem)
{
	struct k_timespec k;
	struct timespec req, rem;
	int r;

	if (copy_from_user(t->mm, &k, ureq, sizeof(k)))
		return -EFAULT;
	if (k.tv_nsec < 0 || k.tv_nsec >= 1000000000 || k.tv_sec < 0)
		return -EINVAL;
	req.tv_sec = k.tv_sec;
	req.tv_nsec = k.tv_nsec;
	r = clock_nanosleep(clk, flags, &req, &rem);
	if (r == EINTR && urem && !(flags & TIMER_ABSTIME)) {
		k.tv_sec = rem.tv_sec;
		k.tv_nsec = rem.tv_nsec;
		copy_to_user(t->mm, urem, &k, sizeof(k));
	}
	return r ? -r : 0;
}

static long sys_nanosleep(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_nanosleep(m, t, CLOCK_MONOTONIC, 0, a[0], a[1]);
}

static long sys_clock_nanosleep(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	clockid_t clk = (clockid_t)a[0];

	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (!clockid_valid(clk))
		return -EINVAL;
	return do_nanosleep(m, t, clk, (int)a[1], a[2], a[3]);
}

void sys_time_register(struct syscall_desc *table)
{
	SYSCALL(table, SYS_clock_gettime, sys_clock_gettime);
	SYSCALL(table, SYS_clock_getres, sys_clock_getres);
	SYSCALL(table, SYS_gettimeofday, sys_gettimeofday);
	SYSCALL(table, SYS_time, sys_time);
	SYSCALL(table, SYS_nanosleep, sys_nanosleep);
	SYSCALL(table, SYS_clock_nanosleep, sys_clock_nanosleep);
}
