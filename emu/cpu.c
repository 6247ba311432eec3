/* The guest CPU: a Unicorn x86-64 engine pinned to one CPU model, in
 * virtual-TLB mode, with guest RAM mapped at guest-physical 0; and CPUID
 * answering exactly the features that model executes. */
#include <string.h>
#include "machine.h"

/* Features the Haswell model advertises but Unicorn's TCG cannot run
 * (VEX-encoded AVX and friends), or that need OS support vmemu does not
 * give (XSAVE: signal frames are fxsave-format), per DESIGN.md fact 9. */
#define CPUID1_ECX_HIDDEN ((1u << 12) /* FMA */ | (1u << 26) /* XSAVE */ | \
			   (1u << 27) /* OSXSAVE */ | (1u << 28) /* AVX */ | \
			   (1u << 29) /* F16C */)
#define CPUID7_EBX_HIDDEN ((1u << 0) /* FSGSBASE: CR4.FSGSBASE is off */ | \
			   (1u << 5) /* AVX2 */ | (1u << 16) /* AVX512F */ | \
			   (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | \
			   (1u << 28) | (1u << 30) | (1u << 31))

static const uint8_t trampoline_code[] = { 0x0f, 0x0b }; /* ud2 */
static const uint8_t cpuid_code[] = { 0x0f, 0xa2 };      /* cpuid */
static const uint8_t iretq_code[] = { 0x48, 0xcf };      /* iretq */

static const uint8_t divzero_code[] = { 0x31, 0xc9, 0xf7, 0xf1 }; /* xor ecx,ecx; div ecx */

/* The trampoline page's layout. */
#define CPUID_PROBE_OFFSET 0x100
#define DIVZERO_OFFSET     0x180
#define IRETQ_OFFSET       0x200
#define GDT_OFFSET         0x900
#define X86_CR4_OSFXSR     (1u << 9)
#define X86_CR4_OSXMMEXCPT (1u << 10)
#define IRET_FRAME_OFFSET  0xa00

/* Linux's x86-64 GDT entries (arch/x86/include/asm/segment.h): guests see
 * __USER_CS 0x33 and __USER_DS 0x2b. Descriptors are pre-accessed, so
 * loading them never writes the table. */
static const uint64_t gdt[] = {
	0,
	0x00af9b000000ffffULL,  /* 0x08 kernel code, 64-bit */
	0x00cf93000000ffffULL,  /* 0x10 kernel data */
	0x00cffb000000ffffULL,  /* 0x18 (unused) */
	0x00cffb000000ffffULL,  /* 0x23 user code, 32-bit */
	0x00cff3000000ffffULL,  /* 0x2b user data */
	0x00affb000000ffffULL,  /* 0x33 user code, 64-bit */
};
#define USER_CS 0x33
#define USER_DS 0x2b

/* Runs the model's own CPUID once, before any guest exists. */
static int cpuid_probe(machine_t *m, uint32_t leaf, uint32_t sub, struct cpuid_leaf *out)
{
	uint64_t rax = leaf, rcx = sub, rbx = 0, rdx = 0;
	uint64_t start = KERNEL_TRAMPOLINE + CPUID_PROBE_OFFSET;

	uc_reg_write(m->uc, UC_X86_REG_RAX, &rax);
	uc_reg_write(m->uc, UC_X86_REG_RCX, &rcx);
	if (uc_emu_start(m->uc, start, start + sizeof(cpuid_code), 0, 0) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	uc_reg_read(m->uc, UC_X86_REG_RAX, &rax);
	uc_reg_read(m->uc, UC_X86_REG_RBX, &rbx);
	uc_reg_read(m->uc, UC_X86_REG_RCX, &rcx);
	uc_reg_read(m->uc, UC_X86_REG_RDX, &rdx);
	*out = (struct cpuid_leaf){ leaf, sub, (uint32_t)rax, (uint32_t)rbx,
				    (uint32_t)rcx, (uint32_t)rdx };
	return 0;
}

static int cpuid_add(machine_t *m, uint32_t leaf, uint32_t sub)
{
	struct cpuid_leaf *l;

	if (m->nr_cpuid >= MAX_CPUID_LEAVES)
		return 0;
	l = &m->cpuid[m->nr_cpuid];
	if (cpuid_probe(m, leaf, sub, l))
		return VMEMU_ERR_UNICORN;
	switch (leaf) {
	case 1:
		l->ecx &= ~CPUID1_ECX_HIDDEN;
		break;
	case 7:
		l->ebx &= ~CPUID7_EBX_HIDDEN;
		break;
	case 0xd:
		/* No XSAVE: its enumeration leaf is empty. */
		l->eax = l->ebx = l->ecx = l->edx = 0;
		break;
	}
	m->nr_cpuid++;
	return 0;
}

static int cpuid_build(machine_t *m)
{
	struct cpuid_leaf top;
	uint32_t max, leaf;
	int err = 0;

	if (cpuid_probe(m, 0, 0, &top))
		return VMEMU_ERR_UNICORN;
	max = top.eax;
	for (leaf = 0; leaf <= max && !err; leaf++) {
		uint32_t subs = leaf == 4 ? 5 : leaf == 0xb ? 2 : leaf == 0xd ? 3 : 1;

		for (uint32_t sub = 0; sub < subs && !err; sub++)
			err = cpuid_add(m, leaf, sub);
	}
	if (cpuid_probe(m, 0x80000000, 0, &top))
		return VMEMU_ERR_UNICORN;
	max = top.eax;
	for (leaf = 0x80000000; leaf <= max && !err; leaf++)
		err = cpuid_add(m, leaf, 0);
	return err;
}

const struct cpuid_leaf *cpuid_lookup(const machine_t *m, uint32_t leaf, uint32_t sub)
{
	for (int i = 0; i < m->nr_cpuid; i++) {
		const struct cpuid_leaf *l = &m->cpuid[i];

		if (l->leaf == leaf && (l->sub == sub || (leaf != 4 && leaf != 7 && leaf != 0xb &&
							  leaf != 0xd)))
			return l;
	}
	return NULL;
}

static int hook_cpuid(uc_engine *uc, void *user)
{
	machine_t *m = user;
	uint64_t rax, rcx, out[4] = { 0, 0, 0, 0 };
	const struct cpuid_leaf *l;

	uc_reg_read(uc, UC_X86_REG_RAX, &rax);
	uc_reg_read(uc, UC_X86_REG_RCX, &rcx);
	l = cpuid_lookup(m, (uint32_t)rax, (uint32_t)rcx);
	if (l) {
		out[0] = l->eax;
		out[1] = l->ebx;
		out[2] = l->ecx;
		out[3] = l->edx;
	}
	uc_reg_write(uc, UC_X86_REG_RAX, &out[0]);
	uc_reg_write(uc, UC_X86_REG_RBX, &out[1]);
	uc_reg_write(uc, UC_X86_REG_RCX, &out[2]);
	uc_reg_write(uc, UC_X86_REG_RDX, &out[3]);
	return 1; /* the instruction is done */
}

/* The engine, pinned to a model before anything initialises the CPU:
 * Unicorn's default lacks SSSE3/SSE4.2/POPCNT that glibc's ifuncs pick,
 * and 2.1.3+ changed the default (fact 9). */
int cpu_open(machine_t *m)
{
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &m->uc) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	if (uc_ctl_set_cpu_model(m->uc, UC_CPU_X86_HASWELL) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	return 0;
}

static uint8_t *trampoline(machine_t *m)
{
	return m->mmu->ram + (m->mmu->trampoline_pfn << PAGE_SHIFT);
}

/* Once the node is attached: the machine's code in the node's trampoline
 * frame, which holds `until`; a guest jumping into the page meets ud2. The
 * CPUID probe runs there once, before any guest. */
int cpu_init(machine_t *m)
{
	uint8_t *tramp = trampoline(m);
	uc_x86_mmr gdtr = { .base = KERNEL_TRAMPOLINE + GDT_OFFSET, .limit = sizeof(gdt) - 1 };
	uint64_t cr4 = 0;

	memcpy(tramp, trampoline_code, sizeof(trampoline_code));
	memcpy(tramp + CPUID_PROBE_OFFSET, cpuid_code, sizeof(cpuid_code));
	memcpy(tramp + IRETQ_OFFSET, iretq_code, sizeof(iretq_code));
	memcpy(tramp + DIVZERO_OFFSET, divzero_code, sizeof(divzero_code));
	memcpy(tramp + GDT_OFFSET, gdt, sizeof(gdt));
	if (uc_reg_write(m->uc, UC_X86_REG_GDTR, &gdtr) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	/* Linux runs with CR4.OSFXSR and OSXMMEXCPT set; without OSFXSR,
	 * QEMU's fxsave/fxrstor skip MXCSR and the XMM registers, and
	 * glibc's lazy binding (_dl_runtime_resolve_fxsave) loses the
	 * arguments of the first call of each function (log(4.0) gave 0). */
	uc_reg_read(m->uc, UC_X86_REG_CR4, &cr4);
	cr4 |= X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	if (uc_reg_write(m->uc, UC_X86_REG_CR4, &cr4) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	return 0;
}

/* Guests run at CPL 3, as on Linux, so privileged instructions fault. Unicorn
 * starts at CPL 0 and writing CS does not lower it; an iretq from the
 * kernel's trampoline does (DESIGN.md fact 4). A task entering user mode
 * afresh (start, execve) resumes at that iretq; its frame is written by
 * cpu_write_iret_frame just before it runs, since the page is shared by all
 * tasks. */
void cpu_enter_user(machine_t *m)
{
	uint64_t start = KERNEL_TRAMPOLINE + IRETQ_OFFSET;
	uint64_t kstack = KERNEL_TRAMPOLINE + IRET_FRAME_OFFSET;

	uc_reg_write(m->uc, UC_X86_REG_RSP, &kstack);
	uc_reg_write(m->uc, UC_X86_REG_RIP, &start);
}

bool cpu_at_user_entry(uint64_t rip)
{
	return rip == KERNEL_TRAMPOLINE + IRETQ_OFFSET;
}

void cpu_write_iret_frame(machine_t *m, uint64_t rip, uint64_t rsp)
{
	uint64_t *frame = (uint64_t *)(trampoline(m) + IRET_FRAME_OFFSET);

	frame[0] = rip;
	frame[1] = USER_CS;
	frame[2] = 0x202;     /* IF, as Linux starts a process */
	frame[3] = rsp;
	frame[4] = USER_DS;
}

static void probe_intr(uc_engine *uc, uint32_t intno, void *user)
{
	uc_emu_stop(uc);
}

/* QEMU remembers the exception in flight (env->old_exception) until its
 * interrupt delivery resets it, and Unicorn never runs that delivery: the
 * next #GP or #DE then turns into a double fault and the one after into a
 * triple-fault reset. vmemu resets the field after each exception through
 * a saved context. Its offset in the context is found here by raising #DE
 * once: the only int that goes from -1 to 0. */
static int exception_state_probe(machine_t *m)
{
	size_t size = uc_context_size(m->uc);
	uc_context *before = NULL, *after = NULL;
	uc_hook h;
	uint64_t v = 5, start = KERNEL_TRAMPOLINE + DIVZERO_OFFSET;
	int found = 0;

	m->exception_state_offset = 0;
	if (uc_context_alloc(m->uc, &before) || uc_context_alloc(m->uc, &after))
		goto out;
	uc_reg_write(m->uc, UC_X86_REG_RAX, &v);
	uc_reg_write(m->uc, UC_X86_REG_RCX, &v);
	uc_reg_write(m->uc, UC_X86_REG_RDX, &v);
	uc_context_save(m->uc, before);
	if (uc_hook_add(m->uc, &h, UC_HOOK_INTR, probe_intr, m, 1, 0) != UC_ERR_OK)
		goto out;
	uc_emu_start(m->uc, start, start + sizeof(divzero_code), 0, 0);
	uc_hook_del(m->uc, h);
	uc_context_save(m->uc, after);
	for (size_t off = 0; off + 4 <= size; off += 4) {
		int32_t a, b;

		memcpy(&a, (char *)before + off, 4);
		memcpy(&b, (char *)after + off, 4);
		if (a == -1 && b == 0) {
			m->exception_state_offset = off;
			found++;
		}
	}
	if (found != 1)
		m->exception_state_offset = 0;
	else
		cpu_clear_exception_state(m);
out:
	if (before)
		uc_context_free(before);
	if (after)
		uc_context_free(after);
	return 0;
}

void cpu_clear_exception_state(machine_t *m)
{
	uc_context *ctx;
	int32_t none = -1;

	if (!m->exception_state_offset || uc_context_alloc(m->uc, &ctx))
		return;
	uc_context_save(m->uc, ctx);
	memcpy((char *)ctx + m->exception_state_offset, &none, sizeof(none));
	uc_context_restore(m->uc, ctx);
	uc_context_free(ctx);
}

/* After the MMU hook is in place (the probe fetches through it). */
int cpu_init_cpuid(machine_t *m)
{
	int err = cpuid_build(m);

	if (err)
		return err;
	exception_state_probe(m);
	if (!m->exception_state_offset)
		machine_log(m, VMEMU_LOG_WARNING, "cannot find the CPU's exception state: "
			    "a second CPU exception may become a double fault");
	if (uc_hook_add(m->uc, &m->hook_cpuid, UC_HOOK_INSN, hook_cpuid, m, 1, 0,
			UC_X86_INS_CPUID) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	return 0;
}

uint64_t cpu_hwcap(const machine_t *m)
{
	const struct cpuid_leaf *l = cpuid_lookup(m, 1, 0);

	return l ? l->edx : 0;
}
