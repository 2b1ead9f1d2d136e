#!/bin/sh
# The scalability benchmark (bench/guest/wis.c, on the model of will-it-scale)
# on our kernel and on Linux (Debian's kernel), same QEMU machine, at 1 and 2
# virtual CPUs (MTTCG), interleaved: every round boots ours and Linux at 1
# CPU, then both at 2; each figure is the best of the rounds. Tasks = CPUs.
# Prints, per test T (page_fault1 mmap1 brk2 tlb_flush2) and mode M
# (processes threads):
#     guest.wis.T.M.cpusN.ours / .linux    ops/s summed over the tasks
#     guest.wis.T.M.cpus2.ratio            ours / Linux at 2 CPUs (>=1.0 wanted)
#     guest.wis.T.M.scaling.ours / .linux  2 CPUs over 1
# Each window is timed by the host's clock (bench/wis_hostclock.py), not by
# the guest's: a kernel whose TSC calibration went wrong in a loaded boot
# would otherwise scale its own figures. WIS_CLOCK=guest reports the guests'
# own figures instead; WIS_CLOCK=cpu the operations per second of host CPU
# time the emulator used in the window (the share of a loaded host's CPUs a
# virtual CPU gets varies; then "scaling" is 2-CPU over 1-CPU efficiency,
# 1.0 = nothing lost to the second CPU). The raw files have all three, and
# WIS_ROUNDS=0 only reports from them.
# Both machines start with all their RAM backed by the host (--prealloc):
# the emulator's first touch of a guest frame (a host page fault and a 2 MiB
# zeroing) would otherwise be most of a page_fault1 op's cost and fall on
# whichever kernel hands out more never-touched frames in the window.
# Usage: sh bench/wis.sh BUILD   (WIS_SECONDS: measured window, WIS_ROUNDS: rounds,
#        WIS_TESTS: the tests to run, default all four)
set -eu

build=${1:-build}
dir=$build/bench
prog=$build/guest/wis
kernel=$build/kernel/kernel.elf
secs=${WIS_SECONDS:-1}
rounds=${WIS_ROUNDS:-2}
tests=${WIS_TESTS:-page_fault1 mmap1 brk2 tlb_flush2}
case ${WIS_CLOCK:-host} in
host) prefix=host.wis ;;
guest) prefix=wis ;;
cpu) prefix=cpu.wis ;;
*) echo "wis bench: WIS_CLOCK is host, cpu or guest" >&2; exit 2 ;;
esac
mkdir -p "$dir"

for f in "$prog" "$kernel"; do
	if [ ! -f "$f" ]; then
		echo "wis bench: $f missing (make bench builds it)" >&2
		exit 1
	fi
done

cpus_list="1 2"
if ! tools/qemu-run --help 2>/dev/null | grep -q -- --smp; then
	echo "wis bench: tools/qemu-run has no --smp; 1 CPU only" >&2
	cpus_list="1"
fi

status=0
round=1
while [ "$round" -le "$rounds" ]; do
	for cpus in $cpus_list; do
		smp=""
		[ "$cpus" != 1 ] && smp="--smp $cpus"
		for k in ours linux; do
			out=$dir/wis_$k.cpus$cpus.r$round.txt
			if [ "$k" = ours ]; then
				run="tools/qemu-run --kernel $kernel"
			else
				run="tools/linux-run --build $build"
			fi
			run="$run --prealloc"	# guest RAM backed before boot (tools/qemu-run)
			start=$(date +%s)
			# shellcheck disable=SC2086
			if ! python3 bench/wis_hostclock.py $run $smp --timeout 600 \
				"$prog" "$cpus" "$secs" $tests > "$out"; then
				echo "wis bench: $k at $cpus CPUs (round $round) failed" >&2
				status=1
			fi
			echo "wis bench: $k, $cpus CPUs, round $round: $(($(date +%s) - start)) s" >&2
		done
	done
	round=$((round + 1))
done

# best KERNEL CPUS FIGURE: the highest value over the rounds, or nothing.
best() {
	cat "$dir"/wis_"$1".cpus"$2".r*.txt 2>/dev/null |
		awk -v n="$prefix.$3" '$1 == n && $2 + 0 > b { b = $2 + 0 } END { if (b) print b }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
}

for t in $tests; do
	for m in processes threads; do
		f=$t.$m
		for cpus in $cpus_list; do
			for k in ours linux; do
				v=$(best "$k" "$cpus" "$f")
				if [ -z "$v" ]; then
					echo "wis bench: no $f at $cpus CPUs on $k" >&2
					status=1
					continue
				fi
				echo "guest.wis.$f.cpus$cpus.$k $v ops/s"
			done
		done
		o2=$(best ours 2 "$f"); l2=$(best linux 2 "$f")
		[ -n "$o2" ] && [ -n "$l2" ] &&
			echo "guest.wis.$f.cpus2.ratio $(ratio "$o2" "$l2") x >=1.0"
		for k in ours linux; do
			v1=$(best "$k" 1 "$f"); v2=$(best "$k" 2 "$f")
			[ -n "$v1" ] && [ -n "$v2" ] || continue
			target=""
			[ "$f.$k" = page_fault1.threads.ours ] && [ "$prefix" != cpu.wis ] && target=" >=1.8"
			echo "guest.wis.$f.scaling.$k $(ratio "$v2" "$v1") x$target"
		done
	done
done
exit $status
