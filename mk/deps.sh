#!/bin/sh
# Installs, with apt-get, the Debian packages a build step needs and the
# machine lacks, saying which and why. Usage: mk/deps.sh build|boot|test|bench|host32
#                                             mk/deps.sh i386 DIR
# An item is package:reason; a package of another architecture is written
# package:arch (Debian multiarch), and that architecture is enabled first.
#
# The set i386 (32-bit user programs, the reference i386 kernel) also unpacks
# packages into DIR/PACKAGE (dpkg-deb -x; DIR/PACKAGE/root is the tree)
# instead of installing them: musl-dev:i386 depends on gcc-i686-linux-gnu,
# which conflicts with gcc-multilib (the 32-bit host tests need it), and an
# i386 kernel package would pull i386 kmod and initramfs-tools onto the host.
# A package with no files of its own (a metapackage) is followed to its
# first dependency.
set -eu

need_build="gcc:compiler make:build binutils:linker libcmocka-dev:host-unit-tests clang:fuzzers libclang-rt-14-dev:libFuzzer-runtime musl-tools:user-programs liblz4-dev:lz4-test-oracle"
need_boot="python3:test-driver qemu-system-x86:emulator grub-pc-bin:ISO-boot grub-common:grub-mkrescue xorriso:ISO-image mtools:ISO-image cpio:initrd gdb:make-debug"
# The core's host tests built as 32-bit programs (gcc -m32 with its ASan and
# UBSan runtimes, cmocka for i386, and qemu-i386 for kernels without ia32 emulation).
need_host32="gcc-multilib:32-bit-host-tests libcmocka-dev:i386:32-bit-host-tests qemu-user:32-bit-tests-where-the-kernel-runs-no-32-bit-programs liblz4-dev:i386:lz4-test-oracle"
need_test="$need_build $need_host32 $need_boot linux-image-amd64:reference-kernel-for-differential-tests zlib1g-dev:a-foreign-test-program git:heap-preload-test sqlite3:heap-preload-test"
# The unpacked ones are listed in unpack_i386.
need_i386="gcc-multilib:32-bit-user-programs nasm:DOS-.COM-test-programs(tests/dos) $need_boot"
unpack_i386="musl-dev:i386:32-bit-user-programs(libc) linux-image-686-pae:i386:reference-kernel-for-i386-differential-tests"
need_bench="$need_build $need_boot linux-image-amd64:reference-kernel-for-differential-tests gnuplot-nox:charts libjemalloc2:heap-bench-peer libtcmalloc-minimal4:heap-bench-peer libmimalloc2.0:heap-bench-peer"

case "${1:-build}" in
build) want=$need_build ;;
boot) want=$need_boot ;;
test) want=$need_test ;;
bench) want=$need_bench ;;
host32) want=$need_host32 ;;
i386) want=$need_i386 ;;
*) echo "mk/deps.sh: unknown set '$1'" >&2; exit 2 ;;
esac

# tools/cc-i386 asks for the set i386 once per program, and make -j runs
# several at once: one at a time per DIR, or two would unpack (or install)
# into the same place together.
if [ "${1:-}" = i386 ] && [ -z "${DEPS_I386_LOCKED:-}" ]; then
	mkdir -p "${2:?"usage: mk/deps.sh i386 DIR"}"
	DEPS_I386_LOCKED=1 exec flock "$2/.lock" sh "$0" "$@"
fi

missing=""
why=""
for item in $want; do
	pkg=${item%:*}
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $pkg"
		why="$why\n  $pkg (for ${item##*:})"
	fi
done

# unpack PKG DIR: the package's files in DIR/PKG (architecture suffix
# dropped), once; a metapackage's first dependency instead.
unpack() {
	local name dest tmp deb dep
	name=${1%%:*}
	dest=$2/$name
	[ -f "$dest/.unpacked" ] && return 0
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq "$1" 2>/dev/null) || {
		[ "$(id -u)" = 0 ] && apt-get -o DPkg::Lock::Timeout=600 update -qq || true
		(cd "$tmp" && apt-get download -qq "$1")
	}
	deb=$(ls "$tmp"/*.deb)
	rm -rf "$dest" && mkdir -p "$dest"
	dpkg-deb -x "$deb" "$dest"
	if [ -z "$(find "$dest" -type f ! -path '*/usr/share/*' | head -1)" ]; then
		dep=$(dpkg-deb -f "$deb" Depends | sed 's/[ ,(|].*//')
		rm -rf "$tmp" "$dest"
		echo "deps: $1 is a metapackage of $dep"
		unpack "$dep:${1#*:}" "$2"
		mkdir -p "$dest" && ln -sfn "../${dep%%:*}" "$dest/root" && touch "$dest/.unpacked"
		return 0
	fi
	rm -rf "$tmp"
	ln -sfn . "$dest/root"
	touch "$dest/.unpacked"
	echo "deps: unpacked $1 into $dest"
}

unpack_all() {
	[ "${1:-}" = i386 ] || return 0
	dir=${2:?"usage: mk/deps.sh i386 DIR"}
	for item in $unpack_i386; do
		pkg=${item%:*}
		unpack "$pkg" "$dir"
	done
}

if [ -z "$missing" ]; then
	unpack_all "$@"
	exit 0
fi

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
unpack_all "$@"
