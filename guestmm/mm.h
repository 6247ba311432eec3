/* The guest mm's operations on address spaces: page tables (pgtable.c), VMAs
 * and mmap/munmap/brk/mremap (mmap.c), mprotect (mprotect.c), madvise and
 * mincore (madvise.c), mlock (mlock.c), faults (memory.c), access from the
 * kernel (uaccess.c). All return 0 or a value, or a negative errno. */
#ifndef GUESTMM_MM_H
#define GUESTMM_MM_H

#include "mmzone.h"
#include "page_alloc.h"

/* ---- mm_struct life cycle ---- */
/* A new, empty address space with its own top-level table. */
struct mm_struct *mm_alloc(struct pglist_data *node);
/* Drops a user; at zero, unmaps everything and frees every frame and table. */
void mmput(struct mm_struct *mm);
/* fork's copy of an address space, copy-on-write for private memory. NULL
 * on ENOMEM (nothing of it left behind). */
struct mm_struct *dup_mm(struct mm_struct *oldmm);
/* Copies the PTEs of src_vma into dst_vma's mm (fork), write-protecting
 * COW pages in the source (*wrprotected set: the caller flushes). */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		    bool *wrprotected);

/* ---- page-table walking (pgtable.c) ---- */
/* The PTE slot for addr, or NULL when a level above is missing. */
pte_t *pte_offset(struct mm_struct *mm, uint64_t addr);
/* The PTE slot for addr, allocating intermediate tables; NULL on ENOMEM. */
pte_t *pte_alloc(struct mm_struct *mm, uint64_t addr);
/* Frees page-table pages that map nothing in [start, end). */
void free_pgtables(struct mm_struct *mm, uint64_t start, uint64_t end);
/* The mm's top-level table: allocated by mm_alloc; pgd_free frees it with
 * every table still below it (exit_mmap has normally freed those). */
int pgd_alloc(struct mm_struct *mm);
void pgd_free(struct mm_struct *mm);
/* The PMD slot for addr (where a 2 MiB leaf would sit), or NULL when a
 * level above is missing. */
pmd_t *mm_find_pmd(struct mm_struct *mm, uint64_t addr);
/* Calls fn for each run of PTEs of [start, end) whose PTE table exists
 * (pte points at the slot for addr; [addr, end) stays inside that table);
 * missing tables and 2 MiB leaves are skipped. A nonzero return stops the
 * walk and is returned. */
typedef int (*pte_range_fn)(pte_t *pte, uint64_t addr, uint64_t end, void *arg);
int walk_pte_range(struct mm_struct *mm, uint64_t start, uint64_t end,
		   pte_range_fn fn, void *arg);
/* PTE protection bits for a VMA's flags: present, user, NX unless VM_EXEC;
 * 0 for PROT_NONE (faults never build PTEs there; mprotect.c keeps existing
 * ones present without the user bit). Never RW: write access is granted
 * page by page by the fault path (COW for private pages, dirty tracking
 * for shared file pages). */
pteval_t vm_get_page_prot(unsigned long vm_flags);

/* What an access is (the MMU hook's view; matches Linux's fault flags). */
#define FAULT_FLAG_WRITE       0x01u
#define FAULT_FLAG_INSTRUCTION 0x02u
#define FAULT_FLAG_USER        0x04u   /* from guest code, not the kernel */
#define FAULT_FLAG_REMOTE      0x08u

/* Translation permissions handed to the MMU. */
#define MMU_PROT_READ  1u
#define MMU_PROT_WRITE 2u
#define MMU_PROT_EXEC  4u

/* The hardware page walk: if addr's PTE allows the access, sets Accessed
 * (and Dirty for a write), stores the physical address of the page and the
 * permissions the TLB may cache, and returns true. Write permission is only
 * given when Dirty is already set, so a first store refills, as on x86. */
bool mmu_translate(struct mm_struct *mm, uint64_t addr, unsigned int flags,
		   uint64_t *paddr, unsigned int *prot);

/* ---- faults (memory.c) ---- */
#define VM_FAULT_OOM     0x0001
#define VM_FAULT_SIGBUS  0x0002
#define VM_FAULT_MAJOR   0x0004
#define VM_FAULT_SIGSEGV 0x0040
#define VM_FAULT_ERROR   (VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

/* Signal code a failed fault leads to (SEGV_MAPERR / SEGV_ACCERR). */
#define FAULT_SEGV_MAPERR 1
#define FAULT_SEGV_ACCERR 2

/* Resolve a fault at addr: demand-zero, file read, copy-on-write, growing a
 * GROWSDOWN stack. On VM_FAULT_SIGSEGV, *si_code (if non-NULL) says why. */
vm_fault_t handle_mm_fault(struct mm_struct *mm, uint64_t addr, unsigned int flags,
			   int *si_code);

/* Unmap and free the pages of [start, end) inside vma (TLB flushed once). */
void zap_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end);

/* ---- VMAs (mmap.c) ---- */
struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr);
/* The VMA containing addr, or NULL. */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, uint64_t addr);
struct vm_area_struct *vma_next(struct mm_struct *mm, struct vm_area_struct *vma);
struct vm_area_struct *vma_prev(struct mm_struct *mm, struct vm_area_struct *vma);

/* mmap(2) prot and flags, Linux's values. */
#ifndef PROT_NONE
#define PROT_NONE  0x0
#endif
#ifndef PROT_READ
#define PROT_READ  0x1
#endif
#ifndef PROT_WRITE
#define PROT_WRITE 0x2
#endif
#ifndef PROT_EXEC
#define PROT_EXEC  0x4
#endif
#ifndef PROT_GROWSDOWN
#define PROT_GROWSDOWN 0x01000000
#endif
#ifndef PROT_GROWSUP
#define PROT_GROWSUP   0x02000000
#endif

#ifndef MAP_SHARED
#define MAP_SHARED          0x01
#endif
#ifndef MAP_PRIVATE
#define MAP_PRIVATE         0x02
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_TYPE
#define MAP_TYPE            0x0f
#endif
#ifndef MAP_FIXED
#define MAP_FIXED           0x10
#endif
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS       0x20
#endif
#define MAP_32BIT           0x40
#ifndef MAP_GROWSDOWN
#define MAP_GROWSDOWN       0x0100
#endif
#ifndef MAP_DENYWRITE
#define MAP_DENYWRITE       0x0800
#endif
#ifndef MAP_EXECUTABLE
#define MAP_EXECUTABLE      0x1000
#endif
#ifndef MAP_LOCKED
#define MAP_LOCKED          0x2000
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE       0x4000
#endif
#ifndef MAP_POPULATE
#define MAP_POPULATE        0x8000
#endif
#ifndef MAP_NONBLOCK
#define MAP_NONBLOCK        0x10000
#endif
#ifndef MAP_STACK
#define MAP_STACK           0x20000
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB         0x40000
#endif
#ifndef MAP_SYNC
#define MAP_SYNC            0x80000
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Returns the address mapped, or -errno. file may be NULL (anonymous). */
int64_t do_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot,
		int flags, struct file *file, uint64_t pgoff);
int do_munmap(struct mm_struct *mm, uint64_t start, uint64_t len);
/* brk(2): returns the new (or unchanged) break, as Linux's sys_brk does. */
uint64_t do_brk(struct mm_struct *mm, uint64_t brk);
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE   1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED     2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
int64_t do_mremap(struct mm_struct *mm, uint64_t addr, uint64_t old_len,
		  uint64_t new_len, int flags, uint64_t new_addr);
int do_mprotect(struct mm_struct *mm, uint64_t start, uint64_t len, int prot);

#ifndef MADV_NORMAL
#define MADV_NORMAL     0
#endif
#ifndef MADV_RANDOM
#define MADV_RANDOM     1
#endif
#ifndef MADV_SEQUENTIAL
#define MADV_SEQUENTIAL 2
#endif
#ifndef MADV_WILLNEED
#define MADV_WILLNEED   3
#endif
#ifndef MADV_DONTNEED
#define MADV_DONTNEED   4
#endif
#ifndef MADV_FREE
#define MADV_FREE       8
#endif
#ifndef MADV_REMOVE
#define MADV_REMOVE     9
#endif
#ifndef MADV_DONTFORK
#define MADV_DONTFORK   10
#endif
#ifndef MADV_DOFORK
#define MADV_DOFORK     11
#endif
#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE  12
#endif
#ifndef MADV_UNMERGEABLE
#define MADV_UNMERGEABLE 13
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE   14
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif
#ifndef MADV_DONTDUMP
#define MADV_DONTDUMP   16
#endif
#ifndef MADV_DODUMP
#define MADV_DODUMP     17
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_COLD
#define MADV_COLD       20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT    21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE   25
#endif
int do_madvise(struct mm_struct *mm, uint64_t start, uint64_t len, int advice);
/* Fills vec (one byte a page) with residency; -ENOMEM on unmapped holes. */
int do_mincore(struct mm_struct *mm, uint64_t start, uint64_t len, uint8_t *vec);
/* msync(2): MS_SYNC writes back shared file mappings in the range. */
int do_msync(struct mm_struct *mm, uint64_t start, uint64_t len, int flags);
int do_mlock(struct mm_struct *mm, uint64_t start, uint64_t len, unsigned long flags);
int do_munlock(struct mm_struct *mm, uint64_t start, uint64_t len);
#ifndef MCL_CURRENT
#define MCL_CURRENT 1
#endif
#ifndef MCL_FUTURE
#define MCL_FUTURE  2
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
int do_mlockall(struct mm_struct *mm, int flags);
int do_munlockall(struct mm_struct *mm);

/* Populate (fault in) [start, end) as MAP_POPULATE / mlock do. */
int mm_populate(struct mm_struct *mm, uint64_t start, uint64_t len);
/* Fault in [start, end) of one VMA for read or write, as
 * madvise(MADV_POPULATE_READ/WRITE) does: 0, -EINVAL when the VMA does not
 * allow the access, -EFAULT when a fault fails, -ENOMEM. */
long faultin_vma_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			    bool write);

/* Unmaps every VMA and frees every page and table (mmput at zero users). */
void exit_mmap(struct mm_struct *mm);

/* Make [start, end) inside vma one VMA with new_flags, splitting it from
 * its neighbours and merging with them where flags allow, as mprotect,
 * mlock and madvise do. Returns that VMA, or NULL on ENOMEM. */
struct vm_area_struct *vma_modify_flags(struct vm_area_struct *vma, uint64_t start,
					uint64_t end, unsigned long new_flags);
/* Split vma at addr (page aligned, strictly inside); 0 or -ENOMEM. */
/* (vma keeps [vm_start, addr); a new VMA right after it gets [addr, vm_end).
 * -ENOMEM also when mm->map_count is at DEFAULT_MAX_MAP_COUNT.) */
int split_vma(struct vm_area_struct *vma, uint64_t addr);

/* Insert a VMA the caller built (the ELF loader's segments and stack). */
int64_t mmap_region(struct mm_struct *mm, struct file *file, uint64_t addr,
		    uint64_t len, unsigned long vm_flags, uint64_t pgoff);

/* ---- VMA helpers shared by mmap.c, mremap.c, mprotect.c, mlock.c ---- */
/* Linux's defaults for vm.max_map_count and vm.mmap_min_addr, and the gap
 * kept below a VM_GROWSDOWN stack (stack_guard_gap, 256 pages). */
#define DEFAULT_MAX_MAP_COUNT 65530
#define MMAP_MIN_ADDR 65536ULL
#define STACK_GUARD_GAP (256ULL << PAGE_SHIFT)
/* Flags that forbid merging, as Linux's VM_SPECIAL (no VM_IO/VM_MIXEDMAP). */
#define VM_SPECIAL (VM_PFNMAP | VM_DONTEXPAND)
#define VM_LOCKED_MASK (VM_LOCKED | VM_LOCKONFAULT)
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}
/* Where a VMA's start is guarded: a growsdown stack keeps STACK_GUARD_GAP
 * free below it. */
static inline uint64_t vm_start_gap(const struct vm_area_struct *vma)
{
	uint64_t start = vma->vm_start;

	if (vma->vm_flags & VM_GROWSDOWN) {
		start -= STACK_GUARD_GAP;
		if (start > vma->vm_start)
			start = 0;
	}
	return start;
}
/* The first VMA overlapping [start, end), or NULL. */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, uint64_t start,
					     uint64_t end);
/* mmap(2) with a byte offset, as the system call gets it: an unaligned
 * offset is EINVAL (checked first, as on x86-64), then do_mmap. */
int64_t vm_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot,
		int flags, struct file *file, uint64_t offset);
/* Linux's get_unmapped_area: a free range for len bytes (top-down below
 * mm->mmap_base, hint first; MAP_32BIT in 1-2 GiB; MAP_FIXED as given), or
 * -ENOMEM / -EINVAL / -EPERM (below MMAP_MIN_ADDR). */
int64_t get_unmapped_area(struct mm_struct *mm, struct file *file, uint64_t addr,
			  uint64_t len, uint64_t pgoff, int flags);
/* Linux's mmap_base(): the top of the mmap area, stack_gap (stack rlimit
 * plus any stack randomisation) plus the guard gap below TASK_SIZE, clamped
 * to [128 MiB, 5/6 of the address space], minus rnd (0 without ASLR). Used
 * by exec; an mm whose mmap_base is 0 gets arch_mmap_base(8 MiB, 0). */
uint64_t arch_mmap_base(uint64_t stack_gap, uint64_t rnd);
/* total_vm/exec_vm/stack_vm/data_vm bookkeeping, as Linux's vm_stat_account. */
void vm_stat_account(struct mm_struct *mm, unsigned long vm_flags, long npages);
/* Linux's vma_merge for a range [addr, end) that no VMA covers, prev being
 * the VMA just below it (or NULL): extends prev and/or the next VMA over it
 * when flags, file, contiguous pgoff, anon_vma and name allow. Returns the
 * VMA now covering the range, or NULL when nothing could merge. */
struct vm_area_struct *vma_merge(struct mm_struct *mm, struct vm_area_struct *prev,
				 uint64_t addr, uint64_t end, unsigned long vm_flags,
				 void *anon_vma, struct file *file, uint64_t pgoff,
				 const char *name);
/* A copy of vma (file referenced again), not yet in any tree; NULL on ENOMEM. */
struct vm_area_struct *vm_area_dup(struct vm_area_struct *vma);
/* Insert a VMA into mm's tree and list (its range must be free). */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma);

/* ---- access to guest memory from the kernel (uaccess.c) ---- */
/* Copy to/from guest virtual memory through the page tables, faulting pages
 * in as the guest would. Returns 0, or -EFAULT if any byte is inaccessible
 * (bytes before the bad page may have been copied, as on Linux). */
int copy_to_user(struct mm_struct *mm, uint64_t dst, const void *src, size_t len);
int copy_from_user(struct mm_struct *mm, void *dst, uint64_t src, size_t len);
/* Copies a NUL-terminated string of at most max bytes (NUL included).
 * Returns its length, -EFAULT, or -ENAMETOOLONG. */
long strncpy_from_user(struct mm_struct *mm, char *dst, uint64_t src, size_t max);
int clear_user(struct mm_struct *mm, uint64_t dst, size_t len);

/* ---- file objects (file.c) ---- */
/* A file object over an open host descriptor (owned from now on: closed at
 * the last file_put); path is what /proc/PID/maps shows. NULL on ENOMEM. */
struct file *file_from_fd(int host_fd, const char *path);
struct file *file_get(struct file *f);
void file_put(struct file *f);

#endif
