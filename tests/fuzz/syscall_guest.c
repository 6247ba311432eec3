/* The guest of the syscall fuzz target (tests/fuzz/fuzz_syscall.c): a
 * static program without libc that reads /prog — records of a system call
 * number and six arguments — unlinks it (so that an execve of itself ends
 * at once) and makes each call. An argument is taken as is, or as an
 * offset into a scratch buffer, or as the previous call's result. */

#define SCRATCH_BYTES (64 << 10)
#define PROG_BYTES (64 << 10)

/* What fuzz_syscall.c writes: the scratch buffer's first bytes, then the
 * records. */
struct record {
	unsigned long nr;
	unsigned long arg[6];
	unsigned char kind[6];     /* ARG_* */
	unsigned char pad[2];
};
enum { ARG_RAW, ARG_SCRATCH, ARG_LAST };
#define SCRATCH_INIT 4096

static unsigned char scratch[SCRATCH_BYTES] __attribute__((aligned(4096)));
static unsigned char prog[PROG_BYTES] __attribute__((aligned(16)));

static long sys6(unsigned long nr, unsigned long a, unsigned long b, unsigned long c,
		 unsigned long d, unsigned long e, unsigned long f)
{
	long ret;
	register unsigned long r10 __asm__("r10") = d;
	register unsigned long r8 __asm__("r8") = e;
	register unsigned long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define SYS_read 0
#define SYS_open 2
#define SYS_close 3
#define SYS_clone 56
#define SYS_fork 57
#define SYS_vfork 58
#define SYS_unlink 87
#define SYS_exit_group 231
#define SYS_clone3 435

static void __attribute__((noreturn)) exit_group(int code)
{
	for (;;)
		sys6(SYS_exit_group, (unsigned long)code, 0, 0, 0, 0, 0);
}

void run(void);

/* Called from _start only. */
__attribute__((used)) void run(void)
{
	unsigned long len = 0, last = 0;
	long fd = sys6(SYS_open, (unsigned long)"/prog", 0, 0, 0, 0, 0), n;

	if (fd < 0)
		exit_group(0);
	while (len < PROG_BYTES &&
	       (n = sys6(SYS_read, (unsigned long)fd, (unsigned long)prog + len,
			 PROG_BYTES - len, 0, 0, 0)) > 0)
		len += (unsigned long)n;
	sys6(SYS_close, (unsigned long)fd, 0, 0, 0, 0, 0);
	sys6(SYS_unlink, (unsigned long)"/prog", 0, 0, 0, 0, 0);
	if (len < SCRATCH_INIT)
		exit_group(0);
	for (unsigned long i = 0; i < SCRATCH_INIT; i++)
		scratch[i] = prog[i];

	for (unsigned long off = SCRATCH_INIT; off + sizeof(struct record) <= len;
	     off += sizeof(struct record)) {
		const struct record *r = (const struct record *)(prog + off);
		unsigned long a[6];
		long ret;

		for (int i = 0; i < 6; i++) {
			switch (r->kind[i]) {
			case ARG_SCRATCH:
				a[i] = (unsigned long)scratch + r->arg[i] % SCRATCH_BYTES;
				break;
			case ARG_LAST:
				a[i] = last + r->arg[i];
				break;
			default:
				a[i] = r->arg[i];
			}
		}
		ret = sys6(r->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		/* A child goes no further: one process runs the program. */
		if (ret == 0 && (r->nr == SYS_fork || r->nr == SYS_vfork || r->nr == SYS_clone ||
				 r->nr == SYS_clone3))
			exit_group(0);
		last = (unsigned long)ret;
	}
	exit_group(0);
}

/* The entry point: a 16-byte aligned stack for run(). */
__asm__(".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call run\n"
	"	hlt\n");
