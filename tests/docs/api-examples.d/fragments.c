#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unicorn/unicorn.h>
#include <vmemu/vmemu.h>
#line 1 "block-01.c"
const char *vmemu_strerror(int err);

static int report_error(const char *what, int err)
{
	/* -EINVAL from vmemu_munmap and VMEMU_ERR_NOMEM from
	 * vmemu_node_create print alike. */
	return err == VMEMU_OK ? 0 : fprintf(stderr, "%s: %s (%s)\n", what,
					     vmemu_strerror(err),
					     VMEMU_IS_ERRNO(err) ? "guest errno" : "library");
}
#line 1 "block-02.c"
typedef void (*vmemu_log_fn)(void *ctx, int level, const char *msg);

static void log_to_stderr(void *ctx, int level, const char *msg)
{
	if (level <= VMEMU_LOG_WARNING)
		fprintf(stderr, "%s: %s\n", (const char *)ctx, msg);
}
#line 1 "block-03.c"
#if VMEMU_VERSION_NUMBER < 0x000100
#error "libvmemu 0.1 or later is needed"
#endif
static const char built_with[] = VMEMU_VERSION_STRING;
#line 1 "block-04.c"
typedef void (*vmemu_event_fn)(void *ctx, const struct vmemu_event *ev);

struct fault_counts { unsigned long in, major, refused; uint64_t last_addr; };

static void count_faults(void *ctx, const struct vmemu_event *ev)
{
	struct fault_counts *c = ctx;

	switch (ev->kind) {
	case VMEMU_EVENT_FAULT_IN:
		c->in++;
		c->major += ev->fault.major != 0;
		break;
	case VMEMU_EVENT_FAULT_ERROR:
		c->refused++;
		c->last_addr = ev->fault.addr;   /* page aligned */
		break;
	case VMEMU_EVENT_OOM_KILL:           /* not raised yet */
		(void)ev->oom_kill.rss_kb;
		break;
	case VMEMU_EVENT_RECLAIM:            /* not raised yet */
		(void)ev->reclaim.scanned, (void)ev->reclaim.reclaimed,
			(void)ev->reclaim.direct;
		break;
	}
}
#line 1 "block-05.c"
void vmemu_node_config_init(struct vmemu_node_config *cfg);
int vmemu_node_create(struct uc_struct *uc, const struct vmemu_node_config *cfg,
		      vmemu_node **out);
void vmemu_node_destroy(vmemu_node *n);
uint64_t vmemu_node_until(const vmemu_node *n);
#line 1 "block-06.c"
static vmemu_node *attach(uc_engine *uc, struct fault_counts *counts)
{
	struct vmemu_node_config cfg;
	vmemu_node *node;

	vmemu_node_config_init(&cfg);          /* 256 MiB, default events */
	cfg.mem_bytes = 64 << 20;
	cfg.log = log_to_stderr;
	cfg.log_ctx = "mytool";
	cfg.event = count_faults;
	cfg.event_ctx = counts;
	cfg.event_mask |= VMEMU_EVENT_BIT(VMEMU_EVENT_FAULT_IN);
	return vmemu_node_create(uc, &cfg, &node) == 0 ? node : NULL;
}
#line 1 "block-07.c"
int vmemu_as_create(vmemu_node *n, vmemu_as **out);
void vmemu_as_destroy(vmemu_as *as);
int vmemu_as_fork(vmemu_as *parent, vmemu_as **child);
int vmemu_node_switch_as(vmemu_node *n, vmemu_as *as);
vmemu_as *vmemu_node_active_as(const vmemu_node *n);
#line 1 "block-08.c"
int vmemu_mmap(vmemu_as *as, uint64_t addr, uint64_t len, int prot, int flags,
	       int fd, uint64_t offset, uint64_t *addr_out);
int vmemu_munmap(vmemu_as *as, uint64_t addr, int len);
int vmemu_mprotect(vmemu_as *as, uint64_t addr, uint64_t len, int prot);
int vmemu_mremap(vmemu_as *as, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
		 int flags, uint64_t new_addr, uint64_t *addr_out);
int vmemu_madvise(vmemu_as *as, uint64_t addr, uint64_t len, int advice);
int vmemu_as_set_brk(vmemu_as *as, uint64_t start);
uint64_t vmemu_brk(vmemu_as *as, uint64_t brk);
#line 1 "block-09.c"
/* A heap, a stack and a file, the way a loader would lay them out. */
static int lay_out(vmemu_as *as, int fd, uint64_t *stack_top)
{
	uint64_t stack, file;
	int err;

	if ((err = vmemu_as_set_brk(as, 0x10000000)))
		return err;
	if (vmemu_brk(as, 0x10000000 + (1 << 20)) != 0x10000000 + (1 << 20))
		return -ENOMEM;
	err = vmemu_mmap(as, 0, 8 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0, &stack);
	if (err)
		return err;
	*stack_top = stack + (8 << 20);
	err = vmemu_mmap(as, 0, 1 << 20, PROT_READ, MAP_PRIVATE, fd, 0, &file);
	if (err)
		return err;
	err = vmemu_madvise(as, file, 1 << 20, MADV_SEQUENTIAL);
	if (err)
		return err;
	return vmemu_mprotect(as, stack, 4096, PROT_NONE);   /* a guard page */
}
#line 1 "block-10.c"
int vmemu_copy_to_guest(vmemu_as *as, uint64_t dst, const void *src, size_t len);
int vmemu_copy_from_guest(vmemu_as *as, void *dst, uint64_t src, size_t len);
#line 1 "block-11.c"
static int load_code(vmemu_as *as, uint64_t at, const void *code, size_t len)
{
	int err = vmemu_mmap(as, at, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0, NULL);

	if (!err)
		err = vmemu_copy_to_guest(as, at, code, len);
	if (!err)
		err = vmemu_mprotect(as, at, 4096, PROT_READ | PROT_EXEC);
	return err;
}
#line 1 "block-12.c"
int vmemu_last_fault(vmemu_node *n, struct vmemu_fault *out);
#line 1 "block-13.c"
static void explain(vmemu_node *node, uc_err err)
{
	struct vmemu_fault f;

	if (err == UC_ERR_EXCEPTION && vmemu_last_fault(node, &f) == 0)
		printf("%s at page %#llx: signal %d, si_code %d\n",
		       f.access == VMEMU_ACCESS_FETCH ? "fetch" :
		       f.access == VMEMU_ACCESS_WRITE ? "write" : "read",
		       (unsigned long long)f.addr, f.signo, f.si_code);
}
#line 1 "block-14.c"
int vmemu_as_rollup(vmemu_as *as, struct vmemu_rollup *out);
int vmemu_as_status(vmemu_as *as, struct vmemu_status *out);
int vmemu_node_meminfo(vmemu_node *n, struct vmemu_meminfo *out);
int vmemu_node_vmstat(vmemu_node *n, unsigned int i, const char **name, int64_t *value);
int vmemu_node_vmstat_get(vmemu_node *n, const char *name, int64_t *value);
#line 1 "block-15.c"
static void print_reports(vmemu_node *node, vmemu_as *as)
{
	struct vmemu_rollup r;
	struct vmemu_status s;
	struct vmemu_meminfo m;
	const char *name;
	int64_t value;

	vmemu_as_rollup(as, &r);
	printf("Rss %llu Pss %llu (anon %llu file %llu shmem %llu dirty %llu)\n",
	       (unsigned long long)r.rss, (unsigned long long)r.pss,
	       (unsigned long long)r.pss_anon, (unsigned long long)r.pss_file,
	       (unsigned long long)r.pss_shmem, (unsigned long long)r.pss_dirty);
	printf("shared %llu/%llu private %llu/%llu referenced %llu anonymous %llu "
	       "lazyfree %llu\n",
	       (unsigned long long)r.shared_clean, (unsigned long long)r.shared_dirty,
	       (unsigned long long)r.private_clean, (unsigned long long)r.private_dirty,
	       (unsigned long long)r.referenced, (unsigned long long)r.anonymous,
	       (unsigned long long)r.lazy_free);
	printf("thp %llu %llu %llu hugetlb %llu %llu swap %llu swappss %llu locked %llu\n",
	       (unsigned long long)r.anon_huge_pages, (unsigned long long)r.shmem_pmd_mapped,
	       (unsigned long long)r.file_pmd_mapped, (unsigned long long)r.shared_hugetlb,
	       (unsigned long long)r.private_hugetlb, (unsigned long long)r.swap,
	       (unsigned long long)r.swap_pss, (unsigned long long)r.locked);

	vmemu_as_status(as, &s);
	printf("VmSize %llu VmRSS %llu VmHWM %llu (anon %llu file %llu shmem %llu) "
	       "VmData %llu VmStk %llu VmPTE %llu VmSwap %llu VmLck %llu\n",
	       (unsigned long long)s.vm_size, (unsigned long long)s.vm_rss,
	       (unsigned long long)s.vm_hwm, (unsigned long long)s.rss_anon,
	       (unsigned long long)s.rss_file, (unsigned long long)s.rss_shmem,
	       (unsigned long long)s.vm_data, (unsigned long long)s.vm_stk,
	       (unsigned long long)s.vm_pte, (unsigned long long)s.vm_swap,
	       (unsigned long long)s.vm_lck);
	printf("faults: %llu minor, %llu major\n", (unsigned long long)s.min_flt,
	       (unsigned long long)s.maj_flt);

	vmemu_node_meminfo(node, &m);
	printf("MemTotal %llu MemFree %llu Cached %llu AnonPages %llu Mapped %llu "
	       "Shmem %llu PageTables %llu Slab %llu reserved %llu\n",
	       (unsigned long long)m.mem_total, (unsigned long long)m.mem_free,
	       (unsigned long long)m.cached, (unsigned long long)m.anon_pages,
	       (unsigned long long)m.mapped, (unsigned long long)m.shmem,
	       (unsigned long long)m.page_tables, (unsigned long long)m.slab,
	       (unsigned long long)m.kernel_reserved);
	printf("Active %llu/%llu Inactive %llu/%llu Unevictable %llu Mlocked %llu "
	       "Dirty %llu Writeback %llu Swap %llu/%llu cached %llu AnonHuge %llu\n",
	       (unsigned long long)m.active_anon, (unsigned long long)m.active_file,
	       (unsigned long long)m.inactive_anon, (unsigned long long)m.inactive_file,
	       (unsigned long long)m.unevictable, (unsigned long long)m.mlocked,
	       (unsigned long long)m.dirty, (unsigned long long)m.writeback,
	       (unsigned long long)m.swap_free, (unsigned long long)m.swap_total,
	       (unsigned long long)m.swap_cached, (unsigned long long)m.anon_huge_pages);
	printf("pgfault %llu pgmajfault %llu\n", (unsigned long long)m.pgfault,
	       (unsigned long long)m.pgmajfault);

	for (unsigned int i = 0; vmemu_node_vmstat(node, i, &name, &value) == 0; i++)
		printf("%s %lld\n", name, (long long)value);
	if (vmemu_node_vmstat_get(node, "nr_page_table_pages", &value) == 0)
		printf("page tables: %lld pages\n", (long long)value);
}
#line 1 "block-17.c"
void vmemu_config_init(struct vmemu_config *cfg);
int vmemu_machine_create(const struct vmemu_config *cfg, vmemu_machine **out);
void vmemu_machine_destroy(vmemu_machine *m);
int vmemu_spawn(vmemu_machine *m, const char *path, char *const argv[],
		char *const envp[], char *errbuf, size_t errlen);
int vmemu_run(vmemu_machine *m, int *status);
vmemu_node *vmemu_machine_node(vmemu_machine *m);
int vmemu_get_meminfo(vmemu_machine *m, struct vmemu_meminfo *out);
#line 1 "block-18.c"
static int run_program(const char *path, char *const argv[], char *const envp[])
{
	struct vmemu_config cfg;
	struct vmemu_meminfo mi;
	vmemu_machine *m;
	char why[256];
	int err, status = 0;
	int64_t faults = 0;

	vmemu_config_init(&cfg);
	cfg.mem_bytes = 128 << 20;
	cfg.root = "/";
	cfg.deterministic = 1;
	cfg.seed = 1;
	cfg.trace = VMEMU_TRACE_MM;
	cfg.verbose = 0;
	cfg.log = log_to_stderr;
	cfg.log_ctx = "run_program";
	cfg.event = NULL;
	cfg.event_ctx = NULL;
	cfg.guest_stdin = 0;
	cfg.guest_stdout = 1;
	cfg.guest_stderr = 2;
	if ((err = vmemu_machine_create(&cfg, &m)))
		return report_error("create", err);
	if ((err = vmemu_spawn(m, path, argv, envp, why, sizeof(why)))) {
		fprintf(stderr, "%s: %s\n", path, why);
		vmemu_machine_destroy(m);
		return err;
	}
	err = vmemu_run(m, &status);
	vmemu_get_meminfo(m, &mi);
	vmemu_node_vmstat_get(vmemu_machine_node(m), "pgfault", &faults);
	printf("status %#x, %lld faults, %llu kB free\n", status, (long long)faults,
	       (unsigned long long)mi.mem_free);
	vmemu_machine_destroy(m);
	return err;
}
