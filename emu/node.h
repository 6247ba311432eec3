/* The node: guest physical memory attached to a Unicorn engine, the guest
 * mm's pglist_data over it, and the software MMU's state (mmu.c). Both the
 * mm-level API (node.c) and the machine (machine.c) drive one of these; the
 * public handle is struct vmemu_node. Internal to libvmemu. */
#ifndef EMU_NODE_H
#define EMU_NODE_H

#include <unicorn/unicorn.h>
#include <vmemu/mm.h>

#include "guestmm/mm.h"

/* Kernel-only virtual addresses the MMU hook maps itself. The trampoline
 * page holds `until` for uc_emu_start: when a run ends, Unicorn looks up
 * the page of until - 1 for a fetch (tests/unit/test_unicorn_contract.c), so
 * `until` sits mid-page. The direct map is the alias through which the
 * translated code of a frame is invalidated. */
#define KERNEL_TRAMPOLINE   0xffffffff80000000ULL
#define KERNEL_UNTIL        (KERNEL_TRAMPOLINE + 0x800)
#define KERNEL_DIRECT_MAP   0xffff888000000000ULL

/* An address space handed out by the mm-level API. The machine's processes
 * use bare mm_structs; the hook needs only the mm. */
struct vmemu_as {
	struct vmemu_node *node;
	struct mm_struct *mm;
	struct list_head link;          /* in node->address_spaces */
};

struct vmemu_node {
	uc_engine *uc;                  /* the caller's (or the machine's) engine */
	uc_hook hook_tlb;
	uint8_t *ram;                   /* guest-physical 0, host mapping */
	uint64_t ram_bytes;
	int ram_mapped;                 /* uc_mem_map_ptr succeeded */
	int engine_closing;             /* uc_close follows the node's end:
	                                   skip uc_mem_unmap, which flushes
	                                   the TLB page by page (7 ms for
	                                   256 MiB) */
	struct pglist_data *pgdat;      /* the guest mm's node over ram */
	pfn_t trampoline_pfn;           /* frame of KERNEL_TRAMPOLINE */

	/* MMU hook state */
	struct mm_struct *active_mm;    /* whose tables the hook walks */
	struct vmemu_as *active_as;     /* its handle, when it has one */
	int invalidating_code;          /* the direct map may be fetched */
	int tlb_batch;                  /* in a batch (mmu_tlb_batch_begin): */
	int tlb_flush_pending;          /* a flush waits for its end */
	uint64_t fills_since_flush;     /* lets QEMU's TLB grow (fact 3) */
	struct vmemu_fault last_fault;  /* the latest refused fill */
	int fault_recorded;

	struct list_head address_spaces; /* struct vmemu_as, destroyed with the node */

	/* The machine that owns the node, or NULL at the mm layer: guestmm
	 * calls that need processes (an OOM kill chooses among tasks) reach
	 * it through node_mm_ops with this. */
	struct vmemu_machine *machine;

	vmemu_log_fn log;
	void *log_ctx;
	vmemu_event_fn event;
	void *event_ctx;
	unsigned int event_mask;
};

/* mmu.c: the fill hook and the TLB-coherence operations guestmm calls. */
int mmu_attach(struct vmemu_node *n);
/* Around guest-kernel work that runs no guest code (a syscall): the TLB
 * flushes it asks for become one at the end (mmu.c). */
void mmu_tlb_batch_begin(struct vmemu_node *n);
void mmu_tlb_batch_end(struct vmemu_node *n);
/* Drop every translation of guest code (a hook added or removed must see
 * all blocks translated again): node.c. */
void node_drop_translations(struct vmemu_node *n);
void mmu_detach(struct vmemu_node *n);
/* A context switch to another address space: flushes when it changes. */
void node_switch_mm(struct vmemu_node *n, struct mm_struct *mm, struct vmemu_as *as);
extern const struct mm_host_ops node_mm_ops;

/* node.c */
void node_log(struct vmemu_node *n, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void node_event(struct vmemu_node *n, const struct vmemu_event *ev);

#endif
