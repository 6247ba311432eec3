/* The buddy allocator: per-zone lists of free 2^order blocks, split on
 * allocation and coalesced on free, plus the zone watermarks (min_free_kbytes)
 * that reclaim steers by. After Linux's mm/page_alloc.c. */
/*
 * Invariants, checked by tests/unit/test_buddy.c after every operation:
 * - a free block of order k starts at a pfn aligned to 2^k, lies inside one
 *   zone and sits on that zone's free_area[k] list;
 * - only its first frame carries PG_buddy (with private = k); the others
 *   have no flags; every free frame has _refcount 0 and _mapcount -1;
 * - two buddies (pfn and pfn ^ 2^k) are never both free at order k: freeing
 *   merges them, so the lists always hold the largest blocks possible;
 * - zone->nr_free_pages and NR_FREE_PAGES count the frames on the lists.
 * Because MAX_DMA_PFN and MAX_DMA32_PFN are multiples of 2^MAX_ORDER, an
 * aligned block never straddles a zone boundary; only the end of the node
 * can cut a buddy pair in two, and zone_contains() catches that.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "page_alloc.h"
#include "swap.h"
#include "huge_memory.h"

/* /proc/sys/vm/watermark_scale_factor's default: the gap between watermarks
 * is at least this many ten-thousandths of the zone. */
#define WATERMARK_SCALE_FACTOR 10

static void mm_log(struct pglist_data *node, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mm_log(struct pglist_data *node, int level, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (!node->ops || !node->ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	node->ops->log(node->host, level, msg);
}

/* Linux's bad_page(): say so, and leave the frames alone. Putting a frame
 * that is still in use (or already free) on a free list would corrupt the
 * lists, so it is leaked instead, as Linux does. */
static void bad_page(struct pglist_data *node, pfn_t pfn, const char *reason)
{
	node->bad_pages++;
	mm_log(node, 3, "BUG: Bad page state: pfn:%05llx %s",
	       (unsigned long long)pfn, reason);
}

static struct zone *pfn_zone(struct pglist_data *node, pfn_t pfn)
{
	if (pfn < MAX_DMA_PFN)
		return &node->node_zones[ZONE_DMA];
	if (pfn < MAX_DMA32_PFN)
		return &node->node_zones[ZONE_DMA32];
	return &node->node_zones[ZONE_NORMAL];
}

static bool zone_contains(const struct zone *zone, pfn_t pfn)
{
	return pfn >= zone->zone_start_pfn &&
	       pfn < zone->zone_start_pfn + zone->spanned_pages;
}

static void add_to_free_list(struct pglist_data *node, struct zone *zone,
			     struct page *page, unsigned int order, bool to_tail)
{
	struct free_area *area = &zone->free_area[order];

	SetPageFlag(page, PG_buddy);
	page->private = order;
	if (to_tail)
		list_add_tail(&page->lru, &area->free_list);
	else
		list_add(&page->lru, &area->free_list);
	area->nr_free++;
	zone->nr_free_pages += 1UL << order;
	mod_node_page_state(node, NR_FREE_PAGES, 1L << order);
}

static void del_page_from_free_list(struct pglist_data *node, struct zone *zone,
				    struct page *page, unsigned int order)
{
	list_del(&page->lru);
	ClearPageFlag(page, PG_buddy);
	page->private = 0;
	zone->free_area[order].nr_free--;
	zone->nr_free_pages -= 1UL << order;
	mod_node_page_state(node, NR_FREE_PAGES, -(1L << order));
}

static bool page_is_buddy(const struct page *buddy, unsigned int order)
{
	return PageFlag(buddy, PG_buddy) && buddy->private == order;
}

/* Is pfn inside some free block? A free block holding pfn has its head at
 * pfn rounded down to 2^o for some o no larger than its order, so this costs
 * MAX_ORDER + 1 probes however the block was merged. */
static bool pfn_is_free(struct pglist_data *node, pfn_t pfn)
{
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		const struct page *head = pfn_to_page(node, pfn & ~((1UL << o) - 1));

		if (PageFlag(head, PG_buddy) && head->private >= o)
			return true;
	}
	return false;
}

static void __free_one_page(struct pglist_data *node, struct zone *zone,
			    pfn_t pfn, unsigned int order, bool to_tail)
{
	while (order < MAX_ORDER) {
		pfn_t buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy;

		if (!zone_contains(zone, buddy_pfn))
			break;
		buddy = pfn_to_page(node, buddy_pfn);
		if (!page_is_buddy(buddy, order))
			break;
		del_page_from_free_list(node, zone, buddy, order);
		pfn &= buddy_pfn;
		order++;
	}
	add_to_free_list(node, zone, pfn_to_page(node, pfn), order, to_tail);
}

/* Split a block of order high at pfn down to order low, keeping the lower
 * half each time and giving the upper halves back to the lists. */
static void expand(struct pglist_data *node, struct zone *zone, pfn_t pfn,
		   unsigned int low, unsigned int high)
{
	while (high > low) {
		high--;
		add_to_free_list(node, zone, pfn_to_page(node, pfn + (1UL << high)),
				 high, false);
	}
}

static struct page *__rmqueue_smallest(struct pglist_data *node, struct zone *zone,
				       unsigned int order)
{
	for (unsigned int o = order; o <= MAX_ORDER; o++) {
		struct free_area *area = &zone->free_area[o];
		struct page *page;

		if (list_empty(&area->free_list))
			continue;
		page = list_first_entry(&area->free_list, struct page, lru);
		del_page_from_free_list(node, zone, page, o);
		expand(node, zone, page_to_pfn(node, page), order, o);
		return page;
	}
	return NULL;
}

/* The highest zone gfp allows; the zonelist falls back from it downwards. */
static enum zone_type gfp_zone(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_DMA32)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

/* Linux's zone_watermark_ok, for the node as a whole: would taking 2^order
 * frames leave at least the watermark free? */
static bool node_watermark_ok(const struct pglist_data *node, unsigned int order,
			      unsigned long mark)
{
	unsigned long free = nr_free_pages(node);

	return free >= (1UL << order) && free - (1UL << order) >= mark;
}

static struct page *get_page_from_freelist(struct pglist_data *node, gfp_t gfp,
					   unsigned int order, int wmark)
{
	int z = gfp_zone(gfp);

	if (wmark >= 0 && !node_watermark_ok(node, order, node->wmark_pages[wmark]))
		return NULL;
	if (z > node->nr_zones - 1)
		z = node->nr_zones - 1;
	for (; z >= 0; z--) {
		struct zone *zone = &node->node_zones[z];
		struct page *page;

		if (!zone->present_pages)
			continue;
		page = __rmqueue_smallest(node, zone, order);
		if (page)
			return page;
	}
	return NULL;
}

/* Linux's should_reclaim_retry, simplified: this many rounds of direct
 * reclaim without a page to show for them means out of memory. */
#define MAX_RECLAIM_RETRIES 16
#define PAGE_ALLOC_COSTLY_ORDER 3
#define ALLOC_NO_WATERMARKS (-1)

static unsigned long lru_pages(const struct pglist_data *node)
{
	unsigned long n = 0;

	for (int lru = 0; lru < NR_LRU_LISTS; lru++)
		n += node->lruvec.nr_pages[lru];
	return n;
}

static struct page *__alloc_pages_slowpath(struct pglist_data *node, gfp_t gfp,
					   unsigned int order)
{
	int no_progress_loops = 0;
	struct page *page;

	/* Reclaim's own allocations (PF_MEMALLOC) and an exiting OOM victim
	 * may use the reserves; nothing recurses into reclaim. */
	if (node->in_reclaim || node->oom_reserves)
		return get_page_from_freelist(node, gfp, order, ALLOC_NO_WATERMARKS);
	wakeup_kswapd(node);
	page = get_page_from_freelist(node, gfp, order, WMARK_MIN);
	/* Linux's __alloc_pages_direct_compact: a costly order that failed
	 * with memory free may be fragmentation, which compaction mends. */
	if (!page && order > PAGE_ALLOC_COSTLY_ORDER && try_to_compact_pages(node, order))
		page = get_page_from_freelist(node, gfp, order, WMARK_MIN);
	if (page || (gfp & __GFP_NORETRY))
		return page;
	for (int loops = 0;; loops++) {
		unsigned long progress = try_to_free_pages(node, gfp, (int)order);

		page = get_page_from_freelist(node, gfp, order, WMARK_MIN);
		if (page)
			return page;
		/* Progress that never lifts free memory above min (another
		 * consumer eats it) must end too. */
		if (progress && loops < 1000) {
			no_progress_loops = 0;
			continue;
		}
		if (++no_progress_loops < MAX_RECLAIM_RETRIES && loops < 1000 && lru_pages(node))
			continue;
		/* Out of memory: kill something and retry, or, when nobody
		 * can be killed (or the victim is the allocating task, which
		 * must be able to exit), let the allocation have the
		 * reserves, as Linux gives an OOM victim. */
		if (out_of_memory(node, gfp, (int)order)) {
			page = get_page_from_freelist(node, gfp, order, WMARK_MIN);
			if (page)
				return page;
			no_progress_loops = 0;
			loops = 0;
			continue;
		}
		return get_page_from_freelist(node, gfp, order, ALLOC_NO_WATERMARKS);
	}
}

static void prep_new_page(struct pglist_data *node, struct page *page,
			  unsigned int order, gfp_t gfp)
{
	page->_refcount = 1;
	if (gfp & __GFP_ZERO)
		memset(page_address(node, page), 0, PAGE_SIZE << order);
	if ((gfp & __GFP_COMP) && order > 0) {
		SetPageFlag(page, PG_head);
		page->private = order;
	}
}

struct page *alloc_pages(struct pglist_data *node, gfp_t gfp, unsigned int order)
{
	struct page *page;

	if (order > MAX_ORDER) {
		if (!(gfp & __GFP_NOWARN))
			mm_log(node, 4, "page allocation failure: order:%u > MAX_ORDER", order);
		return NULL;
	}
	/* Over the memory cgroup's limit, room is made first (every
	 * allocation is charged while the LRU is over it, page tables too). */
	if (node->memcg_limit && !mem_cgroup_try_charge(node, gfp, order)) {
		if (!(gfp & __GFP_NOWARN))
			mm_log(node, 4, "memory cgroup limit: allocation of order %u refused", order);
		return NULL;
	}
	page = get_page_from_freelist(node, gfp, order, WMARK_LOW);
	if (!page)
		page = __alloc_pages_slowpath(node, gfp, order);
	if (!page) {
		if (!(gfp & __GFP_NOWARN))
			mm_log(node, 4, "page allocation failure: order:%u, mode:%#x",
			       order, gfp);
		return NULL;
	}
	prep_new_page(node, page, order, gfp);
	count_vm_events(node, PGALLOC, 1UL << order);
	return page;
}

void flush_icache_page(struct pglist_data *node, struct page *page)
{
	if (!PageFlag(page, PG_exec))
		return;
	ClearPageFlag(page, PG_exec);
	if (node->ops && node->ops->invalidate_code)
		node->ops->invalidate_code(node->host, page_to_pfn(node, page));
}

/* Linux's free_pages_prepare(): refuse frames whose state says they are not
 * the caller's to free, then drop any translated code and wipe the rest of
 * the frame state so the next owner starts clean. */
static bool free_pages_prepare(struct pglist_data *node, pfn_t pfn, unsigned int order)
{
	unsigned long nr = 1UL << order;

	if (order > MAX_ORDER || (pfn & (nr - 1)) || pfn + nr > node->node_present_pages) {
		bad_page(node, pfn, "freed with a bad order or alignment");
		return false;
	}
	if (pfn_is_free(node, pfn)) {
		bad_page(node, pfn, "already free");
		return false;
	}
	for (unsigned long i = 0; i < nr; i++) {
		const struct page *p = pfn_to_page(node, pfn + i);

		if (PageFlag(p, PG_buddy)) {
			bad_page(node, pfn + i, "already free");
			return false;
		}
		if (PageFlag(p, PG_reserved)) {
			bad_page(node, pfn + i, "reserved");
			return false;
		}
		if (PageFlag(p, PG_lru)) {
			bad_page(node, pfn + i, "still on an LRU list");
			return false;
		}
		if (PageFlag(p, PG_slab)) {
			bad_page(node, pfn + i, "still owned by a slab cache");
			return false;
		}
		if (p->_mapcount != -1) {
			bad_page(node, pfn + i, "still mapped (nonzero mapcount)");
			return false;
		}
	}
	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = pfn_to_page(node, pfn + i);

		flush_icache_page(node, p);
		p->flags = 0;
		p->_refcount = 0;
		p->private = 0;
		p->mapping = NULL;
		p->index = 0;
		p->slab_cache = NULL;
		p->freelist = NULL;
	}
	return true;
}

void __free_pages(struct pglist_data *node, struct page *page, unsigned int order)
{
	pfn_t pfn = page_to_pfn(node, page);

	if (!free_pages_prepare(node, pfn, order))
		return;
	__free_one_page(node, pfn_zone(node, pfn), pfn, order, false);
	count_vm_events(node, PGFREE, 1UL << order);
}

/* Linux's __free_pages_core(): the frames become managed by the zone. They
 * go to the tail of the lists so that early allocations come from low
 * addresses, as on a freshly booted Linux. */
void memblock_free_pages(struct pglist_data *node, pfn_t pfn, unsigned int order)
{
	struct zone *zone = pfn_zone(node, pfn);

	zone->managed_pages += 1UL << order;
	__free_one_page(node, zone, pfn, order, true);
	count_vm_events(node, PGFREE, 1UL << order);
}

void put_page(struct pglist_data *node, struct page *page)
{
	if (page->_refcount <= 0) {
		bad_page(node, page_to_pfn(node, page), "put_page with a zero refcount");
		return;
	}
	if (--page->_refcount == 0) {
		/* Linux's __page_cache_release. */
		if (PageFlag(page, PG_lru))
			del_page_from_lru(node, page);
		__free_pages(node, page, compound_order(page));
	}
}

unsigned long nr_free_pages(const struct pglist_data *node)
{
	return (unsigned long)node->stat.stat[NR_FREE_PAGES];
}

unsigned long totalram_pages(const struct pglist_data *node)
{
	unsigned long total = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		total += node->node_zones[z].managed_pages;
	return total;
}

void clear_highpage(struct pglist_data *node, struct page *page)
{
	flush_icache_page(node, page);
	memset(page_address(node, page), 0, PAGE_SIZE);
}

void copy_highpage(struct pglist_data *node, struct page *to, struct page *from)
{
	flush_icache_page(node, to);
	memcpy(page_address(node, to), page_address(node, from), PAGE_SIZE);
}

/* Linux's lib/math/int_sqrt.c: floor(sqrt(x)), one result bit a step. */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long b, m, y = 0;

	if (x <= 1)
		return x;
	m = 1UL << ((63 - __builtin_clzl(x)) & ~1);
	while (m != 0) {
		b = y + m;
		y >>= 1;
		if (x >= b) {
			x -= b;
			y += m;
		}
		m >>= 2;
	}
	return y;
}

/* x * n / d without overflowing x * n (Linux's mult_frac). */
static unsigned long mult_frac(unsigned long x, unsigned long n, unsigned long d)
{
	return (x / d) * n + (x % d) * n / d;
}

/*
 * Linux's __setup_per_zone_wmarks() (mm/page_alloc.c, 6.1): min_free_kbytes
 * is shared out between zones in proportion to their managed pages,
 *   min  = pages_min * managed / lowmem_pages
 *   gap  = max(min / 4, managed * watermark_scale_factor / 10000)
 *   low  = min + gap
 *   high = min + 2 * gap
 * For guests below about 1 GiB, min / 4 is the larger term, which gives the
 * classic low = min + min/4, high = min + min/2.
 */
static void __setup_per_zone_wmarks(struct pglist_data *node)
{
	unsigned long pages_min = node->min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = totalram_pages(node);

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &node->node_zones[z];
		unsigned long min = 0, gap = 0;

		if (lowmem_pages) {
			min = (unsigned long)((uint64_t)pages_min * zone->managed_pages /
					      lowmem_pages);
			gap = mult_frac(zone->managed_pages, WATERMARK_SCALE_FACTOR, 10000);
			if (gap < min >> 2)
				gap = min >> 2;
		}
		zone->watermark[WMARK_MIN] = min;
		zone->watermark[WMARK_LOW] = min + gap;
		zone->watermark[WMARK_HIGH] = min + 2 * gap;
	}
	for (int w = 0; w < NR_WMARK; w++) {
		node->wmark_pages[w] = 0;
		for (int z = 0; z < MAX_NR_ZONES; z++)
			node->wmark_pages[w] += node->node_zones[z].watermark[w];
	}
}

/*
 * Linux's calculate_min_free_kbytes():
 *   min_free_kbytes = int_sqrt(lowmem_kbytes * 16), clamped to [128, 262144]
 * where lowmem_kbytes is nr_free_buffer_pages() in kB: the managed pages of
 * every zone up to ZONE_NORMAL (all of ours) less their high watermarks,
 * which are still zero when the node is set up.
 */
void init_per_zone_wmark_min(struct pglist_data *node)
{
	unsigned long lowmem_kbytes = 0, kbytes;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &node->node_zones[z];

		if (zone->managed_pages > zone->watermark[WMARK_HIGH])
			lowmem_kbytes += (zone->managed_pages - zone->watermark[WMARK_HIGH]) *
					 (PAGE_SIZE >> 10);
	}
	kbytes = int_sqrt(lowmem_kbytes * 16);
	if (kbytes < 128)
		kbytes = 128;
	if (kbytes > 262144)
		kbytes = 262144;
	node->min_free_kbytes = kbytes;
	__setup_per_zone_wmarks(node);
}
