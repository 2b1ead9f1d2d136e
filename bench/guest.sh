#!/bin/sh
# The guest benchmark (bench/guest/guestbench.c) on our kernel and on Linux
# (Debian's kernel), on the same QEMU machine: under -icount
# shift=0,sleep=off (the guest clock counts instructions: deterministic, the
# primary comparison) and, for x86_64, again under plain TCG (wall clock,
# varies with host load: secondary).
#   --arch x86_64: our kernel and Debian's amd64 kernel. Prints, per figure F,
#     guest.F.icount.ours  guest.F.icount.linux  guest.F.icount.ratio (ours/Linux, <=1.0)
#     guest.F.tcg.ours     guest.F.tcg.linux     guest.F.tcg.ratio
#   and writes BUILD/bench/guest_ratios.png (gnuplot).
#   --arch i386: the program built for i386 (build/guest32/, tools/cc-i386) on
#   our i386 kernel with PAE and Debian's linux-image-686-pae in qemu-system-i386,
#   icount only: guest.i386.F.icount.ours|linux|ratio for its figures.
# Usage: sh bench/guest.sh [--arch x86_64|i386] BUILD   (no --arch: both)
set -eu

if [ "${1:-}" = --arch ]; then
	arches=$2
	shift 2
else
	arches="x86_64 i386"
fi
build=${1:-build}
dir=$build/bench
rounds=${GUEST_BENCH_ROUNDS:-5}
mkdir -p "$dir"
status=0

for arch in $arches; do
case $arch in
x86_64)
	bin=$build/guest
	kernel=$build/kernel/kernel.elf
	tag=guest	# output files $dir/$tag_{ours,linux}.MODE.txt
	name=guest	# figure prefix
	modes="icount tcg"
	archopt=""
	select=""	# every figure (the list below and ours-only ones)
	figures="fault_zero fault_cow mmap_4k mmap_1m brk_64k mprotect fork_64m munmap_64m execve file_read_4k file_write_4k fault_file_shared fault_file_private msync_64m shm_attach signal_segv win32.reserve_commit_64k win32.heap_churn win32.view_map"
	;;
i386)
	bin=$build/guest32
	kernel=$build/i386-pae/kernel.elf
	tag=guest32
	name=guest.i386
	modes=icount
	archopt="--arch i386"
	figures="fault_zero fault_cow mmap_4k brk_64k mprotect fork_64m execve"
	select=$(echo $figures | tr ' ' ',')
	;;
*)
	echo "guest bench: unknown --arch $arch (x86_64 or i386)" >&2
	exit 2 ;;
esac
prog=$bin/guestbench
true_bin=$bin/guest_true

missing=""
for f in "$prog" "$true_bin" "$kernel"; do
	if [ ! -f "$f" ]; then
		echo "guest bench: $f missing (make bench builds it)" >&2
		missing=1
	fi
done
if [ -n "$missing" ]; then
	status=1
	continue
fi

for mode in $modes; do
	flag=""
	[ "$mode" = icount ] && flag=--icount
	for k in ours linux; do
		out=$dir/${tag}_$k.$mode.txt
		if [ "$k" = ours ]; then
			run="tools/qemu-run $archopt --kernel $kernel --cmdline norandmaps"
		else
			run="tools/linux-run $archopt --build $build --cmdline norandmaps"
		fi
		start=$(date +%s)
		# shellcheck disable=SC2086
		if ! $run $flag --timeout 600 --file "$true_bin" "$prog" "$rounds" $select > "$out"; then
			echo "guest bench: $arch $k ($mode) failed" >&2
			status=1
		fi
		echo "guest bench: $arch $k under $mode: $(($(date +%s) - start)) s" >&2
	done
done

# Figures only our kernel has (its own interfaces): no Linux peer, targets of their own.
ours=$dir/${tag}_ours.icount.txt
v=$(awk '$1 == "guest.dos.ems_map" { print $2 }' "$ours")
if [ "$arch" = i386 ]; then
	:	# (not run on i386)
elif [ -n "$v" ]; then
	echo "guest.dos.ems_map.icount.ours $v ns"
	w=$(awk '$1 == "guest.dos.ems_map_pte_writes" { print $2 }' "$ours")
	t=$(awk '$1 == "guest.dos.ems_map_tlb_flushes" { print $2 }' "$ours")
	c=$(awk '$1 == "guest.dos.ems_map_bytes_copied" { print $2 }' "$ours")
	echo "guest.dos.ems_map.pte_writes.ours $w writes <=4"
	echo "guest.dos.ems_map.tlb_flushes.ours $t flushes <=1"
	echo "guest.dos.ems_map.bytes_copied.ours $c bytes <=0"
else
	echo "guest bench: no dos.ems_map figure from our kernel" >&2
	status=1
fi

dat=$dir/${tag}_ratios.dat
echo "figure $modes" > "$dat"
for f in $figures; do
	line=$f
	for mode in $modes; do
		o=$(awk -v n="guest.$f" '$1 == n { print $2 }' "$dir/${tag}_ours.$mode.txt")
		l=$(awk -v n="guest.$f" '$1 == n { print $2 }' "$dir/${tag}_linux.$mode.txt")
		target=""
		[ "$mode" = icount ] && target=" <=1.0"
		if [ -z "$o" ] || [ -z "$l" ]; then
			echo "guest bench: no $f figure under $mode" >&2
			line="$line 0"
			status=1
			continue
		fi
		ztarget=""
		[ "$f" = fault_zero ] && [ "$arch" = x86_64 ] && ztarget=" <=100000"
		echo "$name.$f.$mode.ours $o ns$ztarget"
		echo "$name.$f.$mode.linux $l ns"
		r=$(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.3f", o / l }')
		echo "$name.$f.$mode.ratio $r x$target"
		line="$line $r"
	done
	echo "$line" >> "$dat"
done

if [ "$arch" = i386 ]; then
	:	# no chart
elif command -v gnuplot > /dev/null; then
	gnuplot <<GP 2>/dev/null || echo "guest bench: gnuplot failed" >&2
set terminal pngcairo size 900,500 noenhanced
set output "$dir/guest_ratios.png"
set title "Our kernel's cost over Linux's, same binary, same QEMU machine (lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "ours / Linux"
set xtics rotate by -30
set bmargin 5
set yrange [0:*]
set grid ytics
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2
plot for [i=2:3] "$dat" using i:xtic(1) title columnhead
GP
	echo "guest bench: wrote $dir/guest_ratios.png" >&2
else
	echo "guest bench: gnuplot not installed; no chart" >&2
fi
done
exit $status
