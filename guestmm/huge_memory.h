/* Transparent huge pages (huge_memory.c), khugepaged (khugepaged.c), and
 * the compaction (compaction.c) and migration (migrate.c) that make order-9
 * blocks. After Linux's huge_mm.h, khugepaged.h, compaction.h, migrate.h. */
#ifndef GUESTMM_HUGE_MEMORY_H
#define GUESTMM_HUGE_MEMORY_H

#include "mm.h"

/*
 * How a THP lives here (the invariants huge_memory.c keeps):
 * - it is a compound page of order HPAGE_PMD_ORDER: the head frame has
 *   PG_head (private = order), PG_anon, PG_swapbacked, the anon owner in
 *   mapping and the linear index of its first byte in index; the 511 tail
 *   frames carry no state at all (no flags, refcount 0, mapcount -1);
 * - it is only ever mapped by PMD leaves (present, PSE), never by PTEs: the
 *   head's _mapcount + 1 counts those leaves and each holds one reference.
 *   Whatever would map part of it (a partial munmap, mprotect, mremap,
 *   MADV_DONTNEED, a VMA split, COW without an order-9 block, reclaim)
 *   first splits it with split_huge_page: every PMD mapping it, in every
 *   mm, becomes a PTE table and the frames become 512 ordinary pages;
 * - the head is on the anon LRU once, counted as 512 pages; rss counts
 *   512 pages per leaf, NR_ANON_MAPPED 512 pages and NR_ANON_THPS one
 *   while it is mapped at all;
 * - the huge zero page (node->huge_zero_pfn, made on the first read fault
 *   that wants it) is mapped read-only by PMD leaves that, like the 4 KiB
 *   zero page's PTEs, hold neither a reference nor a mapcount; the node
 *   holds its one reference and counts the leaves (huge_zero_mappings),
 *   and reclaim frees it when none is left.
 */

#define HPAGE_PMD_NR (1UL << HPAGE_PMD_ORDER)
#define HPAGE_PMD_SIZE PMD_SIZE
#define HPAGE_PMD_MASK PMD_MASK

/* /sys/kernel/mm/transparent_hugepage/enabled. */
enum transparent_hugepage_mode {
	TRANSPARENT_HUGEPAGE_NEVER,
	TRANSPARENT_HUGEPAGE_MADVISE,   /* Debian's default */
	TRANSPARENT_HUGEPAGE_ALWAYS,
};

/* khugepaged's defaults (/sys/kernel/mm/transparent_hugepage/khugepaged). */
#define KHUGEPAGED_PAGES_TO_SCAN_DEFAULT (HPAGE_PMD_NR * 8)
#define KHUGEPAGED_MAX_PTES_NONE_DEFAULT (HPAGE_PMD_NR - 1)

static inline bool pmd_present(pmd_t pmd) { return pmd.pmd & _PAGE_PRESENT; }
static inline bool pmd_none(pmd_t pmd) { return pmd.pmd == 0; }
static inline bool pmd_trans_huge(pmd_t pmd)
{
	return (pmd.pmd & (_PAGE_PRESENT | _PAGE_PSE)) == (_PAGE_PRESENT | _PAGE_PSE);
}
static inline pfn_t pmd_pfn(pmd_t pmd) { return (pmd.pmd & PTE_PFN_MASK) >> PAGE_SHIFT; }
static inline bool is_huge_zero_pmd(const struct pglist_data *node, pmd_t pmd)
{
	return node->huge_zero_pfn && pmd_pfn(pmd) == node->huge_zero_pfn;
}
/* The head of the compound page holding pfn, or NULL. */
struct page *compound_head_of(struct pglist_data *node, pfn_t pfn);

/* ---- huge_memory.c ---- */
/* May addr's 2 MiB range of vma be a THP (Linux's hugepage_vma_check for
 * anonymous memory): a private anonymous VMA covering the whole aligned
 * range, the mode (or MADV_HUGEPAGE) allowing it, no MADV_NOHUGEPAGE. */
bool transhuge_vma_suitable(struct vm_area_struct *vma, uint64_t haddr);
/* Any 2 MiB range of vma may be? (khugepaged_enter's test.) */
bool hugepage_vma_check(struct vm_area_struct *vma);

/* Faults on a PMD (memory.c's __handle_mm_fault calls these): they return
 * VM_FAULT_FALLBACK when the caller must go on with 4 KiB pages. */
#define VM_FAULT_FALLBACK 0x0800
vm_fault_t do_huge_pmd_anonymous_page(struct vm_area_struct *vma, uint64_t haddr,
				      pmd_t *pmd, unsigned int flags);
vm_fault_t do_huge_pmd_wp_page(struct vm_area_struct *vma, uint64_t haddr, pmd_t *pmd,
			       unsigned int flags);

/* Linux's huge zero page shrinker: frees it when no leaf maps it. Returns
 * the pages freed. Reclaim calls it. */
unsigned long shrink_huge_zero_page(struct pglist_data *node);

/* An order-9 compound page for an anonymous THP, zeroed if asked; no
 * reclaim (compaction may run). NULL when none is to be had. */
struct page *alloc_hugepage(struct pglist_data *node, bool zero);
/* Maps a new THP (head) at haddr of vma through pmd: rmap, rss, LRU. */
void map_new_anon_thp(struct vm_area_struct *vma, uint64_t haddr, pmd_t *pmd,
		      struct page *head, bool writable);

/* Splits every PMD leaf of mm in [start, end) that the range only partly
 * covers (or every one when `all`), so that PTE-level code can work on the
 * range. 0, or -ENOMEM when a page table could not be had. */
int split_huge_pmd_range(struct mm_struct *mm, uint64_t start, uint64_t end, bool all);
/* Linux's vma_adjust_trans_huge: vma's boundaries are about to move to
 * start and end; leaves straddling them are split. */
int vma_adjust_trans_huge(struct vm_area_struct *vma, uint64_t start, uint64_t end);
/* Linux's split_huge_page: the THP whose head is given becomes 512 pages,
 * each PMD mapping it a PTE table. `extra` references besides the
 * mappings are the caller's. 0, -EBUSY (other references) or -ENOMEM. */
int split_huge_page(struct pglist_data *node, struct page *head, int extra);

/* Unmapping (zap_page_range): the leaf at pmd, wholly inside the range,
 * goes; its page, if any, is returned with the leaf's reference for the
 * caller's mmu_gather (NULL for the huge zero page). */
struct page *zap_huge_pmd(struct mm_struct *mm, pmd_t *pmd);
/* fork: copies the leaf at addr of src_vma into dst_vma's mm, write-
 * protecting it in both (the caller flushes). 0 or -ENOMEM. */
int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		  uint64_t addr, pmd_t *src_pmd, bool *wrprotected);
/* Calls fn for each PMD leaf of mm in [start, end) (addr is its 2 MiB
 * aligned start). A nonzero return stops the walk. */
typedef int (*pmd_leaf_fn)(pmd_t *pmd, uint64_t addr, void *arg);
int walk_pmd_leaves(struct mm_struct *mm, uint64_t start, uint64_t end, pmd_leaf_fn fn,
		    void *arg);
/* The PMD slot for addr, allocating the levels above; NULL on ENOMEM. */
pmd_t *pmd_alloc(struct mm_struct *mm, uint64_t addr);
/* Frees the PTE table below *pmd (clearing it); the table must be empty. */
void pte_free_table(struct mm_struct *mm, pmd_t *pmd);
/* A PTE table for a split: allocated and counted in mm, not yet linked. */
struct page *pte_alloc_one(struct mm_struct *mm);
void pte_free_one(struct mm_struct *mm, struct page *table);

/* ---- khugepaged.c ---- */
/* Linux's khugepaged_enter: the mm has a VMA where THPs are allowed, so
 * khugepaged looks at it from now on. */
void khugepaged_enter(struct vm_area_struct *vma);
/* mmput: the mm goes; the scan must not resume inside it. */
void khugepaged_exit(struct mm_struct *mm);
/* Is any mm registered, so a pass would have work? */
bool khugepaged_has_work(const struct pglist_data *node);
/* Called by the machine at the end of each time slice: every
 * node->khugepaged_sleep slices with work to do, sets node->khugepaged_wake
 * (khugepaged's scan_sleep_millisecs, in slices); the machine runs a pass
 * at its next stop. Returns true when the pass should not wait for one
 * (the CPU is to be stopped for it). The sleep is KHUGEPAGED_SLICES after
 * new work (a registration, a collapse), doubles after each pass that
 * collapsed nothing, up to KHUGEPAGED_SLICES_MAX; beyond
 * KHUGEPAGED_SLICES_FORCE passes wait for a stop. */
#define KHUGEPAGED_SLICES 4
#define KHUGEPAGED_SLICES_FORCE 16
#define KHUGEPAGED_SLICES_MAX 1024
bool khugepaged_tick(struct pglist_data *node);
/* One pass of khugepaged: scans up to khugepaged_pages_to_scan PTEs of the
 * registered mms, resuming where the last pass stopped, and collapses each
 * 2 MiB range of 4 KiB pages with at most max_ptes_none empty PTEs into a
 * THP. Returns the ranges collapsed. The machine calls it between slices. */
unsigned int khugepaged_scan(struct pglist_data *node);
/* madvise(MADV_COLLAPSE)-style: collapse [start, end) of mm now, as far as
 * it can be. Returns ranges collapsed, or -errno. */
int khugepaged_collapse_range(struct mm_struct *mm, uint64_t start, uint64_t end);

/* ---- compaction.c ---- */
/* Linux's fragmentation_index for an allocation of 2^order frames, in
 * thousandths: -1000 when a free block is big enough already, towards 0
 * when it fails for lack of memory, towards 1000 for fragmentation. */
int fragmentation_index(struct pglist_data *node, const struct zone *zone, unsigned int order);
/* Direct compaction for an allocation of 2^order frames that failed:
 * migrates movable pages out of one aligned block so that it becomes
 * free. compact_stall, compact_success (and compact_fail). True when a
 * block of that order is free afterwards. */
bool try_to_compact_pages(struct pglist_data *node, unsigned int order);
/* Whether the frame's pageblock (2^pageblock_order frames) holds only
 * free or movable frames: /proc/pagetypeinfo's Movable vs Unmovable. */
bool pageblock_movable(struct pglist_data *node, pfn_t block_start);

/* ---- migrate.c ---- */
/* Can the in-use frame be moved (an order-0 anon or page-cache page on an
 * LRU list, with no references besides its mappings and the cache)? */
bool page_movable(struct pglist_data *node, const struct page *page);
/* Linux's migrate_pages for one page: copies old into new (a fresh frame
 * with one reference), moves its state, every PTE mapping it (found
 * through the reverse map) and its page-cache slot over, and releases
 * old. The caller flushes the TLB before old can be reused, which is why
 * old is handed back with one reference for the caller to put. 0 or
 * -EBUSY / -EAGAIN, with nothing changed. */
int migrate_page(struct pglist_data *node, struct page *old, struct page *new);

#endif
