/* The machine: one Unicorn engine, a node (guest physical memory, the guest
 * mm and the MMU hook: node.h) on it, the tasks, and the state the run loop
 * keeps. Internal to libvmemu; the public handle is struct vmemu_machine. */
#ifndef EMU_MACHINE_H
#define EMU_MACHINE_H

#include <signal.h>
#include <stdarg.h>
#include <unicorn/unicorn.h>
#include <capstone/capstone.h>
#include <vmemu/vmemu.h>

#include "guestmm/mm.h"
#include "node.h"

struct task_struct;
struct syscall_desc;

/* Why the last uc_emu_start ended, besides reaching `until`. */
enum stop_reason {
	STOP_NONE,
	STOP_SYSCALL,      /* a syscall needs work outside the hook (RIP change) */
	STOP_FAULT,        /* the MMU hook refused an access (m->fault says which) */
	STOP_INTERRUPT,    /* a CPU exception arrived through UC_HOOK_INTR */
	STOP_RESCHED,      /* the block hook asked for a switch */
};

/* The access the MMU hook could not satisfy, as the machine's node event
 * handler (machine.c) records it. */
struct mmu_fault {
	uint64_t page;         /* page-aligned address the hook saw */
	unsigned int flags;    /* FAULT_FLAG_* */
	int signo;             /* SIGSEGV or SIGBUS */
	int si_code;           /* SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR */
};

struct cpuid_leaf {
	uint32_t leaf, sub;
	uint32_t eax, ebx, ecx, edx;
};
#define MAX_CPUID_LEAVES 64

struct vmemu_machine {
	struct vmemu_config cfg;
	char *root;                     /* host root directory (owned copy) */
	int root_fd;

	uc_engine *uc;                  /* the machine's engine, = mmu->uc */
	uc_hook hook_syscall, hook_intr, hook_insn_invalid, hook_cpuid, hook_in, hook_out,
		hook_block;
	struct syscall_desc *syscalls;  /* NR_SYSCALLS entries */
	uint64_t enosys_reported[8];    /* unknown syscalls already named */
	csh capstone;

	struct vmemu_node *mmu;         /* guest RAM and the MMU hook (node.h) */
	struct pglist_data *node;       /* = mmu->pgdat, the guest mm's node */
	struct mmu_fault fault;         /* for STOP_FAULT */

	enum stop_reason stop;
	int intno;                      /* for STOP_INTERRUPT */
	uint64_t io_rip;                /* the in/out that raised #GP */

	/* tasks */
	struct task_struct *tasks;      /* all tasks, linked by next */
	struct task_struct *current;
	struct task_struct *engine_owner;  /* whose registers the engine holds */
	int nr_live_tasks;
	uint64_t slice_blocks;
	/* The block hook (preempt.c): whether it is installed, the time
	 * slices the last task has run alone with it, and whether the engine
	 * runs without it now (a host signal handler may then stop it). */
	bool block_hook_on;
	int lone_slices;
	volatile sig_atomic_t hookless_running;
	volatile sig_atomic_t async_stop;   /* such a handler stopped it */
	int next_pid;
	int first_pid;
	int first_status;               /* wait status of the first process */
	int first_exited;

	size_t exception_state_offset;  /* see cpu_clear_exception_state */
	struct cpuid_leaf cpuid[MAX_CPUID_LEAVES];
	int nr_cpuid;

	uint64_t rng_state;             /* xorshift state, seeded when deterministic */
	uint64_t boot_ns;               /* machine_now_ns at creation */
	uint64_t loadavg_ns;            /* /proc/loadavg: next 5 s sample, since boot */
	unsigned long avenrun[3];       /* its averages, fixed point (procfs_sys.c) */
	char *procfs_host_dir;          /* where /proc's directories are made (procfs_dir.c) */
	uint64_t next_sample_ns;        /* cfg.sample's next due time, since boot (sample.c) */
	int sample_requested;           /* vmemu_machine_request_sample: one now */
	struct inject_state *inject;    /* cfg.inject's schedule (inject.c), or NULL */

	/* The virtual clock (log.c, run.c): guest time consumed by executed
	 * code, estimated at block granularity; it is the guest's clock in
	 * deterministic runs, where it also jumps to the next deadline when
	 * every task sleeps. vclock_mark: its value at the last switch, for
	 * the tasks' CPU time. */
	uint64_t vclock_ns;
	uint64_t vclock_mark;

	/* Requests from the host, made asynchronously (signal handlers) with
	 * vmemu_machine_signal and vmemu_machine_stop; the run loop acts on
	 * them at its next scheduling point (run.c). */
	volatile sig_atomic_t host_event;   /* one of the two below is set */
	volatile sig_atomic_t stop_requested;
	volatile uint32_t host_sigs;        /* bit n-1: host signal n to forward */
	int tty_pgrp;                       /* the terminal's foreground group (0: first's) */
	int outer_sid;                      /* the session vmemu itself is in */
	bool outer_sid_known;               /* outer_sid has been read */
	int wake_pipe[2];                   /* ends idle()'s host wait */
	bool have_wake_pipe;
};

typedef struct vmemu_machine machine_t;

/* log.c */
void machine_log(machine_t *m, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void machine_vlog(machine_t *m, int level, const char *fmt, va_list ap);
uint64_t machine_random(machine_t *m);
/* sample.c: is cfg.sample due, and calls it when it is (between slices). */
bool machine_sample_due(machine_t *m);
void machine_sample(machine_t *m);
uint64_t machine_now_ns(machine_t *m);
uint64_t machine_clock_ns(machine_t *m, bool realtime);
/* Any Linux clock (clockid_t) now, in ns: 0, or -EINVAL for an unknown id.
 * The CPU-time clocks are t's thread or process time. */
int machine_clockid_ns(machine_t *m, struct task_struct *t, int clockid, uint64_t *out);
/* A task's CPU time in ns (deterministic runs: on the virtual clock). */
uint64_t task_cpu_ns(machine_t *m, const struct task_struct *t);

/* Point the MMU at a task's address space (the node's, without a handle). */
static inline void mmu_switch_mm(machine_t *m, struct mm_struct *mm)
{
	node_switch_mm(m->mmu, mm, NULL);
}

/* cpu.c */
int cpu_open(machine_t *m);
int cpu_init(machine_t *m);
int cpu_init_cpuid(machine_t *m);
const struct cpuid_leaf *cpuid_lookup(const machine_t *m, uint32_t leaf, uint32_t sub);
uint64_t cpu_hwcap(const machine_t *m);
void cpu_enter_user(machine_t *m);
bool cpu_at_user_entry(uint64_t rip);
void cpu_write_iret_frame(machine_t *m, uint64_t rip, uint64_t rsp);
void cpu_clear_exception_state(machine_t *m);

/* preempt.c */
int preempt_init(machine_t *m);
bool preempt_needed(machine_t *m);
int preempt_update(machine_t *m);
bool preempt_stop_at_syscall(machine_t *m);
bool preempt_async_stop_ok(machine_t *m, int sig);

/* run.c */
int machine_run(machine_t *m);
int run_init(machine_t *m);
void run_fini(machine_t *m);
/* Host signals and stop requests that arrived: forwards them to the guest
 * (at a scheduling point or at a syscall's end). */
void run_host_events(machine_t *m);

#endif
