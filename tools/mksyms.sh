#!/bin/sh
# Turns `nm -n` output on stdin into an assembly symbol table for
# kernel/ksyms.c: text symbols only, sorted by address.
awk '
BEGIN { n = 0 }	# a numeric index from the start: addr[""] is not addr[0]
$2 ~ /^[tTwW]$/ && $3 !~ /^\./ {
	addr[n] = $1; name[n] = $3; n++
}
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksyms_count, ksyms_addr, ksyms_name, ksyms_strings"
	print "ksyms_count:\n\t.quad " n
	print "ksyms_addr:"
	for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
	print "ksyms_name:"
	off = 0
	for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
	print "ksyms_strings:"
	for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
}'
