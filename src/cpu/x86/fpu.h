/* Helpers shared by the FPU modules of the software CPU (x87.c, x87env.c,
 * x87host.c, sse.c, ssehost.c, fxsave.c); not part of the cpu.h contract.
 *
 * Floating-point results are computed by executing the same instruction on
 * the host CPU with the guest's control word / MXCSR loaded (exceptions
 * masked on the host, so nothing traps in ringvm): rounding, precision
 * control, NaN propagation, denormal handling and the exception flags are
 * then bit-exact, which no C reimplementation would guarantee.
 */
#ifndef RINGVM_CPU_X86_FPU_H
#define RINGVM_CPU_X86_FPU_H

#include "cpu/x86/cpu.h"

#if !defined(__x86_64__)
#error "the software CPU's FPU runs host x87/SSE instructions: build on an x86-64 host"
#endif

/* x87 status word (SDM Vol. 1 8.1.3). c->fpu.fsw keeps TOP at zero; the
 * architectural value is built by x87_fsw(). */
#define FSW_IE  0x0001u
#define FSW_DE  0x0002u
#define FSW_ZE  0x0004u
#define FSW_OE  0x0008u
#define FSW_UE  0x0010u
#define FSW_PE  0x0020u
#define FSW_SF  0x0040u
#define FSW_ES  0x0080u
#define FSW_C0  0x0100u
#define FSW_C1  0x0200u
#define FSW_C2  0x0400u
#define FSW_TOP 0x3800u
#define FSW_C3  0x4000u
#define FSW_B   0x8000u
#define FSW_CC  (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
#define FSW_EXC 0x003fu

/* x87 control word (SDM Vol. 1 8.1.5): bits 0-5 masks, PC 8-9, RC 10-11. */
#define FCW_EXC 0x003fu
#define FCW_INIT 0x037fu

/* Tags (SDM Vol. 1 8.1.7). */
enum { TAG_VALID, TAG_ZERO, TAG_SPECIAL, TAG_EMPTY };

/* MXCSR (SDM Vol. 1 10.2.3). */
#define MXCSR_FLAGS   0x003fu
#define MXCSR_DAZ     0x0040u
#define MXCSR_MASKS   0x1f80u
#define MXCSR_RC      0x6000u
#define MXCSR_FZ      0x8000u
#define MXCSR_INIT    0x1f80u

#define CR0_MP_BIT (1ULL << 1)
#define CR0_EM_BIT (1ULL << 2)
#define CR0_TS_BIT (1ULL << 3)
#define CR0_NE_BIT (1ULL << 5)
#define CR4_OSFXSR_BIT     (1ULL << 9)
#define CR4_OSXMMEXCPT_BIT (1ULL << 10)

/* The MXCSR bits the guest may set: what the host's FXSAVE reports as
 * MXCSR_MASK (0xffbf when it reports 0, SDM Vol. 1 11.6.6). fxsave.c. */
uint32_t x86_mxcsr_mask(void);

/* 80-bit value layout on the host. */
union x87_bits {
	long double ld;
	struct {
		uint64_t mant;
		uint16_t se;   /* sign and exponent */
	} __attribute__((packed));
	uint8_t b[10];
};

int x87_tag_of(long double v);
/* Architectural FSW (with TOP). */
static inline uint16_t x87_fsw(const struct x86_cpu *c)
{
	return (uint16_t)((c->fpu.fsw & ~FSW_TOP) | ((c->fpu.top & 7u) << 11));
}
/* Load an architectural FSW value (TOP is taken from it). */
static inline void x87_fsw_set(struct x86_cpu *c, uint16_t v)
{
	c->fpu.top = (v >> 11) & 7;
	c->fpu.fsw = v & ~FSW_TOP;
}
/* Full tag word with tags recomputed from the register contents for the
 * non-empty registers (what FNSTENV/FNSAVE store, SDM Vol. 1 8.1.7). */
uint16_t x87_ftw_full(const struct x86_cpu *c);
/* Abridged tag (FXSAVE): one bit per physical register, 1 = not empty. */
uint8_t x87_ftw_abridged(const struct x86_cpu *c);
/* Load from the abridged form; non-empty tags are recomputed. */
void x87_ftw_from_abridged(struct x86_cpu *c, uint8_t t);
/* Load a full tag word (FLDENV/FRSTOR): only "empty or not" is kept. */
void x87_ftw_load(struct x86_cpu *c, uint16_t t);

/* Linear address of seg:off for alignment checks (16-byte rules). */
static inline uint64_t fpu_lin(const struct x86_cpu *c, int seg, uint64_t off)
{
	if (c->mode == MODE_LONG)
		return seg >= S_FS ? c->seg[seg].base + off : off;
	return (c->seg[seg].base + off) & 0xffffffffULL;
}


/* --- the x87 register stack (SDM Vol. 1 8.1.2): ST(i) is physical
 * register (TOP + i) mod 8; ftw keeps a tag per physical register. --- */
static inline int phys_of(const struct x86_cpu *c, int i)
{
	return (c->fpu.top + i) & 7;
}

static inline int tag_get(const struct x86_cpu *c, int phys)
{
	return (c->fpu.ftw >> (2 * phys)) & 3;
}

static inline void tag_set(struct x86_cpu *c, int phys, int tag)
{
	c->fpu.ftw = (uint16_t)((c->fpu.ftw & ~(3u << (2 * phys))) | ((unsigned)tag << (2 * phys)));
}

static inline bool st_empty(const struct x86_cpu *c, int i)
{
	return tag_get(c, phys_of(c, i)) == TAG_EMPTY;
}

static inline long double st_get(const struct x86_cpu *c, int i)
{
	return c->fpu.st[phys_of(c, i)];
}

static inline void st_set(struct x86_cpu *c, int i, long double v)
{
	int p = phys_of(c, i);
	c->fpu.st[p] = v;
	tag_set(c, p, x87_tag_of(v));
}

static inline void st_pop(struct x86_cpu *c)
{
	tag_set(c, phys_of(c, 0), TAG_EMPTY);
	c->fpu.top = (c->fpu.top + 1) & 7;
}

static inline void st_push(struct x86_cpu *c, long double v)
{
	c->fpu.top = (c->fpu.top - 1) & 7;
	st_set(c, 0, v);
}

/* ES and B follow the flags against the masks (SDM Vol. 1 8.1.3.3): an
 * FLDCW that unmasks a set flag makes the exception pending too. */
static inline void x87_sync_es(struct x86_cpu *c)
{
	if (c->fpu.fsw & ~c->fpu.fcw & FSW_EXC)
		c->fpu.fsw |= FSW_ES | FSW_B;
	else
		c->fpu.fsw &= ~(FSW_ES | FSW_B);
}

/* x87env.c */
void x87_finit(struct x86_cpu *c);
/* FNSTENV/FNSAVE (store) or FLDENV/FRSTOR; regs: the SAVE/RSTOR forms. */
void x87_env(struct x86_cpu *c, const struct x86_insn *i, uint64_t ea, bool store, bool regs);

/* --- x87host.c: host x87 execution. fcw is the guest's control word; the
 * host runs with every exception but OE/UE masked (x87host.c says why) and
 * *sw receives the host FSW after the operation (exception flags and
 * condition codes). --- */
enum { XA_ADD, XA_MUL, XA_COM, XA_COMP, XA_SUB, XA_SUBR, XA_DIV, XA_DIVR, XA_UCOM };
long double x87h_arith(int op, long double a, long double b, uint16_t fcw, uint16_t *sw);
long double x87h_arith_m32(int op, long double a, uint32_t m, uint16_t fcw, uint16_t *sw);
long double x87h_arith_m64(int op, long double a, uint64_t m, uint16_t fcw, uint16_t *sw);
long double x87h_arith_i16(int op, long double a, uint16_t m, uint16_t fcw, uint16_t *sw);
long double x87h_arith_i32(int op, long double a, uint32_t m, uint16_t fcw, uint16_t *sw);
long double x87h_load_m32(uint32_t m, uint16_t fcw, uint16_t *sw);
long double x87h_load_m64(uint64_t m, uint16_t fcw, uint16_t *sw);
uint32_t x87h_store_m32(long double a, uint16_t fcw, uint16_t *sw);
uint64_t x87h_store_m64(long double a, uint16_t fcw, uint16_t *sw);
/* FIST (trunc = false) or FISTTP (true) to a 2/4/8-byte integer. */
uint64_t x87h_store_int(long double a, int size, bool trunc, uint16_t fcw, uint16_t *sw);
void x87h_store_bcd(long double a, uint8_t out[10], uint16_t fcw, uint16_t *sw);
long double x87h_load_bcd(const uint8_t in[10], uint16_t fcw, uint16_t *sw);
enum {
	XU_CHS, XU_ABS, XU_TST, XU_XAM, XU_F2XM1, XU_SQRT, XU_RNDINT, XU_SIN, XU_COS,
};
long double x87h_unary(int op, long double a, uint16_t fcw, uint16_t *sw);
/* Two-operand ops on ST(0) = a and ST(1) = b. SCALE/PREM/PREM1 return the
 * new ST(0); PATAN/YL2X/YL2XP1 return the new ST(1) (the caller pops). */
enum { XB_SCALE, XB_PREM, XB_PREM1, XB_PATAN, XB_YL2X, XB_YL2XP1 };
long double x87h_binary(int op, long double a, long double b, uint16_t fcw, uint16_t *sw);
long double x87h_const(int k, uint16_t fcw, uint16_t *sw);
/* Ops that leave two results: *r0 is the new ST(0), *r1 the value below it. */
enum { XP_PTAN, XP_SINCOS, XP_XTRACT };
void x87h_pair(int op, long double a, long double *r0, long double *r1, uint16_t fcw,
	       uint16_t *sw);

#endif
