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
	tests/guest/interactive-shell.test \
	tests/guest/sample-signals.test \
	tests/guest/sample-timeproc.test \
	tests/guest/sample-sockets.test \
	tests/guest/pagecache.test \
	tests/guest/procfs.test

TESTS += $(GUEST_SAMPLE_TESTS)
# Memory pressure: swap, reclaim and the OOM killer (vmemu alone).
PRESSURE_TESTS = tests/guest/pressure-swap.test tests/guest/pressure-oom.test \
	tests/guest/pressure-oom-adj.test tests/guest/pressure-memcg.test \
	tests/guest/vmemu-check.test tests/guest/timeline.test tests/guest/readonly.test \
	tests/guest/inject.test tests/guest/pressure-file.test \
	tests/guest/thp.test
TESTS += $(PRESSURE_TESTS)
# Debian's busybox-static applets, native against vmemu (SKIP without it).
TESTS += tests/guest/busybox-applets.test
TEST_EXTENSIONS += .test
# The scripts need not be executable. TEST_LOG_DRIVER stays automake's
# default test-driver, which reads exit 77 as SKIP and 99 as ERROR.
TEST_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT += VMEMU=$(abs_top_builddir)/vmemu; export VMEMU;
AM_TESTS_ENVIRONMENT += top_srcdir=$(abs_top_srcdir); top_builddir=$(abs_top_builddir); export top_srcdir top_builddir;
# Every guest run under make check is deterministic (virtual clock, seeded
# randomness): vmemu reads VMEMU_DETERMINISTIC=1 as --deterministic.
AM_TESTS_ENVIRONMENT += VMEMU_DETERMINISTIC=1; export VMEMU_DETERMINISTIC;

# The host around the guest: determinism, host I/O and signals, sockets.
# These samples are built by make (static glibc), not by compare.sh.
HOST_TESTS = \
	tests/guest/deterministic.test \
	tests/guest/host-io.test \
	tests/guest/nondet.test \
	tests/guest/footprint.test \
	tests/guest/sockets-http.test \
	tests/guest/net-policy.test \
	tests/guest/control.test
TESTS += $(HOST_TESTS)
# Dynamically linked programs built here with the host's cc: ld.so's
# features (dlopen, TLS of modules, LD_PRELOAD, LD_LIBRARY_PATH, musl's
# loader) and libc's text shared between two processes (PSS halved).
DYNAMIC_TESTS = tests/guest/dynamic-loader.test tests/guest/dynamic-sharing.test
TESTS += $(DYNAMIC_TESTS)
EXTRA_DIST += $(DYNAMIC_TESTS) tests/guest/dyn_share.c tests/guest/dyn_main.c \
	tests/guest/dyn_lib.c tests/guest/dyn_preload.c
# --report: per-process and system reports, JSON checked against its schema.
TESTS += tests/guest/report.test
EXTRA_DIST += tests/guest/report.test tests/guest/report-validate.py
check_PROGRAMS += samples/det_workload samples/hostio samples/http_server \
	samples/http_client samples/netpolicy samples/pagecache_stats
samples_det_workload_SOURCES = samples/det_workload.c
samples_det_workload_CFLAGS = -O2
samples_det_workload_LDFLAGS = -all-static
samples_hostio_SOURCES = samples/hostio.c
samples_hostio_CFLAGS = -O2
samples_hostio_LDFLAGS = -all-static
samples_http_server_SOURCES = samples/http_server.c
samples_http_server_CFLAGS = -O2
samples_http_server_LDFLAGS = -all-static
samples_http_client_SOURCES = samples/http_client.c
samples_http_client_CFLAGS = -O2
samples_http_client_LDFLAGS = -all-static
samples_pagecache_stats_SOURCES = samples/pagecache_stats.c
samples_pagecache_stats_CFLAGS = -O2
samples_pagecache_stats_LDFLAGS = -all-static
samples_netpolicy_SOURCES = samples/netpolicy.c
samples_netpolicy_CFLAGS = -O2
samples_netpolicy_LDFLAGS = -all-static

EXTRA_DIST += \
	$(GUEST_SAMPLE_TESTS) \
	tests/guest/compare.sh \
	$(PRESSURE_TESTS) tests/guest/pressure.sh \
	samples/memhog.c samples/oom_pair.c samples/thp.c \
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
	samples/sockets.c \
	samples/pagecache.c \
	samples/procfs.c \
	samples/readonly.c tests/guest/readonly.expected samples/inject.c \
	samples/anon_vs_file.c \
	$(HOST_TESTS) \
	tests/guest/busybox-applets.test

# compare.sh builds the samples in tests/guest/bin/. A rule without a
# recipe, so that Makefile.am may still give clean-local one of its own.
clean-local: clean-guest-samples
clean-guest-samples:
	-rm -rf tests/guest/bin
.PHONY: clean-guest-samples
