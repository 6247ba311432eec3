/* libvmemu, mm layer: guest physical memory, the software MMU and Linux-like
 * address spaces, attached to a Unicorn engine the caller owns. A tool with
 * its own syscall emulation uses this layer alone; <vmemu/vmemu.h> adds
 * processes and system calls on top of it.
 *
 * Thread safety: a node, its address spaces and the engine it is attached
 * to belong to one thread at a time (the library takes no locks); callbacks
 * run on that thread. Different nodes — on different engines — are fully
 * independent and may be used from different threads at once: the library
 * keeps no global state. */
#ifndef VMEMU_MM_H
#define VMEMU_MM_H

#include <vmemu/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Unicorn's engine type (uc_engine is a typedef of it): this header does
 * not need <unicorn/unicorn.h>. */
struct uc_struct;

/* ---- nodes ---- */

struct vmemu_node_config {
	uint64_t mem_bytes;        /* guest RAM: 4 MiB .. 64 GiB, page multiple (default 256 MiB) */
	vmemu_log_fn log;          /* where messages go (NULL: dropped) */
	void *log_ctx;
	vmemu_event_fn event;      /* event callback (NULL: none) */
	void *event_ctx;
	unsigned int event_mask;   /* VMEMU_EVENT_BIT()s wanted (default VMEMU_EVENTS_DEFAULT) */
};
/* Fills cfg with the defaults. */
void vmemu_node_config_init(struct vmemu_node_config *cfg);

/* Attaches guest memory and the software MMU to uc, which must be an
 * UC_ARCH_X86 / UC_MODE_64 engine on which no code has run yet and with
 * nothing mapped at guest-physical [0, mem_bytes). Maps the RAM there with
 * uc_mem_map_ptr, switches the engine to UC_TLB_VIRTUAL and installs the
 * TLB-fill hook, which from now on translates every access through the
 * active address space's page tables, resolving faults on the spot. Set
 * the CPU model (uc_ctl_set_cpu_model) before this call if you want one.
 * Returns 0, VMEMU_ERR_INVAL (bad config or engine), VMEMU_ERR_NOMEM or
 * VMEMU_ERR_UNICORN. */
int vmemu_node_create(struct uc_struct *uc, const struct vmemu_node_config *cfg,
		      vmemu_node **out);
/* Destroys every address space still attached, removes the hook and
 * unmaps the RAM from the engine (which stays the caller's to close).
 * NULL is a no-op. */
void vmemu_node_destroy(vmemu_node *n);

/* An address inside a kernel-only page the fill hook always maps: pass it
 * as uc_emu_start's `until`. Unicorn translates the page of until - 1 when
 * a run ends; an until whose page is unmapped makes that look-up fail and
 * uc_emu_start report UC_ERR_EXCEPTION for a run that ended cleanly. */
uint64_t vmemu_node_until(const vmemu_node *n);

/* The fill that the hook refused most recently, cleared by this call: for
 * a client whose uc_emu_start returned UC_ERR_EXCEPTION. Returns 0 and
 * fills *out, or VMEMU_ERR_STATE when no fill was refused since the last
 * call. */
int vmemu_last_fault(vmemu_node *n, struct vmemu_fault *out);

/* ---- address spaces ---- */

/* A new empty address space (mm_struct): no mappings, Linux's top-down
 * mmap layout without randomisation, no heap until vmemu_as_set_brk.
 * Returns 0 or VMEMU_ERR_NOMEM (guest memory for its page table). */
int vmemu_as_create(vmemu_node *n, vmemu_as **out);
/* Unmaps everything (dirty file pages are written back) and frees it. If
 * it is the active one, the node has none afterwards. NULL is a no-op. */
void vmemu_as_destroy(vmemu_as *as);
/* fork(2)'s copy: private memory shared copy-on-write (both sides
 * write-protected, the first write copies), shared mappings shared,
 * MADV_DONTFORK ranges left out, MADV_WIPEONFORK ones empty. Returns 0 or
 * VMEMU_ERR_NOMEM. */
int vmemu_as_fork(vmemu_as *parent, vmemu_as **child);
/* Makes as the one the fill hook walks (NULL: none, every access faults),
 * flushing the TLB if it changes. Returns 0 or VMEMU_ERR_INVAL (as is
 * another node's). */
int vmemu_node_switch_as(vmemu_node *n, vmemu_as *as);
/* The active address space, or NULL. */
vmemu_as *vmemu_node_active_as(const vmemu_node *n);

/* ---- mappings: Linux's system calls on one address space ----
 * prot, flags and advice take Linux's x86-64 values (PROT_*, MAP_*,
 * MREMAP_*, MADV_* of <sys/mman.h>). Errors are -errno, in Linux's order
 * of checks. */

/* mmap(2). fd is a host descriptor for a file mapping (MAP_ANONYMOUS: -1);
 * the library keeps its own duplicate, so the caller may close fd at
 * once. File pages go through the node's page cache: read on fault,
 * MAP_SHARED dirty pages written back on munmap and destroy. On success
 * stores the address mapped in *addr_out (may be NULL). */
int vmemu_mmap(vmemu_as *as, uint64_t addr, uint64_t len, int prot, int flags,
	       int fd, uint64_t offset, uint64_t *addr_out);
int vmemu_munmap(vmemu_as *as, uint64_t addr, uint64_t len);
int vmemu_mprotect(vmemu_as *as, uint64_t addr, uint64_t len, int prot);
/* mremap(2); new_addr is used with MREMAP_FIXED only. */
int vmemu_mremap(vmemu_as *as, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
		 int flags, uint64_t new_addr, uint64_t *addr_out);
int vmemu_madvise(vmemu_as *as, uint64_t addr, uint64_t len, int advice);
/* Places the heap (the program break) at start, page aligned, as an ELF
 * loader does after the image. Returns 0, VMEMU_ERR_INVAL, or
 * VMEMU_ERR_STATE once the heap has been grown. */
int vmemu_as_set_brk(vmemu_as *as, uint64_t start);
/* brk(2): returns the new break, or the unchanged one when brk cannot be
 * moved there (as the Linux system call does; never an error code). */
uint64_t vmemu_brk(vmemu_as *as, uint64_t brk);

/* Copies between host memory and the address space's virtual memory as
 * the guest kernel's copy_to_user/copy_from_user do: through the page
 * tables, faulting pages in, honouring the mapping's protection. Returns
 * 0 or -EFAULT (bytes before the bad page may have been copied). */
int vmemu_copy_to_guest(vmemu_as *as, uint64_t dst, const void *src, size_t len);
int vmemu_copy_from_guest(vmemu_as *as, void *dst, uint64_t src, size_t len);

/* ---- reports ---- */

/* /proc/PID/smaps_rollup's numbers, in kB, as Linux prints them (PSS
 * rounded down from its fixed-point sum). */
struct vmemu_rollup {
	uint64_t rss, pss, pss_dirty, pss_anon, pss_file, pss_shmem;
	uint64_t shared_clean, shared_dirty, private_clean, private_dirty;
	uint64_t referenced, anonymous, lazy_free;
	uint64_t anon_huge_pages, shmem_pmd_mapped, file_pmd_mapped;
	uint64_t shared_hugetlb, private_hugetlb;
	uint64_t swap, swap_pss, locked;
};
int vmemu_as_rollup(vmemu_as *as, struct vmemu_rollup *out);

/* /proc/PID/status's memory lines (kB) and the fault counts of
 * getrusage / /proc/PID/stat. */
struct vmemu_status {
	uint64_t vm_size, vm_lck, vm_hwm, vm_rss;
	uint64_t rss_anon, rss_file, rss_shmem;
	uint64_t vm_data, vm_stk, vm_pte, vm_swap;
	uint64_t min_flt, maj_flt;    /* faults resolved, minor and major */
};
int vmemu_as_status(vmemu_as *as, struct vmemu_status *out);

/* System-wide numbers as /proc/meminfo names them, in kB; the last two are
 * /proc/vmstat events. */
struct vmemu_meminfo {
	uint64_t mem_total, mem_free, cached, anon_pages, mapped, page_tables,
		 slab, kernel_reserved;
	uint64_t pgfault, pgmajfault;
	uint64_t shmem, dirty, writeback, active_anon, inactive_anon,
		 active_file, inactive_file, unevictable, mlocked,
		 swap_total, swap_free, swap_cached, anon_huge_pages;
};
int vmemu_node_meminfo(vmemu_node *n, struct vmemu_meminfo *out);

/* /proc/vmstat, one counter at a time: item i (from 0) in /proc/vmstat's
 * order. Returns 0 with *name (static) and *value set, or VMEMU_ERR_INVAL
 * past the last item. */
int vmemu_node_vmstat(vmemu_node *n, unsigned int i, const char **name, int64_t *value);
/* The /proc/vmstat counter called name ("pgfault", "nr_anon_pages", ...):
 * 0, or VMEMU_ERR_INVAL for an unknown name. */
int vmemu_node_vmstat_get(vmemu_node *n, const char *name, int64_t *value);

/* The page cache, one host file at a time (files with cached pages only,
 * the most recently opened first): its path as first opened, and its
 * cached, dirty and mapped pages in kB. fn is called for each; returns 0. */
struct vmemu_cached_file {
	const char *path;
	uint64_t dev, ino;
	uint64_t cached, dirty, mapped;
	int open;                     /* a guest file still has it open */
};
int vmemu_node_page_cache(vmemu_node *n,
			  void (*fn)(void *ctx, const struct vmemu_cached_file *f), void *ctx);

#ifdef __cplusplus
}
#endif

#endif
