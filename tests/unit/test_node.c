/* The mm-level API through the public headers only, on engines the test
 * owns: demand paging and events in the fill hook, refused accesses, fork
 * with copy-on-write, file mappings through the page cache, the memory
 * system calls' errno answers, the reports, and two nodes in one process
 * that do not interfere. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unicorn/unicorn.h>

#include <vmemu/mm.h>

#define PAGE 4096ULL
#define CODE_VA 0x400000ULL

/* mov [rdi], rsi ; mov rax, [rdx] ; then `until` */
static const uint8_t store_load[] = { 0x48, 0x89, 0x37, 0x48, 0x8b, 0x02 };

struct rig {
	uc_engine *uc;
	vmemu_node *node;
	vmemu_as *as;
	unsigned long fault_in, fault_error;
	struct vmemu_fault last;
};

static void count_events(void *ctx, const struct vmemu_event *ev)
{
	struct rig *r = ctx;

	if (ev->kind == VMEMU_EVENT_FAULT_IN)
		r->fault_in++;
	if (ev->kind == VMEMU_EVENT_FAULT_ERROR) {
		r->fault_error++;
		r->last = ev->fault;
	}
	ck_assert_ptr_eq(ev->as, r->as);
}

static void rig_init(struct rig *r, uint64_t mem)
{
	struct vmemu_node_config cfg;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(uc_open(UC_ARCH_X86, UC_MODE_64, &r->uc), UC_ERR_OK);
	vmemu_node_config_init(&cfg);
	cfg.mem_bytes = mem;
	cfg.event = count_events;
	cfg.event_ctx = r;
	cfg.event_mask = VMEMU_EVENT_BIT(VMEMU_EVENT_FAULT_IN) |
			 VMEMU_EVENT_BIT(VMEMU_EVENT_FAULT_ERROR);
	ck_assert_int_eq(vmemu_node_create(r->uc, &cfg, &r->node), 0);
	ck_assert_int_eq(vmemu_as_create(r->node, &r->as), 0);
	ck_assert_int_eq(vmemu_node_switch_as(r->node, r->as), 0);
	ck_assert_int_eq(vmemu_mmap(r->as, CODE_VA, PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0, NULL), 0);
	ck_assert_int_eq(vmemu_copy_to_guest(r->as, CODE_VA, store_load, sizeof(store_load)), 0);
	ck_assert_int_eq(vmemu_mprotect(r->as, CODE_VA, PAGE, PROT_READ | PROT_EXEC), 0);
}

static void rig_fini(struct rig *r)
{
	vmemu_node_destroy(r->node);
	uc_close(r->uc);
}

/* Guest code stores value at dst and loads *src; returns the engine's
 * verdict, the loaded value in *loaded. */
static uc_err guest_store_load(struct rig *r, uint64_t dst, uint64_t value, uint64_t src,
			       uint64_t *loaded)
{
	uc_err err;

	uc_reg_write(r->uc, UC_X86_REG_RDI, &dst);
	uc_reg_write(r->uc, UC_X86_REG_RSI, &value);
	uc_reg_write(r->uc, UC_X86_REG_RDX, &src);
	err = uc_emu_start(r->uc, CODE_VA, CODE_VA + sizeof(store_load), 0, 0);
	if (loaded)
		uc_reg_read(r->uc, UC_X86_REG_RAX, loaded);
	return err;
}

static uint64_t anon(struct rig *r, uint64_t len, int prot)
{
	uint64_t addr = 0;

	ck_assert_int_eq(vmemu_mmap(r->as, 0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0,
				    &addr), 0);
	return addr;
}

START_TEST(demand_paging)
{
	struct rig r;
	struct vmemu_status st;
	struct vmemu_rollup ro;
	uint64_t buf, v;
	int64_t pgfault;

	rig_init(&r, 16 << 20);
	buf = anon(&r, 16 * PAGE, PROT_READ | PROT_WRITE);
	vmemu_as_rollup(r.as, &ro);
	ck_assert_uint_eq(ro.anonymous, 4);          /* the code page only */
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(guest_store_load(&r, buf + i * PAGE, 100 + i, buf, &v), UC_ERR_OK);
		ck_assert_uint_eq(v, 100);
	}
	ck_assert_uint_eq(r.fault_in, 16);
	ck_assert_uint_eq(r.fault_error, 0);
	vmemu_as_status(r.as, &st);
	ck_assert_uint_eq(st.min_flt, 17);           /* + the code page, by copy_to_guest */
	ck_assert_uint_eq(st.vm_rss, 17 * 4);
	vmemu_as_rollup(r.as, &ro);
	ck_assert_uint_eq(ro.rss, 17 * 4);
	ck_assert_uint_eq(ro.pss, 17 * 4);
	ck_assert_uint_eq(ro.private_dirty, 17 * 4);
	ck_assert_int_eq(vmemu_node_vmstat_get(r.node, "pgfault", &pgfault), 0);
	ck_assert_int_eq(pgfault, 17);
	ck_assert_int_eq(vmemu_node_vmstat_get(r.node, "no_such_counter", &pgfault),
			 VMEMU_ERR_INVAL);
	/* The guest's stores are in guest memory. */
	ck_assert_int_eq(vmemu_copy_from_guest(r.as, &v, buf + 5 * PAGE, sizeof(v)), 0);
	ck_assert_uint_eq(v, 105);
	rig_fini(&r);
}
END_TEST

START_TEST(refused_accesses)
{
	struct rig r;
	struct vmemu_fault f;
	uint64_t ro_page;

	rig_init(&r, 16 << 20);
	ck_assert_int_eq(vmemu_last_fault(r.node, &f), VMEMU_ERR_STATE);
	/* A store where nothing is mapped. */
	ck_assert_int_eq(guest_store_load(&r, 0x1000, 1, CODE_VA, NULL), UC_ERR_EXCEPTION);
	ck_assert_int_eq(vmemu_last_fault(r.node, &f), 0);
	ck_assert_uint_eq(f.addr, 0x1000);
	ck_assert_uint_eq(f.access, VMEMU_ACCESS_WRITE);
	ck_assert_int_eq(f.signo, SIGSEGV);
	ck_assert_int_eq(f.si_code, 1);              /* SEGV_MAPERR */
	ck_assert_int_eq(vmemu_last_fault(r.node, &f), VMEMU_ERR_STATE);  /* cleared */
	ck_assert_uint_eq(r.fault_error, 1);
	ck_assert_uint_eq(r.last.addr, 0x1000);
	/* A store into a read-only mapping. */
	ro_page = anon(&r, PAGE, PROT_READ);
	ck_assert_int_eq(guest_store_load(&r, ro_page + 8, 1, CODE_VA, NULL), UC_ERR_EXCEPTION);
	ck_assert_int_eq(vmemu_last_fault(r.node, &f), 0);
	ck_assert_uint_eq(f.addr, ro_page);
	ck_assert_int_eq(f.si_code, 2);              /* SEGV_ACCERR */
	/* Without an active address space every access faults. */
	ck_assert_int_eq(vmemu_node_switch_as(r.node, NULL), 0);
	r.as = NULL;
	ck_assert_int_eq(guest_store_load(&r, ro_page, 1, CODE_VA, NULL), UC_ERR_EXCEPTION);
	ck_assert_int_eq(vmemu_last_fault(r.node, &f), 0);
	ck_assert_uint_eq(f.access, VMEMU_ACCESS_FETCH);
	ck_assert_uint_eq(f.addr, CODE_VA);
	rig_fini(&r);
}
END_TEST

START_TEST(fork_copy_on_write)
{
	struct rig r;
	vmemu_as *parent, *child;
	struct vmemu_rollup ro;
	uint64_t buf, v;

	rig_init(&r, 16 << 20);
	parent = r.as;
	buf = anon(&r, 4 * PAGE, PROT_READ | PROT_WRITE);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(guest_store_load(&r, buf + i * PAGE, 1, buf, NULL), UC_ERR_OK);
	ck_assert_int_eq(vmemu_as_fork(parent, &child), 0);
	vmemu_as_rollup(parent, &ro);
	ck_assert_uint_eq(ro.rss, 5 * 4);
	ck_assert_uint_eq(ro.pss, 5 * 4 / 2);        /* every page shared by two */
	/* The parent (still active) writes: a COW fault, the child keeps 1. */
	r.fault_in = 0;
	ck_assert_int_eq(guest_store_load(&r, buf, 2, buf, &v), UC_ERR_OK);
	ck_assert_uint_eq(v, 2);
	ck_assert_uint_eq(r.fault_in, 1);
	r.as = child;
	ck_assert_int_eq(vmemu_node_switch_as(r.node, child), 0);
	ck_assert_ptr_eq(vmemu_node_active_as(r.node), child);
	ck_assert_int_eq(guest_store_load(&r, buf + PAGE, 3, buf, &v), UC_ERR_OK);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(vmemu_copy_from_guest(parent, &v, buf + PAGE, sizeof(v)), 0);
	ck_assert_uint_eq(v, 1);
	/* Destroying the active child leaves none active; the parent lives on. */
	vmemu_as_destroy(child);
	ck_assert_ptr_null(vmemu_node_active_as(r.node));
	ck_assert_int_eq(vmemu_copy_from_guest(parent, &v, buf, sizeof(v)), 0);
	ck_assert_uint_eq(v, 2);
	r.as = parent;
	rig_fini(&r);
}
END_TEST

START_TEST(file_mapping)
{
	struct rig r;
	char path[] = "/tmp/vmemu-test-node-XXXXXX", got[16];
	uint64_t addr;
	int fd;

	rig_init(&r, 16 << 20);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789abcdef", 16), 16);
	ck_assert_int_eq(ftruncate(fd, PAGE), 0);
	ck_assert_int_eq(vmemu_mmap(r.as, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0,
				    &addr), 0);
	close(fd);                                   /* the node has its own */
	/* The guest reads the file through the page cache and writes to it. */
	uint64_t v;

	ck_assert_int_eq(guest_store_load(&r, addr + 8, 0x2121212121212121ULL, addr, &v),
			 UC_ERR_OK);
	ck_assert_int_eq(memcmp(&v, "01234567", 8), 0);
	ck_assert_int_eq(vmemu_munmap(r.as, addr, PAGE), 0);    /* writes back */
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, got, 16), 16);
	ck_assert_int_eq(memcmp(got, "01234567!!!!!!!!", 16), 0);
	/* Linux's answers for a bad descriptor and a write-mapping of a
	 * read-only one. */
	ck_assert_int_eq(vmemu_mmap(r.as, 0, PAGE, PROT_READ, MAP_SHARED, -1, 0, NULL), -EBADF);
	ck_assert_int_eq(vmemu_mmap(r.as, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0,
				    NULL), -EACCES);
	close(fd);
	unlink(path);
	rig_fini(&r);
}
END_TEST

START_TEST(memory_syscalls)
{
	struct rig r;
	uint64_t a, b, v = 42, brk0 = 0x10000000;

	rig_init(&r, 16 << 20);
	ck_assert_int_eq(vmemu_mmap(r.as, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0,
				    NULL), -EINVAL);
	ck_assert_int_eq(vmemu_munmap(r.as, 0x1001, PAGE), -EINVAL);
	ck_assert_int_eq(vmemu_mprotect(r.as, 0x20000000, PAGE, PROT_READ), -ENOMEM);
	ck_assert_str_eq(vmemu_strerror(-EINVAL), "Invalid argument");
	ck_assert(VMEMU_IS_ERRNO(-ENOMEM));
	ck_assert(!VMEMU_IS_ERRNO(VMEMU_ERR_NOMEM));
	ck_assert_str_eq(vmemu_strerror(VMEMU_ERR_STATE), "operation not valid in this state");
	/* mremap moves the contents; madvise(DONTNEED) gives zeroes back. */
	a = anon(&r, 2 * PAGE, PROT_READ | PROT_WRITE);
	ck_assert_int_eq(vmemu_copy_to_guest(r.as, a + PAGE, &v, sizeof(v)), 0);
	ck_assert_int_eq(vmemu_mremap(r.as, a, 2 * PAGE, 64 * PAGE, MREMAP_MAYMOVE, 0, &b), 0);
	v = 0;
	ck_assert_int_eq(vmemu_copy_from_guest(r.as, &v, b + PAGE, sizeof(v)), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(vmemu_madvise(r.as, b, 64 * PAGE, MADV_DONTNEED), 0);
	ck_assert_int_eq(vmemu_copy_from_guest(r.as, &v, b + PAGE, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(vmemu_copy_from_guest(r.as, &v, 0x1000, sizeof(v)), -EFAULT);
	/* brk: nothing until the heap is placed; then it grows and shrinks. */
	ck_assert_uint_eq(vmemu_brk(r.as, brk0 + PAGE), 0);
	ck_assert_int_eq(vmemu_as_set_brk(r.as, brk0 + 1), VMEMU_ERR_INVAL);
	ck_assert_int_eq(vmemu_as_set_brk(r.as, brk0), 0);
	ck_assert_uint_eq(vmemu_brk(r.as, 0), brk0);
	ck_assert_uint_eq(vmemu_brk(r.as, brk0 + 3 * PAGE), brk0 + 3 * PAGE);
	ck_assert_int_eq(vmemu_as_set_brk(r.as, brk0 + PAGE), VMEMU_ERR_STATE);
	ck_assert_int_eq(guest_store_load(&r, brk0 + 2 * PAGE, 7, brk0 + 2 * PAGE, &v), UC_ERR_OK);
	ck_assert_uint_eq(v, 7);
	ck_assert_uint_eq(vmemu_brk(r.as, brk0 + PAGE), brk0 + PAGE);
	ck_assert_int_eq(guest_store_load(&r, brk0 + 2 * PAGE, 7, brk0, NULL), UC_ERR_EXCEPTION);
	rig_fini(&r);
}
END_TEST

START_TEST(bad_engines_and_configs)
{
	struct vmemu_node_config cfg;
	vmemu_node *n, *other;
	vmemu_as *as;
	uc_engine *uc32, *uc;

	vmemu_node_config_init(&cfg);
	cfg.mem_bytes = 8 << 20;
	ck_assert_int_eq(uc_open(UC_ARCH_X86, UC_MODE_32, &uc32), UC_ERR_OK);
	ck_assert_int_eq(vmemu_node_create(uc32, &cfg, &n), VMEMU_ERR_INVAL);
	ck_assert_ptr_null(n);
	uc_close(uc32);
	ck_assert_int_eq(uc_open(UC_ARCH_X86, UC_MODE_64, &uc), UC_ERR_OK);
	cfg.mem_bytes = (8 << 20) + 1;
	ck_assert_int_eq(vmemu_node_create(uc, &cfg, &n), VMEMU_ERR_INVAL);
	cfg.mem_bytes = 1 << 20;
	ck_assert_int_eq(vmemu_node_create(uc, &cfg, &n), VMEMU_ERR_INVAL);
	cfg.mem_bytes = 8 << 20;
	ck_assert_int_eq(vmemu_node_create(uc, &cfg, &n), 0);
	ck_assert_int_ne(vmemu_node_until(n), 0);
	/* The engine's RAM is taken: a second node on it is refused. */
	ck_assert_int_eq(vmemu_node_create(uc, &cfg, &other), VMEMU_ERR_INVAL);
	vmemu_node_destroy(n);
	/* ... and free again once the first is gone. */
	ck_assert_int_eq(vmemu_node_create(uc, &cfg, &n), 0);
	ck_assert_int_eq(vmemu_as_create(n, &as), 0);
	vmemu_node_destroy(n);                       /* with as still attached */
	uc_close(uc);
}
END_TEST

/* Two nodes in one process, driven in turns: the same guest address holds
 * each one's own data, and counters and reports stay apart. */
START_TEST(two_nodes_do_not_interfere)
{
	struct rig a, b;
	struct vmemu_meminfo ma, mb;
	struct vmemu_status sa, sb;
	uint64_t bufa, bufb, v;
	vmemu_as *foreign;

	rig_init(&a, 16 << 20);
	rig_init(&b, 32 << 20);
	bufa = anon(&a, 64 * PAGE, PROT_READ | PROT_WRITE);
	bufb = anon(&b, 64 * PAGE, PROT_READ | PROT_WRITE);
	ck_assert_uint_eq(bufa, bufb);               /* one layout, no randomisation */
	for (int i = 0; i < 64; i++) {
		ck_assert_int_eq(guest_store_load(&a, bufa + i * PAGE, 0xa000 + i, bufa, NULL),
				 UC_ERR_OK);
		if (i % 4 == 0)
			ck_assert_int_eq(guest_store_load(&b, bufb + i * PAGE, 0xb000 + i, bufb,
							  NULL), UC_ERR_OK);
	}
	for (int i = 0; i < 64; i += 4) {
		ck_assert_int_eq(vmemu_copy_from_guest(a.as, &v, bufa + i * PAGE, sizeof(v)), 0);
		ck_assert_uint_eq(v, 0xa000 + i);
		ck_assert_int_eq(vmemu_copy_from_guest(b.as, &v, bufb + i * PAGE, sizeof(v)), 0);
		ck_assert_uint_eq(v, 0xb000 + i);
	}
	ck_assert_uint_eq(a.fault_in, 64);
	ck_assert_uint_eq(b.fault_in, 16);
	vmemu_as_status(a.as, &sa);
	vmemu_as_status(b.as, &sb);
	ck_assert_uint_eq(sa.vm_rss, 65 * 4);
	ck_assert_uint_eq(sb.vm_rss, 17 * 4);
	vmemu_node_meminfo(a.node, &ma);
	vmemu_node_meminfo(b.node, &mb);
	ck_assert_uint_eq(ma.pgfault, 65);
	ck_assert_uint_eq(mb.pgfault, 17);
	ck_assert_uint_eq(ma.anon_pages, 65 * 4);
	ck_assert_uint_eq(mb.anon_pages, 17 * 4);
	ck_assert_uint_lt(ma.mem_total, mb.mem_total);
	/* An address space belongs to its node. */
	ck_assert_int_eq(vmemu_node_switch_as(a.node, b.as), VMEMU_ERR_INVAL);
	ck_assert_int_eq(vmemu_as_create(a.node, &foreign), 0);
	ck_assert_int_eq(vmemu_node_switch_as(b.node, foreign), VMEMU_ERR_INVAL);
	/* Destroying one leaves the other working. */
	rig_fini(&a);
	ck_assert_int_eq(guest_store_load(&b, bufb + PAGE, 5, bufb, &v), UC_ERR_OK);
	ck_assert_uint_eq(v, 0xb000);
	ck_assert_uint_eq(b.fault_in, 17);
	rig_fini(&b);
}
END_TEST

static Suite *node_suite(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("mm_api");

	tcase_add_test(tc, demand_paging);
	tcase_add_test(tc, refused_accesses);
	tcase_add_test(tc, fork_copy_on_write);
	tcase_add_test(tc, file_mapping);
	tcase_add_test(tc, memory_syscalls);
	tcase_add_test(tc, bad_engines_and_configs);
	tcase_add_test(tc, two_nodes_do_not_interfere);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(node_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
