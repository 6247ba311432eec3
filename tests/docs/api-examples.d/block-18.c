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
