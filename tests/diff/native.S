/* Native side of the differential tests: load a struct diff_state into the
 * host CPU, jump to the form's code, and store the resulting state back.
 *
 * void diff_native_run(struct diff_state *st, const void *code)
 *
 * The form's code ends with an absolute indirect jump (FF 25 rel32=0 + 8-byte
 * address) to diff_native_exit, so the code runs with every GPR, RSP included,
 * under the test's control. The epilogue stores registers with plain MOVs
 * first: MOV does not touch RFLAGS (SDM Vol. 2B MOV, "Flags Affected: None"),
 * so the flags the code produced survive until PUSHFQ. Offsets match
 * struct diff_state in diff.h. */

	.text
	.globl diff_native_run
	.type diff_native_run, @function
diff_native_run:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, host_rsp(%rip)
	mov %rdi, state_ptr(%rip)
	mov %rsi, code_ptr(%rip)

	fninit
	ldmxcsr 144(%rdi)
	movdqu 160+16*0(%rdi), %xmm0
	movdqu 160+16*1(%rdi), %xmm1
	movdqu 160+16*2(%rdi), %xmm2
	movdqu 160+16*3(%rdi), %xmm3
	movdqu 160+16*4(%rdi), %xmm4
	movdqu 160+16*5(%rdi), %xmm5
	movdqu 160+16*6(%rdi), %xmm6
	movdqu 160+16*7(%rdi), %xmm7
	movdqu 160+16*8(%rdi), %xmm8
	movdqu 160+16*9(%rdi), %xmm9
	movdqu 160+16*10(%rdi), %xmm10
	movdqu 160+16*11(%rdi), %xmm11
	movdqu 160+16*12(%rdi), %xmm12
	movdqu 160+16*13(%rdi), %xmm13
	movdqu 160+16*14(%rdi), %xmm14
	movdqu 160+16*15(%rdi), %xmm15

	/* RFLAGS last before the GPRs: nothing below writes flags. */
	pushq 128(%rdi)
	popfq

	mov 0(%rdi), %rax
	mov 8(%rdi), %rcx
	mov 16(%rdi), %rdx
	mov 24(%rdi), %rbx
	mov 32(%rdi), %rsp
	mov 40(%rdi), %rbp
	mov 48(%rdi), %rsi
	mov 64(%rdi), %r8
	mov 72(%rdi), %r9
	mov 80(%rdi), %r10
	mov 88(%rdi), %r11
	mov 96(%rdi), %r12
	mov 104(%rdi), %r13
	mov 112(%rdi), %r14
	mov 120(%rdi), %r15
	mov 56(%rdi), %rdi
	jmp *code_ptr(%rip)

	.globl diff_native_exit
	.type diff_native_exit, @function
diff_native_exit:
	mov %rax, scratch(%rip)
	mov state_ptr(%rip), %rax
	mov %rcx, 8(%rax)
	mov %rdx, 16(%rax)
	mov %rbx, 24(%rax)
	mov %rsp, 32(%rax)
	mov %rbp, 40(%rax)
	mov %rsi, 48(%rax)
	mov %rdi, 56(%rax)
	mov %r8, 64(%rax)
	mov %r9, 72(%rax)
	mov %r10, 80(%rax)
	mov %r11, 88(%rax)
	mov %r12, 96(%rax)
	mov %r13, 104(%rax)
	mov %r14, 112(%rax)
	mov %r15, 120(%rax)
	mov scratch(%rip), %rcx
	mov %rcx, 0(%rax)
	mov host_rsp(%rip), %rsp
	pushfq
	popq 128(%rax)
	stmxcsr 144(%rax)
	movdqu %xmm0, 160+16*0(%rax)
	movdqu %xmm1, 160+16*1(%rax)
	movdqu %xmm2, 160+16*2(%rax)
	movdqu %xmm3, 160+16*3(%rax)
	movdqu %xmm4, 160+16*4(%rax)
	movdqu %xmm5, 160+16*5(%rax)
	movdqu %xmm6, 160+16*6(%rax)
	movdqu %xmm7, 160+16*7(%rax)
	movdqu %xmm8, 160+16*8(%rax)
	movdqu %xmm9, 160+16*9(%rax)
	movdqu %xmm10, 160+16*10(%rax)
	movdqu %xmm11, 160+16*11(%rax)
	movdqu %xmm12, 160+16*12(%rax)
	movdqu %xmm13, 160+16*13(%rax)
	movdqu %xmm14, 160+16*14(%rax)
	movdqu %xmm15, 160+16*15(%rax)

	/* Back to the SysV ABI's expectations: DF clear, default MXCSR, an
	 * empty x87 stack (the form may have left values on it). */
	cld
	fninit
	ldmxcsr default_mxcsr(%rip)
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.section .rodata
	.balign 4
default_mxcsr:
	.long 0x1f80

	.bss
	.balign 8
host_rsp:  .quad 0
state_ptr: .quad 0
code_ptr:  .quad 0
scratch:   .quad 0

	.section .note.GNU-stack,"",@progbits
