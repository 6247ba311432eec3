/* The ELF loader: validates an x86-64 ELF64 executable (ET_EXEC or ET_DYN,
 * static or with a PT_INTERP dynamic loader) with libelf and builds the
 * initial process image in an mm_struct: segment VMAs of the program and its
 * interpreter, brk, and the stack with argv, envp and the auxv. */
#ifndef LOADER_LOADER_H
#define LOADER_LOADER_H

#include <stdint.h>
#include <stdbool.h>
#include "guestmm/mm.h"

/* What the CPU model offers, for AT_HWCAP, AT_HWCAP2, AT_PLATFORM. */
struct exec_cpu_info {
	uint64_t hwcap, hwcap2;
	const char *platform;        /* "x86_64" */
	uint64_t minsigstksz;        /* AT_MINSIGSTKSZ */
};

struct exec_params {
	const char *path;            /* host path to open (already resolved below --root) */
	const char *execfn;          /* the name the guest used, for AT_EXECFN */
	char *const *argv;
	char *const *envp;
	bool deterministic;          /* fixed bases instead of randomised ones */
	uint64_t (*random)(void *ctx); /* randomness source (seeded when deterministic) */
	void *random_ctx;
	const struct exec_cpu_info *cpu;
	uid_t uid, euid;
	gid_t gid, egid;
	uint64_t stack_rlimit;       /* RLIMIT_STACK, bytes (0: Linux's default 8 MiB) */
	const char *maps_path;       /* the guest's absolute name of the file, as
	                                /proc/PID/maps shows it (NULL: path) */
	/* Finds the file PT_INTERP names, as the guest's open_exec would:
	 * returns the host path to open (malloc) and sets *maps_name to the
	 * guest's name of it (malloc), or returns NULL with *err = -errno.
	 * NULL: the name is a host path. */
	char *(*resolve_interp)(void *ctx, const char *name, char **maps_name, int *err);
	void *resolve_ctx;
};

struct exec_result {
	uint64_t entry;              /* where execution starts */
	uint64_t stack_pointer;      /* initial RSP (points at argc) */
	uint64_t load_bias;          /* 0 for ET_EXEC */
	uint64_t phdr, phnum;
	uint64_t interp_base;        /* AT_BASE: the interpreter's load address, or 0 */
};

/* Errors the loader reports; exec_strerror gives the one-line reason. */
enum exec_error {
	EXEC_OK = 0,
	EXEC_ENOENT,          /* no such file: exit 127 */
	EXEC_EACCES,          /* permission denied: 126 */
	EXEC_EISDIR,          /* is a directory: 126 */
	EXEC_ENOEXEC_TRUNC,   /* truncated or not an ELF: 126 */
	EXEC_ENOEXEC_CLASS,   /* not ELF64 */
	EXEC_ENOEXEC_DATA,    /* not little-endian */
	EXEC_ENOEXEC_MACHINE, /* not x86-64 */
	EXEC_ENOEXEC_TYPE,    /* not ET_EXEC / ET_DYN */
	EXEC_ENOEXEC_PHDR,    /* bad program headers: offsets past EOF, overlaps, absurd sizes */
	EXEC_ENOENT_INTERP,   /* the PT_INTERP file cannot be opened: 127 */
	EXEC_ELIBBAD,         /* the PT_INTERP file is no x86-64 ELF it could load */
	EXEC_ENOMEM,          /* guest memory exhausted */
	EXEC_EIO,
	EXEC_E2BIG,           /* argv + envp too large for the stack limit */
};
const char *exec_strerror(enum exec_error err);
/* The errno Linux's execve would return for err (ENOENT, EACCES, ENOEXEC, ...). */
int exec_errno(enum exec_error err);

/* Validate only (no mm needed): fills *info; used by execve before tearing
 * down the old image, so a bad file leaves the caller intact. */
enum exec_error elf_check_file(const char *path);

/* Loads the image into mm (which must be empty). */
enum exec_error load_elf_binary(struct mm_struct *mm, const struct exec_params *params,
				struct exec_result *result);

/* ---- Internal to loader/: what elf.c hands to exec.c ---- */
#include <elf.h>

/* A validated executable: every PT_LOAD lies inside the file, is in the user
 * half, is congruent to its file offset modulo the page size, and overlaps no
 * other PT_LOAD; the program headers are exactly e_phnum Elf64_Phdr. */
struct elf_image {
	int fd;                      /* open host descriptor, owned; -1 once given away */
	uint64_t file_size;
	Elf64_Ehdr ehdr;
	Elf64_Phdr *phdr;            /* e_phnum entries (malloc) */
	bool exec_stack;             /* PT_GNU_STACK has PF_X */
	char *interp;                /* PT_INTERP's name (malloc), or NULL */
};

/* Opens and validates path as elf_check_file does; on EXEC_OK img holds the
 * open file and headers until elf_release_image. */
enum exec_error elf_open_image(const char *path, struct elf_image *img);
void elf_release_image(struct elf_image *img);

#endif
