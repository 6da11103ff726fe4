/* Segment registers: descriptor loads with their protection checks, far
 * control transfers (JMP/CALL/RET/IRET incl. call gates), and the segment
 * instructions (MOV/PUSH/POP Sreg, LxS); LAR/LSL/VERx/ARPL/group 6 are in
 * desc.c.
 *
 * References: Intel SDM Vol. 3A 3.4 (selectors, descriptors), 3.5 (GDT/LDT),
 * 5.5-5.8 (privilege checks, call gates), 5.8.6 (RET to outer level), and
 * the Vol. 2 pages of each instruction ("Operation" and "Protected Mode
 * Exceptions"). Task switches and returns to virtual-8086 mode are not
 * implemented: they raise #GP(0) with a log line. */
#include "cpu/x86/cpu.h"
#include "cpu/x86/system.h"
#include "ringvm/log.h"

static inline _Noreturn void seg_ud(struct x86_cpu *c)
{
	x86_fault(c, X86_UD, X86_NOERR);
}

static inline bool seg_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* --- descriptors --- */

uint64_t x86_desc_read(struct x86_cpu *c, uint16_t sel, struct x86_desc *d, int vec,
		       uint32_t ext)
{
	uint64_t base, lin;
	uint32_t limit;

	if (sel & 4) {
		const struct x86_seg *ldt = &c->seg[S_LDTR];
		if (ldt->attr & SEG_UNUSABLE)
			x86_fault(c, vec, (sel & 0xfffc) | ext);
		base = ldt->base;
		limit = ldt->limit;
	} else {
		base = c->gdtr.base;
		limit = c->gdtr.limit;
	}
	if ((uint32_t)(sel & 0xfff8) + 7 > limit)
		x86_fault(c, vec, (sel & 0xfffc) | ext);
	lin = base + (sel & 0xfff8);
	if (!(c->efer & X86_EFER_LMA))
		lin &= 0xffffffffULL;
	d->lo = (uint32_t)x86_read_lin(c, lin, 4, true);
	d->hi = (uint32_t)x86_read_lin(c, lin + 4, 4, true);
	return lin;
}

uint64_t x86_desc_read_hi(struct x86_cpu *c, uint64_t lin)
{
	return (uint32_t)x86_read_lin(c, lin + 8, 4, true);
}

void x86_desc_to_seg(const struct x86_desc *d, uint16_t sel, struct x86_seg *s)
{
	uint32_t limit = (d->lo & 0xffff) | (d->hi & 0xf0000);

	if (d->hi & (1u << 23))
		limit = (limit << 12) | 0xfff;
	s->sel = sel;
	s->base = (d->lo >> 16) | ((d->hi & 0xff) << 16) | (d->hi & 0xff000000u);
	s->limit = limit;
	s->attr = (d->hi >> 8) & 0xf0ff;
}

/* The accessed bit (type bit 0) is set on load (SDM Vol. 3A 3.4.5.1). */
void x86_desc_set_accessed(struct x86_cpu *c, uint64_t lin, struct x86_desc *d)
{
	if (!DESC_S(d) || (d->hi & 0x100))
		return;
	d->hi |= 0x100;
	x86_write_lin(c, lin + 5, 1, (d->hi >> 8) & 0xff, true);
}

void x86_seg_null(struct x86_seg *s, uint16_t sel)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0;
	s->attr = SEG_UNUSABLE;
}

void x86_set_cs(struct x86_cpu *c, uint16_t sel, const struct x86_desc *d, int cpl)
{
	x86_desc_to_seg(d, sel, &c->seg[S_CS]);
	c->seg[S_CS].attr |= 1; /* accessed */
	c->cpl = (uint8_t)cpl;
	x86_mode_update(c);
}

/* RET/IRET to an outer level: data segments the new CPL may not use
 * become null (SDM Vol. 2A "RET" operation, RETURN-TO-OUTER-PRIVILEGE). */
void x86_seg_fix_outer(struct x86_cpu *c)
{
	static const int segs[] = { S_ES, S_DS, S_FS, S_GS };

	for (unsigned k = 0; k < sizeof(segs) / sizeof(segs[0]); k++) {
		struct x86_seg *s = &c->seg[segs[k]];
		bool conf_code = (SEG_TYPE(s) & 0xc) == 0xc;
		if (s->attr & SEG_UNUSABLE)
			continue;
		if (!conf_code && SEG_DPL(s) < c->cpl) {
			uint64_t base = s->base;
			x86_seg_null(s, 0);
			/* 64-bit mode keeps FS/GS bases (Vol. 3A 3.4.4). */
			if (c->mode == MODE_LONG && (segs[k] == S_FS || segs[k] == S_GS))
				s->base = base;
		}
	}
}

void x86_check_inner_ss(struct x86_cpu *c, uint16_t sel, int cpl, struct x86_seg *out,
			uint32_t ext)
{
	struct x86_desc d;
	uint64_t lin;

	if (!(sel & 0xfffc))
		x86_fault(c, X86_TS, ext);
	if ((sel & 3) != cpl)
		x86_fault(c, X86_TS, (sel & 0xfffc) | ext);
	lin = x86_desc_read(c, sel, &d, X86_TS, ext);
	if (!DESC_S(&d) || (DESC_TYPE(&d) & 0xa) != 0x2 || (int)DESC_DPL(&d) != cpl)
		x86_fault(c, X86_TS, (sel & 0xfffc) | ext);
	if (!DESC_P(&d))
		x86_fault(c, X86_SS, (sel & 0xfffc) | ext);
	x86_desc_set_accessed(c, lin, &d);
	x86_desc_to_seg(&d, sel, out);
}

/* --- segment register loads --- */

void x86_load_seg_real(struct x86_cpu *c, int sreg, uint16_t sel)
{
	struct x86_seg *s = &c->seg[sreg];

	/* Real mode changes only selector and base; limit and attributes stay
	 * ("unreal mode", SDM Vol. 3A 20.1.1), unless unusable. */
	s->sel = sel;
	s->base = (uint64_t)sel << 4;
	if ((s->attr & SEG_UNUSABLE) || c->mode == MODE_V86) {
		s->limit = 0xffff;
		s->attr = 0x93 | (c->mode == MODE_V86 ? 0x60 : 0);
	}
	if (sreg == S_CS) {
		s->attr = (s->attr & ~0xfu) | 0xb;
		x86_mode_update(c);
	} else if (sreg == S_SS) {
		x86_mode_update(c);
	}
}

/* MOV/POP Sreg and LxS in protected and long mode (Vol. 2A "MOV" and
 * Vol. 3A 5.7 for SS, 5.6 for data segments). */
void x86_load_seg(struct x86_cpu *c, int sreg, uint16_t sel)
{
	struct x86_seg *s = &c->seg[sreg];
	struct x86_desc d;
	uint16_t err = sel & 0xfffc;
	unsigned rpl = sel & 3;
	uint64_t lin;

	if (c->mode == MODE_REAL || c->mode == MODE_V86) {
		x86_load_seg_real(c, sreg, sel);
		return;
	}
	if (sreg == S_CS)
		seg_ud(c);
	if (!(sel & 0xfffc)) {
		if (sreg == S_SS) {
			/* 64-bit mode allows a null SS at CPL < 3 with RPL = CPL
			 * (Vol. 2A "MOV" 64-bit mode exceptions). */
			if (c->mode != MODE_LONG || c->cpl == 3 || rpl != c->cpl)
				x86_fault(c, X86_GP, 0);
		}
		x86_seg_null(s, sel);
		if (sreg == S_SS)
			x86_mode_update(c);
		return;
	}
	lin = x86_desc_read(c, sel, &d, X86_GP, 0);
	if (sreg == S_SS) {
		if (rpl != c->cpl || !DESC_S(&d) || (DESC_TYPE(&d) & 0xa) != 0x2 ||
		    DESC_DPL(&d) != c->cpl)
			x86_fault(c, X86_GP, err);
		if (!DESC_P(&d))
			x86_fault(c, X86_SS, err);
	} else {
		/* Data or readable code; DPL >= max(CPL, RPL) unless
		 * conforming code. */
		if (!DESC_S(&d) || (DESC_TYPE(&d) & 0xa) == 0x8)
			x86_fault(c, X86_GP, err);
		if (!((DESC_TYPE(&d) & 0xc) == 0xc) &&
		    (DESC_DPL(&d) < c->cpl || DESC_DPL(&d) < rpl))
			x86_fault(c, X86_GP, err);
		if (!DESC_P(&d))
			x86_fault(c, X86_NP, err);
	}
	x86_desc_set_accessed(c, lin, &d);
	{
		uint64_t keep = s->base;
		x86_desc_to_seg(&d, sel, s);
		/* In 64-bit mode the FS/GS base from a descriptor is only its
		 * low 32 bits (Vol. 3A 3.4.4): that is what was loaded. */
		(void)keep;
	}
	if (sreg == S_SS)
		x86_mode_update(c);
}

void x86_mode_update(struct x86_cpu *c)
{
	const struct x86_seg *cs = &c->seg[S_CS], *ss = &c->seg[S_SS];

	if (!(c->cr0 & X86_CR0_PE)) {
		c->mode = MODE_REAL;
		c->cpl = 0;
	} else if (c->rflags & F_VM) {
		c->mode = MODE_V86;
		c->cpl = 3;
	} else if (c->efer & X86_EFER_LMA) {
		c->mode = SEG_L(cs) ? MODE_LONG : MODE_COMPAT;
	} else {
		c->mode = MODE_PROT;
	}
	if (c->mode == MODE_LONG) {
		c->code_size = 8;
		c->stack_size = 8;
	} else {
		c->code_size = SEG_DB(cs) ? 4 : 2;
		c->stack_size = SEG_DB(ss) && !(ss->attr & SEG_UNUSABLE) ? 4 : 2;
		if (c->mode == MODE_COMPAT && (ss->attr & SEG_UNUSABLE))
			c->stack_size = 4;
	}
}

/* --- stack helpers for far transfers: read without committing --- */

static inline uint64_t sp_get(struct x86_cpu *c)
{
	return c->r[R_SP] & x86_stack_mask(c);
}

static inline void sp_set(struct x86_cpu *c, uint64_t sp)
{
	uint64_t m = x86_stack_mask(c);

	c->r[R_SP] = (c->r[R_SP] & ~m) | (sp & m);
}

static inline uint64_t stk_read(struct x86_cpu *c, uint64_t sp, uint64_t off, int size)
{
	return x86_read(c, S_SS, (sp + off) & x86_stack_mask(c), size);
}

/* Check a code segment selector as a far JMP/CALL target (Vol. 3A 5.8.1);
 * returns the new CPL. */
static int check_code_target(struct x86_cpu *c, uint16_t sel, const struct x86_desc *d)
{
	if (!DESC_CODE(d))
		x86_fault(c, X86_GP, sel & 0xfffc);
	if (DESC_CONFORMING(d)) {
		if (DESC_DPL(d) > c->cpl)
			x86_fault(c, X86_GP, sel & 0xfffc);
	} else if ((sel & 3) > c->cpl || DESC_DPL(d) != c->cpl) {
		x86_fault(c, X86_GP, sel & 0xfffc);
	}
	if (!DESC_P(d))
		x86_fault(c, X86_NP, sel & 0xfffc);
	if ((c->efer & X86_EFER_LMA) && DESC_L(d) && DESC_DB(d))
		x86_fault(c, X86_GP, sel & 0xfffc);
	return c->cpl;
}

/* The target offset must be canonical (64-bit CS) or inside the limit. */
static void check_target_off(struct x86_cpu *c, const struct x86_desc *d, uint64_t off)
{
	struct x86_seg s;

	if ((c->efer & X86_EFER_LMA) && DESC_L(d)) {
		if (!seg_canonical(off))
			x86_fault(c, X86_GP, 0);
		return;
	}
	x86_desc_to_seg(d, 0, &s);
	if (off > s.limit)
		x86_fault(c, X86_GP, 0);
}

/* Far CALL through a call gate to a more privileged level: new stack from
 * the TSS, old SS:SP and the gate's parameters copied (Vol. 3A 5.8.5). */
static void call_gate_inner(struct x86_cpu *c, uint16_t tsel, const struct x86_desc *td,
			    uint64_t off, int gsize, int params)
{
	int ncpl = DESC_DPL(td);
	struct x86_seg nss;
	uint64_t sp, osp = c->r[R_SP];
	int ssize;

	if (gsize == 8) {
		sp = x86_tss_read64(c, 4 + ncpl * 8, 0);
		x86_seg_null(&nss, (uint16_t)ncpl);
		ssize = 8;
		if (!seg_canonical(sp))
			x86_fault(c, X86_SS, 0);
	} else {
		uint16_t nsel;
		x86_tss_stack(c, ncpl, &nsel, &sp, 0);
		x86_check_inner_ss(c, nsel, ncpl, &nss, 0);
		ssize = SEG_DB(&nss) ? 4 : 2;
		sp &= x86_mask(ssize);
	}
	sp = x86_push_on(c, &nss, sp, ssize, gsize, c->seg[S_SS].sel, ncpl, nss.sel & 0xfffc);
	sp = x86_push_on(c, &nss, sp, ssize, gsize, osp & x86_stack_mask(c), ncpl,
			 nss.sel & 0xfffc);
	for (int k = params - 1; k >= 0; k--) {
		uint64_t v = stk_read(c, sp_get(c), (uint64_t)k * gsize, gsize);
		sp = x86_push_on(c, &nss, sp, ssize, gsize, v, ncpl, nss.sel & 0xfffc);
	}
	sp = x86_push_on(c, &nss, sp, ssize, gsize, c->seg[S_CS].sel, ncpl, nss.sel & 0xfffc);
	sp = x86_push_on(c, &nss, sp, ssize, gsize, c->rip, ncpl, nss.sel & 0xfffc);
	c->seg[S_SS] = nss;
	c->r[R_SP] = ssize == 8 ? sp : (ssize == 4 ? (uint32_t)sp : (osp & ~0xffffULL) | sp);
	x86_set_cs(c, (tsel & 0xfffc) | ncpl, td, ncpl);
	c->rip = off;
}

/* Far JMP or CALL to sel:off (Vol. 2A "JMP"/"CALL" far, Vol. 3A 5.8). */
static void far_transfer(struct x86_cpu *c, uint16_t sel, uint64_t off, int opsz, bool call)
{
	struct x86_desc d, td;
	uint64_t lin, sp;

	if (c->mode == MODE_REAL || c->mode == MODE_V86) {
		off &= x86_mask(opsz);
		if (off > c->seg[S_CS].limit)
			x86_fault(c, X86_GP, 0);
		if (call) {
			sp = sp_get(c);
			sp = x86_push_on(c, &c->seg[S_SS], sp, c->stack_size, opsz,
					 c->seg[S_CS].sel, 0, 0);
			sp = x86_push_on(c, &c->seg[S_SS], sp, c->stack_size, opsz, c->rip, 0, 0);
			sp_set(c, sp);
		}
		x86_load_seg_real(c, S_CS, sel);
		c->rip = off;
		return;
	}
	if (!(sel & 0xfffc))
		x86_fault(c, X86_GP, 0);
	lin = x86_desc_read(c, sel, &d, X86_GP, 0);
	if (DESC_S(&d)) {
		check_code_target(c, sel, &d);
		off &= x86_mask(opsz);
		check_target_off(c, &d, off);
		if (call) {
			sp = sp_get(c);
			sp = x86_push_on(c, &c->seg[S_SS], sp, c->stack_size, opsz,
					 c->seg[S_CS].sel, c->cpl, 0);
			sp = x86_push_on(c, &c->seg[S_SS], sp, c->stack_size, opsz, c->rip, c->cpl, 0);
			sp_set(c, sp);
		}
		x86_desc_set_accessed(c, lin, &d);
		x86_set_cs(c, (sel & 0xfffc) | c->cpl, &d, c->cpl);
		c->rip = off;
		return;
	}

	/* System descriptor: only call gates (Vol. 3A 5.8.3). */
	{
		bool lma = c->efer & X86_EFER_LMA;
		int type = DESC_TYPE(&d), gsize, params;
		uint16_t tsel;
		uint64_t toff;

		if (!(type == 0xc || (!lma && type == 0x4))) {
			pr_guest("x86emu: far %s to system descriptor type %#x (task switch?) "
				 "not supported", call ? "call" : "jmp", type);
			x86_fault(c, X86_GP, sel & 0xfffc);
		}
		if (DESC_DPL(&d) < c->cpl || DESC_DPL(&d) < (sel & 3))
			x86_fault(c, X86_GP, sel & 0xfffc);
		if (!DESC_P(&d))
			x86_fault(c, X86_NP, sel & 0xfffc);
		tsel = (uint16_t)(d.lo >> 16);
		toff = (d.lo & 0xffff) | (d.hi & 0xffff0000u);
		gsize = lma ? 8 : type == 0xc ? 4 : 2;
		params = lma ? 0 : d.hi & 0x1f;
		if (lma) {
			/* The upper half must have type 0 (Vol. 3A 5.8.3.1). */
			uint32_t up = (uint32_t)x86_read_lin(c, lin + 12, 4, true);
			if (up & 0x1f00)
				x86_fault(c, X86_GP, sel & 0xfffc);
			toff |= x86_desc_read_hi(c, lin) << 32;
		} else if (gsize == 2) {
			toff &= 0xffff;
		}
		if (!(tsel & 0xfffc))
			x86_fault(c, X86_GP, 0);
		lin = x86_desc_read(c, tsel, &td, X86_GP, 0);
		if (!DESC_CODE(&td) || DESC_DPL(&td) > c->cpl)
			x86_fault(c, X86_GP, tsel & 0xfffc);
		if (!DESC_P(&td))
			x86_fault(c, X86_NP, tsel & 0xfffc);
		if (lma && (!DESC_L(&td) || DESC_DB(&td)))
			x86_fault(c, X86_GP, tsel & 0xfffc);
		check_target_off(c, &td, toff);
		if (!call) {
			if (!DESC_CONFORMING(&td) && DESC_DPL(&td) != c->cpl)
				x86_fault(c, X86_GP, tsel & 0xfffc);
			x86_desc_set_accessed(c, lin, &td);
			x86_set_cs(c, (tsel & 0xfffc) | c->cpl, &td, c->cpl);
			c->rip = toff;
			return;
		}
		x86_desc_set_accessed(c, lin, &td);
		if (!DESC_CONFORMING(&td) && DESC_DPL(&td) < c->cpl) {
			call_gate_inner(c, tsel, &td, toff, gsize, params);
			return;
		}
		sp = sp_get(c);
		sp = x86_push_on(c, &c->seg[S_SS], sp, c->stack_size, gsize,
				 c->seg[S_CS].sel, c->cpl, 0);
		sp = x86_push_on(c, &c->seg[S_SS], sp, c->stack_size, gsize, c->rip, c->cpl, 0);
		sp_set(c, sp);
		x86_set_cs(c, (tsel & 0xfffc) | c->cpl, &td, c->cpl);
		c->rip = toff;
	}
}

/* Check the CS selector a RET/IRET pops (Vol. 2A "RET" protected mode). */
static void check_return_cs(struct x86_cpu *c, uint16_t sel, struct x86_desc *d)
{
	unsigned rpl = sel & 3;

	if (!(sel & 0xfffc))
		x86_fault(c, X86_GP, 0);
	x86_desc_read(c, sel, d, X86_GP, 0);
	if (!DESC_CODE(d) || rpl < c->cpl)
		x86_fault(c, X86_GP, sel & 0xfffc);
	if (DESC_CONFORMING(d) ? DESC_DPL(d) > rpl : DESC_DPL(d) != rpl)
		x86_fault(c, X86_GP, sel & 0xfffc);
	if (!DESC_P(d))
		x86_fault(c, X86_NP, sel & 0xfffc);
	if ((c->efer & X86_EFER_LMA) && DESC_L(d) && DESC_DB(d))
		x86_fault(c, X86_GP, sel & 0xfffc);
}

/* Check the SS a return to an outer level (or 64-bit IRET) pops. */
static void check_return_ss(struct x86_cpu *c, uint16_t sel, unsigned rpl,
			    const struct x86_desc *cs, struct x86_seg *out)
{
	struct x86_desc d;
	uint64_t lin;

	if (!(sel & 0xfffc)) {
		/* Null SS only to 64-bit code at CPL < 3 (Vol. 2A "IRET"). */
		if (!(c->efer & X86_EFER_LMA) || !DESC_L(cs) || rpl == 3)
			x86_fault(c, X86_GP, 0);
		x86_seg_null(out, sel);
		return;
	}
	if ((sel & 3) != rpl)
		x86_fault(c, X86_GP, sel & 0xfffc);
	lin = x86_desc_read(c, sel, &d, X86_GP, 0);
	if (!DESC_S(&d) || (DESC_TYPE(&d) & 0xa) != 0x2 || DESC_DPL(&d) != rpl)
		x86_fault(c, X86_GP, sel & 0xfffc);
	if (!DESC_P(&d))
		x86_fault(c, X86_SS, sel & 0xfffc);
	x86_desc_set_accessed(c, lin, &d);
	x86_desc_to_seg(&d, sel, out);
}

static void ret_far(struct x86_cpu *c, int opsz, uint64_t imm)
{
	uint64_t sp = sp_get(c), ip, nsp;
	uint16_t sel, ssel;
	struct x86_desc d;
	struct x86_seg nss;
	unsigned rpl;

	ip = stk_read(c, sp, 0, opsz);
	sel = (uint16_t)stk_read(c, sp, opsz, 2);
	if (c->mode == MODE_REAL || c->mode == MODE_V86) {
		if (ip > c->seg[S_CS].limit)
			x86_fault(c, X86_GP, 0);
		x86_load_seg_real(c, S_CS, sel);
		c->rip = ip;
		sp_set(c, sp + 2 * opsz + imm);
		return;
	}
	check_return_cs(c, sel, &d);
	check_target_off(c, &d, ip);
	rpl = sel & 3;
	if (rpl == c->cpl) {
		sp_set(c, sp + 2 * opsz + imm);
		x86_set_cs(c, sel, &d, rpl);
		c->rip = ip;
		return;
	}
	/* Return to an outer privilege level (Vol. 3A 5.8.6). */
	nsp = stk_read(c, sp, 2 * opsz + imm, opsz);
	ssel = (uint16_t)stk_read(c, sp, 3 * opsz + imm, 2);
	check_return_ss(c, ssel, rpl, &d, &nss);
	x86_set_cs(c, sel, &d, rpl);
	c->seg[S_SS] = nss;
	x86_mode_update(c);
	c->rip = ip;
	if (c->mode == MODE_LONG)
		c->r[R_SP] = nsp + imm;
	else
		sp_set(c, nsp + imm);
	x86_seg_fix_outer(c);
}

/* RFLAGS bits IRET may change at the old CPL (Vol. 2A "IRET" operation). */
static uint64_t iret_flag_mask(struct x86_cpu *c, int opsz)
{
	uint64_t m = F_ARITH | F_TF | F_DF | F_NT | F_RF | F_AC | F_ID;
	unsigned iopl = (c->rflags & F_IOPL) >> 12;

	if (c->mode == MODE_REAL || c->cpl == 0)
		m |= F_IOPL | F_VIF | F_VIP;
	if (c->mode == MODE_REAL || c->cpl <= iopl)
		m |= F_IF;
	if (c->mode == MODE_REAL)
		m &= ~(uint64_t)(F_VIF | F_VIP);
	if (opsz == 2)
		m &= 0xffff;
	return m;
}

static void iret(struct x86_cpu *c, int opsz)
{
	uint64_t sp = sp_get(c), ip, flags, nsp = 0, mask;
	uint16_t sel, ssel = 0;
	struct x86_desc d;
	struct x86_seg nss;
	unsigned rpl;
	bool pop_ss;

	ip = stk_read(c, sp, 0, opsz);
	sel = (uint16_t)stk_read(c, sp, opsz, 2);
	flags = stk_read(c, sp, 2 * opsz, opsz);
	c->nmi_blocked = 0;
	if (c->mode == MODE_REAL) {
		if (ip > c->seg[S_CS].limit)
			x86_fault(c, X86_GP, 0);
		mask = iret_flag_mask(c, opsz);
		x86_load_seg_real(c, S_CS, sel);
		c->rip = ip;
		sp_set(c, sp + 3 * opsz);
		x86_flags_set(c, flags, mask);
		return;
	}
	if (c->mode == MODE_V86) {
		pr_guest("x86emu: IRET in virtual-8086 mode not supported");
		x86_fault(c, X86_GP, 0);
	}
	if (c->rflags & F_NT) {
		pr_guest("x86emu: IRET with NT=1 (task return) not supported");
		x86_fault(c, X86_GP, 0);
	}
	if (c->mode == MODE_PROT && (flags & F_VM) && c->cpl == 0 && opsz == 4) {
		pr_guest("x86emu: IRET to virtual-8086 mode not supported");
		x86_fault(c, X86_GP, 0);
	}
	check_return_cs(c, sel, &d);
	rpl = sel & 3;
	check_target_off(c, &d, (c->efer & X86_EFER_LMA) && DESC_L(&d) ? ip : ip & 0xffffffffULL);
	/* 64-bit mode IRET always pops SS:RSP (Vol. 3A 6.14.3). */
	pop_ss = rpl > c->cpl || c->mode == MODE_LONG;
	if (pop_ss) {
		nsp = stk_read(c, sp, 3 * opsz, opsz);
		ssel = (uint16_t)stk_read(c, sp, 4 * opsz, 2);
		check_return_ss(c, ssel, rpl, &d, &nss);
	}
	mask = iret_flag_mask(c, opsz);
	if (!pop_ss)
		sp_set(c, sp + 3 * opsz);
	x86_flags_set(c, flags, mask);
	x86_set_cs(c, sel, &d, rpl);
	c->rip = ip;
	if (pop_ss) {
		c->seg[S_SS] = nss;
		x86_mode_update(c);
		if (c->mode == MODE_LONG)
			c->r[R_SP] = nsp;
		else
			sp_set(c, nsp);
	}
	if (rpl > c->cpl || pop_ss)
		x86_seg_fix_outer(c);
}

/* --- handlers --- */

static void h_mov_to_sreg(struct x86_cpu *c, const struct x86_insn *i)
{
	int sreg = i->reg & 7;
	uint16_t v;

	if (sreg == S_CS || sreg > S_GS)
		seg_ud(c);
	v = (uint16_t)x86_rm_read(c, i, 2);
	x86_load_seg(c, sreg, v);
	/* MOV SS blocks interrupts and debug traps for one instruction
	 * (Vol. 3A 6.8.3): shadow 2 tells run.c to skip the TF trap too. */
	if (sreg == S_SS)
		c->shadow = 2;
}

static void h_mov_from_sreg(struct x86_cpu *c, const struct x86_insn *i)
{
	int sreg = i->reg & 7;

	if (sreg > S_GS)
		seg_ud(c);
	/* Register destinations get the selector zero-extended. */
	x86_rm_write(c, i, i->mod == 3 ? i->opsz : 2, c->seg[sreg].sel);
}

static int sreg_of(const struct x86_insn *i)
{
	if (i->map == 0)
		return (i->op >> 3) & 3;         /* 06 0E 16 1E / 07 17 1F */
	return i->op >= 0xa8 ? S_GS : S_FS;     /* 0F A0/A1, 0F A8/A9 */
}

static void h_push_sreg(struct x86_cpu *c, const struct x86_insn *i)
{
	int sreg = sreg_of(i);

	if (i->map == 0 && c->mode == MODE_LONG)
		seg_ud(c);
	x86_push(c, i->opsz, c->seg[sreg].sel);
}

static void h_pop_sreg(struct x86_cpu *c, const struct x86_insn *i)
{
	int sreg = sreg_of(i);
	uint64_t sp = sp_get(c);

	if (i->map == 0 && c->mode == MODE_LONG)
		seg_ud(c);
	x86_load_seg(c, sreg, (uint16_t)stk_read(c, sp, 0, 2));
	if (c->mode == MODE_LONG)
		c->r[R_SP] += i->opsz;
	else
		sp_set(c, sp + i->opsz);
	if (sreg == S_SS)
		c->shadow = 2;
}

static void h_lxs(struct x86_cpu *c, const struct x86_insn *i)
{
	int sreg;
	uint64_t ea, off;
	uint16_t sel;

	if (i->mod == 3)
		seg_ud(c);
	if (i->map == 0) {
		if (c->mode == MODE_LONG)
			seg_ud(c);
		sreg = i->op == 0xc4 ? S_ES : S_DS;
	} else {
		sreg = i->op == 0xb2 ? S_SS : i->op == 0xb4 ? S_FS : S_GS;
	}
	ea = x86_ea(c, i);
	off = x86_read(c, i->seg, ea, i->opsz);
	sel = (uint16_t)x86_read(c, i->seg, (ea + i->opsz) & x86_mask(i->adsz), 2);
	x86_load_seg(c, sreg, sel);
	x86_reg_set(c, i, i->reg, i->opsz, off);
}

static void h_jmpf_ptr(struct x86_cpu *c, const struct x86_insn *i)
{
	if (c->mode == MODE_LONG)
		seg_ud(c);
	far_transfer(c, i->imm2, i->imm, i->opsz, false);
}

static void h_callf_ptr(struct x86_cpu *c, const struct x86_insn *i)
{
	if (c->mode == MODE_LONG)
		seg_ud(c);
	far_transfer(c, i->imm2, i->imm, i->opsz, true);
}

/* m16:16, m16:32 or m16:64 operand (Vol. 2A "JMP"). */
static void far_mem(struct x86_cpu *c, const struct x86_insn *i, bool call)
{
	uint64_t ea, off;
	uint16_t sel;

	if (i->mod == 3)
		seg_ud(c);
	ea = x86_ea(c, i);
	off = x86_read(c, i->seg, ea, i->opsz);
	sel = (uint16_t)x86_read(c, i->seg, (ea + i->opsz) & x86_mask(i->adsz), 2);
	far_transfer(c, sel, off, i->opsz, call);
}

void x86_far_call_m(struct x86_cpu *c, const struct x86_insn *i)
{
	far_mem(c, i, true);
}

void x86_far_jmp_m(struct x86_cpu *c, const struct x86_insn *i)
{
	far_mem(c, i, false);
}

static void h_retf(struct x86_cpu *c, const struct x86_insn *i)
{
	/* 64-bit mode: far RET defaults to 32-bit operands (REX.W: 64). */
	ret_far(c, i->opsz, i->op == 0xca ? (i->imm & 0xffff) : 0);
}

static void h_iret(struct x86_cpu *c, const struct x86_insn *i)
{
	iret(c, i->opsz);
}

/* ctrl.c's 0xFF group reaches far CALL/JMP through these hooks when it
 * has them (weak: absent is fine). */
extern x86_handler x86_callf_mem __attribute__((weak));
extern x86_handler x86_jmpf_mem __attribute__((weak));

void x86_register_seg(void)
{
	x86_optab[0][0x06] = h_push_sreg;
	x86_optab[0][0x07] = h_pop_sreg;
	x86_optab[0][0x0e] = h_push_sreg;
	x86_optab[0][0x16] = h_push_sreg;
	x86_optab[0][0x17] = h_pop_sreg;
	x86_optab[0][0x1e] = h_push_sreg;
	x86_optab[0][0x1f] = h_pop_sreg;
	x86_optab[0][0x8c] = h_mov_from_sreg;
	x86_optab[0][0x8e] = h_mov_to_sreg;
	x86_optab[0][0x9a] = h_callf_ptr;
	x86_optab[0][0xc4] = h_lxs;
	x86_optab[0][0xc5] = h_lxs;
	x86_optab[0][0xca] = h_retf;
	x86_optab[0][0xcb] = h_retf;
	x86_optab[0][0xcf] = h_iret;
	x86_optab[0][0xea] = h_jmpf_ptr;
	x86_optab[1][0xa0] = h_push_sreg;
	x86_optab[1][0xa1] = h_pop_sreg;
	x86_optab[1][0xa8] = h_push_sreg;
	x86_optab[1][0xa9] = h_pop_sreg;
	x86_optab[1][0xb2] = h_lxs;
	x86_optab[1][0xb4] = h_lxs;
	x86_optab[1][0xb5] = h_lxs;
	x86_register_desc();
	if (&x86_callf_mem)
		x86_callf_mem = x86_far_call_m;
	if (&x86_jmpf_mem)
		x86_jmpf_mem = x86_far_jmp_m;
}
