/* The guest mm's core types: frames (struct page), page-table entries, VMAs,
 * mm_struct, and the node (pglist_data) that owns guest physical memory.
 * Names and meanings follow Linux's include/linux/mm_types.h. */
#ifndef GUESTMM_MM_TYPES_H
#define GUESTMM_MM_TYPES_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "list.h"
#include "rbtree.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PAGE_ALIGNED(x) (((x) & (PAGE_SIZE - 1)) == 0)
#define PMD_SHIFT 21
#define PMD_SIZE (1UL << PMD_SHIFT)
#define PMD_MASK (~(PMD_SIZE - 1))
#define PUD_SHIFT 30
#define PGDIR_SHIFT 39
#define PTRS_PER_TABLE 512

/* The buddy allocator's orders: 0 .. MAX_ORDER (1 page .. 4 MiB). */
#define MAX_ORDER 10
#define HPAGE_PMD_ORDER 9

/* The user half of the 4-level x86-64 address space (47 bits). */
#define TASK_SIZE 0x00007ffffffff000ULL

typedef uint64_t pfn_t;
typedef int vm_fault_t;

struct pglist_data;
struct mm_struct;
struct address_space;
struct file;
struct anon_vma;

/* struct page flags (Linux's PG_*; only the ones the guest mm uses). */
enum pageflags {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_active,
	PG_slab,
	PG_reserved,
	PG_buddy,      /* free, in the buddy allocator; private = order */
	PG_anon,       /* mapping is an anon owner, not an address_space */
	PG_swapbacked,
	PG_writeback,
	PG_head,       /* first page of a compound (huge) page */
	PG_pgtable,    /* holds a page table */
	PG_zero,       /* the shared zero page */
	PG_exec,       /* was filled into the TLB for instruction fetch: its
	                  translated code must be invalidated before reuse */
	PG_swapcache,  /* in the swap cache; private = swap entry offset */
	PG_readahead,  /* the readahead marker: reading it starts the next
	                  window (readahead.c) */
	PG_host_stale, /* a page-cache page stored to through a mapping: the
	                  host file lacks those bytes until writeback (write()
	                  writes through, so its dirt alone never sets this) */
	NR_PAGEFLAGS
};

/* One per guest frame; lives in host memory (mem_map), accounted as the
 * memblock reservation Linux makes for its own mem_map. */
struct page {
	uint32_t flags;
	int32_t _refcount;
	int32_t _mapcount;         /* -1 when unmapped, as in Linux */
	uint32_t private;          /* buddy order, slab object count, swap
	                              offset when PG_swapcache, ... */
	struct list_head lru;      /* buddy free list, LRU list or slab list */
	void *mapping;             /* struct address_space *, or anon owner */
	uint64_t index;            /* page offset in mapping, or vpage for anon */
	void *slab_cache;          /* owning kmem_cache when PG_slab */
	void *freelist;            /* slab: first free object */
};

static inline bool PageFlag(const struct page *p, enum pageflags f)
{
	return (p->flags >> f) & 1;
}
static inline void SetPageFlag(struct page *p, enum pageflags f)
{
	p->flags |= 1u << f;
}
static inline void ClearPageFlag(struct page *p, enum pageflags f)
{
	p->flags &= ~(1u << f);
}

/* ---- page-table entries (x86-64 format) ---- */
typedef uint64_t pteval_t;
typedef struct { pteval_t pte; } pte_t;
typedef struct { pteval_t pmd; } pmd_t;
typedef struct { pteval_t pud; } pud_t;
typedef struct { pteval_t pgd; } pgd_t;

#define _PAGE_PRESENT  (1ULL << 0)
#define _PAGE_RW       (1ULL << 1)
#define _PAGE_USER     (1ULL << 2)
#define _PAGE_PWT      (1ULL << 3)
#define _PAGE_PCD      (1ULL << 4)
#define _PAGE_ACCESSED (1ULL << 5)
#define _PAGE_DIRTY    (1ULL << 6)
#define _PAGE_PSE      (1ULL << 7)
#define _PAGE_GLOBAL   (1ULL << 8)
#define _PAGE_SOFT_DIRTY (1ULL << 11)
#define _PAGE_NX       (1ULL << 63)
#define PTE_PFN_MASK   0x000ffffffffff000ULL

#define _PAGE_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)

static inline pfn_t pte_pfn(pte_t pte) { return (pte.pte & PTE_PFN_MASK) >> PAGE_SHIFT; }
static inline bool pte_present(pte_t pte) { return pte.pte & _PAGE_PRESENT; }
static inline bool pte_none(pte_t pte) { return pte.pte == 0; }
static inline bool pte_write(pte_t pte) { return pte.pte & _PAGE_RW; }
static inline bool pte_dirty(pte_t pte) { return pte.pte & _PAGE_DIRTY; }
static inline bool pte_young(pte_t pte) { return pte.pte & _PAGE_ACCESSED; }
static inline pte_t pfn_pte(pfn_t pfn, pteval_t prot)
{
	return (pte_t){ (pfn << PAGE_SHIFT) | prot };
}

/*
 * Swap entries in non-present PTEs, in x86-64 Linux's format
 * (arch/x86/include/asm/pgtable_64.h): the type in the top 5 bits, the
 * offset inverted in bits 9..58, and bits 0 (present) and 8 (PROTNONE)
 * clear. The inversion keeps a swap PTE from ever looking like pte_none
 * (or like a PFN below the top of memory, the L1TF mitigation).
 */
typedef struct { uint64_t val; } swp_entry_t;
#define SWP_TYPE_BITS 5
#define SWP_OFFSET_FIRST_BIT 9
#define SWP_OFFSET_SHIFT (SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS)

static inline swp_entry_t swp_entry(unsigned int type, uint64_t offset)
{
	return (swp_entry_t){ (~offset << SWP_OFFSET_SHIFT >> SWP_TYPE_BITS) |
			      ((uint64_t)type << (64 - SWP_TYPE_BITS)) };
}
static inline unsigned int swp_type(swp_entry_t e) { return (unsigned int)(e.val >> (64 - SWP_TYPE_BITS)); }
static inline uint64_t swp_offset(swp_entry_t e)
{
	return ~e.val << SWP_TYPE_BITS >> SWP_OFFSET_SHIFT;
}
static inline pte_t swp_entry_to_pte(swp_entry_t e) { return (pte_t){ e.val }; }
static inline swp_entry_t pte_to_swp_entry(pte_t pte) { return (swp_entry_t){ pte.pte }; }
/* Every non-present, non-empty PTE is a swap entry: PROT_NONE pages stay
 * present without the user bit (mprotect.c). */
static inline bool is_swap_pte(pte_t pte) { return !pte_none(pte) && !pte_present(pte); }

/* ---- VMAs ---- */
#define VM_NONE        0x00000000UL
#define VM_READ        0x00000001UL
#define VM_WRITE       0x00000002UL
#define VM_EXEC        0x00000004UL
#define VM_SHARED      0x00000008UL
#define VM_MAYREAD     0x00000010UL
#define VM_MAYWRITE    0x00000020UL
#define VM_MAYEXEC     0x00000040UL
#define VM_MAYSHARE    0x00000080UL
#define VM_GROWSDOWN   0x00000100UL
#define VM_PFNMAP      0x00000400UL
#define VM_LOCKED      0x00002000UL
#define VM_SEQ_READ    0x00008000UL
#define VM_RAND_READ   0x00010000UL
#define VM_DONTCOPY    0x00020000UL
#define VM_DONTEXPAND  0x00040000UL
#define VM_LOCKONFAULT 0x00080000UL
#define VM_ACCOUNT     0x00100000UL
#define VM_NORESERVE   0x00200000UL
#define VM_WIPEONFORK  0x02000000UL
#define VM_DONTDUMP    0x04000000UL
#define VM_HUGEPAGE    0x20000000UL
#define VM_NOHUGEPAGE  0x40000000UL
#define VM_STACK       VM_GROWSDOWN
#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)

struct vm_area_struct {
	uint64_t vm_start;
	uint64_t vm_end;              /* first byte after */
	struct mm_struct *vm_mm;
	unsigned long vm_flags;
	uint64_t vm_pgoff;            /* file offset in pages (anon: vm_start >> PAGE_SHIFT) */
	struct file *vm_file;         /* NULL for anonymous memory */
	const char *vm_name;          /* "[heap]", "[stack]", ... or NULL */
	struct rb_node vm_rb;         /* in mm->mm_rb, keyed by vm_start */
	struct list_head vm_list;     /* in mm->mmap_list, address order */
	void *anon_vma;               /* struct anon_vma * (rmap.c), once anon
	                                 pages exist: the mm's fork family */
};

/* Per-mm RSS counters (Linux's enum of mm_counters). */
enum {
	MM_FILEPAGES,
	MM_ANONPAGES,
	MM_SWAPENTS,
	MM_SHMEMPAGES,
	NR_MM_COUNTERS
};

struct mm_struct {
	struct pglist_data *node;
	pfn_t pgd;                    /* frame of the top-level table */
	struct rb_root mm_rb;
	struct list_head mmap_list;   /* VMAs in address order */
	struct vm_area_struct *mmap_cache; /* last find_vma() result */
	int map_count;
	int mm_users;

	uint64_t mmap_base;
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	/* The auxv exec gave the process, AT_NULL pair included (Linux's
	 * saved_auxv, what /proc/PID/auxv shows): malloc'd, NULL if none. */
	uint64_t *saved_auxv;
	int saved_auxv_words;

	long rss_stat[NR_MM_COUNTERS];
	long hiwater_rss;             /* peak of the RSS counters, in pages */
	long total_vm, locked_vm, data_vm, exec_vm, stack_vm;
	long pgtables_bytes;
	unsigned long def_flags;      /* VM_LOCKED after mlockall(MCL_FUTURE) */
	uint64_t rlim_stack;          /* RLIMIT_STACK bounding stack growth (0: 8 MiB) */
	unsigned long min_flt, maj_flt;

	/* Reverse mapping (rmap.c): the fork family whose anon pages this mm
	 * may map, and the node's list of every mm (file rmap, OOM). */
	struct anon_vma *anon_vma;
	struct list_head anon_vma_node;   /* in anon_vma->mms */
	struct list_head mmlist;          /* in node->mmlist */
	bool oom_victim;                  /* chosen by the OOM killer: faults fail fast */
	bool khugepaged;                  /* Linux's MMF_VM_HUGEPAGE: khugepaged scans it */
};

/* Linux's struct file_ra_state: one open file's readahead window. The
 * window is [start, start + size); when a read reaches the page async_size
 * before its end (the PG_readahead marker), the next window is read. */
struct file_ra_state {
	uint64_t start;
	unsigned int size;
	unsigned int async_size;
	unsigned int ra_pages;        /* the largest window; 0 turns readahead
	                                 off (POSIX_FADV_RANDOM) */
	uint64_t prev_pos;            /* where the last read ended, in bytes */
};

/* A file as the mm sees it: what a file-backed VMA points at, and what the
 * guest's read() and write() of a regular file go through. */
struct file {
	int f_count;
	int host_fd;                  /* -1 when not backed by a host file */
	dev_t dev;
	ino_t ino;
	uint64_t size;
	char *path;                   /* as shown in /proc/PID/maps */
	struct address_space *f_mapping;
	struct file_ra_state f_ra;
};

#endif
