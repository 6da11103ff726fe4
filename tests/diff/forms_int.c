/* Integer instruction forms. Defined-flag masks follow each instruction's
 * "Flags Affected" section in SDM Vol. 2 (and AMD APM Vol. 3 where the host,
 * an AMD CPU, documents a flag as undefined that Intel defines). Flags an
 * instruction leaves unaffected are compared: they must not change. */
#include <stdio.h>

#include "diff.h"

#define ALL DF_ARITH
#define LOGIC (DF_ARITH & ~DF_AF)          /* AND/OR/XOR/TEST: AF undefined */

static const char *const wname[9] = { [1] = "8", [2] = "16", [4] = "32", [8] = "64" };
static const int widths[4] = { 1, 2, 4, 8 };

/* Register pairs (reg field, rm field) for reg,reg forms: low registers,
 * REX registers, and the same register twice. Byte forms use AH/BH (no REX),
 * SIL/CL (REX forced) and R10B/BL. */
struct pair { int reg, rm; bool rex; };
static const struct pair pairs_w[3] = { { 2, 6, false }, { 9, 14, false }, { 1, 1, false } };
static const struct pair pairs_b[3] = { { 4, 7, false }, { 6, 1, true }, { 10, 3, false } };

static const struct pair *pairs_for(int w)
{
	return w == 1 ? pairs_b : pairs_w;
}

static struct diff_form *add(struct diff_table *t, const char *fmt, const char *a,
			     const char *b, int w)
{
	struct diff_form *f = diff_form_add(t);

	enc_begin(f, fmt, a, wname[w], b);
	f->width = (uint8_t)w;
	f->kind = K_INT;
	return f;
}

static void forms_alu(struct diff_table *t)
{
	static const char *const names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };

	for (int k = 0; k < 8; k++) {
		uint32_t fl = (k == 1 || k == 4 || k == 6) ? LOGIC : ALL;

		for (int wi = 0; wi < 4; wi++) {
			int w = widths[wi];
			uint8_t opb = (uint8_t)(k * 8 + (w == 1 ? 0 : 1));
			const struct pair *p = pairs_for(w);
			struct diff_form *f;
			int immlen = w == 1 ? 1 : w == 2 ? 2 : 4;

			for (int i = 0; i < 3; i++) {
				f = add(t, "%s%s r/m,r%s", names[k], "", w);
				enc_rr(f, w, 0, &opb, 1, p[i].reg, p[i].rm, p[i].rex);
				f->fdef = fl;
			}
			f = add(t, "%s%s [m],r%s", names[k], "", w);
			enc_rm(f, w, 0, &opb, 1, 2, 0, false);
			f->fdef = fl;
			f = add(t, "%s%s r,[m]%s", names[k], "", w);
			{
				uint8_t o = (uint8_t)(opb + 2);
				enc_rm(f, w, 0, &o, 1, 9, 8, false);
			}
			f->fdef = fl;
			f = add(t, "%s%s acc,imm%s", names[k], "", w);
			{
				uint8_t o = (uint8_t)(k * 8 + (w == 1 ? 4 : 5));
				enc_op(f, w, 0, &o, 1, 0);
				enc_imm(f, 0, immlen, IMM_RAND);
			}
			f->fdef = fl;
			/* Group 1: 80/81 /k imm, 83 /k imm8 sign-extended. */
			{
				uint8_t o = w == 1 ? 0x80 : 0x81;
				f = add(t, "%s%s r/m,imm%s", names[k], "", w);
				enc_rr(f, w, 0, &o, 1, k, p[1].rm, p[1].rex);
				enc_imm(f, 0, immlen, IMM_RAND);
				f->fdef = fl;
				f = add(t, "%s%s [m],imm%s", names[k], "", w);
				enc_rm(f, w, 0, &o, 1, k, 16, false);
				enc_imm(f, 0, immlen, IMM_RAND);
				f->fdef = fl;
				if (w > 1) {
					o = 0x83;
					f = add(t, "%s%s r/m,simm8%s", names[k], "", w);
					enc_rr(f, w, 0, &o, 1, k, p[0].rm, false);
					enc_imm(f, 0, 1, IMM_RAND);
					f->fdef = fl;
				}
			}
			/* LOCK on a memory destination (not CMP: #UD). */
			if (k != 7 && w >= 4) {
				f = add(t, "lock %s%s [m],r%s", names[k], "", w);
				enc_rm(f, w, 0xf0, &opb, 1, 14, -8, false);
				f->fdef = fl;
			}
		}
	}
	/* TEST: 84/85, A8/A9, F6/F7 /0. */
	for (int wi = 0; wi < 4; wi++) {
		int w = widths[wi];
		uint8_t o = w == 1 ? 0x84 : 0x85;
		uint8_t g = w == 1 ? 0xf6 : 0xf7;
		int immlen = w == 1 ? 1 : w == 2 ? 2 : 4;
		struct diff_form *f;

		f = add(t, "test%s r/m,r%s", "", "", w);
		enc_rr(f, w, 0, &o, 1, pairs_for(w)[0].reg, pairs_for(w)[0].rm, false);
		f->fdef = LOGIC;
		f = add(t, "test%s [m],r%s", "", "", w);
		enc_rm(f, w, 0, &o, 1, 5, 0, false);
		f->fdef = LOGIC;
		f = add(t, "test%s r/m,imm%s", "", "", w);
		enc_rr(f, w, 0, &g, 1, 0, pairs_for(w)[1].rm, pairs_for(w)[1].rex);
		enc_imm(f, 0, immlen, IMM_RAND);
		f->fdef = LOGIC;
	}
}

/* INC DEC NOT NEG MUL IMUL DIV IDIV: FE/FF /0 /1, F6/F7 /2../7. */
static void forms_unary(struct diff_table *t)
{
	static const struct { const char *name; int grp3; int ext; uint32_t fl; int kind; } ops[] = {
		{ "inc", 0, 0, ALL, K_INT },        /* CF unaffected: compared */
		{ "dec", 0, 1, ALL, K_INT },
		{ "not", 1, 2, ALL, K_INT },        /* no flags affected */
		{ "neg", 1, 3, ALL, K_INT },
		{ "mul", 1, 4, DF_CF | DF_OF, K_INT },   /* SF ZF AF PF undefined */
		{ "imul1", 1, 5, DF_CF | DF_OF, K_INT },
		{ "div", 1, 6, 0, K_DIV },          /* all flags undefined */
		{ "idiv", 1, 7, 0, K_DIV },
	};

	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		for (int wi = 0; wi < 4; wi++) {
			int w = widths[wi];
			uint8_t o = ops[k].grp3 ? (w == 1 ? 0xf6 : 0xf7) : (w == 1 ? 0xfe : 0xff);
			const struct pair *p = pairs_for(w);
			struct diff_form *f;

			for (int i = 0; i < 2; i++) {
				/* The divisor must not be part of the dividend for a
				 * meaningful mix: use rm = SI/R14 (CL/BL for bytes). */
				int rm = p[i].rm;
				f = add(t, "%s%s r%s", ops[k].name, "", w);
				enc_rr(f, w, 0, &o, 1, ops[k].ext, rm, p[i].rex);
				f->fdef = ops[k].fl;
				f->kind = (uint8_t)ops[k].kind;
				f->aux = (uint8_t)rm;
				if (w == 1 && !p[i].rex && rm >= 4 && rm < 8)
					f->aux = (uint8_t)(rm + 16);   /* AH..BH */
			}
			f = add(t, "%s%s [m]%s", ops[k].name, "", w);
			enc_rm(f, w, 0, &o, 1, ops[k].ext, 0, false);
			f->fdef = ops[k].fl;
			f->kind = (uint8_t)ops[k].kind;
			f->aux = 0xff;
			if (k < 4 && w >= 2) {
				f = add(t, "lock %s%s [m]%s", ops[k].name, "", w);
				enc_rm(f, w, 0xf0, &o, 1, ops[k].ext, 24, false);
				f->fdef = ops[k].fl;
			}
		}
	}
	/* IMUL r, r/m (0F AF); IMUL r, r/m, imm (6B ib, 69 iw/id): CF OF. */
	for (int wi = 1; wi < 4; wi++) {
		int w = widths[wi];
		static const uint8_t af[2] = { 0x0f, 0xaf };
		uint8_t o;
		struct diff_form *f;

		for (int i = 0; i < 3; i++) {
			f = add(t, "imul2%s r,r/m%s", "", "", w);
			enc_rr(f, w, 0, af, 2, pairs_w[i].reg, pairs_w[i].rm, false);
			f->fdef = DF_CF | DF_OF;
		}
		f = add(t, "imul2%s r,[m]%s", "", "", w);
		enc_rm(f, w, 0, af, 2, 7, 0, false);
		f->fdef = DF_CF | DF_OF;
		o = 0x6b;
		f = add(t, "imul3%s r,r/m,simm8%s", "", "", w);
		enc_rr(f, w, 0, &o, 1, 2, 6, false);
		enc_imm(f, 0, 1, IMM_RAND);
		f->fdef = DF_CF | DF_OF;
		o = 0x69;
		f = add(t, "imul3%s r,r/m,imm%s", "", "", w);
		enc_rr(f, w, 0, &o, 1, 11, 0, false);
		enc_imm(f, 0, w == 2 ? 2 : 4, IMM_RAND);
		f->fdef = DF_CF | DF_OF;
		f = add(t, "imul3%s r,[m],imm%s", "", "", w);
		enc_rm(f, w, 0, &o, 1, 0, 8, false);
		enc_imm(f, 0, w == 2 ? 2 : 4, IMM_RAND);
		f->fdef = DF_CF | DF_OF;
	}
}

/* Group 2 shifts and rotates (D0-D3, C0/C1) and SHLD/SHRD. */
static void forms_shift(struct diff_table *t)
{
	static const char *const names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal6", "sar" };

	for (int k = 0; k < 8; k++) {
		if (k == 6)
			continue;   /* /6 is an undocumented alias of SHL; skipped */
		for (int wi = 0; wi < 4; wi++) {
			int w = widths[wi];
			const struct pair *p = pairs_for(w);
			uint8_t d1 = w == 1 ? 0xd0 : 0xd1, d3 = w == 1 ? 0xd2 : 0xd3;
			uint8_t c1 = w == 1 ? 0xc0 : 0xc1;
			struct diff_form *f;

			f = add(t, "%s%s r,1%s", names[k], "", w);
			enc_rr(f, w, 0, &d1, 1, k, p[0].rm, p[0].rex);
			f->fmask = FM_SHIFT; f->fm_op = (uint8_t)k;
			for (int i = 1; i < 3; i++) {
				/* The shifted register must not be RCX for CL forms. */
				int rm = p[i].rm == 1 ? 6 : p[i].rm;
				f = add(t, "%s%s r,cl%s", names[k], "", w);
				enc_rr(f, w, 0, &d3, 1, k, rm, p[i].rex);
				f->fmask = FM_SHIFT; f->fm_op = (uint8_t)k; f->count_cl = true;
				f->kind = K_SHIFT;
			}
			f = add(t, "%s%s [m],cl%s", names[k], "", w);
			enc_rm(f, w, 0, &d3, 1, k, 0, false);
			f->fmask = FM_SHIFT; f->fm_op = (uint8_t)k; f->count_cl = true;
			f->kind = K_SHIFT;
			f = add(t, "%s%s r,imm8%s", names[k], "", w);
			enc_rr(f, w, 0, &c1, 1, k, p[1].rm, p[1].rex);
			enc_imm(f, 0, 1, IMM_COUNT);
			f->fmask = FM_SHIFT; f->fm_op = (uint8_t)k;
			f = add(t, "%s%s [m],imm8%s", names[k], "", w);
			enc_rm(f, w, 0, &c1, 1, k, 8, false);
			enc_imm(f, 0, 1, IMM_COUNT);
			f->fmask = FM_SHIFT; f->fm_op = (uint8_t)k;
			f = add(t, "%s%s [m],1%s", names[k], "", w);
			enc_rm(f, w, 0, &d1, 1, k, -16, false);
			f->fmask = FM_SHIFT; f->fm_op = (uint8_t)k;
		}
	}
	for (int dir = 0; dir < 2; dir++) {
		for (int wi = 1; wi < 4; wi++) {
			int w = widths[wi];
			uint8_t oi[2] = { 0x0f, (uint8_t)(dir ? 0xac : 0xa4) };
			uint8_t oc[2] = { 0x0f, (uint8_t)(dir ? 0xad : 0xa5) };
			const char *n = dir ? "shrd" : "shld";
			struct diff_form *f;

			f = add(t, "%s%s r,r,imm8%s", n, "", w);
			enc_rr(f, w, 0, oi, 2, 2, 14, false);
			enc_imm(f, 0, 1, IMM_COUNT);
			f->fmask = FM_SHLD; f->fm_op = (uint8_t)dir;
			f = add(t, "%s%s r,r,cl%s", n, "", w);
			enc_rr(f, w, 0, oc, 2, 9, 0, false);
			f->fmask = FM_SHLD; f->fm_op = (uint8_t)dir; f->count_cl = true;
			f->kind = K_SHIFT;
			f = add(t, "%s%s [m],r,cl%s", n, "", w);
			enc_rm(f, w, 0, oc, 2, 6, 0, false);
			f->fmask = FM_SHLD; f->fm_op = (uint8_t)dir; f->count_cl = true;
			f->kind = K_SHIFT;
			f = add(t, "%s%s [m],r,imm8%s", n, "", w);
			enc_rm(f, w, 0, oi, 2, 7, 8, false);
			enc_imm(f, 0, 1, IMM_COUNT);
			f->fmask = FM_SHLD; f->fm_op = (uint8_t)dir;
		}
	}
}

/* BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT/POPCNT, BSWAP, MOVBE. */
static void forms_bit(struct diff_table *t)
{
	static const char *const bt[4] = { "bt", "bts", "btr", "btc" };
	static const uint8_t btop[4] = { 0xa3, 0xab, 0xb3, 0xbb };

	for (int k = 0; k < 4; k++) {
		for (int wi = 1; wi < 4; wi++) {
			int w = widths[wi];
			uint8_t o[2] = { 0x0f, btop[k] };
			uint8_t g[2] = { 0x0f, 0xba };
			struct diff_form *f;

			/* AMD APM documents ZF as undefined for BT*, Intel as
			 * unaffected; only CF is compared. */
			f = add(t, "%s%s r,r%s", bt[k], "", w);
			enc_rr(f, w, 0, o, 2, 2, 6, false);
			f->fdef = DF_CF;
			f = add(t, "%s%s [m],r%s", bt[k], "", w);
			enc_rm(f, w, 0, o, 2, 9, 0, false);
			f->fdef = DF_CF; f->kind = K_BITOFF; f->aux = 9;
			if (k) {
				f = add(t, "lock %s%s [m],r%s", bt[k], "", w);
				enc_rm(f, w, 0xf0, o, 2, 2, 0, false);
				f->fdef = DF_CF; f->kind = K_BITOFF; f->aux = 2;
			}
			f = add(t, "%s%s r,imm8%s", bt[k], "", w);
			enc_rr(f, w, 0, g, 2, 4 + k, 11, false);
			enc_imm(f, 0, 1, IMM_COUNT);
			f->fdef = DF_CF;
			f = add(t, "%s%s [m],imm8%s", bt[k], "", w);
			enc_rm(f, w, 0, g, 2, 4 + k, 0, false);
			enc_imm(f, 0, 1, IMM_COUNT);
			f->fdef = DF_CF;
		}
	}
	for (int wi = 1; wi < 4; wi++) {
		int w = widths[wi];
		static const struct { const char *n; uint8_t pfx, op; uint32_t fl; int feat; } s[] = {
			{ "bsf", 0, 0xbc, DF_ZF, FEAT_NONE },   /* dest unchanged for a zero source
			                               (AMD APM; Intel: undefined but
			                               every CPU keeps it) */
			{ "bsr", 0, 0xbd, DF_ZF, FEAT_NONE },
			{ "tzcnt", 0xf3, 0xbc, DF_CF | DF_ZF, FEAT_BMI1 },
			{ "lzcnt", 0xf3, 0xbd, DF_CF | DF_ZF, FEAT_LZCNT },
			{ "popcnt", 0xf3, 0xb8, ALL, FEAT_POPCNT },
		};
		for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++) {
			uint8_t o[2] = { 0x0f, s[k].op };
			struct diff_form *f;

			f = add(t, "%s%s r,r%s", s[k].n, "", w);
			enc_rr(f, w, s[k].pfx, o, 2, 2, 9, false);
			f->fdef = s[k].fl;
			f->feat = s[k].feat;
			f = add(t, "%s%s r,[m]%s", s[k].n, "", w);
			enc_rm(f, w, s[k].pfx, o, 2, 14, 0, false);
			f->fdef = s[k].fl;
			f->feat = s[k].feat;
		}
	}
	for (int r = 0; r < 16; r += 5) {
		for (int w = 4; w <= 8; w += 4) {
			struct diff_form *f = add(t, "bswap%s r%s", "", "", w);
			uint8_t rex = (uint8_t)(0x40 | (w == 8 ? 8 : 0) | (r >> 3));

			if (r == 4)
				continue;
			if (rex != 0x40)
				enc_byte(f, rex);
			enc_byte(f, 0x0f);
			enc_byte(f, (uint8_t)(0xc8 + (r & 7)));
		}
	}
	for (int wi = 1; wi < 4; wi++) {
		int w = widths[wi];
		uint8_t ld[3] = { 0x0f, 0x38, 0xf0 }, st[3] = { 0x0f, 0x38, 0xf1 };
		struct diff_form *f;

		f = add(t, "movbe%s r,[m]%s", "", "", w);
		enc_rm(f, w, 0, ld, 3, 2, 0, false);
		f->feat = FEAT_MOVBE;
		f = add(t, "movbe%s [m],r%s", "", "", w);
		enc_rm(f, w, 0, st, 3, 10, 8, false);
		f->feat = FEAT_MOVBE;
	}
}

/* CMPXCHG, XADD, XCHG, MOV, MOVZX/MOVSX/MOVSXD, CBW family, CMOVcc, SETcc. */
static void forms_move(struct diff_table *t)
{
	for (int wi = 0; wi < 4; wi++) {
		int w = widths[wi];
		const struct pair *p = pairs_for(w);
		uint8_t cx[2] = { 0x0f, (uint8_t)(w == 1 ? 0xb0 : 0xb1) };
		uint8_t xa[2] = { 0x0f, (uint8_t)(w == 1 ? 0xc0 : 0xc1) };
		uint8_t xc = w == 1 ? 0x86 : 0x87;
		uint8_t mv = w == 1 ? 0x88 : 0x89, mvl = w == 1 ? 0x8a : 0x8b;
		uint8_t mi = w == 1 ? 0xc6 : 0xc7;
		struct diff_form *f;

		for (int i = 0; i < 2; i++) {
			f = add(t, "cmpxchg%s r,r%s", "", "", w);
			enc_rr(f, w, 0, cx, 2, p[i].reg, p[i].rm, p[i].rex);
			f->tie_rax = true; f->aux = (uint8_t)p[i].rm;
			if (w == 1 && !p[i].rex && p[i].rm >= 4 && p[i].rm < 8)
				f->aux = (uint8_t)(p[i].rm + 16);
		}
		f = add(t, "cmpxchg%s [m],r%s", "", "", w);
		enc_rm(f, w, 0, cx, 2, 6, 0, false);
		f->tie_rax = true; f->aux = 0xff;
		f = add(t, "lock cmpxchg%s [m],r%s", "", "", w);
		enc_rm(f, w, 0xf0, cx, 2, 9, 8, false);
		f->tie_rax = true; f->aux = 0xff;
		for (int i = 0; i < 3; i++) {
			f = add(t, "xadd%s r,r%s", "", "", w);
			enc_rr(f, w, 0, xa, 2, p[i].reg, p[i].rm, p[i].rex);
		}
		f = add(t, "lock xadd%s [m],r%s", "", "", w);
		enc_rm(f, w, 0xf0, xa, 2, 2, 0, false);
		f = add(t, "xchg%s r,r%s", "", "", w);
		enc_rr(f, w, 0, &xc, 1, p[0].reg, p[0].rm, p[0].rex);
		f = add(t, "xchg%s [m],r%s", "", "", w);
		enc_rm(f, w, 0, &xc, 1, 10, 0, false);
		f = add(t, "mov%s r/m,r%s", "", "", w);
		enc_rr(f, w, 0, &mv, 1, p[1].reg, p[1].rm, p[1].rex);
		f = add(t, "mov%s [m],r%s", "", "", w);
		enc_rm(f, w, 0, &mv, 1, 5, 0, false);
		f = add(t, "mov%s r,[m]%s", "", "", w);
		enc_rm(f, w, 0, &mvl, 1, 12, -32, false);
		f = add(t, "mov%s r/m,imm%s", "", "", w);
		enc_rr(f, w, 0, &mi, 1, 0, p[2].rm, p[2].rex);
		enc_imm(f, 0, w == 1 ? 1 : w == 2 ? 2 : 4, IMM_RAND);
		if (w > 1) {
			uint8_t o = 0x90 + 6;   /* xchg eAX, eSI */
			f = add(t, "xchg%s ax,r%s", "", "", w);
			enc_op(f, w, 0, &o, 1, 0);
		}
	}
	/* MOV r64, imm64 (REX.W B8+r). */
	{
		struct diff_form *f = add(t, "movabs%s r,imm64%s", "", "", 8);
		enc_byte(f, 0x49);
		enc_byte(f, 0xb8 + 3);   /* r11 */
		enc_imm(f, 0, 8, IMM_RAND);
		f = add(t, "mov%s r,imm32%s", "", "", 4);
		enc_byte(f, 0xb8 + 5);   /* ebp: zero-extends into RBP */
		enc_imm(f, 0, 4, IMM_RAND);
	}
	/* MOVZX/MOVSX (0F B6/B7/BE/BF), MOVSXD (REX.W 63). */
	for (int wi = 1; wi < 4; wi++) {
		int w = widths[wi];
		static const struct { const char *n; uint8_t op; } m[] = {
			{ "movzxb", 0xb6 }, { "movzxw", 0xb7 }, { "movsxb", 0xbe }, { "movsxw", 0xbf },
		};
		for (int k = 0; k < 4; k++) {
			uint8_t o[2] = { 0x0f, m[k].op };
			struct diff_form *f;

			f = add(t, "%s%s r,r%s", m[k].n, "", w);
			enc_rr(f, w, 0, o, 2, 2, 7, false);        /* source BH or DI */
			f = add(t, "%s%s r,r.rex%s", m[k].n, "", w);
			enc_rr(f, w, 0, o, 2, 10, 6, true);        /* source SIL or SI */
			f = add(t, "%s%s r,[m]%s", m[k].n, "", w);
			enc_rm(f, w, 0, o, 2, 13, 0, false);
		}
	}
	{
		uint8_t o = 0x63;
		struct diff_form *f = add(t, "movsxd%s r,r%s", "", "", 8);
		enc_rr(f, 8, 0, &o, 1, 1, 9, false);
		f = add(t, "movsxd%s r,[m]%s", "", "", 8);
		enc_rm(f, 8, 0, &o, 1, 14, 4, false);
	}
	/* CBW/CWDE/CDQE (98), CWD/CDQ/CQO (99). */
	for (int wi = 1; wi < 4; wi++) {
		int w = widths[wi];
		for (uint8_t o = 0x98; o <= 0x99; o++) {
			struct diff_form *f = add(t, o == 0x98 ? "cbw%s%s" : "cwd%s%s", "", "", w);
			enc_op(f, w, 0, &o, 1, 0);
		}
	}
	/* CMOVcc and SETcc, all 16 conditions (SDM Vol. 1 Table B-1). Flags
	 * are random, so every condition is seen both true and false. */
	for (int cc = 0; cc < 16; cc++) {
		uint8_t cm[2] = { 0x0f, (uint8_t)(0x40 + cc) };
		uint8_t sc[2] = { 0x0f, (uint8_t)(0x90 + cc) };
		struct diff_form *f;

		for (int wi = 1; wi < 4; wi++) {
			int w = widths[wi];
			f = add(t, "cmov%s%s r,r%s", (const char *[]){ "o", "no", "b", "ae", "e", "ne",
				"be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g" }[cc], "", w);
			enc_rr(f, w, 0, cm, 2, cc & 1 ? 9 : 2, cc & 2 ? 14 : 6, false);
		}
		f = add(t, "cmov%s%s r,[m]%s", "cc", "", 4);
		snprintf(f->name, sizeof(f->name), "cmov%d r32,[m]", cc);
		enc_rm(f, 4, 0, cm, 2, 0, 0, false);
		f = add(t, "set%s%s r%s", "cc", "", 1);
		snprintf(f->name, sizeof(f->name), "set%d r8", cc);
		enc_rr(f, 4, 0, sc, 2, 0, cc & 1 ? 4 : 6, !(cc & 1));  /* AH or SIL */
		f = add(t, "set%s%s [m]%s", "cc", "", 1);
		snprintf(f->name, sizeof(f->name), "set%d [m]", cc);
		enc_rm(f, 4, 0, sc, 2, 0, 5, false);
	}
}

/* LEA with every addressing shape (SDM Vol. 2A 2.1.5, Tables 2-2/2-3, and
 * 2.2.1.6 for RIP-relative), at three operand sizes and two address sizes. */
static void forms_lea(struct diff_table *t)
{
	static const struct { const char *n; uint8_t b[8]; int len; uint8_t rex; } a[] = {
		{ "[rax+rcx*4+d8]", { 0x44, 0x88, 0x12 }, 3, 0 },
		{ "[r13+r9*8+d32]", { 0x84, 0xcd, 0x78, 0x56, 0x34, 0x92 }, 6, 0x03 },
		{ "[rbp+0]", { 0x45, 0x00 }, 2, 0 },
		{ "[d32]", { 0x04, 0x25, 0xf0, 0xff, 0xff, 0x7f }, 6, 0 },
		{ "[rip+d32]", { 0x05, 0x00, 0x10, 0x00, 0x80 }, 5, 0 },
		{ "[rsp+d8]", { 0x44, 0x24, 0x80 }, 3, 0 },
		{ "[r12+r12*2]", { 0x04, 0x64 }, 2, 0x03 },
		{ "[rsi*2+d32]", { 0x04, 0x75, 0x01, 0x00, 0x00, 0x80 }, 6, 0 },
		{ "[rdi+rbx]", { 0x04, 0x1f }, 2, 0 },
		{ "[r8-d8]", { 0x40, 0x81 }, 2, 0x01 },
	};

	for (size_t k = 0; k < sizeof(a) / sizeof(a[0]); k++) {
		for (int wi = 1; wi < 4; wi++) {
			for (int as = 0; as < 2; as++) {
				int w = widths[wi];
				struct diff_form *f = add(t, "lea%s%s %s", as ? "-a32/" : "", a[k].n, w);
				uint8_t rex = (uint8_t)(0x40 | (w == 8 ? 8 : 0) | a[k].rex);

				if (as)
					enc_byte(f, 0x67);
				if (w == 2)
					enc_byte(f, 0x66);
				if (rex != 0x40)
					enc_byte(f, rex);
				enc_byte(f, 0x8d);
				for (int i = 0; i < a[k].len; i++)
					enc_byte(f, a[k].b[i]);
			}
		}
	}
}

static void seq(struct diff_table *t, const char *name, const uint8_t *b, int len,
		int ninsn, int kind, uint32_t fl)
{
	struct diff_form *f = diff_form_add(t);

	enc_begin(f, "%s", name);
	for (int i = 0; i < len; i++)
		enc_byte(f, b[i]);
	enc_end(f, ninsn);
	f->kind = (uint8_t)kind;
	f->width = 8;
	f->fdef = fl;
}
#define SEQ(t, name, ninsn, kind, fl, ...) do { \
	static const uint8_t b_[] = { __VA_ARGS__ }; \
	seq(t, name, b_, sizeof(b_), ninsn, kind, fl); } while (0)
#define SEQM(t, name, ninsn, kind, fl, ...) do { \
	static const uint8_t b_[] = { __VA_ARGS__ }; \
	seq(t, name, b_, sizeof(b_), ninsn, kind, fl); \
	t->v[t->n - 1].mem = true; } while (0)

/* Flag instructions, ADC/SBB chains, PUSH/POP, PUSHF/POPF. */
static void forms_misc(struct diff_table *t)
{
	SEQ(t, "clc", 1, K_INT, ALL, 0xf8);
	SEQ(t, "stc", 1, K_INT, ALL, 0xf9);
	SEQ(t, "cmc", 1, K_INT, ALL, 0xf5);
	SEQ(t, "cld", 1, K_INT, ALL, 0xfc);
	SEQ(t, "std", 1, K_INT, ALL, 0xfd);
	/* LAHF/SAHF in 64-bit mode need CPUID 8000_0001h ECX.LAHF-SAHF. */
	SEQ(t, "lahf", 1, K_INT, ALL, 0x9f);
	t->v[t->n - 1].feat = FEAT_LAHF;
	SEQ(t, "sahf", 1, K_INT, ALL, 0x9e);   /* OF unaffected, the rest from AH */
	t->v[t->n - 1].feat = FEAT_LAHF;
	SEQ(t, "pushfq; pop rax", 2, K_INT, ALL, 0x9c, 0x58);
	SEQ(t, "push rax; popfq; pushfq; pop rcx", 4, K_POPF, ALL, 0x50, 0x9d, 0x9c, 0x59);
	/* POPF at CPL 0 may change IF (SDM Vol. 2B POPF): user mode only. */
	t->v[t->n - 1].user_only = true;
	SEQ(t, "pushfw; pop ax", 2, K_INT, ALL, 0x66, 0x9c, 0x66, 0x58);
	/* Multi-word arithmetic: carries and borrows propagate. */
	SEQ(t, "add/adc/adc/adc chain", 4, K_INT, ALL,
	    0x48, 0x01, 0xd0, 0x48, 0x11, 0xf1, 0x4d, 0x11, 0xc8, 0x48, 0x11, 0xef);
	SEQ(t, "sub/sbb/sbb chain", 3, K_INT, ALL,
	    0x48, 0x29, 0xd0, 0x48, 0x19, 0xf1, 0x4d, 0x19, 0xc8);
	SEQ(t, "stc; adc32; adc8; sbb16", 4, K_INT, ALL,
	    0xf9, 0x11, 0xd0, 0x10, 0xe1, 0x66, 0x19, 0xf7);
	SEQ(t, "cmc; sbb rax,imm32; adc rdx,simm8", 3, K_INT, ALL,
	    0xf5, 0x48, 0x1d, 0x78, 0x56, 0x34, 0x12, 0x48, 0x83, 0xd2, 0xff);
	SEQM(t, "adc [m],rdx; sbb rcx,[m+8]", 2, K_INT, ALL,
	    0x48, 0x11, 0x13, 0x48, 0x1b, 0x4b, 0x08);
	/* PUSH/POP (stack is part of the compared memory). */
	SEQ(t, "push rdx; push r9; pop rsi; pop r10", 4, K_INT, ALL,
	    0x52, 0x41, 0x51, 0x5e, 0x41, 0x5a);
	SEQ(t, "push imm32; push simm8; pop rax; pop rcx", 4, K_INT, ALL,
	    0x68, 0x88, 0x77, 0x66, 0x85, 0x6a, 0x80, 0x58, 0x59);
	SEQM(t, "push [m]; pop [m+8]", 2, K_INT, ALL, 0xff, 0x33, 0x8f, 0x43, 0x08);
	SEQ(t, "push16 dx; pop16 cx", 2, K_INT, ALL, 0x66, 0x52, 0x66, 0x59);
	SEQ(t, "enter 16,0; leave", 2, K_INT, ALL, 0xc8, 0x10, 0x00, 0x00, 0xc9);
	SEQ(t, "nop; nopw; nopl [rax+rax]", 3, K_INT, ALL,
	    0x90, 0x66, 0x90, 0x0f, 0x1f, 0x44, 0x00, 0x00);
	SEQ(t, "xchg rax,rax; pause", 2, K_INT, ALL, 0x48, 0x90, 0xf3, 0x90);
	/* CMPXCHG8B/16B: ZF set, the other flags unaffected. */
	SEQM(t, "cmpxchg8b [m]", 1, K_INT, ALL, 0x0f, 0xc7, 0x0b);
	SEQM(t, "lock cmpxchg16b [m]", 1, K_INT, ALL, 0xf0, 0x48, 0x0f, 0xc7, 0x0b);
	t->v[t->n - 1].feat = FEAT_CX16;
	/* Calls and jumps inside the form: a taken and a not-taken Jcc. */
	SEQ(t, "cmp; jcc +2; inc; inc", 4, K_INT, ALL,
	    0x48, 0x39, 0xd0, 0x74, 0x03, 0x48, 0xff, 0xc1, 0x48, 0xff, 0xc6);
	/* Flags passed along a run of forms the block translator emits
	 * natively (diffrun -b): CF kept by INC/DEC, shift and IMUL records
	 * read by ADC/SBB, flags live across memory forms. */
	SEQ(t, "add; inc; dec", 3, K_INT, ALL, 0x48, 0x01, 0xd0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc9);
	SEQ(t, "sub; shl 3; shr 5; sar 1", 4, K_INT, ALL & ~DF_AF, 0x48, 0x29, 0xd0,
	    0x48, 0xc1, 0xe0, 0x03, 0x48, 0xc1, 0xe9, 0x05, 0x48, 0xd1, 0xfa);
	SEQ(t, "imul r,r,imm; imul r,r; adc", 3, K_INT, ALL, 0x48, 0x69, 0xc1, 0x78, 0x56, 0x34,
	    0x12, 0x48, 0x0f, 0xaf, 0xd0, 0x48, 0x11, 0xc6);
	SEQ(t, "shl 1; adc; shr 1; sbb", 4, K_INT, ALL, 0x48, 0xd1, 0xe0, 0x48, 0x11, 0xca,
	    0x48, 0xd1, 0xe9, 0x48, 0x19, 0xc6);
	SEQ(t, "add32; inc32; shl32 3; imul32", 4, K_INT, DF_CF | DF_OF, 0x01, 0xd0, 0xff, 0xc0,
	    0xc1, 0xe1, 0x03, 0x6b, 0xd1, 0x07);
	SEQ(t, "test; jz +3; shl 1; inc", 4, K_INT, ALL, 0x48, 0x85, 0xc0, 0x74, 0x03,
	    0x48, 0xd1, 0xe2, 0x48, 0xff, 0xc1);
	SEQM(t, "add; mov [m],r; inc; mov r,[m+8]", 4, K_INT, ALL, 0x48, 0x01, 0xc8,
	     0x48, 0x89, 0x03, 0x48, 0xff, 0xc0, 0x48, 0x8b, 0x53, 0x08);
	SEQ(t, "rol32 r,cl; add32", 2, K_INT, ALL, 0xd3, 0xc6, 0x01, 0xd0);
	SEQ(t, "shl64 r,cl; sub64", 2, K_INT, ALL, 0x48, 0xd3, 0xe2, 0x48, 0x29, 0xd0);
	SEQ(t, "sar32 r,cl; ror64 r,cl; xor32", 3, K_INT, LOGIC, 0xd3, 0xfe, 0x48, 0xd3, 0xca,
	    0x31, 0xc0);
	SEQ(t, "mul32; adc", 2, K_INT, ALL, 0xf7, 0xe6, 0x48, 0x11, 0xca);
	SEQ(t, "cmp; cmovl; seta", 3, K_INT, ALL, 0x48, 0x39, 0xd0, 0x48, 0x0f, 0x4c, 0xce,
	    0x40, 0x0f, 0x97, 0xc7);
	SEQ(t, "sub32; cmovb32; sete; inc", 4, K_INT, ALL, 0x29, 0xd0, 0x0f, 0x42, 0xce,
	    0x0f, 0x94, 0xc3, 0xff, 0xc1);
	SEQM(t, "mov r,[m]; shl 4; add [m+8],r", 3, K_INT, ALL, 0x48, 0x8b, 0x03,
	     0x48, 0xc1, 0xe0, 0x04, 0x48, 0x01, 0x43, 0x08);
	SEQ(t, "call +0; pop rax", 2, K_INT, ALL, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x58);
	/* call 7; (5:) jmp 8; (7:) ret: a near call and return inside the form. */
	SEQ(t, "call +2; jmp +1; ret", 3, K_INT, ALL, 0xe8, 0x02, 0x00, 0x00, 0x00, 0xeb, 0x01, 0xc3);
	SEQ(t, "loop back x3", 4, K_INT, ALL,
	    0xb9, 0x03, 0x00, 0x00, 0x00, 0xff, 0xc0, 0xe2, 0xfc);
	SEQM(t, "xlatb", 1, K_INT, ALL, 0x48, 0x8d, 0x1b, 0xd7);
	SEQ(t, "setc al; movzx eax,al; neg eax", 3, K_INT, ALL,
	    0x0f, 0x92, 0xc0, 0x0f, 0xb6, 0xc0, 0xf7, 0xd8);

	/* Prefix corner cases (SDM Vol. 2A 2.2.1): a REX followed by a legacy
	 * prefix is ignored; only the last of several REX bytes counts; CS/DS/
	 * ES/SS overrides are ignored in 64-bit mode. */
	SEQ(t, "rex.w 66 add (rex ignored)", 1, K_INT, ALL, 0x48, 0x66, 0x01, 0xd0);
	SEQ(t, "40 48 add (last rex wins)", 1, K_INT, ALL, 0x40, 0x48, 0x01, 0xd0);
	SEQ(t, "66 66 f2 add16", 1, K_INT, ALL, 0x66, 0x66, 0xf2, 0x01, 0xd0);
	SEQM(t, "cs: ss: mov eax,[m]", 1, K_INT, ALL, 0x2e, 0x36, 0x8b, 0x03);
	/* 90 is NOP, not XCHG EAX,EAX, in 64-bit mode (no zero-extension);
	 * 87 C0 and REX.B 90 are real exchanges (SDM Vol. 2B NOP, XCHG). */
	SEQ(t, "xchg eax,eax (87 c0)", 1, K_INT, ALL, 0x87, 0xc0);
	SEQ(t, "41 90 = xchg r8d,eax", 1, K_INT, ALL, 0x41, 0x90);
	SEQ(t, "66 90 / f3 90", 2, K_INT, ALL, 0x66, 0x90, 0xf3, 0x90);
	SEQ(t, "movsxd r32,r32 (no rex.w)", 1, K_INT, ALL, 0x63, 0xc2);
	SEQ(t, "cmpxchg eax,eax", 1, K_INT, ALL, 0x0f, 0xb1, 0xc0);
	SEQ(t, "xadd ecx,ecx", 1, K_INT, ALL, 0x0f, 0xc1, 0xc9);
	SEQ(t, "cmpxchg ecx,edx (32-bit zero-extension)", 1, K_INT, ALL, 0x0f, 0xb1, 0xd1);
	t->v[t->n - 1].tie_rax = true;
	t->v[t->n - 1].aux = 1;
	t->v[t->n - 1].width = 4;
	/* RSP-relative PUSH/POP operands (SDM Vol. 2B POP: an RSP-based
	 * destination is computed after the increment; PUSH m reads before
	 * the decrement). */
	SEQ(t, "push rax; push rcx; pop [rsp]", 3, K_INT, ALL, 0x50, 0x51, 0x8f, 0x04, 0x24);
	SEQ(t, "push rax; push [rsp]; pop rdx; pop rsi", 4, K_INT, ALL,
	    0x50, 0xff, 0x34, 0x24, 0x5a, 0x5e);
	SEQ(t, "push rax; pop [rsp-8]", 2, K_INT, ALL, 0x50, 0x8f, 0x44, 0x24, 0xf8);
	/* ENTER with nesting levels copies frame pointers from [rbp-8*i]
	 * (SDM Vol. 2A ENTER); RBP points into the stack page first. */
	SEQ(t, "enter 16,1; leave", 3, K_INT, ALL,
	    0x48, 0x8d, 0x6c, 0x24, 0xc0, 0xc8, 0x10, 0x00, 0x01, 0xc9);
	SEQ(t, "enter 8,3; leave", 3, K_INT, ALL,
	    0x48, 0x8d, 0x6c, 0x24, 0xc0, 0xc8, 0x08, 0x00, 0x03, 0xc9);
	SEQ(t, "66 enter 4,2; 66 leave", 3, K_INT, ALL,
	    0x48, 0x8d, 0x6c, 0x24, 0xc0, 0x66, 0xc8, 0x04, 0x00, 0x02, 0x66, 0xc9);
	/* Near control transfers inside the form. */
	SEQ(t, "jrcxz +3; inc eax; inc edx", 2, K_INT, ALL,
	    0xe3, 0x02, 0xff, 0xc0, 0xff, 0xc2);
	SEQ(t, "a32 jecxz +2; inc eax", 2, K_INT, ALL, 0x67, 0xe3, 0x02, 0xff, 0xc0, 0x90);
	SEQ(t, "call +3; jmp +4; ret 8 ... ", 4, K_INT, ALL,
	    0x6a, 0x11, 0xe8, 0x02, 0x00, 0x00, 0x00, 0xeb, 0x03, 0xc2, 0x08, 0x00, 0x90);
	SEQM(t, "call [m] (target in memory)", 2, K_INT, ALL,
	     0x48, 0x8d, 0x05, 0x07, 0x00, 0x00, 0x00, 0x48, 0x89, 0x03, 0xff, 0x13, 0x90, 0x58);
	SEQ(t, "a32 loop", 4, K_INT, ALL,
	    0xb9, 0x02, 0x00, 0x00, 0x00, 0xff, 0xc0, 0x67, 0xe2, 0xfb);
	/* Segment selectors as a Linux process sees them (user mode only). */
	SEQ(t, "mov eax,cs; mov dx,ss; mov rsi,ds; mov [m],es", 4, K_INT, ALL,
	    0x8c, 0xc8, 0x66, 0x8c, 0xd2, 0x48, 0x8c, 0xde, 0x8c, 0x03);
	t->v[t->n - 1].user_only = true;
	t->v[t->n - 1].mem = true;
}

/* String instructions with and without REP, both directions. */
static void forms_string(struct diff_table *t)
{
	static const struct { const char *n; uint8_t op; bool cmp; } s[] = {
		{ "movs", 0xa4, false }, { "cmps", 0xa6, true }, { "stos", 0xaa, false },
		{ "lods", 0xac, false }, { "scas", 0xae, true },
	};

	for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++) {
		for (int wi = 0; wi < 4; wi++) {
			int w = widths[wi];
			static const uint8_t reps[3] = { 0, 0xf3, 0xf2 };
			static const char *const rn[3] = { "", "rep ", "repne " };

			for (int r = 0; r < 3; r++) {
				struct diff_form *f;
				uint8_t o = (uint8_t)(s[k].op + (w > 1));

				if (r == 2 && !s[k].cmp)
					continue;
				f = add(t, "%s%s", s[k].n, "", w);
				snprintf(f->name, sizeof(f->name), "%s%s%s", rn[r], s[k].n, wname[w]);
				enc_op(f, w, reps[r], &o, 1, 0);
				f->kind = K_STRING;
				f->fdef = ALL;
			}
		}
	}
	SEQ(t, "a32 rep movsb", 1, K_STRING, ALL, 0x67, 0xf3, 0xa4);
	SEQ(t, "a32 repe cmpsd", 1, K_STRING, ALL, 0x67, 0xf3, 0xa7);
	SEQ(t, "rep stosq; rep lodsw", 2, K_STRING, ALL, 0xf3, 0x48, 0xab, 0x66, 0xf3, 0xad);
}

/* Memory operands that straddle a page boundary (both halves mapped: the
 * emulator must split the access), that run off the mapped region into an
 * unmapped page (#PF, nothing written), and a misaligned MOVAPS (#GP,
 * SDM Vol. 2A MOVAPS "Protected Mode Exceptions"). */
static void forms_cross(struct diff_table *t)
{
	static const struct { const char *n; uint64_t ptr; } where[] = {
		{ "x-page", DIFF_DATA_VA + 0x1000 - 3 },
		{ "x-unmapped", DIFF_STACK_VA + 0x1000 - 5 },
	};

	for (int k = 0; k < 2; k++) {
		for (int wi = 1; wi < 4; wi++) {
			int w = widths[wi];
			uint8_t ld = 0x8b, stv = 0x89, ad = 0x01;
			uint8_t xa[2] = { 0x0f, 0xc1 }, cx[2] = { 0x0f, 0xb1 };
			struct diff_form *f;

			f = add(t, "mov%s%s r,[m] %s", "", where[k].n, w);
			enc_rm(f, w, 0, &ld, 1, 2, 0, false);
			f->memptr = where[k].ptr;
			f = add(t, "mov%s%s [m],r %s", "", where[k].n, w);
			enc_rm(f, w, 0, &stv, 1, 6, 0, false);
			f->memptr = where[k].ptr;
			f = add(t, "add%s%s [m],r %s", "", where[k].n, w);
			enc_rm(f, w, 0, &ad, 1, 9, 0, false);
			f->memptr = where[k].ptr;
			f = add(t, "lock xadd%s%s [m],r %s", "", where[k].n, w);
			enc_rm(f, w, 0xf0, xa, 2, 1, 0, false);
			f->memptr = where[k].ptr;
			f = add(t, "cmpxchg%s%s [m],r %s", "", where[k].n, w);
			enc_rm(f, w, 0, cx, 2, 7, 0, false);
			f->memptr = where[k].ptr;
			f->tie_rax = k == 0;
		}
		{
			static const struct { const char *n; uint8_t pfx, op; } x[] = {
				{ "movdqu x,[m]", 0xf3, 0x6f }, { "movdqu [m],x", 0xf3, 0x7f },
				{ "movups x,[m]", 0, 0x10 }, { "movq [m],x", 0x66, 0xd6 },
			};
			for (int i = 0; i < 4; i++) {
				uint8_t o[2] = { 0x0f, x[i].op };
				struct diff_form *f = add(t, "%s%s %s", x[i].n, where[k].n, 8);

				snprintf(f->name, sizeof(f->name), "%s %s", x[i].n, where[k].n);
				enc_rm(f, 4, x[i].pfx, o, 2, 3, 0, false);
				f->memptr = where[k].ptr;
				f->kind = K_SSE_INT;
				f->feat = FEAT_SSE2;
			}
		}
	}
	{
		uint8_t o[2] = { 0x0f, 0x28 };
		struct diff_form *f = add(t, "movaps x,[m] misaligned%s%s", "", "", 8);

		enc_rm(f, 4, 0, o, 2, 4, 8, false);
		f->kind = K_SSE_PS;
		f = add(t, "movdqa [m],x misaligned%s%s", "", "", 8);
		o[1] = 0x7f;
		enc_rm(f, 4, 0x66, o, 2, 4, 4, false);
		f->kind = K_SSE_INT;
	}
	/* A push with RSP in an unmapped page: #PF at CPL 3, delivered on the
	 * TSS's RSP0 stack by the emulator, on the signal stack natively. */
	SEQ(t, "push to unmapped stack", 3, K_INT, ALL,
	    0x48, 0x89, 0xe0, 0x48, 0x8d, 0xa4, 0x24, 0x08, 0x11, 0x00, 0x00, 0x50);
	/* At CPL 0 the #PF frame goes to the same unmapped stack: #DF. */
	t->v[t->n - 1].user_only = true;
}

/* Reserved ModRM.reg values of group opcodes and other encodings that
 * decode with a length but must raise #UD when executed (SDM Vol. 2D
 * Table A-6 "Opcode Extensions"; declen counts them as "decoded only by
 * ringvm"). The host decides what is right: a CPU that runs one as a NOP
 * makes a mismatch that has to be looked at. */
static void forms_ud(struct diff_table *t)
{
	SEQM(t, "ud: c6 /1 [m],imm8", 1, K_INT, ALL, 0xc6, 0x0b, 0x00);
	SEQM(t, "ud: c7 /3 [m],imm32", 1, K_INT, ALL, 0xc7, 0x1b, 0, 0, 0, 0);
	SEQM(t, "ud: fe /2 [m]", 1, K_INT, ALL, 0xfe, 0x13);
	SEQM(t, "ud: fe /7 [m]", 1, K_INT, ALL, 0xfe, 0x3b);
	SEQM(t, "ud: ff /7 [m]", 1, K_INT, ALL, 0xff, 0x3b);
	SEQ(t, "ud: lea with a register operand", 1, K_INT, ALL, 0x8d, 0xc1);
	SEQ(t, "ud: mov r,sreg 6", 1, K_INT, ALL, 0x8c, 0xf0);
	SEQ(t, "ud: mov sreg 7,r", 1, K_INT, ALL, 0x8e, 0xf8);
	SEQ(t, "ud: mov cs,r", 1, K_INT, ALL, 0x8e, 0xc8);
	SEQM(t, "ud: 0f ba /2 [m],imm8", 1, K_INT, ALL, 0x0f, 0xba, 0x13, 0x05);
	SEQ(t, "ud: 66 0f 71 /0 x,imm8", 1, K_SSE_INT, ALL, 0x66, 0x0f, 0x71, 0xc1, 0x03);
	SEQ(t, "ud: 66 0f 73 /7 [m]", 1, K_SSE_INT, ALL, 0x66, 0x0f, 0x73, 0x3b, 0x03);
	SEQ(t, "ud: 66 0f d7 r,[m] (pmovmskb mem)", 1, K_SSE_INT, ALL, 0x66, 0x0f, 0xd7, 0x0b);
	SEQ(t, "ud: lock add r,r", 1, K_INT, ALL, 0xf0, 0x01, 0xd0);
	SEQM(t, "ud: lock cmp [m],r", 1, K_INT, ALL, 0xf0, 0x39, 0x13);
	SEQM(t, "ud: lock mov [m],r", 1, K_INT, ALL, 0xf0, 0x89, 0x13);
	SEQ(t, "ud: ud2", 1, K_INT, ALL, 0x0f, 0x0b);
	SEQ(t, "ud: aaa/daa (invalid in 64-bit mode)", 1, K_INT, ALL, 0x37);
	SEQ(t, "ud: push es (invalid in 64-bit mode)", 1, K_INT, ALL, 0x06);
	SEQ(t, "ud: cmpxchg8b reg", 1, K_INT, ALL, 0x0f, 0xc7, 0xc9);
}

void forms_int(struct diff_table *t)
{
	forms_alu(t);
	forms_unary(t);
	forms_shift(t);
	forms_bit(t);
	forms_move(t);
	forms_lea(t);
	forms_misc(t);
	forms_string(t);
	forms_cross(t);
	forms_ud(t);
}
