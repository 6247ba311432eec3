/* Building a new process image from a validated ELF, as Linux's
 * fs/binfmt_elf.c and fs/exec.c do: the mmap layout, the segment VMAs and bss
 * of the program and of its PT_INTERP interpreter, the brk, and the initial
 * stack (strings, AT_RANDOM, argv, envp, auxv). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "loader/loader.h"

/* x86-64 with 4-level tables: the top of the stack is the end of the user
 * half (STACK_TOP = TASK_SIZE_LOW = DEFAULT_MAP_WINDOW). */
#define STACK_TOP        TASK_SIZE
/* randomize_stack_top: 22 bits of pages (16 GiB) for 64-bit tasks. */
#define STACK_RND_MASK   0x3fffffULL
/* arch_mmap_rnd with the default CONFIG_ARCH_MMAP_RND_BITS. */
#define MMAP_RND_BITS    28
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
	struct elf_image interp;     /* the PT_INTERP file, when img.interp */
	struct file *interp_file;
	uint64_t interp_base;        /* its load address: AT_BASE */
	bool randomize;
	uint64_t rng_state;          /* fallback generator when params->random is NULL */

	/* execve's strings, as Linux copies them below the stack top */
	const char *execfn;
	int argc, envc;
	char *const *argv;
	char *const *envp;
	uint64_t strings_bytes;      /* execfn + envp + argv strings with their NULs */
	uint64_t env_bytes, arg_bytes;

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

/* arch_mmap_rnd: MMAP_RND_BITS of pages. */
static uint64_t arch_mmap_rnd(struct exec_ctx *ctx)
{
	return (get_random_u64(ctx) & ((1ULL << MMAP_RND_BITS) - 1)) << PAGE_SHIFT;
}

/* arch_pick_mmap_layout: the gap below the stack leaves room for the stack
 * rlimit and the stack's own randomisation (arch_mmap_base adds the guard
 * gap and clamps to at least 128 MiB), then the mmap randomisation. With the
 * default 8 MiB rlimit and no ASLR the gap is 128 MiB: 0x7ffff7fff000. */
static uint64_t mmap_base(struct exec_ctx *ctx)
{
	uint64_t gap = stack_rlimit(ctx->params);
	uint64_t rnd = 0;

	/* Near RLIM_INFINITY the sum would wrap; anything past TASK_SIZE is
	 * clamped to 5/6 of it anyway. */
	if (gap > TASK_SIZE)
		gap = TASK_SIZE;
	if (ctx->randomize) {
		gap += STACK_RND_MASK << PAGE_SHIFT;   /* stack_maxrandom_size */
		rnd = arch_mmap_rnd(ctx);
	}
	return arch_mmap_base(gap, rnd);
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
	err = count_strings(ctx->argv, &ctx->argc, &ctx->arg_bytes);
	if (err == EXEC_OK)
		err = count_strings(ctx->envp, &ctx->envc, &ctx->env_bytes);
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
		ctx->arg_bytes = 1;             /* the "" standing in for argv[0] */
	ctx->strings_bytes = execfn_len + ctx->env_bytes + ctx->arg_bytes;
	if (ctx->strings_bytes > limit)
		return EXEC_E2BIG;
	return EXEC_OK;
}

/* uaccess gives only -EFAULT; a kernel write into a fresh private mapping
 * fails only when no frame can be had (or the file page cannot be read). */
static enum exec_error uaccess_error(int ret)
{
	(void)ret;
	return EXEC_ENOMEM;
}

static enum exec_error mmap_error(int64_t ret)
{
	return ret == -EIO ? EXEC_EIO : EXEC_ENOMEM;
}

static bool range_is_mapped(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return vma && vma->vm_start < end;
}

/* vm_brk_flags: anonymous, always read-write, executable on request. Like
 * every mapping here it replaces what an earlier segment mapped in a shared
 * page (mmap_region unmaps first, as MAP_FIXED does). */
static enum exec_error map_anon(struct exec_ctx *ctx, uint64_t start, uint64_t end,
				bool exec)
{
	unsigned long flags = VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | ctx->mm->def_flags;
	int64_t ret;

	if (end <= start)
		return EXEC_OK;
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
static enum exec_error elf_load(struct exec_ctx *ctx, struct file *file, uint64_t bias,
			       const Elf64_Phdr *ph)
{
	struct mm_struct *mm = ctx->mm;
	uint64_t addr = bias + ph->p_vaddr;
	uint64_t zero_start, zero_end;

	if (ph->p_filesz) {
		uint64_t start = ELF_PAGESTART(addr);
		uint64_t len = ELF_PAGEALIGN(ph->p_filesz + ELF_PAGEOFFSET(addr));
		uint64_t off = ph->p_offset - ELF_PAGEOFFSET(ph->p_vaddr);
		int64_t ret;

		ret = mmap_region(mm, file, start, len,
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

/* The PT_LOADs' extent: the lowest p_vaddr and its header, and the end of
 * the highest segment (validation guarantees at least one PT_LOAD). */
static const Elf64_Phdr *load_span(const struct elf_image *img, uint64_t *lo, uint64_t *hi)
{
	const Elf64_Phdr *first = NULL;

	*lo = UINT64_MAX;
	*hi = 0;
	for (unsigned int i = 0; i < img->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_vaddr < *lo) {
			*lo = ph->p_vaddr;
			first = ph;
		}
		if (ph->p_vaddr + ph->p_memsz > *hi)
			*hi = ph->p_vaddr + ph->p_memsz;
	}
	return first;
}

/* Where the image goes. ET_EXEC: where it says. A PIE with an interpreter:
 * at ELF_ET_DYN_BASE (0x555555554000 without ASLR) plus arch_mmap_rnd,
 * aligned down to the largest p_align, out of the mmap region's way. A
 * static-pie (ET_DYN without PT_INTERP) is, to Linux, a loader: load_bias 0
 * without MAP_FIXED, so the whole image goes where get_unmapped_area puts
 * it, top-down below mmap_base (in an empty mm: ending exactly at
 * mmap_base), then aligned down to the largest p_align, as recent Linux
 * does. */
static enum exec_error choose_load_bias(struct exec_ctx *ctx, const Elf64_Phdr *first,
					uint64_t lo, uint64_t hi)
{
	uint64_t span = ELF_PAGEALIGN(hi) - ELF_PAGESTART(lo);
	int64_t addr;

	if (ctx->img.ehdr.e_type == ET_EXEC) {
		ctx->load_bias = 0;
		return EXEC_OK;
	}
	if (ctx->img.interp) {
		uint64_t bias = ELF_ET_DYN_BASE;

		if (ctx->randomize)
			bias += arch_mmap_rnd(ctx);
		bias &= ~(maximum_alignment(&ctx->img) - 1);
		ctx->load_bias = ELF_PAGESTART(bias - first->p_vaddr);
		return EXEC_OK;
	}
	addr = get_unmapped_area(ctx->mm, ctx->file, 0, span,
				 first->p_offset >> PAGE_SHIFT, MAP_PRIVATE);
	if (addr < 0)
		return EXEC_ENOMEM;
	ctx->load_bias = ((uint64_t)addr - ELF_PAGESTART(lo)) &
			 ~(maximum_alignment(&ctx->img) - 1);
	return EXEC_OK;
}

/* The PT_LOAD loop of load_elf_binary, with its bookkeeping of code, data
 * and brk, and AT_PHDR from the segment that holds the program headers. */
static enum exec_error map_segments(struct exec_ctx *ctx)
{
	const struct elf_image *img = &ctx->img;
	const Elf64_Phdr *first;
	uint64_t lo, hi;
	uint64_t start_code = UINT64_MAX, end_code = 0, start_data = 0, end_data = 0;
	uint64_t elf_brk = 0, phdr_addr = 0;
	enum exec_error err;

	first = load_span(img, &lo, &hi);
	err = choose_load_bias(ctx, first, lo, hi);
	if (err != EXEC_OK)
		return err;
	/* Linux maps the first segment MAP_FIXED_NOREPLACE: an image that
	 * does not fit, or meets a mapping already there, fails the exec. */
	if (ctx->load_bias + ELF_PAGESTART(lo) < MMAP_MIN_ADDR && ctx->img.ehdr.e_type == ET_DYN)
		return EXEC_ENOMEM;
	if (ctx->load_bias + ELF_PAGEALIGN(hi) > TASK_SIZE ||
	    range_is_mapped(ctx->mm, ctx->load_bias + ELF_PAGESTART(lo),
			    ctx->load_bias + ELF_PAGEALIGN(hi)))
		return EXEC_ENOMEM;

	for (unsigned int i = 0; i < img->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->phdr[i];
		uint64_t k;

		if (ph->p_type != PT_LOAD)
			continue;
		err = elf_load(ctx, ctx->file, ctx->load_bias, ph);
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

/* arch_randomize_brk via randomize_page: a page in [start, start + range). */
static uint64_t randomize_page(struct exec_ctx *ctx, uint64_t start, uint64_t range)
{
	if (start > UINT64_MAX - range)
		range = UINT64_MAX - start;
	range >>= PAGE_SHIFT;
	if (range == 0)
		return start;
	return start + ((get_random_u64(ctx) % range) << PAGE_SHIFT);
}

/* The brk starts at the page after the bss. A static-pie is loaded in the
 * mmap region, where a brk growing up would soon meet other mappings, so
 * recent Linux (6.18 here: [heap] at 0x555555555000 under setarch -R) moves
 * its brk to ELF_ET_DYN_BASE with or without ASLR; with ASLR, a page of gap
 * (unless moved) and up to 32 MiB of randomness follow. A PIE with an
 * interpreter already sits at ELF_ET_DYN_BASE: its brk follows its bss. */
static void set_brk(struct exec_ctx *ctx)
{
	uint64_t brk = ctx->elf_brk;
	bool moved = false;

	if (ctx->img.ehdr.e_type == ET_DYN && !ctx->img.interp) {
		brk = ELF_ET_DYN_BASE;
		moved = true;
	}
	brk = ELF_PAGEALIGN(brk);
	if (ctx->randomize) {
		if (!moved)
			brk += PAGE_SIZE;
		brk = randomize_page(ctx, brk, BRK_RND_RANGE);
	}
	ctx->mm->start_brk = ctx->mm->brk = brk;
}

/* The interpreter's errors, as execve reports them: a missing file is
 * ENOENT (what a shell calls "required file not found"), one that is no
 * loadable x86-64 ELF is ELIBBAD ("Accessing a corrupted shared library"). */
static enum exec_error interp_error(enum exec_error err)
{
	switch (err) {
	case EXEC_ENOENT:
		return EXEC_ENOENT_INTERP;
	case EXEC_EISDIR:
		return EXEC_EACCES;
	case EXEC_ENOEXEC_TRUNC:
	case EXEC_ENOEXEC_CLASS:
	case EXEC_ENOEXEC_DATA:
	case EXEC_ENOEXEC_MACHINE:
	case EXEC_ENOEXEC_TYPE:
	case EXEC_ENOEXEC_PHDR:
		return EXEC_ELIBBAD;
	default:
		return err;
	}
}

/* open_exec of the PT_INTERP name, resolved as the guest sees files. */
static enum exec_error open_interp(struct exec_ctx *ctx)
{
	const struct exec_params *p = ctx->params;
	const char *name = ctx->img.interp;
	char *host, *maps_name = NULL;
	enum exec_error err;
	int rerr = -ENOENT;

	if (p->resolve_interp) {
		host = p->resolve_interp(p->resolve_ctx, name, &maps_name, &rerr);
		if (!host)
			return rerr == -ENOMEM ? EXEC_ENOMEM
			       : rerr == -EACCES ? EXEC_EACCES : EXEC_ENOENT_INTERP;
	} else {
		host = strdup(name);
		maps_name = strdup(name);
	}
	if (!host || !maps_name) {
		err = EXEC_ENOMEM;
		goto out;
	}
	err = elf_open_image(host, &ctx->interp);
	if (err != EXEC_OK) {
		struct stat st;

		/* Linux reads the interpreter's ELF header first: a file too
		 * short to hold one is a short read, EIO. */
		if (err == EXEC_ENOEXEC_TRUNC && stat(host, &st) == 0 &&
		    (uint64_t)st.st_size < sizeof(Elf64_Ehdr))
			err = EXEC_EIO;
		else
			err = interp_error(err);
		goto out;
	}
	ctx->interp_file = file_from_fd(ctx->interp.fd, maps_name);
	if (!ctx->interp_file) {
		err = EXEC_ENOMEM;
		goto out;
	}
	ctx->interp.fd = -1;
out:
	free(host);
	free(maps_name);
	return err;
}

/* load_elf_interp: an ET_DYN interpreter (every real ld.so) goes as one
 * block where get_unmapped_area puts it, top-down below mmap_base; an
 * ET_EXEC one where it says. Its bss is mapped like the program's. */
static enum exec_error load_elf_interp(struct exec_ctx *ctx)
{
	const struct elf_image *img = &ctx->interp;
	const Elf64_Phdr *first;
	uint64_t lo, hi, base = 0;
	enum exec_error err;

	first = load_span(img, &lo, &hi);
	if (img->ehdr.e_type == ET_DYN) {
		int64_t addr = get_unmapped_area(ctx->mm, ctx->interp_file, 0,
						 ELF_PAGEALIGN(hi) - ELF_PAGESTART(lo),
						 first->p_offset >> PAGE_SHIFT, MAP_PRIVATE);

		if (addr < 0)
			return EXEC_ENOMEM;
		base = (uint64_t)addr - ELF_PAGESTART(lo);
	}
	if (base + ELF_PAGESTART(lo) < MMAP_MIN_ADDR || base + ELF_PAGEALIGN(hi) > TASK_SIZE)
		return EXEC_ENOMEM;
	for (unsigned int i = 0; i < img->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		err = elf_load(ctx, ctx->interp_file, base, ph);
		if (err != EXEC_OK)
			return err;
	}
	ctx->interp_base = base;
	return EXEC_OK;
}

static const struct exec_cpu_info default_cpu = {
	.hwcap = 0,
	.hwcap2 = 0,
	.platform = "x86_64",
	.minsigstksz = 2048,        /* <signal.h>'s historical MINSIGSTKSZ */
};

static const struct exec_cpu_info *cpu_info(const struct exec_ctx *ctx)
{
	return ctx->params->cpu ? ctx->params->cpu : &default_cpu;
}

/* create_elf_tables' auxv, in Linux's order: ARCH_DLINFO first (x86-64:
 * AT_SYSINFO_EHDR, left out as there is no vDSO, then AT_MINSIGSTKSZ), then
 * the generic entries. Linux >= 6.3 adds AT_RSEQ_*; the 6.1 ABI has none. */
static void create_auxv(struct exec_ctx *ctx)
{
	const struct exec_params *p = ctx->params;
	const struct exec_cpu_info *cpu = cpu_info(ctx);
	uint64_t *a = ctx->auxv;
	int n = 0;

#define NEW_AUX_ENT(id, val) do { a[n++] = (id); a[n++] = (val); } while (0)
	NEW_AUX_ENT(AT_MINSIGSTKSZ, cpu->minsigstksz);
	NEW_AUX_ENT(AT_HWCAP, cpu->hwcap);
	NEW_AUX_ENT(AT_PAGESZ, PAGE_SIZE);
	NEW_AUX_ENT(AT_CLKTCK, CLOCKS_PER_SEC_AUX);
	NEW_AUX_ENT(AT_PHDR, ctx->phdr_addr);
	NEW_AUX_ENT(AT_PHENT, sizeof(Elf64_Phdr));
	NEW_AUX_ENT(AT_PHNUM, ctx->img.ehdr.e_phnum);
	NEW_AUX_ENT(AT_BASE, ctx->interp_base);   /* 0 without an interpreter */
	NEW_AUX_ENT(AT_FLAGS, 0);
	NEW_AUX_ENT(AT_ENTRY, ctx->img.ehdr.e_entry + ctx->load_bias);
	NEW_AUX_ENT(AT_UID, p->uid);
	NEW_AUX_ENT(AT_EUID, p->euid);
	NEW_AUX_ENT(AT_GID, p->gid);
	NEW_AUX_ENT(AT_EGID, p->egid);
	/* commoncap marks an exec secure when effective ids differ from real */
	NEW_AUX_ENT(AT_SECURE, p->uid != p->euid || p->gid != p->egid);
	NEW_AUX_ENT(AT_RANDOM, ctx->random_addr);
	NEW_AUX_ENT(AT_HWCAP2, cpu->hwcap2);
	NEW_AUX_ENT(AT_EXECFN, ctx->execfn_addr);
	if (cpu->platform)
		NEW_AUX_ENT(AT_PLATFORM, ctx->platform_addr);
	NEW_AUX_ENT(AT_NULL, 0);
#undef NEW_AUX_ENT
	ctx->auxv_words = n;
}

/* Addresses on the new stack, from the top down: a NULL word, execfn, the
 * envp strings, the argv strings (fs/exec.c copies each list last string
 * first, so each list reads forward in memory); then create_elf_tables:
 * arch_align_stack, the platform string, AT_RANDOM's 16 bytes, and below,
 * 16-byte aligned, argc, argv[], NULL, envp[], NULL, auxv. */
static void layout_stack(struct exec_ctx *ctx)
{
	const struct exec_cpu_info *cpu = cpu_info(ctx);
	uint64_t p = ctx->stack_top - sizeof(uint64_t);
	uint64_t items;

	p -= strlen(ctx->execfn) + 1;
	ctx->execfn_addr = p;
	p -= ctx->env_bytes;
	ctx->env_start = p;
	p -= ctx->arg_bytes;
	ctx->arg_start = p;

	p = arch_align_stack(ctx, p);
	if (cpu->platform) {
		p -= strlen(cpu->platform) + 1;
		ctx->platform_addr = p;
	}
	p -= 16;
	ctx->random_addr = p;

	create_auxv(ctx);
	items = (uint64_t)(ctx->argc ? ctx->argc : 1) + 1 + (uint64_t)ctx->envc + 1 + 1;
	ctx->sp = (p - (uint64_t)ctx->auxv_words * sizeof(uint64_t) -
		   items * sizeof(uint64_t)) & ~0xfULL;
}

/* The [stack] VMA: what the strings occupy plus 128 KiB (bounded by the
 * rlimit), as setup_arg_pages leaves it, reaching down at least to the
 * tables (find_extend_vma in create_elf_tables). */
static enum exec_error map_stack(struct exec_ctx *ctx)
{
	struct mm_struct *mm = ctx->mm;
	uint64_t rlim = stack_rlimit(ctx->params) & PAGE_MASK;
	uint64_t stack_size = ctx->stack_top - ELF_PAGESTART(ctx->arg_start);
	uint64_t expand = stack_size + STACK_EXPAND;
	unsigned long flags = VM_STACK_FLAGS | mm->def_flags;
	struct vm_area_struct *vma;
	uint64_t start;
	int64_t ret;

	if (expand > rlim)
		expand = rlim;
	if (expand < stack_size)
		expand = stack_size;
	start = ctx->stack_top - expand;
	if (ELF_PAGESTART(ctx->sp) < start)
		start = ELF_PAGESTART(ctx->sp);
	/* No PT_GNU_STACK on x86-64 means a non-executable stack. */
	if (ctx->img.exec_stack)
		flags |= VM_EXEC;

	if (range_is_mapped(mm, start, ctx->stack_top))
		return EXEC_ENOMEM;
	ret = mmap_region(mm, NULL, start, ctx->stack_top - start, flags,
			  start >> PAGE_SHIFT);
	if (ret < 0)
		return mmap_error(ret);
	vma = vma_lookup(mm, ctx->stack_top - 1);
	if (vma)
		vma->vm_name = "[stack]";
	return EXEC_OK;
}

static enum exec_error put_bytes(struct exec_ctx *ctx, uint64_t dst, const void *src,
				 size_t len)
{
	int r = copy_to_user(ctx->mm, dst, src, len);

	return r < 0 ? uaccess_error(r) : EXEC_OK;
}

/* Copies the strings, platform, AT_RANDOM and the tables to the stack. */
static enum exec_error write_stack(struct exec_ctx *ctx)
{
	const struct exec_cpu_info *cpu = cpu_info(ctx);
	struct mm_struct *mm = ctx->mm;
	uint64_t str_len = ctx->stack_top - sizeof(uint64_t) - ctx->arg_start;
	int argc = ctx->argc ? ctx->argc : 1;
	size_t nr_words = 1 + (size_t)argc + 1 + (size_t)ctx->envc + 1 + (size_t)ctx->auxv_words;
	uint64_t rand_bytes[2];
	enum exec_error err;
	char *strings;
	uint64_t *table;
	uint64_t p;
	size_t w = 0;

	strings = malloc(str_len);
	table = calloc(nr_words, sizeof(*table));
	if (!strings || !table) {
		err = EXEC_ENOMEM;
		goto out;
	}

	/* argv strings, envp strings, execfn: ascending addresses */
	char *s = strings;
	if (ctx->argc == 0)
		*s++ = '\0';
	for (int i = 0; i < ctx->argc; i++)
		s = stpcpy(s, ctx->argv[i]) + 1;
	for (int i = 0; i < ctx->envc; i++)
		s = stpcpy(s, ctx->envp[i]) + 1;
	strcpy(s, ctx->execfn);
	err = put_bytes(ctx, ctx->arg_start, strings, str_len);
	if (err != EXEC_OK)
		goto out;

	if (cpu->platform) {
		err = put_bytes(ctx, ctx->platform_addr, cpu->platform,
				strlen(cpu->platform) + 1);
		if (err != EXEC_OK)
			goto out;
	}
	rand_bytes[0] = get_random_u64(ctx);
	rand_bytes[1] = get_random_u64(ctx);
	err = put_bytes(ctx, ctx->random_addr, rand_bytes, sizeof(rand_bytes));
	if (err != EXEC_OK)
		goto out;

	/* argc, argv[], envp[]: pointers walk the strings as Linux does */
	table[w++] = (uint64_t)argc;
	p = ctx->arg_start;
	mm->arg_start = p;
	for (int i = 0; i < argc; i++) {
		table[w++] = p;
		p += ctx->argc ? strlen(ctx->argv[i]) + 1 : 1;
	}
	table[w++] = 0;
	mm->arg_end = mm->env_start = p;
	for (int i = 0; i < ctx->envc; i++) {
		table[w++] = p;
		p += strlen(ctx->envp[i]) + 1;
	}
	table[w++] = 0;
	mm->env_end = p;
	memcpy(&table[w], ctx->auxv, (size_t)ctx->auxv_words * sizeof(uint64_t));
	free(mm->saved_auxv);
	mm->saved_auxv = malloc((size_t)ctx->auxv_words * sizeof(uint64_t));
	mm->saved_auxv_words = 0;
	if (mm->saved_auxv) {       /* without it, /proc/PID/auxv is just empty */
		memcpy(mm->saved_auxv, ctx->auxv, (size_t)ctx->auxv_words * sizeof(uint64_t));
		mm->saved_auxv_words = ctx->auxv_words;
	}
	err = put_bytes(ctx, ctx->sp, table, nr_words * sizeof(*table));
out:
	free(strings);
	free(table);
	return err;
}

enum exec_error load_elf_binary(struct mm_struct *mm, const struct exec_params *params,
				struct exec_result *result)
{
	struct exec_ctx *ctx;
	enum exec_error err;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return EXEC_ENOMEM;
	ctx->mm = mm;
	ctx->params = params;
	ctx->randomize = !params->deterministic;
	ctx->img.fd = -1;
	ctx->interp.fd = -1;

	err = elf_open_image(params->path, &ctx->img);
	if (err != EXEC_OK)
		goto out;
	err = check_strings(ctx);
	if (err != EXEC_OK)
		goto out;
	if (ctx->img.interp) {
		err = open_interp(ctx);
		if (err != EXEC_OK)
			goto out;
	}

	ctx->file = file_from_fd(ctx->img.fd, params->maps_path ? params->maps_path
								: params->path);
	if (!ctx->file) {
		err = EXEC_ENOMEM;
		goto out;
	}
	ctx->img.fd = -1;               /* the file object owns it now */

	/* Linux's order: setup_new_exec picks the layout, setup_arg_pages
	 * places the stack, then the segments, the brk, and the tables. */
	mm->mmap_base = mmap_base(ctx);
	ctx->stack_top = stack_top(ctx);
	err = map_segments(ctx);
	if (err != EXEC_OK)
		goto out;
	set_brk(ctx);
	if (ctx->interp_file) {
		err = load_elf_interp(ctx);
		if (err != EXEC_OK)
			goto out;
	}
	layout_stack(ctx);
	err = map_stack(ctx);
	if (err != EXEC_OK)
		goto out;
	err = write_stack(ctx);
	if (err != EXEC_OK)
		goto out;

	mm->start_code = ctx->start_code;
	mm->end_code = ctx->end_code;
	mm->start_data = ctx->start_data;
	mm->end_data = ctx->end_data;
	mm->start_stack = ctx->sp;

	result->entry = ctx->interp_file ? ctx->interp.ehdr.e_entry + ctx->interp_base
					 : ctx->img.ehdr.e_entry + ctx->load_bias;
	result->stack_pointer = ctx->sp;
	result->load_bias = ctx->load_bias;
	result->phdr = ctx->phdr_addr;
	result->phnum = ctx->img.ehdr.e_phnum;
	result->interp_base = ctx->interp_base;
out:
	/* The VMAs hold their own references to the file. */
	if (ctx->file)
		file_put(ctx->file);
	if (ctx->interp_file)
		file_put(ctx->interp_file);
	elf_release_image(&ctx->img);
	elf_release_image(&ctx->interp);
	free(ctx);
	return err;
}
