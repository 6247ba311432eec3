/* The node: guest physical memory, its struct page array, zones with buddy
 * free lists, the system-wide counters, and the hooks into the machine. */
#ifndef GUESTMM_MMZONE_H
#define GUESTMM_MMZONE_H

#include "mm_types.h"
#include "vmstat.h"

enum zone_type {
	ZONE_DMA,     /* below 16 MiB */
	ZONE_DMA32,   /* below 4 GiB */
	ZONE_NORMAL,
	MAX_NR_ZONES
};

/* Zone boundaries, as x86-64's asm/dma.h puts them: 16 MiB and 4 GiB. Both
 * are multiples of a MAX_ORDER block, so no buddy pair straddles a zone. */
#define MAX_DMA_PFN   ((16UL << 20) >> PAGE_SHIFT)
#define MAX_DMA32_PFN ((4UL << 30) >> PAGE_SHIFT)

struct free_area {
	struct list_head free_list;
	unsigned long nr_free;
};

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

struct zone {
	const char *name;
	pfn_t zone_start_pfn;
	unsigned long spanned_pages;
	unsigned long present_pages;
	unsigned long managed_pages;   /* present minus memblock reservations */
	unsigned long watermark[NR_WMARK];
	unsigned long nr_free_pages;
	struct free_area free_area[MAX_ORDER + 1];
};

/* The LRU lists of a node (Linux's lruvec): anon and file pages, each on
 * an inactive and an active list, in the order of vmstat's NR_*_ANON/FILE
 * counters so that NR_INACTIVE_ANON + lru is the list's counter. */
enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	NR_LRU_LISTS
};
#define LRU_ACTIVE 1
#define LRU_FILE 2

struct lruvec {
	struct list_head lists[NR_LRU_LISTS];
	unsigned long nr_pages[NR_LRU_LISTS];
};

/* What the OOM killer asks of the machine (oom_kill.c, mm_host_ops). */
struct oom_control {
	unsigned int gfp_mask;
	int order;
	unsigned long totalpages;     /* RAM + swap, oom_badness's scale */
	bool memcg;                   /* the memory cgroup's limit, not RAM */
	/* Filled in by the machine: did a kill free (or start freeing)
	 * memory, and was the victim the allocating task itself? */
	bool killed;
	bool victim_is_current;
};

/* Host operations of the guest mm that fault injection may fail (tests). */
enum mm_inject_point {
	MM_INJECT_FILE_READ,      /* reading a page-cache page from its host file */
	MM_INJECT_FILE_WRITE,     /* writing one back */
	MM_INJECT_DEFLATE,        /* compressing a page for swap */
	MM_INJECT_INFLATE,        /* decompressing one at swap-in */
};

/* What the guest mm needs from the machine around it. guestmm never talks to
 * the CPU emulator itself; these are its only ways out. Any may be NULL. */
struct mm_host_ops {
	/* Drop every cached translation (TLB). */
	void (*flush_tlb)(void *host);
	/* The frame held code that was translated for execution: drop those
	 * translations before the frame is freed or rewritten. */
	void (*invalidate_code)(void *host, pfn_t pfn);
	/* Free-form diagnostics; level as syslog (3 error .. 7 debug). */
	void (*log)(void *host, int level, const char *msg);
	/* Out of memory: choose a victim among the tasks (oom_badness over
	 * their mms, oom_score_adj honoured), log the kill with
	 * oom_kill_report(), kill it and free its memory before returning
	 * when it is not the task allocating. Optional: without it nothing is
	 * killed and the allocation may use the reserves, then fail. */
	void (*oom_kill)(void *host, struct oom_control *oc);
	/* A reclaim run ended (kswapd's, or a direct one): pages scanned
	 * and reclaimed. Optional; for reports. */
	void (*reclaim_done)(void *host, unsigned long scanned, unsigned long reclaimed,
			     bool direct);
	/* Fault injection: 0 lets the host operation at point go ahead, a
	 * -errno makes it fail with that error. Optional. */
	int (*inject)(void *host, enum mm_inject_point point);
};

struct kmem_cache;
struct swap_info_struct;

struct pglist_data {
	uint8_t *ram;                  /* host mapping of guest-physical 0 */
	unsigned long node_present_pages;
	struct page *mem_map;
	int nr_zones;
	struct zone node_zones[MAX_NR_ZONES];
	unsigned long reserved_pages;  /* memblock reservations (mem_map, ...) */

	pfn_t zero_pfn;                /* the shared zero page */

	struct vm_counters stat;       /* vmstat: system-wide counters and events */

	struct list_head address_spaces; /* the page cache: one per host file */
	unsigned long shmem_last_ino;  /* inode numbers given to shmem files */

	struct list_head slab_caches;
	struct kmem_cache *vma_cachep;
	struct kmem_cache *mm_cachep;

	const struct mm_host_ops *ops;
	void *host;

	/* TLB shootdown batching (mmu_gather): frames to free after one flush. */
	int tlb_flush_pending;

	/* Frees refused as bad (double free, reserved frame, ...). Linux taints
	 * itself with TAINT_BAD_PAGE; a count lets tests see it too. */
	unsigned long bad_pages;
	unsigned long min_free_kbytes;  /* as in /proc/sys/vm/min_free_kbytes */
	unsigned long wmark_pages[NR_WMARK]; /* the zones' watermarks summed:
	                                  the node is balanced as a whole */

	/* Reclaim (vmscan.c, swap.c, rmap.c, swapfile.c, oom_kill.c). */
	struct lruvec lruvec;
	struct list_head mmlist;        /* every mm_struct of the node */
	struct swap_info_struct *swap;  /* the swap device, NULL without */
	int swappiness;                 /* /proc/sys/vm/swappiness (60) */
	bool kswapd_wake;               /* the machine should call kswapd_run */
	int kswapd_failures;            /* runs in a row that reclaimed nothing */
	bool in_reclaim;                /* PF_MEMALLOC: no recursion, reserves */
	bool oom_reserves;              /* an OOM victim is exiting: may dip */

	/* One memory cgroup holding every guest task (Linux's memory.max of
	 * cgroup v2, pressure injection): pages on the LRU lists are its
	 * usage, which allocations may not take past memcg_limit (pages; 0:
	 * no limit) without reclaim, then the OOM killer, making room. */
	unsigned long memcg_limit;
	unsigned long memcg_failcnt;    /* allocations that hit the limit */
	unsigned long memcg_oom_kills;

	/* Transparent huge pages (huge_memory.c, khugepaged.c, compaction.c). */
	int thp_enabled;                /* enum transparent_hugepage_mode */
	pfn_t huge_zero_pfn;            /* head of the huge zero page, 0: none yet */
	unsigned long huge_zero_mappings; /* PMD leaves mapping it */
	unsigned int khugepaged_pages_to_scan;  /* PTEs a pass looks at */
	unsigned int khugepaged_max_ptes_none;  /* empty PTEs a collapse may fill */
	unsigned int khugepaged_ticks;          /* time slices since the last pass */
	unsigned int khugepaged_sleep;          /* slices between passes */
	bool khugepaged_wake;                   /* the machine should call khugepaged_scan */
	struct mm_struct *khugepaged_mm;        /* where the next pass resumes */
	uint64_t khugepaged_address;
	unsigned long khugepaged_full_scans;    /* passes over every mm */
	unsigned long khugepaged_pages_collapsed;
	unsigned int compact_considered;        /* compaction deferred: attempts */
	unsigned int compact_defer_shift;       /* skipped before the next try */
};

static inline struct page *pfn_to_page(struct pglist_data *node, pfn_t pfn)
{
	return &node->mem_map[pfn];
}
static inline pfn_t page_to_pfn(struct pglist_data *node, const struct page *page)
{
	return (pfn_t)(page - node->mem_map);
}
static inline void *pfn_to_virt(struct pglist_data *node, pfn_t pfn)
{
	return node->ram + (pfn << PAGE_SHIFT);
}
static inline void *page_address(struct pglist_data *node, const struct page *page)
{
	return pfn_to_virt(node, page_to_pfn(node, page));
}

/* 0, or the error fault injection gives the host operation at point. */
static inline int mm_inject(struct pglist_data *node, enum mm_inject_point point)
{
	return node->ops && node->ops->inject ? node->ops->inject(node->host, point) : 0;
}

#endif
