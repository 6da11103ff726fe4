/* Register and ModRM operand access, effective addresses. */
#include "cpu/x86/cpu.h"

/* Byte registers: without REX, encodings 4-7 are AH, CH, DH, BH; with any
 * REX prefix they are SPL, BPL, SIL, DIL (SDM Vol. 2A 2.2.1.2, Table 3-1). */
__attribute__((hot))
uint64_t x86_reg_get(struct x86_cpu *c, const struct x86_insn *i, int reg, int size)
{
	switch (size) {
	case 1:
		if (reg >= 4 && reg < 8 && !i->rex)
			return (c->r[reg - 4] >> 8) & 0xff;
		return c->r[reg] & 0xff;
	case 2:
		return c->r[reg] & 0xffff;
	case 4:
		return (uint32_t)c->r[reg];
	default:
		return c->r[reg];
	}
}

/* Writes of 32 bits zero the upper half in 64-bit mode (and everywhere,
 * since the upper half is invisible outside it); 8/16-bit writes merge
 * (SDM Vol. 1 3.4.1.1). */
__attribute__((hot))
void x86_reg_set(struct x86_cpu *c, const struct x86_insn *i, int reg, int size, uint64_t v)
{
	switch (size) {
	case 1:
		if (reg >= 4 && reg < 8 && !i->rex) {
			uint64_t *r = &c->r[reg - 4];
			*r = (*r & ~0xff00ULL) | ((v & 0xff) << 8);
		} else {
			c->r[reg] = (c->r[reg] & ~0xffULL) | (v & 0xff);
		}
		break;
	case 2:
		c->r[reg] = (c->r[reg] & ~0xffffULL) | (v & 0xffff);
		break;
	case 4:
		c->r[reg] = (uint32_t)v;
		break;
	default:
		c->r[reg] = v;
		break;
	}
}

__attribute__((hot))
uint64_t x86_ea(struct x86_cpu *c, const struct x86_insn *i)
{
	uint64_t a = (uint64_t)i->disp;

	if (i->base == RIP_REL)
		a += c->rip;          /* RIP of the next instruction */
	else if (i->base != NO_REG)
		a += c->r[i->base];
	if (i->index != NO_REG)
		a += c->r[i->index] << i->scale;
	return a & x86_mask(i->adsz);
}

__attribute__((hot))
uint64_t x86_rm_read(struct x86_cpu *c, const struct x86_insn *i, int size)
{
	if (i->mod == 3)
		return x86_reg_get(c, i, i->rm, size);
	return x86_read(c, i->seg, x86_ea(c, i), size);
}

__attribute__((hot))
void x86_rm_write(struct x86_cpu *c, const struct x86_insn *i, int size, uint64_t v)
{
	if (i->mod == 3)
		x86_reg_set(c, i, i->rm, size, v);
	else
		x86_write(c, i->seg, x86_ea(c, i), size, v);
}
