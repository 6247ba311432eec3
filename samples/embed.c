/* embed: libvmemu's mm layer inside a plain Unicorn program. The program
 * owns the engine and its own two system calls (write, exit); libvmemu
 * gives it guest memory with demand paging, copy-on-write fork and the
 * reports. Built against the installed library:
 *
 *     cc embed.c $(pkg-config --cflags --libs vmemu) -o embed
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unicorn/unicorn.h>
#include <vmemu/mm.h>

/* Hand-assembled x86-64: with rdi = buffer and rsi = pages, write one byte
 * into each page, write(1, msg, 21), exit(0). `bad` reads [rdi]. */
static const uint8_t code[] = {
	0x48, 0x89, 0xfb,                         /* mov rbx, rdi */
	0x48, 0x89, 0xf1,                         /* mov rcx, rsi */
	0xc6, 0x03, 0x01,                         /* 1: mov byte [rbx], 1 */
	0x48, 0x81, 0xc3, 0x00, 0x10, 0x00, 0x00, /* add rbx, 0x1000 */
	0x48, 0xff, 0xc9,                         /* dec rcx */
	0x75, 0xf1,                               /* jnz 1b */
	0xb8, 0x01, 0x00, 0x00, 0x00,             /* mov eax, 1 (write) */
	0xbf, 0x01, 0x00, 0x00, 0x00,             /* mov edi, 1 */
	0x48, 0x8d, 0x35, 0x15, 0x00, 0x00, 0x00, /* lea rsi, [rip + msg] */
	0xba, 0x15, 0x00, 0x00, 0x00,             /* mov edx, 21 */
	0x0f, 0x05,                               /* syscall */
	0xb8, 0x3c, 0x00, 0x00, 0x00,             /* mov eax, 60 (exit) */
	0x31, 0xff,                               /* xor edi, edi */
	0x0f, 0x05,                               /* syscall */
	0x48, 0x8b, 0x07,                         /* bad: mov rax, [rdi] */
	0x0f, 0x0b,                               /* ud2 */
	'h', 'e', 'l', 'l', 'o', ' ', 'f', 'r', 'o', 'm', ' ',
	't', 'h', 'e', ' ', 'g', 'u', 'e', 's', 't', '\n',
};
#define BAD_OFFSET 0x36
#define CODE_ADDR  0x400000ULL
#define PAGES      64

struct embed {
	uc_engine *uc;
	vmemu_node *node;
	int exited, exit_code;
	unsigned long faults_in;       /* VMEMU_EVENT_FAULT_IN events */
};

/* The program's whole syscall layer. Stopping in the syscall hook is safe. */
static void on_syscall(uc_engine *uc, void *user)
{
	struct embed *e = user;
	uint64_t nr, a0, a1, a2, ret;
	char buf[256];

	uc_reg_read(uc, UC_X86_REG_RAX, &nr);
	uc_reg_read(uc, UC_X86_REG_RDI, &a0);
	uc_reg_read(uc, UC_X86_REG_RSI, &a1);
	uc_reg_read(uc, UC_X86_REG_RDX, &a2);
	switch (nr) {
	case 1: /* write(fd, buf, len): the guest's memory through the MMU */
		if (a2 > sizeof(buf))
			a2 = sizeof(buf);
		ret = vmemu_copy_from_guest(vmemu_node_active_as(e->node), buf, a1, a2);
		if (ret == 0) {
			fwrite(buf, 1, a2, a0 == 2 ? stderr : stdout);
			ret = a2;
		}
		break;
	case 60: /* exit(code) */
		e->exited = 1;
		e->exit_code = (int)a0;
		uc_emu_stop(uc);
		ret = 0;
		break;
	default:
		ret = (uint64_t)-38; /* -ENOSYS */
	}
	uc_reg_write(uc, UC_X86_REG_RAX, &ret);
}

static void on_event(void *ctx, const struct vmemu_event *ev)
{
	struct embed *e = ctx;

	if (ev->kind == VMEMU_EVENT_FAULT_IN)
		e->faults_in++;
}

/* Runs the guest from pc with rdi and rsi set. */
static uc_err run(struct embed *e, uint64_t pc, uint64_t rdi, uint64_t rsi)
{
	uc_reg_write(e->uc, UC_X86_REG_RDI, &rdi);
	uc_reg_write(e->uc, UC_X86_REG_RSI, &rsi);
	e->exited = 0;
	return uc_emu_start(e->uc, pc, vmemu_node_until(e->node), 0, 0);
}

static void report(const char *who, vmemu_as *as)
{
	struct vmemu_status st;
	struct vmemu_rollup r;

	vmemu_as_status(as, &st);
	vmemu_as_rollup(as, &r);
	printf("%s: %llu minor faults, %llu major; Rss %llu kB, Pss %llu kB, Anonymous %llu kB\n",
	       who, (unsigned long long)st.min_flt, (unsigned long long)st.maj_flt,
	       (unsigned long long)r.rss, (unsigned long long)r.pss,
	       (unsigned long long)r.anonymous);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "embed: %s: %s\n", what, vmemu_strerror(err));
	return 1;
}

int main(void)
{
	struct embed e = { 0 };
	struct vmemu_node_config cfg;
	struct vmemu_meminfo mi;
	struct vmemu_fault f;
	vmemu_as *parent, *child;
	uint64_t buf;
	uc_hook hook;
	int err;

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &e.uc) != UC_ERR_OK)
		return 1;
	vmemu_node_config_init(&cfg);
	cfg.mem_bytes = 16 << 20;
	cfg.event = on_event;
	cfg.event_ctx = &e;
	cfg.event_mask |= VMEMU_EVENT_BIT(VMEMU_EVENT_FAULT_IN);
	if ((err = vmemu_node_create(e.uc, &cfg, &e.node)))
		return fail("vmemu_node_create", err);
	uc_hook_add(e.uc, &hook, UC_HOOK_INSN, on_syscall, &e, 1, 0, UC_X86_INS_SYSCALL);

	/* The image: code written through the MMU, then made read-only. */
	if ((err = vmemu_as_create(e.node, &parent)) ||
	    (err = vmemu_node_switch_as(e.node, parent)))
		return fail("vmemu_as_create", err);
	if ((err = vmemu_mmap(parent, CODE_ADDR, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0, NULL)) ||
	    (err = vmemu_copy_to_guest(parent, CODE_ADDR, code, sizeof(code))) ||
	    (err = vmemu_mprotect(parent, CODE_ADDR, 4096, PROT_READ | PROT_EXEC)))
		return fail("loading the code", err);
	/* A buffer nothing backs yet: each page arrives on its first touch. */
	if ((err = vmemu_mmap(parent, 0, PAGES * 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &buf)))
		return fail("vmemu_mmap", err);

	if (run(&e, CODE_ADDR, buf, PAGES) != UC_ERR_OK || !e.exited)
		return fail("running the guest", VMEMU_ERR_UNICORN);
	printf("parent: exit %d, %lu pages faulted in by the MMU hook\n", e.exit_code, e.faults_in);
	report("parent", parent);

	/* fork: the child shares every page copy-on-write; its writes copy. */
	e.faults_in = 0;
	if ((err = vmemu_as_fork(parent, &child)) ||
	    (err = vmemu_node_switch_as(e.node, child)))
		return fail("vmemu_as_fork", err);
	if (run(&e, CODE_ADDR, buf, PAGES) != UC_ERR_OK || !e.exited)
		return fail("running the child", VMEMU_ERR_UNICORN);
	printf("child: exit %d, %lu copy-on-write faults\n", e.exit_code, e.faults_in);
	report("child", child);

	/* An access nothing maps: uc_emu_start fails, the node says why. */
	if (run(&e, CODE_ADDR + BAD_OFFSET, 0x1000, 0) == UC_ERR_EXCEPTION &&
	    vmemu_last_fault(e.node, &f) == 0)
		printf("bad read: signal %d, si_code %d, address %#llx, %s\n", f.signo, f.si_code,
		       (unsigned long long)f.addr,
		       f.access == VMEMU_ACCESS_READ ? "read" : "not a read");

	vmemu_node_meminfo(e.node, &mi);
	printf("node: MemTotal %llu kB, AnonPages %llu kB, pgfault %llu\n",
	       (unsigned long long)mi.mem_total, (unsigned long long)mi.anon_pages,
	       (unsigned long long)mi.pgfault);

	vmemu_node_destroy(e.node);   /* destroys parent and child too */
	uc_close(e.uc);
	return 0;
}
