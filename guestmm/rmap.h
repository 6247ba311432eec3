/* Reverse mapping: from a frame to every (mm, address) that maps it, for
 * reclaim's page_referenced and try_to_unmap (rmap.c), and the page-state
 * helpers memory.c shares with it. After Linux's mm/rmap.c. */
#ifndef GUESTMM_RMAP_H
#define GUESTMM_RMAP_H

#include "mm.h"

/*
 * The anon_vma of this guest mm is one object per fork family: exec (or
 * mm_alloc) starts a family, fork puts the child in its parent's. Every
 * anon page points at its family (page->mapping) and keeps its linear
 * index (page->index = vm_pgoff + offset in the VMA, which mremap
 * preserves), so the mms of the family and their VMAs whose pgoff range
 * holds the index are all the places that can map it. Linux keeps an
 * anon_vma per VMA plus chains to the ancestors' to narrow the search;
 * one per family visits more mms after long fork chains, never fewer.
 */
struct anon_vma {
	int refcount;                 /* mms in the family */
	struct list_head mms;         /* mm->anon_vma_node */
};

/* mm life cycle: mm_alloc joins the node's mm list; mmput leaves it. */
void mm_rmap_init(struct mm_struct *mm);
void mm_rmap_exit(struct mm_struct *mm);
/* fork: the child mm joins the parent's family. */
void anon_vma_fork(struct mm_struct *child, struct mm_struct *parent);
/* The VMA is about to get anon pages: its anon_vma, made if needed. */
struct anon_vma *anon_vma_prepare(struct vm_area_struct *vma);

/* Called for each PTE mapping the page; false stops the walk. */
typedef bool (*rmap_one_fn)(struct vm_area_struct *vma, uint64_t addr, pte_t *pte,
			    void *arg);
/* Visits every mapping of a mapped page (anon: its family; file: every
 * VMA of the node mapping its address_space at its index). */
void rmap_walk(struct pglist_data *node, struct page *page, rmap_one_fn fn, void *arg);

/* Linux's folio_referenced: how many PTEs had the Accessed bit (which is
 * cleared in each), with the vm_flags of those VMAs ORed into *vm_flags
 * (VM_LOCKED of any mapping too). Sets *need_flush when a bit was
 * cleared: the TLB may still hold the translations. */
int page_referenced(struct pglist_data *node, struct page *page, unsigned long *vm_flags,
		    bool *need_flush);
/* Linux's try_to_unmap: removes every PTE of the page (anon: replaced by
 * its swap entry, the page being in the swap cache; file: cleared),
 * carrying PTE dirt into PG_dirty. Fails on a VM_LOCKED mapping. The
 * caller flushes the TLB before the frame is reused. True when the page
 * is no longer mapped. */
bool try_to_unmap(struct pglist_data *node, struct page *page);

/* Linux's folio_mkclean: write-protects every PTE of a page-cache page and
 * clears their Dirty bits, carrying that dirt into the page (PG_dirty and
 * PG_host_stale). Returns how many PTEs changed: the TLB must be flushed. */
int page_mkclean(struct pglist_data *node, struct page *page);

/* ---- page state shared by memory.c, rmap.c and vmscan.c ---- */
void add_mm_counter(struct mm_struct *mm, int member, long value);
/* Drops one mapping of page from mm (the PTE's reference is the caller's). */
void page_remove_rmap(struct mm_struct *mm, struct page *page);
/* A host-file page-cache page (not anon, not shmem). */
bool page_is_file_cache(const struct page *page);
/* Dirties a page through a mapping (a store, or a dirty PTE going away):
 * a page-cache page is then PG_host_stale too, its bytes not in the host
 * file until writeback. */
void set_page_dirty(struct pglist_data *node, struct page *page);
void clear_page_dirty(struct pglist_data *node, struct page *page);

#endif
