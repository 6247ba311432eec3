/* Compaction, after Linux's mm/compaction.c: a failed costly allocation
 * with memory free empties one aligned block of movable pages so that the
 * buddy allocator merges it; the fragmentation index and deferral. */
/*
 * Linux runs a migration scanner up from the bottom of the zone and a free
 * scanner down from the top. Here the migration side picks the one aligned
 * block of 2^order frames, lowest first among the cheapest, whose in-use
 * frames are all movable (migrate.c's page_movable), and the free side is
 * the buddy allocator itself: targets are order-0 allocations, and any
 * that land inside the chosen block are held aside until the block is
 * empty, so the frees at the end merge it whole. One TLB flush covers
 * every moved PTE before the old frames are freed.
 */
#include <stdlib.h>

#include "huge_memory.h"
#include "swap.h"

/* /proc/sys/vm/extfrag_threshold: below this index a failure is a lack
 * of memory, which compaction cannot help. */
#define EXTFRAG_THRESHOLD 500
#define COMPACT_MAX_DEFER_SHIFT 6

struct contig_page_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};

static void fill_contig_page_info(const struct zone *zone, unsigned int order,
				  struct contig_page_info *info)
{
	*info = (struct contig_page_info){ 0 };
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		unsigned long blocks = zone->free_area[o].nr_free;

		info->free_blocks_total += blocks;
		info->free_pages += blocks << o;
		if (o >= order)
			info->free_blocks_suitable += blocks << (o - order);
	}
}

int fragmentation_index(struct pglist_data *node, const struct zone *zone, unsigned int order)
{
	struct contig_page_info info;
	unsigned long requested = 1UL << order;

	(void)node;
	fill_contig_page_info(zone, order, &info);
	if (!info.free_blocks_total)
		return 0;
	if (info.free_blocks_suitable)
		return -1000;
	return 1000 - (int)((1000 + info.free_pages * 1000 / requested) / info.free_blocks_total);
}

static void tlb_flush(struct pglist_data *node)
{
	if (node->ops && node->ops->flush_tlb)
		node->ops->flush_tlb(node->host);
}

/* In-use frames of the block at start if all are movable, else -1. */
static long block_used_movable(struct pglist_data *node, pfn_t start, unsigned long nr)
{
	long used = 0;

	for (pfn_t pfn = start; pfn < start + nr;) {
		struct page *page = pfn_to_page(node, pfn);

		if (PageFlag(page, PG_buddy)) {
			pfn += 1UL << page->private;
			continue;
		}
		if (!page_movable(node, page))
			return -1;
		used++;
		pfn++;
	}
	return used;
}

bool pageblock_movable(struct pglist_data *node, pfn_t block_start)
{
	unsigned long nr = 1UL << HPAGE_PMD_ORDER;

	for (pfn_t pfn = block_start; pfn < block_start + nr && pfn < node->node_present_pages;) {
		struct page *page = pfn_to_page(node, pfn);

		if (PageFlag(page, PG_buddy) || PageFlag(page, PG_head)) {
			/* Free, or a THP (which Linux would migrate whole). */
			if (PageFlag(page, PG_head) && !PageFlag(page, PG_anon))
				return false;
			pfn += 1UL << page->private;
			continue;
		}
		if (PageFlag(page, PG_reserved) || PageFlag(page, PG_slab) ||
		    PageFlag(page, PG_pgtable) || PageFlag(page, PG_zero) ||
		    (!PageFlag(page, PG_lru) && page_count(page)))
			return false;
		pfn++;
	}
	return true;
}

/* The cheapest block of the zone to empty, or (pfn_t)-1. */
static pfn_t pick_block(struct pglist_data *node, const struct zone *zone, unsigned int order,
			unsigned long free_outside_max)
{
	unsigned long nr = 1UL << order;
	pfn_t start = (zone->zone_start_pfn + nr - 1) & ~(nr - 1);
	pfn_t end = zone->zone_start_pfn + zone->spanned_pages;
	pfn_t best = (pfn_t)-1;
	long best_used = -1;

	for (pfn_t b = start; b + nr <= end; b += nr) {
		long used = block_used_movable(node, b, nr);

		if (used <= 0 || (unsigned long)used > free_outside_max)
			continue;
		if (best_used < 0 || used < best_used) {
			best = b;
			best_used = used;
		}
	}
	return best;
}

/* Empties the block: true when it is one free block of `order` after. */
static bool compact_block(struct pglist_data *node, pfn_t start, unsigned int order)
{
	unsigned long nr = 1UL << order;
	struct page **held = calloc(2 * nr, sizeof(*held));
	unsigned long nr_held = 0;
	bool ok = true;
	struct page *head;

	if (!held)
		return false;
	for (pfn_t pfn = start; pfn < start + nr && ok;) {
		struct page *page = pfn_to_page(node, pfn), *new = NULL;

		if (PageFlag(page, PG_buddy)) {
			pfn += 1UL << page->private;
			continue;
		}
		/* A target outside the block; frames of the block itself that
		 * the allocator hands out are kept until the end. */
		while (!new && nr_held < 2 * nr) {
			struct page *p = alloc_pages(node, __GFP_NORETRY | __GFP_NOWARN, 0);
			pfn_t t;

			if (!p)
				break;
			t = page_to_pfn(node, p);
			if (t >= start && t < start + nr)
				held[nr_held++] = p;
			else
				new = p;
		}
		if (!new || migrate_page(node, page, new)) {
			if (new)
				put_page(node, new);
			ok = false;
			break;
		}
		held[nr_held++] = page;  /* the old frame: freed after the flush */
		pfn++;
	}
	tlb_flush(node);
	for (unsigned long i = 0; i < nr_held; i++)
		put_page(node, held[i]);
	free(held);
	head = pfn_to_page(node, start);
	return ok && PageFlag(head, PG_buddy) && head->private >= order;
}

/* Linux's __compaction_suitable: enough free memory that, once merged,
 * the block can be taken while staying above the low watermark. */
static bool compaction_suitable(struct pglist_data *node, unsigned int order)
{
	return nr_free_pages(node) >= node->wmark_pages[WMARK_LOW] + (2UL << order);
}

bool try_to_compact_pages(struct pglist_data *node, unsigned int order)
{
	bool stalled = false;

	if (!order || order > MAX_ORDER || node->in_reclaim)
		return false;
	/* Linux's compaction_deferred: after failures, try only every
	 * 2^defer_shift-th time. */
	if (node->compact_defer_shift &&
	    ++node->compact_considered < (1u << node->compact_defer_shift))
		return false;
	if (!compaction_suitable(node, order))
		return false;
	for (int z = node->nr_zones - 1; z >= 0; z--) {
		struct zone *zone = &node->node_zones[z];
		int fragindex;
		pfn_t block;

		if (!zone->present_pages)
			continue;
		fragindex = fragmentation_index(node, zone, order);
		/* A lack of memory, or a block free already (the watermarks
		 * refused it): nothing for compaction to do here. */
		if ((fragindex >= 0 && fragindex <= EXTFRAG_THRESHOLD) || fragindex == -1000)
			continue;
		if (!stalled) {
			stalled = true;
			count_vm_event(node, COMPACTSTALL);
		}
		block = pick_block(node, zone, order, nr_free_pages(node));
		if (block != (pfn_t)-1 && compact_block(node, block, order))
			goto success;
	}
	if (stalled) {
		count_vm_event(node, COMPACTFAIL);
		node->compact_considered = 0;
		if (node->compact_defer_shift < COMPACT_MAX_DEFER_SHIFT)
			node->compact_defer_shift++;
	}
	return false;
success:
	count_vm_event(node, COMPACTSUCCESS);
	node->compact_considered = 0;
	node->compact_defer_shift = 0;
	return true;
}
