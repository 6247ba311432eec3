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
