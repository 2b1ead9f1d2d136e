#!/bin/sh
# The kernel heap as a program's malloc (libkmalloc.so) against glibc,
# jemalloc, tcmalloc and mimalloc, each workload of bench/heap/workload.c run
# under every allocator in this same run through LD_PRELOAD, alternating
# allocators over ROUNDS rounds and keeping each one's best. Prints
#   heap.WORKLOAD.ops_per_s.ALLOCATOR      calls per second
#   heap.WORKLOAD.rss_over_live.ALLOCATOR  peak resident bytes / peak live bytes
#   heap.WORKLOAD.debug_cost_ratio         fast build's throughput / debug build's
#   heap.debug_cost_ratio                  their geometric mean
# and writes BUILD/bench/heap_ratios.png (throughput over glibc's, gnuplot).
# Usage: sh bench/heap.sh BUILD
set -eu

build=${1:-build}
dir=$build/bench
prog=$build/heap-bench/heap_workload
ours=$(cd "$build/host" && pwd)/libkmalloc.so
debug=$(cd "$build/host" && pwd)/libkmalloc-debug.so
rounds=${HEAP_BENCH_ROUNDS:-5}
workloads=${HEAP_BENCH_WORKLOADS:-"churn random prodcons realloc frag phase grow phasefifo phasemix drift larson xmalloc cscratch cthrash mstress rptest glibcthread"}
mkdir -p "$dir"
raw=$dir/heap_raw.txt
: > "$raw"

if [ ! -x "$prog" ] || [ ! -f "$ours" ]; then
	echo "heap bench: $prog or $ours missing (make bench builds them)" >&2
	exit 1
fi

# A peer's library from its Debian package, or nothing (then it is skipped).
peer() {
	dpkg -L "$1" 2>/dev/null | grep -E "/$2\$" | head -1
}
jemalloc=$(peer libjemalloc2 'libjemalloc\.so\.2')
tcmalloc=$(peer libtcmalloc-minimal4 'libtcmalloc_minimal\.so\.4')
mimalloc=$(peer libmimalloc2.0 'libmimalloc\.so\.2\.0')
allocators="ours glibc"
for a in jemalloc tcmalloc mimalloc; do
	eval "lib=\$$a"
	if [ -n "$lib" ] && [ -f "$lib" ]; then
		allocators="$allocators $a"
	else
		echo "heap bench: $a not installed (Debian package); skipped" >&2
	fi
done

lib_of() {
	case $1 in
	ours) echo "$ours" ;;
	debug) echo "$debug" ;;
	glibc) echo "" ;;
	*) eval "echo \$$1" ;;
	esac
}

# run WORKLOAD ALLOCATOR: one line "WORKLOAD ALLOCATOR ops rss_over_live" into $raw
run() {
	lib=$(lib_of "$2")
	out=$(LD_PRELOAD=$lib "$prog" "$1") || { echo "heap bench: $1 under $2 failed" >&2; return 0; }
	ops=$(echo "$out" | awk '$1 == "ops_per_s" { print $2 }')
	rol=$(echo "$out" | awk '$1 == "rss_over_live" { print $2 }')
	echo "$1 $2 $ops $rol" >> "$raw"
}

r=0
while [ $r -lt "$rounds" ]; do
	for w in $workloads; do
		for a in $allocators; do
			run "$w" "$a"
		done
	done
	r=$((r + 1))
done
if [ -f "$debug" ]; then
	for w in churn random frag; do
		case " $workloads " in *" $w "*) run "$w" debug ;; esac
	done
fi

# Best throughput and lowest footprint of each (workload, allocator); the targets.
awk -v allocators="$allocators" -v workloads="$workloads" -v dat="$dir/heap_ratios.dat" '
{
	k = $1 SUBSEP $2
	if (!(k in ops) || $3 > ops[k]) ops[k] = $3
	if (!(k in rol) || $4 < rol[k]) rol[k] = $4
}
END {
	na = split(allocators, A, " ")
	nw = split(workloads, W, " ")
	printf "workload" > dat
	for (j = 1; j <= na; j++) printf " %s", A[j] > dat
	printf "\n" > dat
	for (i = 1; i <= nw; i++) {
		w = W[i]
		g = ops[w, "glibc"]; m = ops[w, "mimalloc"]
		for (j = 1; j <= na; j++) {
			a = A[j]
			if (!((w, a) in ops)) continue
			t = ""
			if (a == "ours") {
				need = g
				if (m != "") need = (w == "churn") ? (m > g ? m : g) : (0.8 * m > g ? 0.8 * m : g)
				t = sprintf(" >=%.0f", need)
			}
			printf "heap.%s.ops_per_s.%s %.0f ops/s%s\n", w, a, ops[w, a], t
		}
		for (j = 1; j <= na; j++) {
			a = A[j]
			if (!((w, a) in rol)) continue
			t = (a == "ours" && w == "frag") ? " <=1.15" : ""
			printf "heap.%s.rss_over_live.%s %.3f ratio%s\n", w, a, rol[w, a], t
		}
		printf "%s", w > dat
		for (j = 1; j <= na; j++)
			printf " %.3f", (g > 0 && (w, A[j]) in ops) ? ops[w, A[j]] / g : 0 > dat
		printf "\n" > dat
	}
	n = 0; lg = 0
	for (i = 1; i <= nw; i++) {
		w = W[i]
		if (!((w, "debug") in ops) || ops[w, "debug"] <= 0) continue
		c = ops[w, "ours"] / ops[w, "debug"]
		printf "heap.%s.debug_cost_ratio %.2f x\n", w, c
		lg += log(c); n++
	}
	if (n) printf "heap.debug_cost_ratio %.2f x\n", exp(lg / n)
}' "$raw"

if command -v gnuplot > /dev/null; then
	na=$(echo "$allocators" | wc -w)
	gnuplot <<GP 2>/dev/null || echo "heap bench: gnuplot failed" >&2
set terminal pngcairo size 900,500 noenhanced
set output "$dir/heap_ratios.png"
set title "Allocator throughput relative to glibc (higher is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "ops/s over glibc's"
set yrange [0:*]
set grid ytics
set key top left
plot for [i=2:$((na + 1))] "$dir/heap_ratios.dat" using i:xtic(1) title columnhead
GP
	echo "heap bench: wrote $dir/heap_ratios.png" >&2
else
	echo "heap bench: gnuplot not installed; no chart" >&2
fi
