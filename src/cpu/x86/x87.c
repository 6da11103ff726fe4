/* The x87 FPU: escape opcodes D8-DF and FWAIT (9B).
 *
 * Stack faults, the exception-pending model and the instruction forms are
 * here (the stack primitives are in fpu.h, the environment images in
 * x87env.c); the arithmetic itself runs on the host's x87 unit (x87host.c)
 * under the guest's control word, so values, rounding, C1 and the
 * exception flags match hardware bit for bit.
 *
 * References: Intel SDM Vol. 1 chapter 8 (x87 FPU), Vol. 2A/2B instruction
 * pages, Vol. 3A 2.5 (CR0.EM/MP/TS/NE) and Table 2-2.
 */
#include <string.h>
#include "cpu/x86/fpu.h"

/* The QNaN floating-point indefinite (SDM Vol. 1 4.8.3.7, Table 8-10). */
static long double x87_indefinite(void)
{
	union x87_bits u = { .mant = 0xc000000000000000ULL, .se = 0xffff };
	return u.ld;
}

/* --- exceptions ----------------------------------------------------------- */

/* Record exception flags; false when an unmasked exception forbids writing
 * the result (SDM Vol. 1 8.5: pre-computation exceptions leave the
 * destination and TOP alone; for stores to memory overflow and underflow
 * do too, 8.5.4/8.5.5 -- the caller passes `strict` for those). */
static bool x87_raise(struct x86_cpu *c, uint16_t flags, bool strict)
{
	uint16_t unm;

	flags &= FSW_EXC | FSW_SF;
	c->fpu.fsw |= flags;
	x87_sync_es(c);
	unm = flags & ~c->fpu.fcw & FSW_EXC;
	if (strict)
		return !(unm & (FSW_IE | FSW_DE | FSW_ZE | FSW_OE | FSW_UE));
	return !(unm & (FSW_IE | FSW_DE | FSW_ZE));
}

/* Take the condition codes in `cc` and the exception flags from a host
 * status word. CC_CMP in cc marks a comparison. */
#define CC_CMP FSW_ES
static bool x87_merge(struct x86_cpu *c, uint16_t sw, uint16_t cc, bool strict)
{
	/* The host ran with everything masked. An unmasked pre-computation
	 * exception (IE, DE, ZE) stops the operation before any result, so
	 * the post-computation flags and C1 of the masked run do not apply
	 * (SDM Vol. 1 8.5, 4.9.2). */
	if (sw & ~c->fpu.fcw & (FSW_IE | FSW_DE | FSW_ZE)) {
		sw &= (uint16_t)~(FSW_OE | FSW_UE | FSW_PE);
		/* Comparisons still report; other operations keep C0-C3. */
		if (!(cc & CC_CMP))
			cc = 0;
	}
	cc &= FSW_CC;
	c->fpu.fsw = (uint16_t)((c->fpu.fsw & ~cc) | (sw & cc));
	return x87_raise(c, sw, strict);
}

/* Stack overflow (C1 = 1) or underflow (C1 = 0): invalid operation with SF
 * (SDM Vol. 1 8.5.1.1). True when masked, i.e. the masked response (the
 * indefinite) should be written. */
static bool x87_stack_fault(struct x86_cpu *c, bool overflow)
{
	if (overflow)
		c->fpu.fsw |= FSW_C1;
	else
		c->fpu.fsw &= ~FSW_C1;
	return x87_raise(c, FSW_IE | FSW_SF, false);
}

/* Device-not-available and pending-exception checks that start every x87
 * instruction. CR0.EM or CR0.TS -> #NM (SDM Vol. 3A Table 2-2). A waiting
 * instruction with an unmasked exception pending takes #MF when CR0.NE=1;
 * "pending" is a set flag whose mask is clear now (so FNSTENV, which masks
 * everything, lets a handler's FLDENV run, as on hardware)
 * (SDM Vol. 1 8.6, Vol. 3A 6.15 "Interrupt 16"); with NE=0 the legacy
 * FERR#/IGNNE# path is not modelled and the instruction proceeds. */
static void x87_check(struct x86_cpu *c, bool waiting)
{
	if (c->cr0 & (CR0_EM_BIT | CR0_TS_BIT))
		x86_fault(c, X86_NM, X86_NOERR);
	if (waiting && (c->fpu.fsw & ~c->fpu.fcw & FSW_EXC) && (c->cr0 & CR0_NE_BIT))
		x86_fault(c, X86_MF, X86_NOERR);
}

/* Non-control instructions record their address, opcode and memory
 * operand (SDM Vol. 1 8.1.8, 8.1.9). */
/* ModRM.rm of a memory operand, rebuilt from the decoded form (the
 * decoder keeps only the registers). */
static unsigned x87_modrm_rm(const struct x86_insn *i)
{
	if (i->mod == 3)
		return i->rm & 7u;
	if (i->adsz == 2) {
		static const uint8_t rm16[8][8] = {
			/* [base][index - R_SI] for SI/DI, and no index at [x][2] */
			[R_BX] = { 0, 1, 7 }, [R_BP] = { 2, 3, 6 },
			[R_SI] = { 0, 0, 4 }, [R_DI] = { 0, 0, 5 },
		};
		if (i->base == NO_REG)
			return 6;
		if (i->index == NO_REG)
			return i->base == R_SI ? 4 : i->base == R_DI ? 5 : rm16[i->base & 7][2];
		return rm16[i->base & 7][i->index - R_SI];
	}
	if (i->base == RIP_REL || (i->base == NO_REG && i->index == NO_REG && i->mod == 0))
		return 5;
	if (i->index != NO_REG || i->base == NO_REG || (i->base & 7) == R_SP)
		return 4;
	return i->base & 7u;
}

static void x87_note(struct x86_cpu *c, const struct x86_insn *i, uint64_t ea)
{
	unsigned modrm = (unsigned)(i->mod << 6) | ((i->reg & 7u) << 3) | x87_modrm_rm(i);

	c->fpu.fop = (uint16_t)(((i->op & 7u) << 8) | modrm);
	c->fpu.fip = c->insn_rip;
	c->fpu.fcs = c->seg[S_CS].sel;
	if (i->mod != 3) {
		c->fpu.fdp = ea;
		c->fpu.fds = c->seg[i->seg].sel;
	}
}

/* --- loads and stores ------------------------------------------------------ */

static void x87_push_checked(struct x86_cpu *c, long double v)
{
	if (!st_empty(c, 7)) {
		if (x87_stack_fault(c, true))
			st_push(c, x87_indefinite());
		return;
	}
	c->fpu.fsw &= ~FSW_C1;
	st_push(c, v);
}

/* FLD of a memory operand converted on the host (m32, m64): the
 * conversion may raise IE (SNaN) or DE (SDM Vol. 2A FLD). */
static void x87_load(struct x86_cpu *c, long double v, uint16_t sw)
{
	if (!st_empty(c, 7)) {
		if (x87_stack_fault(c, true))
			st_push(c, x87_indefinite());
		return;
	}
	/* An unmasked denormal still loads (the value is exact); an
	 * unmasked invalid (SNaN) does not. */
	x87_merge(c, sw, 0, false);
	if (sw & ~c->fpu.fcw & FSW_IE)
		return;
	c->fpu.fsw &= ~FSW_C1;
	st_push(c, v);
}

/* FST/FSTP/FIST/FISTP/FISTTP/FBSTP to memory: size bytes, `kind` chooses
 * the format. */
enum { ST_F32, ST_F64, ST_F80, ST_INT, ST_INTT, ST_BCD };

static void x87_store(struct x86_cpu *c, const struct x86_insn *i, uint64_t ea,
		      int kind, int size, bool pop)
{
	uint8_t buf[10];
	uint16_t sw = 0;
	uint64_t v = 0;

	memset(buf, 0, sizeof(buf));
	if (st_empty(c, 0)) {
		if (!x87_stack_fault(c, false))
			return;
		/* Masked underflow stores the indefinite of the format. */
		switch (kind) {
		case ST_F32: v = 0xffc00000u; break;
		case ST_F64: v = 0xfff8000000000000ULL; break;
		case ST_INT: case ST_INTT: v = 1ULL << (size * 8 - 1); break;
		case ST_BCD: buf[7] = 0xc0; buf[8] = 0xff; buf[9] = 0xff; break;
		default: {
			union x87_bits u = { .ld = x87_indefinite() };
			memcpy(buf, u.b, 10);
		}
		}
	} else {
		long double a = st_get(c, 0);
		switch (kind) {
		case ST_F32: v = x87h_store_m32(a, c->fpu.fcw, &sw); break;
		case ST_F64: v = x87h_store_m64(a, c->fpu.fcw, &sw); break;
		case ST_INT: v = x87h_store_int(a, size, false, c->fpu.fcw, &sw); break;
		case ST_INTT: v = x87h_store_int(a, size, true, c->fpu.fcw, &sw); break;
		case ST_BCD: x87h_store_bcd(a, buf, c->fpu.fcw, &sw); break;
		default: {
			union x87_bits u = { .ld = a };
			memcpy(buf, u.b, 10);
		}
		}
		if (!x87_merge(c, sw, FSW_C1, true))
			return;
	}
	if (kind == ST_F80 || kind == ST_BCD)
		x86_write_bytes(c, i->seg, ea, buf, 10);
	else
		x86_write(c, i->seg, ea, size, v);
	if (pop)
		st_pop(c);
}

/* --- arithmetic ------------------------------------------------------------ */

/* Compare results go to C0/C2/C3 (and C1 = 0); FCOMI forms go to ZF/PF/CF
 * with OF/SF/AF cleared (SDM Vol. 2A FCOMI). */
static void x87_cc_to_eflags(struct x86_cpu *c, uint16_t sw)
{
	uint64_t f = 0;
	if (sw & FSW_C0)
		f |= F_CF;
	if (sw & FSW_C2)
		f |= F_PF;
	if (sw & FSW_C3)
		f |= F_ZF;
	x86_flags_set(c, f, F_ARITH);
}

/* dest = ST(d) op src for register operands (`s` is the source's stack
 * index). COM/UCOM only compare. `comi`: flags go to EFLAGS. */
static void x87_arith_reg(struct x86_cpu *c, int op, int d, int s, int pops, bool comi)
{
	bool cmp = op == XA_COM || op == XA_COMP || op == XA_UCOM;
	uint16_t sw = 0;
	long double r;

	if (st_empty(c, d) || st_empty(c, s)) {
		/* A comparison reports "unordered" even when the fault is
		 * unmasked. */
		if (cmp) {
			sw = FSW_C0 | FSW_C2 | FSW_C3;
			if (comi)
				x87_cc_to_eflags(c, sw);
			else
				c->fpu.fsw |= sw;
		}
		if (!x87_stack_fault(c, false))
			return;
		if (!cmp)
			st_set(c, d, x87_indefinite());
	} else {
		r = x87h_arith(op, st_get(c, d), st_get(c, s), c->fpu.fcw, &sw);
		if (cmp) {
			bool ok;
			sw &= ~FSW_C1;
			ok = x87_merge(c, sw, (comi ? FSW_C1 : FSW_CC) | CC_CMP, false);
			/* The comparison reports even when it faults. */
			if (comi)
				x87_cc_to_eflags(c, sw);
			if (!ok)
				return;
		} else {
			if (!x87_merge(c, sw, FSW_C1, false))
				return;
			st_set(c, d, r);
		}
	}
	while (pops-- > 0)
		st_pop(c);
}

/* ST(0) = ST(0) op mem for D8/DC/DA/DE with a memory operand. */
static void x87_arith_mem(struct x86_cpu *c, const struct x86_insn *i, uint64_t ea, int size,
			  bool integer)
{
	int op = i->reg & 7;
	bool cmp = op == XA_COM || op == XA_COMP;
	uint64_t m = x86_read(c, i->seg, ea, size);
	uint16_t sw = 0, fcw = c->fpu.fcw;
	long double r, a;

	if (st_empty(c, 0)) {
		if (cmp)
			c->fpu.fsw |= FSW_C0 | FSW_C2 | FSW_C3;
		if (!x87_stack_fault(c, false))
			return;
		if (!cmp)
			st_set(c, 0, x87_indefinite());
		goto out;
	}
	a = st_get(c, 0);
	if (integer)
		r = size == 2 ? x87h_arith_i16(op, a, (uint16_t)m, fcw, &sw)
			: x87h_arith_i32(op, a, (uint32_t)m, fcw, &sw);
	else
		r = size == 4 ? x87h_arith_m32(op, a, (uint32_t)m, fcw, &sw)
			: x87h_arith_m64(op, a, m, fcw, &sw);
	if (cmp)
		sw &= ~FSW_C1;
	if (!x87_merge(c, sw, cmp ? FSW_CC | CC_CMP : FSW_C1, false))
		return;
	if (!cmp)
		st_set(c, 0, r);
out:
	if (op == XA_COMP)
		st_pop(c);
}

/* One-operand functions on ST(0) (D9 E0-FF). */
static void x87_unary(struct x86_cpu *c, int op, uint16_t cc)
{
	uint16_t sw = 0;
	long double r;

	if (st_empty(c, 0)) {
		if (op == XU_TST)
			c->fpu.fsw |= FSW_C0 | FSW_C2 | FSW_C3;
		if (x87_stack_fault(c, false) && op != XU_TST)
			st_set(c, 0, x87_indefinite());
		return;
	}
	r = x87h_unary(op, st_get(c, 0), c->fpu.fcw, &sw);
	if (!x87_merge(c, sw, cc, false))
		return;
	if (op != XU_TST)
		st_set(c, 0, r);
}

static void x87_binary(struct x86_cpu *c, int op)
{
	bool pops = op == XB_PATAN || op == XB_YL2X || op == XB_YL2XP1;
	uint16_t cc = op == XB_PREM || op == XB_PREM1 ? FSW_CC : FSW_C1;
	uint16_t sw = 0;
	long double r;

	if (st_empty(c, 0) || st_empty(c, 1)) {
		if (!x87_stack_fault(c, false))
			return;
		r = x87_indefinite();
	} else {
		r = x87h_binary(op, st_get(c, 0), st_get(c, 1), c->fpu.fcw, &sw);
		if (!x87_merge(c, sw, cc, false))
			return;
	}
	if (pops) {
		st_set(c, 1, r);
		st_pop(c);
	} else {
		st_set(c, 0, r);
	}
}

/* FPTAN, FSINCOS, FXTRACT: replace ST(0) and push a second value. */
static void x87_pair(struct x86_cpu *c, int op)
{
	uint16_t sw = 0;
	long double r0, r1;

	if (st_empty(c, 0)) {
		if (!x87_stack_fault(c, false))
			return;
		st_set(c, 0, x87_indefinite());
		x87_push_checked(c, x87_indefinite());
		return;
	}
	if (!st_empty(c, 7)) {
		if (!x87_stack_fault(c, true))
			return;
		st_set(c, 0, x87_indefinite());
		st_push(c, x87_indefinite());
		return;
	}
	x87h_pair(op, st_get(c, 0), &r0, &r1, c->fpu.fcw, &sw);
	if (!x87_merge(c, sw, op == XP_XTRACT ? FSW_C1 : FSW_C1 | FSW_C2, false))
		return;
	if (op != XP_XTRACT && (sw & FSW_C2))
		return;   /* out of range: operand left as it was */
	st_set(c, 0, r1);
	st_push(c, r0);
}

/* --- the escape opcodes ------------------------------------------------------ */

static void x87_fcmov(struct x86_cpu *c, const struct x86_insn *i, bool negate)
{
	/* DA/DB C0-DF: B, E, BE, U and their negations (SDM Vol. 2A FCMOVcc). */
	static const uint8_t cc[4] = { 2, 4, 6, 10 };
	int s = i->rm & 7;

	if (st_empty(c, 0) || st_empty(c, s)) {
		if (x87_stack_fault(c, false))
			st_set(c, 0, x87_indefinite());
		return;
	}
	c->fpu.fsw &= ~FSW_C1;
	if (x86_cond(c, cc[i->reg & 3]) != negate)
		st_set(c, 0, st_get(c, s));
}

static void x87_fxch(struct x86_cpu *c, int s)
{
	long double a, b;

	if (st_empty(c, 0) || st_empty(c, s)) {
		if (!x87_stack_fault(c, false))
			return;
		if (st_empty(c, 0))
			st_set(c, 0, x87_indefinite());
		if (st_empty(c, s))
			st_set(c, s, x87_indefinite());
	}
	a = st_get(c, 0);
	b = st_get(c, s);
	st_set(c, 0, b);
	st_set(c, s, a);
	c->fpu.fsw &= ~FSW_C1;
}

static void x87_fst_reg(struct x86_cpu *c, int s, bool pop)
{
	if (st_empty(c, 0)) {
		if (!x87_stack_fault(c, false))
			return;
		st_set(c, s, x87_indefinite());
	} else {
		st_set(c, s, st_get(c, 0));
		c->fpu.fsw &= ~FSW_C1;
	}
	if (pop)
		st_pop(c);
}

static void x87_fxam(struct x86_cpu *c)
{
	uint16_t sw = 0;
	union x87_bits u = { .ld = st_get(c, 0) };

	if (st_empty(c, 0)) {
		/* Empty: C3 = 1, C2 = 0, C0 = 1; C1 is the sign bit. */
		sw = FSW_C3 | FSW_C0 | ((u.se & 0x8000) ? FSW_C1 : 0);
	} else {
		x87h_unary(XU_XAM, u.ld, c->fpu.fcw, &sw);
	}
	c->fpu.fsw = (uint16_t)((c->fpu.fsw & ~FSW_CC) | (sw & FSW_CC));
}

/* D9 with a register operand: the no-operand instructions live here. */
static void x87_d9_reg(struct x86_cpu *c, const struct x86_insn *i)
{
	int rm = i->rm & 7;
	uint16_t sw = 0;

	switch (i->reg & 7) {
	case 0: {   /* FLD ST(i) */
		long double v = st_get(c, rm);
		if (st_empty(c, rm)) {
			if (!x87_stack_fault(c, false))
				return;
			v = x87_indefinite();
		}
		x87_push_checked(c, v);
		return;
	}
	case 1: x87_fxch(c, rm); return;
	case 2:
		if (rm != 0)
			x86_fault(c, X86_UD, X86_NOERR);
		return;     /* FNOP */
	case 3: x87_fst_reg(c, rm, true); return;   /* FSTP1 alias */
	case 4:
		switch (rm) {
		case 0: x87_unary(c, XU_CHS, FSW_C1); c->fpu.fsw &= ~FSW_C1; return;
		case 1: x87_unary(c, XU_ABS, FSW_C1); c->fpu.fsw &= ~FSW_C1; return;
		case 4: x87_unary(c, XU_TST, FSW_CC | CC_CMP); c->fpu.fsw &= ~FSW_C1; return;
		case 5: x87_fxam(c); return;
		}
		break;
	case 5: {
		if (rm == 7)
			break;
		long double v = x87h_const(rm, c->fpu.fcw, &sw);
		x87_push_checked(c, v);
		return;
	}
	case 6:
		switch (rm) {
		case 0: x87_unary(c, XU_F2XM1, FSW_C1); return;
		case 1: x87_binary(c, XB_YL2X); return;
		case 2: x87_pair(c, XP_PTAN); return;
		case 3: x87_binary(c, XB_PATAN); return;
		case 4: x87_pair(c, XP_XTRACT); return;
		case 5: x87_binary(c, XB_PREM1); return;
		case 6: c->fpu.top = (c->fpu.top - 1) & 7; c->fpu.fsw &= ~FSW_C1; return;
		default: c->fpu.top = (c->fpu.top + 1) & 7; c->fpu.fsw &= ~FSW_C1; return;
		}
	case 7:
		switch (rm) {
		case 0: x87_binary(c, XB_PREM); return;
		case 1: x87_binary(c, XB_YL2XP1); return;
		case 2: x87_unary(c, XU_SQRT, FSW_C1); return;
		case 3: x87_pair(c, XP_SINCOS); return;
		case 4: x87_unary(c, XU_RNDINT, FSW_C1); return;
		case 5: x87_binary(c, XB_SCALE); return;
		case 6: x87_unary(c, XU_SIN, FSW_C1 | FSW_C2); return;
		default: x87_unary(c, XU_COS, FSW_C1 | FSW_C2); return;
		}
	}
	x86_fault(c, X86_UD, X86_NOERR);
}

/* Is this one of the control instructions that neither wait for pending
 * exceptions (FN* forms) nor update FIP/FOP/FDP (SDM Vol. 1 8.1.8, 8.6)? */
static bool x87_is_control(const struct x86_insn *i, bool *waiting)
{
	int r = i->reg & 7;

	*waiting = true;
	if (i->mod != 3) {
		if (i->op == 0xd9 && r >= 4) {
			*waiting = r == 4 || r == 5;    /* FLDENV, FLDCW wait */
			return true;
		}
		if (i->op == 0xdd && (r == 4 || r == 6 || r == 7)) {
			*waiting = r == 4;              /* FRSTOR waits */
			return true;
		}
		return false;
	}
	if (i->op == 0xdb && r == 4) {          /* FNCLEX, FNINIT, FENI... */
		*waiting = false;
		return true;
	}
	if (i->op == 0xdf && r == 4) {          /* FNSTSW AX */
		*waiting = false;
		return true;
	}
	return false;
}

static void x87_esc(struct x86_cpu *c, const struct x86_insn *i)
{
	int r = i->reg & 7, rm = i->rm & 7;
	uint64_t ea = i->mod != 3 ? x86_ea(c, i) : 0;
	bool waiting;
	uint16_t sw = 0;

	if (x87_is_control(i, &waiting)) {
		x87_check(c, waiting);
	} else {
		x87_check(c, true);
		x87_note(c, i, ea);
	}

	if (i->mod != 3) {
		switch (i->op) {
		case 0xd8: x87_arith_mem(c, i, ea, 4, false); return;
		case 0xdc: x87_arith_mem(c, i, ea, 8, false); return;
		case 0xda: x87_arith_mem(c, i, ea, 4, true); return;
		case 0xde: x87_arith_mem(c, i, ea, 2, true); return;
		case 0xd9:
			switch (r) {
			case 0: {
				uint32_t m = (uint32_t)x86_read(c, i->seg, ea, 4);
				long double v = x87h_load_m32(m, c->fpu.fcw, &sw);
				x87_load(c, v, sw);
				return;
			}
			case 2: x87_store(c, i, ea, ST_F32, 4, false); return;
			case 3: x87_store(c, i, ea, ST_F32, 4, true); return;
			case 4: x87_env(c, i, ea, false, false); return;
			case 5:
				c->fpu.fcw = (uint16_t)((x86_read(c, i->seg, ea, 2) & 0x1f7f) | 0x40);
				x87_sync_es(c);
				return;
			case 6: x87_env(c, i, ea, true, false); return;
			case 7: x86_write(c, i->seg, ea, 2, c->fpu.fcw); return;
			}
			break;
		case 0xdb:
			switch (r) {
			case 0: x87_push_checked(c, (long double)(int32_t)x86_read(c, i->seg, ea, 4)); return;
			case 1: x87_store(c, i, ea, ST_INTT, 4, true); return;
			case 2: x87_store(c, i, ea, ST_INT, 4, false); return;
			case 3: x87_store(c, i, ea, ST_INT, 4, true); return;
			case 5: {
				union x87_bits u;
				x86_read_bytes(c, i->seg, ea, u.b, 10);
				x87_push_checked(c, u.ld);
				return;
			}
			case 7: x87_store(c, i, ea, ST_F80, 10, true); return;
			}
			break;
		case 0xdd:
			switch (r) {
			case 0: {
				uint64_t m = x86_read(c, i->seg, ea, 8);
				long double v = x87h_load_m64(m, c->fpu.fcw, &sw);
				x87_load(c, v, sw);
				return;
			}
			case 1: x87_store(c, i, ea, ST_INTT, 8, true); return;
			case 2: x87_store(c, i, ea, ST_F64, 8, false); return;
			case 3: x87_store(c, i, ea, ST_F64, 8, true); return;
			case 4: x87_env(c, i, ea, false, true); return;
			case 6: x87_env(c, i, ea, true, true); return;
			case 7: x86_write(c, i->seg, ea, 2, x87_fsw(c)); return;
			}
			break;
		case 0xdf:
			switch (r) {
			case 0: x87_push_checked(c, (long double)(int16_t)x86_read(c, i->seg, ea, 2)); return;
			case 1: x87_store(c, i, ea, ST_INTT, 2, true); return;
			case 2: x87_store(c, i, ea, ST_INT, 2, false); return;
			case 3: x87_store(c, i, ea, ST_INT, 2, true); return;
			case 4: {
				uint8_t bcd[10];
				x86_read_bytes(c, i->seg, ea, bcd, 10);
				if (!st_empty(c, 7)) {
					x87_push_checked(c, 0);
					return;
				}
				long double v = x87h_load_bcd(bcd, c->fpu.fcw, &sw);
				x87_load(c, v, sw);
				return;
			}
			case 5: x87_push_checked(c, (long double)(int64_t)x86_read(c, i->seg, ea, 8)); return;
			case 6: x87_store(c, i, ea, ST_BCD, 10, true); return;
			case 7: x87_store(c, i, ea, ST_INT, 8, true); return;
			}
			break;
		}
		x86_fault(c, X86_UD, X86_NOERR);
	}

	switch (i->op) {
	case 0xd8:
		x87_arith_reg(c, r, 0, rm, r == XA_COMP, false);
		return;
	case 0xdc:
		/* ST(i) = ST(i) op ST(0); SUB/SUBR and DIV/DIVR swap places
		 * against the memory forms (SDM Vol. 2A FSUB/FDIV opcode
		 * tables). /2 /3 are the FCOM2/FCOMP3 aliases. */
		if (r < 2)
			x87_arith_reg(c, r, rm, 0, 0, false);
		else if (r < 4)
			x87_arith_reg(c, r, 0, rm, r == XA_COMP, false);
		else
			x87_arith_reg(c, r ^ 1, rm, 0, 0, false);
		return;
	case 0xde:
		if (r < 2)
			x87_arith_reg(c, r, rm, 0, 1, false);
		else if (r == 3 && rm == 1)
			x87_arith_reg(c, XA_COM, 0, 1, 2, false);     /* FCOMPP */
		else if (r == 2)
			x87_arith_reg(c, XA_COM, 0, rm, 1, false);    /* FCOMP5 alias */
		else if (r >= 4)
			x87_arith_reg(c, r ^ 1, rm, 0, 1, false);
		else
			break;
		return;
	case 0xd9:
		x87_d9_reg(c, i);
		return;
	case 0xda:
		if (r < 4) {
			x87_fcmov(c, i, false);
			return;
		}
		if (r == 5 && rm == 1) {
			x87_arith_reg(c, XA_UCOM, 0, 1, 2, false);    /* FUCOMPP */
			return;
		}
		break;
	case 0xdb:
		if (r < 4) {
			x87_fcmov(c, i, true);
			return;
		}
		if (r == 4) {
			if (rm == 2) {          /* FNCLEX */
				c->fpu.fsw &= ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
				return;
			}
			if (rm == 3) {
				x87_finit(c);
				return;
			}
			if (rm < 2 || rm == 4)
				return;         /* FENI, FDISI, FSETPM: no-ops since the 387 */
			break;
		}
		if (r == 5 || r == 6) {
			x87_arith_reg(c, r == 5 ? XA_UCOM : XA_COM, 0, rm, 0, true);
			return;
		}
		break;
	case 0xdd:
		switch (r) {
		case 0: tag_set(c, phys_of(c, rm), TAG_EMPTY); return;   /* FFREE */
		case 1: x87_fxch(c, rm); return;                         /* FXCH4 */
		case 2: x87_fst_reg(c, rm, false); return;
		case 3: x87_fst_reg(c, rm, true); return;
		case 4: x87_arith_reg(c, XA_UCOM, 0, rm, 0, false); return;
		case 5: x87_arith_reg(c, XA_UCOM, 0, rm, 1, false); return;
		}
		break;
	case 0xdf:
		switch (r) {
		case 0:   /* FFREEP: free ST(i), then pop */
			tag_set(c, phys_of(c, rm), TAG_EMPTY);
			st_pop(c);
			return;
		case 1: x87_fxch(c, rm); return;
		case 2: case 3: x87_fst_reg(c, rm, true); return;
		case 4:
			if (rm != 0)
				break;
			c->r[R_AX] = (c->r[R_AX] & ~0xffffULL) | x87_fsw(c);
			return;
		case 5: x87_arith_reg(c, XA_UCOM, 0, rm, 1, true); return;
		case 6: x87_arith_reg(c, XA_COM, 0, rm, 1, true); return;
		}
		break;
	}
	x86_fault(c, X86_UD, X86_NOERR);
}

/* FWAIT: #NM when CR0.MP and CR0.TS are both set (SDM Vol. 3A Table 2-2),
 * #MF for a pending unmasked exception with CR0.NE, else nothing. */
static void x87_fwait(struct x86_cpu *c, const struct x86_insn *i)
{
	if ((c->cr0 & (CR0_MP_BIT | CR0_TS_BIT)) == (CR0_MP_BIT | CR0_TS_BIT))
		x86_fault(c, X86_NM, X86_NOERR);
	if ((c->fpu.fsw & ~c->fpu.fcw & FSW_EXC) && (c->cr0 & CR0_NE_BIT))
		x86_fault(c, X86_MF, X86_NOERR);
}

/* EMMS (0F 77) empties the x87 tag word (SDM Vol. 2A EMMS). It is the one
 * MMX instruction ringvm implements: CPUID does not advertise MMX, but
 * Linux runs "fnclex; emms; fild" to clear FIP/FDP on AMD parts that lack
 * XSaveErPtr (X86_BUG_FXSAVE_LEAK), assuming every AMD64 CPU has MMX. #UD with CR0.EM,
 * #NM with CR0.TS, #MF with an unmasked x87 exception pending (SDM Vol. 2A
 * EMMS, "Protected Mode Exceptions"). */
static void x87_emms(struct x86_cpu *c, const struct x86_insn *i)
{
	if (c->cr0 & CR0_EM_BIT)
		x86_fault(c, X86_UD, X86_NOERR);
	if (c->cr0 & CR0_TS_BIT)
		x86_fault(c, X86_NM, X86_NOERR);
	if ((c->fpu.fsw & ~c->fpu.fcw & FSW_EXC) && (c->cr0 & CR0_NE_BIT))
		x86_fault(c, X86_MF, X86_NOERR);
	if (i->sse_pfx)
		x86_fault(c, X86_UD, X86_NOERR);
	c->fpu.ftw = 0xffff;
}

void x86_register_x87(void)
{
	for (int op = 0xd8; op <= 0xdf; op++)
		x86_optab[0][op] = x87_esc;
	x86_optab[0][0x9b] = x87_fwait;
	x86_optab[1][0x77] = x87_emms;
}
