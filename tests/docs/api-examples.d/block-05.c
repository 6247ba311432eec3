void vmemu_node_config_init(struct vmemu_node_config *cfg);
int vmemu_node_create(struct uc_struct *uc, const struct vmemu_node_config *cfg,
		      vmemu_node **out);
void vmemu_node_destroy(vmemu_node *n);
uint64_t vmemu_node_until(const vmemu_node *n);
