int vmemu_as_create(vmemu_node *n, vmemu_as **out);
void vmemu_as_destroy(vmemu_as *as);
int vmemu_as_fork(vmemu_as *parent, vmemu_as **child);
int vmemu_node_switch_as(vmemu_node *n, vmemu_as *as);
vmemu_as *vmemu_node_active_as(const vmemu_node *n);
