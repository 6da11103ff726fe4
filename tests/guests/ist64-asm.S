/* ist64's 64-bit code; the IA-32e scaffolding is lib/long64-asm.S. */
	.text
	.code64
/* Hook for #UD: step over the 2-byte UD2 so that IRETQ resumes after it. */
	.globl skip_ud2
skip_ud2:
	addq $2, 16(%rdi)
	ret
/* Hook for #GP from HLT at CPL 3: step over the 1-byte HLT. */
	.globl skip_hlt
skip_hlt:
	addq $1, 16(%rdi)
	ret

/* #UD at CPL 0 in 64-bit mode with RSP = 8 mod 16: the CPU aligns RSP
 * down to 16 before pushing the frame (SDM Vol. 3A, 6.14.2). */
	.globl k_ud_misaligned
k_ud_misaligned:
	andq $-16, %rsp
	subq $8, %rsp
	movq %rsp, k_ud_rsp(%rip)
	ud2
	ret

/* Ring 3, 64-bit. Records in u_log: RSP before each event, and whether
 * each IRETQ came back with the same RSP. */
	.globl user_ist
user_ist:
	leaq u_log(%rip), %rbx
	movq %rsp, 0(%rbx)
	ud2				/* #UD: no IST, CPL 3 -> 0: RSP0 */
	movq %rsp, 8(%rbx)		/* back here by IRETQ */
	hlt				/* #GP(0) at CPL 3: gate with IST2 */
	movq %rsp, 16(%rbx)
	movq $0x1234, 24(%rbx)
	xorl %ecx, %ecx
	divl %ecx			/* #DE: IST1; resumes the C code */
	ud2

	.bss
	.p2align 3
	.globl k_ud_rsp, u_log
k_ud_rsp: .skip 8
u_log:    .skip 32
