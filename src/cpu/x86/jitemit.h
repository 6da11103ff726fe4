/* A small x86-64 encoder for jit.c: just the instruction forms the block
 * translator emits. Encodings from Intel SDM Vol. 2A chapter 2 (REX 2.2.1,
 * ModRM/SIB 2.1.5) and each instruction's opcode table in Vol. 2A/2B.
 *
 * Registers are host numbers 0..15 (rax rcx rdx rbx rsp rbp rsi rdi
 * r8..r15). Memory operands are always [r15 + disp32] (r15 holds the
 * struct x86_cpu pointer) or, for LEA, base + index*scale + disp32 with
 * a SIB byte, which sidesteps the rsp/r12 and rbp/r13 special cases of
 * ModRM (2.1.5 Table 2-2 notes). A write past the end of the buffer sets
 * `full` and is dropped; the caller throws the block away.
 */
#ifndef RINGVM_CPU_X86_JITEMIT_H
#define RINGVM_CPU_X86_JITEMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum { H_AX, H_CX, H_DX, H_BX, H_SP, H_BP, H_SI, H_DI,
       H_R8, H_R9, H_R10, H_R11, H_R12, H_R13, H_R14, H_R15 };
#define H_CPU  H_R15
#define H_NONE 0xff

struct jbuf {
	uint8_t *p, *end;
	bool full;
};

static inline void jb1(struct jbuf *j, unsigned v)
{
	if (j->p < j->end)
		*j->p++ = (uint8_t)v;
	else
		j->full = true;
}

static inline void jb4(struct jbuf *j, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		jb1(j, (v >> (8 * k)) & 0xff);
}

static inline void jb8(struct jbuf *j, uint64_t v)
{
	jb4(j, (uint32_t)v);
	jb4(j, (uint32_t)(v >> 32));
}

static inline bool fits_s32(uint64_t v)
{
	return (int64_t)v == (int32_t)v;
}

/* REX (2.2.1.2): W = 64-bit operand, R/X/B extend reg/index/base. byte:
 * an 8-bit register operand 4..7 means SPL..DIL only with a REX byte. */
static inline void j_rex(struct jbuf *j, bool w, int reg, int idx, int rm, bool byte)
{
	unsigned v = 0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((idx >> 3) & 1) << 1 |
		     ((rm >> 3) & 1);
	if (v != 0x40 || (byte && ((reg & ~3) == 4 || (rm & ~3) == 4)))
		jb1(j, v);
}

/* One opcode, one or two bytes (0x0fXX). */
static inline void j_op(struct jbuf *j, unsigned opc)
{
	if (opc > 0xff)
		jb1(j, opc >> 8);
	jb1(j, opc & 0xff);
}

/* opc with a register-direct ModRM: reg field `reg`, r/m field `rm`.
 * size 1/2/4/8 (2 adds the 66 prefix). */
static inline void j_rr(struct jbuf *j, int size, unsigned opc, int reg, int rm)
{
	if (size == 2)
		jb1(j, 0x66);
	j_rex(j, size == 8, reg, 0, rm, size == 1);
	j_op(j, opc);
	jb1(j, 0xc0 | (reg & 7) << 3 | (rm & 7));
}

/* opc with [r15 + disp32]. */
static inline void j_rm(struct jbuf *j, int size, unsigned opc, int reg, int32_t disp)
{
	if (size == 2)
		jb1(j, 0x66);
	j_rex(j, size == 8, reg, 0, H_CPU, size == 1);
	j_op(j, opc);
	jb1(j, 0x80 | (reg & 7) << 3 | (H_CPU & 7));
	jb4(j, (uint32_t)disp);
}

/* Loads and stores of the vCPU structure. */
static inline void j_load(struct jbuf *j, int size, int reg, int32_t disp)
{
	j_rm(j, size, 0x8b, reg, disp);
}

static inline void j_store(struct jbuf *j, int size, int reg, int32_t disp)
{
	j_rm(j, size, 0x89, reg, disp);
}

/* reg = v (size 4 zero-extends, size 8 the whole value). */
static inline void j_mov_imm(struct jbuf *j, int size, int reg, uint64_t v)
{
	if (size == 8 && fits_s32(v)) {
		j_rr(j, 8, 0xc7, 0, reg);
		jb4(j, (uint32_t)v);
		return;
	}
	if (size == 8 && (v >> 32)) {
		j_rex(j, true, 0, 0, reg, false);
		jb1(j, 0xb8 | (reg & 7));
		jb8(j, v);
		return;
	}
	j_rex(j, false, 0, 0, reg, false);
	jb1(j, 0xb8 | (reg & 7));
	jb4(j, (uint32_t)v);
}

/* mov qword [r15 + disp], v: one instruction when v fits a sign-extended
 * imm32, else through rax. */
static inline void j_store_imm64(struct jbuf *j, int32_t disp, uint64_t v)
{
	if (fits_s32(v)) {
		j_rm(j, 8, 0xc7, 0, disp);
		jb4(j, (uint32_t)v);
	} else {
		j_mov_imm(j, 8, H_AX, v);
		j_store(j, 8, H_AX, disp);
	}
}

static inline void j_store_imm16(struct jbuf *j, int32_t disp, uint16_t v)
{
	j_rm(j, 2, 0xc7, 0, disp);
	jb1(j, v & 0xff);
	jb1(j, v >> 8);
}

/* Group 1 with an immediate (81 /ext), ext 0..7 = ADD OR ADC SBB AND SUB
 * XOR CMP; byte size uses 80 /ext. */
static inline void j_alu_ri(struct jbuf *j, int size, int ext, int reg, uint32_t imm)
{
	j_rr(j, size, size == 1 ? 0x80 : 0x81, ext, reg);
	if (size == 1)
		jb1(j, imm & 0xff);
	else
		jb4(j, imm);
}

/* cmp qword [r15 + disp], v (rax is scratch when v is wide). */
static inline void j_cmp_mem_imm64(struct jbuf *j, int32_t disp, uint64_t v)
{
	if (fits_s32(v)) {
		j_rm(j, 8, 0x81, 7, disp);
		jb4(j, (uint32_t)v);
	} else {
		j_mov_imm(j, 8, H_AX, v);
		j_rm(j, 8, 0x39, H_AX, disp);
	}
}

/* call through rax to an absolute address (the BTB learns each call
 * site on its own, so this predicts as well as a direct call). */
static inline void j_call(struct jbuf *j, const void *fn)
{
	j_mov_imm(j, 8, H_AX, (uint64_t)(uintptr_t)fn);
	jb1(j, 0xff);
	jb1(j, 0xd0);
}

/* ModRM+SIB for [r15 + idx*8 + disp32], reg field `reg` (the caller's
 * REX carries reg's and idx's high bits): an entry of c->tlb, whose
 * 40-byte entries sit idx*8 bytes in when idx = index * 5. */
static inline void j_tlb_operand(struct jbuf *b, int reg, int idx, int32_t disp)
{
	jb1(b, 0x80 | (reg & 7) << 3 | 4);
	jb1(b, 3 << 6 | (idx & 7) << 3 | (H_CPU & 7));
	jb4(b, (uint32_t)disp);
}

/* Jcc rel32 / JMP rel32 with the displacement patched later: returns
 * where the rel32 is. */
static inline uint8_t *j_jcc_fwd(struct jbuf *j, int cc)
{
	jb1(j, 0x0f);
	jb1(j, 0x80 | (cc & 15));
	jb4(j, 0);
	return j->full ? NULL : j->p - 4;
}

static inline void j_patch(struct jbuf *j, uint8_t *rel)
{
	if (rel && !j->full) {
		int32_t d = (int32_t)(j->p - (rel + 4));
		memcpy(rel, &d, 4);
	}
}

#endif
