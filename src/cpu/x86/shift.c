/* Shifts and rotates: ROL ROR RCL RCR SHL SHR SAL SAR, SHLD, SHRD
 * (SDM Vol. 2B "SAL/SAR/SHL/SHR", Vol. 2B "RCL/RCR/ROL/ROR", "SHLD",
 * "SHRD"). Counts are masked to 5 bits (6 with a 64-bit operand); a
 * masked count of 0 changes no flags. */
#include "cpu/x86/isa.h"

/* Shifts set SF/ZF/PF from the result; CF and OF ride in cf_in (flags.c). */
static void shift_flags(struct x86_cpu *c, int size, uint64_t res, bool cf, bool of)
{
	x86_lf(c, LF_SHL, size, res, 0, 0);
	c->lf.cf_in = (uint32_t)cf | ((uint32_t)of << 1);
}

/* Rotates touch only CF and OF. */
static void rot_flags(struct x86_cpu *c, bool cf, bool of)
{
	x86_flags_flush(c);
	c->rflags = (c->rflags & ~(uint64_t)(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
}

/* arg = op (ModRM.reg) << 8 | masked count, count != 0. */
static uint64_t rmw_grp2(struct x86_cpu *c, int size, uint64_t a, uint64_t arg)
{
	unsigned bits = size * 8, cnt = arg & 0xff, op = (arg >> 8) & 7;
	uint64_t m = x86_mask(size), msb = 1ULL << (bits - 1), r;
	bool cf, of;

	a &= m;
	switch (op) {
	case 0: { /* ROL */
		unsigned k = cnt % bits;
		r = k ? ((a << k) | (a >> (bits - k))) & m : a;
		cf = r & 1;
		of = !!(r & msb) != cf;
		rot_flags(c, cf, of);
		return r;
	}
	case 1: { /* ROR */
		unsigned k = cnt % bits;
		r = k ? ((a >> k) | (a << (bits - k))) & m : a;
		cf = !!(r & msb);
		of = cf != !!(r & (msb >> 1));
		rot_flags(c, cf, of);
		return r;
	}
	case 2: case 3: { /* RCL, RCR: rotate through CF, a (size*8+1)-bit rotate */
		unsigned k = size == 1 ? cnt % 9 : size == 2 ? cnt % 17 : cnt;
		bool carry = x86_cf(c);
		r = a;
		if (op == 2) {
			for (unsigned n = 0; n < k; n++) {
				bool out = !!(r & msb);
				r = ((r << 1) | carry) & m;
				carry = out;
			}
			of = !!(r & msb) != carry;
		} else {
			of = !!(a & msb) != carry;   /* RCR: before the rotate */
			for (unsigned n = 0; n < k; n++) {
				bool out = r & 1;
				r = (r >> 1) | (carry ? msb : 0);
				carry = out;
			}
		}
		rot_flags(c, carry, of);
		return r;
	}
	case 4: case 6: /* SHL/SAL */
		if (cnt <= bits) {
			r = cnt == 64 ? 0 : (a << cnt) & m;
			cf = (a >> (bits - cnt)) & 1;
		} else {
			r = 0;
			cf = false;
		}
		of = !!(r & msb) != cf;
		shift_flags(c, size, r, cf, of);
		return r;
	case 5: /* SHR */
		r = cnt >= 64 ? 0 : a >> cnt;
		cf = cnt > bits ? false : (a >> (cnt - 1)) & 1;
		of = !!(a & msb);
		shift_flags(c, size, r, cf, of);
		return r;
	default: { /* SAR */
		int64_t s = x86_sext(a, size);
		unsigned k = cnt > 63 ? 63 : cnt;
		r = (uint64_t)(s >> k) & m;
		cf = (s >> (k - 1)) & 1;
		shift_flags(c, size, r, cf, false);
		return r;
	}
	}
}

static void grp2(struct x86_cpu *c, const struct x86_insn *i, unsigned count)
{
	int sz = i->opsz;
	unsigned cnt = count & (sz == 8 ? 0x3f : 0x1f);

	if (cnt == 0) {
		/* No flags change; a 32-bit register destination is still
		 * written, which clears bits 63:32 as for any 32-bit write. */
		if (i->mod == 3 && sz == 4)
			x86_reg_set(c, i, i->rm, 4, x86_reg_get(c, i, i->rm, 4));
		else if (i->mod != 3)
			(void)x86_rm_read(c, i, sz);
		return;
	}
	x86_rm_rmw(c, i, sz, rmw_grp2, ((uint64_t)(i->reg & 7) << 8) | cnt);
}

static void op_grp2_imm(struct x86_cpu *c, const struct x86_insn *i)   /* C0 C1 */
{
	grp2(c, i, (unsigned)i->imm & 0xff);
}

static void op_grp2_1(struct x86_cpu *c, const struct x86_insn *i)     /* D0 D1 */
{
	grp2(c, i, 1);
}

static void op_grp2_cl(struct x86_cpu *c, const struct x86_insn *i)    /* D2 D3 */
{
	grp2(c, i, (unsigned)c->r[R_CX] & 0xff);
}

/* SHLD/SHRD parameters, passed to the RMW callback by pointer. */
struct dbl_args {
	uint64_t src;
	unsigned cnt;
	bool right;
};

static uint64_t rmw_dbl(struct x86_cpu *c, int size, uint64_t a, uint64_t arg)
{
	const struct dbl_args *p = (const struct dbl_args *)(uintptr_t)arg;
	unsigned bits = size * 8, cnt = p->cnt;
	uint64_t m = x86_mask(size), msb = 1ULL << (bits - 1), src = p->src & m, r;
	bool cf;

	a &= m;
	if (cnt > bits) {
		/* 16-bit operand with a count of 17-31: result and flags are
		 * undefined (SDM SHLD); behave as a shift of the 32-bit
		 * concatenation. */
		cnt %= bits;
		if (!cnt)
			cnt = bits;
	}
	if (!p->right) {
		r = ((a << cnt) | (cnt == bits ? src : src >> (bits - cnt))) & m;
		if (cnt == bits)
			r = src;
		cf = (a >> (bits - cnt)) & 1;
	} else {
		r = ((cnt == bits ? 0 : a >> cnt) | (src << (bits - cnt))) & m;
		cf = (a >> (cnt - 1)) & 1;
	}
	shift_flags(c, size, r, cf, !!((r ^ a) & msb));
	return r;
}

/* 0F A4/A5 SHLD, 0F AC/AD SHRD. */
static void op_shxd(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	unsigned count = (i->op & 1) ? (unsigned)c->r[R_CX] : (unsigned)i->imm;
	struct dbl_args args = {
		.src = x86_reg_get(c, i, i->reg, sz),
		.cnt = count & (sz == 8 ? 0x3f : 0x1f),
		.right = i->op >= 0xac,
	};

	if (!args.cnt) {
		if (i->mod == 3 && sz == 4)
			x86_reg_set(c, i, i->rm, 4, x86_reg_get(c, i, i->rm, 4));
		else if (i->mod != 3)
			(void)x86_rm_read(c, i, sz);
		return;
	}
	x86_rm_rmw(c, i, sz, rmw_dbl, (uint64_t)(uintptr_t)&args);
}

void x86_register_shift(void)
{
	x86_optab[0][0xc0] = op_grp2_imm;
	x86_optab[0][0xc1] = op_grp2_imm;
	x86_optab[0][0xd0] = op_grp2_1;
	x86_optab[0][0xd1] = op_grp2_1;
	x86_optab[0][0xd2] = op_grp2_cl;
	x86_optab[0][0xd3] = op_grp2_cl;
	x86_optab[1][0xa4] = op_shxd;
	x86_optab[1][0xa5] = op_shxd;
	x86_optab[1][0xac] = op_shxd;
	x86_optab[1][0xad] = op_shxd;
}
