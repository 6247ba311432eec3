/* Reclaim: the two-list aging of anon and file pages, pageout (swap for
 * anon pages, writeback for dirty file pages), kswapd and direct reclaim.
 * After Linux 6.1's mm/vmscan.c (without MGLRU, cgroups or workingset). */
/*
 * How a pass goes (shrink_node): get_scan_count decides how many pages of
 * each list to look at, from the list sizes, the priority (1/2^priority of
 * each list; 12 down to 0 as pressure grows) and swappiness (anon weighs
 * swappiness, file 200 - swappiness; no anon at all without free swap).
 * Inactive lists are shrunk from their tails in batches of 32:
 * page_check_references reads and clears the Accessed bits of every PTE
 * mapping a page (rmap.c) — anon pages referenced go active, file pages on
 * their second reference; the rest are unmapped and freed, anon pages
 * after being compressed into swap, dirty file pages after being written
 * back. Active lists are aged only while their inactive list is too small
 * (inactive_is_low): pages go inactive unless they are referenced
 * executable file pages.
 *
 * TLB: clearing Accessed bits or PTEs leaves stale translations; every
 * batch flushes once before any frame it unmapped is freed (the frames
 * wait on a list with an extra reference until then).
 */
#include "swap.h"
#include "rmap.h"
#include "filemap.h"
#include "huge_memory.h"

#define SWAP_CLUSTER_MAX 32
#define MAX_MEMCG_RETRIES 5        /* Linux's MAX_RECLAIM_RETRIES in try_charge */
#define DEF_PRIORITY 12

struct scan_control {
	unsigned long nr_to_reclaim;
	unsigned long nr_scanned;
	unsigned long nr_reclaimed;
	int priority;
	bool may_swap;
	bool ignore_references;     /* MADV_PAGEOUT: the caller knows best */
	bool need_flush;            /* PTEs changed since the last flush */
};

static void tlb_flush(struct pglist_data *node)
{
	if (node->ops && node->ops->flush_tlb)
		node->ops->flush_tlb(node->host);
}

static void reclaim_done(struct pglist_data *node, const struct scan_control *sc, bool direct)
{
	if (node->ops && node->ops->reclaim_done)
		node->ops->reclaim_done(node->host, sc->nr_scanned, sc->nr_reclaimed, direct);
}

unsigned long memcg_usage(const struct pglist_data *node)
{
	unsigned long n = 0;

	for (int lru = 0; lru < NR_LRU_LISTS; lru++)
		n += node->lruvec.nr_pages[lru];
	return n;
}

static unsigned long lru_size(struct pglist_data *node, enum lru_list lru)
{
	return node->lruvec.nr_pages[lru];
}

/* Takes up to nr pages from the tail (the oldest) of a list. */
static unsigned long isolate_lru_pages(struct pglist_data *node, enum lru_list lru,
				       unsigned long nr, struct list_head *dst)
{
	struct list_head *src = &node->lruvec.lists[lru];
	unsigned long taken = 0;

	while (taken < nr && !list_empty(src)) {
		struct page *page = list_last_entry(src, struct page, lru);

		del_page_from_lru(node, page);
		list_add_tail(&page->lru, dst);
		taken++;
	}
	return taken;
}

static void putback_lru_page(struct pglist_data *node, struct page *page)
{
	list_del(&page->lru);
	lru_cache_add(node, page);
}

/* Linux's inactive_is_low: the inactive list should be at least
 * 1/(1 + inactive_ratio) of the two, inactive_ratio = sqrt(10 * GiB). */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

static bool inactive_is_low(struct pglist_data *node, bool file)
{
	enum lru_list inactive = file ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
	unsigned long i = lru_size(node, inactive), a = lru_size(node, inactive + LRU_ACTIVE);
	unsigned long gb = (i + a) >> (30 - PAGE_SHIFT);
	unsigned long ratio = gb ? int_sqrt(10 * gb) : 1;

	return i * ratio < a;
}

static bool can_reclaim_anon_pages(struct pglist_data *node)
{
	struct swap_stats st;

	if (!node->swap)
		return false;
	swap_get_stats(node, &st);
	return st.free_pages > 0;
}

/* ---- the active list ---- */

static void shrink_active_list(struct pglist_data *node, unsigned long nr_to_scan,
			       enum lru_list lru, struct scan_control *sc)
{
	LIST_HEAD(l_hold);
	unsigned long nr_deactivate = 0;

	isolate_lru_pages(node, lru, nr_to_scan, &l_hold);
	while (!list_empty(&l_hold)) {
		struct page *page = list_first_entry(&l_hold, struct page, lru);
		unsigned long vm_flags = 0;

		if (page_referenced(node, page, &vm_flags, &sc->need_flush) &&
		    (vm_flags & VM_EXEC) && page_is_file_lru(page)) {
			/* Executable code gets another trip round the active
			 * list: it is small and its loss is felt at once. */
			putback_lru_page(node, page);
			continue;
		}
		ClearPageFlag(page, PG_active);
		putback_lru_page(node, page);
		nr_deactivate++;
	}
	count_vm_events(node, PGDEACTIVATE, nr_deactivate);
}

/* ---- the inactive list ---- */

enum page_references { PAGEREF_RECLAIM, PAGEREF_KEEP, PAGEREF_ACTIVATE };

static enum page_references page_check_references(struct pglist_data *node,
						  struct page *page, struct scan_control *sc)
{
	unsigned long vm_flags = 0;
	int referenced_ptes = page_referenced(node, page, &vm_flags, &sc->need_flush);
	bool referenced_page = PageFlag(page, PG_referenced);

	ClearPageFlag(page, PG_referenced);
	if (vm_flags & VM_LOCKED)
		return PAGEREF_ACTIVATE;
	if (referenced_ptes) {
		/* Anon pages are activated on their first reference; file
		 * pages (often used once, read through) on their second. */
		if (PageFlag(page, PG_swapbacked))
			return PAGEREF_ACTIVATE;
		SetPageFlag(page, PG_referenced);
		if (referenced_page || referenced_ptes > 1)
			return PAGEREF_ACTIVATE;
		if (vm_flags & VM_EXEC)
			return PAGEREF_ACTIVATE;
		return PAGEREF_KEEP;
	}
	return PAGEREF_RECLAIM;
}

/* References besides the mappings and the cache: someone is using the
 * page (a fault in progress, a kernel copy), so it stays. */
static bool page_has_extra_refs(const struct page *page)
{
	int expected = page_mapcount(page);

	if (PageFlag(page, PG_swapcache) || (!PageFlag(page, PG_anon) && page->mapping))
		expected++;
	return page_count(page) > expected;
}

/* Tries to free one isolated inactive page. True when it goes on the free
 * list (a reference held until the batch's TLB flush). */
static enum page_references reclaim_page(struct pglist_data *node, struct page *page,
					 struct scan_control *sc, struct list_head *free_pages)
{
	bool anon = PageFlag(page, PG_anon);
	enum page_references ref;

	/* shmem pages live in their file's cache and cannot be swapped yet
	 * (their file would have to hold swap entries). */
	if (!anon && PageFlag(page, PG_swapbacked))
		return PAGEREF_ACTIVATE;
	if (page_has_extra_refs(page))
		return PAGEREF_KEEP;
	ref = sc->ignore_references ? PAGEREF_RECLAIM : page_check_references(node, page, sc);
	if (ref != PAGEREF_RECLAIM)
		return ref;
	if (anon && !PageFlag(page, PG_swapcache)) {
		if (!sc->may_swap)
			return PAGEREF_ACTIVATE;
		/* A THP is swapped as 512 pages: split it, then go on with
		 * its first page (the others are on the inactive list now). */
		if (PageFlag(page, PG_head) && split_huge_page(node, page, 0))
			return PAGEREF_KEEP;
		if (!add_to_swap(node, page))
			return PAGEREF_ACTIVATE;
	}
	if (page_mapcount(page) > 0) {
		sc->need_flush = true;
		if (!try_to_unmap(node, page))
			return PAGEREF_ACTIVATE;
	}
	if (anon) {
		swp_entry_t entry = page_swap_entry(page);

		/* Data some PTE will ask for again must be in swap first;
		 * a copy nobody references need not be written at all. */
		if (swp_swapcount(node, entry) && PageFlag(page, PG_dirty) &&
		    swap_writepage(node, page))
			return PAGEREF_ACTIVATE;
		if (page_count(page) != 1)
			return PAGEREF_KEEP;
		get_page(page);
		delete_from_swap_cache(node, page);
	} else {
		struct address_space *mapping = page->mapping;

		if (!mapping)
			return PAGEREF_KEEP;
		if (PageFlag(page, PG_dirty) && filemap_write_page(mapping, page))
			return PAGEREF_ACTIVATE;
		if (page_count(page) != 1)
			return PAGEREF_KEEP;
		get_page(page);
		filemap_remove_page(mapping, page);
	}
	list_add_tail(&page->lru, free_pages);
	return PAGEREF_RECLAIM;
}

/* Reclaims the isolated pages of l_hold (each put back or freed). */
static void shrink_page_list(struct pglist_data *node, struct list_head *l_hold,
			     struct scan_control *sc)
{
	LIST_HEAD(free_pages);

	while (!list_empty(l_hold)) {
		struct page *page = list_first_entry(l_hold, struct page, lru);
		enum page_references ref;

		list_del(&page->lru);
		ref = reclaim_page(node, page, sc, &free_pages);
		if (ref == PAGEREF_RECLAIM)
			continue;
		if (ref == PAGEREF_ACTIVATE && !PageFlag(page, PG_active)) {
			SetPageFlag(page, PG_active);
			count_vm_event(node, PGACTIVATE);
		}
		lru_cache_add(node, page);
	}
	/* One flush covers every PTE this batch changed; only then may the
	 * frames be reused. */
	if (sc->need_flush) {
		tlb_flush(node);
		sc->need_flush = false;
	}
	while (!list_empty(&free_pages)) {
		struct page *page = list_first_entry(&free_pages, struct page, lru);

		list_del(&page->lru);
		put_page(node, page);
		sc->nr_reclaimed++;
	}
}

static void shrink_inactive_list(struct pglist_data *node, unsigned long nr_to_scan,
				 enum lru_list lru, struct scan_control *sc)
{
	LIST_HEAD(l_hold);

	sc->nr_scanned += isolate_lru_pages(node, lru, nr_to_scan, &l_hold);
	shrink_page_list(node, &l_hold, sc);
}

unsigned long reclaim_page_now(struct pglist_data *node, struct page *page)
{
	struct scan_control sc = { .nr_to_reclaim = 1, .may_swap = true,
				   .ignore_references = true };
	LIST_HEAD(l_hold);
	bool nested = node->in_reclaim;

	if (!PageFlag(page, PG_lru))
		return 0;
	del_page_from_lru(node, page);
	list_add(&page->lru, &l_hold);
	node->in_reclaim = true;
	shrink_page_list(node, &l_hold, &sc);
	node->in_reclaim = nested;
	return sc.nr_reclaimed;
}

void deactivate_page(struct pglist_data *node, struct page *page)
{
	if (!PageFlag(page, PG_lru))
		return;
	del_page_from_lru(node, page);
	if (PageFlag(page, PG_active))
		count_vm_event(node, PGDEACTIVATE);
	ClearPageFlag(page, PG_active);
	ClearPageFlag(page, PG_referenced);
	/* The tail of the inactive list: the next to be reclaimed. */
	SetPageFlag(page, PG_lru);
	list_add_tail(&page->lru, &node->lruvec.lists[page_lru(page)]);
	node->lruvec.nr_pages[page_lru(page)] += 1UL << compound_order(page);
	mod_node_page_state(node, NR_INACTIVE_ANON + page_lru(page), 1L << compound_order(page));
}

/* ---- balancing the lists ---- */

enum scan_balance { SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE };

static void get_scan_count(struct pglist_data *node, struct scan_control *sc,
			   unsigned long nr[NR_LRU_LISTS])
{
	unsigned long anon = lru_size(node, LRU_INACTIVE_ANON) + lru_size(node, LRU_ACTIVE_ANON);
	unsigned long file = lru_size(node, LRU_INACTIVE_FILE) + lru_size(node, LRU_ACTIVE_FILE);
	unsigned long fraction[2] = { 1, 1 }, denominator = 2;
	int swappiness = node->swappiness;
	enum scan_balance balance;

	if (!sc->may_swap || !can_reclaim_anon_pages(node)) {
		balance = SCAN_FILE;
	} else if (file + nr_free_pages(node) <= node->wmark_pages[WMARK_HIGH] &&
		   !inactive_is_low(node, false) && (anon >> sc->priority)) {
		/* So little page cache that reclaiming it would thrash it:
		 * anon is all there is (Linux's file_is_tiny). */
		balance = SCAN_ANON;
	} else if (!sc->priority && swappiness) {
		balance = SCAN_EQUAL;
	} else {
		/* Linux weighs these by the recent cost of each side too;
		 * here only swappiness decides the proportion. */
		balance = SCAN_FRACT;
		fraction[0] = (unsigned long)swappiness;
		fraction[1] = 200 - (unsigned long)swappiness;
		denominator = fraction[0] + fraction[1];
	}
	for (int lru = 0; lru < NR_LRU_LISTS; lru++) {
		bool is_file = lru & LRU_FILE;
		unsigned long scan = lru_size(node, lru) >> sc->priority;

		switch (balance) {
		case SCAN_EQUAL:
			break;
		case SCAN_FRACT:
			scan = scan * fraction[is_file] / denominator;
			break;
		case SCAN_FILE:
		case SCAN_ANON:
			if ((balance == SCAN_FILE) != is_file)
				scan = 0;
			break;
		}
		nr[lru] = scan;
	}
}

static void shrink_list(struct pglist_data *node, enum lru_list lru, unsigned long nr,
			struct scan_control *sc)
{
	if (lru & LRU_ACTIVE) {
		if (inactive_is_low(node, lru & LRU_FILE))
			shrink_active_list(node, nr, lru, sc);
		return;
	}
	shrink_inactive_list(node, nr, lru, sc);
}

/* Linux's shrink_lruvec: the lists in proportion, batch by batch, until
 * the scan counts run out or enough is reclaimed. */
static void shrink_node(struct pglist_data *node, struct scan_control *sc)
{
	unsigned long nr[NR_LRU_LISTS];

	get_scan_count(node, sc, nr);
	while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
		for (int lru = 0; lru < NR_LRU_LISTS; lru++) {
			unsigned long n = nr[lru] < SWAP_CLUSTER_MAX ? nr[lru] : SWAP_CLUSTER_MAX;

			if (!n)
				continue;
			nr[lru] -= n;
			shrink_list(node, lru, n, sc);
		}
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
	}
	/* Age the active anon list even when no anon was scanned, so that
	 * the inactive list has candidates when swap is wanted. */
	if (sc->may_swap && can_reclaim_anon_pages(node) && inactive_is_low(node, false))
		shrink_active_list(node, SWAP_CLUSTER_MAX, LRU_ACTIVE_ANON, sc);
	if (sc->need_flush) {
		tlb_flush(node);
		sc->need_flush = false;
	}
}

/* Priorities from DEF_PRIORITY down to 0 until nr_to_reclaim is met. */
static void do_try_to_free_pages(struct pglist_data *node, struct scan_control *sc)
{
	bool nested = node->in_reclaim;

	node->in_reclaim = true;
	/* Linux's shrink_slab: the huge zero page, when unused. */
	sc->nr_reclaimed += shrink_huge_zero_page(node);
	for (sc->priority = DEF_PRIORITY; sc->priority >= 0; sc->priority--) {
		shrink_node(node, sc);
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
	}
	node->in_reclaim = nested;
}

unsigned long try_to_free_pages(struct pglist_data *node, unsigned int gfp, int order)
{
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX > (1UL << order) ? SWAP_CLUSTER_MAX : 1UL << order,
		.may_swap = true,
	};

	(void)gfp;
	if (node->in_reclaim)
		return 0;
	count_vm_event(node, ALLOCSTALL);
	do_try_to_free_pages(node, &sc);
	count_vm_events(node, PGSCAN_DIRECT, sc.nr_scanned);
	count_vm_events(node, PGSTEAL_DIRECT, sc.nr_reclaimed);
	if (sc.nr_reclaimed)
		node->kswapd_failures = 0;
	reclaim_done(node, &sc, true);
	return sc.nr_reclaimed;
}

/* Linux's MAX_RECLAIM_RETRIES: kswapd gives up after this many fruitless
 * runs, until direct reclaim frees something again. */
#define MAX_KSWAPD_FAILURES 16

/* Linux's try_charge for the one memory cgroup: reclaim (as memcg direct
 * reclaim: pgscan_direct/pgsteal_direct, no allocstall) until the
 * allocation fits under the limit, then the memcg OOM killer. */
bool mem_cgroup_try_charge(struct pglist_data *node, unsigned int gfp, unsigned int order)
{
	int retries = MAX_MEMCG_RETRIES;

	if (!node->memcg_limit || memcg_usage(node) + (1UL << order) <= node->memcg_limit)
		return true;
	node->memcg_failcnt++;
	if (node->in_reclaim || node->oom_reserves)
		return true;
	if (gfp & __GFP_NORETRY)
		return false;
	for (;;) {
		struct scan_control sc = { .nr_to_reclaim = SWAP_CLUSTER_MAX, .may_swap = true };

		do_try_to_free_pages(node, &sc);
		count_vm_events(node, PGSCAN_DIRECT, sc.nr_scanned);
		count_vm_events(node, PGSTEAL_DIRECT, sc.nr_reclaimed);
		reclaim_done(node, &sc, true);
		if (memcg_usage(node) + (1UL << order) <= node->memcg_limit)
			return true;
		if (sc.nr_reclaimed)
			continue;
		if (--retries > 0)
			continue;
		if (mem_cgroup_out_of_memory(node, gfp, (int)order)) {
			retries = MAX_MEMCG_RETRIES;
			continue;
		}
		/* A victim that is the allocating task may go over to die. */
		return node->oom_reserves;
	}
}

void wakeup_kswapd(struct pglist_data *node)
{
	if (node->kswapd_wake || nr_free_pages(node) >= node->wmark_pages[WMARK_LOW] ||
	    node->kswapd_failures >= MAX_KSWAPD_FAILURES)
		return;
	node->kswapd_wake = true;
	count_vm_event(node, KSWAPD_WAKEUP);
}

/* Linux's balance_pgdat: reclaim until free memory is above the high
 * watermark, raising the priority whenever a pass falls short. */
void kswapd_run(struct pglist_data *node)
{
	int priority = DEF_PRIORITY;
	unsigned long reclaimed = 0;
	struct scan_control total = { 0 };

	node->kswapd_wake = false;
	if (node->in_reclaim)
		return;
	node->in_reclaim = true;
	reclaimed += shrink_huge_zero_page(node);
	while (priority >= 0 && nr_free_pages(node) < node->wmark_pages[WMARK_HIGH]) {
		unsigned long want = node->wmark_pages[WMARK_HIGH] - nr_free_pages(node);
		struct scan_control sc = {
			.nr_to_reclaim = want > SWAP_CLUSTER_MAX ? want : SWAP_CLUSTER_MAX,
			.priority = priority,
			.may_swap = true,
		};

		shrink_node(node, &sc);
		count_vm_events(node, PGSCAN_KSWAPD, sc.nr_scanned);
		count_vm_events(node, PGSTEAL_KSWAPD, sc.nr_reclaimed);
		reclaimed += sc.nr_reclaimed;
		total.nr_scanned += sc.nr_scanned;
		total.nr_reclaimed += sc.nr_reclaimed;
		if (sc.nr_reclaimed < sc.nr_to_reclaim)
			priority--;
	}
	if (priority < 0 && !reclaimed)
		node->kswapd_failures++;
	else
		node->kswapd_failures = 0;
	node->in_reclaim = false;
	if (total.nr_scanned)
		reclaim_done(node, &total, false);
}

unsigned long shrink_node_pages(struct pglist_data *node, unsigned long nr)
{
	struct scan_control sc = { .nr_to_reclaim = nr, .may_swap = true };

	if (node->in_reclaim)
		return 0;
	do_try_to_free_pages(node, &sc);
	count_vm_events(node, PGSCAN_KSWAPD, sc.nr_scanned);
	count_vm_events(node, PGSTEAL_KSWAPD, sc.nr_reclaimed);
	return sc.nr_reclaimed;
}

void shrink_lru_list_all(struct pglist_data *node, enum lru_list lru)
{
	struct scan_control sc = { .nr_to_reclaim = ~0UL, .may_swap = true };
	bool nested = node->in_reclaim;

	node->in_reclaim = true;
	if (lru & LRU_ACTIVE)
		shrink_active_list(node, lru_size(node, lru), lru, &sc);
	else
		shrink_inactive_list(node, lru_size(node, lru), lru, &sc);
	if (sc.need_flush)
		tlb_flush(node);
	node->in_reclaim = nested;
}
