/* Host x87 execution for the guest's x87 instructions.
 *
 * Each wrapper loads the guest's control word (rounding and precision
 * control, SDM Vol. 1 8.1.5) with exceptions masked (see HOSTCW), executes the same
 * instruction on the host's x87 unit, and returns the host status word, so
 * results, condition codes and exception flags are exactly what the
 * hardware produces. The host's own control word is saved and restored
 * around each operation, and FNCLEX leaves no flags behind for host code.
 *
 * Operand placement follows GCC's x87 asm rules ("t" = ST(0), "u" = ST(1),
 * inputs popped by the asm are listed as clobbers).
 */
#include "cpu/x86/fpu.h"

/* The host runs with the guest's overflow and underflow masks, so that an
 * unmasked OE/UE yields the exponent-adjusted result (SDM Vol. 1 8.5.4,
 * 8.5.5); all other exceptions are masked and handled by x87.c. The
 * pending exception this may leave is cleared by FNCLEX before any waiting
 * instruction runs. */
#define HOSTCW(fcw) ((uint16_t)((fcw) | (FCW_EXC & ~0x18u)))

#define PRO "fnstcw %[save]\n\tfnclex\n\tfldcw %[cw]\n\t"
#define EPI "\n\tfnstsw %[sw]\n\tfnclex\n\tfldcw %[save]"

/* One instruction with ST(0) = a as input and result r = new ST(0). */
#define XOP(insn, ...)                                                       \
	asm volatile(PRO insn EPI                                            \
		     : "=t"(r), [save] "=m"(save), [sw] "=m"(*sw)             \
		     : "0"(a), [cw] "m"(cw), ##__VA_ARGS__)

/* Memory-operand arithmetic (D8/DC/DA/DE /0-/7): pfx "f" or "fi", sfx the
 * AT&T size letter. */
#define ARITH_MEM(pfx, sfx, var)                                             \
	switch (op) {                                                        \
	case XA_ADD:  XOP(pfx "add" sfx " %[m]", [m] "m"(var)); break;       \
	case XA_MUL:  XOP(pfx "mul" sfx " %[m]", [m] "m"(var)); break;       \
	case XA_COM:                                                         \
	case XA_COMP: XOP(pfx "com" sfx " %[m]", [m] "m"(var)); break;       \
	case XA_SUB:  XOP(pfx "sub" sfx " %[m]", [m] "m"(var)); break;       \
	case XA_SUBR: XOP(pfx "subr" sfx " %[m]", [m] "m"(var)); break;      \
	case XA_DIV:  XOP(pfx "div" sfx " %[m]", [m] "m"(var)); break;       \
	default:      XOP(pfx "divr" sfx " %[m]", [m] "m"(var)); break;      \
	}

long double x87h_arith(int op, long double a, long double b, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;

	/* a is the destination operand in ST(0), b the source in ST(1):
	 * the non-popping ST(0) forms compute a op b (SUBR: b - a). */
	switch (op) {
	case XA_ADD:  XOP("fadd %%st(1), %%st", "u"(b)); break;
	case XA_MUL:  XOP("fmul %%st(1), %%st", "u"(b)); break;
	case XA_COM:
	case XA_COMP: XOP("fcom %%st(1)", "u"(b)); break;
	case XA_UCOM: XOP("fucom %%st(1)", "u"(b)); break;
	case XA_SUB:  XOP("fsub %%st(1), %%st", "u"(b)); break;
	case XA_SUBR: XOP("fsubr %%st(1), %%st", "u"(b)); break;
	case XA_DIV:  XOP("fdiv %%st(1), %%st", "u"(b)); break;
	default:      XOP("fdivr %%st(1), %%st", "u"(b)); break;
	}
	return r;
}

long double x87h_arith_m32(int op, long double a, uint32_t m, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;
	ARITH_MEM("f", "s", m)
	return r;
}

long double x87h_arith_m64(int op, long double a, uint64_t m, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;
	ARITH_MEM("f", "l", m)
	return r;
}

long double x87h_arith_i16(int op, long double a, uint16_t m, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;
	ARITH_MEM("fi", "s", m)
	return r;
}

long double x87h_arith_i32(int op, long double a, uint32_t m, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;
	ARITH_MEM("fi", "l", m)
	return r;
}

long double x87h_load_m32(uint32_t m, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;
	asm volatile(PRO "flds %[m]" EPI
		     : "=t"(r), [save] "=m"(save), [sw] "=m"(*sw)
		     : [cw] "m"(cw), [m] "m"(m));
	return r;
}

long double x87h_load_m64(uint64_t m, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;
	asm volatile(PRO "fldl %[m]" EPI
		     : "=t"(r), [save] "=m"(save), [sw] "=m"(*sw)
		     : [cw] "m"(cw), [m] "m"(m));
	return r;
}

long double x87h_load_bcd(const uint8_t in[10], uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	struct { uint8_t b[10]; } m;
	long double r;

	__builtin_memcpy(m.b, in, 10);
	asm volatile(PRO "fbld %[m]" EPI
		     : "=t"(r), [save] "=m"(save), [sw] "=m"(*sw)
		     : [cw] "m"(cw), [m] "m"(m));
	return r;
}

uint32_t x87h_store_m32(long double a, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	uint32_t m;
	asm volatile(PRO "fsts %[m]" EPI
		     : [m] "=m"(m), [save] "=m"(save), [sw] "=m"(*sw)
		     : "t"(a), [cw] "m"(cw));
	return m;
}

uint64_t x87h_store_m64(long double a, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	uint64_t m;
	asm volatile(PRO "fstl %[m]" EPI
		     : [m] "=m"(m), [save] "=m"(save), [sw] "=m"(*sw)
		     : "t"(a), [cw] "m"(cw));
	return m;
}

void x87h_store_bcd(long double a, uint8_t out[10], uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	struct { uint8_t b[10]; } m;
	asm volatile(PRO "fbstp %[m]" EPI
		     : [m] "=m"(m), [save] "=m"(save), [sw] "=m"(*sw)
		     : "t"(a), [cw] "m"(cw)
		     : "st");
	__builtin_memcpy(out, m.b, 10);
}

/* The 64-bit FIST and all FISTTP forms exist only as popping instructions:
 * the input is declared popped. */
#define IST(insn, var)                                                       \
	asm volatile(PRO insn " %[m]" EPI                                    \
		     : [m] "=m"(var), [save] "=m"(save), [sw] "=m"(*sw)       \
		     : "t"(a), [cw] "m"(cw)                                   \
		     : "st")

uint64_t x87h_store_int(long double a, int size, bool trunc, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	uint16_t m16;
	uint32_t m32;
	uint64_t m64;

	if (size == 2) {
		if (trunc)
			IST("fisttps", m16);
		else
			IST("fistps", m16);
		return m16;
	}
	if (size == 4) {
		if (trunc)
			IST("fisttpl", m32);
		else
			IST("fistpl", m32);
		return m32;
	}
	if (trunc)
		IST("fisttpll", m64);
	else
		IST("fistpll", m64);
	return m64;
}

long double x87h_unary(int op, long double a, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;

	switch (op) {
	case XU_CHS:    XOP("fchs"); break;
	case XU_ABS:    XOP("fabs"); break;
	case XU_TST:    XOP("ftst"); break;
	case XU_XAM:    XOP("fxam"); break;
	case XU_F2XM1:  XOP("f2xm1"); break;
	case XU_SQRT:   XOP("fsqrt"); break;
	case XU_RNDINT: XOP("frndint"); break;
	case XU_SIN:    XOP("fsin"); break;
	default:        XOP("fcos"); break;
	}
	return r;
}

long double x87h_binary(int op, long double a, long double b, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;

	switch (op) {
	case XB_SCALE: XOP("fscale", "u"(b)); break;
	case XB_PREM:  XOP("fprem", "u"(b)); break;
	case XB_PREM1: XOP("fprem1", "u"(b)); break;
	/* These pop: the result lands in ST(1), which becomes ST(0). */
	case XB_PATAN:
		asm volatile(PRO "fpatan" EPI
			     : "=t"(r), [save] "=m"(save), [sw] "=m"(*sw)
			     : "0"(a), "u"(b), [cw] "m"(cw) : "st(1)");
		break;
	case XB_YL2X:
		asm volatile(PRO "fyl2x" EPI
			     : "=t"(r), [save] "=m"(save), [sw] "=m"(*sw)
			     : "0"(a), "u"(b), [cw] "m"(cw) : "st(1)");
		break;
	default:
		asm volatile(PRO "fyl2xp1" EPI
			     : "=t"(r), [save] "=m"(save), [sw] "=m"(*sw)
			     : "0"(a), "u"(b), [cw] "m"(cw) : "st(1)");
		break;
	}
	return r;
}

/* FPTAN and FSINCOS leave the stack alone when the operand is out of range
 * (C2 = 1, SDM Vol. 2A FPTAN/FSINCOS): push a dummy so the stack holds the
 * two values the compiler expects; the caller sees C2 and drops it. */
#define FIXPUSH "\n\ttestw $0x400, %[sw]\n\tjz 1f\n\tfldz\n\tfxch\n1:"

void x87h_pair(int op, long double a, long double *r0, long double *r1, uint16_t fcw,
	       uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double x, y;

	switch (op) {
	case XP_PTAN:
		asm volatile(PRO "fptan" EPI FIXPUSH
			     : "=t"(x), "=u"(y), [save] "=m"(save), [sw] "=m"(*sw)
			     : "0"(a), [cw] "m"(cw) : "cc");
		break;
	case XP_SINCOS:
		asm volatile(PRO "fsincos" EPI FIXPUSH
			     : "=t"(x), "=u"(y), [save] "=m"(save), [sw] "=m"(*sw)
			     : "0"(a), [cw] "m"(cw) : "cc");
		break;
	default:
		asm volatile(PRO "fxtract" EPI
			     : "=t"(x), "=u"(y), [save] "=m"(save), [sw] "=m"(*sw)
			     : "0"(a), [cw] "m"(cw));
		break;
	}
	*r0 = x;
	*r1 = y;
}

/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ (D9 E8..EE, in that
 * order): the irrational constants are rounded as RC says (SDM Vol. 1
 * 8.3.8), which the host's own loads do. */
long double x87h_const(int k, uint16_t fcw, uint16_t *sw)
{
	uint16_t cw = HOSTCW(fcw), save;
	long double r;

#define XCONST(insn)                                                         \
	asm volatile(PRO insn EPI                                            \
		     : "=t"(r), [save] "=m"(save), [sw] "=m"(*sw) : [cw] "m"(cw))
	switch (k) {
	case 0: XCONST("fld1"); break;
	case 1: XCONST("fldl2t"); break;
	case 2: XCONST("fldl2e"); break;
	case 3: XCONST("fldpi"); break;
	case 4: XCONST("fldlg2"); break;
	case 5: XCONST("fldln2"); break;
	default: XCONST("fldz"); break;
	}
#undef XCONST
	return r;
}
