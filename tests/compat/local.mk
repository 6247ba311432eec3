# Differential compatibility tests (tests/compat/): difftest.py runs a
# manifest's programs natively and under vmemu and compares them; here the
# real programs (bash-static, Lua, SQLite, zlib/xz/zstd) and dynamically
# linked Debian programs. The suites of
# others (musl's libc-test, LTP) are built outside the tree; their manifests,
# baselines and results are in tests/compat/ (see RESULTS.md).
# Included from the top-level Makefile.am.

TESTS += tests/compat/real-programs.test tests/compat/dynamic-programs.test

EXTRA_DIST += \
	tests/compat/real-programs.test \
	tests/compat/dynamic-programs.test \
	tests/compat/dynamic-programs.manifest \
	tests/compat/baseline-dynamic-programs.txt \
	tests/compat/programs/dynamic/rules.mk \
	tests/compat/programs/dynamic/a.txt \
	tests/compat/programs/dynamic/b.txt \
	tests/compat/programs/dynamic/calc.bc \
	tests/compat/programs/dynamic/table.txt \
	tests/compat/programs/dynamic/text.txt \
	tests/compat/difftest.py \
	tests/compat/real-programs.manifest \
	tests/compat/libc-test.manifest \
	tests/compat/ltp-syscalls.manifest \
	tests/compat/baseline-real-programs.txt \
	tests/compat/baseline-libc-test.txt \
	tests/compat/baseline-ltp-syscalls.txt \
	tests/compat/known-differences.txt \
	tests/compat/RESULTS.md \
	tests/compat/programs/lua_driver.c \
	tests/compat/programs/sqlite_shell.c \
	tests/compat/programs/compress_roundtrip.c \
	tests/compat/programs/notinit.c \
	tests/compat/programs/bash/loops.sh \
	tests/compat/programs/bash/functions.sh \
	tests/compat/programs/bash/arrays.sh \
	tests/compat/programs/bash/heredoc.sh \
	tests/compat/programs/bash/subshells.sh \
	tests/compat/programs/bash/pipelines.sh \
	tests/compat/programs/bash/traps.sh \
	tests/compat/programs/lua/basics.lua \
	tests/compat/programs/lua/coroutines.lua \
	tests/compat/programs/lua/gc_files.lua \
	tests/compat/programs/sql/01-create.sql \
	tests/compat/programs/sql/02-query.sql \
	tests/compat/programs/sql/03-update.sql \
	tests/compat/programs/sql/04-wal.sql

# real-programs.test builds its drivers in tests/compat/bin/.
clean-local: clean-compat-bin
clean-compat-bin:
	-rm -rf tests/compat/bin
.PHONY: clean-compat-bin
