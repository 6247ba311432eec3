#include <stdio.h>
#include <sys/mman.h>
#include <unicorn/unicorn.h>
#include <vmemu/mm.h>

int main(void)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0x37,   /* mov [rdi], rsi */
		0x48, 0x8b, 0x02,   /* mov rax, [rdx] */
	};
	struct vmemu_node_config cfg;
	struct vmemu_status st;
	struct vmemu_fault f;
	vmemu_node *node;
	vmemu_as *as;
	uint64_t data, value = 42, bad = 0x1000;
	uc_engine *uc;
	uc_err err;

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
		return 1;
	vmemu_node_config_init(&cfg);
	cfg.mem_bytes = 16 << 20;
	if (vmemu_node_create(uc, &cfg, &node) || vmemu_as_create(node, &as) ||
	    vmemu_node_switch_as(node, as))
		return 1;
	if (vmemu_mmap(as, 0x400000, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0, NULL) ||
	    vmemu_copy_to_guest(as, 0x400000, code, sizeof(code)) ||
	    vmemu_mprotect(as, 0x400000, 4096, PROT_READ | PROT_EXEC) ||
	    vmemu_mmap(as, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0, &data))
		return 1;
	uc_reg_write(uc, UC_X86_REG_RDI, &data);
	uc_reg_write(uc, UC_X86_REG_RSI, &value);
	uc_reg_write(uc, UC_X86_REG_RDX, &bad);
	err = uc_emu_start(uc, 0x400000, vmemu_node_until(node), 0, 0);
	vmemu_copy_from_guest(as, &value, data, sizeof(value));
	vmemu_as_status(as, &st);
	printf("stored %llu with %llu faults\n", (unsigned long long)value,
	       (unsigned long long)st.min_flt);
	if (err == UC_ERR_EXCEPTION && vmemu_last_fault(node, &f) == 0)
		printf("then signal %d reading page %#llx\n", f.signo, (unsigned long long)f.addr);
	vmemu_node_destroy(node);
	uc_close(uc);
	return 0;
}
