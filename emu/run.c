/* The run loop: enter the guest with uc_emu_start, and on each return work
 * out why (syscall follow-up, MMU fault, CPU exception, privileged stop),
 * turn it into Linux's answer, and deliver signals. */
#include <signal.h>
#include <string.h>

#include "machine.h"
#include "task.h"
#include "syscall.h"
#include "signal.h"

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
	m->stop = STOP_NONE;
	err = uc_emu_start(m->uc, rip, KERNEL_UNTIL, 0, 0);
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
	case STOP_NONE:
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

int machine_run(machine_t *m)
{
	struct task_struct *t = m->tasks;

	if (uc_hook_add(m->uc, &m->hook_intr, UC_HOOK_INTR, hook_intr, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->hook_in, UC_HOOK_INSN, hook_in, m, 1, 0, UC_X86_INS_IN) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->hook_out, UC_HOOK_INSN, hook_out, m, 1, 0, UC_X86_INS_OUT) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	m->current = t;
	mmu_switch_mm(m, t->mm);
	while (t->state == TASK_RUNNING) {
		run_once(m, t);
		if (t->state != TASK_RUNNING)
			break;
		do_signal(m, t);
	}
	uc_hook_del(m->uc, m->hook_intr);
	uc_hook_del(m->uc, m->hook_in);
	uc_hook_del(m->uc, m->hook_out);
	return 0;
}
