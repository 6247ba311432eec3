/* timeproc: the time and process-basics syscalls, one line per check, each
 * the same on Linux and under vmemu: clocks (validity, monotonicity,
 * resolution), sleeping, identities, uname, resource limits, affinity,
 * getrandom, sysinfo, umask, prctl names and the TLS base. Values that
 * change between runs (times, pids) are printed as relations only. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static const char *yesno(int b)
{
	return b ? "yes" : "no";
}

static const char *err_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EAGAIN: return "EAGAIN";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return strerror(e);
	}
}

/* Raw syscalls, so that libc wrappers (and the vDSO) stay out of it. */
static long sys(long nr, long a, long b, long c, long d)
{
	long r = syscall(nr, a, b, c, d);

	return r < 0 ? -errno : r;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts_ns(&ts);
}

/* ---- clocks ------------------------------------------------------------ */

static const struct {
	int id;
	const char *name;
	int monotonic;
} clocks[] = {
	{ CLOCK_REALTIME, "REALTIME", 0 },
	{ CLOCK_MONOTONIC, "MONOTONIC", 1 },
	{ CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID", 1 },
	{ CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID", 1 },
	{ CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW", 1 },
	{ CLOCK_REALTIME_COARSE, "REALTIME_COARSE", 0 },
	{ CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE", 1 },
	{ CLOCK_BOOTTIME, "BOOTTIME", 1 },
	{ 10, "SGI_CYCLE (gone)", 0 },
	{ CLOCK_TAI, "TAI", 0 },
	{ 12, "12", 0 },
	{ 1000, "1000", 0 },
	{ -1, "-1", 0 },
};

static void check_clocks(void)
{
	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec a, b, res;
		long r1, r2, rr;
		int mono_ok = 1, valid;

		r1 = sys(SYS_clock_gettime, clocks[i].id, (long)&a, 0, 0);
		/* Burn a little CPU so that the CPU-time clocks move. */
		for (volatile int k = 0; k < 200000; k++)
			;
		r2 = sys(SYS_clock_gettime, clocks[i].id, (long)&b, 0, 0);
		rr = sys(SYS_clock_getres, clocks[i].id, (long)&res, 0, 0);
		valid = !r1 && a.tv_nsec >= 0 && a.tv_nsec < 1000000000L;
		if (clocks[i].monotonic && !r1 && !r2)
			mono_ok = ts_ns(&b) >= ts_ns(&a);
		printf("clock %-18s gettime=%s valid=%s monotonic=%s getres=%s res=%ldns\n",
		       clocks[i].name, err_name(-r1), yesno(valid), yesno(mono_ok),
		       err_name(-rr), rr ? -1L : (long)ts_ns(&res));
	}
	/* CPU time moves while computing. */
	{
		int64_t t0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), t1;

		for (volatile int k = 0; k < 3000000; k++)
			;
		t1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
		printf("process CPU time advances while computing: %s\n", yesno(t1 > t0));
	}
	printf("clock_getres(MONOTONIC, NULL): %s\n",
	       err_name(-sys(SYS_clock_getres, CLOCK_MONOTONIC, 0, 0, 0)));
	printf("clock_gettime(MONOTONIC, bad pointer): %s\n",
	       err_name(-sys(SYS_clock_gettime, CLOCK_MONOTONIC, 16, 0, 0)));
}

static void check_wall_clocks(void)
{
	struct timeval tv;
	struct timezone tz;
	struct timespec ts;
	time_t t0, t1;
	long r;

	t0 = time(NULL);
	r = sys(SYS_gettimeofday, (long)&tv, (long)&tz, 0, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	t1 = time(NULL);
	printf("gettimeofday: %s usec valid=%s between time() calls=%s\n", err_name(-r),
	       yesno(tv.tv_usec >= 0 && tv.tv_usec < 1000000),
	       yesno(tv.tv_sec >= t0 && tv.tv_sec <= t1));
	printf("gettimeofday vs clock_gettime(REALTIME): within 1s=%s\n",
	       yesno(ts.tv_sec - tv.tv_sec <= 1 && ts.tv_sec >= tv.tv_sec));
	printf("gettimeofday(NULL, NULL): %s\n",
	       err_name(-sys(SYS_gettimeofday, 0, 0, 0, 0)));
	{
		time_t tt = 0;
		long rt = sys(SYS_time, (long)&tt, 0, 0, 0);

		printf("time(&t): returns t=%s\n", yesno(rt == tt && rt >= t0));
	}
	{
		int64_t rt = now_ns(CLOCK_REALTIME), tai = now_ns(CLOCK_TAI);

		printf("TAI >= REALTIME: %s\n", yesno(tai >= rt - 1000000000LL));
	}
	{
		int64_t mono = now_ns(CLOCK_MONOTONIC), boot = now_ns(CLOCK_BOOTTIME);

		printf("BOOTTIME >= MONOTONIC: %s\n", yesno(boot >= mono));
	}
}

static void check_sleeps(void)
{
	struct timespec req = { 0, 10 * 1000000L }, rem = { 7, 7 }, abs;
	int64_t t0, t1;
	long r;

	t0 = now_ns(CLOCK_MONOTONIC);
	r = sys(SYS_nanosleep, (long)&req, (long)&rem, 0, 0);
	t1 = now_ns(CLOCK_MONOTONIC);
	printf("nanosleep 10ms: %s slept>=10ms=%s rem untouched=%s\n", err_name(-r),
	       yesno(t1 - t0 >= 10000000LL), yesno(rem.tv_sec == 7 && rem.tv_nsec == 7));

	req.tv_nsec = 0;
	printf("nanosleep 0: %s\n", err_name(-sys(SYS_nanosleep, (long)&req, 0, 0, 0)));
	req.tv_nsec = 1000000000L;
	printf("nanosleep nsec=1e9: %s\n", err_name(-sys(SYS_nanosleep, (long)&req, 0, 0, 0)));
	req.tv_nsec = -1;
	printf("nanosleep nsec=-1: %s\n", err_name(-sys(SYS_nanosleep, (long)&req, 0, 0, 0)));
	req.tv_sec = -1;
	req.tv_nsec = 0;
	printf("nanosleep sec=-1: %s\n", err_name(-sys(SYS_nanosleep, (long)&req, 0, 0, 0)));
	printf("nanosleep bad pointer: %s\n", err_name(-sys(SYS_nanosleep, 16, 0, 0, 0)));

	for (int c = 0; c < 2; c++) {
		clockid_t clk = c ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		int64_t target;

		clock_gettime(clk, &abs);
		target = ts_ns(&abs) + 20 * 1000000LL;
		abs.tv_sec = target / 1000000000LL;
		abs.tv_nsec = target % 1000000000LL;
		r = sys(SYS_clock_nanosleep, clk, TIMER_ABSTIME, (long)&abs, 0);
		t1 = now_ns(clk);
		printf("clock_nanosleep %s TIMER_ABSTIME +20ms: %s woke after target=%s\n",
		       c ? "REALTIME" : "MONOTONIC", err_name(-r), yesno(t1 >= target));
	}
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_sec -= 1;
	t0 = now_ns(CLOCK_MONOTONIC);
	r = sys(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, (long)&abs, 0);
	t1 = now_ns(CLOCK_MONOTONIC);
	printf("clock_nanosleep TIMER_ABSTIME in the past: %s at once=%s\n", err_name(-r),
	       yesno(t1 - t0 < 500000000LL));
	req.tv_sec = 0;
	req.tv_nsec = 5 * 1000000L;
	t0 = now_ns(CLOCK_MONOTONIC);
	r = sys(SYS_clock_nanosleep, CLOCK_BOOTTIME, 0, (long)&req, 0);
	t1 = now_ns(CLOCK_MONOTONIC);
	printf("clock_nanosleep BOOTTIME relative 5ms: %s slept>=5ms=%s\n", err_name(-r),
	       yesno(t1 - t0 >= 5000000LL));
	printf("clock_nanosleep bad clock 100: %s\n",
	       err_name(-sys(SYS_clock_nanosleep, 100, 0, (long)&req, 0)));
	printf("clock_nanosleep THREAD_CPUTIME_ID: %s\n",
	       err_name(-sys(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, (long)&req, 0)));
	printf("clock_nanosleep MONOTONIC_RAW: %s\n",
	       err_name(-sys(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, (long)&req, 0)));
	printf("clock_nanosleep MONOTONIC_COARSE: %s\n",
	       err_name(-sys(SYS_clock_nanosleep, CLOCK_MONOTONIC_COARSE, 0, (long)&req, 0)));
	req.tv_nsec = 1000000000L;
	printf("clock_nanosleep nsec=1e9: %s\n",
	       err_name(-sys(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)&req, 0)));
	/* The libc wrappers return the error number rather than -1. */
	req.tv_nsec = 1000;
	printf("clock_nanosleep() libc wrapper, 1us: %d\n",
	       clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL));
}

/* ---- process identity ---------------------------------------------------- */

static void check_ids(void)
{
	pid_t pid = getpid(), tid = (pid_t)syscall(SYS_gettid), child;
	int st;

	printf("gettid == getpid in the main thread: %s\n", yesno(tid == pid));
	/* Not getppid() > 0: vmemu's first process has none, like a process
	 * whose parent is outside its pid namespace. */
	printf("getppid != getpid: %s\n", yesno(getppid() != pid));
	printf("getpgrp == getpgid(0): %s, getsid(0) > 0: %s\n",
	       yesno(getpgrp() == getpgid(0)), yesno(getsid(0) > 0));
	fflush(stdout);
	child = fork();
	if (child == 0) {
		int code = 0;

		if (getppid() == pid)
			code |= 1;
		if (getpid() != pid)
			code |= 2;
		if (syscall(SYS_gettid) == getpid())
			code |= 4;
		if (getpgrp() == getpgid(0) && getpgrp() == getpgid(pid))
			code |= 8;
		_exit(code);
	}
	waitpid(child, &st, 0);
	printf("child: getppid is parent=%s own pid=%s gettid==getpid=%s same group=%s\n",
	       yesno(WEXITSTATUS(st) & 1), yesno(WEXITSTATUS(st) & 2),
	       yesno(WEXITSTATUS(st) & 4), yesno(WEXITSTATUS(st) & 8));
	printf("fork returned the child's pid: %s\n", yesno(child > 0 && child != pid));

	printf("uid=%d euid=%d gid=%d egid=%d\n", (int)getuid(), (int)geteuid(), (int)getgid(),
	       (int)getegid());
	{
		uid_t r = 99, e = 99, s = 99;
		gid_t gr = 99, ge = 99, gs = 99;
		long a = sys(SYS_getresuid, (long)&r, (long)&e, (long)&s, 0);
		long b = sys(SYS_getresgid, (long)&gr, (long)&ge, (long)&gs, 0);

		printf("getresuid: %s %d %d %d  getresgid: %s %d %d %d\n", err_name(-a), (int)r,
		       (int)e, (int)s, err_name(-b), (int)gr, (int)ge, (int)gs);
	}
	{
		gid_t groups[256];
		long n = sys(SYS_getgroups, 256, (long)groups, 0, 0);
		long n0 = sys(SYS_getgroups, 0, 0, 0, 0);

		printf("getgroups: count=%ld same as getgroups(0)=%s\n", n, yesno(n == n0));
	}
}

static void check_uname(void)
{
	struct utsname u;
	long r = sys(SYS_uname, (long)&u, 0, 0, 0);

	printf("uname: %s sysname=%s machine=%s release-nonempty=%s nodename-nonempty=%s\n",
	       err_name(-r), u.sysname, u.machine, yesno(u.release[0] != 0),
	       yesno(u.nodename[0] != 0));
	printf("uname(bad pointer): %s\n", err_name(-sys(SYS_uname, 16, 0, 0, 0)));
}

/* ---- limits -------------------------------------------------------------- */

static void print_lim(const char *what, rlim_t v)
{
	if (v == RLIM_INFINITY)
		printf("%s=unlimited", what);
	else
		printf("%s=%llu", what, (unsigned long long)v);
}

static void check_rlimits(void)
{
	struct rlimit orig, cur, nw;
	int r;

	/* RLIMIT_STACK: the values come from the environment vmemu runs in,
	 * the same natively. */
	getrlimit(RLIMIT_STACK, &orig);
	printf("RLIMIT_STACK: ");
	print_lim("cur", orig.rlim_cur);
	print_lim(" max", orig.rlim_max);
	printf("\n");
	nw.rlim_cur = 4 << 20;
	nw.rlim_max = orig.rlim_max;
	r = setrlimit(RLIMIT_STACK, &nw);
	getrlimit(RLIMIT_STACK, &cur);
	printf("RLIMIT_STACK set 4MiB: %d read back=%s\n", r,
	       yesno(cur.rlim_cur == (rlim_t)(4 << 20) && cur.rlim_max == orig.rlim_max));
	{
		struct rlimit old;

		nw.rlim_cur = 2 << 20;
		r = prlimit(0, RLIMIT_STACK, &nw, &old);
		printf("prlimit STACK 2MiB: %d old was 4MiB=%s\n", r,
		       yesno(old.rlim_cur == (rlim_t)(4 << 20)));
		r = prlimit(getpid(), RLIMIT_STACK, NULL, &old);
		printf("prlimit(getpid()) STACK: %d now 2MiB=%s\n", r,
		       yesno(old.rlim_cur == (rlim_t)(2 << 20)));
	}
	setrlimit(RLIMIT_STACK, &orig);
	getrlimit(RLIMIT_STACK, &cur);
	printf("RLIMIT_STACK restored: %s\n", yesno(cur.rlim_cur == orig.rlim_cur));

	/* RLIMIT_NOFILE: a round trip on the soft limit, then lowering the
	 * hard one, and what a child inherits. */
	getrlimit(RLIMIT_NOFILE, &orig);
	printf("RLIMIT_NOFILE: cur<=max=%s\n", yesno(orig.rlim_cur <= orig.rlim_max));
	nw.rlim_cur = 100;
	nw.rlim_max = orig.rlim_max;
	r = setrlimit(RLIMIT_NOFILE, &nw);
	getrlimit(RLIMIT_NOFILE, &cur);
	printf("RLIMIT_NOFILE set cur=100: %d read back cur=%llu\n", r,
	       (unsigned long long)cur.rlim_cur);
	nw.rlim_cur = 100;
	nw.rlim_max = 200;
	r = setrlimit(RLIMIT_NOFILE, &nw);
	getrlimit(RLIMIT_NOFILE, &cur);
	printf("RLIMIT_NOFILE set max=200: %d read back cur=%llu max=%llu\n", r,
	       (unsigned long long)cur.rlim_cur, (unsigned long long)cur.rlim_max);
	{
		int fds_ok = 1, last = -1;

		/* The soft limit is enforced: descriptor 100 cannot exist. */
		for (int i = 0; i < 120; i++) {
			int fd = dup(0);

			if (fd < 0) {
				fds_ok = errno == EMFILE;
				break;
			}
			last = fd;
		}
		printf("RLIMIT_NOFILE=100 enforced: EMFILE=%s highest fd=%d\n", yesno(fds_ok),
		       last);
		for (int fd = 3; fd <= last; fd++)
			close(fd);
	}
	nw.rlim_cur = 300;
	nw.rlim_max = 200;
	errno = 0;
	r = setrlimit(RLIMIT_NOFILE, &nw);
	printf("RLIMIT_NOFILE cur>max: %d %s\n", r, err_name(errno));
	errno = 0;
	r = syscall(SYS_prlimit64, 0, 1000, NULL, &cur);
	printf("prlimit bad resource: %d %s\n", r, err_name(errno));
	errno = 0;
	r = syscall(SYS_prlimit64, 999999, RLIMIT_NOFILE, NULL, &cur);
	printf("prlimit no such pid: %d %s\n", r, err_name(errno));
	{
		struct rlimit as;

		getrlimit(RLIMIT_CORE, &as);
		printf("RLIMIT_CORE cur=0 (compare.sh sets it): %s\n", yesno(as.rlim_cur == 0));
	}
}

/* ---- scheduler, randomness, system ---------------------------------- */

static void check_sched(void)
{
	cpu_set_t set;
	int r;

	CPU_ZERO(&set);
	r = sched_getaffinity(0, sizeof(set), &set);
	printf("sched_getaffinity: %d CPU 0 in set=%s count>=1=%s\n", r,
	       yesno(CPU_ISSET(0, &set)), yesno(CPU_COUNT(&set) >= 1));
	errno = 0;
	r = syscall(SYS_sched_getaffinity, 0, 3, &set);
	printf("sched_getaffinity size 3: %d %s\n", r, err_name(errno));
	errno = 0;
	r = sched_getaffinity(999999, sizeof(set), &set);
	printf("sched_getaffinity no such pid: %d %s\n", r, err_name(errno));
	printf("sched_yield: %d\n", sched_yield());
	{
		unsigned cpu = 99, node = 99;
		long g = sys(SYS_getcpu, (long)&cpu, (long)&node, 0, 0);

		printf("getcpu: %s cpu valid=%s node=%u\n", err_name(-g),
		       yesno(cpu < (unsigned)CPU_SETSIZE && CPU_ISSET(cpu, &set)), node);
	}
}

static void check_getrandom(void)
{
	unsigned char buf[64], zero[64] = { 0 };
	long r;

	memset(buf, 0, sizeof(buf));
	r = sys(SYS_getrandom, (long)buf, 64, 0, 0);
	printf("getrandom 64: %ld nonzero=%s\n", r, yesno(memcmp(buf, zero, 64) != 0));
	printf("getrandom 0: %ld\n", sys(SYS_getrandom, (long)buf, 0, 0, 0));
	printf("getrandom GRND_NONBLOCK: %ld\n", sys(SYS_getrandom, (long)buf, 16, 1, 0));
	printf("getrandom GRND_RANDOM: %ld\n", sys(SYS_getrandom, (long)buf, 16, 2, 0));
	printf("getrandom GRND_INSECURE: %ld\n", sys(SYS_getrandom, (long)buf, 16, 4, 0));
	printf("getrandom GRND_INSECURE|GRND_RANDOM: %s\n",
	       err_name(-sys(SYS_getrandom, (long)buf, 16, 6, 0)));
	printf("getrandom flags 0x8: %s\n", err_name(-sys(SYS_getrandom, (long)buf, 16, 8, 0)));
	printf("getrandom bad pointer: %s\n", err_name(-sys(SYS_getrandom, 16, 16, 0, 0)));
}

static void check_sysinfo(void)
{
	struct sysinfo si;
	long r = sys(SYS_sysinfo, (long)&si, 0, 0, 0);

	printf("sysinfo: %s totalram>0=%s freeram<=totalram=%s mem_unit=%u procs>=1=%s "
	       "freeswap<=totalswap=%s\n",
	       err_name(-r), yesno(si.totalram > 0), yesno(si.freeram <= si.totalram),
	       si.mem_unit, yesno(si.procs >= 1),
	       yesno(si.freeswap <= si.totalswap));
	printf("sysinfo(bad pointer): %s\n", err_name(-sys(SYS_sysinfo, 16, 0, 0, 0)));
}

static void check_times(void)
{
	struct tms t;
	clock_t c;
	struct rusage ru;

	/* Not compared with -1: glibc's times() passes any value through. */
	memset(&t, 0xff, sizeof(t));
	c = times(&t);
	printf("times: returns>0=%s fields>=0=%s\n", yesno((long)c > 0),
	       yesno(t.tms_utime >= 0 && t.tms_stime >= 0 && t.tms_cutime >= 0 &&
		     t.tms_cstime >= 0));
	printf("times(NULL): returns>0=%s\n", yesno((long)times(NULL) > 0));
	printf("getrusage(SELF): %d\n", getrusage(RUSAGE_SELF, &ru));
	printf("sysconf(_SC_CLK_TCK)=%ld\n", sysconf(_SC_CLK_TCK));
}

static void check_umask(void)
{
	mode_t old = umask(027), back;

	back = umask(old);
	printf("umask: initial=%03o round trip=%03o restored=%s\n", (unsigned)old,
	       (unsigned)back, yesno(umask(old) == old));
	umask(0777 | 07000);
	back = umask(old);
	printf("umask keeps only 0777: %03o\n", (unsigned)back);
}

static void check_prctl(void)
{
	char name[32], before[32];
	int r;

	memset(before, 0, sizeof(before));
	prctl(PR_GET_NAME, before, 0, 0, 0);
	r = prctl(PR_SET_NAME, "vmemu-sample-timeproc", 0, 0, 0);
	memset(name, 'x', sizeof(name));
	prctl(PR_GET_NAME, name, 0, 0, 0);
	printf("prctl PR_SET_NAME: %d PR_GET_NAME=\"%s\" (len %zu)\n", r, name, strlen(name));
	r = prctl(PR_SET_NAME, "short", 0, 0, 0);
	prctl(PR_GET_NAME, name, 0, 0, 0);
	printf("prctl PR_SET_NAME short: %d \"%s\"\n", r, name);
	prctl(PR_SET_NAME, before, 0, 0, 0);
	prctl(PR_GET_NAME, name, 0, 0, 0);
	printf("prctl name restored: %s\n", yesno(!strcmp(name, before)));
	printf("prctl PR_GET_DUMPABLE: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	errno = 0;
	r = prctl(9999, 0, 0, 0, 0);
	printf("prctl unknown option: %d %s\n", r, err_name(errno));
}

static void check_arch_prctl(void)
{
	unsigned long fs = 0, gs = 1, self;
	long r;

	r = sys(SYS_arch_prctl, ARCH_GET_FS, (long)&fs, 0, 0);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	printf("arch_prctl ARCH_GET_FS: %s equals the TLS pointer=%s equals pthread_self=%s\n",
	       err_name(-r), yesno(fs == self), yesno(fs == (unsigned long)pthread_self()));
	r = sys(SYS_arch_prctl, ARCH_GET_GS, (long)&gs, 0, 0);
	printf("arch_prctl ARCH_GET_GS: %s gs=%lu\n", err_name(-r), gs);
	printf("arch_prctl bad code: %s\n", err_name(-sys(SYS_arch_prctl, 0x9999, 0, 0, 0)));
	printf("arch_prctl ARCH_GET_FS bad pointer: %s\n",
	       err_name(-sys(SYS_arch_prctl, ARCH_GET_FS, 16, 0, 0)));
}

int main(void)
{
	check_clocks();
	check_wall_clocks();
	check_sleeps();
	check_ids();
	check_uname();
	check_rlimits();
	check_sched();
	check_getrandom();
	check_sysinfo();
	check_times();
	check_umask();
	check_prctl();
	check_arch_prctl();
	printf("done\n");
	return 0;
}
