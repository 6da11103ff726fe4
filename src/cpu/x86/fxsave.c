/* FXSAVE/FXRSTOR and the FPU's reset state.
 *
 * The 512-byte image follows SDM Vol. 2A FXSAVE Tables 3-53 (legacy and
 * 64-bit without REX.W: 32-bit FIP/FDP with selectors) and 3-56 (REX.W:
 * 64-bit FIP/FDP). Bytes 464-511 belong to software and are never written;
 * like the hardware, only the XMM registers of the current mode are saved
 * (8 outside 64-bit mode) and the reserved bytes up to them are zero.
 */
#include <string.h>
#include "cpu/x86/fpu.h"

void x86_fpu_reset(struct x86_cpu *c)
{
	/* FNINIT state (SDM Vol. 1 8.1.10 Table 8-9) and MXCSR 0x1f80
	 * (Vol. 1 10.2.3.6); the registers themselves are zero at reset
	 * (Vol. 3A 9.1.1 Table 9-1). */
	memset(c->fpu.st, 0, sizeof(c->fpu.st));
	memset(c->fpu.xmm, 0, sizeof(c->fpu.xmm));
	c->fpu.fcw = FCW_INIT;
	c->fpu.fsw = 0;
	c->fpu.top = 0;
	c->fpu.ftw = 0xffff;
	c->fpu.fop = 0;
	c->fpu.fip = c->fpu.fdp = 0;
	c->fpu.fcs = c->fpu.fds = 0;
	c->fpu.mxcsr = MXCSR_INIT;
}

static int fx_nxmm(const struct x86_cpu *c)
{
	return c->mode == MODE_LONG ? 16 : 8;
}

void x86_fxsave(struct x86_cpu *c, int seg, uint64_t off, bool rex_w)
{
	uint8_t a[416];
	int n = 160 + 16 * fx_nxmm(c);
	uint16_t fsw = x87_fsw(c);
	uint32_t mask = x86_mxcsr_mask();

	memset(a, 0, sizeof(a));
	memcpy(a + 0, &c->fpu.fcw, 2);
	memcpy(a + 2, &fsw, 2);
	a[4] = x87_ftw_abridged(c);
	memcpy(a + 6, &c->fpu.fop, 2);
	if (rex_w) {
		memcpy(a + 8, &c->fpu.fip, 8);
		memcpy(a + 16, &c->fpu.fdp, 8);
	} else {
		uint32_t fip = (uint32_t)c->fpu.fip, fdp = (uint32_t)c->fpu.fdp;
		memcpy(a + 8, &fip, 4);
		memcpy(a + 12, &c->fpu.fcs, 2);
		memcpy(a + 16, &fdp, 4);
		memcpy(a + 20, &c->fpu.fds, 2);
	}
	memcpy(a + 24, &c->fpu.mxcsr, 4);
	memcpy(a + 28, &mask, 4);
	/* ST0..ST7 in stack order, 16 bytes apart. */
	for (int k = 0; k < 8; k++) {
		union x87_bits u = { .ld = c->fpu.st[(c->fpu.top + k) & 7] };
		memcpy(a + 32 + 16 * k, u.b, 10);
	}
	memcpy(a + 160, c->fpu.xmm, (size_t)(16 * fx_nxmm(c)));
	x86_write_bytes(c, seg, off, a, n);
}

void x86_fxrstor(struct x86_cpu *c, int seg, uint64_t off, bool rex_w)
{
	uint8_t a[416];
	int n = 160 + 16 * fx_nxmm(c);
	uint32_t mxcsr;
	uint16_t fsw;

	x86_read_bytes(c, seg, off, a, n);
	memcpy(&mxcsr, a + 24, 4);
	/* Reserved MXCSR bits set: #GP(0) before anything changes (SDM Vol.
	 * 2A FXRSTOR "Exceptions"). */
	if (mxcsr & ~x86_mxcsr_mask())
		x86_fault(c, X86_GP, 0);

	memcpy(&c->fpu.fcw, a + 0, 2);
	memcpy(&fsw, a + 2, 2);
	x87_fsw_set(c, fsw);
	memcpy(&c->fpu.fop, a + 6, 2);
	c->fpu.fop &= 0x7ff;
	if (rex_w) {
		memcpy(&c->fpu.fip, a + 8, 8);
		memcpy(&c->fpu.fdp, a + 16, 8);
		c->fpu.fcs = c->fpu.fds = 0;
	} else {
		uint32_t fip, fdp;
		memcpy(&fip, a + 8, 4);
		memcpy(&c->fpu.fcs, a + 12, 2);
		memcpy(&fdp, a + 16, 4);
		memcpy(&c->fpu.fds, a + 20, 2);
		c->fpu.fip = fip;
		c->fpu.fdp = fdp;
	}
	c->fpu.mxcsr = mxcsr;
	for (int k = 0; k < 8; k++) {
		union x87_bits u;
		memcpy(u.b, a + 32 + 16 * k, 10);
		c->fpu.st[(c->fpu.top + k) & 7] = u.ld;
	}
	x87_ftw_from_abridged(c, a[4]);
	memcpy(c->fpu.xmm, a + 160, (size_t)(16 * fx_nxmm(c)));
}
