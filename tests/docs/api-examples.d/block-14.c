int vmemu_as_rollup(vmemu_as *as, struct vmemu_rollup *out);
int vmemu_as_status(vmemu_as *as, struct vmemu_status *out);
int vmemu_node_meminfo(vmemu_node *n, struct vmemu_meminfo *out);
int vmemu_node_vmstat(vmemu_node *n, unsigned int i, const char **name, int64_t *value);
int vmemu_node_vmstat_get(vmemu_node *n, const char *name, int64_t *value);
