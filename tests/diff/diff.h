/* Differential CPU tests: shared definitions of the diffrun harness.
 *
 * One "form" is a short instruction sequence with a rule for generating its
 * inputs and a mask of the flags the SDM defines for it. Each case runs the
 * same bytes, at the same virtual addresses, with the same inputs on the host
 * CPU (native.S) and in ringvm's emulator (sandbox.c), and compares the
 * architectural results. */
#ifndef DIFF_DIFF_H
#define DIFF_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Guest/native virtual layout. The instruction bytes, the data buffer and
 * the stack sit at the same addresses on both sides, so RIP-relative and
 * LEA results compare directly. */
#define DIFF_CODE_VA   0x20000000ULL   /* 2 pages */
#define DIFF_DATA_VA   0x20002000ULL   /* 2 pages */
#define DIFF_STACK_VA  0x20004000ULL   /* 1 page */
#define DIFF_REGION    0x5000ULL
#define DIFF_DATA_LEN  0x2000
#define DIFF_MEMPTR    (DIFF_DATA_VA + 0x800)   /* RBX for memory forms */
#define DIFF_RSP       (DIFF_STACK_VA + 0xf00)
/* The window of the data buffer that gets random contents each case. */
#define DIFF_WIN_LO    0x600
#define DIFF_WIN_HI    0x1100  /* covers the page boundary at 0x1000 */

/* Register state exchanged with native.S; offsets are hard-coded there. */
struct diff_state {
	uint64_t gpr[16];      /* 0: encoding order rax rcx rdx rbx rsp rbp rsi rdi r8.. */
	uint64_t rflags;       /* 128 */
	uint64_t rip;          /* 136: only meaningful after a fault */
	uint32_t mxcsr;        /* 144 */
	uint32_t pad[3];
	uint8_t xmm[16][16];   /* 160 */
};

/* Flags (SDM Vol. 1 3.4.3). */
#define DF_CF  0x001u
#define DF_PF  0x004u
#define DF_AF  0x010u
#define DF_ZF  0x040u
#define DF_SF  0x080u
#define DF_DF  0x400u
#define DF_OF  0x800u
#define DF_IF  0x200u
#define DF_ID  (1u << 21)
#define DF_ARITH (DF_CF | DF_PF | DF_AF | DF_ZF | DF_SF | DF_OF)

/* How a form's inputs are generated. */
enum diff_kind {
	K_INT,        /* all GPRs random (edge-biased) */
	K_SHIFT,      /* RCX low byte mostly 0..70 */
	K_DIV,        /* dividend/divisor mix that sometimes overflows */
	K_STRING,     /* RSI/RDI into the data window, RCX small */
	K_BITOFF,     /* BT* [mem], reg: bit offset within the window */
	K_SSE_INT,    /* XMM random integers */
	K_SSE_PS,     /* XMM float edge values, random MXCSR */
	K_SSE_PD,     /* XMM double edge values, random MXCSR */
	K_X87,        /* data window holds doubles/ints for x87 sequences */
	K_POPF,       /* RAX holds an RFLAGS image safe for user mode */
};

/* Per-case flag-mask rules for instructions whose defined flags depend on
 * the count (SDM Vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD). */
enum diff_fmask {
	FM_FIXED,
	FM_SHIFT,     /* group 2: op in fm_op (0..7), count from CL or imm */
	FM_SHLD,      /* SHLD/SHRD */
};

enum diff_imm {
	IMM_NONE,
	IMM_RAND,     /* random bytes (edge-biased) */
	IMM_COUNT,    /* shift count: mostly 0..70 */
	IMM_CMP,      /* SSE compare predicate 0..7 */
	IMM_BYTE,     /* any byte, edge-biased */
};

struct diff_form {
	char name[56];
	uint8_t code[48];
	uint8_t len;
	uint8_t ninsn;          /* instructions in the sequence */
	uint8_t kind;           /* enum diff_kind */
	uint8_t width;          /* operand width in bytes (input bias, masks) */
	uint32_t fdef;          /* flags compared (besides DF, always compared) */
	uint8_t fmask;          /* enum diff_fmask */
	uint8_t fm_op;          /* group-2 op, or 0 = SHLD / 1 = SHRD */
	bool count_cl;          /* count comes from CL (else from the imm) */
	bool mem;               /* RBX = DIFF_MEMPTR */
	int8_t imm_off;         /* offset of a per-case random immediate, -1 none */
	uint8_t imm_len;
	uint8_t imm_kind;       /* enum diff_imm */
	uint8_t aux;            /* kind-specific register: divisor, bit offset,
	                           CMPXCHG destination (0xff = the memory operand) */
	bool tie_rax;           /* CMPXCHG: often make RAX equal the destination */
	uint8_t feat;           /* enum diff_feat: skipped unless both CPUs have it */
	uint64_t memptr;        /* RBX for memory forms; 0 = DIFF_MEMPTR */
	bool user_only;         /* not comparable when the guest runs at CPL 0 */
};

/* CPUID features a form needs (SDM Vol. 2A CPUID, Table 3-8 and leaf
 * 8000_0001h); the form runs only if the host has it and the emulator
 * advertises it. */
enum diff_feat {
	FEAT_NONE,
	FEAT_POPCNT,   /* 1.ECX[23] */
	FEAT_MOVBE,    /* 1.ECX[22] */
	FEAT_CX16,     /* 1.ECX[13] */
	FEAT_LZCNT,    /* 8000_0001.ECX[5] */
	FEAT_LAHF,     /* 8000_0001.ECX[0] */
	FEAT_BMI1,     /* 7.0.EBX[3] (TZCNT) */
	FEAT_SSE2,     /* 1.EDX[26] */
};

/* The table, built at start-up. */
struct diff_table {
	struct diff_form *v;
	size_t n, cap;
};
struct diff_form *diff_form_add(struct diff_table *t);
void forms_int(struct diff_table *t);
void forms_sse(struct diff_table *t);

/* A tiny encoder for building forms. Registers are encoding numbers 0..15;
 * for byte registers 4..7 mean AH..BH unless rex is forced (then SPL..DIL). */
void enc_begin(struct diff_form *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void enc_byte(struct diff_form *f, uint8_t b);
/* Prefixes (66/F2/F3/LOCK), REX (when needed), opcode bytes, ModRM with a
 * register operand in rm. width 2 adds 66, 8 sets REX.W. */
void enc_rr(struct diff_form *f, int width, uint8_t pfx, const uint8_t *op, int oplen,
	    int reg, int rm, bool force_rex);
/* Same with [rbx + disp8] as the r/m operand. */
void enc_rm(struct diff_form *f, int width, uint8_t pfx, const uint8_t *op, int oplen,
	    int reg, int8_t disp, bool force_rex);
/* Prefix, 66/REX as for enc_rr, and the opcode; no ModRM. */
void enc_op(struct diff_form *f, int width, uint8_t pfx, const uint8_t *op, int oplen, int rm);
/* Immediate of len bytes; random per case if kind != IMM_NONE. */
void enc_imm(struct diff_form *f, uint64_t v, int len, int kind);
void enc_end(struct diff_form *f, int ninsn);

/* native.c / native.S */
int native_init(void);
/* Run the form's code on the host CPU. Returns -1, or the exception vector
 * if the code faulted (then out holds the state at the fault). */
int native_run(const uint8_t *code, int len, const struct diff_state *in,
	       struct diff_state *out, uint8_t *data, const uint8_t *data_in,
	       uint8_t *stack, const uint8_t *stack_in);
uint8_t *native_data(void);
uint8_t *native_stack(void);

/* sandbox.c: the emulated guest. */
struct sandbox;
struct sandbox *sandbox_new(bool user);
void sandbox_free(struct sandbox *s);
/* Zero every guest page and rebuild the tables and stubs. */
void sandbox_reset(struct sandbox *s);
/* Host pointer of guest address va (identity mapped), or NULL. */
uint8_t *sandbox_ptr(struct sandbox *s, uint64_t va);
/* Reset CPU to 64-bit mode at CPL3 (user) or CPL0 with rip/rsp/regs. */
void sandbox_load(struct sandbox *s, const struct diff_state *st, uint64_t rip);
/* Run; returns -1 on normal stop at stop_rip, the exception vector when a
 * fault reached an IDT stub, 256 on shutdown, 257 on a runaway. */
int sandbox_run(struct sandbox *s, uint64_t max_insns, uint64_t stop_rip);
/* The same, the form run as one whole block (the translated path). */
int sandbox_run_block(struct sandbox *s, uint64_t ninsn, uint64_t stop_rip);
void sandbox_save(struct sandbox *s, struct diff_state *st, uint64_t *rip);
/* Stop the run after this many MMIO/PIO accesses (0: no limit); resets the
 * count. */
void sandbox_io_limit(struct sandbox *s, uint64_t limit);
bool sandbox_io_limited(struct sandbox *s);
/* Raise (vec >= 0) or drop (-1) a maskable interrupt for the guest. */
void sandbox_irq(struct sandbox *s, int vec);
/* The RIP pushed by the last exception delivery (valid after a fault). */
uint64_t sandbox_fault_rip(struct sandbox *s, int vec);
struct x86emu *sandbox_emu(struct sandbox *s);

#define SB_HANDLERS 0x8000ULL   /* vector v's HLT stub at SB_HANDLERS + 16 v */

#endif
