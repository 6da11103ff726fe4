/* The mode switches of the realmode guest: 32-bit protected mode -> real
 * mode (SDM Vol. 3A, 10.9.2 "Switching Back to Real-Address Mode") and back
 * (10.9.1 "Switching to Protected Mode"), plus the real-mode code itself.
 *
 * The real-mode part is a blob that is copied to RM_BASE (0x8000) and runs
 * there with CS = RM_BASE >> 4, so every address inside it is its offset
 * from rm_blob_start. It writes what it saw to RM_RES (0x3000); realmode.c
 * checks and prints that after the return to protected mode. */
#include "guest-asm.h"

#define RM_BASE   0x8000
#define RM_SEG    (RM_BASE >> 4)
#define RM_RES    0x3000	/* results, also known to realmode.c */
#define RM_RESSEG (RM_RES >> 4)
#define OFF(l)    ((l) - rm_blob_start)

/* Selectors of this guest's own GDT (below). 0x08 and 0x10 match entry.S's
 * GDT so that rt.c's IDT (gates with SEL_CODE32) stays valid. */
#define SEL_C16   0x18
#define SEL_D16   0x20

	.text
	.code32
	.globl run_real_mode
run_real_mode:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, saved_esp
	sidt saved_idt
	cli
	movl $rm_blob_start, %esi
	movl $RM_BASE, %edi
	movl $(rm_blob_end - rm_blob_start), %ecx
	rep movsb
	lgdt rm_gdt_desc
	/* 10.9.2 step 3: go through a 16-bit code segment with a 64 KiB
	 * limit, so that CS holds real-mode-compatible attributes. */
	ljmp $SEL_C16, $(RM_BASE + OFF(pm16))

	/* Back from real mode: CR0.PE is set again and the far jump below
	 * (in the blob) loaded CS with the 32-bit code segment. */
	.globl back_in_pm
back_in_pm:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl saved_esp, %esp
	lidt saved_idt
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

/* ---- the blob: copied to RM_BASE, runs from there ----------------------- */
	.code16
rm_blob_start:
pm16:
	/* 10.9.2 step 4: segment registers get 64 KiB, byte-granular,
	 * expand-up, writable descriptors before PE is cleared, since real mode
	 * keeps the hidden limits and attributes. */
	movw $SEL_D16, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	/* ...except FS, which keeps the flat 4 GiB data segment on purpose:
	 * real mode uses the hidden limit as it is ("unreal mode", tested
	 * below). */
	movw $SEL_DATA, %ax
	movw %ax, %fs
	/* Step 5: the real-mode interrupt table at 0, 256 vectors. */
	lidt RM_BASE + OFF(rm_ivt_desc)
	/* Step 6: clear PE; step 7: a far jump loads CS with a real-mode
	 * value (base = selector * 16). */
	movl %cr0, %eax
	andl $~1, %eax
	movl %eax, %cr0
	ljmp $RM_SEG, $OFF(real)

real:
	/* Step 8: real-mode segment values. */
	movw $RM_SEG, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0xfff0, %sp
	movw $RM_RESSEG, %ax
	movw %ax, %es			/* ES:0 = results */

	movw $OFF(msg_hello), %si
	call rm_puts

	/* CR0 as seen from real mode: PE must be clear. */
	movl %cr0, %eax
	movl %eax, %es:0x00

	/* An IVT entry (SDM Vol. 3A, 20.1.4 "Interrupt and Exception
	 * Handling" in real mode: 4-byte offset:segment entries at vector*4)
	 * and INT to it. FLAGS = CF|DF|bit1 before the INT. */
	xorw %ax, %ax
	movw %ax, %fs
	movw $OFF(rm_handler), %fs:(0x40 * 4)
	movw $RM_SEG, %fs:(0x40 * 4 + 2)
	pushw $0x0403
	popfw
	movw $0x1234, %ax
	int $0x40
int_ret:
	pushfw				/* flags right after IRET */
	popw %es:0x0c
	movw %ax, %es:0x0a
	cld				/* DF came back set from IRET */

	/* 16-bit arithmetic: 0xffff + 1 wraps to 0 with CF, ZF, AF, PF. */
	movw $0xffff, %ax
	addw $1, %ax
	pushfw
	popw %bx
	andw $0x08d5, %bx		/* OF SF ZF AF PF CF */
	movw %bx, %es:0x10
	movw %ax, %es:0x12
	/* MUL r16: DX:AX = AX * r16 (SDM Vol. 2B, MUL). */
	movw $0x1234, %ax
	movw $0x5678, %cx
	mulw %cx
	movw %ax, %es:0x14
	movw %dx, %es:0x16
	/* DIV r16: DX:AX / r16 -> AX quotient, DX remainder. */
	movw $0x0001, %dx
	movw $0x2345, %ax
	movw $0x0100, %cx
	divw %cx
	movw %ax, %es:0x18
	movw %dx, %es:0x1a
	/* A 16-bit addressing form, [bx+si+disp8]: reads "ringvm"[4..5]. */
	movw $OFF(rm_word_table), %bx
	movw $2, %si
	movw 2(%bx,%si), %ax
	movw %ax, %es:0x1c

	/* Segment bases: real-mode linear address = selector * 16 + offset
	 * (20.1.1 "Address Translation in Real-Address Mode"). 0x3001:0x0000
	 * and 0x3000:0x0010 are both linear 0x30010, above 64 KiB. */
	movw $0x3000, %ax
	movw %ax, %fs
	movw $0xbeef, %fs:0x10
	movw $0x3001, %ax
	movw %ax, %gs
	movw %gs:0x00, %ax
	movw %ax, %es:0x1e
	/* 0xffff:0x0010 is linear 0x100000 (the A20 gate is enabled per the
	 * Multiboot Specification 0.6.96, 3.2): the multiboot header magic
	 * of this very image, read with a 32-bit operand-size prefix. */
	movw $0xffff, %ax
	movw %ax, %gs
	movl %gs:0x10, %eax
	movl %eax, %es:0x20

	/* BCD adjustments (SDM Vol. 2A, DAS, AAM, AAD): results and the
	 * flags each one defines. (DAA and AAA would be worth it too, but
	 * KVM's instruction emulator, this test's other oracle on hosts
	 * without VT-x/AMD-V, has neither.) */
	movb $0x35, %al
	subb $0x47, %al			/* 0xee, CF and AF set */
	das
	pushfw
	popw %bx
	andw $0x00d5, %bx
	movb %al, %es:0x28
	movw %bx, %es:0x2a
	movw $0x003f, %ax
	aam				/* AH = AL / 10, AL = AL % 10 */
	pushfw
	popw %bx
	andw $0x00c4, %bx		/* SF ZF PF */
	movw %ax, %es:0x30
	movw %bx, %es:0x32
	aad				/* AL = AH * 10 + AL, AH = 0 */
	movw %ax, %es:0x34
	/* XLAT: AL = [BX + AL]. */
	movw $OFF(rm_word_table), %bx
	movb $3, %al
	xlat
	movb %al, %es:0x36
	/* LES loads a far pointer (offset, then segment). */
	les OFF(rm_farptr), %di
	movw %es, %ax
	movw $RM_RESSEG, %bx
	movw %bx, %es
	movw %di, %es:0x38
	movw %ax, %es:0x3a
	/* PUSHA/POPA move SP by 16 and restore every register. */
	movw %sp, %es:0x4a
	movw $0x1111, %ax
	movw $0x2222, %cx
	pusha
	movw %sp, %es:0x3c
	xorw %ax, %ax
	xorw %cx, %cx
	popa
	movw %ax, %es:0x3e
	movw %cx, %es:0x40
	/* Far CALL pushes CS then IP; far RET pops them (SDM Vol. 2A, CALL,
	 * real-address mode). */
	lcall $RM_SEG, $OFF(rm_far_fn)
far_ret:
	/* #DE in real mode goes through IVT entry 0 with IP pointing at
	 * the DIV (a fault); the handler steps over it. */
	xorw %ax, %ax
	movw %ax, %fs
	movw $OFF(rm_de_handler), %fs:0
	movw $RM_SEG, %fs:2
	movw $7, %ax
	xorb %cl, %cl
de_insn:
	divb %cl
	movw %ax, %es:0x46

	/* Segment limits in real mode: a real-mode segment load changes the
	 * base (selector * 16) but not the limit (SDM Vol. 3A, 20.1.1; the
	 * limit is what 10.9.2 step 4 set up). FS still has a 4 GiB limit,
	 * so offset 0x100000 works; GS has 0xffff, so offset 0x10000 raises
	 * #GP, which in real mode goes through IVT entry 13 with no error
	 * code pushed (20.1.4). */
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movw $OFF(rm_gp_handler), %fs:(13 * 4)
	movw $RM_SEG, %fs:(13 * 4 + 2)
	movl $0x100000, %esi
	movl %fs:(%esi), %eax
	movl %eax, %es:0x4c
	movl $0x10000, %esi
	movw $0, %es:0x50
gp_insn:
	movl %gs:(%esi), %eax
gp_after:
	movw $OFF(msg_bye), %si
	call rm_puts

	/* Back to protected mode (10.9.1): the GDTR is unchanged, set PE,
	 * then a far jump with a 32-bit offset to the 32-bit code segment. */
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	.byte 0x66, 0xea		/* ljmpl $SEL_CODE32, $back_in_pm */
	.long back_in_pm
	.word SEL_CODE32

/* INT 0x40 lands here. Real-mode INT pushes FLAGS, CS, IP (in that order)
 * and clears IF, TF and AC (SDM Vol. 2A, INT n, REAL-ADDRESS-MODE). */
rm_handler:
	pushw %bp
	movw %sp, %bp
	pushw %bx
	movw 2(%bp), %bx		/* IP pushed */
	movw %bx, %es:0x04
	movw 4(%bp), %bx		/* CS pushed */
	movw %bx, %es:0x06
	movw 6(%bp), %bx		/* FLAGS pushed */
	movw %bx, %es:0x08
	pushfw				/* FLAGS inside the handler */
	popw %bx
	movw %bx, %es:0x0e
	popw %bx
	popw %bp
	incw %ax
	/* Change CF and DF here: IRET must restore the caller's. */
	clc
	cld
	iret

rm_far_fn:
	movw %sp, %bp
	movw 0(%bp), %ax		/* IP */
	movw %ax, %es:0x42
	movw 2(%bp), %ax		/* CS */
	movw %ax, %es:0x44
	lret

rm_de_handler:
	pushw %bp
	movw %sp, %bp
	pushw %ax
	movw 2(%bp), %ax		/* IP of the DIV */
	movw %ax, %es:0x48
	addw $2, 2(%bp)			/* DIV r/m8 with a register: 2 bytes */
	popw %ax
	popw %bp
	movw $0xdede, %ax
	iret

rm_gp_handler:
	pushw %bp
	movw %sp, %bp
	pushw %ax
	movw 2(%bp), %ax		/* IP: the faulting MOV, if no error code */
	movw %ax, %es:0x52
	movw 4(%bp), %ax		/* CS */
	movw %ax, %es:0x54
	incw %es:0x50
	movw $OFF(gp_after), 2(%bp)
	popw %ax
	popw %bp
	iret

/* Prints the NUL-terminated string at DS:SI on COM1, polling LSR.THRE. */
rm_puts:
	pushw %ax
	pushw %dx
1:	lodsb
	testb %al, %al
	jz 3f
	movb %al, %ah
	movw $0x3fd, %dx
2:	inb %dx, %al
	testb $0x20, %al
	jz 2b
	movb %ah, %al
	movw $0x3f8, %dx
	outb %al, %dx
	jmp 1b
3:	popw %dx
	popw %ax
	ret

	.p2align 2
rm_ivt_desc:
	.word 0x3ff
	.long 0
rm_word_table:
	.ascii "ringvm"
rm_farptr:
	.word 0x5678, 0x1234		/* offset, segment */
msg_hello:
	.asciz "real mode: hello from 16-bit code\r\n"
msg_bye:
	.asciz "real mode: going back to protected mode\r\n"
rm_blob_end:

	.section .rodata
	.p2align 3
rm_gdt:
	.quad 0				/* null */
	.quad 0x00cf9a000000ffff	/* 0x08: code, 32-bit, flat */
	.quad 0x00cf92000000ffff	/* 0x10: data, flat */
	.quad 0x00009a000000ffff	/* 0x18: code, 16-bit, base 0, limit 0xffff */
	.quad 0x000092000000ffff	/* 0x20: data, 16-bit, base 0, limit 0xffff */
rm_gdt_end:
rm_gdt_desc:
	.word rm_gdt_end - rm_gdt - 1
	.long rm_gdt

	.section .bss
	.p2align 2
saved_esp:
	.skip 4
saved_idt:
	.skip 8

/* realmode.c compares the IPs pushed by INT, CALL far and #DE with these. */
	.globl rm_int_ret_off, rm_far_ret_off, rm_de_off, rm_gp_off
	.set rm_int_ret_off, int_ret - rm_blob_start
	.set rm_far_ret_off, far_ret - rm_blob_start
	.set rm_de_off, de_insn - rm_blob_start
	.set rm_gp_off, gp_insn - rm_blob_start
