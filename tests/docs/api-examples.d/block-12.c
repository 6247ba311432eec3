int vmemu_last_fault(vmemu_node *n, struct vmemu_fault *out);
