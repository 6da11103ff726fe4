/* Data movement and miscellany: MOV, LEA, XCHG, NOP/PAUSE, CMOVcc, SETcc,
 * MOVZX/MOVSX, CBW/CWDE/CDQE, CWD/CDQ/CQO, LAHF/SAHF, CLC/STC/CMC/CLD/STD,
 * XLAT, BOUND, the decimal adjusts (AAA AAS AAM AAD DAA DAS). */
#include "cpu/x86/isa.h"

/* 88-8B: MOV Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev. */
__attribute__((hot))
static void op_mov(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;

	if (i->op & 2)
		x86_reg_set(c, i, i->reg, sz, x86_rm_read(c, i, sz));
	else
		x86_rm_write(c, i, sz, x86_reg_get(c, i, i->reg, sz));
}

/* B0-BF: MOV r, imm (imm64 with REX.W). */
__attribute__((hot))
static void op_mov_imm_r(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_reg_set(c, i, x86_oprm(i), i->opsz, i->imm);
}

/* C6/C7 /0: MOV Ev, imm. */
static void op_mov_imm_rm(struct x86_cpu *c, const struct x86_insn *i)
{
	if ((i->reg & 7) != 0)
		x86_ud(c);
	x86_rm_write(c, i, i->opsz, i->imm);
}

/* A0-A3: MOV with an absolute offset of address size (moffs). */
static void op_mov_moffs(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t off = i->imm & x86_mask(i->adsz);

	if (i->op & 2)
		x86_write(c, i->seg, off, sz, x86_reg_get(c, i, R_AX, sz));
	else
		x86_reg_set(c, i, R_AX, sz, x86_read(c, i->seg, off, sz));
}

/* 8D: LEA. The address is truncated or zero-extended to the operand size
 * (SDM Vol. 2A LEA, Table 3-54). A register operand is #UD. */
__attribute__((hot))
static void op_lea(struct x86_cpu *c, const struct x86_insn *i)
{
	if (i->mod == 3)
		x86_ud(c);
	x86_reg_set(c, i, i->reg, i->opsz, x86_ea(c, i));
}

static uint64_t rmw_xchg(struct x86_cpu *c, int size, uint64_t old, uint64_t v)
{
	return v;
}

/* 86/87: XCHG Ev, Gv. With memory it is locked whether or not LOCK is
 * present (SDM Vol. 2B XCHG). */
static void op_xchg(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t r = x86_reg_get(c, i, i->reg, sz), old;

	if (i->mod == 3) {
		old = x86_reg_get(c, i, i->rm, sz);
		x86_reg_set(c, i, i->rm, sz, r);
	} else {
		old = x86_mem_rmw(c, i->seg, x86_ea(c, i), true, sz, rmw_xchg, r);
	}
	x86_reg_set(c, i, i->reg, sz, old);
}

/* 90-97: XCHG rAX, r. Plain 90 (no REX.B) is NOP, F3 90 is PAUSE: neither
 * touches RAX's upper half (SDM Vol. 2B NOP/XCHG). */
static void op_xchg_ax(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz, r = x86_oprm(i);
	uint64_t a, b;

	if (r == R_AX)
		return;
	a = x86_reg_get(c, i, R_AX, sz);
	b = x86_reg_get(c, i, r, sz);
	x86_reg_set(c, i, R_AX, sz, b);
	x86_reg_set(c, i, r, sz, a);
}

/* 0F 0D, 0F 18-1F: prefetches, hint NOPs, multi-byte NOP, ENDBR: no
 * architectural effect and no memory access. */
static void op_nop(struct x86_cpu *c, const struct x86_insn *i)
{
}

/* 0F 40-4F: CMOVcc. The source is read (and may fault) either way; a
 * 32-bit destination is written even when the condition is false, which
 * clears bits 63:32 (SDM Vol. 2A CMOVcc). */
__attribute__((hot))
static void op_cmov(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t v = x86_rm_read(c, i, sz);

	if (x86_cond(c, i->op & 15))
		x86_reg_set(c, i, i->reg, sz, v);
	else if (sz == 4)
		x86_reg_set(c, i, i->reg, 4, x86_reg_get(c, i, i->reg, 4));
}

/* 0F 90-9F: SETcc Eb. */
static void op_setcc(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_rm_write(c, i, 1, x86_cond(c, i->op & 15));
}

/* 0F B6/B7 MOVZX, 0F BE/BF MOVSX. */
__attribute__((hot))
static void op_movx(struct x86_cpu *c, const struct x86_insn *i)
{
	int src = (i->op & 1) ? 2 : 1;
	uint64_t v = x86_rm_read(c, i, src);

	if (i->op >= 0xbe)
		v = (uint64_t)x86_sext(v, src);
	x86_reg_set(c, i, i->reg, i->opsz, v);
}

/* 98: CBW/CWDE/CDQE. */
static void op_cbw(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	x86_reg_set(c, i, R_AX, sz, (uint64_t)x86_sext(x86_reg_get(c, i, R_AX, sz / 2), sz / 2));
}

/* 99: CWD/CDQ/CQO. */
static void op_cwd(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t a = x86_reg_get(c, i, R_AX, sz);
	x86_reg_set(c, i, R_DX, sz, (a >> (sz * 8 - 1)) & 1 ? ~0ULL : 0);
}

#define F_LAHF (F_SF | F_ZF | F_AF | F_PF | F_CF)

/* 9E: SAHF, 9F: LAHF. Valid in 64-bit mode because CPUID advertises
 * LAHF_LM (SDM Vol. 2A LAHF). */
static void op_sahf(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_flags_set(c, (c->r[R_AX] >> 8) & 0xff, F_LAHF);
}

static void op_lahf(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t f = (x86_flags_get(c) & (F_LAHF | 2)) | 2;
	c->r[R_AX] = (c->r[R_AX] & ~0xff00ULL) | (f << 8);
}

/* F5 CMC, F8 CLC, F9 STC, FC CLD, FD STD. */
static void op_flagop(struct x86_cpu *c, const struct x86_insn *i)
{
	switch (i->op) {
	case 0xf5:
		x86_flags_flush(c);
		c->rflags ^= F_CF;
		break;
	case 0xf8:
		x86_flags_set(c, 0, F_CF);
		break;
	case 0xf9:
		x86_flags_set(c, F_CF, F_CF);
		break;
	case 0xfc:
		c->rflags &= ~(uint64_t)F_DF;
		break;
	default:
		c->rflags |= F_DF;
		break;
	}
}

/* D7: XLAT: AL <- [seg: rBX + AL] with the address size's wrap. */
static void op_xlat(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t off = (c->r[R_BX] + (c->r[R_AX] & 0xff)) & x86_mask(i->adsz);
	x86_reg_set(c, i, R_AX, 1, x86_read(c, i->seg, off, 1));
}

/* 62: BOUND (legacy modes only): #BR when the signed index is outside the
 * pair of bounds in memory. */
static void op_bound(struct x86_cpu *c, const struct x86_insn *i)
{
	int sz = i->opsz;
	uint64_t off = x86_ea(c, i);
	int64_t idx = x86_sext(x86_reg_get(c, i, i->reg, sz), sz);
	int64_t lo = x86_sext(x86_read(c, i->seg, off, sz), sz);
	int64_t hi = x86_sext(x86_read(c, i->seg, (off + sz) & x86_mask(i->adsz), sz), sz);

	if (idx < lo || idx > hi)
		x86_fault(c, X86_BR, X86_NOERR);
}

/* Decimal adjusts (SDM Vol. 2A AAA/AAS/AAM/AAD/DAA/DAS "Operation");
 * invalid in 64-bit mode (decode.c). */
static uint64_t szp8(uint8_t v)
{
	uint64_t f = 0;
	if (!v) f |= F_ZF;
	if (v & 0x80) f |= F_SF;
	if (!__builtin_parity(v)) f |= F_PF;
	return f;
}

static void op_aaa_aas(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t f = x86_flags_get(c);
	uint16_t ax = (uint16_t)c->r[R_AX];
	bool adj = (ax & 0xf) > 9 || (f & F_AF);

	if (adj) {
		if (i->op == 0x37)
			ax += 0x106;
		else
			ax = (uint16_t)(ax - 6 - 0x100);   /* AX - 6, then AH - 1 */
	}
	ax &= 0xff0f;
	c->r[R_AX] = (c->r[R_AX] & ~0xffffULL) | ax;
	x86_flags_set(c, (adj ? (F_AF | F_CF) : 0) | szp8((uint8_t)ax), F_ARITH);
}

static void op_aam(struct x86_cpu *c, const struct x86_insn *i)
{
	uint8_t base = (uint8_t)i->imm, al = (uint8_t)c->r[R_AX];

	if (!base)
		x86_fault(c, X86_DE, X86_NOERR);
	x86_reg_set(c, i, R_AX, 2, ((uint64_t)(al / base) << 8) | (al % base));
	x86_flags_set(c, szp8(al % base), F_ARITH);
}

static void op_aad(struct x86_cpu *c, const struct x86_insn *i)
{
	uint8_t base = (uint8_t)i->imm;
	uint8_t al = (uint8_t)c->r[R_AX], ah = (uint8_t)(c->r[R_AX] >> 8);
	uint8_t r = (uint8_t)(al + ah * base);

	x86_reg_set(c, i, R_AX, 2, r);
	x86_flags_set(c, szp8(r), F_ARITH);
}

static void op_daa_das(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t f = x86_flags_get(c), nf = 0;
	uint8_t al = (uint8_t)c->r[R_AX], old = al;
	bool cf = f & F_CF, das = i->op == 0x2f;

	if ((al & 0xf) > 9 || (f & F_AF)) {
		unsigned t = das ? (unsigned)al - 6 : (unsigned)al + 6;
		al = (uint8_t)t;
		nf |= F_AF;
		if (cf || (t >> 8))
			nf |= F_CF;
	}
	if (old > 0x99 || cf) {
		al = das ? (uint8_t)(al - 0x60) : (uint8_t)(al + 0x60);
		nf |= F_CF;
	} else {
		nf &= ~(uint64_t)F_CF;   /* the second step decides CF alone */
	}
	x86_reg_set(c, i, R_AX, 1, al);
	x86_flags_set(c, nf | szp8(al), F_ARITH);
}

/* D6: SALC, AL = CF ? FF : 00. Undocumented by Intel's SDM but executed
 * by Intel and AMD parts outside 64-bit mode (AMD APM Vol. 3 opcode map
 * lists D6 as reserved; the hardware here runs it). */
static void op_salc(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_reg_set(c, i, R_AX, 1, x86_cf(c) ? 0xff : 0);
}

void x86_register_misc(void)
{
	for (int op = 0x88; op <= 0x8b; op++)
		x86_optab[0][op] = op_mov;
	for (int op = 0xb0; op <= 0xbf; op++)
		x86_optab[0][op] = op_mov_imm_r;
	x86_optab[0][0xc6] = op_mov_imm_rm;
	x86_optab[0][0xc7] = op_mov_imm_rm;
	for (int op = 0xa0; op <= 0xa3; op++)
		x86_optab[0][op] = op_mov_moffs;
	x86_optab[0][0x8d] = op_lea;
	x86_optab[0][0x86] = op_xchg;
	x86_optab[0][0x87] = op_xchg;
	for (int op = 0x90; op <= 0x97; op++)
		x86_optab[0][op] = op_xchg_ax;
	x86_optab[1][0x0d] = op_nop;
	for (int op = 0x18; op <= 0x1f; op++)
		x86_optab[1][op] = op_nop;
	for (int cc = 0; cc < 16; cc++) {
		x86_optab[1][0x40 + cc] = op_cmov;
		x86_optab[1][0x90 + cc] = op_setcc;
	}
	x86_optab[1][0xb6] = op_movx;
	x86_optab[1][0xb7] = op_movx;
	x86_optab[1][0xbe] = op_movx;
	x86_optab[1][0xbf] = op_movx;
	x86_optab[0][0x98] = op_cbw;
	x86_optab[0][0x99] = op_cwd;
	x86_optab[0][0x9e] = op_sahf;
	x86_optab[0][0x9f] = op_lahf;
	x86_optab[0][0xf5] = op_flagop;
	x86_optab[0][0xf8] = op_flagop;
	x86_optab[0][0xf9] = op_flagop;
	x86_optab[0][0xfc] = op_flagop;
	x86_optab[0][0xfd] = op_flagop;
	x86_optab[0][0xd7] = op_xlat;
	x86_optab[0][0x62] = op_bound;
	x86_optab[0][0x37] = op_aaa_aas;
	x86_optab[0][0x3f] = op_aaa_aas;
	x86_optab[0][0xd4] = op_aam;
	x86_optab[0][0xd5] = op_aad;
	x86_optab[0][0x27] = op_daa_das;
	x86_optab[0][0x2f] = op_daa_das;
	x86_optab[0][0xd6] = op_salc;
}
