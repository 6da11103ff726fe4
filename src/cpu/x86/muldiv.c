/* MUL, IMUL (one-, two- and three-operand), DIV, IDIV (SDM Vol. 2A/2B). */
#include "cpu/x86/isa.h"

/* CF=OF=overflow; SF/ZF/AF/PF are undefined after multiplies, derived here
 * from the low half. */
static void mul_flags(struct x86_cpu *c, int op, int size, uint64_t lo, bool ovf)
{
	x86_lf(c, op, size, lo, 0, 0);
	c->lf.cf_in = ovf;
}

static void set_pair(struct x86_cpu *c, const struct x86_insn *i, int size,
		     uint64_t lo, uint64_t hi)
{
	if (size == 1) {
		x86_reg_set(c, i, R_AX, 2, (lo & 0xff) | ((hi & 0xff) << 8));
		return;
	}
	x86_reg_set(c, i, R_AX, size, lo);
	x86_reg_set(c, i, R_DX, size, hi);
}

static void do_mul(struct x86_cpu *c, const struct x86_insn *i, int size, uint64_t b)
{
	uint64_t a = x86_reg_get(c, i, R_AX, size), lo, hi;

	if (size == 8) {
		unsigned __int128 p = (unsigned __int128)a * b;
		lo = (uint64_t)p;
		hi = (uint64_t)(p >> 64);
	} else {
		uint64_t p = a * b;
		lo = p & x86_mask(size);
		hi = (p >> (size * 8)) & x86_mask(size);
	}
	set_pair(c, i, size, lo, hi);
	mul_flags(c, LF_MUL, size, lo, hi != 0);
}

static void do_imul1(struct x86_cpu *c, const struct x86_insn *i, int size, uint64_t b)
{
	int64_t a = x86_sext(x86_reg_get(c, i, R_AX, size), size);
	int64_t sb = x86_sext(b, size);
	uint64_t lo, hi;
	bool ovf;

	if (size == 8) {
		__int128 p = (__int128)a * sb;
		lo = (uint64_t)p;
		hi = (uint64_t)((unsigned __int128)p >> 64);
		ovf = p != (__int128)(int64_t)lo;
	} else {
		int64_t p = a * sb;
		lo = (uint64_t)p & x86_mask(size);
		hi = ((uint64_t)p >> (size * 8)) & x86_mask(size);
		ovf = p != x86_sext(lo, size);
	}
	set_pair(c, i, size, lo, hi);
	mul_flags(c, LF_IMUL, size, lo, ovf);
}

/* Dividend is the register pair; #DE on a zero divisor or a quotient that
 * does not fit (SDM Vol. 2A DIV/IDIV "Operation"). */
static void do_div(struct x86_cpu *c, const struct x86_insn *i, int size, uint64_t b)
{
	uint64_t m = x86_mask(size), q, r;

	if (b == 0)
		x86_fault(c, X86_DE, X86_NOERR);
	if (size == 8) {
		unsigned __int128 n = ((unsigned __int128)c->r[R_DX] << 64) | c->r[R_AX];
		unsigned __int128 q128 = n / b;
		if (q128 >> 64)
			x86_fault(c, X86_DE, X86_NOERR);
		q = (uint64_t)q128;
		r = (uint64_t)(n % b);
	} else {
		uint64_t n;
		if (size == 1)
			n = c->r[R_AX] & 0xffff;
		else
			n = (x86_reg_get(c, i, R_DX, size) << (size * 8)) | x86_reg_get(c, i, R_AX, size);
		q = n / b;
		r = n % b;
		if (q > m)
			x86_fault(c, X86_DE, X86_NOERR);
	}
	set_pair(c, i, size, q, r);
}

static void do_idiv(struct x86_cpu *c, const struct x86_insn *i, int size, uint64_t b)
{
	int64_t d = x86_sext(b, size);
	uint64_t q, r;

	if (d == 0)
		x86_fault(c, X86_DE, X86_NOERR);
	if (size == 8) {
		__int128 n = (__int128)(((unsigned __int128)c->r[R_DX] << 64) | c->r[R_AX]);
		__int128 q128, min = (__int128)((unsigned __int128)1 << 127);
		if (n == min && d == -1)
			x86_fault(c, X86_DE, X86_NOERR);
		q128 = n / d;
		if (q128 != (__int128)(int64_t)q128)
			x86_fault(c, X86_DE, X86_NOERR);
		q = (uint64_t)q128;
		r = (uint64_t)(n % d);
	} else {
		int64_t n, sq;
		if (size == 1)
			n = (int16_t)(c->r[R_AX] & 0xffff);
		else if (size == 2)
			n = (int32_t)((x86_reg_get(c, i, R_DX, 2) << 16) | x86_reg_get(c, i, R_AX, 2));
		else
			n = (int64_t)((c->r[R_DX] << 32) | (uint32_t)c->r[R_AX]);
		/* EDX:EAX = 2^63 over -1 would trap the host: its quotient
		 * cannot fit 32 bits anyway. */
		if (n == INT64_MIN && d == -1)
			x86_fault(c, X86_DE, X86_NOERR);
		sq = n / d;
		if (sq != x86_sext((uint64_t)sq & x86_mask(size), size))
			x86_fault(c, X86_DE, X86_NOERR);
		q = (uint64_t)sq & x86_mask(size);
		r = (uint64_t)(n % d) & x86_mask(size);
	}
	set_pair(c, i, size, q, r);
}

void x86_muldiv_grp3(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t b = x86_rm_read(c, i, sz);

	switch (i->reg & 7) {
	case 4: do_mul(c, i, sz, b); break;
	case 5: do_imul1(c, i, sz, b); break;
	case 6: do_div(c, i, sz, b); break;
	default: do_idiv(c, i, sz, b); break;
	}
}

/* Two/three-operand IMUL: the product is truncated to the destination and
 * CF=OF say whether that lost significant bits. */
void x86_imul_r(struct x86_cpu *c, const struct x86_insn *i, uint64_t b)
{
	int sz = i->opsz;
	int64_t a = x86_sext(x86_rm_read(c, i, sz), sz), sb = x86_sext(b, sz);
	uint64_t lo;
	bool ovf;

	if (sz == 8) {
		__int128 p = (__int128)a * sb;
		lo = (uint64_t)p;
		ovf = p != (__int128)(int64_t)lo;
	} else {
		int64_t p = a * sb;
		lo = (uint64_t)p & x86_mask(sz);
		ovf = p != x86_sext(lo, sz);
	}
	x86_reg_set(c, i, i->reg, sz, lo);
	mul_flags(c, LF_IMUL, sz, lo, ovf);
}

/* 0F AF: IMUL Gv, Ev. */
static void op_imul_rr(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t b = x86_reg_get(c, i, i->reg, sz);
	x86_imul_r(c, i, b);
}

/* 69 / 6B: IMUL Gv, Ev, imm. */
static void op_imul_imm(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_imul_r(c, i, i->imm);
}

void x86_register_muldiv(void)
{
	x86_optab[1][0xaf] = op_imul_rr;
	x86_optab[0][0x69] = op_imul_imm;
	x86_optab[0][0x6b] = op_imul_imm;
}
