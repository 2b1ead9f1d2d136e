#!/bin/sh
# The longest stretch with interrupts off in our kernel while hostile
# programs (bench/guest/hostile.c) run: the profiling build (make kperf)
# records it (arch/x86_64/irqoff.c) and prints it at the end. Run under
# -icount shift=0,sleep=off, so the figure is in guest microseconds
# (1 ns per guest instruction) and does not depend on the host's load.
# Two CPUs, so a threaded process's zaps and forks pay their TLB
# shootdowns to the other one.
#     kernel.irqoff_max_us     the longest stretch (target <= 1000)
#     kernel.irqoff_max_cycles the same in TSC cycles
# and, not a figure, the code address where that stretch began.
# Usage: sh bench/irqoff.sh BUILD
set -eu

build=${1:-build}
kernel=$build/kperf/kernel/kernel.elf
prog=$build/guest/hostile
out=$build/bench/irqoff.txt
mkdir -p "$build/bench"
for f in "$kernel" "$prog"; do
	if [ ! -f "$f" ]; then
		echo "irqoff bench: $f missing (make bench builds it)" >&2
		exit 1
	fi
done
status=0
if ! tools/qemu-run --kernel "$kernel" --perf --icount --smp 2 --timeout 900 "$prog" > "$out"; then
	echo "irqoff bench: hostile programs failed:" >&2
	grep '^hostile\.' "$out" | grep -v ' ok$' >&2 || true
	status=1
fi
line=$(grep '^perf: irqoff max ' "$out" || true)
if [ -z "$line" ]; then
	echo "irqoff bench: no irqoff record in the output" >&2
	exit 1
fi
echo "$line" | awk '{
	printf "kernel.irqoff_max_us %.1f us <=1000\n", $6 / 1000
	printf "kernel.irqoff_max_cycles %s cycles\n", $4
	printf "# longest interrupts-off stretch began at %s, ended near %s\n", $9, $11
}'
exit $status
