/* The mm-level public API (<vmemu/mm.h>): a node over a caller's Unicorn
 * engine, address spaces with Linux's memory system calls, and the
 * reports. Thin wrappers over guestmm; the MMU itself is mmu.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "node.h"
#include "guestmm/task_mmu.h"
#include "guestmm/filemap.h"
#include "guestmm/swap.h"

/* Unicorn's UC_CTL() shifts UC_CTL_IO_READ (2) into bit 31 of an int,
 * which is undefined (UBSan stops there); the same bits, built unsigned. */
#undef UC_CTL_IO_READ
#define UC_CTL_IO_READ (2u)

/* ---- errors ---- */

/* The errno values the guest mm returns, named as glibc names them (not
 * strerror: that is not thread-safe, and the library keeps no state). */
static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "Operation not permitted";
	case ENOENT: return "No such file or directory";
	case EIO: return "Input/output error";
	case EBADF: return "Bad file descriptor";
	case EAGAIN: return "Resource temporarily unavailable";
	case ENOMEM: return "Cannot allocate memory";
	case EACCES: return "Permission denied";
	case EFAULT: return "Bad address";
	case EBUSY: return "Device or resource busy";
	case EEXIST: return "File exists";
	case ENODEV: return "No such device";
	case EINVAL: return "Invalid argument";
	case ENFILE: return "Too many open files in system";
	case EMFILE: return "Too many open files";
	case ETXTBSY: return "Text file busy";
	case EFBIG: return "File too large";
	case ENOSPC: return "No space left on device";
	case ENOSYS: return "Function not implemented";
	case EOVERFLOW: return "Value too large for defined data type";
	case EOPNOTSUPP: return "Operation not supported";
	case ENAMETOOLONG: return "File name too long";
	case EINTR: return "Interrupted system call";
	}
	return "Unknown error";
}

const char *vmemu_strerror(int err)
{
	switch (err) {
	case VMEMU_OK: return "Success";
	case VMEMU_ERR_NOMEM: return "out of host memory";
	case VMEMU_ERR_INVAL: return "invalid argument";
	case VMEMU_ERR_UNICORN: return "the CPU emulator failed";
	case VMEMU_ERR_NOENT: return "No such file or directory";
	case VMEMU_ERR_NOEXEC: return "cannot execute binary file";
	case VMEMU_ERR_ACCES: return "Permission denied";
	case VMEMU_ERR_STATE: return "operation not valid in this state";
	}
	if (VMEMU_IS_ERRNO(err))
		return errno_name(-err);
	return "unknown error";
}

/* ---- messages and events ---- */

void node_log(struct vmemu_node *n, int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!n->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n->log(n->log_ctx, level, buf);
}

void node_event(struct vmemu_node *n, const struct vmemu_event *ev)
{
	if (n->event && (n->event_mask & VMEMU_EVENT_BIT(ev->kind)))
		n->event(n->event_ctx, ev);
}

/* ---- nodes ---- */

void vmemu_node_config_init(struct vmemu_node_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_bytes = 256ULL << 20;
	cfg->event_mask = VMEMU_EVENTS_DEFAULT;
}

static bool engine_is_x86_64(uc_engine *uc)
{
	int arch = 0, mode = 0;

	return uc_ctl_get_arch(uc, &arch) == UC_ERR_OK && arch == UC_ARCH_X86 &&
	       uc_ctl_get_mode(uc, &mode) == UC_ERR_OK && mode == UC_MODE_64;
}

int vmemu_node_create(struct uc_struct *uc, const struct vmemu_node_config *cfg,
		      vmemu_node **out)
{
	struct vmemu_node *n;
	struct page *tramp;
	int err = VMEMU_ERR_NOMEM;

	if (!out)
		return VMEMU_ERR_INVAL;
	*out = NULL;
	if (!uc || !cfg || cfg->mem_bytes < (4ULL << 20) || cfg->mem_bytes > (64ULL << 30) ||
	    cfg->mem_bytes % PAGE_SIZE || !engine_is_x86_64(uc))
		return VMEMU_ERR_INVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return VMEMU_ERR_NOMEM;
	n->uc = uc;
	n->log = cfg->log;
	n->log_ctx = cfg->log_ctx;
	n->event = cfg->event;
	n->event_ctx = cfg->event_ctx;
	n->event_mask = cfg->event_mask;
	INIT_LIST_HEAD(&n->address_spaces);
	n->ram_bytes = cfg->mem_bytes;
	/* Reserved, not committed: the host pays only for frames touched. */
	n->ram = mmap(NULL, n->ram_bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (n->ram == MAP_FAILED) {
		n->ram = NULL;
		goto fail;
	}
	n->pgdat = pgdat_create(n->ram, n->ram_bytes >> PAGE_SHIFT, &node_mm_ops, n);
	if (!n->pgdat)
		goto fail;
	tramp = alloc_page(n->pgdat, __GFP_ZERO);
	if (!tramp)
		goto fail;
	SetPageFlag(tramp, PG_reserved);
	n->trampoline_pfn = page_to_pfn(n->pgdat, tramp);
	err = VMEMU_ERR_UNICORN;
	if (uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL) != UC_ERR_OK)
		goto fail;
	if (uc_mem_map_ptr(uc, 0, n->ram_bytes, UC_PROT_ALL, n->ram) != UC_ERR_OK) {
		err = VMEMU_ERR_INVAL;  /* most likely: something is mapped there */
		goto fail;
	}
	n->ram_mapped = 1;
	err = mmu_attach(n);
	if (err)
		goto fail;
	*out = n;
	return 0;
fail:
	vmemu_node_destroy(n);
	return err;
}

void vmemu_node_destroy(vmemu_node *n)
{
	if (!n)
		return;
	while (!list_empty(&n->address_spaces))
		vmemu_as_destroy(list_first_entry(&n->address_spaces, struct vmemu_as, link));
	mmu_detach(n);
	if (n->ram_mapped)
		uc_mem_unmap(n->uc, 0, n->ram_bytes);
	if (n->pgdat)
		pgdat_destroy(n->pgdat);
	if (n->ram)
		munmap(n->ram, n->ram_bytes);
	free(n);
}

uint64_t vmemu_node_until(const vmemu_node *n)
{
	(void)n;
	return KERNEL_UNTIL;
}

int vmemu_last_fault(vmemu_node *n, struct vmemu_fault *out)
{
	if (!n->fault_recorded)
		return VMEMU_ERR_STATE;
	if (out)
		*out = n->last_fault;
	n->fault_recorded = 0;
	return 0;
}

/* ---- address spaces ---- */

static struct vmemu_as *as_wrap(struct vmemu_node *n, struct mm_struct *mm)
{
	struct vmemu_as *as = calloc(1, sizeof(*as));

	if (!as)
		return NULL;
	as->node = n;
	as->mm = mm;
	list_add_tail(&as->link, &n->address_spaces);
	return as;
}

int vmemu_as_create(vmemu_node *n, vmemu_as **out)
{
	struct mm_struct *mm;

	*out = NULL;
	mm = mm_alloc(n->pgdat);
	if (!mm)
		return VMEMU_ERR_NOMEM;
	*out = as_wrap(n, mm);
	if (!*out) {
		mmput(mm);
		return VMEMU_ERR_NOMEM;
	}
	return 0;
}

void vmemu_as_destroy(vmemu_as *as)
{
	struct vmemu_node *n;

	if (!as)
		return;
	n = as->node;
	if (n->active_mm == as->mm)
		node_switch_mm(n, NULL, NULL);
	list_del(&as->link);
	mmput(as->mm);
	free(as);
}

int vmemu_as_fork(vmemu_as *parent, vmemu_as **child)
{
	struct mm_struct *mm;

	*child = NULL;
	mm = dup_mm(parent->mm);
	if (!mm)
		return VMEMU_ERR_NOMEM;
	*child = as_wrap(parent->node, mm);
	if (!*child) {
		mmput(mm);
		return VMEMU_ERR_NOMEM;
	}
	return 0;
}

int vmemu_node_switch_as(vmemu_node *n, vmemu_as *as)
{
	if (as && as->node != n)
		return VMEMU_ERR_INVAL;
	node_switch_mm(n, as ? as->mm : NULL, as);
	return 0;
}

vmemu_as *vmemu_node_active_as(const vmemu_node *n)
{
	return n->active_as;
}

/* ---- mappings ---- */

/* The guest mm's own file object over a duplicate of fd; its path (for
 * reports) is where the descriptor points. */
static int file_for_fd(int fd, struct file **out)
{
	char link[64], path[4096];
	ssize_t len;
	int dupfd;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dupfd < 0)
		return -ENFILE;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	path[len > 0 ? len : 0] = 0;
	*out = file_from_fd(dupfd, path);
	if (!*out) {
		close(dupfd);
		return -ENOMEM;
	}
	return 0;
}

int vmemu_mmap(vmemu_as *as, uint64_t addr, uint64_t len, int prot, int flags,
	       int fd, uint64_t offset, uint64_t *addr_out)
{
	struct file *file = NULL;
	int64_t ret;

	if (!(flags & MAP_ANONYMOUS)) {
		int err = file_for_fd(fd, &file);

		if (err)
			return err;
	}
	ret = vm_mmap(as->mm, addr, len, prot, flags, file, offset);
	/* A VMA keeps its own reference. */
	file_put(file);
	if (ret < 0)
		return (int)ret;
	if (addr_out)
		*addr_out = (uint64_t)ret;
	return 0;
}

int vmemu_munmap(vmemu_as *as, uint64_t addr, uint64_t len)
{
	return do_munmap(as->mm, addr, len);
}

int vmemu_mprotect(vmemu_as *as, uint64_t addr, uint64_t len, int prot)
{
	return do_mprotect(as->mm, addr, len, prot);
}

int vmemu_mremap(vmemu_as *as, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
		 int flags, uint64_t new_addr, uint64_t *addr_out)
{
	int64_t ret = do_mremap(as->mm, old_addr, old_len, new_len, flags, new_addr);

	if (ret < 0)
		return (int)ret;
	if (addr_out)
		*addr_out = (uint64_t)ret;
	return 0;
}

int vmemu_madvise(vmemu_as *as, uint64_t addr, uint64_t len, int advice)
{
	return do_madvise(as->mm, addr, len, advice);
}

int vmemu_as_set_brk(vmemu_as *as, uint64_t start)
{
	struct mm_struct *mm = as->mm;

	if (!PAGE_ALIGNED(start) || start < MMAP_MIN_ADDR || start >= TASK_SIZE)
		return VMEMU_ERR_INVAL;
	if (PAGE_ALIGN(mm->brk) != PAGE_ALIGN(mm->start_brk))
		return VMEMU_ERR_STATE;
	mm->start_brk = mm->brk = start;
	return 0;
}

uint64_t vmemu_brk(vmemu_as *as, uint64_t brk)
{
	/* No heap placed: nothing to move (Linux always has one). */
	if (!as->mm->start_brk)
		return as->mm->brk;
	return do_brk(as->mm, brk);
}

int vmemu_copy_to_guest(vmemu_as *as, uint64_t dst, const void *src, size_t len)
{
	return copy_to_user(as->mm, dst, src, len);
}

int vmemu_copy_from_guest(vmemu_as *as, void *dst, uint64_t src, size_t len)
{
	return copy_from_user(as->mm, dst, src, len);
}

/* ---- reports ---- */

#define KB(bytes) ((bytes) >> 10)
#define PSS_KB(pss) KB((pss) >> PSS_SHIFT)
#define PAGES_KB(pages) ((uint64_t)(pages) * (PAGE_SIZE / 1024))

int vmemu_as_rollup(vmemu_as *as, struct vmemu_rollup *out)
{
	struct mem_size_stats mss;

	smaps_rollup(as->mm, &mss);
	memset(out, 0, sizeof(*out));
	out->rss = KB(mss.resident);
	out->pss = PSS_KB(mss.pss);
	out->pss_dirty = PSS_KB(mss.pss_dirty);
	out->pss_anon = PSS_KB(mss.pss_anon);
	out->pss_file = PSS_KB(mss.pss_file);
	out->pss_shmem = PSS_KB(mss.pss_shmem);
	out->shared_clean = KB(mss.shared_clean);
	out->shared_dirty = KB(mss.shared_dirty);
	out->private_clean = KB(mss.private_clean);
	out->private_dirty = KB(mss.private_dirty);
	out->referenced = KB(mss.referenced);
	out->anonymous = KB(mss.anonymous);
	out->lazy_free = KB(mss.lazyfree);
	out->anon_huge_pages = KB(mss.anonymous_thp);
	out->shmem_pmd_mapped = KB(mss.shmem_thp);
	out->swap = KB(mss.swap);
	out->swap_pss = PSS_KB(mss.swap_pss);
	out->locked = PSS_KB(mss.pss_locked);
	return 0;
}

int vmemu_as_status(vmemu_as *as, struct vmemu_status *out)
{
	const struct mm_struct *mm = as->mm;
	uint64_t rss = mm->rss_stat[MM_ANONPAGES] + mm->rss_stat[MM_FILEPAGES] +
		       mm->rss_stat[MM_SHMEMPAGES];

	memset(out, 0, sizeof(*out));
	out->vm_size = PAGES_KB(mm->total_vm);
	out->vm_lck = PAGES_KB(mm->locked_vm);
	out->vm_rss = PAGES_KB(rss);
	out->vm_hwm = PAGES_KB((uint64_t)mm->hiwater_rss > rss ? (uint64_t)mm->hiwater_rss : rss);
	out->rss_anon = PAGES_KB(mm->rss_stat[MM_ANONPAGES]);
	out->rss_file = PAGES_KB(mm->rss_stat[MM_FILEPAGES]);
	out->rss_shmem = PAGES_KB(mm->rss_stat[MM_SHMEMPAGES]);
	out->vm_data = PAGES_KB(mm->data_vm);
	out->vm_stk = PAGES_KB(mm->stack_vm);
	out->vm_pte = KB((uint64_t)mm->pgtables_bytes);
	out->vm_swap = PAGES_KB(mm->rss_stat[MM_SWAPENTS]);
	out->min_flt = mm->min_flt;
	out->maj_flt = mm->maj_flt;
	return 0;
}

int vmemu_node_meminfo(vmemu_node *n, struct vmemu_meminfo *out)
{
	struct pglist_data *pg = n->pgdat;
	const long *s = pg->stat.stat;

	memset(out, 0, sizeof(*out));
	out->mem_total = PAGES_KB(totalram_pages(pg));
	out->mem_free = PAGES_KB(nr_free_pages(pg));
	out->cached = PAGES_KB(s[NR_FILE_PAGES] - s[NR_SWAPCACHE]);
	out->anon_pages = PAGES_KB(s[NR_ANON_MAPPED]);
	out->mapped = PAGES_KB(s[NR_FILE_MAPPED]);
	out->page_tables = PAGES_KB(s[NR_PAGETABLE]);
	out->slab = PAGES_KB(s[NR_SLAB_RECLAIMABLE] + s[NR_SLAB_UNRECLAIMABLE]);
	out->kernel_reserved = PAGES_KB(pg->reserved_pages);
	out->pgfault = pg->stat.events[PGFAULT];
	out->pgmajfault = pg->stat.events[PGMAJFAULT];
	out->shmem = PAGES_KB(s[NR_SHMEM]);
	out->dirty = PAGES_KB(s[NR_FILE_DIRTY]);
	out->writeback = PAGES_KB(s[NR_WRITEBACK]);
	out->active_anon = PAGES_KB(s[NR_ACTIVE_ANON]);
	out->inactive_anon = PAGES_KB(s[NR_INACTIVE_ANON]);
	out->active_file = PAGES_KB(s[NR_ACTIVE_FILE]);
	out->inactive_file = PAGES_KB(s[NR_INACTIVE_FILE]);
	out->unevictable = PAGES_KB(s[NR_UNEVICTABLE]);
	out->mlocked = PAGES_KB(s[NR_MLOCK]);
	out->swap_cached = PAGES_KB(s[NR_SWAPCACHE]);
	out->anon_huge_pages = PAGES_KB(s[NR_ANON_THPS] * (PMD_SIZE / PAGE_SIZE));
	{
		struct swap_stats st;

		swap_get_stats(pg, &st);
		out->swap_total = PAGES_KB(st.total_pages);
		out->swap_free = PAGES_KB(st.free_pages);
	}
	return 0;
}

int vmemu_node_page_cache(vmemu_node *n,
			  void (*fn)(void *ctx, const struct vmemu_cached_file *f), void *ctx)
{
	struct list_head *pos;

	list_for_each(pos, &n->pgdat->address_spaces) {
		struct address_space *mapping = list_entry(pos, struct address_space, list);
		struct vmemu_cached_file f = { 0 };
		unsigned long dirty, mapped;

		if (!mapping->nrpages)
			continue;
		filemap_count(mapping, &dirty, &mapped);
		f.path = mapping->path ? mapping->path : "";
		f.dev = mapping->dev;
		f.ino = mapping->ino;
		f.cached = PAGES_KB(mapping->nrpages);
		f.dirty = PAGES_KB(dirty);
		f.mapped = PAGES_KB(mapped);
		f.open = mapping->host_file != NULL;
		fn(ctx, &f);
	}
	return 0;
}

/* /proc/vmstat's items: the gauges, then the events Linux has (COW_FAULT
 * is vmemu's own and not printed there). */
static bool vmstat_item(const struct pglist_data *pg, unsigned int i, const char **name,
			int64_t *value)
{
	if (i < NR_VM_STAT_ITEMS) {
		*name = vmstat_stat_names[i];
		*value = pg->stat.stat[i];
		return true;
	}
	i -= NR_VM_STAT_ITEMS;
	if (i >= COW_FAULT)
		i++;
	if (i >= NR_VM_EVENT_ITEMS)
		return false;
	*name = vmstat_event_names[i];
	*value = (int64_t)pg->stat.events[i];
	return true;
}

int vmemu_node_vmstat(vmemu_node *n, unsigned int i, const char **name, int64_t *value)
{
	const char *nm;
	int64_t v;

	if (!vmstat_item(n->pgdat, i, &nm, &v))
		return VMEMU_ERR_INVAL;
	if (name)
		*name = nm;
	if (value)
		*value = v;
	return 0;
}

int vmemu_node_vmstat_get(vmemu_node *n, const char *name, int64_t *value)
{
	const char *nm;
	int64_t v;

	for (unsigned int i = 0; vmstat_item(n->pgdat, i, &nm, &v); i++) {
		if (!strcmp(nm, name)) {
			*value = v;
			return 0;
		}
	}
	return VMEMU_ERR_INVAL;
}
