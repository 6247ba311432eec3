/* Building a new process image from a validated static ELF, as Linux's
 * fs/binfmt_elf.c and fs/exec.c do: the mmap layout, the segment VMAs and bss,
 * the brk, and the initial stack (strings, AT_RANDOM, argv, envp, auxv). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "loader/loader.h"

/* x86-64 with 4-level tables: the top of the stack is the end of the user
 * half (STACK_TOP = TASK_SIZE_LOW = DEFAULT_MAP_WINDOW). */
#define STACK_TOP        TASK_SIZE
/* randomize_stack_top: 22 bits of pages (16 GiB) for 64-bit tasks. */
#define STACK_RND_MASK   0x3fffffULL
/* arch_mmap_rnd with the default CONFIG_ARCH_MMAP_RND_BITS. */
#define MMAP_RND_BITS    28
/* stack_guard_gap: 256 pages kept free below a growing stack. */
#define STACK_GUARD_GAP  (256ULL << PAGE_SHIFT)
#define MMAP_GAP_MIN     (128ULL << 20)
/* Where ET_DYN programs with an interpreter go; Linux also moves a
 * static-pie's brk here, out of the mmap region. */
#define ELF_ET_DYN_BASE  (TASK_SIZE / 3 * 2)
/* arch_randomize_brk (Linux 6.1, x86): up to 32 MiB above the bss. */
#define BRK_RND_RANGE    (32ULL << 20)
/* setup_arg_pages adds this much to the stack beyond the arguments. */
#define STACK_EXPAND     (128ULL << 10)
/* _STK_LIM: the default RLIMIT_STACK. */
#define DEFAULT_STACK_RLIMIT (8ULL << 20)
/* Limits on execve's strings (include/uapi/linux/binfmts.h, linux/limits.h). */
#define MAX_ARG_STRLEN   (32 * PAGE_SIZE)
#define MAX_ARG_STRINGS  0x7fffffffULL
#define ARG_MAX_BYTES    (32 * PAGE_SIZE)
#define CLOCKS_PER_SEC_AUX 100      /* USER_HZ, for AT_CLKTCK */
/* AT_MINSIGSTKSZ is not in every libc's <elf.h>. */
#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

/* What VMAs of the image get beyond their access bits. */
#define VM_DATA_DEFAULT_FLAGS (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define VM_STACK_FLAGS (VM_GROWSDOWN | VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT)

#define ELF_PAGESTART(v)  ((v) & PAGE_MASK)
#define ELF_PAGEOFFSET(v) ((v) & (PAGE_SIZE - 1))
#define ELF_PAGEALIGN(v)  PAGE_ALIGN(v)

#define AUXV_MAX_WORDS 48

/* One exec in progress: what the steps below share. */
struct exec_ctx {
	struct mm_struct *mm;
	const struct exec_params *params;
	struct elf_image img;
	struct file *file;
	bool randomize;
	uint64_t rng_state;          /* fallback generator when params->random is NULL */

	/* execve's strings, as Linux copies them below the stack top */
	const char *execfn;
	int argc, envc;
	char *const *argv;
	char *const *envp;
	uint64_t strings_bytes;      /* execfn + envp + argv strings with their NULs */

	/* the image */
	uint64_t load_bias;
	uint64_t phdr_addr;
	uint64_t elf_brk;
	uint64_t start_code, end_code, start_data, end_data;

	/* the stack */
	uint64_t stack_top;          /* vm_end of [stack] */
	uint64_t arg_start, env_start, execfn_addr;
	uint64_t platform_addr, random_addr;
	uint64_t sp;                 /* where argc goes */
	uint64_t auxv[AUXV_MAX_WORDS];
	int auxv_words;              /* including the AT_NULL pair */
};

static uint64_t get_random_u64(struct exec_ctx *ctx)
{
	const struct exec_params *p = ctx->params;

	if (p->random)
		return p->random(p->random_ctx);
	if (!p->deterministic) {
		uint64_t v;

		if (getrandom(&v, sizeof(v), 0) == (ssize_t)sizeof(v))
			return v;
	}
	/* splitmix64: a fixed sequence, so deterministic runs repeat */
	uint64_t z = (ctx->rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t stack_rlimit(const struct exec_params *p)
{
	return p->stack_rlimit ? p->stack_rlimit : DEFAULT_STACK_RLIMIT;
}

/* Linux's arch_align_stack: a random shift below 8 KiB, then 16-byte aligned. */
static uint64_t arch_align_stack(struct exec_ctx *ctx, uint64_t sp)
{
	if (ctx->randomize)
		sp -= get_random_u64(ctx) % 8192;
	return sp & ~0xfULL;
}

/* arch/x86/mm/mmap.c: mmap_base = TASK_SIZE - gap - rnd, the gap leaving room
 * for the stack rlimit, the stack's own randomisation and the guard gap, but
 * never less than 128 MiB. With the default 8 MiB rlimit and no ASLR the gap
 * is 128 MiB and mmap_base is 0x7ffff7fff000. */
static uint64_t mmap_base(struct exec_ctx *ctx)
{
	uint64_t gap = stack_rlimit(ctx->params);
	uint64_t pad = STACK_GUARD_GAP;
	uint64_t rnd = 0;

	if (ctx->randomize) {
		pad += STACK_RND_MASK << PAGE_SHIFT;   /* stack_maxrandom_size */
		rnd = (get_random_u64(ctx) & ((1ULL << MMAP_RND_BITS) - 1)) << PAGE_SHIFT;
	}
	if (gap + pad > gap)    /* an rlimit near RLIM_INFINITY would wrap */
		gap += pad;
	if (gap < MMAP_GAP_MIN)
		gap = MMAP_GAP_MIN;
	else if (gap > TASK_SIZE / 6 * 5)
		gap = TASK_SIZE / 6 * 5;
	return PAGE_ALIGN(TASK_SIZE - gap - rnd);
}

/* randomize_stack_top, then setup_arg_pages' arch_align_stack + PAGE_ALIGN. */
static uint64_t stack_top(struct exec_ctx *ctx)
{
	uint64_t top = PAGE_ALIGN(STACK_TOP);

	if (ctx->randomize)
		top -= (get_random_u64(ctx) & STACK_RND_MASK) << PAGE_SHIFT;
	return PAGE_ALIGN(arch_align_stack(ctx, top));
}

/* ---- execve's strings: counting and limits (fs/exec.c) ---- */

static enum exec_error count_strings(char *const *v, int *count, uint64_t *bytes)
{
	uint64_t n = 0;

	for (; v && v[n]; n++) {
		size_t len = strlen(v[n]) + 1;

		if (n >= MAX_ARG_STRINGS || len > MAX_ARG_STRLEN)
			return EXEC_E2BIG;
		*bytes += len;
	}
	*count = (int)n;
	return EXEC_OK;
}

/* bprm_stack_limits + copy_strings: the strings may take a quarter of the
 * stack rlimit (at most 6 MiB, at least 128 KiB) minus room for their
 * pointers. An empty argv gets "" as argv[0], as Linux does since 5.18. */
static enum exec_error check_strings(struct exec_ctx *ctx)
{
	const struct exec_params *p = ctx->params;
	uint64_t limit, ptr_size;
	size_t execfn_len;
	enum exec_error err;

	ctx->execfn = p->execfn ? p->execfn : p->path;
	ctx->argv = p->argv;
	ctx->envp = p->envp;
	execfn_len = strlen(ctx->execfn) + 1;
	if (execfn_len > MAX_ARG_STRLEN)
		return EXEC_E2BIG;
	ctx->strings_bytes = execfn_len;
	err = count_strings(ctx->argv, &ctx->argc, &ctx->strings_bytes);
	if (err == EXEC_OK)
		err = count_strings(ctx->envp, &ctx->envc, &ctx->strings_bytes);
	if (err != EXEC_OK)
		return err;

	limit = DEFAULT_STACK_RLIMIT / 4 * 3;
	if (limit > stack_rlimit(p) / 4)
		limit = stack_rlimit(p) / 4;
	if (limit < ARG_MAX_BYTES)
		limit = ARG_MAX_BYTES;
	ptr_size = ((uint64_t)(ctx->argc ? ctx->argc : 1) + (uint64_t)ctx->envc) * sizeof(uint64_t);
	if (limit <= ptr_size)
		return EXEC_E2BIG;
	limit -= ptr_size;

	if (ctx->argc == 0)
		ctx->strings_bytes += 1;        /* the "" standing in for argv[0] */
	if (ctx->strings_bytes > limit)
		return EXEC_E2BIG;
	return EXEC_OK;
}

static enum exec_error uaccess_error(int ret)
{
	/* A kernel write into a fresh private mapping fails only when no
	 * frame (or no file page) can be had. */
	return ret == -EIO ? EXEC_EIO : EXEC_ENOMEM;
}

static enum exec_error mmap_error(int64_t ret)
{
	return ret == -EIO ? EXEC_EIO : EXEC_ENOMEM;
}

/* Later segments replace what an earlier one mapped in a shared page, as
 * MAP_FIXED (and vm_brk's munmap) do in Linux. */
static enum exec_error clear_range(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	if (vma && vma->vm_start < end && do_munmap(mm, start, end - start) < 0)
		return EXEC_ENOMEM;
	return EXEC_OK;
}

/* vm_brk_flags: anonymous, always read-write, executable on request. */
static enum exec_error map_anon(struct exec_ctx *ctx, uint64_t start, uint64_t end,
				bool exec)
{
	unsigned long flags = VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | ctx->mm->def_flags;
	enum exec_error err;
	int64_t ret;

	if (end <= start)
		return EXEC_OK;
	err = clear_range(ctx->mm, start, end);
	if (err != EXEC_OK)
		return err;
	if (exec)
		flags |= VM_EXEC;
	ret = mmap_region(ctx->mm, NULL, start, end - start, flags, start >> PAGE_SHIFT);
	return ret < 0 ? mmap_error(ret) : EXEC_OK;
}

static unsigned long vm_flags_of(const Elf64_Phdr *ph)
{
	unsigned long flags = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

	if (ph->p_flags & PF_R)
		flags |= VM_READ;
	if (ph->p_flags & PF_W)
		flags |= VM_WRITE;
	if (ph->p_flags & PF_X)
		flags |= VM_EXEC;
	return flags;
}

/* Linux's elf_load: the file part privately mapped, the tail of its last
 * page zeroed (padzero; failures ignored when the segment is read-only,
 * since the kernel's write then faults as a user write would), and whole
 * pages beyond p_filesz up to p_memsz mapped anonymous. */
static enum exec_error elf_load(struct exec_ctx *ctx, const Elf64_Phdr *ph)
{
	struct mm_struct *mm = ctx->mm;
	uint64_t addr = ctx->load_bias + ph->p_vaddr;
	uint64_t zero_start, zero_end;
	enum exec_error err;

	if (ph->p_filesz) {
		uint64_t start = ELF_PAGESTART(addr);
		uint64_t len = ELF_PAGEALIGN(ph->p_filesz + ELF_PAGEOFFSET(addr));
		uint64_t off = ph->p_offset - ELF_PAGEOFFSET(ph->p_vaddr);
		int64_t ret;

		err = clear_range(mm, start, start + len);
		if (err != EXEC_OK)
			return err;
		ret = mmap_region(mm, ctx->file, start, len,
				  vm_flags_of(ph) | mm->def_flags, off >> PAGE_SHIFT);
		if (ret < 0)
			return mmap_error(ret);

		zero_start = addr + ph->p_filesz;
		zero_end = addr + ph->p_memsz;
		if (ph->p_memsz > ph->p_filesz && ELF_PAGEOFFSET(zero_start)) {
			int r = clear_user(mm, zero_start,
					   PAGE_SIZE - ELF_PAGEOFFSET(zero_start));

			if (r < 0 && (ph->p_flags & PF_W))
				return uaccess_error(r);
		}
	} else {
		zero_start = ELF_PAGESTART(addr);
		zero_end = addr + ph->p_memsz;
	}
	if (ph->p_memsz > ph->p_filesz)
		return map_anon(ctx, ELF_PAGEALIGN(zero_start), ELF_PAGEALIGN(zero_end),
				ph->p_flags & PF_X);
	return EXEC_OK;
}

/* Linux's maximum_alignment: the largest power-of-two p_align of a PT_LOAD. */
static uint64_t maximum_alignment(const struct elf_image *img)
{
	uint64_t align = PAGE_SIZE;

	for (unsigned int i = 0; i < img->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->phdr[i];

		if (ph->p_type != PT_LOAD || ph->p_align == 0 ||
		    (ph->p_align & (ph->p_align - 1)))
			continue;
		if (ph->p_align > align)
			align = ph->p_align;
	}
	return align;
}

/* Where the image goes. ET_EXEC: where it says. A static-pie (ET_DYN without
 * PT_INTERP) is, to Linux, a loader: load_bias 0 without MAP_FIXED, so the
 * first mapping of the whole image lands top-down below mmap_base (with the
 * mm still empty: ending exactly at mmap_base), then aligned down to the
 * largest p_align as Linux >= 6.10 does. */
static enum exec_error choose_load_bias(struct exec_ctx *ctx, uint64_t lo, uint64_t hi)
{
	uint64_t span = ELF_PAGEALIGN(hi) - ELF_PAGESTART(lo);
	uint64_t bias;

	if (ctx->img.ehdr.e_type == ET_EXEC) {
		ctx->load_bias = 0;
		return EXEC_OK;
	}
	if (span > ctx->mm->mmap_base)
		return EXEC_ENOMEM;
	bias = ctx->mm->mmap_base - span - ELF_PAGESTART(lo);
	bias &= ~(maximum_alignment(&ctx->img) - 1);
	ctx->load_bias = bias;
	return EXEC_OK;
}

/* The PT_LOAD loop of load_elf_binary, with its bookkeeping of code, data
 * and brk, and AT_PHDR from the segment that holds the program headers. */
static enum exec_error map_segments(struct exec_ctx *ctx)
{
	const struct elf_image *img = &ctx->img;
	uint64_t lo = UINT64_MAX, hi = 0;
	uint64_t start_code = UINT64_MAX, end_code = 0, start_data = 0, end_data = 0;
	uint64_t elf_brk = 0, phdr_addr = 0;
	enum exec_error err;

	for (unsigned int i = 0; i < img->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_vaddr < lo)
			lo = ph->p_vaddr;
		if (ph->p_vaddr + ph->p_memsz > hi)
			hi = ph->p_vaddr + ph->p_memsz;
	}
	err = choose_load_bias(ctx, lo, hi);
	if (err != EXEC_OK)
		return err;
	/* The stack already sits above; MAP_FIXED_NOREPLACE would refuse. */
	if (ctx->load_bias + ELF_PAGEALIGN(hi) > TASK_SIZE ||
	    clear_range_would_hit(ctx->mm, ctx->load_bias + ELF_PAGESTART(lo),
				  ctx->load_bias + ELF_PAGEALIGN(hi)))
		return EXEC_ENOMEM;

	for (unsigned int i = 0; i < img->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->phdr[i];
		uint64_t k;

		if (ph->p_type != PT_LOAD)
			continue;
		err = elf_load(ctx, ph);
		if (err != EXEC_OK)
			return err;

		if (ph->p_offset <= img->ehdr.e_phoff &&
		    img->ehdr.e_phoff < ph->p_offset + ph->p_filesz)
			phdr_addr = img->ehdr.e_phoff - ph->p_offset + ph->p_vaddr;

		k = ph->p_vaddr;
		if ((ph->p_flags & PF_X) && k < start_code)
			start_code = k;
		if (start_data < k)
			start_data = k;
		k = ph->p_vaddr + ph->p_filesz;
		if ((ph->p_flags & PF_X) && end_code < k)
			end_code = k;
		if (end_data < k)
			end_data = k;
		k = ph->p_vaddr + ph->p_memsz;
		if (k > elf_brk)
			elf_brk = k;
	}

	ctx->phdr_addr = phdr_addr + ctx->load_bias;
	ctx->elf_brk = elf_brk + ctx->load_bias;
	/* Unsigned wrap-around of an absent code segment is Linux's too. */
	ctx->start_code = start_code + ctx->load_bias;
	ctx->end_code = end_code + ctx->load_bias;
	ctx->start_data = start_data + ctx->load_bias;
	ctx->end_data = end_data + ctx->load_bias;
	return EXEC_OK;
}
