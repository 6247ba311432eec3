/* Preemption and the virtual clock: the block hook, and when it is
 * installed. The hook costs a helper call in every executed block (about
 * 40% of a CPU-bound run), so it is there only while something needs it:
 * a deterministic run (the virtual clock counts every block), more than
 * one live task (time slices), or a lone task that catches a host signal
 * vmemu forwards (it must be stopped at a safe point to take it). */
#include <stdlib.h>

#include "machine.h"
#include "task.h"
#include "signal.h"
#include "guestmm/huge_memory.h"

/* Preemption: the block hook is the safe point to stop (DESIGN.md fact 2);
 * it counts blocks and asks for a switch at the end of a time slice when
 * another task could run, or at once when the host asked for something
 * (a signal to forward, a stop).
 *
 * It also keeps the virtual clock. UC_HOOK_BLOCK reports a block's size in
 * bytes, not its instruction count; counting instructions exactly would
 * take a decode (or a cache look-up) per executed block, where the hook
 * must stay at about a nanosecond. So a block costs ceil(bytes / 4)
 * instructions (4 bytes being about the average x86-64 instruction
 * length in compiled code) and an instruction 1 ns: a 1 GHz machine of
 * one instruction per cycle. The estimate only has to be reproducible and
 * roughly proportional to work done: the same code runs the same blocks
 * with the same sizes in every run. A block that the hook stops before it
 * runs is not counted (it is counted when it runs after the switch).
 * Time slices are counted in blocks: TIME_SLICE_BLOCKS, not host time. */
#define TIME_SLICE_BLOCKS 50000
#define VCLOCK_BLOCK_NS(size) (((uint64_t)(size) + 3) / 4 + ((size) == 0))

/* Removing the hook costs a flush of every translated block (they call
 * it); a task left alone keeps the hook this many slices first, so that a
 * parent forking short children does not flush at each one. */
#define LONE_SLICES_BEFORE_DROP 20

/* The host signals vmemu forwards (main.c) whose default action kills. */
#define FORWARDED_FATAL (sig_bit(SIGHUP) | sig_bit(SIGINT) | sig_bit(SIGQUIT) | \
			 sig_bit(SIGTERM))

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	machine_t *m = user;

	m->vclock_ns += VCLOCK_BLOCK_NS(size);
	if (++m->slice_blocks < TIME_SLICE_BLOCKS && !m->host_event) {
		/* A sample due (vmemu_config.sample) ends the slice early;
		 * looked at every 1024 blocks. */
		if (!m->cfg.sample || (m->slice_blocks & 1023) || !machine_sample_due(m))
			return;
		m->vclock_ns -= VCLOCK_BLOCK_NS(size);
		m->stop = STOP_RESCHED;
		uc_emu_stop(uc);
		return;
	}
	if (m->host_event) {
		m->vclock_ns -= VCLOCK_BLOCK_NS(size);
		m->stop = STOP_RESCHED;
		uc_emu_stop(uc);
		return;
	}
	m->slice_blocks = 0;
	if (m->nr_live_tasks > 1)
		m->lone_slices = 0;
	else if (m->lone_slices < LONE_SLICES_BEFORE_DROP)
		m->lone_slices++;
	/* kswapd, khugepaged and samples run between slices (machine_run),
	 * even with one task; the run loop also drops the hook when the task has been alone
	 * long. */
	if (khugepaged_tick(m->node) || m->nr_live_tasks > 1 || m->node->kswapd_wake ||
	    machine_sample_due(m) ||
	    (m->lone_slices == LONE_SLICES_BEFORE_DROP && !preempt_needed(m))) {
		m->vclock_ns -= VCLOCK_BLOCK_NS(size);
		m->stop = STOP_RESCHED;
		uc_emu_stop(uc);
	}
}

static bool live(const struct task_struct *t)
{
	return t->state == TASK_RUNNING || t->state == TASK_INTERRUPTIBLE ||
	       t->state == TASK_STOPPED;
}

/* The lone live task, or NULL when there are none or several. */
static struct task_struct *lone_task(machine_t *m)
{
	struct task_struct *lone = NULL;

	for (struct task_struct *t = m->tasks; t; t = t->next) {
		if (!live(t))
			continue;
		if (lone)
			return NULL;
		lone = t;
	}
	return lone;
}

static bool catches_forwarded(const struct task_struct *t)
{
	static const int fwd[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGWINCH };

	for (unsigned int i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		if (t->sighand->action[fwd[i] - 1].handler > K_SIG_IGN)
			return true;
	return false;
}

bool preempt_needed(machine_t *m)
{
	struct task_struct *t;

	/* Samples on guest time need the hook to stop for them. */
	if (m->cfg.deterministic || m->cfg.sample)
		return true;
	t = lone_task(m);
	return !t || catches_forwarded(t);
}

static int block_hook_set(machine_t *m, bool on)
{
	if (on) {
		if (uc_hook_add(m->uc, &m->hook_block, UC_HOOK_BLOCK, hook_block, m, 1, 0)
		    != UC_ERR_OK)
			return VMEMU_ERR_UNICORN;
	} else {
		uc_hook_del(m->uc, m->hook_block);
	}
	m->block_hook_on = on;
	m->lone_slices = 0;
	m->slice_blocks = 0;
	return 0;
}

/* At a scheduling point (no code is running): install or remove the hook.
 * Either way every translated block goes: a block translated without the
 * hook never calls it (Unicorn decides at translation), one translated
 * with it keeps calling Unicorn's dispatcher. */
int preempt_update(machine_t *m)
{
	bool want = preempt_needed(m);
	int err;

	if (want == m->block_hook_on)
		return 0;
	if (!want && m->lone_slices < LONE_SLICES_BEFORE_DROP)
		return 0;
	err = block_hook_set(m, want);
	if (!err)
		node_drop_translations(m->mmu);
	return err;
}

/* At the end of a syscall of a task running without the hook: whether to
 * stop there (a safe point) so that the run loop installs it, or runs
 * kswapd, which otherwise runs between time slices. */
bool preempt_stop_at_syscall(machine_t *m)
{
	return !m->block_hook_on && (m->node->kswapd_wake || preempt_needed(m));
}

/* From a host signal handler, while the lone task runs without the hook:
 * whether the signal (0 for a stop request) ends the task, so that the
 * engine may be stopped at once, outside the safe points. A stop outside
 * them may redo an instruction (DESIGN.md fact 2), which nobody sees when
 * the task dies before it runs again; a signal that does not kill it waits
 * for the next syscall, as Linux delivers a blocked one at the unblocking
 * sigprocmask (a task catching one never runs without the hook). */
bool preempt_async_stop_ok(machine_t *m, int sig)
{
	struct task_struct *t = m->current;

	if (m->stop_requested)
		return true;
	if (!t || sig <= 0 || sig > 32 || !(FORWARDED_FATAL & sig_bit(sig)))
		return false;
	return !(t->blocked & sig_bit(sig)) &&
	       t->sighand->action[sig - 1].handler == K_SIG_DFL;
}

/* Deterministic runs count every block from the first: the hook is there
 * before any guest code is translated. */
int preempt_init(machine_t *m)
{
	m->block_hook_on = false;
	m->lone_slices = LONE_SLICES_BEFORE_DROP;
	if (!m->cfg.deterministic)
		return 0;
	return block_hook_set(m, true);
}
