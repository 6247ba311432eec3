/* Page faults and unmapping: handle_mm_fault (demand zero, file faults,
 * copy-on-write, stack growth), zap_page_range with mmu_gather-style TLB
 * batching, and mm_populate. After Linux's mm/memory.c. */
/*
 * Invariants kept for every PTE this file installs or removes:
 * - a present PTE holds one reference on its frame (get/put_page) and one
 *   mapcount, except the shared zero page, which is neither counted nor
 *   referenced, as Linux's pte_special zero-page mappings;
 * - NR_ANON_MAPPED / NR_FILE_MAPPED count frames mapped at least once
 *   (_mapcount going -1 -> 0 and back), the mm's rss_stat counts PTEs;
 * - a PTE is writable (RW) only in a writable VMA, and for a private VMA
 *   only when the frame is an anon page this mm alone maps; shared file
 *   pages become writable through a write fault, which marks them dirty.
 * TLB: raising permissions needs no flush (the access that faulted refills
 * its entry); lowering them or changing the frame behind a translation the
 * TLB may hold does, before the old frame can be reused.
 */
#include <errno.h>
#include <stdlib.h>

#include "mm.h"
#include "filemap.h"
#include "huge_memory.h"
#include "readahead.h"
#include "shmem.h"
#include "rmap.h"
#include "swap.h"

static uint64_t linear_page_index(const struct vm_area_struct *vma, uint64_t addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

static void tlb_flush(struct pglist_data *node)
{
	if (node->ops && node->ops->flush_tlb)
		node->ops->flush_tlb(node->host);
}

/* ---- RSS and reverse-map accounting ---- */

/* Which rss counter a mapped page-cache frame belongs to: shmem pages are
 * RssShmem (Linux's mm_counter_file). */
static int mm_counter_file(const struct page *page)
{
	return PageFlag(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

/* Which rss counter a mapped frame belongs to (Linux's mm_counter). */
static int mm_counter(const struct page *page)
{
	if (PageFlag(page, PG_anon))
		return MM_ANONPAGES;
	return mm_counter_file(page);
}

void add_mm_counter(struct mm_struct *mm, int member, long value)
{
	long rss;

	mm->rss_stat[member] += value;
	if (value <= 0)
		return;
	rss = mm->rss_stat[MM_FILEPAGES] + mm->rss_stat[MM_ANONPAGES] +
	      mm->rss_stat[MM_SHMEMPAGES];
	if (rss > mm->hiwater_rss)
		mm->hiwater_rss = rss;
}

/* A page of the page cache (not anon, not shmem) as set_page_dirty sees it. */
bool page_is_file_cache(const struct page *page)
{
	return !PageFlag(page, PG_anon) && !PageFlag(page, PG_swapbacked) && page->mapping;
}

void set_page_dirty(struct pglist_data *node, struct page *page)
{
	if (page_is_file_cache(page))
		SetPageFlag(page, PG_host_stale);
	if (PageFlag(page, PG_dirty))
		return;
	SetPageFlag(page, PG_dirty);
	if (page_is_file_cache(page))
		mod_node_page_state(node, NR_FILE_DIRTY, 1);
}

void clear_page_dirty(struct pglist_data *node, struct page *page)
{
	if (!PageFlag(page, PG_dirty))
		return;
	ClearPageFlag(page, PG_dirty);
	if (page_is_file_cache(page))
		mod_node_page_state(node, NR_FILE_DIRTY, -1);
}

/* Linux's anon_vma_prepare: the VMA now has anon pages (fork copies its
 * PTEs; mremap and merging look at it), owned by the mm's fork family. */
static void *vma_anon_owner(struct vm_area_struct *vma)
{
	if (!vma->anon_vma)
		anon_vma_prepare(vma);
	return vma->anon_vma;
}

/* A fresh anon page mapped once: Linux's page_add_new_anon_rmap, and onto
 * the inactive anon list (folio_add_lru_vma). */
static void page_add_new_anon_rmap(struct vm_area_struct *vma, struct page *page,
				   uint64_t addr)
{
	SetPageFlag(page, PG_anon);
	SetPageFlag(page, PG_swapbacked);
	page->mapping = vma_anon_owner(vma);
	page->index = linear_page_index(vma, addr);
	page->_mapcount = 0;
	mod_node_page_state(vma->vm_mm->node, NR_ANON_MAPPED, 1);
	add_mm_counter(vma->vm_mm, MM_ANONPAGES, 1);
	lru_cache_add(vma->vm_mm->node, page);
}

/* An anon page already known (swap cache) mapped once more: Linux's
 * page_add_anon_rmap. Its first mapping gives it its owner and index. */
static void page_add_anon_rmap(struct vm_area_struct *vma, struct page *page,
			       uint64_t addr)
{
	if (++page->_mapcount == 0) {
		page->mapping = vma_anon_owner(vma);
		page->index = linear_page_index(vma, addr);
		mod_node_page_state(vma->vm_mm->node, NR_ANON_MAPPED, 1);
	}
	add_mm_counter(vma->vm_mm, MM_ANONPAGES, 1);
}

/* A page-cache page (host file or shmem) mapped once more. */
static void page_add_file_rmap(struct mm_struct *mm, struct page *page)
{
	if (++page->_mapcount == 0)
		mod_node_page_state(mm->node, NR_FILE_MAPPED, 1);
	add_mm_counter(mm, mm_counter_file(page), 1);
}

/* Drops one mapping of page from mm (the PTE's reference is the caller's). */
void page_remove_rmap(struct mm_struct *mm, struct page *page)
{
	struct pglist_data *node = mm->node;

	add_mm_counter(mm, mm_counter(page), -1);
	if (--page->_mapcount != -1)
		return;
	/* shmem pages stay Shmem while their file holds them: the cache,
	 * not the mappings, counts NR_SHMEM (filemap.c). */
	if (PageFlag(page, PG_anon))
		mod_node_page_state(node, NR_ANON_MAPPED, -1);
	else
		mod_node_page_state(node, NR_FILE_MAPPED, -1);
}

/* ---- building PTEs ---- */

static pteval_t vma_pte_prot(const struct vm_area_struct *vma, bool writable)
{
	pteval_t prot = vm_get_page_prot(vma->vm_flags);

	if (writable)
		prot |= _PAGE_RW | _PAGE_DIRTY;
	return prot;
}

static void set_pte(pte_t *pte, struct pglist_data *node, struct page *page, pteval_t prot)
{
	*pte = pfn_pte(page_to_pfn(node, page), prot);
}

/* ---- the fault handlers ---- */

static vm_fault_t do_anonymous_page(struct vm_area_struct *vma, uint64_t addr,
				    pte_t *pte, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct pglist_data *node = mm->node;
	struct page *page;

	/* Shared anonymous memory is a shmem file (shmem_zero_setup), so a
	 * shared VMA without a file has nothing behind it, as on Linux. */
	if (vma->vm_flags & VM_SHARED)
		return VM_FAULT_SIGBUS;
	/* A read maps the zero page; the first write replaces it (do_wp_page). */
	if (!(flags & FAULT_FLAG_WRITE)) {
		*pte = pfn_pte(node->zero_pfn, vma_pte_prot(vma, false));
		return 0;
	}
	page = alloc_page(node, __GFP_ZERO);
	if (!page)
		return VM_FAULT_OOM;
	page_add_new_anon_rmap(vma, page, addr);
	set_pte(pte, node, page, vma_pte_prot(vma, true));
	return 0;
}

static struct address_space *vma_mapping(struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file;

	if (file->f_mapping)
		return file->f_mapping;
	return file_mapping(vma->vm_mm->node, file);
}

/* Linux's fault_around_bytes (64 KiB): a read fault on a file mapping also
 * maps the cached pages around it, read-only, so that a sequential reader
 * takes one fault in 16, and its RSS grows as on Linux. */
#define FAULT_AROUND_PAGES 16

/* Linux's do_fault_around and filemap_map_pages: maps the up-to-date cached
 * pages of the aligned window around addr that have no PTE yet (not the
 * readahead marker, whose fault must start the next window). The window
 * lies in one page table. True when addr itself got mapped. */
static bool do_fault_around(struct vm_area_struct *vma, uint64_t addr, pte_t *pte,
			    struct address_space *mapping)
{
	struct mm_struct *mm = vma->vm_mm;
	struct pglist_data *node = mm->node;
	uint64_t start = addr & ~((uint64_t)FAULT_AROUND_PAGES * PAGE_SIZE - 1);
	uint64_t end = start + (uint64_t)FAULT_AROUND_PAGES * PAGE_SIZE, size, eof;
	bool mapped = false;

	if (filemap_host_size(mapping, &size))
		return false;
	eof = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (start < vma->vm_start)
		start = vma->vm_start;
	if (end > vma->vm_end)
		end = vma->vm_end;
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		pte_t *p = a >= addr ? pte + ((a - addr) >> PAGE_SHIFT)
				     : pte - ((addr - a) >> PAGE_SHIFT);
		uint64_t index = linear_page_index(vma, a);
		struct page *page;

		if (!pte_none(*p) || index >= eof)
			continue;
		page = filemap_lookup(mapping, index);
		if (!page || !PageFlag(page, PG_uptodate) || PageFlag(page, PG_readahead) ||
		    PageFlag(page, PG_locked))
			continue;
		get_page(page);
		page_add_file_rmap(mm, page);
		/* Young, as x86's vm_page_prot makes every new PTE. */
		set_pte(p, node, page, vma_pte_prot(vma, false) | _PAGE_ACCESSED);
		if (a == addr)
			mapped = true;
	}
	return mapped;
}

/*
 * A fault on a file VMA with no PTE: do_read_fault maps the cache page
 * read-only (shared writable mappings too, so the first store comes through
 * do_wp_page and dirties the page); do_cow_fault gives a private writer its
 * own copy; do_shared_fault maps the cache page writable and dirty. shmem
 * (shared anonymous memory) comes here too: its misses are zeroed pages.
 */
static vm_fault_t do_fault(struct vm_area_struct *vma, uint64_t addr, pte_t *pte,
			   unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct pglist_data *node = mm->node;
	struct address_space *mapping = vma_mapping(vma);
	struct page *page, *copy;
	bool major = false, was_read;
	uint64_t index;
	vm_fault_t ret;
	int err = 0;

	if (!mapping)
		return VM_FAULT_OOM;
	index = linear_page_index(vma, addr);
	if (!(flags & FAULT_FLAG_WRITE) && !shmem_mapping(mapping) &&
	    do_fault_around(vma, addr, pte, mapping))
		return 0;
	/* A miss reads the window around the page (Linux's read-around);
	 * the fault that had to wait for the host is the major one. */
	if (!shmem_mapping(mapping) && !filemap_lookup(mapping, index)) {
		filemap_fault_readaround(mapping, &vma->vm_file->f_ra, index);
		major = filemap_lookup(mapping, index) != NULL;
	}
	page = filemap_get_page(mapping, index, &was_read, &err);
	if (!page)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	if (PageFlag(page, PG_readahead)) {              /* do_async_mmap_readahead */
		ClearPageFlag(page, PG_readahead);
		page_cache_async_readahead(mapping, &vma->vm_file->f_ra, index,
					   vma->vm_file->f_ra.ra_pages);
	}
	ret = major || was_read ? VM_FAULT_MAJOR : 0;

	if (!(flags & FAULT_FLAG_WRITE)) {                      /* do_read_fault */
		page_add_file_rmap(mm, page);
		set_pte(pte, node, page, vma_pte_prot(vma, false));
		return ret;
	}
	if (!(vma->vm_flags & VM_SHARED)) {                     /* do_cow_fault */
		copy = alloc_page(node, 0);
		if (!copy) {
			put_page(node, page);
			return VM_FAULT_OOM;
		}
		copy_highpage(node, copy, page);
		put_page(node, page);
		page_add_new_anon_rmap(vma, copy, addr);
		set_pte(pte, node, copy, vma_pte_prot(vma, true));
		count_vm_event(node, COW_FAULT);
		return ret;
	}
	page_add_file_rmap(mm, page);                           /* do_shared_fault */
	set_page_dirty(node, page);
	set_pte(pte, node, page, vma_pte_prot(vma, true));
	return ret;
}

/*
 * A write to a present, read-only PTE in a writable VMA. Shared mappings
 * reuse the frame (dirtying a cache page); a private anon page that only
 * this PTE maps and references is reused too; anything else — the zero
 * page, a file page, an anon page shared after fork — is copied.
 */
static vm_fault_t do_wp_page(struct vm_area_struct *vma, uint64_t addr, pte_t *pte,
			     unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct pglist_data *node = mm->node;
	pte_t entry = *pte;
	pfn_t pfn = pte_pfn(entry);
	bool zero = pfn == node->zero_pfn;
	struct page *old = pfn_to_page(node, pfn), *page;

	if (!zero && (vma->vm_flags & VM_SHARED)) {
		if (page_is_file_cache(old))
			set_page_dirty(node, old);
		pte->pte = entry.pte | _PAGE_RW | _PAGE_DIRTY;
		return 0;
	}
	/* A swap-cache page only this PTE maps, whose slot no other PTE
	 * holds, stops being a swap page and is reused (Linux's
	 * folio_free_swap in do_wp_page). */
	if (!zero && PageFlag(old, PG_swapcache) && page_mapcount(old) == 1 &&
	    page_count(old) == 2)
		try_to_free_swap(node, old);
	if (!zero && PageFlag(old, PG_anon) && page_mapcount(old) == 1 &&
	    page_count(old) == 1) {
		pte->pte = entry.pte | _PAGE_RW | _PAGE_DIRTY;
		return 0;
	}

	/* The allocation may reclaim, which may unmap old from this very
	 * PTE: hold it, and look again afterwards (Linux's pte_same). */
	if (!zero)
		get_page(old);
	page = alloc_page(node, zero ? __GFP_ZERO : 0);
	if (!page) {
		if (!zero)
			put_page(node, old);
		return VM_FAULT_OOM;
	}
	if (pte->pte != entry.pte) {
		put_page(node, page);
		if (!zero)
			put_page(node, old);
		return 0;
	}
	if (!zero) {
		copy_highpage(node, page, old);
		put_page(node, old);
	}
	page_add_new_anon_rmap(vma, page, addr);
	set_pte(pte, node, page, vma_pte_prot(vma, true));
	/* The TLB may still map addr to the old frame. A guest access refills
	 * that very entry when the fault returns; a fault taken for the kernel
	 * (uaccess, populate, a remote mm) does not, so flush before the old
	 * frame can go. */
	if (!(flags & FAULT_FLAG_USER))
		tlb_flush(node);
	if (!zero) {
		page_remove_rmap(mm, old);
		put_page(node, old);
		count_vm_event(node, COW_FAULT);
	}
	return 0;
}

/*
 * A fault on a swap PTE: find the page in the swap cache or read it (with
 * readahead), and map it. The PTE's swap reference becomes a mapping. A
 * write gets the page writable at once when nothing else shares it (the
 * slot is then freed: the page is the only copy); otherwise do_wp_page
 * copies it. A read keeps the slot while swap is not half full, so that
 * the page, if still clean, can be reclaimed again without a write.
 */
static vm_fault_t do_swap_page(struct vm_area_struct *vma, uint64_t addr, pte_t *pte,
			       unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct pglist_data *node = mm->node;
	pte_t orig = *pte;
	swp_entry_t entry = pte_to_swp_entry(orig);
	bool major = false, writable = false;
	struct page *page;
	vm_fault_t ret;
	int err = 0;

	page = swapin_readahead(node, entry, &major, &err);
	if (!page)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	ret = major ? VM_FAULT_MAJOR : 0;
	if (pte->pte != orig.pte) {
		put_page(node, page);
		return ret;
	}
	/* The reference swapin_readahead took is the PTE's from now on. */
	add_mm_counter(mm, MM_SWAPENTS, -1);
	page_add_anon_rmap(vma, page, addr);
	swap_free(node, entry);
	/* Exclusive: this PTE alone maps it, and the swap cache alone holds
	 * it besides (try_to_free_swap checks that no PTE holds the slot). */
	if (page_mapcount(page) == 1 && page_count(page) == 2 &&
	    ((flags & FAULT_FLAG_WRITE) || vm_swap_full(node)) && try_to_free_swap(node, page))
		writable = flags & FAULT_FLAG_WRITE;
	set_pte(pte, node, page, vma_pte_prot(vma, writable));
	if ((flags & FAULT_FLAG_WRITE) && !writable)
		return ret | do_wp_page(vma, addr, pte, flags);
	return ret;
}

/* Linux's expand_downwards, without RLIMIT_STACK (tasks carry no rlimits
 * yet): the stack VMA grows to addr unless that would come closer than the
 * guard gap to an accessible mapping below. */
static int expand_stack(struct vm_area_struct *vma, uint64_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *prev = NULL;
	unsigned long flags = vma->vm_flags;
	uint64_t grow;

	addr &= PAGE_MASK;
	if (addr < MMAP_MIN_ADDR)
		return -EPERM;
	if (vma->vm_list.prev != &mm->mmap_list)
		prev = list_entry(vma->vm_list.prev, struct vm_area_struct, vm_list);
	if (prev && !(prev->vm_flags & VM_GROWSDOWN) && (prev->vm_flags & VM_ACCESS_FLAGS) &&
	    addr - prev->vm_end < STACK_GUARD_GAP)
		return -ENOMEM;
	grow = (vma->vm_start - addr) >> PAGE_SHIFT;
	if (vma->vm_pgoff < grow)
		return -ENOMEM;
	/* Linux's acct_stack_growth: the whole VMA stays within RLIMIT_STACK. */
	if (vma->vm_end - addr > (mm->rlim_stack ? mm->rlim_stack : 8ULL << 20))
		return -ENOMEM;

	/* vm_start is the rbtree key, but no other VMA lies between prev and
	 * vma, so the tree order holds without re-linking. */
	vma->vm_start = addr;
	vma->vm_pgoff -= grow;
	if (flags & VM_LOCKED)
		mm->locked_vm += grow;
	vm_stat_account(mm, flags, (long)grow);
	return 0;
}

/* Linux's access_error: x86 cannot map write-only or exec-only pages, so
 * any access right lets a read through. */
static bool access_error(const struct vm_area_struct *vma, unsigned int flags)
{
	if (flags & FAULT_FLAG_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (flags & FAULT_FLAG_INSTRUCTION)
		return !(vma->vm_flags & VM_EXEC);
	return !(vma->vm_flags & VM_ACCESS_FLAGS);
}

static vm_fault_t __handle_mm_fault(struct vm_area_struct *vma, uint64_t addr,
				    unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t haddr = addr & HPAGE_PMD_MASK;
	pmd_t *pmd = pmd_alloc(mm, addr);
	pte_t *pte;
	pte_t entry;
	vm_fault_t ret;

	if (!pmd)
		return VM_FAULT_OOM;
	/* The PMD level first (Linux's create_huge_pmd / wp_huge_pmd):
	 * VM_FAULT_FALLBACK goes on with 4 KiB pages below. */
	if (pmd_none(*pmd) && transhuge_vma_suitable(vma, haddr)) {
		ret = do_huge_pmd_anonymous_page(vma, haddr, pmd, flags);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
	} else if (pmd_trans_huge(*pmd)) {
		if ((flags & FAULT_FLAG_WRITE) && !(pmd->pmd & _PAGE_RW)) {
			ret = do_huge_pmd_wp_page(vma, haddr, pmd, flags);
			if (!(ret & VM_FAULT_FALLBACK))
				return ret;
		} else {
			/* huge_pmd_set_accessed: only a right the VMA grants
			 * was missing (see the PTE case below). */
			pmd->pmd |= _PAGE_USER;
			if (flags & FAULT_FLAG_INSTRUCTION)
				pmd->pmd &= ~_PAGE_NX;
			return 0;
		}
	}
	pte = pte_alloc(mm, addr);
	if (!pte)
		return VM_FAULT_OOM;
	entry = *pte;

	if (pte_none(entry)) {
		if (!vma->vm_file)
			return do_anonymous_page(vma, addr, pte, flags);
		return do_fault(vma, addr, pte, flags);
	}
	/* Swap entries are the only non-present PTEs. */
	if (!pte_present(entry))
		return do_swap_page(vma, addr, pte, flags);
	if ((flags & FAULT_FLAG_WRITE) && !pte_write(entry))
		return do_wp_page(vma, addr, pte, flags);
	/* Present and allowing the access: another path resolved it, or the
	 * PTE lacks only a right the VMA grants (the user bit mprotect takes
	 * away for PROT_NONE, exec); raising those needs no flush. */
	pte->pte |= _PAGE_USER;
	if (flags & FAULT_FLAG_INSTRUCTION)
		pte->pte &= ~_PAGE_NX;
	return 0;
}

vm_fault_t handle_mm_fault(struct mm_struct *mm, uint64_t addr, unsigned int flags,
			   int *si_code)
{
	struct vm_area_struct *vma;
	int code = FAULT_SEGV_MAPERR;
	vm_fault_t ret;

	if (addr >= TASK_SIZE)
		goto bad_area;
	vma = find_vma(mm, addr);
	if (!vma)
		goto bad_area;
	if (vma->vm_start > addr &&
	    (!(vma->vm_flags & VM_GROWSDOWN) || expand_stack(vma, addr)))
		goto bad_area;
	if (access_error(vma, flags)) {
		code = FAULT_SEGV_ACCERR;
		goto bad_area;
	}

	/* An OOM victim's faults fail at once, so that it stops and dies
	 * instead of eating the reserves (Linux's tsk_is_oom_victim). */
	if (mm->oom_victim)
		return VM_FAULT_OOM;
	count_vm_event(mm->node, PGFAULT);
	ret = __handle_mm_fault(vma, addr & PAGE_MASK, flags);
	/* Linux's mm_account_fault: failed faults are not counted per task. */
	if (!(ret & VM_FAULT_ERROR)) {
		if (ret & VM_FAULT_MAJOR) {
			mm->maj_flt++;
			count_vm_event(mm->node, PGMAJFAULT);
		} else {
			mm->min_flt++;
		}
	}
	return ret;

bad_area:
	if (si_code)
		*si_code = code;
	return VM_FAULT_SIGSEGV;
}

/* ---- unmapping: an mmu_gather ---- */

/* Frames unmapped under a stale TLB wait here until one flush covers them
 * all. The batch lives on the stack and grows on the host heap; if it
 * cannot grow it flushes early, which costs a flush, never correctness. */
struct mmu_gather {
	struct pglist_data *node;
	bool need_flush;
	size_t nr, max;
	struct page **pages;
	struct page *local[64];
};

static void tlb_gather_mmu(struct mmu_gather *tlb, struct pglist_data *node)
{
	tlb->node = node;
	tlb->need_flush = false;
	tlb->nr = 0;
	tlb->max = sizeof(tlb->local) / sizeof(tlb->local[0]);
	tlb->pages = tlb->local;
}

static void tlb_flush_mmu(struct mmu_gather *tlb)
{
	if (tlb->need_flush)
		tlb_flush(tlb->node);
	tlb->need_flush = false;
	for (size_t i = 0; i < tlb->nr; i++) {
		struct page *page = tlb->pages[i];

		/* Linux's free_swap_cache: a swap-cache page nobody maps any
		 * more whose slot no PTE holds is of no use to anyone. */
		if (PageFlag(page, PG_swapcache) && page_mapcount(page) == 0)
			try_to_free_swap(tlb->node, page);
		put_page(tlb->node, page);
	}
	tlb->nr = 0;
}

static void tlb_remove_page(struct mmu_gather *tlb, struct page *page)
{
	if (tlb->nr == tlb->max) {
		size_t max = tlb->max * 2;
		struct page **pages;

		if (tlb->pages == tlb->local) {
			pages = malloc(max * sizeof(*pages));
			if (pages)
				for (size_t i = 0; i < tlb->nr; i++)
					pages[i] = tlb->local[i];
		} else {
			pages = realloc(tlb->pages, max * sizeof(*pages));
		}
		if (pages) {
			tlb->pages = pages;
			tlb->max = max;
		} else {
			tlb_flush_mmu(tlb);
		}
	}
	tlb->pages[tlb->nr++] = page;
}

static void tlb_finish_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu(tlb);
	if (tlb->pages != tlb->local)
		free(tlb->pages);
}

struct zap_details {
	struct mm_struct *mm;
	uint64_t start, end;
	struct mmu_gather tlb;
};

static int zap_pte_range(pte_t *pte, uint64_t addr, uint64_t end, void *arg)
{
	struct zap_details *z = arg;
	struct pglist_data *node = z->mm->node;

	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t entry = *pte;
		struct page *page;

		if (pte_none(entry))
			continue;
		pte->pte = 0;
		/* Non-present entries are swap entries: one reference less. */
		if (!pte_present(entry)) {
			free_swap_and_cache(node, pte_to_swp_entry(entry));
			add_mm_counter(z->mm, MM_SWAPENTS, -1);
			continue;
		}
		z->tlb.need_flush = true;
		if (pte_pfn(entry) == node->zero_pfn)
			continue;
		page = pfn_to_page(node, pte_pfn(entry));
		/* Hardware may have dirtied a writable file page without a
		 * fault; the dirt must reach the page before the PTE goes. */
		if (pte_dirty(entry) && page_is_file_cache(page))
			set_page_dirty(node, page);
		page_remove_rmap(z->mm, page);
		tlb_remove_page(&z->tlb, page);
	}
	return 0;
}

static int zap_pmd_leaf(pmd_t *pmd, uint64_t haddr, void *arg)
{
	struct zap_details *z = arg;
	struct page *head;

	/* A leaf the range cuts that could not be split (no page table
	 * to be had, even from the reserves) stays whole: unmapping it
	 * would lose the data outside the range. */
	if (haddr < z->start || haddr + HPAGE_PMD_SIZE > z->end)
		return 0;
	head = zap_huge_pmd(z->mm, pmd);
	z->tlb.need_flush = true;
	if (head)
		tlb_remove_page(&z->tlb, head);
	return 0;
}

void zap_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	struct zap_details z = { .mm = vma->vm_mm };

	if (start < vma->vm_start)
		start = vma->vm_start;
	if (end > vma->vm_end)
		end = vma->vm_end;
	if (start >= end)
		return;
	z.start = start;
	z.end = end;
	tlb_gather_mmu(&z.tlb, z.mm->node);
	/* Huge leaves the range covers only in part are split first; the
	 * rest go whole. */
	split_huge_pmd_range(z.mm, start, end, false);
	walk_pmd_leaves(z.mm, start, end, zap_pmd_leaf, &z);
	walk_pte_range(z.mm, start, end, zap_pte_range, &z);
	tlb_finish_mmu(&z.tlb);
}

/* ---- populating ---- */

/* Fault one page in as get_user_pages does, unless its PTE already
 * allows the access. */
static int faultin_page(struct mm_struct *mm, uint64_t addr, unsigned int flags)
{
	pte_t *pte = pte_offset(mm, addr);
	vm_fault_t ret;

	if (pte && pte_present(*pte) && (!(flags & FAULT_FLAG_WRITE) || pte_write(*pte)))
		return 0;
	if (!pte) {
		pmd_t *pmd = mm_find_pmd(mm, addr);

		if (pmd && pmd_trans_huge(*pmd) &&
		    (!(flags & FAULT_FLAG_WRITE) || (pmd->pmd & _PAGE_RW)))
			return 0;
	}
	ret = handle_mm_fault(mm, addr, flags, NULL);
	if (ret & VM_FAULT_OOM)
		return -ENOMEM;
	if (ret & VM_FAULT_ERROR)
		return -EFAULT;
	return 0;
}

long faultin_vma_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			    bool write)
{
	unsigned long vm_flags = vma->vm_flags;

	/* check_vma_flags, reported as EINVAL as madvise(MADV_POPULATE_*)
	 * does for incompatible mappings. */
	if (vm_flags & VM_PFNMAP)
		return -EINVAL;
	if (write ? !(vm_flags & VM_WRITE) : !(vm_flags & VM_READ))
		return -EINVAL;
	for (uint64_t addr = start; addr < end; addr += PAGE_SIZE) {
		int err = faultin_page(vma->vm_mm, addr, write ? FAULT_FLAG_WRITE : 0);

		if (err)
			return err;
	}
	return 0;
}

/* Linux's populate_vma_page_range: private writable memory is faulted for
 * write, to break COW now; shared memory only for read, so that it is not
 * dirtied for nothing. */
static int populate_vma_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	unsigned int flags = 0;

	if (vma->vm_flags & VM_LOCKONFAULT)
		return 0;
	if (!(vma->vm_flags & VM_ACCESS_FLAGS))
		return -EFAULT;
	if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
		flags |= FAULT_FLAG_WRITE;
	for (uint64_t addr = start; addr < end; addr += PAGE_SIZE) {
		int err = faultin_page(vma->vm_mm, addr, flags);

		if (err)
			return err;
	}
	return 0;
}

/* Linux's __mm_populate: holes are skipped; the first error is returned
 * (MAP_POPULATE ignores it, mlock reports it). */
int mm_populate(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	uint64_t end, nstart, nend;

	start &= PAGE_MASK;
	end = start + PAGE_ALIGN(len);
	if (end < start)
		return -ENOMEM;
	for (nstart = start; nstart < end; nstart = nend) {
		struct vm_area_struct *vma = find_vma(mm, nstart);
		int err;

		if (!vma || vma->vm_start >= end)
			break;
		nend = vma->vm_end < end ? vma->vm_end : end;
		if (vma->vm_flags & VM_PFNMAP)
			continue;
		if (nstart < vma->vm_start)
			nstart = vma->vm_start;
		err = populate_vma_page_range(vma, nstart, nend);
		if (err)
			return err;
	}
	return 0;
}

/* ---- fork ---- */

/* Linux's is_cow_mapping: private and possibly writable. */
static bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		    bool *wrprotected)
{
	struct mm_struct *dst = dst_vma->vm_mm, *src = src_vma->vm_mm;
	struct pglist_data *node = src->node;
	bool cow = is_cow_mapping(src_vma->vm_flags);
	uint64_t addr;

	/* Linux copies no PTEs where a fault can refill them from the page
	 * cache: shared mappings and private ones with no anon pages. */
	if (!src_vma->anon_vma)
		return 0;
	for (addr = src_vma->vm_start; addr < src_vma->vm_end; addr += PAGE_SIZE) {
		pte_t *spte = pte_offset(src, addr), *dpte;
		struct page *page;

		if (!spte) {
			pmd_t *spmd = mm_find_pmd(src, addr);

			if (spmd && pmd_trans_huge(*spmd)) {
				int err = copy_huge_pmd(dst_vma, src_vma, addr, spmd, wrprotected);

				if (err == -EAGAIN) {
					addr -= PAGE_SIZE;
					continue;
				}
				if (err)
					return err;
			}
			/* No table here: skip to the next table boundary. */
			addr = (addr | (PMD_SIZE - 1)) + 1 - PAGE_SIZE;
			continue;
		}
		if (pte_none(*spte))
			continue;
		/* pte_alloc may reclaim, which may turn *spte into a swap
		 * entry: read it only afterwards. */
		dpte = pte_alloc(dst, addr);
		if (!dpte)
			return -ENOMEM;
		if (pte_none(*spte))
			continue;
		if (is_swap_pte(*spte)) {
			if (swap_duplicate(node, pte_to_swp_entry(*spte)))
				continue;
			*dpte = *spte;
			add_mm_counter(dst, MM_SWAPENTS, 1);
			continue;
		}
		page = pfn_to_page(node, pte_pfn(*spte));
		if (cow && (spte->pte & _PAGE_RW)) {
			spte->pte &= ~_PAGE_RW;
			*wrprotected = true;
		}
		*dpte = *spte;
		/* The child has not accessed it yet. */
		dpte->pte &= ~_PAGE_ACCESSED;
		if (PageFlag(page, PG_zero))
			continue;
		get_page(page);
		page->_mapcount++;
		add_mm_counter(dst, mm_counter(page), 1);
	}
	return 0;
}
