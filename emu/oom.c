/* The OOM killer's machine half: choosing a victim among the processes
 * with guestmm's oom_badness, and killing it (after Linux's
 * select_bad_process and oom_kill_process in mm/oom_kill.c). */
#include <unistd.h>

#include "oom.h"
#include "task.h"
#include "guestmm/swap.h"
#include "guestmm/huge_memory.h"

/* Linux's oom_evaluate_task over thread-group leaders with an mm; a tie
 * goes to the later process, as in Linux's scan. */
static struct task_struct *select_bad_process(machine_t *m, unsigned long totalpages)
{
	struct task_struct *chosen = NULL;
	long chosen_points = LONG_MIN_BADNESS;

	for (struct task_struct *t = m->tasks; t; t = t->next) {
		long points;

		if (t->group_leader != t || t->state == TASK_ZOMBIE || t->state == TASK_DEAD ||
		    !t->mm)
			continue;
		points = oom_badness(t->mm, t->oom_score_adj, totalpages);
		if (points == LONG_MIN_BADNESS || points < chosen_points)
			continue;
		chosen = t;
		chosen_points = points;
	}
	return chosen;
}

void node_reclaim_done(void *host, unsigned long scanned, unsigned long reclaimed, bool direct)
{
	struct vmemu_event ev = { .kind = VMEMU_EVENT_RECLAIM };

	ev.reclaim.scanned = scanned;
	ev.reclaim.reclaimed = reclaimed;
	ev.reclaim.direct = direct;
	node_event(host, &ev);
}

int machine_swap_setup(machine_t *m)
{
	const struct vmemu_config *c = &m->cfg;
	uint64_t bytes = c->swap_bytes < 0 ? c->mem_bytes / 2 : (uint64_t)c->swap_bytes;

	if (c->swappiness < 0 || c->swappiness > 200 || c->swap_level < 0 || c->swap_level > 9 ||
	    c->oom_score_adj < OOM_SCORE_ADJ_MIN || c->oom_score_adj > OOM_SCORE_ADJ_MAX)
		return VMEMU_ERR_INVAL;
	m->node->swappiness = c->swappiness;
	if (c->thp < VMEMU_THP_MADVISE || c->thp > VMEMU_THP_NEVER)
		return VMEMU_ERR_INVAL;
	m->node->thp_enabled = c->thp == VMEMU_THP_ALWAYS ? TRANSPARENT_HUGEPAGE_ALWAYS :
			       c->thp == VMEMU_THP_NEVER ? TRANSPARENT_HUGEPAGE_NEVER :
			       TRANSPARENT_HUGEPAGE_MADVISE;
	m->node->memcg_limit = (unsigned long)(c->memcg_limit_bytes >> PAGE_SHIFT);
	if (swapon(m->node, (unsigned long)(bytes >> PAGE_SHIFT), c->swap_level))
		return VMEMU_ERR_NOMEM;
	return 0;
}

void machine_oom_kill(void *host, struct oom_control *oc)
{
	struct vmemu_node *n = host;
	machine_t *m = n->machine;
	struct task_struct *cur, *victim;
	struct mm_struct *mm;
	struct k_siginfo info = { .si_signo = SIGKILL, .si_code = 0x80 /* SI_KERNEL */ };

	if (!m)
		return;
	cur = m->current;
	oom_report_header(m->node, oc, cur ? cur->comm : "kswapd0", cur ? cur->oom_score_adj : 0);
	victim = select_bad_process(m, oc->totalpages);
	if (!victim) {
		machine_log(m, VMEMU_LOG_ERR, "Out of memory and no killable processes...");
		return;
	}
	mm = victim->mm;
	oom_report_kill(m->node, oc, mm, victim->tgid, victim->comm, (unsigned int)getuid(),
			victim->oom_score_adj);
	{
		struct vmemu_event ev = { .kind = VMEMU_EVENT_OOM_KILL, .pid = victim->tgid };

		ev.oom_kill.rss_kb = (uint64_t)(mm->rss_stat[MM_FILEPAGES] + mm->rss_stat[MM_ANONPAGES] +
						mm->rss_stat[MM_SHMEMPAGES]) * (PAGE_SIZE / 1024);
		node_event(n, &ev);
	}
	mm->oom_victim = true;
	oc->killed = true;
	if (cur && cur->mm == mm) {
		/* We are inside the allocating task's fault or system call:
		 * its memory cannot go from under it. It gets SIGKILL now,
		 * the reserves to reach it, and its next fault fails. */
		oc->victim_is_current = true;
		for (struct task_struct *t = m->tasks; t; t = t->next)
			if (t->mm == mm && t->state != TASK_ZOMBIE && t->state != TASK_DEAD)
				send_signal(t, &info);
		return;
	}
	/* Every process sharing the mm dies with it (Linux kills them all),
	 * and the last mmput frees the memory now. */
	for (struct task_struct *t = m->tasks; t; t = t->next) {
		if (t->mm != mm || t->state == TASK_ZOMBIE || t->state == TASK_DEAD)
			continue;
		send_signal(t, &info);
		do_group_exit(m, t, SIGKILL);
	}
}
