/* Bit instructions: BT BTS BTR BTC, BSF BSR, TZCNT LZCNT POPCNT, MOVBE,
 * BSWAP, CMPXCHG, CMPXCHG8B/16B, XADD (SDM Vol. 2A/2B). */
#include <stddef.h>
#include "cpu/x86/isa.h"

static void set_cf_only(struct x86_cpu *c, bool cf)
{
	/* BTx: CF is the bit; ZF is kept; OF SF AF PF are undefined (kept). */
	x86_flags_flush(c);
	c->rflags = (c->rflags & ~(uint64_t)F_CF) | (cf ? F_CF : 0);
}

/* arg: bit number | op << 8 (0 BT, 1 BTS, 2 BTR, 3 BTC). */
static uint64_t rmw_btx(struct x86_cpu *c, int size, uint64_t old, uint64_t arg)
{
	uint64_t bit = 1ULL << (arg & 63);
	set_cf_only(c, old & bit);
	switch (arg >> 8) {
	case 1: return old | bit;
	case 2: return old & ~bit;
	default: return old ^ bit;
	}
}

static void btx(struct x86_cpu *c, const struct x86_insn *i, int op, uint64_t offset, bool imm)
{
	int sz = i->opsz, bits = sz * 8;
	uint64_t off;
	unsigned bit;

	if (i->mod == 3 || imm) {
		bit = (unsigned)offset & (bits - 1);
		if (op == 0) {
			set_cf_only(c, (x86_rm_read(c, i, sz) >> bit) & 1);
			return;
		}
		x86_rm_rmw(c, i, sz, rmw_btx, bit | (op << 8));
		return;
	}
	/* Register bit offset with a memory operand: a signed offset that can
	 * reach outside the operand (SDM Vol. 2A BT, "Bit(BitBase,
	 * BitOffset)"); the operand moves by whole operand-size units. */
	{
		int64_t so = x86_sext(offset, sz);
		int shift = sz == 2 ? 4 : sz == 4 ? 5 : 6;
		off = (x86_ea(c, i) + (uint64_t)((so >> shift) * sz)) & x86_mask(i->adsz);
		bit = (unsigned)(so & (bits - 1));
	}
	if (op == 0) {
		set_cf_only(c, (x86_read(c, i->seg, off, sz) >> bit) & 1);
		return;
	}
	x86_mem_rmw(c, i->seg, off, i->lock, sz, rmw_btx, bit | (op << 8));
}

/* 0F A3 BT, AB BTS, B3 BTR, BB BTC: Ev, Gv. */
static void op_btx_r(struct x86_cpu *c, const struct x86_insn *i)
{
	int op = i->op == 0xa3 ? 0 : i->op == 0xab ? 1 : i->op == 0xb3 ? 2 : 3;
	btx(c, i, op, x86_reg_get(c, i, i->reg, i->opsz), false);
}

/* 0F BA: group 8, /4../7 with imm8. */
static void op_grp8(struct x86_cpu *c, const struct x86_insn *i)
{
	if ((i->reg & 7) < 4)
		x86_ud(c);
	btx(c, i, (i->reg & 7) - 4, i->imm & 0xff, true);
}

/* Flags for the bit scans and POPCNT: ZF (and CF for TZCNT/LZCNT) are
 * defined; the rest are undefined for BSF/BSR and cleared for POPCNT, so
 * clear them all. */
static void scan_flags(struct x86_cpu *c, uint64_t f)
{
	x86_flags_set(c, f, F_ARITH);
}

/* 0F BC BSF / F3 0F BC TZCNT; 0F BD BSR / F3 0F BD LZCNT. */
static void op_bsf_bsr(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz, bits = sz * 8;
	uint64_t v = x86_rm_read(c, i, sz);
	bool fwd = i->op == 0xbc;

	if (i->rep == 0xf3) {
		uint64_t n;
		if (v == 0)
			n = bits;
		else if (fwd)
			n = __builtin_ctzll(v);
		else
			n = __builtin_clzll(v) - (64 - bits);
		x86_reg_set(c, i, i->reg, sz, n);
		scan_flags(c, (v == 0 ? F_CF : 0) | (n == 0 ? F_ZF : 0));
		return;
	}
	if (v == 0) {
		/* Destination unchanged (AMD documents it, Intel parts do it). */
		scan_flags(c, F_ZF);
		return;
	}
	x86_reg_set(c, i, i->reg, sz, fwd ? (uint64_t)__builtin_ctzll(v)
					  : (uint64_t)(63 - __builtin_clzll(v)));
	scan_flags(c, 0);
}

/* F3 0F B8 POPCNT (without F3 it is JMPE: #UD). */
static void op_popcnt(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t v;

	if (i->rep != 0xf3)
		x86_ud(c);
	v = x86_rm_read(c, i, i->opsz);
	x86_reg_set(c, i, i->reg, i->opsz, (uint64_t)__builtin_popcountll(v));
	scan_flags(c, v ? 0 : F_ZF);
}

static uint64_t bswap(uint64_t v, int size)
{
	switch (size) {
	case 2: return __builtin_bswap16((uint16_t)v);
	case 4: return __builtin_bswap32((uint32_t)v);
	default: return __builtin_bswap64(v);
	}
}

/* 0F C8+r BSWAP. With a 16-bit operand the result is undefined (SDM); the
 * hardware here writes zero to the low word. */
static void op_bswap(struct x86_cpu *c, const struct x86_insn *i)
{
	int r = x86_oprm(i);
	if (i->opsz == 2)
		x86_reg_set(c, i, r, 2, 0);
	else
		x86_reg_set(c, i, r, i->opsz, bswap(c->r[r], i->opsz));
}

/* 0F 38 F0/F1 MOVBE (memory operand only; F2 is CRC32, not implemented). */
static void op_movbe(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;

	if (i->mod == 3 || i->rep == 0xf2)
		x86_ud(c);
	if (i->op == 0xf0)
		x86_reg_set(c, i, i->reg, sz, bswap(x86_rm_read(c, i, sz), sz));
	else
		x86_rm_write(c, i, sz, bswap(x86_reg_get(c, i, i->reg, sz), sz));
}

/* 0F B0/B1 CMPXCHG: flags as CMP accumulator, destination. The memory form
 * always writes (the old value back on mismatch, SDM Vol. 2A CMPXCHG). */
static void op_cmpxchg(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t acc = x86_reg_get(c, i, R_AX, sz), src = x86_reg_get(c, i, i->reg, sz), cur;

	if (i->mod == 3) {
		cur = x86_reg_get(c, i, i->rm, sz);
		x86_alu(c, ALU_CMP, sz, acc, cur);
		if (cur == acc)
			x86_reg_set(c, i, i->rm, sz, src);
		else
			x86_reg_set(c, i, R_AX, sz, cur);
		return;
	}
	{
		uint64_t off = x86_ea(c, i);
		void *p = i->lock ? x86_rmw_ptr(c, i->seg, off, sz) : NULL;
		if (p) {
			cur = acc;
			x86_atomic_cas(p, sz, &cur, src);
		} else {
			cur = x86_read(c, i->seg, off, sz);
			x86_write(c, i->seg, off, sz, cur == acc ? src : cur);
		}
	}
	x86_alu(c, ALU_CMP, sz, acc, cur);
	if (cur != acc)
		x86_reg_set(c, i, R_AX, sz, cur);
}

static bool cas16(void *p, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi)
{
	bool ok;
	/* 16-byte compare-exchange on the host (every x86-64 host we run on
	 * has CMPXCHG16B); avoids a libatomic dependency. */
	__asm__ __volatile__("lock cmpxchg16b %1\n\tsetz %0"
			     : "=q"(ok), "+m"(*(volatile unsigned __int128 *)p),
			       "+a"(*lo), "+d"(*hi)
			     : "b"(nlo), "c"(nhi)
			     : "memory", "cc");
	return ok;
}

/* 0F C7 /1: CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W). Only ZF changes. */
static void cmpxchg8b(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t off = x86_ea(c, i);
	bool eq;

	if (i->rex & 8) {
		uint64_t lo = c->r[R_AX], hi = c->r[R_DX], nlo = c->r[R_BX], nhi = c->r[R_CX];
		void *p;
		/* #GP(0) unless 16-byte aligned (SDM Vol. 2A CMPXCHG16B). */
		if (off & 15)
			x86_fault(c, X86_GP, 0);
		p = x86_rmw_ptr(c, i->seg, off, 16);
		if (p) {
			eq = cas16(p, &lo, &hi, nlo, nhi);
		} else {
			uint64_t cur[2];
			x86_read_bytes(c, i->seg, off, cur, 16);
			eq = cur[0] == lo && cur[1] == hi;
			if (eq) {
				uint64_t nv[2] = { nlo, nhi };
				x86_write_bytes(c, i->seg, off, nv, 16);
			} else {
				x86_write_bytes(c, i->seg, off, cur, 16);
			}
			lo = cur[0];
			hi = cur[1];
		}
		if (!eq) {
			c->r[R_AX] = lo;
			c->r[R_DX] = hi;
		}
	} else {
		uint64_t expect = ((uint64_t)(uint32_t)c->r[R_DX] << 32) | (uint32_t)c->r[R_AX];
		uint64_t nv = ((uint64_t)(uint32_t)c->r[R_CX] << 32) | (uint32_t)c->r[R_BX];
		uint64_t cur = expect;
		void *p = x86_rmw_ptr(c, i->seg, off, 8);
		if (p) {
			eq = x86_atomic_cas(p, 8, &cur, nv);
		} else {
			cur = x86_read(c, i->seg, off, 8);
			eq = cur == expect;
			x86_write(c, i->seg, off, 8, eq ? nv : cur);
		}
		if (!eq) {
			c->r[R_AX] = (uint32_t)cur;
			c->r[R_DX] = cur >> 32;
		}
	}
	x86_flags_flush(c);
	c->rflags = (c->rflags & ~(uint64_t)F_ZF) | (eq ? F_ZF : 0);
}

static void op_grp9(struct x86_cpu *c, const struct x86_insn *i)
{
	switch (i->reg & 7) {
	case 1:
		if (i->mod == 3)
			x86_ud(c);
		cmpxchg8b(c, i);
		return;
	case 6:
		if (i->mod == 3 && x86_rdrand_fn) {
			x86_rdrand_fn(c, i);
			return;
		}
		break;
	case 7:
		if (i->mod == 3 && x86_rdseed_fn) {
			x86_rdseed_fn(c, i);
			return;
		}
		break;
	}
	x86_ud(c);
}

/* 0F C0/C1 XADD: dest = dest + src, src = old dest, flags as ADD. */
static uint64_t rmw_add(struct x86_cpu *c, int size, uint64_t old, uint64_t arg)
{
	return x86_alu(c, ALU_ADD, size, old, arg);
}

static void op_xadd(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t src = x86_reg_get(c, i, i->reg, sz);
	uint64_t old = x86_rm_rmw(c, i, sz, rmw_add, src);
	/* Register form with reg == rm: the sum wins (SDM: TEMP, then
	 * SRC <- DEST, DEST <- TEMP). */
	if (!(i->mod == 3 && i->rm == i->reg))
		x86_reg_set(c, i, i->reg, sz, old);
}

void x86_register_bit(void)
{
	x86_optab[1][0xa3] = op_btx_r;
	x86_optab[1][0xab] = op_btx_r;
	x86_optab[1][0xb3] = op_btx_r;
	x86_optab[1][0xbb] = op_btx_r;
	x86_optab[1][0xba] = op_grp8;
	x86_optab[1][0xbc] = op_bsf_bsr;
	x86_optab[1][0xbd] = op_bsf_bsr;
	x86_optab[1][0xb8] = op_popcnt;
	for (int r = 0; r < 8; r++)
		x86_optab[1][0xc8 + r] = op_bswap;
	x86_optab[2][0xf0] = op_movbe;
	x86_optab[2][0xf1] = op_movbe;
	x86_optab[1][0xb0] = op_cmpxchg;
	x86_optab[1][0xb1] = op_cmpxchg;
	x86_optab[1][0xc7] = op_grp9;
	x86_optab[1][0xc0] = op_xadd;
	x86_optab[1][0xc1] = op_xadd;
}
