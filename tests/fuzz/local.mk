# Hardening: the sanitizer environment of `make check`, the fuzz targets'
# regression replays, and `make fuzz-smoke`. Included from Makefile.am.
#
# Fuzz targets (tests/fuzz/fuzz_*.c) define LLVMFuzzerTestOneInput:
#   elf      the ELF loader: elf_check_file + load_elf_binary on the input
#   mm       the guest mm: a program of mm operations on three address
#            spaces, tests/fuzz/mm_check.c's invariants checked after each
#   syscall  a live machine (public API) running tests/fuzz/syscall_guest,
#            which makes the system calls the input describes
# `make check` replays each target's saved inputs (regressions/<target>/,
# the crashers found so far, and corpus/<target>/, the seeds) with gcc and
# without libFuzzer: tests/fuzz/replay_<target>. `make fuzz-smoke` builds
# the targets with clang's libFuzzer and fuzzes each for FUZZ_TIME seconds
# (skipped, with a message, without clang and libFuzzer). A crash it finds
# is left in tests/fuzz/work/<target>-crash-*: minimise it, fix the bug and
# move the input into tests/fuzz/regressions/<target>/.

# ---- make check under --enable-sanitizers ----
# Stacks must continue through libunicorn (no frame pointers) for
# tests/lsan.supp to name the one leak it suppresses; Check's per-test
# timeouts need room for ASan's slowdown. Options already in the
# environment come last, so they win.
AM_TESTS_ENVIRONMENT += if test -n '$(SANITIZER_CFLAGS)'; then \
	ASAN_OPTIONS="fast_unwind_on_malloc=0$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}"; \
	LSAN_OPTIONS="suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0$${LSAN_OPTIONS:+:$$LSAN_OPTIONS}"; \
	UBSAN_OPTIONS="print_stacktrace=1$${UBSAN_OPTIONS:+:$$UBSAN_OPTIONS}"; \
	CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-4}; \
	export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS CK_TIMEOUT_MULTIPLIER; fi;

# ---- the replays, part of make check ----
fuzz_replay_tests = tests/fuzz/replay_elf tests/fuzz/replay_mm tests/fuzz/replay_syscall
check_PROGRAMS += $(fuzz_replay_tests) tests/fuzz/syscall_guest
TESTS += $(fuzz_replay_tests)

fuzz_common_sources = tests/fuzz/replay.c tests/fuzz/fuzz.h
fuzz_mm_check_sources = tests/fuzz/mm_check.c tests/fuzz/mm_check.h

tests_fuzz_replay_elf_SOURCES = $(fuzz_common_sources) $(fuzz_mm_check_sources) tests/fuzz/fuzz_elf.c
tests_fuzz_replay_elf_CPPFLAGS = $(AM_CPPFLAGS) \
	-DREPLAY_DIRS='"$(abs_top_srcdir)/tests/fuzz/regressions/elf", "$(abs_top_srcdir)/tests/fuzz/corpus/elf"'
tests_fuzz_replay_elf_CFLAGS = $(AM_CFLAGS) $(LIBELF_CFLAGS)
tests_fuzz_replay_elf_LDADD = libloader.la libguestmm.la

tests_fuzz_replay_mm_SOURCES = $(fuzz_common_sources) $(fuzz_mm_check_sources) tests/fuzz/fuzz_mm.c
tests_fuzz_replay_mm_CPPFLAGS = $(AM_CPPFLAGS) \
	-DREPLAY_DIRS='"$(abs_top_srcdir)/tests/fuzz/regressions/mm", "$(abs_top_srcdir)/tests/fuzz/corpus/mm"'
tests_fuzz_replay_mm_LDADD = libguestmm.la

# The syscall target is a client of the public API only.
tests_fuzz_replay_syscall_SOURCES = $(fuzz_common_sources) tests/fuzz/fuzz_syscall.c
tests_fuzz_replay_syscall_CPPFLAGS = -D_GNU_SOURCE -I$(top_srcdir) -I$(top_srcdir)/include \
	-I$(top_builddir)/include \
	-DREPLAY_DIRS='"$(abs_top_srcdir)/tests/fuzz/regressions/syscall", "$(abs_top_srcdir)/tests/fuzz/corpus/syscall"' \
	-DFUZZ_SYSCALL_GUEST='"$(abs_top_builddir)/tests/fuzz/syscall_guest"'
tests_fuzz_replay_syscall_LDADD = libvmemu.la

# The guest of the syscall target: static, without libc or sanitizers.
tests_fuzz_syscall_guest_SOURCES = tests/fuzz/syscall_guest.c
tests_fuzz_syscall_guest_CPPFLAGS =
tests_fuzz_syscall_guest_CFLAGS = -O1 -ffreestanding -fno-builtin -fno-stack-protector \
	-fno-tree-loop-distribute-patterns -fcf-protection=none
tests_fuzz_syscall_guest_LDFLAGS = -all-static -nostdlib -nostartfiles

EXTRA_DIST += tests/lsan.supp tests/fuzz/fuzz_elf.c tests/fuzz/fuzz_mm.c \
	tests/fuzz/fuzz_syscall.c tests/fuzz/corpus tests/fuzz/regressions

# ---- make fuzz-smoke: libFuzzer, when clang has it ----
FUZZ_CC = clang
# Seconds of fuzzing for each target.
FUZZ_TIME = 15
# A fixed seed, so that CI explores the same inputs first on every run
# (longer runs: make fuzz-smoke FUZZ_TIME=600 FUZZ_SEED=0 for a random one).
FUZZ_SEED = 1
FUZZ_CFLAGS = -std=gnu11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_CPPFLAGS = -D_GNU_SOURCE -I$(top_srcdir) -I$(top_srcdir)/include -I$(top_builddir)/include \
	-DFUZZ_SYSCALL_GUEST='"$(abs_top_builddir)/tests/fuzz/syscall_guest"'
# The syscall target creates a machine per input and Unicorn leaks a block
# each time (tests/lsan.supp): checking leaks after every input would cost
# two thirds of its speed, so it fuzzes without; make check's replay of
# the saved inputs under --enable-sanitizers checks them for leaks.
FUZZ_ENV = LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1
# target:max_len
FUZZ_RUNS = elf:16384 mm:1024 syscall:4096
fuzz_targets = tests/fuzz/fuzz_elf tests/fuzz/fuzz_mm tests/fuzz/fuzz_syscall

# Each target is one clang command over the sources of the libraries it
# needs (listed in Makefile.am); depending on the gcc-built libraries
# rebuilds it whenever one of those sources changes.
# The invariant checker is sanitized but not instrumented for coverage: its
# loops over every frame would cost most of the time in comparison hooks,
# and its branches are no features worth steering the fuzzer by.
tests/fuzz/mm_check-fuzz.o: $(fuzz_mm_check_sources) libguestmm.la
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CPPFLAGS) -std=gnu11 -g -O1 -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-c -o $@ $(top_srcdir)/tests/fuzz/mm_check.c
tests/fuzz/fuzz_mm: libguestmm.la tests/fuzz/mm_check-fuzz.o tests/fuzz/fuzz_mm.c tests/fuzz/fuzz.h
	$(AM_V_GEN)srcs=`for f in $(libguestmm_la_SOURCES); do case $$f in *.c) echo "$(top_srcdir)/$$f";; esac; done`; \
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $$srcs \
		tests/fuzz/mm_check-fuzz.o $(top_srcdir)/tests/fuzz/fuzz_mm.c $(ZLIB_LIBS) -lm
tests/fuzz/fuzz_elf: libguestmm.la libloader.la tests/fuzz/mm_check-fuzz.o tests/fuzz/fuzz_elf.c tests/fuzz/fuzz.h
	$(AM_V_GEN)srcs=`for f in $(libguestmm_la_SOURCES) $(libloader_la_SOURCES); do case $$f in *.c) echo "$(top_srcdir)/$$f";; esac; done`; \
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(LIBELF_CFLAGS) $(FUZZ_CFLAGS) -o $@ $$srcs \
		tests/fuzz/mm_check-fuzz.o $(top_srcdir)/tests/fuzz/fuzz_elf.c \
		$(LIBELF_LIBS) $(ZLIB_LIBS) -lm
tests/fuzz/fuzz_syscall: libvmemu.la tests/fuzz/fuzz_syscall.c tests/fuzz/fuzz.h
	$(AM_V_GEN)srcs=`for f in $(libguestmm_la_SOURCES) $(libloader_la_SOURCES) $(libvmemu_la_SOURCES); do case $$f in *.c) echo "$(top_srcdir)/$$f";; esac; done`; \
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(LIBELF_CFLAGS) $(UNICORN_CFLAGS) $(CAPSTONE_CFLAGS) $(FUZZ_CFLAGS) \
		-o $@ $$srcs $(top_srcdir)/tests/fuzz/fuzz_syscall.c \
		$(UNICORN_LIBS) $(CAPSTONE_LIBS) $(LIBELF_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS) -lm -lpthread

fuzz-smoke:
	@if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return !d + !n; }' | \
	    $(FUZZ_CC) -fsanitize=fuzzer -x c - -o tests/fuzz/have-libfuzzer >/dev/null 2>&1; then \
		echo "fuzz-smoke: SKIP: $(FUZZ_CC) with libFuzzer not found (Debian: apt-get install clang libclang-rt-14-dev)"; \
		exit 0; \
	fi; \
	rm -f tests/fuzz/have-libfuzzer; \
	$(MAKE) $(AM_MAKEFLAGS) $(fuzz_targets) tests/fuzz/syscall_guest || exit 1; \
	fail=0; \
	for run in $(FUZZ_RUNS); do \
		t=$${run%%:*}; max_len=$${run#*:}; w=tests/fuzz/work; \
		mkdir -p $$w/$$t || exit 1; \
		seeds=; for d in corpus regressions; do \
			test -d $(top_srcdir)/tests/fuzz/$$d/$$t && seeds="$$seeds $(top_srcdir)/tests/fuzz/$$d/$$t"; \
		done; \
		echo "fuzz-smoke: $$t for $(FUZZ_TIME)s"; \
		case $$t in syscall) asan=detect_leaks=0;; *) asan=;; esac; \
		if ASAN_OPTIONS=$$asan $(FUZZ_ENV) tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -seed=$(FUZZ_SEED) -timeout=30 \
		    -rss_limit_mb=4096 -max_len=$$max_len -print_final_stats=1 \
		    -artifact_prefix=$$w/$$t- $$w/$$t $$seeds >$$w/$$t.log 2>&1; then \
			sed -n 's/^stat::\(number_of_executed_units\|average_exec_per_sec\|new_units_added\): */  \1: /p' $$w/$$t.log; \
			grep '^#[0-9]*.*DONE' $$w/$$t.log | sed 's/^/  /'; \
		else \
			tail -n 60 $$w/$$t.log; \
			echo "fuzz-smoke: $$t FAILED; the input is in $$w/$$t-*; log: $$w/$$t.log"; \
			fail=1; \
		fi; \
	done; \
	exit $$fail
.PHONY: fuzz-smoke

clean-local: clean-fuzz
clean-fuzz:
	-rm -rf tests/fuzz/work $(fuzz_targets) tests/fuzz/mm_check-fuzz.o tests/fuzz/have-libfuzzer
.PHONY: clean-fuzz

# ---- isolation: leaving --root, bad pointers ----
TESTS += tests/guest/escape.test
EXTRA_DIST += tests/guest/escape.test samples/escape.c
