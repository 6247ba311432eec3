/* The system-wide /proc files beside meminfo and vmstat (procfs.c): stat,
 * uptime, loadavg, swaps, and the /proc/sys/vm settings the guest mm has
 * (swappiness, drop_caches); and each task's /proc/PID/stat. All in the
 * formats Linux 6.1 prints, from the machine's state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "procfs.h"
#include "strbuf.h"
#include "guestmm/filemap.h"
#include "guestmm/swap.h"

#define USER_HZ 100
#define NS_PER_TICK (1000000000ULL / USER_HZ)
#define FSHIFT 11                      /* Linux's loadavg fixed point */
#define FIXED_1 (1UL << FSHIFT)
#define LOAD_FREQ_NS (5ULL * 1000000000ULL)
/* 1/exp(5sec/1min), 1/exp(5sec/5min), 1/exp(5sec/15min) in fixed point */
static const unsigned long load_exp[3] = { 1884, 2014, 2037 };

/* Time every guest task has run (and its reaped children), in ns. */
static uint64_t busy_ns(machine_t *m)
{
	uint64_t ns = 0;

	for (struct task_struct *t = m->tasks; t; t = t->next)
		ns += task_cpu_ns(m, t) + t->ccpu_ns;
	return ns;
}

static int nr_running(machine_t *m)
{
	int n = 0;

	for (struct task_struct *t = m->tasks; t; t = t->next)
		n += t->state == TASK_RUNNING;
	return n;
}

static int nr_threads(machine_t *m)
{
	int n = 0;

	for (struct task_struct *t = m->tasks; t; t = t->next)
		n += t->state != TASK_DEAD;
	return n;
}

static uint64_t uptime_ns(machine_t *m)
{
	return machine_now_ns(m) - m->boot_ns;
}

/* Linux's calc_load, applied for each 5 s that passed since the last read
 * with the number of runnable tasks now (vmemu samples lazily, at reads). */
static void update_loadavg(machine_t *m)
{
	uint64_t now = uptime_ns(m);
	unsigned long active = (unsigned long)nr_running(m) * FIXED_1;

	if (!m->loadavg_ns)
		m->loadavg_ns = LOAD_FREQ_NS;
	for (int steps = 0; now >= m->loadavg_ns && steps < 1000; steps++) {
		for (int i = 0; i < 3; i++) {
			unsigned long load = m->avenrun[i] * load_exp[i] +
					     active * (FIXED_1 - load_exp[i]);

			if (active >= m->avenrun[i])
				load += FIXED_1 - 1;
			m->avenrun[i] = load / FIXED_1;
		}
		m->loadavg_ns += LOAD_FREQ_NS;
	}
	if (now >= m->loadavg_ns)       /* a very long gap: start from now */
		m->loadavg_ns = now + LOAD_FREQ_NS;
}

void procfs_loadavg(machine_t *m, unsigned long avenrun[3])
{
	update_loadavg(m);
	memcpy(avenrun, m->avenrun, sizeof(m->avenrun));
}

#define LOAD_INT(x) ((x) >> FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (FIXED_1 - 1)) * 100)

static void gen_loadavg(machine_t *m, struct strbuf *sb)
{
	update_loadavg(m);
	sb_printf(sb, "%lu.%02lu %lu.%02lu %lu.%02lu %d/%d %d\n", LOAD_INT(m->avenrun[0]),
		  LOAD_FRAC(m->avenrun[0]), LOAD_INT(m->avenrun[1]), LOAD_FRAC(m->avenrun[1]),
		  LOAD_INT(m->avenrun[2]), LOAD_FRAC(m->avenrun[2]), nr_running(m),
		  nr_threads(m), m->next_pid - 1);
}

static void gen_uptime(machine_t *m, struct strbuf *sb)
{
	uint64_t up = uptime_ns(m), busy = busy_ns(m), idle = up > busy ? up - busy : 0;

	sb_printf(sb, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up / 1000000000ULL),
		  (unsigned long long)(up / 10000000ULL % 100),
		  (unsigned long long)(idle / 1000000000ULL),
		  (unsigned long long)(idle / 10000000ULL % 100));
}

static void gen_stat(machine_t *m, struct strbuf *sb)
{
	uint64_t up = uptime_ns(m), busy = busy_ns(m), idle = up > busy ? up - busy : 0;
	unsigned long long user = busy / NS_PER_TICK, idl = idle / NS_PER_TICK;
	uint64_t btime = (machine_clock_ns(m, true) - up) / 1000000000ULL;

	sb_printf(sb, "cpu  %llu 0 0 %llu 0 0 0 0 0 0\n", user, idl);
	sb_printf(sb, "cpu0 %llu 0 0 %llu 0 0 0 0 0 0\n", user, idl);
	sb_printf(sb, "intr 0\nctxt 0\nbtime %llu\nprocesses %d\nprocs_running %d\n"
		      "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		  (unsigned long long)btime, m->next_pid - 1, nr_running(m));
}

/* Linux's zoneinfo: each zone's free pages, watermarks (promo being high
 * plus high - low, as 6.1 sets it) and sizes; the node's gauges of
 * /proc/vmstat as "per-node stats" under the first zone. vmemu keeps no
 * per-zone LRU or per-cpu pagesets, so those lines are left out; it has
 * no lowmem reserve, so protection is 0 throughout. */
static void gen_zoneinfo(machine_t *m, struct strbuf *sb)
{
	struct pglist_data *node = m->node;

	for (int z = 0; z < node->nr_zones; z++) {
		const struct zone *zone = &node->node_zones[z];
		unsigned long high = zone->watermark[WMARK_HIGH], low = zone->watermark[WMARK_LOW];

		sb_printf(sb, "Node 0, zone %8s\n", zone->name);
		if (z == 0) {
			const char *name;
			int64_t v;

			sb_printf(sb, "  per-node stats\n");
			for (unsigned int i = 0; !vmemu_node_vmstat(m->mmu, i, &name, &v); i++)
				if (!strncmp(name, "nr_", 3) && strcmp(name, "nr_free_pages"))
					sb_printf(sb, "      %s %lld\n", name, (long long)v);
		}
		sb_printf(sb, "  pages free     %lu\n        boost    0\n        min      %lu\n"
			      "        low      %lu\n        high     %lu\n        promo    %lu\n"
			      "        spanned  %lu\n        present  %lu\n        managed  %lu\n"
			      "        cma      0\n        protection: (0, 0, 0, 0, 0)\n"
			      "      nr_free_pages %lu\n",
			  zone->nr_free_pages, zone->watermark[WMARK_MIN], low, high,
			  high + (high - low), zone->spanned_pages, zone->present_pages,
			  zone->managed_pages, zone->nr_free_pages);
		sb_printf(sb, "  node_unreclaimable:  0\n  start_pfn:           %lu\n",
			  (unsigned long)zone->zone_start_pfn);
	}
}

/* The swap device is vmemu's zram-like store in host memory. */
static void gen_swaps(machine_t *m, struct strbuf *sb)
{
	struct swap_stats st;
	unsigned long size, used;

	sb_printf(sb, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	swap_get_stats(m->node, &st);
	if (!st.total_pages)
		return;
	size = st.total_pages * (PAGE_SIZE / 1024);
	used = (st.total_pages - st.free_pages) * (PAGE_SIZE / 1024);
	sb_printf(sb, "%-40s%s\t%lu\t%s%lu\t%s%d\n", "/dev/zram0", "partition", size,
		  size < 10000000 ? "\t" : "", used, used < 10000000 ? "\t" : "", -2);
}

static char task_state_char(const struct task_struct *t)
{
	switch (t->state) {
	case TASK_RUNNING: return 'R';
	case TASK_INTERRUPTIBLE: return 'S';
	case TASK_STOPPED: return 'T';
	case TASK_ZOMBIE: return 'Z';
	default: return 'X';
	}
}

/* Linux's do_task_stat, for the process (tgid) t leads. */
void procfs_task_stat(machine_t *m, struct task_struct *t, struct strbuf *sb)
{
	struct mm_struct *mm = t->state == TASK_ZOMBIE ? NULL : t->mm;
	uint64_t cpu = 0, ign = 0, cgt = 0;
	unsigned long min_flt = 0, maj_flt = 0;
	int threads = 0;

	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o->tgid == t->tgid && o->state != TASK_DEAD) {
			threads++;
			cpu += task_cpu_ns(m, o);
		}
	if (mm) {
		min_flt = mm->min_flt;
		maj_flt = mm->maj_flt;
	} else {
		min_flt = t->min_flt_at_exit;
		maj_flt = t->maj_flt_at_exit;
	}
	for (int i = 0; i < KNSIG; i++) {
		if (t->sighand->action[i].handler == K_SIG_IGN)
			ign |= 1ULL << i;
		else if (t->sighand->action[i].handler != K_SIG_DFL)
			cgt |= 1ULL << i;
	}
	sb_printf(sb, "%d (%s) %c %d %d %d %d %d %u %lu %lu %lu %lu %llu %llu %llu %llu %d %d %d 0 %llu",
		  t->tgid, t->comm, task_state_char(t), t->ppid, t->pgid, t->sid, 0, -1,
		  0x400000u, min_flt, t->cmin_flt, maj_flt, t->cmaj_flt,
		  (unsigned long long)(cpu / NS_PER_TICK), 0ULL,
		  (unsigned long long)(t->ccpu_ns / NS_PER_TICK), 0ULL, 20, 0, threads,
		  (unsigned long long)(t->start_ns / NS_PER_TICK));
	sb_printf(sb, " %llu %lu %llu",
		  mm ? (unsigned long long)mm->total_vm * PAGE_SIZE : 0ULL,
		  mm ? (unsigned long)(mm->rss_stat[MM_ANONPAGES] + mm->rss_stat[MM_FILEPAGES] +
				       mm->rss_stat[MM_SHMEMPAGES]) : 0UL,
		  (unsigned long long)t->rlim[RLIMIT_RSS].cur);
	sb_printf(sb, " %llu %llu %llu 0 0 %llu %llu %llu %llu 0 0 0 %d 0 0 0 0 0 0",
		  mm ? (unsigned long long)mm->start_code : 1ULL,
		  mm ? (unsigned long long)mm->end_code : 1ULL,
		  mm ? (unsigned long long)mm->start_stack : 0ULL,
		  (unsigned long long)(t->pending.signal & 0xffffffffULL),
		  (unsigned long long)(t->blocked & 0xffffffffULL),
		  (unsigned long long)(ign & 0xffffffffULL), (unsigned long long)(cgt & 0xffffffffULL),
		  t->exit_signal);
	if (mm)
		sb_printf(sb, " %llu %llu %llu %llu %llu %llu %llu",
			  (unsigned long long)mm->start_data, (unsigned long long)mm->end_data,
			  (unsigned long long)mm->start_brk, (unsigned long long)mm->arg_start,
			  (unsigned long long)mm->arg_end, (unsigned long long)mm->env_start,
			  (unsigned long long)mm->env_end);
	else
		sb_printf(sb, " 0 0 0 0 0 0 0");
	sb_printf(sb, " %d\n", t->state == TASK_ZOMBIE ? t->exit_code : 0);
}

int procfs_sys_generate(machine_t *m, const char *path, struct strbuf *sb)
{
	if (!strcmp(path, "/proc/stat"))
		gen_stat(m, sb);
	else if (!strcmp(path, "/proc/uptime"))
		gen_uptime(m, sb);
	else if (!strcmp(path, "/proc/loadavg"))
		gen_loadavg(m, sb);
	else if (!strcmp(path, "/proc/swaps"))
		gen_swaps(m, sb);
	else if (!strcmp(path, "/proc/zoneinfo"))
		gen_zoneinfo(m, sb);
	else if (!strcmp(path, "/proc/sys/vm/swappiness"))
		sb_printf(sb, "%d\n", m->node->swappiness);
	else if (!strcmp(path, "/proc/sys/vm/drop_caches"))
		sb_printf(sb, "0\n");
	else
		return -ENOENT;
	return 0;
}

/* An integer as Linux's proc_dointvec reads one: spaces, the number, a
 * newline at most. */
static int parse_int(const char *buf, long *v)
{
	char *end;

	while (*buf == ' ' || *buf == '\t')
		buf++;
	*v = strtol(buf, &end, 10);
	if (end == buf)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	return *end ? -EINVAL : 0;
}

int procfs_sys_write(machine_t *m, struct task_struct *t, const char *path, const char *buf)
{
	long v;

	if (parse_int(buf, &v))
		return -EINVAL;
	if (!strcmp(path, "/proc/sys/vm/swappiness")) {
		if (v < 0 || v > 200)
			return -EINVAL;
		m->node->swappiness = (int)v;
		return 0;
	}
	if (!strcmp(path, "/proc/sys/vm/drop_caches")) {
		/* Linux's drop_caches_sysctl_handler: 1 the clean, unmapped
		 * page cache, 2 reclaimable slab (none here), 3 both; 4 only
		 * silences the log line. */
		if (v < 1 || v > 4)
			return -EINVAL;
		if (v & 1)
			drop_pagecache(m->node);
		if (!(v & 4))
			machine_log(m, VMEMU_LOG_INFO, "%s (%d): drop_caches: %ld", t->comm, t->tgid,
				    v);
		return 0;
	}
	return -ENOENT;
}

bool procfs_sys_is_writable(const char *path)
{
	return !strcmp(path, "/proc/sys/vm/swappiness") || !strcmp(path, "/proc/sys/vm/drop_caches");
}
