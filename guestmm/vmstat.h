/* System-wide memory counters and events, named as in /proc/vmstat. One
 * X-macro list each, so the names printed and the enum cannot drift apart. */
#ifndef GUESTMM_VMSTAT_H
#define GUESTMM_VMSTAT_H

/* Gauges: pages currently in a state (node_stat_item / zone_stat_item). */
#define VM_STAT_ITEMS(X) \
	X(NR_FREE_PAGES, "nr_free_pages") \
	X(NR_INACTIVE_ANON, "nr_inactive_anon") \
	X(NR_ACTIVE_ANON, "nr_active_anon") \
	X(NR_INACTIVE_FILE, "nr_inactive_file") \
	X(NR_ACTIVE_FILE, "nr_active_file") \
	X(NR_UNEVICTABLE, "nr_unevictable") \
	X(NR_MLOCK, "nr_mlock") \
	X(NR_ANON_MAPPED, "nr_anon_pages") \
	X(NR_FILE_MAPPED, "nr_mapped") \
	X(NR_FILE_PAGES, "nr_file_pages") \
	X(NR_FILE_DIRTY, "nr_dirty") \
	X(NR_WRITEBACK, "nr_writeback") \
	X(NR_SHMEM, "nr_shmem") \
	X(NR_ANON_THPS, "nr_anon_transparent_hugepages") \
	X(NR_SLAB_RECLAIMABLE, "nr_slab_reclaimable") \
	X(NR_SLAB_UNRECLAIMABLE, "nr_slab_unreclaimable") \
	X(NR_PAGETABLE, "nr_page_table_pages") \
	X(NR_KERNEL_STACK_KB, "nr_kernel_stack") \
	X(NR_SWAPCACHE, "nr_swapcached")

/* Events: monotonic counts (vm_event_item). */
#define VM_EVENT_ITEMS(X) \
	X(PGPGIN, "pgpgin") \
	X(PGPGOUT, "pgpgout") \
	X(PSWPIN, "pswpin") \
	X(PSWPOUT, "pswpout") \
	X(PGALLOC, "pgalloc_normal") \
	X(PGFREE, "pgfree") \
	X(PGACTIVATE, "pgactivate") \
	X(PGDEACTIVATE, "pgdeactivate") \
	X(PGLAZYFREE, "pglazyfree") \
	X(PGFAULT, "pgfault") \
	X(PGMAJFAULT, "pgmajfault") \
	X(PGLAZYFREED, "pglazyfreed") \
	X(PGSTEAL_KSWAPD, "pgsteal_kswapd") \
	X(PGSTEAL_DIRECT, "pgsteal_direct") \
	X(PGSCAN_KSWAPD, "pgscan_kswapd") \
	X(PGSCAN_DIRECT, "pgscan_direct") \
	X(KSWAPD_WAKEUP, "kswapd_wakeup") \
	X(ALLOCSTALL, "allocstall_normal") \
	X(OOM_KILL, "oom_kill") \
	X(THP_FAULT_ALLOC, "thp_fault_alloc") \
	X(THP_FAULT_FALLBACK, "thp_fault_fallback") \
	X(THP_COLLAPSE_ALLOC, "thp_collapse_alloc") \
	X(THP_COLLAPSE_ALLOC_FAILED, "thp_collapse_alloc_failed") \
	X(THP_SPLIT_PAGE, "thp_split_page") \
	X(THP_SPLIT_PMD, "thp_split_pmd") \
	X(THP_ZERO_PAGE_ALLOC, "thp_zero_page_alloc") \
	X(THP_ZERO_PAGE_ALLOC_FAILED, "thp_zero_page_alloc_failed") \
	X(COMPACTSTALL, "compact_stall") \
	X(COMPACTFAIL, "compact_fail") \
	X(COMPACTSUCCESS, "compact_success") \
	X(PGMIGRATE_SUCCESS, "pgmigrate_success") \
	X(COW_FAULT, "cow_fault") /* not in Linux's vmstat; kept for reports */

#define VMSTAT_ENUM(id, name) id,
enum node_stat_item { VM_STAT_ITEMS(VMSTAT_ENUM) NR_VM_STAT_ITEMS };
enum vm_event_item { VM_EVENT_ITEMS(VMSTAT_ENUM) NR_VM_EVENT_ITEMS };
#undef VMSTAT_ENUM

struct vm_counters {
	long stat[NR_VM_STAT_ITEMS];
	unsigned long events[NR_VM_EVENT_ITEMS];
};

extern const char *const vmstat_stat_names[NR_VM_STAT_ITEMS];
extern const char *const vmstat_event_names[NR_VM_EVENT_ITEMS];

#define mod_node_page_state(node, item, delta) ((node)->stat.stat[item] += (delta))
#define count_vm_event(node, item) ((node)->stat.events[item]++)
#define count_vm_events(node, item, n) ((node)->stat.events[item] += (n))

#endif
