#!/bin/sh
# Builds a guest sample (samples/NAME.c) in up to four static variants, runs
# each natively and under $VMEMU, and compares stdout and exit status (and
# stderr when COMPARE_STDERR=1).
#
# usage: compare.sh SAMPLE_NAME [ARGS...]
#
# Exit status, in automake's terms: 0 every variant matched; 1 a mismatch or a
# timeout; 77 (SKIP) $VMEMU does not exist; 99 (ERROR) the harness itself
# failed (bad usage, no such sample, a variant that does not build).
#
# Environment:
#   VMEMU             the emulator (default: $top_builddir/vmemu)
#   VMEMU_FLAGS       options placed between $VMEMU and the program
#   top_srcdir, srcdir, top_builddir   as automake sets them
#   CC                glibc C compiler (default: gcc)
#   MUSL_CC           musl C compiler (default: musl-gcc); musl variants are
#                     skipped when it is missing
#   COMPARE_TIMEOUT   seconds allowed for each run (default: 60)
#   COMPARE_STDERR    1: compare stderr too
#   COMPARE_VARIANTS  the variants to run (default: all of them):
#                     gcc-static gcc-static-pie musl-static musl-static-pie
#
# A variant is rebuilt only when its source is newer than its binary, in
# $top_builddir/tests/guest/bin/NAME-VARIANT.

set -u
me=compare.sh

if [ $# -lt 1 ]; then
	echo "usage: $me SAMPLE_NAME [ARGS...]" >&2
	exit 99
fi
name=$1
shift

CC=${CC:-gcc}
MUSL_CC=${MUSL_CC:-musl-gcc}
timeout_s=${COMPARE_TIMEOUT:-60}
variants=${COMPARE_VARIANTS:-gcc-static gcc-static-pie musl-static musl-static-pie}
warn="-Wall -Wextra"

abspath() { (cd "$1" 2>/dev/null && pwd); }

# The source tree: the first of $top_srcdir, $srcdir (the top one, as the
# Makefile is non-recursive) and this script's ../.. that holds the sample.
here=$(abspath "$(dirname "$0")")
src_top=
for d in "${top_srcdir:-}" "${srcdir:-}" "$here/../.."; do
	if [ -n "$d" ] && [ -f "$d/samples/$name.c" ]; then
		src_top=$(abspath "$d")
		break
	fi
done
if [ -z "$src_top" ]; then
	echo "$me: no source for sample '$name' (looked for samples/$name.c)" >&2
	exit 99
fi
src=$src_top/samples/$name.c

# The build tree: $top_builddir, else the current directory when it is one
# (make check runs tests from it), else the source tree.
if [ -n "${top_builddir:-}" ]; then
	build_top=$(abspath "$top_builddir")
elif [ -f ./config.status ]; then
	build_top=$(pwd)
else
	build_top=$src_top
fi
if [ -z "$build_top" ]; then
	echo "$me: top_builddir '$top_builddir' is not a directory" >&2
	exit 99
fi

VMEMU=${VMEMU:-$build_top/vmemu}
case $VMEMU in
*/*) ;;
*) VMEMU=$(command -v "$VMEMU" 2>/dev/null || echo "$VMEMU") ;;
esac
if [ ! -e "$VMEMU" ]; then
	echo "SKIP: $name: $VMEMU does not exist (build vmemu or set VMEMU)"
	exit 77
fi
if [ ! -x "$VMEMU" ]; then
	echo "$me: $VMEMU is not executable" >&2
	exit 99
fi

bindir=$build_top/tests/guest/bin
mkdir -p "$bindir" || exit 99
work=$(mktemp -d "${TMPDIR:-/tmp}/vmemu-compare.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 99' HUP INT PIPE TERM

# No core files from the guests that die of a signal.
ulimit -c 0 2>/dev/null

# ---- Building -----------------------------------------------------------

first_word() { set -- $1; echo "${1:-}"; }

have() { command -v "$(first_word "$1")" >/dev/null 2>&1; }

# Prints the p_type of each program header of the ELF64 file $1.
phdr_types() {
	phoff=$(od -An -t u8 -j 32 -N 8 "$1" | tr -d ' ')
	phentsize=$(od -An -t u2 -j 54 -N 2 "$1" | tr -d ' ')
	phnum=$(od -An -t u2 -j 56 -N 2 "$1" | tr -d ' ')
	i=0
	while [ "$i" -lt "$phnum" ]; do
		od -An -t u4 -j $((phoff + i * phentsize)) -N 4 "$1" | tr -d ' '
		i=$((i + 1))
	done
}

# Static: no PT_INTERP (3), so no dynamic loader is asked for.
is_static() { ! phdr_types "$1" | grep -qx 3; }

# The directory of the crt1.o that $MUSL_CC links. Not -print-file-name:
# through Debian's musl-gcc wrapper it answers with glibc's files.
musl_libdir() {
	crt=$($MUSL_CC -static -### -o "$work/x" "$src" 2>&1 |
		tr ' ' '\n' | tr -d '"' | grep 'crt1\.o$' | head -n 1)
	[ -n "$crt" ] && [ -f "$crt" ] && dirname "$crt"
}

# musl-gcc's specs file (musl 1.2.3 in Debian 12) predates -static-pie: it
# links Scrt1.o and asks for /lib/ld-musl-x86_64.so.1. When that happens,
# link by hand: rcrt1.o (which relocates itself), static libc, no PT_INTERP.
build_musl_static_pie() {
	pie_out=$1
	if $MUSL_CC -static-pie $warn -o "$pie_out" "$src" 2>"$work/cc.err" && is_static "$pie_out"; then
		return 0
	fi
	libdir=$(musl_libdir) || { cat "$work/cc.err"; return 1; }
	$MUSL_CC -static-pie -fPIE $warn -nostartfiles \
		-Wl,-static -Wl,--no-dynamic-linker -Wl,-z,text -o "$pie_out" \
		"$libdir/rcrt1.o" "$libdir/crti.o" "$($MUSL_CC -print-file-name=crtbeginS.o)" \
		"$src" -Wl,--start-group -lc -lgcc -Wl,--end-group \
		"$($MUSL_CC -print-file-name=crtendS.o)" "$libdir/crtn.o"
}

build() {
	variant=$1 out=$2
	tmp=$out.tmp$$
	echo "building $name ($variant)"
	case $variant in
	gcc-static) $CC -static -O2 $warn -o "$tmp" "$src" ;;
	gcc-static-pie) $CC -static-pie -O2 $warn -o "$tmp" "$src" ;;
	musl-static) $MUSL_CC -static $warn -o "$tmp" "$src" ;;
	musl-static-pie) build_musl_static_pie "$tmp" ;;
	esac
	if [ $? -ne 0 ] || [ ! -f "$tmp" ]; then
		rm -f "$tmp"
		echo "$me: $name ($variant): build failed" >&2
		return 1
	fi
	if ! is_static "$tmp"; then
		rm -f "$tmp"
		echo "$me: $name ($variant): the build is not static (it has PT_INTERP)" >&2
		return 1
	fi
	mv -f "$tmp" "$out"
}

# ---- Running ------------------------------------------------------------

# The arguments, quoted for a shell where needed.
quote_args() {
	q=
	for a in "$@"; do
		case $a in
		'' | *[!A-Za-z0-9_./:=+,@%^-]*)
			a="'$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'" ;;
		esac
		q="$q $a"
	done
	printf '%s' "$q"
}

# run PREFIX COMMAND...: stdout, stderr and status into PREFIX.{out,err,status};
# "timeout" in PREFIX.status when the time limit ended the run.
run() {
	prefix=$1
	shift
	start=$(date +%s)
	timeout -k 5 "$timeout_s" "$@" <"/dev/null" >"$prefix.out" 2>"$prefix.err"
	status=$?
	# timeout(1) exits 124 when it ends the command; a guest may too, so
	# also ask whether the time was up.
	if [ "$status" -eq 124 ] && [ $(($(date +%s) - start)) -ge "$timeout_s" ]; then
		status=timeout
	fi
	echo "$status" >"$prefix.status"
}

compare_variant() {
	variant=$1 bin=$2
	shift 2
	n=$work/native v=$work/vmemu
	run "$n" "$bin" "$@"
	run "$v" "$VMEMU" ${VMEMU_FLAGS:-} "$bin" "$@"
	ns=$(cat "$n.status") vs=$(cat "$v.status")
	ok=yes

	if [ "$ns" = timeout ]; then
		echo "FAIL: $name ($variant): the native run timed out after ${timeout_s}s"
		ok=no
	fi
	if [ "$vs" = timeout ]; then
		echo "FAIL: $name ($variant): the vmemu run timed out after ${timeout_s}s"
		ok=no
	fi
	if [ "$ok" = yes ] && [ "$ns" != "$vs" ]; then
		echo "FAIL: $name ($variant): exit status: native $ns, vmemu $vs"
		ok=no
	fi
	if ! cmp -s "$n.out" "$v.out"; then
		echo "FAIL: $name ($variant): stdout differs"
		diff -u --label "native $variant stdout" --label "vmemu $variant stdout" \
			"$n.out" "$v.out"
		ok=no
	fi
	if [ "${COMPARE_STDERR:-0}" = 1 ] && ! cmp -s "$n.err" "$v.err"; then
		echo "FAIL: $name ($variant): stderr differs"
		diff -u --label "native $variant stderr" --label "vmemu $variant stderr" \
			"$n.err" "$v.err"
		ok=no
	fi
	if [ "$ok" = yes ]; then
		echo "PASS: $name ($variant)"
		return 0
	fi
	if [ -s "$v.err" ] && [ "${COMPARE_STDERR:-0}" != 1 ]; then
		echo "--- vmemu $variant stderr (last 20 lines):"
		tail -n 20 "$v.err"
	fi
	echo "--- to reproduce:$(quote_args "$VMEMU" ${VMEMU_FLAGS:-} "$bin" "$@")"
	return 1
}

# ---- Main -----------------------------------------------------------------

what="$name$(quote_args "$@")"
echo "$me: $what: vmemu is $VMEMU"
failed=0 ran=0 musl_missing_said=
for variant in $variants; do
	case $variant in
	gcc-*) cc=$CC ;;
	musl-*) cc=$MUSL_CC ;;
	*)
		echo "$me: unknown variant '$variant'" >&2
		exit 99
		;;
	esac
	if ! have "$cc"; then
		case $variant in
		musl-*)
			if [ -z "$musl_missing_said" ]; then
				echo "SKIP: musl variants: $(first_word "$MUSL_CC") not found"
				musl_missing_said=1
			fi
			continue
			;;
		*)
			echo "$me: $(first_word "$cc") not found" >&2
			exit 99
			;;
		esac
	fi
	bin=$bindir/$name-$variant
	if [ ! -f "$bin" ] || [ "$src" -nt "$bin" ]; then
		build "$variant" "$bin" || exit 99
	fi
	ran=$((ran + 1))
	compare_variant "$variant" "$bin" "$@" || failed=$((failed + 1))
done

if [ "$ran" -eq 0 ]; then
	echo "SKIP: $name: no variant could be built here"
	exit 77
fi
if [ "$failed" -ne 0 ]; then
	echo "$me: $what: $failed of $ran variants differ"
	exit 1
fi
exit 0
