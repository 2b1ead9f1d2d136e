; ems: LIM EMS 4.0 through INT 67h: status, page frame, page counts,
; allocate, map logical pages into the windows at E000h (data written
; through one window shows in another: the same page), deallocate.
%include "lib.inc"
main:
	mov ah, 40h		; status
	int 67h
	print s_status
	hex ax
	print nl
	mov ah, 41h		; page frame segment
	int 67h
	print s_frame
	hex bx
	print nl
	mov ah, 43h		; 4 pages
	mov bx, 4
	int 67h
	or ah, ah
	jnz fail
	mov [handle], dx

	mov ax, 4400h		; logical 0 -> window 0, write 'A'
	xor bx, bx
	int 67h
	or ah, ah
	jnz fail
	mov ax, 0E000h
	mov es, ax
	mov byte [es:0], 'A'
	mov ax, 4400h		; logical 1 -> window 0, write 'B'
	mov bx, 1
	mov dx, [handle]
	int 67h
	or ah, ah
	jnz fail
	mov byte [es:0], 'B'
	mov ax, 4401h		; logical 0 -> window 1, logical 1 -> window 2
	xor bx, bx
	mov dx, [handle]
	int 67h
	mov ax, 4402h
	mov bx, 1
	mov dx, [handle]
	int 67h
	or ah, ah
	jnz fail
	print s_windows
	mov ah, 02h
	mov dl, [es:4000h]	; E400:0000
	int 21h
	mov dl, [es:8000h]	; E800:0000
	int 21h
	mov dl, [es:0]		; window 0 still shows logical 1
	int 21h
	print nl

	mov ah, 45h		; deallocate, then again: AH = 83h
	mov dx, [handle]
	int 67h
	or ah, ah
	jnz fail
	mov ah, 45h
	mov dx, [handle]
	int 67h
	print s_twice
	hex ax
	print nl
	exit 0

fail:	print s_fail
	hex ax
	print nl
	exit 1

handle:	dw 0
s_status: db 'INT 67h 40h: AX = $'
s_frame: db 'INT 67h 41h: page frame $'
s_windows: db 'windows 1, 2, 0 read $'
s_twice: db 'INT 67h 45h twice: AX = $'
s_fail:	db 'FAIL $'
