#!/bin/sh
# Runs every benchmark program built in BUILD/bench, prints one table of all
# their figures, and writes BUILD/bench/results.json: a JSON array of
# {"name", "value", "unit"} objects. Usage: sh bench/run.sh BUILD
#
# A benchmark program reports on stdout one line per figure,
#     name value unit [target]
# with target "<=N" or ">=N" if the figure has one; other lines are ignored.
# New programs (bench/*.c) are picked up with no change here, and so are
# scripts bench/*.sh other than this one (run as `sh SCRIPT BUILD`, same
# output protocol), for benchmarks that run other programs. Missed targets
# are shown, not fatal: timings vary from machine to machine.
set -eu

build=${1:-build}
dir=$build/bench
lines=$dir/results.txt
json=$dir/results.json
status=0

mkdir -p "$dir"
: > "$lines"
for prog in "$dir"/*; do
	[ -f "$prog" ] && [ -x "$prog" ] || continue
	name=$(basename "$prog")
	echo "bench: running $name" >&2
	if ! "$prog" > "$dir/$name.out"; then
		echo "bench: $name failed" >&2
		status=1
	fi
	awk 'NF >= 3 && NF <= 4 && $2 ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/' \
		"$dir/$name.out" >> "$lines"
done

for script in bench/*.sh; do
	[ "$(basename "$script")" = run.sh ] && continue
	[ -f "$script" ] || continue
	name=$(basename "$script" .sh)
	echo "bench: running $script" >&2
	if ! sh "$script" "$build" > "$dir/$name.out"; then
		echo "bench: $script failed" >&2
		status=1
	fi
	awk 'NF >= 3 && NF <= 4 && $2 ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/' \
		"$dir/$name.out" >> "$lines"
done

awk '
function met(v, t,   n) {
	n = substr(t, 3) + 0
	if (substr(t, 1, 2) == "<=") return v <= n
	if (substr(t, 1, 2) == ">=") return v >= n
	return 1
}
BEGIN { printf "%-48s %14s %-4s %-8s %s\n", "figure", "value", "unit", "target", ""; }
{
	verdict = ""
	if (NF == 4) { targets++; if (met($2 + 0, $4)) { verdict = "ok"; ok++ } else verdict = "MISSED" }
	printf "%-48s %14s %-4s %-8s %s\n", $1, $2, $3, (NF == 4 ? $4 : ""), verdict
}
END { printf "%d figures, %d with targets: %d met, %d missed\n", NR, targets, ok, targets - ok }
' "$lines"

awk '
BEGIN { printf "[" }
{ printf "%s\n  {\"name\": \"%s\", \"value\": %s, \"unit\": \"%s\"}", (NR > 1 ? "," : ""), $1, $2, $3 }
END { print "\n]" }
' "$lines" > "$json"
echo "bench: wrote $json" >&2
exit $status
