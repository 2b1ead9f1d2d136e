#!/bin/sh
# Wake-up latency beside disk swapping (issue 11's bound under issue 18's
# swap): bench/guest/swaplat.c on a 64 MiB machine with a 128 MiB swap disk
# made by mkswap; a memory-locked process sleeps 1 ms at a time while another
# swaps 96 MiB. Under -icount shift=0,sleep=off the figures are guest time,
# but an idle guest's clock jumps ahead while the host finishes disk I/O,
# so they still move with the host's load: compare runs on a quiet machine.
#     guest.swaplat.spin_late_max_us  latest wake-up beside a spinning child
#     guest.swaplat.swap_late_max_us  latest wake-up beside the swapping child
#     guest.swaplat.swap_late_avg_us  mean lateness beside it
# Usage: sh bench/swaplat.sh BUILD
set -eu

build=${1:-build}
prog=$build/guest/swaplat
out=$build/bench/swaplat.txt
img=$build/bench/swaplat-swap.img
mkdir -p "$build/bench"
if [ ! -f "$prog" ]; then
	echo "swaplat bench: $prog missing (make bench builds it)" >&2
	exit 1
fi
rm -f "$img"
truncate -s 128M "$img"
if ! mkswap -L swaplat "$img" > /dev/null 2>&1 && ! /sbin/mkswap -L swaplat "$img" > /dev/null 2>&1; then
	echo "swaplat bench: mkswap failed" >&2
	exit 1
fi
status=0
tools/qemu-run --icount --mem 64M --swap "$img" --timeout 900 "$prog" 96 1 0 > "$out" || status=1
rm -f "$img"
awk '
	/^swaplat\.spin_late_max_us / { printf "guest.swaplat.spin_late_max_us %s us\n", $2 }
	/^swaplat\.swap_late_max_us / { printf "guest.swaplat.swap_late_max_us %s us <=50000\n", $2 }
	/^swaplat\.swap_late_avg_us / { printf "guest.swaplat.swap_late_avg_us %s us\n", $2 }
	/^swaplat\.bad_pages / { printf "guest.swaplat.bad_pages %s pages <=0\n", $2 }
' "$out"
[ $status -eq 0 ] || echo "swaplat bench: the program failed (see $out)" >&2
exit $status
