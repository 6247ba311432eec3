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
