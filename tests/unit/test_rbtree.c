/* Unit tests for guestmm/rbtree.c: random insertions and erasures checked
 * against a sorted array, with every red-black invariant verified. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guestmm/list.h"
#include "guestmm/rbtree.h"

/* Check's ck_assert records every passing check through a pipe in fork
 * mode, which dominates these loops; report only failures. */
#define CHECK(c) do { if (!(c)) ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c); } while (0)

struct item {
	uint64_t key;
	struct rb_node rb;
	int in_tree;
};

/* Deterministic so a failure reproduces; state is the caller's. */
static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct item *cur = rb_entry(*link, struct item, rb);

		parent = *link;
		link = it->key < cur->key ? &(*link)->rb_left : &(*link)->rb_right;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_color(&it->rb, root);
	it->in_tree = 1;
}

static struct item *search(const struct rb_root *root, uint64_t key)
{
	struct rb_node *n = root->rb_node;

	while (n) {
		struct item *cur = rb_entry(n, struct item, rb);

		if (key == cur->key)
			return cur;
		n = key < cur->key ? n->rb_left : n->rb_right;
	}
	return NULL;
}

static int is_black(const struct rb_node *n)
{
	return !n || (n->__rb_parent_color & 1);
}

/* Checks parent links, ordering, no red node with a red child, and equal
 * black heights; returns the black height of the subtree. */
static int check_subtree(const struct rb_node *n, const struct rb_node *parent,
			 const uint64_t *lo, const uint64_t *hi, int *count)
{
	if (!n)
		return 1;
	const struct item *it = rb_entry(n, const struct item, rb);

	CHECK(rb_parent(n) == parent);
	CHECK(!(n->__rb_parent_color & 2));
	if (lo)
		CHECK(it->key > *lo);
	if (hi)
		CHECK(it->key < *hi);
	if (!is_black(n)) {
		CHECK(is_black(n->rb_left));
		CHECK(is_black(n->rb_right));
	}
	(*count)++;
	int bl = check_subtree(n->rb_left, n, lo, &it->key, count);
	int br = check_subtree(n->rb_right, n, &it->key, hi, count);

	CHECK(bl == br);
	return bl + is_black(n);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The whole tree against the items marked in_tree. */
static void check_tree(const struct rb_root *root, struct item *items, int n)
{
	uint64_t *keys = malloc(sizeof(*keys) * (size_t)(n + 1));
	int nk = 0, count = 0, i;

	for (i = 0; i < n; i++)
		if (items[i].in_tree)
			keys[nk++] = items[i].key;
	qsort(keys, (size_t)nk, sizeof(*keys), cmp_u64);

	if (root->rb_node)
		CHECK(is_black(root->rb_node));
	int bh = check_subtree(root->rb_node, NULL, NULL, NULL, &count);
	CHECK(count == nk);
	/* Height bound that red-black balance guarantees. */
	CHECK(bh <= 64);

	/* Forward and backward walks give the sorted keys. */
	i = 0;
	for (struct rb_node *p = rb_first(root); p; p = rb_next(p))
		CHECK(rb_entry(p, struct item, rb)->key == keys[i++]);
	CHECK(i == nk);
	for (struct rb_node *p = rb_last(root); p; p = rb_prev(p))
		CHECK(rb_entry(p, struct item, rb)->key == keys[--i]);
	CHECK(i == 0);
	free(keys);
}

START_TEST(test_empty)
{
	struct rb_root root = RB_ROOT;

	ck_assert_ptr_null(rb_first(&root));
	ck_assert_ptr_null(rb_last(&root));
}
END_TEST

START_TEST(test_single)
{
	struct rb_root root = RB_ROOT;
	struct item it = { .key = 7 };

	insert(&root, &it);
	ck_assert_ptr_eq(rb_first(&root), &it.rb);
	ck_assert_ptr_eq(rb_last(&root), &it.rb);
	ck_assert_ptr_null(rb_next(&it.rb));
	ck_assert_ptr_null(rb_prev(&it.rb));
	ck_assert(is_black(&it.rb));
	rb_erase(&it.rb, &root);
	ck_assert_ptr_null(root.rb_node);
}
END_TEST

/* Ascending and descending insertion are the worst cases for an unbalanced
 * tree; the invariants must hold at every step. */
START_TEST(test_sequential)
{
	enum { N = 1000 };
	struct item *items = calloc(N, sizeof(*items));
	struct rb_root root = RB_ROOT;
	int i;

	for (i = 0; i < N; i++) {
		items[i].key = _i ? (uint64_t)(N - i) : (uint64_t)i;
		insert(&root, &items[i]);
		if (i % 97 == 0)
			check_tree(&root, items, N);
	}
	check_tree(&root, items, N);
	for (i = 0; i < N; i++) {
		rb_erase(&items[i].rb, &root);
		items[i].in_tree = 0;
		if (i % 89 == 0)
			check_tree(&root, items, N);
	}
	ck_assert_ptr_null(root.rb_node);
	free(items);
}
END_TEST

/* Random interleavings of insert and erase, checked after every step for
 * small trees (where every rebalancing case shows up) and periodically for
 * large ones. */
START_TEST(test_random)
{
	const int n = _i == 0 ? 64 : 5000;
	const int rounds = _i == 0 ? 4000 : 40000;
	struct item *items = calloc((size_t)n, sizeof(*items));
	struct rb_root root = RB_ROOT;
	uint64_t seed = 0x9e3779b97f4a7c15ULL + (uint64_t)_i;
	int in = 0, r;

	for (r = 0; r < rounds; r++) {
		struct item *it = &items[xorshift(&seed) % (uint64_t)n];

		if (it->in_tree) {
			CHECK(search(&root, it->key) == it);
			rb_erase(&it->rb, &root);
			it->in_tree = 0;
			in--;
			CHECK(search(&root, it->key) == NULL);
		} else {
			/* Unique keys: retry on a collision. */
			do
				it->key = xorshift(&seed) % 1000003;
			while (search(&root, it->key));
			insert(&root, it);
			in++;
		}
		if (n <= 64 || r % 997 == 0)
			check_tree(&root, items, n);
	}
	check_tree(&root, items, n);
	(void)in;
	free(items);
}
END_TEST

/* Erasing the root and inner nodes with two children exercises the
 * successor-replacement paths. */
START_TEST(test_erase_inner)
{
	enum { N = 255 };
	struct item items[N];
	struct rb_root root = RB_ROOT;

	memset(items, 0, sizeof(items));
	for (int i = 0; i < N; i++) {
		items[i].key = (uint64_t)i * 2;
		insert(&root, &items[i]);
	}
	while (root.rb_node) {
		struct item *it = rb_entry(root.rb_node, struct item, rb);

		rb_erase(&it->rb, &root);
		it->in_tree = 0;
		check_tree(&root, items, N);
	}
}
END_TEST

static Suite *rbtree_suite(void)
{
	Suite *s = suite_create("rbtree");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_single);
	tcase_add_loop_test(tc, test_sequential, 0, 2);
	tcase_add_loop_test(tc, test_random, 0, 2);
	tcase_add_test(tc, test_erase_inner);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rbtree_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
