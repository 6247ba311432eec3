/* --strace: each syscall as strace prints it, with decoded arguments
 * (`openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3`). Inputs are
 * decoded before the call (execve's strings are gone after it), outputs
 * such as read()'s buffer after it. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "syscall.h"
#include "strace.h"

/* Argument kinds in a signature string, one letter an argument. */
enum {
	A_INT = 'd', A_HEX = 'x', A_FD = 'f', A_DIRFD = 'D', A_PATH = 'p', A_BUF = 'b',
	A_OBUF = 'o', A_SIZE = 'u', A_OFLAGS = 'O', A_MODE = 'm', A_PROT = 'P',
	A_MFLAGS = 'M', A_SIG = 's', A_PTR = '*', A_ARGV = 'v', A_ENVP = 'e',
	A_ATFLAGS = 'a', A_HOW = 'h', A_ARCH = 'r',
};

struct sig_desc {
	int nr;
	const char *name;
	const char *args;
};

static const struct sig_desc sigs[] = {
	{ SYS_read, "read", "fou" }, { SYS_write, "write", "fbu" },
	{ SYS_open, "open", "pOm" }, { SYS_openat, "openat", "DpOm" },
	{ SYS_close, "close", "f" }, { SYS_stat, "stat", "p*" }, { SYS_lstat, "lstat", "p*" },
	{ SYS_fstat, "fstat", "f*" }, { SYS_newfstatat, "newfstatat", "Dp*a" },
	{ SYS_lseek, "lseek", "fdd" }, { SYS_mmap, "mmap", "*uPMfx" },
	{ SYS_mprotect, "mprotect", "*uP" }, { SYS_munmap, "munmap", "*u" },
	{ SYS_brk, "brk", "*" }, { SYS_rt_sigaction, "rt_sigaction", "s**u" },
	{ SYS_rt_sigprocmask, "rt_sigprocmask", "h**u" }, { SYS_ioctl, "ioctl", "fx*" },
	{ SYS_pread64, "pread64", "foud" }, { SYS_pwrite64, "pwrite64", "fbud" },
	{ SYS_access, "access", "pd" }, { SYS_pipe, "pipe", "*" }, { SYS_pipe2, "pipe2", "*O" },
	{ SYS_dup, "dup", "f" }, { SYS_dup2, "dup2", "ff" }, { SYS_dup3, "dup3", "ffO" },
	{ SYS_getpid, "getpid", "" }, { SYS_getppid, "getppid", "" }, { SYS_gettid, "gettid", "" },
	{ SYS_clone, "clone", "x**x" }, { SYS_fork, "fork", "" }, { SYS_vfork, "vfork", "" },
	{ SYS_execve, "execve", "pve" }, { SYS_exit, "exit", "d" },
	{ SYS_exit_group, "exit_group", "d" }, { SYS_wait4, "wait4", "d*x*" },
	{ SYS_kill, "kill", "ds" }, { SYS_tgkill, "tgkill", "dds" }, { SYS_tkill, "tkill", "ds" },
	{ SYS_uname, "uname", "*" }, { SYS_fcntl, "fcntl", "fdx" },
	{ SYS_getdents64, "getdents64", "f*u" }, { SYS_getcwd, "getcwd", "*u" },
	{ SYS_chdir, "chdir", "p" }, { SYS_rename, "rename", "pp" }, { SYS_mkdir, "mkdir", "pm" },
	{ SYS_rmdir, "rmdir", "p" }, { SYS_unlink, "unlink", "p" },
	{ SYS_unlinkat, "unlinkat", "Dpa" }, { SYS_readlink, "readlink", "p*u" },
	{ SYS_readlinkat, "readlinkat", "Dp*u" }, { SYS_chmod, "chmod", "pm" },
	{ SYS_arch_prctl, "arch_prctl", "rx" }, { SYS_set_tid_address, "set_tid_address", "*" },
	{ SYS_exit, "exit", "d" }, { SYS_mremap, "mremap", "*uux*" },
	{ SYS_madvise, "madvise", "*ud" }, { SYS_mincore, "mincore", "*u*" },
	{ SYS_futex, "futex", "*dd*" }, { SYS_nanosleep, "nanosleep", "**" },
	{ SYS_clock_gettime, "clock_gettime", "d*" }, { SYS_getrandom, "getrandom", "*ux" },
	{ SYS_prlimit64, "prlimit64", "dd**" }, { SYS_set_robust_list, "set_robust_list", "*u" },
	{ SYS_rseq, "rseq", "*uxx" }, { SYS_poll, "poll", "*dd" },
	{ SYS_readv, "readv", "f*d" }, { SYS_writev, "writev", "f*d" },
	{ SYS_sigaltstack, "sigaltstack", "**" }, { SYS_rt_sigreturn, "rt_sigreturn", "" },
	{ SYS_faccessat, "faccessat", "Dpd" }, { SYS_faccessat2, "faccessat2", "Dpda" },
	{ SYS_statx, "statx", "Dpax*" }, { SYS_setpgid, "setpgid", "dd" },
	{ SYS_getuid, "getuid", "" }, { SYS_geteuid, "geteuid", "" }, { SYS_getgid, "getgid", "" },
	{ SYS_getegid, "getegid", "" }, { SYS_umask, "umask", "m" },
	{ SYS_sysinfo, "sysinfo", "*" }, { SYS_prctl, "prctl", "dxxxx" },
	{ SYS_memfd_create, "memfd_create", "px" }, { SYS_ftruncate, "ftruncate", "fd" },
	{ SYS_waitid, "waitid", "dd*x*" }, { SYS_clone3, "clone3", "*u" },
	/* what dynamic programs add: xattrs (ls -l), ids (make), membarrier */
	{ SYS_getxattr, "getxattr", "pp*u" }, { SYS_lgetxattr, "lgetxattr", "pp*u" },
	{ SYS_fgetxattr, "fgetxattr", "fp*u" }, { SYS_listxattr, "listxattr", "p*u" },
	{ SYS_llistxattr, "llistxattr", "p*u" }, { SYS_flistxattr, "flistxattr", "f*u" },
	{ SYS_setxattr, "setxattr", "pp*ux" }, { SYS_lsetxattr, "lsetxattr", "pp*ux" },
	{ SYS_fsetxattr, "fsetxattr", "fp*ux" }, { SYS_removexattr, "removexattr", "pp" },
	{ SYS_lremovexattr, "lremovexattr", "pp" }, { SYS_fremovexattr, "fremovexattr", "fp" },
	{ SYS_setuid, "setuid", "d" }, { SYS_setgid, "setgid", "d" },
	{ SYS_setreuid, "setreuid", "dd" }, { SYS_setregid, "setregid", "dd" },
	{ SYS_setresuid, "setresuid", "ddd" }, { SYS_setresgid, "setresgid", "ddd" },
	{ SYS_membarrier, "membarrier", "xx" },
};

static const struct sig_desc *find_sig(uint64_t nr)
{
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if ((uint64_t)sigs[i].nr == nr)
			return &sigs[i];
	return NULL;
}

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n : o->cap - o->len - 1;
}

/* A guest string or buffer in strace's quoting, at most 32 bytes shown. */
static void put_quoted(struct out *o, struct task_struct *t, uint64_t addr, long len, bool cstr)
{
	unsigned char data[33];
	long n = cstr ? 32 : (len < 32 ? len : 32);
	long shown = 0;

	if (!addr) {
		put(o, "NULL");
		return;
	}
	if (n < 0)
		n = 0;
	/* Read what is readable: a string may end before a bad page. */
	while (n > 0 && copy_from_user(t->mm, data, addr, (size_t)n))
		n--;
	if (!n && (cstr || len > 0)) {
		put(o, "%#lx", (unsigned long)addr);
		return;
	}
	put(o, "\"");
	for (long i = 0; i < n; i++) {
		unsigned char c = data[i];

		if (cstr && !c)
			break;
		shown++;
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c == '\n')
			put(o, "\\n");
		else if (c == '\t')
			put(o, "\\t");
		else if (c < 32 || c > 126)
			put(o, "\\%o", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
	if ((cstr && shown == 32) || (!cstr && len > 32))
		put(o, "...");
}

struct flag_name {
	uint64_t bit;
	const char *name;
};

static void put_flags(struct out *o, uint64_t v, const struct flag_name *tab, size_t ntab)
{
	bool first = true;

	for (size_t i = 0; i < ntab; i++) {
		if (tab[i].bit && (v & tab[i].bit) == tab[i].bit) {
			put(o, "%s%s", first ? "" : "|", tab[i].name);
			v &= ~tab[i].bit;
			first = false;
		}
	}
	if (v || first)
		put(o, first ? "%#lx" : "|%#lx", (unsigned long)v);
}

#define FLAGS(o, v, tab) put_flags(o, v, tab, sizeof(tab) / sizeof(tab[0]))

static void put_oflags(struct out *o, uint64_t v)
{
	static const struct flag_name tab[] = {
		{ O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" }, { O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" }, { O_DIRECT, "O_DIRECT" }, { O_LARGEFILE, "O_LARGEFILE" },
		{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
		{ O_NOATIME, "O_NOATIME" }, { O_CLOEXEC, "O_CLOEXEC" }, { O_PATH, "O_PATH" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

	put(o, "%s", acc[v & 3]);
	if (v & ~3ULL) {
		put(o, "|");
		FLAGS(o, v & ~3ULL, tab);
	}
}

static void put_prot(struct out *o, uint64_t v)
{
	static const struct flag_name tab[] = {
		{ PROT_READ, "PROT_READ" }, { PROT_WRITE, "PROT_WRITE" }, { PROT_EXEC, "PROT_EXEC" },
		{ PROT_GROWSDOWN, "PROT_GROWSDOWN" },
	};

	if (!v)
		put(o, "PROT_NONE");
	else
		FLAGS(o, v, tab);
}

static void put_mflags(struct out *o, uint64_t v)
{
	static const struct flag_name tab[] = {
		{ MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE" }, { MAP_SHARED, "MAP_SHARED" },
		{ MAP_PRIVATE, "MAP_PRIVATE" }, { MAP_FIXED, "MAP_FIXED" },
		{ MAP_ANONYMOUS, "MAP_ANONYMOUS" }, { MAP_32BIT, "MAP_32BIT" },
		{ MAP_GROWSDOWN, "MAP_GROWSDOWN" }, { MAP_DENYWRITE, "MAP_DENYWRITE" },
		{ MAP_LOCKED, "MAP_LOCKED" }, { MAP_NORESERVE, "MAP_NORESERVE" },
		{ MAP_POPULATE, "MAP_POPULATE" }, { MAP_STACK, "MAP_STACK" },
		{ MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" },
	};

	FLAGS(o, v, tab);
}

static void put_signame(struct out *o, uint64_t v)
{
	const char *abbrev = (int)v > 0 && (int)v < 32 ? sigabbrev_np((int)v) : NULL;

	if (abbrev)
		put(o, "SIG%s", abbrev);
	else if ((int)v >= 32 && (int)v <= 64)
		put(o, "SIGRT_%d", (int)v - 32);
	else
		put(o, "%d", (int)v);
}

/* argv-like arrays: strace shows the strings, envp as a count. */
static void put_strings(struct out *o, struct task_struct *t, uint64_t addr, bool count_only)
{
	int n = 0;

	if (!addr) {
		put(o, "NULL");
		return;
	}
	if (count_only) {
		uint64_t p;

		while (n < 4096 && !copy_from_user(t->mm, &p, addr + 8 * n, 8) && p)
			n++;
		put(o, "%#lx /* %d var%s */", (unsigned long)addr, n, n == 1 ? "" : "s");
		return;
	}
	put(o, "[");
	for (;; n++) {
		uint64_t p;

		if (copy_from_user(t->mm, &p, addr + 8 * n, 8) || !p)
			break;
		if (n >= 32) {
			put(o, ", ...");
			break;
		}
		put(o, n ? ", " : "");
		put_quoted(o, t, p, 0, true);
	}
	put(o, "]");
}

static void put_arg(struct out *o, struct task_struct *t, char kind, uint64_t v,
		    const uint64_t *a, long ret)
{
	switch (kind) {
	case A_INT: put(o, "%d", (int)v); break;
	case A_FD: put(o, "%d", (int)v); break;
	case A_DIRFD:
		if ((int)v == AT_FDCWD)
			put(o, "AT_FDCWD");
		else
			put(o, "%d", (int)v);
		break;
	case A_SIZE: put(o, "%lu", (unsigned long)v); break;
	case A_PATH: put_quoted(o, t, v, 0, true); break;
	case A_BUF: put_quoted(o, t, v, (long)a[2], false); break;
	case A_OBUF:
		if (ret >= 0)
			put_quoted(o, t, v, ret, false);
		else
			put(o, "%#lx", (unsigned long)v);
		break;
	case A_OFLAGS: put_oflags(o, v); break;
	case A_MODE: put(o, "%#o", (unsigned int)v); break;
	case A_PROT: put_prot(o, v); break;
	case A_MFLAGS: put_mflags(o, v); break;
	case A_SIG: put_signame(o, v); break;
	case A_PTR: v ? put(o, "%#lx", (unsigned long)v) : put(o, "NULL"); break;
	case A_ARGV: put_strings(o, t, v, false); break;
	case A_ENVP: put_strings(o, t, v, true); break;
	case A_ATFLAGS:
		put(o, v == AT_SYMLINK_NOFOLLOW ? "AT_SYMLINK_NOFOLLOW" : v == AT_EMPTY_PATH
		    ? "AT_EMPTY_PATH" : v == AT_REMOVEDIR ? "AT_REMOVEDIR" : "%#lx",
		    (unsigned long)v);
		break;
	case A_HOW:
		put(o, v == 0 ? "SIG_BLOCK" : v == 1 ? "SIG_UNBLOCK" : v == 2 ? "SIG_SETMASK" : "%lu",
		    (unsigned long)v);
		break;
	case A_ARCH:
		put(o, v == 0x1002 ? "ARCH_SET_FS" : v == 0x1003 ? "ARCH_GET_FS" : v == 0x1001
		    ? "ARCH_SET_GS" : v == 0x1004 ? "ARCH_GET_GS" : "%#lx", (unsigned long)v);
		break;
	default: put(o, "%#lx", (unsigned long)v); break;
	}
}

void strace_enter(machine_t *m, struct task_struct *t, uint64_t nr, const uint64_t *a,
		  struct strace_call *c)
{
	const struct sig_desc *d = find_sig(nr);
	struct out o = { c->text, 0, sizeof(c->text) };
	const char *name = d ? d->name : NULL;

	c->deferred = -1;
	if (!name && nr < NR_SYSCALLS && m->syscalls[nr].name) {
		name = m->syscalls[nr].name;
		if (!strncmp(name, "sys_", 4))
			name += 4;
	}
	if (name)
		put(&o, "%s(", name);
	else
		put(&o, "syscall_%lu(", (unsigned long)nr);
	if (!d) {
		for (int i = 0; i < 3; i++)
			put(&o, "%s%#lx", i ? ", " : "", (unsigned long)a[i]);
		c->len = o.len;
		return;
	}
	for (int i = 0; d->args[i]; i++) {
		/* open's mode is shown only when it is used. */
		if (d->args[i] == A_MODE && (d->nr == SYS_open || d->nr == SYS_openat) &&
		    !(a[i - 1] & (O_CREAT | __O_TMPFILE)))
			break;
		put(&o, i ? ", " : "");
		if (d->args[i] == A_OBUF) {
			/* Filled after the call, when the buffer holds data. */
			c->deferred = i;
			c->split = o.len;
			break;
		}
		put_arg(&o, t, d->args[i], a[i], a, 0);
	}
	c->len = o.len;
	c->sig = d;
}

void strace_exit(machine_t *m, struct task_struct *t, uint64_t nr, const uint64_t *a, long ret,
		 struct strace_call *c)
{
	const struct sig_desc *d = c->deferred >= 0 ? c->sig : NULL;
	char line[1024];
	struct out o = { line, 0, sizeof(line) };

	put(&o, "[pid %5d] %.*s", t->pid, (int)(d ? c->split : c->len), c->text);
	if (d) {
		for (int i = c->deferred; d->args[i]; i++) {
			put(&o, i > c->deferred ? ", " : "");
			put_arg(&o, t, d->args[i], a[i], a, ret);
		}
	}
	if (nr == SYS_exit || nr == SYS_exit_group) {
		put(&o, ") = ?");
	} else if (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
		   ret == -ERESTART_RESTARTBLOCK) {
		/* As strace shows a syscall a signal interrupted. */
		put(&o, ") = ? %s", ret == -ERESTARTSYS ? "ERESTARTSYS (To be restarted if SA_RESTART is set)"
			: ret == -ERESTARTNOINTR ? "ERESTARTNOINTR (To be restarted)"
			: ret == -ERESTARTNOHAND ? "ERESTARTNOHAND (To be restarted if no handler)"
			: "ERESTART_RESTARTBLOCK (Interrupted by signal)");
	} else if (ret < 0 && ret >= -4095) {
		const char *en = strerrorname_np((int)-ret);

		put(&o, ") = -1 %s (%s)", en ? en : "E?", strerror((int)-ret));
	} else if (nr == SYS_mmap || nr == SYS_brk || nr == SYS_mremap) {
		put(&o, ") = %#lx", (unsigned long)ret);
	} else {
		put(&o, ") = %ld", ret);
	}
	machine_log(m, VMEMU_LOG_INFO, "%s", line);
}
