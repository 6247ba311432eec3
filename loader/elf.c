/* Opening and validating an executable: the checks Linux's execve makes before
 * it commits to a new image (file type, permission, ELF header, program
 * headers), with libelf reading the headers, and the loader's error texts. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/loader.h"

/* Linux's load_elf_phdrs refuses a program header table larger than this. */
#define ELF_MAX_PHDR_BYTES 65536u
/* ... and a PT_INTERP name longer than PATH_MAX. */
#define ELF_MAX_INTERP_BYTES 4096u

const char *exec_strerror(enum exec_error err)
{
	switch (err) {
	case EXEC_OK:              return "success";
	case EXEC_ENOENT:          return "No such file or directory";
	case EXEC_EACCES:          return "Permission denied";
	case EXEC_EISDIR:          return "Is a directory";
	case EXEC_ENOEXEC_TRUNC:   return "not an ELF file or truncated";
	case EXEC_ENOEXEC_CLASS:   return "not a 64-bit ELF file";
	case EXEC_ENOEXEC_DATA:    return "not a little-endian ELF file";
	case EXEC_ENOEXEC_MACHINE: return "not an x86-64 executable";
	case EXEC_ENOEXEC_TYPE:    return "not an executable (ELF type is neither EXEC nor DYN)";
	case EXEC_ENOEXEC_PHDR:    return "invalid program headers (out of bounds, overlapping or misaligned)";
	case EXEC_ENOENT_INTERP:   return "its ELF interpreter (PT_INTERP) was not found";
	case EXEC_ELIBBAD:         return "its ELF interpreter (PT_INTERP) is not a valid x86-64 ELF file";
	case EXEC_ENOMEM:          return "out of guest memory";
	case EXEC_EIO:             return "input/output error";
	case EXEC_E2BIG:           return "Argument list too long";
	}
	return "unknown error";
}

int exec_errno(enum exec_error err)
{
	switch (err) {
	case EXEC_OK:              return 0;
	case EXEC_ENOENT:          return ENOENT;
	case EXEC_EACCES:          return EACCES;
	/* execve(2) of a directory fails in do_open_execat's S_ISREG test with
	 * EACCES; only shells say "Is a directory". */
	case EXEC_EISDIR:          return EACCES;
	case EXEC_ENOEXEC_TRUNC:
	case EXEC_ENOEXEC_CLASS:
	case EXEC_ENOEXEC_DATA:
	case EXEC_ENOEXEC_MACHINE:
	case EXEC_ENOEXEC_TYPE:
	case EXEC_ENOEXEC_PHDR:    return ENOEXEC;
	case EXEC_ENOENT_INTERP:   return ENOENT;
	case EXEC_ELIBBAD:         return ELIBBAD;
	case EXEC_ENOMEM:          return ENOMEM;
	case EXEC_EIO:             return EIO;
	case EXEC_E2BIG:           return E2BIG;
	}
	return EINVAL;
}

static enum exec_error errno_to_exec_error(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case ENAMETOOLONG:
		return EXEC_ENOENT;
	case EACCES:
	case EPERM:
		return EXEC_EACCES;
	case EISDIR:
		return EXEC_EISDIR;
	case ENOMEM:
		return EXEC_ENOMEM;
	default:
		return EXEC_EIO;
	}
}

/* The file-level checks of do_open_execat: a regular file the caller may
 * execute. The execute test is the kernel's own (faccessat with the effective
 * ids), so root needs at least one x bit, as generic_permission demands.
 * O_NONBLOCK keeps a FIFO swapped in after the stat from blocking the open. */
static enum exec_error open_exec(const char *path, int *fdp, uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno_to_exec_error(errno);
	if (S_ISDIR(st.st_mode))
		return EXEC_EISDIR;
	if (!S_ISREG(st.st_mode))
		return EXEC_EACCES;
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
		return errno == EACCES || errno == EPERM ? EXEC_EACCES
							 : errno_to_exec_error(errno);

	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno_to_exec_error(errno);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return EXEC_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? EXEC_EISDIR : EXEC_EACCES;
	}
	*fdp = fd;
	*size = (uint64_t)st.st_size;
	return EXEC_OK;
}

/* e_ident decides which header layout follows, so it is judged from the raw
 * bytes first: libelf would happily byte-swap a big-endian file or read a
 * 32-bit one, and reports a bad EI_VERSION only as "not ELF". */
static enum exec_error check_ident(int fd)
{
	unsigned char ident[EI_NIDENT];
	ssize_t n = pread(fd, ident, sizeof(ident), 0);

	if (n < 0)
		return EXEC_EIO;
	if ((size_t)n < sizeof(ident) || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return EXEC_ENOEXEC_TRUNC;
	if (ident[EI_CLASS] != ELFCLASS64)
		return EXEC_ENOEXEC_CLASS;
	if (ident[EI_DATA] != ELFDATA2LSB)
		return EXEC_ENOEXEC_DATA;
	return EXEC_OK;
}

/* True when [a, a + len) does not wrap and ends at or below limit. */
static bool range_within(uint64_t a, uint64_t len, uint64_t limit)
{
	return a <= limit && len <= limit - a;
}

static int cmp_load_vaddr(const void *a, const void *b)
{
	const Elf64_Phdr *x = *(const Elf64_Phdr *const *)a;
	const Elf64_Phdr *y = *(const Elf64_Phdr *const *)b;

	return x->p_vaddr < y->p_vaddr ? -1 : x->p_vaddr > y->p_vaddr;
}

/* The PT_LOAD rules the loader relies on (Linux enforces most of them only
 * by failing an mmap half-way through exec; we refuse up front). */
static enum exec_error check_loads(const struct elf_image *img)
{
	const Elf64_Phdr **loads;
	size_t nr_loads = 0;
	enum exec_error err = EXEC_OK;

	loads = calloc(img->ehdr.e_phnum, sizeof(*loads));
	if (!loads)
		return EXEC_ENOMEM;

	for (unsigned int i = 0; i < img->ehdr.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (!range_within(ph->p_offset, ph->p_filesz, img->file_size) ||
		    ph->p_filesz > ph->p_memsz ||
		    ph->p_vaddr % PAGE_SIZE != ph->p_offset % PAGE_SIZE ||
		    !range_within(ph->p_vaddr, ph->p_memsz, TASK_SIZE)) {
			err = EXEC_ENOEXEC_PHDR;
			goto out;
		}
		loads[nr_loads++] = ph;
	}
	/* Nothing to map: Linux's total_mapping_size is 0 and exec fails. */
	if (nr_loads == 0) {
		err = EXEC_ENOEXEC_PHDR;
		goto out;
	}

	/* Segments may share a page (the later one wins, as MAP_FIXED does in
	 * Linux), but not bytes: overlapping contents have no single meaning. */
	qsort(loads, nr_loads, sizeof(*loads), cmp_load_vaddr);
	for (size_t i = 1; i < nr_loads; i++) {
		if (loads[i]->p_vaddr < loads[i - 1]->p_vaddr + loads[i - 1]->p_memsz) {
			err = EXEC_ENOEXEC_PHDR;
			goto out;
		}
	}
out:
	free(loads);
	return err;
}

/* PT_INTERP names the dynamic loader: Linux wants at least two bytes, at
 * most PATH_MAX, the last a NUL (the name ends at the first one). */
static enum exec_error read_interp_name(struct elf_image *img, const Elf64_Phdr *ph)
{
	ssize_t n;

	if (ph->p_filesz < 2 || ph->p_filesz > ELF_MAX_INTERP_BYTES ||
	    !range_within(ph->p_offset, ph->p_filesz, img->file_size))
		return EXEC_ENOEXEC_PHDR;
	img->interp = malloc(ph->p_filesz);
	if (!img->interp)
		return EXEC_ENOMEM;
	n = pread(img->fd, img->interp, ph->p_filesz, (off_t)ph->p_offset);
	if (n < 0)
		return EXEC_EIO;
	if ((uint64_t)n != ph->p_filesz || img->interp[n - 1] != '\0')
		return EXEC_ENOEXEC_PHDR;
	return EXEC_OK;
}

/* Header checks in load_elf_binary's order, then program headers. */
static enum exec_error read_headers(Elf *elf, struct elf_image *img)
{
	GElf_Ehdr eh;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return EXEC_ENOEXEC_TRUNC;
	if (gelf_getclass(elf) != ELFCLASS64)
		return EXEC_ENOEXEC_CLASS;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return EXEC_ENOEXEC_TYPE;
	if (eh.e_machine != EM_X86_64)
		return EXEC_ENOEXEC_MACHINE;
	img->ehdr = eh;

	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > ELF_MAX_PHDR_BYTES ||
	    !range_within(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr),
			  img->file_size))
		return EXEC_ENOEXEC_PHDR;

	img->phdr = calloc(eh.e_phnum, sizeof(Elf64_Phdr));
	if (!img->phdr)
		return EXEC_ENOMEM;

	const Elf64_Phdr *interp = NULL;
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return EXEC_ENOEXEC_PHDR;
		img->phdr[i] = ph;
		/* Linux takes the first PT_INTERP and ignores any other. */
		if (ph.p_type == PT_INTERP && !interp)
			interp = &img->phdr[i];
		else if (ph.p_type == PT_GNU_STACK)
			img->exec_stack = (ph.p_flags & PF_X) != 0;
	}
	if (interp) {
		enum exec_error err = read_interp_name(img, interp);

		if (err != EXEC_OK)
			return err;
	}
	return check_loads(img);
}

enum exec_error elf_open_image(const char *path, struct elf_image *img)
{
	enum exec_error err;
	Elf *elf;

	memset(img, 0, sizeof(*img));
	img->fd = -1;

	err = open_exec(path, &img->fd, &img->file_size);
	if (err != EXEC_OK)
		return err;
	err = check_ident(img->fd);
	if (err != EXEC_OK)
		goto fail;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		err = EXEC_EIO;
		goto fail;
	}
	elf = elf_begin(img->fd, ELF_C_READ, NULL);
	if (!elf) {
		err = EXEC_ENOEXEC_TRUNC;
		goto fail;
	}
	err = read_headers(elf, img);
	elf_end(elf);
	if (err == EXEC_OK)
		return EXEC_OK;
fail:
	elf_release_image(img);
	return err;
}

void elf_release_image(struct elf_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
	free(img->phdr);
	img->phdr = NULL;
	free(img->interp);
	img->interp = NULL;
}

enum exec_error elf_check_file(const char *path)
{
	struct elf_image img;
	enum exec_error err = elf_open_image(path, &img);

	if (err == EXEC_OK)
		elf_release_image(&img);
	return err;
}
