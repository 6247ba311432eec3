# Guest sample programs checked against native runs. Each
# tests/guest/sample-*.test calls tests/guest/compare.sh, which builds
# samples/NAME.c statically (glibc and musl, static and static-pie) into
# tests/guest/bin/ and compares the program's stdout and exit status under
# vmemu with a native run. Included from the top-level Makefile.am.

GUEST_SAMPLE_TESTS = \
	tests/guest/sample-hello.test \
	tests/guest/sample-exit_status.test \
	tests/guest/sample-mm_ops.test \
	tests/guest/sample-segv_handler.test \
	tests/guest/sample-privileged.test \
	tests/guest/sample-mm_ops-fork.test \
	tests/guest/sample-cpu_model.test \
	tests/guest/sample-rss_pss.test \
	tests/guest/threads-repeat.test \
	tests/guest/sample-signals.test \
	tests/guest/sample-timeproc.test

TESTS += $(GUEST_SAMPLE_TESTS)
# Debian's busybox-static applets, native against vmemu (SKIP without it).
TESTS += tests/guest/busybox-applets.test
TEST_EXTENSIONS += .test
# The scripts need not be executable. TEST_LOG_DRIVER stays automake's
# default test-driver, which reads exit 77 as SKIP and 99 as ERROR.
TEST_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT += VMEMU=$(abs_top_builddir)/vmemu; export VMEMU;
AM_TESTS_ENVIRONMENT += top_srcdir=$(abs_top_srcdir); top_builddir=$(abs_top_builddir); export top_srcdir top_builddir;

EXTRA_DIST += \
	$(GUEST_SAMPLE_TESTS) \
	tests/guest/compare.sh \
	samples/hello.c \
	samples/exit_status.c \
	samples/mm_ops.c \
	samples/segv_handler.c \
	samples/privileged.c \
	samples/cpu_model.c \
	samples/rss_pss.c \
	samples/threads.c \
	samples/fork_exec.c \
	samples/fixed_code.c \
	samples/signals.c \
	samples/timeproc.c \
	tests/guest/busybox-applets.test

# compare.sh builds the samples in tests/guest/bin/. A rule without a
# recipe, so that Makefile.am may still give clean-local one of its own.
clean-local: clean-guest-samples
clean-guest-samples:
	-rm -rf tests/guest/bin
.PHONY: clean-guest-samples
