void vmemu_config_init(struct vmemu_config *cfg);
int vmemu_machine_create(const struct vmemu_config *cfg, vmemu_machine **out);
void vmemu_machine_destroy(vmemu_machine *m);
int vmemu_spawn(vmemu_machine *m, const char *path, char *const argv[],
		char *const envp[], char *errbuf, size_t errlen);
int vmemu_run(vmemu_machine *m, int *status);
vmemu_node *vmemu_machine_node(vmemu_machine *m);
int vmemu_get_meminfo(vmemu_machine *m, struct vmemu_meminfo *out);
