/* gates64's 64-bit code; the IA-32e scaffolding is lib/long64-asm.S. */
/* Ring 3, 64-bit: INT 0x40 through a DPL-3 gate (IRETQ brings it back),
 * then INT 0x41 through a DPL-0 gate, which must raise #GP. */
	.text
	.code64
	.globl user_int
user_int:
	movq %rsp, u_rsp(%rip)
	movl $0x40, %eax
	int $0x40
	.globl user_int_ret
user_int_ret:
	movq %rax, u_rax(%rip)
	int $0x41
	ud2

	.bss
	.p2align 3
	.globl u_rsp, u_rax
u_rsp:	.skip 8
u_rax:	.skip 8
