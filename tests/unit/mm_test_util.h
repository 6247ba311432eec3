/* Shared set-up for guestmm unit tests: a node over freshly mapped host RAM,
 * with no machine around it (no TLB, no code translations). */
#ifndef TESTS_UNIT_MM_TEST_UTIL_H
#define TESTS_UNIT_MM_TEST_UTIL_H

#include <sys/mman.h>
#include <check.h>
#include "guestmm/page_alloc.h"

struct test_node {
	struct pglist_data *node;
	uint8_t *ram;
	size_t bytes;
	int tlb_flushes;
	int code_invalidations;
};

static void test_flush_tlb(void *host)
{
	((struct test_node *)host)->tlb_flushes++;
}

static void test_invalidate_code(void *host, pfn_t pfn)
{
	(void)pfn;
	((struct test_node *)host)->code_invalidations++;
}

static const struct mm_host_ops test_ops = {
	.flush_tlb = test_flush_tlb,
	.invalidate_code = test_invalidate_code,
};

/* A node of `mib` MiB of guest RAM. */
static inline void test_node_init(struct test_node *t, unsigned long mib)
{
	t->bytes = mib << 20;
	t->ram = mmap(NULL, t->bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(t->ram, MAP_FAILED);
	t->tlb_flushes = t->code_invalidations = 0;
	t->node = pgdat_create(t->ram, t->bytes >> PAGE_SHIFT, &test_ops, t);
	ck_assert_ptr_nonnull(t->node);
}

static inline void test_node_fini(struct test_node *t)
{
	pgdat_destroy(t->node);
	munmap(t->ram, t->bytes);
}

#endif
