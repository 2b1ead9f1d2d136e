#!/bin/sh
# The guest benchmark built for i386 (build/guest32/guestbench, tools/cc-i386)
# on our i386 kernel with PAE and on Linux i386 (Debian's linux-image-686-pae),
# on the same qemu-system-i386 machine, under -icount shift=0,sleep=off (the
# guest clock counts instructions: deterministic). Prints, per figure F,
#     guest.i386.F.icount.ours  guest.i386.F.icount.linux  guest.i386.F.icount.ratio
# Usage: sh bench/guest32.sh BUILD
set -eu

build=${1:-build}
dir=$build/bench
prog=$build/guest32/guestbench
true_bin=$build/guest32/guest_true
kernel=$build/i386-pae/kernel.elf
rounds=${GUEST_BENCH_ROUNDS:-5}
figures="fault_zero fault_cow mmap_4k brk_64k mprotect fork_64m execve"
mkdir -p "$dir"

for f in "$prog" "$true_bin" "$kernel"; do
	if [ ! -f "$f" ]; then
		echo "guest32 bench: $f missing (make bench builds it)" >&2
		exit 1
	fi
done

status=0
list=$(echo $figures | tr ' ' ',')
for k in ours linux; do
	out=$dir/guest32_$k.icount.txt
	if [ "$k" = ours ]; then
		run="tools/qemu-run --arch i386 --kernel $kernel --cmdline norandmaps"
	else
		run="tools/linux-run --arch i386 --build $build --cmdline norandmaps"
	fi
	start=$(date +%s)
	# shellcheck disable=SC2086
	if ! $run --icount --timeout 600 --file "$true_bin" "$prog" "$rounds" "$list" > "$out"; then
		echo "guest32 bench: $k failed" >&2
		status=1
	fi
	echo "guest32 bench: $k under icount: $(($(date +%s) - start)) s" >&2
done

for f in $figures; do
	o=$(awk -v n="guest.$f" '$1 == n { print $2 }' "$dir/guest32_ours.icount.txt")
	l=$(awk -v n="guest.$f" '$1 == n { print $2 }' "$dir/guest32_linux.icount.txt")
	if [ -z "$o" ] || [ -z "$l" ]; then
		echo "guest32 bench: no $f figure" >&2
		status=1
		continue
	fi
	echo "guest.i386.$f.icount.ours $o ns"
	echo "guest.i386.$f.icount.linux $l ns"
	echo "guest.i386.$f.icount.ratio $(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.3f", o / l }') x <=1.0"
done
exit $status
