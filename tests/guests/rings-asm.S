/* Privilege levels in 32-bit protected mode: a TSS with SS0:ESP0 and an
 * I/O permission bitmap, ring-3 segments, IRET to ring 3, and the ways
 * back to ring 0 (see rings.c for what is checked). This guest has its
 * own GDT and IDT: rt.c's handlers return with POPF+RET, which cannot
 * go back to an outer privilege level. */

#define K_CS   0x08
#define K_DS   0x10
#define U_CS   0x1b		/* 0x18 | RPL 3 */
#define U_DS   0x23		/* 0x20 | RPL 3 */
#define TSS_SEL 0x28

#define TSS_SIZE 104
#define IOMAP_BYTES 8192	/* 65536 ports, one bit each */
#define COM1 0x3f8

/* Offsets in struct rings_log (rings.c). */
#define L_H80_ESP     0
#define L_H80_CS      4
#define L_H80_EIP     8
#define L_H80_UCS     12
#define L_H80_EFLAGS  16
#define L_H80_UESP    20
#define L_H80_USS     24
#define L_U_ESP       28
#define L_U_EAX       32
#define L_NGP         36
#define L_EXIT_EFLAGS 40
#define L_EXIT_ESP    44
#define L_EXIT_CS     48
#define L_U_FS        52
#define L_U_GS        56
#define L_U_FLAGS     60
#define L_IRQ_CS      192	/* IRQ 0 taken in ring 3 */
#define L_IRQ_SS      196
#define L_IRQ_UESP    200
#define L_IRQ_ESP     204
#define L_IRQ_SEEN    208
#define L_SE_CS       212	/* at the SYSENTER entry point */
#define L_SE_SS       216
#define L_SE_ESP      220
#define L_SE_EFLAGS   224
#define L_SX_CS       228	/* after SYSEXIT */
#define L_SX_SS       232
#define L_SX_ESP      236
#define L_SX_EAX      240
#define L_GP          64	/* 16 x (error, eip) */
#define L_NGP_MAX     16

	.text
	.code32
/* void rings_run(void): set up GDT, TSS, IDT; run user_main at CPL 3; it
 * comes back through INT 0x82. */
	.globl rings_run
rings_run:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	pushfl
	movl %esp, k_saved_esp
	sidt k_saved_idt

	/* TSS (SDM Vol. 3A, 8.2.1, Figure 8-2): SS0:ESP0 at 8/4, the I/O map
	 * base at 102. The base is patched into the descriptor. */
	movl $tss, %edi
	movl $(TSS_SIZE / 4), %ecx
	xorl %eax, %eax
	rep stosl
	movl $kstack_top, tss + 4
	movl $K_DS, tss + 8
	movw $TSS_SIZE, tss + 102
	/* I/O permission bitmap (SDM Vol. 1, 19.5.2): a clear bit allows the
	 * port. All denied but COM1's data port; a final 0xff byte. */
	movl $(tss + TSS_SIZE), %edi
	movl $(IOMAP_BYTES + 1), %ecx
	movb $0xff, %al
	rep stosb
	andb $~(1 << (COM1 & 7)), tss + TSS_SIZE + (COM1 >> 3)
	andb $~(1 << (0x21 & 7)), tss + TSS_SIZE + (0x21 >> 3)	/* 8259 mask */
	movl $tss, %eax
	movw %ax, gdt3 + TSS_SEL + 2
	shrl $16, %eax
	movb %al, gdt3 + TSS_SEL + 4
	movb %ah, gdt3 + TSS_SEL + 7
	lgdt gdt3_desc
	ljmp $K_CS, $1f
1:	movw $K_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movw $TSS_SEL, %ax
	ltr %ax

	/* IDT: #GP (interrupt gate, DPL 0), 0x80 (trap gate, DPL 3),
	 * 0x81 (interrupt gate, DPL 0), 0x82 (interrupt gate, DPL 3). */
	movl $h_gp, %eax
	movl $13, %ecx
	movl $0x8e00, %edx
	call set_gate
	movl $h_80, %eax
	movl $0x80, %ecx
	movl $0xef00, %edx
	call set_gate
	movl $h_gp, %eax		/* never reached: INT 0x81 must #GP */
	movl $0x81, %ecx
	movl $0x8e00, %edx
	call set_gate
	movl $h_82, %eax
	movl $0x82, %ecx
	movl $0xee00, %edx
	call set_gate
	movl $h_irq0, %eax		/* IRQ 0 (8259 remapped to 0x20) */
	movl $0x20, %ecx
	movl $0x8e00, %edx
	call set_gate
	movl $h_gp, %eax		/* #BP, #OF: DPL 0, so INT3/INTO #GP */
	movl $3, %ecx
	movl $0x8e00, %edx
	call set_gate
	movl $h_gp, %eax
	movl $4, %ecx
	movl $0x8e00, %edx
	call set_gate
	lidt idt3_desc

	/* SYSENTER: CS = SYSENTER_CS, SS = SYSENTER_CS + 8, ESP and EIP from
	 * their MSRs; SYSEXIT: CS = SYSENTER_CS + 16 | 3, SS = + 24 | 3
	 * (SDM Vol. 2B, SYSENTER, SYSEXIT). This GDT has them in that order. */
	movl $0x174, %ecx		/* IA32_SYSENTER_CS */
	movl $K_CS, %eax
	xorl %edx, %edx
	wrmsr
	movl $0x175, %ecx		/* IA32_SYSENTER_ESP */
	movl $sestack_top, %eax
	wrmsr
	movl $0x176, %ecx		/* IA32_SYSENTER_EIP */
	movl $h_sysenter, %eax
	wrmsr

	/* IRET to CPL 3 pops EIP, CS, EFLAGS, ESP, SS (SDM Vol. 2A, IRET:
	 * RETURN-TO-OUTER-PRIVILEGE-LEVEL). DS/ES get DPL-3 selectors
	 * first, or IRET would null them. EFLAGS: IF=1, IOPL=0. */
	movw $U_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %gs
	/* FS keeps the DPL-0 data selector: IRET must null it (SDM Vol. 2A,
	 * IRET: a data segment register whose DPL is below the new CPL is
	 * loaded with a null selector). */
	movw $K_DS, %ax
	movw %ax, %fs
	pushl $U_DS
	pushl $ustack_top
	pushl $0x202
	pushl $U_CS
	pushl $user_main
	iret

/* Back from ring 3 (h_82): restore everything. */
rings_back:
	movw $K_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl k_saved_esp, %esp
	lidt k_saved_idt
	popfl
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

/* EAX = handler, ECX = vector, EDX = type/DPL word (P|DPL|type << 8). */
set_gate:
	movw %ax, idt3(,%ecx,8)
	movw $K_CS, idt3 + 2(,%ecx,8)
	movw %dx, idt3 + 4(,%ecx,8)
	shrl $16, %eax
	movw %ax, idt3 + 6(,%ecx,8)
	ret

/* INT 0x80 from ring 3 through a DPL-3 trap gate. The CPU switched to
 * SS0:ESP0 from the TSS and pushed SS, ESP, EFLAGS, CS, EIP there (SDM
 * Vol. 3A, 6.12.1, Figure 6-4); a trap gate leaves IF alone (6.12.1.3). */
h_80:
	pushl %eax
	pushl %ebx
	movw $K_DS, %ax
	movw %ax, %ds
	leal 8(%esp), %ebx		/* ESP right after the CPU's pushes */
	movl %ebx, rlog + L_H80_ESP
	movw %cs, %ax
	movzwl %ax, %eax
	movl %eax, rlog + L_H80_CS
	movl 0(%ebx), %eax
	movl %eax, rlog + L_H80_EIP
	movl 4(%ebx), %eax
	movl %eax, rlog + L_H80_UCS
	pushfl				/* EFLAGS inside the handler */
	popl %eax
	movl %eax, rlog + L_H80_EFLAGS
	movl 12(%ebx), %eax
	movl %eax, rlog + L_H80_UESP
	movl 16(%ebx), %eax
	movl %eax, rlog + L_H80_USS
	movw $U_DS, %ax
	movw %ax, %ds
	popl %ebx
	popl %eax
	addl $1, %eax			/* the "system call" result */
	iret

/* #GP: log (error code, EIP), then resume ring 3 after the faulting
 * instruction, found in gp_table (pairs of fault/next addresses). */
h_gp:
	pushl %eax
	pushl %ebx
	pushl %ecx
	movw $K_DS, %ax
	movw %ax, %ds
	movl rlog + L_NGP, %ecx
	cmpl $L_NGP_MAX, %ecx
	jae 3f
	movl 12(%esp), %eax		/* error code */
	movl %eax, rlog + L_GP(,%ecx,8)
	movl 16(%esp), %eax		/* EIP */
	movl %eax, rlog + L_GP + 4(,%ecx,8)
	incl rlog + L_NGP
	movl $gp_table, %ebx
1:	cmpl $gp_table_end, %ebx
	jae 3f
	cmpl (%ebx), %eax
	je 2f
	addl $8, %ebx
	jmp 1b
2:	movl 4(%ebx), %eax
	movl %eax, 16(%esp)
	movw $U_DS, %ax
	movw %ax, %ds
	popl %ecx
	popl %ebx
	popl %eax
	addl $4, %esp			/* error code */
	iret
3:	/* Unknown fault address: give up on ring 3. */
	jmp rings_back

/* IRQ 0 from the PIT while ring 3 spins: the same stack switch as for
 * INT n (SDM Vol. 3A, 6.12.1); mask the line again, EOI, IRET. */
h_irq0:
	pushl %eax
	movw $K_DS, %ax
	movw %ax, %ds
	movl 8(%esp), %eax
	movl %eax, rlog + L_IRQ_CS
	movl 20(%esp), %eax		/* [eax] eip cs eflags esp ss */
	movl %eax, rlog + L_IRQ_SS
	movl 16(%esp), %eax
	movl %eax, rlog + L_IRQ_UESP
	leal 4(%esp), %eax
	movl %eax, rlog + L_IRQ_ESP
	incl rlog + L_IRQ_SEEN
	movb $0xff, %al
	outb %al, $0x21
	movb $0x20, %al
	outb %al, $0x20
	movw $U_DS, %ax
	movw %ax, %ds
	popl %eax
	iret

/* SYSENTER lands here at CPL 0 with IF cleared; EDX = return EIP and
 * ECX = user ESP by the convention of this guest; SYSEXIT goes back. */
h_sysenter:
	pushl %eax
	movw $K_DS, %ax
	movw %ax, %ds
	movw %cs, %ax
	movzwl %ax, %eax
	movl %eax, rlog + L_SE_CS
	movw %ss, %ax
	movzwl %ax, %eax
	movl %eax, rlog + L_SE_SS
	leal 4(%esp), %eax
	movl %eax, rlog + L_SE_ESP
	pushfl
	popl %eax
	movl %eax, rlog + L_SE_EFLAGS
	movw $U_DS, %ax
	movw %ax, %ds
	popl %eax
	addl $0x100, %eax
	sysexit

/* INT 0x82 (interrupt gate, DPL 3): ring 3 is done. */
h_82:
	movw $K_DS, %ax
	movw %ax, %ds
	pushfl
	popl %eax
	movl %eax, rlog + L_EXIT_EFLAGS
	movl %esp, rlog + L_EXIT_ESP
	movl 4(%esp), %eax
	movl %eax, rlog + L_EXIT_CS
	jmp rings_back

/* ---- ring 3 -------------------------------------------------------- */
.macro GP_EXPECT insn:vararg
98:	\insn
99:
	.pushsection .rodata.gptab, "a"
	.long 98b, 99b
	.popsection
.endm

	.pushsection .rodata.gptab, "a"
	.p2align 2
gp_table:
	.popsection

	.globl user_main
user_main:
	movl %esp, rlog + L_U_ESP
	movw %fs, %ax
	movzwl %ax, %eax
	movl %eax, rlog + L_U_FS
	movw %gs, %ax
	movzwl %ax, %eax
	movl %eax, rlog + L_U_GS
	/* POPF at CPL 3 with IOPL 0 leaves IF and IOPL alone, silently
	 * (SDM Vol. 2B, POPF: no #GP in protected mode). */
	pushfl
	popl %eax
	andl $~0x200, %eax
	orl $0x3000, %eax
	pushl %eax
	popfl
	pushfl
	popl rlog + L_U_FLAGS
	movl $0x1234, %eax
	int $0x80
	.globl u_int80_ret
u_int80_ret:
	movl %eax, rlog + L_U_EAX
	/* At CPL 3 with IOPL 0 each of these raises #GP(0). */
	GP_EXPECT hlt
	GP_EXPECT cli
	GP_EXPECT movl %eax, %cr3
	GP_EXPECT lgdt gdt3_desc
	GP_EXPECT lidt idt3_desc
	GP_EXPECT movl %cr0, %eax
	GP_EXPECT clts
	GP_EXPECT wbinvd
	GP_EXPECT rdmsr
	GP_EXPECT inb $0x80, %al
	/* The bitmap allows 0x3f8 only: a byte there works, the next port
	 * and a word access covering both do not (SDM Vol. 1, 19.5.2). */
	movw $COM1, %dx
	movb $'U', %al
	outb %al, %dx
	movb $'\r', %al
	outb %al, %dx
	movb $'\n', %al
	outb %al, %dx
	incw %dx
	GP_EXPECT outb %al, %dx
	decw %dx
	GP_EXPECT outw %ax, %dx
	/* INT n through a DPL-0 gate from CPL 3: #GP with the IDT vector as
	 * error code: vector * 8 + 2 (IDT bit) (SDM Vol. 3A, 6.13). */
	GP_EXPECT int $0x81
	/* INT3 and INTO check the gate DPL like INT n (SDM Vol. 2A, INT n/
	 * INTO/INT3/INT1): #GP(3 * 8 + 2), #GP(4 * 8 + 2). */
	GP_EXPECT int3
	movl $0x7fffffff, %eax
	addl $1, %eax			/* OF=1 */
	GP_EXPECT into
	/* Unmask IRQ 0 (port 0x21 is allowed by the bitmap) and spin with
	 * IF=1 until the timer interrupt has come and gone. */
	movb $0xfe, %al
	outb %al, $0x21
	movl $100000000, %ecx
1:	cmpl $0, rlog + L_IRQ_SEEN
	jne 2f
	decl %ecx
	jnz 1b
2:	movl $0x55, %eax
	movl %esp, %ecx
	movl $3f, %edx
	sysenter
3:	movl %eax, rlog + L_SX_EAX
	movw %cs, %ax
	movzwl %ax, %eax
	movl %eax, rlog + L_SX_CS
	movw %ss, %ax
	movzwl %ax, %eax
	movl %eax, rlog + L_SX_SS
	movl %esp, rlog + L_SX_ESP
	int $0x82
	ud2

	.section .rodata.gptab, "a"
gp_table_end:

	.data
	.p2align 3
gdt3:
	.quad 0				/* null */
	.quad 0x00cf9a000000ffff	/* 0x08: code, 32-bit, DPL 0 */
	.quad 0x00cf92000000ffff	/* 0x10: data, DPL 0 */
	.quad 0x00cffa000000ffff	/* 0x18: code, 32-bit, DPL 3 */
	.quad 0x00cff2000000ffff	/* 0x20: data, DPL 3 */
	/* 0x28: 32-bit TSS, available (type 9), limit covers the bitmap
	 * and its 0xff terminator (base patched at run time). */
	.word TSS_SIZE + IOMAP_BYTES
	.word 0
	.byte 0, 0x89, 0, 0
gdt3_end:
gdt3_desc:
	.word gdt3_end - gdt3 - 1
	.long gdt3
idt3_desc:
	.word 256 * 8 - 1
	.long idt3

	.bss
	.p2align 4
	.globl rlog
idt3:	.skip 256 * 8
tss:	.skip TSS_SIZE + IOMAP_BYTES + 1
	.p2align 4
kstack:	.skip 4096
kstack_top:
ustack:	.skip 4096
ustack_top:
sestack: .skip 1024
sestack_top:
rlog:	.skip 256
k_saved_esp: .skip 4
k_saved_idt: .skip 8
	.globl kstack_top_sym, ustack_top_sym, sestack_top_sym
	.set sestack_top_sym, sestack_top
	.set kstack_top_sym, kstack_top
	.set ustack_top_sym, ustack_top
