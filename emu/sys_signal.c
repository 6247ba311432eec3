/* Signal syscalls: sigaction, masks, sigreturn, altstacks, sending signals
 * to oneself, pending sets, sigsuspend and sigtimedwait. */
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "syscall.h"

#define K_SA_EXPOSE_TAGBITS 0x00000800
#define UAPI_SA_FLAGS (K_SA_NOCLDSTOP | K_SA_NOCLDWAIT | K_SA_SIGINFO | K_SA_ONSTACK | \
		       K_SA_RESTART | K_SA_NODEFER | K_SA_RESETHAND | K_SA_EXPOSE_TAGBITS | \
		       K_SA_RESTORER)

static long sys_rt_sigaction(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int sig = (int)a[0];
	struct k_sigaction act, *ka;

	if (a[3] != 8)
		return -EINVAL;
	if (sig < 1 || sig > KNSIG)
		return -EINVAL;
	ka = &t->sighand->action[sig - 1];
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a[1] && copy_from_user(t->mm, &act, a[1], sizeof(act)))
		return -EFAULT;
	if (a[2] && copy_to_user(t->mm, a[2], ka, sizeof(*ka)))
		return -EFAULT;
	if (a[1]) {
		act.mask &= ~SIG_KERNEL_ONLY_MASK;
		/* Linux (5.11+) keeps only the flags it knows, so that a
		 * program can tell which ones this kernel supports. */
		act.flags &= UAPI_SA_FLAGS;
		*ka = act;
		/* Setting SIG_IGN discards a pending instance (POSIX). */
		if (act.handler == K_SIG_IGN ||
		    (act.handler == K_SIG_DFL && (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH)))
			t->pending.signal &= ~sig_bit(sig);
	}
	return 0;
}

static long sys_rt_sigprocmask(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t set, old = t->blocked;

	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (copy_from_user(t->mm, &set, a[1], sizeof(set)))
			return -EFAULT;
		set &= ~SIG_KERNEL_ONLY_MASK;
		switch (a[0]) {
		case SIG_BLOCK: t->blocked |= set; break;
		case SIG_UNBLOCK: t->blocked &= ~set; break;
		case SIG_SETMASK: t->blocked = set; break;
		default: return -EINVAL;
		}
	}
	if (a[2] && copy_to_user(t->mm, a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static long sys_rt_sigreturn(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	t->syscall_action = ACTION_SIGRETURN;
	m->stop = STOP_SYSCALL;
	return 0;
}

static long sys_sigaltstack(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct { uint64_t ss_sp; int32_t ss_flags; int32_t pad; uint64_t ss_size; } ss, old;
	uint64_t rsp;
	bool on;

	uc_reg_read(m->uc, UC_X86_REG_RSP, &rsp);
	on = !(t->altstack.ss_flags & K_SS_AUTODISARM) && t->altstack.ss_size &&
	     rsp > t->altstack.ss_sp &&
	     rsp - t->altstack.ss_sp <= t->altstack.ss_size;
	old.ss_sp = t->altstack.ss_sp;
	old.ss_size = t->altstack.ss_size;
	/* Linux's sas_ss_flags(sp) | (sas_ss_flags & SS_AUTODISARM). */
	old.ss_flags = (on ? K_SS_ONSTACK : t->altstack.ss_size ? 0 : K_SS_DISABLE) |
		       (int32_t)(t->altstack.ss_flags & K_SS_AUTODISARM);
	old.pad = 0;
	if (a[0]) {
		if (copy_from_user(t->mm, &ss, a[0], sizeof(ss)))
			return -EFAULT;
		if (on)
			return -EPERM;
		int mode = ss.ss_flags & ~(int32_t)K_SS_AUTODISARM;

		if (mode != K_SS_DISABLE && mode != K_SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == K_SS_DISABLE) {
			t->altstack.ss_sp = 0;
			t->altstack.ss_size = 0;
			t->altstack.ss_flags = K_SS_DISABLE;
		} else {
			if (ss.ss_size < 2048) /* MINSIGSTKSZ */
				return -ENOMEM;
			t->altstack.ss_sp = ss.ss_sp;
			t->altstack.ss_size = ss.ss_size;
			t->altstack.ss_flags = ss.ss_flags & K_SS_AUTODISARM;
		}
	}
	if (a[1] && copy_to_user(t->mm, a[1], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static long sys_rt_sigpending(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t set = t->pending.signal & t->blocked;

	if (a[1] > 8)
		return -EINVAL;
	return copy_to_user(t->mm, a[0], &set, a[1]);
}

/* sigsuspend returns only through a signal handler: never by itself. */
static int sigsuspend_wait(machine_t *m, struct task_struct *t, long *result)
{
	return WAIT_SLEEP;
}

static long sys_rt_sigsuspend(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t set;

	if (a[1] != 8)
		return -EINVAL;
	if (copy_from_user(t->mm, &set, a[0], sizeof(set)))
		return -EFAULT;
	t->saved_sigmask = t->blocked;
	t->restore_sigmask = true;
	t->blocked = set & ~SIG_KERNEL_ONLY_MASK;
	/* Linux returns -ERESTARTNOHAND: EINTR once a handler has run. */
	task_sleep(m, t, sigsuspend_wait);
	return -ERESTARTNOHAND;
}

/* pause(2): sleeps until a signal is delivered, as sigsuspend with the
 * current mask. */
static long sys_pause(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	(void)a;
	task_sleep(m, t, sigsuspend_wait);
	return -ERESTARTNOHAND;
}

static int sigtimedwait_ready(machine_t *m, struct task_struct *t, long *result)
{
	uint64_t set = (uint64_t)t->wait_args[0], ready = t->pending.signal & set;
	int sig;

	if (!ready) {
		if (t->wake_deadline_ns && machine_now_ns(m) >= t->wake_deadline_ns) {
			t->wake_deadline_ns = 0;
			t->blocked = (uint64_t)t->wait_args[2];
			*result = -EAGAIN;
			return WAIT_RESULT;
		}
		return WAIT_SLEEP;
	}
	sig = __builtin_ctzll(ready) + 1;
	t->pending.signal &= ~sig_bit(sig);
	t->wake_deadline_ns = 0;
	t->blocked = (uint64_t)t->wait_args[2];
	if (t->wait_args[1] && copy_to_user(t->mm, (uint64_t)t->wait_args[1],
					    &t->pending.info[sig - 1], sizeof(struct k_siginfo)))
		*result = -EFAULT;
	else
		*result = sig;
	return WAIT_RESULT;
}

static long sys_rt_sigtimedwait(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t set;
	int64_t ts[2];
	long result;

	if (a[3] != 8)
		return -EINVAL;
	if (copy_from_user(t->mm, &set, a[0], sizeof(set)))
		return -EFAULT;
	set &= ~SIG_KERNEL_ONLY_MASK;
	t->wait_args[0] = (long)set;
	t->wait_args[1] = (long)a[1];
	t->wait_args[2] = (long)t->blocked;
	t->wake_deadline_ns = 0;
	if (a[2]) {
		if (copy_from_user(t->mm, ts, a[2], sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
			return -EINVAL;
		t->wake_deadline_ns = machine_now_ns(m) + (uint64_t)ts[0] * 1000000000ULL + ts[1];
	}
	if (sigtimedwait_ready(m, t, &result) == WAIT_RESULT)
		return result;
	if (a[2] && !ts[0] && !ts[1])
		return -EAGAIN;
	/* While waiting, the awaited signals are not delivered but taken. */
	t->blocked |= set;
	return task_sleep(m, t, sigtimedwait_ready);
}

void sys_signal_register(struct syscall_desc *table)
{
	SYSCALL(table, SYS_rt_sigaction, sys_rt_sigaction);
	SYSCALL(table, SYS_rt_sigprocmask, sys_rt_sigprocmask);
	SYSCALL(table, SYS_rt_sigreturn, sys_rt_sigreturn);
	SYSCALL(table, SYS_sigaltstack, sys_sigaltstack);
	SYSCALL(table, SYS_rt_sigpending, sys_rt_sigpending);
	SYSCALL(table, SYS_rt_sigsuspend, sys_rt_sigsuspend);
	SYSCALL(table, SYS_pause, sys_pause);
	SYSCALL(table, SYS_rt_sigtimedwait, sys_rt_sigtimedwait);
}
