/* SSE and SSE2 (the x86-64 baseline): the 0F-map xmm instructions, MXCSR
 * and group 15 (0F AE: FXSAVE/FXRSTOR, LDMXCSR/STMXCSR, fences, CLFLUSH).
 *
 * Arithmetic, conversions, compares and the integer ops are table driven
 * and run on the host (ssehost.c); moves, shuffles and the few operations
 * with GPR or partial operands are done here.
 *
 * MMX is not implemented: the 0F encodings without a 66 prefix that name
 * MMX registers are #UD, so CPUID must not advertise MMX. Nothing beyond
 * SSE2 is implemented (SSE3 encodings such as MOVDDUP and LDDQU are #UD).
 *
 * References: Intel SDM Vol. 1 chapters 10-11, Vol. 2 instruction pages,
 * Vol. 3A 2.5 (CR0.EM/TS, CR4.OSFXSR/OSXMMEXCPT) and 13.1-13.4.
 */
#include <string.h>
#include "cpu/x86/fpu.h"
#include "cpu/x86/sse.h"

static const struct sse_form *sse_tab[256][4];

static inline int pfx_idx(const struct x86_insn *i)
{
	switch (i->sse_pfx) {
	case 0x66: return 1;
	case 0xf3: return 2;
	case 0xf2: return 3;
	}
	return 0;
}

static _Noreturn void sse_ud(struct x86_cpu *c)
{
	x86_fault(c, X86_UD, X86_NOERR);
}

/* CR0.EM=1 or CR4.OSFXSR=0 -> #UD; then CR0.TS=1 -> #NM (SDM Vol. 3A
 * Table 2-2 and 13.1; Vol. 2 "SIMD Floating-Point Exceptions" tables). */
static void sse_check(struct x86_cpu *c)
{
	if ((c->cr0 & CR0_EM_BIT) || !(c->cr4 & CR4_OSFXSR_BIT))
		sse_ud(c);
	if (c->cr0 & CR0_TS_BIT)
		x86_fault(c, X86_NM, X86_NOERR);
}

/* The MXCSR the host runs with: the guest's rounding, DAZ and FZ, every
 * exception masked, no flags, so the host's flags afterwards are exactly
 * what this operation raised. */
static inline uint32_t sse_mx(const struct x86_cpu *c)
{
	return (c->fpu.mxcsr & ~MXCSR_FLAGS) | MXCSR_MASKS;
}

/* Merge raised flags. An unmasked one is #XM with CR4.OSXMMEXCPT, else
 * #UD (SDM Vol. 3A 6.15 "Interrupt 19"), and the destination is left
 * alone: callers write it only after this returns. */
static void sse_raise(struct x86_cpu *c, uint32_t host_mx)
{
	uint32_t flags = host_mx & MXCSR_FLAGS;
	uint32_t unmasked = flags & ~(c->fpu.mxcsr >> 7) & MXCSR_FLAGS;

	/* The host ran masked. An unmasked pre-computation exception (IE,
	 * DE, ZE: 0x7) in any element stops the instruction before the
	 * post-computation flags exist (SDM Vol. 1 11.5.2). */
	if (unmasked & 0x7)
		flags &= 0x7;
	c->fpu.mxcsr |= flags;
	if (unmasked)
		x86_fault(c, (c->cr4 & CR4_OSXMMEXCPT_BIT) ? X86_XM : X86_UD, X86_NOERR);
}

/* Effective address of a memory operand that must be 16-byte aligned:
 * #GP(0) otherwise, whatever the segment (SDM Vol. 2 MOVAPS "Exceptions"). */
static uint64_t sse_ea_aligned(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t ea = x86_ea(c, i);
	if (fpu_lin(c, i->seg, ea) & 15)
		x86_fault(c, X86_GP, 0);
	return ea;
}

/* Source operand: an xmm register, or size bytes of memory (zero
 * extended); 16-byte memory operands are aligned unless `unaligned`. */
static void sse_src(struct x86_cpu *c, const struct x86_insn *i, union x86_xmm *s, int size,
		    bool unaligned)
{
	uint64_t ea;

	if (i->mod == 3) {
		*s = c->fpu.xmm[i->rm];
		return;
	}
	memset(s, 0, sizeof(*s));
	if (size == 16) {
		ea = unaligned ? x86_ea(c, i) : sse_ea_aligned(c, i);
		x86_read_bytes(c, i->seg, ea, s, 16);
	} else if (size == 8) {
		s->q[0] = x86_read(c, i->seg, x86_ea(c, i), 8);
	} else {
		s->d[0] = (uint32_t)x86_read(c, i->seg, x86_ea(c, i), 4);
	}
}

/* Store to an xmm register (rm) or size bytes of memory. */
static void sse_dst(struct x86_cpu *c, const struct x86_insn *i, const union x86_xmm *v,
		    int size, bool unaligned)
{
	if (i->mod == 3) {
		c->fpu.xmm[i->rm] = *v;
		return;
	}
	if (size == 16) {
		uint64_t ea = unaligned ? x86_ea(c, i) : sse_ea_aligned(c, i);
		x86_write_bytes(c, i->seg, ea, v, 16);
	} else {
		x86_write(c, i->seg, x86_ea(c, i), size, size == 8 ? v->q[0] : v->d[0]);
	}
}

/* Does an add/sub/mul/div/narrowing conversion result hold a denormal?
 * With UE unmasked, an exact tiny result still raises underflow (SDM Vol.
 * 1 11.5.2.4), which the masked host run does not flag. */
static bool sse_tiny(int op, int p, const union x86_xmm *r)
{
	bool dbl = (p == 1 || p == 3) && op != 0x5a;
	int n = p >= 2 ? 1 : (dbl || op == 0x5a ? 2 : 4);

	if (op != 0x58 && op != 0x59 && op != 0x5c && op != 0x5e &&
	    !(op == 0x5a && (p == 1 || p == 3)))
		return false;
	for (int k = 0; k < n; k++) {
		if (dbl ? ((r->q[k] >> 52) & 0x7ff) == 0 && (r->q[k] << 12)
			: ((r->d[k] >> 23) & 0xff) == 0 && (r->d[k] << 9))
			return true;
	}
	return false;
}

/* The table-driven forms: xmm(reg) = xmm(reg) op xmm/mem. */
static void sse_table_op(struct x86_cpu *c, const struct x86_insn *i)
{
	const struct sse_form *f = sse_tab[i->op][pfx_idx(i)];
	bool um = !(c->fpu.mxcsr & 0x800);
	union x86_xmm d, s;
	uint32_t out, mx;

	if (!f)
		sse_ud(c);
	sse_check(c);
	sse_src(c, i, &s, f->msize, false);
	d = c->fpu.xmm[i->reg];
	/* FZ applies only while underflow is masked (SDM Vol. 1 10.2.3.4). */
	mx = sse_mx(c);
	if (um)
		mx &= ~MXCSR_FZ;
	out = f->fn(&d, &s, mx);
	if (f->fp && um && sse_tiny(i->op, pfx_idx(i), &d))
		out |= 0x10;
	if (f->fp) {
		uint32_t unm = out & ~(c->fpu.mxcsr >> 7) & MXCSR_FLAGS;
		/* Unmasked OE/UE alone: PE comes from the unbounded result. */
		if ((unm & 0x18) && !(unm & 0x7)) {
			int pe = sse_pe_unbounded(i->op, pfx_idx(i), &c->fpu.xmm[i->reg], &s,
						  c->fpu.mxcsr);
			if (pe >= 0)
				out = (out & ~0x20u) | (pe ? 0x20u : 0);
		}
		sse_raise(c, out);
	}
	c->fpu.xmm[i->reg] = d;
}

/* 0F 10/11: MOVUPS/MOVUPD, MOVSS, MOVSD. */
static void sse_movu(struct x86_cpu *c, const struct x86_insn *i)
{
	bool store = i->op == 0x11;
	union x86_xmm *x = &c->fpu.xmm[i->reg], v;
	int p = pfx_idx(i), size = p < 2 ? 16 : (p == 2 ? 4 : 8);

	sse_check(c);
	if (size == 16) {
		if (store) {
			sse_dst(c, i, x, 16, true);
		} else {
			sse_src(c, i, &v, 16, true);
			*x = v;
		}
		return;
	}
	/* Scalar: register to register merges the low element; a load from
	 * memory zeroes the rest (SDM Vol. 2B MOVSS/MOVSD). */
	if (i->mod == 3) {
		union x86_xmm *dst = store ? &c->fpu.xmm[i->rm] : x;
		const union x86_xmm *src = store ? x : &c->fpu.xmm[i->rm];
		if (size == 4)
			dst->d[0] = src->d[0];
		else
			dst->q[0] = src->q[0];
		return;
	}
	if (store) {
		sse_dst(c, i, x, size, true);
	} else {
		sse_src(c, i, &v, size, true);
		*x = v;
	}
}

/* 0F 12/13/16/17: MOVLPS/MOVHLPS/MOVLPD, MOVHPS/MOVLHPS/MOVHPD. */
static void sse_movlh(struct x86_cpu *c, const struct x86_insn *i)
{
	int p = pfx_idx(i);
	bool high = i->op >= 0x16, store = i->op & 1;
	union x86_xmm *x = &c->fpu.xmm[i->reg];

	if (p > 1 || (i->mod == 3 && (store || p == 1)))
		sse_ud(c);   /* SSE3 forms, and the memory-only ones */
	sse_check(c);
	if (i->mod == 3) {   /* MOVHLPS / MOVLHPS */
		if (high)
			x->q[1] = c->fpu.xmm[i->rm].q[0];
		else
			x->q[0] = c->fpu.xmm[i->rm].q[1];
		return;
	}
	if (store)
		x86_write(c, i->seg, x86_ea(c, i), 8, x->q[high]);
	else
		x->q[high] = x86_read(c, i->seg, x86_ea(c, i), 8);
}

/* 0F 28/29 MOVAPS/MOVAPD, 66 0F 6F/7F MOVDQA, F3 0F 6F/7F MOVDQU,
 * 0F 2B MOVNTPS/PD, 66 0F E7 MOVNTDQ. */
static void sse_mova(struct x86_cpu *c, const struct x86_insn *i)
{
	int p = pfx_idx(i);
	bool store = i->op == 0x29 || i->op == 0x7f || i->op == 0x2b || i->op == 0xe7;
	bool unaligned = false;
	union x86_xmm v;

	switch (i->op) {
	case 0x28: case 0x29:
		if (p > 1)
			sse_ud(c);
		break;
	case 0x2b:
		if (p > 1 || i->mod == 3)
			sse_ud(c);
		break;
	case 0xe7:
		if (p != 1 || i->mod == 3)
			sse_ud(c);
		break;
	default:   /* 6F/7F: no prefix is MMX */
		if (p != 1 && p != 2)
			sse_ud(c);
		unaligned = p == 2;
		break;
	}
	sse_check(c);
	if (store) {
		sse_dst(c, i, &c->fpu.xmm[i->reg], 16, unaligned);
	} else {
		sse_src(c, i, &v, 16, unaligned);
		c->fpu.xmm[i->reg] = v;
	}
}

/* F3/F2 0F 2A: CVTSI2SS/CVTSI2SD (no prefix / 66: MMX forms, #UD). */
static void sse_cvtsi2_op(struct x86_cpu *c, const struct x86_insn *i)
{
	int p = pfx_idx(i);
	bool q = (i->rex & 8) != 0;
	union x86_xmm d;
	uint64_t v;
	uint32_t out;

	if (p < 2)
		sse_ud(c);
	sse_check(c);
	v = x86_rm_read(c, i, q ? 8 : 4);
	d = c->fpu.xmm[i->reg];
	out = sse_cvtsi2(p == 3, q, &d, v, sse_mx(c));
	sse_raise(c, out);
	c->fpu.xmm[i->reg] = d;
}

/* F3/F2 0F 2C/2D: CVT(T)SS2SI, CVT(T)SD2SI. */
static void sse_cvt2si_op(struct x86_cpu *c, const struct x86_insn *i)
{
	int p = pfx_idx(i);
	bool q = (i->rex & 8) != 0;
	union x86_xmm s;
	uint64_t r;
	uint32_t out;

	if (p < 2)
		sse_ud(c);
	sse_check(c);
	sse_src(c, i, &s, p == 2 ? 4 : 8, true);
	out = sse_cvt2si(p == 3, i->op == 0x2c, q, &s, sse_mx(c), &r);
	sse_raise(c, out);
	x86_reg_set(c, i, i->reg, q ? 8 : 4, r);
}

/* 0F 2E/2F: UCOMISS/COMISS, 66: UCOMISD/COMISD. */
static void sse_comis(struct x86_cpu *c, const struct x86_insn *i)
{
	int p = pfx_idx(i);
	union x86_xmm s;
	uint8_t zpc[3];
	uint32_t out;
	uint64_t f = 0;

	if (p > 1)
		sse_ud(c);
	sse_check(c);
	sse_src(c, i, &s, p ? 8 : 4, true);
	out = sse_comi((p ? 2 : 0) | (i->op & 1), &c->fpu.xmm[i->reg], &s, sse_mx(c), zpc);
	sse_raise(c, out);
	if (zpc[0])
		f |= F_ZF;
	if (zpc[1])
		f |= F_PF;
	if (zpc[2])
		f |= F_CF;
	x86_flags_set(c, f, F_ARITH);   /* OF, SF, AF cleared */
}

/* 0F 50 MOVMSKPS, 66 0F 50 MOVMSKPD, 66 0F D7 PMOVMSKB: sign bits into a
 * GPR, zero-extended. */
static void sse_movmsk(struct x86_cpu *c, const struct x86_insn *i)
{
	int p = pfx_idx(i);
	const union x86_xmm *s = &c->fpu.xmm[i->rm];
	uint64_t m = 0;

	if (i->mod != 3 || p > 1 || (i->op == 0xd7 && p != 1))
		sse_ud(c);
	sse_check(c);
	if (i->op == 0xd7) {
		for (int k = 0; k < 16; k++)
			m |= (uint64_t)(s->b[k] >> 7) << k;
	} else if (p == 0) {
		for (int k = 0; k < 4; k++)
			m |= (uint64_t)(s->d[k] >> 31) << k;
	} else {
		m = (s->q[0] >> 63) | (s->q[1] >> 63) << 1;
	}
	c->r[i->reg] = m;
}

/* 66 0F 6E MOVD/MOVQ xmm, r/m; 66 0F 7E MOVD/MOVQ r/m, xmm; F3 0F 7E MOVQ
 * xmm, xmm/m64; 66 0F D6 MOVQ xmm/m64, xmm. */
static void sse_movdq(struct x86_cpu *c, const struct x86_insn *i)
{
	int p = pfx_idx(i);
	int size = (i->rex & 8) ? 8 : 4;
	union x86_xmm v;

	if (i->op == 0x7e && p == 2) {
		sse_check(c);
		sse_src(c, i, &v, 8, true);
		v.q[1] = 0;
		c->fpu.xmm[i->reg] = v;
		return;
	}
	if (p != 1)
		sse_ud(c);
	sse_check(c);
	if (i->op == 0x6e) {
		memset(&v, 0, sizeof(v));
		v.q[0] = x86_rm_read(c, i, size);
		c->fpu.xmm[i->reg] = v;
	} else if (i->op == 0x7e) {
		x86_rm_write(c, i, size, c->fpu.xmm[i->reg].q[0] & x86_mask(size));
	} else {   /* D6 */
		v = c->fpu.xmm[i->reg];
		v.q[1] = 0;
		if (i->mod == 3)
			c->fpu.xmm[i->rm] = v;
		else
			x86_write(c, i->seg, x86_ea(c, i), 8, v.q[0]);
	}
}

/* 0F 70: PSHUFD (66), PSHUFHW (F3), PSHUFLW (F2); no prefix is MMX. */
static void sse_pshuf(struct x86_cpu *c, const struct x86_insn *i)
{
	int p = pfx_idx(i);
	unsigned imm = i->imm & 0xff;
	union x86_xmm s, r;

	if (p == 0)
		sse_ud(c);
	sse_check(c);
	sse_src(c, i, &s, 16, false);
	r = s;
	for (int k = 0; k < 4; k++) {
		unsigned sel = (imm >> (2 * k)) & 3;
		if (p == 1)
			r.d[k] = s.d[sel];
		else if (p == 2)
			r.w[4 + k] = s.w[4 + sel];
		else
			r.w[k] = s.w[sel];
	}
	c->fpu.xmm[i->reg] = r;
}

/* 66 0F 71/72/73: shifts by imm8 of xmm(rm); 73 /3 /7 shift whole bytes. */
static void sse_shift_imm(struct x86_cpu *c, const struct x86_insn *i)
{
	unsigned n = i->imm & 0xff, r = i->reg & 7;
	union x86_xmm *x = &c->fpu.xmm[i->rm], v, cnt;
	sse_hfn fn = sse_shift_fn(i->op, (int)r);

	if (pfx_idx(i) != 1 || i->mod != 3)
		sse_ud(c);
	if (i->op == 0x73 && (r == 3 || r == 7)) {
		sse_check(c);
		memset(&v, 0, sizeof(v));
		for (unsigned k = 0; k < 16; k++) {
			if (r == 3 && k + n < 16)
				v.b[k] = x->b[k + n];
			else if (r == 7 && k >= n)
				v.b[k] = x->b[k - n];
		}
		*x = v;
		return;
	}
	if (!fn)
		sse_ud(c);
	sse_check(c);
	memset(&cnt, 0, sizeof(cnt));
	cnt.q[0] = n;
	fn(x, &cnt, 0);
}

/* 0F C2: CMPPS/CMPPD/CMPSS/CMPSD with predicate imm8[2:0]. */
static void sse_cmp(struct x86_cpu *c, const struct x86_insn *i)
{
	static const uint8_t msize[4] = { 16, 16, 4, 8 };
	int p = pfx_idx(i);
	union x86_xmm d, s;
	uint32_t out;

	sse_check(c);
	sse_src(c, i, &s, msize[p], false);
	d = c->fpu.xmm[i->reg];
	out = sse_cmp_fns[p][i->imm & 7](&d, &s, sse_mx(c));
	sse_raise(c, out);
	c->fpu.xmm[i->reg] = d;
}

/* 0F C3: MOVNTI m32/m64, r (a GPR instruction: no CR0/CR4 checks). */
static void sse_movnti(struct x86_cpu *c, const struct x86_insn *i)
{
	int size = (i->rex & 8) ? 8 : 4;

	if (i->mod == 3 || i->sse_pfx)
		sse_ud(c);
	x86_write(c, i->seg, x86_ea(c, i), size, x86_reg_get(c, i, i->reg, size));
}

/* 66 0F C4 PINSRW xmm, r32/m16, imm8; 66 0F C5 PEXTRW r32, xmm, imm8. */
static void sse_pinsrw(struct x86_cpu *c, const struct x86_insn *i)
{
	unsigned k = i->imm & 7;

	if (pfx_idx(i) != 1 || (i->op == 0xc5 && i->mod != 3))
		sse_ud(c);
	sse_check(c);
	if (i->op == 0xc5) {
		c->r[i->reg] = c->fpu.xmm[i->rm].w[k];
		return;
	}
	c->fpu.xmm[i->reg].w[k] = (uint16_t)x86_rm_read(c, i, 2);
}

/* 0F C6: SHUFPS, 66 0F C6: SHUFPD. */
static void sse_shufp(struct x86_cpu *c, const struct x86_insn *i)
{
	int p = pfx_idx(i);
	unsigned imm = i->imm & 0xff;
	union x86_xmm d, s, r;

	if (p > 1)
		sse_ud(c);
	sse_check(c);
	sse_src(c, i, &s, 16, false);
	d = c->fpu.xmm[i->reg];
	if (p == 0) {
		r.d[0] = d.d[imm & 3];
		r.d[1] = d.d[(imm >> 2) & 3];
		r.d[2] = s.d[(imm >> 4) & 3];
		r.d[3] = s.d[(imm >> 6) & 3];
	} else {
		r.q[0] = d.q[imm & 1];
		r.q[1] = s.q[(imm >> 1) & 1];
	}
	c->fpu.xmm[i->reg] = r;
}

/* 66 0F F7: MASKMOVDQU xmm1, xmm2 stores the bytes of xmm1 selected by the
 * sign bits of xmm2 to DS:rDI (segment override allowed). Only selected
 * bytes are touched. */
static void sse_maskmov(struct x86_cpu *c, const struct x86_insn *i)
{
	const union x86_xmm *v = &c->fpu.xmm[i->reg], *m = &c->fpu.xmm[i->rm];
	uint64_t base = c->r[R_DI] & x86_mask(i->adsz);
	int seg = i->seg;   /* DS unless overridden: ModRM names registers */

	if (pfx_idx(i) != 1 || i->mod != 3)
		sse_ud(c);
	sse_check(c);
	for (int k = 0; k < 16; k++)
		if (m->b[k] & 0x80)
			x86_write(c, seg, (base + (uint64_t)k) & x86_mask(i->adsz), 1, v->b[k]);
}

/* 0F AE, group 15. */
static void sse_grp15(struct x86_cpu *c, const struct x86_insn *i)
{
	unsigned r = i->reg & 7;
	uint64_t ea;

	if (i->mod == 3) {
		if (i->sse_pfx || r < 5)
			sse_ud(c);   /* RDFSBASE & co. (F3) are not advertised */
		/* LFENCE /5, MFENCE /6, SFENCE /7: order this vCPU's accesses
		 * against other threads' with a full host fence. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return;
	}
	if (i->sse_pfx)
		sse_ud(c);   /* CLFLUSHOPT (66) and others: not advertised */
	switch (r) {
	case 0: case 1:
		/* FXSAVE/FXRSTOR: #NM on CR0.EM or CR0.TS, #GP(0) when not
		 * 16-byte aligned (SDM Vol. 2A FXSAVE "Exceptions"). */
		if (c->cr0 & (CR0_EM_BIT | CR0_TS_BIT))
			x86_fault(c, X86_NM, X86_NOERR);
		ea = sse_ea_aligned(c, i);
		if (r == 0)
			x86_fxsave(c, i->seg, ea, c->mode == MODE_LONG && (i->rex & 8));
		else
			x86_fxrstor(c, i->seg, ea, c->mode == MODE_LONG && (i->rex & 8));
		return;
	case 2: {   /* LDMXCSR: reserved bits -> #GP(0) (SDM Vol. 2A LDMXCSR) */
		uint32_t v;
		sse_check(c);
		v = (uint32_t)x86_read(c, i->seg, x86_ea(c, i), 4);
		if (v & ~x86_mxcsr_mask())
			x86_fault(c, X86_GP, 0);
		c->fpu.mxcsr = v;
		return;
	}
	case 3:
		sse_check(c);
		x86_write(c, i->seg, x86_ea(c, i), 4, c->fpu.mxcsr);
		return;
	case 7:
		/* CLFLUSH: no cache to flush; it still faults like a byte
		 * load on a bad address (SDM Vol. 2A CLFLUSH). */
		(void)x86_read(c, i->seg, x86_ea(c, i), 1);
		return;
	}
	sse_ud(c);   /* XSAVE family: not advertised */
}

void x86_register_sse(void)
{
	for (const struct sse_form *f = sse_forms; f->fn; f++) {
		sse_tab[f->op][f->pfx] = f;
		x86_optab[1][f->op] = sse_table_op;
	}
	x86_optab[1][0x10] = x86_optab[1][0x11] = sse_movu;
	x86_optab[1][0x12] = x86_optab[1][0x13] = sse_movlh;
	x86_optab[1][0x16] = x86_optab[1][0x17] = sse_movlh;
	x86_optab[1][0x28] = x86_optab[1][0x29] = sse_mova;
	x86_optab[1][0x2b] = x86_optab[1][0x6f] = x86_optab[1][0x7f] = sse_mova;
	x86_optab[1][0xe7] = sse_mova;
	x86_optab[1][0x2a] = sse_cvtsi2_op;
	x86_optab[1][0x2c] = x86_optab[1][0x2d] = sse_cvt2si_op;
	x86_optab[1][0x2e] = x86_optab[1][0x2f] = sse_comis;
	x86_optab[1][0x50] = x86_optab[1][0xd7] = sse_movmsk;
	x86_optab[1][0x6e] = x86_optab[1][0x7e] = x86_optab[1][0xd6] = sse_movdq;
	x86_optab[1][0x70] = sse_pshuf;
	x86_optab[1][0x71] = x86_optab[1][0x72] = x86_optab[1][0x73] = sse_shift_imm;
	x86_optab[1][0xc2] = sse_cmp;
	x86_optab[1][0xc3] = sse_movnti;
	x86_optab[1][0xc4] = x86_optab[1][0xc5] = sse_pinsrw;
	x86_optab[1][0xc6] = sse_shufp;
	x86_optab[1][0xf7] = sse_maskmov;
	x86_optab[1][0xae] = sse_grp15;
}
