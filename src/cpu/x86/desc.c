/* Descriptor-table instructions: LAR, LSL, VERR, VERW, ARPL (and MOVSXD,
 * which shares ARPL's opcode in 64-bit mode), and group 6 (0F 00: SLDT,
 * STR, LLDT, LTR, VERR, VERW).
 *
 * References: Intel SDM Vol. 2A/2B pages of each instruction; Vol. 3A 3.5
 * (system descriptor types), 7.2.2 (TSS busy flag). */
#include "cpu/x86/cpu.h"
#include "cpu/x86/system.h"

static inline _Noreturn void desc_ud(struct x86_cpu *c)
{
	x86_fault(c, X86_UD, X86_NOERR);
}

static void set_zf(struct x86_cpu *c, bool z)
{
	x86_flags_set(c, z ? F_ZF : 0, F_ZF);
}

/* Read a descriptor for LAR/LSL/VERx without faulting on a bad selector:
 * those instructions report failure in ZF instead (Vol. 2A "LAR"). */
static bool desc_peek(struct x86_cpu *c, uint16_t sel, struct x86_desc *d)
{
	const struct x86_seg *ldt = &c->seg[S_LDTR];
	uint64_t base = c->gdtr.base;
	uint32_t limit = c->gdtr.limit;

	if (!(sel & 0xfffc))
		return false;
	if (sel & 4) {
		if (ldt->attr & SEG_UNUSABLE)
			return false;
		base = ldt->base;
		limit = ldt->limit;
	}
	if ((uint32_t)(sel & 0xfff8) + 7 > limit)
		return false;
	d->lo = (uint32_t)x86_read_lin(c, base + (sel & 0xfff8), 4, true);
	d->hi = (uint32_t)x86_read_lin(c, base + (sel & 0xfff8) + 4, 4, true);
	return true;
}

static bool desc_visible(struct x86_cpu *c, uint16_t sel, const struct x86_desc *d)
{
	if (DESC_S(d) && (DESC_TYPE(d) & 0xc) == 0xc)
		return true; /* conforming code: no privilege check */
	return DESC_DPL(d) >= c->cpl && DESC_DPL(d) >= (sel & 3);
}

static void h_lar_lsl(struct x86_cpu *c, const struct x86_insn *i)
{
	bool lsl = i->op == 0x03, lma = c->efer & X86_EFER_LMA, ok = false;
	uint16_t sel;
	struct x86_desc d;

	if (c->mode == MODE_REAL || c->mode == MODE_V86)
		desc_ud(c);
	sel = (uint16_t)x86_rm_read(c, i, 2);
	if (desc_peek(c, sel, &d) && desc_visible(c, sel, &d)) {
		if (DESC_S(&d)) {
			ok = true;
		} else {
			/* Valid system types (Vol. 2A "LAR" Table 3-52, "LSL"). */
			int t = DESC_TYPE(&d);
			if (lma)
				ok = t == 2 || t == 9 || t == 0xb || (!lsl && t == 0xc);
			else
				ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xb ||
				     (!lsl && (t == 4 || t == 5 || t == 0xc));
		}
	}
	set_zf(c, ok);
	if (!ok)
		return;
	if (lsl) {
		struct x86_seg s;
		x86_desc_to_seg(&d, sel, &s);
		x86_reg_set(c, i, i->reg, i->opsz == 2 ? 2 : 4, s.limit);
	} else {
		x86_reg_set(c, i, i->reg, i->opsz == 2 ? 2 : 4,
			    d.hi & (i->opsz == 2 ? 0xff00 : 0x00f0ff00));
	}
}

static void h_arpl(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t dst, src;

	if (c->mode == MODE_LONG) {
		/* 0x63 is MOVSXD in 64-bit mode (Vol. 2B "MOVSX/MOVSXD"). */
		uint64_t v = x86_rm_read(c, i, i->opsz == 8 ? 4 : i->opsz);
		if (i->opsz == 8)
			v = (uint64_t)(int64_t)(int32_t)v;
		x86_reg_set(c, i, i->reg, i->opsz, v);
		return;
	}
	if (c->mode == MODE_REAL || c->mode == MODE_V86)
		desc_ud(c);
	dst = x86_rm_read(c, i, 2);
	src = x86_reg_get(c, i, i->reg, 2);
	if ((dst & 3) < (src & 3)) {
		x86_rm_write(c, i, 2, (dst & ~3ULL) | (src & 3));
		set_zf(c, true);
	} else {
		set_zf(c, false);
	}
}

/* LLDT (Vol. 2A "LLDT"): a GDT selector of an LDT descriptor, or null. */
static void do_lldt(struct x86_cpu *c, uint16_t sel)
{
	struct x86_desc d;
	struct x86_seg s;
	uint64_t lin;

	x86_require_cpl0(c);
	if (!(sel & 0xfffc)) {
		x86_seg_null(&c->seg[S_LDTR], sel);
		return;
	}
	if (sel & 4)
		x86_fault(c, X86_GP, sel & 0xfffc);
	lin = x86_desc_read(c, sel, &d, X86_GP, 0);
	if (DESC_S(&d) || DESC_TYPE(&d) != 2)
		x86_fault(c, X86_GP, sel & 0xfffc);
	if (!DESC_P(&d))
		x86_fault(c, X86_NP, sel & 0xfffc);
	x86_desc_to_seg(&d, sel, &s);
	if (c->efer & X86_EFER_LMA) {
		if ((uint32_t)(sel & 0xfff8) + 15 > c->gdtr.limit)
			x86_fault(c, X86_GP, sel & 0xfffc);
		s.base |= x86_desc_read_hi(c, lin) << 32;
	}
	c->seg[S_LDTR] = s;
}

/* LTR (Vol. 2A "LTR"): an available TSS, marked busy in the GDT. */
static void do_ltr(struct x86_cpu *c, uint16_t sel)
{
	struct x86_desc d;
	struct x86_seg s;
	uint64_t lin;
	int t;

	x86_require_cpl0(c);
	if (!(sel & 0xfffc) || (sel & 4))
		x86_fault(c, X86_GP, sel & 0xfffc);
	lin = x86_desc_read(c, sel, &d, X86_GP, 0);
	t = DESC_TYPE(&d);
	if (DESC_S(&d) || ((c->efer & X86_EFER_LMA) ? t != 9 : (t != 1 && t != 9)))
		x86_fault(c, X86_GP, sel & 0xfffc);
	if (!DESC_P(&d))
		x86_fault(c, X86_NP, sel & 0xfffc);
	x86_desc_to_seg(&d, sel, &s);
	if (c->efer & X86_EFER_LMA) {
		if ((uint32_t)(sel & 0xfff8) + 15 > c->gdtr.limit)
			x86_fault(c, X86_GP, sel & 0xfffc);
		s.base |= x86_desc_read_hi(c, lin) << 32;
	}
	d.hi |= 0x200; /* busy */
	x86_write_lin(c, lin + 5, 1, (d.hi >> 8) & 0xff, true);
	s.attr |= 2;
	c->seg[S_TR] = s;
}

static void h_grp6(struct x86_cpu *c, const struct x86_insn *i)
{
	struct x86_desc d;
	uint16_t sel;
	bool ok;

	if (c->mode == MODE_REAL || c->mode == MODE_V86)
		desc_ud(c);
	switch (i->reg & 7) {
	case 0: /* SLDT */
	case 1: /* STR */
		x86_rm_write(c, i, i->mod == 3 ? i->opsz : 2,
			     c->seg[(i->reg & 7) ? S_TR : S_LDTR].sel);
		break;
	case 2:
		do_lldt(c, (uint16_t)x86_rm_read(c, i, 2));
		break;
	case 3:
		do_ltr(c, (uint16_t)x86_rm_read(c, i, 2));
		break;
	case 4: /* VERR */
	case 5: /* VERW */
		sel = (uint16_t)x86_rm_read(c, i, 2);
		ok = desc_peek(c, sel, &d) && DESC_S(&d) && desc_visible(c, sel, &d);
		if (ok && (i->reg & 7) == 4)
			ok = !DESC_CODE(&d) || (DESC_TYPE(&d) & 2);
		else if (ok)
			ok = !DESC_CODE(&d) && (DESC_TYPE(&d) & 2);
		set_zf(c, ok);
		break;
	default:
		desc_ud(c);
	}
}

void x86_register_desc(void)
{
	x86_optab[0][0x63] = h_arpl;
	x86_optab[1][0x00] = h_grp6;
	x86_optab[1][0x02] = h_lar_lsl;
	x86_optab[1][0x03] = h_lar_lsl;
}
