/* Unit tests for the VMA layer: mmap/munmap (placement, splitting, merging,
 * errno), brk, mremap, mprotect, mlock, the map_count limit and the vm
 * counters, plus a random sequence checked against a page-by-page model. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "guestmm/mm.h"
#include "tests/unit/mm_test_util.h"

/* Check's ck_assert records every passing check through a pipe in fork
 * mode; hot loops report only failures. */
#define CHECK(c) do { if (!(c)) ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c); } while (0)

#define P PAGE_SIZE
/* Where arch_mmap_base(8 MiB, 0) puts the top of the mmap area. */
#define DEFAULT_BASE 0x7ffff7fff000ULL
#define RW (PROT_READ | PROT_WRITE)

struct env {
	struct test_node t;
	struct mm_struct *mm;
};

static void env_init(struct env *e)
{
	test_node_init(&e->t, 64);
	e->mm = mm_alloc(e->t.node);
	ck_assert_ptr_nonnull(e->mm);
}

/* Tearing the mm down must give back every mapped page and table. */
static void env_fini(struct env *e)
{
	struct pglist_data *node = e->t.node;

	mmput(e->mm);
	ck_assert_int_eq(node->stat.stat[NR_ANON_MAPPED], 0);
	ck_assert_int_eq(node->stat.stat[NR_PAGETABLE], 0);
	ck_assert_uint_eq(node->bad_pages, 0);
	test_node_fini(&e->t);
}

static uint64_t map_anon(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot,
			 int extra)
{
	int64_t r = do_mmap(mm, addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, NULL, 0);

	ck_assert_msg(r >= 0, "mmap(%#llx, %#llx) failed: %lld", (unsigned long long)addr,
		      (unsigned long long)len, (long long)r);
	return (uint64_t)r;
}

static void poke(struct mm_struct *mm, uint64_t addr, uint64_t v)
{
	CHECK(copy_to_user(mm, addr, &v, sizeof(v)) == 0);
}

static uint64_t peek(struct mm_struct *mm, uint64_t addr)
{
	uint64_t v = 0;

	CHECK(copy_from_user(mm, &v, addr, sizeof(v)) == 0);
	return v;
}

static struct vm_area_struct *nth_vma(struct mm_struct *mm, int n)
{
	struct list_head *pos;

	list_for_each(pos, &mm->mmap_list)
		if (n-- == 0)
			return list_entry(pos, struct vm_area_struct, vm_list);
	return NULL;
}

static pte_t pte_at(struct mm_struct *mm, uint64_t addr)
{
	pte_t *pte = pte_offset(mm, addr);

	return pte ? *pte : (pte_t){ 0 };
}

/* Every structural invariant of mmap.c, and the counters recomputed from
 * the VMAs exactly as vm_stat_account defines them. */
static void check_mm(struct mm_struct *mm)
{
	long total = 0, exec = 0, stack = 0, data = 0, locked = 0;
	struct vm_area_struct *prev = NULL;
	struct rb_node *rb = rb_first(&mm->mm_rb);
	struct list_head *pos;
	int count = 0;

	list_for_each(pos, &mm->mmap_list) {
		struct vm_area_struct *vma = list_entry(pos, struct vm_area_struct, vm_list);
		long pages = (long)vma_pages(vma);
		unsigned long f = vma->vm_flags;

		CHECK(rb && rb_entry(rb, struct vm_area_struct, vm_rb) == vma);
		rb = rb_next(rb);
		CHECK(vma->vm_mm == mm);
		CHECK(vma->vm_start < vma->vm_end);
		CHECK(PAGE_ALIGNED(vma->vm_start) && PAGE_ALIGNED(vma->vm_end));
		CHECK(vma->vm_end <= TASK_SIZE);
		CHECK(!prev || prev->vm_end <= vma->vm_start);
		CHECK(find_vma(mm, vma->vm_start) == vma);
		CHECK(vma_lookup(mm, vma->vm_end - 1) == vma);
		CHECK(vma_prev(mm, vma) == prev);
		if (prev)
			CHECK(vma_next(mm, prev) == vma);
		total += pages;
		if ((f & (VM_EXEC | VM_WRITE | VM_STACK)) == VM_EXEC)
			exec += pages;
		else if (f & VM_STACK)
			stack += pages;
		else if ((f & (VM_WRITE | VM_SHARED)) == VM_WRITE)
			data += pages;
		if (f & VM_LOCKED)
			locked += pages;
		prev = vma;
		count++;
	}
	CHECK(rb == NULL);
	CHECK(count == mm->map_count);
	CHECK(total == mm->total_vm);
	CHECK(exec == mm->exec_vm);
	CHECK(stack == mm->stack_vm);
	CHECK(data == mm->data_vm);
	CHECK(locked == mm->locked_vm);
}

/* A temporary host file of `pages` pages, page i filled with byte 'a'+i. */
static char *make_file(int pages)
{
	char *path = strdup("/tmp/vmemu-test-vma-XXXXXX");
	int fd = mkstemp(path);
	char buf[4096];

	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < pages; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		ck_assert_int_eq(write(fd, buf, sizeof(buf)), (int)sizeof(buf));
	}
	close(fd);
	return path;
}

static struct file *open_file(const char *path, int mode)
{
	int fd = open(path, mode);
	struct file *f;

	ck_assert_int_ge(fd, 0);
	f = file_from_fd(fd, path);
	ck_assert_ptr_nonnull(f);
	return f;
}

/* ---------------- lookups and the VMA API ---------------- */

START_TEST(test_find_vma)
{
	struct env e;
	struct mm_struct *mm;
	struct vm_area_struct *lo, *hi;
	uint64_t a = 0x10000000;

	env_init(&e);
	mm = e.mm;
	ck_assert_ptr_null(find_vma(mm, 0));
	map_anon(mm, a, 2 * P, RW, MAP_FIXED);
	map_anon(mm, a + 4 * P, 2 * P, RW, MAP_FIXED);
	lo = nth_vma(mm, 0);
	hi = nth_vma(mm, 1);
	ck_assert_ptr_eq(find_vma(mm, 0), lo);
	ck_assert_ptr_eq(find_vma(mm, a + P + 5), lo);
	ck_assert_ptr_eq(mm->mmap_cache, lo);
	/* In a gap: find_vma gives the next VMA, vma_lookup nothing. */
	ck_assert_ptr_eq(find_vma(mm, a + 2 * P), hi);
	ck_assert_ptr_null(vma_lookup(mm, a + 3 * P));
	ck_assert_ptr_null(find_vma(mm, a + 6 * P));
	ck_assert_ptr_null(find_vma_intersection(mm, a + 2 * P, a + 4 * P));
	ck_assert_ptr_eq(find_vma_intersection(mm, a + 2 * P, a + 4 * P + 1), hi);
	ck_assert_ptr_eq(vma_next(mm, lo), hi);
	ck_assert_ptr_null(vma_next(mm, hi));
	ck_assert_ptr_eq(vma_prev(mm, hi), lo);
	ck_assert_ptr_null(vma_prev(mm, lo));
	/* The cache never outlives its VMA. */
	ck_assert_ptr_eq(find_vma(mm, a + 4 * P), hi);
	ck_assert_int_eq(do_munmap(mm, a + 4 * P, 2 * P), 0);
	ck_assert_ptr_null(mm->mmap_cache);
	ck_assert_ptr_null(find_vma(mm, a + 4 * P));
	env_fini(&e);
}
END_TEST

/* vma_modify_flags and split_vma as madvise uses them. */
START_TEST(test_vma_modify_flags)
{
	struct env e;
	struct mm_struct *mm;
	struct vm_area_struct *v, *w;
	uint64_t a = 0x10000000;
	unsigned long flags;

	env_init(&e);
	mm = e.mm;
	map_anon(mm, a, 6 * P, RW, MAP_FIXED);
	v = nth_vma(mm, 0);
	flags = v->vm_flags;
	w = vma_modify_flags(v, a + 2 * P, a + 4 * P, flags | VM_DONTCOPY);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(w->vm_start, a + 2 * P);
	ck_assert_uint_eq(w->vm_end, a + 4 * P);
	ck_assert_uint_eq(w->vm_pgoff, (a + 2 * P) >> PAGE_SHIFT);
	ck_assert_int_eq(mm->map_count, 3);
	/* Extending the change to the head merges with the middle piece. */
	w = vma_modify_flags(nth_vma(mm, 0), a, a + 2 * P, flags | VM_DONTCOPY);
	ck_assert_uint_eq(w->vm_start, a);
	ck_assert_uint_eq(w->vm_end, a + 4 * P);
	ck_assert_int_eq(mm->map_count, 2);
	/* Same flags: nothing to do. */
	ck_assert_ptr_eq(vma_modify_flags(w, a, a + P, w->vm_flags), w);
	/* Undoing it merges everything back. */
	w = vma_modify_flags(w, a, a + 4 * P, flags);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_uint_eq(w->vm_start, a);
	ck_assert_uint_eq(w->vm_end, a + 6 * P);
	/* split_vma keeps the lower part in the VMA it was given. */
	ck_assert_int_eq(split_vma(w, a + P), 0);
	ck_assert_uint_eq(w->vm_end, a + P);
	ck_assert_uint_eq(vma_next(mm, w)->vm_start, a + P);
	ck_assert_uint_eq(vma_next(mm, w)->vm_pgoff, (a + P) >> PAGE_SHIFT);
	ck_assert_int_eq(mm->total_vm, 6);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

/* ---------------- mmap placement ---------------- */

START_TEST(test_mmap_topdown_and_merge)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a, b;

	env_init(&e);
	mm = e.mm;
	a = map_anon(mm, 0, 3 * P, RW, 0);
	ck_assert_uint_eq(a, DEFAULT_BASE - 3 * P);
	/* The next one goes right below and merges into one VMA. */
	b = map_anon(mm, 0, 2 * P, RW, 0);
	ck_assert_uint_eq(b, a - 2 * P);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_start, b);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_end, a + 3 * P);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_pgoff, b >> PAGE_SHIFT);
	ck_assert(nth_vma(mm, 0)->vm_flags & VM_ACCOUNT);
	/* Different protection: a VMA of its own. */
	map_anon(mm, 0, P, PROT_READ, 0);
	ck_assert_int_eq(mm->map_count, 2);
	ck_assert_int_eq(mm->total_vm, 6);
	ck_assert_int_eq(mm->data_vm, 5);
	check_mm(mm);

	/* An explicit mmap_base is honoured. */
	mm->mmap_base = 0x500000000ULL;
	ck_assert_uint_eq(map_anon(mm, 0, P, PROT_EXEC, 0), 0x500000000ULL - P);
	ck_assert_int_eq(mm->exec_vm, 1);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mmap_hint)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a;

	env_init(&e);
	mm = e.mm;
	/* A free hint is used as is (rounded down to a page). */
	ck_assert_uint_eq(map_anon(mm, 0x20000123, P, RW, 0), 0x20000000);
	/* A busy hint falls back to the top-down search. */
	a = map_anon(mm, 0x20000000, P, PROT_READ, 0);
	ck_assert_uint_eq(a, DEFAULT_BASE - P);
	/* A hint overlapping only partly is busy too. */
	a = map_anon(mm, 0x1ffff000, 2 * P, PROT_READ, 0);
	ck_assert_uint_eq(a, DEFAULT_BASE - 3 * P);
	ck_assert_int_eq(mm->map_count, 2);
	/* Below mmap_min_addr the hint is raised to it (round_hint_to_min). */
	ck_assert_uint_eq(map_anon(mm, 0x1000, P, RW, 0), MMAP_MIN_ADDR);
	/* A hint that would run past TASK_SIZE is ignored. */
	a = map_anon(mm, TASK_SIZE - P, 2 * P, RW, 0);
	ck_assert_uint_lt(a, DEFAULT_BASE);
	/* A hint in the guard gap below a growsdown stack is refused. */
	map_anon(mm, 0x30000000, 4 * P, RW, MAP_FIXED | MAP_GROWSDOWN);
	a = map_anon(mm, 0x30000000 - 2 * P, P, RW, 0);
	ck_assert_uint_ne(a, 0x30000000 - 2 * P);
	ck_assert_int_eq(mm->stack_vm, 4);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

/* Top-down placement leaves the guard gap below a stack free, and fills
 * holes from the top. */
START_TEST(test_mmap_topdown_gaps)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t base = 0x400000000ULL;

	env_init(&e);
	mm = e.mm;
	mm->mmap_base = base;
	map_anon(mm, base - 4 * P, 4 * P, PROT_READ, MAP_FIXED);
	map_anon(mm, base - 10 * P, 2 * P, PROT_READ, MAP_FIXED);
	/* Hole of 4 pages between them: a 4-page request fits exactly. */
	ck_assert_uint_eq(map_anon(mm, 0, 4 * P, RW, 0), base - 8 * P);
	/* Now contiguous down to base-10P: the next goes below. */
	ck_assert_uint_eq(map_anon(mm, 0, P, RW, 0), base - 11 * P);
	/* A stack further down: the hole above it is used, but the guard
	 * gap below it must stay free. */
	map_anon(mm, base - 20 * P, 2 * P, RW, MAP_FIXED | MAP_GROWSDOWN);
	ck_assert_uint_eq(map_anon(mm, 0, P, PROT_EXEC, 0), base - 12 * P);
	ck_assert_uint_eq(map_anon(mm, 0, 8 * P, PROT_EXEC, 0),
			  base - 20 * P - STACK_GUARD_GAP - 8 * P);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mmap_fixed)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000;
	struct vm_area_struct *v;

	env_init(&e);
	mm = e.mm;
	map_anon(mm, a, 5 * P, RW, MAP_FIXED);
	for (int i = 0; i < 5; i++)
		poke(mm, a + i * P, 100 + i);
	/* MAP_FIXED over the middle replaces it. */
	ck_assert_int_eq(do_mmap(mm, a + P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, NULL, 0),
			 (int64_t)(a + P));
	ck_assert_int_eq(mm->map_count, 3);
	v = nth_vma(mm, 1);
	ck_assert_uint_eq(v->vm_start, a + P);
	ck_assert_uint_eq(v->vm_end, a + 3 * P);
	ck_assert_uint_eq(v->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	ck_assert_uint_eq(peek(mm, a), 100);
	ck_assert_uint_eq(peek(mm, a + P), 0);
	ck_assert_uint_eq(peek(mm, a + 2 * P), 0);
	ck_assert_uint_eq(peek(mm, a + 3 * P), 103);
	ck_assert_uint_eq(peek(mm, a + 4 * P), 104);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 3);
	/* MAP_FIXED with the same flags as around merges all back. */
	map_anon(mm, a + P, 2 * P, RW, MAP_FIXED);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_int_eq(mm->total_vm, 5);

	/* Unaligned, or too low. */
	ck_assert_int_eq(do_mmap(mm, a + 1, P, RW, MAP_PRIVATE | MAP_FIXED, NULL, 0), -EINVAL);
	ck_assert_int_eq(do_mmap(mm, 0x1000, P, RW, MAP_PRIVATE | MAP_FIXED, NULL, 0), -EPERM);
	/* Past the end of the user half. */
	ck_assert_int_eq(do_mmap(mm, TASK_SIZE - P, 2 * P, RW, MAP_PRIVATE | MAP_FIXED, NULL, 0),
			 -ENOMEM);

	/* MAP_FIXED_NOREPLACE. */
	ck_assert_int_eq(do_mmap(mm, a + 4 * P, 2 * P, RW, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
				 NULL, 0), -EEXIST);
	ck_assert_int_eq(do_mmap(mm, a + 5 * P, 2 * P, PROT_READ,
				 MAP_PRIVATE | MAP_FIXED_NOREPLACE, NULL, 0), (int64_t)(a + 5 * P));
	ck_assert_int_eq(do_mmap(mm, a + 5 * P + 1, P, RW, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
				 NULL, 0), -EINVAL);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mmap_32bit)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a, b;

	env_init(&e);
	mm = e.mm;
	a = map_anon(mm, 0, 3 * P, RW, MAP_32BIT);
	ck_assert_uint_ge(a, 0x40000000);
	ck_assert_uint_le(a + 3 * P, 0x80000000);
	b = map_anon(mm, 0, P, PROT_READ, MAP_32BIT);
	ck_assert_uint_ge(b, 0x40000000);
	ck_assert_uint_le(b + P, 0x80000000);
	ck_assert(b + P <= a || b >= a + 3 * P);
	/* Too big for the 1 GiB window: the search fails. */
	ck_assert_int_eq(do_mmap(mm, 0, 0x40000000ULL + P, RW,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, NULL, 0), -ENOMEM);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mmap_errors)
{
	struct env e;
	struct mm_struct *mm;
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS;

	env_init(&e);
	mm = e.mm;
	ck_assert_int_eq(do_mmap(mm, 0, 0, RW, anon, NULL, 0), -EINVAL);
	ck_assert_int_eq(do_mmap(mm, 0, ~0ULL, RW, anon, NULL, 0), -ENOMEM);
	ck_assert_int_eq(do_mmap(mm, 0, ~0ULL - 2 * P, RW, anon, NULL, 0), -ENOMEM);
	ck_assert_int_eq(do_mmap(mm, 0, TASK_SIZE + P, RW, anon, NULL, 0), -ENOMEM);
	/* Neither shared nor private. */
	ck_assert_int_eq(do_mmap(mm, 0, P, RW, MAP_ANONYMOUS, NULL, 0), -EINVAL);
	/* Linux 6.1 knows MAP_SHARED_VALIDATE only for files. */
	ck_assert_int_eq(do_mmap(mm, 0, P, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(do_mmap(mm, 0, P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(do_mmap(mm, 0, P, RW, anon | MAP_HUGETLB, NULL, 0), -ENOMEM);
	/* Offsets in bytes must be page aligned. */
	ck_assert_int_eq(vm_mmap(mm, 0, P, RW, anon, NULL, 1), -EINVAL);
	ck_assert_int_eq(mm->map_count, 0);
	ck_assert_int_eq(mm->total_vm, 0);

	/* Shared anonymous memory: VM_SHARED, not data, not accounted. */
	ck_assert_int_ge(do_mmap(mm, 0, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0), 0);
	ck_assert(nth_vma(mm, 0)->vm_flags & VM_SHARED);
	ck_assert(!(nth_vma(mm, 0)->vm_flags & VM_ACCOUNT));
	ck_assert_int_eq(mm->data_vm, 0);
	ck_assert_int_eq(mm->total_vm, 2);
	/* MAP_NORESERVE: no commit. */
	map_anon(mm, 0, P, RW, MAP_NORESERVE);
	ck_assert(nth_vma(mm, 0)->vm_flags & VM_NORESERVE);
	ck_assert(!(nth_vma(mm, 0)->vm_flags & VM_ACCOUNT));
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mmap_file)
{
	struct env e;
	struct mm_struct *mm;
	char *path = make_file(4);
	struct file *ro, *wo, *rw;
	int64_t a, b;
	uint8_t c;

	env_init(&e);
	mm = e.mm;
	ro = open_file(path, O_RDONLY);
	wo = open_file(path, O_WRONLY);
	rw = open_file(path, O_RDWR);

	ck_assert_int_eq(do_mmap(mm, 0, P, RW, MAP_SHARED, ro, 0), -EACCES);
	ck_assert_int_eq(do_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE, wo, 0), -EACCES);
	ck_assert_int_eq(do_mmap(mm, 0, P, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, rw, 0),
			 -EOPNOTSUPP);
	/* Plain MAP_SHARED ignores unknown flags. */
	a = do_mmap(mm, 0, P, PROT_READ, MAP_SHARED | 0x800000, rw, 0);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(do_munmap(mm, (uint64_t)a, P), 0);
	ck_assert_int_eq(do_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, rw, 0), -EINVAL);
	ck_assert_int_eq(do_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE, rw, ~0ULL >> 13), -EOVERFLOW);
	ck_assert_int_eq(do_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE | MAP_HUGETLB, rw, 0), -EINVAL);

	/* Shared read-only file: no VM_SHARED, no VM_MAYWRITE. */
	a = do_mmap(mm, 0, 2 * P, PROT_READ, MAP_SHARED, ro, 0);
	ck_assert_int_ge(a, 0);
	ck_assert(nth_vma(mm, 0)->vm_flags & VM_MAYSHARE);
	ck_assert(!(nth_vma(mm, 0)->vm_flags & (VM_SHARED | VM_MAYWRITE)));
	ck_assert_ptr_eq(nth_vma(mm, 0)->vm_file, ro);
	CHECK(copy_from_user(mm, &c, (uint64_t)a + P, 1) == 0);
	ck_assert_int_eq(c, 'b');
	/* Its file offset continues below: pages 2-3 mapped just above would
	 * merge, page 3 alone would not. */
	b = do_mmap(mm, (uint64_t)a + 2 * P, P, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 3);
	ck_assert_int_eq(b, a + 2 * (int64_t)P);
	ck_assert_int_eq(mm->map_count, 2);
	b = do_mmap(mm, (uint64_t)a + 2 * P, P, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 2);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_end, (uint64_t)a + 3 * P);
	CHECK(copy_from_user(mm, &c, (uint64_t)a + 2 * P, 1) == 0);
	ck_assert_int_eq(c, 'c');
	/* A different struct file of the same inode does not merge. */
	b = do_mmap(mm, (uint64_t)a + 3 * P, P, PROT_READ, MAP_SHARED | MAP_FIXED, rw, 3);
	ck_assert_int_eq(mm->map_count, 2);
	check_mm(mm);

	file_put(ro);
	file_put(wo);
	file_put(rw);
	env_fini(&e);
	unlink(path);
	free(path);
}
END_TEST

/* ---------------- munmap ---------------- */

START_TEST(test_munmap)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000, v;
	unsigned long free0;

	env_init(&e);
	mm = e.mm;
	/* Warm the VMA slab up, so the free count can be compared after. */
	map_anon(mm, a, P, RW, MAP_FIXED);
	ck_assert_int_eq(do_munmap(mm, a, P), 0);
	free0 = nr_free_pages(e.t.node);
	map_anon(mm, a, 6 * P, RW, MAP_FIXED);
	for (int i = 0; i < 6; i++)
		poke(mm, a + i * P, 0x1000 + i);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 6);

	/* A hole in the middle splits the VMA in two. */
	ck_assert_int_eq(do_munmap(mm, a + 2 * P, 2 * P), 0);
	ck_assert_int_eq(mm->map_count, 2);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_end, a + 2 * P);
	ck_assert_uint_eq(nth_vma(mm, 1)->vm_start, a + 4 * P);
	ck_assert_uint_eq(nth_vma(mm, 1)->vm_pgoff, (a + 4 * P) >> PAGE_SHIFT);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 4);
	ck_assert_int_eq(copy_from_user(mm, &v, a + 2 * P, 8), -EFAULT);
	ck_assert_uint_eq(peek(mm, a + P), 0x1001);
	ck_assert_uint_eq(peek(mm, a + 4 * P), 0x1004);
	ck_assert_int_eq(mm->total_vm, 4);
	check_mm(mm);

	/* Unmapping holes is fine; a range over several VMAs trims both. */
	ck_assert_int_eq(do_munmap(mm, a + 2 * P, P), 0);
	ck_assert_int_eq(do_munmap(mm, a + P, 4 * P), 0);
	ck_assert_int_eq(mm->map_count, 2);
	ck_assert_uint_eq(peek(mm, a), 0x1000);
	ck_assert_uint_eq(peek(mm, a + 5 * P), 0x1005);
	/* Length is rounded up to pages. */
	ck_assert_int_eq(do_munmap(mm, a + 5 * P, 1), 0);
	ck_assert_int_eq(mm->map_count, 1);

	ck_assert_int_eq(do_munmap(mm, a + 1, P), -EINVAL);
	ck_assert_int_eq(do_munmap(mm, a, 0), -EINVAL);
	ck_assert_int_eq(do_munmap(mm, TASK_SIZE - P, 2 * P), -EINVAL);
	ck_assert_int_eq(do_munmap(mm, TASK_SIZE + P, P), -EINVAL);
	ck_assert_int_eq(do_munmap(mm, a, ~0ULL), -EINVAL);

	ck_assert_int_eq(do_munmap(mm, a, P), 0);
	ck_assert_int_eq(mm->map_count, 0);
	ck_assert_int_eq(mm->total_vm, 0);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 0);
	/* Pages and page tables are back (only the PGD remains). */
	ck_assert_int_eq(e.t.node->stat.stat[NR_PAGETABLE], 1);
	ck_assert_uint_eq(nr_free_pages(e.t.node), free0);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

/* ---------------- brk ---------------- */

START_TEST(test_brk)
{
	struct env e;
	struct mm_struct *mm;
	const uint64_t start = 0x800000;
	struct vm_area_struct *heap;

	env_init(&e);
	mm = e.mm;
	mm->start_brk = mm->brk = start;
	ck_assert_uint_eq(do_brk(mm, 0), start);
	ck_assert_uint_eq(do_brk(mm, start - P), start);
	ck_assert_int_eq(mm->map_count, 0);

	/* Growing maps a [heap] VMA; the break itself need not be aligned. */
	ck_assert_uint_eq(do_brk(mm, start + 100), start + 100);
	heap = vma_lookup(mm, start);
	ck_assert_ptr_nonnull(heap);
	ck_assert_str_eq(heap->vm_name, "[heap]");
	ck_assert_uint_eq(heap->vm_end, start + P);
	poke(mm, start + 8, 42);
	/* Within the same page: nothing to map. */
	ck_assert_uint_eq(do_brk(mm, start + 200), start + 200);
	ck_assert_int_eq(mm->map_count, 1);
	/* Growing again extends the same VMA. */
	ck_assert_uint_eq(do_brk(mm, start + 5 * P), start + 5 * P);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_uint_eq(heap->vm_end, start + 5 * P);
	ck_assert_int_eq(mm->data_vm, 5);
	ck_assert_uint_eq(peek(mm, start + 8), 42);
	poke(mm, start + 4 * P, 7);
	check_mm(mm);

	/* Shrinking unmaps (and drops the data). */
	ck_assert_uint_eq(do_brk(mm, start + 2 * P), start + 2 * P);
	ck_assert_uint_eq(heap->vm_end, start + 2 * P);
	ck_assert_uint_eq(do_brk(mm, start + 5 * P), start + 5 * P);
	ck_assert_uint_eq(peek(mm, start + 4 * P), 0);
	ck_assert_uint_eq(peek(mm, start + 8), 42);

	/* Collision: a mapping 3 pages above the break; brk must leave one
	 * page free below it. */
	map_anon(mm, start + 8 * P, P, PROT_READ, MAP_FIXED);
	ck_assert_uint_eq(do_brk(mm, start + 8 * P), start + 5 * P);
	ck_assert_uint_eq(do_brk(mm, start + 7 * P + 1), start + 5 * P);
	ck_assert_uint_eq(do_brk(mm, start + 7 * P), start + 7 * P);
	ck_assert_uint_eq(heap->vm_end, start + 7 * P);
	/* A stack above keeps its guard gap. */
	ck_assert_int_eq(do_munmap(mm, start + 8 * P, P), 0);
	map_anon(mm, start + 7 * P + STACK_GUARD_GAP + 2 * P, P, RW, MAP_FIXED | MAP_GROWSDOWN);
	ck_assert_uint_eq(do_brk(mm, start + 8 * P + 1), start + 7 * P);
	ck_assert_uint_eq(do_brk(mm, start + 8 * P), start + 8 * P);
	check_mm(mm);

	/* Shrinking over a hole where the heap was fails. */
	ck_assert_int_eq(do_munmap(mm, start, 8 * P), 0);
	ck_assert_uint_eq(do_brk(mm, start + P), start + 8 * P);
	ck_assert_uint_eq(do_brk(mm, start), start + 8 * P);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

/* ---------------- mremap ---------------- */

START_TEST(test_mremap_in_place)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000;

	env_init(&e);
	mm = e.mm;
	map_anon(mm, a, 4 * P, RW, MAP_FIXED);
	for (int i = 0; i < 4; i++)
		poke(mm, a + i * P, 7 + i);

	/* Shrink: the tail goes. */
	ck_assert_int_eq(do_mremap(mm, a, 4 * P, 2 * P, 0, 0), (int64_t)a);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_end, a + 2 * P);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 2);
	ck_assert_int_eq(mm->total_vm, 2);
	/* Grow in place into free space: the data stays, the new part is zero. */
	ck_assert_int_eq(do_mremap(mm, a, 2 * P, 6 * P, 0, 0), (int64_t)a);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_end, a + 6 * P);
	ck_assert_uint_eq(peek(mm, a + P), 8);
	ck_assert_uint_eq(peek(mm, a + 3 * P), 0);
	ck_assert_int_eq(mm->total_vm, 6);
	ck_assert_int_eq(mm->data_vm, 6);
	/* Growing into a compatible neighbour's start merges all three. */
	map_anon(mm, a + 8 * P, 2 * P, RW, MAP_FIXED);
	ck_assert_int_eq(mm->map_count, 2);
	ck_assert_int_eq(do_mremap(mm, a, 6 * P, 8 * P, 0, 0), (int64_t)a);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_end, a + 10 * P);
	/* No room and no MAYMOVE. */
	map_anon(mm, a + 10 * P, P, PROT_READ, MAP_FIXED);
	ck_assert_int_eq(do_mremap(mm, a, 10 * P, 11 * P, 0, 0), -ENOMEM);
	/* Only the end of a VMA can grow in place. */
	ck_assert_int_eq(do_mremap(mm, a, 2 * P, 3 * P, 0, 0), -ENOMEM);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mremap_move)
{
	struct env e;
	struct mm_struct *mm;
	struct pglist_data *node;
	uint64_t a = 0x10000000, b;
	pfn_t pfn[4];
	int64_t r;

	env_init(&e);
	mm = e.mm;
	node = e.t.node;
	map_anon(mm, a, 4 * P, RW, MAP_FIXED);
	map_anon(mm, a + 4 * P, P, PROT_READ, MAP_FIXED);	/* blocks growth */
	for (int i = 0; i < 4; i++) {
		poke(mm, a + i * P, 0xabc0 + i);
		pfn[i] = pte_pfn(pte_at(mm, a + i * P));
	}
	e.t.tlb_flushes = 0;
	r = do_mremap(mm, a, 4 * P, 8 * P, MREMAP_MAYMOVE, 0);
	ck_assert_int_gt(r, 0);
	b = (uint64_t)r;
	ck_assert_uint_ne(b, a);
	/* Frames moved, not copied; their counts are unchanged. */
	for (int i = 0; i < 4; i++) {
		struct page *page = pfn_to_page(node, pfn[i]);

		ck_assert_uint_eq(pte_pfn(pte_at(mm, b + i * P)), pfn[i]);
		ck_assert_int_eq(page_mapcount(page), 1);
		ck_assert_int_eq(page_count(page), 1);
		ck_assert_uint_eq(peek(mm, b + i * P), 0xabc0 + i);
		ck_assert(pte_none(pte_at(mm, a + i * P)));
	}
	ck_assert_uint_eq(peek(mm, b + 6 * P), 0);
	ck_assert_ptr_null(vma_lookup(mm, a));
	ck_assert_int_gt(e.t.tlb_flushes, 0);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 4);
	ck_assert_int_eq(mm->total_vm, 9);
	/* It kept its pgoff (the pages' index), so it does not merge with a
	 * fresh neighbour at the new place... */
	ck_assert_uint_eq(vma_lookup(mm, b)->vm_pgoff, a >> PAGE_SHIFT);
	map_anon(mm, b + 8 * P, P, RW, MAP_FIXED);
	ck_assert_ptr_ne(vma_lookup(mm, b), vma_lookup(mm, b + 8 * P));
	ck_assert_int_eq(do_munmap(mm, b + 8 * P, P), 0);
	check_mm(mm);

	/* ...but moved back home, it merges with its old neighbours again. */
	map_anon(mm, a - P, P, RW, MAP_FIXED);
	r = do_mremap(mm, b, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, a);
	ck_assert_int_eq(r, (int64_t)a);
	ck_assert_ptr_eq(vma_lookup(mm, a - P), vma_lookup(mm, a + 3 * P));
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(peek(mm, a + i * P), 0xabc0 + i);
	/* The tail [b+4P, b+8P) stayed where it was. */
	ck_assert_ptr_nonnull(vma_lookup(mm, b + 4 * P));
	ck_assert_ptr_null(vma_lookup(mm, b));
	check_mm(mm);

	/* The tail was split from a VMA with anon pages: like Linux's split, it
	 * shares that anon_vma, so a move keeps its pgoff. */
	uint64_t tail_pgoff = vma_lookup(mm, b + 4 * P)->vm_pgoff;

	r = do_mremap(mm, b + 4 * P, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, 0x20000000);
	ck_assert_int_eq(r, 0x20000000);
	ck_assert_uint_eq(vma_lookup(mm, 0x20000000)->vm_pgoff, tail_pgoff);
	check_mm(mm);

	/* An untouched anonymous VMA takes its new address as pgoff. */
	map_anon(mm, 0x30000000, 4 * P, RW, MAP_FIXED);
	r = do_mremap(mm, 0x30000000, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, 0x40000000);
	ck_assert_int_eq(r, 0x40000000);
	ck_assert_uint_eq(vma_lookup(mm, 0x40000000)->vm_pgoff, 0x40000000 >> PAGE_SHIFT);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mremap_fixed_dontunmap)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000, t = 0x20000000;
	int64_t r;

	env_init(&e);
	mm = e.mm;
	map_anon(mm, a, 2 * P, RW, MAP_FIXED);
	poke(mm, a, 1);
	poke(mm, a + P, 2);
	map_anon(mm, t, 4 * P, PROT_READ, MAP_FIXED);

	/* FIXED needs MAYMOVE. */
	ck_assert_int_eq(do_mremap(mm, a, 2 * P, 2 * P, MREMAP_FIXED, t), -EINVAL);
	/* FIXED replaces what is at the target. */
	r = do_mremap(mm, a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, t + P);
	ck_assert_int_eq(r, (int64_t)(t + P));
	ck_assert_uint_eq(peek(mm, t + P), 1);
	ck_assert_uint_eq(peek(mm, t + 2 * P), 2);
	ck_assert_uint_eq(vma_lookup(mm, t + P)->vm_flags & VM_ACCESS_FLAGS, VM_READ | VM_WRITE);
	ck_assert_uint_eq(vma_lookup(mm, t)->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	ck_assert_uint_eq(vma_lookup(mm, t + 3 * P)->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	ck_assert_ptr_null(vma_lookup(mm, a));
	ck_assert_int_eq(mm->total_vm, 4);
	/* Overlapping source and target. */
	ck_assert_int_eq(do_mremap(mm, t + P, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, t + 2 * P),
			 -EINVAL);
	ck_assert_int_eq(do_mremap(mm, t + P, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, t + P + 1),
			 -EINVAL);
	check_mm(mm);

	/* DONTUNMAP: the old VMA stays, empty. */
	r = do_mremap(mm, t + P, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, a);
	ck_assert_int_eq(r, (int64_t)a);
	ck_assert_uint_eq(peek(mm, a), 1);
	ck_assert_uint_eq(peek(mm, a + P), 2);
	ck_assert_ptr_nonnull(vma_lookup(mm, t + P));
	ck_assert_uint_eq(peek(mm, t + P), 0);
	ck_assert_int_eq(mm->total_vm, 6);
	/* DONTUNMAP cannot resize, and needs MAYMOVE. */
	ck_assert_int_eq(do_mremap(mm, a, 2 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0),
			 -EINVAL);
	ck_assert_int_eq(do_mremap(mm, a, 2 * P, 2 * P, MREMAP_DONTUNMAP, 0), -EINVAL);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mremap_errors)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000;

	env_init(&e);
	mm = e.mm;
	map_anon(mm, a, 2 * P, RW, MAP_FIXED);
	map_anon(mm, a + 2 * P, 2 * P, PROT_READ, MAP_FIXED);

	ck_assert_int_eq(do_mremap(mm, a, P, P, 8, 0), -EINVAL);
	ck_assert_int_eq(do_mremap(mm, a + 1, P, P, 0, 0), -EINVAL);
	ck_assert_int_eq(do_mremap(mm, a, P, 0, MREMAP_MAYMOVE, 0), -EINVAL);
	/* Not mapped at all. */
	ck_assert_int_eq(do_mremap(mm, a - P, P, 2 * P, MREMAP_MAYMOVE, 0), -EFAULT);
	/* The old range spans two VMAs. */
	ck_assert_int_eq(do_mremap(mm, a, 3 * P, 4 * P, MREMAP_MAYMOVE, 0), -EFAULT);
	/* old_len 0 is only for shared mappings. */
	ck_assert_int_eq(do_mremap(mm, a, 0, P, MREMAP_MAYMOVE, 0), -EINVAL);
	/* VM_DONTEXPAND mappings cannot grow. */
	vma_lookup(mm, a)->vm_flags |= VM_DONTEXPAND;
	ck_assert_int_eq(do_mremap(mm, a, 2 * P, 3 * P, MREMAP_MAYMOVE, 0), -EFAULT);
	ck_assert_int_eq(do_mremap(mm, a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0),
			 -EINVAL);
	vma_lookup(mm, a)->vm_flags &= ~VM_DONTEXPAND;
	/* Same size without moving: nothing to do. */
	ck_assert_int_eq(do_mremap(mm, a, 2 * P, 2 * P, 0, 0), (int64_t)a);
	/* Shrinking ignores VMA boundaries beyond the new end. */
	ck_assert_int_eq(do_mremap(mm, a, 4 * P, P, 0, 0), (int64_t)a);
	ck_assert_int_eq(mm->map_count, 1);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

/* ---------------- mprotect ---------------- */

START_TEST(test_mprotect_split_merge)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000;
	pte_t pte;

	env_init(&e);
	mm = e.mm;
	map_anon(mm, a, 4 * P, RW, MAP_FIXED);
	for (int i = 0; i < 4; i++)
		poke(mm, a + i * P, 50 + i);
	ck_assert(pte_write(pte_at(mm, a + P)));

	e.t.tlb_flushes = 0;
	ck_assert_int_eq(do_mprotect(mm, a + P, 2 * P, PROT_READ), 0);
	ck_assert_int_eq(mm->map_count, 3);
	ck_assert_uint_eq(nth_vma(mm, 1)->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	ck_assert_uint_eq(nth_vma(mm, 1)->vm_pgoff, (a + P) >> PAGE_SHIFT);
	ck_assert(!pte_write(pte_at(mm, a + P)));
	ck_assert(!pte_write(pte_at(mm, a + 2 * P)));
	ck_assert(pte_write(pte_at(mm, a + 3 * P)));
	ck_assert_int_eq(e.t.tlb_flushes, 1);
	ck_assert_int_eq(mm->data_vm, 2);
	ck_assert_int_eq(mm->total_vm, 4);
	/* A write now is refused by the VMA. */
	{
		int code = 0;

		ck_assert_int_eq(handle_mm_fault(mm, a + P, FAULT_FLAG_WRITE | FAULT_FLAG_USER, &code),
				 VM_FAULT_SIGSEGV);
		ck_assert_int_eq(code, FAULT_SEGV_ACCERR);
	}
	check_mm(mm);

	/* Back to RW: the three pieces merge again, and exclusive anon pages
	 * get RW back without a fault; no flush for raising permissions. */
	e.t.tlb_flushes = 0;
	ck_assert_int_eq(do_mprotect(mm, a + P, 2 * P, RW), 0);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert(pte_write(pte_at(mm, a + P)));
	ck_assert_int_eq(e.t.tlb_flushes, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(peek(mm, a + i * P), 50 + i);

	/* Head and tail merge with their neighbour on one side. */
	ck_assert_int_eq(do_mprotect(mm, a, 2 * P, PROT_READ), 0);
	ck_assert_int_eq(mm->map_count, 2);
	ck_assert_int_eq(do_mprotect(mm, a + 2 * P, P, PROT_READ), 0);
	ck_assert_int_eq(mm->map_count, 2);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_end, a + 3 * P);
	ck_assert_int_eq(do_mprotect(mm, a + 2 * P, P, RW), 0);
	ck_assert_uint_eq(nth_vma(mm, 1)->vm_start, a + 2 * P);
	ck_assert_uint_eq(nth_vma(mm, 1)->vm_pgoff, (a + 2 * P) >> PAGE_SHIFT);

	/* PROT_NONE keeps the page but takes the user bit away. */
	ck_assert_int_eq(do_mprotect(mm, a, 4 * P, PROT_NONE), 0);
	ck_assert_int_eq(mm->map_count, 1);
	pte = pte_at(mm, a);
	ck_assert(pte_present(pte));
	ck_assert(!(pte.pte & (_PAGE_USER | _PAGE_RW)));
	ck_assert(pte.pte & _PAGE_NX);
	{
		uint64_t paddr;
		unsigned int prot;

		ck_assert(!mmu_translate(mm, a, FAULT_FLAG_USER, &paddr, &prot));
	}
	ck_assert_int_eq(mm->data_vm, 0);
	ck_assert_int_eq(do_mprotect(mm, a, 4 * P, PROT_READ | PROT_EXEC), 0);
	ck_assert_int_eq(mm->exec_vm, 4);
	pte = pte_at(mm, a);
	ck_assert(pte.pte & _PAGE_USER);
	ck_assert(!(pte.pte & _PAGE_NX));
	ck_assert_uint_eq(peek(mm, a + 3 * P), 53);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mprotect_cow_rule)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000;
	char *path = make_file(2);
	struct file *f;
	uint64_t v;

	env_init(&e);
	mm = e.mm;
	/* A read fault maps the zero page: raising to RW must not make it
	 * writable. */
	map_anon(mm, a, 2 * P, PROT_READ, MAP_FIXED);
	v = peek(mm, a);
	ck_assert_uint_eq(v, 0);
	ck_assert(pte_present(pte_at(mm, a)));
	ck_assert_int_eq(do_mprotect(mm, a, 2 * P, RW), 0);
	ck_assert(!pte_write(pte_at(mm, a)));
	/* Made writable, private memory is committed. */
	ck_assert(nth_vma(mm, 0)->vm_flags & VM_ACCOUNT);
	poke(mm, a, 9);
	ck_assert_uint_eq(peek(mm, a), 9);

	/* A private file page is shared with the page cache: stays read-only. */
	f = open_file(path, O_RDONLY);
	ck_assert_int_eq(do_mmap(mm, a + 4 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0),
			 (int64_t)(a + 4 * P));
	ck_assert_uint_eq(peek(mm, a + 4 * P) & 0xff, 'a');
	ck_assert_int_eq(do_mprotect(mm, a + 4 * P, 2 * P, RW), 0);
	ck_assert(!pte_write(pte_at(mm, a + 4 * P)));
	poke(mm, a + 4 * P, 0x77);
	ck_assert_uint_eq(peek(mm, a + 4 * P), 0x77);

	/* A shared mapping of a read-only file cannot become writable. */
	ck_assert_int_eq(do_mmap(mm, a + 8 * P, P, PROT_READ, MAP_SHARED | MAP_FIXED, f, 0),
			 (int64_t)(a + 8 * P));
	ck_assert_int_eq(do_mprotect(mm, a + 8 * P, P, RW), -EACCES);
	ck_assert_int_eq(do_mprotect(mm, a + 8 * P, P, PROT_READ | PROT_EXEC), 0);
	file_put(f);
	check_mm(mm);
	env_fini(&e);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_mprotect_errors)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000;

	env_init(&e);
	mm = e.mm;
	map_anon(mm, a, 2 * P, RW, MAP_FIXED);
	map_anon(mm, a + 3 * P, 2 * P, RW, MAP_FIXED);

	ck_assert_int_eq(do_mprotect(mm, a + 1, P, PROT_READ), -EINVAL);
	ck_assert_int_eq(do_mprotect(mm, a, 0, PROT_READ), 0);
	ck_assert_int_eq(do_mprotect(mm, a, P, 0x10), -EINVAL);
	ck_assert_int_eq(do_mprotect(mm, a, ~0ULL - P, PROT_READ), -ENOMEM);
	ck_assert_int_eq(do_mprotect(mm, a - P, 2 * P, PROT_READ), -ENOMEM);
	ck_assert_int_eq(do_mprotect(mm, a, P, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), -EINVAL);
	ck_assert_int_eq(do_mprotect(mm, a, P, PROT_READ | PROT_GROWSDOWN), -EINVAL);
	ck_assert_int_eq(do_mprotect(mm, a, P, PROT_READ | PROT_GROWSUP), -EINVAL);
	ck_assert_int_eq(mm->map_count, 2);
	/* A hole: what comes before it is changed anyway, as on Linux. */
	ck_assert_int_eq(do_mprotect(mm, a, 5 * P, PROT_READ), -ENOMEM);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	ck_assert_uint_eq(nth_vma(mm, 1)->vm_flags & VM_ACCESS_FLAGS, VM_READ | VM_WRITE);
	/* PROT_GROWSDOWN applies from the start of a stack VMA. */
	map_anon(mm, 0x20000000, 4 * P, RW, MAP_FIXED | MAP_GROWSDOWN);
	ck_assert_int_eq(do_mprotect(mm, 0x20000000 + 2 * P, P, PROT_READ | PROT_EXEC | PROT_GROWSDOWN),
			 0);
	ck_assert_uint_eq(vma_lookup(mm, 0x20000000)->vm_flags & VM_ACCESS_FLAGS,
			  VM_READ | VM_EXEC);
	ck_assert_uint_eq(vma_lookup(mm, 0x20000000)->vm_end, 0x20000000 + 3 * P);
	ck_assert_int_eq(mm->stack_vm, 4);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

/* ---------------- mlock ---------------- */

START_TEST(test_mlock)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000;
	struct vm_area_struct *v;

	env_init(&e);
	mm = e.mm;
	map_anon(mm, a, 4 * P, RW, MAP_FIXED);
	/* mlock rounds out to pages, splits, counts and populates. */
	ck_assert_int_eq(do_mlock(mm, a + P + 10, P, 0), 0);
	ck_assert_int_eq(mm->map_count, 3);
	ck_assert_int_eq(mm->locked_vm, 2);
	v = vma_lookup(mm, a + P);
	ck_assert(v->vm_flags & VM_LOCKED);
	ck_assert_uint_eq(v->vm_start, a + P);
	ck_assert_uint_eq(v->vm_end, a + 3 * P);
	ck_assert(pte_write(pte_at(mm, a + P)));
	ck_assert(pte_write(pte_at(mm, a + 2 * P)));
	ck_assert(pte_none(pte_at(mm, a)));
	/* Locking again does not count twice. */
	ck_assert_int_eq(do_mlock(mm, a + P, 2 * P, 0), 0);
	ck_assert_int_eq(mm->locked_vm, 2);
	check_mm(mm);
	/* munlock merges back. */
	ck_assert_int_eq(do_munlock(mm, a, 4 * P), 0);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_int_eq(mm->locked_vm, 0);

	/* mlock2(MLOCK_ONFAULT): locked, not populated. */
	ck_assert_int_eq(do_mlock(mm, a + 3 * P, P, MLOCK_ONFAULT), 0);
	v = vma_lookup(mm, a + 3 * P);
	ck_assert_uint_eq(v->vm_flags & VM_LOCKED_MASK, VM_LOCKED_MASK);
	ck_assert(pte_none(pte_at(mm, a + 3 * P)));
	ck_assert_int_eq(mm->locked_vm, 1);

	ck_assert_int_eq(do_mlock(mm, a, P, 2), -EINVAL);
	ck_assert_int_eq(do_mlock(mm, a - P, 2 * P, 0), -ENOMEM);
	ck_assert_int_eq(do_mlock(mm, a + 3 * P, 2 * P, 0), -ENOMEM);
	ck_assert_int_eq(do_munlock(mm, a + 4 * P, P), -ENOMEM);
	ck_assert_int_eq(do_mlock(mm, a, 0, 0), 0);
	check_mm(mm);

	/* munmap of locked memory gives the count back. */
	ck_assert_int_eq(do_munmap(mm, a + 2 * P, 2 * P), 0);
	ck_assert_int_eq(mm->locked_vm, 0);
	/* mlock of PROT_NONE succeeds in the VMA but cannot populate. */
	map_anon(mm, a + 8 * P, P, PROT_NONE, MAP_FIXED);
	ck_assert_int_eq(do_mlock(mm, a + 8 * P, P, 0), -ENOMEM);
	ck_assert_int_eq(mm->locked_vm, 1);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

START_TEST(test_mlockall)
{
	struct env e;
	struct mm_struct *mm;
	uint64_t a = 0x10000000, b;

	env_init(&e);
	mm = e.mm;
	ck_assert_int_eq(do_mlockall(mm, 0), -EINVAL);
	ck_assert_int_eq(do_mlockall(mm, MCL_ONFAULT), -EINVAL);
	ck_assert_int_eq(do_mlockall(mm, 8), -EINVAL);

	map_anon(mm, a, 2 * P, RW, MAP_FIXED);
	map_anon(mm, a + 2 * P, 2 * P, PROT_READ, MAP_FIXED);
	map_anon(mm, a + 4 * P, P, PROT_NONE, MAP_FIXED);
	ck_assert_int_eq(do_mlockall(mm, MCL_CURRENT), 0);
	ck_assert_int_eq(mm->locked_vm, 5);
	ck_assert_int_eq(mm->map_count, 3);
	/* Populated despite the PROT_NONE VMA after them. */
	ck_assert(pte_present(pte_at(mm, a)));
	ck_assert(pte_present(pte_at(mm, a + 3 * P)));
	ck_assert_uint_eq(mm->def_flags & VM_LOCKED, 0);
	check_mm(mm);

	/* MCL_FUTURE: new mappings (and brk) come locked and populated. */
	ck_assert_int_eq(do_mlockall(mm, MCL_FUTURE), 0);
	ck_assert_uint_eq(mm->def_flags, VM_LOCKED);
	b = map_anon(mm, 0, 2 * P, RW, 0);
	ck_assert(vma_lookup(mm, b)->vm_flags & VM_LOCKED);
	ck_assert(pte_present(pte_at(mm, b + P)));
	ck_assert_int_eq(mm->locked_vm, 7);
	mm->start_brk = mm->brk = 0x800000;
	ck_assert_uint_eq(do_brk(mm, 0x800000 + P), 0x800000 + P);
	ck_assert_int_eq(mm->locked_vm, 8);
	ck_assert(pte_present(pte_at(mm, 0x800000)));
	check_mm(mm);

	/* MCL_FUTURE | MCL_ONFAULT: locked on fault, not populated. */
	ck_assert_int_eq(do_mlockall(mm, MCL_FUTURE | MCL_ONFAULT), 0);
	b = map_anon(mm, 0, P, RW, 0);
	ck_assert_uint_eq(vma_lookup(mm, b)->vm_flags & VM_LOCKED_MASK, VM_LOCKED_MASK);
	ck_assert(pte_none(pte_at(mm, b)));

	ck_assert_int_eq(do_munlockall(mm), 0);
	ck_assert_int_eq(mm->locked_vm, 0);
	ck_assert_uint_eq(mm->def_flags, 0);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

/* ---------------- vm.max_map_count ---------------- */

START_TEST(test_map_count_limit)
{
	struct env e;
	struct mm_struct *mm;
	const uint64_t base = 0x100000000ULL;
	uint64_t a;
	int i;

	env_init(&e);
	mm = e.mm;
	/* Three-page VMAs with alternating protections, so nothing merges. */
	for (i = 0; i < DEFAULT_MAX_MAP_COUNT; i++) {
		int64_t r = do_mmap(mm, base + 3 * (uint64_t)i * P, 3 * P,
				    (i & 1) ? PROT_READ : RW, MAP_PRIVATE | MAP_FIXED, NULL, 0);

		CHECK(r == (int64_t)(base + 3 * (uint64_t)i * P));
	}
	ck_assert_int_eq(mm->map_count, DEFAULT_MAX_MAP_COUNT);
	ck_assert_int_eq(mm->total_vm, 3 * DEFAULT_MAX_MAP_COUNT);
	a = base + 3 * 100 * P;
	/* Punching a hole would add a VMA; so would splitting for mprotect
	 * or mlock, even at one end. */
	ck_assert_int_eq(do_munmap(mm, a + P, P), -ENOMEM);
	ck_assert_int_eq(do_mprotect(mm, a + P, P, PROT_READ), -ENOMEM);
	ck_assert_int_eq(do_mprotect(mm, a, P, PROT_READ), -ENOMEM);
	ck_assert_int_eq(do_mlock(mm, a, P, 0), -ENOMEM);
	ck_assert_int_eq(mm->locked_vm, 0);
	/* Trimming an end does not add one. */
	ck_assert_int_eq(do_munmap(mm, a + 2 * P, P), 0);
	ck_assert_int_eq(mm->map_count, DEFAULT_MAX_MAP_COUNT);
	/* Whole-VMA changes need no split. */
	ck_assert_int_eq(do_mprotect(mm, a, 2 * P, PROT_READ | PROT_EXEC), 0);
	/* mmap refuses only above the limit, as Linux's "map_count >". */
	ck_assert_int_ge(do_mmap(mm, a + 2 * P, P, PROT_EXEC, MAP_PRIVATE | MAP_FIXED, NULL, 0), 0);
	ck_assert_int_eq(mm->map_count, DEFAULT_MAX_MAP_COUNT + 1);
	ck_assert_int_eq(do_mmap(mm, 0, P, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0),
			 -ENOMEM);
	ck_assert_int_eq(do_mremap(mm, base, 3 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_FIXED, 0x10000000),
			 -ENOMEM);
	check_mm(mm);
	/* Unmapping whole VMAs always works. */
	ck_assert_int_eq(do_munmap(mm, base, 30 * P), 0);
	ck_assert_int_eq(mm->map_count, DEFAULT_MAX_MAP_COUNT + 1 - 10);
	ck_assert_int_eq(do_munmap(mm, a + P, P), 0);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

/* ---------------- the loader's entry point ---------------- */

START_TEST(test_mmap_region)
{
	struct env e;
	struct mm_struct *mm;
	const unsigned long rw = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

	env_init(&e);
	mm = e.mm;
	ck_assert_int_eq(mmap_region(mm, NULL, 0x400000, 2 * P, rw, 0), 0x400000);
	ck_assert_uint_eq(nth_vma(mm, 0)->vm_pgoff, 0x400000 >> PAGE_SHIFT);
	ck_assert(nth_vma(mm, 0)->vm_flags & VM_ACCOUNT);
	ck_assert_int_eq(mmap_region(mm, NULL, 0x402000, P, rw, 0), 0x402000);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_int_eq(mmap_region(mm, NULL, 0x400001, P, rw, 0), -EINVAL);
	ck_assert_int_eq(mmap_region(mm, NULL, 0x7ffffffde000ULL, 0x21000,
				     rw | VM_GROWSDOWN, 0), 0x7ffffffde000LL);
	ck_assert_int_eq(mm->stack_vm, 0x21);
	ck_assert_int_eq(mm->data_vm, 3);
	check_mm(mm);
	env_fini(&e);
}
END_TEST

/* ---------------- a random sequence against a page model ---------------- */

enum { NPAGES = 48 };
#define RBASE 0x10000000ULL

struct model {
	bool mapped[NPAGES];
	int prot[NPAGES];
	uint64_t tag[NPAGES];	/* first word of the page; 0 = untouched */
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Every operation merges what it can with its neighbours, so no two
 * adjacent VMAs are left that could be one. */
static void check_merged(struct mm_struct *mm)
{
	struct vm_area_struct *prev = NULL, *vma;
	struct list_head *pos;

	list_for_each(pos, &mm->mmap_list) {
		vma = list_entry(pos, struct vm_area_struct, vm_list);
		if (prev && prev->vm_end == vma->vm_start)
			CHECK(prev->vm_flags != vma->vm_flags || prev->vm_file != vma->vm_file ||
			      prev->vm_pgoff + vma_pages(prev) != vma->vm_pgoff);
		prev = vma;
	}
}

static void model_verify(struct mm_struct *mm, const struct model *m)
{
	for (int i = 0; i < NPAGES; i++) {
		uint64_t addr = RBASE + (uint64_t)i * P;
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (getenv("VMA_TRACE") && !!vma != m->mapped[i])
			fprintf(stderr, "page %d: vma %p model %d\n", i, (void *)vma, m->mapped[i]);
		CHECK(!!vma == m->mapped[i]);
		if (!vma)
			continue;
		CHECK((int)(vma->vm_flags & VM_ACCESS_FLAGS) == m->prot[i]);
		if (m->prot[i])
			CHECK(peek(mm, addr) == m->tag[i]);
	}
	check_mm(mm);
	check_merged(mm);
}

static const int prots[] = { PROT_NONE, PROT_READ, RW, PROT_READ | PROT_EXEC, RW };

START_TEST(test_random_ops)
{
	struct env e;
	struct mm_struct *mm;
	struct model m;
	uint64_t s = 0x1234567887654321ULL + (uint64_t)_i, next_tag = 1;

	memset(&m, 0, sizeof(m));
	env_init(&e);
	mm = e.mm;
	for (int step = 0; step < 1500; step++) {
		int op = (int)(rnd(&s) % 8);
		int a = (int)(rnd(&s) % NPAGES);
		int n = 1 + (int)(rnd(&s) % 6);
		int prot = prots[rnd(&s) % 5];
		int i;

		if (a + n > NPAGES)
			n = NPAGES - a;
		if (getenv("VMA_TRACE"))
			fprintf(stderr, "step %d op %d a %d n %d prot %d\n", step, op, a, n, prot);
		switch (op) {
		case 0: /* mmap fixed */
			CHECK(do_mmap(mm, RBASE + (uint64_t)a * P, (uint64_t)n * P, prot,
				      MAP_PRIVATE | MAP_FIXED, NULL, 0) == (int64_t)(RBASE + (uint64_t)a * P));
			for (i = a; i < a + n; i++) {
				m.mapped[i] = true;
				m.prot[i] = prot;
				m.tag[i] = 0;
			}
			break;
		case 1: /* munmap */
			CHECK(do_munmap(mm, RBASE + (uint64_t)a * P, (uint64_t)n * P) == 0);
			for (i = a; i < a + n; i++)
				m.mapped[i] = false;
			break;
		case 2: { /* mprotect: VMA by VMA up to the first hole */
			int expect = 0;

			if (!m.mapped[a]) {
				expect = -ENOMEM;
			} else {
				for (i = a; i < a + n; i++) {
					if (!m.mapped[i]) {
						expect = -ENOMEM;
						break;
					}
					m.prot[i] = prot;
				}
			}
			CHECK(do_mprotect(mm, RBASE + (uint64_t)a * P, (uint64_t)n * P, prot) == expect);
			break;
		}
		case 6: { /* mlock: VMA by VMA up to the first hole, then populate */
			int expect = m.mapped[a] ? 0 : -ENOMEM;

			for (i = a; i < a + n && !expect; i++)
				if (!m.mapped[i])
					expect = -ENOMEM;
			for (i = a; i < a + n && !expect; i++)
				if (!m.prot[i])
					expect = -ENOMEM;	/* PROT_NONE cannot populate */
			CHECK(do_mlock(mm, RBASE + (uint64_t)a * P, (uint64_t)n * P, 0) == expect);
			break;
		}
		case 7: { /* munlock */
			int expect = m.mapped[a] ? 0 : -ENOMEM;

			for (i = a; i < a + n && !expect; i++)
				if (!m.mapped[i])
					expect = -ENOMEM;
			CHECK(do_munlock(mm, RBASE + (uint64_t)a * P, (uint64_t)n * P) == expect);
			break;
		}
		case 3: /* write a tag */
		case 4:
			if (m.mapped[a] && (m.prot[a] & PROT_WRITE)) {
				m.tag[a] = next_tag++;
				poke(mm, RBASE + (uint64_t)a * P, m.tag[a]);
			}
			break;
		case 5: { /* mremap MAYMOVE|FIXED to b, new length nn */
			int b = (int)(rnd(&s) % NPAGES), nn = 1 + (int)(rnd(&s) % 6);
			struct vm_area_struct *vma = vma_lookup(mm, RBASE + (uint64_t)a * P);
			uint64_t vend;
			struct model old = m;
			int64_t r, expect;
			const int on = n;	/* the length passed; n is what moves */

			if (b + nn > NPAGES)
				nn = NPAGES - b;
			if (!(a + n <= b || b + nn <= a))
				break;	/* overlapping: EINVAL, not modelled */
			if (!vma) {
				CHECK(do_mremap(mm, RBASE + (uint64_t)a * P, (uint64_t)n * P,
						(uint64_t)nn * P, MREMAP_MAYMOVE | MREMAP_FIXED,
						RBASE + (uint64_t)b * P) == -EFAULT);
				break;
			}
			/* The target is unmapped first, which may cut a's VMA. */
			vend = vma->vm_end;
			if (RBASE + (uint64_t)b * P > RBASE + (uint64_t)a * P &&
			    RBASE + (uint64_t)b * P < vend)
				vend = RBASE + (uint64_t)b * P;
			for (i = b; i < b + nn; i++)
				m.mapped[i] = false;
			if (n > nn) {
				for (i = a + nn; i < a + n; i++)
					m.mapped[i] = false;
				if (vend > RBASE + (uint64_t)(a + nn) * P)
					vend = RBASE + (uint64_t)(a + nn) * P;
				n = nn;
			}
			if (RBASE + (uint64_t)(a + n) * P > vend) {
				expect = -EFAULT;
			} else {
				expect = (int64_t)(RBASE + (uint64_t)b * P);
				for (i = 0; i < nn; i++) {
					m.mapped[b + i] = true;
					m.prot[b + i] = old.prot[a];
					m.tag[b + i] = i < n ? old.tag[a + i] : 0;
				}
				for (i = a; i < a + n; i++)
					m.mapped[i] = false;
			}
			r = do_mremap(mm, RBASE + (uint64_t)a * P, (uint64_t)on * P,
				      (uint64_t)nn * P, MREMAP_MAYMOVE | MREMAP_FIXED,
				      RBASE + (uint64_t)b * P);
			if (getenv("VMA_TRACE"))
				fprintf(stderr, "  mremap b %d nn %d -> %lld expect %lld\n", b, nn,
					(long long)r, (long long)expect);
			CHECK(r == expect);
			break;
		}
		}
		model_verify(mm, &m);
	}
	env_fini(&e);
}
END_TEST

static Suite *vma_suite(void)
{
	Suite *s = suite_create("vma");
	TCase *tc = tcase_create("mmap");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_find_vma);
	tcase_add_test(tc, test_vma_modify_flags);
	tcase_add_test(tc, test_mmap_topdown_and_merge);
	tcase_add_test(tc, test_mmap_hint);
	tcase_add_test(tc, test_mmap_topdown_gaps);
	tcase_add_test(tc, test_mmap_fixed);
	tcase_add_test(tc, test_mmap_32bit);
	tcase_add_test(tc, test_mmap_errors);
	tcase_add_test(tc, test_mmap_file);
	tcase_add_test(tc, test_munmap);
	tcase_add_test(tc, test_brk);
	tcase_add_test(tc, test_mmap_region);
	tcase_add_test(tc, test_map_count_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("mremap");
	tcase_add_test(tc, test_mremap_in_place);
	tcase_add_test(tc, test_mremap_move);
	tcase_add_test(tc, test_mremap_fixed_dontunmap);
	tcase_add_test(tc, test_mremap_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("mprotect_mlock");
	tcase_add_test(tc, test_mprotect_split_merge);
	tcase_add_test(tc, test_mprotect_cow_rule);
	tcase_add_test(tc, test_mprotect_errors);
	tcase_add_test(tc, test_mlock);
	tcase_add_test(tc, test_mlockall);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_random_ops, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vma_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
