/* Interrupt entry stubs for vectors 0-47. Each pushes a dummy error code
 * where the CPU does not push one (Intel SDM Vol. 3A, 6.13 "Error Code":
 * only #DF, #TS, #NP, #SS, #GP, #PF, #AC and #CP have one), then its vector,
 * so that isr_common sees one frame layout (struct isr_frame in rt.h). */
	.code32
	.text

.macro STUB vec, has_err
	.globl isr_stub_\vec
isr_stub_\vec:
	.if \has_err == 0
	pushl $0
	.endif
	pushl $\vec
	jmp isr_common
.endm

STUB 0,0;  STUB 1,0;  STUB 2,0;  STUB 3,0;  STUB 4,0;  STUB 5,0;  STUB 6,0;  STUB 7,0
STUB 8,1;  STUB 9,0;  STUB 10,1; STUB 11,1; STUB 12,1; STUB 13,1; STUB 14,1; STUB 15,0
STUB 16,0; STUB 17,1; STUB 18,0; STUB 19,0; STUB 20,0; STUB 21,1; STUB 22,0; STUB 23,0
STUB 24,0; STUB 25,0; STUB 26,0; STUB 27,0; STUB 28,0; STUB 29,1; STUB 30,1; STUB 31,0
STUB 32,0; STUB 33,0; STUB 34,0; STUB 35,0; STUB 36,0; STUB 37,0; STUB 38,0; STUB 39,0
STUB 40,0; STUB 41,0; STUB 42,0; STUB 43,0; STUB 44,0; STUB 45,0; STUB 46,0; STUB 47,0

isr_common:
	pushal
	pushl %ds
	pushl %es
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	pushl %esp		/* struct isr_frame * */
	cld
	call isr_dispatch
	addl $4, %esp
	popl %es
	popl %ds
	popal
	addl $8, %esp		/* vector + error code */
#ifdef GUEST_USE_IRET
	iret
#else
	/* Return without IRET. On hosts without VT-x/AMD-V, KVM runs the
	 * guest through its instruction emulator, which implements IRET only
	 * in real mode (Linux arch/x86/kvm/emulate.c, em_iret: protected mode
	 * is "unhandleable") and fails the VM. For a same-privilege return
	 * IRET only pops EIP, CS (unchanged here) and EFLAGS (SDM Vol. 2A,
	 * IRET), so POPF + RET does the same job: rearrange the frame
	 * [eip][cs][eflags] into [eflags][eip]. An interrupt that arrives
	 * between POPF and RET nests on top of this frame harmlessly. */
	pushl %eax		/* [eax][eip][cs][eflags] */
	movl 12(%esp), %eax
	pushl %ebx		/* [ebx][eax][eip][cs][eflags] */
	movl 8(%esp), %ebx
	movl %ebx, 16(%esp)	/* [ebx][eax][eip][cs][eip] */
	movl %eax, 12(%esp)	/* [ebx][eax][eip][eflags][eip] */
	popl %ebx
	popl %eax
	addl $4, %esp		/* [eflags][eip] */
	popfl
	ret
#endif

	.section .rodata
	.align 4
	.globl isr_stub_table
isr_stub_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.long isr_stub_\v
	.endr
