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

/* uint32_t smc_writers(uint8_t *code, uint32_t *out): CODE holds
 * "mov $imm32, %eax; ret" (imm at CODE+1). Each step below changes the
 * immediate with a different kind of store, then calls CODE and records
 * EAX in out[step]: an emulator that caches decoded code must notice
 * stores from every instruction that writes memory, not only MOV.
 * Returns the number of steps. */
	.globl smc_writers
smc_writers:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl 20(%esp), %ebp		/* code */
	movl 24(%esp), %esi		/* out */
	leal 1(%ebp), %edi		/* the immediate */
	movl $0, (%edi)
	call *%ebp
	movl %eax, 0(%esi)		/* 0 */
	addl $5, (%edi)			/* ALU read-modify-write */
	call *%ebp
	movl %eax, 4(%esi)		/* 5 */
	lock incl (%edi)		/* locked RMW */
	call *%ebp
	movl %eax, 8(%esi)		/* 6 */
	movl $0x100, %eax
	xchgl %eax, (%edi)		/* XCHG (implicitly locked) */
	call *%ebp
	movl %eax, 12(%esi)		/* 0x100 */
	movl $0x100, %eax
	movl $0x200, %ecx
	lock cmpxchgl %ecx, (%edi)	/* CMPXCHG, equal: stores ECX */
	call *%ebp
	movl %eax, 16(%esi)		/* 0x200 */
	pushl %edi
	movl $0x300, %eax
	stosl				/* string store */
	popl %edi
	call *%ebp
	movl %eax, 20(%esi)		/* 0x300 */
	movl %esp, %ebx			/* PUSH with ESP pointing into the code */
	leal 4(%edi), %esp
	pushl $0x400
	movl %ebx, %esp
	call *%ebp
	movl %eax, 24(%esi)		/* 0x400 */
	btsl $11, (%edi)		/* bit set in memory */
	call *%ebp
	movl %eax, 28(%esi)		/* 0xc00 */
	xorl %eax, %eax
	sete (%edi)			/* SETcc: low byte = 1 */
	call *%ebp
	movl %eax, 32(%esi)		/* 0xc01 */
	pushl $0x500
	popl (%edi)			/* POP to memory */
	call *%ebp
	movl %eax, 36(%esi)		/* 0x500 */
	movl (%edi), %eax		/* CMPXCHG8B over imm and the RET */
	movl 4(%edi), %edx
	movl $0x600, %ebx
	movl %edx, %ecx
	lock cmpxchg8b (%edi)
	call *%ebp
	movl %eax, 40(%esi)		/* 0x600 */
	negl (%edi)			/* unary RMW */
	call *%ebp
	movl %eax, 44(%esi)		/* 0xfffffa00 */
	roll $8, (%edi)			/* shift/rotate RMW */
	call *%ebp
	movl %eax, 48(%esi)		/* 0xfffa00ff */
	movl $0x1234, %eax
	xaddl %eax, (%edi)		/* XADD */
	call *%ebp
	movl %eax, 52(%esi)		/* 0xfffa1333 */
	incb 2(%edi)			/* byte RMW in the middle */
	call *%ebp
	movl %eax, 56(%esi)		/* 0xfffb1333 */
	movl %esp, %ebx			/* CALL pushing its return address */
	leal 4(%edi), %esp
	call 1f
1:	movl %ebx, %esp
	call *%ebp
	movl %eax, 60(%esi)		/* = 1b */
	movl $16, %eax
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret
	.globl smc_call_ret
	.set smc_call_ret, 1b

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
