/* Unit tests for the slab allocator (guestmm/slab.c): objects in guest
 * frames, distinct and reused, Slab counters, frames back to the buddy
 * allocator, bad frees reported, random churn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_test_util.h"
#include "guestmm/slab.h"

/* Check's ck_assert reports every passing check to the test runner, which
 * costs a system call; loops over many objects use this instead. */
#define EXPECT(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

struct rec_node {
	struct test_node t;            /* first: test_ops' callbacks cast to it */
	int logs;
	char last_log[160];
};

static void rec_log(void *host, int level, const char *msg)
{
	struct rec_node *r = host;

	(void)level;
	r->logs++;
	snprintf(r->last_log, sizeof(r->last_log), "%s", msg);
}

static const struct mm_host_ops rec_ops = {
	.flush_tlb = test_flush_tlb,
	.invalidate_code = test_invalidate_code,
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

static bool is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static uint64_t prng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* The frame an object lives in, as the slab allocator itself finds it. */
static struct page *obj_page(struct pglist_data *node, const void *obj)
{
	return pfn_to_page(node, ((uintptr_t)obj - (uintptr_t)node->ram) >> PAGE_SHIFT);
}

static bool in_ram(const struct pglist_data *node, const void *obj, size_t size)
{
	uintptr_t a = (uintptr_t)obj, ram = (uintptr_t)node->ram;

	return a >= ram && a + size <= ram + (node->node_present_pages << PAGE_SHIFT);
}

static long slab_pages(const struct pglist_data *node)
{
	return node->stat.stat[NR_SLAB_RECLAIMABLE] + node->stat.stat[NR_SLAB_UNRECLAIMABLE];
}

/* Objects of one cache: valid, zeroed, aligned, inside slab frames of that
 * cache, pairwise disjoint; then each is filled with its own pattern. */
static void check_objects(struct pglist_data *node, struct kmem_cache *cache,
			  void **objs, unsigned long n, size_t size)
{
	void **sorted = malloc(n * sizeof(*sorted));
	size_t align = size >= 16 ? 16 : 8;

	ck_assert_ptr_nonnull(sorted);
	for (unsigned long i = 0; i < n; i++) {
		struct page *page;

		EXPECT(objs[i] && in_ram(node, objs[i], size), "object %lu outside guest RAM", i);
		EXPECT((uintptr_t)objs[i] % align == 0, "object %lu misaligned: %p", i, objs[i]);
		page = obj_page(node, objs[i]);
		EXPECT(PageFlag(page, PG_slab) && page->slab_cache == cache,
		       "object %lu in a frame that is not this cache's slab", i);
		/* an object never straddles the end of its slab: its last byte
		 * is in a frame of the same cache */
		page = obj_page(node, (uint8_t *)objs[i] + size - 1);
		EXPECT(PageFlag(page, PG_slab) && page->slab_cache == cache,
		       "object %lu runs off its slab", i);
		sorted[i] = objs[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_ptr);
	for (unsigned long i = 1; i < n; i++)
		EXPECT((uintptr_t)sorted[i - 1] + size <= (uintptr_t)sorted[i],
		       "objects %p and %p overlap", sorted[i - 1], sorted[i]);
	free(sorted);
}

static void fill(void *obj, size_t size, unsigned long tag)
{
	memset(obj, (int)(tag * 31 + 7) & 0xff, size);
	memcpy(obj, &tag, sizeof(tag) <= size ? sizeof(tag) : size);
}

static bool filled(const void *obj, size_t size, unsigned long tag)
{
	uint8_t expect[8192];

	ck_assert_uint_le(size, sizeof(expect));
	fill(expect, size, tag);
	return memcmp(obj, expect, size) == 0;
}

START_TEST(test_node_caches)
{
	struct test_node t;
	struct pglist_data *node;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned long free0;

	test_node_init(&t, 16);
	node = t.node;
	free0 = nr_free_pages(node);
	ck_assert_str_eq(kmem_cache_name(node->vma_cachep), "vm_area_struct");
	ck_assert_str_eq(kmem_cache_name(node->mm_cachep), "mm_struct");
	ck_assert_uint_eq(kmem_cache_total_pages(node->vma_cachep), 0);  /* grown on demand */

	vma = kmem_cache_zalloc(node->vma_cachep);
	mm = kmem_cache_zalloc(node->mm_cachep);
	ck_assert_ptr_nonnull(vma);
	ck_assert_ptr_nonnull(mm);
	ck_assert(in_ram(node, vma, sizeof(*vma)));
	ck_assert(in_ram(node, mm, sizeof(*mm)));
	ck_assert(is_zero(vma, sizeof(*vma)));
	ck_assert(is_zero(mm, sizeof(*mm)));
	ck_assert(PageFlag(obj_page(node, vma), PG_slab));
	ck_assert_ptr_eq(obj_page(node, vma)->slab_cache, node->vma_cachep);
	ck_assert_ptr_eq(obj_page(node, mm)->slab_cache, node->mm_cachep);
	ck_assert_uint_eq(kmem_cache_active_objs(node->vma_cachep), 1);
	ck_assert_int_eq(node->stat.stat[NR_SLAB_UNRECLAIMABLE],
			 (long)(kmem_cache_total_pages(node->vma_cachep) +
				kmem_cache_total_pages(node->mm_cachep)));
	ck_assert_int_eq(node->stat.stat[NR_SLAB_RECLAIMABLE], 0);
	ck_assert_uint_eq(nr_free_pages(node), free0 - (unsigned long)slab_pages(node));

	vma->vm_start = 0x400000;
	vma->vm_mm = mm;
	kmem_cache_free(node->vma_cachep, vma);
	kmem_cache_free(node->mm_cachep, mm);
	ck_assert_uint_eq(kmem_cache_active_objs(node->vma_cachep), 0);
	ck_assert_uint_eq(kmem_cache_active_objs(node->mm_cachep), 0);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_create_and_layout)
{
	struct test_node t;
	struct pglist_data *node;
	char name[16] = "scratch";
	struct kmem_cache *c;
	void *o;

	test_node_init(&t, 16);
	node = t.node;
	ck_assert_ptr_null(kmem_cache_create(node, "empty", 0, false));
	ck_assert_ptr_null(kmem_cache_create(node, "huge", (PAGE_SIZE << MAX_ORDER) + 1, false));

	c = kmem_cache_create(node, name, 1, false);
	ck_assert_ptr_nonnull(c);
	strcpy(name, "changed");
	ck_assert_str_eq(kmem_cache_name(c), "scratch");       /* a copy */
	o = kmem_cache_zalloc(c);
	ck_assert_uint_eq((uintptr_t)o % 8, 0);
	ck_assert_uint_eq(kmem_cache_total_pages(c), 1);
	kmem_cache_free(c, o);
	kmem_cache_destroy(c);

	/* An object larger than a costly-order slab gets a slab of its own. */
	c = kmem_cache_create(node, "big", 40000, true);
	o = kmem_cache_zalloc(c);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(kmem_cache_total_pages(c), 16);
	ck_assert(is_zero(o, 40000));
	ck_assert_int_eq(node->stat.stat[NR_SLAB_RECLAIMABLE], 16);
	kmem_cache_free(c, o);
	kmem_cache_destroy(c);
	ck_assert_int_eq(node->stat.stat[NR_SLAB_RECLAIMABLE], 0);
	test_node_fini(&t);
}
END_TEST

/* Sizes, and how many frames a slab of each should span. */
static const struct {
	size_t size;
	unsigned long slab_frames;
} layouts[] = {
	{ 8, 1 }, { 24, 1 }, { 100, 1 }, { 500, 1 },
	{ 600, 2 },     /* 4096 / 608 = 6 < 8: order 1 holds 13 */
	{ 3000, 8 },    /* order 3 holds 10 */
	{ 5000, 8 },    /* order 3 holds only 6, but is the costly limit */
};

START_TEST(test_many_objects)
{
	struct test_node t;
	struct pglist_data *node;
	struct kmem_cache *c;
	size_t size = layouts[_i].size;
	unsigned long n = 1500, free0, per_slab, slabs;
	long slab0;
	void **objs = calloc(n, sizeof(*objs));
	uint64_t seed = 7 + _i;

	test_node_init(&t, 64);
	node = t.node;
	free0 = nr_free_pages(node);
	slab0 = slab_pages(node);
	c = kmem_cache_create(node, "test", size, false);
	ck_assert_ptr_nonnull(c);

	for (unsigned long i = 0; i < n; i++) {
		objs[i] = kmem_cache_zalloc(c);
		EXPECT(objs[i] && is_zero(objs[i], size), "object %lu not zeroed", i);
		fill(objs[i], size, i);
	}
	check_objects(node, c, objs, n, size);
	for (unsigned long i = 0; i < n; i++)
		EXPECT(filled(objs[i], size, i), "object %lu overwritten", i);

	per_slab = (PAGE_SIZE * layouts[_i].slab_frames) / ((size + 15) & ~15UL);
	if (size < 16)
		per_slab = PAGE_SIZE / 8;
	slabs = (n + per_slab - 1) / per_slab;
	ck_assert_uint_eq(kmem_cache_active_objs(c), n);
	ck_assert_uint_eq(kmem_cache_total_pages(c), slabs * layouts[_i].slab_frames);
	ck_assert_int_eq(slab_pages(node) - slab0, (long)kmem_cache_total_pages(c));
	ck_assert_uint_eq(nr_free_pages(node), free0 - kmem_cache_total_pages(c));
	/* slabs are aligned buddy blocks: each object's head frame is PG_slab */
	for (unsigned long i = 0; i < n; i++) {
		pfn_t pfn = page_to_pfn(node, obj_page(node, objs[i]));
		pfn_t head = pfn & ~(pfn_t)(layouts[_i].slab_frames - 1);

		EXPECT(PageFlag(pfn_to_page(node, head), PG_slab), "object %lu: head not a slab", i);
	}

	/* Free in random order: every emptied slab but one goes back. */
	for (unsigned long i = n - 1; i > 0; i--) {
		unsigned long j = prng_next(&seed) % (i + 1);
		void *tmp = objs[i];

		objs[i] = objs[j];
		objs[j] = tmp;
	}
	for (unsigned long i = 0; i < n; i++)
		kmem_cache_free(c, objs[i]);
	ck_assert_uint_eq(kmem_cache_active_objs(c), 0);
	ck_assert_uint_eq(kmem_cache_total_pages(c), layouts[_i].slab_frames);
	ck_assert_int_eq(slab_pages(node) - slab0, (long)layouts[_i].slab_frames);
	ck_assert_uint_eq(nr_free_pages(node), free0 - layouts[_i].slab_frames);

	kmem_cache_destroy(c);
	ck_assert_int_eq(slab_pages(node), slab0);
	ck_assert_uint_eq(nr_free_pages(node), free0);
	ck_assert_uint_eq(node->bad_pages, 0);
	free(objs);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_reuse)
{
	struct test_node t;
	struct pglist_data *node;
	struct kmem_cache *c;
	void *a, *b, *objs[40];

	test_node_init(&t, 16);
	node = t.node;
	c = kmem_cache_create(node, "reuse", 192, false);
	a = kmem_cache_zalloc(c);
	memset(a, 0xff, 192);
	kmem_cache_free(c, a);
	b = kmem_cache_zalloc(c);
	ck_assert_ptr_eq(a, b);               /* the last freed is first reused */
	ck_assert(is_zero(b, 192));
	kmem_cache_free(c, b);

	/* A slab emptied while the cache keeps no other empty slab stays. */
	for (int i = 0; i < 40; i++)
		objs[i] = kmem_cache_zalloc(c);
	ck_assert_uint_eq(kmem_cache_total_pages(c), 2);    /* 21 a frame */
	for (int i = 0; i < 40; i++)
		kmem_cache_free(c, objs[i]);
	ck_assert_uint_eq(kmem_cache_total_pages(c), 1);
	for (int i = 0; i < 20; i++) {
		objs[i] = kmem_cache_zalloc(c);
		ck_assert(is_zero(objs[i], 192));
	}
	ck_assert_uint_eq(kmem_cache_total_pages(c), 1);    /* no new slab */
	for (int i = 0; i < 20; i++)
		kmem_cache_free(c, objs[i]);
	kmem_cache_destroy(c);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_counters)
{
	struct test_node t;
	struct pglist_data *node;
	struct kmem_cache *rc, *uc;
	void *r[100], *u[100];
	long rec0, unrec0;

	test_node_init(&t, 16);
	node = t.node;
	rec0 = node->stat.stat[NR_SLAB_RECLAIMABLE];
	unrec0 = node->stat.stat[NR_SLAB_UNRECLAIMABLE];
	rc = kmem_cache_create(node, "dentry-like", 192, true);
	uc = kmem_cache_create(node, "task-like", 1024, false);
	for (int i = 0; i < 100; i++) {
		r[i] = kmem_cache_zalloc(rc);
		u[i] = kmem_cache_zalloc(uc);
	}
	ck_assert_int_eq(node->stat.stat[NR_SLAB_RECLAIMABLE] - rec0, (long)kmem_cache_total_pages(rc));
	ck_assert_int_eq(node->stat.stat[NR_SLAB_UNRECLAIMABLE] - unrec0, (long)kmem_cache_total_pages(uc));
	ck_assert_uint_eq(kmem_cache_total_pages(rc), 5);   /* 21 a frame */
	ck_assert_uint_eq(kmem_cache_total_pages(uc), 26);  /* 4 a frame, order 1 */
	for (int i = 0; i < 100; i++) {
		kmem_cache_free(rc, r[i]);
		kmem_cache_free(uc, u[i]);
	}
	ck_assert_int_eq(node->stat.stat[NR_SLAB_RECLAIMABLE] - rec0, 1);
	ck_assert_int_eq(node->stat.stat[NR_SLAB_UNRECLAIMABLE] - unrec0, 2);
	kmem_cache_destroy(rc);
	kmem_cache_destroy(uc);
	ck_assert_int_eq(node->stat.stat[NR_SLAB_RECLAIMABLE], rec0);
	ck_assert_int_eq(node->stat.stat[NR_SLAB_UNRECLAIMABLE], unrec0);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_exhaustion)
{
	struct test_node t;
	struct pglist_data *node;
	struct kmem_cache *c;
	unsigned long free0, n = 0;
	void **objs;
	void *o;

	test_node_init(&t, 4);
	node = t.node;
	free0 = nr_free_pages(node);
	objs = calloc(free0 * 8 + 1, sizeof(*objs));
	c = kmem_cache_create(node, "fill", 512, false);
	while ((o = kmem_cache_zalloc(c)))
		objs[n++] = o;
	ck_assert_uint_eq(n, free0 * 8);
	ck_assert_uint_eq(nr_free_pages(node), 0);
	check_objects(node, c, objs, n, 512);
	while (n)
		kmem_cache_free(c, objs[--n]);
	kmem_cache_destroy(c);
	ck_assert_uint_eq(nr_free_pages(node), free0);
	free(objs);
	test_node_fini(&t);
}
END_TEST

START_TEST(test_bad_frees)
{
	struct rec_node r;
	struct pglist_data *node;
	struct kmem_cache *a, *b;
	void *x, *y, *z;
	struct page *frame;
	int on_stack;

	rec_node_init(&r, 16);
	node = r.t.node;
	a = kmem_cache_create(node, "a", 64, false);
	b = kmem_cache_create(node, "b", 64, false);
	x = kmem_cache_zalloc(a);
	y = kmem_cache_zalloc(a);
	z = kmem_cache_zalloc(b);
	frame = alloc_page(node, GFP_KERNEL);

	kmem_cache_free(a, &on_stack);
	ck_assert_int_eq(r.logs, 1);
	ck_assert_ptr_nonnull(strstr(r.last_log, "outside guest memory"));
	kmem_cache_free(a, page_address(node, frame));
	ck_assert_int_eq(r.logs, 2);
	kmem_cache_free(a, z);                            /* b's object */
	ck_assert_int_eq(r.logs, 3);
	ck_assert_ptr_nonnull(strstr(r.last_log, "not an object of this cache"));
	kmem_cache_free(a, (uint8_t *)x + 8);
	ck_assert_int_eq(r.logs, 4);
	ck_assert_ptr_nonnull(strstr(r.last_log, "inside an object"));
	ck_assert_uint_eq(kmem_cache_active_objs(a), 2);

	kmem_cache_free(a, x);
	kmem_cache_free(a, x);
	ck_assert_int_eq(r.logs, 5);
	ck_assert_ptr_nonnull(strstr(r.last_log, "double free"));
	ck_assert_uint_eq(kmem_cache_active_objs(a), 1);
	kmem_cache_free(a, y);
	kmem_cache_free(a, y);                           /* now into an empty slab */
	ck_assert_int_eq(r.logs, 6);
	ck_assert_uint_eq(kmem_cache_active_objs(a), 0);

	kmem_cache_free(a, NULL);                        /* allowed, as kfree(NULL) */
	ck_assert_int_eq(r.logs, 6);
	/* Slab frames cannot be given to the buddy allocator behind its back. */
	__free_pages(node, obj_page(node, z), 0);
	ck_assert_int_eq(r.logs, 7);
	ck_assert_uint_eq(kmem_cache_active_objs(b), 1);
	kmem_cache_free(b, z);
	__free_pages(node, frame, 0);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	ck_assert_int_eq(r.logs, 7);
	test_node_fini(&r.t);
}
END_TEST

/* Destroying a cache whose objects are still held is a caller bug: it is
 * reported and the slabs holding them stay out of the buddy allocator. */
START_TEST(test_destroy_with_objects)
{
	struct rec_node r;
	struct pglist_data *node;
	struct kmem_cache *c;
	unsigned long free0;
	void *o;

	rec_node_init(&r, 16);
	node = r.t.node;
	free0 = nr_free_pages(node);
	c = kmem_cache_create(node, "leaky", 128, false);
	o = kmem_cache_zalloc(c);
	kmem_cache_destroy(c);
	ck_assert_int_eq(r.logs, 1);
	ck_assert_ptr_nonnull(strstr(r.last_log, "leaky"));
	ck_assert_uint_eq(nr_free_pages(node), free0 - 1);
	ck_assert(!PageFlag(obj_page(node, o), PG_slab));
	ck_assert_int_eq(slab_pages(node), 0);

	kmem_cache_destroy_all(node);
	ck_assert(list_empty(&node->slab_caches));
	ck_assert_ptr_null(node->vma_cachep);
	ck_assert_ptr_null(node->mm_cachep);
	test_node_fini(&r.t);
}
END_TEST

struct live_obj {
	void *obj;
	int cache;
	unsigned long tag;
};

START_TEST(test_random_churn)
{
	static const size_t sizes[] = { 24, 200, 1500 };
	static const unsigned long slab_frames[] = { 1, 1, 4 };
	struct test_node t;
	struct pglist_data *node;
	struct kmem_cache *caches[3];
	unsigned long live_per[3] = { 0 }, nlive = 0, free0, tag = 0;
	struct live_obj *live = calloc(20000, sizeof(*live));
	uint64_t seed = 2024;

	test_node_init(&t, 16);
	node = t.node;
	free0 = nr_free_pages(node);
	for (int c = 0; c < 3; c++)
		caches[c] = kmem_cache_create(node, "churn", sizes[c], c == 1);

	for (int step = 0; step < 60000; step++) {
		uint64_t rnd = prng_next(&seed);
		unsigned long total = 0;

		if (nlive == 0 || (nlive < 20000 && rnd % 100 < 52)) {
			int c = (int)((rnd >> 8) % 3);
			void *o = kmem_cache_zalloc(caches[c]);

			EXPECT(o, "step %d: cache %d empty-handed", step, c);
			EXPECT(is_zero(o, sizes[c]), "step %d: object not zeroed", step);
			fill(o, sizes[c], ++tag);
			live[nlive++] = (struct live_obj){ o, c, tag };
			live_per[c]++;
		} else {
			unsigned long k = (rnd >> 16) % nlive;
			struct live_obj l = live[k];

			EXPECT(filled(l.obj, sizes[l.cache], l.tag),
			       "step %d: object %lu corrupted", step, l.tag);
			kmem_cache_free(caches[l.cache], l.obj);
			live[k] = live[--nlive];
			live_per[l.cache]--;
		}
		for (int c = 0; c < 3; c++) {
			EXPECT(kmem_cache_active_objs(caches[c]) == live_per[c],
			       "step %d: cache %d active count", step, c);
			total += kmem_cache_total_pages(caches[c]);
		}
		EXPECT(slab_pages(node) == (long)total, "step %d: slab counters", step);
		EXPECT(nr_free_pages(node) == free0 - total, "step %d: free count", step);
	}
	for (unsigned long i = 0; i < nlive; i++)
		EXPECT(filled(live[i].obj, sizes[live[i].cache], live[i].tag),
		       "object %lu corrupted", live[i].tag);
	while (nlive) {
		nlive--;
		kmem_cache_free(caches[live[nlive].cache], live[nlive].obj);
	}
	for (int c = 0; c < 3; c++) {
		ck_assert_uint_le(kmem_cache_total_pages(caches[c]), slab_frames[c]);
		kmem_cache_destroy(caches[c]);
	}
	ck_assert_uint_eq(nr_free_pages(node), free0);
	ck_assert_int_eq(slab_pages(node), 0);
	ck_assert_uint_eq(node->bad_pages, 0);
	free(live);
	test_node_fini(&t);
}
END_TEST

static Suite *slab_suite(void)
{
	Suite *s = suite_create("slab");
	TCase *tc;

	tc = tcase_create("caches");
	tcase_add_test(tc, test_node_caches);
	tcase_add_test(tc, test_create_and_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("objects");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_many_objects, 0, sizeof(layouts) / sizeof(layouts[0]));
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_exhaustion);
	suite_add_tcase(s, tc);

	tc = tcase_create("sanity");
	tcase_add_test(tc, test_bad_frees);
	tcase_add_test(tc, test_destroy_with_objects);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_churn);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(slab_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
