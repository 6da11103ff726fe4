/* The self-modifying parts of the smc guest (see smc.c). Code here is in
 * .text, which is plain writable RAM in this guest. */
	.text
	.code32

/* Sum of the immediates of one MOV that the loop itself rewrites after
 * each execution: 0 + 1 + 2 + 3 + 4 = 10 when every new immediate is seen. */
	.globl smc_loop
smc_loop:
	pushl %ebx
	xorl %edx, %edx
	movl $5, %ecx
	movl $0, loop_mov + 1		/* start from 0 on every call */
loop_mov:
	movl $0x12345678, %eax		/* B8 imm32: imm at loop_mov + 1 */
	addl %eax, %edx
	incl loop_mov + 1
	loop loop_mov
	movl %edx, %eax
	popl %ebx
	ret

/* A store to the very next instruction: its new immediate must be the one
 * executed. */
	.globl smc_next
smc_next:
	movb $0x00, next_mov + 1	/* reset */
	movb $0x42, next_mov + 1
next_mov:
	movb $0x00, %al			/* B0 imm8 */
	movzbl %al, %eax
	ret

/* A store a few instructions ahead in the same straight-line block. */
	.globl smc_ahead
smc_ahead:
	movl $0, ahead_mov + 1		/* reset */
	movl $0x11223344, ahead_mov + 1
	nop
	addl $0, %ecx
	nop
ahead_mov:
	movl $0, %eax
	ret

/* void copy_code(void *dst, const void *src, unsigned n) with REP MOVSB. */
	.globl copy_code
copy_code:
	pushl %esi
	pushl %edi
	movl 12(%esp), %edi
	movl 16(%esp), %esi
	movl 20(%esp), %ecx
	rep movsb
	popl %edi
	popl %esi
	ret

/* Templates that smc.c copies into buffers. */
	.section .rodata
	.globl tpl_mov_ret, tpl_inc3_ret
tpl_mov_ret:			/* mov $imm32, %eax; ret (imm at +1) */
	.byte 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3
tpl_inc3_ret:			/* xor %eax,%eax; inc %eax x3; ret */
	xorl %eax, %eax
	incl %eax
	incl %eax
	incl %eax
	ret
