/* The machine through the public API only: programs run one after another
 * in one machine each run their own code, two machines in one process do
 * not interfere, no frame leaks across runs, and bad programs are refused
 * with the right error. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmemu/vmemu.h>

static char *const no_env[] = { NULL };

/* Runs path (with argument arg, if any) in m with stdout captured; returns
 * the exit status. */
static int run_capture_arg(vmemu_machine *m, const char *path, const char *arg, char *out,
			   size_t len)
{
	char *argv[] = { (char *)path, (char *)arg, NULL };
	int fds[2], status = -1;
	ssize_t n;
	size_t got = 0;

	ck_assert_int_eq(pipe(fds), 0);
	/* The machine duplicates fd 1 at spawn; point it at the pipe then. */
	int saved = dup(1);

	dup2(fds[1], 1);
	ck_assert_int_eq(vmemu_spawn(m, path, argv, no_env, NULL, 0), 0);
	dup2(saved, 1);
	close(saved);
	close(fds[1]);
	ck_assert_int_eq(vmemu_run(m, &status), 0);
	while (got < len - 1 && (n = read(fds[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(fds[0]);
	return status;
}

static int run_capture(vmemu_machine *m, const char *path, char *out, size_t len)
{
	return run_capture_arg(m, path, NULL, out, len);
}

static vmemu_machine *machine(uint64_t mem)
{
	struct vmemu_config cfg;
	vmemu_machine *m;

	vmemu_config_init(&cfg);
	cfg.mem_bytes = mem;
	cfg.deterministic = 1;
	ck_assert_int_eq(vmemu_machine_create(&cfg, &m), 0);
	return m;
}

START_TEST(same_address_different_code)
{
	vmemu_machine *m = machine(64 << 20);
	char out[256];
	const char *expect[] = { "build 1: fixed_code(10) = 31\n",
				 "build 2: fixed_code(10) = 43\n" };

	for (int i = 0; i < 6; i++) {
		int which = (i % 2) + 1;
		char path[512];

		snprintf(path, sizeof(path), "%s/fixed_code_%d", SAMPLES_DIR, which);
		ck_assert_int_eq(run_capture(m, path, out, sizeof(out)), 0);
		ck_assert_str_eq(out, expect[which - 1]);
	}
	vmemu_machine_destroy(m);
}
END_TEST

START_TEST(no_frame_leaks_across_runs)
{
	vmemu_machine *m = machine(64 << 20);
	struct vmemu_meminfo before, after;
	char out[256], path[512];

	snprintf(path, sizeof(path), "%s/fixed_code_1", SAMPLES_DIR);
	/* The first run warms the slab caches; count from the second on. */
	run_capture(m, path, out, sizeof(out));
	ck_assert_int_eq(vmemu_get_meminfo(m, &before), 0);
	for (int i = 0; i < 5; i++)
		run_capture(m, path, out, sizeof(out));
	ck_assert_int_eq(vmemu_get_meminfo(m, &after), 0);
	ck_assert_uint_eq(before.mem_free, after.mem_free);
	ck_assert_uint_eq(after.anon_pages, 0);
	ck_assert_uint_eq(after.page_tables, 0);
	ck_assert_uint_gt(after.pgfault, before.pgfault);
	vmemu_machine_destroy(m);
}
END_TEST

START_TEST(two_machines_independent)
{
	vmemu_machine *a = machine(64 << 20), *b = machine(128 << 20);
	struct vmemu_meminfo ia, ib, ia2;
	char out[256], p1[512], p2[512];

	snprintf(p1, sizeof(p1), "%s/fixed_code_1", SAMPLES_DIR);
	snprintf(p2, sizeof(p2), "%s/fixed_code_2", SAMPLES_DIR);
	vmemu_get_meminfo(a, &ia);
	vmemu_get_meminfo(b, &ib);
	ck_assert_uint_lt(ia.mem_total, ib.mem_total);
	ck_assert_int_eq(run_capture(b, p2, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "build 2: fixed_code(10) = 43\n");
	/* b's run touched nothing of a's. */
	vmemu_get_meminfo(a, &ia2);
	ck_assert_uint_eq(ia.mem_free, ia2.mem_free);
	ck_assert_uint_eq(ia.pgfault, ia2.pgfault);
	ck_assert_int_eq(run_capture(a, p1, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "build 1: fixed_code(10) = 31\n");
	vmemu_machine_destroy(a);
	ck_assert_int_eq(run_capture(b, p1, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "build 1: fixed_code(10) = 31\n");
	vmemu_machine_destroy(b);
}
END_TEST

/* A thousand processes come and go: every frame comes back. */
START_TEST(fork_exec_no_leak)
{
	vmemu_machine *m = machine(64 << 20);
	struct vmemu_meminfo before, after;
	char out[256], path[512];

	snprintf(path, sizeof(path), "%s/fork_exec", SAMPLES_DIR);
	ck_assert_int_eq(run_capture_arg(m, path, "3", out, sizeof(out)), 0);
	ck_assert_int_eq(vmemu_get_meminfo(m, &before), 0);
	ck_assert_int_eq(run_capture_arg(m, path, "1000", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1000 children, 0 bad\n");
	ck_assert_int_eq(vmemu_get_meminfo(m, &after), 0);
	ck_assert_uint_eq(before.mem_free, after.mem_free);
	ck_assert_uint_eq(after.anon_pages, 0);
	ck_assert_uint_eq(after.page_tables, 0);
	ck_assert_uint_ge(after.pgfault - before.pgfault, 1000);
	vmemu_machine_destroy(m);
}
END_TEST

START_TEST(bad_programs_refused)
{
	vmemu_machine *m = machine(16 << 20);
	char *argv[] = { "x", NULL }, err[128];
	char tmpl[] = "/tmp/vmemu-test-XXXXXX";
	int fd = mkstemp(tmpl);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "\177ELF", 4), 4);
	close(fd);
	chmod(tmpl, 0755);
	ck_assert_int_eq(vmemu_spawn(m, "/nonexistent/prog", argv, no_env, err, sizeof(err)),
			 VMEMU_ERR_NOENT);
	ck_assert_int_eq(vmemu_spawn(m, "/tmp", argv, no_env, err, sizeof(err)), VMEMU_ERR_ACCES);
	ck_assert_int_eq(vmemu_spawn(m, tmpl, argv, no_env, err, sizeof(err)), VMEMU_ERR_NOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "ELF"));
	unlink(tmpl);
	vmemu_machine_destroy(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("machine");
	TCase *tc = tcase_create("public API");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, same_address_different_code);
	tcase_add_test(tc, no_frame_leaks_across_runs);
	tcase_add_test(tc, two_machines_independent);
	tcase_add_test(tc, fork_exec_no_leak);
	tcase_add_test(tc, bad_programs_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
