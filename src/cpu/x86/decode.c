/* x86 instruction decoder: bytes -> struct x86_insn.
 *
 * The decoder is data: one attribute word per opcode says whether a ModRM
 * byte follows, what immediate follows and how the operand size is chosen.
 * Handlers live in x86_optab (optab.c); a NULL handler means #UD.
 *
 * References: Intel SDM Vol. 2A chapter 2 (instruction format), appendix A
 * (opcode maps), AMD APM Vol. 3 chapter 1.
 */
#include <string.h>
#include "cpu/x86/cpu.h"

/* Attribute bits. */
#define A_M      0x0001u  /* ModRM follows */
#define A_BYTE   0x0002u  /* byte operation: opsz = 1 */
#define A_D64    0x0004u  /* default operand size 64 in 64-bit mode (push/pop...) */
#define A_F64    0x0008u  /* operand size forced to 64 in 64-bit mode (near branches) */
#define A_I64    0x0010u  /* invalid in 64-bit mode */
#define A_UD     0x0020u  /* always invalid */
#define A_CRDR   0x0040u  /* MOV CR/DR: ModRM.mod is ignored (SDM Vol. 2B MOV-Control Registers) */
#define A_IMM_SHIFT 8
#define A_IMM(k) ((unsigned)(k) << A_IMM_SHIFT)
enum {
	I_NONE, I_B, I_W, I_Z, I_V, I_O, I_ENTER, I_FAR, I_GRP3,
};

#define M   A_M
#define MB  (A_M | A_BYTE)
#define IB  A_IMM(I_B)
#define IW  A_IMM(I_W)
#define IZ  A_IMM(I_Z)
#define ALU_ROW MB, M, MB, M, A_BYTE | IB, IZ

static const uint16_t attr_1b[256] = {
	/* 00-07: ADD, PUSH ES, POP ES */
	ALU_ROW, A_I64, A_I64,
	/* 08-0F: OR, PUSH CS, 0F escape */
	ALU_ROW, A_I64, 0,
	/* 10-17: ADC, PUSH/POP SS */
	ALU_ROW, A_I64, A_I64,
	/* 18-1F: SBB, PUSH/POP DS */
	ALU_ROW, A_I64, A_I64,
	/* 20-27: AND, ES:, DAA */
	ALU_ROW, 0, A_I64,
	/* 28-2F: SUB, CS:, DAS */
	ALU_ROW, 0, A_I64,
	/* 30-37: XOR, SS:, AAA */
	ALU_ROW, 0, A_I64,
	/* 38-3F: CMP, DS:, AAS */
	ALU_ROW, 0, A_I64,
	/* 40-4F: INC/DEC r (REX in 64-bit mode, consumed as prefixes) */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 50-5F: PUSH/POP r */
	A_D64, A_D64, A_D64, A_D64, A_D64, A_D64, A_D64, A_D64,
	A_D64, A_D64, A_D64, A_D64, A_D64, A_D64, A_D64, A_D64,
	/* 60-67: PUSHA POPA BOUND ARPL/MOVSXD FS: GS: opsz adsz */
	A_I64, A_I64, M | A_I64, M, 0, 0, 0, 0,
	/* 68-6F: PUSH Iz, IMUL Gv,Ev,Iz, PUSH Ib, IMUL Ib, INS, OUTS */
	IZ | A_D64, M | IZ, IB | A_D64, M | IB, A_BYTE, 0, A_BYTE, 0,
	/* 70-7F: Jcc rel8 */
	IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64,
	IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64,
	/* 80-87: group 1, TEST, XCHG (82 is an alias of 80, invalid in 64-bit) */
	MB | IB, M | IZ, MB | IB | A_I64, M | IB, MB, M, MB, M,
	/* 88-8F: MOV, MOV sreg, LEA, POP Ev */
	MB, M, MB, M, M, M, M, M | A_D64,
	/* 90-97: XCHG rAX, r / NOP / PAUSE */
	0, 0, 0, 0, 0, 0, 0, 0,
	/* 98-9F: CBW CWD CALLF FWAIT PUSHF POPF SAHF LAHF */
	0, 0, A_IMM(I_FAR) | A_I64, 0, A_D64, A_D64, 0, 0,
	/* A0-A7: MOV moffs, MOVS, CMPS */
	A_BYTE | A_IMM(I_O), A_IMM(I_O), A_BYTE | A_IMM(I_O), A_IMM(I_O), A_BYTE, 0, A_BYTE, 0,
	/* A8-AF: TEST rAX imm, STOS, LODS, SCAS */
	A_BYTE | IB, IZ, A_BYTE, 0, A_BYTE, 0, A_BYTE, 0,
	/* B0-BF: MOV r, imm */
	A_BYTE | IB, A_BYTE | IB, A_BYTE | IB, A_BYTE | IB,
	A_BYTE | IB, A_BYTE | IB, A_BYTE | IB, A_BYTE | IB,
	A_IMM(I_V), A_IMM(I_V), A_IMM(I_V), A_IMM(I_V),
	A_IMM(I_V), A_IMM(I_V), A_IMM(I_V), A_IMM(I_V),
	/* C0-C7: shift Ib, RET Iw, RET, LES/VEX3, LDS/VEX2, MOV Ev, imm */
	MB | IB, M | IB, IW | A_F64, A_F64, M | A_I64, M | A_I64, MB | IB, M | IZ,
	/* C8-CF: ENTER LEAVE RETF Iw RETF INT3 INT Ib INTO IRET */
	A_IMM(I_ENTER) | A_D64, A_D64, IW, 0, 0, IB, A_I64, 0,
	/* D0-D7: shifts by 1 / CL, AAM, AAD, SALC (undocumented), XLAT */
	MB, M, MB, M, IB | A_I64, IB | A_I64, A_I64, 0,
	/* D8-DF: x87 */
	M, M, M, M, M, M, M, M,
	/* E0-E7: LOOPNE LOOPE LOOP JrCXZ IN IN OUT OUT */
	IB | A_F64, IB | A_F64, IB | A_F64, IB | A_F64, A_BYTE | IB, IB, A_BYTE | IB, IB,
	/* E8-EF: CALL rel, JMP rel, JMPF, JMP rel8, IN/OUT DX */
	IZ | A_F64, IZ | A_F64, A_IMM(I_FAR) | A_I64, IB | A_F64, A_BYTE, 0, A_BYTE, 0,
	/* F0-F7: LOCK INT1 REPNE REP HLT CMC group 3 */
	0, 0, 0, 0, 0, 0, MB | A_IMM(I_GRP3), M | A_IMM(I_GRP3),
	/* F8-FF: CLC STC CLI STI CLD STD group 4, group 5 */
	0, 0, 0, 0, 0, 0, MB, M,
};

#define R8(x) x, x, x, x, x, x, x, x
#define R16(x) R8(x), R8(x)

static const uint16_t attr_0f[256] = {
	/* 00-07: grp6 grp7 LAR LSL - SYSCALL CLTS SYSRET */
	M, M, M, M, A_UD, 0, 0, 0,
	/* 08-0F: INVD WBINVD - UD2 - PREFETCH FEMMS 3DNow! */
	0, 0, A_UD, 0, A_UD, M, A_UD, A_UD,
	/* 10-1F: SSE moves, prefetch/hint NOPs */
	R16(M),
	/* 20-27: MOV CR/DR */
	M | A_CRDR, M | A_CRDR, M | A_CRDR, M | A_CRDR, A_UD, A_UD, A_UD, A_UD,
	/* 28-2F */
	R8(M),
	/* 30-37: WRMSR RDTSC RDMSR RDPMC SYSENTER SYSEXIT - GETSEC */
	0, 0, 0, 0, 0, 0, A_UD, 0,
	/* 38-3F: 3-byte escapes at 38 and 3A */
	0, A_UD, 0, A_UD, A_UD, A_UD, A_UD, A_UD,
	/* 40-4F: CMOVcc */
	R16(M),
	/* 50-6F: SSE */
	R16(M), R16(M),
	/* 70-77: PSHUF, shift groups (imm8), PCMPEQ, EMMS */
	M | IB, M | IB, M | IB, M | IB, M, M, M, 0,
	/* 78-7F: VMREAD/VMWRITE (#UD: no VMX), SSE3 */
	M, M, A_UD, A_UD, M, M, M, M,
	/* 80-8F: Jcc rel16/32 */
	R16(IZ | A_F64),
	/* 90-9F: SETcc */
	R16(MB),
	/* A0-A7: PUSH FS, POP FS, CPUID, BT, SHLD Ib, SHLD CL */
	A_D64, A_D64, 0, M, M | IB, M, A_UD, A_UD,
	/* A8-AF: PUSH GS, POP GS, RSM, BTS, SHRD Ib, SHRD CL, grp15, IMUL */
	A_D64, A_D64, 0, M, M | IB, M, M, M,
	/* B0-B7: CMPXCHG, LSS, BTR, LFS, LGS, MOVZX */
	MB, M, M, M, M, M, M, M,
	/* B8-BF: POPCNT, UD1, grp8 Ib, BTC, BSF/TZCNT, BSR/LZCNT, MOVSX */
	M, M, M | IB, M, M, M, M, M,
	/* C0-C7: XADD, CMPPS Ib, MOVNTI, PINSRW Ib, PEXTRW Ib, SHUFPS Ib, grp9 */
	MB, M, M | IB, M, M | IB, M | IB, M | IB, M,
	/* C8-CF: BSWAP */
	0, 0, 0, 0, 0, 0, 0, 0,
	/* D0-FF: SSE */
	R16(M), R16(M), R16(M),
};

/* May this opcode take LOCK? Only the read-modify-write forms with a memory
 * destination (SDM Vol. 2A LOCK: "#UD ... not one of the listed"). */
static bool lock_ok(const struct x86_insn *i)
{
	if (!i->has_modrm || i->mod == 3)
		return false;
	if (i->map == 0) {
		uint8_t op = i->op;
		if (op < 0x40 && (op & 7) < 2)
			return (op & 0x38) != 0x38;   /* not CMP */
		switch (op) {
		case 0x80: case 0x81: case 0x82: case 0x83:
			return i->reg != 7;
		case 0x86: case 0x87:
			return true;
		case 0xf6: case 0xf7:
			return i->reg == 2 || i->reg == 3;
		case 0xfe: case 0xff:
			return i->reg < 2;
		}
		return false;
	}
	if (i->map == 1) {
		switch (i->op) {
		case 0xab: case 0xb3: case 0xbb: case 0xb0: case 0xb1:
		case 0xc0: case 0xc1:
			return true;
		case 0xba:
			return i->reg >= 5;
		case 0xc7:
			return (i->reg & 7) == 1;
		}
	}
	return false;
}

/* Helper for reading little-endian immediates with bounds checks. */
struct cursor {
	const uint8_t *b;
	int n, pos;
	bool trunc;
};

static uint64_t take(struct cursor *cu, int bytes)
{
	uint64_t v = 0;
	if (cu->pos + bytes > cu->n) {
		cu->trunc = true;
		cu->pos += bytes;
		return 0;
	}
	for (int k = 0; k < bytes; k++)
		v |= (uint64_t)cu->b[cu->pos + k] << (8 * k);
	cu->pos += bytes;
	return v;
}

static const uint8_t modrm16_base[8] = { R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX };
static const uint8_t modrm16_index[8] = { R_SI, R_DI, R_SI, R_DI, NO_REG, NO_REG, NO_REG, NO_REG };

static void decode_mem16(struct cursor *cu, struct x86_insn *i, uint8_t rm)
{
	i->scale = 0;
	if (i->mod == 0 && rm == 6) {
		i->base = NO_REG;
		i->index = NO_REG;
		i->disp = (int16_t)take(cu, 2);
		return;
	}
	i->base = modrm16_base[rm];
	i->index = modrm16_index[rm];
	if (i->mod == 1)
		i->disp = (int8_t)take(cu, 1);
	else if (i->mod == 2)
		i->disp = (int16_t)take(cu, 2);
}

static void decode_mem32(struct cursor *cu, struct x86_insn *i, uint8_t rm, bool mode64)
{
	uint8_t rex = i->rex;
	i->scale = 0;
	i->index = NO_REG;
	if (rm == 4) {
		uint8_t sib = (uint8_t)take(cu, 1);
		uint8_t idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
		uint8_t base = sib & 7;
		i->scale = sib >> 6;
		i->index = idx == R_SP ? NO_REG : idx;   /* index 100b without REX.X = none */
		if (base == 5 && i->mod == 0) {
			i->base = NO_REG;
			i->disp = (int32_t)take(cu, 4);
			return;
		}
		i->base = base | ((rex & 1) << 3);
	} else if (rm == 5 && i->mod == 0) {
		/* SDM Vol. 2A 2.2.1.6: RIP-relative in 64-bit mode only. */
		i->base = mode64 ? RIP_REL : NO_REG;
		i->disp = (int32_t)take(cu, 4);
		return;
	} else {
		i->base = rm | ((rex & 1) << 3);
	}
	if (i->mod == 1)
		i->disp = (int8_t)take(cu, 1);
	else if (i->mod == 2)
		i->disp = (int32_t)take(cu, 4);
}

int x86_decode(const uint8_t *b, int n, int code_size, struct x86_insn *out)
{
	struct x86_insn i;
	struct cursor cu = { .b = b, .n = n > 15 ? 15 : n, .pos = 0 };
	bool mode64 = code_size == 8;
	int seg_ovr = -1;
	bool p66 = false, p67 = false;
	uint8_t last_f2f3 = 0;
	uint16_t attr;
	uint8_t op;

	x86_optab_init();
	memset(&i, 0, sizeof(i));
	i.base = NO_REG;
	i.index = NO_REG;

	/* Legacy prefixes in any order, repeated; REX only counts when it is
	 * the last byte before the opcode (SDM Vol. 2A 2.2.1). */
	for (;;) {
		if (cu.pos >= cu.n)
			return cu.n >= 15 ? X86_DEC_TOOLONG : X86_DEC_TRUNC;
		op = b[cu.pos];
		switch (op) {
		case 0xf0: i.lock = 1; break;
		case 0xf2: case 0xf3: i.rep = op; last_f2f3 = op; break;
		case 0x26: seg_ovr = S_ES; break;
		case 0x2e: seg_ovr = S_CS; break;
		case 0x36: seg_ovr = S_SS; break;
		case 0x3e: seg_ovr = S_DS; break;
		case 0x64: seg_ovr = S_FS; break;
		case 0x65: seg_ovr = S_GS; break;
		case 0x66: p66 = true; break;
		case 0x67: p67 = true; break;
		default:
			if (mode64 && (op & 0xf0) == 0x40) {
				i.rex = op;
				cu.pos++;
				continue;
			}
			goto opcode;
		}
		i.rex = 0;
		cu.pos++;
	}
opcode:
	cu.pos++;
	if (op == 0x0f) {
		uint8_t op2 = (uint8_t)take(&cu, 1);
		if (cu.trunc)
			goto trunc;
		if (op2 == 0x38 || op2 == 0x3a) {
			i.map = op2 == 0x38 ? 2 : 3;
			i.op = (uint8_t)take(&cu, 1);
			if (cu.trunc)
				goto trunc;
			attr = i.map == 2 ? A_M : (A_M | IB);
		} else {
			i.map = 1;
			i.op = op2;
			attr = attr_0f[op2];
		}
	} else {
		i.map = 0;
		i.op = op;
		attr = attr_1b[op];
	}
	if (attr & A_UD)
		return 0;
	if (mode64 && (attr & A_I64))
		return 0;   /* includes C4/C5/62: VEX/EVEX, AVX is not advertised */

	i.pfx66 = p66;
	i.sse_pfx = last_f2f3 ? last_f2f3 : (p66 ? 0x66 : 0);
	if (mode64)
		i.adsz = p67 ? 4 : 8;
	else
		i.adsz = (code_size == 2) != p67 ? 2 : 4;

	/* ModRM and addressing. */
	if (attr & A_M) {
		uint8_t modrm = (uint8_t)take(&cu, 1);
		if (cu.trunc)
			goto trunc;
		i.has_modrm = 1;
		i.mod = modrm >> 6;
		i.reg = ((modrm >> 3) & 7) | ((i.rex & 4) << 1);
		if (attr & A_CRDR)
			i.mod = 3;
		if (i.mod == 3) {
			i.rm = (modrm & 7) | ((i.rex & 1) << 3);
		} else if (i.adsz == 2) {
			decode_mem16(&cu, &i, modrm & 7);
		} else {
			decode_mem32(&cu, &i, modrm & 7, mode64);
		}
		/* Opcodes whose size rules depend on ModRM.reg: group 5's near
		 * CALL/JMP are forced to 64 bits, its PUSH defaults to 64 (SDM
		 * Vol. 2A Table 2-4 / A.2.5). */
		if (i.map == 0 && i.op == 0xff && mode64) {
			uint8_t r = i.reg & 7;
			if (r == 2 || r == 4)
				attr |= A_F64;
			else if (r == 6)
				attr |= A_D64;
		}
		/* Legacy-mode LES/LDS/BOUND with a register operand are the
		 * VEX/EVEX escapes: AVX is not advertised, so #UD. */
		if (i.map == 0 && (i.op == 0xc4 || i.op == 0xc5 || i.op == 0x62) && i.mod == 3)
			return 0;
		/* 8F /1-7 is AMD's XOP escape. */
		if (i.map == 0 && i.op == 0x8f && (i.reg & 7) != 0)
			return 0;
	} else {
		/* Opcodes with the register in the low three bits (PUSH r, MOV r,
		 * imm, XCHG, BSWAP): REX.B extends it. */
		i.mod = 3;
		i.rm = (i.op & 7) | ((i.rex & 1) << 3);
	}

	/* Operand size (SDM Vol. 2A 2.2.1.2 and Table 3-4). */
	if (attr & A_BYTE)
		i.opsz = 1;
	else if (mode64) {
		if (attr & A_F64)
			i.opsz = 8;
		else if (i.rex & 8)
			i.opsz = 8;
		else if (p66)
			i.opsz = 2;
		else
			i.opsz = (attr & A_D64) ? 8 : 4;
	} else {
		i.opsz = (code_size == 2) != p66 ? 2 : 4;
	}

	/* Default segment: SS for rBP/rSP-based addresses, else DS. In 64-bit
	 * mode only FS/GS overrides take effect (SDM Vol. 1 3.3.7.1). */
	if (i.has_modrm && i.mod != 3 && (i.base == R_SP || i.base == R_BP))
		i.seg = S_SS;
	else
		i.seg = S_DS;
	if (seg_ovr >= 0 && (!mode64 || seg_ovr >= S_FS))
		i.seg = (uint8_t)seg_ovr;

	/* Immediates. */
	switch ((attr >> A_IMM_SHIFT) & 0xf) {
	case I_B:
		i.imm = (uint64_t)(int64_t)(int8_t)take(&cu, 1);
		break;
	case I_W:
		i.imm = take(&cu, 2);
		break;
	case I_Z:
		i.imm = i.opsz == 2 ? (uint64_t)(int64_t)(int16_t)take(&cu, 2)
			: (uint64_t)(int64_t)(int32_t)take(&cu, 4);
		break;
	case I_V:
		i.imm = take(&cu, i.opsz);
		break;
	case I_O:
		i.imm = take(&cu, i.adsz);
		break;
	case I_ENTER:
		i.imm = take(&cu, 2);
		i.imm2 = (uint16_t)take(&cu, 1);
		break;
	case I_FAR:
		i.imm = take(&cu, i.opsz == 2 ? 2 : 4);
		i.imm2 = (uint16_t)take(&cu, 2);
		break;
	case I_GRP3:
		if ((i.reg & 7) < 2) {
			if (i.opsz == 1)
				i.imm = (uint64_t)(int64_t)(int8_t)take(&cu, 1);
			else if (i.opsz == 2)
				i.imm = (uint64_t)(int64_t)(int16_t)take(&cu, 2);
			else
				i.imm = (uint64_t)(int64_t)(int32_t)take(&cu, 4);
		}
		break;
	}
	if (cu.trunc)
		goto trunc;

	i.len = (uint8_t)cu.pos;
	i.fn = x86_optab[i.map][i.op];
	if (!i.fn)
		return 0;
	if (i.lock && !lock_ok(&i))
		return 0;
	*out = i;
	return i.len;

trunc:
	/* Ran past what the caller could give: past 15 bytes is #GP(0) (SDM
	 * Vol. 2A 2.3.11), otherwise the next byte's fetch must fault. */
	return (cu.pos > 15 || n >= 15) ? X86_DEC_TOOLONG : X86_DEC_TRUNC;
}
