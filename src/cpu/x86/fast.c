/* Decode-time specialisation: the hottest instruction forms get handlers
 * with the operand size and operand kind fixed, so the common case runs
 * without the generic handlers' switches (EMU-NOTES: "fast-path register
 * operands"). run.c applies x86_specialize() to each instruction it puts
 * in the decode cache; the generic handler stays the reference, and
 * anything not listed here keeps it. Semantics must be identical:
 * test_x86_alu's host sweep runs every listed form through both handlers
 * and compares each with the host CPU. */
#include "cpu/x86/isa.h"

/* MOV between registers and memory, 32 and 64 bits. A 32-bit register
 * write zeroes bits 63:32 (SDM Vol. 1 3.4.1.1). */
static void mov_rm_r64(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->rm] = c->r[i->reg]; }
static void mov_rm_r32(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->rm] = (uint32_t)c->r[i->reg]; }
static void mov_r_rm64(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->reg] = c->r[i->rm]; }
static void mov_r_rm32(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->reg] = (uint32_t)c->r[i->rm]; }

static void mov_load64(struct x86_cpu *c, const struct x86_insn *i)
{
	c->r[i->reg] = x86_read_inl(c, i->seg, x86_ea_inl(c, i), 8);
}

static void mov_load32(struct x86_cpu *c, const struct x86_insn *i)
{
	c->r[i->reg] = (uint32_t)x86_read_inl(c, i->seg, x86_ea_inl(c, i), 4);
}

static void mov_store64(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_write_inl(c, i->seg, x86_ea_inl(c, i), 8, c->r[i->reg]);
}

static void mov_store32(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_write_inl(c, i->seg, x86_ea_inl(c, i), 4, c->r[i->reg]);
}

static void mov_imm64(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->rm] = i->imm; }
static void mov_imm32(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->rm] = (uint32_t)i->imm; }

static void lea64(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->reg] = x86_ea_inl(c, i); }
/* LEA with a 32-bit destination: the offset at the address size (already
 * masked by x86_ea_inl), then truncated or zero-extended to 32 bits (SDM
 * Vol. 2A LEA, the operand/address size table). */
static void lea32(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->reg] = (uint32_t)x86_ea_inl(c, i); }

/* ALU register forms: dst op= src with lazy flags (flags.c). */
#define ALU_RR(name, size, type, lfop, expr, store)                               \
static void name(struct x86_cpu *c, const struct x86_insn *i)                     \
{                                                                                 \
	int d = (i->op & 2) ? i->reg : i->rm, s = (i->op & 2) ? i->rm : i->reg;     \
	uint64_t a = (type)c->r[d], b = (type)c->r[s], r = (type)(expr);            \
	if (store)                                                                \
		c->r[d] = r;                                                      \
	x86_lf(c, lfop, size, r, a, b);                                           \
}

ALU_RR(add_rr64, 8, uint64_t, LF_ADD, a + b, 1)
ALU_RR(add_rr32, 4, uint32_t, LF_ADD, a + b, 1)
ALU_RR(sub_rr64, 8, uint64_t, LF_SUB, a - b, 1)
ALU_RR(sub_rr32, 4, uint32_t, LF_SUB, a - b, 1)
ALU_RR(cmp_rr64, 8, uint64_t, LF_SUB, a - b, 0)
ALU_RR(cmp_rr32, 4, uint32_t, LF_SUB, a - b, 0)
ALU_RR(and_rr64, 8, uint64_t, LF_LOGIC, a & b, 1)
ALU_RR(and_rr32, 4, uint32_t, LF_LOGIC, a & b, 1)
ALU_RR(or_rr64, 8, uint64_t, LF_LOGIC, a | b, 1)
ALU_RR(or_rr32, 4, uint32_t, LF_LOGIC, a | b, 1)
ALU_RR(xor_rr64, 8, uint64_t, LF_LOGIC, a ^ b, 1)
ALU_RR(xor_rr32, 4, uint32_t, LF_LOGIC, a ^ b, 1)
ALU_RR(test_rr64, 8, uint64_t, LF_LOGIC, a & b, 0)
ALU_RR(test_rr32, 4, uint32_t, LF_LOGIC, a & b, 0)

/* Group 1 with a register destination: 81 /r and 83 /r. */
#define ALU_RI(name, size, type, lfop, expr, store)                               \
static void name(struct x86_cpu *c, const struct x86_insn *i)                     \
{                                                                                 \
	uint64_t a = (type)c->r[i->rm], b = (type)i->imm, r = (type)(expr);         \
	if (store)                                                                \
		c->r[i->rm] = r;                                                  \
	x86_lf(c, lfop, size, r, a, b);                                           \
}

ALU_RI(add_ri64, 8, uint64_t, LF_ADD, a + b, 1)
ALU_RI(add_ri32, 4, uint32_t, LF_ADD, a + b, 1)
ALU_RI(sub_ri64, 8, uint64_t, LF_SUB, a - b, 1)
ALU_RI(sub_ri32, 4, uint32_t, LF_SUB, a - b, 1)
ALU_RI(cmp_ri64, 8, uint64_t, LF_SUB, a - b, 0)
ALU_RI(cmp_ri32, 4, uint32_t, LF_SUB, a - b, 0)
ALU_RI(and_ri64, 8, uint64_t, LF_LOGIC, a & b, 1)
ALU_RI(and_ri32, 4, uint32_t, LF_LOGIC, a & b, 1)
ALU_RI(or_ri64, 8, uint64_t, LF_LOGIC, a | b, 1)
ALU_RI(or_ri32, 4, uint32_t, LF_LOGIC, a | b, 1)
ALU_RI(xor_ri64, 8, uint64_t, LF_LOGIC, a ^ b, 1)
ALU_RI(xor_ri32, 4, uint32_t, LF_LOGIC, a ^ b, 1)

/* The accumulator-immediate forms (05 0D 25 2D 35 3D: op eAX, imm32). */
#define ALU_AI(name, size, type, lfop, expr, store)                               \
static void name(struct x86_cpu *c, const struct x86_insn *i)                     \
{                                                                                 \
	uint64_t a = (type)c->r[R_AX], b = (type)i->imm, r = (type)(expr);          \
	if (store)                                                                \
		c->r[R_AX] = r;                                                   \
	x86_lf(c, lfop, size, r, a, b);                                           \
}

ALU_AI(add_ai64, 8, uint64_t, LF_ADD, a + b, 1)
ALU_AI(add_ai32, 4, uint32_t, LF_ADD, a + b, 1)
ALU_AI(sub_ai64, 8, uint64_t, LF_SUB, a - b, 1)
ALU_AI(sub_ai32, 4, uint32_t, LF_SUB, a - b, 1)
ALU_AI(cmp_ai64, 8, uint64_t, LF_SUB, a - b, 0)
ALU_AI(cmp_ai32, 4, uint32_t, LF_SUB, a - b, 0)
ALU_AI(and_ai64, 8, uint64_t, LF_LOGIC, a & b, 1)
ALU_AI(and_ai32, 4, uint32_t, LF_LOGIC, a & b, 1)
ALU_AI(or_ai64, 8, uint64_t, LF_LOGIC, a | b, 1)
ALU_AI(or_ai32, 4, uint32_t, LF_LOGIC, a | b, 1)
ALU_AI(xor_ai64, 8, uint64_t, LF_LOGIC, a ^ b, 1)
ALU_AI(xor_ai32, 4, uint32_t, LF_LOGIC, a ^ b, 1)

/* CMP AL, imm8 (3C) and TEST AL, imm8 (A8): switch dispatch on a byte
 * (compilers emit cmp al, N before a jump table). */
static void cmp_al_imm(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t a = (uint8_t)c->r[R_AX], b = (uint8_t)i->imm;
	x86_lf(c, LF_SUB, 1, (uint8_t)(a - b), a, b);
}

static void test_al_imm(struct x86_cpu *c, const struct x86_insn *i)
{
	x86_lf(c, LF_LOGIC, 1, (uint8_t)(c->r[R_AX] & i->imm), 0, 0);
}

/* ALU with a memory operand, 32 and 64 bits, no LOCK (EMU-NOTES "fast
 * paths"): Gv op= [mem] (03 0B 23 2B 33) and [mem] op= Gv (01 09 21 29
 * 31) or imm (81/83 /0 /1 /4 /5 /6). The memory destination is written
 * before the flags are recorded, so a write that faults leaves the flags
 * as they were (nothing an instruction that faults does is visible). */
#define ALU_LOAD(name, size, type, lfop, expr)                                    \
static void name(struct x86_cpu *c, const struct x86_insn *i)                     \
{                                                                                 \
	uint64_t b = x86_read_inl(c, i->seg, x86_ea_inl(c, i), size);             \
	uint64_t a = (type)c->r[i->reg], r = (type)(expr);                        \
	c->r[i->reg] = r;                                                         \
	x86_lf(c, lfop, size, r, a, b);                                           \
}
#define ALU_STORE(name, size, type, lfop, expr, src)                              \
static void name(struct x86_cpu *c, const struct x86_insn *i)                     \
{                                                                                 \
	uint64_t off = x86_ea_inl(c, i);                                          \
	uint64_t a = x86_read_inl(c, i->seg, off, size), b = (type)(src);         \
	uint64_t r = (type)(expr);                                                \
	x86_write_inl(c, i->seg, off, size, r);                                   \
	x86_lf(c, lfop, size, r, a, b);                                           \
}
#define ALU_MEM_ALL(op, lfop, expr)                                               \
	ALU_LOAD(op##_load64, 8, uint64_t, lfop, expr)                            \
	ALU_LOAD(op##_load32, 4, uint32_t, lfop, expr)                            \
	ALU_STORE(op##_store64, 8, uint64_t, lfop, expr, c->r[i->reg])            \
	ALU_STORE(op##_store32, 4, uint32_t, lfop, expr, c->r[i->reg])            \
	ALU_STORE(op##_mi64, 8, uint64_t, lfop, expr, i->imm)                     \
	ALU_STORE(op##_mi32, 4, uint32_t, lfop, expr, i->imm)
ALU_MEM_ALL(addm, LF_ADD, a + b)
ALU_MEM_ALL(subm, LF_SUB, a - b)
ALU_MEM_ALL(andm, LF_LOGIC, a & b)
ALU_MEM_ALL(orm, LF_LOGIC, a | b)
ALU_MEM_ALL(xorm, LF_LOGIC, a ^ b)

/* CMP [mem], imm (81/83 /7). */
static void cmp_mi64(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t a = x86_read_inl(c, i->seg, x86_ea_inl(c, i), 8), b = i->imm;
	x86_lf(c, LF_SUB, 8, a - b, a, b);
}

static void cmp_mi32(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t a = x86_read_inl(c, i->seg, x86_ea_inl(c, i), 4), b = (uint32_t)i->imm;
	x86_lf(c, LF_SUB, 4, (uint32_t)(a - b), a, b);
}

/* Handler for an ALU op (0 ADD .. 7 CMP) with a memory operand: form 0
 * [mem] op= reg, 1 reg op= [mem], 2 [mem] op= imm; NULL where there is
 * none (ADC, SBB, and the CMP forms cmp_mem* covers). */
static x86_handler pick_mem(int aop, int form, bool q)
{
	static const x86_handler tab[8][3][2] = {
		[ALU_ADD] = { { addm_store32, addm_store64 }, { addm_load32, addm_load64 },
			      { addm_mi32, addm_mi64 } },
		[ALU_OR]  = { { orm_store32, orm_store64 }, { orm_load32, orm_load64 },
			      { orm_mi32, orm_mi64 } },
		[ALU_AND] = { { andm_store32, andm_store64 }, { andm_load32, andm_load64 },
			      { andm_mi32, andm_mi64 } },
		[ALU_SUB] = { { subm_store32, subm_store64 }, { subm_load32, subm_load64 },
			      { subm_mi32, subm_mi64 } },
		[ALU_XOR] = { { xorm_store32, xorm_store64 }, { xorm_load32, xorm_load64 },
			      { xorm_mi32, xorm_mi64 } },
		[ALU_CMP] = { { NULL, NULL }, { NULL, NULL }, { cmp_mi32, cmp_mi64 } },
	};
	return tab[aop][form][q];
}

/* CMP reg, [mem] / [mem], reg (39/3B) — the other common compare. */
static void cmp_mem64(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t m = x86_read_inl(c, i->seg, x86_ea_inl(c, i), 8), r = c->r[i->reg];
	uint64_t a = (i->op & 2) ? r : m, b = (i->op & 2) ? m : r;
	x86_lf(c, LF_SUB, 8, a - b, a, b);
}

static void cmp_mem32(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t m = x86_read_inl(c, i->seg, x86_ea_inl(c, i), 4), r = (uint32_t)c->r[i->reg];
	uint64_t a = (i->op & 2) ? r : m, b = (i->op & 2) ? m : r;
	x86_lf(c, LF_SUB, 4, (uint32_t)(a - b), a, b);
}

/* x86_cond() (flags.c) for a constant condition: the lazy states that
 * compare-and-branch code leaves (CMP/SUB, TEST/AND/OR/XOR, CF after ADD,
 * and ZF/SF of any operation) are answered inline from the recorded operands, the rest
 * by x86_cond(). Jcc is about one instruction in six, so its condition is
 * worth not calling and not switching on (EMU-NOTES "lazy flags"). The
 * answers are those of x86_cond(), case by case. */
static inline __attribute__((always_inline)) bool cond_inl(struct x86_cpu *c, const int cc)
{
	const struct x86_lazy *lf = &c->lf;
	const unsigned size = lf->size;

	if (unlikely(lf->op == LF_NONE))
		return x86_cond(c, cc);
	if ((cc >> 1) == 2)              /* E: ZF */
		return ((lf->res & x86_mask((int)size)) == 0) ^ (cc & 1);
	if ((cc >> 1) == 4)              /* S: SF */
		return ((lf->res >> (size * 8 - 1)) & 1) ^ (cc & 1);
	if (lf->op == LF_SUB && ((cc >> 1) == 1 || (cc >> 1) == 3 || (cc >> 1) >= 6)) {
		uint64_t m = x86_mask((int)size), a = lf->src1 & m, b = lf->src2 & m;
		int sh = 64 - (int)size * 8;
		int64_t sa = (int64_t)(a << sh) >> sh, sb = (int64_t)(b << sh) >> sh;
		bool r;

		switch (cc >> 1) {
		case 1: r = a < b; break;        /* B: CF */
		case 3: r = a <= b; break;       /* BE: CF or ZF */
		case 6: r = sa < sb; break;      /* L: SF != OF */
		default: r = sa <= sb; break;    /* LE */
		}
		return r ^ (cc & 1);
	}
	if (lf->op == LF_ADD && ((cc >> 1) == 1 || (cc >> 1) == 3)) {
		/* CF of an ADD is the carry out: the result wrapped below the
		 * first operand (flags.c's lazy_compute). */
		uint64_t m = x86_mask((int)size), res = lf->res & m;
		bool cf = res < (lf->src1 & m);

		return ((cc >> 1) == 1 ? cf : cf || res == 0) ^ (cc & 1);
	}
	if (lf->op == LF_LOGIC && (cc >> 1) != 5) {
		/* CF = OF = 0 (SDM Vol. 2A AND/OR/TEST/XOR "Flags Affected"). */
		uint64_t res = lf->res & x86_mask((int)size);
		bool zf = res == 0, sf = (res >> (size * 8 - 1)) & 1, r;

		switch (cc >> 1) {
		case 0: case 1: r = false; break; /* O, B */
		case 3: r = zf; break;            /* BE */
		case 6: r = sf; break;            /* L */
		default: r = zf || sf; break;     /* LE */
		}
		return r ^ (cc & 1);
	}
	return x86_cond(c, cc);
}

/* Near Jcc, one handler per condition. 64-bit code: the target must be
 * canonical (SDM Vol. 2A Jcc "Operation"). 32-bit operand size outside
 * 64-bit mode: the target is truncated to 32 bits and checked against the
 * CS limit; in compatibility mode there is no limit check (as ctrl.c's
 * near_target()). */
#define JCC(cc)                                                                   static void jcc64_##cc(struct x86_cpu *c, const struct x86_insn *i)               {                                                                                 	if (cond_inl(c, cc)) {                                                    		uint64_t t = c->rip + i->imm;                                     		if (unlikely((uint64_t)((int64_t)(t << 16) >> 16) != t))          			x86_fault(c, X86_GP, 0);                                  		c->rip = t;                                                       	}                                                                         }                                                                                 static void jcc32_##cc(struct x86_cpu *c, const struct x86_insn *i)               {                                                                                 	if (cond_inl(c, cc)) {                                                    		uint64_t t = (uint32_t)(c->rip + i->imm);                         		if (c->mode != MODE_LONG && unlikely(t > c->seg[S_CS].limit))     			x86_fault(c, X86_GP, 0);                                  		c->rip = t;                                                       	}                                                                         }
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)
#undef JCC

static const x86_handler jcc64_fn[16] = {
	jcc64_0, jcc64_1, jcc64_2, jcc64_3, jcc64_4, jcc64_5, jcc64_6, jcc64_7,
	jcc64_8, jcc64_9, jcc64_10, jcc64_11, jcc64_12, jcc64_13, jcc64_14, jcc64_15,
};
static const x86_handler jcc32_fn[16] = {
	jcc32_0, jcc32_1, jcc32_2, jcc32_3, jcc32_4, jcc32_5, jcc32_6, jcc32_7,
	jcc32_8, jcc32_9, jcc32_10, jcc32_11, jcc32_12, jcc32_13, jcc32_14, jcc32_15,
};

/* Jcc's handler for this code size and operand size, or NULL (16-bit). */
static x86_handler pick_jcc(const struct x86_insn *i, int code_size)
{
	if (code_size == 8)
		return jcc64_fn[i->op & 15];
	if (i->opsz == 4)
		return jcc32_fn[i->op & 15];
	return NULL;
}

/* SHL/SAL, SHR, SAR of a register by an immediate (C1 /4 /5 /6 /7); the
 * same results and lazy flags as shift.c (SDM Vol. 2B SAL/SAR/SHL/SHR). */
#define SHIFT_RI(name, size, type, count, kind)                                   \
static void name(struct x86_cpu *c, const struct x86_insn *i)                     \
{                                                                                 \
	const unsigned bits = size * 8;                                           \
	unsigned cnt = (unsigned)(count) & (size == 8 ? 63 : 31);                 \
	uint64_t a = (type)c->r[i->rm], r;                                        \
	bool cf, of;                                                              \
	if (!cnt) {                                                               \
		c->r[i->rm] = a;        /* no flags; a 32-bit write still zero-extends */ \
		return;                                                           \
	}                                                                         \
	switch (kind) {                                                           \
	case 5:                                                                   \
		r = a >> cnt;                                                     \
		cf = (a >> (cnt - 1)) & 1;                                        \
		of = (a >> (bits - 1)) & 1;                                       \
		break;                                                            \
	case 7: {                                                                 \
		int64_t sv = x86_sext(a, size);                                   \
		r = (type)(sv >> cnt);                                            \
		cf = (sv >> (cnt - 1)) & 1;                                       \
		of = false;                                                       \
		break;                                                            \
	}                                                                         \
	default:                                                                  \
		r = (type)(a << cnt);                                             \
		cf = (a >> (bits - cnt)) & 1;                                     \
		of = ((r >> (bits - 1)) & 1) != cf;                               \
		break;                                                            \
	}                                                                         \
	c->r[i->rm] = r;                                                          \
	x86_lf(c, LF_SHL, size, r, 0, 0);                                         \
	c->lf.cf_in = (uint32_t)cf | ((uint32_t)of << 1);                         \
}

/* One handler per operation (kind = ModRM.reg: 5 SHR, 7 SAR, 4/6 SHL):
 * no switch on the operation at run time. */
SHIFT_RI(shl_ri64, 8, uint64_t, i->imm, 4)
SHIFT_RI(shl_ri32, 4, uint32_t, i->imm, 4)
SHIFT_RI(shr_ri64, 8, uint64_t, i->imm, 5)
SHIFT_RI(shr_ri32, 4, uint32_t, i->imm, 5)
SHIFT_RI(sar_ri64, 8, uint64_t, i->imm, 7)
SHIFT_RI(sar_ri32, 4, uint32_t, i->imm, 7)

/* The same by CL (D3 /4 /5 /6 /7): the count is masked the same way. */
SHIFT_RI(shift_rc64, 8, uint64_t, c->r[R_CX], i->reg & 7)
SHIFT_RI(shift_rc32, 4, uint32_t, c->r[R_CX], i->reg & 7)

/* ROL and ROR of a register by an immediate (C1 /0 /1), as shift.c's
 * rmw_grp2(): only CF and OF change (SDM Vol. 2B RCL/RCR/ROL/ROR "Flags
 * Affected"), so the other flags are resolved first; a masked count of 0
 * changes no flags. Hashes and checksums (sha256sum) are full of these. */
#define ROT_RI(name, size, type, count)                                           \
static void name(struct x86_cpu *c, const struct x86_insn *i)                     \
{                                                                                 \
	const unsigned bits = size * 8;                                           \
	unsigned k = (unsigned)(count) & (size == 8 ? 63 : 31);                   \
	uint64_t a = (type)c->r[i->rm], msb = 1ULL << (bits - 1), r;              \
	bool cf, of;                                                              \
	if (!k) {                                                                 \
		c->r[i->rm] = a;        /* no flags; a 32-bit write still zero-extends */ \
		return;                                                           \
	}                                                                         \
	if ((i->reg & 7) == 0) {                                                  \
		r = (type)((a << k) | (a >> (bits - k)));                         \
		cf = r & 1;                                                       \
		of = !!(r & msb) != cf;                                           \
	} else {                                                                  \
		r = (type)((a >> k) | (a << (bits - k)));                         \
		cf = !!(r & msb);                                                 \
		of = cf != !!(r & (msb >> 1));                                    \
	}                                                                         \
	c->r[i->rm] = r;                                                          \
	if (c->lf.op != LF_NONE)                                                  \
		x86_flags_flush(c);                                               \
	c->rflags = (c->rflags & ~(uint64_t)(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0); \
}

ROT_RI(rot_ri64, 8, uint64_t, i->imm)
ROT_RI(rot_ri32, 4, uint32_t, i->imm)
/* ROL/ROR by CL (D3 /0 /1): rotl32(x, n) in C compiles to these. */
ROT_RI(rot_rc64, 8, uint64_t, c->r[R_CX])
ROT_RI(rot_rc32, 4, uint32_t, c->r[R_CX])

/* INC/DEC of a 32/64-bit register (40-4F outside 64-bit mode, FF /0 /1
 * with a register operand): CF is kept (SDM Vol. 2A INC/DEC "Flags
 * Affected"), recorded in cf_in as alu.c's rmw_incdec() does. */
#define INCDEC_R(name, size, type, lfop, expr, dst)                               \
static void name(struct x86_cpu *c, const struct x86_insn *i)                     \
{                                                                                 \
	int d = (dst);                                                            \
	uint32_t cf = x86_cf(c);                                                  \
	uint64_t a = (type)c->r[d], r = (type)(expr);                             \
	c->r[d] = r;                                                              \
	x86_lf(c, lfop, size, r, a, 1);                                           \
	c->lf.cf_in = cf;                                                         \
}
INCDEC_R(inc_o32, 4, uint32_t, LF_INC, a + 1, i->op & 7)
INCDEC_R(dec_o32, 4, uint32_t, LF_DEC, a - 1, i->op & 7)
INCDEC_R(inc_r32, 4, uint32_t, LF_INC, a + 1, i->rm)
INCDEC_R(dec_r32, 4, uint32_t, LF_DEC, a - 1, i->rm)
INCDEC_R(inc_r64, 8, uint64_t, LF_INC, a + 1, i->rm)
INCDEC_R(dec_r64, 8, uint64_t, LF_DEC, a - 1, i->rm)

/* MUL of EAX/RAX by a register (F7 /4): EDX:EAX / RDX:RAX = the unsigned
 * product; CF = OF = the high half is not zero, the other flags derived
 * from the low half as muldiv.c's mul_flags() (SDM Vol. 2A MUL). The
 * source is read before either half is written (MUL EDX). */
static void mul_r32(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t p = (uint64_t)(uint32_t)c->r[R_AX] * (uint32_t)c->r[i->rm];
	uint64_t lo = (uint32_t)p, hi = p >> 32;

	c->r[R_AX] = lo;
	c->r[R_DX] = hi;
	x86_lf(c, LF_MUL, 4, lo, 0, 0);
	c->lf.cf_in = hi != 0;
}

static void mul_r64(struct x86_cpu *c, const struct x86_insn *i)
{
	unsigned __int128 p = (unsigned __int128)c->r[R_AX] * c->r[i->rm];
	uint64_t lo = (uint64_t)p, hi = (uint64_t)(p >> 64);

	c->r[R_AX] = lo;
	c->r[R_DX] = hi;
	x86_lf(c, LF_MUL, 8, lo, 0, 0);
	c->lf.cf_in = hi != 0;
}

/* IMUL Gv, Ev (0F AF) and IMUL Gv, Ev, imm (69, 6B) with a register
 * source: the product truncated to the operand size; CF = OF = the signed
 * product did not fit (SDM Vol. 2A IMUL), kept lazily as muldiv.c does. */
static void imul_rr64(struct x86_cpu *c, const struct x86_insn *i)
{
	int64_t a = (int64_t)c->r[i->rm], b = (int64_t)(i->op == 0xaf ? c->r[i->reg] : i->imm);
	__int128 p = (__int128)a * b;
	uint64_t lo = (uint64_t)p;

	c->r[i->reg] = lo;
	x86_lf(c, LF_IMUL, 8, lo, 0, 0);
	c->lf.cf_in = p != (__int128)(int64_t)lo;
}

static void imul_rr32(struct x86_cpu *c, const struct x86_insn *i)
{
	int32_t a = (int32_t)c->r[i->rm], b = (int32_t)(i->op == 0xaf ? c->r[i->reg] : i->imm);
	int64_t p = (int64_t)a * b;
	uint64_t lo = (uint32_t)p;

	c->r[i->reg] = lo;
	x86_lf(c, LF_IMUL, 4, lo, 0, 0);
	c->lf.cf_in = p != (int64_t)(int32_t)lo;
}

/* MOVZX Gv, Eb/Ew with a 32/64-bit destination: zero-extended either way. */
static void movzx_b(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->reg] = x86_rm_read_inl(c, i, 1); }
static void movzx_w(struct x86_cpu *c, const struct x86_insn *i) { c->r[i->reg] = x86_rm_read_inl(c, i, 2); }

/* 64-bit mode stack and near calls: RSP is 64 bits wide there (SDM Vol. 1
 * 6.2.3); RSP changes only after the memory access succeeded. */
static void push_r64(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t sp = c->r[R_SP] - 8;
	x86_write_inl(c, S_SS, sp, 8, c->r[i->rm]);
	c->r[R_SP] = sp;
}

static void pop_r64(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t sp = c->r[R_SP], v = x86_read_inl(c, S_SS, sp, 8);
	c->r[R_SP] = sp + 8;
	c->r[i->rm] = v;          /* POP RSP: the popped value wins */
}

static inline void check_canonical(struct x86_cpu *c, uint64_t t)
{
	if (unlikely((uint64_t)((int64_t)(t << 16) >> 16) != t))
		x86_fault(c, X86_GP, 0);
}

static void call_rel64(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t t = c->rip + i->imm, sp = c->r[R_SP] - 8;
	check_canonical(c, t);
	x86_write_inl(c, S_SS, sp, 8, c->rip);
	c->r[R_SP] = sp;
	c->rip = t;
}

static void ret64(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t sp = c->r[R_SP], t = x86_read_inl(c, S_SS, sp, 8);
	check_canonical(c, t);
	c->r[R_SP] = sp + 8;
	c->rip = t;
}

/* JMP near indirect through memory (FF /4): jump tables. 64-bit mode:
 * a 64-bit target that must be canonical; 32-bit operand size outside it:
 * checked against the CS limit except in compatibility mode (ctrl.c's
 * near_target(), SDM Vol. 2A JMP "Operation"). */
static void jmp_m64(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t t = x86_read_inl(c, i->seg, x86_ea_inl(c, i), 8);
	check_canonical(c, t);
	c->rip = t;
}

static void jmp_m32(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t t = (uint32_t)x86_read_inl(c, i->seg, x86_ea_inl(c, i), 4);
	if (c->mode != MODE_LONG && unlikely(t > c->seg[S_CS].limit))
		x86_fault(c, X86_GP, 0);
	c->rip = t;
}

static x86_handler pick_ai(uint8_t op, bool q)
{
	switch (op & ~7) {
	case 0x00: return q ? add_ai64 : add_ai32;
	case 0x08: return q ? or_ai64 : or_ai32;
	case 0x20: return q ? and_ai64 : and_ai32;
	case 0x28: return q ? sub_ai64 : sub_ai32;
	case 0x30: return q ? xor_ai64 : xor_ai32;
	case 0x38: return q ? cmp_ai64 : cmp_ai32;
	}
	return NULL;
}

static x86_handler pick_rr(uint8_t op, bool q)
{
	switch (op & ~3) {
	case 0x00: return q ? add_rr64 : add_rr32;
	case 0x08: return q ? or_rr64 : or_rr32;
	case 0x20: return q ? and_rr64 : and_rr32;
	case 0x28: return q ? sub_rr64 : sub_rr32;
	case 0x30: return q ? xor_rr64 : xor_rr32;
	case 0x38: return q ? cmp_rr64 : cmp_rr32;
	}
	return NULL;
}

static x86_handler pick_ri(uint8_t reg, bool q)
{
	switch (reg & 7) {
	case 0: return q ? add_ri64 : add_ri32;
	case 1: return q ? or_ri64 : or_ri32;
	case 4: return q ? and_ri64 : and_ri32;
	case 5: return q ? sub_ri64 : sub_ri32;
	case 6: return q ? xor_ri64 : xor_ri32;
	case 7: return q ? cmp_ri64 : cmp_ri32;
	}
	return NULL;
}

void x86_specialize(struct x86_insn *i, int code_size)
{
	bool q = i->opsz == 8, reg = i->mod == 3;
	x86_handler h = NULL;

	if (i->lock)
		return;
	if (i->map == 0 && (i->op == 0x3c || i->op == 0xa8)) {
		i->fn = i->op == 0x3c ? cmp_al_imm : test_al_imm;
		return;
	}
	if (i->opsz != 4 && i->opsz != 8)
		return;
	if (i->map == 0) {
		uint8_t op = i->op;
		if (op < 0x40 && (op & 7) < 4 && (op & 1)) {
			if (reg)
				h = pick_rr(op, q);
			else if ((op & ~2) == 0x39 && i->adsz >= 4)
				h = q ? cmp_mem64 : cmp_mem32;
			else if (i->adsz >= 4)
				h = pick_mem(op >> 3, (op & 2) ? 1 : 0, q);
		} else if (op < 0x40 && (op & 7) == 5) {
			h = pick_ai(op, q);
		} else if (op == 0xff && !reg && (i->reg & 7) == 4 && i->adsz >= 4 &&
			   i->opsz == code_size) {
			h = q ? jmp_m64 : jmp_m32;
		} else if (op == 0x85 && reg) {
			h = q ? test_rr64 : test_rr32;
		} else if ((op == 0x81 || op == 0x83) && reg) {
			h = pick_ri(i->reg, q);
		} else if ((op == 0x81 || op == 0x83) && i->adsz >= 4) {
			h = pick_mem(i->reg & 7, 2, q);
		} else if (op == 0xc1 && reg && (i->reg & 7) >= 4) {
			h = (i->reg & 7) == 5 ? (q ? shr_ri64 : shr_ri32)
			    : (i->reg & 7) == 7 ? (q ? sar_ri64 : sar_ri32)
			    : (q ? shl_ri64 : shl_ri32);
		} else if (op == 0xc1 && reg && (i->reg & 7) <= 1) {
			h = q ? rot_ri64 : rot_ri32;
		} else if (op == 0xd3 && reg && (i->reg & 7) >= 4) {
			h = q ? shift_rc64 : shift_rc32;
		} else if (op == 0xd3 && reg && (i->reg & 7) <= 1) {
			h = q ? rot_rc64 : rot_rc32;
		} else if (code_size != 8 && op >= 0x40 && op <= 0x4f && !q) {
			h = op & 8 ? dec_o32 : inc_o32;
		} else if (op == 0xff && reg && (i->reg & 7) <= 1) {
			h = (i->reg & 1) ? (q ? dec_r64 : dec_r32) : (q ? inc_r64 : inc_r32);
		} else if (op == 0xf7 && reg && (i->reg & 7) == 4) {
			h = q ? mul_r64 : mul_r32;
		} else if (op == 0x89 || op == 0x8b) {
			if (reg)
				h = op == 0x89 ? (q ? mov_rm_r64 : mov_rm_r32) : (q ? mov_r_rm64 : mov_r_rm32);
			else if (i->adsz >= 4)
				h = op == 0x89 ? (q ? mov_store64 : mov_store32) : (q ? mov_load64 : mov_load32);
		} else if ((op == 0x69 || op == 0x6b) && reg) {
			h = q ? imul_rr64 : imul_rr32;
		} else if (op >= 0xb8 && op <= 0xbf) {
			h = q ? mov_imm64 : mov_imm32;
		} else if (op == 0x8d && !reg) {
			h = q ? lea64 : lea32;
		} else if (op >= 0x70 && op <= 0x7f) {
			h = pick_jcc(i, code_size);
		} else if (code_size == 8 && q && op >= 0x50 && op <= 0x57) {
			h = push_r64;
		} else if (code_size == 8 && q && op >= 0x58 && op <= 0x5f) {
			h = pop_r64;
		} else if (code_size == 8 && op == 0xe8) {
			h = call_rel64;
		} else if (code_size == 8 && op == 0xc3) {
			h = ret64;
		}
	} else if (i->map == 1) {
		if (i->op >= 0x80 && i->op <= 0x8f)
			h = pick_jcc(i, code_size);
		else if (i->op == 0xaf && reg)
			h = q ? imul_rr64 : imul_rr32;
		else if (i->op == 0xb6)
			h = movzx_b;
		else if (i->op == 0xb7)
			h = movzx_w;
	}
	if (h)
		i->fn = h;
}
