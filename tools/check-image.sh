#!/bin/sh
# Checks the two properties of the kernel image that booting relies on:
#  - multiboot 1 loads it through the header's address fields, which needs
#    file offsets to follow load addresses across all loadable segments,
#    with zero-filled memory (.bss) only at the very end;
#  - the second link moved no code relative to the first, so the symbol
#    table generated from the first is right for the second.
set -eu
elf=$1 pass1=$2
n=0 off0=0 pa0=0 prev_bss=0
for seg in $(readelf -lW "$elf" | awk '$1 == "LOAD" { print $2 ":" $4 ":" $5 ":" $6 }'); do
	IFS=: read -r off pa fsz msz <<EOT
$seg
EOT
	if [ $n -eq 0 ]; then
		off0=$((off)) pa0=$((pa))
	elif [ $((off - off0)) -ne $((pa - pa0)) ] || [ $prev_bss -ne 0 ]; then
		echo "check-image: $elf: segment at $pa breaks the multiboot 1 load layout" >&2
		exit 1
	fi
	prev_bss=$((msz > fsz))
	n=$((n + 1))
done
[ $n -gt 0 ] || { echo "check-image: $elf has no loadable segment" >&2; exit 1; }
t1=$(nm "$pass1" | awk '$3 == "_etext" { print $1 }')
t2=$(nm "$elf" | awk '$3 == "_etext" { print $1 }')
if [ "$t1" != "$t2" ]; then
	echo "check-image: text moved between the two links ($t1 vs $t2)" >&2
	exit 1
fi
