/* The switch to long mode and the 64-bit half of the longmode guest.
 * Assembled into the 32-bit ELF with .code64: everything lies below 4 GiB,
 * so absolute 32-bit immediates work as addresses in both halves. */
#include "guest-asm.h"
#include "long64.h"		/* MSR_EFER, LM_PAGING_ON; not its GDT */

#define EFER_LMA  (1 << 10)

	.text
	.code32
	.globl enter_long_mode
enter_long_mode:
	/* Paging on with EFER.LME set activates IA-32e mode (EFER.LMA=1),
	 * still in compatibility mode until CS is a 64-bit segment. */
	LM_PAGING_ON 4(%esp)
	ljmp $SEL_CODE64, $long64

	.code64
long64:
	movl $SEL_DATA, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	andq $-16, %rsp
	movl $msg_hello, %esi
	call puts64

	/* EFER.LMA must read back set. */
	movl $MSR_EFER, %ecx
	rdmsr
	testl $EFER_LMA, %eax
	jz fail_lma
	movl $msg_lma, %esi
	call puts64

	/* Operations that only exist or only differ in 64-bit mode: a
	 * 64-bit rotate through the upper half, and an 8-byte push. */
	movabsq $0x0123456789abcdef, %rax
	rolq $8, %rax
	movabsq $0x23456789abcdef01, %rbx
	cmpq %rbx, %rax
	jne fail_arith
	movq %rsp, %rdx
	pushq %rax
	subq %rsp, %rdx
	popq %rax
	cmpq $8, %rdx
	jne fail_arith
	movq $-1, %r15			/* a REX-only register */
	shrq $32, %r15
	cmpl $0xffffffff, %r15d
	jne fail_arith
	movl $msg_arith, %esi
	call puts64

	movl $msg_pass, %esi
	call puts64
	movb $0x10, %al			/* EXIT_PASS */
	outb %al, $0xf4
	jmp park

fail_lma:
	movl $msg_fail_lma, %esi
	jmp fail64
fail_arith:
	movl $msg_fail_arith, %esi
fail64:
	call puts64
	movb $0x11, %al			/* EXIT_FAIL */
	outb %al, $0xf4
park:
	cli
	hlt
	jmp park

/* Prints the NUL-terminated string at %rsi on COM1, polling LSR.THRE. */
puts64:
	movw $0x3fd, %dx
1:	lodsb
	testb %al, %al
	jz 3f
	movb %al, %bl
2:	inb %dx, %al
	testb $0x20, %al
	jz 2b
	movb %bl, %al
	movw $0x3f8, %dx
	outb %al, %dx
	movw $0x3fd, %dx
	jmp 1b
3:	ret

	.section .rodata
msg_hello:	.asciz "64-bit: hello from long mode\r\n"
msg_lma:	.asciz "64-bit: efer.lma set\r\n"
msg_arith:	.asciz "64-bit: rol/push/r15 ok\r\n"
msg_pass:	.asciz "PASS\r\n"
msg_fail_lma:	.asciz "FAIL: efer.lma clear in 64-bit code\r\n"
msg_fail_arith:	.asciz "FAIL: 64-bit arithmetic wrong\r\n"
