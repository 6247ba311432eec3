/* VMAs and the layout of an address space, after Linux's mm/mmap.c: the VMA
 * tree and list (find_vma), placement (get_unmapped_area), mmap, munmap,
 * brk, splitting and merging VMAs, exit_mmap, and the per-mm vm counters. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "mm.h"
#include "slab.h"
#include "shmem.h"
#include "huge_memory.h"

/*
 * Invariants:
 *  - VMAs never overlap; each is page aligned and non-empty.
 *  - Every VMA is in mm->mm_rb (keyed by vm_start) and in mm->mmap_list,
 *    and both orders agree. Because VMAs do not overlap, moving a VMA's
 *    vm_start within the free space around it keeps the tree ordered, so
 *    merges and splits adjust bounds in place without re-inserting.
 *  - mm->map_count is the number of VMAs.
 *  - mm->mmap_cache is NULL or a VMA of mm; it is cleared whenever any VMA
 *    is added, removed or resized.
 *  - Private anonymous VMAs have vm_pgoff == vm_start >> PAGE_SHIFT when
 *    created; splits and merges keep vm_pgoff linear in the address, so a
 *    page's index stays valid. mremap may move a VMA without changing its
 *    vm_pgoff, which is what stops it merging with unrelated neighbours.
 *  - Shared anonymous VMAs map a shmem file made for them (mmap_region),
 *    so no VM_SHARED VMA is without a file; two such mappings never merge,
 *    their files differing, while pieces of one merge back like a file's.
 *  - total_vm, exec_vm, stack_vm, data_vm and locked_vm are the sums over
 *    the VMAs that vm_stat_account and VM_LOCKED say they are.
 */

/* Linux's LEGACY_MAP_MASK: what plain MAP_SHARED silently accepts, and all
 * that MAP_SHARED_VALIDATE accepts for files without mmap_supported_flags. */
#define MAP_UNINITIALIZED 0x4000000
#define MAP_HUGE_2MB (21 << 26)
#define MAP_HUGE_1GB (30 << 26)
#define LEGACY_MAP_MASK (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | \
			 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_UNINITIALIZED |   \
			 MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE |           \
			 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | \
			 MAP_32BIT | MAP_HUGE_2MB | MAP_HUGE_1GB)

/* x86-64's legacy (bottom-up) mmap base and the MAP_32BIT window. */
#define TASK_UNMAPPED_BASE PAGE_ALIGN(TASK_SIZE / 3)
#define MAP_32BIT_BEGIN 0x40000000ULL
#define MAP_32BIT_END 0x80000000ULL

#define SZ_128M (128ULL << 20)
/* The largest file offset a mapping may reach (MAX_LFS_FILESIZE). */
#define MAX_LFS_FILESIZE 0x7fffffffffffffffULL

/* ---- the VMA tree and list ---- */

static struct vm_area_struct *vma_first(struct mm_struct *mm)
{
	if (list_empty(&mm->mmap_list))
		return NULL;
	return list_first_entry(&mm->mmap_list, struct vm_area_struct, vm_list);
}

static struct vm_area_struct *vma_last(struct mm_struct *mm)
{
	if (list_empty(&mm->mmap_list))
		return NULL;
	return list_last_entry(&mm->mmap_list, struct vm_area_struct, vm_list);
}

struct vm_area_struct *vma_next(struct mm_struct *mm, struct vm_area_struct *vma)
{
	if (vma->vm_list.next == &mm->mmap_list)
		return NULL;
	return list_entry(vma->vm_list.next, struct vm_area_struct, vm_list);
}

struct vm_area_struct *vma_prev(struct mm_struct *mm, struct vm_area_struct *vma)
{
	if (vma->vm_list.prev == &mm->mmap_list)
		return NULL;
	return list_entry(vma->vm_list.prev, struct vm_area_struct, vm_list);
}

struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = mm->mmap_cache, *found = NULL;
	struct rb_node *n;

	if (vma && vma->vm_start <= addr && addr < vma->vm_end)
		return vma;

	/* Keyed by vm_start, but since VMAs do not overlap the vm_end order
	 * is the same: descend towards the lowest VMA ending above addr. */
	n = mm->mm_rb.rb_node;
	while (n) {
		vma = rb_entry(n, struct vm_area_struct, vm_rb);
		if (vma->vm_end > addr) {
			found = vma;
			if (vma->vm_start <= addr)
				break;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	if (found)
		mm->mmap_cache = found;
	return found;
}

struct vm_area_struct *vma_lookup(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (vma && addr < vma->vm_start)
		return NULL;
	return vma;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, uint64_t start,
					     uint64_t end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	if (vma && end <= vma->vm_start)
		return NULL;
	return vma;
}

/* The VMA that would precede a VMA placed at addr (the last one ending at
 * or below addr). */
static struct vm_area_struct *vma_before(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *next = find_vma(mm, addr);

	return next ? vma_prev(mm, next) : vma_last(mm);
}

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct rb_node **link = &mm->mm_rb.rb_node, *parent = NULL, *prev;

	while (*link) {
		struct vm_area_struct *cur = rb_entry(*link, struct vm_area_struct, vm_rb);

		parent = *link;
		link = vma->vm_start < cur->vm_start ? &(*link)->rb_left : &(*link)->rb_right;
	}
	rb_link_node(&vma->vm_rb, parent, link);
	rb_insert_color(&vma->vm_rb, &mm->mm_rb);

	/* The list position is the tree's in-order predecessor. */
	prev = rb_prev(&vma->vm_rb);
	if (prev)
		list_add(&vma->vm_list, &rb_entry(prev, struct vm_area_struct, vm_rb)->vm_list);
	else
		list_add(&vma->vm_list, &mm->mmap_list);
	mm->map_count++;
	mm->mmap_cache = NULL;
}

static void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	rb_erase(&vma->vm_rb, &mm->mm_rb);
	list_del(&vma->vm_list);
	mm->map_count--;
	mm->mmap_cache = NULL;
}

static struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = kmem_cache_zalloc(mm->node->vma_cachep);

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->vm_list);
	return vma;
}

static void vm_area_free(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		file_put(vma->vm_file);
	kmem_cache_free(vma->vm_mm->node->vma_cachep, vma);
}

struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *vma = vm_area_alloc(orig->vm_mm);

	if (!vma)
		return NULL;
	*vma = *orig;
	vma->vm_rb = (struct rb_node){ 0, NULL, NULL };
	INIT_LIST_HEAD(&vma->vm_list);
	if (vma->vm_file)
		file_get(vma->vm_file);
	return vma;
}

/* ---- accounting ---- */

void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages)
{
	mm->total_vm += npages;
	if ((flags & (VM_EXEC | VM_WRITE | VM_STACK)) == VM_EXEC)
		mm->exec_vm += npages;
	else if (flags & VM_STACK)
		mm->stack_vm += npages;
	else if ((flags & (VM_WRITE | VM_SHARED | VM_STACK)) == VM_WRITE)
		mm->data_vm += npages;
}

/* Private writable memory is committed (VM_ACCOUNT) unless MAP_NORESERVE. */
static bool accountable_mapping(unsigned long vm_flags)
{
	return (vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE;
}

/* ---- merging ---- */

static bool vma_names_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool is_mergeable_vma(const struct vm_area_struct *vma, struct file *file,
			     unsigned long vm_flags, const char *name)
{
	return vma->vm_flags == vm_flags && vma->vm_file == file &&
	       vma_names_equal(vma->vm_name, name);
}

/* Two VMAs can share reverse-map state if either has none yet. */
static bool is_mergeable_anon_vma(const void *a, const void *b)
{
	return !a || !b || a == b;
}

/* May a range ending at vma->vm_start, with pgoff `pgoff` just past its end,
 * be merged in front of vma? */
static bool can_vma_merge_before(const struct vm_area_struct *vma, unsigned long vm_flags,
				 const void *anon_vma, struct file *file, uint64_t pgoff,
				 const char *name)
{
	return is_mergeable_vma(vma, file, vm_flags, name) &&
	       is_mergeable_anon_vma(anon_vma, vma->anon_vma) && vma->vm_pgoff == pgoff;
}

/* May a range starting at vma->vm_end, at pgoff `pgoff`, be merged onto
 * vma's end? */
static bool can_vma_merge_after(const struct vm_area_struct *vma, unsigned long vm_flags,
				const void *anon_vma, struct file *file, uint64_t pgoff,
				const char *name)
{
	return is_mergeable_vma(vma, file, vm_flags, name) &&
	       is_mergeable_anon_vma(anon_vma, vma->anon_vma) &&
	       vma->vm_pgoff + vma_pages(vma) == pgoff;
}

static void inherit_anon_vma(struct vm_area_struct *to, const struct vm_area_struct *from)
{
	if (!to->anon_vma && from)
		to->anon_vma = from->anon_vma;
}

static void remove_merged(struct mm_struct *mm, struct vm_area_struct *vma)
{
	vma_unlink(mm, vma);
	vm_area_free(vma);
}

struct vm_area_struct *vma_merge(struct mm_struct *mm, struct vm_area_struct *prev,
				 uint64_t addr, uint64_t end, unsigned long vm_flags,
				 void *anon_vma, struct file *file, uint64_t pgoff,
				 const char *name)
{
	struct vm_area_struct *next = prev ? vma_next(mm, prev) : vma_first(mm);
	uint64_t pglen = (end - addr) >> PAGE_SHIFT;
	bool merge_prev, merge_next;

	if (vm_flags & VM_SPECIAL)
		return NULL;
	merge_prev = prev && prev->vm_end == addr &&
		     can_vma_merge_after(prev, vm_flags, anon_vma, file, pgoff, name);
	merge_next = next && next->vm_start == end &&
		     can_vma_merge_before(next, vm_flags, anon_vma, file, pgoff + pglen, name);

	if (merge_prev && merge_next && is_mergeable_anon_vma(prev->anon_vma, next->anon_vma)) {
		prev->vm_end = next->vm_end;
		if (!prev->anon_vma)
			prev->anon_vma = anon_vma ? anon_vma : next->anon_vma;
		remove_merged(mm, next);
		return prev;
	}
	if (merge_prev) {
		prev->vm_end = end;
		if (!prev->anon_vma)
			prev->anon_vma = anon_vma;
		mm->mmap_cache = NULL;
		return prev;
	}
	if (merge_next) {
		next->vm_start = addr;
		next->vm_pgoff = pgoff;
		if (!next->anon_vma)
			next->anon_vma = anon_vma;
		mm->mmap_cache = NULL;
		return next;
	}
	return NULL;
}

/* ---- splitting ---- */

/* Split without the map_count limit (munmap checks it itself, and lets the
 * count pass the limit for a moment while freeing). */
static int __split_vma(struct vm_area_struct *vma, uint64_t addr)
{
	struct vm_area_struct *new;

	/* A THP leaf may not straddle two VMAs. */
	if (vma_adjust_trans_huge(vma, addr, addr))
		return -ENOMEM;
	new = vm_area_dup(vma);
	if (!new)
		return -ENOMEM;
	new->vm_start = addr;
	new->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	vma->vm_end = addr;
	vma_link(vma->vm_mm, new);
	return 0;
}

int split_vma(struct vm_area_struct *vma, uint64_t addr)
{
	if (vma->vm_mm->map_count >= DEFAULT_MAX_MAP_COUNT)
		return -ENOMEM;
	return __split_vma(vma, addr);
}

/*
 * Linux's vma_merge cases 4-8 plus the split fallback of mprotect_fixup:
 * [start, end) inside vma gets new_flags. If it touches vma's start (end)
 * and the previous (next) VMA is compatible, that neighbour grows over it;
 * otherwise vma is split so the range stands alone.
 */
struct vm_area_struct *vma_modify_flags(struct vm_area_struct *vma, uint64_t start,
					uint64_t end, unsigned long new_flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *prev, *next;
	uint64_t pgoff = vma->vm_pgoff + ((start - vma->vm_start) >> PAGE_SHIFT);
	uint64_t pglen = (end - start) >> PAGE_SHIFT;
	bool at_start = start == vma->vm_start, at_end = end == vma->vm_end;
	bool merge_prev = false, merge_next = false;

	if (new_flags == vma->vm_flags)
		return vma;
	/* The boundaries move to start and end, by a merge or a split. */
	if (vma_adjust_trans_huge(vma, start, end))
		return NULL;

	prev = vma_prev(mm, vma);
	next = vma_next(mm, vma);
	if (!(new_flags & VM_SPECIAL)) {
		merge_prev = at_start && prev && prev->vm_end == start &&
			     can_vma_merge_after(prev, new_flags, vma->anon_vma, vma->vm_file,
						 pgoff, vma->vm_name);
		merge_next = at_end && next && next->vm_start == end &&
			     can_vma_merge_before(next, new_flags, vma->anon_vma, vma->vm_file,
						  pgoff + pglen, vma->vm_name);
		if (merge_prev && merge_next &&
		    !is_mergeable_anon_vma(prev->anon_vma, next->anon_vma))
			merge_next = false;
	}

	if (merge_prev && merge_next) {
		prev->vm_end = next->vm_end;
		inherit_anon_vma(prev, vma);
		inherit_anon_vma(prev, next);
		remove_merged(mm, vma);
		remove_merged(mm, next);
		return prev;
	}
	if (merge_prev) {
		/* The head of vma moves to prev; vma keeps the rest. */
		prev->vm_end = end;
		inherit_anon_vma(prev, vma);
		if (at_end) {
			remove_merged(mm, vma);
		} else {
			vma->vm_start = end;
			vma->vm_pgoff += pglen;
		}
		mm->mmap_cache = NULL;
		return prev;
	}
	if (merge_next) {
		next->vm_start = start;
		next->vm_pgoff = pgoff;
		inherit_anon_vma(next, vma);
		if (at_start)
			remove_merged(mm, vma);
		else
			vma->vm_end = start;
		mm->mmap_cache = NULL;
		return next;
	}

	if (!at_start) {
		if (split_vma(vma, start))
			return NULL;
		vma = vma_next(mm, vma);
	}
	if (!at_end && split_vma(vma, end))
		return NULL;
	vma->vm_flags = new_flags;
	return vma;
}

/* ---- placement ---- */

uint64_t arch_mmap_base(uint64_t stack_gap, uint64_t rnd)
{
	uint64_t gap = stack_gap;

	if (gap + STACK_GUARD_GAP > gap)
		gap += STACK_GUARD_GAP;
	if (gap < SZ_128M)
		gap = SZ_128M;
	else if (gap > TASK_SIZE / 6 * 5)
		gap = TASK_SIZE / 6 * 5;
	return PAGE_ALIGN(TASK_SIZE - gap - rnd);
}

static uint64_t mm_mmap_base(const struct mm_struct *mm)
{
	return mm->mmap_base ? mm->mmap_base : arch_mmap_base(8ULL << 20, 0);
}

/* The highest free range of len bytes inside [low, high), keeping clear of
 * the guard gap below stacks (Linux's unmapped_area_topdown). */
static int64_t unmapped_area_topdown(struct mm_struct *mm, uint64_t len, uint64_t low,
				     uint64_t high)
{
	struct vm_area_struct *vma;
	uint64_t limit = high;

	if (high < len || high - len < low)
		return -ENOMEM;
	/* VMAs ending above high matter only through their guard gap. */
	vma = find_vma(mm, high);
	if (vma && vm_start_gap(vma) < limit)
		limit = vm_start_gap(vma);
	vma = vma ? vma_prev(mm, vma) : vma_last(mm);

	for (; vma; vma = vma_prev(mm, vma)) {
		uint64_t gap_start = vma->vm_end > low ? vma->vm_end : low;

		if (gap_start <= limit && limit - gap_start >= len)
			return (int64_t)(limit - len);
		if (vm_start_gap(vma) < limit)
			limit = vm_start_gap(vma);
		if (limit < low + len)
			return -ENOMEM;
	}
	if (limit >= low + len)
		return (int64_t)(limit - len);
	return -ENOMEM;
}

/* The lowest free range of len bytes inside [low, high) (unmapped_area). */
static int64_t unmapped_area(struct mm_struct *mm, uint64_t len, uint64_t low, uint64_t high)
{
	struct vm_area_struct *vma;
	uint64_t start = low;

	if (high < len || high - len < low)
		return -ENOMEM;
	for (vma = find_vma(mm, low); vma; vma = vma_next(mm, vma)) {
		if (start + len <= vm_start_gap(vma))
			break;
		if (vma->vm_end > start)
			start = vma->vm_end;
		if (start + len > high)
			return -ENOMEM;
	}
	return start + len <= high ? (int64_t)start : -ENOMEM;
}

static bool mmap_address_hint_valid(uint64_t addr, uint64_t len)
{
	return TASK_SIZE - len >= addr;
}

/* A hint is taken when [addr, addr+len) is free and clear of guard gaps. */
static bool hint_is_free(struct mm_struct *mm, uint64_t addr, uint64_t len)
{
	struct vm_area_struct *vma;

	if (!mmap_address_hint_valid(addr, len))
		return false;
	vma = find_vma(mm, addr);
	return !vma || addr + len <= vm_start_gap(vma);
}

/* x86-64's arch_get_unmapped_area: bottom-up, used for MAP_32BIT and as
 * the fallback when the top-down search fails. */
static int64_t arch_get_unmapped_area(struct mm_struct *mm, uint64_t addr, uint64_t len,
				      int flags)
{
	uint64_t begin = TASK_UNMAPPED_BASE, end = TASK_SIZE;

	if (flags & MAP_32BIT) {
		begin = MAP_32BIT_BEGIN;
		end = MAP_32BIT_END;
	}
	if (len > end)
		return -ENOMEM;
	if (addr) {
		addr = PAGE_ALIGN(addr);
		if (hint_is_free(mm, addr, len))
			return (int64_t)addr;
	}
	return unmapped_area(mm, len, begin, end);
}

static int64_t arch_get_unmapped_area_topdown(struct mm_struct *mm, uint64_t addr,
					      uint64_t len, int flags)
{
	int64_t found;

	/* MAP_32BIT keeps the legacy bottom-up window (a free hint still wins,
	 * even above 2 GiB, as on Linux). */
	if (flags & MAP_32BIT)
		return arch_get_unmapped_area(mm, addr, len, flags);
	if (addr) {
		addr &= PAGE_MASK;
		if (hint_is_free(mm, addr, len))
			return (int64_t)addr;
	}
	found = unmapped_area_topdown(mm, len, MMAP_MIN_ADDR, mm_mmap_base(mm));
	if (found >= 0)
		return found;
	/* A large stack rlimit or huge mappings can exhaust the area below
	 * mmap_base; Linux then tries bottom-up from TASK_UNMAPPED_BASE. */
	return arch_get_unmapped_area(mm, addr, len, flags);
}

int64_t get_unmapped_area(struct mm_struct *mm, struct file *file, uint64_t addr,
			  uint64_t len, uint64_t pgoff, int flags)
{
	int64_t ret;

	(void)file;
	(void)pgoff;
	if (len > TASK_SIZE)
		return -ENOMEM;
	/* Checked before addr becomes a signed result: a non-canonical fixed
	 * address would otherwise read as a negative (error-like) value. */
	if ((flags & MAP_FIXED) && addr > TASK_SIZE - len)
		return -ENOMEM;
	if (flags & MAP_FIXED)
		ret = (int64_t)addr;
	else
		ret = arch_get_unmapped_area_topdown(mm, addr, len, flags);
	if (ret < 0)
		return ret;
	if ((uint64_t)ret > TASK_SIZE - len)
		return -ENOMEM;
	if (!PAGE_ALIGNED((uint64_t)ret))
		return -EINVAL;
	/* security_mmap_addr for a task without CAP_SYS_RAWIO. */
	if ((uint64_t)ret < MMAP_MIN_ADDR)
		return -EPERM;
	return ret;
}

/* ---- munmap ---- */

/* Unmaps and frees one VMA that lies wholly inside the range being removed. */
static void remove_vma(struct mm_struct *mm, struct vm_area_struct *vma)
{
	long pages = (long)vma_pages(vma);

	zap_page_range(vma, vma->vm_start, vma->vm_end);
	if (vma->vm_flags & VM_LOCKED)
		mm->locked_vm -= pages;
	vm_stat_account(mm, vma->vm_flags, -pages);
	vma_unlink(mm, vma);
	vm_area_free(vma);
}

int do_munmap(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	struct vm_area_struct *vma, *last, *next;
	uint64_t end;
	int err;

	if (!PAGE_ALIGNED(start) || start > TASK_SIZE || len > TASK_SIZE - start)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (!len)
		return -EINVAL;
	end = start + len;

	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end)
		return 0;

	/* Split at both ends first, so only whole VMAs are removed. */
	if (start > vma->vm_start) {
		/* Punching a hole adds a VMA: refuse if that passes the limit. */
		if (end < vma->vm_end && mm->map_count >= DEFAULT_MAX_MAP_COUNT)
			return -ENOMEM;
		err = __split_vma(vma, start);
		if (err)
			return err;
		vma = vma_next(mm, vma);
	}
	last = find_vma(mm, end - 1);
	if (last && last->vm_start < end && last->vm_end > end) {
		err = __split_vma(last, end);
		if (err)
			return err;
	}

	while (vma && vma->vm_start < end) {
		next = vma_next(mm, vma);
		remove_vma(mm, vma);
		vma = next;
	}
	free_pgtables(mm, start, end);
	return 0;
}

/* ---- mmap ---- */

int64_t mmap_region(struct mm_struct *mm, struct file *file, uint64_t addr,
		    uint64_t len, unsigned long vm_flags, uint64_t pgoff)
{
	struct vm_area_struct *vma = NULL, *prev;
	uint64_t end = addr + len;
	long pages = (long)(len >> PAGE_SHIFT);
	bool shared_anon = !file && (vm_flags & VM_SHARED);
	int err;

	if (!len || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len) || addr > TASK_SIZE ||
	    len > TASK_SIZE - addr)
		return -EINVAL;

	/* Whatever was mapped here goes (MAP_FIXED). */
	if (do_munmap(mm, addr, len))
		return -ENOMEM;

	if (accountable_mapping(vm_flags))
		vm_flags |= VM_ACCOUNT;
	if (!file && !(vm_flags & VM_SHARED))
		pgoff = addr >> PAGE_SHIFT;

	/* Shared anonymous memory gets a shmem file of its own below, so it
	 * can never extend a neighbour. */
	prev = vma_before(mm, addr);
	if (!shared_anon)
		vma = vma_merge(mm, prev, addr, end, vm_flags, NULL, file, pgoff, NULL);
	if (!vma) {
		vma = vm_area_alloc(mm);
		if (!vma)
			return -ENOMEM;
		vma->vm_start = addr;
		vma->vm_end = end;
		vma->vm_flags = vm_flags;
		vma->vm_pgoff = pgoff;
		vma->vm_file = file ? file_get(file) : NULL;
		if (shared_anon) {
			err = shmem_zero_setup(vma);
			if (err) {
				vm_area_free(vma);
				return err;
			}
		}
		vma_link(mm, vma);
	}

	vm_stat_account(mm, vm_flags, pages);
	if (vm_flags & VM_LOCKED) {
		/* Special mappings cannot be locked; the flag is dropped. */
		if (vm_flags & VM_SPECIAL)
			vma->vm_flags &= ~VM_LOCKED_MASK;
		else
			mm->locked_vm += pages;
	}
	return (int64_t)addr;
}

/* The host descriptor's access mode (O_RDONLY/O_WRONLY/O_RDWR), or -1 when
 * it cannot be known; unknown modes are treated as read-write. */
static int file_accmode(const struct file *file)
{
	int fl;

	if (file->host_fd < 0)
		return -1;
	fl = fcntl(file->host_fd, F_GETFL);
	return fl < 0 ? -1 : (fl & O_ACCMODE);
}

/* Files without an mmap operation on Linux: directories, pipes, sockets. */
static bool file_can_mmap(const struct file *file)
{
	struct stat st;

	if (file->host_fd < 0 || fstat(file->host_fd, &st) != 0)
		return true;
	return !S_ISDIR(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode);
}

/* Linux's file_mmap_ok for a regular file. */
static bool file_mmap_ok(uint64_t pgoff, uint64_t len)
{
	const uint64_t maxsize = MAX_LFS_FILESIZE;

	if (pgoff > maxsize >> PAGE_SHIFT || len > maxsize)
		return false;
	return pgoff <= (maxsize - len) >> PAGE_SHIFT;
}

/* The file part of do_mmap's checks: adjusts vm_flags, or returns -errno. */
static int mmap_file_checks(struct file *file, int flags, int prot, uint64_t pgoff,
			    uint64_t len, unsigned long *vm_flags)
{
	int mode = file_accmode(file);
	bool readable = mode != O_WRONLY, writable = mode != O_RDONLY;

	if (!file_mmap_ok(pgoff, len))
		return -EOVERFLOW;

	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
		/* Plain MAP_SHARED ignores flags it does not know. */
		flags &= LEGACY_MAP_MASK;
		/* fall through */
	case MAP_SHARED_VALIDATE:
		if (flags & ~LEGACY_MAP_MASK)
			return -EOPNOTSUPP;
		if ((prot & PROT_WRITE) && !writable)
			return -EACCES;
		*vm_flags |= VM_SHARED | VM_MAYSHARE;
		/* A read-only file can never be written through this mapping,
		 * which is what makes a later mprotect(PROT_WRITE) fail. */
		if (!writable)
			*vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
		/* fall through */
	case MAP_PRIVATE:
		if (!readable)
			return -EACCES;
		if (!file_can_mmap(file))
			return -ENODEV;
		if (*vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

int64_t do_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot,
		int flags, struct file *file, uint64_t pgoff)
{
	unsigned long vm_flags;
	int64_t ret;
	int err;

	/* ksys_mmap_pgoff: no hugetlbfs pages are ever reserved here, which
	 * is what an anonymous MAP_HUGETLB meets on a default Linux. */
	if (flags & MAP_HUGETLB)
		return file ? -EINVAL : -ENOMEM;

	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	/* round_hint_to_min: a low hint is raised, not dropped. */
	if (!(flags & MAP_FIXED)) {
		addr &= PAGE_MASK;
		if (addr && addr < MMAP_MIN_ADDR)
			addr = PAGE_ALIGN(MMAP_MIN_ADDR);
	}
	/* PAGE_ALIGN wraps to 0 for lengths within a page of 2^64. */
	len = PAGE_ALIGN(len);
	if (!len)
		return -ENOMEM;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->map_count > DEFAULT_MAX_MAP_COUNT)
		return -ENOMEM;

	ret = get_unmapped_area(mm, file, addr, len, pgoff, flags);
	if (ret < 0)
		return ret;
	addr = (uint64_t)ret;

	if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;

	/* calc_vm_prot_bits and calc_vm_flag_bits: PROT_* and VM_READ/WRITE/
	 * EXEC share their values. */
	vm_flags = (unsigned long)(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) |
		   ((flags & MAP_GROWSDOWN) ? VM_GROWSDOWN : 0) |
		   ((flags & MAP_LOCKED) ? VM_LOCKED : 0) |
		   mm->def_flags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

	if (file) {
		err = mmap_file_checks(file, flags, prot, pgoff, len, &vm_flags);
		if (err)
			return err;
	} else {
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			/* mmap_region backs it with a shmem file
			 * (shmem_zero_setup), which it maps from offset 0. */
			pgoff = 0;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			break;
		case MAP_PRIVATE:
			/* Linear in the address, so the anon pages' index is
			 * their virtual page number. */
			pgoff = addr >> PAGE_SHIFT;
			break;
		default:
			return -EINVAL;
		}
	}
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;

	ret = mmap_region(mm, file, addr, len, vm_flags, pgoff);
	if (ret < 0)
		return ret;

	/* A lock-on-fault mapping is populated only by its faults. */
	if (!(vm_flags & VM_LOCKONFAULT) &&
	    ((vm_flags & VM_LOCKED) || (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE))
		mm_populate(mm, addr, len);
	return (int64_t)addr;
}

int64_t vm_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot,
		int flags, struct file *file, uint64_t offset)
{
	if (!PAGE_ALIGNED(offset))
		return -EINVAL;
	return do_mmap(mm, addr, len, prot, flags, file, offset >> PAGE_SHIFT);
}

/* ---- brk ---- */

/* Linux's do_brk_flags: extend the heap VMA over [addr, addr + len), or
 * start a new one. */
static int do_brk_flags(struct mm_struct *mm, struct vm_area_struct *brkvma, uint64_t addr,
			uint64_t len)
{
	unsigned long flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
			      VM_ACCOUNT | mm->def_flags;
	long pages = (long)(len >> PAGE_SHIFT);
	struct vm_area_struct *vma;

	if (mm->map_count > DEFAULT_MAX_MAP_COUNT)
		return -ENOMEM;

	if (brkvma && brkvma->vm_end == addr &&
	    can_vma_merge_after(brkvma, flags, NULL, NULL, addr >> PAGE_SHIFT, "[heap]")) {
		brkvma->vm_end = addr + len;
		mm->mmap_cache = NULL;
	} else {
		vma = vm_area_alloc(mm);
		if (!vma)
			return -ENOMEM;
		vma->vm_start = addr;
		vma->vm_end = addr + len;
		vma->vm_pgoff = addr >> PAGE_SHIFT;
		vma->vm_flags = flags;
		vma->vm_name = "[heap]";
		vma_link(mm, vma);
	}
	mm->total_vm += pages;
	mm->data_vm += pages;
	if (flags & VM_LOCKED)
		mm->locked_vm += pages;
	return 0;
}

uint64_t do_brk(struct mm_struct *mm, uint64_t brk)
{
	uint64_t origbrk = mm->brk, newbrk, oldbrk;
	struct vm_area_struct *vma, *next, *brkvma;

	if (brk < mm->start_brk)
		return origbrk;
	newbrk = PAGE_ALIGN(brk);
	oldbrk = PAGE_ALIGN(mm->brk);
	if (brk > TASK_SIZE || newbrk < brk)
		return origbrk;
	if (oldbrk == newbrk) {
		mm->brk = brk;
		return brk;
	}

	if (brk <= mm->brk) {
		/* Shrinking is always allowed, but only over the heap. */
		vma = find_vma(mm, newbrk);
		if (!vma || vma->vm_start >= oldbrk)
			return origbrk;
		mm->brk = brk;
		if (do_munmap(mm, newbrk, oldbrk - newbrk)) {
			mm->brk = origbrk;
			return origbrk;
		}
		return brk;
	}

	/* Growing must leave a page, and a stack's guard gap, before the
	 * next mapping. */
	next = find_vma(mm, oldbrk);
	if (next && newbrk + PAGE_SIZE > vm_start_gap(next))
		return origbrk;
	brkvma = next ? vma_prev(mm, next) : vma_last(mm);
	if (brkvma && brkvma->vm_start < mm->start_brk)
		brkvma = NULL;
	if (do_brk_flags(mm, brkvma, oldbrk, newbrk - oldbrk) < 0)
		return origbrk;
	mm->brk = brk;

	if ((mm->def_flags & VM_LOCKED_MASK) == VM_LOCKED)
		mm_populate(mm, oldbrk, newbrk - oldbrk);
	return brk;
}

/* ---- teardown ---- */

void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *next;

	for (vma = vma_first(mm); vma; vma = vma_next(mm, vma))
		zap_page_range(vma, vma->vm_start, vma->vm_end);
	for (vma = vma_first(mm); vma; vma = next) {
		next = vma_next(mm, vma);
		if (vma->vm_flags & VM_LOCKED)
			mm->locked_vm -= (long)vma_pages(vma);
		vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
		vma_unlink(mm, vma);
		vm_area_free(vma);
	}
	/* With no VMA left, every table below the PGD can go. */
	free_pgtables(mm, 0, TASK_SIZE);
}
