/* Signals: handlers, pending sets, and the x86-64 signal frame as Linux lays
 * it out (rt_sigframe with ucontext and an fxsave-format FP state). */
#ifndef EMU_SIGNAL_H
#define EMU_SIGNAL_H

#include <stdint.h>
#include <stdbool.h>

#define KNSIG 64

/* Linux's struct sigaction as the kernel sees it (x86-64). */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

#define K_SIG_DFL 0
#define K_SIG_IGN 1

#define K_SA_NOCLDSTOP 0x00000001
#define K_SA_NOCLDWAIT 0x00000002
#define K_SA_SIGINFO   0x00000004
#define K_SA_ONSTACK   0x08000000
#define K_SA_RESTART   0x10000000
#define K_SA_NODEFER   0x40000000
#define K_SA_RESETHAND 0x80000000
#define K_SA_RESTORER  0x04000000

/* Handlers, shared by the threads of a process (CLONE_SIGHAND). */
struct sighand {
	int count;
	struct k_sigaction action[KNSIG];
};

/* Linux's siginfo_t, 128 bytes, with the fields vmemu fills. */
struct k_siginfo {
	int32_t si_signo;
	int32_t si_errno;
	int32_t si_code;
	int32_t _pad0;
	union {
		struct { int32_t pid; uint32_t uid; } kill;
		struct { uint64_t addr; } fault;
		struct { int32_t pid; uint32_t uid; int32_t status; int32_t _p; int64_t utime, stime; } chld;
		uint8_t _raw[112];
	} u;
};

struct sigqueue_entry {
	struct k_siginfo info;
};

struct sigpending {
	uint64_t signal;                 /* bit set of pending signals */
	struct k_siginfo info[KNSIG];    /* one queued siginfo per standard signal */
};

struct stack_altstack {
	uint64_t ss_sp;
	int32_t ss_flags;
	uint64_t ss_size;
};

#define K_SS_ONSTACK 1
#define K_SS_DISABLE 2
#define K_SS_AUTODISARM (1U << 31)

static inline uint64_t sig_bit(int sig)
{
	return 1ULL << (sig - 1);
}

/* Signals that can be neither caught nor blocked. */
#define SIG_KERNEL_ONLY_MASK (sig_bit(9) | sig_bit(19))

struct vmemu_machine;
struct task_struct;

/* Queue a signal for a task (standard signals do not queue twice). */
void send_signal(struct task_struct *t, const struct k_siginfo *info);
/* A signal forced by a CPU exception: unblocked and not ignored, as Linux's
 * force_sig_info does. */
void force_sig_fault(struct task_struct *t, int sig, int code, uint64_t addr);
/* Deliver one pending unblocked signal, if any, to current: build the frame
 * or take the default action. Returns true when the task died. Called with
 * the task's registers live in the engine, after uc_emu_start returned. */
bool do_signal(struct vmemu_machine *m, struct task_struct *t);
/* rt_sigreturn: restore registers and mask from the frame at RSP. */
long sys_rt_sigreturn_restore(struct vmemu_machine *m, struct task_struct *t);
bool signal_pending(const struct task_struct *t);
/* sys_time.c: a relative nanosleep that a signal ends early writes the time
 * left (Linux's nanosleep_copyout, done when the sleeper sees the signal). */
void nanosleep_interrupted(struct vmemu_machine *m, struct task_struct *t);

#endif
