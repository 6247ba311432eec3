/* Guest physical memory: node set-up with memblock-style reservations, zones,
 * and the buddy allocator (guestmm/page_alloc.c, guestmm/memblock.c). */
#ifndef GUESTMM_PAGE_ALLOC_H
#define GUESTMM_PAGE_ALLOC_H

#include "mmzone.h"

/* gfp flags: only what the guest mm distinguishes. */
typedef unsigned int gfp_t;
#define __GFP_ZERO    0x1u   /* zero the frames */
#define __GFP_DMA     0x2u   /* from ZONE_DMA */
#define __GFP_DMA32   0x4u   /* from ZONE_DMA32 or lower */
#define __GFP_NOWARN  0x8u
#define __GFP_COMP    0x10u  /* a compound page: PG_head, order in private */
#define __GFP_NORETRY 0x20u  /* no reclaim, no OOM kill: fail instead */
#define GFP_KERNEL    0u
#define GFP_USER      0u
#define GFP_HIGHUSER_MOVABLE 0u

/* Builds a node over `ram` (nr_pages frames, host memory the caller owns and
 * that reads as zero), reserves the frames Linux's memblock would (its own
 * mem_map, the zero page, frame 0), and frees the rest into the buddy lists.
 * Returns NULL when host memory for the metadata cannot be had. */
struct pglist_data *pgdat_create(uint8_t *ram, unsigned long nr_pages,
				 const struct mm_host_ops *ops, void *host);
void pgdat_destroy(struct pglist_data *node);

/* Boot-time hand-over from memblock.c to the buddy allocator, as in Linux:
 * memblock_free_pages gives it one aligned block of never-used frames, and
 * init_per_zone_wmark_min sets min_free_kbytes and every zone's watermarks
 * from the managed pages (call it again when managed_pages change). */
void memblock_free_pages(struct pglist_data *node, pfn_t pfn, unsigned int order);
void init_per_zone_wmark_min(struct pglist_data *node);

/* Buddy allocator. Returned pages have _refcount 1 and _mapcount -1.
 * Allocations that would take free memory below the low watermark go the
 * slow way (Linux's __alloc_pages_slowpath): wake kswapd, take from above
 * the min watermark, reclaim directly, and as a last resort call the OOM
 * killer; only reclaim itself, an OOM victim, or a node where nobody can
 * be killed dips into the reserves below min. */
struct page *alloc_pages(struct pglist_data *node, gfp_t gfp, unsigned int order);
static inline struct page *alloc_page(struct pglist_data *node, gfp_t gfp)
{
	return alloc_pages(node, gfp, 0);
}
/* Frees 2^order frames starting at page, coalescing with free buddies. A
 * frame marked PG_exec has its translated code invalidated first. */
void __free_pages(struct pglist_data *node, struct page *page, unsigned int order);

/* Reference counting: put_page frees the frame at refcount zero, taking
 * it off its LRU list first. */
static inline void get_page(struct page *page) { page->_refcount++; }
void put_page(struct pglist_data *node, struct page *page);
static inline int page_count(const struct page *page) { return page->_refcount; }
/* The order put_page frees: a __GFP_COMP head keeps it in private. */
static inline unsigned int compound_order(const struct page *page)
{
	return PageFlag(page, PG_head) ? page->private : 0;
}
static inline int page_mapcount(const struct page *page) { return page->_mapcount + 1; }

unsigned long nr_free_pages(const struct pglist_data *node);
unsigned long totalram_pages(const struct pglist_data *node);

/* Zero a frame through the host mapping. */
void clear_highpage(struct pglist_data *node, struct page *page);
void copy_highpage(struct pglist_data *node, struct page *to, struct page *from);
/* The kernel is about to rewrite a frame: if it holds translated code
 * (PG_exec), have the machine drop it (DESIGN.md fact 6). clear_highpage,
 * copy_highpage and __free_pages already do this. */
void flush_icache_page(struct pglist_data *node, struct page *page);

#endif
