/* segv_handler: faults on chosen addresses under a SA_SIGINFO SIGSEGV handler
 * and prints what the kernel reported: si_code, si_addr relative to a base
 * the program chose, and the x86 trap number, error code, CR2 and RIP from
 * the signal frame. The handler leaves with siglongjmp. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* The accesses, in assembly so that each has a known size and each faulting
 * instruction a known address (the *_insn labels). Argument in %rdi, count
 * in %rsi. */
__asm__(
	".text\n"
	".globl probe_load1, probe_load1_insn\n"
	"probe_load1:\n"
	"probe_load1_insn: movzbl (%rdi), %eax\n"
	"	ret\n"
	".globl probe_store1, probe_store1_insn\n"
	"probe_store1:\n"
	"probe_store1_insn: movb $0x5a, (%rdi)\n"
	"	ret\n"
	".globl probe_load8, probe_load8_insn\n"
	"probe_load8:\n"
	"probe_load8_insn: movq (%rdi), %rax\n"
	"	ret\n"
	".globl probe_store4, probe_store4_insn\n"
	"probe_store4:\n"
	"probe_store4_insn: movl $0x5a5a5a5a, (%rdi)\n"
	"	ret\n"
	".globl probe_store8, probe_store8_insn\n"
	"probe_store8:\n"
	"probe_store8_insn: movq $0x5a5a5a5a, (%rdi)\n"
	"	ret\n"
	".globl probe_load16, probe_load16_insn\n"
	"probe_load16:\n"
	"probe_load16_insn: movdqu (%rdi), %xmm0\n"
	"	ret\n"
	".globl probe_add4, probe_add4_insn\n"
	"probe_add4:\n"
	"probe_add4_insn: addl $1, (%rdi)\n"
	"	ret\n"
	".globl probe_stosb, probe_stosb_insn\n"
	"probe_stosb:\n"
	"	movq %rsi, %rcx\n"
	"	movb $0x5a, %al\n"
	"probe_stosb_insn: rep stosb\n"
	"	ret\n"
	".globl probe_call\n"
	"probe_call:\n"
	"	call *%rdi\n"
	"	ret\n");

typedef void probe_fn(volatile void *p, size_t n);
extern probe_fn probe_load1, probe_store1, probe_load8, probe_store4, probe_store8,
	probe_load16, probe_add4, probe_stosb, probe_call;
extern const char probe_load1_insn[], probe_store1_insn[], probe_load8_insn[],
	probe_store4_insn[], probe_store8_insn[], probe_load16_insn[], probe_add4_insn[],
	probe_stosb_insn[];

static size_t pg;

/* What the handler saw. */
static struct {
	int signo, code;
	uintptr_t addr, rip, trapno, err, cr2;
	int on_altstack;
} seen;

static sigjmp_buf env;
static volatile sig_atomic_t probing, fixing, handled;
static char altstack[64 * 1024];

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	char here;

	handled++;
	if (fixing) {
		/* Make the page writable and return: the store is retried. */
		uintptr_t page = (uintptr_t)si->si_addr & ~(uintptr_t)(pg - 1);
		mprotect((void *)page, pg, PROT_READ | PROT_WRITE);
		return;
	}
	if (!probing) {
		signal(sig, SIG_DFL);
		return;
	}
	probing = 0;
	seen.signo = si->si_signo;
	seen.code = si->si_code;
	seen.addr = (uintptr_t)si->si_addr;
	seen.rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	seen.trapno = (uintptr_t)uc->uc_mcontext.gregs[REG_TRAPNO];
	seen.err = (uintptr_t)uc->uc_mcontext.gregs[REG_ERR];
	seen.cr2 = (uintptr_t)uc->uc_mcontext.gregs[REG_CR2];
	seen.on_altstack = &here >= altstack && &here < altstack + sizeof altstack;
	siglongjmp(env, 1);
}

static void install(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL)) {
		perror("sigaction");
		exit(1);
	}
}

static const char *codename(int code)
{
	static char other[16];

	switch (code) {
	case SEGV_MAPERR: return "SEGV_MAPERR";
	case SEGV_ACCERR: return "SEGV_ACCERR";
	case SI_KERNEL: return "SI_KERNEL";
	}
	snprintf(other, sizeof other, "si_code %d", code);
	return other;
}

static void print_rel(const char *name, uintptr_t base, uintptr_t a)
{
	if (a >= base)
		printf("%s+0x%lx", name, (unsigned long)(a - base));
	else
		printf("%s-0x%lx", name, (unsigned long)(base - a));
}

/* Runs fn(p, n) and prints what happened. si_addr is shown relative to
 * base (named basename); insn is where the faulting instruction is, or NULL
 * when the fault is on the instruction fetch at p itself. */
static int run(const char *what, probe_fn *fn, const char *insn, uintptr_t p, size_t n,
	       const char *basename, uintptr_t base)
{
	uintptr_t want_rip = insn ? (uintptr_t)insn : p;

	memset(&seen, 0, sizeof seen);
	if (sigsetjmp(env, 1) == 0) {
		probing = 1;
		fn((volatile void *)p, n);
		probing = 0;
		printf("%s: no fault\n", what);
		return 0;
	}
	printf("%s: %s %s si_addr=", what, seen.signo == SIGSEGV ? "SIGSEGV" : "other signal",
	       codename(seen.code));
	print_rel(basename, base, seen.addr);
	printf(" trapno=%ld err=0x%lx", (long)seen.trapno, (unsigned long)seen.err);
	/* The CR2 slot is only meaningful for page faults (trap 14). */
	if (seen.trapno == 14)
		printf(" cr2=%s", seen.cr2 == seen.addr ? "si_addr" : "other");
	printf(" rip=");
	print_rel(insn ? "insn" : "target", want_rip, seen.rip);
	printf("\n");
	return 1;
}

static char *map(size_t npages, int prot)
{
	void *p = mmap(NULL, npages * pg, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

int main(void)
{
	pg = (size_t)sysconf(_SC_PAGESIZE);
	install(0);

	/* Everything mapped before the hole is made, lest a mapping fill it. */
	char *none = map(1, PROT_NONE);
	char *fix = map(1, PROT_READ);
	/* Four pages: read-write, unmapped (the hole), read-write, read-only. */
	char *b = map(4, PROT_READ | PROT_WRITE);
	char *hole = b + pg, *rw2 = b + 2 * pg, *ro = b + 3 * pg;
	if (munmap(hole, pg) || mprotect(ro, pg, PROT_READ)) {
		perror("munmap/mprotect");
		return 1;
	}
	uintptr_t H = (uintptr_t)hole, RO = (uintptr_t)ro, N = (uintptr_t)none;

	run("byte read, unmapped page", probe_load1, probe_load1_insn, H + 0x10, 0, "hole", H);
	run("byte write, unmapped page", probe_store1, probe_store1_insn, H + 0x20, 0, "hole", H);
	run("8-byte read, misaligned, inside an unmapped page", probe_load8, probe_load8_insn,
	    H + 0x7f3, 0, "hole", H);
	run("4-byte write, misaligned, inside an unmapped page", probe_store4, probe_store4_insn,
	    H + 0xabd, 0, "hole", H);
	run("8-byte read straddling mapped -> unmapped", probe_load8, probe_load8_insn,
	    H - 3, 0, "hole", H);
	run("16-byte movdqu read straddling mapped -> unmapped", probe_load16, probe_load16_insn,
	    H - 8, 0, "hole", H);
	memset(hole - 4, 'k', 4);
	run("8-byte write straddling mapped -> unmapped", probe_store8, probe_store8_insn,
	    H - 4, 0, "hole", H);
	printf("8-byte write straddling mapped -> unmapped: mapped bytes unchanged: %s\n",
	       memcmp(hole - 4, "kkkk", 4) == 0 ? "yes" : "no");
	run("8-byte read straddling unmapped -> mapped", probe_load8, probe_load8_insn,
	    (uintptr_t)rw2 - 3, 0, "hole", H);
	run("rep stosb from mapped into unmapped", probe_stosb, probe_stosb_insn,
	    H - 100, 200, "hole", H);

	run("byte read, read-only page", probe_load1, probe_load1_insn, RO + 0x8, 0, "ro", RO);
	run("byte write, read-only page", probe_store1, probe_store1_insn, RO + 0x234, 0, "ro", RO);
	run("add to memory, read-only page", probe_add4, probe_add4_insn, RO + 0x40, 0, "ro", RO);
	memset(ro - 4, 'k', 4);
	run("8-byte write straddling writable -> read-only", probe_store8, probe_store8_insn,
	    RO - 4, 0, "ro", RO);
	printf("8-byte write straddling writable -> read-only: writable bytes unchanged: %s\n",
	       memcmp(ro - 4, "kkkk", 4) == 0 ? "yes" : "no");
	run("byte read, PROT_NONE page", probe_load1, probe_load1_insn, N + 0x99, 0, "none", N);
	run("byte write, PROT_NONE page", probe_store1, probe_store1_insn, N + 0x99, 0, "none", N);

	run("8-byte read, NULL", probe_load8, probe_load8_insn, 0, 0, "NULL", 0);
	run("byte write, NULL", probe_store1, probe_store1_insn, 0, 0, "NULL", 0);
	run("8-byte read, NULL + 0x18", probe_load8, probe_load8_insn, 0x18, 0, "NULL", 0);
	run("byte write, code page", probe_store1, probe_store1_insn, (uintptr_t)probe_load1, 0,
	    "code", (uintptr_t)probe_load1);

	b[0] = (char)0xc3; /* ret */
	run("execute, non-executable page", probe_call, NULL, (uintptr_t)b, 0, "b", (uintptr_t)b);
	run("execute, unmapped page", probe_call, NULL, H + 0x40, 0, "hole", H);

	uintptr_t K = 0xffffffff81000000ul, NC = 0x8000000000000000ul;
	run("8-byte read, kernel address", probe_load8, probe_load8_insn, K + 0x10, 0, "kaddr", K);
	run("byte write, kernel address", probe_store1, probe_store1_insn, K + 0x10, 0, "kaddr", K);
	run("8-byte read, non-canonical address", probe_load8, probe_load8_insn, NC, 0, "NULL", 0);

	/* A handler that repairs the fault and returns. */
	handled = 0;
	fixing = 1;
	probe_store1(fix + 0x10, 0);
	fixing = 0;
	printf("handler makes the page writable and returns: store done: %s, handler ran once: %s\n",
	       fix[0x10] == 0x5a ? "yes" : "no", handled == 1 ? "yes" : "no");

	/* Delivery on an alternate signal stack. */
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL)) {
		perror("sigaltstack");
		return 1;
	}
	install(SA_ONSTACK);
	run("byte read, unmapped page, SA_ONSTACK", probe_load1, probe_load1_insn, H + 0x30, 0,
	    "hole", H);
	printf("SA_ONSTACK: handler ran on the alternate stack: %s\n",
	       seen.on_altstack ? "yes" : "no");
	install(0);
	run("byte read, unmapped page, after SA_ONSTACK is dropped", probe_load1,
	    probe_load1_insn, H + 0x38, 0, "hole", H);
	printf("without SA_ONSTACK: handler ran on the alternate stack: %s\n",
	       seen.on_altstack ? "yes" : "no");

	printf("done\n");
	return 0;
}
