; hello: console output (INT 21h 09h and 02h) and the exit code of 4Ch.
%include "lib.inc"
main:
	print msg
	mov dl, 'D'
	mov ah, 02h
	int 21h
	mov dl, 'O'
	int 21h
	mov dl, 'S'
	int 21h
	print nl
	exit 5
msg:	db 'hello from real mode, $'
