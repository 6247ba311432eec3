/* The guest CPU: a Unicorn x86-64 engine pinned to one CPU model, in
 * virtual-TLB mode, with guest RAM mapped at guest-physical 0. */
#include <string.h>
#include "machine.h"

int cpu_init(machine_t *m)
{
	static const uint8_t trampoline_code[] = { 0x0f, 0x0b }; /* ud2 */

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &m->uc) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	/* Unicorn's default model lacks SSSE3/SSE4.2/POPCNT that glibc's ifuncs
	 * pick, and 2.1.3+ changed the default: always say which (fact 9). */
	if (uc_ctl_set_cpu_model(m->uc, UC_CPU_X86_HASWELL) != UC_ERR_OK ||
	    uc_ctl_tlb_mode(m->uc, UC_TLB_VIRTUAL) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	if (uc_mem_map_ptr(m->uc, 0, m->ram_bytes, UC_PROT_ALL, m->ram) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	/* The trampoline frame holds `until`; nothing there is ever executed,
	 * but a guest jumping there meets ud2. */
	memcpy(m->ram + (m->trampoline_pfn << PAGE_SHIFT), trampoline_code,
	       sizeof(trampoline_code));
	return 0;
}
