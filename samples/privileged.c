/* Privileged and faulting instructions in user mode: each must raise the
 * signal Linux raises for it at CPL 3 (#GP -> SIGSEGV with SI_KERNEL, #UD ->
 * SIGILL, #DE -> SIGFPE, int3 -> SIGTRAP), one after another, so that the
 * second and later exceptions are not taken for double faults. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf jb;
static volatile int sig, code;
static void *volatile addr;

static void handler(int s, siginfo_t *si, void *uc)
{
	(void)uc;
	sig = s;
	code = si->si_code;
	addr = si->si_addr;
	siglongjmp(jb, 1);
}

static void report(const char *name, int faulted)
{
	if (!faulted)
		printf("%s: no fault\n", name);
	else
		printf("%s: %s si_code %d si_addr %s\n", name, strsignal(sig), code,
		       addr ? "set" : "NULL");
}

#define TRY(name, ...)                                   \
	do {                                             \
		if (!sigsetjmp(jb, 1)) {                 \
			__asm__ volatile(__VA_ARGS__);   \
			report(name, 0);                 \
		} else {                                 \
			report(name, 1);                 \
		}                                        \
	} while (0)

int main(void)
{
	struct sigaction sa;
	volatile int zero = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	for (int round = 0; round < 2; round++) {
		TRY("hlt", "hlt");
		TRY("cli", "cli");
		TRY("mov %cr0", "mov %%cr0, %%rax" ::: "rax");
		TRY("inb", "inb $0x80, %%al" ::: "al");
		TRY("outb", "outb %%al, $0x80" ::: "al");
		TRY("int3", "int3");
		TRY("ud2", "ud2");
		TRY("int $0x81", "int $0x81");
		TRY("wbinvd", "wbinvd");
		TRY("lgdt", "lgdt (%rsp)");
		TRY("rdtsc", "rdtsc" ::: "eax", "edx");
		if (!sigsetjmp(jb, 1))
			printf("divide: %d\n", 5 / zero);
		else
			report("divide by zero", 1);
	}
	return 0;
}
