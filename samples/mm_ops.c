/* mm_ops: exercises the memory-management system calls (mmap, munmap,
 * mprotect, mremap, brk, madvise, mincore, mlock) and the SIGSEGVs they lead
 * to, printing one deterministic line per check for comparison with Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Values from the Linux UAPI, for C libraries whose headers predate them. */
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef PROT_GROWSDOWN
#define PROT_GROWSDOWN 0x01000000
#endif

#define RW (PROT_READ | PROT_WRITE)
#define PRIV (MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED (MAP_SHARED | MAP_ANONYMOUS)

static size_t pg;

/* ---- Reporting ------------------------------------------------------- */

/* errno by name: the C libraries' strerror texts differ. */
static const char *errname(int e)
{
	static char other[32];

	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	snprintf(other, sizeof other, "errno %d", e);
	return other;
}

static void yesno(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "yes" : "no");
}

/* The outcome of a call returning 0 or -1: "0" or "-1 ENAME". */
static void ret(const char *what, long r)
{
	int e = errno;

	if (r == -1)
		printf("%s: -1 %s\n", what, errname(e));
	else
		printf("%s: %ld\n", what, r);
}

/* The outcome of a call returning an address: "ok" or "MAP_FAILED ENAME". */
static void ret_map(const char *what, void *p)
{
	int e = errno;

	if (p == MAP_FAILED)
		printf("%s: MAP_FAILED %s\n", what, errname(e));
	else
		printf("%s: ok\n", what);
}

static void die(const char *what)
{
	printf("FATAL: %s: %s\n", what, errname(errno));
	exit(1);
}

static int all(const char *p, size_t n, int c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (char)c)
			return 0;
	return 1;
}

static int aligned(const void *p)
{
	return ((uintptr_t)p & (pg - 1)) == 0;
}

static char *align_up(char *p)
{
	return (char *)(((uintptr_t)p + pg - 1) & ~(uintptr_t)(pg - 1));
}

static char *map(size_t npages, int prot, int flags)
{
	void *p = mmap(NULL, npages * pg, prot, flags, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* A range of npages that nothing maps, until the next mmap without a hint. */
static char *free_range(size_t npages)
{
	char *p = map(npages, PROT_NONE, PRIV);

	if (munmap(p, npages * pg))
		die("munmap");
	return p;
}

/* The page residency of [p, p + npages) as a string of 0s and 1s. */
static void residency(const char *what, void *p, size_t npages)
{
	unsigned char vec[64];
	char s[65];

	if (mincore(p, npages * pg, vec)) {
		printf("%s: -1 %s\n", what, errname(errno));
		return;
	}
	for (size_t i = 0; i < npages; i++)
		s[i] = (vec[i] & 1) ? '1' : '0';
	s[npages] = '\0';
	printf("%s: %s\n", what, s);
}

/* Raw system calls, where a C library checks or rounds arguments itself
 * (musl's mprotect rounds the address down; both check mmap's offset). */
static void *sys_mmap(void *a, size_t len, long prot, long flags, long fd, long off)
{
	return (void *)syscall(SYS_mmap, a, len, prot, flags, fd, off);
}

static long sys_munmap(void *a, size_t len)
{
	return syscall(SYS_munmap, a, len);
}

static long sys_mprotect(void *a, size_t len, long prot)
{
	return syscall(SYS_mprotect, a, len, prot);
}

static long sys_madvise(void *a, size_t len, long advice)
{
	return syscall(SYS_madvise, a, len, advice);
}

static long sys_mincore(void *a, size_t len, unsigned char *vec)
{
	return syscall(SYS_mincore, a, len, vec);
}

static void *sys_mremap(void *old, size_t old_len, size_t new_len, long flags, void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

static char *sys_brk(void *p)
{
	return (char *)syscall(SYS_brk, p);
}

/* sbrk on the brk system call: musl's sbrk refuses any nonzero increment. */
static char *my_sbrk(intptr_t inc)
{
	char *old = sys_brk(0);

	if (sys_brk(old + inc) != old + inc)
		return (char *)-1;
	return old;
}

/* ---- Faults ---------------------------------------------------------- */

enum access { READ, WRITE };

static sigjmp_buf probe_env;
static volatile sig_atomic_t probing;
static volatile int fault_signo, fault_code;
static void *volatile fault_addr;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (!probing) {
		/* Not ours: die of it, as without a handler. */
		signal(sig, SIG_DFL);
		return;
	}
	probing = 0;
	fault_signo = si->si_signo;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(probe_env, 1);
}

static void catch_faults(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		die("sigaction");
}

/* Performs one byte access; returns 1 if it faulted. */
static int faults(enum access a, volatile char *p)
{
	fault_signo = 0;
	if (sigsetjmp(probe_env, 1))
		return 1;
	probing = 1;
	if (a == WRITE)
		*p = 0x5a;
	else
		(void)*p;
	probing = 0;
	return 0;
}

static const char *signame(int sig)
{
	static char other[16];

	if (sig == SIGSEGV)
		return "SIGSEGV";
	if (sig == SIGBUS)
		return "SIGBUS";
	snprintf(other, sizeof other, "signal %d", sig);
	return other;
}

static const char *codename(int sig, int code)
{
	static char other[16];

	if (sig == SIGSEGV && code == SEGV_MAPERR)
		return "SEGV_MAPERR";
	if (sig == SIGSEGV && code == SEGV_ACCERR)
		return "SEGV_ACCERR";
	if (sig == SIGBUS && code == BUS_ADRERR)
		return "BUS_ADRERR";
	if (code == SI_KERNEL)
		return "SI_KERNEL";
	snprintf(other, sizeof other, "si_code %d", code);
	return other;
}

static void probe(const char *what, enum access a, volatile char *p)
{
	if (!faults(a, p)) {
		printf("%s: no fault\n", what);
		return;
	}
	printf("%s: %s %s, si_addr exact: ", what, signame(fault_signo),
	       codename(fault_signo, fault_code));
	if ((char *)fault_addr == p)
		printf("yes\n");
	else
		printf("no (off by %ld)\n", (long)((char *)fault_addr - (char *)p));
}

/* ---- mmap ------------------------------------------------------------ */

/* Private anonymous memory is copied on write across fork; shared is not.
 * Run with the argument "fork" (needs a kernel with processes). */
static int with_fork;

static void fork_sharing(char *p, char *s)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int saw = p[0] == 'p' && s[0] == 's';
		p[0] = 'c';
		s[0] = 'c';
		_exit(saw ? 0 : 1);
	}
	if (pid < 0) {
		ret("fork", -1);
	} else {
		int st = 0;
		waitpid(pid, &st, 0);
		yesno("fork: child saw the parent's data",
		      WIFEXITED(st) && WEXITSTATUS(st) == 0);
		yesno("fork: child's write to shared anon seen by the parent", s[0] == 'c');
		yesno("fork: child's write to private anon seen by the parent", p[0] == 'c');
	}
}

static void test_mmap_anon(void)
{
	char *p = mmap(NULL, 4 * pg, RW, PRIV, -1, 0);

	ret_map("mmap private anon 4 pages", p);
	if (p == MAP_FAILED)
		exit(1);
	yesno("mmap private anon: page aligned", aligned(p));
	yesno("mmap private anon: zero-filled", all(p, 4 * pg, 0));
	memset(p, 'p', 4 * pg);
	yesno("mmap private anon: write then read back", all(p, 4 * pg, 'p'));

	char *s = mmap(NULL, pg, RW, SHARED, -1, 0);
	ret_map("mmap shared anon 1 page", s);
	if (s == MAP_FAILED)
		exit(1);
	yesno("mmap shared anon: zero-filled", all(s, pg, 0));
	memset(s, 's', pg);

	if (with_fork)
		fork_sharing(p, s);
	munmap(p, 4 * pg);
	munmap(s, pg);
}

static void test_mmap_hint(void)
{
	char *h = free_range(8);
	char *q = mmap(h + 2 * pg, pg, RW, PRIV, -1, 0);
	char *q2 = mmap(h + 5 * pg + 0x123, pg, RW, PRIV, -1, 0);

	yesno("mmap hint on a free range: placed at the hint", q == h + 2 * pg);
	/* x86-64 Linux rounds an unaligned hint down (generic code rounds up). */
	yesno("mmap unaligned hint: placed at the start of the hint's page", q2 == h + 5 * pg);
	q[0] = 'h';
	char *q3 = mmap(q, pg, RW, PRIV, -1, 0);
	yesno("mmap hint on an occupied page: placed elsewhere",
	      q3 != MAP_FAILED && q3 != q);
	yesno("mmap hint on an occupied page: existing data intact", q[0] == 'h');
	munmap(q, pg);
	munmap(q2, pg);
	munmap(q3, pg);
}

static void test_mmap_fixed(void)
{
	char *f = map(3, RW, PRIV);

	memset(f, 'A', pg);
	memset(f + pg, 'B', pg);
	memset(f + 2 * pg, 'C', pg);
	char *r = mmap(f + pg, pg, RW, PRIV | MAP_FIXED, -1, 0);
	yesno("mmap MAP_FIXED over a mapping: at the address", r == f + pg);
	yesno("mmap MAP_FIXED over a mapping: replaced page reads zero", all(f + pg, pg, 0));
	yesno("mmap MAP_FIXED over a mapping: neighbours intact",
	      all(f, pg, 'A') && all(f + 2 * pg, pg, 'C'));
	munmap(f, 3 * pg);

	char *n = free_range(8);
	char *m = mmap(n, 4 * pg, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0);
	yesno("mmap MAP_FIXED_NOREPLACE on a free range: at the address", m == n);
	if (m != n)
		return;
	memset(m, 'n', 4 * pg);
	ret_map("mmap MAP_FIXED_NOREPLACE over a mapping",
		mmap(n + pg, pg, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0));
	ret_map("mmap MAP_FIXED_NOREPLACE partly over a mapping",
		mmap(n + 3 * pg, 2 * pg, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0));
	yesno("mmap MAP_FIXED_NOREPLACE refused: existing data intact", all(m, 4 * pg, 'n'));
	munmap(n, 8 * pg);
}

static void test_mmap_flags(void)
{
	char *p = mmap(NULL, 4 * pg, RW, PRIV | MAP_POPULATE, -1, 0);
	ret_map("mmap MAP_POPULATE", p);
	if (p != MAP_FAILED) {
		residency("mmap MAP_POPULATE: mincore before any access", p, 4);
		munmap(p, 4 * pg);
	}
	p = map(4, RW, PRIV);
	residency("mmap without MAP_POPULATE: mincore before any access", p, 4);
	munmap(p, 4 * pg);

	size_t big = (size_t)64 << 20;
	char *b = mmap(NULL, big, RW, PRIV | MAP_NORESERVE, -1, 0);
	ret_map("mmap MAP_NORESERVE 64 MiB", b);
	if (b != MAP_FAILED) {
		b[0] = 1;
		b[big - 1] = 2;
		yesno("mmap MAP_NORESERVE: first and last byte writable",
		      b[0] == 1 && b[big - 1] == 2);
		munmap(b, big);
	}

	/* A stack-like mapping at the top of 4 MiB of free space, well clear
	 * of the stack guard gap (1 MiB) that growth keeps from the mapping
	 * below it. */
	char *room = free_range(1024);
	char *g = mmap(room + 1022 * pg, 2 * pg, RW, PRIV | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
	ret_map("mmap MAP_GROWSDOWN", g);
	if (g != MAP_FAILED) {
		unsigned char v;
		g[0] = 'g';
		probe("MAP_GROWSDOWN: write one page below the start", WRITE, g - pg + 8);
		ret("MAP_GROWSDOWN: mincore of the page below after growth",
		    mincore(g - pg, pg, &v));
		probe("MAP_GROWSDOWN: write 16 pages below the start", WRITE, g - 16 * pg);
		residency("MAP_GROWSDOWN: mincore of the 16 pages below", g - 16 * pg, 16);
		yesno("MAP_GROWSDOWN: data at the old start intact", g[0] == 'g');
		munmap(g - 16 * pg, 18 * pg);
	}
}

static void test_mmap_errors(void)
{
	char *h = free_range(2);

	ret_map("mmap length 0", sys_mmap(NULL, 0, RW, PRIV, -1, 0));
	ret_map("mmap length SIZE_MAX", sys_mmap(NULL, SIZE_MAX, RW, PRIV, -1, 0));
	ret_map("mmap MAP_FIXED unaligned address", sys_mmap(h + 1, pg, RW, PRIV | MAP_FIXED, -1, 0));
	ret_map("mmap unaligned offset", sys_mmap(NULL, pg, RW, PRIV, -1, 1));
	ret_map("mmap neither MAP_PRIVATE nor MAP_SHARED",
		sys_mmap(NULL, pg, RW, MAP_ANONYMOUS, -1, 0));
	ret_map("mmap no MAP_ANONYMOUS, fd -1", sys_mmap(NULL, pg, RW, MAP_PRIVATE, -1, 0));
	char *x = sys_mmap(NULL, pg, RW | 0x100, PRIV, -1, 0);
	ret_map("mmap unknown prot bit 0x100 (ignored)", x);
	if (x != MAP_FAILED)
		munmap(x, pg);
}

/* ---- munmap ---------------------------------------------------------- */

static void test_munmap(void)
{
	unsigned char v;
	char *u = map(3, RW, PRIV);

	memset(u, 'A', pg);
	memset(u + pg, 'B', pg);
	memset(u + 2 * pg, 'C', pg);
	ret("munmap middle page of three", munmap(u + pg, pg));
	yesno("munmap middle: outer pages intact", all(u, pg, 'A') && all(u + 2 * pg, pg, 'C'));
	probe("munmap middle: read in the hole", READ, u + pg + 0x345);
	ret("munmap middle: mincore of the hole", mincore(u + pg, pg, &v));
	ret("munmap unaligned address", sys_munmap(u + 1, pg));
	ret("munmap length 0", sys_munmap(u, 0));
	ret("munmap of nothing mapped", munmap(u + pg, pg));
	ret("munmap across two mappings and a hole", munmap(u, 3 * pg));
	probe("munmap: write to a page it removed", WRITE, u + 2 * pg + 8);

	u = map(2, RW, PRIV);
	ret("munmap length 1 page + 1 byte", munmap(u, pg + 1));
	ret("munmap length 1 page + 1 byte: mincore of the second page", mincore(u + pg, pg, &v));
}

/* ---- mprotect -------------------------------------------------------- */

static void test_mprotect(void)
{
	/* Two pages with a free page on either side. */
	char *fr = free_range(4);
	char *m = mmap(fr + pg, 2 * pg, RW, PRIV | MAP_FIXED, -1, 0);

	if (m != fr + pg)
		die("mmap");

	memset(m, 'x', 2 * pg);
	ret("mprotect PROT_READ", mprotect(m, 2 * pg, PROT_READ));
	probe("mprotect PROT_READ: read", READ, m + 10);
	probe("mprotect PROT_READ: write", WRITE, m + 0x123);
	ret("mprotect second page back to read-write", mprotect(m + pg, pg, RW));
	probe("mprotect split: write to the second page", WRITE, m + pg + 5);
	probe("mprotect split: write to the first page", WRITE, m + 7);
	ret("mprotect PROT_NONE", mprotect(m, 2 * pg, PROT_NONE));
	probe("mprotect PROT_NONE: read", READ, m + pg + 0x10);
	ret("mprotect back to read-write", mprotect(m, 2 * pg, RW));
	yesno("mprotect: data kept through protection changes",
	      m[0] == 'x' && m[0x123] == 'x' && m[7] == 'x' && m[pg + 5] == 0x5a);
	ret("mprotect unaligned address", sys_mprotect(m + 1, pg, PROT_READ));
	ret("mprotect unknown prot bit 0x100", sys_mprotect(m, pg, PROT_READ | 0x100));
	ret("mprotect PROT_GROWSDOWN on a plain mapping",
	    mprotect(m, pg, PROT_READ | PROT_GROWSDOWN));
	ret("mprotect length 0", mprotect(m, 0, PROT_READ));

	/* A range that runs off the end of a mapping: Linux changes the mapped
	 * part, then fails. One that starts in a hole changes nothing. */
	ret("mprotect over a mapping then a hole", sys_mprotect(m + pg, 2 * pg, PROT_READ));
	probe("mprotect over a mapping then a hole: mapped part changed anyway",
	      WRITE, m + pg + 0x20);
	munmap(m, pg);
	ret("mprotect over a hole then a mapping", mprotect(m, 2 * pg, RW));
	probe("mprotect over a hole then a mapping: mapped part unchanged",
	      WRITE, m + pg + 0x30);
	ret("mprotect of nothing mapped", mprotect(m, pg, PROT_READ));
	munmap(m + pg, pg);
}

/* ---- mremap ---------------------------------------------------------- */

static void test_mremap(void)
{
	unsigned char v;
	char *r = free_range(16);
	char *a = mmap(r, 2 * pg, RW, PRIV | MAP_FIXED, -1, 0);

	if (a != r)
		die("mmap");
	memset(a, 'a', 2 * pg);
	char *x = mremap(a, 2 * pg, 4 * pg, 0);
	yesno("mremap grow in place: same address", x == a);
	yesno("mremap grow in place: data preserved", all(a, 2 * pg, 'a'));
	yesno("mremap grow in place: new pages zero", all(a + 2 * pg, 2 * pg, 0));

	char *blocker = mmap(a + 4 * pg, pg, PROT_READ, PRIV | MAP_FIXED, -1, 0);
	if (blocker != a + 4 * pg)
		die("mmap");
	ret_map("mremap grow into a neighbour without MREMAP_MAYMOVE", mremap(a, 4 * pg, 6 * pg, 0));
	ret_map("mremap same size", mremap(a, 4 * pg, 4 * pg, 0));

	x = mremap(a, 4 * pg, pg + 1, 0);
	yesno("mremap shrink to 1 page + 1 byte: same address", x == a);
	probe("mremap shrink to 1 page + 1 byte: second page kept", READ, a + pg + 0x10);
	probe("mremap shrink to 1 page + 1 byte: third page gone", READ, a + 2 * pg + 0x10);
	x = mremap(a, 2 * pg, pg, 0);
	yesno("mremap shrink to 1 page: same address", x == a);
	yesno("mremap shrink: data preserved", all(a, pg, 'a'));
	ret("mremap shrink: mincore of the released page", mincore(a + pg, pg, &v));

	/* a is one page, and 6 pages from a would overlap the blocker. */
	memset(a, 'm', pg);
	char *b = mremap(a, pg, 6 * pg, MREMAP_MAYMOVE);
	yesno("mremap MREMAP_MAYMOVE grow past a neighbour: moved", b != MAP_FAILED && b != a);
	if (b == MAP_FAILED)
		die("mremap");
	yesno("mremap MREMAP_MAYMOVE: data preserved", all(b, pg, 'm'));
	yesno("mremap MREMAP_MAYMOVE: new pages zero", all(b + pg, 5 * pg, 0));
	probe("mremap MREMAP_MAYMOVE: read at the old address", READ, a + 0x40);
	ret_map("mremap of an unmapped address", mremap(a, pg, 2 * pg, MREMAP_MAYMOVE));

	/* MREMAP_FIXED replaces whatever is at the target, like MAP_FIXED. */
	b[5 * pg] = 'z';
	char *t = map(6, PROT_NONE, PRIV);
	char *y = mremap(b, 6 * pg, 6 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, t);
	yesno("mremap MREMAP_FIXED onto an existing mapping: at the target", y == t);
	if (y != t)
		die("mremap");
	yesno("mremap MREMAP_FIXED: data preserved and writable",
	      t[0] == 'm' && t[5 * pg] == 'z' && !faults(WRITE, t + 1));
	probe("mremap MREMAP_FIXED: read at the old address", READ, b + 0x50);
	ret_map("mremap MREMAP_FIXED without MREMAP_MAYMOVE",
		sys_mremap(t, pg, pg, MREMAP_FIXED, r + 8 * pg));
	ret_map("mremap MREMAP_FIXED onto an overlapping range",
		sys_mremap(t, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, t + pg));
	ret_map("mremap MREMAP_FIXED to an unaligned address",
		sys_mremap(t, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, r + 8 * pg + 1));
	ret_map("mremap unaligned old address", sys_mremap(t + 1, pg, 2 * pg, MREMAP_MAYMOVE, NULL));
	ret_map("mremap new size 0", sys_mremap(t, pg, 0, MREMAP_MAYMOVE, NULL));
	ret_map("mremap unknown flag 0x100", sys_mremap(t, pg, pg, 0x100, NULL));
	munmap(t, 6 * pg);
	munmap(blocker, pg);

	/* One page with free pages on both sides. */
	char *fr = free_range(3);
	char *c = mmap(fr + pg, pg, PROT_READ, PRIV | MAP_FIXED, -1, 0);
	if (c != fr + pg)
		die("mmap");
	ret_map("mremap old size past the end of the mapping", mremap(c, 2 * pg, 3 * pg, MREMAP_MAYMOVE));
	munmap(c, pg);

	char *d = map(2, RW, PRIV);
	memset(d, 'd', 2 * pg);
	/* With MREMAP_DONTUNMAP the fifth argument is an address hint that
	 * Linux checks, so pass it: glibc 2.36's mremap leaves it undefined. */
	char *e = sys_mremap(d, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	yesno("mremap MREMAP_DONTUNMAP: moved", e != MAP_FAILED && e != d);
	if (e != MAP_FAILED) {
		yesno("mremap MREMAP_DONTUNMAP: data at the new address", all(e, 2 * pg, 'd'));
		probe("mremap MREMAP_DONTUNMAP: read at the old address", READ, d + 0x60);
		yesno("mremap MREMAP_DONTUNMAP: old range reads zero", all(d, 2 * pg, 0));
		munmap(e, 2 * pg);
	}
	ret_map("mremap MREMAP_DONTUNMAP with a size change",
		sys_mremap(d, 2 * pg, 3 * pg, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL));
	ret_map("mremap MREMAP_DONTUNMAP with an unaligned address hint",
		sys_mremap(d, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, d + 1));
	munmap(d, 2 * pg);

	/* Old size 0 duplicates a shared mapping; private ones are refused. */
	char *s = map(1, RW, SHARED);
	s[0] = '1';
	char *dup = mremap(s, 0, pg, MREMAP_MAYMOVE);
	yesno("mremap old size 0 on shared anon: a second mapping", dup != MAP_FAILED && dup != s);
	if (dup != MAP_FAILED) {
		dup[1] = '2';
		yesno("mremap old size 0 on shared anon: same pages", dup[0] == '1' && s[1] == '2');
		munmap(dup, pg);
	}
	munmap(s, pg);
	char *pv = map(1, RW, PRIV);
	ret_map("mremap old size 0 on private anon", mremap(pv, 0, pg, MREMAP_MAYMOVE));
	munmap(pv, pg);
}

/* ---- brk ------------------------------------------------------------- */

static void test_brk(void)
{
	char *cur = sys_brk(0);

	yesno("brk(0) twice: same break", sys_brk(0) == cur);
	char *old = my_sbrk(3 * pg);
	yesno("sbrk +3 pages: returns the old break", old == cur);
	if (old != cur)
		return;
	yesno("sbrk +3 pages: break moved by 3 pages", sys_brk(0) == cur + 3 * pg);
	char *first = align_up(cur);
	yesno("sbrk +3 pages: new whole pages zero-filled", all(first, cur + 3 * pg - first, 0));
	memset(cur, 'b', 3 * pg);
	yesno("sbrk +3 pages: writable", all(cur, 3 * pg, 'b'));
	old = my_sbrk(100);
	yesno("sbrk +100 bytes: break moved by exactly 100",
	      old == cur + 3 * pg && sys_brk(0) == cur + 3 * pg + 100);

	old = my_sbrk(-(intptr_t)(2 * pg + 100));
	yesno("sbrk shrink: returns the old break", old == cur + 3 * pg + 100);
	yesno("sbrk shrink: break moved back", sys_brk(0) == cur + pg);
	yesno("sbrk shrink: data below the break preserved", all(cur, pg, 'b'));
	char *gone = align_up(cur + pg);
	probe("sbrk shrink: read above the break", READ, gone + 0x10);
	old = my_sbrk(2 * pg);
	yesno("sbrk regrow: returns the old break", old == cur + pg);
	yesno("sbrk regrow: released pages come back zero-filled",
	      all(gone, cur + 3 * pg - gone, 0));

	char *now = sys_brk(0);
	yesno("brk below the start of the heap: refused, break unchanged",
	      sys_brk((void *)pg) == now);
	char *mp = map(1, RW, PRIV);
	yesno("brk over an existing mapping: refused, break unchanged",
	      sys_brk(mp + pg) == now);
	munmap(mp, pg);
	yesno("brk back to the initial break", sys_brk(cur) == cur);
}

/* ---- madvise --------------------------------------------------------- */

static void test_madvise(void)
{
	char *m = map(3, RW, PRIV);
	char *s = map(2, RW, SHARED);

	memset(m, 'd', 3 * pg);
	ret("madvise MADV_DONTNEED private anon", madvise(m, 3 * pg, MADV_DONTNEED));
	residency("madvise MADV_DONTNEED private anon: mincore after", m, 3);
	yesno("madvise MADV_DONTNEED private anon: pages read back zero", all(m, 3 * pg, 0));
	memset(s, 's', 2 * pg);
	ret("madvise MADV_DONTNEED shared anon", madvise(s, 2 * pg, MADV_DONTNEED));
	yesno("madvise MADV_DONTNEED shared anon: data preserved", all(s, 2 * pg, 's'));

	memset(m, 'f', 3 * pg);
	ret("madvise MADV_FREE private anon", madvise(m, 3 * pg, MADV_FREE));
	m[0] = 'w';
	yesno("madvise MADV_FREE: a write after the advice sticks", m[0] == 'w');
	ret("madvise MADV_FREE shared anon", madvise(s, 2 * pg, MADV_FREE));
	ret("madvise MADV_WILLNEED", madvise(m, 3 * pg, MADV_WILLNEED));
	ret("madvise MADV_NORMAL", madvise(m, 3 * pg, MADV_NORMAL));
	ret("madvise MADV_SEQUENTIAL", madvise(m, 3 * pg, MADV_SEQUENTIAL));
	ret("madvise MADV_RANDOM", madvise(m, 3 * pg, MADV_RANDOM));
	ret("madvise MADV_DONTFORK", madvise(m, 3 * pg, MADV_DONTFORK));
	ret("madvise MADV_DOFORK", madvise(m, 3 * pg, MADV_DOFORK));
	ret("madvise invalid advice 12345", sys_madvise(m, pg, 12345));
	ret("madvise unaligned address", sys_madvise(m + 1, pg, MADV_NORMAL));
	ret("madvise length 0", madvise(m, 0, MADV_NORMAL));

	/* A range with a hole: the mapped part gets the advice, then ENOMEM. */
	memset(m, 'q', 3 * pg);
	munmap(m + 2 * pg, pg);
	ret("madvise MADV_DONTNEED over a mapping then a hole",
	    madvise(m + pg, 2 * pg, MADV_DONTNEED));
	yesno("madvise over a mapping then a hole: mapped part zapped anyway",
	      all(m + pg, pg, 0) && all(m, pg, 'q'));
	ret("madvise of nothing mapped", madvise(m + 2 * pg, pg, MADV_NORMAL));
	munmap(m, 2 * pg);
	munmap(s, 2 * pg);
}

/* ---- mincore --------------------------------------------------------- */

static void test_mincore(void)
{
	unsigned char vec[4];
	/* Four pages, then a free one. */
	char *fr = free_range(5);
	char *m = mmap(fr, 4 * pg, RW, PRIV | MAP_FIXED, -1, 0);
	char *hole = fr + 4 * pg;

	if (m != fr)
		die("mmap");

	residency("mincore fresh private anon", m, 4);
	m[0] = 1;
	m[2 * pg] = 1;
	(void)*(volatile char *)(m + 3 * pg);
	residency("mincore after writing pages 0 and 2 and reading page 3", m, 4);
	memset(vec, 0xee, sizeof vec);
	ret("mincore length 1 page + 1 byte", mincore(m, pg + 1, vec));
	printf("mincore length 1 page + 1 byte: vector %d%d, third byte untouched: %s\n",
	       vec[0] & 1, vec[1] & 1, vec[2] == 0xee ? "yes" : "no");
	ret("mincore unaligned address", sys_mincore(m + 1, pg, vec));
	ret("mincore of nothing mapped", mincore(hole, pg, vec));
	ret("mincore over a mapping then a hole", mincore(m + 3 * pg, 2 * pg, vec));
	ret("mincore vector in unmapped memory", sys_mincore(m, pg, (unsigned char *)hole));
	ret("mincore length 0", mincore(m, 0, vec));
	munmap(m, 4 * pg);
}

/* ---- mlock ----------------------------------------------------------- */

/* Whether a refusal can come from RLIMIT_MEMLOCK rather than a bug. */
static int memlock_limited(int e)
{
	return (e == ENOMEM || e == EPERM) && geteuid() != 0;
}

static void test_mlock(void)
{
	char *m = map(4, RW, PRIV);
	char *hole = free_range(1);

	if (mlock(m, 4 * pg) == 0) {
		printf("mlock 4 pages: 0\n");
		residency("mlock: mincore after (populated)", m, 4);
		ret("madvise MADV_DONTNEED on locked pages", madvise(m, pg, MADV_DONTNEED));
		ret("munlock", munlock(m, 4 * pg));
	} else if (memlock_limited(errno)) {
		printf("mlock 4 pages: refused by RLIMIT_MEMLOCK, checks skipped\n");
	} else {
		ret("mlock 4 pages", -1);
	}
	ret("mlock of nothing mapped", mlock(hole, pg));
	if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0 || memlock_limited(errno))
		printf("mlockall(MCL_CURRENT|MCL_FUTURE): accepted\n");
	else
		ret("mlockall(MCL_CURRENT|MCL_FUTURE)", -1);
	ret("munlockall", munlockall());
	ret("mlockall(0)", mlockall(0));
	munmap(m, 4 * pg);
}

/* ---- unmapped addresses ---------------------------------------------- */

static void test_unmapped(void)
{
	char *u = free_range(1);

	probe("read of an unmapped address", READ, u + 0x345);
	probe("write to an unmapped address", WRITE, u + 0x876);
	probe("read of the last byte of an unmapped page", READ, u + pg - 1);
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 14];

	with_fork = argc > 1 && !strcmp(argv[1], "fork");
	/* Line buffering: nothing left to flush twice across fork, and no
	 * malloc for stdio's buffer in the middle of the brk checks. */
	setvbuf(stdout, outbuf, _IOLBF, sizeof outbuf);
	pg = (size_t)sysconf(_SC_PAGESIZE);
	printf("page size: %zu\n", pg);
	catch_faults();

	test_mmap_anon();
	test_mmap_hint();
	test_mmap_fixed();
	test_mmap_flags();
	test_mmap_errors();
	test_munmap();
	test_mprotect();
	test_mremap();
	test_brk();
	test_madvise();
	test_mincore();
	test_mlock();
	test_unmapped();
	printf("done\n");
	return 0;
}
