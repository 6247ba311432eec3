/* Unit tests for loader/: ELF validation on hand-built good and broken files,
 * and the process image load_elf_binary builds (VMAs, bss, brk, stack, auxv),
 * read back through the guest mm; real gcc -static binaries when gcc is here. */
#define _GNU_SOURCE                 /* nftw */
#include "loader/loader.h"       /* first: mm.h's PROT_/MAP_ before libc's */

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/mm_test_util.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

/* ---- temporary directories and files ---- */

struct tmpdir {
	char path[256];
};

static void tmpdir_init(struct tmpdir *t)
{
	const char *base = getenv("TMPDIR");

	snprintf(t->path, sizeof(t->path), "%s/test_loader.XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(t->path));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static void tmpdir_fini(struct tmpdir *t)
{
	nftw(t->path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* dir/name, in a buffer the caller owns */
static const char *tmp_file(const struct tmpdir *t, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", t->path, name);
	return buf;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	if (len)
		ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* ---- a small static executable, built by hand ----
 * file 0x0000: ELF header, program headers at 0x40
 *      0x1000: code (exit(0)), 0x10 bytes           PT_LOAD R+X, offset 0
 *      0x2000: 0x80 bytes of data, then 0xaa junk    PT_LOAD R+W, offset 0x2000,
 *                                                    memsz 0x2f00 (bss)
 * vaddrs are base + offset; entry base + 0x1000. */
#define IMG_SIZE     0x3000
#define IMG_CODE     0x1000
#define IMG_DATA     0x2000
#define IMG_DATA_LEN 0x80
#define IMG_BSS_END  0x4f00
#define IMG_MAX_PH   8

struct img {
	uint8_t buf[IMG_SIZE];
	size_t size;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
};

static void img_init(struct img *m, uint16_t type, uint64_t base)
{
	static const uint8_t code[] = {
		0xb8, 0x3c, 0x00, 0x00, 0x00,   /* mov $60, %eax */
		0x31, 0xff,                     /* xor %edi, %edi */
		0x0f, 0x05,                     /* syscall */
	};

	memset(m, 0, sizeof(*m));
	m->size = IMG_SIZE;
	m->eh = (Elf64_Ehdr *)m->buf;
	m->ph = (Elf64_Phdr *)(m->buf + sizeof(Elf64_Ehdr));

	memcpy(m->eh->e_ident, ELFMAG, SELFMAG);
	m->eh->e_ident[EI_CLASS] = ELFCLASS64;
	m->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh->e_ident[EI_VERSION] = EV_CURRENT;
	m->eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
	m->eh->e_type = type;
	m->eh->e_machine = EM_X86_64;
	m->eh->e_version = EV_CURRENT;
	m->eh->e_entry = base + IMG_CODE;
	m->eh->e_phoff = sizeof(Elf64_Ehdr);
	m->eh->e_ehsize = sizeof(Elf64_Ehdr);
	m->eh->e_phentsize = sizeof(Elf64_Phdr);
	m->eh->e_phnum = 3;

	m->ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = 0, .p_vaddr = base, .p_paddr = base,
		.p_filesz = IMG_CODE + 0x10, .p_memsz = IMG_CODE + 0x10, .p_align = 0x1000,
	};
	m->ph[1] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = IMG_DATA, .p_vaddr = base + IMG_DATA, .p_paddr = base + IMG_DATA,
		.p_filesz = IMG_DATA_LEN, .p_memsz = IMG_BSS_END - IMG_DATA, .p_align = 0x1000,
	};
	m->ph[2] = (Elf64_Phdr){
		.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W, .p_align = 0x10,
	};

	memcpy(m->buf + IMG_CODE, code, sizeof(code));
	for (int i = 0; i < IMG_DATA_LEN; i++)
		m->buf[IMG_DATA + i] = (uint8_t)(i + 1);
	memset(m->buf + IMG_DATA + IMG_DATA_LEN, 0xaa, IMG_SIZE - IMG_DATA - IMG_DATA_LEN);
}

static const char *img_write(const struct tmpdir *t, const char *name, const struct img *m,
			     char *buf, size_t size)
{
	tmp_file(t, name, buf, size);
	write_file(buf, m->buf, m->size, 0755);
	return buf;
}

/* Validates a variant of the good image; mutate may change it first. */
static enum exec_error check_variant(uint16_t type, void (*mutate)(struct img *))
{
	struct tmpdir t;
	struct img m;
	char path[300];
	enum exec_error err;

	tmpdir_init(&t);
	img_init(&m, type, type == ET_EXEC ? 0x400000 : 0);
	if (mutate)
		mutate(&m);
	err = elf_check_file(img_write(&t, "a.out", &m, path, sizeof(path)));
	tmpdir_fini(&t);
	return err;
}

/* ---- validation ---- */

START_TEST(test_valid_exec_and_dyn)
{
	ck_assert_int_eq(check_variant(ET_EXEC, NULL), EXEC_OK);
	ck_assert_int_eq(check_variant(ET_DYN, NULL), EXEC_OK);
}
END_TEST

static const size_t trunc_sizes[] = { 0, 1, 3, 4, 10, 15, 16, 40, 63 };

START_TEST(test_truncated_header)
{
	struct tmpdir t;
	struct img m;
	char path[300];

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	m.size = trunc_sizes[_i];
	ck_assert_int_eq(elf_check_file(img_write(&t, "a.out", &m, path, sizeof(path))),
			 EXEC_ENOEXEC_TRUNC);
	tmpdir_fini(&t);
}
END_TEST

static void cut_in_phdrs(struct img *m) { m->size = sizeof(Elf64_Ehdr) + 20; }
static void cut_in_code(struct img *m) { m->size = IMG_CODE + 4; }
static void cut_in_data(struct img *m) { m->size = IMG_DATA + IMG_DATA_LEN / 2; }

START_TEST(test_truncated_body)
{
	ck_assert_int_eq(check_variant(ET_EXEC, cut_in_phdrs), EXEC_ENOEXEC_PHDR);
	ck_assert_int_eq(check_variant(ET_EXEC, cut_in_code), EXEC_ENOEXEC_PHDR);
	ck_assert_int_eq(check_variant(ET_EXEC, cut_in_data), EXEC_ENOEXEC_PHDR);
}
END_TEST

static void to_class32(struct img *m) { m->eh->e_ident[EI_CLASS] = ELFCLASS32; }
static void to_big_endian(struct img *m) { m->eh->e_ident[EI_DATA] = ELFDATA2MSB; }
static void to_i386(struct img *m) { m->eh->e_machine = EM_386; }
static void to_aarch64(struct img *m) { m->eh->e_machine = EM_AARCH64; }
static void to_rel(struct img *m) { m->eh->e_type = ET_REL; }
static void to_core(struct img *m) { m->eh->e_type = ET_CORE; }
static void to_script(struct img *m)
{
	static const char s[] = "#!/bin/sh\necho hello\n";

	memcpy(m->buf, s, sizeof(s));
	m->size = sizeof(s) - 1;
}

START_TEST(test_wrong_kind)
{
	ck_assert_int_eq(check_variant(ET_EXEC, to_class32), EXEC_ENOEXEC_CLASS);
	ck_assert_int_eq(check_variant(ET_EXEC, to_big_endian), EXEC_ENOEXEC_DATA);
	ck_assert_int_eq(check_variant(ET_EXEC, to_i386), EXEC_ENOEXEC_MACHINE);
	ck_assert_int_eq(check_variant(ET_EXEC, to_aarch64), EXEC_ENOEXEC_MACHINE);
	ck_assert_int_eq(check_variant(ET_EXEC, to_rel), EXEC_ENOEXEC_TYPE);
	ck_assert_int_eq(check_variant(ET_EXEC, to_core), EXEC_ENOEXEC_TYPE);
	ck_assert_int_eq(check_variant(ET_EXEC, to_script), EXEC_ENOEXEC_TRUNC);
}
END_TEST

static void offset_past_eof(struct img *m) { m->ph[1].p_offset = 0x10000; m->ph[1].p_vaddr = 0x410000; }
static void filesz_past_eof(struct img *m) { m->ph[1].p_filesz = 0x1001; m->ph[1].p_memsz = 0x2000; }
static void offset_wraps(struct img *m) { m->ph[1].p_offset = UINT64_MAX - 0xfff; m->ph[1].p_vaddr = 0x402000 + 0x1000; }
static void filesz_gt_memsz(struct img *m) { m->ph[1].p_memsz = IMG_DATA_LEN - 1; }
static void loads_overlap(struct img *m) { m->ph[1].p_vaddr = 0x401000; m->ph[1].p_offset = 0x1000; }
static void loads_overlap_unsorted(struct img *m)
{
	/* data first in the table, code overlapping its bss */
	Elf64_Phdr code = m->ph[0];

	m->ph[0] = m->ph[1];
	m->ph[0].p_vaddr = 0x3fe000;
	m->ph[0].p_memsz = 0x3000;
	m->ph[0].p_offset = 0x2000;
	m->ph[1] = code;
}
static void misaligned(struct img *m) { m->ph[1].p_vaddr = 0x402100; }
static void kernel_half(struct img *m) { m->ph[1].p_vaddr = 0xffff800000002000ULL; }
static void vaddr_wraps(struct img *m) { m->ph[1].p_vaddr = UINT64_MAX & ~0xfffULL; }
static void past_task_size(struct img *m)
{
	m->ph[1].p_vaddr = TASK_SIZE - 0x1000;
	m->ph[1].p_memsz = 0x2000;
}
static void bad_phentsize(struct img *m) { m->eh->e_phentsize = sizeof(Elf64_Phdr) + 8; }
static void no_phdrs(struct img *m) { m->eh->e_phnum = 0; }
static void too_many_phdrs(struct img *m) { m->eh->e_phnum = 65536 / sizeof(Elf64_Phdr) + 1; }
static void phoff_past_eof(struct img *m) { m->eh->e_phoff = IMG_SIZE - 8; }
static void no_loads(struct img *m) { m->ph[0].p_type = PT_NOTE; m->ph[1].p_type = PT_NOTE; }

START_TEST(test_bad_program_headers)
{
	static void (*const bad[])(struct img *) = {
		offset_past_eof, filesz_past_eof, offset_wraps, filesz_gt_memsz,
		loads_overlap, loads_overlap_unsorted, misaligned, kernel_half,
		vaddr_wraps, past_task_size, bad_phentsize, no_phdrs, too_many_phdrs,
		phoff_past_eof, no_loads,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(check_variant(ET_EXEC, bad[i]) == EXEC_ENOEXEC_PHDR,
			      "variant %zu accepted", i);
	}
}
END_TEST

/* Segments may share a page as long as their bytes do not overlap. */
static void share_a_page(struct img *m)
{
	m->ph[1].p_offset = IMG_CODE + 0x10;
	m->ph[1].p_vaddr = 0x400000 + IMG_CODE + 0x10;
}

START_TEST(test_shared_page_accepted)
{
	ck_assert_int_eq(check_variant(ET_EXEC, share_a_page), EXEC_OK);
}
END_TEST

/* A PT_INTERP naming `name` (its NUL included), in the code page's unused
 * half; filesz lets a test cut or stretch it. */
static void add_interp_named(struct img *m, const char *name, uint64_t filesz)
{
	memset(m->buf + 0x800, 0, 0x800);
	memcpy(m->buf + 0x800, name, strlen(name) + 1);
	m->ph[m->eh->e_phnum++] = (Elf64_Phdr){
		.p_type = PT_INTERP, .p_flags = PF_R, .p_offset = 0x800,
		.p_vaddr = 0x800, .p_filesz = filesz, .p_memsz = filesz,
		.p_align = 1,
	};
}

static void add_interp(struct img *m)
{
	add_interp_named(m, "/lib64/ld-linux-x86-64.so.2", sizeof("/lib64/ld-linux-x86-64.so.2"));
}
static void interp_no_nul(struct img *m) { add_interp_named(m, "/lib/ld.so", 10); }
static void interp_one_byte(struct img *m) { add_interp_named(m, "", 1); }
static void interp_past_eof(struct img *m)
{
	add_interp(m);
	m->ph[m->eh->e_phnum - 1].p_offset = IMG_SIZE - 4;
}
static void interp_too_long(struct img *m) { add_interp_named(m, "/x", 4097); }

/* Validation reads PT_INTERP's name with Linux's checks; whether the file
 * it names can be loaded is the load's business. */
START_TEST(test_interp)
{
	ck_assert_int_eq(check_variant(ET_DYN, add_interp), EXEC_OK);
	ck_assert_int_eq(check_variant(ET_EXEC, add_interp), EXEC_OK);
	ck_assert_int_eq(check_variant(ET_DYN, interp_no_nul), EXEC_ENOEXEC_PHDR);
	ck_assert_int_eq(check_variant(ET_DYN, interp_one_byte), EXEC_ENOEXEC_PHDR);
	ck_assert_int_eq(check_variant(ET_DYN, interp_past_eof), EXEC_ENOEXEC_PHDR);
	ck_assert_int_eq(check_variant(ET_DYN, interp_too_long), EXEC_ENOEXEC_PHDR);
}
END_TEST

START_TEST(test_file_errors)
{
	struct tmpdir t;
	struct img m;
	char path[300];

	tmpdir_init(&t);
	ck_assert_int_eq(elf_check_file(t.path), EXEC_EISDIR);
	ck_assert_int_eq(elf_check_file(tmp_file(&t, "missing", path, sizeof(path))),
			 EXEC_ENOENT);
	ck_assert_int_eq(elf_check_file(tmp_file(&t, "missing/below", path, sizeof(path))),
			 EXEC_ENOENT);

	/* Linux's execve wants an x bit even from root (generic_permission). */
	img_init(&m, ET_EXEC, 0x400000);
	img_write(&t, "noexec", &m, path, sizeof(path));
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(elf_check_file(path), EXEC_EACCES);
	ck_assert_int_eq(chmod(path, 0000), 0);
	ck_assert_int_eq(elf_check_file(path), EXEC_EACCES);
	ck_assert_int_eq(chmod(path, 0744), 0);
	ck_assert_int_eq(elf_check_file(path), EXEC_OK);
	if (geteuid() != 0) {
		/* Readable is required here although Linux could exec it:
		 * the emulator has to read the file itself. */
		ck_assert_int_eq(chmod(path, 0311), 0);
		ck_assert_int_eq(elf_check_file(path), EXEC_EACCES);
	}

	ck_assert_int_eq(mkfifo(tmp_file(&t, "fifo", path, sizeof(path)), 0755), 0);
	ck_assert_int_eq(elf_check_file(path), EXEC_EACCES);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_errno_and_strerror)
{
	ck_assert_int_eq(exec_errno(EXEC_OK), 0);
	ck_assert_int_eq(exec_errno(EXEC_ENOENT), ENOENT);
	ck_assert_int_eq(exec_errno(EXEC_EACCES), EACCES);
	ck_assert_int_eq(exec_errno(EXEC_EISDIR), EACCES);
	ck_assert_int_eq(exec_errno(EXEC_ENOEXEC_TRUNC), ENOEXEC);
	ck_assert_int_eq(exec_errno(EXEC_ENOEXEC_CLASS), ENOEXEC);
	ck_assert_int_eq(exec_errno(EXEC_ENOEXEC_DATA), ENOEXEC);
	ck_assert_int_eq(exec_errno(EXEC_ENOEXEC_MACHINE), ENOEXEC);
	ck_assert_int_eq(exec_errno(EXEC_ENOEXEC_TYPE), ENOEXEC);
	ck_assert_int_eq(exec_errno(EXEC_ENOEXEC_PHDR), ENOEXEC);
	ck_assert_int_eq(exec_errno(EXEC_ENOENT_INTERP), ENOENT);
	ck_assert_int_eq(exec_errno(EXEC_ELIBBAD), ELIBBAD);
	ck_assert_int_eq(exec_errno(EXEC_ENOMEM), ENOMEM);
	ck_assert_int_eq(exec_errno(EXEC_EIO), EIO);
	ck_assert_int_eq(exec_errno(EXEC_E2BIG), E2BIG);

	ck_assert_str_eq(exec_strerror(EXEC_ENOENT), "No such file or directory");
	ck_assert_str_eq(exec_strerror(EXEC_EACCES), "Permission denied");
	ck_assert_str_eq(exec_strerror(EXEC_EISDIR), "Is a directory");
	ck_assert_str_eq(exec_strerror(EXEC_ENOEXEC_TRUNC), "not an ELF file or truncated");
	ck_assert_str_eq(exec_strerror(EXEC_ENOEXEC_CLASS), "not a 64-bit ELF file");
	ck_assert_str_eq(exec_strerror(EXEC_ENOEXEC_MACHINE), "not an x86-64 executable");
	ck_assert_str_eq(exec_strerror(EXEC_ENOENT_INTERP),
			 "its ELF interpreter (PT_INTERP) was not found");
	for (int e = EXEC_OK; e <= EXEC_E2BIG; e++) {
		const char *s = exec_strerror((enum exec_error)e);

		ck_assert_ptr_nonnull(s);
		ck_assert(strlen(s) > 0 && strchr(s, '\n') == NULL);
		for (int f = EXEC_OK; f < e; f++)
			ck_assert_str_ne(s, exec_strerror((enum exec_error)f));
	}
}
END_TEST

/* ---- loading into a guest mm ---- */

#define TEST_RAM_MIB 64
#define MMAP_BASE_NO_ASLR   0x7ffff7fff000ULL
#define STACK_TOP_NO_ASLR   0x7ffffffff000ULL
#define PIE_BRK_NO_ASLR     0x555555555000ULL   /* PAGE_ALIGN(ELF_ET_DYN_BASE) */

static uint64_t test_random(void *ctx)
{
	uint64_t *state = ctx;
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const struct exec_cpu_info test_cpu = {
	.hwcap = 0x178bfbff, .hwcap2 = 0x2, .platform = "x86_64", .minsigstksz = 0x400,
};

struct load {
	struct test_node tn;
	struct mm_struct *mm;
	struct exec_params params;
	struct exec_result res;
	uint64_t seed;
};

static char *const default_argv[] = { "prog", "-x", "hello world", NULL };
static char *const default_envp[] = { "A=1", "PATH=/usr/bin:/bin", "EMPTY=", NULL };

static void load_init(struct load *l, const char *path)
{
	memset(l, 0, sizeof(*l));
	test_node_init(&l->tn, TEST_RAM_MIB);
	l->mm = mm_alloc(l->tn.node);
	ck_assert_ptr_nonnull(l->mm);
	l->seed = 42;
	l->params = (struct exec_params){
		.path = path, .execfn = "/usr/bin/prog",
		.argv = default_argv, .envp = default_envp,
		.deterministic = true, .random = test_random, .random_ctx = &l->seed,
		.cpu = &test_cpu, .uid = 1000, .euid = 1000, .gid = 100, .egid = 100,
		.stack_rlimit = 8 << 20, .maps_path = "/usr/bin/prog",
	};
}

static void load_fini(struct load *l)
{
	mmput(l->mm);
	test_node_fini(&l->tn);
}

static enum exec_error do_load(struct load *l)
{
	return load_elf_binary(l->mm, &l->params, &l->res);
}

static uint64_t get_u64(struct mm_struct *mm, uint64_t addr)
{
	uint64_t v;

	ck_assert_int_eq(copy_from_user(mm, &v, addr, sizeof(v)), 0);
	return v;
}

static void get_str(struct mm_struct *mm, uint64_t addr, char *buf, size_t size)
{
	ck_assert_int_ge(strncpy_from_user(mm, buf, addr, size), 0);
}

/* The auxv value for type, or ~0 when absent. */
static uint64_t auxv_get(struct mm_struct *mm, uint64_t auxv, uint64_t type)
{
	for (;; auxv += 16) {
		uint64_t t = get_u64(mm, auxv);

		if (t == type)
			return get_u64(mm, auxv + 8);
		if (t == AT_NULL)
			return ~0ULL;
	}
}

/* Address of the auxv of a stack laid out by create_elf_tables. */
static uint64_t auxv_addr(struct mm_struct *mm, uint64_t sp)
{
	uint64_t argc = get_u64(mm, sp);
	uint64_t p = sp + 8 * (argc + 2);

	while (get_u64(mm, p))
		p += 8;
	return p + 8;
}

static void assert_vma(struct mm_struct *mm, uint64_t start, uint64_t end,
		       unsigned long flags, bool file, uint64_t pgoff)
{
	struct vm_area_struct *vma = vma_lookup(mm, start);

	ck_assert_msg(vma != NULL, "no VMA at %#llx", (unsigned long long)start);
	ck_assert_uint_eq(vma->vm_start, start);
	ck_assert_uint_eq(vma->vm_end, end);
	ck_assert_msg((vma->vm_flags & (VM_ACCESS_FLAGS | VM_MAYREAD | VM_MAYWRITE |
					VM_MAYEXEC | VM_GROWSDOWN | VM_SHARED)) == flags,
		      "VMA %#llx: flags %#lx, want %#lx", (unsigned long long)start,
		      vma->vm_flags, flags);
	ck_assert_int_eq(vma->vm_file != NULL, file);
	if (file)
		ck_assert_uint_eq(vma->vm_pgoff, pgoff);
}

#define MAY_ALL (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

START_TEST(test_load_exec_vmas)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);

	ck_assert_uint_eq(l.res.load_bias, 0);
	ck_assert_uint_eq(l.res.entry, 0x401000);
	ck_assert_uint_eq(l.res.phdr, 0x400040);
	ck_assert_uint_eq(l.res.phnum, 3);

	assert_vma(l.mm, 0x400000, 0x402000, VM_READ | VM_EXEC | MAY_ALL, true, 0);
	assert_vma(l.mm, 0x402000, 0x403000, VM_READ | VM_WRITE | MAY_ALL, true, 2);
	assert_vma(l.mm, 0x403000, 0x405000, VM_READ | VM_WRITE | MAY_ALL, false, 0);
	ck_assert_str_eq(vma_lookup(l.mm, 0x400000)->vm_file->path, "/usr/bin/prog");

	/* 128 KiB below one page of strings, no PT_GNU_STACK X: not executable */
	assert_vma(l.mm, STACK_TOP_NO_ASLR - 0x21000, STACK_TOP_NO_ASLR,
		   VM_READ | VM_WRITE | VM_GROWSDOWN | MAY_ALL, false, 0);
	ck_assert_str_eq(vma_lookup(l.mm, STACK_TOP_NO_ASLR - 1)->vm_name, "[stack]");
	ck_assert_int_eq(l.mm->map_count, 4);

	ck_assert_uint_eq(l.mm->mmap_base, MMAP_BASE_NO_ASLR);
	ck_assert_uint_eq(l.mm->start_brk, 0x405000);
	ck_assert_uint_eq(l.mm->brk, 0x405000);
	ck_assert_uint_eq(l.mm->start_code, 0x400000);
	ck_assert_uint_eq(l.mm->end_code, 0x400000 + IMG_CODE + 0x10);
	ck_assert_uint_eq(l.mm->start_data, 0x402000);
	ck_assert_uint_eq(l.mm->end_data, 0x402000 + IMG_DATA_LEN);
	ck_assert_uint_eq(l.mm->start_stack, l.res.stack_pointer);

	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_load_bss_zeroed)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];
	uint8_t page[PAGE_SIZE];

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);

	/* the file's data, then zeros where the file has 0xaa junk (padzero) */
	ck_assert_int_eq(copy_from_user(l.mm, page, 0x402000, PAGE_SIZE), 0);
	ck_assert_int_eq(memcmp(page, m.buf + IMG_DATA, IMG_DATA_LEN), 0);
	for (size_t i = IMG_DATA_LEN; i < PAGE_SIZE; i++)
		ck_assert_msg(page[i] == 0, "byte %#zx of the data page is %#x", i, page[i]);
	for (uint64_t a = 0x403000; a < 0x405000; a += PAGE_SIZE) {
		ck_assert_int_eq(copy_from_user(l.mm, page, a, PAGE_SIZE), 0);
		for (size_t i = 0; i < PAGE_SIZE; i++)
			ck_assert(page[i] == 0);
	}
	/* and the file itself untouched: the page was copied on write */
	ck_assert_int_eq(copy_from_user(l.mm, page, 0x400000 + IMG_CODE, 9), 0);
	ck_assert_int_eq(memcmp(page, m.buf + IMG_CODE, 9), 0);
	ck_assert_int_eq(copy_from_user(l.mm, page, 0x400000, 4), 0);
	ck_assert_int_eq(memcmp(page, ELFMAG, 4), 0);

	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_load_stack_contents)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300], s[256];
	uint64_t sp, auxv, p;
	uint8_t rnd[16];

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	sp = l.res.stack_pointer;
	ck_assert_uint_eq(sp % 16, 0);

	ck_assert_uint_eq(get_u64(l.mm, sp), 3);
	for (int i = 0; i < 3; i++) {
		get_str(l.mm, get_u64(l.mm, sp + 8 + 8 * i), s, sizeof(s));
		ck_assert_str_eq(s, default_argv[i]);
	}
	ck_assert_uint_eq(get_u64(l.mm, sp + 8 * 4), 0);
	for (int i = 0; i < 3; i++) {
		get_str(l.mm, get_u64(l.mm, sp + 8 * (5 + i)), s, sizeof(s));
		ck_assert_str_eq(s, default_envp[i]);
	}
	ck_assert_uint_eq(get_u64(l.mm, sp + 8 * 8), 0);

	/* auxv right after envp's NULL, in Linux 6.1's order */
	auxv = sp + 8 * 9;
	ck_assert_uint_eq(auxv_addr(l.mm, sp), auxv);
	static const uint64_t order[] = {
		AT_MINSIGSTKSZ, AT_HWCAP, AT_PAGESZ, AT_CLKTCK, AT_PHDR, AT_PHENT,
		AT_PHNUM, AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID, AT_EUID, AT_GID,
		AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_PLATFORM, AT_NULL,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		ck_assert_uint_eq(get_u64(l.mm, auxv + 16 * i), order[i]);

	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_MINSIGSTKSZ), 0x400);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_HWCAP), 0x178bfbff);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_PAGESZ), 4096);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_CLKTCK), 100);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_PHDR), 0x400040);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_PHENT), sizeof(Elf64_Phdr));
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_PHNUM), 3);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_BASE), 0);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_FLAGS), 0);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_ENTRY), 0x401000);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_UID), 1000);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_EUID), 1000);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_GID), 100);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_EGID), 100);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_SECURE), 0);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_HWCAP2), 2);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_SYSINFO_EHDR), ~0ULL);
	get_str(l.mm, auxv_get(l.mm, auxv, AT_EXECFN), s, sizeof(s));
	ck_assert_str_eq(s, "/usr/bin/prog");
	get_str(l.mm, auxv_get(l.mm, auxv, AT_PLATFORM), s, sizeof(s));
	ck_assert_str_eq(s, "x86_64");
	ck_assert_int_eq(copy_from_user(l.mm, rnd, auxv_get(l.mm, auxv, AT_RANDOM), 16), 0);
	bool nonzero = false;
	for (int i = 0; i < 16; i++)
		nonzero |= rnd[i] != 0;
	ck_assert(nonzero);

	/* The exact addresses Linux gives with ASLR off (checked against a
	 * native run under setarch -R): the strings hang from the top, a NULL
	 * word above them; platform and AT_RANDOM below, 16-byte aligned. */
	uint64_t execfn = STACK_TOP_NO_ASLR - 8 - sizeof("/usr/bin/prog");
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_EXECFN), execfn);
	ck_assert_uint_eq(get_u64(l.mm, STACK_TOP_NO_ASLR - 8), 0);
	uint64_t env_start = execfn - sizeof("A=1") - sizeof("PATH=/usr/bin:/bin") - sizeof("EMPTY=");
	uint64_t arg_start = env_start - sizeof("prog") - sizeof("-x") - sizeof("hello world");
	ck_assert_uint_eq(l.mm->arg_start, arg_start);
	ck_assert_uint_eq(l.mm->arg_end, env_start);
	ck_assert_uint_eq(l.mm->env_start, env_start);
	ck_assert_uint_eq(l.mm->env_end, execfn);
	ck_assert_uint_eq(get_u64(l.mm, sp + 8), arg_start);
	p = (arg_start & ~0xfULL) - sizeof("x86_64");
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_PLATFORM), p);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_RANDOM), p - 16);
	/* 20 auxv pairs, argc + 3 argv + NULL + 3 envp + NULL = 9 words */
	ck_assert_uint_eq(sp, (p - 16 - 8 * 40 - 8 * 9) & ~0xfULL);

	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

/* The layout a native static binary got under `env -i A=1 setarch -R
 * /tmp/probe`: argv[0] at 0x7fffffffefde, execfn at 0x7fffffffefed,
 * AT_PLATFORM at 0x7fffffffefc9, AT_RANDOM at 0x7fffffffefb9 (Linux's extra
 * AT_SYSINFO_EHDR and AT_RSEQ_* entries move only argc). */
START_TEST(test_load_matches_native_layout)
{
	static char *const argv[] = { "/tmp/probe", NULL };
	static char *const envp[] = { "A=1", NULL };
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];
	uint64_t auxv;

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	l.params.argv = argv;
	l.params.envp = envp;
	l.params.execfn = "/tmp/probe";
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	auxv = auxv_addr(l.mm, l.res.stack_pointer);
	ck_assert_uint_eq(get_u64(l.mm, l.res.stack_pointer + 8), 0x7fffffffefdeULL);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_EXECFN), 0x7fffffffefedULL);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_PLATFORM), 0x7fffffffefc9ULL);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_RANDOM), 0x7fffffffefb9ULL);
	/* native: 23 auxv pairs put argc at 0x7fffffffee20; ours has 20 */
	ck_assert_uint_eq(l.res.stack_pointer, 0x7fffffffee50ULL);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_load_static_pie)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];
	uint64_t base, auxv;

	tmpdir_init(&t);
	img_init(&m, ET_DYN, 0);
	img_write(&t, "pie", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);

	/* a loader to Linux: top-down below mmap_base, as `setarch -R` shows */
	base = MMAP_BASE_NO_ASLR - 0x5000;
	ck_assert_uint_eq(l.res.load_bias, base);
	ck_assert_uint_eq(l.res.entry, base + IMG_CODE);
	ck_assert_uint_eq(l.res.phdr, base + 0x40);
	assert_vma(l.mm, base, base + 0x2000, VM_READ | VM_EXEC | MAY_ALL, true, 0);
	assert_vma(l.mm, base + 0x2000, base + 0x3000, VM_READ | VM_WRITE | MAY_ALL, true, 2);
	assert_vma(l.mm, base + 0x3000, base + 0x5000, VM_READ | VM_WRITE | MAY_ALL, false, 0);
	ck_assert_uint_eq(l.mm->start_brk, PIE_BRK_NO_ASLR);
	ck_assert_uint_eq(l.mm->brk, PIE_BRK_NO_ASLR);
	ck_assert_uint_eq(l.mm->start_code, base);
	ck_assert_uint_eq(l.mm->end_data, base + IMG_DATA + IMG_DATA_LEN);

	auxv = auxv_addr(l.mm, l.res.stack_pointer);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_ENTRY), base + IMG_CODE);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_PHDR), base + 0x40);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_BASE), 0);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

static void big_align(struct img *m)
{
	m->ph[0].p_align = 0x200000;
	m->ph[1].p_align = 0x200000;
}

START_TEST(test_load_static_pie_aligned)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];

	tmpdir_init(&t);
	img_init(&m, ET_DYN, 0);
	big_align(&m);
	img_write(&t, "pie", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	ck_assert_uint_eq(l.res.load_bias, (MMAP_BASE_NO_ASLR - 0x5000) & ~0x1fffffULL);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

/* A PIE with an interpreter, as Linux lays them out with ASLR off (the
 * native `setarch -R` run of a dynamic program shows the program at
 * 0x555555554000 and ld.so just below the mmap base): the interpreter's
 * entry runs first, the auxv tells it where the program is. */
START_TEST(test_load_with_interp)
{
	struct tmpdir t;
	struct img m, ld;
	struct load l;
	char path[300], ldpath[300];
	uint64_t auxv, base, pie = 0x555555554000ULL;

	tmpdir_init(&t);
	img_init(&ld, ET_DYN, 0);
	img_write(&t, "ld.so", &ld, ldpath, sizeof(ldpath));
	img_init(&m, ET_DYN, 0);
	add_interp_named(&m, ldpath, strlen(ldpath) + 1);
	img_write(&t, "prog", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);

	base = MMAP_BASE_NO_ASLR - 0x5000;
	ck_assert_uint_eq(l.res.load_bias, pie);
	ck_assert_uint_eq(l.res.interp_base, base);
	ck_assert_uint_eq(l.res.entry, base + IMG_CODE);
	assert_vma(l.mm, pie, pie + 0x2000, VM_READ | VM_EXEC | MAY_ALL, true, 0);
	assert_vma(l.mm, pie + 0x2000, pie + 0x3000, VM_READ | VM_WRITE | MAY_ALL, true, 2);
	assert_vma(l.mm, base, base + 0x2000, VM_READ | VM_EXEC | MAY_ALL, true, 0);
	assert_vma(l.mm, base + 0x2000, base + 0x3000, VM_READ | VM_WRITE | MAY_ALL, true, 2);
	assert_vma(l.mm, base + 0x3000, base + 0x5000, VM_READ | VM_WRITE | MAY_ALL, false, 0);
	ck_assert_str_eq(vma_lookup(l.mm, pie)->vm_file->path, "/usr/bin/prog");
	ck_assert_str_eq(vma_lookup(l.mm, base)->vm_file->path, ldpath);
	/* the brk follows the program's bss: it is not moved */
	ck_assert_uint_eq(l.mm->start_brk, pie + 0x5000);
	ck_assert_uint_eq(l.mm->start_code, pie);

	auxv = auxv_addr(l.mm, l.res.stack_pointer);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_BASE), base);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_ENTRY), pie + IMG_CODE);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_PHDR), pie + 0x40);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_PHNUM), 4);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

/* The interpreter found through the caller's resolver (the guest's view of
 * the file system), named in the maps as the resolver says. */
struct resolve_log {
	const char *host;
	char asked[300];
};

static char *test_resolve(void *ctx, const char *name, char **maps_name, int *err)
{
	struct resolve_log *log = ctx;

	snprintf(log->asked, sizeof(log->asked), "%s", name);
	if (!log->host) {
		*err = -ENOENT;
		return NULL;
	}
	*maps_name = strdup("/lib/guest-ld.so");
	return strdup(log->host);
}

START_TEST(test_load_interp_resolved)
{
	struct tmpdir t;
	struct img m, ld;
	struct load l;
	struct resolve_log log = { 0 };
	char path[300], ldpath[300];

	tmpdir_init(&t);
	img_init(&ld, ET_DYN, 0);
	log.host = img_write(&t, "ld.so", &ld, ldpath, sizeof(ldpath));
	img_init(&m, ET_EXEC, 0x400000);
	add_interp(&m);
	img_write(&t, "prog", &m, path, sizeof(path));
	load_init(&l, path);
	l.params.resolve_interp = test_resolve;
	l.params.resolve_ctx = &log;
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	ck_assert_str_eq(log.asked, "/lib64/ld-linux-x86-64.so.2");
	ck_assert_uint_eq(l.res.load_bias, 0);
	ck_assert_uint_eq(l.res.interp_base, MMAP_BASE_NO_ASLR - 0x5000);
	ck_assert_str_eq(vma_lookup(l.mm, l.res.interp_base)->vm_file->path, "/lib/guest-ld.so");
	/* an ET_EXEC program's brk stays after its bss */
	ck_assert_uint_eq(l.mm->start_brk, 0x405000);
	load_fini(&l);

	log.host = NULL;
	load_init(&l, path);
	l.params.resolve_interp = test_resolve;
	l.params.resolve_ctx = &log;
	ck_assert_int_eq(do_load(&l), EXEC_ENOENT_INTERP);
	ck_assert_int_eq(l.mm->map_count, 0);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

/* Randomised, a PIE with an interpreter moves up from ELF_ET_DYN_BASE by
 * up to 2^28 pages, its brk follows its bss (plus a page and up to 32
 * MiB), and the interpreter goes below the randomised mmap base. */
START_TEST(test_load_interp_randomised)
{
	struct tmpdir t;
	struct img m, ld;
	struct load a, b;
	char path[300], ldpath[300];

	tmpdir_init(&t);
	img_init(&ld, ET_DYN, 0);
	img_write(&t, "ld.so", &ld, ldpath, sizeof(ldpath));
	img_init(&m, ET_DYN, 0);
	add_interp_named(&m, ldpath, strlen(ldpath) + 1);
	img_write(&t, "prog", &m, path, sizeof(path));
	load_init(&a, path);
	load_init(&b, path);
	a.params.deterministic = b.params.deterministic = false;
	b.seed = 4242;
	ck_assert_int_eq(do_load(&a), EXEC_OK);
	ck_assert_int_eq(do_load(&b), EXEC_OK);
	ck_assert_uint_ne(a.res.load_bias, b.res.load_bias);
	ck_assert_uint_ne(a.res.interp_base, b.res.interp_base);
	for (int i = 0; i < 2; i++) {
		struct load *x = i ? &b : &a;
		uint64_t end = x->res.load_bias + 0x5000;

		ck_assert_uint_ge(x->res.load_bias, 0x555555554000ULL);
		ck_assert_uint_lt(x->res.load_bias, 0x555555554000ULL + (1ULL << 40));
		ck_assert_uint_eq(x->res.load_bias % PAGE_SIZE, 0);
		ck_assert_uint_ge(x->mm->start_brk, end + PAGE_SIZE);
		ck_assert_uint_lt(x->mm->start_brk, end + PAGE_SIZE + (32 << 20));
		ck_assert_uint_eq(x->res.interp_base, x->mm->mmap_base - 0x5000);
	}
	load_fini(&a);
	load_fini(&b);
	tmpdir_fini(&t);
}
END_TEST

/* An ET_EXEC interpreter goes where its headers say; AT_BASE is then 0. */
START_TEST(test_load_interp_exec)
{
	struct tmpdir t;
	struct img m, ld;
	struct load l;
	char path[300], ldpath[300];
	uint64_t auxv;

	tmpdir_init(&t);
	img_init(&ld, ET_EXEC, 0x200000);
	img_write(&t, "ld.so", &ld, ldpath, sizeof(ldpath));
	img_init(&m, ET_DYN, 0);
	add_interp_named(&m, ldpath, strlen(ldpath) + 1);
	img_write(&t, "prog", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	ck_assert_uint_eq(l.res.interp_base, 0);
	ck_assert_uint_eq(l.res.entry, 0x200000 + IMG_CODE);
	assert_vma(l.mm, 0x200000, 0x202000, VM_READ | VM_EXEC | MAY_ALL, true, 0);
	auxv = auxv_addr(l.mm, l.res.stack_pointer);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_BASE), 0);
	ck_assert_uint_eq(auxv_get(l.mm, auxv, AT_ENTRY), 0x555555554000ULL + IMG_CODE);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

/* What execve says about interpreters it cannot use: a missing one is
 * ENOENT, one that is no x86-64 ELF is ELIBBAD; nothing stays mapped. */
START_TEST(test_load_interp_errors)
{
	struct tmpdir t;
	struct img m, ld;
	struct load l;
	char path[300], ldpath[300];

	tmpdir_init(&t);
	tmp_file(&t, "missing-ld.so", ldpath, sizeof(ldpath));
	img_init(&m, ET_DYN, 0);
	add_interp_named(&m, ldpath, strlen(ldpath) + 1);
	img_write(&t, "prog", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_ENOENT_INTERP);
	ck_assert_int_eq(l.mm->map_count, 0);
	load_fini(&l);

	img_init(&ld, ET_DYN, 0);
	to_aarch64(&ld);
	img_write(&t, "missing-ld.so", &ld, ldpath, sizeof(ldpath));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_ELIBBAD);
	ck_assert_int_eq(l.mm->map_count, 0);
	load_fini(&l);

	ck_assert_int_eq(chmod(ldpath, 0644), 0);
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_EACCES);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

static void exec_stack(struct img *m) { m->ph[2].p_flags |= PF_X; }

START_TEST(test_load_exec_stack)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	exec_stack(&m);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	ck_assert(vma_lookup(l.mm, STACK_TOP_NO_ASLR - 1)->vm_flags & VM_EXEC);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

/* A read-only segment with bss: the kernel's clear_user of the partial page
 * fails like a user write would, so the file's bytes stay (Linux ignores the
 * error for non-writable segments); whole pages past the file are zero. */
static void readonly_bss(struct img *m) { m->ph[1].p_flags = PF_R; }

START_TEST(test_load_readonly_bss)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];
	uint8_t b;

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	readonly_bss(&m);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	assert_vma(l.mm, 0x402000, 0x403000, VM_READ | MAY_ALL, true, 2);
	/* vm_brk's anonymous pages are read-write, whatever the segment said */
	assert_vma(l.mm, 0x403000, 0x405000, VM_READ | VM_WRITE | MAY_ALL, false, 0);
	ck_assert_int_eq(copy_from_user(l.mm, &b, 0x402000 + IMG_DATA_LEN, 1), 0);
	ck_assert_uint_eq(b, 0xaa);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

/* The later segment's mapping replaces the earlier one in a shared page. */
START_TEST(test_load_shared_page)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];
	uint8_t b[2];

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	share_a_page(&m);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	assert_vma(l.mm, 0x400000, 0x401000, VM_READ | VM_EXEC | MAY_ALL, true, 0);
	assert_vma(l.mm, 0x401000, 0x402000, VM_READ | VM_WRITE | MAY_ALL, true, 1);
	ck_assert_int_eq(copy_from_user(l.mm, b, 0x401000 + 0x10 + IMG_DATA_LEN - 1, 2), 0);
	ck_assert_uint_eq(b[1], 0);       /* padzero'd */
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_load_deterministic_repeats)
{
	struct tmpdir t;
	struct img m;
	struct load a, b;
	char path[300];
	uint8_t ra[16], rb[16];

	tmpdir_init(&t);
	img_init(&m, ET_DYN, 0);
	img_write(&t, "pie", &m, path, sizeof(path));
	load_init(&a, path);
	load_init(&b, path);
	ck_assert_int_eq(do_load(&a), EXEC_OK);
	ck_assert_int_eq(do_load(&b), EXEC_OK);
	ck_assert_uint_eq(a.res.stack_pointer, b.res.stack_pointer);
	ck_assert_uint_eq(a.res.load_bias, b.res.load_bias);
	ck_assert_uint_eq(a.mm->brk, b.mm->brk);
	uint64_t aa = auxv_addr(a.mm, a.res.stack_pointer);
	uint64_t ab = auxv_addr(b.mm, b.res.stack_pointer);
	ck_assert_int_eq(copy_from_user(a.mm, ra, auxv_get(a.mm, aa, AT_RANDOM), 16), 0);
	ck_assert_int_eq(copy_from_user(b.mm, rb, auxv_get(b.mm, ab, AT_RANDOM), 16), 0);
	ck_assert_int_eq(memcmp(ra, rb, 16), 0);
	load_fini(&a);
	load_fini(&b);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_load_randomised)
{
	struct tmpdir t;
	struct img m;
	struct load a, b;
	char path[300];

	tmpdir_init(&t);
	img_init(&m, ET_DYN, 0);
	img_write(&t, "pie", &m, path, sizeof(path));
	load_init(&a, path);
	load_init(&b, path);
	a.params.deterministic = b.params.deterministic = false;
	b.seed = 4242;
	ck_assert_int_eq(do_load(&a), EXEC_OK);
	ck_assert_int_eq(do_load(&b), EXEC_OK);
	ck_assert_uint_ne(a.res.stack_pointer, b.res.stack_pointer);
	ck_assert_uint_ne(a.res.load_bias, b.res.load_bias);
	ck_assert_uint_ne(a.mm->brk, b.mm->brk);
	for (int i = 0; i < 2; i++) {
		struct load *x = i ? &b : &a;
		uint64_t top = vma_lookup(x->mm, x->res.stack_pointer)->vm_end;

		/* stack: 16 GiB of pages below TASK_SIZE, then up to 2 pages */
		ck_assert_uint_le(top, STACK_TOP_NO_ASLR);
		ck_assert_uint_ge(top, STACK_TOP_NO_ASLR - (0x3fffffULL << 12) - 0x2000);
		/* mmap_base: below the stack's whole random range and the gap */
		ck_assert_uint_le(x->mm->mmap_base,
				  STACK_TOP_NO_ASLR - (8ULL << 20) - (0x3fffffULL << 12) - (1 << 20));
		ck_assert_uint_ge(x->mm->mmap_base,
				  STACK_TOP_NO_ASLR - (8ULL << 20) - (0x3fffffULL << 12) -
				  (1 << 20) - (1ULL << 40));
		/* brk: ELF_ET_DYN_BASE plus up to 32 MiB */
		ck_assert_uint_ge(x->mm->brk, PIE_BRK_NO_ASLR);
		ck_assert_uint_lt(x->mm->brk, PIE_BRK_NO_ASLR + (32 << 20));
		ck_assert_uint_eq(x->mm->brk % PAGE_SIZE, 0);
		ck_assert_uint_eq(x->res.stack_pointer % 16, 0);
	}
	load_fini(&a);
	load_fini(&b);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_load_exec_randomised_brk)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	l.params.deterministic = false;
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	/* a page of gap after the bss, then up to 32 MiB */
	ck_assert_uint_ge(l.mm->brk, 0x406000);
	ck_assert_uint_lt(l.mm->brk, 0x406000 + (32 << 20));
	ck_assert_uint_eq(l.mm->start_brk, l.mm->brk);
	ck_assert_uint_eq(l.res.load_bias, 0);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_load_empty_argv)
{
	static char *const argv[] = { NULL };
	static char *const envp[] = { NULL };
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300], s[8];
	uint64_t sp;

	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	l.params.argv = argv;
	l.params.envp = envp;
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	sp = l.res.stack_pointer;
	ck_assert_uint_eq(get_u64(l.mm, sp), 1);
	get_str(l.mm, get_u64(l.mm, sp + 8), s, sizeof(s));
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(get_u64(l.mm, sp + 16), 0);
	ck_assert_uint_eq(get_u64(l.mm, sp + 24), 0);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_load_e2big)
{
	struct tmpdir t;
	struct img m;
	struct load l;
	char path[300];
	char *huge = malloc(PAGE_SIZE * 32 + 1);
	char *envp[] = { huge, NULL };

	ck_assert_ptr_nonnull(huge);
	tmpdir_init(&t);
	img_init(&m, ET_EXEC, 0x400000);
	img_write(&t, "a.out", &m, path, sizeof(path));
	load_init(&l, path);
	l.params.envp = envp;

	/* one string longer than MAX_ARG_STRLEN */
	memset(huge, 'x', PAGE_SIZE * 32);
	huge[PAGE_SIZE * 32] = '\0';
	ck_assert_int_eq(do_load(&l), EXEC_E2BIG);

	/* at MAX_ARG_STRLEN it fits, and the stack grows to hold it */
	huge[PAGE_SIZE * 32 - 1] = '\0';
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	struct vm_area_struct *st = vma_lookup(l.mm, STACK_TOP_NO_ASLR - 1);
	ck_assert_uint_le(st->vm_start, l.mm->arg_start - (128 << 10));
	load_fini(&l);

	/* a 256 KiB rlimit leaves 128 KiB (ARG_MAX) for strings and pointers */
	load_init(&l, path);
	l.params.envp = envp;
	l.params.stack_rlimit = 256 << 10;
	huge[PAGE_SIZE * 32 - 1] = '\0';
	ck_assert_int_eq(do_load(&l), EXEC_E2BIG);
	huge[PAGE_SIZE * 30] = '\0';
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	load_fini(&l);

	free(huge);
	tmpdir_fini(&t);
}
END_TEST

START_TEST(test_load_errors_leave_no_mapping)
{
	struct tmpdir t;
	struct load l;
	char path[300];

	tmpdir_init(&t);
	load_init(&l, tmp_file(&t, "missing", path, sizeof(path)));
	ck_assert_int_eq(do_load(&l), EXEC_ENOENT);
	ck_assert_int_eq(l.mm->map_count, 0);
	load_fini(&l);
	tmpdir_fini(&t);
}
END_TEST

/* ---- real binaries from gcc ---- */

static bool build_with_gcc(const struct tmpdir *t, const char *flags, const char *out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "printf 'int main(void){return 0;}\\n' > '%s/m.c' && "
		 "gcc %s -o '%s/%s' '%s/m.c' >/dev/null 2>&1",
		 t->path, flags, t->path, out, t->path);
	return system(cmd) == 0;
}

static void check_real_binary(const char *flags, uint16_t type)
{
	struct tmpdir t;
	struct load l;
	struct elf_image img;
	char path[300];
	uint8_t buf[4096];

	if (system("gcc --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test_loader: no gcc, %s binary not checked\n", flags);
		return;
	}
	tmpdir_init(&t);
	tmp_file(&t, "real", path, sizeof(path));
	if (!build_with_gcc(&t, flags, "real")) {
		/* e.g. no static libc installed */
		fprintf(stderr, "test_loader: gcc %s failed, not checked\n", flags);
		tmpdir_fini(&t);
		return;
	}
	ck_assert_int_eq(elf_open_image(path, &img), EXEC_OK);
	ck_assert_uint_eq(img.ehdr.e_type, type);

	load_init(&l, path);
	ck_assert_int_eq(do_load(&l), EXEC_OK);
	struct vm_area_struct *code = vma_lookup(l.mm, l.res.entry);
	ck_assert_ptr_nonnull(code);
	ck_assert(code->vm_flags & VM_EXEC);
	ck_assert_ptr_nonnull(code->vm_file);
	/* the program headers as glibc's static start-up finds them */
	size_t len = img.ehdr.e_phnum * sizeof(Elf64_Phdr);
	ck_assert_uint_le(len, sizeof(buf));
	ck_assert_int_eq(copy_from_user(l.mm, buf, l.res.phdr, len), 0);
	ck_assert_int_eq(memcmp(buf, img.phdr, len), 0);
	ck_assert_uint_eq(auxv_get(l.mm, auxv_addr(l.mm, l.res.stack_pointer), AT_ENTRY),
			  l.res.entry);
	/* every byte of every PT_LOAD reads back as the file (or zero in bss) */
	for (unsigned int i = 0; i < img.ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &img.phdr[i];
		uint8_t file[64], mem[64];

		if (ph->p_type != PT_LOAD || ph->p_filesz < sizeof(file))
			continue;
		ck_assert_int_eq(pread(img.fd, file, sizeof(file),
				       (off_t)(ph->p_offset + ph->p_filesz - sizeof(file))),
				 (ssize_t)sizeof(file));
		ck_assert_int_eq(copy_from_user(l.mm, mem, l.res.load_bias + ph->p_vaddr +
						ph->p_filesz - sizeof(file), sizeof(file)), 0);
		ck_assert_int_eq(memcmp(file, mem, sizeof(file)), 0);
	}
	if (type == ET_DYN)
		ck_assert_uint_eq(l.mm->brk, PIE_BRK_NO_ASLR);
	else
		ck_assert_uint_eq(l.res.load_bias, 0);
	elf_release_image(&img);
	load_fini(&l);
	tmpdir_fini(&t);
}

START_TEST(test_real_static)
{
	check_real_binary("-static -O1", ET_EXEC);
}
END_TEST

START_TEST(test_real_static_pie)
{
	check_real_binary("-static-pie -O1", ET_DYN);
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("validate");

	tcase_add_test(tc, test_valid_exec_and_dyn);
	tcase_add_loop_test(tc, test_truncated_header, 0,
			    (int)(sizeof(trunc_sizes) / sizeof(trunc_sizes[0])));
	tcase_add_test(tc, test_truncated_body);
	tcase_add_test(tc, test_wrong_kind);
	tcase_add_test(tc, test_bad_program_headers);
	tcase_add_test(tc, test_shared_page_accepted);
	tcase_add_test(tc, test_interp);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_errno_and_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, test_load_exec_vmas);
	tcase_add_test(tc, test_load_bss_zeroed);
	tcase_add_test(tc, test_load_stack_contents);
	tcase_add_test(tc, test_load_matches_native_layout);
	tcase_add_test(tc, test_load_static_pie);
	tcase_add_test(tc, test_load_static_pie_aligned);
	tcase_add_test(tc, test_load_with_interp);
	tcase_add_test(tc, test_load_interp_resolved);
	tcase_add_test(tc, test_load_interp_exec);
	tcase_add_test(tc, test_load_interp_randomised);
	tcase_add_test(tc, test_load_interp_errors);
	tcase_add_test(tc, test_load_exec_stack);
	tcase_add_test(tc, test_load_readonly_bss);
	tcase_add_test(tc, test_load_shared_page);
	tcase_add_test(tc, test_load_deterministic_repeats);
	tcase_add_test(tc, test_load_randomised);
	tcase_add_test(tc, test_load_exec_randomised_brk);
	tcase_add_test(tc, test_load_empty_argv);
	tcase_add_test(tc, test_load_e2big);
	tcase_add_test(tc, test_load_errors_leave_no_mapping);
	suite_add_tcase(s, tc);

	tc = tcase_create("real");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_real_static);
	tcase_add_test(tc, test_real_static_pie);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loader_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
