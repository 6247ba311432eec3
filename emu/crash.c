/* Decoding the faulting instruction with Capstone: the exact si_addr of a
 * fault (the MMU hook sees only the page), and the crash report printed when
 * a signal kills a task. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "task.h"

static uint64_t reg_value(machine_t *m, x86_reg r, uint64_t next_rip)
{
	static const struct { x86_reg cs; int uc; } map[] = {
		{ X86_REG_RAX, UC_X86_REG_RAX }, { X86_REG_RBX, UC_X86_REG_RBX },
		{ X86_REG_RCX, UC_X86_REG_RCX }, { X86_REG_RDX, UC_X86_REG_RDX },
		{ X86_REG_RSI, UC_X86_REG_RSI }, { X86_REG_RDI, UC_X86_REG_RDI },
		{ X86_REG_RBP, UC_X86_REG_RBP }, { X86_REG_RSP, UC_X86_REG_RSP },
		{ X86_REG_R8, UC_X86_REG_R8 }, { X86_REG_R9, UC_X86_REG_R9 },
		{ X86_REG_R10, UC_X86_REG_R10 }, { X86_REG_R11, UC_X86_REG_R11 },
		{ X86_REG_R12, UC_X86_REG_R12 }, { X86_REG_R13, UC_X86_REG_R13 },
		{ X86_REG_R14, UC_X86_REG_R14 }, { X86_REG_R15, UC_X86_REG_R15 },
		{ X86_REG_EAX, UC_X86_REG_EAX }, { X86_REG_EBX, UC_X86_REG_EBX },
		{ X86_REG_ECX, UC_X86_REG_ECX }, { X86_REG_EDX, UC_X86_REG_EDX },
		{ X86_REG_ESI, UC_X86_REG_ESI }, { X86_REG_EDI, UC_X86_REG_EDI },
		{ X86_REG_EBP, UC_X86_REG_EBP }, { X86_REG_ESP, UC_X86_REG_ESP },
		{ X86_REG_FS, UC_X86_REG_FS_BASE }, { X86_REG_GS, UC_X86_REG_GS_BASE },
	};
	uint64_t v = 0;

	if (r == X86_REG_INVALID)
		return 0;
	if (r == X86_REG_RIP)
		return next_rip;
	for (unsigned int i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].cs == r) {
			uc_reg_read(m->uc, map[i].uc, &v);
			if (map[i].uc >= UC_X86_REG_EAX && map[i].uc <= UC_X86_REG_ESP)
				v &= 0xffffffffULL;
			return v;
		}
	}
	/* Other 32-bit registers (r8d...) via their 64-bit parents. */
	return 0;
}

/* Decodes the instruction at rip; returns the number of instructions. */
static size_t decode_at(machine_t *m, struct task_struct *t, uint64_t rip, cs_insn **insn)
{
	uint8_t code[16];
	size_t n = PAGE_SIZE - (rip & (PAGE_SIZE - 1));

	/* An instruction may end right at the end of the last mapped page. */
	if (n > sizeof(code))
		n = sizeof(code);
	if (copy_from_user(t->mm, code, rip, n))
		return 0;
	if (n < sizeof(code) && !copy_from_user(t->mm, code + n, rip + n, sizeof(code) - n))
		n = sizeof(code);
	return cs_disasm(m->capstone, code, n, rip, 1, insn);
}

uint64_t fault_address(machine_t *m, struct task_struct *t, const struct mmu_fault *f)
{
	uint64_t rip, best = f->page;
	cs_insn *insn = NULL;

	uc_reg_read(m->uc, UC_X86_REG_RIP, &rip);
	if (f->flags & FAULT_FLAG_INSTRUCTION)
		return (rip & PAGE_MASK) == f->page ? rip : f->page;
	if (!decode_at(m, t, rip, &insn))
		return best;

	cs_x86 *x = &insn->detail->x86;
	uint64_t next = rip + insn->size;
	bool found = false;

	for (int i = 0; i < x->op_count && !found; i++) {
		cs_x86_op *op = &x->operands[i];

		if (op->type != X86_OP_MEM)
			continue;
		uint64_t ea = reg_value(m, op->mem.base, next) +
			      reg_value(m, op->mem.index, next) * (uint64_t)op->mem.scale +
			      (uint64_t)op->mem.disp;
		if (op->mem.segment == X86_REG_FS || op->mem.segment == X86_REG_GS)
			ea += reg_value(m, op->mem.segment, next);
		uint64_t end = ea + (op->size ? op->size : 1) - 1;

		if ((ea & PAGE_MASK) == f->page) {
			best = ea;
			found = true;
		} else if ((end & PAGE_MASK) == f->page) {
			/* The access straddles into the faulting page. */
			best = f->page;
			found = true;
		}
	}
	if (!found) {
		/* Implicit stack accesses: push/call write below RSP. */
		uint64_t rsp = reg_value(m, X86_REG_RSP, next);

		switch (insn->id) {
		case X86_INS_PUSH: case X86_INS_CALL: case X86_INS_PUSHFQ:
			if (((rsp - 8) & PAGE_MASK) == f->page)
				best = rsp - 8;
			break;
		case X86_INS_POP: case X86_INS_RET: case X86_INS_POPFQ:
			if ((rsp & PAGE_MASK) == f->page)
				best = rsp;
			break;
		default:
			break;
		}
	}
	cs_free(insn, 1);
	return best;
}

static const char *vma_describe(struct task_struct *t, uint64_t addr, char *buf, size_t len)
{
	struct vm_area_struct *vma = t->mm ? find_vma(t->mm, addr) : NULL;

	if (!vma || vma->vm_start > addr) {
		snprintf(buf, len, "no mapping contains it");
		return buf;
	}
	snprintf(buf, len, "in %012lx-%012lx %c%c%c%c %s", (unsigned long)vma->vm_start,
		 (unsigned long)vma->vm_end,
		 vma->vm_flags & VM_READ ? 'r' : '-', vma->vm_flags & VM_WRITE ? 'w' : '-',
		 vma->vm_flags & VM_EXEC ? 'x' : '-', vma->vm_flags & VM_SHARED ? 's' : 'p',
		 vma->vm_file ? vma->vm_file->path : vma->vm_name ? vma->vm_name : "[anon]");
	return buf;
}

void crash_report(machine_t *m, struct task_struct *t, const struct k_siginfo *info)
{
	static const struct { const char *name; int uc; } regs[] = {
		{ "rax", UC_X86_REG_RAX }, { "rbx", UC_X86_REG_RBX }, { "rcx", UC_X86_REG_RCX },
		{ "rdx", UC_X86_REG_RDX }, { "rsi", UC_X86_REG_RSI }, { "rdi", UC_X86_REG_RDI },
		{ "rbp", UC_X86_REG_RBP }, { "rsp", UC_X86_REG_RSP }, { "r8", UC_X86_REG_R8 },
		{ "r9", UC_X86_REG_R9 }, { "r10", UC_X86_REG_R10 }, { "r11", UC_X86_REG_R11 },
		{ "r12", UC_X86_REG_R12 }, { "r13", UC_X86_REG_R13 }, { "r14", UC_X86_REG_R14 },
		{ "r15", UC_X86_REG_R15 }, { "rip", UC_X86_REG_RIP }, { "eflags", UC_X86_REG_EFLAGS },
		{ "fs_base", UC_X86_REG_FS_BASE },
	};
	char line[256], where[160];
	uint64_t rip, v;
	cs_insn *insn = NULL;
	size_t n;

	if (!m->cfg.log)
		return;
	uc_reg_read(m->uc, UC_X86_REG_RIP, &rip);
	machine_log(m, VMEMU_LOG_ERR, "[pid %d] %s: fatal signal %d (%s), si_code %d, address %#lx",
		    t->pid, t->comm, info->si_signo, strsignal(info->si_signo), info->si_code,
		    (unsigned long)info->u.fault.addr);
	if (info->si_signo == SIGSEGV || info->si_signo == SIGBUS)
		machine_log(m, VMEMU_LOG_ERR, "  address %#lx: %s", (unsigned long)info->u.fault.addr,
			    vma_describe(t, info->u.fault.addr, where, sizeof(where)));
	for (unsigned int i = 0; i < sizeof(regs) / sizeof(regs[0]); i += 4) {
		int off = 0;

		for (unsigned int j = i; j < i + 4 && j < sizeof(regs) / sizeof(regs[0]); j++) {
			uc_reg_read(m->uc, regs[j].uc, &v);
			off += snprintf(line + off, sizeof(line) - off, " %7s %016lx",
					regs[j].name, (unsigned long)v);
		}
		machine_log(m, VMEMU_LOG_ERR, " %s", line);
	}
	machine_log(m, VMEMU_LOG_ERR, "  rip %s", vma_describe(t, rip, where, sizeof(where)));
	/* The faulting instruction and the few after it. */
	{
		uint8_t code[48];
		size_t len = sizeof(code);

		while (len && copy_from_user(t->mm, code, rip, len))
			len /= 2;
		n = len ? cs_disasm(m->capstone, code, len, rip, 4, &insn) : 0;
		for (size_t i = 0; i < n; i++)
			machine_log(m, VMEMU_LOG_ERR, "  %s %016lx  %s %s", i ? "  " : "=>",
				    (unsigned long)insn[i].address, insn[i].mnemonic, insn[i].op_str);
		if (n)
			cs_free(insn, n);
		else
			machine_log(m, VMEMU_LOG_ERR, "  => %016lx  <code not readable>", (unsigned long)rip);
	}
}
