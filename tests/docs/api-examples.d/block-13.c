static void explain(vmemu_node *node, uc_err err)
{
	struct vmemu_fault f;

	if (err == UC_ERR_EXCEPTION && vmemu_last_fault(node, &f) == 0)
		printf("%s at page %#llx: signal %d, si_code %d\n",
		       f.access == VMEMU_ACCESS_FETCH ? "fetch" :
		       f.access == VMEMU_ACCESS_WRITE ? "write" : "read",
		       (unsigned long long)f.addr, f.signo, f.si_code);
}
