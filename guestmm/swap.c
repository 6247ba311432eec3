/* The LRU lists: pages enter an inactive list when they are first used,
 * move to the active list when referenced twice, and leave when freed.
 * After Linux's mm/swap.c (the lists; the swap device is swapfile.c). */
/*
 * Invariants:
 * - a page is on exactly one of node->lruvec's lists iff PG_lru; which one
 *   is page_lru(page) (PG_swapbacked and PG_active), and the list's
 *   nr_pages and vmstat counter (NR_INACTIVE_ANON + lru) count its pages;
 * - reclaim takes pages off a list while it works on them (PG_lru clear)
 *   and puts them back, so a page it holds is never freed from under it;
 * - a page reaching refcount zero leaves its list in put_page.
 */
#include "swap.h"

/* Pages an LRU entry stands for: a THP's head is 512 (Linux's
 * folio_nr_pages). */
static long lru_nr_pages(const struct page *page)
{
	return PageFlag(page, PG_head) ? 1L << page->private : 1;
}

static void add_page_to_lru_list(struct pglist_data *node, struct page *page,
				 enum lru_list lru, bool tail)
{
	if (tail)
		list_add_tail(&page->lru, &node->lruvec.lists[lru]);
	else
		list_add(&page->lru, &node->lruvec.lists[lru]);
	node->lruvec.nr_pages[lru] += lru_nr_pages(page);
	mod_node_page_state(node, NR_INACTIVE_ANON + lru, lru_nr_pages(page));
}

void lru_cache_add(struct pglist_data *node, struct page *page)
{
	if (PageFlag(page, PG_lru))
		return;
	SetPageFlag(page, PG_lru);
	add_page_to_lru_list(node, page, page_lru(page), false);
}

void del_page_from_lru(struct pglist_data *node, struct page *page)
{
	enum lru_list lru;

	if (!PageFlag(page, PG_lru))
		return;
	lru = page_lru(page);
	list_del(&page->lru);
	INIT_LIST_HEAD(&page->lru);
	ClearPageFlag(page, PG_lru);
	node->lruvec.nr_pages[lru] -= lru_nr_pages(page);
	mod_node_page_state(node, NR_INACTIVE_ANON + lru, -lru_nr_pages(page));
}

static void activate_page(struct pglist_data *node, struct page *page)
{
	if (PageFlag(page, PG_active))
		return;
	if (PageFlag(page, PG_lru)) {
		del_page_from_lru(node, page);
		SetPageFlag(page, PG_active);
		SetPageFlag(page, PG_lru);
		add_page_to_lru_list(node, page, page_lru(page), false);
	} else {
		SetPageFlag(page, PG_active);
	}
	count_vm_event(node, PGACTIVATE);
}

void mark_page_accessed(struct pglist_data *node, struct page *page)
{
	if (!PageFlag(page, PG_referenced)) {
		SetPageFlag(page, PG_referenced);
	} else if (!PageFlag(page, PG_active)) {
		activate_page(node, page);
		ClearPageFlag(page, PG_referenced);
	}
}
