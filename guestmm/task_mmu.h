/* Per-mapping and per-mm memory statistics as /proc/PID/smaps and
 * smaps_rollup compute them (Linux's fs/proc/task_mmu.c): RSS, PSS with
 * PSS_SHIFT precision, shared/private clean/dirty, anonymous, swap. */
#ifndef GUESTMM_TASK_MMU_H
#define GUESTMM_TASK_MMU_H

#include "mm.h"

#define PSS_SHIFT 12

/* Sizes in bytes; pss* in bytes << PSS_SHIFT, as Linux keeps them. */
struct mem_size_stats {
	uint64_t resident;
	uint64_t shared_clean, shared_dirty, private_clean, private_dirty;
	uint64_t referenced, anonymous, lazyfree, anonymous_thp, shmem_thp;
	uint64_t swap, swap_pss;
	uint64_t pss, pss_anon, pss_file, pss_shmem, pss_dirty, pss_locked;
	uint64_t locked;
};

/* Adds one VMA's pages to mss (smap_gather_stats). */
void smap_gather_stats(struct vm_area_struct *vma, struct mem_size_stats *mss);
/* The whole address space (smaps_rollup). */
void smaps_rollup(struct mm_struct *mm, struct mem_size_stats *mss);

/* Linux's /proc/PID/pagemap: one 64-bit entry per virtual page. */
#define PM_PFRAME_MASK   ((1ULL << 55) - 1)
#define PM_SOFT_DIRTY    (1ULL << 55)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define PM_FILE          (1ULL << 61)
#define PM_SWAP          (1ULL << 62)
#define PM_PRESENT       (1ULL << 63)
/* The pagemap entry of the page at addr (Linux's pte_to_pagemap_entry):
 * present pages give their frame number (when show_pfn, as Linux shows
 * it to CAP_SYS_ADMIN only), swapped ones their swap type and offset. */
uint64_t pagemap_entry(struct mm_struct *mm, uint64_t addr, bool show_pfn);

#endif
