; bad: an instruction the monitor does not provide (port input): the
; program is stopped and dosrun says where.
%include "lib.inc"
main:
	print msg
	in al, 60h
	exit 0
msg:	db 'before the IN', 13, 10, '$'
