/* Lazy arithmetic flags.
 *
 * The last flag-setting operation stores its operands and result in c->lf;
 * the six status flags are derived only when something reads them
 * (EMU-NOTES "lazy flags"). Definitions follow the "Flags Affected" section
 * of each instruction in Intel SDM Vol. 2 and the summary in Vol. 1
 * Appendix A (EFLAGS cross-reference).
 */
#include "cpu/x86/cpu.h"

static inline uint64_t sign_bit(int size)
{
	return 1ULL << (size * 8 - 1);
}

static inline uint64_t parity(uint64_t res)
{
	/* PF: set when the low byte has an even number of 1 bits. */
	return (__builtin_parity((unsigned)(res & 0xff)) ? 0 : F_PF);
}

/* Status flags (F_ARITH) for the pending lazy operation. */
static uint64_t lazy_compute(const struct x86_lazy *lf)
{
	uint64_t m = x86_mask(lf->size), sb = sign_bit(lf->size);
	uint64_t res = lf->res & m, a = lf->src1 & m, b = lf->src2 & m;
	uint64_t f = 0;
	bool cf = false, of = false, af = false;

	switch (lf->op) {
	case LF_ADD:
		cf = res < a;
		of = ((a ^ res) & (b ^ res) & sb) != 0;
		af = ((a ^ b ^ res) & 0x10) != 0;
		break;
	case LF_ADC:
		cf = lf->cf_in ? res <= a : res < a;
		of = ((a ^ res) & (b ^ res) & sb) != 0;
		af = ((a ^ b ^ res) & 0x10) != 0;
		break;
	case LF_SUB:
		cf = a < b;
		of = ((a ^ b) & (a ^ res) & sb) != 0;
		af = ((a ^ b ^ res) & 0x10) != 0;
		break;
	case LF_SBB:
		cf = lf->cf_in ? a <= b : a < b;
		of = ((a ^ b) & (a ^ res) & sb) != 0;
		af = ((a ^ b ^ res) & 0x10) != 0;
		break;
	case LF_LOGIC:
		/* AND/OR/XOR/TEST: CF=OF=0, AF undefined (0 on the hardware we
		 * compare with). */
		break;
	case LF_INC:
		cf = lf->cf_in;               /* INC/DEC leave CF alone */
		of = res == sb;
		af = (res & 0xf) == 0;
		break;
	case LF_DEC:
		cf = lf->cf_in;
		of = res == sb - 1;
		af = (res & 0xf) == 0xf;
		break;
	case LF_NEG:
		/* NEG: CF = (src != 0); flags as for 0 - src. */
		cf = a != 0;
		of = a == sb;
		af = ((a ^ res) & 0x10) != 0;
		break;
	case LF_SHL: case LF_SHR: case LF_SAR:
		/* cf_in holds CF (bit 0) and OF (bit 1) computed by shift.c. */
		cf = lf->cf_in & 1;
		of = (lf->cf_in >> 1) & 1;
		break;
	case LF_MUL: case LF_IMUL:
		/* CF=OF=1 when the high half is significant; SF/ZF/PF from the
		 * low half as current Intel parts produce (undefined in SDM). */
		cf = of = lf->cf_in != 0;
		break;
	}
	if (cf) f |= F_CF;
	if (of) f |= F_OF;
	if (af) f |= F_AF;
	if (res == 0) f |= F_ZF;
	if (res & sb) f |= F_SF;
	f |= parity(res);
	return f;
}

void x86_flags_flush(struct x86_cpu *c)
{
	if (c->lf.op == LF_NONE)
		return;
	c->rflags = (c->rflags & ~(uint64_t)F_ARITH) | lazy_compute(&c->lf);
	c->lf.op = LF_NONE;
}

uint64_t x86_flags_get(struct x86_cpu *c)
{
	x86_flags_flush(c);
	/* Bit 1 always reads as 1 (SDM Vol. 1 3.4.3). */
	return c->rflags | 2;
}

void x86_flags_set(struct x86_cpu *c, uint64_t v, uint64_t mask)
{
	x86_flags_flush(c);
	c->rflags = ((c->rflags & ~mask) | (v & mask)) | 2;
}

bool x86_cf(struct x86_cpu *c)
{
	const struct x86_lazy *lf = &c->lf;
	uint64_t m = x86_mask(lf->size);

	switch (lf->op) {
	case LF_NONE:
		return c->rflags & F_CF;
	case LF_ADD:
		return (lf->res & m) < (lf->src1 & m);
	case LF_SUB:
		return (lf->src1 & m) < (lf->src2 & m);
	case LF_LOGIC:
		return false;
	case LF_INC: case LF_DEC:
		return lf->cf_in;
	default:
		return lazy_compute(lf) & F_CF;
	}
}

/* Jcc/SETcc/CMOVcc condition codes (SDM Vol. 1 Appendix B, Table B-1).
 * CMP and logic ops get a direct path since they feed most branches. */
__attribute__((hot)) bool x86_cond(struct x86_cpu *c, int cc)
{
	const struct x86_lazy *lf = &c->lf;
	uint64_t f;
	bool r;

	/* ZF and SF come from the result for every lazy operation. */
	if (lf->op != LF_NONE && ((cc >> 1) == 2 || (cc >> 1) == 4)) {
		uint64_t res = lf->res & x86_mask(lf->size);
		r = (cc >> 1) == 2 ? res == 0 : (res >> (lf->size * 8 - 1)) & 1;
		return r ^ (cc & 1);
	}
	if (lf->op == LF_SUB && (cc & ~1) != 0 && (cc & ~1) != 10) {
		int sh = 64 - lf->size * 8;
		uint64_t m = x86_mask(lf->size);
		uint64_t a = lf->src1 & m, b = lf->src2 & m;
		int64_t sa = (int64_t)(a << sh) >> sh, sbv = (int64_t)(b << sh) >> sh;
		switch (cc >> 1) {
		case 1: r = a < b; break;                       /* B */
		case 2: r = a == b; break;                      /* E */
		case 3: r = a <= b; break;                      /* BE */
		case 4: r = ((lf->res & m) >> (lf->size * 8 - 1)) & 1; break; /* S */
		case 6: r = sa < sbv; break;                    /* L */
		case 7: r = sa <= sbv; break;                   /* LE */
		default: goto slow;
		}
		return r ^ (cc & 1);
	}
	if (lf->op == LF_LOGIC) {
		uint64_t m = x86_mask(lf->size), res = lf->res & m;
		bool zf = res == 0, sf = (res >> (lf->size * 8 - 1)) & 1;
		switch (cc >> 1) {
		case 0: r = false; break;          /* O */
		case 1: r = false; break;          /* B */
		case 2: r = zf; break;             /* E */
		case 3: r = zf; break;             /* BE */
		case 4: r = sf; break;             /* S */
		case 6: r = sf; break;             /* L: SF != OF, OF=0 */
		case 7: r = zf || sf; break;       /* LE */
		default: goto slow;
		}
		return r ^ (cc & 1);
	}
slow:
	f = lf->op == LF_NONE ? c->rflags : lazy_compute(lf);
	switch (cc >> 1) {
	case 0: r = f & F_OF; break;
	case 1: r = f & F_CF; break;
	case 2: r = f & F_ZF; break;
	case 3: r = f & (F_CF | F_ZF); break;
	case 4: r = f & F_SF; break;
	case 5: r = f & F_PF; break;
	case 6: r = !(f & F_SF) != !(f & F_OF); break;
	default: r = (f & F_ZF) || (!(f & F_SF) != !(f & F_OF)); break;
	}
	return r ^ (cc & 1);
}
