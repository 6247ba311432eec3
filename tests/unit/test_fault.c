/* Unit tests for guestmm/memory.c, uaccess.c, madvise.c, file.c and
 * filemap.c: demand zero, COW, file faults over a host temp file, stack
 * growth, SIGSEGV codes, kernel copies, code invalidation, madvise and
 * mincore, and that every frame comes back when the mm goes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mm_test_util.h"
#include "guestmm/mm.h"
#include "guestmm/filemap.h"
#include "guestmm/readahead.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define USER_READ  FAULT_FLAG_USER
#define USER_WRITE (FAULT_FLAG_USER | FAULT_FLAG_WRITE)
#define USER_FETCH (FAULT_FLAG_USER | FAULT_FLAG_INSTRUCTION)

static struct test_node t;
static unsigned long free_baseline;
static char tmp_path[64];

static long stat_of(enum node_stat_item item)
{
	return t.node->stat.stat[item];
}

static unsigned long event_of(enum vm_event_item item)
{
	return t.node->stat.events[item];
}

static void setup(void)
{
	struct mm_struct *mm;

	test_node_init(&t, 32);
	/* Warm the slab caches (each keeps one empty slab once used), so the
	 * free count is a baseline every test must return to. */
	mm = mm_alloc(t.node);
	do_mmap(mm, 0x400000, PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0);
	mmput(mm);
	free_baseline = nr_free_pages(t.node);
	tmp_path[0] = 0;
}

static void teardown(void)
{
	if (tmp_path[0])
		unlink(tmp_path);
	test_node_fini(&t);
}

/* Everything the tests mapped, cached or counted is gone again. */
static void assert_no_leaks(void)
{
	/* The page cache outlives the last close (as on Linux) until the
	 * node goes; everything else must be gone already. */
	page_cache_destroy(t.node);
	ck_assert_int_eq(stat_of(NR_ANON_MAPPED), 0);
	ck_assert_int_eq(stat_of(NR_FILE_MAPPED), 0);
	ck_assert_int_eq(stat_of(NR_FILE_PAGES), 0);
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 0);
	ck_assert_int_eq(stat_of(NR_SHMEM), 0);
	ck_assert_int_eq(stat_of(NR_PAGETABLE), 0);
	ck_assert_uint_eq(t.node->bad_pages, 0);
	ck_assert_uint_eq(nr_free_pages(t.node), free_baseline);
}

static uint64_t map(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot, int flags,
		    struct file *file, uint64_t pgoff)
{
	int64_t ret = do_mmap(mm, addr, len, prot, flags | (addr ? MAP_FIXED : 0), file, pgoff);

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

/* A host temp file of `len` bytes, byte i being (i * 7 + i / 4096) & 0xff. */
static int make_file(size_t len, int flags)
{
	uint8_t *buf = malloc(len);
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/vmemu-test-fault-XXXXXX");
	fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + i / 4096);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	free(buf);
	close(fd);
	fd = open(tmp_path, flags);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static uint8_t file_byte(size_t i)
{
	return (uint8_t)(i * 7 + i / 4096);
}

static struct file *open_file(size_t len, int flags)
{
	struct file *f = file_from_fd(make_file(len, flags), tmp_path);

	ck_assert_ptr_nonnull(f);
	/* Readahead off (as POSIX_FADV_RANDOM), so each fault reads its own
	 * page; the readahead tests turn it on again. */
	f->f_ra.ra_pages = 0;
	return f;
}

/* ---- anonymous memory ---- */

START_TEST(test_read_fault_maps_zero_page)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, 4 * PAGE_SIZE, RW, ANON, NULL, 0);
	unsigned long faults = event_of(PGFAULT);
	uint64_t paddr;
	unsigned int prot;
	pte_t pte;

	ck_assert(!mmu_translate(mm, a, USER_READ, &paddr, &prot));
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_READ, NULL), 0);
	pte = pte_at(mm, a);
	ck_assert(pte_present(pte));
	ck_assert_uint_eq(pte_pfn(pte), t.node->zero_pfn);
	ck_assert(!pte_write(pte));
	ck_assert(pte.pte & _PAGE_USER);
	ck_assert(pte.pte & _PAGE_NX);
	/* The zero page is not counted anywhere. */
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 0);
	ck_assert_int_eq(stat_of(NR_ANON_MAPPED), 0);
	ck_assert_int_eq(page_mapcount(pfn_to_page(t.node, t.node->zero_pfn)), 0);
	ck_assert_uint_eq(event_of(PGFAULT), faults + 1);
	ck_assert_uint_eq(mm->min_flt, 1);

	ck_assert(mmu_translate(mm, a, USER_READ, &paddr, &prot));
	ck_assert_uint_eq(paddr >> PAGE_SHIFT, t.node->zero_pfn);
	ck_assert(!mmu_translate(mm, a, USER_WRITE, &paddr, &prot));
	/* Resolved already: another fault is a no-op. */
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_READ, NULL), 0);
	ck_assert_uint_eq(pte_pfn(pte_at(mm, a)), t.node->zero_pfn);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_write_fault_allocates)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, 4 * PAGE_SIZE, RW, ANON, NULL, 0) + PAGE_SIZE;
	unsigned long free0 = nr_free_pages(t.node);
	struct page *page;
	uint64_t paddr;
	unsigned int prot;

	ck_assert_int_eq(handle_mm_fault(mm, a + 100, USER_WRITE, NULL), 0);
	ck_assert(pte_write(pte_at(mm, a)));
	page = page_at(mm, a);
	ck_assert(PageFlag(page, PG_anon));
	ck_assert_ptr_eq(page->mapping, mm->anon_vma);	/* the fork family (rmap.c) */
	ck_assert_uint_eq(page->index, a >> PAGE_SHIFT);
	ck_assert_int_eq(page->_mapcount, 0);
	ck_assert_int_eq(page_count(page), 1);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 1);
	ck_assert_int_eq(mm->hiwater_rss, 1);
	ck_assert_int_eq(stat_of(NR_ANON_MAPPED), 1);
	/* One frame of data, three of tables. */
	ck_assert_uint_eq(nr_free_pages(t.node), free0 - 4);

	ck_assert(mmu_translate(mm, a, USER_WRITE, &paddr, &prot));
	ck_assert(prot & MMU_PROT_WRITE);
	ck_assert_uint_eq(prot & MMU_PROT_EXEC, 0);
	ck_assert_uint_eq(paddr, (uint64_t)page_to_pfn(t.node, page) << PAGE_SHIFT);
	for (int i = 0; i < (int)PAGE_SIZE; i++)
		ck_assert_int_eq(t.node->ram[paddr + i], 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_write_after_read_replaces_zero_page)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, PAGE_SIZE, RW, ANON, NULL, 0);
	int flushes;

	ck_assert_int_eq(handle_mm_fault(mm, a, USER_READ, NULL), 0);
	flushes = t.tlb_flushes;
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_WRITE, NULL), 0);
	ck_assert_uint_ne(pte_pfn(pte_at(mm, a)), t.node->zero_pfn);
	ck_assert(pte_write(pte_at(mm, a)));
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 1);
	ck_assert_int_eq(stat_of(NR_ANON_MAPPED), 1);
	/* The guest's own store refills its TLB entry: no flush, and no copy
	 * counted for the zero page. */
	ck_assert_int_eq(t.tlb_flushes, flushes);
	ck_assert_uint_eq(event_of(COW_FAULT), 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_kernel_write_over_zero_page_flushes)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, PAGE_SIZE, RW, ANON, NULL, 0);
	char buf[4];
	int flushes;

	ck_assert_int_eq(handle_mm_fault(mm, a, USER_READ, NULL), 0);
	flushes = t.tlb_flushes;
	/* The guest's TLB may map a to the zero page: the kernel's write must
	 * not leave it there. */
	ck_assert_int_eq(copy_to_user(mm, a, "abc", 4), 0);
	ck_assert_int_eq(t.tlb_flushes, flushes + 1);
	ck_assert_int_eq(copy_from_user(mm, buf, a, 4), 0);
	ck_assert_str_eq(buf, "abc");
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_wp_reuses_exclusive_page)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, PAGE_SIZE, RW, ANON, NULL, 0);
	pfn_t pfn;

	ck_assert_int_eq(handle_mm_fault(mm, a, USER_WRITE, NULL), 0);
	pfn = pte_pfn(pte_at(mm, a));
	/* Write-protect it (as mprotect or fork would), then write: the page
	 * is only ours, so it is reused, not copied. */
	pte_offset(mm, a)->pte &= ~_PAGE_RW;
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_WRITE, NULL), 0);
	ck_assert_uint_eq(pte_pfn(pte_at(mm, a)), pfn);
	ck_assert(pte_write(pte_at(mm, a)));
	ck_assert_uint_eq(event_of(COW_FAULT), 0);

	/* With a second reference (as after fork) it is copied. */
	get_page(pfn_to_page(t.node, pfn));
	pte_offset(mm, a)->pte &= ~_PAGE_RW;
	ck_assert_int_eq(copy_to_user(mm, a, "x", 1), 0);
	ck_assert_uint_ne(pte_pfn(pte_at(mm, a)), pfn);
	ck_assert_uint_eq(event_of(COW_FAULT), 1);
	ck_assert_int_eq(page_mapcount(pfn_to_page(t.node, pfn)), 0);
	put_page(t.node, pfn_to_page(t.node, pfn));
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_segv_codes)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t ro = map(mm, 0x10000000, PAGE_SIZE, PROT_READ, ANON, NULL, 0);
	uint64_t none = map(mm, 0x10002000, PAGE_SIZE, PROT_NONE, ANON, NULL, 0);
	uint64_t wo = map(mm, 0x10004000, PAGE_SIZE, PROT_WRITE, ANON, NULL, 0);
	uint64_t x = map(mm, 0x10006000, PAGE_SIZE, PROT_EXEC, ANON, NULL, 0);
	unsigned long faults = event_of(PGFAULT);
	int code = 0;

	ck_assert_int_eq(handle_mm_fault(mm, ro, USER_WRITE, &code), VM_FAULT_SIGSEGV);
	ck_assert_int_eq(code, FAULT_SEGV_ACCERR);
	ck_assert_int_eq(handle_mm_fault(mm, ro, USER_FETCH, &code), VM_FAULT_SIGSEGV);
	ck_assert_int_eq(code, FAULT_SEGV_ACCERR);
	ck_assert_int_eq(handle_mm_fault(mm, none, USER_READ, &code), VM_FAULT_SIGSEGV);
	ck_assert_int_eq(code, FAULT_SEGV_ACCERR);
	code = 0;
	ck_assert_int_eq(handle_mm_fault(mm, ro + PAGE_SIZE, USER_READ, &code), VM_FAULT_SIGSEGV);
	ck_assert_int_eq(code, FAULT_SEGV_MAPERR);
	ck_assert_int_eq(handle_mm_fault(mm, 0x7fff00000000ULL, USER_READ, &code),
			 VM_FAULT_SIGSEGV);
	ck_assert_int_eq(code, FAULT_SEGV_MAPERR);
	ck_assert_int_eq(handle_mm_fault(mm, TASK_SIZE, USER_READ, &code), VM_FAULT_SIGSEGV);
	ck_assert_int_eq(code, FAULT_SEGV_MAPERR);
	ck_assert_int_eq(handle_mm_fault(mm, 0, USER_READ, NULL), VM_FAULT_SIGSEGV);
	/* Bad-area faults never reach the counters. */
	ck_assert_uint_eq(event_of(PGFAULT), faults);
	ck_assert_uint_eq(mm->min_flt + mm->maj_flt, 0);

	/* x86 cannot map write-only or exec-only: both read. */
	ck_assert_int_eq(handle_mm_fault(mm, ro, USER_READ, NULL), 0);
	ck_assert_int_eq(handle_mm_fault(mm, wo, USER_READ, NULL), 0);
	ck_assert_int_eq(handle_mm_fault(mm, x, USER_READ, NULL), 0);
	ck_assert_int_eq(handle_mm_fault(mm, x, USER_FETCH, NULL), 0);
	ck_assert(mmu_translate(mm, x, USER_FETCH, &(uint64_t){ 0 }, &(unsigned int){ 0 }));
	ck_assert_int_eq(handle_mm_fault(mm, wo, USER_WRITE, NULL), 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_stack_growth)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t below = map(mm, 0x20000000, PAGE_SIZE, RW, ANON, NULL, 0);
	uint64_t stack = map(mm, 0x20400000, 4 * PAGE_SIZE, RW, ANON | MAP_GROWSDOWN, NULL, 0);
	struct vm_area_struct *vma = vma_lookup(mm, stack);
	long total = mm->total_vm, stack_vm = mm->stack_vm;
	uint64_t guard_edge = below + PAGE_SIZE + STACK_GUARD_GAP;
	int code = 0;

	ck_assert_ptr_nonnull(vma);
	ck_assert(vma->vm_flags & VM_GROWSDOWN);
	/* A push a few pages below the stack grows it down to that page. */
	ck_assert_int_eq(handle_mm_fault(mm, stack - 3 * PAGE_SIZE + 8, USER_WRITE, NULL), 0);
	ck_assert_uint_eq(vma->vm_start, stack - 3 * PAGE_SIZE);
	ck_assert_uint_eq(vma->vm_pgoff, (stack - 3 * PAGE_SIZE) >> PAGE_SHIFT);
	ck_assert_int_eq(mm->total_vm, total + 3);
	ck_assert_int_eq(mm->stack_vm, stack_vm + 3);
	ck_assert_ptr_eq(find_vma(mm, stack - 3 * PAGE_SIZE), vma);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 1);

	/* Down to the guard gap, but not into it. */
	ck_assert_int_eq(handle_mm_fault(mm, guard_edge, USER_READ, NULL), 0);
	ck_assert_uint_eq(vma->vm_start, guard_edge);
	ck_assert_int_eq(handle_mm_fault(mm, guard_edge - PAGE_SIZE, USER_READ, &code),
			 VM_FAULT_SIGSEGV);
	ck_assert_int_eq(code, FAULT_SEGV_MAPERR);
	ck_assert_uint_eq(vma->vm_start, guard_edge);
	/* A plain VMA does not grow. */
	ck_assert_int_eq(handle_mm_fault(mm, below - PAGE_SIZE, USER_READ, &code),
			 VM_FAULT_SIGSEGV);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

/* ---- files ---- */

START_TEST(test_file_read_fault)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f = open_file(3 * PAGE_SIZE + 100, O_RDONLY);
	uint64_t a = map(mm, 0, 5 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, f, 0);
	uint8_t buf[PAGE_SIZE];
	struct page *page;

	file_put(f);                  /* the VMA holds its own reference */
	ck_assert_int_eq(handle_mm_fault(mm, a + PAGE_SIZE, USER_READ, NULL), VM_FAULT_MAJOR);
	ck_assert_uint_eq(mm->maj_flt, 1);
	ck_assert_uint_eq(event_of(PGMAJFAULT), 1);
	ck_assert_uint_eq(event_of(PGPGIN), 4);
	ck_assert_int_eq(stat_of(NR_FILE_PAGES), 1);
	ck_assert_int_eq(stat_of(NR_FILE_MAPPED), 1);
	ck_assert_int_eq(mm->rss_stat[MM_FILEPAGES], 1);
	page = page_at(mm, a + PAGE_SIZE);
	ck_assert(!PageFlag(page, PG_anon));
	ck_assert_uint_eq(page->index, 1);
	ck_assert_int_eq(page_count(page), 2);         /* cache + PTE */
	ck_assert(!pte_write(pte_at(mm, a + PAGE_SIZE)));

	ck_assert_int_eq(copy_from_user(mm, buf, a + PAGE_SIZE, PAGE_SIZE), 0);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		ck_assert_uint_eq(buf[i], file_byte(PAGE_SIZE + i));

	/* Dropped from the page tables, still in the cache: a minor fault. */
	ck_assert_int_eq(do_madvise(mm, a, 2 * PAGE_SIZE, MADV_DONTNEED), 0);
	ck_assert_int_eq(stat_of(NR_FILE_MAPPED), 0);
	ck_assert_int_eq(stat_of(NR_FILE_PAGES), 1);
	ck_assert_int_eq(handle_mm_fault(mm, a + PAGE_SIZE, USER_READ, NULL), 0);
	ck_assert_uint_eq(mm->maj_flt, 1);
	ck_assert_uint_eq(mm->min_flt, 1);

	/* The last page is partial: the rest reads as zero. */
	ck_assert_int_eq(copy_from_user(mm, buf, a + 3 * PAGE_SIZE, PAGE_SIZE), 0);
	for (size_t i = 0; i < 100; i++)
		ck_assert_uint_eq(buf[i], file_byte(3 * PAGE_SIZE + i));
	for (size_t i = 100; i < PAGE_SIZE; i++)
		ck_assert_uint_eq(buf[i], 0);
	/* Past EOF, inside the VMA: SIGBUS, and -EFAULT for the kernel. */
	ck_assert_int_eq(handle_mm_fault(mm, a + 4 * PAGE_SIZE, USER_READ, NULL), VM_FAULT_SIGBUS);
	ck_assert_int_eq(copy_from_user(mm, buf, a + 4 * PAGE_SIZE, 1), -EFAULT);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_private_file_write_cows)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f = open_file(2 * PAGE_SIZE, O_RDWR);
	uint64_t a = map(mm, 0, 2 * PAGE_SIZE, RW, MAP_PRIVATE, f, 0);
	struct page *cache;
	uint8_t c;
	int fd;

	/* Read first (maps the cache page), then write: do_wp_page copies. */
	ck_assert_int_eq(copy_from_user(mm, &c, a + 10, 1), 0);
	ck_assert_uint_eq(c, file_byte(10));
	cache = page_at(mm, a);
	ck_assert_int_eq(mm->rss_stat[MM_FILEPAGES], 1);
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_WRITE, NULL), 0);
	ck_assert_ptr_ne(page_at(mm, a), cache);
	ck_assert(PageFlag(page_at(mm, a), PG_anon));
	ck_assert_int_eq(mm->rss_stat[MM_FILEPAGES], 0);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 1);
	ck_assert_uint_eq(event_of(COW_FAULT), 1);
	ck_assert_int_eq(page_mapcount(cache), 0);
	ck_assert_int_eq(copy_to_user(mm, a + 10, "Z", 1), 0);

	/* A first write without a read: do_cow_fault. */
	ck_assert_int_eq(copy_to_user(mm, a + PAGE_SIZE, "Q", 1), 0);
	ck_assert(PageFlag(page_at(mm, a + PAGE_SIZE), PG_anon));
	ck_assert_uint_eq(event_of(COW_FAULT), 2);
	ck_assert_int_eq(copy_from_user(mm, &c, a + PAGE_SIZE + 1, 1), 0);
	ck_assert_uint_eq(c, file_byte(PAGE_SIZE + 1));

	/* Neither the cache nor the file saw the writes. */
	ck_assert_uint_eq(((uint8_t *)page_address(t.node, cache))[10], file_byte(10));
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 0);
	fd = f->host_fd;
	ck_assert_int_eq(pread(fd, &c, 1, 10), 1);
	ck_assert_uint_eq(c, file_byte(10));

	/* DONTNEED on a COWed private page brings the file back. */
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_DONTNEED), 0);
	ck_assert_int_eq(copy_from_user(mm, &c, a + 10, 1), 0);
	ck_assert_uint_eq(c, file_byte(10));

	mmput(mm);
	file_put(f);
	fd = open(tmp_path, O_RDONLY);
	ck_assert_int_eq(pread(fd, &c, 1, 10), 1);
	ck_assert_uint_eq(c, file_byte(10));
	ck_assert_int_eq(pread(fd, &c, 1, PAGE_SIZE), 1);
	ck_assert_uint_eq(c, file_byte(PAGE_SIZE));
	close(fd);
	assert_no_leaks();
}
END_TEST

START_TEST(test_shared_file_write_reaches_file)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f = open_file(PAGE_SIZE + 10, O_RDWR);
	uint64_t a = map(mm, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, f, 0);
	struct page *page;
	char buf[8];
	int fd;

	/* A read maps the page read-only, so the store comes back to dirty it. */
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_READ, NULL), VM_FAULT_MAJOR);
	ck_assert(!pte_write(pte_at(mm, a)));
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_WRITE, NULL), 0);
	page = page_at(mm, a);
	ck_assert(pte_write(pte_at(mm, a)));
	ck_assert(PageFlag(page, PG_dirty));
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 1);
	ck_assert_ptr_eq(filemap_lookup(f->f_mapping, 0), page);
	ck_assert_int_eq(copy_to_user(mm, a + 3, "shared", 6), 0);
	/* The last page is written only up to EOF. */
	ck_assert_int_eq(copy_to_user(mm, a + PAGE_SIZE + 8, "tail", 4), 0);
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 2);

	mmput(mm);
	file_put(f);
	fd = open(tmp_path, O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, 6, 3), 6);
	ck_assert_int_eq(memcmp(buf, "shared", 6), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), PAGE_SIZE + 10);
	ck_assert_int_eq(pread(fd, buf, 2, PAGE_SIZE + 8), 2);
	ck_assert_int_eq(memcmp(buf, "ta", 2), 0);
	close(fd);
	assert_no_leaks();
}
END_TEST

START_TEST(test_two_files_share_the_cache)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f1 = open_file(PAGE_SIZE, O_RDONLY);
	struct file *f2 = file_from_fd(open(tmp_path, O_RDONLY), tmp_path);
	uint64_t a1 = map(mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, f1, 0);
	uint64_t a2 = map(mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, f2, 0);

	ck_assert_int_eq(handle_mm_fault(mm, a1, USER_READ, NULL), VM_FAULT_MAJOR);
	/* Same inode: the second file finds the page cached. */
	ck_assert_int_eq(handle_mm_fault(mm, a2, USER_READ, NULL), 0);
	ck_assert_ptr_eq(page_at(mm, a1), page_at(mm, a2));
	ck_assert_int_eq(page_mapcount(page_at(mm, a1)), 2);
	ck_assert_int_eq(stat_of(NR_FILE_PAGES), 1);
	ck_assert_int_eq(stat_of(NR_FILE_MAPPED), 1);
	/* The file that reads misses goes first; the cache still works. */
	file_put(f1);
	ck_assert_int_eq(do_munmap(mm, a1, PAGE_SIZE), 0);
	ck_assert_int_eq(do_madvise(mm, a2, PAGE_SIZE, MADV_DONTNEED), 0);
	ck_assert_int_eq(handle_mm_fault(mm, a2, USER_READ, NULL), 0);
	file_put(f2);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

/* ---- kernel access ---- */

START_TEST(test_copy_across_pages)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, 3 * PAGE_SIZE, RW, ANON, NULL, 0);
	static uint8_t src[5000], dst[5000];
	char s[64];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13);
	ck_assert_int_eq(copy_to_user(mm, a + 4000, src, sizeof(src)), 0);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 3);     /* 4000..8999 */
	ck_assert_int_eq(copy_from_user(mm, dst, a + 4000, sizeof(dst)), 0);
	ck_assert_int_eq(memcmp(src, dst, sizeof(src)), 0);

	/* A string across a page boundary, and one that does not fit. */
	ck_assert_int_eq(copy_to_user(mm, a + PAGE_SIZE - 3, "hello", 6), 0);
	ck_assert_int_eq(strncpy_from_user(mm, s, a + PAGE_SIZE - 3, sizeof(s)), 5);
	ck_assert_str_eq(s, "hello");
	ck_assert_int_eq(strncpy_from_user(mm, s, a + PAGE_SIZE - 3, 5), -ENAMETOOLONG);
	ck_assert_int_eq(strncpy_from_user(mm, s, a + PAGE_SIZE - 3, 6), 5);

	ck_assert_int_eq(clear_user(mm, a + 4000, 200), 0);
	ck_assert_int_eq(copy_from_user(mm, dst, a + 4000, 200), 0);
	for (int i = 0; i < 200; i++)
		ck_assert_uint_eq(dst[i], 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_copy_straddling_hole)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0x30000000, PAGE_SIZE, RW, ANON, NULL, 0);
	uint8_t src[64], dst[64];
	char s[64];

	memset(src, 0xab, sizeof(src));
	/* The bytes before the hole are copied, then -EFAULT. */
	ck_assert_int_eq(copy_to_user(mm, a + PAGE_SIZE - 32, src, 64), -EFAULT);
	ck_assert_int_eq(copy_from_user(mm, dst, a + PAGE_SIZE - 32, 32), 0);
	for (int i = 0; i < 32; i++)
		ck_assert_uint_eq(dst[i], 0xab);
	memset(dst, 0x55, sizeof(dst));
	ck_assert_int_eq(copy_from_user(mm, dst, a + PAGE_SIZE - 32, 64), -EFAULT);
	for (int i = 0; i < 32; i++)
		ck_assert_uint_eq(dst[i], 0xab);
	for (int i = 32; i < 64; i++)
		ck_assert_uint_eq(dst[i], 0);               /* tail zeroed */
	/* An unterminated string running into the hole. */
	ck_assert_int_eq(strncpy_from_user(mm, s, a + PAGE_SIZE - 32, sizeof(s)), -EFAULT);
	ck_assert_int_eq(clear_user(mm, a + PAGE_SIZE - 8, 16), -EFAULT);

	/* Ranges beyond user space, or wrapping, fail whole. */
	ck_assert_int_eq(copy_to_user(mm, TASK_SIZE - 8, src, 16), -EFAULT);
	ck_assert_int_eq(copy_from_user(mm, dst, UINT64_MAX - 4, 16), -EFAULT);
	ck_assert_int_eq(copy_to_user(mm, 0xffff800000000000ULL, src, 1), -EFAULT);
	ck_assert_int_eq(copy_to_user(mm, a, src, 0), 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_kernel_write_to_read_only_mapping)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, PAGE_SIZE, PROT_READ, ANON, NULL, 0);
	struct file *f = open_file(PAGE_SIZE, O_RDONLY);
	uint64_t fa = map(mm, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, f, 0);
	uint8_t c = 1;

	file_put(f);
	ck_assert_int_eq(copy_to_user(mm, a, "x", 1), -EFAULT);
	ck_assert_int_eq(copy_from_user(mm, &c, a, 1), 0);
	ck_assert_uint_eq(c, 0);
	ck_assert_int_eq(copy_to_user(mm, fa, "x", 1), -EFAULT);
	ck_assert_int_eq(copy_from_user(mm, &c, fa + 5, 1), 0);
	ck_assert_uint_eq(c, file_byte(5));
	ck_assert_int_eq(clear_user(mm, fa, 1), -EFAULT);

	/* PROT_NONE over a present page: neither the guest nor the kernel
	 * gets through, and access comes back with the protection. */
	ck_assert_int_eq(do_mprotect(mm, a, PAGE_SIZE, PROT_NONE), 0);
	ck_assert(pte_present(pte_at(mm, a)));
	ck_assert_int_eq(copy_from_user(mm, &c, a, 1), -EFAULT);
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_READ, NULL), VM_FAULT_SIGSEGV);
	ck_assert_int_eq(do_mprotect(mm, a, PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	ck_assert_int_eq(copy_to_user(mm, a, "w", 1), 0);
	ck_assert_int_eq(copy_from_user(mm, &c, a, 1), 0);
	ck_assert_uint_eq(c, 'w');
	mmput(mm);
	assert_no_leaks();
}
END_TEST

/* ---- translated code ---- */

START_TEST(test_exec_frame_invalidated_on_free)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, PAGE_SIZE, RW | PROT_EXEC, ANON, NULL, 0);
	uint64_t paddr;
	unsigned int prot;
	int flushes;

	ck_assert_int_eq(copy_to_user(mm, a, "\x90\xc3", 2), 0);
	t.code_invalidations = 0;
	ck_assert(mmu_translate(mm, a, USER_FETCH, &paddr, &prot));
	ck_assert(prot & MMU_PROT_EXEC);
	ck_assert(PageFlag(page_at(mm, a), PG_exec));

	flushes = t.tlb_flushes;
	ck_assert_int_eq(do_munmap(mm, a, PAGE_SIZE), 0);
	ck_assert_int_eq(t.tlb_flushes, flushes + 1);
	ck_assert_int_eq(t.code_invalidations, 1);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_exec_frame_invalidated_on_kernel_write)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, PAGE_SIZE, RW | PROT_EXEC, ANON, NULL, 0);
	uint64_t data = map(mm, 0, PAGE_SIZE, RW, ANON, NULL, 0);
	uint64_t paddr;
	unsigned int prot;

	ck_assert_int_eq(handle_mm_fault(mm, a, USER_WRITE, NULL), 0);
	ck_assert_int_eq(handle_mm_fault(mm, data, USER_WRITE, NULL), 0);
	ck_assert(mmu_translate(mm, a, USER_FETCH, &paddr, &prot));
	t.code_invalidations = 0;
	/* read() into a code page: its translations must go. */
	ck_assert_int_eq(copy_to_user(mm, a + 16, "\xcc", 1), 0);
	ck_assert_int_eq(t.code_invalidations, 1);
	/* Still marked: the TLB may let the guest translate it again. */
	ck_assert(PageFlag(page_at(mm, a), PG_exec));
	/* Data pages cost nothing. */
	ck_assert_int_eq(copy_to_user(mm, data, "x", 1), 0);
	ck_assert_int_eq(t.code_invalidations, 1);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

/* ---- madvise, mincore, populate ---- */

START_TEST(test_madvise_dontneed_reads_zero)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, 8 * PAGE_SIZE, RW, ANON, NULL, 0);
	uint8_t buf[16];
	int flushes;

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(copy_to_user(mm, a + i * PAGE_SIZE, "data", 4), 0);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 8);
	flushes = t.tlb_flushes;
	ck_assert_int_eq(do_madvise(mm, a + PAGE_SIZE, 6 * PAGE_SIZE, MADV_DONTNEED), 0);
	ck_assert_int_eq(t.tlb_flushes, flushes + 1);         /* one flush for six */
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 2);
	ck_assert_int_eq(mm->hiwater_rss, 8);
	ck_assert_int_eq(stat_of(NR_ANON_MAPPED), 2);
	ck_assert(pte_none(pte_at(mm, a + 3 * PAGE_SIZE)));
	ck_assert_int_eq(copy_from_user(mm, buf, a + 3 * PAGE_SIZE, 4), 0);
	ck_assert_int_eq(memcmp(buf, "\0\0\0\0", 4), 0);
	ck_assert_int_eq(copy_from_user(mm, buf, a + 7 * PAGE_SIZE, 4), 0);
	ck_assert_int_eq(memcmp(buf, "data", 4), 0);

	/* MADV_FREE on private anon frees now, too. */
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_FREE), 0);
	ck_assert_int_eq(copy_from_user(mm, buf, a, 4), 0);
	ck_assert_int_eq(memcmp(buf, "\0\0\0\0", 4), 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_madvise_errors)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0x40000000, 2 * PAGE_SIZE, RW, ANON, NULL, 0);
	uint64_t b = map(mm, 0x40003000, PAGE_SIZE, RW, ANON, NULL, 0);
	uint64_t sh = map(mm, 0x40010000, PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	struct vm_area_struct *vma;

	ck_assert_int_eq(do_madvise(mm, a + 1, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, 5), -EINVAL);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, 1000), -EINVAL);
	ck_assert_int_eq(do_madvise(mm, a, 0, MADV_DONTNEED), 0);
	ck_assert_int_eq(do_madvise(mm, a, UINT64_MAX, MADV_DONTNEED), -EINVAL);
	ck_assert_int_eq(do_madvise(mm, 0x50000000, PAGE_SIZE, MADV_DONTNEED), -ENOMEM);

	/* A hole in the middle: both sides advised, then ENOMEM. */
	ck_assert_int_eq(copy_to_user(mm, a, "x", 1), 0);
	ck_assert_int_eq(copy_to_user(mm, b, "y", 1), 0);
	ck_assert_int_eq(do_madvise(mm, a, b + PAGE_SIZE - a, MADV_DONTNEED), -ENOMEM);
	ck_assert(pte_none(pte_at(mm, a)));
	ck_assert(pte_none(pte_at(mm, b)));
	/* len rounds up to the page. */
	ck_assert_int_eq(copy_to_user(mm, a, "x", 1), 0);
	ck_assert_int_eq(do_madvise(mm, a, 1, MADV_DONTNEED), 0);
	ck_assert(pte_none(pte_at(mm, a)));

	/* Flags through vma_modify_flags: only the range changes. */
	ck_assert_int_eq(do_madvise(mm, a + PAGE_SIZE, PAGE_SIZE, MADV_DONTFORK), 0);
	vma = vma_lookup(mm, a + PAGE_SIZE);
	ck_assert(vma->vm_flags & VM_DONTCOPY);
	ck_assert_uint_eq(vma->vm_start, a + PAGE_SIZE);
	ck_assert(!(vma_lookup(mm, a)->vm_flags & VM_DONTCOPY));
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_SEQUENTIAL), 0);
	ck_assert(vma_lookup(mm, a)->vm_flags & VM_SEQ_READ);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_RANDOM), 0);
	ck_assert_uint_eq(vma_lookup(mm, a)->vm_flags & (VM_SEQ_READ | VM_RAND_READ),
			  VM_RAND_READ);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_HUGEPAGE), 0);
	ck_assert(vma_lookup(mm, a)->vm_flags & VM_HUGEPAGE);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_NOHUGEPAGE), 0);
	ck_assert_uint_eq(vma_lookup(mm, a)->vm_flags & (VM_HUGEPAGE | VM_NOHUGEPAGE),
			  VM_NOHUGEPAGE);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_DONTDUMP), 0);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_COLD), 0);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_MERGEABLE), 0);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_WILLNEED), 0);

	/* Shared memory cannot be lazily freed, nor wiped on fork. */
	ck_assert_int_eq(do_madvise(mm, sh, PAGE_SIZE, MADV_FREE), -EINVAL);
	ck_assert_int_eq(do_madvise(mm, sh, PAGE_SIZE, MADV_WIPEONFORK), -EINVAL);
	ck_assert_int_eq(do_madvise(mm, b, PAGE_SIZE, MADV_WIPEONFORK), 0);
	ck_assert(vma_lookup(mm, b)->vm_flags & VM_WIPEONFORK);
	ck_assert_int_eq(do_madvise(mm, a, PAGE_SIZE, MADV_REMOVE), -EINVAL);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_madvise_populate)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, 4 * PAGE_SIZE, RW, ANON, NULL, 0);
	uint64_t ro = map(mm, 0, 2 * PAGE_SIZE, PROT_READ, ANON, NULL, 0);
	struct file *f = open_file(PAGE_SIZE, O_RDONLY);
	uint64_t fa = map(mm, 0, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, f, 0);

	file_put(f);
	ck_assert_int_eq(do_madvise(mm, a, 4 * PAGE_SIZE, MADV_POPULATE_READ), 0);
	ck_assert_uint_eq(pte_pfn(pte_at(mm, a + 2 * PAGE_SIZE)), t.node->zero_pfn);
	ck_assert_int_eq(do_madvise(mm, a, 4 * PAGE_SIZE, MADV_POPULATE_WRITE), 0);
	for (int i = 0; i < 4; i++)
		ck_assert(pte_write(pte_at(mm, a + i * PAGE_SIZE)));
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 4);
	ck_assert_int_eq(do_madvise(mm, ro, PAGE_SIZE, MADV_POPULATE_WRITE), -EINVAL);
	/* The second page of the file mapping is past EOF. */
	ck_assert_int_eq(do_madvise(mm, fa, 2 * PAGE_SIZE, MADV_POPULATE_READ), -EFAULT);
	ck_assert(pte_present(pte_at(mm, fa)));
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_mm_populate)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0, 4 * PAGE_SIZE, RW, ANON | MAP_POPULATE, NULL, 0);
	uint64_t sh = map(mm, 0, 2 * PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);

	/* Private writable memory is faulted for write (COW broken now). */
	for (int i = 0; i < 4; i++)
		ck_assert(pte_write(pte_at(mm, a + i * PAGE_SIZE)));
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 4);
	/* Shared anonymous memory is shmem: counted as such. */
	ck_assert_int_eq(mm_populate(mm, sh, 2 * PAGE_SIZE), 0);
	ck_assert_int_eq(mm->rss_stat[MM_SHMEMPAGES], 2);
	ck_assert_int_eq(stat_of(NR_SHMEM), 2);
	ck_assert_int_eq(stat_of(NR_FILE_MAPPED), 2);
	ck_assert_int_eq(copy_to_user(mm, sh, "s", 1), 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_mincore)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t a = map(mm, 0x50000000, 4 * PAGE_SIZE, RW, ANON, NULL, 0);
	struct file *f = open_file(3 * PAGE_SIZE, O_RDONLY);
	uint64_t fa = map(mm, 0x50010000, 3 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, f, 0);
	uint64_t fb = map(mm, 0x50020000, 3 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, f, 0);
	uint8_t vec[8];

	file_put(f);
	ck_assert_int_eq(copy_to_user(mm, a, "x", 1), 0);
	ck_assert_int_eq(handle_mm_fault(mm, a + 2 * PAGE_SIZE, USER_READ, NULL), 0);
	memset(vec, 0xee, sizeof(vec));
	ck_assert_int_eq(do_mincore(mm, a, 4 * PAGE_SIZE, vec), 0);
	ck_assert_mem_eq(vec, "\1\0\1\0\xee", 5);
	/* A partial last page counts. */
	ck_assert_int_eq(do_mincore(mm, a, PAGE_SIZE + 1, vec), 0);
	ck_assert_mem_eq(vec, "\1\0", 2);

	/* File pages: resident if the cache has them, mapped here or not. */
	ck_assert_int_eq(handle_mm_fault(mm, fb + PAGE_SIZE, USER_READ, NULL), VM_FAULT_MAJOR);
	ck_assert_int_eq(do_mincore(mm, fa, 3 * PAGE_SIZE, vec), 0);
	ck_assert_mem_eq(vec, "\0\1\0", 3);
	ck_assert_int_eq(do_madvise(mm, fa, 3 * PAGE_SIZE, MADV_WILLNEED), 0);
	ck_assert_int_eq(do_mincore(mm, fa, 3 * PAGE_SIZE, vec), 0);
	ck_assert_mem_eq(vec, "\1\1\1", 3);
	ck_assert_uint_eq(event_of(PGPGIN), 12);

	ck_assert_int_eq(do_mincore(mm, a + 1, PAGE_SIZE, vec), -EINVAL);
	ck_assert_int_eq(do_mincore(mm, a, 5 * PAGE_SIZE, vec), -ENOMEM);
	ck_assert_int_eq(do_mincore(mm, 0x60000000, PAGE_SIZE, vec), -ENOMEM);
	ck_assert_int_eq(do_mincore(mm, TASK_SIZE, PAGE_SIZE, vec), -ENOMEM);
	ck_assert_int_eq(do_mincore(mm, a, 0, vec), 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(test_out_of_memory)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t len = 64ULL << 20;
	uint64_t a = map(mm, 0, len, RW, ANON | MAP_NORESERVE, NULL, 0);
	vm_fault_t ret = 0;
	uint64_t addr;

	/* 64 MiB cannot fit in 32: the fault that finds no frame is OOM. */
	for (addr = a; addr < a + len; addr += PAGE_SIZE) {
		ret = handle_mm_fault(mm, addr, USER_WRITE, NULL);
		if (ret)
			break;
	}
	ck_assert_int_eq(ret, VM_FAULT_OOM);
	ck_assert_int_eq(copy_to_user(mm, addr, "x", 1), -EFAULT);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

/* ---- the page cache under read() and write() ---- */

static size_t copy_actor(void *ctx, const void *src, size_t len)
{
	uint8_t **dst = ctx;

	memcpy(*dst, src, len);
	*dst += len;
	return len;
}

static long cache_read(struct file *f, uint64_t pos, void *buf, size_t len)
{
	uint8_t *dst = buf;

	return filemap_read(file_mapping(t.node, f), &f->f_ra, pos, len, copy_actor, &dst);
}

START_TEST(test_read_goes_through_cache_with_readahead)
{
	struct file *f = open_file(100 * PAGE_SIZE, O_RDONLY);
	struct address_space *mapping;
	static uint8_t buf[100 * PAGE_SIZE];

	file_ra_state_init(&f->f_ra);
	/* A first read of one page at 0: Linux's initial window, 4 pages,
	 * with the marker on the second. */
	ck_assert_int_eq(cache_read(f, 0, buf, PAGE_SIZE), PAGE_SIZE);
	mapping = f->f_mapping;
	ck_assert_uint_eq(mapping->nrpages, 4);
	ck_assert_uint_eq(event_of(PGPGIN), 16);
	ck_assert(PageFlag(filemap_lookup(mapping, 1), PG_readahead));
	for (size_t i = 0; i < PAGE_SIZE; i++)
		ck_assert_uint_eq(buf[i], file_byte(i));
	/* Reaching the marker reads the next window, twice as big. */
	ck_assert_int_eq(cache_read(f, PAGE_SIZE, buf, PAGE_SIZE), PAGE_SIZE);
	ck_assert_uint_eq(mapping->nrpages, 12);
	ck_assert(!PageFlag(filemap_lookup(mapping, 1), PG_readahead));
	/* The rest, then all of it again: the second pass reads nothing. */
	ck_assert_int_eq(cache_read(f, 2 * PAGE_SIZE, buf, 98 * PAGE_SIZE), 98 * PAGE_SIZE);
	ck_assert_uint_eq(mapping->nrpages, 100);
	ck_assert_uint_eq(event_of(PGPGIN), 400);
	ck_assert_int_eq(cache_read(f, 0, buf, sizeof(buf) + 5), sizeof(buf));
	ck_assert_uint_eq(event_of(PGPGIN), 400);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], file_byte(i));
	/* At and past EOF, nothing. */
	ck_assert_int_eq(cache_read(f, sizeof(buf), buf, 10), 0);
	file_put(f);
	assert_no_leaks();
}
END_TEST

START_TEST(test_random_read_reads_only_what_was_asked)
{
	struct file *f = open_file(64 * PAGE_SIZE, O_RDONLY);
	uint8_t buf[100];

	file_ra_state_init(&f->f_ra);
	ck_assert_int_eq(cache_read(f, 40 * PAGE_SIZE + 5, buf, sizeof(buf)), sizeof(buf));
	ck_assert_uint_eq(f->f_mapping->nrpages, 1);
	ck_assert_uint_eq(buf[0], file_byte(40 * PAGE_SIZE + 5));
	/* The next page after it is sequential: a window starts. */
	ck_assert_int_eq(cache_read(f, 41 * PAGE_SIZE, buf, sizeof(buf)), sizeof(buf));
	ck_assert_uint_gt(f->f_mapping->nrpages, 2);
	file_put(f);
	assert_no_leaks();
}
END_TEST

START_TEST(test_write_dirties_without_host_write)
{
	struct file *f = open_file(3 * PAGE_SIZE, O_RDWR);
	struct address_space *mapping = file_mapping(t.node, f);
	uint8_t buf[16];

	/* The host took the bytes (write-through); the cache follows. */
	ck_assert_int_eq(pwrite(f->host_fd, "hello", 5, PAGE_SIZE + 10), 5);
	filemap_write_cached(mapping, PAGE_SIZE + 10, "hello", 5);
	ck_assert_uint_eq(mapping->nrpages, 1);
	ck_assert(PageFlag(filemap_lookup(mapping, 1), PG_dirty));
	ck_assert(!PageFlag(filemap_lookup(mapping, 1), PG_host_stale));
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 1);
	ck_assert_int_eq(cache_read(f, PAGE_SIZE + 8, buf, 9), 9);
	ck_assert_int_eq(memcmp(buf + 2, "hello", 5), 0);
	ck_assert_uint_eq(buf[0], file_byte(PAGE_SIZE + 8));
	/* Writeback cleans it with nothing to write. */
	ck_assert_int_eq(filemap_write_and_wait(mapping), 0);
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 0);
	ck_assert_uint_eq(event_of(PGPGOUT), 0);
	file_put(f);
	assert_no_leaks();
}
END_TEST

START_TEST(test_writeback_cleans_mapped_pages)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f = open_file(2 * PAGE_SIZE, O_RDWR);
	uint64_t a = map(mm, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, f, 0);
	struct page *page;
	int flushes;
	char buf[8];

	ck_assert_int_eq(copy_to_user(mm, a + 3, "stored", 6), 0);
	page = page_at(mm, a);
	ck_assert(PageFlag(page, PG_dirty) && PageFlag(page, PG_host_stale));
	flushes = t.tlb_flushes;
	ck_assert_int_eq(filemap_write_and_wait(f->f_mapping), 0);
	/* Written, clean, and write-protected again (flushed from the TLB). */
	ck_assert_int_eq(pread(f->host_fd, buf, 6, 3), 6);
	ck_assert_int_eq(memcmp(buf, "stored", 6), 0);
	ck_assert(!PageFlag(page, PG_dirty) && !PageFlag(page, PG_host_stale));
	ck_assert_int_eq(stat_of(NR_FILE_DIRTY), 0);
	ck_assert(!pte_write(pte_at(mm, a)) && !pte_dirty(pte_at(mm, a)));
	ck_assert_int_gt(t.tlb_flushes, flushes);
	ck_assert_uint_eq(event_of(PGPGOUT), 4);
	/* The next store faults and dirties it again. */
	ck_assert_int_eq(handle_mm_fault(mm, a, USER_WRITE, NULL), 0);
	ck_assert(PageFlag(page, PG_dirty) && PageFlag(page, PG_host_stale));
	mmput(mm);
	file_put(f);
	assert_no_leaks();
}
END_TEST

START_TEST(test_cache_outlives_last_close)
{
	struct file *f = open_file(4 * PAGE_SIZE, O_RDWR);
	struct address_space *mapping;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 12345, 0 } };
	uint8_t buf[8];

	ck_assert_int_eq(cache_read(f, 0, buf, 8), 8);
	mapping = f->f_mapping;
	file_put(f);
	/* Detached but kept, as Linux keeps the cache with the inode. */
	ck_assert_ptr_eq(mapping->host_file, NULL);
	ck_assert_uint_eq(mapping->nrpages, 1);
	ck_assert_int_eq(stat_of(NR_FILE_PAGES), 1);
	f = file_from_fd(open(tmp_path, O_RDWR), tmp_path);
	f->f_ra.ra_pages = 0;
	ck_assert_ptr_eq(file_mapping(t.node, f), mapping);
	ck_assert_int_eq(cache_read(f, 0, buf, 8), 8);
	ck_assert_uint_eq(event_of(PGPGIN), 4);
	file_put(f);

	/* Changed behind its back (new bytes, new mtime): the next open drops
	 * what was cached. */
	{
		int fd = open(tmp_path, O_RDWR);

		ck_assert_int_eq(pwrite(fd, "NEW", 3, 0), 3);
		ck_assert_int_eq(futimens(fd, ts), 0);
		close(fd);
	}
	f = file_from_fd(open(tmp_path, O_RDWR), tmp_path);
	f->f_ra.ra_pages = 0;
	ck_assert_ptr_eq(file_mapping(t.node, f), mapping);
	ck_assert_uint_eq(mapping->nrpages, 0);
	ck_assert_int_eq(cache_read(f, 0, buf, 3), 3);
	ck_assert_int_eq(memcmp(buf, "NEW", 3), 0);
	file_put(f);
	assert_no_leaks();
}
END_TEST

START_TEST(test_fault_around_maps_cached_neighbours)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f = open_file(40 * PAGE_SIZE, O_RDONLY);
	static uint8_t buf[40 * PAGE_SIZE];
	uint64_t a;

	ck_assert_int_eq(cache_read(f, 0, buf, sizeof(buf)), sizeof(buf));
	a = map(mm, 0x60000000, 40 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, f, 0);
	/* One minor fault at page 5 maps the 64 KiB window, pages 0-15. */
	ck_assert_int_eq(handle_mm_fault(mm, a + 5 * PAGE_SIZE, USER_READ, NULL), 0);
	ck_assert_int_eq(mm->rss_stat[MM_FILEPAGES], 16);
	ck_assert(pte_present(pte_at(mm, a)) && pte_present(pte_at(mm, a + 15 * PAGE_SIZE)));
	ck_assert(!pte_present(pte_at(mm, a + 16 * PAGE_SIZE)));
	ck_assert(!pte_write(pte_at(mm, a + 3 * PAGE_SIZE)));
	ck_assert_uint_eq(mm->maj_flt, 0);
	/* The window stops at the end of the VMA and of the file. */
	ck_assert_int_eq(handle_mm_fault(mm, a + 39 * PAGE_SIZE, USER_READ, NULL), 0);
	ck_assert_int_eq(mm->rss_stat[MM_FILEPAGES], 24);
	mmput(mm);
	file_put(f);
	assert_no_leaks();
}
END_TEST

START_TEST(test_truncate_unmaps_and_zeroes)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct file *f = open_file(3 * PAGE_SIZE, O_RDWR);
	uint64_t a = map(mm, 0, 3 * PAGE_SIZE, PROT_READ, MAP_SHARED, f, 0);
	uint8_t *last;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(handle_mm_fault(mm, a + i * PAGE_SIZE, USER_READ, NULL),
				 VM_FAULT_MAJOR);
	last = page_address(t.node, page_at(mm, a + PAGE_SIZE));
	ck_assert_int_eq(ftruncate(f->host_fd, PAGE_SIZE + 100), 0);
	truncate_pagecache(f->f_mapping, PAGE_SIZE + 100);
	ck_assert(!pte_present(pte_at(mm, a + 2 * PAGE_SIZE)));
	ck_assert_uint_eq(f->f_mapping->nrpages, 2);
	ck_assert_uint_eq(last[99], file_byte(PAGE_SIZE + 99));
	ck_assert_uint_eq(last[100], 0);
	ck_assert_uint_eq(last[PAGE_SIZE - 1], 0);
	/* Past EOF now: SIGBUS. */
	ck_assert_int_eq(handle_mm_fault(mm, a + 2 * PAGE_SIZE, USER_READ, NULL),
			 VM_FAULT_SIGBUS);
	mmput(mm);
	file_put(f);
	assert_no_leaks();
}
END_TEST

static Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("anon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_fault_maps_zero_page);
	tcase_add_test(tc, test_write_fault_allocates);
	tcase_add_test(tc, test_write_after_read_replaces_zero_page);
	tcase_add_test(tc, test_kernel_write_over_zero_page_flushes);
	tcase_add_test(tc, test_wp_reuses_exclusive_page);
	tcase_add_test(tc, test_segv_codes);
	tcase_add_test(tc, test_stack_growth);
	tcase_add_test(tc, test_out_of_memory);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_read_fault);
	tcase_add_test(tc, test_private_file_write_cows);
	tcase_add_test(tc, test_shared_file_write_reaches_file);
	tcase_add_test(tc, test_two_files_share_the_cache);
	suite_add_tcase(s, tc);

	tc = tcase_create("uaccess");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_copy_across_pages);
	tcase_add_test(tc, test_copy_straddling_hole);
	tcase_add_test(tc, test_kernel_write_to_read_only_mapping);
	tcase_add_test(tc, test_exec_frame_invalidated_on_free);
	tcase_add_test(tc, test_exec_frame_invalidated_on_kernel_write);
	suite_add_tcase(s, tc);

	tc = tcase_create("pagecache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_goes_through_cache_with_readahead);
	tcase_add_test(tc, test_random_read_reads_only_what_was_asked);
	tcase_add_test(tc, test_write_dirties_without_host_write);
	tcase_add_test(tc, test_writeback_cleans_mapped_pages);
	tcase_add_test(tc, test_cache_outlives_last_close);
	tcase_add_test(tc, test_fault_around_maps_cached_neighbours);
	tcase_add_test(tc, test_truncate_unmaps_and_zeroes);
	suite_add_tcase(s, tc);

	tc = tcase_create("madvise");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_madvise_dontneed_reads_zero);
	tcase_add_test(tc, test_madvise_errors);
	tcase_add_test(tc, test_madvise_populate);
	tcase_add_test(tc, test_mm_populate);
	tcase_add_test(tc, test_mincore);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fault_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
