/* Syscall entry and dispatch: the `syscall` instruction's hook reads the
 * arguments, calls the handler, and completes the instruction as the CPU
 * and Linux do (RAX result, RCX return address, R11 flags); restarts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syscall.h"
#include "signal.h"
#include "strace.h"

static const int arg_regs[] = {
	UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
	UC_X86_REG_R10, UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_RIP,
	UC_X86_REG_EFLAGS,
};

static void hook_syscall(uc_engine *uc, void *user)
{
	machine_t *m = user;
	struct task_struct *t = m->current;
	uint64_t v[9] = { 0 }, nr, rcx, r11;
	struct strace_call sc;
	void *ptrs[9];
	long ret;
	int i;

	for (i = 0; i < 9; i++)
		ptrs[i] = &v[i];
	uc_reg_read_batch(uc, (int *)arg_regs, ptrs, 9);
	nr = v[0];
	t->in_syscall = true;
	t->syscall_nr = nr;
	if (m->cfg.trace & VMEMU_TRACE_SYSCALLS)
		strace_enter(m, t, nr, &v[1], &sc);
	if (nr < NR_SYSCALLS && m->syscalls[nr].fn) {
		ret = m->syscalls[nr].fn(m, t, &v[1]);
	} else {
		ret = -ENOSYS;
		/* Named once per number, not at every call. */
		if ((m->cfg.verbose || (m->cfg.trace & VMEMU_TRACE_SYSCALLS)) &&
		    nr < NR_SYSCALLS && !(m->enosys_reported[nr / 64] & (1ULL << (nr % 64)))) {
			m->enosys_reported[nr / 64] |= 1ULL << (nr % 64);
			machine_log(m, VMEMU_LOG_NOTICE, "unknown syscall %lu: ENOSYS",
				    (unsigned long)nr);
		}
	}
	t->syscall_ret = ret;
	/* A host signal that interrupted a host call (the host's EINTR made
	 * ret a restart code) is the guest's now, at this safe point. */
	if (m->host_event)
		run_host_events(m);
	if (m->cfg.trace & VMEMU_TRACE_SYSCALLS)
		strace_exit(m, t, nr, &v[1], ret, &sc);
	/* What the syscall instruction and sysret leave behind, unless the
	 * registers are about to be replaced (sigreturn, execve) or gone. */
	if (t->syscall_action == ACTION_NONE &&
	    (t->state == TASK_RUNNING || t->state == TASK_INTERRUPTIBLE)) {
		rcx = v[7] + 2;
		r11 = v[8] & 0xffffffff;
		uc_reg_write(uc, UC_X86_REG_RAX, &ret);
		uc_reg_write(uc, UC_X86_REG_RCX, &rcx);
		uc_reg_write(uc, UC_X86_REG_R11, &r11);
	}
	/* A restart code with no signal to deliver (a host signal for vmemu
	 * itself, or one the guest ignores) restarts the syscall after the
	 * stop: do_signal applies the no-handler rules. */
	if (m->stop != STOP_SYSCALL && !signal_pending(t) && t->state == TASK_RUNNING &&
	    !(ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK)) {
		t->in_syscall = false;
		return;
	}
	m->stop = STOP_SYSCALL;
	/* RIP then reads as the instruction after `syscall`. */
	uc_emu_stop(uc);
}

/* With RIP after the syscall instruction, `rip -= 2` re-executes it. */
static void restart_syscall(machine_t *m, struct task_struct *t, uint64_t nr)
{
	t->in_syscall = false;
	uint64_t rip;

	uc_reg_read(m->uc, UC_X86_REG_RIP, &rip);
	rip -= 2;
	uc_reg_write(m->uc, UC_X86_REG_RIP, &rip);
	uc_reg_write(m->uc, UC_X86_REG_RAX, &nr);
}

static void set_rax(machine_t *m, long v)
{
	uc_reg_write(m->uc, UC_X86_REG_RAX, &v);
}

void syscall_restart(machine_t *m, struct task_struct *t)
{
	restart_syscall(m, t, t->syscall_nr);
}

void syscall_restart_for_handler(machine_t *m, struct task_struct *t,
				 const struct k_sigaction *ka)
{
	if (!t->in_syscall)
		return;
	t->in_syscall = false;
	switch (t->syscall_ret) {
	case -ERESTART_RESTARTBLOCK:
	case -ERESTARTNOHAND:
		set_rax(m, -EINTR);
		break;
	case -ERESTARTSYS:
		if (!(ka->flags & K_SA_RESTART)) {
			set_rax(m, -EINTR);
			break;
		}
		/* fall through */
	case -ERESTARTNOINTR:
		restart_syscall(m, t, t->syscall_nr);
		break;
	}
}

void syscall_restart_no_handler(machine_t *m, struct task_struct *t)
{
	if (!t->in_syscall)
		return;
	t->in_syscall = false;
	switch (t->syscall_ret) {
	case -ERESTARTNOHAND:
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
		restart_syscall(m, t, t->syscall_nr);
		break;
	case -ERESTART_RESTARTBLOCK:
		restart_syscall(m, t, 219 /* __NR_restart_syscall */);
		break;
	}
}

int syscall_init(machine_t *m)
{
	m->syscalls = calloc(NR_SYSCALLS, sizeof(*m->syscalls));
	if (!m->syscalls)
		return VMEMU_ERR_NOMEM;
	sys_mm_register(m->syscalls);
	sys_fs_register(m->syscalls);
	sys_proc_register(m->syscalls);
	sys_time_register(m->syscalls);
	sys_signal_register(m->syscalls);
	sys_process_register(m->syscalls);
	sys_futex_register(m->syscalls);
	sys_socket_register(m->syscalls);
	sys_epoll_register(m->syscalls);
	sys_xattr_register(m->syscalls);
	if (uc_hook_add(m->uc, &m->hook_syscall, UC_HOOK_INSN, hook_syscall, m, 1, 0,
			UC_X86_INS_SYSCALL) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	return 0;
}
