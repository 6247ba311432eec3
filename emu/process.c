/* Processes and threads: clone/fork/vfork (copy_process), exit of a thread
 * and of a thread group, zombies, wait4/waitid and reparenting, and kill
 * between processes, after Linux's kernel/fork.c, exit.c and signal.c. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscall.h"
#include "procfs.h"

#define CSIGNAL              0x000000ff
#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_PIDFD          0x00001000
#define CLONE_PTRACE         0x00002000
#define CLONE_VFORK          0x00004000
#define CLONE_PARENT         0x00008000
#define CLONE_THREAD         0x00010000
#define CLONE_NEWNS          0x00020000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED       0x00400000
#define CLONE_UNTRACED       0x00800000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_NEWCGROUP      0x02000000
#define CLONE_NEWUTS         0x04000000
#define CLONE_NEWIPC         0x08000000
#define CLONE_NEWUSER        0x10000000
#define CLONE_NEWPID         0x20000000
#define CLONE_NEWNET         0x40000000
#define CLONE_IO             0x80000000ULL

/* Linux's default RLIMIT_NPROC-like bound on guest tasks. */
#define MAX_GUEST_TASKS 4096

struct task_struct *find_task(machine_t *m, int pid)
{
	for (struct task_struct *t = m->tasks; t; t = t->next)
		if (t->pid == pid && t->state != TASK_DEAD)
			return t;
	return NULL;
}

static int nr_tasks(machine_t *m)
{
	int n = 0;

	for (struct task_struct *t = m->tasks; t; t = t->next)
		if (t->state != TASK_DEAD)
			n++;
	return n;
}

long task_sleep(machine_t *m, struct task_struct *t, wait_fn_t fn)
{
	t->state = TASK_INTERRUPTIBLE;
	t->wait_fn = fn;
	m->stop = STOP_SYSCALL;
	/* What the guest would see if a signal interrupts the sleep: the
	 * restart rules then turn it into EINTR or a restart. */
	return -ERESTARTSYS;
}

void wake_up_process(struct task_struct *t)
{
	(void)t; /* the scheduler asks every sleeper's wait_fn each round */
}

struct task_struct *copy_process(machine_t *m, struct task_struct *parent, uint64_t flags,
				 uint64_t newsp, uint64_t tls, long *err)
{
	struct task_struct *p;
	uint64_t rip, rflags, zero = 0;

	*err = -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return NULL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return NULL;
	if (flags & (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
		     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)) {
		*err = -EPERM;
		return NULL;
	}
	*err = -EAGAIN;
	if (nr_tasks(m) >= MAX_GUEST_TASKS)
		return NULL;
	*err = -ENOMEM;
	p = task_create(m);
	if (!p)
		return NULL;
	/* task_create gave it fresh files and handlers; replace them. */
	files_free(p->files);
	p->files = NULL;
	if (flags & CLONE_FILES) {
		p->files = parent->files;
		p->files->count = (p->files->count ? p->files->count : 1) + 1;
	} else {
		p->files = files_dup(parent->files);
	}
	free(p->sighand);
	if (flags & CLONE_SIGHAND) {
		p->sighand = parent->sighand;
		p->sighand->count++;
	} else {
		p->sighand = malloc(sizeof(*p->sighand));
		if (p->sighand) {
			*p->sighand = *parent->sighand;
			p->sighand->count = 1;
		}
	}
	free(p->cwd);
	p->cwd = strdup(parent->cwd);
	p->exe_path = parent->exe_path ? strdup(parent->exe_path) : NULL;
	if (!p->files || !p->sighand || !p->cwd) {
		p->state = TASK_DEAD;
		return NULL;
	}
	if (flags & CLONE_VM) {
		p->mm = parent->mm;
		p->mm->mm_users++;
	} else {
		p->mm = dup_mm(parent->mm);
		if (!p->mm) {
			p->state = TASK_DEAD;
			return NULL;
		}
	}
	memcpy(p->comm, parent->comm, sizeof(p->comm));
	p->oom_score_adj = parent->oom_score_adj;
	p->umask = parent->umask;
	p->rlim_stack = parent->rlim_stack;
	memcpy(p->rlim, parent->rlim, sizeof(p->rlim));
	if (!(flags & CLONE_FILES))
		p->files->max_fds = parent->files->max_fds;
	p->blocked = parent->blocked;
	p->altstack = (flags & (CLONE_VM | CLONE_VFORK)) == CLONE_VM
		      ? (struct stack_altstack){ .ss_flags = K_SS_DISABLE } : parent->altstack;
	if (flags & CLONE_THREAD) {
		p->tgid = parent->tgid;
		p->group_leader = parent->group_leader;
		p->ppid = parent->ppid;
		p->exit_signal = -1;
	} else {
		p->group_leader = p;
		p->ppid = (flags & CLONE_PARENT) ? parent->ppid : parent->tgid;
		p->exit_signal = (int)(flags & CSIGNAL);
	}
	p->pgid = parent->pgid;
	p->sid = parent->sid;

	/* Registers: the parent's, resuming after the syscall with RAX 0. */
	uc_context_save(m->uc, p->ctx);
	uc_reg_read(m->uc, UC_X86_REG_RIP, &rip);
	uc_reg_read(m->uc, UC_X86_REG_EFLAGS, &rflags);
	rip += 2;
	rflags &= 0xffffffff;
	uc_context_reg_write(p->ctx, UC_X86_REG_RIP, &rip);
	uc_context_reg_write(p->ctx, UC_X86_REG_RAX, &zero);
	uc_context_reg_write(p->ctx, UC_X86_REG_RCX, &rip);
	uc_context_reg_write(p->ctx, UC_X86_REG_R11, &rflags);
	if (newsp)
		uc_context_reg_write(p->ctx, UC_X86_REG_RSP, &newsp);
	if (flags & CLONE_SETTLS) {
		uc_context_reg_write(p->ctx, UC_X86_REG_FS_BASE, &tls);
		p->fs_base = tls;
	}
	*err = 0;
	return p;
}

/* ---- exit ---- */

static struct task_struct *child_reaper(machine_t *m)
{
	return find_task(m, m->first_pid);
}

static bool thread_group_empty(machine_t *m, struct task_struct *t)
{
	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o != t && o->tgid == t->tgid && o->state != TASK_DEAD &&
		    o->state != TASK_ZOMBIE)
			return false;
	return true;
}

/* vmemu_config.report: the address space's numbers, before mmput. */
static void exit_report_snapshot(machine_t *m, struct task_struct *leader, struct mm_struct *mm)
{
	struct vmemu_process_report *r = &leader->exit_report;
	struct vmemu_as as = { .node = m->mmu, .mm = mm };

	memset(r, 0, sizeof(*r));
	r->has_mm = 1;
	vmemu_as_rollup(&as, &r->rollup);
	vmemu_as_status(&as, &r->status);
	if (m->cfg.report_maps)
		r->smaps = procfs_smaps(mm);
	leader->have_exit_report = true;
}

/* vmemu_config.report: the process is gone; the client hears of it. */
static void exit_report_send(machine_t *m, struct task_struct *leader)
{
	struct vmemu_process_report *r = &leader->exit_report;

	if (!m->cfg.report)
		return;
	if (!leader->have_exit_report)
		memset(r, 0, sizeof(*r));
	r->pid = leader->tgid;
	r->ppid = leader->ppid;
	memcpy(r->comm, leader->comm, sizeof(r->comm) - 1);
	r->comm[sizeof(r->comm) - 1] = 0;
	r->wait_status = leader->exit_code;
	m->cfg.report(m->cfg.report_ctx, r);
	free((char *)r->smaps);
	r->smaps = NULL;
	leader->have_exit_report = false;
}

/* The group is gone: the leader becomes a zombie its parent can reap. */
static void exit_notify(machine_t *m, struct task_struct *leader)
{
	struct task_struct *parent = find_task(m, leader->ppid);
	struct task_struct *reaper = child_reaper(m);

	exit_report_send(m, leader);

	/* Orphans go to the first guest process (our init). */
	for (struct task_struct *c = m->tasks; c; c = c->next)
		if (c->ppid == leader->tgid && c->group_leader == c && c != leader)
			c->ppid = reaper && reaper != leader ? reaper->tgid : 0;
	leader->state = TASK_ZOMBIE;
	leader->group_exited = true;
	if (leader->pid == m->first_pid) {
		m->first_status = leader->exit_code;
		m->first_exited = 1;
	}
	if (!parent || parent->state == TASK_ZOMBIE || parent->state == TASK_DEAD) {
		/* Nobody will wait: reap at once. */
		leader->state = TASK_DEAD;
		return;
	}
	/* Linux's do_notify_parent sends only a valid signal: clone's CSIGNAL
	 * byte may hold up to 255. */
	if (leader->exit_signal > 0 && leader->exit_signal <= KNSIG) {
		struct k_sigaction *ka = &parent->sighand->action[leader->exit_signal - 1];
		struct k_siginfo info = { .si_signo = leader->exit_signal };
		int st = leader->exit_code;

		/* SIGCHLD ignored or SA_NOCLDWAIT: the child is reaped now. */
		if (leader->exit_signal == SIGCHLD &&
		    (ka->handler == K_SIG_IGN || (ka->flags & K_SA_NOCLDWAIT))) {
			leader->state = TASK_DEAD;
			return;
		}
		info.si_code = WIFSIGNALED(st) ? (WCOREDUMP(st) ? 3 : 2) /* CLD_DUMPED/KILLED */
					       : 1 /* CLD_EXITED */;
		info.u.chld.pid = leader->tgid;
		info.u.chld.uid = getuid();
		info.u.chld.status = WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st);
		send_signal(parent, &info);
	}
}

void do_exit(machine_t *m, struct task_struct *t, int wait_status)
{
	struct task_struct *leader = t->group_leader ? t->group_leader : t;

	if (t->state == TASK_ZOMBIE || t->state == TASK_DEAD)
		return;
	/* CLONE_CHILD_CLEARTID: what pthread_join waits on. */
	if (t->clear_child_tid && t->mm && t->mm->mm_users > 1) {
		uint32_t zero = 0;

		if (!copy_to_user(t->mm, t->clear_child_tid, &zero, sizeof(zero)))
			futex_wake(m, t->mm, t->clear_child_tid, 1, ~0u);
	}
	if (t->mm) {
		/* The last thread of the group: its memory, before it goes. */
		if (m->cfg.report && !leader->group_exited && thread_group_empty(m, t))
			exit_report_snapshot(m, leader, t->mm);
		t->maxrss_at_exit = t->mm->hiwater_rss;
		t->min_flt_at_exit = t->mm->min_flt;
		t->maj_flt_at_exit = t->mm->maj_flt;
		if (m->mmu->active_mm == t->mm && t->mm->mm_users == 1)
			m->mmu->active_mm = NULL;
		mmput(t->mm);
		t->mm = NULL;
	}
	if (t->files) {
		if (t->files->count > 1)
			t->files->count--;
		else
			files_free(t->files);
		t->files = NULL;
	}
	t->vfork_done = true;
	t->exit_code = wait_status;
	/* A thread other than the leader is reaped at once; the leader stays
	 * as a zombie until the whole group is gone. */
	t->state = t == leader ? TASK_ZOMBIE : TASK_DEAD;
	if (thread_group_empty(m, t) && !leader->group_exited) {
		if (leader != t)
			leader->exit_code = wait_status;
		exit_notify(m, leader);
	}
}

void do_group_exit(machine_t *m, struct task_struct *t, int wait_status)
{
	struct task_struct *leader = t->group_leader ? t->group_leader : t;

	/* Every other thread dies first; the leader carries the status. */
	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o != t && o->tgid == t->tgid && o->state != TASK_ZOMBIE &&
		    o->state != TASK_DEAD && o != leader)
			do_exit(m, o, wait_status);
	leader->exit_code = wait_status;
	if (leader != t && leader->state != TASK_ZOMBIE && leader->state != TASK_DEAD) {
		leader->clear_child_tid = 0;
		do_exit(m, leader, wait_status);
	}
	do_exit(m, t, wait_status);
	leader->exit_code = wait_status;
	if (leader->pid == m->first_pid)
		m->first_status = wait_status;
}

static long sys_exit(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	do_exit(m, t, ((int)a[0] & 0xff) << 8);
	m->stop = STOP_SYSCALL;
	return 0;
}

static long sys_exit_group(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	do_group_exit(m, t, ((int)a[0] & 0xff) << 8);
	m->stop = STOP_SYSCALL;
	return 0;
}

/* ---- fork ---- */

static int vfork_wait(machine_t *m, struct task_struct *t, long *result)
{
	struct task_struct *c = t->vfork_child;

	if (c && !c->vfork_done && c->state != TASK_ZOMBIE && c->state != TASK_DEAD)
		return WAIT_SLEEP;
	*result = t->wait_args[0];
	t->vfork_child = NULL;
	return WAIT_RESULT;
}

static long do_clone(machine_t *m, struct task_struct *t, uint64_t flags, uint64_t newsp,
		     uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
	struct task_struct *p;
	long err;
	uint32_t tid;

	p = copy_process(m, t, flags, newsp, tls, &err);
	if (!p)
		return err;
	tid = (uint32_t)p->pid;
	/* Linux ignores a bad pointer here too. */
	if (flags & CLONE_PARENT_SETTID)
		(void)copy_to_user(t->mm, parent_tid, &tid, sizeof(tid));
	if (flags & CLONE_CHILD_SETTID)
		copy_to_user(p->mm, child_tid, &tid, sizeof(tid));
	if (flags & CLONE_CHILD_CLEARTID)
		p->clear_child_tid = child_tid;
	p->vfork_done = !(flags & CLONE_VFORK);
	if (flags & CLONE_VFORK) {
		/* The parent sleeps until the child execs or exits. */
		t->vfork_child = p;
		t->wait_args[0] = p->pid;
		return task_sleep(m, t, vfork_wait);
	}
	return p->pid;
}

static long sys_clone(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	/* x86-64 order: flags, newsp, parent_tid, child_tid, tls. */
	return do_clone(m, t, a[0], a[1], a[2], a[3], a[4]);
}

static long sys_fork(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_clone(m, t, SIGCHLD, 0, 0, 0, 0);
}

static long sys_vfork(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_clone(m, t, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

struct k_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
		 set_tid, set_tid_size, cgroup;
};

static long sys_clone3(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct k_clone_args ca;
	size_t size = a[1];

	if (size < 64 || size > 4096)
		return -EINVAL;
	memset(&ca, 0, sizeof(ca));
	if (copy_from_user(t->mm, &ca, a[0], size < sizeof(ca) ? size : sizeof(ca)))
		return -EFAULT;
	if ((ca.flags & CSIGNAL) || ca.exit_signal > 64 || ca.set_tid_size ||
	    (ca.flags & CLONE_PIDFD))
		return -EINVAL;
	return do_clone(m, t, ca.flags | ca.exit_signal, ca.stack ? ca.stack + ca.stack_size : 0,
			ca.parent_tid, ca.child_tid, ca.tls);
}

/* ---- wait ---- */

static bool wait_matches(struct task_struct *t, struct task_struct *c, int pid)
{
	if (c->group_leader != c || c->ppid != t->tgid)
		return false;
	if (pid > 0)
		return c->tgid == pid;
	if (pid == 0)
		return c->pgid == t->pgid;
	if (pid < -1)
		return c->pgid == -pid;
	return true;
}

struct k_rusage {
	int64_t utime[2], stime[2];
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock,
		msgsnd, msgrcv, nsignals, nvcsw, nivcsw;
};

/* Looks for a child to report; 0 with none ready, -ECHILD with none. */

/* A zombie child is reaped: its usage joins the parent's RUSAGE_CHILDREN
 * (and /proc/PID/stat's cutime), and the scheduler frees it. */
static void reap_child(machine_t *m, struct task_struct *t, struct task_struct *c)
{
	uint64_t cpu = 0;

	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o->tgid == c->tgid)
			cpu += task_cpu_ns(m, o);
	t->ccpu_ns += cpu + c->ccpu_ns;
	t->cmin_flt += c->min_flt_at_exit + c->cmin_flt;
	t->cmaj_flt += c->maj_flt_at_exit + c->cmaj_flt;
	if (c->maxrss_at_exit > t->cmaxrss)
		t->cmaxrss = c->maxrss_at_exit;
	c->state = TASK_DEAD;
}

static long do_wait(machine_t *m, struct task_struct *t, int pid, uint64_t ustatus,
		    int options, uint64_t urusage)
{
	bool any = false;

	for (struct task_struct *c = m->tasks; c; c = c->next) {
		if (c->state == TASK_DEAD || !wait_matches(t, c, pid))
			continue;
		any = true;
		if ((options & WUNTRACED) && c->stop_sig && !c->stop_reported &&
		    c->state == TASK_STOPPED) {
			int32_t st = (c->stop_sig << 8) | 0x7f;

			if (ustatus && copy_to_user(t->mm, ustatus, &st, sizeof(st)))
				return -EFAULT;
			if (!(options & 0x01000000 /* WNOWAIT */))
				c->stop_reported = true;
			return c->tgid;
		}
		if ((options & WCONTINUED) && c->cont_pending) {
			int32_t st = 0xffff;

			if (ustatus && copy_to_user(t->mm, ustatus, &st, sizeof(st)))
				return -EFAULT;
			if (!(options & 0x01000000 /* WNOWAIT */))
				c->cont_pending = false;
			return c->tgid;
		}
		if (c->state != TASK_ZOMBIE || !c->group_exited)
			continue;
		int32_t st = c->exit_code;
		long ret = c->tgid;

		if (ustatus && copy_to_user(t->mm, ustatus, &st, sizeof(st)))
			return -EFAULT;
		if (urusage) {
			struct k_rusage ru;

			memset(&ru, 0, sizeof(ru));
			ru.maxrss = c->maxrss_at_exit * (PAGE_SIZE / 1024);
			ru.minflt = c->min_flt_at_exit;
			ru.majflt = c->maj_flt_at_exit;
			if (copy_to_user(t->mm, urusage, &ru, sizeof(ru)))
				return -EFAULT;
		}
		if (!(options & 0x01000000 /* WNOWAIT */))
			reap_child(m, t, c);
		return ret;
	}
	return any ? 0 : -ECHILD;
}

static int wait4_wait(machine_t *m, struct task_struct *t, long *result)
{
	long r = do_wait(m, t, (int)t->wait_args[0], t->wait_args[1], (int)t->wait_args[2],
			 t->wait_args[3]);

	if (r == 0)
		return WAIT_SLEEP;
	*result = r;
	return WAIT_RESULT;
}

static long sys_wait4(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int pid = (int)a[0], options = (int)a[2];
	long r;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | 0x40000000 /* __WNOTHREAD */ |
			0x80000000 /* __WCLONE */ | 0x40000000 | 0x20000000 /* __WALL */))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	r = do_wait(m, t, pid, a[1], options, a[3]);
	if (r || (options & WNOHANG))
		return r;
	t->wait_args[0] = pid;
	t->wait_args[1] = (long)a[1];
	t->wait_args[2] = options;
	t->wait_args[3] = (long)a[3];
	return task_sleep(m, t, wait4_wait);
}

/* waitid: the same search, reporting in a siginfo. wait_args: idtype, id,
 * infop, options. */
static long do_waitid(machine_t *m, struct task_struct *t, int idtype, int id, uint64_t infop,
		      int options)
{
	bool any = false;
	struct k_siginfo info;

	for (struct task_struct *c = m->tasks; c; c = c->next) {
		int pid = idtype == 0 ? -1 : idtype == 1 ? id : -id;

		if (c->state == TASK_DEAD || !wait_matches(t, c, idtype == 2 && !id ? 0 : pid))
			continue;
		any = true;
		if (c->state != TASK_ZOMBIE || !c->group_exited)
			continue;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGCHLD;
		info.si_code = WIFSIGNALED(c->exit_code)
			       ? (WCOREDUMP(c->exit_code) ? 3 : 2) : 1;
		info.u.chld.pid = c->tgid;
		info.u.chld.uid = getuid();
		info.u.chld.status = WIFSIGNALED(c->exit_code) ? WTERMSIG(c->exit_code)
							       : WEXITSTATUS(c->exit_code);
		if (infop && copy_to_user(t->mm, infop, &info, sizeof(info)))
			return -EFAULT;
		if (!(options & 0x01000000 /* WNOWAIT */))
			reap_child(m, t, c);
		return 1;
	}
	return any ? 0 : -ECHILD;
}

static int waitid_wait(machine_t *m, struct task_struct *t, long *result)
{
	long r = do_waitid(m, t, (int)t->wait_args[0], (int)t->wait_args[1], t->wait_args[2],
			   (int)t->wait_args[3]);

	if (r == 0)
		return WAIT_SLEEP;
	*result = r < 0 ? r : 0;
	return WAIT_RESULT;
}

static long sys_waitid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int idtype = (int)a[0], id = (int)a[1], options = (int)a[3];
	long r;

	if (idtype < 0 || idtype > 2 || (idtype != 0 && id <= 0 && !(idtype == 2 && id == 0)))
		return -EINVAL;
	if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | 0x01000000 | 0x20000000 |
			0x40000000 | (int)0x80000000))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	r = do_waitid(m, t, idtype, id, a[2], options);
	if (r > 0)
		return 0;
	if (r < 0)
		return r;
	if (options & WNOHANG) {
		struct k_siginfo none;

		/* Nothing ready: Linux zeroes si_pid (and the rest). */
		memset(&none, 0, sizeof(none));
		if (a[2] && copy_to_user(t->mm, a[2], &none, sizeof(none)))
			return -EFAULT;
		return 0;
	}
	t->wait_args[0] = idtype;
	t->wait_args[1] = id;
	t->wait_args[2] = (long)a[2];
	t->wait_args[3] = options;
	return task_sleep(m, t, waitid_wait);
}

static long sys_getrusage(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct k_rusage ru;

	memset(&ru, 0, sizeof(ru));
	switch ((int)a[0]) {
	case 0: /* RUSAGE_SELF */
	case 1: /* RUSAGE_THREAD */
		ru.maxrss = t->mm ? t->mm->hiwater_rss * (PAGE_SIZE / 1024) : 0;
		ru.minflt = t->mm ? t->mm->min_flt : 0;
		ru.majflt = t->mm ? t->mm->maj_flt : 0;
		break;
	case -1: /* RUSAGE_CHILDREN */
		ru.maxrss = t->cmaxrss * (PAGE_SIZE / 1024);
		ru.minflt = t->cmin_flt;
		ru.majflt = t->cmaj_flt;
		break;
	default:
		return -EINVAL;
	}
	return copy_to_user(t->mm, a[1], &ru, sizeof(ru));
}

/* ---- kill ---- */

/* A thread of process tgid that can take sig (not blocking it), or the
 * leader. */
static struct task_struct *signal_target(machine_t *m, int tgid, int sig)
{
	struct task_struct *fallback = NULL;

	for (struct task_struct *t = m->tasks; t; t = t->next) {
		if (t->tgid != tgid || t->state == TASK_ZOMBIE || t->state == TASK_DEAD)
			continue;
		if (!(t->blocked & sig_bit(sig)))
			return t;
		if (!fallback)
			fallback = t;
	}
	return fallback;
}

static bool process_alive(machine_t *m, int tgid)
{
	for (struct task_struct *t = m->tasks; t; t = t->next)
		if (t->tgid == tgid && t->state != TASK_DEAD)
			return true;
	return false;
}

/* SIGCHLD to the parent for a stop or a continue, unless SA_NOCLDSTOP. */
static void notify_parent_cldstop(machine_t *m, struct task_struct *leader, int code, int sig)
{
	struct task_struct *parent = find_task(m, leader->ppid);
	struct k_siginfo info = { .si_signo = SIGCHLD, .si_code = code };

	if (!parent || (parent->sighand->action[SIGCHLD - 1].flags & K_SA_NOCLDSTOP))
		return;
	info.u.chld.pid = leader->tgid;
	info.u.chld.uid = getuid();
	info.u.chld.status = sig;
	send_signal(parent, &info);
}

void do_group_stop(machine_t *m, struct task_struct *t, int sig)
{
	struct task_struct *leader = t->group_leader ? t->group_leader : t;

	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o->tgid == t->tgid && (o->state == TASK_RUNNING || o->state == TASK_INTERRUPTIBLE))
			o->state = TASK_STOPPED;
	leader->stop_sig = sig;
	leader->stop_reported = false;
	leader->cont_pending = false;
	m->stop = STOP_SYSCALL;
	notify_parent_cldstop(m, leader, 5 /* CLD_STOPPED */, sig);
}

/* SIGCONT: every stopped thread runs again (sleepers had been woken to
 * stop, and restart their syscall). */
static void do_group_continue(machine_t *m, struct task_struct *leader)
{
	bool was_stopped = false;

	for (struct task_struct *o = m->tasks; o; o = o->next) {
		if (o->tgid != leader->tgid)
			continue;
		/* Pending stop signals are dropped by a continue. */
		o->pending.signal &= ~(sig_bit(SIGSTOP) | sig_bit(SIGTSTP) | sig_bit(SIGTTIN) |
				       sig_bit(SIGTTOU));
		if (o->state == TASK_STOPPED) {
			o->state = TASK_RUNNING;
			was_stopped = true;
		}
	}
	if (was_stopped) {
		leader->stop_sig = 0;
		leader->cont_pending = true;
		notify_parent_cldstop(m, leader, 6 /* CLD_CONTINUED */, SIGCONT);
	}
}

static void send_to_process(machine_t *m, struct task_struct *sender, int tgid, int sig,
			    int code)
{
	struct k_siginfo info = { .si_signo = sig, .si_code = code };
	struct task_struct *t;

	/* Signal 0 only asks whether the process exists (kill_pid did). */
	if (!sig)
		return;
	t = signal_target(m, tgid, sig);
	if (!t)
		return;
	info.u.kill.pid = sender ? sender->tgid : 0;
	info.u.kill.uid = getuid();
	/* SIGKILL and SIGCONT act at once, whatever the receiver does. */
	if (sig == SIGCONT)
		do_group_continue(m, t->group_leader ? t->group_leader : t);
	else if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
		for (struct task_struct *o = m->tasks; o; o = o->next)
			if (o->tgid == tgid)
				o->pending.signal &= ~sig_bit(SIGCONT);
	send_signal(t, &info);
	if (sig == SIGKILL)
		do_group_exit(m, t, SIGKILL);
}

int kill_pid(machine_t *m, struct task_struct *sender, int pid, int sig, int code)
{
	int found = 0;

	if (sig < 0 || sig > KNSIG)
		return -EINVAL;
	if (pid > 0) {
		if (!process_alive(m, pid))
			return -ESRCH;
		send_to_process(m, sender, pid, sig, code);
		return 0;
	}
	for (struct task_struct *t = m->tasks; t; t = t->next) {
		if (t->group_leader != t || t->state == TASK_DEAD || t->state == TASK_ZOMBIE)
			continue;
		if (pid == -1 ? (t->tgid == sender->tgid || t->pid == m->first_pid)
			      : t->pgid != (pid == 0 ? sender->pgid : -pid))
			continue;
		found++;
		send_to_process(m, sender, t->tgid, sig, code);
	}
	return found ? 0 : -ESRCH;
}

static long sys_kill(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	long r = kill_pid(m, t, (int)a[0], (int)a[1], 0 /* SI_USER */);

	if (t->state != TASK_RUNNING || signal_pending(t))
		m->stop = STOP_SYSCALL;
	return r;
}

static long do_tkill(machine_t *m, struct task_struct *t, int tgid, int tid, int sig)
{
	struct task_struct *target = find_task(m, tid);
	struct k_siginfo info = { .si_signo = sig, .si_code = -6 /* SI_TKILL */ };

	if (tid <= 0 || sig < 0 || sig > KNSIG)
		return -EINVAL;
	if (!target || target->state == TASK_ZOMBIE || (tgid > 0 && target->tgid != tgid))
		return -ESRCH;
	if (!sig)
		return 0;
	info.u.kill.pid = t->tgid;
	info.u.kill.uid = getuid();
	send_signal(target, &info);
	if (sig == SIGKILL)
		do_group_exit(m, target, SIGKILL);
	if (t->state != TASK_RUNNING || signal_pending(t))
		m->stop = STOP_SYSCALL;
	return 0;
}

static long sys_tgkill(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	return do_tkill(m, t, (int)a[0], (int)a[1], (int)a[2]);
}

static long sys_tkill(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_tkill(m, t, 0, (int)a[0], (int)a[1]);
}

/* ---- process groups and sessions ---- */

static long sys_setpgid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int pid = (int)a[0], pgid = (int)a[1];
	struct task_struct *p;

	if (pgid < 0)
		return -EINVAL;
	p = pid ? find_task(m, pid) : t;
	if (!p || (p != t && p->ppid != t->tgid))
		return -ESRCH;
	if (p->group_leader != p)
		return -EINVAL;
	if (p->sid != t->sid)
		return -EPERM;
	if (p->pid == p->sid)
		return -EPERM;
	if (!pgid)
		pgid = p->pid;
	if (pgid != p->pid) {
		bool exists = false;

		for (struct task_struct *o = m->tasks; o; o = o->next)
			if (o->pgid == pgid && o->sid == t->sid && o->state != TASK_DEAD)
				exists = true;
		if (!exists)
			return -EPERM;
	}
	p->pgid = pgid;
	return 0;
}

static long sys_setsid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o->pgid == t->tgid && o != t && o->state != TASK_DEAD)
			return -EPERM;
	if (t->pgid == t->tgid)
		return -EPERM;
	t->sid = t->pgid = t->tgid;
	return t->sid;
}

static long sys_getpgid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct task_struct *p = a[0] ? find_task(m, (int)a[0]) : t;

	return p ? p->pgid : -ESRCH;
}

static long sys_getsid(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct task_struct *p = a[0] ? find_task(m, (int)a[0]) : t;

	return p ? p->sid : -ESRCH;
}

void sys_process_register(struct syscall_desc *table)
{
	SYSCALL(table, SYS_exit, sys_exit);
	SYSCALL(table, SYS_exit_group, sys_exit_group);
	SYSCALL(table, SYS_clone, sys_clone);
	SYSCALL(table, SYS_clone3, sys_clone3);
	SYSCALL(table, SYS_fork, sys_fork);
	SYSCALL(table, SYS_vfork, sys_vfork);
	SYSCALL(table, SYS_wait4, sys_wait4);
	SYSCALL(table, SYS_waitid, sys_waitid);
	SYSCALL(table, SYS_getrusage, sys_getrusage);
	SYSCALL(table, SYS_kill, sys_kill);
	SYSCALL(table, SYS_tgkill, sys_tgkill);
	SYSCALL(table, SYS_tkill, sys_tkill);
	SYSCALL(table, SYS_setpgid, sys_setpgid);
	SYSCALL(table, SYS_setsid, sys_setsid);
	SYSCALL(table, SYS_getpgid, sys_getpgid);
	SYSCALL(table, SYS_getsid, sys_getsid);
}
