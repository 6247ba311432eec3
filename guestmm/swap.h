/* Memory pressure: the LRU lists (swap.c), the compressed swap device and
 * the swap cache (swapfile.c, zsmalloc.c), reclaim and kswapd (vmscan.c),
 * and the OOM killer (oom_kill.c). After Linux's include/linux/swap.h. */
#ifndef GUESTMM_SWAP_H
#define GUESTMM_SWAP_H

#include "mm.h"

/* ---- LRU lists (swap.c) ---- */
/* Which list family a page belongs on: file pages are those not backed by
 * swap (Linux's page_is_file_lru); anon and shmem pages are anon. */
static inline bool page_is_file_lru(const struct page *page)
{
	return !PageFlag(page, PG_swapbacked);
}
/* A new page enters the inactive list of its kind (first fault, page-cache
 * insertion, swap-in), as Linux 6.1's folio_add_lru. */
void lru_cache_add(struct pglist_data *node, struct page *page);
/* Off its list (PG_lru cleared), counters kept exact. */
void del_page_from_lru(struct pglist_data *node, struct page *page);
/* Linux's mark_page_accessed: inactive,unreferenced -> inactive,referenced
 * -> active. */
void mark_page_accessed(struct pglist_data *node, struct page *page);
/* The list a page on an LRU is on. */
static inline enum lru_list page_lru(const struct page *page)
{
	return (page_is_file_lru(page) ? LRU_FILE : 0) |
	       (PageFlag(page, PG_active) ? LRU_ACTIVE : 0);
}

/* ---- the swap device (swapfile.c) ---- */
/* Swap lives in host memory outside guest RAM, each page compressed with
 * zlib (like zram): same-filled pages keep only their fill word, pages
 * that do not compress are stored raw, and a crc32 of every page is
 * checked when it is read back. */
#define SWAP_DEFAULT_LEVEL 1
/* Readahead reads the aligned cluster of 2^SWAP_RA_ORDER slots around a
 * fault (Linux's page-cluster, default 3). */
#define SWAP_RA_ORDER 3

/* Gives the node a swap device of nr_pages pages (0: none), zlib level
 * 0..9. 0 or -ENOMEM / -EINVAL / -EBUSY (swap in use). */
int swapon(struct pglist_data *node, unsigned long nr_pages, int level);
/* Removes it; only when no entry is in use (-EBUSY otherwise). */
int swapoff(struct pglist_data *node);
/* pgdat_destroy: frees the device whatever it holds. */
void swap_destroy(struct pglist_data *node);

static inline swp_entry_t page_swap_entry(const struct page *page)
{
	return swp_entry(0, page->private);
}

/* A free slot for page (PG_anon, not yet in the swap cache), the page put
 * in the swap cache under it and marked dirty. False when swap is full. */
bool add_to_swap(struct pglist_data *node, struct page *page);
/* One more PTE references the entry (try_to_unmap, fork). 0 or -EINVAL. */
int swap_duplicate(struct pglist_data *node, swp_entry_t entry);
/* One PTE less (swap-in). The slot is freed when nothing references it. */
void swap_free(struct pglist_data *node, swp_entry_t entry);
/* zap: a swap PTE goes; a cached page nobody maps goes with the last one. */
void free_swap_and_cache(struct pglist_data *node, swp_entry_t entry);
/* PTEs referencing the entry. */
int swp_swapcount(struct pglist_data *node, swp_entry_t entry);
/* The swap cache: the page of an entry while it is in memory. */
struct page *lookup_swap_cache(struct pglist_data *node, swp_entry_t entry);
/* Takes the page out of the swap cache, dropping the cache's reference;
 * the slot is freed too when no PTE references it. */
void delete_from_swap_cache(struct pglist_data *node, struct page *page);
/* A swap-cache page whose entry no PTE references leaves the cache (the
 * copy in swap is then useless). True if it did. */
bool try_to_free_swap(struct pglist_data *node, struct page *page);
/* Linux's vm_swap_full: more than half the slots used. */
bool vm_swap_full(struct pglist_data *node);

/* Compresses the page into its slot (the page is in the swap cache):
 * 0, or -ENOMEM when host memory for it cannot be had. pswpout. */
int swap_writepage(struct pglist_data *node, struct page *page);
/* The page of entry, from the swap cache or read (decompressed, crc32
 * checked) into a new page added to the swap cache and the LRU, with
 * neighbouring entries read ahead. Returns it with a reference taken, or
 * NULL with *err = -ENOMEM, or -EIO when the stored copy is corrupt (which
 * is logged, and a fault turns into SIGBUS). *major is set when read. */
struct page *swapin_readahead(struct pglist_data *node, swp_entry_t entry, bool *major,
			      int *err);

/* What /proc/meminfo and a benchmark want to know, in pages and bytes. */
struct swap_stats {
	unsigned long total_pages, free_pages, cached_pages;
	unsigned long stored_pages;      /* slots holding data */
	unsigned long same_filled_pages, raw_pages;
	uint64_t compressed_bytes;       /* payload of compressed objects */
	uint64_t pool_bytes;             /* host memory holding them */
	unsigned long crc_errors;
};
void swap_get_stats(struct pglist_data *node, struct swap_stats *st);
/* Tests: flips a byte of the stored copy of entry (or of its fill word),
 * so that the next read must fail its crc32. 0 or -ENOENT. */
int swap_corrupt_entry(struct pglist_data *node, swp_entry_t entry);

/* ---- reclaim (vmscan.c) ---- */
#define DEFAULT_SWAPPINESS 60
/* Direct reclaim from the allocation slow path: frees at least a batch of
 * pages if it can. Returns the pages reclaimed. allocstall, pgscan_direct,
 * pgsteal_direct. */
unsigned long try_to_free_pages(struct pglist_data *node, unsigned int gfp, int order);
/* Sets node->kswapd_wake when free memory fell below the low watermark. */
void wakeup_kswapd(struct pglist_data *node);
/* kswapd's work, run by the machine between guest time slices when
 * node->kswapd_wake is set: reclaims until free memory is above the high
 * watermark (or nothing more can be reclaimed), then sleeps again. */
void kswapd_run(struct pglist_data *node);
/* Reclaims up to nr pages as kswapd would, whatever the watermarks (tests,
 * pressure injection). Returns the pages reclaimed. */
unsigned long shrink_node_pages(struct pglist_data *node, unsigned long nr);
/* madvise: MADV_PAGEOUT reclaims one page now, whatever its references
 * (returns 1 if it was freed); MADV_COLD moves one to the tail of its
 * inactive list. */
unsigned long reclaim_page_now(struct pglist_data *node, struct page *page);
void deactivate_page(struct pglist_data *node, struct page *page);
/* One pass over a whole list, as shrink_node would make over part of it
 * (tests): an active list ages (pages go inactive unless referenced and
 * executable file pages), an inactive one is reclaimed (referenced pages
 * activated or kept, the others freed). */
void shrink_lru_list_all(struct pglist_data *node, enum lru_list lru);

/* ---- the memory cgroup (vmscan.c) ---- */
/* Pages charged to the guest's memory cgroup: those on the LRU lists. */
unsigned long memcg_usage(const struct pglist_data *node);
/* Makes room under node->memcg_limit for 2^order more pages (reclaim, then
 * the memcg OOM killer); false when there is none to be had. alloc_pages
 * calls it. */
bool mem_cgroup_try_charge(struct pglist_data *node, unsigned int gfp, unsigned int order);

/* ---- the OOM killer (oom_kill.c) ---- */
#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000
#define LONG_MIN_BADNESS (-0x7fffffffffffffffL - 1)
/* Linux's oom_badness: rss + swap entries + page-table pages, plus
 * oom_score_adj thousandths of totalpages; LONG_MIN_BADNESS for
 * OOM_SCORE_ADJ_MIN (never killed). */
long oom_badness(struct mm_struct *mm, int oom_score_adj, unsigned long totalpages);
/* /proc/PID/oom_score: badness scaled to 0..2000 as Linux's proc_oom_score. */
unsigned long oom_score(struct mm_struct *mm, int oom_score_adj, unsigned long totalpages);
/* RAM plus swap, in pages. */
unsigned long oom_totalpages(struct pglist_data *node);
/* Linux's out_of_memory: asks the machine to kill (ops->oom_kill); true
 * when the allocation may be retried. */
bool out_of_memory(struct pglist_data *node, unsigned int gfp, int order);
/* The same for the memory cgroup's limit ("Memory cgroup out of memory"). */
bool mem_cgroup_out_of_memory(struct pglist_data *node, unsigned int gfp, int order);
/* The lines Linux prints, through the node's log: dump_header's
 * "COMM invoked oom-killer: ..." and Mem-Info, then the kill. */
void oom_report_header(struct pglist_data *node, const struct oom_control *oc,
		       const char *comm, int oom_score_adj);
void oom_report_kill(struct pglist_data *node, const struct oom_control *oc,
		     struct mm_struct *mm, int pid, const char *comm, unsigned int uid,
		     int oom_score_adj);

#endif
