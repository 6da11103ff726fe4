/* syscall64's 64-bit code; the IA-32e scaffolding is lib/long64-asm.S. */
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

/* Per-CPU area that KERNEL_GS_BASE points at (syscall64.c fills it):
 * 0: kernel stack top, 8: saved user RSP, 16: magic. */
#define PC_KSTACK 0
#define PC_USP    8
#define PC_MAGIC  16

/* What the first SYSCALL saw, for syscall64.c (struct sc_seen). */
#define S_RCX     0
#define S_R11     8
#define S_RFLAGS  16
#define S_CS      24
#define S_SS      32
#define S_RSP     40
#define S_GSMAGIC 48
#define S_GSBASE  56
#define S_KGSBASE 64
#define S_COUNT   72

	.text
	.code64
	.globl syscall_entry
/* LSTAR points here. SYSCALL saved RIP in RCX and RFLAGS in R11, masked
 * RFLAGS with FMASK, and loaded CS/SS from STAR[47:32] without touching
 * RSP (SDM Vol. 2B, SYSCALL), so the kernel stack comes from the per-CPU
 * area that SWAPGS makes reachable (SDM Vol. 2B, SWAPGS). */
syscall_entry:
	swapgs
	movq %rsp, %gs:PC_USP
	movq %gs:PC_KSTACK, %rsp
	pushq %rcx
	pushq %r11
	pushq %rdx
	pushq %rax
	leaq sc_seen(%rip), %rdx
	incq S_COUNT(%rdx)
	cmpq $1, S_COUNT(%rdx)
	jne 1f
	/* First call: record the architectural state at entry. */
	movq %rcx, S_RCX(%rdx)
	movq %r11, S_R11(%rdx)
	pushfq
	popq %rax
	movq %rax, S_RFLAGS(%rdx)
	movw %cs, %ax
	movzwq %ax, %rax
	movq %rax, S_CS(%rdx)
	movw %ss, %ax
	movzwq %ax, %rax
	movq %rax, S_SS(%rdx)
	movq %gs:PC_USP, %rax
	movq %rax, S_RSP(%rdx)
	movq %gs:PC_MAGIC, %rax
	movq %rax, S_GSMAGIC(%rdx)
	movq %rdx, %r11
	movl $MSR_GS_BASE, %ecx
	rdmsr
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, S_GSBASE(%r11)
	movl $MSR_KERNEL_GS_BASE, %ecx
	rdmsr
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, S_KGSBASE(%r11)
1:	popq %rax
	popq %rdx
	popq %r11
	popq %rcx
	/* System call number in RAX, arguments in RDI, RSI, RDX, R10, R8, R9. */
	cmpq $1, %rax
	je sys_add
	cmpq $2, %rax
	je sys_sum6
	cmpq $3, %rax
	je sys_count
	/* Anything else: exit to syscall64.c at CPL 0. */
	swapgs
	jmp lm_resume
sys_add:
	movq %rdi, %rax
	addq %rsi, %rax
	jmp sys_ret
sys_sum6:
	movq %rdi, %rax
	addq %rsi, %rax
	addq %rdx, %rax
	addq %r10, %rax
	addq %r8, %rax
	addq %r9, %rax
	jmp sys_ret
sys_count:
	leaq sc_calls(%rip), %rax
	incq (%rax)
	movq (%rax), %rax
sys_ret:
	movq %gs:PC_USP, %rsp
	swapgs
	/* SYSRETQ: RIP from RCX, RFLAGS from R11, CS = STAR[63:48] + 16,
	 * SS = STAR[63:48] + 8, both with RPL 3 (SDM Vol. 2B, SYSRET). */
	sysretq

/* The ring-3 program (64-bit, CS = LM_UCS64), entered with IRETQ and
 * RFLAGS = IF|bit 1. Results go to struct user_seen (u_*). */
#define U_FS      0
#define U_GS      8
#define U_ADD     16
#define U_RCXOK   24
#define U_R11     32
#define U_FLAGS   40
#define U_CS      48
#define U_SS      56
#define U_SUM6    64
#define U_COUNT   72
#define U_R12     80
#define U_RSPOK   88
	.globl user64
user64:
	leaq user_seen(%rip), %rbx
	/* FS_BASE and GS_BASE (set with WRMSR at CPL 0) are the bases of
	 * %fs- and %gs-relative accesses in 64-bit mode (SDM Vol. 3A,
	 * 3.4.4 "Segment Loading Instructions in IA-32e Mode"). */
	movq %fs:0, %rax
	movq %rax, U_FS(%rbx)
	movq %gs:16, %rax
	movq %rax, U_GS(%rbx)
	movq %rsp, %r15
	/* Known flags at the SYSCALL: ZF|PF from the XOR, DF from STD,
	 * IF from the IRETQ that got us here. */
	xorl %eax, %eax
	std
	movl $1, %eax
	movabsq $0x1111111122222222, %rdi
	movabsq $0x3333333344444444, %rsi
	movabsq $0x5a5a5a5a5a5a5a5a, %r12	/* callee state kept */
	syscall
user_ret1:
	pushfq
	popq %rdx
	movq %rdx, U_FLAGS(%rbx)
	cld
	movq %rax, U_ADD(%rbx)
	leaq user_ret1(%rip), %rax
	cmpq %rax, %rcx
	sete %al
	movzbq %al, %rax
	movq %rax, U_RCXOK(%rbx)
	movq %r11, U_R11(%rbx)
	movq %r12, U_R12(%rbx)
	cmpq %rsp, %r15
	sete %al
	movzbq %al, %rax
	movq %rax, U_RSPOK(%rbx)
	movw %cs, %ax
	movzwq %ax, %rax
	movq %rax, U_CS(%rbx)
	movw %ss, %ax
	movzwq %ax, %rax
	movq %rax, U_SS(%rbx)
	/* Six arguments. */
	movl $2, %eax
	movl $1, %edi
	movl $2, %esi
	movl $4, %edx
	movl $8, %r10d
	movl $16, %r8d
	movl $32, %r9d
	syscall
	movq %rax, U_SUM6(%rbx)
	/* A hundred round trips. */
	movl $100, %r13d
2:	movl $3, %eax
	syscall
	decl %r13d
	jnz 2b
	movq %rax, U_COUNT(%rbx)
	/* Exit. */
	movl $60, %eax
	syscall
	ud2

/* SYSCALL at CPL 0 in 64-bit mode, for the EFER.SCE=0 check. */
	.globl k_syscall
k_syscall:
	syscall
	ret

	.bss
	.p2align 3
	.globl sc_seen, sc_calls, user_seen
sc_seen:   .skip 80
sc_calls:  .skip 8
user_seen: .skip 96
