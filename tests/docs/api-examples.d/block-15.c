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
