#!/bin/sh
# bench/wis_hostclock.py: a window's figure by the host's clock, the lines
# passed through, the command's exit status kept. A fake wis (a shell
# script) counts 1000 operations in a window of about 1 s.
# Usage: sh tests/scripts/wis_hostclock.sh BUILD   (prints TAP)
set -u

here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

check() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		sed 's/^/# /' "$work/out" | head -20
	fi
}

python3 "$here/bench/wis_hostclock.py" sh -c \
	'echo wis.begin; sleep 1; echo wis.end 1000; echo wis.fake.processes 7; exit 3' \
	> "$work/out"
status=$?
check "the command's exit status (3) is kept" "$([ "$status" = 3 ] && echo 0 || echo 1)"
check "the guest's own line is passed through" \
	"$(grep -qx 'wis.fake.processes 7' "$work/out" && echo 0 || echo 1)"
# 1000 operations over at least 1 s, at most 10 s on a loaded host: 100..1000 ops/s.
v=$(awk '$1 == "host.wis.fake.processes" { print $2 }' "$work/out")
check "host.wis.fake.processes ($v) is 1000 ops over the host-timed window" \
	"$([ -n "$v" ] && [ "$v" -ge 100 ] && [ "$v" -le 1000 ] && echo 0 || echo 1)"
check "no cpu. figure without an emulator process" \
	"$(grep -q '^cpu\.' "$work/out" && echo 1 || echo 0)"

python3 "$here/bench/wis_hostclock.py" sh -c 'echo wis.fake.threads 9' > "$work/out"
check "no host. figure without a window" "$(grep -q '^host\.' "$work/out" && echo 1 || echo 0)"

echo "1..$n"
[ "$failed" = 0 ]
