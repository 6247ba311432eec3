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
#define CPUID7_EBX_HIDDEN ((1u << 5) /* AVX2 */ | (1u << 16) /* AVX512F */ | \
			   (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | \
			   (1u << 28) | (1u << 30) | (1u << 31))

static const uint8_t trampoline_code[] = { 0x0f, 0x0b }; /* ud2 */
static const uint8_t cpuid_code[] = { 0x0f, 0xa2 };      /* cpuid */
#define CPUID_PROBE_OFFSET 0x100

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

int cpu_init(machine_t *m)
{
	uint8_t *tramp;

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &m->uc) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	/* Unicorn's default model lacks SSSE3/SSE4.2/POPCNT that glibc's ifuncs
	 * pick, and 2.1.3+ changed the default: always say which (fact 9). */
	if (uc_ctl_set_cpu_model(m->uc, UC_CPU_X86_HASWELL) != UC_ERR_OK ||
	    uc_ctl_tlb_mode(m->uc, UC_TLB_VIRTUAL) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	if (uc_mem_map_ptr(m->uc, 0, m->ram_bytes, UC_PROT_ALL, m->ram) != UC_ERR_OK)
		return VMEMU_ERR_UNICORN;
	/* The trampoline frame holds `until`; a guest jumping into the page
	 * meets ud2. The CPUID probe runs there once, before any guest. */
	tramp = m->ram + (m->trampoline_pfn << PAGE_SHIFT);
	memcpy(tramp, trampoline_code, sizeof(trampoline_code));
	memcpy(tramp + CPUID_PROBE_OFFSET, cpuid_code, sizeof(cpuid_code));
	return 0;
}

/* After the MMU hook is in place (the probe fetches through it). */
int cpu_init_cpuid(machine_t *m)
{
	int err = cpuid_build(m);

	if (err)
		return err;
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
