#!/bin/sh
# Memory pressure (issue 18): bench/guest/pressure.c, a 384 MiB working set
# of compressible pages on a 256 MiB machine, on our kernel and on Linux
# (Debian's kernel swapping to zram with lz4, set up by tools/linux-init.c
# from Debian's modules), same QEMU machine, under -icount shift=0,sleep=off
# (guest instructions). Prints, per phase P of write_all, read_all, read_random:
#     guest.pressure.P.icount.ours  guest.pressure.P.icount.linux  guest.pressure.P.icount.ratio
# and guest.pressure.compress_ratio.{ours,linux} (original bytes over the
# memory holding them, pool overhead included), guest.pressure.major_faults.{ours,linux},
# guest.pressure.completed.{ours,linux} (1 when the program finished with every
# page intact). A kernel that cannot run the program gets completed 0 and no
# other figure; the other kernel is measured regardless.
# Usage: sh bench/pressure.sh BUILD
# Environment: PRESSURE_MIB (384), PRESSURE_MEM (256M), PRESSURE_ZRAM (lz4:512),
# PRESSURE_OURS_OPTS (tools/qemu-run options for our kernel; default
# "--cmdline zram=512M": the compressed in-RAM store, as Linux's zram),
# PRESSURE_OURS_DISK (MiB of the mkswap disk our kernel swaps to, 1024; 0: none),
# PRESSURE_KERNELS ("ours linux zswap"), PRESSURE_ZSWAP (32M).
# Our kernel swaps to its compressed store first (priority 100) and to a
# virtio disk made by mkswap behind it (what the store refuses);
# compress_ratio.ours is the store's original bytes over the RAM it uses
# (MEMCORE_SYS_swap_stats). "zswap" is our kernel again with no zram= but a
# compressed tier of PRESSURE_ZSWAP in front of the disk (zswap=): the pool
# fills and its oldest pages move down to the disk; it prints
# guest.pressure.P.icount.zswap, guest.pressure.written_back.zswap (pages
# the tier moved down), guest.pressure.bad_pages.zswap and completed.zswap.
set -eu

build=${1:-build}
dir=$build/bench
prog=$build/guest/pressure
kernel=$build/kernel/kernel.elf
mib=${PRESSURE_MIB:-384}
mem=${PRESSURE_MEM:-256M}
zram=${PRESSURE_ZRAM:-lz4:512}
kernels=${PRESSURE_KERNELS:-ours linux zswap}
phases="write_all read_all read_random"
mkdir -p "$dir"

for f in "$prog" "$kernel"; do
	if [ ! -f "$f" ]; then
		echo "pressure bench: $f missing (make bench builds it)" >&2
		exit 1
	fi
done

status=0
for k in $kernels; do
	out=$dir/pressure_$k.txt
	if [ "$k" != linux ]; then
		disk_opt=""
		if [ "${PRESSURE_OURS_DISK:-1024}" != 0 ]; then
			img=$dir/pressure-swap.img
			rm -f "$img"
			truncate -s "${PRESSURE_OURS_DISK:-1024}M" "$img"
			if mkswap -L pressure "$img" > /dev/null 2>&1 ||
			   /usr/sbin/mkswap -L pressure "$img" > /dev/null 2>&1; then
				disk_opt="--swap $img"
			else
				echo "pressure bench: mkswap failed; ours runs without a swap disk" >&2
			fi
		fi
		opts=${PRESSURE_OURS_OPTS---cmdline zram=512M}
		[ "$k" = zswap ] && opts="--cmdline zswap=${PRESSURE_ZSWAP:-32M}"
		# shellcheck disable=SC2086
		set -- tools/qemu-run --kernel "$kernel" $disk_opt $opts
	else
		set -- tools/linux-run --build "$build" --zram "$zram"
	fi
	start=$(date +%s)
	if "$@" --icount --mem "$mem" --timeout 1800 "$prog" "$mib" > "$out" 2>&1; then
		echo "guest.pressure.completed.$k 1 runs >=1"
	else
		echo "guest.pressure.completed.$k 0 runs >=1"
		echo "pressure bench: $k did not complete: $(grep -v '^pressure\.' "$out" | tail -3 | tr '\n' ' ')" >&2
		[ "$k" = linux ] && status=1
	fi
	echo "pressure bench: $k: $(($(date +%s) - start)) s" >&2
done
rm -f "$dir/pressure-swap.img"

fig() {	# fig KERNEL NAME: the value of pressure.NAME in KERNEL's output
	[ -f "$dir/pressure_$1.txt" ] || return 0
	awk -v n="pressure.$2" '$1 == n { print $2 }' "$dir/pressure_$1.txt"
}

for p in $phases; do
	o=$(fig ours "$p")
	l=$(fig linux "$p")
	[ -n "$o" ] && echo "guest.pressure.$p.icount.ours $o ns"
	[ -n "$l" ] && echo "guest.pressure.$p.icount.linux $l ns"
	if [ -n "$o" ] && [ -n "$l" ]; then
		awk -v o="$o" -v l="$l" -v p="$p" \
			'BEGIN { printf "guest.pressure.%s.icount.ratio %.3f x <=1.0\n", p, o / l }'
	fi
done

# Compression: Linux's zram mm_stat (orig_data_size / mem_used_total); ours
# when the kernel reports its pool as pressure.swap_orig_bytes/swap_mem_bytes.
ratio() {
	orig=$(fig "$1" swap_orig_bytes)
	used=$(fig "$1" swap_mem_bytes)
	[ -z "$orig" ] && orig=$(fig "$1" zram_orig_bytes)
	[ -z "$used" ] && used=$(fig "$1" zram_mem_used_bytes)
	if [ -n "$orig" ] && [ -n "$used" ] && [ "$used" != 0 ]; then
		awk -v o="$orig" -v u="$used" 'BEGIN { printf "%.3f", o / u }'
	fi
}
rl=$(ratio linux)
ro=$(ratio ours)
[ -n "$rl" ] && echo "guest.pressure.compress_ratio.linux $rl x"
[ -n "$ro" ] && echo "guest.pressure.compress_ratio.ours $ro x >=${rl:-0}"
o=$(fig zswap write_all)
if [ -n "$o" ]; then
	for p in $phases; do
		echo "guest.pressure.$p.icount.zswap $(fig zswap "$p") ns"
	done
	echo "guest.pressure.written_back.zswap $(fig zswap swap_written_back) pages"
fi
for k in ours linux zswap; do
	# Faults that had to read a page back: getrusage's ru_majflt, or (our
	# kernel, which has no getrusage) the pages swapped in.
	v=$(fig "$k" major_faults)
	[ -z "$v" ] && v=$(fig "$k" swap_ins)
	[ -n "$v" ] && echo "guest.pressure.major_faults.$k $v faults"
	b=$(fig "$k" bad_pages)
	[ -n "$b" ] && echo "guest.pressure.bad_pages.$k $b pages <=0"
done
exit $status
