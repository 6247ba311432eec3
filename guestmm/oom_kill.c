/* The OOM killer's mm half: oom_badness, /proc/PID/oom_score, the report
 * Linux prints, and out_of_memory, which asks the machine (which knows the
 * tasks) to choose and kill a victim. After Linux 6.1's mm/oom_kill.c. */
#include <stdarg.h>
#include <stdio.h>

#include "swap.h"

#define K(pages) ((unsigned long)(pages) * (PAGE_SIZE / 1024))

static void oom_log(struct pglist_data *node, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void oom_log(struct pglist_data *node, int level, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	if (!node->ops || !node->ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	node->ops->log(node->host, level, msg);
}

unsigned long oom_totalpages(struct pglist_data *node)
{
	struct swap_stats st;

	swap_get_stats(node, &st);
	return totalram_pages(node) + st.total_pages;
}

long oom_badness(struct mm_struct *mm, int oom_score_adj, unsigned long totalpages)
{
	long points, adj = oom_score_adj;

	/* Never killed, or already dying (Linux's MMF_OOM_SKIP). */
	if (oom_score_adj <= OOM_SCORE_ADJ_MIN || !mm || mm->oom_victim)
		return LONG_MIN_BADNESS;
	points = mm->rss_stat[MM_FILEPAGES] + mm->rss_stat[MM_ANONPAGES] +
		 mm->rss_stat[MM_SHMEMPAGES] + mm->rss_stat[MM_SWAPENTS] +
		 mm->pgtables_bytes / (long)PAGE_SIZE;
	adj *= (long)(totalpages / 1000);
	return points + adj;
}

unsigned long oom_score(struct mm_struct *mm, int oom_score_adj, unsigned long totalpages)
{
	long badness = oom_badness(mm, oom_score_adj, totalpages);

	/* Linux's proc_oom_score: 0 .. 2000, 1000 being "no badness". */
	if (badness == LONG_MIN_BADNESS || !totalpages)
		return 0;
	badness = 1000 + badness * 1000 / (long)totalpages;
	return badness < 0 ? 0 : (unsigned long)badness;
}

/* Our gfp flags as Linux would spell a user page allocation's. */
static void gfp_string(unsigned int gfp, char *buf, size_t len)
{
	unsigned long mask = 0x100cca;       /* GFP_HIGHUSER_MOVABLE */

	if (gfp & __GFP_ZERO)
		mask |= 0x100;
	snprintf(buf, len, "%#lx(GFP_HIGHUSER_MOVABLE%s)", mask,
		 (gfp & __GFP_ZERO) ? "|__GFP_ZERO" : "");
}

void oom_report_header(struct pglist_data *node, const struct oom_control *oc,
		       const char *comm, int oom_score_adj)
{
	const long *s = node->stat.stat;
	struct swap_stats st;
	char gfp[64];

	gfp_string(oc->gfp_mask, gfp, sizeof(gfp));
	oom_log(node, 4, "%s invoked oom-killer: gfp_mask=%s, order=%d, oom_score_adj=%d",
		comm, gfp, oc->order, oom_score_adj);
	oom_log(node, 4, "Mem-Info:");
	oom_log(node, 4, "active_anon:%ld inactive_anon:%ld isolated_anon:0 "
		"active_file:%ld inactive_file:%ld isolated_file:0 unevictable:%ld "
		"dirty:%ld writeback:%ld slab_reclaimable:%ld slab_unreclaimable:%ld "
		"mapped:%ld shmem:%ld pagetables:%ld free:%lu",
		s[NR_ACTIVE_ANON], s[NR_INACTIVE_ANON], s[NR_ACTIVE_FILE], s[NR_INACTIVE_FILE],
		s[NR_UNEVICTABLE], s[NR_FILE_DIRTY], s[NR_WRITEBACK], s[NR_SLAB_RECLAIMABLE],
		s[NR_SLAB_UNRECLAIMABLE], s[NR_FILE_MAPPED], s[NR_SHMEM], s[NR_PAGETABLE],
		nr_free_pages(node));
	swap_get_stats(node, &st);
	if (oc->memcg) {
		/* Linux's mem_cgroup_print_oom_meminfo. */
		oom_log(node, 4, "memory: usage %lukB, limit %lukB, failcnt %lu",
			K(memcg_usage(node)), K(node->memcg_limit), node->memcg_failcnt);
		oom_log(node, 4, "swap: usage %lukB, limit 9007199254740988kB, failcnt 0",
			K(st.total_pages - st.free_pages));
	}
	oom_log(node, 4, "%lu pages in swap cache", st.cached_pages);
	oom_log(node, 4, "Free swap  = %lukB", K(st.free_pages));
	oom_log(node, 4, "Total swap = %lukB", K(st.total_pages));
	oom_log(node, 4, "%lu pages RAM", node->node_present_pages);
}

void oom_report_kill(struct pglist_data *node, const struct oom_control *oc,
		     struct mm_struct *mm, int pid, const char *comm, unsigned int uid,
		     int oom_score_adj)
{
	oom_log(node, 4, "oom-kill:constraint=%s,nodemask=(null),cpuset=/,mems_allowed=0,%s,"
		"task_memcg=/,task=%s,pid=%d,uid=%u",
		oc->memcg ? "CONSTRAINT_MEMCG" : "CONSTRAINT_NONE",
		oc->memcg ? "oom_memcg=/" : "global_oom", comm, pid, uid);
	oom_log(node, 3, "%s: Killed process %d (%s) total-vm:%lukB, "
		"anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB, UID:%u pgtables:%lukB "
		"oom_score_adj:%d", oc->memcg ? "Memory cgroup out of memory" : "Out of memory",
		pid, comm, K(mm->total_vm), K(mm->rss_stat[MM_ANONPAGES]),
		K(mm->rss_stat[MM_FILEPAGES]), K(mm->rss_stat[MM_SHMEMPAGES]), uid,
		(unsigned long)mm->pgtables_bytes >> 10, oom_score_adj);
}

static bool __out_of_memory(struct pglist_data *node, unsigned int gfp, int order, bool memcg)
{
	struct oom_control oc = { .gfp_mask = gfp, .order = order, .memcg = memcg };
	struct swap_stats st;

	if (!node->ops || !node->ops->oom_kill)
		return false;
	swap_get_stats(node, &st);
	/* Linux's oom_badness scale: RAM and swap, or for a memory cgroup
	 * its limit and swap (mem_cgroup_get_max). */
	oc.totalpages = (memcg ? node->memcg_limit : totalram_pages(node)) + st.total_pages;
	node->ops->oom_kill(node->host, &oc);
	if (oc.killed) {
		count_vm_event(node, OOM_KILL);
		if (memcg)
			node->memcg_oom_kills++;
	}
	if (oc.victim_is_current) {
		/* The victim is the allocating task: it gets the reserves to
		 * run to its death (Linux's ALLOC_OOM). */
		node->oom_reserves = true;
		return false;
	}
	return oc.killed;
}

bool out_of_memory(struct pglist_data *node, unsigned int gfp, int order)
{
	return __out_of_memory(node, gfp, order, false);
}

bool mem_cgroup_out_of_memory(struct pglist_data *node, unsigned int gfp, int order)
{
	return __out_of_memory(node, gfp, order, true);
}
