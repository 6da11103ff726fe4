/* Register and ModRM operand access, effective addresses: the exported
 * copies of isa.h's inline versions, for the modules outside the integer
 * ISA (seg.c, sys.c, sse.c, x87.c ...).
 *
 * Byte registers: without REX, encodings 4-7 are AH, CH, DH, BH; with any
 * REX prefix they are SPL, BPL, SIL, DIL (SDM Vol. 2A 2.2.1.2, Table 3-1).
 * Writes of 32 bits zero the upper half; 8/16-bit writes merge (SDM Vol. 1
 * 3.4.1.1). RIP-relative addresses use the next instruction's RIP, which
 * run.c has already put in c->rip. */
#define X86_OPERAND_C
#include "cpu/x86/isa.h"

uint64_t x86_reg_get(struct x86_cpu *c, const struct x86_insn *i, int reg, int size)
{
	return x86_reg_get_inl(c, i, reg, size);
}

void x86_reg_set(struct x86_cpu *c, const struct x86_insn *i, int reg, int size, uint64_t v)
{
	x86_reg_set_inl(c, i, reg, size, v);
}

uint64_t x86_ea(struct x86_cpu *c, const struct x86_insn *i)
{
	return x86_ea_inl(c, i);
}

uint64_t x86_rm_read(struct x86_cpu *c, const struct x86_insn *i, int size)
{
	return x86_rm_read_inl(c, i, size);
}

void x86_rm_write(struct x86_cpu *c, const struct x86_insn *i, int size, uint64_t v)
{
	x86_rm_write_inl(c, i, size, v);
}
