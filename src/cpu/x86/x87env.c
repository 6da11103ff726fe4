/* x87 tags and environment images: FNSTENV/FLDENV, FNSAVE/FRSTOR, FNINIT
 * (SDM Vol. 1 8.1.7, 8.1.10 Figures 8-9 to 8-12, Vol. 2A instruction
 * pages). */
#include <string.h>
#include "cpu/x86/fpu.h"

int x87_tag_of(long double v)
{
	union x87_bits u = { .ld = v };
	unsigned exp = u.se & 0x7fff;

	if (exp == 0)
		return u.mant ? TAG_SPECIAL : TAG_ZERO;   /* denormal / zero */
	if (exp == 0x7fff || !(u.mant >> 63))
		return TAG_SPECIAL;                       /* inf, NaN, unnormal */
	return TAG_VALID;
}

uint16_t x87_ftw_full(const struct x86_cpu *c)
{
	uint16_t t = 0;
	for (int p = 0; p < 8; p++) {
		int tag = tag_get(c, p) == TAG_EMPTY ? TAG_EMPTY : x87_tag_of(c->fpu.st[p]);
		t |= (uint16_t)(tag << (2 * p));
	}
	return t;
}

uint8_t x87_ftw_abridged(const struct x86_cpu *c)
{
	uint8_t t = 0;
	for (int p = 0; p < 8; p++)
		if (tag_get(c, p) != TAG_EMPTY)
			t |= (uint8_t)(1u << p);
	return t;
}

void x87_ftw_from_abridged(struct x86_cpu *c, uint8_t t)
{
	for (int p = 0; p < 8; p++)
		tag_set(c, p, (t >> p) & 1 ? x87_tag_of(c->fpu.st[p]) : TAG_EMPTY);
}

void x87_ftw_load(struct x86_cpu *c, uint16_t t)
{
	for (int p = 0; p < 8; p++)
		tag_set(c, p, ((t >> (2 * p)) & 3) == TAG_EMPTY ? TAG_EMPTY
			: x87_tag_of(c->fpu.st[p]));
}

/* --- environment ------------------------------------------------------------ */

void x87_finit(struct x86_cpu *c)
{
	c->fpu.fcw = FCW_INIT;
	c->fpu.fsw = 0;
	c->fpu.top = 0;
	c->fpu.ftw = 0xffff;
	c->fpu.fop = 0;
	c->fpu.fip = c->fpu.fdp = 0;
	c->fpu.fcs = c->fpu.fds = 0;
}

static bool env_real(const struct x86_cpu *c)
{
	return c->mode == MODE_REAL || c->mode == MODE_V86;
}

/* FNSTENV image (SDM Vol. 1 8.1.10, Figures 8-9 to 8-12): 14 bytes with a
 * 16-bit operand size, else 28; real-mode layouts hold linear pointers. */
static int env_build(struct x86_cpu *c, int opsz, uint8_t *b)
{
	uint16_t fcw = c->fpu.fcw, fsw = x87_fsw(c), ftw = x87_ftw_full(c);
	uint32_t fip = (uint32_t)c->fpu.fip, fdp = (uint32_t)c->fpu.fdp;
	uint16_t w[7];
	uint32_t d[7];

	if (env_real(c)) {
		fip = (uint32_t)(c->fpu.fip + ((uint32_t)c->fpu.fcs << 4));
		fdp = (uint32_t)(c->fpu.fdp + ((uint32_t)c->fpu.fds << 4));
	}
	if (opsz == 2) {
		w[0] = fcw; w[1] = fsw; w[2] = ftw;
		if (env_real(c)) {
			w[3] = (uint16_t)fip;
			w[4] = (uint16_t)(((fip >> 16) & 0xf) << 12 | (c->fpu.fop & 0x7ff));
			w[5] = (uint16_t)fdp;
			w[6] = (uint16_t)(((fdp >> 16) & 0xf) << 12);
		} else {
			w[3] = (uint16_t)fip; w[4] = c->fpu.fcs;
			w[5] = (uint16_t)fdp; w[6] = c->fpu.fds;
		}
		memcpy(b, w, 14);
		return 14;
	}
	/* The reserved upper halves read as ones on Intel hardware. */
	d[0] = 0xffff0000u | fcw; d[1] = 0xffff0000u | fsw; d[2] = 0xffff0000u | ftw;
	if (env_real(c)) {
		d[3] = 0xffff0000u | (fip & 0xffff);
		d[4] = ((fip >> 16) & 0xffff) << 12 | (c->fpu.fop & 0x7ffu);
		d[5] = 0xffff0000u | (fdp & 0xffff);
		d[6] = ((fdp >> 16) & 0xffff) << 12;
	} else {
		d[3] = fip;
		d[4] = (uint32_t)(c->fpu.fop & 0x7ff) << 16 | c->fpu.fcs;
		d[5] = fdp;
		d[6] = 0xffff0000u | c->fpu.fds;
	}
	memcpy(b, d, 28);
	return 28;
}

static void env_load(struct x86_cpu *c, int opsz, const uint8_t *b)
{
	uint16_t w[7];
	uint32_t d[7];
	uint16_t ftw;

	if (opsz == 2) {
		memcpy(w, b, 14);
		c->fpu.fcw = w[0];
		x87_fsw_set(c, w[1]);
		ftw = w[2];
		if (env_real(c)) {
			c->fpu.fip = w[3] | (uint32_t)(w[4] >> 12) << 16;
			c->fpu.fop = w[4] & 0x7ff;
			c->fpu.fdp = w[5] | (uint32_t)(w[6] >> 12) << 16;
			c->fpu.fcs = c->fpu.fds = 0;
		} else {
			c->fpu.fip = w[3]; c->fpu.fcs = w[4];
			c->fpu.fdp = w[5]; c->fpu.fds = w[6];
		}
	} else {
		memcpy(d, b, 28);
		c->fpu.fcw = (uint16_t)d[0];
		x87_fsw_set(c, (uint16_t)d[1]);
		ftw = (uint16_t)d[2];
		if (env_real(c)) {
			c->fpu.fip = (d[3] & 0xffff) | ((d[4] >> 12) & 0xffff) << 16;
			c->fpu.fop = d[4] & 0x7ff;
			c->fpu.fdp = (d[5] & 0xffff) | ((d[6] >> 12) & 0xffff) << 16;
			c->fpu.fcs = c->fpu.fds = 0;
		} else {
			c->fpu.fip = d[3]; c->fpu.fcs = (uint16_t)d[4];
			c->fpu.fop = (d[4] >> 16) & 0x7ff;
			c->fpu.fdp = d[5]; c->fpu.fds = (uint16_t)d[6];
		}
	}
	c->fpu.fcw &= 0x1f7f;   /* reserved control bits are not kept */
	c->fpu.fcw |= 0x0040;   /* bit 6 reads as one */
	x87_ftw_load(c, ftw);
	x87_sync_es(c);
}

/* FNSTENV/FNSAVE then mask (FNSTENV) or reinitialise (FNSAVE); FLDENV/
 * FRSTOR. The whole image is checked before anything is written. */
void x87_env(struct x86_cpu *c, const struct x86_insn *i, uint64_t ea, bool store, bool regs)
{
	uint8_t b[28 + 80];
	int opsz = i->opsz == 2 ? 2 : 4;
	int n;

	if (store) {
		n = env_build(c, opsz, b);
		if (regs)
			for (int k = 0; k < 8; k++) {
				union x87_bits u = { .ld = st_get(c, k) };
				memcpy(b + n + 10 * k, u.b, 10);
			}
		x86_write_bytes(c, i->seg, ea, b, n + (regs ? 80 : 0));
		if (regs)
			x87_finit(c);
		else
			c->fpu.fcw |= FCW_EXC;
		return;
	}
	n = opsz == 2 ? 14 : 28;
	x86_read_bytes(c, i->seg, ea, b, n + (regs ? 80 : 0));
	if (regs) {
		/* Registers first, so the tags computed by env_load see them. */
		uint16_t fsw = opsz == 2 ? (uint16_t)(b[2] | b[3] << 8) : (uint16_t)(b[4] | b[5] << 8);
		int top = (fsw >> 11) & 7;
		for (int k = 0; k < 8; k++) {
			union x87_bits u;
			memcpy(u.b, b + n + 10 * k, 10);
			c->fpu.st[(top + k) & 7] = u.ld;
		}
	}
	env_load(c, opsz, b);
}

