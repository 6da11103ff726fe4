/* Multiboot v1 entry shared by every test guest.
 *
 * The loader leaves us in 32-bit protected mode with flat CS/DS but an
 * undefined GDTR (Multiboot Specification 0.6.96, 3.2 "Machine state"), so
 * the first thing we do is load our own GDT and reload every segment
 * register before anything else touches memory through them. */
#include "guest-asm.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003	/* page-align modules, want mem_* info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.entry, "ax"
	.globl _start
	.code32
_start:
	cli
	cld
	/* Keep the loader's EAX (boot magic) and EBX (info pointer). */
	movl %eax, %esi
	movl %ebx, %ebp
	lgdt gdt_desc
	ljmp $SEL_CODE32, $1f
1:	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	/* The loader zeroes .bss (ELF p_memsz > p_filesz), but a guest that
	 * reset itself may be re-entered on top of its old image: clear it
	 * ourselves so that every boot starts alike. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	movl $stack_top, %esp
	pushl %ebp		/* multiboot info */
	pushl %esi		/* magic */
	call guest_start
	/* guest_start never returns; if it does, fail loudly. */
	pushl $0x7f
	call guest_exit

	.section .rodata
	.align 8
	.globl gdt
gdt:
	.quad 0				/* null */
	.quad 0x00cf9a000000ffff	/* 0x08: code, 32-bit, flat */
	.quad 0x00cf92000000ffff	/* 0x10: data, flat */
	.quad 0x00af9a000000ffff	/* 0x18: code, 64-bit (L=1, D=0) */
	.quad 0x000f9a000000ffff	/* 0x20: code, 16-bit */
gdt_end:
	.globl gdt_desc
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.section .bss
	.align 16
	.globl stack_top
stack_bottom:
	.skip 16384
stack_top:
