/* The invariant checker the fuzz targets run after every step: it walks the
 * buddy free lists, every page table of every address space, the VMA trees
 * and lists and the page cache, rebuilds each frame's expected refcount and
 * mapcount and each mm's RSS from what it found, and compares. */
/*
 * What is checked (Linux's rules, as guestmm/memory.c, filemap.c, mmap.c
 * and page_alloc.c state them):
 *  - frames: every managed frame is either in exactly one free buddy block
 *    or in use; free + used = totalram_pages = NR_FREE_PAGES + the rest; no
 *    free, reserved (other than the zero page), slab or page-table frame is
 *    mapped by a PTE; a user frame's refcount is its PTEs plus one when it
 *    is in a page cache, its mapcount + 1 its PTEs; nothing is in use with
 *    no reference at all (a leak);
 *  - page tables: every table frame is PG_pgtable with one reference and
 *    is reached exactly once; pgtables_bytes and NR_PAGETABLE agree; no PTE
 *    lies outside a VMA; a writable PTE is in a writable VMA and, in a
 *    private one, maps an anon page this PTE alone maps;
 *  - VMAs: the rbtree is a valid red-black tree whose in-order walk is the
 *    list; VMAs are page aligned, non-empty, below TASK_SIZE, sorted and
 *    disjoint; map_count and total_vm match, locked_vm is at least the
 *    VM_LOCKED VMAs (mremap's DONTUNMAP can leave it above, as on Linux);
 *    mmap_cache is a VMA
 *    of the mm or NULL; shared VMAs have a file;
 *  - page cache: every cached frame's mapping is a live address_space in
 *    which filemap_lookup finds it at its index; nrpages, NR_FILE_PAGES and
 *    NR_SHMEM count them;
 *  - counters: rss_stat (anon, file, shmem, swap entries) equals the PTE
 *    walk; NR_ANON_MAPPED and NR_FILE_MAPPED count the mapped frames; slab
 *    frames are NR_SLAB_*.
 * THP leaves (PSE in a PMD) count once on their head frame (512 pages of
 * rss and NR_ANON_MAPPED), lie inside one VMA and map an order-9 compound
 * page or the huge zero page; swap entries
 * are counted, their swap slots not checked (swap has its own owner).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/mm_check.h"
#include "guestmm/filemap.h"

#define MAX_REPORTS 20
#define MAX_MAPPINGS 64

enum frame_state { F_NONE, F_FREE, F_TABLE };

struct checker {
	struct pglist_data *node;
	FILE *out;
	int errors;
	unsigned long n;              /* frames */
	uint8_t *state;
	int32_t *ptes;                /* PTEs (and PMD leaves) mapping each frame */
	unsigned long huge_zero_leaves;
	long tables;                  /* all mms */
	/* the current mm's walk */
	int mm_index;
	struct vm_area_struct **vmas;
	int nr_vmas;
	long mm_tables;
	long rss[NR_MM_COUNTERS];
	/* address spaces found */
	struct address_space *mappings[MAX_MAPPINGS];
	unsigned long mapping_pages[MAX_MAPPINGS];
	int nr_mappings;
};

__attribute__((format(printf, 2, 3)))
static void report(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	if (c->out && c->errors < MAX_REPORTS) {
		fputs("mm_check: ", c->out);
		va_start(ap, fmt);
		vfprintf(c->out, fmt, ap);
		va_end(ap);
		fputc('\n', c->out);
	}
	c->errors++;
}

/* ---- the buddy free lists ---- */

static void check_free_lists(struct checker *c)
{
	struct pglist_data *node = c->node;
	unsigned long total = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &node->node_zones[z];
		unsigned long zone_free = 0;

		for (unsigned int order = 0; order <= MAX_ORDER; order++) {
			struct free_area *area = &zone->free_area[order];
			unsigned long blocks = 0, steps = 0;
			struct list_head *pos;

			if (!area->free_list.next)      /* a zone never set up */
				continue;
			list_for_each(pos, &area->free_list) {
				struct page *page = list_entry(pos, struct page, lru);
				pfn_t pfn;

				if (++steps > c->n) {
					report(c, "zone %d order %u: free list loops", z, order);
					break;
				}
				if (page < node->mem_map || page >= node->mem_map + c->n) {
					report(c, "zone %d order %u: free list entry outside mem_map", z, order);
					break;
				}
				pfn = page_to_pfn(node, page);
				blocks++;
				if (pfn & ((1UL << order) - 1))
					report(c, "pfn %#llx: free block of order %u misaligned",
					       (unsigned long long)pfn, order);
				if (!PageFlag(page, PG_buddy) || page->private != order)
					report(c, "pfn %#llx: on the order-%u free list without PG_buddy/order",
					       (unsigned long long)pfn, order);
				if (pfn < zone->zone_start_pfn ||
				    pfn + (1UL << order) > zone->zone_start_pfn + zone->spanned_pages)
					report(c, "pfn %#llx: free block outside its zone",
					       (unsigned long long)pfn);
				for (unsigned long i = 0; i < (1UL << order) && pfn + i < c->n; i++) {
					struct page *p = page + i;

					if (c->state[pfn + i] == F_FREE)
						report(c, "pfn %#llx: in two free blocks",
						       (unsigned long long)(pfn + i));
					c->state[pfn + i] = F_FREE;
					if (p->_refcount != 0 || p->_mapcount != -1)
						report(c, "pfn %#llx: free with refcount %d mapcount %d",
						       (unsigned long long)(pfn + i), p->_refcount,
						       p->_mapcount);
					if (i && p->flags)
						report(c, "pfn %#llx: free tail frame with flags %#x",
						       (unsigned long long)(pfn + i), p->flags);
					if (PageFlag(p, PG_reserved))
						report(c, "pfn %#llx: reserved frame on a free list",
						       (unsigned long long)(pfn + i));
				}
				zone_free += 1UL << order;
			}
			if (blocks != area->nr_free)
				report(c, "zone %d order %u: nr_free %lu, list holds %lu",
				       z, order, area->nr_free, blocks);
		}
		if (zone_free != zone->nr_free_pages)
			report(c, "zone %d: nr_free_pages %lu, lists hold %lu",
			       z, zone->nr_free_pages, zone_free);
		total += zone_free;
	}
	if (total != nr_free_pages(node))
		report(c, "NR_FREE_PAGES %lu, free lists hold %lu", nr_free_pages(node), total);
}

/* ---- VMAs ---- */

static int rb_check(struct checker *c, struct rb_node *n, struct rb_node *parent, int depth)
{
	int left, right;

	if (!n)
		return 1;
	if (depth > 128) {
		report(c, "mm %d: rbtree too deep (a cycle?)", c->mm_index);
		return -1;
	}
	if (rb_parent(n) != parent)
		report(c, "mm %d: rbtree node with a wrong parent pointer", c->mm_index);
	if (!(n->__rb_parent_color & 1) && parent && !(parent->__rb_parent_color & 1))
		report(c, "mm %d: rbtree red node with a red parent", c->mm_index);
	left = rb_check(c, n->rb_left, n, depth + 1);
	right = rb_check(c, n->rb_right, n, depth + 1);
	if (left < 0 || right < 0)
		return -1;
	if (left != right)
		report(c, "mm %d: rbtree black heights differ (%d, %d)", c->mm_index, left, right);
	return left + (int)(n->__rb_parent_color & 1);
}

static void note_mapping(struct checker *c, struct address_space *mapping)
{
	for (int i = 0; i < c->nr_mappings; i++)
		if (c->mappings[i] == mapping)
			return;
	if (c->nr_mappings < MAX_MAPPINGS)
		c->mappings[c->nr_mappings++] = mapping;
}

static void check_vmas(struct checker *c, struct mm_struct *mm)
{
	struct list_head *pos;
	struct rb_node *rb;
	int count = 0, i;
	long total_vm = 0, locked_vm = 0;
	bool cache_found = mm->mmap_cache == NULL;
	uint64_t prev_end = 0;

	if (mm->mm_rb.rb_node && (mm->mm_rb.rb_node->__rb_parent_color & 1) == 0)
		report(c, "mm %d: rbtree root is red", c->mm_index);
	rb_check(c, mm->mm_rb.rb_node, NULL, 0);

	list_for_each(pos, &mm->mmap_list) {
		if (++count > 100000) {
			report(c, "mm %d: VMA list loops", c->mm_index);
			return;
		}
	}
	c->vmas = calloc(count ? count : 1, sizeof(*c->vmas));
	if (!c->vmas)
		abort();
	c->nr_vmas = count;

	i = 0;
	rb = rb_first(&mm->mm_rb);
	list_for_each(pos, &mm->mmap_list) {
		struct vm_area_struct *vma = list_entry(pos, struct vm_area_struct, vm_list);

		c->vmas[i] = vma;
		if (!rb || rb_entry(rb, struct vm_area_struct, vm_rb) != vma)
			report(c, "mm %d: VMA %d: the tree's in-order walk differs from the list",
			       c->mm_index, i);
		if (rb)
			rb = rb_next(rb);
		if (vma->vm_mm != mm)
			report(c, "mm %d: VMA %#llx: vm_mm is another mm", c->mm_index,
			       (unsigned long long)vma->vm_start);
		if (!PAGE_ALIGNED(vma->vm_start) || !PAGE_ALIGNED(vma->vm_end) ||
		    vma->vm_start >= vma->vm_end || vma->vm_end > TASK_SIZE)
			report(c, "mm %d: VMA %#llx-%#llx: bad bounds", c->mm_index,
			       (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
		if (i && vma->vm_start < prev_end)
			report(c, "mm %d: VMA %#llx-%#llx overlaps or is out of order", c->mm_index,
			       (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
		if ((vma->vm_flags & VM_SHARED) && !vma->vm_file)
			report(c, "mm %d: shared VMA %#llx without a file", c->mm_index,
			       (unsigned long long)vma->vm_start);
		if (vma == mm->mmap_cache)
			cache_found = true;
		if (vma->vm_file && vma->vm_file->f_mapping)
			note_mapping(c, vma->vm_file->f_mapping);
		total_vm += (long)vma_pages(vma);
		if (vma->vm_flags & VM_LOCKED)
			locked_vm += (long)vma_pages(vma);
		prev_end = vma->vm_end;
		i++;
	}
	if (rb)
		report(c, "mm %d: the tree holds VMAs the list does not", c->mm_index);
	if (count != mm->map_count)
		report(c, "mm %d: map_count %d, list holds %d", c->mm_index, mm->map_count, count);
	if (!cache_found)
		report(c, "mm %d: mmap_cache is not a VMA of the mm", c->mm_index);
	if (total_vm != mm->total_vm)
		report(c, "mm %d: total_vm %ld, VMAs sum to %ld", c->mm_index, mm->total_vm, total_vm);
	/* Not equal: mremap(MREMAP_DONTUNMAP) clears VM_LOCKED on the whole
	 * old VMA and leaves locked_vm alone, as Linux does (mm/mremap.c:
	 * "we won't unmap"), so locked_vm may stay above the sum. */
	if (locked_vm > mm->locked_vm)
		report(c, "mm %d: locked_vm %ld, below the VM_LOCKED VMAs' %ld", c->mm_index,
		       mm->locked_vm, locked_vm);
}

/* The VMA holding addr in the current mm, by binary search. */
static struct vm_area_struct *vma_at(struct checker *c, uint64_t addr)
{
	int lo = 0, hi = c->nr_vmas - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		struct vm_area_struct *vma = c->vmas[mid];

		if (addr < vma->vm_start)
			hi = mid - 1;
		else if (addr >= vma->vm_end)
			lo = mid + 1;
		else
			return vma;
	}
	return NULL;
}

/* ---- page tables ---- */

static int counter_of(const struct page *page)
{
	if (PageFlag(page, PG_anon))
		return MM_ANONPAGES;
	return PageFlag(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

static void check_pte(struct checker *c, pteval_t e, uint64_t addr)
{
	struct pglist_data *node = c->node;
	pfn_t pfn = (e & PTE_PFN_MASK) >> PAGE_SHIFT;
	struct vm_area_struct *vma = vma_at(c, addr);
	struct page *page;

	if (!vma) {
		report(c, "mm %d: PTE %#llx at %#llx outside every VMA", c->mm_index,
		       (unsigned long long)e, (unsigned long long)addr);
	}
	if (!(e & _PAGE_PRESENT)) {
		c->rss[MM_SWAPENTS]++;
		return;
	}
	if (pfn >= c->n) {
		report(c, "mm %d: PTE at %#llx maps pfn %#llx past the end of RAM", c->mm_index,
		       (unsigned long long)addr, (unsigned long long)pfn);
		return;
	}
	page = pfn_to_page(node, pfn);
	if (pfn == node->zero_pfn) {
		if (e & _PAGE_RW)
			report(c, "mm %d: writable zero page at %#llx", c->mm_index,
			       (unsigned long long)addr);
		return;
	}
	c->ptes[pfn]++;
	c->rss[counter_of(page)]++;
	if (!(e & _PAGE_RW) || !vma)
		return;
	if (!(vma->vm_flags & VM_WRITE))
		report(c, "mm %d: writable PTE at %#llx in a read-only VMA", c->mm_index,
		       (unsigned long long)addr);
	else if (!(vma->vm_flags & VM_SHARED) &&
		 (!PageFlag(page, PG_anon) || page_mapcount(page) != 1))
		report(c, "mm %d: writable PTE at %#llx in a private VMA maps a %s page (mapcount %d)",
		       c->mm_index, (unsigned long long)addr,
		       PageFlag(page, PG_anon) ? "anon" : "file", page_mapcount(page));
}

static void walk_table(struct checker *c, pfn_t table_pfn, int level, uint64_t base)
{
	struct pglist_data *node = c->node;
	struct page *tp;
	const pteval_t *table;

	if (table_pfn >= c->n) {
		report(c, "mm %d: page table at pfn %#llx past the end of RAM", c->mm_index,
		       (unsigned long long)table_pfn);
		return;
	}
	tp = pfn_to_page(node, table_pfn);
	if (c->state[table_pfn] == F_TABLE) {
		report(c, "pfn %#llx: page table reached twice", (unsigned long long)table_pfn);
		return;
	}
	if (c->state[table_pfn] == F_FREE)
		report(c, "pfn %#llx: page table is a free frame", (unsigned long long)table_pfn);
	c->state[table_pfn] = F_TABLE;
	c->mm_tables++;
	if (!PageFlag(tp, PG_pgtable) || tp->_refcount != 1 || tp->_mapcount != -1)
		report(c, "pfn %#llx: page table with flags %#x refcount %d mapcount %d",
		       (unsigned long long)table_pfn, tp->flags, tp->_refcount, tp->_mapcount);

	table = pfn_to_virt(node, table_pfn);
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		pteval_t e = table[i];
		uint64_t addr = base + ((uint64_t)i << (PAGE_SHIFT + 9 * level));

		if (!e)
			continue;
		if (level == 3 && i >= PTRS_PER_TABLE / 2) {
			report(c, "mm %d: PGD entry %u in the kernel half", c->mm_index, i);
			continue;
		}
		if (level == 0) {
			check_pte(c, e, addr);
			continue;
		}
		if (!(e & _PAGE_PRESENT)) {
			report(c, "mm %d: non-present level-%d entry %#llx at %#llx", c->mm_index,
			       level, (unsigned long long)e, (unsigned long long)addr);
			continue;
		}
		if (e & _PAGE_PSE) {
			pfn_t head = (e & PTE_PFN_MASK) >> PAGE_SHIFT;

			if (level != 1 || head >= c->n || (head & ((1UL << HPAGE_PMD_ORDER) - 1))) {
				report(c, "mm %d: bad huge entry %#llx at level %d", c->mm_index,
				       (unsigned long long)e, level);
				continue;
			}
			if (!vma_at(c, addr) || !vma_at(c, addr + PMD_SIZE - PAGE_SIZE) ||
			    vma_at(c, addr) != vma_at(c, addr + PMD_SIZE - PAGE_SIZE))
				report(c, "mm %d: huge PMD at %#llx not inside one VMA", c->mm_index,
				       (unsigned long long)addr);
			/* The huge zero page: neither counted nor referenced. */
			if (node->huge_zero_pfn && head == node->huge_zero_pfn) {
				c->huge_zero_leaves++;
				if (e & _PAGE_RW)
					report(c, "mm %d: writable huge zero page at %#llx",
					       c->mm_index, (unsigned long long)addr);
				continue;
			}
			if (!PageFlag(pfn_to_page(node, head), PG_head) ||
			    pfn_to_page(node, head)->private != HPAGE_PMD_ORDER)
				report(c, "mm %d: huge PMD at %#llx maps pfn %#llx, not a THP",
				       c->mm_index, (unsigned long long)addr, (unsigned long long)head);
			c->ptes[head]++;
			c->rss[counter_of(pfn_to_page(node, head))] += 1L << HPAGE_PMD_ORDER;
			continue;
		}
		walk_table(c, (e & PTE_PFN_MASK) >> PAGE_SHIFT, level - 1, addr);
	}
}

static void check_mm(struct checker *c, struct mm_struct *mm)
{
	static const char *const names[NR_MM_COUNTERS] = { "file", "anon", "swapents", "shmem" };

	memset(c->rss, 0, sizeof(c->rss));
	c->mm_tables = 0;
	if (mm->node != c->node)
		report(c, "mm %d: belongs to another node", c->mm_index);
	check_vmas(c, mm);
	if (!mm->pgd)
		report(c, "mm %d: no PGD", c->mm_index);
	else
		walk_table(c, mm->pgd, 3, 0);
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		if (c->rss[i] != mm->rss_stat[i])
			report(c, "mm %d: rss %s %ld, page tables map %ld", c->mm_index, names[i],
			       mm->rss_stat[i], c->rss[i]);
	if (c->mm_tables && mm->pgtables_bytes != (c->mm_tables - 1) * (long)PAGE_SIZE)
		report(c, "mm %d: pgtables_bytes %ld, %ld tables below the PGD", c->mm_index,
		       mm->pgtables_bytes, c->mm_tables - 1);
	c->tables += c->mm_tables;
	free(c->vmas);
	c->vmas = NULL;
	c->nr_vmas = 0;
}

/* ---- frames ---- */

static int mapping_index(struct checker *c, const void *mapping)
{
	for (int i = 0; i < c->nr_mappings; i++)
		if (c->mappings[i] == mapping)
			return i;
	return -1;
}

static void check_frames(struct checker *c)
{
	struct pglist_data *node = c->node;
	unsigned long managed = 0, used = 0, free_frames = 0, slab = 0;
	long anon_mapped = 0, file_mapped = 0, file_pages = 0, shmem_pages = 0;

	for (pfn_t pfn = 0; pfn < c->n; pfn++) {
		struct page *page = pfn_to_page(node, pfn);
		int32_t ptes = c->ptes[pfn];
		int expected, m;

		if (PageFlag(page, PG_reserved)) {
			if (ptes && pfn != node->zero_pfn)
				report(c, "pfn %#llx: reserved frame mapped", (unsigned long long)pfn);
			continue;
		}
		managed++;
		if (c->state[pfn] == F_FREE) {
			free_frames++;
			if (ptes)
				report(c, "pfn %#llx: free frame mapped by %d PTEs",
				       (unsigned long long)pfn, ptes);
			continue;
		}
		used++;
		if (c->state[pfn] == F_TABLE) {
			if (ptes)
				report(c, "pfn %#llx: page table mapped by a PTE", (unsigned long long)pfn);
			continue;
		}
		if (PageFlag(page, PG_pgtable)) {
			report(c, "pfn %#llx: page table no mm reaches (leaked)", (unsigned long long)pfn);
			continue;
		}
		if (PageFlag(page, PG_slab)) {
			slab++;
			if (ptes)
				report(c, "pfn %#llx: slab frame mapped", (unsigned long long)pfn);
			continue;
		}
		if (PageFlag(page, PG_buddy))
			report(c, "pfn %#llx: PG_buddy but on no free list", (unsigned long long)pfn);

		expected = ptes;
		/* The huge zero page's one reference is the node's. */
		if (node->huge_zero_pfn && pfn == node->huge_zero_pfn)
			expected = 1;
		/* The swap cache holds one reference to its pages. */
		if (PageFlag(page, PG_swapcache))
			expected++;
		if (!PageFlag(page, PG_anon) && page->mapping) {
			m = mapping_index(c, page->mapping);
			if (m < 0) {
				report(c, "pfn %#llx: page cache frame of an unknown address_space",
				       (unsigned long long)pfn);
			} else if (filemap_lookup(c->mappings[m], page->index) != page) {
				report(c, "pfn %#llx: not in its address_space at index %llu",
				       (unsigned long long)pfn, (unsigned long long)page->index);
			} else {
				c->mapping_pages[m]++;
				expected++;
			}
		}
		if (page->_refcount != expected)
			report(c, "pfn %#llx: refcount %d, %d PTEs%s (flags %#x)",
			       (unsigned long long)pfn, page->_refcount, ptes,
			       expected > ptes ? " + the page cache" : "", page->flags);
		if (!PageFlag(page, PG_head) && page_mapcount(page) != ptes)
			report(c, "pfn %#llx: mapcount %d, %d PTEs", (unsigned long long)pfn,
			       page_mapcount(page), ptes);
		if (page->_mapcount >= 0) {
			/* A THP is NR_ANON_MAPPED's 512 pages. */
			if (PageFlag(page, PG_anon))
				anon_mapped += PageFlag(page, PG_head) ? 1L << page->private : 1;
			else
				file_mapped++;
		}
	}

	for (int i = 0; i < c->nr_mappings; i++) {
		struct address_space *mapping = c->mappings[i];

		if (c->mapping_pages[i] != mapping->nrpages)
			report(c, "address_space %d: nrpages %lu, %lu frames found in it", i,
			       mapping->nrpages, c->mapping_pages[i]);
		file_pages += (long)mapping->nrpages;
		if (mapping->shmem)
			shmem_pages += (long)mapping->nrpages;
	}

	if (managed != totalram_pages(node))
		report(c, "totalram_pages %lu, %lu frames not reserved", totalram_pages(node), managed);
	if (free_frames + used != managed || free_frames != nr_free_pages(node))
		report(c, "free %lu + used %lu != total %lu (NR_FREE_PAGES %lu)", free_frames, used,
		       managed, nr_free_pages(node));
	if (node->huge_zero_mappings != c->huge_zero_leaves)
		report(c, "huge_zero_mappings %lu, %lu leaves map the huge zero page",
		       node->huge_zero_mappings, c->huge_zero_leaves);
	if (node->stat.stat[NR_PAGETABLE] != c->tables)
		report(c, "NR_PAGETABLE %ld, %ld tables reached", node->stat.stat[NR_PAGETABLE],
		       c->tables);
	if (node->stat.stat[NR_ANON_MAPPED] != anon_mapped)
		report(c, "NR_ANON_MAPPED %ld, %ld anon frames mapped",
		       node->stat.stat[NR_ANON_MAPPED], anon_mapped);
	if (node->stat.stat[NR_FILE_MAPPED] != file_mapped)
		report(c, "NR_FILE_MAPPED %ld, %ld file frames mapped",
		       node->stat.stat[NR_FILE_MAPPED], file_mapped);
	/* Swap-cache pages are file pages too, as on Linux. */
	file_pages += node->stat.stat[NR_SWAPCACHE];
	if (node->stat.stat[NR_FILE_PAGES] != file_pages)
		report(c, "NR_FILE_PAGES %ld, address spaces hold %ld",
		       node->stat.stat[NR_FILE_PAGES], file_pages);
	if (node->stat.stat[NR_SHMEM] != shmem_pages)
		report(c, "NR_SHMEM %ld, shmem files hold %ld", node->stat.stat[NR_SHMEM],
		       shmem_pages);
	if (node->stat.stat[NR_SLAB_RECLAIMABLE] + node->stat.stat[NR_SLAB_UNRECLAIMABLE] !=
	    (long)slab)
		report(c, "NR_SLAB_* %ld, %lu slab frames",
		       node->stat.stat[NR_SLAB_RECLAIMABLE] + node->stat.stat[NR_SLAB_UNRECLAIMABLE],
		       slab);
}

int mm_check_node(struct pglist_data *node, struct mm_struct *const *mms, int nr_mms,
		  FILE *out)
{
	struct checker c = { .node = node, .out = out, .n = node->node_present_pages };
	struct list_head *pos;
	int steps = 0;

	c.state = calloc(c.n, 1);
	c.ptes = calloc(c.n, sizeof(*c.ptes));
	if (!c.state || !c.ptes)
		abort();
	list_for_each(pos, &node->address_spaces) {
		if (++steps > 100000) {
			report(&c, "node: address_spaces list loops");
			break;
		}
		note_mapping(&c, list_entry(pos, struct address_space, list));
	}
	check_free_lists(&c);
	for (int i = 0; i < nr_mms; i++) {
		c.mm_index = i;
		check_mm(&c, mms[i]);
	}
	check_frames(&c);
	free(c.state);
	free(c.ptes);
	return c.errors;
}

const char *mm_check_page_cache_idle(struct pglist_data *node)
{
	struct list_head *pos;

	list_for_each(pos, &node->address_spaces) {
		struct address_space *mapping = list_entry(pos, struct address_space, list);

		if (mapping->host_file)
			return "an address_space still has a host file with no mm left";
		for (pfn_t pfn = 0; pfn < node->node_present_pages; pfn++) {
			struct page *page = pfn_to_page(node, pfn);

			if (page->mapping != mapping)
				continue;
			if (page_mapcount(page) > 0)
				return "a detached page-cache page is still mapped";
			if (PageFlag(page, PG_dirty))
				return "a detached page-cache page is dirty";
		}
	}
	return NULL;
}
