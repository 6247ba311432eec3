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
