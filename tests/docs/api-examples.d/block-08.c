int vmemu_mmap(vmemu_as *as, uint64_t addr, uint64_t len, int prot, int flags,
	       int fd, uint64_t offset, uint64_t *addr_out);
int vmemu_munmap(vmemu_as *as, uint64_t addr, int len);
int vmemu_mprotect(vmemu_as *as, uint64_t addr, uint64_t len, int prot);
int vmemu_mremap(vmemu_as *as, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
		 int flags, uint64_t new_addr, uint64_t *addr_out);
int vmemu_madvise(vmemu_as *as, uint64_t addr, uint64_t len, int advice);
int vmemu_as_set_brk(vmemu_as *as, uint64_t start);
uint64_t vmemu_brk(vmemu_as *as, uint64_t brk);
