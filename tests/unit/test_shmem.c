/* Unit tests for guestmm/shmem.c and shared anonymous memory through the
 * fault, madvise, mincore, mremap and munmap paths: one shmem file per
 * mapping, its pages outliving PTEs but not the file, exact counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm_test_util.h"
#include "guestmm/mm.h"
#include "guestmm/filemap.h"
#include "guestmm/shmem.h"

#define RW (PROT_READ | PROT_WRITE)
#define SHARED_ANON (MAP_SHARED | MAP_ANONYMOUS)
#define USER_READ  FAULT_FLAG_USER
#define USER_WRITE (FAULT_FLAG_USER | FAULT_FLAG_WRITE)

static struct test_node t;
static unsigned long free_baseline;

static long stat_of(enum node_stat_item item)
{
	return t.node->stat.stat[item];
}

static void setup(void)
{
	struct mm_struct *mm;

	test_node_init(&t, 32);
	/* Warm the slab caches (each keeps one empty slab once used), so the
	 * free count is a baseline every test must return to. */
	mm = mm_alloc(t.node);
	do_mmap(mm, 0x400000, PAGE_SIZE, RW, SHARED_ANON | MAP_FIXED, NULL, 0);
	mmput(mm);
	free_baseline = nr_free_pages(t.node);
}

static void teardown(void)
{
	test_node_fini(&t);
}

/* Nothing mapped, cached or counted is left. */
static void assert_no_leaks(void)
{
	ck_assert_int_eq(stat_of(NR_ANON_MAPPED), 0);
	ck_assert_int_eq(stat_of(NR_FILE_MAPPED), 0);
	ck_assert_int_eq(stat_of(NR_FILE_PAGES), 0);
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 0);
	ck_assert_int_eq(stat_of(NR_SHMEM), 0);
	ck_assert_int_eq(stat_of(NR_PAGETABLE), 0);
	ck_assert_uint_eq(t.node->bad_pages, 0);
	ck_assert_uint_eq(nr_free_pages(t.node), free_baseline);
}

static uint64_t map_shared(struct mm_struct *mm, uint64_t addr, uint64_t len)
{
	int64_t ret = do_mmap(mm, addr, len, RW, SHARED_ANON | (addr ? MAP_FIXED : 0), NULL, 0);

	ck_assert_int_ge(ret, 0);
	return (uint64_t)ret;
}

static pte_t pte_at(struct mm_struct *mm, uint64_t addr)
{
	pte_t *pte = pte_offset(mm, addr);

	return pte ? *pte : (pte_t){ 0 };
}

static struct page *page_at(struct mm_struct *mm, uint64_t addr)
{
	pte_t pte = pte_at(mm, addr);

	ck_assert(pte_present(pte));
	return pfn_to_page(t.node, pte_pfn(pte));
}

static void assert_bytes(struct mm_struct *mm, uint64_t addr, const char *want, size_t len)
{
	char buf[64];

	ck_assert_uint_lt(len, sizeof(buf));
	ck_assert_int_eq(copy_from_user(mm, buf, addr, len), 0);
	ck_assert_mem_eq(buf, want, len);
}
/* The guest bytes at addr are the literal's, NULs included. */
#define ASSERT_BYTES(mm, addr, lit) assert_bytes(mm, addr, lit, sizeof(lit) - 1)

START_TEST(test_setup_gives_each_mapping_a_file)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map_shared(mm, 0x40000000, 2 * PAGE_SIZE);
	uint64_t b = map_shared(mm, 0x40002000, PAGE_SIZE);
	struct vm_area_struct *va = vma_lookup(mm, a), *vb = vma_lookup(mm, b);

	ck_assert_ptr_nonnull(va->vm_file);
	ck_assert_str_eq(va->vm_file->path, SHMEM_ZERO_PATH);
	ck_assert_int_eq(va->vm_file->host_fd, -1);
	ck_assert_uint_eq(va->vm_pgoff, 0);
	ck_assert(shmem_mapping(va->vm_file->f_mapping));
	ck_assert_uint_eq(va->vm_file->f_mapping->i_size, 2 * PAGE_SIZE);
	/* Not in the dev/ino registry: nothing else may find it. */
	ck_assert(list_empty(&t.node->address_spaces));
	/* Adjacent, same flags, but different objects: no merge. */
	ck_assert_int_eq(mm->map_count, 2);
	ck_assert_ptr_ne(va->vm_file, vb->vm_file);
	ck_assert_uint_ne(va->vm_file->ino, vb->vm_file->ino);
	ck_assert_uint_eq(vb->vm_pgoff, 0);

	/* Pieces of one object merge back like a file's. */
	ck_assert_int_eq(do_mprotect(mm, a + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	ck_assert_int_eq(mm->map_count, 3);
	ck_assert_uint_eq(vma_lookup(mm, a + PAGE_SIZE)->vm_pgoff, 1);
	ck_assert_ptr_eq(vma_lookup(mm, a + PAGE_SIZE)->vm_file, va->vm_file);
	ck_assert_int_eq(do_mprotect(mm, a + PAGE_SIZE, PAGE_SIZE, RW), 0);
	ck_assert_int_eq(mm->map_count, 2);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_read_fault_allocates_a_real_page)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map_shared(mm, 0, 2 * PAGE_SIZE);
	struct address_space *mapping = vma_lookup(mm, a)->vm_file->f_mapping;
	struct page *page;

	ck_assert_int_eq(handle_mm_fault(mm, a, USER_READ, NULL), 0);
	ck_assert_uint_ne(pte_pfn(pte_at(mm, a)), t.node->zero_pfn);
	ck_assert(!pte_write(pte_at(mm, a)));
	page = page_at(mm, a);
	ck_assert(PageFlag(page, PG_swapbacked));
	ck_assert(!PageFlag(page, PG_anon));
	ck_assert_ptr_eq(filemap_lookup(mapping, 0), page);
	ck_assert_int_eq(page_mapcount(page), 1);
	ck_assert_int_eq(page_count(page), 2);          /* the cache and the PTE */
	ck_assert_uint_eq(mapping->nrpages, 1);
	ck_assert_int_eq(stat_of(NR_SHMEM), 1);
	ck_assert_int_eq(stat_of(NR_FILE_PAGES), 1);
	ck_assert_int_eq(stat_of(NR_FILE_MAPPED), 1);
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 1);
	ck_assert_int_eq(mm->rss_stat[MM_FILEPAGES], 0);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 0);
	ck_assert_uint_eq(mm->maj_flt, 0);
	ASSERT_BYTES(mm, a, "\0\0\0\0");

	/* The write reuses the frame: shared, never copied. */
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_WRITE, NULL), 0);
	ck_assert_ptr_eq(page_at(mm, a), page);
	ck_assert(pte_write(pte_at(mm, a)));
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 0);
	/* A write fault on a fresh page goes straight to a writable PTE. */
	ck_assert_int_eq(handle_mm_fault(mm, a + PAGE_SIZE, USER_WRITE, NULL), 0);
	ck_assert(pte_write(pte_at(mm, a + PAGE_SIZE)));
	ck_assert_int_eq(stat_of(NR_SHMEM), 2);
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 2);
	ck_assert_int_eq(mm->hiwater_rss, 2);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_dontneed_keeps_data)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map_shared(mm, 0, 2 * PAGE_SIZE);
	struct page *page;
	uint8_t vec[2];

	ck_assert_int_eq(copy_to_user(mm, a, "hello", 5), 0);
	ck_assert_int_eq(copy_to_user(mm, a + PAGE_SIZE, "world", 5), 0);
	page = page_at(mm, a);
	ck_assert_int_eq(do_madvise(mm, a, 2 * PAGE_SIZE, MADV_DONTNEED), 0);
	ck_assert(pte_none(pte_at(mm, a)));
	ck_assert(pte_none(pte_at(mm, a + PAGE_SIZE)));
	/* Unmapped, but still the file's. */
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 0);
	ck_assert_int_eq(stat_of(NR_FILE_MAPPED), 0);
	ck_assert_int_eq(stat_of(NR_SHMEM), 2);
	ck_assert_int_eq(stat_of(NR_FILE_PAGES), 2);
	ck_assert_int_eq(page_mapcount(page), 0);
	ck_assert_int_eq(page_count(page), 1);
	/* mincore counts the file's pages as resident without a PTE. */
	ck_assert_int_eq(do_mincore(mm, a, 2 * PAGE_SIZE, vec), 0);
	ck_assert_mem_eq(vec, "\1\1", 2);

	ASSERT_BYTES(mm, a, "hello");
	ASSERT_BYTES(mm, a + PAGE_SIZE, "world");
	ck_assert_ptr_eq(page_at(mm, a), page);
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 2);

	/* Lazy free is for private anonymous memory only. */
	ck_assert_int_eq(do_madvise(mm, a, 2 * PAGE_SIZE, MADV_FREE), -EINVAL);
	ASSERT_BYTES(mm, a, "hello");
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_mincore_and_willneed)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map_shared(mm, 0, 3 * PAGE_SIZE);
	uint8_t vec[3];

	ck_assert_int_eq(do_mincore(mm, a, 3 * PAGE_SIZE, vec), 0);
	ck_assert_mem_eq(vec, "\0\0\0", 3);
	/* WILLNEED reads nothing in: shmem holes stay holes. */
	ck_assert_int_eq(do_madvise(mm, a, 3 * PAGE_SIZE, MADV_WILLNEED), 0);
	ck_assert_int_eq(stat_of(NR_SHMEM), 0);
	ck_assert_int_eq(handle_mm_fault(mm, a + PAGE_SIZE, USER_READ, NULL), 0);
	ck_assert_int_eq(do_mincore(mm, a, 3 * PAGE_SIZE, vec), 0);
	ck_assert_mem_eq(vec, "\0\1\0", 3);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_mremap_old_size_zero_shares_pages)
{
	struct mm_struct *mm = mm_alloc(t.node);
	unsigned long before = nr_free_pages(t.node);
	uint64_t a = map_shared(mm, 0x40000000, 2 * PAGE_SIZE);
	struct vm_area_struct *va = vma_lookup(mm, a);
	struct file *file = va->vm_file;
	int64_t dup, dup2;
	struct page *page;

	ck_assert_int_eq(copy_to_user(mm, a, "1", 1), 0);
	dup = do_mremap(mm, a, 0, PAGE_SIZE, MREMAP_MAYMOVE, 0);
	ck_assert_int_ge(dup, 0);
	ck_assert_uint_ne((uint64_t)dup, a);
	ck_assert_ptr_eq(vma_lookup(mm, (uint64_t)dup)->vm_file, file);
	ck_assert_int_eq(file->f_count, 2);
	ck_assert_int_eq(copy_to_user(mm, (uint64_t)dup + 1, "2", 1), 0);
	ASSERT_BYTES(mm, a, "12");
	ASSERT_BYTES(mm, (uint64_t)dup, "12");
	page = page_at(mm, a);
	ck_assert_ptr_eq(page_at(mm, (uint64_t)dup), page);
	ck_assert_int_eq(page_mapcount(page), 2);
	ck_assert_int_eq(page_count(page), 3);
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 2);
	ck_assert_int_eq(stat_of(NR_SHMEM), 1);
	ck_assert_int_eq(stat_of(NR_FILE_MAPPED), 1);
	ck_assert_int_eq(mm->total_vm, 3);

	/* From the middle: the duplicate starts at that page of the file. */
	ck_assert_int_eq(copy_to_user(mm, a + PAGE_SIZE, "3", 1), 0);
	dup2 = do_mremap(mm, a + PAGE_SIZE, 0, PAGE_SIZE, MREMAP_MAYMOVE, 0);
	ck_assert_int_ge(dup2, 0);
	ck_assert_uint_eq(vma_lookup(mm, (uint64_t)dup2)->vm_pgoff, 1);
	ASSERT_BYTES(mm, (uint64_t)dup2, "3");

	/* The pages outlive the original mapping while a duplicate lasts. */
	ck_assert_int_eq(do_munmap(mm, a, 2 * PAGE_SIZE), 0);
	ck_assert_int_eq(stat_of(NR_SHMEM), 2);
	ASSERT_BYTES(mm, (uint64_t)dup, "12");
	ck_assert_int_eq(do_munmap(mm, (uint64_t)dup, PAGE_SIZE), 0);
	ck_assert_int_eq(stat_of(NR_SHMEM), 2);
	ck_assert_int_eq(do_munmap(mm, (uint64_t)dup2, PAGE_SIZE), 0);

	/* The last mapping took the file and its pages with it. */
	ck_assert_int_eq(stat_of(NR_SHMEM), 0);
	ck_assert_int_eq(stat_of(NR_FILE_PAGES), 0);
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 0);
	ck_assert_int_eq(mm->total_vm, 0);
	ck_assert_uint_eq(nr_free_pages(t.node), before);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_munmap_part_keeps_the_file)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map_shared(mm, 0x40000000, 3 * PAGE_SIZE);

	ck_assert_int_eq(copy_to_user(mm, a + PAGE_SIZE, "mid", 3), 0);
	ck_assert_int_eq(copy_to_user(mm, a + 2 * PAGE_SIZE, "end", 3), 0);
	/* Unmapping a page does not shrink the file: its page stays cached
	 * (Linux frees it with the file, not with the PTE). */
	ck_assert_int_eq(do_munmap(mm, a + PAGE_SIZE, PAGE_SIZE), 0);
	ck_assert_int_eq(stat_of(NR_SHMEM), 2);
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 1);
	ck_assert_uint_eq(vma_lookup(mm, a + 2 * PAGE_SIZE)->vm_pgoff, 2);
	ASSERT_BYTES(mm, a + 2 * PAGE_SIZE, "end");
	/* Growing the head back over the hole maps file page 1 again, with
	 * its data, and the three pieces are one VMA once more. */
	ck_assert_int_eq(do_mremap(mm, a, PAGE_SIZE, 2 * PAGE_SIZE, 0, 0), (int64_t)a);
	ck_assert_int_eq(mm->map_count, 1);
	ASSERT_BYTES(mm, a + PAGE_SIZE, "mid");
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 2);
	ck_assert_int_eq(do_munmap(mm, a, 3 * PAGE_SIZE), 0);
	ck_assert_int_eq(stat_of(NR_SHMEM), 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_growth_past_the_file_is_sigbus)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map_shared(mm, 0x40000000, 2 * PAGE_SIZE);
	int64_t dup;
	uint8_t vec[4];

	ck_assert_int_eq(do_mremap(mm, a, 2 * PAGE_SIZE, 4 * PAGE_SIZE, 0, 0), (int64_t)a);
	ck_assert_int_eq(mm->map_count, 1);
	ck_assert_uint_eq(vma_lookup(mm, a)->vm_file->f_mapping->i_size, 2 * PAGE_SIZE);
	ck_assert_int_eq(handle_mm_fault(mm, a + PAGE_SIZE, USER_WRITE, NULL), 0);
	/* The file keeps the size it was made with, as on Linux. */
	ck_assert_int_eq(handle_mm_fault(mm, a + 2 * PAGE_SIZE, USER_READ, NULL),
			 VM_FAULT_SIGBUS);
	ck_assert_int_eq(handle_mm_fault(mm, a + 3 * PAGE_SIZE, USER_WRITE, NULL),
			 VM_FAULT_SIGBUS);
	ck_assert_int_eq(copy_to_user(mm, a + 3 * PAGE_SIZE, "x", 1), -EFAULT);
	ck_assert_int_eq(do_mincore(mm, a, 4 * PAGE_SIZE, vec), 0);
	ck_assert_mem_eq(vec, "\0\1\0\0", 4);
	/* Populating stops at the end of the file, after filling page 0. */
	ck_assert_int_eq(do_madvise(mm, a, 4 * PAGE_SIZE, MADV_POPULATE_READ), -EFAULT);
	ck_assert_int_eq(stat_of(NR_SHMEM), 2);

	/* A duplicate of a page past the end maps, and faults the same way. */
	dup = do_mremap(mm, a + 3 * PAGE_SIZE, 0, PAGE_SIZE, MREMAP_MAYMOVE, 0);
	ck_assert_int_ge(dup, 0);
	ck_assert_int_eq(handle_mm_fault(mm, (uint64_t)dup, USER_READ, NULL), VM_FAULT_SIGBUS);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_madv_remove_punches_a_hole)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map_shared(mm, 0x40000000, 3 * PAGE_SIZE);
	int64_t dup;

	static const char fill[] = "abc";

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(copy_to_user(mm, a + i * PAGE_SIZE, &fill[i], 1), 0);
	dup = do_mremap(mm, a, 0, 3 * PAGE_SIZE, MREMAP_MAYMOVE, 0);
	ck_assert_int_ge(dup, 0);
	ASSERT_BYTES(mm, (uint64_t)dup + PAGE_SIZE, "b");
	ck_assert_int_eq(stat_of(NR_SHMEM), 3);

	ck_assert_int_eq(do_madvise(mm, a + PAGE_SIZE, PAGE_SIZE, MADV_REMOVE), 0);
	ck_assert_int_eq(stat_of(NR_SHMEM), 2);
	ck_assert(pte_none(pte_at(mm, a + PAGE_SIZE)));
	ck_assert(pte_none(pte_at(mm, (uint64_t)dup + PAGE_SIZE)));
	/* Both mappings read the hole as zeroes, and the rest as before. */
	ASSERT_BYTES(mm, a + PAGE_SIZE, "\0");
	ASSERT_BYTES(mm, (uint64_t)dup + PAGE_SIZE, "\0");
	ASSERT_BYTES(mm, (uint64_t)dup, "a");
	ASSERT_BYTES(mm, (uint64_t)dup + 2 * PAGE_SIZE, "c");
	ck_assert_int_eq(stat_of(NR_SHMEM), 3);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_populate_and_lock)
{
	struct mm_struct *mm = mm_alloc(t.node);
	int64_t a = do_mmap(mm, 0, 2 * PAGE_SIZE, RW, SHARED_ANON | MAP_POPULATE, NULL, 0);
	int64_t l = do_mmap(mm, 0, 2 * PAGE_SIZE, RW, SHARED_ANON | MAP_LOCKED, NULL, 0);

	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(l, 0);
	/* Populated for read (not dirtied), with real pages. */
	ck_assert(pte_present(pte_at(mm, (uint64_t)a + PAGE_SIZE)));
	ck_assert(!pte_write(pte_at(mm, (uint64_t)a)));
	ck_assert_uint_ne(pte_pfn(pte_at(mm, (uint64_t)a)), t.node->zero_pfn);
	ck_assert(pte_present(pte_at(mm, (uint64_t)l + PAGE_SIZE)));
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 4);
	ck_assert_int_eq(stat_of(NR_SHMEM), 4);
	ck_assert_int_eq(mm->locked_vm, 2);
	ck_assert_int_eq(do_madvise(mm, (uint64_t)l, PAGE_SIZE, MADV_REMOVE), -EINVAL);
	ck_assert_int_eq(do_madvise(mm, (uint64_t)l, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_moved_mapping_keeps_its_file)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map_shared(mm, 0x40000000, 2 * PAGE_SIZE);
	uint64_t blocker = map_shared(mm, 0x40002000, PAGE_SIZE);
	struct file *file = vma_lookup(mm, a)->vm_file;
	int64_t moved;

	(void)blocker;
	ck_assert_int_eq(copy_to_user(mm, a, "moved", 5), 0);
	moved = do_mremap(mm, a, 2 * PAGE_SIZE, 3 * PAGE_SIZE, MREMAP_MAYMOVE, 0);
	ck_assert_int_ge(moved, 0);
	ck_assert_uint_ne((uint64_t)moved, a);
	ck_assert_ptr_eq(vma_lookup(mm, (uint64_t)moved)->vm_file, file);
	ck_assert_int_eq(file->f_count, 1);
	ASSERT_BYTES(mm, (uint64_t)moved, "moved");
	ck_assert_int_eq(stat_of(NR_SHMEM), 1);
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 1);
	ck_assert_int_eq(handle_mm_fault(mm, (uint64_t)moved + 2 * PAGE_SIZE, USER_READ, NULL),
			 VM_FAULT_SIGBUS);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_kernel_file_setup_alone)
{
	struct file *f = shmem_kernel_file_setup(t.node, "test", 3 * PAGE_SIZE);
	struct page *page;
	bool major;
	int err = 0;

	ck_assert_ptr_nonnull(f);
	page = filemap_get_page(f->f_mapping, 2, &major, &err);
	ck_assert_ptr_nonnull(page);
	ck_assert(!major);
	ck_assert_ptr_eq(filemap_get_page(f->f_mapping, 2, &major, &err), page);
	ck_assert_int_eq(page_count(page), 3);
	put_page(t.node, page);
	put_page(t.node, page);
	ck_assert_ptr_null(filemap_get_page(f->f_mapping, 3, &major, &err));
	ck_assert_int_eq(err, -EFAULT);
	ck_assert_int_eq(stat_of(NR_SHMEM), 1);
	ck_assert_int_eq(filemap_write_and_wait(f->f_mapping), 0);
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 0);
	file_put(f);
	assert_no_leaks();
}
END_TEST

static Suite *shmem_suite(void)
{
	Suite *s = suite_create("shmem");
	TCase *tc = tcase_create("shared anon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_setup_gives_each_mapping_a_file);
	tcase_add_test(tc, test_read_fault_allocates_a_real_page);
	tcase_add_test(tc, test_dontneed_keeps_data);
	tcase_add_test(tc, test_mincore_and_willneed);
	tcase_add_test(tc, test_mremap_old_size_zero_shares_pages);
	tcase_add_test(tc, test_munmap_part_keeps_the_file);
	tcase_add_test(tc, test_growth_past_the_file_is_sigbus);
	tcase_add_test(tc, test_madv_remove_punches_a_hole);
	tcase_add_test(tc, test_populate_and_lock);
	tcase_add_test(tc, test_moved_mapping_keeps_its_file);
	tcase_add_test(tc, test_kernel_file_setup_alone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(shmem_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
