/* The run loop: enter the guest with uc_emu_start, and on each return work
 * out why (syscall follow-up, MMU fault, CPU exception, privileged stop),
 * turn it into Linux's answer, and deliver signals. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"
#include "task.h"
#include "syscall.h"
#include "signal.h"
#include "guestmm/swap.h"
#include "guestmm/huge_memory.h"

/* Linux's x86 trap numbers, kept in the sigcontext of a fault frame. */
#define X86_TRAP_DE 0
#define X86_TRAP_DB 1
#define X86_TRAP_BP 3
#define X86_TRAP_UD 6
#define X86_TRAP_GP 13
#define X86_TRAP_PF 14


/* Page-fault error code bits (x86), for the sigcontext. */
#define PF_PROT  1
#define PF_WRITE 2
#define PF_USER  4
#define PF_INSTR 16

static void hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
	machine_t *m = user;

	m->stop = STOP_INTERRUPT;
	m->intno = intno;
	/* Without a stop the exception repeats for ever (contract test). */
	uc_emu_stop(uc);
}

static bool canonical(uint64_t addr)
{
	return (uint64_t)((int64_t)(addr << 16) >> 16) == addr;
}

/* Whether the hardware would have found a present user PTE (error code bit
 * P): a PROT_NONE page is not present to the CPU, as Linux's PROTNONE; the
 * kernel half is present but supervisor-only. */
static bool fault_was_protection(struct task_struct *t, uint64_t addr)
{
	pte_t *pte;

	if (addr >= TASK_SIZE)
		return true;
	pte = pte_offset(t->mm, addr);
	/* A THP's PMD leaf stands where the PTE would. */
	if (!pte)
		pte = (pte_t *)mm_find_pmd(t->mm, addr);
	return pte && pte_present(*pte) && (pte->pte & _PAGE_USER);
}

static void handle_fault(machine_t *m, struct task_struct *t)
{
	uint64_t addr = fault_address(m, t, &m->fault);

	if (!canonical(addr)) {
		/* A non-canonical address is a #GP, not a page fault. */
		t->fault_trapno = X86_TRAP_GP;
		t->fault_error_code = 0;
		t->fault_cr2 = 0;
		force_sig_fault(t, SIGSEGV, SI_KERNEL, 0);
		return;
	}
	t->fault_trapno = X86_TRAP_PF;
	t->fault_error_code = PF_USER |
		(fault_was_protection(t, addr) ? PF_PROT : 0) |
		((m->fault.flags & FAULT_FLAG_WRITE) ? PF_WRITE : 0) |
		((m->fault.flags & FAULT_FLAG_INSTRUCTION) ? PF_INSTR : 0);
	t->fault_cr2 = addr;
	if (m->cfg.trace & VMEMU_TRACE_MM)
		machine_log(m, VMEMU_LOG_INFO, "[pid %d] fault %s at %#lx: %s",
			    t->pid, m->fault.flags & FAULT_FLAG_WRITE ? "write"
				    : m->fault.flags & FAULT_FLAG_INSTRUCTION ? "fetch" : "read",
			    (unsigned long)addr, m->fault.signo == SIGBUS ? "SIGBUS" : "SIGSEGV");
	force_sig_fault(t, m->fault.signo, m->fault.si_code, addr);
}

static void handle_interrupt(machine_t *m, struct task_struct *t, uint64_t rip)
{
	t->fault_error_code = 0;
	t->fault_cr2 = 0;
	t->fault_trapno = m->intno;
	switch (m->intno) {
	case X86_TRAP_DE:
		force_sig_fault(t, SIGFPE, FPE_INTDIV, rip);
		break;
	case X86_TRAP_DB:
	case X86_TRAP_BP:
		/* int3 leaves RIP after itself, and Linux reports SI_KERNEL. */
		force_sig_fault(t, SIGTRAP, m->intno == X86_TRAP_BP ? SI_KERNEL : TRAP_BRKPT, 0);
		break;
	case X86_TRAP_UD:
		force_sig_fault(t, SIGILL, ILL_ILLOPN, rip);
		break;
	default:
		/* #GP and the rest: Linux sends SIGSEGV with SI_KERNEL. */
		t->fault_trapno = X86_TRAP_GP;
		force_sig_fault(t, SIGSEGV, SI_KERNEL, 0);
		break;
	}
}

/* Port I/O at CPL 3 with IOPL 0 is a #GP on Linux; Unicorn runs in/out
 * through hooks without that check, so the hooks raise it. */
static void io_fault(uc_engine *uc, machine_t *m)
{
	uc_reg_read(uc, UC_X86_REG_RIP, &m->io_rip);
	m->stop = STOP_INTERRUPT;
	m->intno = X86_TRAP_GP;
	uc_emu_stop(uc);
}

static uint32_t hook_in(uc_engine *uc, uint32_t port, int size, void *user)
{
	io_fault(uc, user);
	return 0;
}

static void hook_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
	io_fault(uc, user);
}

/* After a syscall stopped the engine: do what could not be done in the hook. */
static void handle_syscall_stop(machine_t *m, struct task_struct *t)
{
	switch (t->syscall_action) {
	case ACTION_SIGRETURN:
		t->in_syscall = false;
		sys_rt_sigreturn_restore(m, t);
		break;
	case ACTION_EXECVE:
		t->in_syscall = false;
		task_start_regs(m, t, t->exec_pending);
		break;
	case ACTION_NONE:
		break;
	}
	t->syscall_action = ACTION_NONE;
}

/* One entry into the guest and the handling of its return. */
static void run_once(machine_t *m, struct task_struct *t)
{
	uint64_t rip;
	uc_err err;

	uc_reg_read(m->uc, UC_X86_REG_RIP, &rip);
	if (cpu_at_user_entry(rip))
		cpu_write_iret_frame(m, t->entry_rip, t->entry_rsp);
	m->stop = STOP_NONE;
	/* Without the block hook only a host signal handler can stop a
	 * computing task (preempt.c); one that came in since the loop looked
	 * is taken first. One landing inside uc_emu_start before it starts
	 * executing is lost (Unicorn clears its stop request there): it is
	 * taken at the next syscall, and --timeout fires again. */
	m->async_stop = 0;
	m->hookless_running = !m->block_hook_on;
	if (m->hookless_running && m->host_event) {
		m->hookless_running = 0;
		return;
	}
	err = uc_emu_start(m->uc, rip, KERNEL_UNTIL, 0, 0);
	m->hookless_running = 0;
	uc_reg_read(m->uc, UC_X86_REG_RIP, &rip);

	switch (m->stop) {
	case STOP_SYSCALL:
		handle_syscall_stop(m, t);
		return;
	case STOP_FAULT:
		handle_fault(m, t);
		return;
	case STOP_INTERRUPT:
		cpu_clear_exception_state(m);
		if (m->io_rip) {
			/* The faulting in/out is where the signal frame points. */
			rip = m->io_rip;
			uc_reg_write(m->uc, UC_X86_REG_RIP, &rip);
			m->io_rip = 0;
		}
		handle_interrupt(m, t, rip);
		return;
	case STOP_RESCHED:
		return;
	case STOP_NONE:
		if (m->async_stop)
			return;
		break;
	}
	if (err == UC_ERR_INSN_INVALID) {
		t->fault_trapno = X86_TRAP_UD;
		force_sig_fault(t, SIGILL, ILL_ILLOPN, rip);
	} else if (err != UC_ERR_OK) {
		machine_log(m, VMEMU_LOG_WARNING, "[pid %d] CPU error at %#lx: %s", t->pid,
			    (unsigned long)rip, uc_strerror(err));
		t->fault_trapno = X86_TRAP_GP;
		force_sig_fault(t, SIGSEGV, SI_KERNEL, 0);
	} else if (rip == KERNEL_UNTIL) {
		/* The guest jumped into the kernel's trampoline. */
		t->fault_trapno = X86_TRAP_PF;
		force_sig_fault(t, SIGSEGV, 1 /* SEGV_MAPERR */, rip);
	} else {
		/* A quiet stop elsewhere is `hlt`, privileged at CPL 3: #GP. */
		t->fault_trapno = X86_TRAP_GP;
		rip -= 1;
		uc_reg_write(m->uc, UC_X86_REG_RIP, &rip);
		force_sig_fault(t, SIGSEGV, SI_KERNEL, 0);
	}
}

/* ---- requests from the host ---- */

/* The guest's foreground process group: the one a job-control shell gave
 * the terminal (TIOCSPGRP), else the first process's. */
static int foreground_pgrp(machine_t *m)
{
	struct task_struct *first = find_task(m, m->first_pid);

	if (m->tty_pgrp) {
		for (struct task_struct *t = m->tasks; t; t = t->next)
			if (t->pgid == m->tty_pgrp && t->state != TASK_DEAD && t->state != TASK_ZOMBIE)
				return m->tty_pgrp;
	}

	return first ? first->pgid : m->first_pid;
}

/* A computing task that runs without the block hook stops only when the
 * host's request ends it (preempt_async_stop_ok); the rest waits for its
 * next syscall. */
static void async_stop(machine_t *m, int sig)
{
	if (!m->hookless_running || !preempt_async_stop_ok(m, sig))
		return;
	if (!m->stop_requested && m->current->pgid != foreground_pgrp(m))
		return;
	m->async_stop = 1;
	uc_emu_stop(m->uc);
}

/* Async-signal-safe: only flags, uc_emu_stop (flags too) and a write to
 * the wake pipe. */
void vmemu_machine_signal(vmemu_machine *m, int sig)
{
	int saved = errno;
	char c = 0;

	if (!m || sig <= 0 || sig > 32)
		return;
	__atomic_fetch_or(&m->host_sigs, 1u << (sig - 1), __ATOMIC_SEQ_CST);
	m->host_event = 1;
	async_stop(m, sig);
	if (m->have_wake_pipe && write(m->wake_pipe[1], &c, 1) < 0)
		(void)0;     /* full: a wake-up is pending anyway */
	errno = saved;
}

void vmemu_machine_stop(vmemu_machine *m)
{
	int saved = errno;
	char c = 0;

	if (!m)
		return;
	m->stop_requested = 1;
	m->host_event = 1;
	async_stop(m, 0);
	if (m->have_wake_pipe && write(m->wake_pipe[1], &c, 1) < 0)
		(void)0;
	errno = saved;
}

void run_host_events(machine_t *m)
{
	uint32_t sigs;

	if (!m->host_event)
		return;
	m->host_event = 0;
	sigs = __atomic_exchange_n(&m->host_sigs, 0, __ATOMIC_SEQ_CST);
	if (m->stop_requested) {
		for (struct task_struct *t = m->tasks; t; t = t->next)
			if (t->state == TASK_RUNNING || t->state == TASK_INTERRUPTIBLE ||
			    t->state == TASK_STOPPED)
				do_group_exit(m, t, SIGKILL);
		return;
	}
	/* Process by process (kill_pid(-1) would be "everyone", and the
	 * first process's group is 1). */
	for (int sig = 1; sig <= 32; sig++) {
		int pgrp = foreground_pgrp(m);

		if (!(sigs & (1u << (sig - 1))))
			continue;
		for (struct task_struct *t = m->tasks; t; t = t->next)
			if (t->group_leader == t && t->pgid == pgrp && t->state != TASK_ZOMBIE &&
			    t->state != TASK_DEAD)
				kill_pid(m, NULL, t->tgid, sig, 0 /* SI_USER */);
	}
}

/* Looks at a sleeper: wakes it when a signal or its wait says so. */
static bool try_wake(machine_t *m, struct task_struct *t)
{
	long result = 0;
	int w;

	if (signal_pending(t)) {
		t->state = TASK_RUNNING;
		t->resume = RESUME_SIGNAL;
		task_wait_host_clear(t);
		return true;
	}
	w = t->wait_fn ? t->wait_fn(m, t, &result) : WAIT_RESTART;
	if (w == WAIT_SLEEP)
		return false;
	task_wait_host_clear(t);
	t->state = TASK_RUNNING;
	t->wait_fn = NULL;
	t->resume = w == WAIT_RESTART ? RESUME_RESTART : RESUME_RESULT;
	t->resume_value = result;
	return true;
}

/* Round robin from the task after prev; frees dead tasks on the way. */
static struct task_struct *pick_next_task(machine_t *m, struct task_struct *prev)
{
	struct task_struct **pp = &m->tasks, *t, *first = NULL, *after = NULL;
	bool seen_prev = false;
	int live = 0;

	while ((t = *pp)) {
		if (t->state == TASK_DEAD) {
			*pp = t->next;
			if (m->engine_owner == t)
				m->engine_owner = NULL;
			if (m->current == t)
				m->current = NULL;
			task_free(m, t);
			continue;
		}
		if (t->state == TASK_INTERRUPTIBLE)
			try_wake(m, t);
		else if (t->host_wait)
			task_wait_host_clear(t);   /* woken some other way (a stop, a kill) */
		if (t->state == TASK_RUNNING) {
			live++;
			if (!first)
				first = t;
			if (seen_prev && !after)
				after = t;
		} else if (t->state == TASK_INTERRUPTIBLE || t->state == TASK_STOPPED) {
			live++;
		}
		if (t == prev)
			seen_prev = true;
		pp = &t->next;
	}
	m->nr_live_tasks = live;
	return after ? after : first;
}

/* No task can run: wait on the host until the earliest deadline, for the
 * host descriptors the sleepers wait on (task_wait_host), or for a request
 * from the host (the wake pipe). Returns false when nothing will ever wake
 * anyone.
 *
 * In a deterministic run time is virtual: host descriptors are looked at
 * without waiting, and when none is ready the clock jumps to the earliest
 * deadline, so a timeout or a sleep takes no host time and ends at the same
 * virtual instant in every run. Only a sleep with no deadline at all waits
 * on the host (for the descriptors). */
static bool idle(machine_t *m)
{
	uint64_t earliest = 0, now;
	bool sleepers = false;
	unsigned int n = 1, nfds = 0;
	struct pollfd *fds;
	struct timespec ts, *tsp = NULL;

	for (struct task_struct *t = m->tasks; t; t = t->next) {
		if (t->state != TASK_INTERRUPTIBLE)
			continue;
		sleepers = true;
		if (t->wake_deadline_ns && (!earliest || t->wake_deadline_ns < earliest))
			earliest = t->wake_deadline_ns;
		nfds += t->nr_host_wait;
	}
	if (!sleepers || (!earliest && !nfds))
		return false;
	fds = malloc((nfds + 1) * sizeof(*fds));
	if (!fds)
		return true;     /* try again: the scheduler re-polls every sleeper */
	fds[0] = (struct pollfd){ m->have_wake_pipe ? m->wake_pipe[0] : -1, POLLIN, 0 };
	for (struct task_struct *t = m->tasks; t; t = t->next) {
		if (t->state != TASK_INTERRUPTIBLE)
			continue;
		for (unsigned int i = 0; i < t->nr_host_wait; i++)
			fds[n++] = t->host_wait[i];
	}
	now = machine_now_ns(m);
	if (earliest) {
		uint64_t d = earliest > now ? earliest - now : 0;

		if (m->cfg.deterministic)
			d = 0;
		ts = (struct timespec){ (time_t)(d / 1000000000ULL), (long)(d % 1000000000ULL) };
		tsp = &ts;
	}
	if (ppoll(fds, n, tsp, NULL) == 0 && m->cfg.deterministic && earliest > m->vclock_ns)
		m->vclock_ns = earliest;
	if (fds[0].revents & POLLIN) {
		char buf[64];

		while (read(m->wake_pipe[0], buf, sizeof(buf)) > 0)
			;
	}
	free(fds);
	return true;
}

/* Give the engine to next: save the registers of the task that had it. */
static void context_switch(machine_t *m, struct task_struct *next)
{
	if (m->current != next) {
		/* CPU time on the virtual clock, and a fresh time slice. */
		if (m->current)
			m->current->cpu_ns += m->vclock_ns - m->vclock_mark;
		m->vclock_mark = m->vclock_ns;
		m->slice_blocks = 0;
	}
	if (m->engine_owner != next) {
		if (m->engine_owner && m->engine_owner->state != TASK_ZOMBIE &&
		    m->engine_owner->state != TASK_DEAD)
			uc_context_save(m->uc, m->engine_owner->ctx);
		uc_context_restore(m->uc, next->ctx);
		m->engine_owner = next;
	}
	m->current = next;
	if (next->mm)
		mmu_switch_mm(m, next->mm);
}

/* Back from sleep: finish the syscall the task slept in. */
static void resume_task(machine_t *m, struct task_struct *t)
{
	switch (t->resume) {
	case RESUME_RESTART:
		syscall_restart(m, t);
		break;
	case RESUME_RESULT:
		t->in_syscall = false;
		uc_reg_write(m->uc, UC_X86_REG_RAX, &t->resume_value);
		break;
	case RESUME_SIGNAL:
	case RESUME_NONE:
		break;
	}
	t->resume = RESUME_NONE;
}

/* Everyone is asleep and only a host signal (or --timeout) can wake
 * them: as Linux, wait for one. Deterministic runs, whose guests cannot
 * depend on host timing, end instead (below). */
static bool wait_host_event(machine_t *m)
{
	struct pollfd p;

	if (m->cfg.deterministic || !m->have_wake_pipe)
		return false;
	p = (struct pollfd){ m->wake_pipe[0], POLLIN, 0 };
	while (!m->host_event && poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	if (p.revents & POLLIN) {
		char buf[64];

		while (read(m->wake_pipe[0], buf, sizeof(buf)) > 0)
			;
	}
	return true;
}

/* Everyone is asleep for ever in a deterministic run: Linux would hang;
 * vmemu says so and ends the run as if the guest had been killed. */
static void deadlock(machine_t *m)
{
	machine_log(m, VMEMU_LOG_ERR, "every guest task is blocked and nothing can wake "
		    "them: killing them");
	for (struct task_struct *t = m->tasks; t; t = t->next)
		if (t->state == TASK_INTERRUPTIBLE || t->state == TASK_STOPPED)
			do_group_exit(m, t, SIGKILL);
}

int machine_run(machine_t *m)
{
	struct task_struct *t;

	if (uc_hook_add(m->uc, &m->hook_intr, UC_HOOK_INTR, hook_intr, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->hook_in, UC_HOOK_INSN, hook_in, m, 1, 0, UC_X86_INS_IN) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->hook_out, UC_HOOK_INSN, hook_out, m, 1, 0, UC_X86_INS_OUT) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	/* The first task's registers are in the engine already. */
	m->engine_owner = m->tasks;
	for (;;) {
		if (m->host_event)
			run_host_events(m);
		if (m->node->kswapd_wake)
			kswapd_run(m->node);
		if (m->node->khugepaged_wake)
			khugepaged_scan(m->node);
		machine_sample(m);
		t = pick_next_task(m, m->current);
		if (!t) {
			if (!m->nr_live_tasks)
				break;
			if (!idle(m) && !wait_host_event(m))
				deadlock(m);
			continue;
		}
		context_switch(m, t);
		resume_task(m, t);
		if (signal_pending(t) && do_signal(m, t))
			continue;
		if (t->state != TASK_RUNNING)
			continue;
		if (preempt_update(m))
			machine_log(m, VMEMU_LOG_WARNING, "cannot change the block hook");
		run_once(m, t);
		if (t->state == TASK_RUNNING)
			do_signal(m, t);
	}
	m->stop_requested = 0;
	m->host_event = 0;
	m->host_sigs = 0;
	uc_hook_del(m->uc, m->hook_intr);
	uc_hook_del(m->uc, m->hook_in);
	uc_hook_del(m->uc, m->hook_out);
	return 0;
}

int run_init(machine_t *m)
{
	if (preempt_init(m))
		return VMEMU_ERR_UNICORN;
	if (pipe2(m->wake_pipe, O_CLOEXEC | O_NONBLOCK))
		return VMEMU_ERR_NOMEM;
	m->have_wake_pipe = true;
	/* The virtual clock starts one second after "boot". */
	m->vclock_ns = m->vclock_mark = 1000000000ULL;
	return 0;
}

void run_fini(machine_t *m)
{
	if (!m->have_wake_pipe)
		return;
	close(m->wake_pipe[0]);
	close(m->wake_pipe[1]);
	m->have_wake_pipe = false;
}
