#!/bin/sh
# Shared by the pressure-*.test scripts: builds samples/NAME.c statically
# (glibc) into tests/guest/bin/ when its source is newer, and sets $bin.
# Memory pressure has no native counterpart to compare with (the host's
# RAM and swap are not the guest's), so these tests check vmemu alone.
set -u
VMEMU=${VMEMU:-${top_builddir:-.}/vmemu}
[ -x "$VMEMU" ] || exit 77
src_top=${top_srcdir:-$(dirname "$0")/../..}
bindir=${top_builddir:-.}/tests/guest/bin
build_sample() {
	mkdir -p "$bindir" || exit 99
	bin=$bindir/$1
	if [ ! -x "$bin" ] || [ "$src_top/samples/$1.c" -nt "$bin" ]; then
		${CC:-gcc} -static -O2 -Wall -Wextra -o "$bin" "$src_top/samples/$1.c" || exit 99
	fi
}
