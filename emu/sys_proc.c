/* Process syscalls of a single process: identity, exit, execve, limits,
 * arch_prctl, uname, randomness, and the small ones static libcs call at
 * start-up (set_tid_address, set_robust_list, rseq). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "syscall.h"
#include "guestmm/swap.h"
#include "procfs.h"
#include "vfs.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012

/* The kernel vmemu's guest ABI follows (README: "Guest ABI"). */
#define UTS_RELEASE "6.1.0-vmemu"
#define UTS_VERSION "#1 SMP PREEMPT_DYNAMIC"

static long sys_getpid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return t->tgid;
}

static long sys_gettid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return t->pid;
}

static long sys_getppid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return t->ppid;
}

/* The guest runs as the user who runs vmemu. */
static long sys_getuid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return getuid();
}

static long sys_geteuid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return geteuid();
}

static long sys_getgid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return getgid();
}

static long sys_getegid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return getegid();
}

static long sys_getresuid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uid_t id[3];

	getresuid(&id[0], &id[1], &id[2]);
	for (int i = 0; i < 3; i++) {
		uint32_t v = id[i];

		if (copy_to_user(t->mm, a[i], &v, sizeof(v)))
			return -EFAULT;
	}
	return 0;
}

static long sys_getresgid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	gid_t id[3];

	getresgid(&id[0], &id[1], &id[2]);
	for (int i = 0; i < 3; i++) {
		uint32_t v = id[i];

		if (copy_to_user(t->mm, a[i], &v, sizeof(v)))
			return -EFAULT;
	}
	return 0;
}

/* The setuid family. The guest's credentials are vmemu's own, which it
 * cannot change: a call that leaves every id as it is succeeds (make's
 * posix_spawn resets its effective uid this way), any other gets EPERM,
 * as an unprivileged process asking for an id it does not hold. ids[] are
 * the real, effective and saved ids; want[] the call's, -1 for "keep". */
static long set_ids_unchanged(const uint32_t cur[3], const uint64_t want[3])
{
	for (int i = 0; i < 3; i++)
		if ((uint32_t)want[i] != (uint32_t)-1 && (uint32_t)want[i] != cur[i])
			return -EPERM;
	return 0;
}

static void host_uids(uint32_t cur[3])
{
	uid_t r, e, s;

	getresuid(&r, &e, &s);
	cur[0] = r, cur[1] = e, cur[2] = s;
}

static void host_gids(uint32_t cur[3])
{
	gid_t r, e, s;

	getresgid(&r, &e, &s);
	cur[0] = r, cur[1] = e, cur[2] = s;
}

static long sys_setresuid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint32_t cur[3];

	host_uids(cur);
	return set_ids_unchanged(cur, a);
}

static long sys_setresgid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint32_t cur[3];

	host_gids(cur);
	return set_ids_unchanged(cur, a);
}

static long sys_setreuid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t want[3] = { a[0], a[1], (uint32_t)-1 };
	uint32_t cur[3];

	host_uids(cur);
	return set_ids_unchanged(cur, want);
}

static long sys_setregid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t want[3] = { a[0], a[1], (uint32_t)-1 };
	uint32_t cur[3];

	host_gids(cur);
	return set_ids_unchanged(cur, want);
}

/* setuid(id) sets all three ids for a privileged caller, else the
 * effective one: either way, unchanged only when it is the effective id
 * and, for root, the others too. */
static long sys_setuid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint32_t cur[3];
	uint64_t want[3] = { a[0], a[0], a[0] };

	host_uids(cur);
	if (cur[1] != 0)
		want[0] = want[2] = (uint32_t)-1;
	return set_ids_unchanged(cur, want);
}

static long sys_setgid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint32_t cur[3];
	uint64_t want[3] = { a[0], a[0], a[0] };

	host_gids(cur);
	if (geteuid() != 0)
		want[0] = want[2] = (uint32_t)-1;
	return set_ids_unchanged(cur, want);
}

/* setfsuid and setfsgid never fail: they return the previous id, which
 * here is always the effective one. */
static long sys_setfsuid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return geteuid();
}

static long sys_setfsgid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return getegid();
}

/* The host's supplementary groups, with Linux's size rules. */
static long sys_getgroups(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int size = (int)a[0], n = getgroups(0, NULL);
	gid_t *host;
	long r;

	if (size < 0)
		return -EINVAL;
	if (n < 0)
		return -errno;
	if (!size)
		return n;
	if (size < n)
		return -EINVAL;
	host = calloc(n ? n : 1, sizeof(*host));
	if (!host)
		return -ENOMEM;
	n = getgroups(n, host);
	r = n;
	for (int i = 0; i < n && r >= 0; i++) {
		uint32_t v = host[i];

		if (copy_to_user(t->mm, a[1] + 4 * (uint64_t)i, &v, sizeof(v)))
			r = -EFAULT;
	}
	free(host);
	return r;
}

static long sys_getpgrp(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return t->pgid;
}

static long sys_uname(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct utsname u;

	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Linux");
	if (m->cfg.deterministic || gethostname(u.nodename, sizeof(u.nodename) - 1))
		strcpy(u.nodename, "vmemu");
	strcpy(u.release, UTS_RELEASE);
	strcpy(u.version, UTS_VERSION);
	strcpy(u.machine, "x86_64");
	strcpy(u.domainname, "(none)");
	return copy_to_user(t->mm, a[0], &u, sizeof(u));
}

static long sys_arch_prctl(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t v;

	switch (a[0]) {
	case ARCH_SET_FS:
		if (a[1] >= TASK_SIZE)
			return -EPERM;
		uc_reg_write(m->uc, UC_X86_REG_FS_BASE, &a[1]);
		t->fs_base = a[1];
		return 0;
	case ARCH_SET_GS:
		if (a[1] >= TASK_SIZE)
			return -EPERM;
		uc_reg_write(m->uc, UC_X86_REG_GS_BASE, &a[1]);
		return 0;
	case ARCH_GET_FS:
		uc_reg_read(m->uc, UC_X86_REG_FS_BASE, &v);
		return copy_to_user(t->mm, a[1], &v, sizeof(v));
	case ARCH_GET_GS:
		uc_reg_read(m->uc, UC_X86_REG_GS_BASE, &v);
		return copy_to_user(t->mm, a[1], &v, sizeof(v));
	case ARCH_GET_CPUID:
		return 1;
	case ARCH_SET_CPUID:
		/* CPUID faulting is not offered, as on CPUs without it. */
		return -ENODEV;
	default:
		return -EINVAL;
	}
}

static long sys_set_tid_address(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	t->clear_child_tid = a[0];
	return t->pid;
}

static long sys_set_robust_list(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if (a[1] != 24) /* sizeof(struct robust_list_head) */
		return -EINVAL;
	t->robust_list = a[0];
	t->robust_len = a[1];
	return 0;
}

static long sys_rseq(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	/* Not implemented with cpu_id and abort semantics: libcs then go on
	 * without it, as on kernels before 4.18. */
	return -ENOSYS;
}

struct k_rlimit {
	uint64_t cur, max;
};

static long sys_prlimit64(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int pid = (int)a[0];
	unsigned int res = (unsigned int)a[1];
	struct k_rlimit old, nw;
	struct task_struct *p = pid ? find_task(m, pid) : t;

	if (!p || p->state == TASK_ZOMBIE || p->state == TASK_DEAD)
		return -ESRCH;
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	old.cur = p->rlim[res].cur;
	old.max = p->rlim[res].max;
	if (a[2]) {
		if (copy_from_user(t->mm, &nw, a[2], sizeof(nw)))
			return -EFAULT;
		if (nw.cur > nw.max)
			return -EINVAL;
		/* Raising a hard limit takes CAP_SYS_RESOURCE. */
		if (nw.max > old.max && geteuid() != 0)
			return -EPERM;
		/* Linux's sysctl_nr_open bounds RLIMIT_NOFILE; ours is the
		 * descriptor table. */
		if (res == RLIMIT_NOFILE && nw.max > NR_OPEN_DEFAULT)
			return -EPERM;
	}
	if (a[3] && copy_to_user(t->mm, a[3], &old, sizeof(old)))
		return -EFAULT;
	if (a[2]) {
		/* Limits belong to the process: every thread of it. */
		for (struct task_struct *o = m->tasks; o; o = o->next) {
			if (o->tgid != p->tgid)
				continue;
			o->rlim[res].cur = nw.cur;
			o->rlim[res].max = nw.max;
			if (res == RLIMIT_STACK) {
				o->rlim_stack = nw.cur;
				if (o->mm)
					o->mm->rlim_stack = nw.cur;
			}
			if (res == RLIMIT_NOFILE && o->files)
				o->files->max_fds = (unsigned int)nw.cur;
		}
	}
	return 0;
}

static long sys_getrlimit(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t args[4] = { 0, a[0], 0, a[1] };

	return sys_prlimit64(m, t, args);
}

static long sys_setrlimit(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t args[4] = { 0, a[0], a[1], 0 };

	return sys_prlimit64(m, t, args);
}

static long sys_sched_getaffinity(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t len = a[1], mask = 1;
	uint8_t zero[128] = { 0 };

	if (a[0] && (int)a[0] != t->pid)
		return -ESRCH;
	/* The guest has one CPU. Linux returns the kernel cpumask size (8). */
	if (len < sizeof(mask) || (len & 7))
		return -EINVAL;
	len = len > sizeof(zero) ? sizeof(zero) : len;
	if (copy_to_user(t->mm, a[2], zero, len) || copy_to_user(t->mm, a[2], &mask, sizeof(mask)))
		return -EFAULT;
	return sizeof(mask);
}

/* The guest's one CPU is CPU 0 on node 0. */
static long sys_getcpu(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint32_t zero = 0;

	if (a[0] && copy_to_user(t->mm, a[0], &zero, sizeof(zero)))
		return -EFAULT;
	if (a[1] && copy_to_user(t->mm, a[1], &zero, sizeof(zero)))
		return -EFAULT;
	return 0;
}

static long sys_sched_yield(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return 0;
}

/* membarrier (Linux 6.1's commands without the rseq ones, as rseq is
 * ENOSYS here). One CPU runs every task, and entering the guest kernel is
 * already a full barrier, so each barrier is done once asked for. Not
 * kept: the per-process registration, whose absence makes Linux's
 * PRIVATE_EXPEDITED commands fail with EPERM. musl's dynamic loader asks
 * for them. */
#define MEMBARRIER_SUPPORTED 0x7f    /* QUERY .. REGISTER_PRIVATE_EXPEDITED_SYNC_CORE */

static long sys_membarrier(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int cmd = (int)a[0];

	if (a[1])
		return -EINVAL;
	if (cmd == 0)
		return MEMBARRIER_SUPPORTED;
	if (cmd < 0 || (cmd & (cmd - 1)) || !(cmd & MEMBARRIER_SUPPORTED))
		return -EINVAL;
	return 0;
}

static long sys_getrandom(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint8_t buf[256];
	uint64_t len = a[1], done = 0;

	if (a[2] & ~7ULL)
		return -EINVAL;
	/* GRND_INSECURE and GRND_RANDOM contradict each other (Linux 5.6+). */
	if ((a[2] & 6) == 6)
		return -EINVAL;
	if (len > 33554431)
		len = 33554431;
	while (done < len) {
		size_t n = len - done > sizeof(buf) ? sizeof(buf) : len - done;

		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = machine_random(m);

			memcpy(buf + i, &r, n - i < 8 ? n - i : 8);
		}
		if (copy_to_user(t->mm, a[0] + done, buf, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return done;
}

struct k_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t pad2;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char _f[4];
};

static long sys_sysinfo(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct k_sysinfo si;
	struct timespec ts;

	struct swap_stats sw;
	unsigned long load[3];
	int procs = 0;

	memset(&si, 0, sizeof(si));
	(void)ts;
	si.uptime = (int64_t)((machine_now_ns(m) - m->boot_ns) / 1000000000ULL);
	/* /proc/loadavg's averages, in sysinfo's 16-bit fixed point. */
	procfs_loadavg(m, load);
	for (int i = 0; i < 3; i++)
		si.loads[i] = load[i] << (16 - 11);
	si.totalram = totalram_pages(m->node) * PAGE_SIZE;
	si.freeram = nr_free_pages(m->node) * PAGE_SIZE;
	si.sharedram = m->node->stat.stat[NR_SHMEM] * PAGE_SIZE;
	swap_get_stats(m->node, &sw);
	si.totalswap = sw.total_pages * PAGE_SIZE;
	si.freeswap = sw.free_pages * PAGE_SIZE;
	for (struct task_struct *o = m->tasks; o; o = o->next)
		procs += o->state != TASK_DEAD;
	si.procs = (uint16_t)procs;
	si.mem_unit = 1;
	return copy_to_user(t->mm, a[0], &si, sizeof(si));
}

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16

static long sys_prctl(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	char name[TASK_COMM_LEN];
	long len;

	switch (a[0]) {
	case PR_SET_NAME:
		len = strncpy_from_user(t->mm, name, a[1], sizeof(name));
		if (len == -EFAULT)
			return -EFAULT;
		name[sizeof(name) - 1] = 0;
		memcpy(t->comm, name, sizeof(name));
		return 0;
	case PR_GET_NAME:
		return copy_to_user(t->mm, a[1], t->comm, sizeof(t->comm));
	case PR_GET_DUMPABLE:
		return 1;
	case PR_SET_DUMPABLE:
		return a[1] <= 1 ? 0 : -EINVAL;
	case PR_SET_PDEATHSIG:
		return a[1] <= 64 ? 0 : -EINVAL;
	case PR_GET_PDEATHSIG: {
		int zero = 0;

		return copy_to_user(t->mm, a[1], &zero, sizeof(zero));
	}
	default:
		return -EINVAL;
	}
}

/* Reads a NULL-terminated array of strings from the guest. */
static char **copy_strings(struct mm_struct *mm, uint64_t uptr, long *err)
{
	char **v = NULL;
	size_t n = 0, total = 0;

	*err = 0;
	for (;;) {
		uint64_t p;
		char *s;
		long len;

		if (uptr && copy_from_user(mm, &p, uptr + n * 8, 8)) {
			*err = -EFAULT;
			break;
		}
		if (!uptr)
			p = 0;
		char **nv = realloc(v, (n + 1) * sizeof(*v));

		if (!nv) {
			*err = -ENOMEM;
			break;
		}
		v = nv;
		v[n] = NULL;
		if (!p)
			return v;
		s = malloc(131072);
		if (!s) {
			*err = -ENOMEM;
			break;
		}
		len = strncpy_from_user(mm, s, p, 131072);
		if (len < 0) {
			free(s);
			*err = len == -ENAMETOOLONG ? -E2BIG : len;
			break;
		}
		total += len + 1 + 8;
		if (total > 2 * 1024 * 1024) {  /* ARG_MAX-like bound */
			free(s);
			*err = -E2BIG;
			break;
		}
		v[n++] = realloc(s, len + 1);
	}
	if (v) {
		v[n] = NULL;
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
	}
	return NULL;
}

static void free_strings(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static long sys_execve(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	char path[4096];
	char **argv = NULL, **envp = NULL;
	long len, err;

	len = strncpy_from_user(t->mm, path, a[0], sizeof(path));
	if (len < 0)
		return len;
	if (!len)
		return -ENOENT;
	argv = copy_strings(t->mm, a[1], &err);
	if (!argv)
		return err;
	envp = copy_strings(t->mm, a[2], &err);
	if (!envp) {
		free_strings(argv);
		return err;
	}
	err = do_execve(m, t, path, argv, envp);
	free_strings(argv);
	free_strings(envp);
	if (err)
		return err;
	t->syscall_action = ACTION_EXECVE;
	m->stop = STOP_SYSCALL;
	return 0;
}

void sys_proc_register(struct syscall_desc *table)
{
	SYSCALL(table, SYS_getpid, sys_getpid);
	SYSCALL(table, SYS_gettid, sys_gettid);
	SYSCALL(table, SYS_getppid, sys_getppid);
	SYSCALL(table, SYS_getuid, sys_getuid);
	SYSCALL(table, SYS_geteuid, sys_geteuid);
	SYSCALL(table, SYS_getgid, sys_getgid);
	SYSCALL(table, SYS_getegid, sys_getegid);
	SYSCALL(table, SYS_getresuid, sys_getresuid);
	SYSCALL(table, SYS_getresgid, sys_getresgid);
	SYSCALL(table, SYS_setuid, sys_setuid);
	SYSCALL(table, SYS_setgid, sys_setgid);
	SYSCALL(table, SYS_setreuid, sys_setreuid);
	SYSCALL(table, SYS_setregid, sys_setregid);
	SYSCALL(table, SYS_setresuid, sys_setresuid);
	SYSCALL(table, SYS_setresgid, sys_setresgid);
	SYSCALL(table, SYS_setfsuid, sys_setfsuid);
	SYSCALL(table, SYS_setfsgid, sys_setfsgid);
	SYSCALL(table, SYS_getgroups, sys_getgroups);
	SYSCALL(table, SYS_getpgrp, sys_getpgrp);
	SYSCALL(table, SYS_uname, sys_uname);
	SYSCALL(table, SYS_arch_prctl, sys_arch_prctl);
	SYSCALL(table, SYS_set_tid_address, sys_set_tid_address);
	SYSCALL(table, SYS_set_robust_list, sys_set_robust_list);
	SYSCALL(table, SYS_rseq, sys_rseq);
	SYSCALL(table, SYS_prlimit64, sys_prlimit64);
	SYSCALL(table, SYS_getrlimit, sys_getrlimit);
	SYSCALL(table, SYS_setrlimit, sys_setrlimit);
	SYSCALL(table, SYS_sched_getaffinity, sys_sched_getaffinity);
	SYSCALL(table, SYS_sched_yield, sys_sched_yield);
	SYSCALL(table, SYS_membarrier, sys_membarrier);
	SYSCALL(table, SYS_getcpu, sys_getcpu);
	SYSCALL(table, SYS_getrandom, sys_getrandom);
	SYSCALL(table, SYS_sysinfo, sys_sysinfo);
	SYSCALL(table, SYS_prctl, sys_prctl);
	SYSCALL(table, SYS_execve, sys_execve);
}
