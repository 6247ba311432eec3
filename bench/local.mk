# `make bench` (not part of `make check`): builds the static guest
# benchmarks bench/*.c with $(BENCH_CC) $(BENCH_CFLAGS) into bench/ in the
# build directory and runs bench/run.sh, which times each natively, under
# qemu-x86_64 -cpu Haswell (skipped when missing) and under vmemu, and
# writes the table to stdout and bench-results.csv. BENCH_REPS=N (default
# 3) sets the repetitions, BENCH_ONLY=a,b a subset. Included from the
# top-level Makefile.am.

BENCH_PROGS = bench/cpu bench/randmem bench/pagefault bench/forkcow \
	bench/forkexec bench/fileio bench/fileread bench/swap bench/hello bench/syscall bench/thp
BENCH_CC = gcc
BENCH_CFLAGS = -static -O2
PYTHON3 = python3
QEMU_X86_64 = qemu-x86_64
EXTRA_DIST += bench/local.mk bench/run.sh bench/cpu.c bench/randmem.c \
	bench/pagefault.c bench/forkcow.c bench/forkexec.c bench/fileio.c bench/fileread.c \
	bench/swap.c bench/hello.c bench/syscall.c bench/thp.c

bench/cpu: $(srcdir)/bench/cpu.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/cpu.c
bench/randmem: $(srcdir)/bench/randmem.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/randmem.c
bench/pagefault: $(srcdir)/bench/pagefault.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/pagefault.c
bench/forkcow: $(srcdir)/bench/forkcow.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/forkcow.c
bench/forkexec: $(srcdir)/bench/forkexec.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/forkexec.c
bench/fileio: $(srcdir)/bench/fileio.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/fileio.c
bench/fileread: $(srcdir)/bench/fileread.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/fileread.c
bench/swap: $(srcdir)/bench/swap.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/swap.c
bench/hello: $(srcdir)/bench/hello.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/hello.c
bench/syscall: $(srcdir)/bench/syscall.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/syscall.c

bench/thp: $(srcdir)/bench/thp.c
	@$(MKDIR_P) bench
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(srcdir)/bench/thp.c

bench-progs: $(BENCH_PROGS)
bench: $(BENCH_PROGS) vmemu$(EXEEXT)
	BENCH_REPS='$(BENCH_REPS)' BENCH_ONLY='$(BENCH_ONLY)' \
	$(PYTHON3) $(srcdir)/bench/run.sh --bin-dir bench --vmemu ./vmemu$(EXEEXT) \
		--qemu '$(QEMU_X86_64)' --csv bench-results.csv
clean-bench:
	-rm -f $(BENCH_PROGS) bench-results.csv bench-results-thp.csv
.PHONY: bench bench-progs clean-bench
clean-local: clean-bench
