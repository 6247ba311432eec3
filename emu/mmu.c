/* The software MMU: Unicorn's TLB-fill hook walks the current mm's page
 * tables (guestmm's mmu_translate), resolves faults in place with
 * handle_mm_fault, and keeps Unicorn's TLB and translated code coherent. */
#include <signal.h>
#include "machine.h"

/* QEMU sizes its TLB only at flush time (DESIGN.md fact 3): flushing after
 * this many fills lets a process with a large working set get a large TLB. */
#define FILLS_PER_RESIZE 65536

static void mmu_flush_tlb(void *host)
{
	machine_t *m = host;

	uc_ctl_flush_tlb(m->uc);
	m->fills_since_flush = 0;
}

/* Drop the translations of a frame's code through its direct-map alias:
 * Unicorn keys translations by physical page and does not notice the frame
 * changing (DESIGN.md fact 6). The alias is fetchable only during the call,
 * and the TLB entry the look-up leaves behind is flushed at once. */
static void mmu_invalidate_code(void *host, pfn_t pfn)
{
	machine_t *m = host;
	uint64_t va = KERNEL_DIRECT_MAP + (pfn << PAGE_SHIFT);

	m->invalidating_code = 1;
	uc_ctl_remove_cache(m->uc, va, va + PAGE_SIZE);
	m->invalidating_code = 0;
	uc_ctl_flush_tlb(m->uc);
	m->fills_since_flush = 0;
}

static void mmu_log(void *host, int level, const char *msg)
{
	machine_log(host, level, "%s", msg);
}

const struct mm_host_ops machine_mm_ops = {
	.flush_tlb = mmu_flush_tlb,
	.invalidate_code = mmu_invalidate_code,
	.log = mmu_log,
};

static bool fill_kernel(machine_t *m, uint64_t vaddr, uc_mem_type type, uc_tlb_entry *e)
{
	/* The trampoline page: `until`, the iretq into user mode with its
	 * frame, and the GDT. Never writable. */
	if (vaddr == KERNEL_TRAMPOLINE && type != UC_MEM_WRITE) {
		e->paddr = m->trampoline_pfn << PAGE_SHIFT;
		e->perms = UC_PROT_READ | UC_PROT_EXEC;
		return true;
	}
	if (m->invalidating_code && vaddr >= KERNEL_DIRECT_MAP &&
	    vaddr - KERNEL_DIRECT_MAP < m->ram_bytes) {
		e->paddr = vaddr - KERNEL_DIRECT_MAP;
		e->perms = UC_PROT_EXEC;
		return true;
	}
	return false;
}

static bool hook_tlb_fill(uc_engine *uc, uint64_t vaddr, uc_mem_type type,
			  uc_tlb_entry *e, void *user)
{
	machine_t *m = user;
	unsigned int flags = FAULT_FLAG_USER, prot;
	uint64_t pa;
	int si_code = FAULT_SEGV_MAPERR;

	vaddr &= PAGE_MASK;
	if (type == UC_MEM_WRITE)
		flags |= FAULT_FLAG_WRITE;
	else if (type == UC_MEM_FETCH)
		flags |= FAULT_FLAG_INSTRUCTION;

	if (vaddr >= TASK_SIZE) {
		if (fill_kernel(m, vaddr, type, e))
			return true;
		goto segv;
	}
	if (!m->active_mm)
		goto segv;
	if (!mmu_translate(m->active_mm, vaddr, flags, &pa, &prot)) {
		vm_fault_t ret = handle_mm_fault(m->active_mm, vaddr, flags, &si_code);

		if (ret & VM_FAULT_ERROR) {
			if (ret & VM_FAULT_SIGBUS) {
				m->fault = (struct mmu_fault){ vaddr, flags, SIGBUS, 2 /* BUS_ADRERR */ };
				m->stop = STOP_FAULT;
				return false;
			}
			if (ret & VM_FAULT_OOM)
				si_code = FAULT_SEGV_MAPERR;
			goto segv;
		}
		if (!mmu_translate(m->active_mm, vaddr, flags, &pa, &prot)) {
			si_code = FAULT_SEGV_ACCERR;
			goto segv;
		}
	}
	/* Only a fetch fill may make a page executable in the TLB: the fetch is
	 * what marks the frame as holding translated code. */
	e->paddr = pa;
	e->perms = ((prot & MMU_PROT_READ) ? UC_PROT_READ : 0) |
		   ((prot & MMU_PROT_WRITE) ? UC_PROT_WRITE : 0) |
		   ((type == UC_MEM_FETCH && (prot & MMU_PROT_EXEC)) ? UC_PROT_EXEC : 0);
	if (++m->fills_since_flush >= FILLS_PER_RESIZE)
		mmu_flush_tlb(m);
	return true;
segv:
	m->fault = (struct mmu_fault){ vaddr, flags, SIGSEGV,
		si_code == FAULT_SEGV_ACCERR ? 2 /* SEGV_ACCERR */ : 1 /* SEGV_MAPERR */ };
	m->stop = STOP_FAULT;
	(void)uc;
	return false;
}

int mmu_init(machine_t *m)
{
	if (uc_hook_add(m->uc, &m->hook_tlb, UC_HOOK_TLB_FILL, hook_tlb_fill, m, 1, 0) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	return 0;
}

/* A context switch to another address space: the TLB holds the old one's
 * translations. Threads of one mm need no flush (DESIGN.md fact 10). */
void mmu_switch_mm(machine_t *m, struct mm_struct *mm)
{
	if (m->active_mm == mm)
		return;
	m->active_mm = mm;
	mmu_flush_tlb(m);
}
