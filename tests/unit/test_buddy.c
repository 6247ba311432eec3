/* Unit tests for node set-up (guestmm/memblock.c) and the buddy allocator
 * (guestmm/page_alloc.c): reservations, zones, watermarks, splitting and
 * coalescing, exhaustion, code invalidation, bad frees, random churn. */
/*
 * check_free_lists() is the allocator's invariant checker (see the top of
 * page_alloc.c): every test that changes the lists runs it afterwards, and
 * the random test runs it every few hundred operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_test_util.h"
#include "guestmm/vmstat.h"

#define NR_ORDERS (MAX_ORDER + 1)

/* ---- helpers ---- */

/* A node whose host callbacks record what the allocator asked of them. */
struct rec_node {
	struct test_node t;            /* first: test_ops' callbacks cast to it */
	int logs;
	pfn_t last_invalidated;
	char last_log[160];
};

static void rec_invalidate_code(void *host, pfn_t pfn)
{
	struct rec_node *r = host;

	r->t.code_invalidations++;
	r->last_invalidated = pfn;
}

static void rec_log(void *host, int level, const char *msg)
{
	struct rec_node *r = host;

	(void)level;
	r->logs++;
	snprintf(r->last_log, sizeof(r->last_log), "%s", msg);
}

static const struct mm_host_ops rec_ops = {
	.flush_tlb = test_flush_tlb,
	.invalidate_code = rec_invalidate_code,
	.log = rec_log,
};

static void rec_node_init(struct rec_node *r, unsigned long mib)
{
	memset(r, 0, sizeof(*r));
	r->t.bytes = mib << 20;
	r->t.ram = mmap(NULL, r->t.bytes, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(r->t.ram, MAP_FAILED);
	r->t.node = pgdat_create(r->t.ram, r->t.bytes >> PAGE_SHIFT, &rec_ops, r);
	ck_assert_ptr_nonnull(r->t.node);
}

struct snapshot {
	unsigned long nr_free[MAX_NR_ZONES][NR_ORDERS];
	unsigned long free;
};

static void take_snapshot(const struct pglist_data *node, struct snapshot *s)
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o < NR_ORDERS; o++)
			s->nr_free[z][o] = node->node_zones[z].free_area[o].nr_free;
	s->free = nr_free_pages(node);
}

static void assert_snapshot(const struct pglist_data *node, const struct snapshot *s)
{
	struct snapshot now;

	take_snapshot(node, &now);
	ck_assert_uint_eq(now.free, s->free);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o < NR_ORDERS; o++)
			ck_assert_msg(now.nr_free[z][o] == s->nr_free[z][o],
				      "zone %d order %d: %lu free blocks, expected %lu",
				      z, o, now.nr_free[z][o], s->nr_free[z][o]);
}

static bool zone_has(const struct zone *zone, pfn_t pfn)
{
	return pfn >= zone->zone_start_pfn && pfn < zone->zone_start_pfn + zone->spanned_pages;
}

/* Check's ck_assert reports every passing check to the test runner, which
 * costs a system call; loops over every frame use this instead. */
#define EXPECT(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

static bool is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* Walks every free list and checks the buddy allocator's invariants. */
static void check_free_lists(struct pglist_data *node)
{
	unsigned long n = node->node_present_pages, total = 0;
	uint8_t *seen = calloc(n, 1);

	ck_assert_ptr_nonnull(seen);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &node->node_zones[z];
		unsigned long zone_free = 0;

		for (unsigned int o = 0; o < NR_ORDERS; o++) {
			struct list_head *pos;
			unsigned long blocks = 0;

			list_for_each(pos, &zone->free_area[o].free_list) {
				struct page *page = list_entry(pos, struct page, lru);
				pfn_t pfn = page_to_pfn(node, page), buddy;
				unsigned long long ll = pfn;

				EXPECT(++blocks <= n, "free list %d/%u loops", z, o);
				EXPECT(zone_has(zone, pfn) && zone_has(zone, pfn + (1UL << o) - 1),
				       "block %llu order %u outside zone %s", ll, o, zone->name);
				EXPECT((pfn & ((1UL << o) - 1)) == 0, "block %llu misaligned for order %u", ll, o);
				EXPECT(PageFlag(page, PG_buddy), "free block %llu without PG_buddy", ll);
				EXPECT(page->private == o, "block %llu on order %u list says order %u",
				       ll, o, page->private);
				EXPECT(page->_refcount == 0 && page->_mapcount == -1,
				       "free block %llu has refcount %d mapcount %d",
				       ll, page->_refcount, page->_mapcount);
				for (unsigned long i = 0; i < 1UL << o; i++) {
					const struct page *p = pfn_to_page(node, pfn + i);

					EXPECT(!seen[pfn + i], "frame %llu free twice", ll + i);
					seen[pfn + i] = 1;
					EXPECT(!PageFlag(p, PG_reserved), "reserved frame %llu is free", ll + i);
					EXPECT(i == 0 || p->flags == 0, "free frame %llu has flags %#x",
					       ll + i, p->flags);
				}
				buddy = pfn ^ (1UL << o);
				if (o < MAX_ORDER && zone_has(zone, buddy)) {
					const struct page *b = pfn_to_page(node, buddy);

					EXPECT(!(PageFlag(b, PG_buddy) && b->private == o),
					       "buddies %llu and %llu both free at order %u",
					       ll, (unsigned long long)buddy, o);
				}
			}
			ck_assert_uint_eq(blocks, zone->free_area[o].nr_free);
			zone_free += blocks << o;
		}
		ck_assert_uint_eq(zone_free, zone->nr_free_pages);
		total += zone_free;
	}
	ck_assert_uint_eq(total, nr_free_pages(node));
	ck_assert_int_eq(node->stat.stat[NR_FREE_PAGES], (long)total);
	for (unsigned long pfn = 0; pfn < n; pfn++)
		EXPECT(seen[pfn] || !PageFlag(pfn_to_page(node, pfn), PG_buddy),
		       "frame %lu has PG_buddy but is on no list", pfn);
	free(seen);
}

/* A small deterministic PRNG (xorshift64*), so failures reproduce. */
static uint64_t prng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

static unsigned long test_int_sqrt(unsigned long x)
{
	unsigned long r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* The watermark formula, written out independently of page_alloc.c. */
static void expected_wmarks(const struct pglist_data *node, unsigned long *min_free_kbytes,
			    unsigned long wm[MAX_NR_ZONES][NR_WMARK])
{
	unsigned long managed = 0, kbytes, pages_min;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		managed += node->node_zones[z].managed_pages;
	kbytes = test_int_sqrt(managed * 4 * 16);
	kbytes = kbytes < 128 ? 128 : kbytes > 262144 ? 262144 : kbytes;
	*min_free_kbytes = kbytes;
	pages_min = kbytes / 4;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		unsigned long m = node->node_zones[z].managed_pages;
		unsigned long min = pages_min * m / managed;
		unsigned long gap = m * 10 / 10000;

		if (gap < min / 4)
			gap = min / 4;
		wm[z][WMARK_MIN] = min;
		wm[z][WMARK_LOW] = min + gap;
		wm[z][WMARK_HIGH] = min + 2 * gap;
	}
}

/* ---- set-up ---- */

START_TEST(test_boot_layout)
{
	struct test_node t;
	struct pglist_data *node;
	unsigned long nr = 64UL << 20 >> PAGE_SHIFT, memmap = nr * 64 / PAGE_SIZE;
	unsigned long reserved_in[MAX_NR_ZONES] = { 0 };
	const struct page *zp;

	test_node_init(&t, 64);
	node = t.node;
	ck_assert_uint_eq(node->node_present_pages, nr);
	ck_assert_int_eq(node->nr_zones, 2);
	ck_assert_str_eq(node->node_zones[ZONE_DMA].name, "DMA");
	ck_assert_str_eq(node->node_zones[ZONE_DMA32].name, "DMA32");
	ck_assert_str_eq(node->node_zones[ZONE_NORMAL].name, "Normal");
	ck_assert_uint_eq(node->node_zones[ZONE_DMA].zone_start_pfn, 0);
	ck_assert_uint_eq(node->node_zones[ZONE_DMA].spanned_pages, 4096);
	ck_assert_uint_eq(node->node_zones[ZONE_DMA32].zone_start_pfn, 4096);
	ck_assert_uint_eq(node->node_zones[ZONE_DMA32].spanned_pages, nr - 4096);
	ck_assert_uint_eq(node->node_zones[ZONE_NORMAL].spanned_pages, 0);
	ck_assert_uint_eq(node->node_zones[ZONE_NORMAL].managed_pages, 0);

	/* frame 0, Linux's mem_map (64 bytes a frame), the zero page */
	ck_assert_uint_eq(node->reserved_pages, 1 + memmap + 1);
	ck_assert(PageFlag(pfn_to_page(node, 0), PG_reserved));
	zp = pfn_to_page(node, node->zero_pfn);
	ck_assert(PageFlag(zp, PG_reserved));
	ck_assert(PageFlag(zp, PG_zero));
	ck_assert_int_eq(zp->_refcount, 1);
	ck_assert_uint_ne(node->zero_pfn, 0);
	ck_assert(is_zero(pfn_to_virt(node, node->zero_pfn), PAGE_SIZE));

	for (unsigned long pfn = 0; pfn < nr; pfn++) {
		const struct page *p = pfn_to_page(node, pfn);

		if (PageFlag(p, PG_reserved))
			reserved_in[pfn < 4096 ? ZONE_DMA : ZONE_DMA32]++;
		EXPECT(p->_mapcount == -1, "frame %lu mapcount %d", pfn, p->_mapcount);
	}
	ck_assert_uint_eq(reserved_in[ZONE_DMA] + reserved_in[ZONE_DMA32], node->reserved_pages);
	for (int z = 0; z < 2; z++) {
		const struct zone *zone = &node->node_zones[z];

		ck_assert_uint_eq(zone->present_pages, zone->spanned_pages);
		ck_assert_uint_eq(zone->managed_pages, zone->present_pages - reserved_in[z]);
		ck_assert_uint_eq(zone->nr_free_pages, zone->managed_pages);
	}
	ck_assert_uint_eq(totalram_pages(node), nr - node->reserved_pages);
	ck_assert_uint_eq(nr_free_pages(node), totalram_pages(node));
	/* Linux counts the boot-time hand-over as frees too. */
	ck_assert_uint_eq(node->stat.events[PGFREE], totalram_pages(node));
	ck_assert_uint_eq(node->stat.events[PGALLOC], 0);

	/* DMA is [1, 4096) free: one block of each order 0..9 (at pfn 2^o),
	 * then max-order blocks at 1024, 2048 and 3072. */
	for (int o = 0; o < MAX_ORDER; o++) {
		const struct free_area *area = &node->node_zones[ZONE_DMA].free_area[o];

		ck_assert_uint_eq(area->nr_free, 1);
		ck_assert_uint_eq(page_to_pfn(node, list_first_entry(&area->free_list, struct page, lru)),
				  1UL << o);
	}
	ck_assert_uint_eq(node->node_zones[ZONE_DMA].free_area[MAX_ORDER].nr_free, 3);

	ck_assert_ptr_nonnull(node->vma_cachep);
	ck_assert_ptr_nonnull(node->mm_cachep);
	ck_assert(list_empty(&node->address_spaces));
	ck_assert(!list_empty(&node->slab_caches));
	check_free_lists(node);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_three_zones)
{
	struct test_node t;
	struct pglist_data *node;
	unsigned long nr = (4096UL + 128) << 20 >> PAGE_SHIFT;
	unsigned long kbytes, wm[MAX_NR_ZONES][NR_WMARK];
	const struct zone *dma32;
	struct page *p;

	test_node_init(&t, 4096 + 128);
	node = t.node;
	ck_assert_int_eq(node->nr_zones, 3);
	ck_assert_uint_eq(node->node_zones[ZONE_DMA32].zone_start_pfn, MAX_DMA_PFN);
	ck_assert_uint_eq(node->node_zones[ZONE_DMA32].spanned_pages, MAX_DMA32_PFN - MAX_DMA_PFN);
	ck_assert_uint_eq(node->node_zones[ZONE_NORMAL].zone_start_pfn, MAX_DMA32_PFN);
	ck_assert_uint_eq(node->node_zones[ZONE_NORMAL].spanned_pages, nr - MAX_DMA32_PFN);
	ck_assert_uint_eq(node->reserved_pages, 2 + nr * 64 / PAGE_SIZE);
	/* The reservations sit at the top, out of the DMA zones' way. */
	ck_assert_uint_eq(node->node_zones[ZONE_DMA32].managed_pages, MAX_DMA32_PFN - MAX_DMA_PFN);

	/* Big enough that the 0.1% watermark_scale_factor gap beats min/4. */
	expected_wmarks(node, &kbytes, wm);
	ck_assert_uint_eq(node->min_free_kbytes, kbytes);
	dma32 = &node->node_zones[ZONE_DMA32];
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int w = 0; w < NR_WMARK; w++)
			ck_assert_uint_eq(node->node_zones[z].watermark[w], wm[z][w]);
	ck_assert_uint_gt(dma32->watermark[WMARK_LOW] - dma32->watermark[WMARK_MIN],
			  dma32->watermark[WMARK_MIN] / 4);

	p = alloc_page(node, GFP_KERNEL);
	ck_assert_uint_ge(page_to_pfn(node, p), MAX_DMA32_PFN);
	__free_pages(node, p, 0);
	p = alloc_page(node, __GFP_DMA32);
	ck_assert_uint_ge(page_to_pfn(node, p), MAX_DMA_PFN);
	ck_assert_uint_lt(page_to_pfn(node, p), MAX_DMA32_PFN);
	__free_pages(node, p, 0);
	p = alloc_page(node, __GFP_DMA);
	ck_assert_uint_lt(page_to_pfn(node, p), MAX_DMA_PFN);
	__free_pages(node, p, 0);
	check_free_lists(node);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_create_limits)
{
	uint8_t *ram = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pglist_data *node;
	struct page *p;

	ck_assert_ptr_ne(ram, MAP_FAILED);
	ck_assert_ptr_null(pgdat_create(ram, 0, NULL, NULL));
	ck_assert_ptr_null(pgdat_create(NULL, 256, NULL, NULL));
	/* 3 frames: frame 0, one mem_map frame, the zero page, nothing left */
	ck_assert_ptr_null(pgdat_create(ram, 3, NULL, NULL));

	node = pgdat_create(ram, 4, NULL, NULL);
	ck_assert_ptr_nonnull(node);
	ck_assert_uint_eq(totalram_pages(node), 1);
	ck_assert_uint_eq(node->zero_pfn, 2);
	p = alloc_page(node, GFP_KERNEL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(page_to_pfn(node, p), 1);
	ck_assert_ptr_null(alloc_page(node, __GFP_NOWARN));
	__free_pages(node, p, 0);
	check_free_lists(node);
	pgdat_destroy(node);
	pgdat_destroy(NULL);
	munmap(ram, 1 << 20);
}
END_TEST

START_TEST(test_vmstat_names)
{
	ck_assert_str_eq(vmstat_stat_names[NR_FREE_PAGES], "nr_free_pages");
	ck_assert_str_eq(vmstat_stat_names[NR_SLAB_UNRECLAIMABLE], "nr_slab_unreclaimable");
	ck_assert_str_eq(vmstat_stat_names[NR_SWAPCACHE], "nr_swapcached");
	ck_assert_str_eq(vmstat_event_names[PGPGIN], "pgpgin");
	ck_assert_str_eq(vmstat_event_names[PGFREE], "pgfree");
	ck_assert_str_eq(vmstat_event_names[COW_FAULT], "cow_fault");
	for (int i = 0; i < NR_VM_STAT_ITEMS; i++)
		ck_assert_ptr_nonnull(vmstat_stat_names[i]);
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		ck_assert_ptr_nonnull(vmstat_event_names[i]);
}
END_TEST

/* ---- watermarks ---- */

START_TEST(test_watermarks_known)
{
	struct test_node t;
	const struct zone *dma, *dma32;

	/* 64 MiB: 16384 frames, 258 reserved, 16126 managed (4095 + 12031).
	 * min_free_kbytes = int_sqrt(64504 * 16) = 1015 -> 253 pages;
	 * DMA min = 253 * 4095 / 16126 = 64, DMA32 min = 253 * 12031 / 16126
	 * = 188; gaps min/4 = 16 and 47 beat the 0.1% scale factor. */
	test_node_init(&t, 64);
	dma = &t.node->node_zones[ZONE_DMA];
	dma32 = &t.node->node_zones[ZONE_DMA32];
	ck_assert_uint_eq(dma->managed_pages, 4095);
	ck_assert_uint_eq(dma32->managed_pages, 12031);
	ck_assert_uint_eq(t.node->min_free_kbytes, 1015);
	ck_assert_uint_eq(dma->watermark[WMARK_MIN], 64);
	ck_assert_uint_eq(dma->watermark[WMARK_LOW], 80);
	ck_assert_uint_eq(dma->watermark[WMARK_HIGH], 96);
	ck_assert_uint_eq(dma32->watermark[WMARK_MIN], 188);
	ck_assert_uint_eq(dma32->watermark[WMARK_LOW], 235);
	ck_assert_uint_eq(dma32->watermark[WMARK_HIGH], 282);
	test_node_fini(&t);
}
END_TEST

static const unsigned long wmark_sizes_mib[] = { 1, 8, 24, 64, 256, 1024, 2048 };

START_TEST(test_watermarks_formula)
{
	struct test_node t;
	unsigned long kbytes, wm[MAX_NR_ZONES][NR_WMARK];

	test_node_init(&t, wmark_sizes_mib[_i]);
	expected_wmarks(t.node, &kbytes, wm);
	ck_assert_uint_eq(t.node->min_free_kbytes, kbytes);
	if (wmark_sizes_mib[_i] == 1)
		ck_assert_uint_eq(kbytes, 128);   /* the lower clamp */
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &t.node->node_zones[z];

		for (int w = 0; w < NR_WMARK; w++)
			ck_assert_msg(zone->watermark[w] == wm[z][w],
				      "%lu MiB zone %s wmark %d: %lu, expected %lu",
				      wmark_sizes_mib[_i], zone->name, w, zone->watermark[w], wm[z][w]);
		if (zone->managed_pages) {
			ck_assert_uint_lt(zone->watermark[WMARK_MIN], zone->watermark[WMARK_LOW]);
			ck_assert_uint_lt(zone->watermark[WMARK_LOW], zone->watermark[WMARK_HIGH]);
		}
		if (zone->managed_pages && zone->watermark[WMARK_MIN] / 4 >= zone->managed_pages / 1000) {
			ck_assert_uint_eq(zone->watermark[WMARK_LOW],
					  zone->watermark[WMARK_MIN] + zone->watermark[WMARK_MIN] / 4);
			ck_assert_uint_eq(zone->watermark[WMARK_HIGH],
					  zone->watermark[WMARK_MIN] + 2 * (zone->watermark[WMARK_MIN] / 4));
		}
	}
	test_node_fini(&t);
}
END_TEST

/* ---- allocation and freeing ---- */

START_TEST(test_alloc_free_each_order)
{
	struct test_node t;
	struct pglist_data *node;
	struct snapshot boot;
	struct page *held[NR_ORDERS];

	test_node_init(&t, 32);
	node = t.node;
	take_snapshot(node, &boot);
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		unsigned long allocs = node->stat.events[PGALLOC];
		unsigned long frees = node->stat.events[PGFREE];
		struct page *p = alloc_pages(node, GFP_KERNEL, o);
		pfn_t pfn;

		ck_assert_ptr_nonnull(p);
		pfn = page_to_pfn(node, p);
		ck_assert_uint_eq(pfn & ((1UL << o) - 1), 0);
		ck_assert_int_eq(page_count(p), 1);
		ck_assert_int_eq(page_mapcount(p), 0);
		for (unsigned long i = 0; i < 1UL << o; i++)
			EXPECT(!PageFlag(p + i, PG_buddy) && !PageFlag(p + i, PG_reserved),
			       "allocated frame %lu of order %u has flags %#x", i, o, p[i].flags);
		ck_assert_uint_eq(nr_free_pages(node), boot.free - (1UL << o));
		ck_assert_uint_eq(node->stat.events[PGALLOC], allocs + (1UL << o));
		check_free_lists(node);
		__free_pages(node, p, o);
		ck_assert_uint_eq(node->stat.events[PGFREE], frees + (1UL << o));
		assert_snapshot(node, &boot);
	}

	/* all orders held at once, freed in a different order */
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		held[o] = alloc_pages(node, GFP_KERNEL, o);
		ck_assert_ptr_nonnull(held[o]);
	}
	check_free_lists(node);
	for (unsigned int o = 0; o <= MAX_ORDER; o += 2)
		__free_pages(node, held[o], o);
	check_free_lists(node);
	for (unsigned int o = 1; o <= MAX_ORDER; o += 2)
		__free_pages(node, held[o], o);
	check_free_lists(node);
	assert_snapshot(node, &boot);

	ck_assert_ptr_null(alloc_pages(node, __GFP_NOWARN, MAX_ORDER + 1));
	test_node_fini(&t);
}
END_TEST

START_TEST(test_split_and_coalesce)
{
	struct test_node t;
	struct pglist_data *node;
	struct zone *dma;
	struct snapshot boot;
	struct page *held[64], *p, *first_max;
	unsigned int held_order[64];
	int nheld = 0;

	test_node_init(&t, 32);
	node = t.node;
	dma = &node->node_zones[ZONE_DMA];
	take_snapshot(node, &boot);

	/* Empty DMA's lower orders so that the next page must come from
	 * splitting a max-order block. */
	for (unsigned int o = 0; o < MAX_ORDER; o++)
		while (dma->free_area[o].nr_free) {
			ck_assert_int_lt(nheld, 64);
			held[nheld] = alloc_pages(node, __GFP_DMA, o);
			ck_assert_ptr_nonnull(held[nheld]);
			held_order[nheld++] = o;
		}
	first_max = list_first_entry(&dma->free_area[MAX_ORDER].free_list, struct page, lru);

	p = alloc_pages(node, __GFP_DMA, 0);
	ck_assert_ptr_eq(p, first_max);     /* expand() keeps the low half */
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		struct page *half = list_first_entry(&dma->free_area[o].free_list, struct page, lru);

		ck_assert_uint_eq(dma->free_area[o].nr_free, 1);
		ck_assert_uint_eq(page_to_pfn(node, half), page_to_pfn(node, p) + (1UL << o));
	}
	ck_assert_uint_eq(dma->free_area[MAX_ORDER].nr_free, boot.nr_free[ZONE_DMA][MAX_ORDER] - 1);
	check_free_lists(node);

	/* Freeing it merges all the way back up. */
	__free_pages(node, p, 0);
	for (unsigned int o = 0; o < MAX_ORDER; o++)
		ck_assert_uint_eq(dma->free_area[o].nr_free, 0);
	ck_assert_uint_eq(dma->free_area[MAX_ORDER].nr_free, boot.nr_free[ZONE_DMA][MAX_ORDER]);
	check_free_lists(node);

	while (nheld--)
		__free_pages(node, held[nheld], held_order[nheld]);
	assert_snapshot(node, &boot);
	check_free_lists(node);
	test_node_fini(&t);
}
END_TEST

/* Allocate single frames until none is left, then give them all back in a
 * shuffled order: the lists must end as they began. */
START_TEST(test_exhaustion)
{
	struct test_node t;
	struct pglist_data *node;
	struct snapshot boot;
	unsigned long n = 0, cap;
	struct page **pages;
	uint8_t *owned;
	uint64_t seed = 42;
	struct page *p;

	test_node_init(&t, 24);
	node = t.node;
	take_snapshot(node, &boot);
	cap = boot.free;
	pages = calloc(cap + 1, sizeof(*pages));
	owned = calloc(node->node_present_pages, 1);
	while ((p = alloc_page(node, __GFP_NOWARN))) {
		pfn_t pfn = page_to_pfn(node, p);

		ck_assert_uint_lt(n, cap);
		ck_assert(!owned[pfn]);
		ck_assert(!PageFlag(p, PG_reserved));
		owned[pfn] = 1;
		pages[n++] = p;
	}
	ck_assert_uint_eq(n, boot.free);
	ck_assert_uint_eq(nr_free_pages(node), 0);
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		ck_assert_ptr_null(alloc_pages(node, __GFP_NOWARN, o));
	ck_assert_ptr_null(alloc_page(node, __GFP_DMA | __GFP_NOWARN));
	ck_assert_ptr_null(alloc_page(node, __GFP_DMA32 | __GFP_NOWARN));
	check_free_lists(node);

	for (unsigned long i = n - 1; i > 0; i--) {
		unsigned long j = prng_next(&seed) % (i + 1);
		struct page *tmp = pages[i];

		pages[i] = pages[j];
		pages[j] = tmp;
	}
	for (unsigned long i = 0; i < n; i++) {
		__free_pages(node, pages[i], 0);
		if (i % 997 == 0)
			check_free_lists(node);
	}
	assert_snapshot(node, &boot);
	check_free_lists(node);

	/* and the same with max-order blocks */
	n = 0;
	while ((p = alloc_pages(node, __GFP_NOWARN, MAX_ORDER)))
		pages[n++] = p;
	ck_assert_uint_eq(n, boot.nr_free[ZONE_DMA][MAX_ORDER] + boot.nr_free[ZONE_DMA32][MAX_ORDER]);
	while (n--)
		__free_pages(node, pages[n], MAX_ORDER);
	assert_snapshot(node, &boot);

	free(owned);
	free(pages);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_zone_fallback)
{
	struct test_node t;
	struct pglist_data *node;
	struct snapshot boot;
	struct page **pages, *p;
	unsigned long n = 0, from_dma32 = 0;

	test_node_init(&t, 64);
	node = t.node;
	take_snapshot(node, &boot);
	pages = calloc(boot.free, sizeof(*pages));

	/* __GFP_DMA never leaves ZONE_DMA, even when DMA32 has plenty. */
	while ((p = alloc_page(node, __GFP_DMA | __GFP_NOWARN))) {
		ck_assert_uint_lt(page_to_pfn(node, p), MAX_DMA_PFN);
		pages[n++] = p;
	}
	ck_assert_uint_eq(n, node->node_zones[ZONE_DMA].managed_pages);
	ck_assert_uint_eq(node->node_zones[ZONE_DMA].nr_free_pages, 0);
	ck_assert_uint_eq(nr_free_pages(node), node->node_zones[ZONE_DMA32].managed_pages);
	while (n)
		__free_pages(node, pages[--n], 0);
	assert_snapshot(node, &boot);

	/* Ordinary allocations prefer the highest zone and fall back down. */
	while ((p = alloc_page(node, __GFP_NOWARN))) {
		pfn_t pfn = page_to_pfn(node, p);

		if (from_dma32 < node->node_zones[ZONE_DMA32].managed_pages) {
			ck_assert_uint_ge(pfn, MAX_DMA_PFN);
			from_dma32++;
		} else {
			ck_assert_uint_lt(pfn, MAX_DMA_PFN);
		}
		pages[n++] = p;
	}
	ck_assert_uint_eq(n, boot.free);
	check_free_lists(node);
	while (n)
		__free_pages(node, pages[--n], 0);
	assert_snapshot(node, &boot);

	/* __GFP_DMA32 on a node without ZONE_NORMAL behaves like no flag. */
	p = alloc_page(node, __GFP_DMA32);
	ck_assert_uint_ge(page_to_pfn(node, p), MAX_DMA_PFN);
	__free_pages(node, p, 0);
	assert_snapshot(node, &boot);
	free(pages);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_gfp_zero)
{
	struct test_node t;
	struct pglist_data *node;
	struct page *dirty[64], *clean[64], *big;
	int reused = 0;

	test_node_init(&t, 16);
	node = t.node;
	for (int i = 0; i < 64; i++) {
		dirty[i] = alloc_page(node, GFP_KERNEL);
		memset(page_address(node, dirty[i]), 0xa5, PAGE_SIZE);
	}
	for (int i = 0; i < 64; i++)
		__free_pages(node, dirty[i], 0);
	for (int i = 0; i < 64; i++) {
		clean[i] = alloc_page(node, __GFP_ZERO);
		ck_assert(is_zero(page_address(node, clean[i]), PAGE_SIZE));
		for (int j = 0; j < 64; j++)
			reused += clean[i] == dirty[j];
	}
	ck_assert_int_gt(reused, 0);   /* the test did zero dirty frames */
	for (int i = 0; i < 64; i++)
		__free_pages(node, clean[i], 0);

	big = alloc_pages(node, GFP_KERNEL, 3);
	memset(page_address(node, big), 0x5a, PAGE_SIZE << 3);
	__free_pages(node, big, 3);
	big = alloc_pages(node, __GFP_ZERO, 3);
	ck_assert(is_zero(page_address(node, big), PAGE_SIZE << 3));
	__free_pages(node, big, 3);
	check_free_lists(node);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_refcount_and_compound)
{
	struct test_node t;
	struct pglist_data *node;
	struct snapshot boot;
	struct page *p;

	test_node_init(&t, 16);
	node = t.node;
	take_snapshot(node, &boot);

	p = alloc_page(node, GFP_KERNEL);
	get_page(p);
	ck_assert_int_eq(page_count(p), 2);
	put_page(node, p);
	ck_assert_uint_eq(nr_free_pages(node), boot.free - 1);
	put_page(node, p);
	assert_snapshot(node, &boot);

	p = alloc_pages(node, __GFP_COMP, HPAGE_PMD_ORDER);
	ck_assert_ptr_nonnull(p);
	ck_assert(PageFlag(p, PG_head));
	ck_assert_uint_eq(compound_order(p), HPAGE_PMD_ORDER);
	ck_assert_uint_eq(page_to_pfn(node, p) % 512, 0);
	ck_assert_uint_eq(nr_free_pages(node), boot.free - 512);
	put_page(node, p);
	assert_snapshot(node, &boot);
	ck_assert_uint_eq(compound_order(p), 0);

	/* __GFP_COMP means nothing for a single frame */
	p = alloc_page(node, __GFP_COMP);
	ck_assert(!PageFlag(p, PG_head));
	put_page(node, p);
	assert_snapshot(node, &boot);
	check_free_lists(node);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_highpage)
{
	struct test_node t;
	struct pglist_data *node;
	struct page *a, *b;
	uint8_t *pa, *pb;

	test_node_init(&t, 16);
	node = t.node;
	a = alloc_page(node, GFP_KERNEL);
	b = alloc_page(node, GFP_KERNEL);
	pa = page_address(node, a);
	pb = page_address(node, b);
	for (unsigned long i = 0; i < PAGE_SIZE; i++)
		pa[i] = (uint8_t)(i * 7 + 3);
	copy_highpage(node, b, a);
	ck_assert_int_eq(memcmp(pa, pb, PAGE_SIZE), 0);
	clear_highpage(node, a);
	ck_assert(is_zero(pa, PAGE_SIZE));
	ck_assert_uint_eq(pb[100], (uint8_t)(100 * 7 + 3));
	ck_assert_int_eq(t.code_invalidations, 0);
	__free_pages(node, a, 0);
	__free_pages(node, b, 0);
	test_node_fini(&t);
}
END_TEST

/* ---- translated code (DESIGN.md fact 6) ---- */

START_TEST(test_exec_invalidation)
{
	struct rec_node r;
	struct pglist_data *node;
	struct page *p, *q;
	pfn_t pfn;

	rec_node_init(&r, 16);
	node = r.t.node;

	p = alloc_page(node, GFP_KERNEL);
	__free_pages(node, p, 0);
	ck_assert_int_eq(r.t.code_invalidations, 0);

	p = alloc_page(node, GFP_KERNEL);
	pfn = page_to_pfn(node, p);
	SetPageFlag(p, PG_exec);
	__free_pages(node, p, 0);
	ck_assert_int_eq(r.t.code_invalidations, 1);
	ck_assert_uint_eq(r.last_invalidated, pfn);
	ck_assert(!PageFlag(p, PG_exec));

	/* each executable frame of a block once, the others not at all */
	p = alloc_pages(node, GFP_KERNEL, 2);
	SetPageFlag(p + 1, PG_exec);
	SetPageFlag(p + 3, PG_exec);
	__free_pages(node, p, 2);
	ck_assert_int_eq(r.t.code_invalidations, 3);
	ck_assert_uint_eq(r.last_invalidated, page_to_pfn(node, p + 3));

	/* through put_page: only when the last reference goes */
	p = alloc_page(node, GFP_KERNEL);
	SetPageFlag(p, PG_exec);
	get_page(p);
	put_page(node, p);
	ck_assert_int_eq(r.t.code_invalidations, 3);
	put_page(node, p);
	ck_assert_int_eq(r.t.code_invalidations, 4);

	/* the kernel rewriting a code frame drops its translations too */
	p = alloc_page(node, GFP_KERNEL);
	q = alloc_page(node, GFP_KERNEL);
	SetPageFlag(p, PG_exec);
	clear_highpage(node, p);
	ck_assert_int_eq(r.t.code_invalidations, 5);
	SetPageFlag(p, PG_exec);
	copy_highpage(node, p, q);
	ck_assert_int_eq(r.t.code_invalidations, 6);
	flush_icache_page(node, p);               /* already clean */
	ck_assert_int_eq(r.t.code_invalidations, 6);
	__free_pages(node, p, 0);
	__free_pages(node, q, 0);
	ck_assert_int_eq(r.t.code_invalidations, 6);

	/* a refused free invalidates nothing */
	p = alloc_page(node, GFP_KERNEL);
	__free_pages(node, p, 0);
	SetPageFlag(p, PG_exec);
	__free_pages(node, p, 0);
	ck_assert_int_eq(r.t.code_invalidations, 6);
	ClearPageFlag(p, PG_exec);
	ck_assert_int_eq(r.logs, 1);
	check_free_lists(node);
	test_node_fini(&r.t);
}
END_TEST

START_TEST(test_exec_without_ops)
{
	uint8_t *ram = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pglist_data *node = pgdat_create(ram, 1024, NULL, NULL);
	struct page *p = alloc_page(node, GFP_KERNEL);

	SetPageFlag(p, PG_exec);
	__free_pages(node, p, 0);
	ck_assert(!PageFlag(p, PG_exec));
	__free_pages(node, p, 0);           /* bad, but no log to report to */
	ck_assert_uint_eq(node->bad_pages, 1);
	check_free_lists(node);
	pgdat_destroy(node);
	munmap(ram, 4 << 20);
}
END_TEST

/* ---- bad frees are reported and leave the lists intact ---- */

START_TEST(test_bad_frees)
{
	struct rec_node r;
	struct pglist_data *node;
	struct snapshot boot, s;
	struct page *p, *inside;
	struct zone *dma32;

	rec_node_init(&r, 32);
	node = r.t.node;
	dma32 = &node->node_zones[ZONE_DMA32];
	take_snapshot(node, &boot);

	/* double free of a frame whose block merged away */
	p = alloc_page(node, GFP_KERNEL);
	__free_pages(node, p, 0);
	__free_pages(node, p, 0);
	ck_assert_uint_eq(node->bad_pages, 1);
	ck_assert_int_eq(r.logs, 1);
	ck_assert_ptr_nonnull(strstr(r.last_log, "already free"));
	assert_snapshot(node, &boot);

	/* a frame deep inside a free max-order block */
	inside = list_first_entry(&dma32->free_area[MAX_ORDER].free_list, struct page, lru) + 37;
	__free_pages(node, inside, 0);
	ck_assert_uint_eq(node->bad_pages, 2);
	/* a block whose head is in use but which holds a free block: DMA's
	 * order-2 block is [4, 8); give back [6, 8), then free [4, 8) whole */
	p = alloc_pages(node, __GFP_DMA, 2);
	ck_assert_uint_eq(page_to_pfn(node, p), 4);
	__free_pages(node, p + 2, 1);
	__free_pages(node, p, 2);
	ck_assert_uint_eq(node->bad_pages, 3);
	__free_pages(node, p, 1);
	assert_snapshot(node, &boot);

	/* reserved frames: frame 0, the zero page, the mem_map */
	__free_pages(node, pfn_to_page(node, 0), 0);
	__free_pages(node, pfn_to_page(node, node->zero_pfn), 0);
	__free_pages(node, pfn_to_page(node, node->node_present_pages - 1), 0);
	ck_assert_uint_eq(node->bad_pages, 6);
	ck_assert_ptr_nonnull(strstr(r.last_log, "reserved"));
	ck_assert(PageFlag(pfn_to_page(node, node->zero_pfn), PG_zero));
	assert_snapshot(node, &boot);

	/* wrong order or alignment */
	p = alloc_pages(node, GFP_KERNEL, 2);
	take_snapshot(node, &s);
	__free_pages(node, p + 1, 1);
	__free_pages(node, p, MAX_ORDER + 1);
	ck_assert_uint_eq(node->bad_pages, 8);
	assert_snapshot(node, &s);
	__free_pages(node, p, 2);
	assert_snapshot(node, &boot);

	/* still mapped, still on an LRU list: leaked, not corrupted */
	p = alloc_page(node, GFP_KERNEL);
	take_snapshot(node, &s);
	p->_mapcount = 0;
	__free_pages(node, p, 0);
	ck_assert_uint_eq(node->bad_pages, 9);
	p->_mapcount = -1;
	SetPageFlag(p, PG_lru);
	__free_pages(node, p, 0);
	ck_assert_uint_eq(node->bad_pages, 10);
	assert_snapshot(node, &s);
	ClearPageFlag(p, PG_lru);
	__free_pages(node, p, 0);
	assert_snapshot(node, &boot);

	/* put_page below zero */
	put_page(node, p);
	ck_assert_uint_eq(node->bad_pages, 11);
	ck_assert_int_eq(r.logs, 11);
	assert_snapshot(node, &boot);
	check_free_lists(node);
	test_node_fini(&r.t);
}
END_TEST

/* ---- random churn under the invariant checker ---- */

struct held_block {
	struct page *page;
	unsigned int order;
};

START_TEST(test_random_churn)
{
	static const gfp_t gfps[] = { GFP_KERNEL, __GFP_DMA, __GFP_DMA32, __GFP_ZERO, __GFP_DMA | __GFP_ZERO };
	struct test_node t;
	struct pglist_data *node;
	struct snapshot boot;
	struct held_block *held;
	uint8_t *owned;
	unsigned long nheld = 0, held_pages = 0, cap, fails = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	test_node_init(&t, 24);
	node = t.node;
	take_snapshot(node, &boot);
	cap = boot.free;
	held = calloc(cap, sizeof(*held));
	owned = calloc(node->node_present_pages, 1);

	for (int step = 0; step < 40000; step++) {
		uint64_t r = prng_next(&seed);

		if (nheld == 0 || r % 100 < 55) {
			/* mostly small orders, sometimes large ones */
			unsigned int order = (unsigned int)__builtin_ctzll(prng_next(&seed) | (1ULL << MAX_ORDER));
			gfp_t gfp = gfps[(r >> 8) % (sizeof(gfps) / sizeof(gfps[0]))] | __GFP_NOWARN;
			struct page *p = alloc_pages(node, gfp, order);
			pfn_t pfn;

			if (!p) {
				fails++;
				continue;
			}
			pfn = page_to_pfn(node, p);
			EXPECT((pfn & ((1UL << order) - 1)) == 0, "step %d: misaligned", step);
			EXPECT(!(gfp & __GFP_DMA) || pfn + (1UL << order) <= MAX_DMA_PFN,
			       "step %d: __GFP_DMA got pfn %llu", step, (unsigned long long)pfn);
			for (unsigned long i = 0; i < 1UL << order; i++) {
				EXPECT(!owned[pfn + i], "step %d: frame handed out twice", step);
				owned[pfn + i] = 1;
			}
			EXPECT(!(gfp & __GFP_ZERO) || is_zero(page_address(node, p), PAGE_SIZE << order),
			       "step %d: __GFP_ZERO block not zero", step);
			*(uint64_t *)page_address(node, p) = pfn;
			held[nheld++] = (struct held_block){ p, order };
			held_pages += 1UL << order;
		} else {
			unsigned long k = (r >> 16) % nheld;
			struct held_block b = held[k];
			pfn_t pfn = page_to_pfn(node, b.page);

			EXPECT(*(uint64_t *)page_address(node, b.page) == pfn,
			       "step %d: block contents changed while held", step);
			for (unsigned long i = 0; i < 1UL << b.order; i++)
				owned[pfn + i] = 0;
			held[k] = held[--nheld];
			held_pages -= 1UL << b.order;
			__free_pages(node, b.page, b.order);
		}
		EXPECT(nr_free_pages(node) == boot.free - held_pages, "step %d: free count", step);
		if (step % 500 == 0)
			check_free_lists(node);
	}
	ck_assert_uint_gt(fails, 0);      /* it did run into fragmentation or exhaustion */
	check_free_lists(node);
	while (nheld) {
		nheld--;
		__free_pages(node, held[nheld].page, held[nheld].order);
	}
	check_free_lists(node);
	assert_snapshot(node, &boot);
	ck_assert_uint_eq(node->bad_pages, 0);
	free(owned);
	free(held);
	test_node_fini(&t);
}
END_TEST

static Suite *buddy_suite(void)
{
	Suite *s = suite_create("buddy");
	TCase *tc;

	tc = tcase_create("setup");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_boot_layout);
	tcase_add_test(tc, test_three_zones);
	tcase_add_test(tc, test_create_limits);
	tcase_add_test(tc, test_vmstat_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("watermarks");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_watermarks_known);
	tcase_add_loop_test(tc, test_watermarks_formula, 0,
			    sizeof(wmark_sizes_mib) / sizeof(wmark_sizes_mib[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("alloc_free");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_alloc_free_each_order);
	tcase_add_test(tc, test_split_and_coalesce);
	tcase_add_test(tc, test_exhaustion);
	tcase_add_test(tc, test_zone_fallback);
	tcase_add_test(tc, test_gfp_zero);
	tcase_add_test(tc, test_refcount_and_compound);
	tcase_add_test(tc, test_highpage);
	suite_add_tcase(s, tc);

	tc = tcase_create("exec");
	tcase_add_test(tc, test_exec_invalidation);
	tcase_add_test(tc, test_exec_without_ops);
	suite_add_tcase(s, tc);

	tc = tcase_create("sanity");
	tcase_add_test(tc, test_bad_frees);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_churn);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(buddy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
