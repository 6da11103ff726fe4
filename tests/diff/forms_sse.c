/* SSE/SSE2 and x87 forms. SSE instructions leave RFLAGS alone except the
 * (U)COMIS* family (SDM Vol. 2A COMISD: ZF PF CF from the compare, OF SF AF
 * cleared), so every flag is compared. MXCSR is compared whole: the sticky
 * exception flags are architectural (SDM Vol. 1 10.2.3). */
#include <stdio.h>

#include "diff.h"

#define ALL DF_ARITH

/* XMM register pairs: (reg, rm). */
static const int xpairs[2][2] = { { 1, 2 }, { 9, 14 } };

static struct diff_form *xadd(struct diff_table *t, int kind, const char *fmt, const char *n)
{
	struct diff_form *f = diff_form_add(t);

	enc_begin(f, fmt, n);
	f->kind = (uint8_t)kind;
	f->width = 16;
	f->fdef = ALL;
	f->feat = FEAT_SSE2;
	return f;
}

/* reg,reg forms for both register pairs and one reg,[m] form. */
static void xop(struct diff_table *t, int kind, const char *n, uint8_t pfx, uint8_t op,
		bool mem, int imm_kind)
{
	uint8_t o[2] = { 0x0f, op };
	struct diff_form *f;

	for (int i = 0; i < 2; i++) {
		f = xadd(t, kind, "%s x,x", n);
		enc_rr(f, 4, pfx, o, 2, xpairs[i][0], xpairs[i][1], false);
		if (imm_kind)
			enc_imm(f, 0, 1, imm_kind);
	}
	if (mem) {
		f = xadd(t, kind, "%s x,[m]", n);
		enc_rm(f, 4, pfx, o, 2, 5, 0, false);
		if (imm_kind)
			enc_imm(f, 0, 1, imm_kind);
	}
}

static void forms_sse_int(struct diff_table *t)
{
	static const struct { const char *n; uint8_t op; } p66[] = {
		{ "punpcklbw", 0x60 }, { "punpcklwd", 0x61 }, { "punpckldq", 0x62 },
		{ "packsswb", 0x63 }, { "pcmpgtb", 0x64 }, { "pcmpgtw", 0x65 },
		{ "pcmpgtd", 0x66 }, { "packuswb", 0x67 }, { "punpckhbw", 0x68 },
		{ "punpckhwd", 0x69 }, { "punpckhdq", 0x6a }, { "packssdw", 0x6b },
		{ "punpcklqdq", 0x6c }, { "punpckhqdq", 0x6d }, { "pcmpeqb", 0x74 },
		{ "pcmpeqw", 0x75 }, { "pcmpeqd", 0x76 }, { "psrlw", 0xd1 },
		{ "psrld", 0xd2 }, { "psrlq", 0xd3 }, { "paddq", 0xd4 }, { "pmullw", 0xd5 },
		{ "psubusb", 0xd8 }, { "psubusw", 0xd9 }, { "pminub", 0xda }, { "pand", 0xdb },
		{ "paddusb", 0xdc }, { "paddusw", 0xdd }, { "pmaxub", 0xde }, { "pandn", 0xdf },
		{ "pavgb", 0xe0 }, { "psraw", 0xe1 }, { "psrad", 0xe2 }, { "pavgw", 0xe3 },
		{ "pmulhuw", 0xe4 }, { "pmulhw", 0xe5 }, { "psubsb", 0xe8 }, { "psubsw", 0xe9 },
		{ "pminsw", 0xea }, { "por", 0xeb }, { "paddsb", 0xec }, { "paddsw", 0xed },
		{ "pmaxsw", 0xee }, { "pxor", 0xef }, { "psllw", 0xf1 }, { "pslld", 0xf2 },
		{ "psllq", 0xf3 }, { "pmuludq", 0xf4 }, { "pmaddwd", 0xf5 }, { "psadbw", 0xf6 },
		{ "psubb", 0xf8 }, { "psubw", 0xf9 }, { "psubd", 0xfa }, { "psubq", 0xfb },
		{ "paddb", 0xfc }, { "paddw", 0xfd }, { "paddd", 0xfe },
		{ "movdqa load", 0x6f }, { "movdqa store", 0x7f },
	};
	struct diff_form *f;

	for (size_t k = 0; k < sizeof(p66) / sizeof(p66[0]); k++)
		xop(t, K_SSE_INT, p66[k].n, 0x66, p66[k].op, true, IMM_NONE);
	xop(t, K_SSE_INT, "movdqu load", 0xf3, 0x6f, true, IMM_NONE);
	xop(t, K_SSE_INT, "movdqu store", 0xf3, 0x7f, true, IMM_NONE);
	xop(t, K_SSE_INT, "pshufd", 0x66, 0x70, true, IMM_BYTE);
	xop(t, K_SSE_INT, "pshuflw", 0xf2, 0x70, true, IMM_BYTE);
	xop(t, K_SSE_INT, "pshufhw", 0xf3, 0x70, true, IMM_BYTE);
	xop(t, K_SSE_INT, "movq xmm,xmm/m64", 0xf3, 0x7e, true, IMM_NONE);
	xop(t, K_SSE_INT, "movq xmm/m64,xmm", 0x66, 0xd6, true, IMM_NONE);

	/* Shifts by immediate: 66 0F 71/72/73 /ext ib. */
	{
		static const struct { const char *n; uint8_t op, ext; } s[] = {
			{ "psrlw imm", 0x71, 2 }, { "psraw imm", 0x71, 4 }, { "psllw imm", 0x71, 6 },
			{ "psrld imm", 0x72, 2 }, { "psrad imm", 0x72, 4 }, { "pslld imm", 0x72, 6 },
			{ "psrlq imm", 0x73, 2 }, { "psrldq imm", 0x73, 3 }, { "psllq imm", 0x73, 6 },
			{ "pslldq imm", 0x73, 7 },
		};
		for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++) {
			uint8_t o[2] = { 0x0f, s[k].op };
			for (int i = 0; i < 2; i++) {
				f = xadd(t, K_SSE_INT, "%s", s[k].n);
				enc_rr(f, 4, 0x66, o, 2, s[k].ext, xpairs[i][1], false);
				enc_imm(f, 0, 1, IMM_COUNT);
			}
		}
	}
	/* GPR <-> XMM moves and extracts. */
	{
		uint8_t mk[2] = { 0x0f, 0xd7 }, mvd[2] = { 0x0f, 0x6e }, mvs[2] = { 0x0f, 0x7e };
		uint8_t ex[2] = { 0x0f, 0xc5 }, ins[2] = { 0x0f, 0xc4 };

		f = xadd(t, K_SSE_INT, "%s", "pmovmskb r32,x");
		enc_rr(f, 4, 0x66, mk, 2, 2, 9, false);
		f = xadd(t, K_SSE_INT, "%s", "movd x,r32");
		enc_rr(f, 4, 0x66, mvd, 2, 3, 6, false);
		f = xadd(t, K_SSE_INT, "%s", "movq x,r64");
		enc_rr(f, 8, 0x66, mvd, 2, 12, 10, false);
		f = xadd(t, K_SSE_INT, "%s", "movd x,[m]");
		enc_rm(f, 4, 0x66, mvd, 2, 4, 0, false);
		f = xadd(t, K_SSE_INT, "%s", "movd r32,x");
		enc_rr(f, 4, 0x66, mvs, 2, 7, 1, false);
		f = xadd(t, K_SSE_INT, "%s", "movq r64,x");
		enc_rr(f, 8, 0x66, mvs, 2, 15, 11, false);
		f = xadd(t, K_SSE_INT, "%s", "movq [m],x");
		enc_rm(f, 8, 0x66, mvs, 2, 13, 8, false);
		f = xadd(t, K_SSE_INT, "%s", "pextrw r32,x,imm");
		enc_rr(f, 4, 0x66, ex, 2, 0, 5, false);
		enc_imm(f, 0, 1, IMM_BYTE);
		f = xadd(t, K_SSE_INT, "%s", "pinsrw x,r32,imm");
		enc_rr(f, 4, 0x66, ins, 2, 6, 2, false);
		enc_imm(f, 0, 1, IMM_BYTE);
		f = xadd(t, K_SSE_INT, "%s", "pinsrw x,[m],imm");
		enc_rm(f, 4, 0x66, ins, 2, 7, 2, false);
		enc_imm(f, 0, 1, IMM_BYTE);
	}
}

static void forms_sse_fp(struct diff_table *t)
{
	static const struct { const char *n; uint8_t op; } arith[] = {
		{ "sqrt", 0x51 }, { "add", 0x58 }, { "mul", 0x59 }, { "sub", 0x5c },
		{ "min", 0x5d }, { "div", 0x5e }, { "max", 0x5f },
	};
	static const struct { const char *sfx; uint8_t pfx; int kind; } ty[] = {
		{ "ps", 0, K_SSE_PS }, { "pd", 0x66, K_SSE_PD },
		{ "ss", 0xf3, K_SSE_PS }, { "sd", 0xf2, K_SSE_PD },
	};
	char n[48];
	struct diff_form *f;

	for (size_t k = 0; k < sizeof(arith) / sizeof(arith[0]); k++)
		for (int j = 0; j < 4; j++) {
			snprintf(n, sizeof(n), "%s%s", arith[k].n, ty[j].sfx);
			xop(t, ty[j].kind, n, ty[j].pfx, arith[k].op, true, IMM_NONE);
		}
	for (int j = 0; j < 4; j++) {
		snprintf(n, sizeof(n), "cmp%s", ty[j].sfx);
		xop(t, ty[j].kind, n, ty[j].pfx, 0xc2, true, IMM_CMP);
	}
	for (int j = 0; j < 2; j++) {
		static const char *const lg[4] = { "and", "andn", "or", "xor" };
		for (int k = 0; k < 4; k++) {
			snprintf(n, sizeof(n), "%s%s", lg[k], ty[j].sfx);
			xop(t, ty[j].kind, n, ty[j].pfx, (uint8_t)(0x54 + k), true, IMM_NONE);
		}
		snprintf(n, sizeof(n), "unpckl%s", ty[j].sfx);
		xop(t, ty[j].kind, n, ty[j].pfx, 0x14, true, IMM_NONE);
		snprintf(n, sizeof(n), "unpckh%s", ty[j].sfx);
		xop(t, ty[j].kind, n, ty[j].pfx, 0x15, true, IMM_NONE);
		snprintf(n, sizeof(n), "shuf%s", ty[j].sfx);
		xop(t, ty[j].kind, n, ty[j].pfx, 0xc6, true, IMM_BYTE);
		snprintf(n, sizeof(n), "mova%s load", ty[j].sfx);
		xop(t, ty[j].kind, n, ty[j].pfx, 0x28, true, IMM_NONE);
		snprintf(n, sizeof(n), "mova%s store", ty[j].sfx);
		xop(t, ty[j].kind, n, ty[j].pfx, 0x29, true, IMM_NONE);
		snprintf(n, sizeof(n), "movu%s load", ty[j].sfx);
		xop(t, ty[j].kind, n, ty[j].pfx, 0x10, true, IMM_NONE);
		snprintf(n, sizeof(n), "movmsk%s", ty[j].sfx);
		{
			uint8_t o[2] = { 0x0f, 0x50 };
			f = xadd(t, ty[j].kind, "%s", n);
			enc_rr(f, 4, ty[j].pfx, o, 2, 2, 9, false);
		}
	}
	xop(t, K_SSE_PS, "movss", 0xf3, 0x10, true, IMM_NONE);
	xop(t, K_SSE_PD, "movsd", 0xf2, 0x10, true, IMM_NONE);
	xop(t, K_SSE_PS, "movss store", 0xf3, 0x11, true, IMM_NONE);
	xop(t, K_SSE_PS, "movhlps", 0, 0x12, false, IMM_NONE);
	xop(t, K_SSE_PS, "movlhps", 0, 0x16, false, IMM_NONE);
	{
		uint8_t lo[2] = { 0x0f, 0x12 }, hi[2] = { 0x0f, 0x16 }, los[2] = { 0x0f, 0x13 };
		f = xadd(t, K_SSE_PS, "%s", "movlps x,[m]");
		enc_rm(f, 4, 0, lo, 2, 3, 8, false);
		f = xadd(t, K_SSE_PS, "%s", "movhps x,[m]");
		enc_rm(f, 4, 0, hi, 2, 11, 0, false);
		f = xadd(t, K_SSE_PD, "%s", "movlpd [m],x");
		enc_rm(f, 4, 0x66, los, 2, 4, 8, false);
	}
	/* (U)COMISS/SD set ZF PF CF and clear OF SF AF. */
	xop(t, K_SSE_PS, "ucomiss", 0, 0x2e, true, IMM_NONE);
	xop(t, K_SSE_PS, "comiss", 0, 0x2f, true, IMM_NONE);
	xop(t, K_SSE_PD, "ucomisd", 0x66, 0x2e, true, IMM_NONE);
	xop(t, K_SSE_PD, "comisd", 0x66, 0x2f, true, IMM_NONE);

	/* Conversions. */
	xop(t, K_SSE_PS, "cvtps2pd", 0, 0x5a, true, IMM_NONE);
	xop(t, K_SSE_PD, "cvtpd2ps", 0x66, 0x5a, true, IMM_NONE);
	xop(t, K_SSE_PS, "cvtss2sd", 0xf3, 0x5a, true, IMM_NONE);
	xop(t, K_SSE_PD, "cvtsd2ss", 0xf2, 0x5a, true, IMM_NONE);
	xop(t, K_SSE_INT, "cvtdq2ps", 0, 0x5b, true, IMM_NONE);
	xop(t, K_SSE_PS, "cvtps2dq", 0x66, 0x5b, true, IMM_NONE);
	xop(t, K_SSE_PS, "cvttps2dq", 0xf3, 0x5b, true, IMM_NONE);
	xop(t, K_SSE_INT, "cvtdq2pd", 0xf3, 0xe6, true, IMM_NONE);
	xop(t, K_SSE_PD, "cvtpd2dq", 0xf2, 0xe6, true, IMM_NONE);
	xop(t, K_SSE_PD, "cvttpd2dq", 0x66, 0xe6, true, IMM_NONE);
	{
		static const struct { const char *n; uint8_t pfx, op; int w; int kind; bool to_gpr; } c[] = {
			{ "cvtsi2ss x,r32", 0xf3, 0x2a, 4, K_SSE_PS, false },
			{ "cvtsi2ss x,r64", 0xf3, 0x2a, 8, K_SSE_PS, false },
			{ "cvtsi2sd x,r32", 0xf2, 0x2a, 4, K_SSE_PD, false },
			{ "cvtsi2sd x,r64", 0xf2, 0x2a, 8, K_SSE_PD, false },
			{ "cvttss2si r32,x", 0xf3, 0x2c, 4, K_SSE_PS, true },
			{ "cvttss2si r64,x", 0xf3, 0x2c, 8, K_SSE_PS, true },
			{ "cvtss2si r32,x", 0xf3, 0x2d, 4, K_SSE_PS, true },
			{ "cvtss2si r64,x", 0xf3, 0x2d, 8, K_SSE_PS, true },
			{ "cvttsd2si r32,x", 0xf2, 0x2c, 4, K_SSE_PD, true },
			{ "cvttsd2si r64,x", 0xf2, 0x2c, 8, K_SSE_PD, true },
			{ "cvtsd2si r32,x", 0xf2, 0x2d, 4, K_SSE_PD, true },
			{ "cvtsd2si r64,x", 0xf2, 0x2d, 8, K_SSE_PD, true },
		};
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			uint8_t o[2] = { 0x0f, c[k].op };
			f = xadd(t, c[k].kind, "%s", c[k].n);
			enc_rr(f, c[k].w, c[k].pfx, o, 2, c[k].to_gpr ? 2 : 3, c[k].to_gpr ? 10 : 9, false);
			f = xadd(t, c[k].kind, "%s [m]", c[k].n);
			enc_rm(f, c[k].w, c[k].pfx, o, 2, c[k].to_gpr ? 14 : 6, 0, false);
		}
	}
	/* LDMXCSR/STMXCSR: reserved bits set in the loaded value -> #GP
	 * (SDM Vol. 2A LDMXCSR). The window holds random dwords. */
	{
		uint8_t ae[2] = { 0x0f, 0xae };
		f = xadd(t, K_SSE_PS, "%s", "ldmxcsr [m]; stmxcsr [m+4]");
		enc_rm(f, 4, 0, ae, 2, 2, 0, false);
		enc_rm(f, 4, 0, ae, 2, 3, 4, false);
		enc_end(f, 2);
		f->kind = K_SSE_PS;
	}
}

static void x87(struct diff_table *t, const char *name, int ninsn, const uint8_t *b, int len)
{
	struct diff_form *f = diff_form_add(t);

	enc_begin(f, "x87 %s", name);
	for (int i = 0; i < len; i++)
		enc_byte(f, b[i]);
	/* Every sequence ends with FNSTSW AX: the status word (exception flags,
	 * condition codes, TOP) is compared through RAX. */
	enc_byte(f, 0xdf);
	enc_byte(f, 0xe0);
	enc_end(f, ninsn + 1);
	f->kind = K_X87;
	f->width = 8;
	f->fdef = ALL;
	f->mem = true;
}
#define X87(t, name, n, ...) do { \
	static const uint8_t b_[] = { __VA_ARGS__ }; \
	x87(t, name, n, b_, sizeof(b_)); } while (0)

/* x87 sequences on doubles at [rbx] and [rbx+8], int32 at [rbx+24] and
 * [rbx+28], a control word at [rbx+32]; results go to [rbx+16]. */
static void forms_x87(struct diff_table *t)
{
	X87(t, "fld; fadd; fstp", 3, 0xdd, 0x03, 0xdc, 0x43, 0x08, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fsub; fstp", 3, 0xdd, 0x03, 0xdc, 0x63, 0x08, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fsubr; fstp", 3, 0xdd, 0x03, 0xdc, 0x6b, 0x08, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fmul; fstp", 3, 0xdd, 0x03, 0xdc, 0x4b, 0x08, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fdiv; fstp", 3, 0xdd, 0x03, 0xdc, 0x73, 0x08, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fdivr; fstp", 3, 0xdd, 0x03, 0xdc, 0x7b, 0x08, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fsqrt; fstp", 3, 0xdd, 0x03, 0xd9, 0xfa, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fchs; fabs; fstp", 4, 0xdd, 0x03, 0xd9, 0xe0, 0xd9, 0xe1, 0xdd, 0x5b, 0x10);
	X87(t, "fld; frndint; fstp", 3, 0xdd, 0x03, 0xd9, 0xfc, 0xdd, 0x5b, 0x10);
	X87(t, "fld m64; fstp m32", 2, 0xdd, 0x03, 0xd9, 0x5b, 0x10);
	X87(t, "fld m64; fstp m80", 2, 0xdd, 0x03, 0xdb, 0x7b, 0x10);
	X87(t, "fld; fcomp m64", 2, 0xdd, 0x03, 0xdc, 0x5b, 0x08);
	X87(t, "fld; fld; fucomip; fstp st0", 4,
	    0xdd, 0x03, 0xdd, 0x43, 0x08, 0xdf, 0xe9, 0xdd, 0xd8);
	X87(t, "fld; fld; fcompp", 3, 0xdd, 0x43, 0x08, 0xdd, 0x03, 0xde, 0xd9);
	X87(t, "fild m32; fistp m32", 2, 0xdb, 0x43, 0x18, 0xdb, 0x5b, 0x1c);
	X87(t, "fld m64; fistp m64", 2, 0xdd, 0x03, 0xdf, 0x7b, 0x10);
	X87(t, "fild m32; fimul m32; fstp", 3, 0xdb, 0x43, 0x18, 0xda, 0x4b, 0x1c, 0xdd, 0x5b, 0x10);
	X87(t, "fld1; fldpi; faddp; fstp m80", 4,
	    0xd9, 0xe8, 0xd9, 0xeb, 0xde, 0xc1, 0xdb, 0x7b, 0x10);
	X87(t, "fldz; fldl2e; fmulp; fstp", 4, 0xd9, 0xee, 0xd9, 0xea, 0xde, 0xc9, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fld; fxch; fsubp; fstp", 5,
	    0xdd, 0x03, 0xdd, 0x43, 0x08, 0xd9, 0xc9, 0xde, 0xe9, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fld; fprem; fstp; fstp", 5,
	    0xdd, 0x43, 0x08, 0xdd, 0x03, 0xd9, 0xf8, 0xdd, 0x5b, 0x10, 0xdd, 0xd8);
	X87(t, "fldcw; fld; fadd; fstp", 4,
	    0xd9, 0x6b, 0x20, 0xdd, 0x03, 0xdc, 0x43, 0x08, 0xdd, 0x5b, 0x10);
	X87(t, "fldcw; fld; fistp m32", 3, 0xd9, 0x6b, 0x20, 0xdd, 0x03, 0xdb, 0x5b, 0x1c);
	X87(t, "fnstcw; fld; fxam", 3, 0xd9, 0x7b, 0x10, 0xdd, 0x03, 0xd9, 0xe5);
	X87(t, "fld; ftst; fstp st0", 3, 0xdd, 0x03, 0xd9, 0xe4, 0xdd, 0xd8);
	/* Transcendentals and friends (SDM Vol. 1 8.3.9-8.3.11): results and
	 * C1/C2 must match the host bit for bit. */
	X87(t, "fld; fsin; fstp", 3, 0xdd, 0x03, 0xd9, 0xfe, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fcos; fstp", 3, 0xdd, 0x03, 0xd9, 0xff, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fptan; fstp; fstp", 4,
	    0xdd, 0x03, 0xd9, 0xf2, 0xdd, 0x5b, 0x10, 0xdd, 0x5b, 0x08);
	X87(t, "fld; fld; fpatan; fstp", 4,
	    0xdd, 0x03, 0xdd, 0x43, 0x08, 0xd9, 0xf3, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fld; fyl2x; fstp", 4,
	    0xdd, 0x03, 0xdd, 0x43, 0x08, 0xd9, 0xf1, 0xdd, 0x5b, 0x10);
	X87(t, "fld; f2xm1; fstp", 3, 0xdd, 0x03, 0xd9, 0xf0, 0xdd, 0x5b, 0x10);
	X87(t, "fld; fld; fscale; fstp; fstp", 5,
	    0xdd, 0x43, 0x08, 0xdd, 0x03, 0xd9, 0xfd, 0xdd, 0x5b, 0x10, 0xdd, 0xd8);
	X87(t, "fld; fxtract; fstp; fstp", 4,
	    0xdd, 0x03, 0xd9, 0xf4, 0xdd, 0x5b, 0x10, 0xdd, 0x5b, 0x08);
	X87(t, "fld; fld; fprem1; fstp; fstp", 5,
	    0xdd, 0x43, 0x08, 0xdd, 0x03, 0xd9, 0xf5, 0xdd, 0x5b, 0x10, 0xdd, 0xd8);
	X87(t, "fld; fbstp m80", 2, 0xdd, 0x03, 0xdf, 0x73, 0x10);
	X87(t, "fild m64; fstp m64", 2, 0xdf, 0x6b, 0x08, 0xdd, 0x5b, 0x10);
	X87(t, "fld m32; fst m64; fstp st0", 3, 0xd9, 0x43, 0x18, 0xdd, 0x53, 0x10, 0xdd, 0xd8);
	X87(t, "fld; fld; fcomi; fstp; fstp", 5,
	    0xdd, 0x03, 0xdd, 0x43, 0x08, 0xdb, 0xf1, 0xdd, 0xd8, 0xdd, 0xd8);
	X87(t, "fld; fld; fcmovb; fstp; fstp", 5,
	    0xdd, 0x03, 0xdd, 0x43, 0x08, 0xda, 0xc1, 0xdd, 0x5b, 0x10, 0xdd, 0xd8);
	/* FNSTENV: FCW, FSW and the tag word are compared. The last-
	 * instruction fields (FIP, FCS:FOP, FDP, FDS) are cleared first: what
	 * they hold is vendor specific (Intel deprecates FCS/FDS and keeps FOP
	 * only for unmasked exceptions, SDM Vol. 1 8.1.8-8.1.10). */
	X87(t, "fnstenv (after fld; fadd)", 7, 0xdd, 0x03, 0xdc, 0x43, 0x08, 0xd9, 0x73, 0x10,
	    0xc7, 0x43, 0x1c, 0, 0, 0, 0, 0xc7, 0x43, 0x20, 0, 0, 0, 0,
	    0xc7, 0x43, 0x24, 0, 0, 0, 0, 0xc7, 0x43, 0x28, 0, 0, 0, 0);
}

void forms_sse(struct diff_table *t)
{
	forms_sse_int(t);
	forms_sse_fp(t);
	forms_x87(t);
}
