/* Periodic samples for the machine's client (vmemu_config.sample): when
 * they are due on guest time, and what a sampler may read of the live
 * processes (vmemu_for_each_process). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "task.h"
#include "node.h"

uint64_t vmemu_machine_uptime_ns(vmemu_machine *m)
{
	return machine_now_ns(m) - m->boot_ns;
}

bool machine_sample_due(machine_t *m)
{
	return m->cfg.sample && (m->sample_requested ||
				 vmemu_machine_uptime_ns(m) >= m->next_sample_ns);
}

/* Thread- and async-signal-safe: a flag and a write to the wake pipe. */
void vmemu_machine_request_sample(vmemu_machine *m)
{
	int saved = errno;
	char c = 0;

	if (!m)
		return;
	__atomic_store_n(&m->sample_requested, 1, __ATOMIC_SEQ_CST);
	if (m->have_wake_pipe && write(m->wake_pipe[1], &c, 1) < 0)
		(void)0;     /* full: a wake-up is pending anyway */
	errno = saved;
}

void machine_sample(machine_t *m)
{
	uint64_t now = vmemu_machine_uptime_ns(m), step = m->cfg.sample_interval_ns;

	if (!machine_sample_due(m))
		return;
	if (!step)
		step = 10000000ULL;
	__atomic_store_n(&m->sample_requested, 0, __ATOMIC_SEQ_CST);
	/* The next one on the interval's grid (samples missed while the
	 * guest slept on the host are not made up for). */
	if (now >= m->next_sample_ns)
		m->next_sample_ns = (now / step + 1) * step;
	m->cfg.sample(m->cfg.sample_ctx, m);
}

static int by_pid(const void *a, const void *b)
{
	const struct task_struct *x = *(struct task_struct *const *)a;
	const struct task_struct *y = *(struct task_struct *const *)b;

	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

int vmemu_for_each_process(vmemu_machine *m, vmemu_process_fn fn, void *ctx)
{
	struct task_struct **v;
	size_t n = 0, cap = 0;

	for (struct task_struct *t = m->tasks; t; t = t->next)
		cap++;
	v = malloc((cap ? cap : 1) * sizeof(*v));
	if (!v)
		return VMEMU_ERR_NOMEM;
	for (struct task_struct *t = m->tasks; t; t = t->next)
		if (t->pid == t->tgid && t->mm && t->state != TASK_ZOMBIE && t->state != TASK_DEAD)
			v[n++] = t;
	qsort(v, n, sizeof(*v), by_pid);
	for (size_t i = 0; i < n; i++) {
		struct vmemu_process_info p;
		struct vmemu_as as = { .node = m->mmu, .mm = v[i]->mm };

		memset(&p, 0, sizeof(p));
		p.pid = v[i]->tgid;
		p.ppid = v[i]->ppid;
		snprintf(p.comm, sizeof(p.comm), "%s", v[i]->comm);
		vmemu_as_rollup(&as, &p.rollup);
		vmemu_as_status(&as, &p.status);
		fn(ctx, &p);
	}
	free(v);
	return 0;
}
