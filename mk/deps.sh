#!/bin/sh
# Installs, with apt-get, the Debian packages a build step needs and the
# machine lacks, saying which and why. Usage: mk/deps.sh build|boot|test|bench|host32
# An item is package:reason; a package of another architecture is written
# package:arch (Debian multiarch), and that architecture is enabled first.
set -eu

need_build="gcc:compiler make:build binutils:linker libcmocka-dev:host-unit-tests clang:fuzzers libclang-rt-14-dev:libFuzzer-runtime musl-tools:user-programs liblz4-dev:lz4-test-oracle"
need_boot="python3:test-driver qemu-system-x86:emulator grub-pc-bin:ISO-boot grub-common:grub-mkrescue xorriso:ISO-image mtools:ISO-image cpio:initrd gdb:make-debug"
# The core's host tests built as 32-bit programs (gcc -m32 with its ASan and
# UBSan runtimes, cmocka for i386, and qemu-i386 for kernels without ia32 emulation).
need_host32="gcc-multilib:32-bit-host-tests libcmocka-dev:i386:32-bit-host-tests qemu-user:32-bit-tests-where-the-kernel-runs-no-32-bit-programs liblz4-dev:i386:lz4-test-oracle"
need_test="$need_build $need_host32 $need_boot linux-image-amd64:reference-kernel-for-differential-tests zlib1g-dev:a-foreign-test-program git:heap-preload-test sqlite3:heap-preload-test"
need_bench="$need_build $need_boot linux-image-amd64:reference-kernel-for-differential-tests gnuplot-nox:charts libjemalloc2:heap-bench-peer libtcmalloc-minimal4:heap-bench-peer libmimalloc2.0:heap-bench-peer"

case "${1:-build}" in
build) want=$need_build ;;
boot) want=$need_boot ;;
test) want=$need_test ;;
bench) want=$need_bench ;;
host32) want=$need_host32 ;;
*) echo "mk/deps.sh: unknown set '$1'" >&2; exit 2 ;;
esac

missing=""
why=""
for item in $want; do
	pkg=${item%:*}
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $pkg"
		why="$why\n  $pkg (for ${item##*:})"
	fi
done
[ -z "$missing" ] && exit 0

printf "deps: missing Debian packages:$why\n"
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root, or install them yourself: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing them with apt-get"
export DEBIAN_FRONTEND=noninteractive
stale=""
for pkg in $missing; do
	case $pkg in
	*:*)	arch=${pkg#*:}
		if [ "$arch" != "$(dpkg --print-architecture)" ] &&
		   ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
			echo "deps: enabling Debian's $arch architecture (multiarch) for $pkg"
			dpkg --add-architecture "$arch"
			stale=1
		fi ;;
	esac
done
if [ -n "$stale" ] || [ ! -d /var/lib/apt/lists ] || [ -z "$(ls /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] ||
   [ -n "$(find /var/lib/apt/lists -maxdepth 0 -mmin +1440 2>/dev/null)" ]; then
	apt-get -o DPkg::Lock::Timeout=600 update -qq
fi
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null || {
	apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
}
echo "deps: installed$missing"
