; mem: INT 21h 48h/49h/4Ah (allocate, free, resize) as MS-DOS does them,
; with memory written through the segments they return.
%include "lib.inc"
main:
	mov ah, 48h		; more than there is: AX=8, BX = the largest block
	mov bx, 0FFFFh
	int 21h
	jnc fail
	mov [largest], bx
	print s_big
	hex ax
	print sp_
	hex bx
	print nl

	mov ah, 48h		; 100h paragraphs
	mov bx, 100h
	int 21h
	jc fail
	mov [blk], ax
	print s_alloc
	hex ax
	print nl
	mov es, ax		; fill it, read it back
	xor di, di
	mov cx, 800h
	mov ax, 0A55Ah
	cld
	rep stosw
	mov ax, [es:0FFEh]
	cmp ax, 0A55Ah
	jne fail
	print s_filled

	mov ah, 4Ah		; grow in place to 200h
	mov bx, 200h
	int 21h
	jc fail
	print s_grow
	mov ah, 4Ah		; too much: AX=8, BX = the most it can have
	mov bx, 0FFFFh
	int 21h
	jnc fail
	print s_toobig
	hex ax
	print sp_
	hex bx
	print nl
	mov ah, 4Ah		; MS-DOS left it at that size: back to 200h
	mov bx, 200h
	int 21h
	jc fail

	mov ah, 48h		; a second block comes after the first
	mov bx, 10h
	int 21h
	jc fail
	mov [blk2], ax
	print s_second
	sub ax, [blk]
	hex ax
	print nl

	mov es, [blk]		; free both; a segment that is no block is error 9
	mov ah, 49h
	int 21h
	jc fail
	mov es, [blk2]
	mov ah, 49h
	int 21h
	jc fail
	mov ax, [blk]
	add ax, 5
	mov es, ax
	mov ah, 49h
	int 21h
	jnc fail
	print s_twice
	hex ax
	print nl

	mov ah, 48h		; everything came back
	mov bx, 0FFFFh
	int 21h
	cmp bx, [largest]
	jne fail
	print s_back
	exit 0

fail:	print s_fail	; what the failing call left in AX
	hex ax
	print nl
	exit 1

largest: dw 0
blk:	dw 0
blk2:	dw 0
s_big:	db '48h FFFF: AX BX = $'
s_alloc: db '48h 0100: segment $'
s_filled: db 'filled 8 KiB through ES', 13, 10, '$'
s_grow:	db '4Ah 0200: grown in place', 13, 10, '$'
s_toobig: db '4Ah FFFF: AX BX = $'
s_second: db '48h 0010: segment - first = $'
s_twice: db '49h of no block: AX = $'
s_back:	db 'largest block back after the frees', 13, 10, '$'
s_fail:	db 'FAIL, AX = $'
