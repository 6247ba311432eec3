/* Signal delivery: choosing a pending signal, default actions, building the
 * x86-64 rt_sigframe exactly as Linux's arch/x86/kernel/signal.c lays it out
 * (fxsave-format FP state, since XSAVE is hidden), and rt_sigreturn. */
#include <signal.h>
#include <string.h>

#include "machine.h"
#include "task.h"
#include "signal.h"
#include "syscall.h"

/* struct sigcontext (x86-64), 256 bytes. */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t _pad;
	uint64_t ss_size;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	struct k_siginfo info;
};

#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FXSAVE_SIZE 512

_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext layout");
_Static_assert(sizeof(struct k_siginfo) == 128, "siginfo layout");
_Static_assert(offsetof(struct rt_sigframe, info) == 8 + 40 + 256 + 8, "rt_sigframe layout");

/* The general registers in sigcontext order. */
static const int sigcontext_regs[] = {
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
	UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RBP, UC_X86_REG_RBX,
	UC_X86_REG_RDX, UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RSP,
	UC_X86_REG_RIP, UC_X86_REG_EFLAGS,
};
#define NR_SIGCONTEXT_REGS (sizeof(sigcontext_regs) / sizeof(sigcontext_regs[0]))

bool signal_pending(const struct task_struct *t)
{
	return (t->pending.signal & ~t->blocked) != 0;
}

/* Linux's sig_ignored: an unblocked signal whose action is to ignore it is
 * dropped at once, so it wakes nobody. */
static bool sig_ignored(const struct task_struct *t, int sig)
{
	const struct k_sigaction *ka = &t->sighand->action[sig - 1];

	if (t->blocked & sig_bit(sig))
		return false;
	if (ka->handler == K_SIG_IGN)
		return true;
	return ka->handler == K_SIG_DFL &&
	       (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT);
}

void send_signal(struct task_struct *t, const struct k_siginfo *info)
{
	int sig = info->si_signo;

	if (sig < 1 || sig > KNSIG)
		return;
	if (sig_ignored(t, sig) && sig != SIGKILL)
		return;
	/* A standard signal already pending is not queued again. */
	if (t->pending.signal & sig_bit(sig))
		return;
	t->pending.signal |= sig_bit(sig);
	t->pending.info[sig - 1] = *info;
}

void force_sig_fault(struct task_struct *t, int sig, int code, uint64_t addr)
{
	struct k_siginfo info = { .si_signo = sig, .si_code = code };
	struct k_sigaction *ka = &t->sighand->action[sig - 1];

	info.u.fault.addr = addr;
	/* Linux's force_sig_info_to_task: a blocked or ignored synchronous
	 * signal reverts to the default action, so the task dies. */
	if ((t->blocked & sig_bit(sig)) || ka->handler == K_SIG_IGN) {
		ka->handler = K_SIG_DFL;
		t->blocked &= ~sig_bit(sig);
	}
	t->pending.signal &= ~sig_bit(sig);
	send_signal(t, &info);
}

enum sig_default { SIGDFL_TERM, SIGDFL_CORE, SIGDFL_IGN, SIGDFL_STOP, SIGDFL_CONT };

static enum sig_default sig_default_action(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS:
	case SIGFPE: case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return SIGDFL_CORE;
	case SIGCHLD: case SIGURG: case SIGWINCH:
		return SIGDFL_IGN;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return SIGDFL_STOP;
	case SIGCONT:
		return SIGDFL_CONT;
	default:
		return SIGDFL_TERM;
	}
}

static int next_signal(const struct task_struct *t)
{
	uint64_t set = t->pending.signal & ~t->blocked;

	/* Synchronous faults first, as Linux's SYNCHRONOUS_MASK does. */
	const uint64_t sync = sig_bit(SIGSEGV) | sig_bit(SIGBUS) | sig_bit(SIGILL) |
			      sig_bit(SIGTRAP) | sig_bit(SIGFPE) | sig_bit(SIGSYS);
	if (set & sync)
		set &= sync;
	return set ? __builtin_ctzll(set) + 1 : 0;
}

static void fxsave_read(machine_t *m, uint8_t *fx)
{
	uint64_t v;
	int i;

	memset(fx, 0, FXSAVE_SIZE);
	uc_reg_read(m->uc, UC_X86_REG_FPCW, &v);
	memcpy(fx + 0, &v, 2);
	uc_reg_read(m->uc, UC_X86_REG_FPSW, &v);
	memcpy(fx + 2, &v, 2);
	uc_reg_read(m->uc, UC_X86_REG_FPTAG, &v);
	{
		/* fxsave keeps the abridged tag: one bit per register, 1 = valid. */
		uint8_t abridged = 0;

		for (i = 0; i < 8; i++)
			if (((v >> (2 * i)) & 3) != 3)
				abridged |= 1 << i;
		fx[4] = abridged;
	}
	uc_reg_read(m->uc, UC_X86_REG_MXCSR, &v);
	memcpy(fx + 24, &v, 4);
	v = 0xffff; /* MXCSR_MASK of a Haswell-class CPU */
	memcpy(fx + 28, &v, 4);
	for (i = 0; i < 8; i++)
		uc_reg_read(m->uc, UC_X86_REG_ST0 + i, fx + 32 + 16 * i);
	for (i = 0; i < 16; i++)
		uc_reg_read(m->uc, UC_X86_REG_XMM0 + i, fx + 160 + 16 * i);
}

static void fxsave_write(machine_t *m, const uint8_t *fx)
{
	uint64_t v = 0, tag = 0;
	int i;

	memcpy(&v, fx + 0, 2);
	uc_reg_write(m->uc, UC_X86_REG_FPCW, &v);
	v = 0;
	memcpy(&v, fx + 2, 2);
	uc_reg_write(m->uc, UC_X86_REG_FPSW, &v);
	for (i = 0; i < 8; i++)
		if (!(fx[4] & (1 << i)))
			tag |= 3ULL << (2 * i);
	uc_reg_write(m->uc, UC_X86_REG_FPTAG, &tag);
	v = 0;
	memcpy(&v, fx + 24, 4);
	v &= 0xffff;
	uc_reg_write(m->uc, UC_X86_REG_MXCSR, &v);
	for (i = 0; i < 8; i++)
		uc_reg_write(m->uc, UC_X86_REG_ST0 + i, fx + 32 + 16 * i);
	for (i = 0; i < 16; i++)
		uc_reg_write(m->uc, UC_X86_REG_XMM0 + i, fx + 160 + 16 * i);
}

/* Linux's on_sig_stack: with SS_AUTODISARM the stack is free for reuse
 * (swapcontext-style code may run on it), so it never counts as in use. */
static bool on_sig_stack(const struct task_struct *t, uint64_t sp)
{
	if (t->altstack.ss_flags & K_SS_AUTODISARM)
		return false;
	return t->altstack.ss_size && sp > t->altstack.ss_sp &&
	       sp - t->altstack.ss_sp <= t->altstack.ss_size;
}

/* Build the frame and point the registers at the handler. Returns false
 * when the frame cannot be written (the task then dies of SIGSEGV). */
static bool setup_rt_frame(machine_t *m, struct task_struct *t, int sig,
			   struct k_sigaction *ka, const struct k_siginfo *info)
{
	struct rt_sigframe frame;
	uint8_t fx[FXSAVE_SIZE];
	uint64_t regs[NR_SIGCONTEXT_REGS], sp, fp_addr, frame_addr;
	unsigned int i;

	for (i = 0; i < NR_SIGCONTEXT_REGS; i++)
		uc_reg_read(m->uc, sigcontext_regs[i], &regs[i]);
	sp = regs[15];

	memset(&frame, 0, sizeof(frame));
	frame.uc.ss_sp = t->altstack.ss_sp;
	frame.uc.ss_size = t->altstack.ss_size;
	frame.uc.ss_flags = !t->altstack.ss_size ? K_SS_DISABLE
			    : on_sig_stack(t, sp) ? K_SS_ONSTACK : 0;
	if (t->altstack.ss_flags & K_SS_AUTODISARM)
		frame.uc.ss_flags |= K_SS_AUTODISARM;

	/* Linux's get_sigframe: skip the red zone, or switch to the altstack. */
	sp -= 128;
	if ((ka->flags & K_SA_ONSTACK) && t->altstack.ss_size && !on_sig_stack(t, regs[15]))
		sp = t->altstack.ss_sp + t->altstack.ss_size;
	fp_addr = (sp - FXSAVE_SIZE) & ~63ULL;
	frame_addr = ((fp_addr - sizeof(frame)) & ~15ULL) - 8;

	frame.pretcode = ka->restorer;
	frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	memcpy(&frame.uc.uc_mcontext, regs, sizeof(regs));
	frame.uc.uc_mcontext.cs = 0x33;
	frame.uc.uc_mcontext.ss = 0x2b;
	frame.uc.uc_mcontext.fs = 0;
	frame.uc.uc_mcontext.gs = 0;
	frame.uc.uc_mcontext.trapno = t->fault_trapno;
	frame.uc.uc_mcontext.err = t->fault_error_code;
	frame.uc.uc_mcontext.cr2 = t->fault_cr2;
	frame.uc.uc_mcontext.oldmask = t->blocked;
	frame.uc.uc_mcontext.fpstate = fp_addr;
	frame.uc.uc_sigmask = t->restore_sigmask ? t->saved_sigmask : t->blocked;
	frame.info = *info;

	fxsave_read(m, fx);
	if (copy_to_user(t->mm, fp_addr, fx, sizeof(fx)) ||
	    copy_to_user(t->mm, frame_addr, &frame, sizeof(frame)))
		return false;

	if (t->altstack.ss_flags & K_SS_AUTODISARM) {
		t->altstack.ss_sp = 0;
		t->altstack.ss_size = 0;
		t->altstack.ss_flags = K_SS_DISABLE;
	}
	{
		uint64_t rdi = sig, rsi = frame_addr + offsetof(struct rt_sigframe, info);
		uint64_t rdx = frame_addr + offsetof(struct rt_sigframe, uc), rax = 0;
		uint64_t rip = ka->handler, flags = regs[17] & ~(0x100ULL | 0x400ULL); /* TF, DF */

		uc_reg_write(m->uc, UC_X86_REG_RDI, &rdi);
		uc_reg_write(m->uc, UC_X86_REG_RSI, &rsi);
		uc_reg_write(m->uc, UC_X86_REG_RDX, &rdx);
		uc_reg_write(m->uc, UC_X86_REG_RAX, &rax);
		uc_reg_write(m->uc, UC_X86_REG_RSP, &frame_addr);
		uc_reg_write(m->uc, UC_X86_REG_RIP, &rip);
		uc_reg_write(m->uc, UC_X86_REG_EFLAGS, &flags);
	}
	/* A fresh FPU state for the handler, as Linux's fpu__clear_user_states. */
	{
		uint64_t fcw = 0x37f, mxcsr = 0x1f80, zero = 0, tag = 0xffff;

		uc_reg_write(m->uc, UC_X86_REG_FPCW, &fcw);
		uc_reg_write(m->uc, UC_X86_REG_FPSW, &zero);
		uc_reg_write(m->uc, UC_X86_REG_FPTAG, &tag);
		uc_reg_write(m->uc, UC_X86_REG_MXCSR, &mxcsr);
	}
	return true;
}

long sys_rt_sigreturn_restore(machine_t *m, struct task_struct *t)
{
	struct rt_sigframe frame;
	uint8_t fx[FXSAVE_SIZE];
	uint64_t rsp, regs[NR_SIGCONTEXT_REGS];
	unsigned int i;

	uc_reg_read(m->uc, UC_X86_REG_RSP, &rsp);
	/* The handler's `ret` popped pretcode: the frame starts 8 below. */
	if (copy_from_user(t->mm, &frame, rsp - 8, sizeof(frame)))
		goto badframe;
	memcpy(regs, &frame.uc.uc_mcontext, sizeof(regs));
	/* User-changeable flags only (Linux's FIX_EFLAGS). */
	{
		const uint64_t fix = 0x40DD5; /* AC OF DF TF SF ZF AF PF CF RF */
		uint64_t cur;

		uc_reg_read(m->uc, UC_X86_REG_EFLAGS, &cur);
		regs[17] = (cur & ~fix) | (regs[17] & fix);
	}
	for (i = 0; i < NR_SIGCONTEXT_REGS; i++)
		uc_reg_write(m->uc, sigcontext_regs[i], &regs[i]);
	if (frame.uc.uc_mcontext.fpstate) {
		if (copy_from_user(t->mm, fx, frame.uc.uc_mcontext.fpstate, sizeof(fx)))
			goto badframe;
		fxsave_write(m, fx);
	}
	t->blocked = frame.uc.uc_sigmask & ~SIG_KERNEL_ONLY_MASK;
	/* restore_altstack: as sigaltstack() would, errors ignored. */
	if (!on_sig_stack(t, regs[15])) {
		if (frame.uc.ss_flags & K_SS_DISABLE) {
			t->altstack.ss_sp = 0;
			t->altstack.ss_size = 0;
			t->altstack.ss_flags = K_SS_DISABLE;
		} else if (frame.uc.ss_size) {
			t->altstack.ss_sp = frame.uc.ss_sp;
			t->altstack.ss_size = frame.uc.ss_size;
			t->altstack.ss_flags = frame.uc.ss_flags & K_SS_AUTODISARM;
		}
	}
	return 0;
badframe:
	force_sig_fault(t, SIGSEGV, 0x80 /* SI_KERNEL */, 0);
	return -1;
}

static int wait_status_for_signal(int sig, bool core)
{
	return (sig & 0x7f) | (core ? 0x80 : 0);
}

bool do_signal(machine_t *m, struct task_struct *t)
{
	int sig;

	/* Only nanosleep sleeps with -ERESTART_RESTARTBLOCK. */
	if (t->in_syscall && t->syscall_ret == -ERESTART_RESTARTBLOCK)
		nanosleep_interrupted(m, t);
	while ((sig = next_signal(t)) != 0) {
		struct k_sigaction *ka = &t->sighand->action[sig - 1];
		struct k_siginfo info = t->pending.info[sig - 1];

		t->pending.signal &= ~sig_bit(sig);
		if (ka->handler == K_SIG_IGN)
			continue;
		if (ka->handler == K_SIG_DFL) {
			switch (sig_default_action(sig)) {
			case SIGDFL_IGN:
			case SIGDFL_CONT:
				continue;
			case SIGDFL_STOP:
				do_group_stop(m, t, sig);
				syscall_restart_no_handler(m, t);
				return true;
			case SIGDFL_CORE:
				crash_report(m, t, &info);
				do_group_exit(m, t, wait_status_for_signal(sig, false));
				return true;
			case SIGDFL_TERM:
				do_group_exit(m, t, wait_status_for_signal(sig, false));
				return true;
			}
		}
		syscall_restart_for_handler(m, t, ka);
		if (!setup_rt_frame(m, t, sig, ka, &info)) {
			/* Linux's force_sigsegv: a SIGSEGV whose own frame
			 * cannot be written kills the task. */
			if (sig == SIGSEGV)
				ka->handler = K_SIG_DFL;
			force_sig_fault(t, SIGSEGV, 0x80 /* SI_KERNEL */, 0);
			continue;
		}
		t->blocked |= ka->mask;
		if (!(ka->flags & K_SA_NODEFER))
			t->blocked |= sig_bit(sig);
		t->blocked &= ~SIG_KERNEL_ONLY_MASK;
		t->restore_sigmask = false;
		if (ka->flags & K_SA_RESETHAND)
			ka->handler = K_SIG_DFL;
		return false;
	}
	syscall_restart_no_handler(m, t);
	if (t->restore_sigmask) {
		t->blocked = t->saved_sigmask;
		t->restore_sigmask = false;
	}
	return false;
}
