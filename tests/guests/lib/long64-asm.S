/* IA-32e mode scaffolding shared by the 64-bit guests: GDT, 64-bit TSS,
 * a 64-bit IDT whose 256 stubs all record the event (lm_last, lm_log) and
 * then resume the C code or IRETQ (see long64.h), and trampolines into
 * 64-bit code and ring 3. Linked from build/lib/liblong64.a, so only the
 * guests that call lm_* carry it. */
#include "long64.h"

	.text
	.code32
/* void lm_enter(uint32_t pml4, uint32_t efer_extra): GDT, TSS, IDT, then
 * IA-32e mode (SDM Vol. 3A, 10.8.5 "Initializing IA-32e Mode"), staying in
 * compatibility mode: returns to the 32-bit caller with paging on. */
	.globl lm_enter
lm_enter:
	lgdt lm_gdt_desc
	ljmp $LM_CS32, $1f
1:	movw $LM_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	/* The TSS descriptor's base, patched in at run time. */
	movl $lm_tss, %eax
	movw %ax, lm_gdt + LM_TSS + 2
	shrl $16, %eax
	movb %al, lm_gdt + LM_TSS + 4
	movb %ah, lm_gdt + LM_TSS + 7
	/* IDT: 256 16-byte interrupt gates to lm_stub_N (6.14.1), DPL 0,
	 * IST 0, except what lm_set_gate changes later. */
	xorl %ecx, %ecx
2:	movl lm_stub_table(,%ecx,4), %eax
	movl %ecx, %edx
	shll $4, %edx
	movw %ax, lm_idt(%edx)
	movw $LM_CS64, lm_idt+2(%edx)
	movw $0x8e00, lm_idt+4(%edx)
	shrl $16, %eax
	movw %ax, lm_idt+6(%edx)
	movl $0, lm_idt+8(%edx)
	movl $0, lm_idt+12(%edx)
	incl %ecx
	cmpl $256, %ecx
	jb 2b
	lidt lm_idt_desc
	/* CR0.PG with EFER.LME: IA-32e mode, compatibility mode since CS
	 * is a 32-bit segment. */
	LM_PAGING_ON 4(%esp), 8(%esp)
	movw $LM_TSS, %ax
	ltr %ax
	ret

/* void lm_set_gate(unsigned vec, unsigned dpl, unsigned ist, unsigned type):
 * type 0xe = interrupt gate, 0xf = trap gate (6.14.1), present. */
	.globl lm_set_gate
lm_set_gate:
	movl 4(%esp), %edx
	shll $4, %edx
	movl 8(%esp), %eax
	shll $5, %eax
	orl 16(%esp), %eax
	orl $0x80, %eax		/* P */
	movb %al, lm_idt+5(%edx)
	movl 12(%esp), %eax
	movb %al, lm_idt+4(%edx)
	ret

/* void lm_gate_present(unsigned vec, unsigned present): the gate's P flag. */
	.globl lm_gate_present
lm_gate_present:
	movl 4(%esp), %edx
	shll $4, %edx
	andb $0x7f, lm_idt+5(%edx)
	cmpl $0, 8(%esp)
	je 1f
	orb $0x80, lm_idt+5(%edx)
1:	ret

/* void lm_set_mode(unsigned vec, unsigned mode) */
	.globl lm_set_mode
lm_set_mode:
	movl 4(%esp), %edx
	movl 8(%esp), %eax
	movb %al, lm_mode(%edx)
	ret

	.code64
.macro LMSTUB vec
lm_stub_\vec:
	/* Vectors with an error code (6.13): 8, 10-14, 17, 21, 29, 30. */
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp lm_common
.endm
	.altmacro
	.set i, 0
	.rept 256
	LMSTUB %i
	.set i, i + 1
	.endr

lm_common:
	/* [rsp] vector, error, RIP, CS, RFLAGS, RSP, SS */
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rdi
	/* The seven qwords from the vector up to SS lie in the order of
	 * F_VEC ... F_SS (0 to 48), so one copy loop takes them all. */
	.irp off, F_VEC, F_ERR, F_RIP, F_CS, F_RFLAGS, F_RSP, F_SS
	movq 32+\off(%rsp), %rax
	movq %rax, lm_last + \off(%rip)
	.endr
	movq %cr2, %rax
	movq %rax, lm_last + F_CR2(%rip)
	leaq 48(%rsp), %rax
	movq %rax, lm_last + F_FRAME(%rip)
	movq 16(%rsp), %rax
	movq %rax, lm_last + F_RCX(%rip)
	movq %rsi, lm_last + F_RSI(%rip)
	movq (%rsp), %rax
	movq %rax, lm_last + F_RDI(%rip)
	/* Also keep it in lm_log[lm_count % 16]. */
	pushq %rsi
	movl lm_count(%rip), %eax
	andl $15, %eax
	imull $F_SIZE, %eax
	leaq lm_log(%rip), %rdi
	addq %rax, %rdi
	leaq lm_last(%rip), %rsi
	movl $(F_SIZE / 8), %ecx
1:	movq (%rsi), %rax
	movq %rax, (%rdi)
	addq $8, %rsi
	addq $8, %rdi
	decl %ecx
	jnz 1b
	popq %rsi
	incl lm_count(%rip)
	/* A guest-specific 64-bit hook may look at or edit the frame:
	 * called with RDI = address of the vector slot; it may clobber only
	 * RAX, RCX, RDX and RDI. */
	movq 32(%rsp), %rax
	leaq lm_hook(%rip), %rcx
	movq (%rcx,%rax,8), %rcx
	testq %rcx, %rcx
	jz 1f
	leaq 32(%rsp), %rdi
	call *%rcx
	movq 32(%rsp), %rax
1:	leaq lm_mode(%rip), %rcx
	cmpb $LM_IRET, (%rcx,%rax)
	je lm_ret_iret
	movq (%rsp), %rdi
	/* Resume the C code at CPL 0 in compatibility mode: POPFQ, then a
	 * 64-bit far RET to LM_CS32:lm_resume_eip on the C stack. SS first:
	 * after a privilege change it holds a null selector (6.14.4), which
	 * compatibility mode cannot use. */
	.globl lm_resume
lm_resume:				/* also jumped to by guest code */
	movl $LM_DS, %eax
	movw %ax, %ss
	/* A return to CPL 3 (IRET, far RET) nulls DS and ES when their DPL is
	 * below the new CPL (SDM Vol. 2A, IRET: RETURN-TO-OUTER-PRIVILEGE-
	 * LEVEL); the 32-bit C code needs them. */
	movw %ax, %ds
	movw %ax, %es
	movl lm_resume_esp(%rip), %eax
	subq $24, %rax
	movq $2, (%rax)			/* RFLAGS: IF=0 */
	movl lm_resume_eip(%rip), %ecx
	movq %rcx, 8(%rax)
	movq $LM_CS32, 16(%rax)
	movq %rax, %rsp
	popfq
	lretq

lm_ret_iret:
	popq %rdi
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp
	iretq

	.section .rodata
	.p2align 2
.macro LMSTUBREF vec
	.long lm_stub_\vec
.endm
lm_stub_table:
	.set i, 0
	.rept 256
	LMSTUBREF %i
	.set i, i + 1
	.endr

	.data
	.p2align 3
lm_gdt:
	.quad 0				/* null */
	.quad 0x00cf9a000000ffff	/* 0x08: code, 32-bit, DPL 0 */
	.quad 0x00cf92000000ffff	/* 0x10: data, DPL 0 */
	.quad 0x00af9a000000ffff	/* 0x18: code, 64-bit, DPL 0 */
	.quad 0x00cf92000000ffff	/* 0x20: data, DPL 0 */
	.quad 0x00cffa000000ffff	/* 0x28: code, 32-bit, DPL 3 */
	.quad 0x00cff2000000ffff	/* 0x30: data, DPL 3 */
	.quad 0x00affa000000ffff	/* 0x38: code, 64-bit, DPL 3 */
	.quad 0x0000890000000067	/* 0x40: 64-bit TSS, limit 0x67 (base patched) */
	.quad 0
lm_gdt_end:
lm_gdt_desc:
	.word lm_gdt_end - lm_gdt - 1
	.long lm_gdt
lm_idt_desc:
	.word 256 * 16 - 1
	.long lm_idt

	.bss
	.p2align 4
	.globl lm_tss, lm_last, lm_log, lm_count, lm_mode, lm_hook, lm_resume_eip, lm_resume_esp
lm_idt:	.skip 256 * 16
lm_tss:	.skip 104
	.p2align 3
lm_last: .skip F_SIZE
lm_log: .skip 16 * F_SIZE
lm_hook: .skip 256 * 8
lm_count: .skip 4
lm_resume_eip: .skip 4
lm_resume_esp: .skip 4
lm_mode: .skip 256

	.text
	.code32
/* uint32_t lm_call64(uint32_t fn, uint32_t arg): far call into 64-bit
 * code (a 64-bit CS), which calls fn with RDI = arg and returns EAX from
 * RAX; the 32-bit far RET takes it back to compatibility mode. */
	.globl lm_call64
lm_call64:
	pushl %edi
	pushl %esi
	movl 12(%esp), %esi
	movl 16(%esp), %edi
	lcall $LM_CS64, $lm_call64_tramp
	popl %esi
	popl %edi
	ret
	.code64
lm_call64_tramp:
	movl %esi, %esi
	movl %edi, %edi
	call *%rsi
	lretl

/* The 32-bit callers that a fault may abandon (lm_user_call, lm_try64):
 * a handler in LM_RESUME mode comes back to the local label 1 after
 * LM_CATCH_BEGIN, with ESP as it was there, so the callee-saved registers
 * (i386 SysV ABI) are pushed first and popped by LM_CATCH_END. */
.macro LM_CATCH_BEGIN
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl $1f, lm_resume_eip
	movl %esp, lm_resume_esp
.endm
.macro LM_CATCH_END
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret
.endm

/* void lm_user_call(uint32_t rip, uint32_t rsp, uint32_t cs, uint32_t how,
 *                   uint32_t rflags):
 * runs code at CPL 3 until it faults or traps into a handler that uses
 * LM_RESUME, which comes back here. how: 0 IRETQ, 1 64-bit far RET to an
 * outer level, 2 SYSRET (EFER.SCE and STAR set by the caller). */
	.code32
	.globl lm_user_call
lm_user_call:
	LM_CATCH_BEGIN
	movl 20(%esp), %esi	/* rip */
	movl 24(%esp), %edi	/* rsp */
	movl 28(%esp), %ebx	/* cs */
	movl 32(%esp), %ebp	/* how */
	movl 36(%esp), %eax	/* rflags */
	lcall $LM_CS64, $lm_user_tramp
1:	LM_CATCH_END

	.code64
lm_user_tramp:
	movl %esi, %esi
	movl %edi, %edi
	cmpl $1, %ebp
	je 1f
	cmpl $2, %ebp
	je 2f
	/* IRETQ to CPL 3 pops RIP, CS, RFLAGS, RSP, SS (SDM Vol. 2A, IRET). */
	pushq $LM_UDS
	pushq %rdi
	pushq %rax
	pushq %rbx
	pushq %rsi
	iretq
1:	/* Far RET to an outer privilege level pops RIP, CS, then RSP, SS
	 * (SDM Vol. 2B, RET). */
	pushq $LM_UDS
	pushq %rdi
	pushq %rbx
	pushq %rsi
	lretq
2:	/* SYSRET: RIP from RCX, RFLAGS from R11, CS/SS from STAR[63:48]
	 * (SDM Vol. 2B, SYSRET); 64-bit target with REX.W. */
	movq %rsi, %rcx
	movq %rax, %r11
	movq %rdi, %rsp
	cmpl $LM_UCS64, %ebx
	je 3f
	sysretl
3:	sysretq

/* uint32_t lm_try64(uint32_t fn): calls the 64-bit function fn (no
 * arguments) from compatibility mode; 0 if it returned, 1 if it faulted
 * into a handler that resumed here. */
	.code32
	.globl lm_try64
lm_try64:
	LM_CATCH_BEGIN
	movl 20(%esp), %esi
	lcall $LM_CS64, $lm_call64_tramp
	xorl %eax, %eax
	jmp 2f
1:	movl $1, %eax
2:	LM_CATCH_END
