/* Page migration for compaction, after Linux's mm/migrate.c: an order-0
 * anon or page-cache page moves to another frame with its data, state, LRU
 * place, every PTE mapping it (through the reverse map) and cache slot. */
/*
 * Only pages nobody holds besides their mappings (and the cache, for a
 * file page) move: any other reference could be a kernel path about to use
 * the frame. Swap-cache pages stay (the swap cache would have to move
 * too). The PTEs keep their bits (Accessed, Dirty, RW) with the new frame;
 * the caller flushes the TLB before the old frame is freed, and the free
 * drops any translated code of it.
 */
#include <errno.h>
#include <stdlib.h>

#include "huge_memory.h"
#include "filemap.h"
#include "rmap.h"
#include "swap.h"

bool page_movable(struct pglist_data *node, const struct page *page)
{
	const uint32_t unmovable = (1u << PG_reserved) | (1u << PG_slab) | (1u << PG_pgtable) |
				   (1u << PG_head) | (1u << PG_zero) | (1u << PG_buddy) |
				   (1u << PG_swapcache) | (1u << PG_writeback) | (1u << PG_locked);

	if ((page->flags & unmovable) || !PageFlag(page, PG_lru) || !page->mapping)
		return false;
	if (PageFlag(page, PG_anon))
		return page_mapcount(page) > 0 && page_count(page) == page_mapcount(page);
	(void)node;
	return page_count(page) == page_mapcount(page) + 1 &&
	       filemap_lookup(page->mapping, page->index) == page;
}

struct pte_list {
	pte_t **ptes;
	int nr, max;
};

static bool collect_pte(struct vm_area_struct *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct pte_list *l = arg;

	(void)vma;
	(void)addr;
	if (l->nr == l->max)
		return false;
	l->ptes[l->nr++] = pte;
	return true;
}

int migrate_page(struct pglist_data *node, struct page *old, struct page *new)
{
	const uint32_t moving = (1u << PG_anon) | (1u << PG_swapbacked) | (1u << PG_dirty) |
				(1u << PG_uptodate) | (1u << PG_active) | (1u << PG_referenced) |
				(1u << PG_readahead) | (1u << PG_host_stale);
	pfn_t new_pfn = page_to_pfn(node, new);
	int nr_maps = page_mapcount(old);
	struct pte_list l = { NULL, 0, nr_maps };

	if (!page_movable(node, old) || page_count(new) != 1)
		return -EBUSY;
	if (nr_maps) {
		l.ptes = calloc((size_t)nr_maps, sizeof(*l.ptes));
		if (!l.ptes)
			return -EAGAIN;
		rmap_walk(node, old, collect_pte, &l);
		if (l.nr != nr_maps) {
			free(l.ptes);
			return -EAGAIN;
		}
	}
	if (!PageFlag(old, PG_anon) && filemap_migrate_page(old->mapping, old, new)) {
		free(l.ptes);
		return -EAGAIN;
	}

	copy_highpage(node, new, old);
	del_page_from_lru(node, old);
	new->flags = old->flags & moving;
	new->mapping = old->mapping;
	new->index = old->index;
	new->_mapcount = old->_mapcount;
	new->_refcount = old->_refcount;
	for (int i = 0; i < l.nr; i++)
		l.ptes[i]->pte = (l.ptes[i]->pte & ~PTE_PFN_MASK) | ((pteval_t)new_pfn << PAGE_SHIFT);
	lru_cache_add(node, new);
	free(l.ptes);

	/* The old frame keeps only what freeing it needs: one reference
	 * for the caller, and PG_exec so its code is invalidated. */
	old->flags &= 1u << PG_exec;
	old->mapping = NULL;
	old->index = 0;
	old->_mapcount = -1;
	old->_refcount = 1;
	count_vm_event(node, PGMIGRATE_SUCCESS);
	return 0;
}
