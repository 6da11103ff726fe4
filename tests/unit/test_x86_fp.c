/* x87, SSE/SSE2 and FXSAVE in the software CPU, through the public API.
 *
 * Differential part: the same instruction bytes run natively on the host
 * (copied into an executable page) and in the emulator, with the same
 * inputs in a data buffer -- random values biased towards zeros, denormals,
 * infinities, NaNs and unnormals, random rounding/precision control, DAZ
 * and FZ. Everything observable is compared: x87 state via FNSAVE, xmm
 * results, MXCSR, EFLAGS and memory written.
 *
 * Fault part: #UD/#NM/#GP/#XM/#MF as SDM Vol. 3A Table 2-2, 6.15 and the
 * instruction pages say.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "x86emu-fixture.h"
#include "x86fp-fixture.h"

/* --- x87 differential ---------------------------------------------------- */

static const uint8_t x87_pro[] = {
	0xdb, 0xe3,                    /* fninit */
	0xd9, 0x6b, O_CW,              /* fldcw [rbx+O_CW] */
	0xff, 0x73, O_FL, 0x9d,        /* push [rbx+O_FL]; popfq */
};
static const uint8_t fld_a[] = { 0xdb, 0x2b };          /* fld tword [rbx] */
static const uint8_t fld_b[] = { 0xdb, 0x6b, O_B };     /* fld tword [rbx+O_B] */

/* Prologue that leaves `depth` values on the stack: ST(0) from O_B, the
 * rest from O_A (depth 0 and 1 reach stack underflow, 8 overflow). */
static size_t x87_prologue(uint8_t *out, int depth)
{
	size_t n = sizeof(x87_pro);

	memcpy(out, x87_pro, n);
	for (int k = 1; k < depth; k++) {
		memcpy(out + n, fld_a, sizeof(fld_a));
		n += sizeof(fld_a);
	}
	if (depth) {
		memcpy(out + n, fld_b, sizeof(fld_b));
		n += sizeof(fld_b);
	}
	return n;
}
static const uint8_t x87_epi[] = {
	0x9c, 0x58,                    /* pushfq; pop rax */
	0x48, 0x89, 0x43, O_FLOUT,     /* mov [rbx+O_FLOUT], rax */
	0xdd, 0xb3, 0x00, 0x01, 0, 0,  /* fnsave [rbx+O_SAVE] */
};

struct form {
	const char *name;
	uint8_t b[8];
	uint8_t n;
	uint8_t kind;    /* x87: 0 = plain; memory operand kind for SSE */
};

#define F(nm, ...) { nm, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), 0 }
static const struct form x87_forms[] = {
	F("fadd st,st1", 0xd8, 0xc1), F("fmul st,st1", 0xd8, 0xc9), F("fcom st1", 0xd8, 0xd1),
	F("fcomp st1", 0xd8, 0xd9), F("fsub st,st1", 0xd8, 0xe1), F("fsubr st,st1", 0xd8, 0xe9),
	F("fdiv st,st1", 0xd8, 0xf1), F("fdivr st,st1", 0xd8, 0xf9),
	F("fadd st1,st", 0xdc, 0xc1), F("fmul st1,st", 0xdc, 0xc9), F("fsubr st1,st", 0xdc, 0xe1),
	F("fsub st1,st", 0xdc, 0xe9), F("fdivr st1,st", 0xdc, 0xf1), F("fdiv st1,st", 0xdc, 0xf9),
	F("faddp", 0xde, 0xc1), F("fmulp", 0xde, 0xc9), F("fsubrp", 0xde, 0xe1),
	F("fsubp", 0xde, 0xe9), F("fdivrp", 0xde, 0xf1), F("fdivp", 0xde, 0xf9),
	F("fcompp", 0xde, 0xd9), F("fucompp", 0xda, 0xe9), F("fucom", 0xdd, 0xe1),
	F("fucomp", 0xdd, 0xe9), F("fcomi", 0xdb, 0xf1), F("fucomi", 0xdb, 0xe9),
	F("fcomip", 0xdf, 0xf1), F("fucomip", 0xdf, 0xe9),
	F("fchs", 0xd9, 0xe0), F("fabs", 0xd9, 0xe1), F("ftst", 0xd9, 0xe4), F("fxam", 0xd9, 0xe5),
	F("f2xm1", 0xd9, 0xf0), F("fyl2x", 0xd9, 0xf1), F("fptan", 0xd9, 0xf2),
	F("fpatan", 0xd9, 0xf3), F("fxtract", 0xd9, 0xf4), F("fprem1", 0xd9, 0xf5),
	F("fdecstp", 0xd9, 0xf6), F("fincstp", 0xd9, 0xf7), F("fprem", 0xd9, 0xf8),
	F("fyl2xp1", 0xd9, 0xf9), F("fsqrt", 0xd9, 0xfa), F("fsincos", 0xd9, 0xfb),
	F("frndint", 0xd9, 0xfc), F("fscale", 0xd9, 0xfd), F("fsin", 0xd9, 0xfe),
	F("fcos", 0xd9, 0xff), F("fxch", 0xd9, 0xc9), F("fld st1", 0xd9, 0xc1),
	F("fst st1", 0xdd, 0xd1), F("fstp st1", 0xdd, 0xd9), F("ffree st1", 0xdd, 0xc1),
	F("fld1", 0xd9, 0xe8), F("fldl2t", 0xd9, 0xe9), F("fldl2e", 0xd9, 0xea),
	F("fldpi", 0xd9, 0xeb), F("fldlg2", 0xd9, 0xec), F("fldln2", 0xd9, 0xed),
	F("fldz", 0xd9, 0xee), F("fnop", 0xd9, 0xd0), F("fnclex", 0xdb, 0xe2),
	F("fcmovb", 0xda, 0xc1), F("fcmove", 0xda, 0xc9), F("fcmovbe", 0xda, 0xd1),
	F("fcmovu", 0xda, 0xd9), F("fcmovnb", 0xdb, 0xc1), F("fcmovne", 0xdb, 0xc9),
	F("fcmovnbe", 0xdb, 0xd1), F("fcmovnu", 0xdb, 0xd9),
	/* memory operands at [rbx+O_MEM]: ModRM 0x43 | reg << 3, disp8 */
	F("fadd m32", 0xd8, 0x43, O_MEM), F("fmul m32", 0xd8, 0x4b, O_MEM),
	F("fcom m32", 0xd8, 0x53, O_MEM), F("fcomp m32", 0xd8, 0x5b, O_MEM),
	F("fsub m32", 0xd8, 0x63, O_MEM), F("fsubr m32", 0xd8, 0x6b, O_MEM),
	F("fdiv m32", 0xd8, 0x73, O_MEM), F("fdivr m32", 0xd8, 0x7b, O_MEM),
	F("fadd m64", 0xdc, 0x43, O_MEM), F("fsub m64", 0xdc, 0x63, O_MEM),
	F("fsubr m64", 0xdc, 0x6b, O_MEM), F("fdivr m64", 0xdc, 0x7b, O_MEM),
	F("fcom m64", 0xdc, 0x53, O_MEM),
	F("fiadd m32", 0xda, 0x43, O_MEM), F("fimul m32", 0xda, 0x4b, O_MEM),
	F("ficom m32", 0xda, 0x53, O_MEM), F("fidiv m32", 0xda, 0x73, O_MEM),
	F("fiadd m16", 0xde, 0x43, O_MEM), F("fisubr m16", 0xde, 0x6b, O_MEM),
	F("ficomp m16", 0xde, 0x5b, O_MEM), F("fidivr m16", 0xde, 0x7b, O_MEM),
	F("fld m32", 0xd9, 0x43, O_MEM), F("fld m64", 0xdd, 0x43, O_MEM),
	F("fld m80", 0xdb, 0x6b, O_MEM), F("fild m16", 0xdf, 0x43, O_MEM),
	F("fild m32", 0xdb, 0x43, O_MEM), F("fild m64", 0xdf, 0x6b, O_MEM),
	F("fst m32", 0xd9, 0x53, O_MEM), F("fstp m32", 0xd9, 0x5b, O_MEM),
	F("fst m64", 0xdd, 0x53, O_MEM), F("fstp m64", 0xdd, 0x5b, O_MEM),
	F("fstp m80", 0xdb, 0x7b, O_MEM),
	F("fist m16", 0xdf, 0x53, O_MEM), F("fistp m16", 0xdf, 0x5b, O_MEM),
	F("fist m32", 0xdb, 0x53, O_MEM), F("fistp m32", 0xdb, 0x5b, O_MEM),
	F("fistp m64", 0xdf, 0x7b, O_MEM), F("fisttp m16", 0xdf, 0x4b, O_MEM),
	F("fisttp m32", 0xdb, 0x4b, O_MEM), F("fisttp m64", 0xdd, 0x4b, O_MEM),
	F("fbstp", 0xdf, 0x73, O_MEM),
	F("fnstsw m16", 0xdd, 0x7b, O_MEM), F("fnstcw m16", 0xd9, 0x7b, O_MEM),
	F("fnstsw ax", 0xdf, 0xe0),
};

static const uint16_t fcw_rc_pc[] = { 0x000, 0x200, 0x300 };

/* Compare the FNSAVE images (32-bit protected format): control, status
 * and tag words, and every register that is not empty. FIP/FDP/FOP are
 * not compared (the host's code address differs). */
static void x87_compare(const char *name, const uint8_t *h, const uint8_t *e, uint16_t fcw)
{
	const uint8_t *hs = h + O_SAVE, *es = e + O_SAVE;
	uint16_t hsw, esw, htw, etw, hcw, ecw;

	memcpy(&hcw, hs, 2); memcpy(&ecw, es, 2);
	memcpy(&hsw, hs + 4, 2); memcpy(&esw, es + 4, 2);
	memcpy(&htw, hs + 8, 2); memcpy(&etw, es + 8, 2);
	if (hcw != ecw || hsw != esw || htw != etw) {
		print_error("%s fcw %04x: cw %04x/%04x sw %04x/%04x tw %04x/%04x (host/emu)\n",
			    name, fcw, hcw, ecw, hsw, esw, htw, etw);
		fail();
	}
	for (int k = 0; k < 8; k++) {
		int phys = (((hsw >> 11) & 7) + k) & 7;
		if (((htw >> (2 * phys)) & 3) == 3)
			continue;
		if (memcmp(hs + 28 + 10 * k, es + 28 + 10 * k, 10)) {
			print_error("%s fcw %04x: ST(%d) differs\n", name, fcw, k);
			fail();
		}
	}
	if (memcmp(h + O_MEM, e + O_MEM, 16)) {
		print_error("%s fcw %04x: memory operand differs\n", name, fcw);
		fail();
	}
	if ((*(const uint64_t *)(h + O_FLOUT) ^ *(const uint64_t *)(e + O_FLOUT)) & 0x8d5) {
		print_error("%s: rflags %llx/%llx\n", name,
			    (unsigned long long)*(const uint64_t *)(h + O_FLOUT),
			    (unsigned long long)*(const uint64_t *)(e + O_FLOUT));
		fail();
	}
}

static void test_x87_diff(void **state)
{
	uint8_t code[128], host[BUFSZ] __attribute__((aligned(16)));
	(void)state;

	for (size_t f = 0; f < sizeof(x87_forms) / sizeof(x87_forms[0]); f++) {
		const struct form *fm = &x87_forms[f];
		for (int it = 0; it < 400; it++) {
			static const int depths[8] = { 0, 1, 8, 2, 2, 2, 2, 2 };
			uint8_t pro[64];
			size_t np = x87_prologue(pro, depths[it % 8]);
			size_t n = build(code, pro, np, fm->b, fm->n, x87_epi, sizeof(x87_epi));
			uint16_t fcw = (uint16_t)(0x3f | 0x40 | fcw_rc_pc[rnd() % 3] |
						  ((rnd() & 3) << 10));
			uint64_t fl = 2 | (rnd() & 0x8d5);
			uint8_t *e = emu_buf();

			/* Sometimes unmask exceptions: pre-computation ones must
			 * leave the destination alone, OE/UE adjust the exponent. */
			if (rnd() % 4 == 0)
				fcw &= (uint16_t)~(rnd() & 0x3f);
			memset(host, 0, sizeof(host));
			gen_ld(host + O_A);
			gen_ld(host + O_B);
			if (rnd() & 1) {
				uint32_t v = gen_f32();
				memcpy(host + O_MEM, &v, 4);
			} else if (rnd() & 1) {
				uint64_t v = gen_f64();
				memcpy(host + O_MEM, &v, 8);
			} else if (rnd() & 1) {
				gen_ld(host + O_MEM);
			} else {
				uint64_t v = rnd() >> (rnd() % 64);
				memcpy(host + O_MEM, &v, 8);
			}
			memcpy(host + O_CW, &fcw, 2);
			memcpy(host + O_FL, &fl, 8);
			memcpy(e, host, BUFSZ);
			native_run(code, n, host);
			assert_int_equal(emu_run(code, n), T_CODE + n + 1);
			x87_compare(fm->name, host, e, fcw);
		}
	}
}

/* --- SSE differential ----------------------------------------------------- */

static const uint8_t sse_pro[] = {
	0x0f, 0xae, 0x53, O_CW,              /* ldmxcsr [rbx+O_CW] */
	0xf3, 0x0f, 0x6f, 0x03,              /* movdqu xmm0, [rbx] */
	0xf3, 0x0f, 0x6f, 0x4b, O_B,         /* movdqu xmm1, [rbx+O_B] */
	0x48, 0x8b, 0x43, O_RAX,             /* mov rax, [rbx+O_RAX] */
	0xff, 0x73, O_FL, 0x9d,              /* push [rbx+O_FL]; popfq */
};
static const uint8_t sse_epi[] = {
	0x48, 0x89, 0x43, O_RAXOUT,          /* mov [rbx+O_RAXOUT], rax */
	0x9c, 0x58,                          /* pushfq; pop rax */
	0x48, 0x89, 0x43, O_FLOUT,           /* mov [rbx+O_FLOUT], rax */
	0xf3, 0x0f, 0x7f, 0x43, O_XOUT,      /* movdqu [rbx+O_XOUT], xmm0 */
	0x0f, 0xae, 0x5b, O_MXOUT,           /* stmxcsr [rbx+O_MXOUT] */
};

/* An SSE form: prefix (0 = none), opcode, whether it has an imm8, the
 * value kind of its inputs, and a fixed ModRM for GPR forms (0 = use both
 * the xmm0,xmm1 register form and the [rbx+O_MEM] memory form). */
/* Most forms leave the trailing fields zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
struct sform {
	uint8_t pfx, op, imm, kind, modrm, rexw, lea;   /* lea: RDI = RBX + O_MEM first */
};

static const struct sform sse_forms_t[] = {
	/* arithmetic 0F 51-5F in four prefix flavours */
	{ 0, 0x51, 0, V_PS, 0, 0 }, { 0x66, 0x51, 0, V_PD, 0, 0 }, { 0xf3, 0x51, 0, V_PS, 0, 0 },
	{ 0xf2, 0x51, 0, V_PD, 0, 0 }, { 0, 0x52, 0, V_PS, 0, 0 }, { 0xf3, 0x52, 0, V_PS, 0, 0 },
	{ 0, 0x53, 0, V_PS, 0, 0 }, { 0xf3, 0x53, 0, V_PS, 0, 0 },
	{ 0, 0x54, 0, V_INT, 0, 0 }, { 0x66, 0x55, 0, V_INT, 0, 0 }, { 0, 0x56, 0, V_INT, 0, 0 },
	{ 0x66, 0x57, 0, V_INT, 0, 0 },
	{ 0, 0x58, 0, V_PS, 0, 0 }, { 0x66, 0x58, 0, V_PD, 0, 0 }, { 0xf3, 0x58, 0, V_PS, 0, 0 },
	{ 0xf2, 0x58, 0, V_PD, 0, 0 }, { 0, 0x59, 0, V_PS, 0, 0 }, { 0xf2, 0x59, 0, V_PD, 0, 0 },
	{ 0, 0x5a, 0, V_PS, 0, 0 }, { 0x66, 0x5a, 0, V_PD, 0, 0 }, { 0xf3, 0x5a, 0, V_PS, 0, 0 },
	{ 0xf2, 0x5a, 0, V_PD, 0, 0 }, { 0, 0x5b, 0, V_INT, 0, 0 }, { 0x66, 0x5b, 0, V_PS, 0, 0 },
	{ 0xf3, 0x5b, 0, V_PS, 0, 0 },
	{ 0, 0x5c, 0, V_PS, 0, 0 }, { 0x66, 0x5c, 0, V_PD, 0, 0 }, { 0xf3, 0x5d, 0, V_PS, 0, 0 },
	{ 0xf2, 0x5d, 0, V_PD, 0, 0 }, { 0, 0x5e, 0, V_PS, 0, 0 }, { 0xf2, 0x5e, 0, V_PD, 0, 0 },
	{ 0, 0x5f, 0, V_PS, 0, 0 }, { 0x66, 0x5f, 0, V_PD, 0, 0 },
	{ 0x66, 0xe6, 0, V_PD, 0, 0 }, { 0xf3, 0xe6, 0, V_INT, 0, 0 }, { 0xf2, 0xe6, 0, V_PD, 0, 0 },
	{ 0, 0xc2, 1, V_PS, 0, 0 }, { 0x66, 0xc2, 1, V_PD, 0, 0 }, { 0xf3, 0xc2, 1, V_PS, 0, 0 },
	{ 0xf2, 0xc2, 1, V_PD, 0, 0 },
	{ 0, 0x2e, 0, V_PS, 0, 0 }, { 0, 0x2f, 0, V_PS, 0, 0 }, { 0x66, 0x2e, 0, V_PD, 0, 0 },
	{ 0x66, 0x2f, 0, V_PD, 0, 0 },
	/* conversions with GPRs: cvt(t)ss2si/sd2si eax/rax, xmm1; cvtsi2ss/sd xmm0, eax/rax */
	{ 0xf3, 0x2d, 0, V_PS, 0xc1, 0 }, { 0xf3, 0x2c, 0, V_PS, 0xc1, 1 },
	{ 0xf2, 0x2d, 0, V_PD, 0xc1, 1 }, { 0xf2, 0x2c, 0, V_PD, 0xc1, 0 },
	{ 0xf3, 0x2a, 0, V_INT, 0xc0, 0 }, { 0xf2, 0x2a, 0, V_INT, 0xc0, 1 },
	{ 0xf3, 0x2a, 0, V_INT, 0xc0, 1 },
	/* moves and shuffles */
	{ 0, 0x10, 0, V_INT, 0, 0 }, { 0xf3, 0x10, 0, V_INT, 0, 0 }, { 0xf2, 0x10, 0, V_INT, 0, 0 },
	{ 0, 0x12, 0, V_INT, 0, 0 }, { 0, 0x16, 0, V_INT, 0, 0 }, { 0x66, 0x12, 0, V_INT, 0x43, 0 },
	{ 0, 0x14, 0, V_INT, 0, 0 }, { 0x66, 0x15, 0, V_INT, 0, 0 },
	{ 0x66, 0x70, 1, V_INT, 0, 0 }, { 0xf3, 0x70, 1, V_INT, 0, 0 }, { 0xf2, 0x70, 1, V_INT, 0, 0 },
	{ 0, 0xc6, 1, V_INT, 0, 0 }, { 0x66, 0xc6, 1, V_INT, 0, 0 },
	{ 0x66, 0xc4, 1, V_INT, 0xc0, 0 }, { 0x66, 0xc5, 1, V_INT, 0xc1, 0 },
	{ 0, 0x50, 0, V_INT, 0xc1, 0 }, { 0x66, 0x50, 0, V_INT, 0xc1, 0 },
	{ 0x66, 0xd7, 0, V_INT, 0xc1, 0 },
	{ 0x66, 0x6e, 0, V_INT, 0xc0, 1 }, { 0x66, 0x7e, 0, V_INT, 0xc0, 1 },
	{ 0x66, 0x7e, 0, V_INT, 0xc0, 0 }, { 0xf3, 0x7e, 0, V_INT, 0, 0 },
	{ 0x66, 0xd6, 0, V_INT, 0xc8, 0 },
	/* shifts by immediate: 66 0F 71-73 /r xmm0 */
	{ 0x66, 0x71, 1, V_INT, 0xd0, 0 }, { 0x66, 0x71, 1, V_INT, 0xe0, 0 },
	{ 0x66, 0x71, 1, V_INT, 0xf0, 0 }, { 0x66, 0x72, 1, V_INT, 0xd0, 0 },
	{ 0x66, 0x72, 1, V_INT, 0xe0, 0 }, { 0x66, 0x72, 1, V_INT, 0xf0, 0 },
	{ 0x66, 0x73, 1, V_INT, 0xd0, 0 }, { 0x66, 0x73, 1, V_INT, 0xd8, 0 },
	{ 0x66, 0x73, 1, V_INT, 0xf0, 0 }, { 0x66, 0x73, 1, V_INT, 0xf8, 0 },
	/* stores and loads with a memory operand ([rbx+O_MEM], xmm0/rax) */
	{ 0, 0x11, 0, V_INT, 0x43, 0 }, { 0xf3, 0x11, 0, V_INT, 0x43, 0 },
	{ 0xf2, 0x11, 0, V_INT, 0x43, 0 }, { 0, 0x13, 0, V_INT, 0x43, 0 },
	{ 0x66, 0x13, 0, V_INT, 0x43, 0 }, { 0, 0x17, 0, V_INT, 0x43, 0 },
	{ 0x66, 0x17, 0, V_INT, 0x43, 0 }, { 0x66, 0x16, 0, V_INT, 0x43, 0 },
	{ 0, 0x29, 0, V_INT, 0x43, 0 }, { 0x66, 0x29, 0, V_INT, 0x43, 0 },
	{ 0, 0x2b, 0, V_INT, 0x43, 0 }, { 0x66, 0x7f, 0, V_INT, 0x43, 0 },
	{ 0xf3, 0x7f, 0, V_INT, 0x43, 0 }, { 0x66, 0xe7, 0, V_INT, 0x43, 0 },
	{ 0x66, 0xd6, 0, V_INT, 0x43, 0 }, { 0x66, 0x7e, 0, V_INT, 0x43, 0 },
	{ 0x66, 0x7e, 0, V_INT, 0x43, 1 }, { 0x66, 0x6e, 0, V_INT, 0x43, 0 },
	{ 0x66, 0xc4, 1, V_INT, 0x43, 0 }, { 0, 0xc3, 0, V_INT, 0x43, 1 },
	{ 0, 0xc3, 0, V_INT, 0x43, 0 }, { 0xf3, 0x2d, 0, V_PS, 0x43, 0 },
	{ 0xf2, 0x2c, 0, V_PD, 0x43, 1 }, { 0xf2, 0x2a, 0, V_INT, 0x43, 0 },
	{ 0x66, 0xf7, 0, V_INT, 0xc1, 0, 1 },   /* maskmovdqu xmm0, xmm1 -> [rdi] */
};

/* All the 66 0F integer ops of the table. */
static const uint8_t int_ops[] = {
	0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
	0x74, 0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd,
	0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed,
	0xee, 0xef, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe,
};

static void sse_one(const struct sform *sf, bool mem)
{
	uint8_t insn[16], code[128], host[BUFSZ] __attribute__((aligned(16)));
	size_t ni = 0, n;

	if (sf->lea) {   /* lea rdi, [rbx+O_MEM] */
		insn[ni++] = 0x48; insn[ni++] = 0x8d; insn[ni++] = 0x7b; insn[ni++] = O_MEM;
	}
	if (sf->pfx)
		insn[ni++] = sf->pfx;
	if (sf->rexw)
		insn[ni++] = 0x48;
	insn[ni++] = 0x0f;
	insn[ni++] = sf->op;
	if (sf->modrm) {
		insn[ni++] = sf->modrm;
		if (sf->modrm == 0x43)
			insn[ni++] = O_MEM;
	} else if (mem) {
		insn[ni++] = 0x43;
		insn[ni++] = O_MEM;
	} else {
		insn[ni++] = 0xc1;
	}
	size_t imm_at = ni;
	if (sf->imm)
		insn[ni++] = 0;
	n = build(code, sse_pro, sizeof(sse_pro), insn, ni, sse_epi, sizeof(sse_epi));

	for (int it = 0; it < 300; it++) {
		uint32_t mx = 0x1f80 | ((uint32_t)(rnd() & 3) << 13) | (uint32_t)(rnd() & 0x3f);
		uint64_t fl = 2 | (rnd() & 0x8d5), rax = rnd();
		uint8_t *e = emu_buf();

		if (rnd() % 4 == 0)
			mx |= MXCSR_DAZ_T;
		if (rnd() % 4 == 0)
			mx |= 0x8000;
		if (sf->imm) {
			uint8_t v = (uint8_t)rnd();
			if (sf->op >= 0x71 && sf->op <= 0x73 && rnd() % 4)
				v %= 20;
			code[sizeof(sse_pro) + imm_at] = v;
		}
		if (sf->op == 0xc2)   /* predicates 0-7 only */
			code[sizeof(sse_pro) + imm_at] &= 7;
		if (sf->op == 0x2a && rnd() % 2)
			rax = (uint64_t)(int64_t)(int32_t)(rnd() >> (rnd() % 64));
		memset(host, 0, sizeof(host));
		gen_xmm(host + O_A, sf->kind);
		gen_xmm(host + O_B, sf->kind);
		gen_xmm(host + O_MEM, sf->kind);
		if (sf->kind == V_INT && rnd() % 3 == 0) {
			/* shift counts by register: small values too */
			uint64_t cnt = rnd() % 70;
			memcpy(host + O_B, &cnt, 8);
			memcpy(host + O_MEM, &cnt, 8);
		}
		memcpy(host + O_CW, &mx, 4);
		memcpy(host + O_FL, &fl, 8);
		memcpy(host + O_RAX, &rax, 8);
		memcpy(e, host, BUFSZ);
		native_run(code, n, host);
		assert_int_equal(emu_run(code, n), T_CODE + n + 1);
		/* Only the arithmetic flags: the host runs with IF=1 at CPL 3. */
		host[O_FLOUT] &= 0xd5; host[O_FLOUT + 1] &= 0x08;
		e[O_FLOUT] &= 0xd5; e[O_FLOUT + 1] &= 0x08;
		memset(host + O_FLOUT + 2, 0, 6);
		memset(e + O_FLOUT + 2, 0, 6);
		if (memcmp(host, e, BUFSZ)) {
			for (int k = 0; k < BUFSZ; k++)
				if (host[k] != e[k]) {
					print_error("pfx %02x op %02x%s modrm %02x mxcsr %04x: byte %#x "
						    "host %02x emu %02x\n", sf->pfx, sf->op,
						    mem ? " (mem)" : "", sf->modrm, mx, k, host[k], e[k]);
					break;
				}
			fail();
		}
	}
}
static void test_sse_diff(void **state)
{
	(void)state;
	for (size_t f = 0; f < sizeof(sse_forms_t) / sizeof(sse_forms_t[0]); f++) {
		sse_one(&sse_forms_t[f], false);
		if (!sse_forms_t[f].modrm)
			sse_one(&sse_forms_t[f], true);
	}
	for (size_t k = 0; k < sizeof(int_ops); k++) {
		struct sform sf = { 0x66, int_ops[k], 0, V_INT, 0, 0 };
		sse_one(&sf, false);
		sse_one(&sf, true);
	}
}

/* --- faults ------------------------------------------------------------- */

static void test_sse_faults(void **state)
{
	uint8_t *e = emu_buf();
	(void)state;

	/* movaps xmm0, [rbx+0x21]: misaligned -> #GP(0); movups is fine. */
	static const uint8_t movaps_mis[] = { 0x0f, 0x28, 0x43, 0x21 };
	static const uint8_t movups_mis[] = { 0x0f, 0x10, 0x43, 0x21 };
	static const uint8_t addps_mis[] = { 0x0f, 0x58, 0x43, 0x21 };
	static const uint8_t addss_mis[] = { 0xf3, 0x0f, 0x58, 0x43, 0x21 };
	assert_int_equal(emu_run(movaps_mis, 4), t_handler_done(V_GP));
	assert_int_equal(emu_run(movups_mis, 4), T_CODE + 5);
	assert_int_equal(emu_run(addps_mis, 4), t_handler_done(V_GP));
	assert_int_equal(emu_run(addss_mis, 5), T_CODE + 6);

	/* LDMXCSR with a reserved bit -> #GP(0); a valid value loads. */
	static const uint8_t ldmx[] = { 0x0f, 0xae, 0x53, O_CW, 0x0f, 0xae, 0x5b, O_MXOUT };
	uint32_t v = 0x10000 | 0x1f80;
	memcpy(e + O_CW, &v, 4);
	assert_int_equal(emu_run(ldmx, sizeof(ldmx)), t_handler_done(V_GP));
	v = 0x7f80 | 0x8040;
	memcpy(e + O_CW, &v, 4);
	assert_int_equal(emu_run(ldmx, sizeof(ldmx)), T_CODE + sizeof(ldmx) + 1);
	assert_int_equal(t_r32(tv, DATA + O_MXOUT), v);

	/* Unmasked divide by zero: #XM with CR4.OSXMMEXCPT, #UD without; the
	 * destination keeps its value and ZE is set. */
	static const uint8_t divss[] = {
		0x0f, 0xae, 0x53, O_CW,                 /* ldmxcsr (ZM clear) */
		0xf3, 0x0f, 0x10, 0x03,                 /* movss xmm0, [rbx] */
		0xf3, 0x0f, 0x5e, 0x43, O_B,            /* divss xmm0, [rbx+O_B] */
	};
	float one = 1.0f, zero = 0.0f;
	memcpy(e + O_A, &one, 4);
	memcpy(e + O_B, &zero, 4);
	v = 0x1f80 & ~0x200u;
	memcpy(e + O_CW, &v, 4);
	assert_int_equal(emu_run(divss, sizeof(divss)), t_handler_done(V_XM));
	static const uint8_t stx[] = { 0x0f, 0xae, 0x5b, O_MXOUT, 0x0f, 0x11, 0x43, O_XOUT };
	assert_int_equal(emu_run(stx, sizeof(stx)), T_CODE + sizeof(stx) + 1);
	assert_int_equal(t_r32(tv, DATA + O_MXOUT), v | 0x4);      /* ZE */
	assert_int_equal(t_r32(tv, DATA + O_XOUT), 0x3f800000);    /* 1.0f unchanged */
	set_cr(0, 0, 0, 0x400);
	assert_int_equal(emu_run(divss, sizeof(divss)), t_handler_done(V_UD));
	set_cr(0, 0, 0x400, 0);

	/* Unmasked underflow with an exact denormal result (1 + 1 in the
	 * lowest denormal): #XM with UE (and DE for the denormal operands),
	 * no PE -- a masked run would report nothing at all. */
	static const uint8_t addss[] = {
		0x0f, 0xae, 0x53, O_CW, 0xf3, 0x0f, 0x10, 0x03,
		0xf3, 0x0f, 0x58, 0x43, O_B,            /* addss xmm0, [rbx+O_B] */
	};
	uint32_t tiny = 1;
	memcpy(e + O_A, &tiny, 4);
	memcpy(e + O_B, &tiny, 4);
	v = 0x1f80 & ~0x800u;
	memcpy(e + O_CW, &v, 4);
	assert_int_equal(emu_run(addss, sizeof(addss)), t_handler_done(V_XM));
	assert_int_equal(emu_run(stx, sizeof(stx)), T_CODE + sizeof(stx) + 1);
	assert_int_equal(t_r32(tv, DATA + O_MXOUT), v | 0x12);
	assert_int_equal(t_r32(tv, DATA + O_XOUT), 1);
	v = 0x1f80;   /* back to the default for what follows */
	memcpy(e + O_CW, &v, 4);
	assert_int_equal(emu_run(ldmx, sizeof(ldmx)), T_CODE + sizeof(ldmx) + 1);

	/* CR4.OSFXSR = 0 -> #UD; CR0.TS -> #NM; CR0.EM -> #UD for SSE. */
	static const uint8_t addps[] = { 0x0f, 0x58, 0xc1 };
	set_cr(0, 0, 0, 0x200);
	assert_int_equal(emu_run(addps, 3), t_handler_done(V_UD));
	set_cr(0, 0, 0x200, 0);
	set_cr(0x8, 0, 0, 0);
	assert_int_equal(emu_run(addps, 3), t_handler_done(V_NM));
	set_cr(0, 0x8, 0, 0);
	set_cr(0x4, 0, 0, 0);
	assert_int_equal(emu_run(addps, 3), t_handler_done(V_UD));
	set_cr(0, 0x4, 0, 0);
	assert_int_equal(emu_run(addps, 3), T_CODE + 4);

	/* MMX encodings are #UD (no MMX registers): paddb mm0, mm1. */
	static const uint8_t paddb_mmx[] = { 0x0f, 0xfc, 0xc1 };
	assert_int_equal(emu_run(paddb_mmx, 3), t_handler_done(V_UD));
	/* SSE3 MOVDDUP is not implemented. */
	static const uint8_t movddup[] = { 0xf2, 0x0f, 0x12, 0xc1 };
	assert_int_equal(emu_run(movddup, 4), t_handler_done(V_UD));
}

static void test_x87_faults(void **state)
{
	uint8_t *e = emu_buf();
	(void)state;

	/* EM or TS -> #NM for x87; FWAIT only with MP and TS. */
	static const uint8_t fld1[] = { 0xd9, 0xe8 };
	static const uint8_t fwait[] = { 0x9b };
	set_cr(0x8, 0, 0, 0);
	assert_int_equal(emu_run(fld1, 2), t_handler_done(V_NM));
	assert_int_equal(emu_run(fwait, 1), t_handler_done(V_NM));
	set_cr(0, 0x2, 0, 0);   /* MP = 0: FWAIT ignores TS */
	assert_int_equal(emu_run(fwait, 1), T_CODE + 2);
	set_cr(0x2, 0x8, 0, 0);
	set_cr(0x4, 0, 0, 0);
	assert_int_equal(emu_run(fld1, 2), t_handler_done(V_NM));
	set_cr(0, 0x4, 0, 0);

	/* Unmasked zero divide: pending, then #MF at the next waiting
	 * instruction with CR0.NE; FNSTSW does not wait. */
	static const uint8_t zdiv[] = {
		0xdb, 0xe3,                    /* fninit */
		0xd9, 0x6b, O_CW,              /* fldcw (ZM clear) */
		0xd9, 0xe8, 0xd9, 0xee,        /* fld1; fldz */
		0xde, 0xf9,                    /* fdivp: 1 / 0 */
		0xdd, 0x7b, O_MEM,             /* fnstsw [rbx+O_MEM] */
		0x9b,                          /* fwait -> #MF */
	};
	uint16_t cw = 0x037b;
	memcpy(e + O_CW, &cw, 2);
	assert_int_equal(emu_run(zdiv, sizeof(zdiv)), t_handler_done(V_MF));
	/* ZE, ES, B set; TOP = 6 (no pop: the result was not stored). */
	assert_int_equal(t_r16(tv, DATA + O_MEM), 0x8000 | 0x80 | 0x4 | (6 << 11));
	set_cr(0, 0x20, 0, 0);   /* NE = 0: no #MF */
	assert_int_equal(emu_run(zdiv, sizeof(zdiv)), T_CODE + sizeof(zdiv) + 1);
	set_cr(0x20, 0, 0, 0);

	/* Stack overflow: nine pushes; the ninth sets IE, SF and C1 and
	 * (masked) pushes the indefinite. */
	static const uint8_t ovf[] = {
		0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8,
		0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8,
		0xdf, 0xe0,                          /* fnstsw ax */
		0x66, 0x89, 0x43, O_MEM,             /* mov [rbx+O_MEM], ax */
		0xdb, 0x7b, O_MEM + 2,               /* fstp tword [rbx+O_MEM+2] */
	};
	assert_int_equal(emu_run(ovf, sizeof(ovf)), T_CODE + sizeof(ovf) + 1);
	assert_int_equal(t_r16(tv, DATA + O_MEM), 0x0241 | (7 << 11));
	assert_int_equal(t_r64(tv, DATA + O_MEM + 2), 0xc000000000000000ULL);
	assert_int_equal(t_r16(tv, DATA + O_MEM + 10), 0xffff);
}

/* FXSAVE image against the host's for the same state; FXRSTOR round trip;
 * alignment and MXCSR checks. */
static void test_fxsave(void **state)
{
	uint8_t code[128], host[BUFSZ + 0x400] __attribute__((aligned(16)));
	uint8_t *e = emu_buf();
	(void)state;

	static const uint8_t body[] = {
		0xdb, 0xe3,                          /* fninit */
		0xdb, 0x2b, 0xdb, 0x6b, O_B,         /* fld tword [rbx]; fld tword [rbx+O_B] */
		0xd9, 0xeb,                          /* fldpi */
		0x0f, 0xae, 0x53, O_CW,              /* ldmxcsr */
		0xf3, 0x0f, 0x6f, 0x43, O_MEM,       /* movdqu xmm0, [rbx+O_MEM] */
		0xf3, 0x44, 0x0f, 0x6f, 0x7b, O_A,   /* movdqu xmm15, [rbx] */
		0x48, 0x0f, 0xae, 0x83, 0x00, 0x02, 0, 0, /* fxsave64 [rbx+0x200] */
		0xdb, 0xe3,                          /* fninit */
	};
	for (int it = 0; it < 50; it++) {
		uint32_t mx = 0x1f80 | (uint32_t)(rnd() & 0x603f);
		size_t n;
		memset(host, 0xa5, sizeof(host));
		gen_ld(host + O_A);
		gen_ld(host + O_B);
		gen_xmm(host + O_MEM, V_INT);
		memcpy(host + O_CW, &mx, 4);
		memcpy(e, host, 0x400);
		n = build(code, body, sizeof(body), NULL, 0, NULL, 0);
		native_run(code, n, host);
		assert_int_equal(emu_run(code, n), T_CODE + n + 1);
		/* FCW, FSW, FTW; skip FOP/FIP/FDP (host code addresses, and
		 * AMD stores them only with an exception pending). */
		assert_memory_equal(host + 0x200, e + 0x200, 6);
		/* MXCSR, MXCSR_MASK, registers, XMM0, XMM15 and the untouched
		 * tail. */
		assert_memory_equal(host + 0x200 + 24, e + 0x200 + 24, 4);
		/* MXCSR_MASK: the host's low 16 bits (AMD's MM bit is hidden). */
		assert_int_equal(t_r32(tv, DATA + 0x200 + 28), *(uint32_t *)(host + 0x200 + 28) & 0xffff);
		/* ST0-ST2 (the rest are empty and hold leftovers), XMM0. */
		assert_memory_equal(host + 0x200 + 32, e + 0x200 + 32, 48);
		assert_memory_equal(host + 0x200 + 160, e + 0x200 + 160, 16);
		assert_memory_equal(host + 0x200 + 400, e + 0x200 + 400, 512 - 400);
	}

	/* FXRSTOR64 the image back, FXSAVE64 again: identical. */
	static const uint8_t rt[] = {
		0x48, 0x0f, 0xae, 0x8b, 0x00, 0x02, 0, 0,  /* fxrstor64 [rbx+0x200] */
		0x48, 0x0f, 0xae, 0x83, 0x00, 0x04, 0, 0,  /* fxsave64 [rbx+0x400] */
	};
	assert_int_equal(emu_run(rt, sizeof(rt)), T_CODE + sizeof(rt) + 1);
	assert_memory_equal(e + 0x200, e + 0x400, 416);

	/* Misaligned -> #GP(0); reserved MXCSR bit in the image -> #GP(0). */
	static const uint8_t mis[] = { 0x0f, 0xae, 0x83, 0x08, 0x02, 0, 0 };
	assert_int_equal(emu_run(mis, sizeof(mis)), t_handler_done(V_GP));
	e[0x200 + 26] = 0x01;   /* MXCSR bit 16 */
	assert_int_equal(emu_run(rt, sizeof(rt)), t_handler_done(V_GP));
}

/* The pointer fields and the mode-dependent size of the FXSAVE image
 * (SDM Vol. 2A FXSAVE Tables 3-53, 3-56): FXSAVE64 stores a 64-bit FIP,
 * outside 64-bit mode FIP/FCS and only XMM0-7. */
static void test_fxsave_layout(void **state)
{
	static const uint8_t body[] = {
		0xdb, 0xe3,                                /* fninit */
		0xd9, 0xe8,                                /* fld1 (at T_CODE + 2) */
		0x48, 0x0f, 0xae, 0x83, 0x00, 0x02, 0, 0,  /* fxsave64 [rbx+0x200] */
	};
	static const uint8_t body32[] = {
		0xdb, 0xe3, 0xd9, 0xe8,
		0x0f, 0xae, 0x83, 0x00, 0x02, 0, 0,        /* fxsave [ebx+0x200] */
	};
	uint8_t *a = emu_buf() + 0x200;
	struct vcpu_sregs s;
	(void)state;

	memset(a, 0xa5, 512);
	assert_int_equal(emu_run(body, sizeof(body)), T_CODE + sizeof(body) + 1);
	assert_int_equal(t_r16(tv, DATA + 0x200 + 6), 0x1e8);            /* FOP */
	assert_int_equal(t_r64(tv, DATA + 0x200 + 8), T_CODE + 2);        /* FIP */
	assert_int_equal(a[4], 0x80);                                     /* ST0 = phys 7 */
	assert_int_equal(a[416], 0xa5);                                   /* untouched */
	assert_int_equal(a[415], 0);                                      /* XMM15 */

	/* Compatibility mode: 32-bit code segment in long mode. */
	s = t_sregs(tv);
	t_seg(&s.cs, SEL_CODE32, 0xb, 0, 0, 1);
	x86emu_set_sregs(tv->cpu, &s);
	memset(a, 0xa5, 512);
	assert_int_equal(emu_run(body32, sizeof(body32)), T_CODE + sizeof(body32) + 1);
	assert_int_equal(t_r32(tv, DATA + 0x200 + 8), T_CODE + 2);        /* FIP */
	assert_int_equal(t_r16(tv, DATA + 0x200 + 12), SEL_CODE32);       /* FCS */
	assert_int_equal(a[287], 0);                                      /* XMM7 */
	assert_int_equal(a[288], 0xa5);                                   /* no XMM8 */
}

/* Real-mode environment images hold 20-bit linear pointers and FOP in the
 * FIP word (SDM Vol. 1 Figures 8-10 and 8-12). */
static void test_env_real(void **state)
{
	static const uint8_t body[] = {
		0xdb, 0xe3,                    /* fninit */
		0xd9, 0xe8,                    /* fld1 at 0000:8002 */
		0xd9, 0x37,                    /* fnstenv [bx] (14 bytes) */
		0x66, 0xd9, 0x77, 0x20,        /* fnstenv [bx+0x20] (28 bytes) */
		0xf4,
	};
	struct vcpu_sregs s;
	struct vcpu_regs r;
	(void)state;

	s = t_sregs(tv);
	memset(&s.cs, 0, sizeof(s.cs));
	s.cs.limit = 0xffff;
	s.cs.type = 0xb;
	s.cs.s = 1;
	s.cs.present = 1;
	s.ds = s.ss = s.es = s.cs;
	s.ds.type = s.ss.type = s.es.type = 0x3;
	s.ds.selector = (uint16_t)(DATA >> 4);
	s.ds.base = DATA;
	s.cr0 = 0x10;
	s.cr4 = 0x600;
	s.efer = 0;
	x86emu_set_sregs(tv->cpu, &s);
	t_code(tv, T_CODE, body, sizeof(body));
	x86emu_invalidate(tv->cpu, T_CODE, 4096);
	r = t_regs(tv);
	r.rip = T_CODE;
	r.rbx = 0;
	r.rsp = 0x7000;
	r.rflags = 2;
	x86emu_set_regs(tv->cpu, &r);
	assert_int_equal(x86emu_run(tv->cpu, 100), X86EMU_HLT);
	assert_int_equal(t_regs(tv).rip, T_CODE + sizeof(body));

	assert_int_equal(t_r16(tv, DATA + 0), 0x037f);          /* FCW */
	assert_int_equal(t_r16(tv, DATA + 2), 7 << 11);         /* FSW: TOP = 7 */
	assert_int_equal(t_r16(tv, DATA + 4), 0x3fff);          /* ST0 valid */
	assert_int_equal(t_r16(tv, DATA + 6), T_CODE + 2);      /* FIP 15:0 */
	assert_int_equal(t_r16(tv, DATA + 8), 0x1e8);           /* FIP 19:16, FOP */
	assert_int_equal(t_r32(tv, DATA + 0x20 + 12) & 0xffff, T_CODE + 2);
	assert_int_equal(t_r32(tv, DATA + 0x20 + 16), 0x1e8);   /* FIP 31:16, FOP */
}

/* FNSTENV/FLDENV and FNSAVE/FRSTOR against the host's images. */
static void test_env(void **state)
{
	uint8_t code[128], host[BUFSZ] __attribute__((aligned(16)));
	uint8_t *e = emu_buf();
	(void)state;

	static const uint8_t body[] = {
		0xdb, 0xe3, 0xdb, 0x2b, 0xdb, 0x6b, O_B,     /* fninit; fld; fld */
		0xd9, 0x6b, O_CW,                             /* fldcw */
		0xd8, 0x73, O_B,                              /* fdiv dword [rbx+O_B] */
		0xd9, 0x73, O_MEM,                            /* fnstenv [rbx+O_MEM] (28) */
		0xd9, 0x63, O_MEM,                            /* fldenv [rbx+O_MEM] */
		0x66, 0xd9, 0x73, 0x60,                       /* fnstenv [rbx+0x60] (14) */
		0xdd, 0xb3, 0x00, 0x01, 0, 0,                 /* fnsave [rbx+O_SAVE] */
		0xdd, 0xa3, 0x00, 0x01, 0, 0,                 /* frstor [rbx+O_SAVE] */
		0xdd, 0xb3, 0x80, 0x01, 0, 0,                 /* fnsave [rbx+0x180] */
	};
	for (int it = 0; it < 200; it++) {
		uint16_t fcw = (uint16_t)(0x40 | (rnd() & 0xf3f));
		size_t n = build(code, body, sizeof(body), NULL, 0, NULL, 0);
		memset(host, 0, sizeof(host));
		gen_ld(host + O_A);
		gen_ld(host + O_B);
		memcpy(host + O_CW, &fcw, 2);
		memcpy(e, host, BUFSZ);
		native_run(code, n, host);
		assert_int_equal(emu_run(code, n), T_CODE + n + 1);
		/* FNSTENV: everything but FIP (12), FOP/FCS (16), FDP (20) and
		 * FDS (24: the host's DS is 0, the guest's is not). */
		assert_memory_equal(host + O_MEM, e + O_MEM, 12);
		assert_memory_equal(host + O_MEM + 26, e + O_MEM + 26, 2);
		/* FOP of the FDIV: D8 /6 with ModRM 0x73 */
		assert_int_equal(t_r16(tv, DATA + O_MEM + 18), 0x073);
		assert_memory_equal(host + O_MEM + 18, e + O_MEM + 18, 2);
		/* The 16-bit image: control, status and tag words. */
		assert_memory_equal(host + 0x60, e + 0x60, 6);
		/* After FRSTOR + FNSAVE: same words and registers. */
		assert_memory_equal(host + 0x180, e + 0x180, 12);
		assert_memory_equal(host + 0x180 + 28, e + 0x180 + 28, 20);   /* ST0, ST1 */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_x87_diff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sse_diff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sse_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_x87_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fxsave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fxsave_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_real, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
