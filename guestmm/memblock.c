/* Node set-up and teardown, as Linux's boot does it: the struct page array,
 * the zones, memblock reservations (frame 0, the mem_map Linux would spend,
 * the zero page), then every other frame handed to the buddy allocator. */
/*
 * Layout of a node of N frames (reservations are PG_reserved, refcount 1,
 * never on a free list, and not counted in any zone's managed_pages):
 *
 *   pfn 0                       reserved, as x86 Linux's trim_bios_range()
 *                               reserves the BIOS-owned first page; it also
 *                               keeps guest-physical 0 from ever being a
 *                               valid frame, which catches zeroed PTEs
 *   ...                         free
 *   top - memmap_frames - 1     the zero page (Linux's empty_zero_page is in
 *                               its image, which memblock also reserves)
 *   top - memmap_frames .. top  Linux's mem_map: ceil(N * 64 / 4096) frames
 *
 * memblock allocates top-down on x86-64, so Linux's mem_map (and with it our
 * stand-in) lands at the top of memory, leaving ZONE_DMA and as much of
 * ZONE_DMA32 as possible to the allocations that need them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "filemap.h"
#include "page_alloc.h"
#include "slab.h"
#include "swap.h"
#include "huge_memory.h"

/* sizeof(struct page) on x86-64 Linux: what its mem_map costs per frame. */
#define LINUX_STRUCT_PAGE_SIZE 64

static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal" };
static const pfn_t zone_end_pfn[MAX_NR_ZONES] = {
	MAX_DMA_PFN, MAX_DMA32_PFN, (pfn_t)-1,
};

/* The host memory of the struct page array, in 2 MiB-aligned huge pages
 * where the host gives them: every entry is written at start-up, and 4 KiB
 * host faults for it were half the node's set-up time (1024 of them for a
 * 256 MiB guest). Zeroed, as calloc's. */
#define MEMMAP_ALIGN (2UL << 20)

static size_t mem_map_bytes(unsigned long nr_pages)
{
	return (nr_pages * sizeof(struct page) + MEMMAP_ALIGN - 1) & ~(MEMMAP_ALIGN - 1);
}

static struct page *mem_map_alloc(unsigned long nr_pages)
{
	size_t len = mem_map_bytes(nr_pages);
	uint8_t *raw = mmap(NULL, len + MEMMAP_ALIGN, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t start, end;

	if (raw == MAP_FAILED)
		return NULL;
	start = ((uintptr_t)raw + MEMMAP_ALIGN - 1) & ~(MEMMAP_ALIGN - 1);
	end = start + len;
	if (start > (uintptr_t)raw)
		munmap(raw, start - (uintptr_t)raw);
	if ((uintptr_t)raw + len + MEMMAP_ALIGN > end)
		munmap((void *)end, (uintptr_t)raw + len + MEMMAP_ALIGN - end);
	madvise((void *)start, len, MADV_HUGEPAGE);
	return (struct page *)start;
}

static void mem_map_free(struct page *mem_map, unsigned long nr_pages)
{
	if (mem_map)
		munmap(mem_map, mem_map_bytes(nr_pages));
}

static void init_mem_map(struct pglist_data *node)
{
	for (unsigned long pfn = 0; pfn < node->node_present_pages; pfn++) {
		struct page *page = pfn_to_page(node, pfn);

		page->_mapcount = -1;
		INIT_LIST_HEAD(&page->lru);
	}
}

/* Linux's zone_sizes_init() without holes: each zone spans what the node
 * has of its range; zones above the node's end stay empty. */
static void zone_sizes_init(struct pglist_data *node)
{
	pfn_t start = 0, end_of_node = node->node_present_pages;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &node->node_zones[z];
		pfn_t end = zone_end_pfn[z] < end_of_node ? zone_end_pfn[z] : end_of_node;

		zone->name = zone_names[z];
		zone->zone_start_pfn = start;
		zone->spanned_pages = end > start ? end - start : 0;
		zone->present_pages = zone->spanned_pages;
		for (int o = 0; o <= MAX_ORDER; o++)
			INIT_LIST_HEAD(&zone->free_area[o].free_list);
		if (zone->spanned_pages)
			node->nr_zones = z + 1;
		start = zone_end_pfn[z];
	}
}

static void memblock_reserve(struct pglist_data *node, pfn_t pfn, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		struct page *page = pfn_to_page(node, pfn + i);

		SetPageFlag(page, PG_reserved);
		page->_refcount = 1;
	}
	node->reserved_pages += nr;
}

/* Linux's __free_pages_memory(): the largest aligned blocks that fit. */
static void free_pages_memory(struct pglist_data *node, pfn_t start, pfn_t end)
{
	while (start < end) {
		unsigned int order = start ? (unsigned int)__builtin_ctzll(start) : MAX_ORDER;

		if (order > MAX_ORDER)
			order = MAX_ORDER;
		while (start + (1ULL << order) > end)
			order--;
		memblock_free_pages(node, start, order);
		start += 1ULL << order;
	}
}

/* Linux's memblock_free_all(): every unreserved range, zone by zone so
 * that no block is cut across a zone boundary. */
static void memblock_free_all(struct pglist_data *node)
{
	for (int z = 0; z < node->nr_zones; z++) {
		const struct zone *zone = &node->node_zones[z];
		pfn_t pfn = zone->zone_start_pfn, end = pfn + zone->spanned_pages;

		while (pfn < end) {
			pfn_t run;

			if (PageFlag(pfn_to_page(node, pfn), PG_reserved)) {
				pfn++;
				continue;
			}
			for (run = pfn; run < end && !PageFlag(pfn_to_page(node, run), PG_reserved); run++)
				;
			free_pages_memory(node, pfn, run);
			pfn = run;
		}
	}
}

struct pglist_data *pgdat_create(uint8_t *ram, unsigned long nr_pages,
				 const struct mm_host_ops *ops, void *host)
{
	unsigned long memmap_frames;
	struct pglist_data *node;
	pfn_t memmap_pfn;

	if (!ram || nr_pages == 0)
		return NULL;
	memmap_frames = (nr_pages * LINUX_STRUCT_PAGE_SIZE + PAGE_SIZE - 1) / PAGE_SIZE;
	/* Frame 0, the mem_map and the zero page, and something left over. */
	if (memmap_frames + 2 >= nr_pages)
		return NULL;

	node = calloc(1, sizeof(*node));
	if (!node)
		return NULL;
	node->mem_map = mem_map_alloc(nr_pages);
	if (!node->mem_map) {
		free(node);
		return NULL;
	}
	node->ram = ram;
	node->node_present_pages = nr_pages;
	node->ops = ops;
	node->host = host;
	INIT_LIST_HEAD(&node->address_spaces);
	INIT_LIST_HEAD(&node->slab_caches);
	INIT_LIST_HEAD(&node->mmlist);
	for (int lru = 0; lru < NR_LRU_LISTS; lru++)
		INIT_LIST_HEAD(&node->lruvec.lists[lru]);
	node->swappiness = DEFAULT_SWAPPINESS;
	node->thp_enabled = TRANSPARENT_HUGEPAGE_MADVISE;
	node->khugepaged_pages_to_scan = KHUGEPAGED_PAGES_TO_SCAN_DEFAULT;
	node->khugepaged_max_ptes_none = KHUGEPAGED_MAX_PTES_NONE_DEFAULT;

	init_mem_map(node);
	zone_sizes_init(node);

	memblock_reserve(node, 0, 1);
	memmap_pfn = nr_pages - memmap_frames;
	memblock_reserve(node, memmap_pfn, memmap_frames);
	node->zero_pfn = memmap_pfn - 1;
	memblock_reserve(node, node->zero_pfn, 1);
	SetPageFlag(pfn_to_page(node, node->zero_pfn), PG_zero);
	memset(pfn_to_virt(node, node->zero_pfn), 0, PAGE_SIZE);

	memblock_free_all(node);
	init_per_zone_wmark_min(node);

	node->vma_cachep = kmem_cache_create(node, "vm_area_struct",
					     sizeof(struct vm_area_struct), false);
	node->mm_cachep = kmem_cache_create(node, "mm_struct", sizeof(struct mm_struct), false);
	if (!node->vma_cachep || !node->mm_cachep) {
		pgdat_destroy(node);
		return NULL;
	}
	return node;
}

void pgdat_destroy(struct pglist_data *node)
{
	if (!node)
		return;
	page_cache_destroy(node);
	kmem_cache_destroy_all(node);
	swap_destroy(node);
	mem_map_free(node->mem_map, node->node_present_pages);
	free(node);
}
