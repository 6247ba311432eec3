/* Unit tests for reclaim (guestmm/vmscan.c, swap.c, rmap.c) and the OOM
 * killer (oom_kill.c, page_alloc.c's slow path): LRU aging through the
 * Accessed bits, swappiness choosing file or anon pages, dirty file pages
 * written back, kswapd and direct reclaim against the watermarks, OOM
 * victims chosen by badness and oom_score_adj, and no frame leaked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mm_test_util.h"
#include "guestmm/mm.h"
#include "guestmm/swap.h"
#include "guestmm/rmap.h"
#include "guestmm/filemap.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)
#define BASE 0x10000000ULL
#define FBASE 0x20000000ULL

static struct test_node t;
static unsigned long free_baseline;
static char tmp_path[64];
static char log_text[8192];

/* "Tasks" for the OOM callback: mms with an oom_score_adj. */
#define MAX_TASKS 4
static struct mm_struct *tasks[MAX_TASKS];
static int task_adj[MAX_TASKS];
static int current_task = -1;
static int oom_calls;

static void log_cb(void *host, int level, const char *msg)
{
	size_t used = strlen(log_text);

	(void)host, (void)level;
	if (used + strlen(msg) + 2 > sizeof(log_text))
		return;
	memcpy(log_text + used, msg, strlen(msg));
	strcpy(log_text + used + strlen(msg), "\n");
}

/* What a machine does: the task with the highest badness dies at once. */
static void oom_kill_cb(void *host, struct oom_control *oc)
{
	long best = LONG_MIN_BADNESS;
	int victim = -1;
	char comm[16];

	(void)host;
	oom_calls++;
	oom_report_header(t.node, oc, "test", current_task >= 0 ? task_adj[current_task] : 0);
	for (int i = 0; i < MAX_TASKS; i++) {
		long points;

		if (!tasks[i])
			continue;
		points = oom_badness(tasks[i], task_adj[i], oc->totalpages);
		if (points == LONG_MIN_BADNESS || points < best)
			continue;
		best = points;
		victim = i;
	}
	if (victim < 0)
		return;
	snprintf(comm, sizeof(comm), "task%d", victim);
	oom_report_kill(t.node, oc, tasks[victim], 100 + victim, comm, 0, task_adj[victim]);
	oc->killed = true;
	if (victim == current_task) {
		tasks[victim]->oom_victim = true;
		oc->victim_is_current = true;
		return;
	}
	mmput(tasks[victim]);
	tasks[victim] = NULL;
}

static const struct mm_host_ops reclaim_test_ops = {
	.flush_tlb = test_flush_tlb,
	.invalidate_code = test_invalidate_code,
	.log = log_cb,
	.oom_kill = oom_kill_cb,
};

static void node_init(unsigned long mib)
{
	struct mm_struct *mm;

	t.bytes = mib << 20;
	t.ram = mmap(NULL, t.bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(t.ram, MAP_FAILED);
	t.node = pgdat_create(t.ram, t.bytes >> PAGE_SHIFT, &reclaim_test_ops, &t);
	ck_assert_ptr_nonnull(t.node);
	mm = mm_alloc(t.node);
	do_mmap(mm, BASE, PAGE_SIZE, RW, ANON, NULL, 0);
	mmput(mm);
	free_baseline = nr_free_pages(t.node);
}

static void setup(void)
{
	node_init(32);
	tmp_path[0] = 0;
	log_text[0] = 0;
	memset(tasks, 0, sizeof(tasks));
	memset(task_adj, 0, sizeof(task_adj));
	current_task = -1;
	oom_calls = 0;
}

static void teardown(void)
{
	for (int i = 0; i < MAX_TASKS; i++)
		if (tasks[i])
			mmput(tasks[i]);
	if (tmp_path[0])
		unlink(tmp_path);
	test_node_fini(&t);
}

static void assert_no_leaks(void)
{
	/* The page cache outlives the last close (as on Linux) until the
	 * node goes; everything else must be gone already. */
	page_cache_destroy(t.node);
	for (int lru = 0; lru < NR_LRU_LISTS; lru++) {
		ck_assert_uint_eq(t.node->lruvec.nr_pages[lru], 0);
		ck_assert_int_eq(t.node->stat.stat[NR_INACTIVE_ANON + lru], 0);
	}
	ck_assert_int_eq(t.node->stat.stat[NR_ANON_MAPPED], 0);
	ck_assert_int_eq(t.node->stat.stat[NR_FILE_MAPPED], 0);
	ck_assert_int_eq(t.node->stat.stat[NR_FILE_PAGES], 0);
	ck_assert_int_eq(t.node->stat.stat[NR_FILE_DIRTY], 0);
	ck_assert_int_eq(t.node->stat.stat[NR_SWAPCACHE], 0);
	ck_assert_uint_eq(t.node->bad_pages, 0);
	ck_assert_uint_eq(nr_free_pages(t.node), free_baseline);
}

static uint8_t file_byte(size_t i)
{
	return (uint8_t)(i * 7 + i / 4096);
}

static struct file *open_file(size_t len)
{
	uint8_t *buf = malloc(len);
	struct file *f;
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/vmemu-test-reclaim-XXXXXX");
	fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = file_byte(i);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	free(buf);
	f = file_from_fd(fd, tmp_path);
	ck_assert_ptr_nonnull(f);
	return f;
}

static int clear_young(pte_t *pte, uint64_t addr, uint64_t end, void *arg)
{
	(void)arg;
	for (; addr < end; addr += PAGE_SIZE, pte++)
		if (pte_present(*pte))
			pte->pte &= ~_PAGE_ACCESSED;
	return 0;
}

static void set_young(struct mm_struct *mm, uint64_t addr)
{
	pte_t *pte = pte_offset(mm, addr);

	ck_assert(pte && pte_present(*pte));
	pte->pte |= _PAGE_ACCESSED;
}

static struct page *page_at(struct mm_struct *mm, uint64_t addr)
{
	pte_t *pte = pte_offset(mm, addr);

	ck_assert(pte && pte_present(*pte));
	return pfn_to_page(t.node, pte_pfn(*pte));
}

static void touch_anon(struct mm_struct *mm, uint64_t addr, int npages)
{
	for (int i = 0; i < npages; i++) {
		uint64_t v = addr + i * PAGE_SIZE;

		ck_assert_int_eq(copy_to_user(mm, v, &v, sizeof(v)), 0);
	}
}

/* ---- LRU aging ---- */

START_TEST(new_pages_start_inactive_and_counted)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f = open_file(8 * PAGE_SIZE);
	uint8_t b;

	ck_assert_int_eq(do_mmap(mm, BASE, 8 * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	touch_anon(mm, BASE, 8);
	ck_assert_int_eq(t.node->stat.stat[NR_INACTIVE_ANON], 8);
	ck_assert_uint_eq(t.node->lruvec.nr_pages[LRU_INACTIVE_ANON], 8);
	ck_assert(PageFlag(page_at(mm, BASE), PG_lru));
	ck_assert_int_eq(do_mmap(mm, FBASE, 8 * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0),
			 (int64_t)FBASE);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(copy_from_user(mm, &b, FBASE + i * PAGE_SIZE, 1), 0);
	ck_assert_int_eq(t.node->stat.stat[NR_INACTIVE_FILE], 8);
	/* mark_page_accessed: referenced, then active */
	mark_page_accessed(t.node, page_at(mm, FBASE));
	ck_assert(!PageFlag(page_at(mm, FBASE), PG_active));
	mark_page_accessed(t.node, page_at(mm, FBASE));
	ck_assert(PageFlag(page_at(mm, FBASE), PG_active));
	ck_assert_int_eq(t.node->stat.stat[NR_ACTIVE_FILE], 1);
	ck_assert_int_eq(t.node->stat.stat[NR_INACTIVE_FILE], 7);
	file_put(f);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(aging_follows_accessed_bits)
{
	struct mm_struct *mm = mm_alloc(t.node);

	ck_assert_int_eq(swapon(t.node, 256, 1), 0);
	t.node->swappiness = 100;
	ck_assert_int_eq(do_mmap(mm, BASE, 8 * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	touch_anon(mm, BASE, 8);
	walk_pte_range(mm, BASE, BASE + 8 * PAGE_SIZE, clear_young, NULL);
	for (int i = 0; i < 4; i++)
		set_young(mm, BASE + i * PAGE_SIZE);
	shrink_lru_list_all(t.node, LRU_INACTIVE_ANON);
	/* referenced: activated, their Accessed bits cleared */
	for (int i = 0; i < 4; i++) {
		struct page *page = page_at(mm, BASE + i * PAGE_SIZE);

		ck_assert(PageFlag(page, PG_active));
		ck_assert(!pte_young(*pte_offset(mm, BASE + i * PAGE_SIZE)));
	}
	/* unreferenced: swapped out */
	for (int i = 4; i < 8; i++)
		ck_assert(is_swap_pte(*pte_offset(mm, BASE + i * PAGE_SIZE)));
	ck_assert_int_eq(t.node->stat.stat[NR_ACTIVE_ANON], 4);
	ck_assert_uint_ge(t.node->stat.events[PGACTIVATE], 4);
	ck_assert_int_gt(t.tlb_flushes, 0);

	/* the active list ages: unreferenced anon pages go inactive */
	shrink_lru_list_all(t.node, LRU_ACTIVE_ANON);
	ck_assert_int_eq(t.node->stat.stat[NR_ACTIVE_ANON], 0);
	ck_assert_int_eq(t.node->stat.stat[NR_INACTIVE_ANON], 4);
	ck_assert_uint_ge(t.node->stat.events[PGDEACTIVATE], 4);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(file_pages_need_two_references)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f = open_file(8 * PAGE_SIZE);
	uint8_t b;

	ck_assert_int_eq(do_mmap(mm, FBASE, 8 * PAGE_SIZE, PROT_READ | PROT_EXEC,
				 MAP_PRIVATE | MAP_FIXED, f, 0), (int64_t)FBASE);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(copy_from_user(mm, &b, FBASE + i * PAGE_SIZE, 1), 0);
	walk_pte_range(mm, FBASE, FBASE + 8 * PAGE_SIZE, clear_young, NULL);
	set_young(mm, FBASE);
	/* one pass over the inactive file list: page 0 is kept (executable
	 * and referenced: activated), the others are dropped */
	shrink_lru_list_all(t.node, LRU_INACTIVE_FILE);
	ck_assert(PageFlag(page_at(mm, FBASE), PG_active));
	for (int i = 1; i < 8; i++)
		ck_assert(pte_none(*pte_offset(mm, FBASE + i * PAGE_SIZE)));
	ck_assert_int_eq(t.node->stat.stat[NR_FILE_PAGES], 1);
	ck_assert_int_eq(t.node->stat.stat[NR_FILE_MAPPED], 1);
	ck_assert_int_eq(mm->rss_stat[MM_FILEPAGES], 1);
	/* referenced executable file pages stay active when aged */
	set_young(mm, FBASE);
	shrink_lru_list_all(t.node, LRU_ACTIVE_FILE);
	ck_assert(PageFlag(page_at(mm, FBASE), PG_active));
	/* unreferenced they go inactive */
	shrink_lru_list_all(t.node, LRU_ACTIVE_FILE);
	ck_assert(!PageFlag(page_at(mm, FBASE), PG_active));
	/* dropped pages read back from the file */
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(copy_from_user(mm, &b, FBASE + i * PAGE_SIZE + 5, 1), 0);
		ck_assert_uint_eq(b, file_byte(i * PAGE_SIZE + 5));
	}
	mmput(mm);
	file_put(f);
	assert_no_leaks();
}
END_TEST

/* ---- swappiness ---- */

/* 64 anon pages and 64 clean file pages, none referenced. */
static struct mm_struct *anon_and_file(struct file *f)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint8_t b;

	ck_assert_int_eq(do_mmap(mm, BASE, 64 * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	touch_anon(mm, BASE, 64);
	ck_assert_int_eq(do_mmap(mm, FBASE, 64 * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0),
			 (int64_t)FBASE);
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(copy_from_user(mm, &b, FBASE + i * PAGE_SIZE, 1), 0);
	walk_pte_range(mm, BASE, BASE + 64 * PAGE_SIZE, clear_young, NULL);
	walk_pte_range(mm, FBASE, FBASE + 64 * PAGE_SIZE, clear_young, NULL);
	return mm;
}

START_TEST(swappiness_0_drops_file_first)
{
	struct file *f = open_file(64 * PAGE_SIZE);
	struct mm_struct *mm;

	ck_assert_int_eq(swapon(t.node, 256, 1), 0);
	t.node->swappiness = 0;
	mm = anon_and_file(f);
	ck_assert_uint_ge(shrink_node_pages(t.node, 32), 32);
	ck_assert_uint_eq(t.node->stat.events[PSWPOUT], 0);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 64);
	ck_assert_int_le(mm->rss_stat[MM_FILEPAGES], 32);
	ck_assert_int_le(t.node->stat.stat[NR_FILE_PAGES], 32);
	mmput(mm);
	file_put(f);
	assert_no_leaks();
}
END_TEST

START_TEST(swappiness_100_swaps_anon)
{
	struct file *f = open_file(64 * PAGE_SIZE);
	struct mm_struct *mm;

	ck_assert_int_eq(swapon(t.node, 256, 1), 0);
	t.node->swappiness = 100;
	mm = anon_and_file(f);
	ck_assert_uint_ge(shrink_node_pages(t.node, 96), 96);
	ck_assert_uint_gt(t.node->stat.events[PSWPOUT], 0);
	ck_assert_int_lt(mm->rss_stat[MM_ANONPAGES], 64);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES] + mm->rss_stat[MM_SWAPENTS], 64);
	/* without swap space anon is never scanned */
	mmput(mm);
	file_put(f);
	assert_no_leaks();
}
END_TEST

START_TEST(no_swap_means_file_only)
{
	struct file *f = open_file(64 * PAGE_SIZE);
	struct mm_struct *mm;

	t.node->swappiness = 100;
	mm = anon_and_file(f);
	shrink_node_pages(t.node, 1000);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 64);
	ck_assert_int_eq(mm->rss_stat[MM_FILEPAGES], 0);
	mmput(mm);
	file_put(f);
	assert_no_leaks();
}
END_TEST

START_TEST(dirty_shared_file_pages_written_back)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f = open_file(4 * PAGE_SIZE);
	uint8_t b = 0xab, host[4];
	int fd;

	ck_assert_int_eq(do_mmap(mm, FBASE, 4 * PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, f, 0),
			 (int64_t)FBASE);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(copy_to_user(mm, FBASE + i * PAGE_SIZE + 1, &b, 1), 0);
	ck_assert_int_eq(t.node->stat.stat[NR_FILE_DIRTY], 4);
	walk_pte_range(mm, FBASE, FBASE + 4 * PAGE_SIZE, clear_young, NULL);
	shrink_node_pages(t.node, 64);
	ck_assert_int_eq(t.node->stat.stat[NR_FILE_PAGES], 0);
	ck_assert_int_eq(t.node->stat.stat[NR_FILE_DIRTY], 0);
	ck_assert_uint_ge(t.node->stat.events[PGPGOUT], 16);
	fd = open(tmp_path, O_RDONLY);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pread(fd, host, 3, i * PAGE_SIZE), 3);
		ck_assert_uint_eq(host[0], file_byte(i * PAGE_SIZE));
		ck_assert_uint_eq(host[1], 0xab);
		ck_assert_uint_eq(host[2], file_byte(i * PAGE_SIZE + 2));
	}
	close(fd);
	mmput(mm);
	file_put(f);
	assert_no_leaks();
}
END_TEST

/* ---- watermarks, kswapd, direct reclaim ---- */

START_TEST(kswapd_reclaims_to_high_watermark)
{
	struct mm_struct *mm = mm_alloc(t.node);
	unsigned long free = nr_free_pages(t.node);
	unsigned long n = free - t.node->wmark_pages[WMARK_LOW] + 16;

	ck_assert_int_eq(swapon(t.node, 8192, 1), 0);
	ck_assert_int_eq(do_mmap(mm, BASE, n * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	touch_anon(mm, BASE, (int)n);
	ck_assert(t.node->kswapd_wake);
	ck_assert_uint_ge(t.node->stat.events[KSWAPD_WAKEUP], 1);
	ck_assert_uint_lt(nr_free_pages(t.node), t.node->wmark_pages[WMARK_LOW]);
	kswapd_run(t.node);
	ck_assert(!t.node->kswapd_wake);
	ck_assert_uint_ge(nr_free_pages(t.node), t.node->wmark_pages[WMARK_HIGH]);
	ck_assert_uint_gt(t.node->stat.events[PGSTEAL_KSWAPD], 0);
	ck_assert_uint_gt(t.node->stat.events[PSWPOUT], 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(direct_reclaim_swaps_more_than_ram)
{
	struct mm_struct *mm = mm_alloc(t.node);
	unsigned long n = 2 * totalram_pages(t.node);

	ck_assert_int_eq(swapon(t.node, 2 * n, 1), 0);
	ck_assert_int_eq(do_mmap(mm, BASE, n * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	touch_anon(mm, BASE, (int)n);
	ck_assert_uint_gt(t.node->stat.events[ALLOCSTALL], 0);
	ck_assert_uint_gt(t.node->stat.events[PGSTEAL_DIRECT], 0);
	ck_assert_int_eq(oom_calls, 0);
	for (unsigned long i = 0; i < n; i += 7) {
		uint64_t v;

		ck_assert_int_eq(copy_from_user(mm, &v, BASE + i * PAGE_SIZE, sizeof(v)), 0);
		ck_assert_uint_eq(v, BASE + i * PAGE_SIZE);
	}
	mmput(mm);
	assert_no_leaks();
}
END_TEST

/* ---- the OOM killer ---- */

START_TEST(badness_order_and_adj)
{
	unsigned long total = totalram_pages(t.node);
	struct mm_struct *a = mm_alloc(t.node), *b = mm_alloc(t.node);

	ck_assert_int_eq(do_mmap(a, BASE, 200 * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	ck_assert_int_eq(do_mmap(b, BASE, 100 * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	touch_anon(a, BASE, 200);
	touch_anon(b, BASE, 100);
	ck_assert_int_gt(oom_badness(a, 0, total), oom_badness(b, 0, total));
	/* rss + page tables (three tables below the PGD each) */
	ck_assert_int_eq(oom_badness(a, 0, total), 200 + a->pgtables_bytes / PAGE_SIZE);
	/* oom_score_adj is thousandths of memory */
	ck_assert_int_eq(oom_badness(b, 500, total),
			 oom_badness(b, 0, total) + 500 * (long)(total / 1000));
	ck_assert_int_gt(oom_badness(b, 500, total), oom_badness(a, 0, total));
	ck_assert_int_lt(oom_badness(a, -500, total), oom_badness(b, 0, total));
	ck_assert_int_eq(oom_badness(a, OOM_SCORE_ADJ_MIN, total), LONG_MIN_BADNESS);
	ck_assert_uint_eq(oom_score(a, OOM_SCORE_ADJ_MIN, total), 0);
	ck_assert_uint_gt(oom_score(a, 0, total), oom_score(b, 0, total));
	ck_assert_uint_ge(oom_score(b, 1000, total), 1999);
	mmput(a);
	mmput(b);
	assert_no_leaks();
}
END_TEST

/* Two tasks, no swap: the one that fills memory runs into the OOM killer,
 * which kills the task with the higher badness (adjusted). */
static void run_oom(int adj0, int adj1, int expect_victim)
{
	unsigned long n = totalram_pages(t.node);
	int survivor = 1 - expect_victim;

	for (int i = 0; i < 2; i++) {
		tasks[i] = mm_alloc(t.node);
		task_adj[i] = i ? adj1 : adj0;
		ck_assert_int_eq(do_mmap(tasks[i], BASE, n * PAGE_SIZE, RW, ANON, NULL, 0),
				 (int64_t)BASE);
	}
	touch_anon(tasks[0], BASE, (int)(n / 4));
	/* task 1 now fills the rest and more */
	current_task = 1;
	for (unsigned long i = 0; i < n && tasks[1] && !tasks[1]->oom_victim &&
			!t.node->stat.events[OOM_KILL]; i++) {
		uint64_t v = i;

		if (copy_to_user(tasks[1], BASE + i * PAGE_SIZE, &v, sizeof(v)))
			break;
	}
	ck_assert_int_ge(oom_calls, 1);
	ck_assert_uint_eq(t.node->stat.events[OOM_KILL], 1);
	ck_assert_ptr_nonnull(strstr(log_text, "test invoked oom-killer: gfp_mask=0x"));
	ck_assert_ptr_nonnull(strstr(log_text, "Mem-Info:"));
	{
		char want[64];

		snprintf(want, sizeof(want), "Out of memory: Killed process %d (task%d) total-vm:",
			 100 + expect_victim, expect_victim);
		ck_assert_msg(strstr(log_text, want), "log: %s", log_text);
	}
	ck_assert_ptr_nonnull(tasks[survivor]);
	if (expect_victim == 1) {
		ck_assert(tasks[1]->oom_victim);
		ck_assert(t.node->oom_reserves);
	} else {
		ck_assert_ptr_null(tasks[0]);
	}
	for (int i = 0; i < 2; i++)
		if (tasks[i]) {
			mmput(tasks[i]);
			tasks[i] = NULL;
		}
	ck_assert(!t.node->oom_reserves);
	assert_no_leaks();
}

START_TEST(oom_kills_the_biggest)
{
	run_oom(0, 0, 1);
}
END_TEST

START_TEST(oom_score_adj_chooses_the_victim)
{
	run_oom(1000, 0, 0);
}
END_TEST

START_TEST(oom_score_adj_min_is_never_killed)
{
	run_oom(0, OOM_SCORE_ADJ_MIN, 0);
}
END_TEST

START_TEST(reserves_when_nobody_can_be_killed)
{
	/* No victim at all: allocations may take the reserves, then fail. */
	unsigned long n = 0;
	struct page *p;
	struct page **pages = calloc(totalram_pages(t.node), sizeof(*pages));

	while ((p = alloc_page(t.node, __GFP_NOWARN)))
		pages[n++] = p;
	ck_assert_uint_eq(nr_free_pages(t.node), 0);
	ck_assert_int_ge(oom_calls, 1);
	ck_assert_uint_eq(t.node->stat.events[OOM_KILL], 0);
	while (n)
		__free_pages(t.node, pages[--n], 0);
	free(pages);
	assert_no_leaks();
}
END_TEST

/* ---- the memory cgroup limit ---- */

START_TEST(memcg_limit_swaps_to_stay_under)
{
	struct mm_struct *mm = mm_alloc(t.node);
	unsigned long n = 3000, peak = 0;

	ck_assert_int_eq(swapon(t.node, 4096, 1), 0);
	t.node->memcg_limit = 1000;
	ck_assert_int_eq(do_mmap(mm, BASE, n * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	for (unsigned long i = 0; i < n; i++) {
		uint64_t v = i;

		ck_assert_int_eq(copy_to_user(mm, BASE + i * PAGE_SIZE, &v, sizeof(v)), 0);
		if (memcg_usage(t.node) > peak)
			peak = memcg_usage(t.node);
	}
	ck_assert_uint_le(peak, 1000);
	ck_assert_uint_gt(t.node->memcg_failcnt, 0);
	ck_assert_uint_gt(t.node->stat.events[PSWPOUT], 0);
	ck_assert_uint_gt(nr_free_pages(t.node), 4000);    /* RAM itself was never short */
	for (unsigned long i = 0; i < n; i += 3) {
		uint64_t v;

		ck_assert_int_eq(copy_from_user(mm, &v, BASE + i * PAGE_SIZE, sizeof(v)), 0);
		ck_assert_uint_eq(v, i);
	}
	ck_assert_uint_le(memcg_usage(t.node), 1000);
	mmput(mm);
	t.node->memcg_limit = 0;
	assert_no_leaks();
}
END_TEST

START_TEST(memcg_oom_without_swap)
{
	unsigned long n = 3000;

	t.node->memcg_limit = 1000;
	tasks[0] = mm_alloc(t.node);
	current_task = 0;
	ck_assert_int_eq(do_mmap(tasks[0], BASE, n * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	for (unsigned long i = 0; i < n && !tasks[0]->oom_victim; i++) {
		uint64_t v = i;

		if (copy_to_user(tasks[0], BASE + i * PAGE_SIZE, &v, sizeof(v)))
			break;
	}
	ck_assert(tasks[0]->oom_victim);
	ck_assert_uint_eq(t.node->memcg_oom_kills, 1);
	ck_assert_ptr_nonnull(strstr(log_text, "memory: usage "));
	ck_assert_msg(strstr(log_text, "Memory cgroup out of memory: Killed process 100 (task0)"),
		      "%s", log_text);
	ck_assert_ptr_nonnull(strstr(log_text, "constraint=CONSTRAINT_MEMCG"));
	mmput(tasks[0]);
	tasks[0] = NULL;
	t.node->memcg_limit = 0;
	assert_no_leaks();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reclaim");
	TCase *tc = tcase_create("reclaim");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, new_pages_start_inactive_and_counted);
	tcase_add_test(tc, aging_follows_accessed_bits);
	tcase_add_test(tc, file_pages_need_two_references);
	tcase_add_test(tc, swappiness_0_drops_file_first);
	tcase_add_test(tc, swappiness_100_swaps_anon);
	tcase_add_test(tc, no_swap_means_file_only);
	tcase_add_test(tc, dirty_shared_file_pages_written_back);
	tcase_add_test(tc, kswapd_reclaims_to_high_watermark);
	tcase_add_test(tc, direct_reclaim_swaps_more_than_ram);
	tcase_add_test(tc, badness_order_and_adj);
	tcase_add_test(tc, oom_kills_the_biggest);
	tcase_add_test(tc, oom_score_adj_chooses_the_victim);
	tcase_add_test(tc, oom_score_adj_min_is_never_killed);
	tcase_add_test(tc, reserves_when_nobody_can_be_killed);
	tcase_add_test(tc, memcg_limit_swaps_to_stay_under);
	tcase_add_test(tc, memcg_oom_without_swap);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
