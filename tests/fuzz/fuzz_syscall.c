/* Fuzz target: the system-call layer of a live machine, through the public
 * API only. The input becomes a program of system calls (numbers from the
 * table vmemu implements, arguments raw, random pointers included, or
 * pointing into a scratch buffer) that tests/fuzz/syscall_guest.c runs
 * under vmemu with a throw-away --root. Whatever the calls, vmemu must
 * neither crash nor trip a sanitizer; the guest may die as it likes.
 *
 * Calls that would only make the run wait (sleeps, blocking waits, pipes
 * and FIFOs nobody writes to, stop signals) are left out or defused, since
 * a guest blocked for ever is Linux's behaviour too, not a bug. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vmemu/vmemu.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_SYSCALL_GUEST
#define FUZZ_SYSCALL_GUEST "tests/fuzz/syscall_guest"
#endif

#define MAX_RECORDS 48
#define SCRATCH_INIT 4096

struct record {
	uint64_t nr;
	uint64_t arg[6];
	uint8_t kind[6];
	uint8_t pad[2];
};
enum { ARG_RAW, ARG_SCRATCH, ARG_LAST };

/* What the program may call: vmemu's table, minus what only blocks. */
static const int allowed[] = {
	SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev,
	SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2, SYS_lseek, SYS_open,
	SYS_openat, SYS_creat, SYS_close, SYS_close_range, SYS_stat, SYS_lstat,
	SYS_fstat, SYS_newfstatat, SYS_statx, SYS_access, SYS_faccessat,
	SYS_faccessat2, SYS_statfs, SYS_fstatfs, SYS_getdents64, SYS_getcwd,
	SYS_chdir, SYS_fchdir, SYS_mkdir, SYS_mkdirat, SYS_rmdir, SYS_unlink,
	SYS_unlinkat, SYS_rename, SYS_renameat, SYS_renameat2, SYS_readlink,
	SYS_readlinkat, SYS_symlink, SYS_symlinkat, SYS_link, SYS_linkat,
	SYS_chmod, SYS_fchmod, SYS_fchmodat, SYS_chown, SYS_fchown, SYS_lchown,
	SYS_fchownat, SYS_utimensat, SYS_utimes, SYS_utime, SYS_truncate,
	SYS_ftruncate, SYS_fsync, SYS_fdatasync, SYS_fadvise64, SYS_fallocate,
	SYS_flock, SYS_fcntl, SYS_ioctl, SYS_dup, SYS_dup2, SYS_dup3,
	SYS_memfd_create, SYS_umask,
	SYS_mmap, SYS_munmap, SYS_brk, SYS_mremap, SYS_mprotect, SYS_madvise,
	SYS_mincore, SYS_mlock, SYS_mlock2, SYS_munlock, SYS_mlockall, SYS_munlockall,
	SYS_exit, SYS_exit_group, SYS_clone, SYS_clone3, SYS_fork, SYS_vfork,
	SYS_wait4, SYS_waitid, SYS_getrusage, SYS_kill, SYS_tgkill, SYS_tkill,
	SYS_setpgid, SYS_setsid, SYS_getpgid, SYS_getsid, SYS_getpid, SYS_gettid,
	SYS_getppid, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid,
	SYS_getresuid, SYS_getresgid, SYS_getgroups, SYS_getpgrp, SYS_uname,
	SYS_arch_prctl, SYS_set_tid_address, SYS_set_robust_list, SYS_rseq,
	SYS_prlimit64, SYS_getrlimit, SYS_setrlimit, SYS_sched_getaffinity,
	SYS_sched_yield, SYS_getcpu, SYS_getrandom, SYS_sysinfo, SYS_prctl,
	SYS_execve, SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn,
	SYS_sigaltstack, SYS_rt_sigpending, SYS_clock_gettime, SYS_clock_getres,
	SYS_gettimeofday, SYS_time, SYS_times, SYS_futex,
	/* not in vmemu's table: ENOSYS must come back */
	SYS_ptrace, SYS_reboot, 999,
};
#define NR_ALLOWED (sizeof(allowed) / sizeof(allowed[0]))

static char guest_path[4096];
static uint8_t *guest_image;
static size_t guest_size;
static char root[64];
static int devnull = -1;

static int verbose;

static void log_stderr(void *ctx, int level, const char *msg)
{
	(void)ctx, (void)level;
	fprintf(stderr, "vmemu: %s\n", msg);
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
		die(path);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die(path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag;
	if (ftw->level > 0)
		remove(p);
	return 0;
}

/* Each input starts with a root holding the guest and nothing else. The
 * guest may have chmod-ed directories shut: open them again first. */
static int chmod_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(p, 0700);
	(void)sb;
	return 0;
}

static void reset_root(const uint8_t *prog, size_t len)
{
	char path[128];
	int fd;

	chmod(root, 0700);
	nftw(root, chmod_entry, 16, FTW_PHYS);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(root, 0700);
	snprintf(path, sizeof(path), "%s/g", root);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, guest_image, guest_size) != (ssize_t)guest_size || close(fd) < 0)
		die(path);
	snprintf(path, sizeof(path), "%s/prog", root);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, prog, len) != (ssize_t)len || close(fd) < 0)
		die(path);
}

static void cleanup(void)
{
	if (root[0]) {
		nftw(root, chmod_entry, 16, FTW_PHYS);
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		rmdir(root);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *env = getenv("FUZZ_SYSCALL_GUEST"), *tmp = getenv("TMPDIR");
	/* Files the guest writes stay small; past the limit, EFBIG. */
	struct rlimit fsize = { 8 << 20, 8 << 20 };

	(void)argc, (void)argv;
	snprintf(guest_path, sizeof(guest_path), "%s", env ? env : FUZZ_SYSCALL_GUEST);
	guest_image = slurp(guest_path, &guest_size);
	snprintf(root, sizeof(root), "%s/fuzz_syscall.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		die("mkdtemp");
	atexit(cleanup);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		die("/dev/null");
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &fsize) < 0)
		die("setrlimit");
	return 0;
}

/* Defuses the arguments of calls that could block for ever. */
static void defuse(struct record *r)
{
	switch (r->nr) {
	case SYS_futex:
		/* FUTEX_WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI, LOCK_PI2
		 * wait: wake instead. */
		switch (r->arg[1] & 0x7f) {
		case 0: case 6: case 9: case 11: case 13:
			r->arg[1] = (r->arg[1] & ~0x7fULL) | 1;
		}
		break;
	case SYS_wait4:
		r->arg[2] |= 1;                 /* WNOHANG */
		break;
	case SYS_waitid:
		r->arg[3] |= 1;                 /* WNOHANG */
		break;
	case SYS_kill: case SYS_tkill: case SYS_tgkill: {
		int i = r->nr == SYS_tgkill ? 2 : 1;

		if (r->kind[i] == ARG_RAW && r->arg[i] >= 19 && r->arg[i] <= 22)
			r->arg[i] = 0;          /* stop signals: nothing continues them */
		break;
	}
	case SYS_fcntl:
		/* F_SETLKW, F_OFD_SETLKW: F_SETLK, F_OFD_SETLK */
		if (r->arg[1] == 7 || r->arg[1] == 38)
			r->arg[1]--;
		break;
	case SYS_flock:
		r->arg[1] |= 4;                 /* LOCK_NB */
		break;
	case SYS_mlockall:
		/* Locking every future mapping makes large NORESERVE maps
		 * populate, which only costs time. */
		r->arg[0] &= ~2ULL;
		break;
	}
}

static uint64_t pick_value(struct fuzz_input *in, uint8_t sel)
{
	static const uint64_t special[] = {
		0, 1, 2, 3, 4096, 0xffffffffffffffffULL, 0x7fffffffffffULL, 0x800000000000ULL,
		0x400000, 0x7ffffffff000ULL, 0xffffffffULL, 0x80000000ULL, 100, 0xffffff9c, /* AT_FDCWD */
		0xffffffffffffff9cULL,
	};

	switch (sel % 8) {
	case 0: case 1: case 2:
		return fuzz_u8(in);
	case 3:
		return fuzz_u16(in);
	case 4:
		return fuzz_u32(in);
	case 5:
		return fuzz_u64(in);
	default:
		return special[fuzz_u8(in) % (sizeof(special) / sizeof(special[0]))];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	static uint8_t prog[SCRATCH_INIT + MAX_RECORDS * sizeof(struct record)];
	size_t len = SCRATCH_INIT;
	struct vmemu_config cfg;
	vmemu_machine *m;
	char *const argv[] = { "/g", NULL };
	char *const envp[] = { "PATH=/", NULL };
	char err[256];
	int status;

	if (!guest_image)
		LLVMFuzzerInitialize(NULL, NULL);
	/* The scratch buffer's contents: paths, structures, iovecs. */
	memset(prog, 0, SCRATCH_INIT);
	fuzz_bytes(&in, prog, 512);
	while (in.left && len + sizeof(struct record) <= sizeof(prog)) {
		struct record r = { 0 };
		uint8_t sel = fuzz_u8(&in);

		r.nr = (uint64_t)allowed[fuzz_u8(&in) % NR_ALLOWED];
		for (int i = 0; i < 6; i++) {
			uint8_t k = fuzz_u8(&in);

			r.kind[i] = k % 4 == 3 ? ARG_SCRATCH : k % 8 == 2 ? ARG_LAST : ARG_RAW;
			r.arg[i] = pick_value(&in, k >> 3);
		}
		(void)sel;
		defuse(&r);
		memcpy(prog + len, &r, sizeof(r));
		len += sizeof(r);
	}
	reset_root(prog, len);

	vmemu_config_init(&cfg);
	cfg.mem_bytes = 32 << 20;
	cfg.root = root;
	cfg.deterministic = 1;
	cfg.guest_stdin = devnull;
	cfg.guest_stdout = devnull;
	cfg.guest_stderr = devnull;
	if (verbose) {                  /* FUZZ_VERBOSE=1: strace the guest */
		cfg.trace = VMEMU_TRACE_SYSCALLS;
		cfg.verbose = 1;
		cfg.log = log_stderr;
	}
	if (vmemu_machine_create(&cfg, &m))
		die("vmemu_machine_create");
	if (vmemu_spawn(m, "/g", argv, envp, err, sizeof(err)) == 0) {
		if (vmemu_run(m, &status) == 0 && verbose)
			fprintf(stderr, "fuzz_syscall: wait status %#x\n", status);
	} else {
		fprintf(stderr, "fuzz_syscall: spawn: %s\n", err);
	}
	vmemu_machine_destroy(m);
	return 0;
}
