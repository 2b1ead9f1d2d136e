; xms: the XMS driver through INT 2Fh 4300h/4310h and far calls to its
; entry: version, free memory, allocate, move to and from the block, lock,
; unlock, free, and the error for a freed handle.
%include "lib.inc"
main:
	mov ax, 4300h		; installed?
	int 2Fh
	xor ah, ah
	print s_inst
	hex ax
	print nl
	mov ax, 4310h		; the entry point
	int 2Fh
	mov [entry], bx
	mov [entry + 2], es
	print s_entry
	hex es
	print s_colon
	hex bx
	print nl

	mov ah, 00h		; version
	call far [entry]
	print s_ver
	hex ax
	print sp_
	hex bx
	print nl

	mov ah, 09h		; 64 KiB
	mov dx, 64
	call far [entry]
	cmp ax, 1
	jne fail
	mov [handle], dx
	print s_alloc

	mov word [mv_len], 16	; 16 bytes of ours into the block at offset 4096
	mov word [mv_src_h], 0
	mov [mv_src_off], word pattern
	mov [mv_src_off + 2], ds
	mov ax, [handle]
	mov [mv_dst_h], ax
	mov word [mv_dst_off], 4096
	mov word [mv_dst_off + 2], 0
	mov si, move
	mov ah, 0Bh
	call far [entry]
	cmp ax, 1
	jne fail
	mov ax, [handle]	; and back into another buffer
	mov [mv_src_h], ax
	mov word [mv_src_off], 4096
	mov word [mv_src_off + 2], 0
	mov word [mv_dst_h], 0
	mov [mv_dst_off], word copy
	mov [mv_dst_off + 2], ds
	mov si, move
	mov ah, 0Bh
	call far [entry]
	cmp ax, 1
	jne fail
	mov si, pattern
	mov di, copy
	push ds
	pop es
	mov cx, 8
	cld
	repe cmpsw
	jne fail
	print s_moved

	mov ah, 0Ch		; lock: a 32-bit linear address in DX:BX
	mov dx, [handle]
	call far [entry]
	cmp ax, 1
	jne fail
	print s_lock
	mov ah, 0Dh
	mov dx, [handle]
	call far [entry]
	cmp ax, 1
	jne fail
	mov ah, 0Ah		; free, then again: BL = A2h (invalid handle)
	mov dx, [handle]
	call far [entry]
	cmp ax, 1
	jne fail
	mov ah, 0Ah
	mov dx, [handle]
	call far [entry]
	print s_freed
	hex ax
	print sp_
	xor bh, bh
	hex bx
	print nl
	exit 0

fail:	print s_fail	; what the failing call left in AX
	hex ax
	print nl
	exit 1

entry:	dd 0
handle:	dw 0
move:				; the XMS move structure (function 0Bh)
mv_len:	dd 0
mv_src_h: dw 0
mv_src_off: dd 0
mv_dst_h: dw 0
mv_dst_off: dd 0
pattern: db 'extended memory!'
copy:	times 16 db 0
s_inst:	db 'INT 2Fh 4300h: AL = $'
s_entry: db 'XMS entry $'
s_colon: db ':$'
s_ver:	db 'XMS 00h: version, revision $'
s_alloc: db 'XMS 09h: 64 KiB allocated', 13, 10, '$'
s_moved: db 'XMS 0Bh: 16 bytes there and back', 13, 10, '$'
s_lock:	db 'XMS 0Ch/0Dh: locked and unlocked', 13, 10, '$'
s_freed: db 'XMS 0Ah twice: AX BL = $'
s_fail:	db 'FAIL, AX = $'
