#!/bin/sh
# Installs everything a fresh Debian 12 machine lacks to build and test vmemu.
# Unicorn >= 2.1 comes from Debian 13 (trixie), pinned at priority 100 so that
# nothing else is upgraded; the mirror is taken from this machine's apt sources.
# Idempotent: when everything is present it only checks and returns.
set -eu

PKGS="gcc make autoconf automake libtool pkg-config libcapstone-dev libelf-dev
zlib1g-dev check libjansson-dev musl-tools busybox-static"
# qemu-user and gnuplot: the benchmark's reference emulator and plotter;
# clang and libclang-rt-14-dev: libFuzzer for `make fuzz-smoke` (Debian 12's
# clang 14 finds libclang_rt.fuzzer there); the rest: real programs of
# tests/compat/real-programs.test.
OPTIONAL_PKGS="qemu-user gnuplot clang libclang-rt-14-dev bash-static liblua5.4-dev libsqlite3-dev liblzma-dev libzstd-dev tmux"

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

have_unicorn() {
	pkg-config --atleast-version=2.1.0 unicorn 2>/dev/null
}

missing_pkgs() {
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
	done
}

# The first http(s) mirror of Debian's main archive in this machine's sources.
debian_mirror() {
	{ cat /etc/apt/sources.list 2>/dev/null; cat /etc/apt/sources.list.d/*.list 2>/dev/null; } |
		awk '/^deb / && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }'
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN{RS=""} !/security/ && /Suites:/ { for (i = 1; i <= NF; i++) if ($i == "URIs:") { print $(i+1); exit } }' "$f"
	done
}

add_trixie() {
	[ -f /etc/apt/sources.list.d/vmemu-trixie.list ] && return 0
	mirror=$(debian_mirror | head -n 1)
	if [ -z "$mirror" ]; then
		echo "install-deps: no Debian mirror found in /etc/apt/sources*; add one and retry" >&2
		exit 1
	fi
	echo "install-deps: adding Debian 13 (trixie) from $mirror at pin priority 100"
	echo "deb $mirror trixie main" | $SUDO tee /etc/apt/sources.list.d/vmemu-trixie.list >/dev/null
	printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' |
		$SUDO tee /etc/apt/preferences.d/vmemu-trixie >/dev/null
}

need=$(missing_pkgs)
if [ -z "$need" ] && have_unicorn; then
	echo "install-deps: everything is present"
else
	export DEBIAN_FRONTEND=noninteractive
	have_unicorn || add_trixie
	$SUDO apt-get update -qq
	if [ -n "$need" ]; then
		# shellcheck disable=SC2086
		$SUDO apt-get install -y -qq --no-install-recommends $need
	fi
	if ! have_unicorn; then
		$SUDO apt-get install -y -qq --no-install-recommends -t trixie libunicorn-dev
	fi
fi

# Optional: the benchmark's reference emulator, the timeline plotter,
# libFuzzer and the real programs of tests/compat (each test, and
# fuzz-smoke, skips without its package).
if [ "${VMEMU_OPTIONAL:-1}" = 1 ]; then
	for p in $OPTIONAL_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' && continue
		$SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 ||
			echo "install-deps: optional package $p not installed" >&2
	done
fi
