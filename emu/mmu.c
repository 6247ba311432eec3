/* The software MMU: Unicorn's TLB-fill hook walks the active mm's page
 * tables (guestmm's mmu_translate), resolves faults in place with
 * handle_mm_fault, and keeps Unicorn's TLB and translated code coherent.
 * One hook serves the mm-level API and the machine alike. */
#include <signal.h>
#include "node.h"
#include "oom.h"
#include "inject.h"

/* QEMU sizes its TLB only at flush time (DESIGN.md fact 3): flushing after
 * this many fills lets a process with a large working set get a large TLB. */
#define FILLS_PER_RESIZE 65536

static void mmu_flush_tlb(void *host)
{
	struct vmemu_node *n = host;

	uc_ctl_flush_tlb(n->uc);
	n->fills_since_flush = 0;
}

/* Drop the translations of a frame's code through its direct-map alias:
 * Unicorn keys translations by physical page and does not notice the frame
 * changing (DESIGN.md fact 6). The alias is fetchable only during the call,
 * and the TLB entry the look-up leaves behind is flushed at once. */
static void mmu_invalidate_code(void *host, pfn_t pfn)
{
	struct vmemu_node *n = host;
	uint64_t va = KERNEL_DIRECT_MAP + (pfn << PAGE_SHIFT);

	n->invalidating_code = 1;
	uc_ctl_remove_cache(n->uc, va, va + PAGE_SIZE);
	n->invalidating_code = 0;
	mmu_flush_tlb(n);
}

static void mmu_log(void *host, int level, const char *msg)
{
	node_log(host, level, "%s", msg);
}

const struct mm_host_ops node_mm_ops = {
	.flush_tlb = mmu_flush_tlb,
	.invalidate_code = mmu_invalidate_code,
	.log = mmu_log,
	.oom_kill = machine_oom_kill,
	.reclaim_done = node_reclaim_done,
	.inject = node_inject,
};

static bool fill_kernel(struct vmemu_node *n, uint64_t vaddr, uc_mem_type type,
			uc_tlb_entry *e)
{
	/* The trampoline page: `until`, and the machine's iretq into user
	 * mode with its frame, and its GDT. Never writable. */
	if (vaddr == KERNEL_TRAMPOLINE && type != UC_MEM_WRITE) {
		e->paddr = n->trampoline_pfn << PAGE_SHIFT;
		e->perms = UC_PROT_READ | UC_PROT_EXEC;
		return true;
	}
	if (n->invalidating_code && vaddr >= KERNEL_DIRECT_MAP &&
	    vaddr - KERNEL_DIRECT_MAP < n->ram_bytes) {
		e->paddr = vaddr - KERNEL_DIRECT_MAP;
		e->perms = UC_PROT_EXEC;
		return true;
	}
	return false;
}

static unsigned int access_of(uc_mem_type type)
{
	return type == UC_MEM_WRITE ? VMEMU_ACCESS_WRITE
	     : type == UC_MEM_FETCH ? VMEMU_ACCESS_FETCH : VMEMU_ACCESS_READ;
}

static void fault_event(struct vmemu_node *n, enum vmemu_event_kind kind,
			const struct vmemu_fault *f)
{
	struct vmemu_event ev = { .kind = kind, .as = n->active_as, .fault = *f };

	node_event(n, &ev);
}

/* The access is refused: record it for vmemu_last_fault and the event. */
static bool refuse(struct vmemu_node *n, uint64_t vaddr, uc_mem_type type, int signo,
		   int si_code)
{
	n->last_fault = (struct vmemu_fault){ vaddr, access_of(type), signo, si_code, 0, 0, 0 };
	n->fault_recorded = 1;
	fault_event(n, VMEMU_EVENT_FAULT_ERROR, &n->last_fault);
	return false;
}

static bool hook_tlb_fill(uc_engine *uc, uint64_t vaddr, uc_mem_type type,
			  uc_tlb_entry *e, void *user)
{
	struct vmemu_node *n = user;
	unsigned int flags = FAULT_FLAG_USER, prot;
	uint64_t pa;
	int si_code = FAULT_SEGV_MAPERR;

	(void)uc;
	vaddr &= PAGE_MASK;
	if (type == UC_MEM_WRITE)
		flags |= FAULT_FLAG_WRITE;
	else if (type == UC_MEM_FETCH)
		flags |= FAULT_FLAG_INSTRUCTION;

	if (vaddr >= TASK_SIZE) {
		if (fill_kernel(n, vaddr, type, e))
			return true;
		goto segv;
	}
	if (!n->active_mm)
		goto segv;
	if (!mmu_translate(n->active_mm, vaddr, flags, &pa, &prot)) {
		/* For FAULT_IN events: how it was resolved, from the counters. */
		const unsigned long *events = n->pgdat->stat.events;
		unsigned long cow0 = events[COW_FAULT], swapin0 = events[PSWPIN];
		vm_fault_t ret = handle_mm_fault(n->active_mm, vaddr, flags, &si_code);

		if (ret & VM_FAULT_ERROR) {
			if (ret & VM_FAULT_SIGBUS)
				return refuse(n, vaddr, type, SIGBUS, 2 /* BUS_ADRERR */);
			/* Out of memory even after reclaim and the OOM
			 * killer: this task is the victim (Linux's
			 * pagefault_out_of_memory leaves it to its SIGKILL). */
			if (ret & VM_FAULT_OOM)
				return refuse(n, vaddr, type, SIGKILL, 0x80 /* SI_KERNEL */);
			goto segv;
		}
		if (!mmu_translate(n->active_mm, vaddr, flags, &pa, &prot)) {
			si_code = FAULT_SEGV_ACCERR;
			goto segv;
		}
		if (n->event_mask & VMEMU_EVENT_BIT(VMEMU_EVENT_FAULT_IN)) {
			struct vmemu_fault f = { vaddr, access_of(type), 0, 0,
						 !!(ret & VM_FAULT_MAJOR), events[COW_FAULT] != cow0,
						 events[PSWPIN] != swapin0 };

			fault_event(n, VMEMU_EVENT_FAULT_IN, &f);
		}
	}
	/* Only a fetch fill may make a page executable in the TLB: the fetch is
	 * what marks the frame as holding translated code. */
	e->paddr = pa;
	e->perms = ((prot & MMU_PROT_READ) ? UC_PROT_READ : 0) |
		   ((prot & MMU_PROT_WRITE) ? UC_PROT_WRITE : 0) |
		   ((type == UC_MEM_FETCH && (prot & MMU_PROT_EXEC)) ? UC_PROT_EXEC : 0);
	if (++n->fills_since_flush >= FILLS_PER_RESIZE)
		mmu_flush_tlb(n);
	return true;
segv:
	return refuse(n, vaddr, type, SIGSEGV,
		      si_code == FAULT_SEGV_ACCERR ? 2 /* SEGV_ACCERR */ : 1 /* SEGV_MAPERR */);
}

int mmu_attach(struct vmemu_node *n)
{
	if (uc_hook_add(n->uc, &n->hook_tlb, UC_HOOK_TLB_FILL, hook_tlb_fill, n, 1, 0) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	return 0;
}

void mmu_detach(struct vmemu_node *n)
{
	if (n->hook_tlb)
		uc_hook_del(n->uc, n->hook_tlb);
	n->hook_tlb = 0;
	n->active_mm = NULL;
	n->active_as = NULL;
	uc_ctl_flush_tlb(n->uc);
}

/* A context switch to another address space: the TLB holds the old one's
 * translations. Threads of one mm need no flush (DESIGN.md fact 10). */
void node_switch_mm(struct vmemu_node *n, struct mm_struct *mm, struct vmemu_as *as)
{
	n->active_as = as;
	if (n->active_mm == mm)
		return;
	n->active_mm = mm;
	mmu_flush_tlb(n);
}
