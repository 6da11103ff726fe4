/* IA-32e mode scaffolding (long64-asm.S, long64.c) shared by the 64-bit
 * guests (gates64, ist64, paging64, syscall64), for assembly and C. The
 * guest's C code keeps running as 32-bit code in compatibility mode (SDM
 * Vol. 3A, 2.2 "Modes of Operation"), so it can use rt.c's printf; every
 * exception and interrupt goes through a 64-bit IDT to 64-bit handlers
 * (6.14 "Exception and Interrupt Handling in 64-bit Mode").
 *
 * A handler records what it saw in lm_last (and lm_log) and then either
 *  - resumes the C code at lm_resume_eip with ESP = lm_resume_esp at CPL 0
 *    (mode LM_RESUME, the default), with POPFQ + a 64-bit far RET: this
 *    abandons whatever context faulted, ring 3 included; or
 *  - returns to the interrupted context with IRETQ (mode LM_IRET). */
#ifndef GUEST_LONG64_H
#define GUEST_LONG64_H

/* The long-mode GDT. SYSCALL/SYSRET (used by syscall64) need kernel CS,
 * kernel SS = CS + 8, and user CS32, user SS = CS32 + 8, user CS64 =
 * CS32 + 16 in that order (SDM Vol. 2B, SYSCALL and SYSRET). */
#define LM_CS32   0x08		/* ring 0, 32-bit: compatibility mode */
#define LM_DS     0x10
#define LM_CS64   0x18		/* ring 0, 64-bit */
#define LM_SS64   0x20		/* ring 0 data, SYSCALL's SS */
#define LM_UCS32  0x2b		/* ring 3, 32-bit */
#define LM_UDS    0x33		/* ring 3 data */
#define LM_UCS64  0x3b		/* ring 3, 64-bit */
#define LM_TSS    0x40

#define LM_RESUME 0
#define LM_IRET   1

/* Offsets in struct lm_fault (checked against the C side below). */
#define F_VEC    0
#define F_ERR    8
#define F_RIP    16
#define F_CS     24
#define F_RFLAGS 32
#define F_RSP    40
#define F_SS     48
#define F_CR2    56
#define F_FRAME  64		/* address of the saved RIP: where the frame lies */
#define F_RCX    72		/* interrupted RCX, RSI, RDI (string instructions) */
#define F_RSI    80
#define F_RDI    88
#define F_SIZE   96

#ifdef __ASSEMBLER__

/* Not visible to C: syscall64.c and paging64.c name their own EFER bits. */
#define MSR_EFER  0xc0000080
#define EFER_LME  (1 << 8)
#define CR0_PG    (1 << 31)
#define CR4_PAE   (1 << 5)

/* CR3 = cr3, CR4.PAE, EFER.LME (| efer_or), CR0.PG: IA-32e mode (SDM Vol.
 * 3A, 10.8.5 "Initializing IA-32e Mode"), still compatibility mode until
 * CS is a 64-bit segment. 32-bit code; clobbers EAX, ECX, EDX. Shared with
 * the longmode guest, which has its own GDT and goes on to 64-bit code. */
.macro LM_PAGING_ON cr3:req, efer_or
	movl \cr3, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	.ifnb \efer_or
	orl \efer_or, %eax
	.endif
	wrmsr
	movl %cr0, %eax
	orl $CR0_PG, %eax
	movl %eax, %cr0
.endm

#else

#include <stddef.h>
#include <stdint.h>

struct lm_fault {
	uint64_t vec, err, rip, cs, rflags, rsp, ss, cr2;
	uint64_t frame;		/* where the CPU put the saved RIP */
	uint64_t rcx, rsi, rdi;	/* at the time of the event */
};
_Static_assert(offsetof(struct lm_fault, rdi) == F_RDI && sizeof(struct lm_fault) == F_SIZE,
	       "struct lm_fault must match the F_* offsets long64-asm.S writes");

extern volatile struct lm_fault lm_last;
extern volatile struct lm_fault lm_log[16];   /* event n at lm_log[n % 16] */
extern uint64_t lm_hook[256];   /* optional 64-bit hook per vector */
extern volatile uint32_t lm_count;
extern volatile uint32_t lm_resume_eip, lm_resume_esp;
extern uint8_t lm_tss[104];
void lm_enter(uint32_t pml4, uint32_t efer_extra);
void lm_set_gate(unsigned vec, unsigned dpl, unsigned ist, unsigned type);
void lm_gate_present(unsigned vec, unsigned present);
void lm_set_mode(unsigned vec, unsigned mode);
uint32_t lm_call64(uint32_t fn, uint32_t arg);
uint32_t lm_try64(uint32_t fn);
/* how: 0 = IRETQ, 1 = far RET, 2 = SYSRET; rflags for the user code. */
void lm_user_call(uint32_t rip, uint32_t rsp, uint32_t cs, uint32_t how, uint32_t rflags);

/* lm_enter with 4-level tables that map the first GiB 1:1 with 2 MiB
 * user, writable pages (long64.c): enough for guests that test something
 * other than paging. */
void lm_enter_flat(uint32_t efer_extra);

/* One past the last byte of a stack array: its initial RSP. */
#define TOP(s) ((uint32_t)(s) + sizeof(s))

#endif /* __ASSEMBLER__ */
#endif
