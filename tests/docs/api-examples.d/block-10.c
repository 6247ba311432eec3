int vmemu_copy_to_guest(vmemu_as *as, uint64_t dst, const void *src, size_t len);
int vmemu_copy_from_guest(vmemu_as *as, void *dst, uint64_t src, size_t len);
