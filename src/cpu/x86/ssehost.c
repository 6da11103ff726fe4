/* Host execution of the guest's SSE/SSE2 data operations.
 *
 * Every two-operand xmm instruction whose result is a pure function of its
 * operands (and MXCSR) runs as the very same instruction on the host: the
 * guest's MXCSR is loaded with every exception masked and its flags clear,
 * and the MXCSR the host ends with says which exceptions the operation
 * raised (SDM Vol. 1 11.5). Bit-exact results, NaN propagation, DAZ/FZ and
 * the approximations of RCPPS/RSQRTPS (which differ between CPU models, so
 * they can only match the host by running there) come for free.
 *
 * The host's own MXCSR is saved and restored inside each asm statement, so
 * no compiler-generated SSE code ever runs with the guest's settings.
 */
#include <math.h>
#include <stddef.h>
#include "cpu/x86/fpu.h"
#include "cpu/x86/sse.h"

#define MX_PRO "stmxcsr %[save]\n\tldmxcsr %[mx]\n\t"
#define MX_EPI "\n\tstmxcsr %[out]\n\tldmxcsr %[save]"

/* d = d op s with MXCSR in effect; returns the host MXCSR afterwards. */
#define HOSTF(name, insn)                                                    \
	static uint32_t name(union x86_xmm *d, const union x86_xmm *s, uint32_t mx) \
	{                                                                    \
		uint32_t save, out;                                          \
		asm volatile(MX_PRO "movdqu %[d], %%xmm0\n\t"                \
			     "movdqu %[s], %%xmm1\n\t"                       \
			     insn " %%xmm1, %%xmm0\n\t"                      \
			     "movdqu %%xmm0, %[d]" MX_EPI                    \
			     : [d] "+m"(*d), [save] "=m"(save), [out] "=m"(out) \
			     : [s] "m"(*s), [mx] "m"(mx)                     \
			     : "xmm0", "xmm1");                              \
		return out;                                                  \
	}

/* Integer and logic operations: MXCSR plays no part. */
#define HOSTI(name, insn)                                                    \
	static uint32_t name(union x86_xmm *d, const union x86_xmm *s, uint32_t mx) \
	{                                                                    \
		(void)mx;                                                    \
		asm volatile("movdqu %[d], %%xmm0\n\t"                       \
			     "movdqu %[s], %%xmm1\n\t"                       \
			     insn " %%xmm1, %%xmm0\n\t"                      \
			     "movdqu %%xmm0, %[d]"                           \
			     : [d] "+m"(*d) : [s] "m"(*s) : "xmm0", "xmm1");  \
		return 0;                                                    \
	}

/* 0F 51-5F */
HOSTF(h_sqrtps, "sqrtps") HOSTF(h_sqrtpd, "sqrtpd") HOSTF(h_sqrtss, "sqrtss") HOSTF(h_sqrtsd, "sqrtsd")
HOSTF(h_rsqrtps, "rsqrtps") HOSTF(h_rsqrtss, "rsqrtss")
HOSTF(h_rcpps, "rcpps") HOSTF(h_rcpss, "rcpss")
HOSTI(h_andps, "andps") HOSTI(h_andpd, "andpd") HOSTI(h_andnps, "andnps") HOSTI(h_andnpd, "andnpd")
HOSTI(h_orps, "orps") HOSTI(h_orpd, "orpd") HOSTI(h_xorps, "xorps") HOSTI(h_xorpd, "xorpd")
HOSTF(h_addps, "addps") HOSTF(h_addpd, "addpd") HOSTF(h_addss, "addss") HOSTF(h_addsd, "addsd")
HOSTF(h_mulps, "mulps") HOSTF(h_mulpd, "mulpd") HOSTF(h_mulss, "mulss") HOSTF(h_mulsd, "mulsd")
HOSTF(h_cvtps2pd, "cvtps2pd") HOSTF(h_cvtpd2ps, "cvtpd2ps")
HOSTF(h_cvtss2sd, "cvtss2sd") HOSTF(h_cvtsd2ss, "cvtsd2ss")
HOSTF(h_cvtdq2ps, "cvtdq2ps") HOSTF(h_cvtps2dq, "cvtps2dq") HOSTF(h_cvttps2dq, "cvttps2dq")
HOSTF(h_subps, "subps") HOSTF(h_subpd, "subpd") HOSTF(h_subss, "subss") HOSTF(h_subsd, "subsd")
HOSTF(h_minps, "minps") HOSTF(h_minpd, "minpd") HOSTF(h_minss, "minss") HOSTF(h_minsd, "minsd")
HOSTF(h_divps, "divps") HOSTF(h_divpd, "divpd") HOSTF(h_divss, "divss") HOSTF(h_divsd, "divsd")
HOSTF(h_maxps, "maxps") HOSTF(h_maxpd, "maxpd") HOSTF(h_maxss, "maxss") HOSTF(h_maxsd, "maxsd")
/* 0F E6 */
HOSTF(h_cvttpd2dq, "cvttpd2dq") HOSTF(h_cvtdq2pd, "cvtdq2pd") HOSTF(h_cvtpd2dq, "cvtpd2dq")
/* 0F 14/15 */
HOSTI(h_unpcklps, "unpcklps") HOSTI(h_unpcklpd, "unpcklpd")
HOSTI(h_unpckhps, "unpckhps") HOSTI(h_unpckhpd, "unpckhpd")
/* 66 0F 60-6D, 74-76 */
HOSTI(h_punpcklbw, "punpcklbw") HOSTI(h_punpcklwd, "punpcklwd") HOSTI(h_punpckldq, "punpckldq")
HOSTI(h_packsswb, "packsswb") HOSTI(h_pcmpgtb, "pcmpgtb") HOSTI(h_pcmpgtw, "pcmpgtw")
HOSTI(h_pcmpgtd, "pcmpgtd") HOSTI(h_packuswb, "packuswb") HOSTI(h_punpckhbw, "punpckhbw")
HOSTI(h_punpckhwd, "punpckhwd") HOSTI(h_punpckhdq, "punpckhdq") HOSTI(h_packssdw, "packssdw")
HOSTI(h_punpcklqdq, "punpcklqdq") HOSTI(h_punpckhqdq, "punpckhqdq")
HOSTI(h_pcmpeqb, "pcmpeqb") HOSTI(h_pcmpeqw, "pcmpeqw") HOSTI(h_pcmpeqd, "pcmpeqd")
/* 66 0F D1-FE */
HOSTI(h_psrlw, "psrlw") HOSTI(h_psrld, "psrld") HOSTI(h_psrlq, "psrlq") HOSTI(h_paddq, "paddq")
HOSTI(h_pmullw, "pmullw") HOSTI(h_psubusb, "psubusb") HOSTI(h_psubusw, "psubusw")
HOSTI(h_pminub, "pminub") HOSTI(h_pand, "pand") HOSTI(h_paddusb, "paddusb")
HOSTI(h_paddusw, "paddusw") HOSTI(h_pmaxub, "pmaxub") HOSTI(h_pandn, "pandn")
HOSTI(h_pavgb, "pavgb") HOSTI(h_psraw, "psraw") HOSTI(h_psrad, "psrad") HOSTI(h_pavgw, "pavgw")
HOSTI(h_pmulhuw, "pmulhuw") HOSTI(h_pmulhw, "pmulhw")
HOSTI(h_psubsb, "psubsb") HOSTI(h_psubsw, "psubsw") HOSTI(h_pminsw, "pminsw") HOSTI(h_por, "por")
HOSTI(h_paddsb, "paddsb") HOSTI(h_paddsw, "paddsw") HOSTI(h_pmaxsw, "pmaxsw") HOSTI(h_pxor, "pxor")
HOSTI(h_psllw, "psllw") HOSTI(h_pslld, "pslld") HOSTI(h_psllq, "psllq")
HOSTI(h_pmuludq, "pmuludq") HOSTI(h_pmaddwd, "pmaddwd") HOSTI(h_psadbw, "psadbw")
HOSTI(h_psubb, "psubb") HOSTI(h_psubw, "psubw") HOSTI(h_psubd, "psubd") HOSTI(h_psubq, "psubq")
HOSTI(h_paddb, "paddb") HOSTI(h_paddw, "paddw") HOSTI(h_paddd, "paddd")

#define P0 0
#define P66 1
#define PF3 2
#define PF2 3

/* Legacy-SSE memory operands of 16 bytes must be aligned (SDM Vol. 1
 * 11.4.1 / Vol. 2 "SIMD Floating-Point Exceptions" per instruction), the
 * scalar forms read only 4 or 8 bytes and have no alignment rule. */
const struct sse_form sse_forms[] = {
	{ 0x51, P0, 16, 1, h_sqrtps }, { 0x51, P66, 16, 1, h_sqrtpd },
	{ 0x51, PF3, 4, 1, h_sqrtss }, { 0x51, PF2, 8, 1, h_sqrtsd },
	{ 0x52, P0, 16, 1, h_rsqrtps }, { 0x52, PF3, 4, 1, h_rsqrtss },
	{ 0x53, P0, 16, 1, h_rcpps }, { 0x53, PF3, 4, 1, h_rcpss },
	{ 0x54, P0, 16, 0, h_andps }, { 0x54, P66, 16, 0, h_andpd },
	{ 0x55, P0, 16, 0, h_andnps }, { 0x55, P66, 16, 0, h_andnpd },
	{ 0x56, P0, 16, 0, h_orps }, { 0x56, P66, 16, 0, h_orpd },
	{ 0x57, P0, 16, 0, h_xorps }, { 0x57, P66, 16, 0, h_xorpd },
	{ 0x58, P0, 16, 1, h_addps }, { 0x58, P66, 16, 1, h_addpd },
	{ 0x58, PF3, 4, 1, h_addss }, { 0x58, PF2, 8, 1, h_addsd },
	{ 0x59, P0, 16, 1, h_mulps }, { 0x59, P66, 16, 1, h_mulpd },
	{ 0x59, PF3, 4, 1, h_mulss }, { 0x59, PF2, 8, 1, h_mulsd },
	{ 0x5a, P0, 8, 1, h_cvtps2pd }, { 0x5a, P66, 16, 1, h_cvtpd2ps },
	{ 0x5a, PF3, 4, 1, h_cvtss2sd }, { 0x5a, PF2, 8, 1, h_cvtsd2ss },
	{ 0x5b, P0, 16, 1, h_cvtdq2ps }, { 0x5b, P66, 16, 1, h_cvtps2dq },
	{ 0x5b, PF3, 16, 1, h_cvttps2dq },
	{ 0x5c, P0, 16, 1, h_subps }, { 0x5c, P66, 16, 1, h_subpd },
	{ 0x5c, PF3, 4, 1, h_subss }, { 0x5c, PF2, 8, 1, h_subsd },
	{ 0x5d, P0, 16, 1, h_minps }, { 0x5d, P66, 16, 1, h_minpd },
	{ 0x5d, PF3, 4, 1, h_minss }, { 0x5d, PF2, 8, 1, h_minsd },
	{ 0x5e, P0, 16, 1, h_divps }, { 0x5e, P66, 16, 1, h_divpd },
	{ 0x5e, PF3, 4, 1, h_divss }, { 0x5e, PF2, 8, 1, h_divsd },
	{ 0x5f, P0, 16, 1, h_maxps }, { 0x5f, P66, 16, 1, h_maxpd },
	{ 0x5f, PF3, 4, 1, h_maxss }, { 0x5f, PF2, 8, 1, h_maxsd },
	{ 0xe6, P66, 16, 1, h_cvttpd2dq }, { 0xe6, PF3, 8, 1, h_cvtdq2pd },
	{ 0xe6, PF2, 16, 1, h_cvtpd2dq },
	{ 0x14, P0, 16, 0, h_unpcklps }, { 0x14, P66, 16, 0, h_unpcklpd },
	{ 0x15, P0, 16, 0, h_unpckhps }, { 0x15, P66, 16, 0, h_unpckhpd },
	{ 0x60, P66, 16, 0, h_punpcklbw }, { 0x61, P66, 16, 0, h_punpcklwd },
	{ 0x62, P66, 16, 0, h_punpckldq }, { 0x63, P66, 16, 0, h_packsswb },
	{ 0x64, P66, 16, 0, h_pcmpgtb }, { 0x65, P66, 16, 0, h_pcmpgtw },
	{ 0x66, P66, 16, 0, h_pcmpgtd }, { 0x67, P66, 16, 0, h_packuswb },
	{ 0x68, P66, 16, 0, h_punpckhbw }, { 0x69, P66, 16, 0, h_punpckhwd },
	{ 0x6a, P66, 16, 0, h_punpckhdq }, { 0x6b, P66, 16, 0, h_packssdw },
	{ 0x6c, P66, 16, 0, h_punpcklqdq }, { 0x6d, P66, 16, 0, h_punpckhqdq },
	{ 0x74, P66, 16, 0, h_pcmpeqb }, { 0x75, P66, 16, 0, h_pcmpeqw },
	{ 0x76, P66, 16, 0, h_pcmpeqd },
	{ 0xd1, P66, 16, 0, h_psrlw }, { 0xd2, P66, 16, 0, h_psrld },
	{ 0xd3, P66, 16, 0, h_psrlq }, { 0xd4, P66, 16, 0, h_paddq },
	{ 0xd5, P66, 16, 0, h_pmullw }, { 0xd8, P66, 16, 0, h_psubusb },
	{ 0xd9, P66, 16, 0, h_psubusw }, { 0xda, P66, 16, 0, h_pminub },
	{ 0xdb, P66, 16, 0, h_pand }, { 0xdc, P66, 16, 0, h_paddusb },
	{ 0xdd, P66, 16, 0, h_paddusw }, { 0xde, P66, 16, 0, h_pmaxub },
	{ 0xdf, P66, 16, 0, h_pandn }, { 0xe0, P66, 16, 0, h_pavgb },
	{ 0xe1, P66, 16, 0, h_psraw }, { 0xe2, P66, 16, 0, h_psrad },
	{ 0xe3, P66, 16, 0, h_pavgw }, { 0xe4, P66, 16, 0, h_pmulhuw },
	{ 0xe5, P66, 16, 0, h_pmulhw }, { 0xe8, P66, 16, 0, h_psubsb },
	{ 0xe9, P66, 16, 0, h_psubsw }, { 0xea, P66, 16, 0, h_pminsw },
	{ 0xeb, P66, 16, 0, h_por }, { 0xec, P66, 16, 0, h_paddsb },
	{ 0xed, P66, 16, 0, h_paddsw }, { 0xee, P66, 16, 0, h_pmaxsw },
	{ 0xef, P66, 16, 0, h_pxor }, { 0xf1, P66, 16, 0, h_psllw },
	{ 0xf2, P66, 16, 0, h_pslld }, { 0xf3, P66, 16, 0, h_psllq },
	{ 0xf4, P66, 16, 0, h_pmuludq }, { 0xf5, P66, 16, 0, h_pmaddwd },
	{ 0xf6, P66, 16, 0, h_psadbw }, { 0xf8, P66, 16, 0, h_psubb },
	{ 0xf9, P66, 16, 0, h_psubw }, { 0xfa, P66, 16, 0, h_psubd },
	{ 0xfb, P66, 16, 0, h_psubq }, { 0xfc, P66, 16, 0, h_paddb },
	{ 0xfd, P66, 16, 0, h_paddw }, { 0xfe, P66, 16, 0, h_paddd },
	{ 0, 0, 0, 0, NULL },
};

/* The shift-by-immediate groups 71-73 are the by-register forms with the
 * count in an xmm (same results, SDM Vol. 2B PSLLW/PSRLW...). */
sse_hfn sse_shift_fn(int op, int reg)
{
	switch (op * 8 + reg) {
	case 0x71 * 8 + 2: return h_psrlw;
	case 0x71 * 8 + 4: return h_psraw;
	case 0x71 * 8 + 6: return h_psllw;
	case 0x72 * 8 + 2: return h_psrld;
	case 0x72 * 8 + 4: return h_psrad;
	case 0x72 * 8 + 6: return h_pslld;
	case 0x73 * 8 + 2: return h_psrlq;
	case 0x73 * 8 + 6: return h_psllq;
	}
	return NULL;
}

/* CMPPS/CMPPD/CMPSS/CMPSD with predicate imm8 0-7 (0F C2). */
#define HOSTC(name, insn, k)                                                 \
	static uint32_t name##k(union x86_xmm *d, const union x86_xmm *s, uint32_t mx) \
	{                                                                    \
		uint32_t save, out;                                          \
		asm volatile(MX_PRO "movdqu %[d], %%xmm0\n\t"                \
			     "movdqu %[s], %%xmm1\n\t"                       \
			     insn " $" #k ", %%xmm1, %%xmm0\n\t"             \
			     "movdqu %%xmm0, %[d]" MX_EPI                    \
			     : [d] "+m"(*d), [save] "=m"(save), [out] "=m"(out) \
			     : [s] "m"(*s), [mx] "m"(mx)                     \
			     : "xmm0", "xmm1");                              \
		return out;                                                  \
	}
#define HOSTC8(name, insn) HOSTC(name, insn, 0) HOSTC(name, insn, 1) HOSTC(name, insn, 2) \
	HOSTC(name, insn, 3) HOSTC(name, insn, 4) HOSTC(name, insn, 5) HOSTC(name, insn, 6) \
	HOSTC(name, insn, 7)
HOSTC8(h_cmpps, "cmpps") HOSTC8(h_cmppd, "cmppd") HOSTC8(h_cmpss, "cmpss") HOSTC8(h_cmpsd, "cmpsd")
#define ROW(n) { n##0, n##1, n##2, n##3, n##4, n##5, n##6, n##7 }
const sse_hfn sse_cmp_fns[4][8] = { ROW(h_cmpps), ROW(h_cmppd), ROW(h_cmpss), ROW(h_cmpsd) };

/* (U)COMISS/(U)COMISD: EFLAGS ZF/PF/CF come straight from the host. */
uint32_t sse_comi(int kind, const union x86_xmm *a, const union x86_xmm *b, uint32_t mx,
		  uint8_t zpc[3])
{
	uint32_t save, out;

#define COMI(insn)                                                           \
	asm volatile(MX_PRO "movdqu %[a], %%xmm0\n\t"                        \
		     "movdqu %[b], %%xmm1\n\t"                               \
		     insn " %%xmm1, %%xmm0\n\t"                              \
		     "setz %[z]\n\tsetp %[p]\n\tsetc %[c]" MX_EPI            \
		     : [z] "=m"(zpc[0]), [p] "=m"(zpc[1]), [c] "=m"(zpc[2]),  \
		       [save] "=m"(save), [out] "=m"(out)                     \
		     : [a] "m"(*a), [b] "m"(*b), [mx] "m"(mx)                 \
		     : "xmm0", "xmm1", "cc")
	switch (kind) {
	case 0: COMI("ucomiss"); break;
	case 1: COMI("comiss"); break;
	case 2: COMI("ucomisd"); break;
	default: COMI("comisd"); break;
	}
#undef COMI
	return out;
}

/* CVT(T)SS2SI / CVT(T)SD2SI to a 32- or 64-bit register. */
uint32_t sse_cvt2si(bool dbl, bool trunc, bool q, const union x86_xmm *a, uint32_t mx,
		    uint64_t *res)
{
	uint32_t save, out;
	uint64_t r = 0;

#define CVT(insn, reg)                                                       \
	asm volatile(MX_PRO "movdqu %[a], %%xmm0\n\t"                        \
		     insn " %%xmm0, %" reg "[r]" MX_EPI                      \
		     : [r] "=r"(r), [save] "=m"(save), [out] "=m"(out)        \
		     : [a] "m"(*a), [mx] "m"(mx) : "xmm0")
	switch ((dbl ? 4 : 0) | (trunc ? 2 : 0) | (q ? 1 : 0)) {
	case 0: CVT("cvtss2si", "k"); break;
	case 1: CVT("cvtss2si", "q"); break;
	case 2: CVT("cvttss2si", "k"); break;
	case 3: CVT("cvttss2si", "q"); break;
	case 4: CVT("cvtsd2si", "k"); break;
	case 5: CVT("cvtsd2si", "q"); break;
	case 6: CVT("cvttsd2si", "k"); break;
	default: CVT("cvttsd2si", "q"); break;
	}
#undef CVT
	*res = r;
	return out;
}

/* CVTSI2SS / CVTSI2SD from a 32- or 64-bit integer into d's low element. */
uint32_t sse_cvtsi2(bool dbl, bool q, union x86_xmm *d, uint64_t v, uint32_t mx)
{
	uint32_t save, out, v32 = (uint32_t)v;

#define CVTI(insn, var)                                                      \
	asm volatile(MX_PRO "movdqu %[d], %%xmm0\n\t"                        \
		     insn " %[v], %%xmm0\n\t"                                \
		     "movdqu %%xmm0, %[d]" MX_EPI                            \
		     : [d] "+m"(*d), [save] "=m"(save), [out] "=m"(out)       \
		     : [v] "m"(var), [mx] "m"(mx) : "xmm0")
	switch ((dbl ? 2 : 0) | (q ? 1 : 0)) {
	case 0: CVTI("cvtsi2ssl", v32); break;
	case 1: CVTI("cvtsi2ssq", v); break;
	case 2: CVTI("cvtsi2sdl", v32); break;
	default: CVTI("cvtsi2sdq", v); break;
	}
#undef CVTI
	return out;
}

/* The host's MXCSR_MASK from FXSAVE (SDM Vol. 1 11.6.6): 0 means 0xffbf.
 * Bits above 15 (AMD's misaligned-SSE mode) are not offered to guests. */
uint32_t x86_mxcsr_mask(void)
{
	static uint32_t mask;
	if (!mask) {
		uint8_t area[512] __attribute__((aligned(16)));
		uint32_t m;
		asm volatile("fxsave %0" : "=m"(area));
		__builtin_memcpy(&m, area + 28, 4);
		m &= 0xffff;
		__atomic_store_n(&mask, m ? m : 0xffbf, __ATOMIC_RELAXED);
	}
	return mask;
}

/* Precision flag for an instruction whose overflow or underflow is
 * unmasked. The hardware then delivers no result but reports PE from the
 * result rounded with an unbounded exponent (SDM Vol. 1 11.5.2.3,
 * 11.5.2.4), which the masked host run cannot show: its result was
 * denormalised or overflowed. The x87 unit computes exactly that rounding
 * (its exponent range covers every float/double result) under a precision
 * control of 24 or 53 bits and the same rounding mode. Returns -1 for the
 * operations that cannot overflow or underflow (then the host's PE
 * stands), else 0 or 1. */
int sse_pe_unbounded(int op, int pfx, const union x86_xmm *d, const union x86_xmm *s,
		     uint32_t mxcsr)
{
	bool dbl = pfx == 1 || pfx == 3, scalar = pfx >= 2, cvt = op == 0x5a;
	int xop, n, pe = 0;
	uint16_t fcw = (uint16_t)(0x3f | ((mxcsr & MXCSR_RC) >> 3));
	bool dz = mxcsr & MXCSR_DAZ;

	switch (op) {
	case 0x58: xop = XA_ADD; break;
	case 0x59: xop = XA_MUL; break;
	case 0x5c: xop = XA_SUB; break;
	case 0x5e: xop = XA_DIV; break;
	case 0x5a:
		if (pfx != 1 && pfx != 3)
			return -1;
		xop = XA_MUL;
		break;
	default:
		return -1;
	}
	/* Precision control: 24 bits for single results, 53 for double. */
	fcw |= (dbl && !cvt) ? 0x200 : 0x000;
	n = scalar ? 1 : (dbl ? 2 : 4);
	for (int k = 0; k < n; k++) {
		long double a, b;
		uint16_t sw = 0;
		if (dbl) {
			double x = d->df[k], y = s->df[k];
			if (dz && fpclassify(x) == FP_SUBNORMAL)
				x = copysign(0.0, x);
			if (dz && fpclassify(y) == FP_SUBNORMAL)
				y = copysign(0.0, y);
			a = cvt ? y : x;
			b = cvt ? 1.0L : y;
		} else {
			float x = d->f[k], y = s->f[k];
			if (dz && fpclassify(x) == FP_SUBNORMAL)
				x = copysignf(0.0f, x);
			if (dz && fpclassify(y) == FP_SUBNORMAL)
				y = copysignf(0.0f, y);
			a = x;
			b = y;
		}
		x87h_arith(xop, a, b, fcw, &sw);
		if (sw & 0x20)
			pe = 1;
	}
	return pe;
}
