; loop: a program that never ends; dosrun's alarm (a signal) brings dos_run
; back to its caller with EINTR, from the middle of real-mode code.
%include "lib.inc"
main:
	print msg
.spin:	jmp .spin
msg:	db 'looping', 13, 10, '$'
