/* Internal state and contracts of the software x86-64 CPU.
 *
 * Files and owners of each piece (one job per file):
 *   decode.c   bytes -> struct x86_insn (prefixes, REX, ModRM/SIB, imm)
 *   optab.c    the handler table, filled by each x86_register_*() below
 *   run.c      x86emu_run(): the decode cache, dispatch loop, events
 *   flags.c    lazy flags
 *   operand.c  register/ModRM operand access, effective addresses
 *   alu.c shift.c muldiv.c bit.c string.c ctrl.c stack.c misc.c  integer ISA
 *   mmu.c      linear->physical, soft TLB, memory access with fault checks
 *   seg.c      segment loads, descriptor checks, far control transfer
 *   intr.c     exceptions and interrupt delivery in every mode
 *   sys.c      privileged and system instructions
 *   msr.c cpuid.c
 *   x87.c sse.c fxsave.c
 */
#ifndef RINGVM_CPU_X86_CPU_H
#define RINGVM_CPU_X86_CPU_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "ringvm/x86emu.h"

/* General registers in encoding order (SDM Vol. 2A 2.1.5, Table 2-2). */
enum {
	R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI,
	R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
};

/* Segment registers in encoding order (sreg field of ModRM). */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_LDTR, S_TR, S_NR };

/* RFLAGS bits (SDM Vol. 1 3.4.3). */
#define F_CF   (1u << 0)
#define F_PF   (1u << 2)
#define F_AF   (1u << 4)
#define F_ZF   (1u << 6)
#define F_SF   (1u << 7)
#define F_TF   (1u << 8)
#define F_IF   (1u << 9)
#define F_DF   (1u << 10)
#define F_OF   (1u << 11)
#define F_IOPL (3u << 12)
#define F_NT   (1u << 14)
#define F_RF   (1u << 16)
#define F_VM   (1u << 17)
#define F_AC   (1u << 18)
#define F_VIF  (1u << 19)
#define F_VIP  (1u << 20)
#define F_ID   (1u << 21)
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* Exception vectors (SDM Vol. 3A 6.3.1). */
enum {
	X86_DE = 0, X86_DB = 1, X86_NMI = 2, X86_BP = 3, X86_OF = 4, X86_BR = 5,
	X86_UD = 6, X86_NM = 7, X86_DF = 8, X86_TS = 10, X86_NP = 11, X86_SS = 12,
	X86_GP = 13, X86_PF = 14, X86_MF = 16, X86_AC = 17, X86_MC = 18, X86_XM = 19,
};
#define X86_NOERR 0xffffffffu

/* A cached segment register. attr holds the descriptor's access bits in the
 * VMX "access rights" layout: type[3:0] S[4] DPL[6:5] P[7] AVL[12] L[13]
 * D/B[14] G[15], and bit 16 = unusable (null selector loaded). */
struct x86_seg {
	uint64_t base;
	uint32_t limit;   /* byte granular */
	uint16_t sel;
	uint32_t attr;
};
#define SEG_TYPE(s) ((s)->attr & 0xf)
#define SEG_S(s)    (((s)->attr >> 4) & 1)
#define SEG_DPL(s)  (((s)->attr >> 5) & 3)
#define SEG_P(s)    (((s)->attr >> 7) & 1)
#define SEG_L(s)    (((s)->attr >> 13) & 1)
#define SEG_DB(s)   (((s)->attr >> 14) & 1)
#define SEG_G(s)    (((s)->attr >> 15) & 1)
#define SEG_UNUSABLE (1u << 16)

enum x86_mode {
	MODE_REAL,    /* CR0.PE=0 */
	MODE_V86,     /* EFLAGS.VM=1 */
	MODE_PROT,    /* protected, legacy (16 or 32-bit code per CS.D) */
	MODE_COMPAT,  /* long mode, CS.L=0 */
	MODE_LONG,    /* 64-bit mode */
};

struct x86_cpu;
struct x86_insn;
typedef void (*x86_handler)(struct x86_cpu *c, const struct x86_insn *i);

/* One decoded instruction: a fixed-size record so hot code is decoded once
 * (EMU-NOTES "decode once into fixed-size records"). */
struct x86_insn {
	x86_handler fn;
	uint64_t imm;       /* immediate, sign- or zero-extended as the opcode says */
	int64_t disp;       /* displacement, sign-extended */
	uint16_t imm2;      /* second immediate: ENTER's level, far pointer's selector */
	uint8_t len;        /* total length in bytes, 1..15 */
	uint8_t map;        /* 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A */
	uint8_t op;         /* opcode byte in that map */
	uint8_t opsz;       /* operand size in bytes: 2, 4 or 8 (byte forms use 1
	                       where the opcode implies it; handlers may ignore) */
	uint8_t adsz;       /* address size: 2, 4 or 8 */
	uint8_t seg;        /* segment for the memory operand (override applied) */
	uint8_t rep;        /* 0, 0xF3 (REP/REPE), 0xF2 (REPNE) */
	uint8_t lock;       /* LOCK prefix present */
	uint8_t pfx66;      /* 0x66 present (SSE mandatory-prefix selection) */
	uint8_t sse_pfx;    /* mandatory prefix for SSE: 0, 0x66, 0xF3, 0xF2 (last
	                       of F2/F3 wins, else 66) */
	uint8_t rex;        /* REX byte or 0 */
	uint8_t has_modrm;
	uint8_t mod;        /* ModRM.mod; 3 = register operand */
	uint8_t reg;        /* ModRM.reg extended by REX.R (0..15) */
	uint8_t rm;         /* ModRM.rm extended by REX.B (register form only) */
	uint8_t base;       /* memory form: base register, NO_REG, or RIP_REL */
	uint8_t index;      /* memory form: index register (REX.X applied) or NO_REG */
	uint8_t scale;      /* 0..3 */
};
#define NO_REG  0xff
#define RIP_REL 0xfe

/* Lazy flags (EMU-NOTES): the last flag-setting operation is kept and
 * flags are computed only when read. */
enum lf_op {
	LF_NONE,   /* flags are all in c->rflags */
	LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC, LF_NEG,
	LF_SHL, LF_SHR, LF_SAR, LF_MUL, LF_IMUL,
};
struct x86_lazy {
	uint64_t res, src1, src2;
	uint8_t op;      /* enum lf_op */
	uint8_t size;    /* 1, 2, 4, 8 */
	uint32_t cf_in;  /* ADC/SBB carry-in, INC/DEC preserved CF, SHx last bit */
};

/* Soft TLB entry: one compare and one add on the fast path (EMU-NOTES). */
#define TLB_SIZE 256
struct x86_tlb_entry {
	uint64_t tag_r;      /* linear page | valid, readable at this CPL */
	uint64_t tag_w;      /* writable (dirty already set, no code) */
	uint64_t tag_x;
	uintptr_t addend;    /* host = linear + addend */
	uint64_t phys;       /* physical page */
};

union x86_xmm {
	uint8_t b[16];
	uint16_t w[8];
	uint32_t d[4];
	uint64_t q[2];
	float f[4];
	double df[2];
};

struct x86_fpu {
	long double st[8];   /* host x87 80-bit format on x86-64 hosts */
	uint16_t fcw, fsw, ftw; /* ftw: full tag word, 2 bits per register */
	uint8_t top;
	uint16_t fop;
	uint64_t fip, fdp;
	uint16_t fcs, fds;
	union x86_xmm xmm[16];
	uint32_t mxcsr;
};

struct x86_cpu {
	uint64_t r[16];
	uint64_t rip;
	uint64_t rflags;     /* authoritative except F_ARITH while lf.op != LF_NONE */
	struct x86_lazy lf;

	struct x86_seg seg[S_NR];
	struct { uint64_t base; uint16_t limit; } gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, xcr0;
	uint64_t dr[8];
	uint8_t cpl;
	uint8_t mode;        /* enum x86_mode; x86_mode_update() keeps it right */
	uint8_t code_size;   /* default operand/address size of CS: 2, 4, 8 */
	uint8_t stack_size;  /* SS.B: 2, 4 (8 in 64-bit mode) */

	/* MSRs (msr.c). */
	uint64_t star, lstar, cstar, fmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t tsc_offset, tsc_aux, apic_base, pat, misc_enable;
	uint64_t mtrr_def_type, mtrr_fixed[11], mtrr_var[16];
	uint64_t kvm_msr[8]; /* paravirtual MSRs kept for the platform */

	struct x86_fpu fpu;

	/* Events. */
	_Atomic int irq_pending;   /* interrupt controller says "I have one" */
	_Atomic int nmi_pending;
	_Atomic int stop_req;
	uint8_t shadow;            /* interrupt shadow: 1 after STI, 2 after
	                              MOV SS / POP SS, which also holds off
	                              the TF single-step #DB for that
	                              instruction (SDM Vol. 3A 6.8.3) */
	uint8_t shutdown;          /* set by a handler whose x86_deliver() hit a
	                              triple fault (INT n...): run.c stops with
	                              X86EMU_SHUTDOWN after the instruction */
	uint8_t halted;
	uint8_t nmi_blocked;
	int8_t  fault_vec;         /* exception being delivered (for #DF), -1 */
	/* What x86_fault() raised, for the run loop to pass to x86_deliver()
	 * after the longjmp (intr.c writes them just before jumping). */
	int8_t  exc_vec;
	uint32_t exc_err;
	uint64_t insn_rip;         /* RIP of the instruction being executed */
	uint64_t icount;
	/* During an instruction c->rip already points past it (run.c advances
	 * RIP before calling the handler, so relative branches and RIP-relative
	 * operands use c->rip); x86_fault() restores c->rip = c->insn_rip, and
	 * the run loop calls x86_deliver(c, exc_vec, exc_err, false, false). */

	struct x86_tlb_entry tlb[TLB_SIZE];
	jmp_buf fault_jmp;         /* x86_fault() returns here */

	struct x86emu_bus bus;
	int index;
	void *trace;               /* FILE*, or NULL */
	uint64_t trace_left;
	void *dcache;              /* run.c's decoded-instruction cache */
};

/* struct x86emu (the public opaque handle) is never defined: api.c
 * allocates a struct x86_cpu and hands it out cast to struct x86emu *. */
static inline struct x86_cpu *x86_cpu_of(struct x86emu *e)
{
	return (struct x86_cpu *)(void *)e;
}

/* --- decode.c --- */
/* Decode at most 15 bytes from b (n valid). Returns the length, or 0 if the
 * encoding is invalid (caller raises #UD). code_size: 2, 4, 8.
 * Two more outcomes: X86_DEC_TRUNC when the instruction needs more than n
 * bytes (n < 15: the caller fetches byte n, which faults), X86_DEC_TOOLONG
 * when it would exceed 15 bytes (#GP(0), SDM Vol. 2A 2.3.11). */
#define X86_DEC_TRUNC   (-1)
#define X86_DEC_TOOLONG (-2)
int x86_decode(const uint8_t *b, int n, int code_size, struct x86_insn *out);

/* --- optab.c --- */
/* Handlers by [map][opcode]; decode.c copies the entry into insn->fn.
 * A NULL entry decodes as #UD. Group opcodes (0x80, 0xF6, 0x0F01…) install
 * one handler that switches on insn->reg. */
extern x86_handler x86_optab[4][256];
void x86_optab_init(void);      /* calls every x86_register_*() once */
void x86_register_alu(void);    /* alu.c */
void x86_register_shift(void);  /* shift.c */
void x86_register_muldiv(void); /* muldiv.c */
void x86_register_bit(void);    /* bit.c */
void x86_register_string(void); /* string.c */
void x86_register_ctrl(void);   /* ctrl.c: jumps, calls, loops */
void x86_register_stack(void);  /* stack.c */
void x86_register_misc(void);   /* misc.c: mov, lea, xchg, cmov, setcc... */
void x86_register_sys(void);    /* sys.c */
void x86_register_seg(void);    /* seg.c: far jmp/call/ret, iret, mov sreg... */
void x86_register_x87(void);    /* x87.c */
void x86_register_sse(void);    /* sse.c */
/* Group 5 (opcode FF) belongs to ctrl.c, but its far forms FF /3 (CALL
 * m16:16/32/64) and FF /5 (JMP m16:16/32/64) are seg.c's: x86_register_seg()
 * stores its handlers here and ctrl.c forwards to them (NULL -> #UD). The
 * handler reads the far pointer itself (offset of insn->opsz bytes, then
 * the selector) from x86_ea(); mod == 3 is #UD. Defined in optab.c. */
extern x86_handler x86_callf_mem, x86_jmpf_mem;
/* Group 9 (0F C7) belongs to bit.c (CMPXCHG8B/16B, /1 memory forms); its
 * register forms /6 RDRAND and /7 RDSEED are sys.c's: x86_register_sys()
 * stores them here (NULL -> #UD). Defined in optab.c. */
extern x86_handler x86_rdrand_fn, x86_rdseed_fn;

/* --- flags.c --- */
uint64_t x86_flags_get(struct x86_cpu *c);          /* full RFLAGS */
void x86_flags_set(struct x86_cpu *c, uint64_t v, uint64_t mask);
bool x86_cond(struct x86_cpu *c, int cc);           /* Jcc/SETcc/CMOVcc cc 0..15 */
bool x86_cf(struct x86_cpu *c);                     /* current CF only */
/* Resolve lazy flags into c->rflags (lf.op becomes LF_NONE), so a handler
 * can then edit individual bits of c->rflags directly. */
void x86_flags_flush(struct x86_cpu *c);
static inline void x86_lf(struct x86_cpu *c, int op, int size, uint64_t res,
			  uint64_t s1, uint64_t s2)
{
	c->lf.op = (uint8_t)op; c->lf.size = (uint8_t)size;
	c->lf.res = res; c->lf.src1 = s1; c->lf.src2 = s2;
}

/* --- operand.c --- */
uint64_t x86_reg_get(struct x86_cpu *c, const struct x86_insn *i, int reg, int size);
void x86_reg_set(struct x86_cpu *c, const struct x86_insn *i, int reg, int size, uint64_t v);
uint64_t x86_ea(struct x86_cpu *c, const struct x86_insn *i);   /* offset, masked to adsz */
uint64_t x86_rm_read(struct x86_cpu *c, const struct x86_insn *i, int size);
void x86_rm_write(struct x86_cpu *c, const struct x86_insn *i, int size, uint64_t v);

/* --- mmu.c: every guest memory access goes through these --- */
enum x86_acc { ACC_R = 1, ACC_W = 2, ACC_X = 4 };
/* Segmented access: checks segment limits/rights (not in 64-bit mode except
 * FS/GS base), canonical form (#GP/#SS), paging (#PF with CR2 and error
 * code), alignment check. size 1, 2, 4, 8. Faults longjmp. */
uint64_t x86_read(struct x86_cpu *c, int seg, uint64_t off, int size);
void x86_write(struct x86_cpu *c, int seg, uint64_t off, int size, uint64_t v);
/* Arbitrary sizes (16-byte SSE, FXSAVE areas, descriptors): copies, with
 * the whole range checked before any byte is written. */
void x86_read_bytes(struct x86_cpu *c, int seg, uint64_t off, void *dst, int len);
void x86_write_bytes(struct x86_cpu *c, int seg, uint64_t off, const void *src, int len);
/* Linear-address access without segmentation (descriptor tables, TSS, IDT
 * reads). `sys` means a supervisor access regardless of CPL. */
uint64_t x86_read_lin(struct x86_cpu *c, uint64_t lin, int size, bool sys);
void x86_write_lin(struct x86_cpu *c, uint64_t lin, int size, uint64_t v, bool sys);
/* Fetch up to 15 code bytes at CS:rip into buf; returns how many could be
 * fetched without a fault (faults only if zero). Also returns the physical
 * address of the first byte in *phys (decode cache key). */
int x86_fetch(struct x86_cpu *c, uint64_t rip, uint8_t *buf, uint64_t *phys);
/* Read-modify-write for LOCK: host pointer to size bytes at seg:off, checked
 * for write; NULL when the target is MMIO (then use read+write). Atomic ops
 * use __atomic builtins on it (LOCK semantics across vCPU threads). */
void *x86_rmw_ptr(struct x86_cpu *c, int seg, uint64_t off, int size);
void x86_tlb_flush(struct x86_cpu *c, bool global_too);
void x86_tlb_flush_page(struct x86_cpu *c, uint64_t lin);
/* run.c calls this when it starts caching decoded code for a physical page:
 * drops the fast write tags of every TLB entry mapping it, so later writes
 * take the slow path and reach x86_code_written(). */
void x86_tlb_code_page(struct x86_cpu *c, uint64_t phys);

/* --- run.c --- */
/* A write hit a physical page that holds decoded code. */
void x86_code_written(struct x86_cpu *c, uint64_t phys, int len);
/* Mark page as holding cached code (mmu.c consults this for write tags). */
bool x86_page_has_code(struct x86_cpu *c, uint64_t phys);
/* Free run.c's decode cache (c->dcache); x86emu_free() calls it. */
void x86_dcache_free(struct x86_cpu *c);

/* --- intr.c --- */
/* Raise an exception from inside an instruction: RIP is rolled back to the
 * instruction's start (faults) and control longjmps to the run loop, which
 * delivers it. err = X86_NOERR when the vector has no error code. */
_Noreturn void x86_fault(struct x86_cpu *c, int vec, uint32_t err);
/* Deliver vector through the IDT/IVT. soft: INT n/INT3/INTO (privilege check
 * against gate DPL, return RIP is after the instruction). Handles #DF and
 * triple fault (returns false on triple fault -> shutdown). */
bool x86_deliver(struct x86_cpu *c, int vec, uint32_t err, bool soft, bool ext);

/* --- seg.c --- */
/* Load a segment register by selector with all protection checks (mode
 * dependent); faults with #GP/#SS/#NP(sel) as the SDM says. */
void x86_load_seg(struct x86_cpu *c, int sreg, uint16_t sel);
/* Real-mode/V86 style load: base = sel << 4. */
void x86_load_seg_real(struct x86_cpu *c, int sreg, uint16_t sel);
/* Recompute mode, code_size, stack_size, cpl after CR0/EFER/CS/RFLAGS.VM change. */
void x86_mode_update(struct x86_cpu *c);
/* Far CALL/JMP through a memory operand (0xFF /3 and /5): the 0xFF group
 * handler (ctrl.c) calls these; everything else far is seg.c's own. */
void x86_far_call_m(struct x86_cpu *c, const struct x86_insn *i);
void x86_far_jmp_m(struct x86_cpu *c, const struct x86_insn *i);

/* --- sys.c / msr.c / cpuid.c --- */
int x86_msr_read(struct x86_cpu *c, uint32_t idx, uint64_t *val);   /* -1 -> #GP */
int x86_msr_write(struct x86_cpu *c, uint32_t idx, uint64_t val);
void x86_cpuid_query(struct x86_cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);
uint64_t x86_rdtsc(struct x86_cpu *c);
/* Privilege check helper: CPL must be 0, else #GP(0). */
void x86_require_cpl0(struct x86_cpu *c);
/* I/O permission for IN/OUT/INS/OUTS (SDM Vol. 1 18.5): when CPL > IOPL
 * (or V86) the TSS I/O bitmap must allow every port; else #GP(0). */
void x86_io_check(struct x86_cpu *c, uint16_t port, int size);

/* --- stack.c --- */
void x86_push(struct x86_cpu *c, int size, uint64_t v);
uint64_t x86_pop(struct x86_cpu *c, int size);

/* --- x87.c / sse.c / fxsave.c --- */
void x86_fpu_reset(struct x86_cpu *c);
void x86_fxsave(struct x86_cpu *c, int seg, uint64_t off, bool rex_w);
void x86_fxrstor(struct x86_cpu *c, int seg, uint64_t off, bool rex_w);

/* Sign-extension and size masks. */
static inline uint64_t x86_mask(int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}
static inline int64_t x86_sext(uint64_t v, int size)
{
	int sh = 64 - size * 8;
	return sh ? (int64_t)(v << sh) >> sh : (int64_t)v;
}
static inline uint64_t x86_stack_mask(const struct x86_cpu *c)
{
	return x86_mask(c->stack_size);
}

#endif
