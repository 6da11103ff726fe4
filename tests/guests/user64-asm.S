/* user64's 64-bit code: the kernel's SYSCALL entry and dispatcher, the
 * timer hook, and the ring-3 program, which lives in pages of its own
 * (.text.user, .bss.user) so that user64.c can map just those with U=1.
 * The IA-32e scaffolding (GDT, TSS, IDT stubs, lm_resume) is
 * lib/long64-asm.S. */
#include "long64.h"

#define COM1      0x3f8
#define UART_LSR  5
#define LSR_THRE  0x20
#define PIC1      0x20
#define OCW2_EOI  0x20

#define RF_IF     0x200

/* System call numbers (RAX) and error returns, Linux-style. */
#define SYS_WRITE 1		/* write(buf = RDI, len = RSI) to COM1 */
#define SYS_TICKS 2		/* timer ticks so far */
#define SYS_EXIT  3		/* exit(code = RDI): back to user64.c */
#define EFAULT    14
#define ENOSYS    38

#define NTICKS    50		/* the ring-3 loop runs until this many ticks */
#define NQWORDS   512		/* ubuf: one 4 KiB page */

/* RSP0 of the 64-bit TSS (SDM Vol. 3A, 8.7, Figure 8-11). */
#define TSS_RSP0  4

	.text
	.code64

/* [RDI, RDI + RSI) inside [lo, hi): jump to ok. Clobbers RAX. */
.macro INRANGE lo, hi, ok
	leaq \lo(%rip), %rax
	cmpq %rax, %rdi
	jb .Lno\@
	leaq \hi(%rip), %rax
	subq %rdi, %rax			/* room above buf; borrow if buf > hi */
	jb .Lno\@
	cmpq %rax, %rsi
	jbe \ok
.Lno\@:
.endm

/* LSTAR points here. SYSCALL saved RIP in RCX and RFLAGS in R11, cleared
 * the FMASK bits (IF among them) in RFLAGS, loaded CS = STAR[47:32] and
 * SS = STAR[47:32] + 8 and left RSP alone (SDM Vol. 2B, SYSCALL; Vol. 3A,
 * 5.8.8 "Fast System Calls in 64-Bit Mode"). With IF clear nothing can
 * come in until SYSRETQ, so the kernel stack can be the TSS's RSP0 stack
 * and the user RSP a global (one CPU). */
	.globl sys_entry
sys_entry:
	movq %rsp, k_user_rsp(%rip)
	movq lm_tss + TSS_RSP0(%rip), %rsp
	pushq %rcx
	pushq %r11
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %r8
	pushq %r9
	incq k_syscalls(%rip)
	/* The state SYSCALL promised: CPL 0 in the 64-bit kernel CS, the
	 * kernel SS, IF clear. */
	xorl %ecx, %ecx
	movw %cs, %cx
	cmpl $LM_CS64, %ecx
	jne 1f
	movw %ss, %cx
	cmpl $LM_SS64, %ecx
	jne 1f
	pushfq
	popq %rcx
	testl $RF_IF, %ecx
	jz 2f
1:	incq k_sys_bad(%rip)
2:	cmpq $SYS_WRITE, %rax
	je sys_write
	cmpq $SYS_TICKS, %rax
	je sys_ticks
	cmpq $SYS_EXIT, %rax
	je sys_exit
	movq $-ENOSYS, %rax
	jmp sys_ret

/* write: only from user memory (the kernel checks the pointer; without
 * SMAP it could read anything). '\n' goes out as "\r\n". */
sys_write:
	INRANGE ucode_start, ucode_end, 3f
	INRANGE udata_start, udata_end, 3f
	movq $-EFAULT, %rax
	jmp sys_ret
3:	movq %rsi, %r8
	testq %rsi, %rsi
	jz 5f
4:	movzbl (%rdi), %eax
	cmpb $'\n', %al
	jne 6f
	movb $'\r', %al
	call k_putc
	movb $'\n', %al
6:	call k_putc
	incq %rdi
	decq %rsi
	jnz 4b
5:	movq %r8, %rax
	jmp sys_ret

sys_ticks:
	movq k_ticks(%rip), %rax
	jmp sys_ret

/* exit: record the code and go back to the C code at CPL 0 (lm_resume
 * reloads SS, DS, ES and RSP and far-returns to lm_user_call). */
sys_exit:
	movq %rdi, k_exit_code(%rip)
	movl $1, k_exited(%rip)
	jmp lm_resume

/* SYSRETQ: RIP = RCX, RFLAGS = R11 (IF back on), CS = STAR[63:48] + 16,
 * SS = STAR[63:48] + 8, both with RPL 3 (SDM Vol. 2B, SYSRET). RAX holds
 * the result; every other register is as the user left it. */
sys_ret:
	popq %r9
	popq %r8
	popq %rdx
	popq %rsi
	popq %rdi
	popq %r11
	popq %rcx
	movq k_user_rsp(%rip), %rsp
	sysretq

/* AL to COM1 once the transmitter has room (not forever: see rt.c).
 * Clobbers RCX, RDX, R9. */
k_putc:
	movl %eax, %r9d
	movl $100000, %ecx
	movw $COM1 + UART_LSR, %dx
1:	inb %dx, %al
	testb $LSR_THRE, %al
	jnz 2f
	decl %ecx
	jnz 1b
2:	movl %r9d, %eax
	movw $COM1, %dx
	outb %al, %dx
	ret

/* lm_hook[0x20], called by lm_common (long64-asm.S) for IRQ 0 with RDI =
 * the vector slot: [RDI] vector, 8 error, 16 RIP, 24 CS, 32 RFLAGS,
 * 40 RSP, 48 SS; lm_common then IRETQs. May clobber RAX, RCX, RDX, RDI.
 * An interrupt from CPL 3 through a non-IST gate switches to RSP0 of the
 * 64-bit TSS and pushes SS, RSP, RFLAGS, CS, RIP there, RSP0 having been
 * 16-byte aligned (SDM Vol. 3A, 6.14.2 "64-Bit Mode Stack Frame", 6.14.4
 * "Stack Switching in IA-32e Mode"), so the saved RIP lies at RSP0 - 40. */
	.globl irq0_hook
irq0_hook:
	incq k_ticks(%rip)
	cmpq $LM_UCS64, 24(%rdi)
	jne 1f
	cmpq $LM_UDS, 48(%rdi)
	jne 1f
	leaq 16(%rdi), %rax
	movq lm_tss + TSS_RSP0(%rip), %rcx
	subq $40, %rcx
	cmpq %rcx, %rax
	jne 1f
	incq k_ticks_user(%rip)
	/* Interrupted inside the checksum loop? */
	movq 16(%rdi), %rax
	leaq u_ck_loop(%rip), %rcx
	cmpq %rcx, %rax
	jb 1f
	leaq u_ck_end(%rip), %rcx
	cmpq %rcx, %rax
	jae 1f
	incq k_ticks_loop(%rip)
	/* Non-specific EOI to the master 8259 (OCW2), or IRQ 0 stays in
	 * service and never comes again (8259A datasheet). */
1:	movb $OCW2_EOI, %al
	outb %al, $PIC1
	ret

/* ---- ring 3: its own pages, U=1 (user64.c maps them) ------------------ */

	.section .text.user, "ax", @progbits
	.p2align 12
	.globl ucode_start
ucode_start:

/* write(msg, msg_end - msg). */
.macro UWRITE msg
	leaq \msg(%rip), %rdi
	movl $(\msg\()_end - \msg), %esi
	movl $SYS_WRITE, %eax
	syscall
.endm

/* " yes\n" if ZF, else " no\n". */
.macro UYESNO
	jne .Lno\@
	UWRITE m_yes
	jmp .Ldone\@
.Lno\@:
	UWRITE m_no
.Ldone\@:
.endm

/* The ring-3 program, entered by IRETQ at CS 0x3b with IF=1. */
	.globl user_main
user_main:
	UWRITE m_hello
	/* Fill ubuf (a user data page) with xorshift64 numbers. */
	leaq ubuf(%rip), %rdi
	movabsq $0x2545f4914f6cdd1d, %rax
	movl $NQWORDS, %ecx
1:	movq %rax, %rdx
	shlq $13, %rdx
	xorq %rdx, %rax
	movq %rax, %rdx
	shrq $7, %rdx
	xorq %rdx, %rax
	movq %rax, %rdx
	shlq $17, %rdx
	xorq %rdx, %rax
	movq %rax, (%rdi)
	addq $8, %rdi
	decl %ecx
	jnz 1b
	/* Checksum it over and over while the timer interrupts us, until
	 * get_ticks says NTICKS. Every pass must get the same result: the
	 * interrupts must not disturb a register or a flag. RBX = passes,
	 * RBP = passes that disagreed with the first, R15 = first result. */
	xorl %ebx, %ebx
	xorl %ebp, %ebp
2:	call u_checksum
	testq %rbx, %rbx
	jnz 3f
	movq %rax, %r15
3:	cmpq %rax, %r15
	je 4f
	incq %rbp
4:	incq %rbx
	movl $SYS_TICKS, %eax
	syscall
	cmpq $NTICKS, %rax
	jb 2b
	movq %rax, %r14
	movq %r15, u_sum(%rip)
	movq %rbx, u_passes(%rip)
	movq %rbp, u_bad(%rip)

	/* "ring 3: checksum <16 hex digits>" */
	UWRITE m_sum
	leaq uline(%rip), %rdi
	leaq hexdigits(%rip), %rsi
	movq %r15, %rax
	movl $16, %ecx
5:	rolq $4, %rax
	movl %eax, %edx
	andl $15, %edx
	movb (%rsi,%rdx), %dl
	movb %dl, (%rdi)
	incq %rdi
	decl %ecx
	jnz 5b
	movb $'\n', (%rdi)
	leaq uline(%rip), %rdi
	movl $17, %esi
	movl $SYS_WRITE, %eax
	syscall

	UWRITE m_agree
	testq %rbp, %rbp
	UYESNO
	UWRITE m_ticks
	xorl %eax, %eax
	cmpq $NTICKS - 1, %r14
	seta %al
	cmpl $1, %eax
	UYESNO

	/* write() of a kernel address: the kernel refuses it. */
	UWRITE m_efault
	leaq k_secret(%rip), %rdi
	movl $8, %esi
	movl $SYS_WRITE, %eax
	syscall
	cmpq $-EFAULT, %rax
	UYESNO
	UWRITE m_enosys
	movl $99, %eax
	syscall
	cmpq $-ENOSYS, %rax
	UYESNO

	/* exit(number of disagreeing passes). */
	movq %rbp, %rdi
	movl $SYS_EXIT, %eax
	syscall
	ud2

/* RAX = checksum of ubuf: a ones'-complement sum (ADC: the carry flag must
 * survive an interrupt between ADD and ADC), a Fletcher-style sum of sums
 * and FNV-1a over the qwords, XORed. Clobbers RCX, RSI, R8-R10, R12. */
u_checksum:
	leaq ubuf(%rip), %rsi
	movl $NQWORDS, %ecx
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	movabsq $0xcbf29ce484222325, %r10
	movabsq $0x100000001b3, %r12
	.globl u_ck_loop
u_ck_loop:
	movq (%rsi), %rax
	addq %rax, %r8
	adcq $0, %r8
	addq %r8, %r9
	xorq %rax, %r10
	imulq %r12, %r10
	addq $8, %rsi
	decl %ecx
	jnz u_ck_loop
	.globl u_ck_end
u_ck_end:
	movq %r8, %rax
	xorq %r9, %rax
	xorq %r10, %rax
	ret

/* Probes that must fault, entered with IF=0 (user64.c): a user read and
 * a user write of a supervisor page (#PF), and an OUT with CPL > IOPL and
 * no I/O bitmap (#GP(0)). */
	.globl u_peek, u_peek_insn, u_poke, u_poke_insn, u_out, u_out_insn
u_peek:
	movq $0x1111, %rax
u_peek_insn:
	movq k_secret(%rip), %rax
	ud2
u_poke:
	movq $0x2222, %rax
u_poke_insn:
	movq %rax, k_secret(%rip)
	ud2
u_out:
	movb $'!', %al
	movw $COM1, %dx
u_out_insn:
	outb %al, %dx
	ud2

/* Read-only data for ring 3, in its code pages. */
.macro MSG name, text
\name: .ascii "\text"
\name\()_end:
.endm
	MSG m_hello, "ring 3: hello through the write syscall\n"
	MSG m_sum, "ring 3: checksum "
	MSG m_agree, "ring 3: every pass got the same checksum:"
	MSG m_ticks, "ring 3: get_ticks reached 50:"
	MSG m_efault, "ring 3: write from a kernel address refused with -EFAULT:"
	MSG m_enosys, "ring 3: unknown system call refused with -ENOSYS:"
	MSG m_yes, " yes\n"
	MSG m_no, " no\n"
hexdigits: .ascii "0123456789abcdef"
	.p2align 12
	.globl ucode_end
ucode_end:

	.section .bss.user, "aw", @nobits
	.p2align 12
	.globl udata_start, ubuf, u_sum, u_passes, u_bad, ustack_top
udata_start:
ubuf:	.skip NQWORDS * 8
u_sum:	.skip 8
u_passes: .skip 8
u_bad:	.skip 8
uline:	.skip 24
	.p2align 12
	.skip 8192
ustack_top:
	.globl udata_end
udata_end:

/* ---- kernel data: supervisor pages ---------------------------------------- */
	.data
	.p2align 3
	.globl k_secret
k_secret: .quad 0x5ec2e7
	.bss
	.p2align 3
	.globl k_ticks, k_ticks_user, k_ticks_loop, k_syscalls, k_sys_bad
	.globl k_exit_code, k_exited
k_user_rsp:   .skip 8
k_ticks:      .skip 8
k_ticks_user: .skip 8
k_ticks_loop: .skip 8
k_syscalls:   .skip 8
k_sys_bad:    .skip 8
k_exit_code:  .skip 8
k_exited:     .skip 8
