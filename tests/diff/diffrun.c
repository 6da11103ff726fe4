/* diffrun: run every instruction form with random, edge-biased inputs on the
 * host CPU and in ringvm's emulator, and compare the architectural results.
 *
 *   diffrun [-s seed] [-n cases-per-form] [-f name-filter] [-m max-printed] [-l] [-k]
 *
 * -k runs the emulated side at CPL 0 (the host side is always user mode):
 * the user-level instructions must behave the same, and the emulator's
 * supervisor paths (page walks, exception delivery without a stack switch)
 * get exercised too.
 *
 * Closing line: "diff: N forms, M cases, K mismatches"; exit status 1 when
 * K > 0, 2 when the harness itself is broken. */
#include <cpuid.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ringvm/x86emu.h"
#include "diff.h"

static const char *const gpr_name[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* --- random inputs --- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: deterministic for a given seed on every host. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t wmask(int w)
{
	return w >= 8 ? ~0ULL : (1ULL << (w * 8)) - 1;
}

/* A value whose low w bytes are an edge case most of the time, with random
 * bits above them (they must be preserved or zeroed per the width rules). */
static uint64_t gen_val(int w)
{
	uint64_t m = wmask(w), sign = 1ULL << (w * 8 - 1), v;

	switch (rnd() % 16) {
	case 0: v = 0; break;
	case 1: v = 1; break;
	case 2: v = ~0ULL; break;
	case 3: v = sign; break;
	case 4: v = sign - 1; break;
	case 5: v = sign + 1; break;
	case 6: v = rnd() % 17; break;
	case 7: v = -(rnd() % 17); break;
	case 8: v = rnd() >> (rnd() % 64); break;
	case 9: v = 0x8000000000000000ULL >> (rnd() % 64); break;
	default: return rnd();
	}
	return (rnd() & ~m) | (v & m);
}

/* Shift/rotate counts: the first 71 cases of a form sweep 0..70 (every
 * masking boundary for 8..64-bit operands is seen), later ones are random. */
static unsigned cur_case;

static uint8_t gen_count(void)
{
	if (cur_case < 71)
		return (uint8_t)cur_case;
	return rnd() % 5 ? (uint8_t)(rnd() % 71) : (uint8_t)rnd();
}

static uint32_t fedge32(void)
{
	static const uint32_t e[] = {
		0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000,
		0xc0200000, 0x3f000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
		0x7f800001, 0x7fa00000, 0x00000001, 0x007fffff, 0x00800000, 0x7f7fffff,
		0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000, 0x4effffff, 0x3eaaaaab,
	};
	uint32_t r = (uint32_t)rnd();

	switch (rnd() % 4) {
	case 0: return e[rnd() % (sizeof(e) / sizeof(e[0]))];
	case 1: { float f = (float)((int32_t)r >> (rnd() % 31)) / (float)(1 + rnd() % 64);
		  memcpy(&r, &f, 4); return r; }
	default: return r;
	}
}

static uint64_t fedge64(void)
{
	static const uint64_t e[] = {
		0x0000000000000000ULL, 0x8000000000000000ULL, 0x3ff0000000000000ULL,
		0xbff0000000000000ULL, 0x3ff8000000000000ULL, 0x4004000000000000ULL,
		0xc004000000000000ULL, 0x3fe0000000000000ULL, 0x7ff0000000000000ULL,
		0xfff0000000000000ULL, 0x7ff8000000000000ULL, 0xfff8000000000000ULL,
		0x7ff0000000000001ULL, 0x7ff4000000000000ULL, 0x0000000000000001ULL,
		0x000fffffffffffffULL, 0x0010000000000000ULL, 0x7fefffffffffffffULL,
		0x41e0000000000000ULL, 0xc1e0000000000000ULL, 0x43e0000000000000ULL,
		0xc3e0000000000000ULL, 0x41dfffffffc00000ULL, 0x3fd5555555555555ULL,
		0x41dfffffffe00000ULL, 0xc1e0000000100000ULL,
	};
	uint64_t r = rnd();

	switch (rnd() % 4) {
	case 0: return e[rnd() % (sizeof(e) / sizeof(e[0]))];
	case 1: { double d = (double)((int64_t)r >> (rnd() % 63)) / (double)(1 + rnd() % 64);
		  memcpy(&r, &d, 8); return r; }
	default: return r;
	}
}

/* MXCSR (SDM Vol. 1 10.2.3): rounding control, FTZ, DAZ, mostly all
 * exceptions masked, some sticky flags already set. */
static uint32_t gen_mxcsr(void)
{
	uint32_t m = (uint32_t)(rnd() % 4) << 13;

	if (rnd() % 4 == 0)
		m |= 1u << 15;                  /* FTZ */
	if (rnd() % 4 == 0)
		m |= 1u << 6;                   /* DAZ */
	m |= rnd() % 8 ? 0x1f80 : (uint32_t)(rnd() & 0x1f80);
	if (rnd() % 2)
		m |= (uint32_t)(rnd() & 0x3f);
	return m;
}

/* Byte registers >= 16 stand for AH..BH (16 + 4..7). */
static void set_reg(struct diff_state *st, int r, int w, uint64_t v)
{
	if (r >= 16) {
		int base = r - 16 - 4;
		st->gpr[base] = (st->gpr[base] & ~0xff00ULL) | ((v & 0xff) << 8);
	} else {
		st->gpr[r] = (st->gpr[r] & ~wmask(w)) | (v & wmask(w));
	}
}

static uint64_t get_reg(const struct diff_state *st, int r)
{
	if (r >= 16)
		return (st->gpr[r - 16 - 4] >> 8) & 0xff;
	return st->gpr[r];
}

static void put(uint8_t *data, uint64_t va, const void *src, int len)
{
	memcpy(data + (va - DIFF_DATA_VA), src, len);
}

static void gen_case(const struct diff_form *f, uint8_t *code, struct diff_state *st,
		     uint8_t *data)
{
	int w = f->width > 8 ? 8 : f->width ? f->width : 8;

	memset(st, 0, sizeof(*st));
	for (int i = 0; i < 16; i++)
		st->gpr[i] = gen_val(rnd() % 2 ? w : 8);
	st->gpr[4] = DIFF_RSP;
	st->rflags = (rnd() & DF_ARITH) | (rnd() % 2 ? DF_DF : 0) | 0x2;
	st->mxcsr = 0x1f80;
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 2; j++) {
			uint64_t v = gen_val(8);
			memcpy(&st->xmm[i][j * 8], &v, 8);
		}
	memset(data, 0, DIFF_DATA_LEN);
	for (int o = DIFF_WIN_LO; o < DIFF_WIN_HI; o += 8) {
		uint64_t v = rnd() % 4 ? rnd() : gen_val(8);
		memcpy(data + o, &v, 8);
	}
	memcpy(code, f->code, f->len);

	switch (f->kind) {
	case K_SHIFT:
		set_reg(st, 1, 1, gen_count());
		break;
	case K_DIV: {
		uint64_t d = gen_val(w), lo = gen_val(w), hi;
		int hreg = w == 1 ? 16 + 4 : 2;   /* AH or RDX */

		if ((d & wmask(w)) == 0 && rnd() % 8)
			d |= 1 + rnd() % 7;
		switch (rnd() % 4) {
		case 0: hi = 0; break;
		case 1: hi = (lo >> (w * 8 - 1)) & 1 ? ~0ULL : 0; break;  /* sign of lo */
		case 2: hi = (d & wmask(w)) ? rnd() % (d & wmask(w)) : 0; break;
		default: hi = gen_val(w); break;
		}
		set_reg(st, 0, w, lo);
		set_reg(st, hreg, w, hi);
		if (f->aux == 0xff)
			put(data, DIFF_MEMPTR, &d, w);
		else
			set_reg(st, f->aux, w, d);
		break;
	}
	case K_STRING:
		st->gpr[6] = DIFF_DATA_VA + 0x700 + rnd() % 0x100;   /* RSI */
		st->gpr[7] = DIFF_DATA_VA + 0x800 + rnd() % 0x100;   /* RDI */
		st->gpr[1] = rnd() % 10;                              /* RCX */
		if (rnd() % 2) {
			/* Mostly-equal buffers so REPE/REPNE stop in the middle. */
			memset(data + DIFF_WIN_LO, 0, DIFF_WIN_HI - DIFF_WIN_LO);
			for (int i = 0; i < 4; i++)
				data[DIFF_WIN_LO + rnd() % (DIFF_WIN_HI - DIFF_WIN_LO)] = (uint8_t)rnd();
			if (rnd() % 2)
				st->gpr[0] &= ~0xffffffffULL;
		}
		break;
	case K_BITOFF: {
		int64_t off = (int64_t)(rnd() % 4000) - 2000;
		set_reg(st, f->aux, w, (uint64_t)off);
		break;
	}
	case K_SSE_INT:
		for (int i = 0; i < 16; i++)
			for (int j = 0; j < 4; j++) {
				uint32_t v = (uint32_t)gen_val(4);
				memcpy(&st->xmm[i][j * 4], &v, 4);
			}
		break;
	case K_SSE_PS:
		st->mxcsr = gen_mxcsr();
		for (int i = 0; i < 16; i++)
			for (int j = 0; j < 4; j++) {
				uint32_t v = fedge32();
				memcpy(&st->xmm[i][j * 4], &v, 4);
			}
		for (int o = DIFF_WIN_LO; o < DIFF_WIN_HI; o += 4) {
			uint32_t v = fedge32();
			memcpy(data + o, &v, 4);
		}
		break;
	case K_SSE_PD:
		st->mxcsr = gen_mxcsr();
		for (int i = 0; i < 16; i++)
			for (int j = 0; j < 2; j++) {
				uint64_t v = fedge64();
				memcpy(&st->xmm[i][j * 8], &v, 8);
			}
		for (int o = DIFF_WIN_LO; o < DIFF_WIN_HI; o += 8) {
			uint64_t v = fedge64();
			memcpy(data + o, &v, 8);
		}
		break;
	case K_X87: {
		uint64_t a = fedge64(), b = fedge64();
		uint32_t i1 = (uint32_t)gen_val(4), i2 = (uint32_t)gen_val(4);
		/* Control word (SDM Vol. 1 8.1.5): all exceptions masked, random
		 * rounding control, and usually 64-bit precision. */
		uint16_t cw = (uint16_t)(0x003f | (rnd() % 4) << 10 |
					 (rnd() % 8 ? 3u : rnd() % 4) << 8);

		put(data, DIFF_MEMPTR, &a, 8);
		put(data, DIFF_MEMPTR + 8, &b, 8);
		put(data, DIFF_MEMPTR + 24, &i1, 4);
		put(data, DIFF_MEMPTR + 28, &i2, 4);
		put(data, DIFF_MEMPTR + 32, &cw, 2);
		break;
	}
	case K_POPF:
		st->gpr[0] = (rnd() & (DF_ARITH | DF_DF)) | (rnd() % 2 ? DF_ID : 0);
		break;
	default:
		break;
	}
	if (f->mem)
		st->gpr[3] = f->memptr ? f->memptr : DIFF_MEMPTR;
	if (f->tie_rax && rnd() % 2) {
		uint64_t v;
		if (f->aux == 0xff)
			memcpy(&v, data + (st->gpr[3] - DIFF_DATA_VA), 8);
		else
			v = get_reg(st, f->aux);
		set_reg(st, 0, w, v);
	}
	if (f->imm_off >= 0) {
		uint64_t v = 0;
		switch (f->imm_kind) {
		case IMM_RAND: v = gen_val(f->imm_len); break;
		case IMM_COUNT: v = gen_count(); break;
		case IMM_CMP: v = rnd() % 8; break;
		case IMM_BYTE: v = rnd() % 2 ? rnd() % 70 : rnd(); break;
		}
		for (int i = 0; i < f->imm_len; i++)
			code[f->imm_off + i] = (uint8_t)(v >> (8 * i));
	}
	/* SHLD/SHRD with a count above a 16-bit operand's size leave the
	 * destination undefined (SDM Vol. 2B SHLD): keep counts <= 16. */
	if (f->fmask == FM_SHLD && f->width == 2) {
		uint8_t c = f->count_cl ? (uint8_t)st->gpr[1] : code[f->imm_off];
		while ((c & 31) > 16)
			c = (uint8_t)((c & 0xe0) | rnd() % 17);
		if (f->count_cl)
			set_reg(st, 1, 1, c);
		else
			code[f->imm_off] = c;
	}
}

/* Flags compared for this case. Group 2 (SDM Vol. 2B SAL/SAR/SHL/SHR and
 * RCL/RCR/ROL/ROR "Flags Affected"): a masked count of 0 affects nothing;
 * OF only for a count of 1; AF undefined for shifts; CF undefined for
 * SHL/SHR when the count is >= the operand size; rotates touch only CF/OF. */
static uint32_t case_fdef(const struct diff_form *f, const uint8_t *code,
			  const struct diff_state *st)
{
	unsigned count, c, bits = f->width * 8u;

	if (f->fmask == FM_FIXED)
		return f->fdef;
	if (f->count_cl)
		count = st->gpr[1] & 0xff;
	else if (f->imm_off >= 0)
		count = code[f->imm_off];
	else
		count = 1;
	c = count & (f->width == 8 ? 63 : 31);
	if (c == 0)
		return DF_ARITH;
	if (f->fmask == FM_SHLD)
		return DF_CF | DF_PF | DF_ZF | DF_SF | (c == 1 ? DF_OF : 0);
	switch (f->fm_op) {
	case 0: case 1: case 2: case 3:
		return DF_ARITH & ~(c == 1 ? 0 : DF_OF);
	default: {
		uint32_t m = DF_PF | DF_ZF | DF_SF | DF_CF | (c == 1 ? DF_OF : 0);
		if ((f->fm_op == 4 || f->fm_op == 5) && c >= bits)
			m &= ~DF_CF;
		return m;
	}
	}
}

/* --- CPU features --- */

static bool feat_has(int feat, bool host, struct x86emu *emu)
{
	uint32_t r[4] = { 0 };   /* eax ebx ecx edx */
	uint32_t leaf, sub = 0, bit;
	int reg;

	switch (feat) {
	case FEAT_POPCNT: leaf = 1; reg = 2; bit = 23; break;
	case FEAT_MOVBE: leaf = 1; reg = 2; bit = 22; break;
	case FEAT_CX16: leaf = 1; reg = 2; bit = 13; break;
	case FEAT_SSE2: leaf = 1; reg = 3; bit = 26; break;
	case FEAT_LZCNT: leaf = 0x80000001; reg = 2; bit = 5; break;
	case FEAT_LAHF: leaf = 0x80000001; reg = 2; bit = 0; break;
	case FEAT_BMI1: leaf = 7; reg = 1; bit = 3; break;
	default: return true;
	}
	if (host)
		__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
	else
		x86emu_cpuid(emu, leaf, sub, r);
	return (r[reg] >> bit) & 1;
}

/* --- comparison and reporting --- */

struct run_opts {
	uint64_t seed;
	unsigned cases;
	const char *filter;
	unsigned max_print;
	bool list;
	bool kernel;   /* run the emulated side at CPL 0 */
	bool block;    /* each form as one whole block: translated (jit.c) */
};

static unsigned printed;

static void hex(const char *tag, const uint8_t *b, int n)
{
	printf("%s", tag);
	for (int i = 0; i < n; i++)
		printf(" %02x", b[i]);
	printf("\n");
}

static void dump_inputs(const struct diff_form *f, const uint8_t *code,
			const struct diff_state *in, const uint8_t *data)
{
	hex("  code:", code, f->len);
	printf("  in:");
	for (int i = 0; i < 16; i++)
		printf("%s %s=%016" PRIx64, i % 4 == 0 ? "\n   " : "", gpr_name[i], in->gpr[i]);
	printf("\n    rflags=%#" PRIx64 " mxcsr=%#x\n", in->rflags, in->mxcsr);
	if ((f->mem && (!f->memptr || (f->memptr >= DIFF_DATA_VA &&
					f->memptr + 40 <= DIFF_DATA_VA + DIFF_DATA_LEN))) ||
	    f->kind == K_STRING)
		hex("    mem[rbx..+40]:", data + (in->gpr[3] - DIFF_DATA_VA), 40);
	if (f->kind >= K_SSE_INT && f->kind <= K_SSE_PD)
		for (int i = 0; i < 16; i++) {
			uint64_t q[2];
			memcpy(q, in->xmm[i], 16);
			printf("%s xmm%-2d=%016" PRIx64 "_%016" PRIx64, i % 2 ? "" : "\n   ", i,
			       q[1], q[0]);
		}
	if (f->kind >= K_SSE_INT && f->kind <= K_SSE_PD)
		printf("\n");
}

/* Returns the number of differences found (0 = match). */
static int compare(const struct diff_form *f, const uint8_t *code, int casen,
		   const struct diff_state *in, const uint8_t *data_in,
		   int vn, const struct diff_state *n, const uint8_t *ndata, const uint8_t *nstack,
		   int ve, const struct diff_state *e, uint64_t erip, uint64_t efault_rip,
		   const uint8_t *edata, const uint8_t *estack, unsigned max_print, bool kernel)
{
	char why[16][160];
	int nw = 0;
	uint32_t fm = case_fdef(f, code, in) | DF_DF;

#define WHY(...) do { if (nw < 16) snprintf(why[nw], sizeof(why[0]), __VA_ARGS__); nw++; } while (0)
	if (vn != ve) {
		WHY("exception: native %d, emulator %d (-1 none, 256 shutdown, 257 runaway, 258 stray hlt)",
		    vn, ve);
	} else {
		for (int i = 0; i < 16; i++) {
			if (vn >= 0 && i == 4)
				continue;   /* emulator RSP is on its exception stack */
			if (n->gpr[i] != e->gpr[i])
				WHY("%s: native %016" PRIx64 " emu %016" PRIx64, gpr_name[i],
				    n->gpr[i], e->gpr[i]);
		}
		if (vn < 0) {
			if ((n->rflags ^ e->rflags) & fm)
				WHY("rflags (mask %#x): native %#" PRIx64 " emu %#" PRIx64, fm,
				    n->rflags & fm, e->rflags & fm);
			if (erip != DIFF_CODE_VA + f->len)
				WHY("rip: expected %#" PRIx64 " emu %#" PRIx64,
				    (uint64_t)(DIFF_CODE_VA + f->len), erip);
		} else if (n->rip != efault_rip) {
			WHY("faulting rip: native %#" PRIx64 " emu %#" PRIx64, n->rip, efault_rip);
		}
		if (n->mxcsr != e->mxcsr)
			WHY("mxcsr: native %#x emu %#x", n->mxcsr, e->mxcsr);
		for (int i = 0; i < 16; i++)
			if (memcmp(n->xmm[i], e->xmm[i], 16)) {
				uint64_t a[2], b[2], c[2];
				memcpy(a, n->xmm[i], 16); memcpy(b, e->xmm[i], 16);
				memcpy(c, in->xmm[i], 16);
				WHY("xmm%d: native %016" PRIx64 "_%016" PRIx64 " emu %016" PRIx64
				    "_%016" PRIx64 " (in %016" PRIx64 "_%016" PRIx64 ")", i,
				    a[1], a[0], b[1], b[0], c[1], c[0]);
			}
		for (int o = 0; o < DIFF_DATA_LEN; o++)
			if (ndata[o] != edata[o]) {
				int s = o & ~7;
				uint64_t a, b;
				memcpy(&a, ndata + s, 8); memcpy(&b, edata + s, 8);
				WHY("mem[%#" PRIx64 "]: native %016" PRIx64 " emu %016" PRIx64,
				    (uint64_t)(DIFF_DATA_VA + s), a, b);
				break;
			}
		/* At CPL 0 an exception frame lands on the guest's own stack
		 * (no stack switch, SDM Vol. 3A 6.14.2); natively it does not. */
		for (int o = 0; o < 0x1000 && !(kernel && vn >= 0); o++)
			if (nstack[o] != estack[o]) {
				int s = o & ~7;
				uint64_t a, b;
				memcpy(&a, nstack + s, 8); memcpy(&b, estack + s, 8);
				WHY("stack[%#" PRIx64 "]: native %016" PRIx64 " emu %016" PRIx64,
				    (uint64_t)(DIFF_STACK_VA + s), a, b);
				break;
			}
	}
#undef WHY
	if (nw && printed < max_print) {
		printed++;
		printf("MISMATCH %s (case %d):\n", f->name, casen);
		dump_inputs(f, code, in, data_in);
		for (int i = 0; i < nw && i < 16; i++)
			printf("  %s\n", why[i]);
	}
	return nw;
}

/* The trampoline must hand back exactly what it was given around a NOP;
 * if it does not, every result below would be noise. */
static int selftest(void)
{
	static uint8_t data_in[DIFF_DATA_LEN], stack_in[0x1000];
	struct diff_form f = { .name = "nop", .code = { 0x90 }, .len = 1, .width = 8 };
	uint8_t code[64];
	struct diff_state in, out;

	cur_case = ~0u;
	for (int k = 0; k < 100; k++) {
		gen_case(&f, code, &in, data_in);
		in.mxcsr = gen_mxcsr() | 0x1f80;
		if (native_run(code, 1, &in, &out, native_data(), data_in, native_stack(),
			       stack_in) != -1)
			return -1;
		if (memcmp(in.gpr, out.gpr, sizeof(in.gpr)) || memcmp(in.xmm, out.xmm, sizeof(in.xmm)) ||
		    in.mxcsr != out.mxcsr || ((in.rflags ^ out.rflags) & (DF_ARITH | DF_DF)))
			return -1;
	}
	/* And a fault must come back as its vector: DIV by zero is #DE. */
	{
		struct diff_form d = { .name = "div", .code = { 0x48, 0xf7, 0xf1 }, .len = 3, .width = 8 };
		gen_case(&d, code, &in, data_in);
		in.gpr[1] = 0;
		if (native_run(code, 3, &in, &out, native_data(), data_in, native_stack(),
			       stack_in) != 0 || out.rip != DIFF_CODE_VA)
			return -1;
	}
	return 0;
}

/* Every form has a time limit: a hang on either side (a form that loops
 * natively, or an emulator that never returns from x86emu_run) must end the
 * run with a message, not stall the test suite. */
#define FORM_TIMEOUT_S 120
static const char *cur_form;

static void on_alarm(int sig)
{
	static const char msg[] = "diffrun: TIMEOUT in form ";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0 || write(2, cur_form, strlen(cur_form)) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(2);
	_exit(2);
}

static void copy_in(struct sandbox *s, uint64_t va, const uint8_t *src, int len)
{
	for (int o = 0; o < len; o += 0x1000)
		memcpy(sandbox_ptr(s, va + o), src + o, 0x1000);
}

static void copy_out(struct sandbox *s, uint64_t va, uint8_t *dst, int len)
{
	for (int o = 0; o < len; o += 0x1000)
		memcpy(dst + o, sandbox_ptr(s, va + o), 0x1000);
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	int opt;

	o->seed = 0x5eed1234;
	o->cases = 1000;
	o->filter = NULL;
	o->max_print = 20;
	o->list = false;
	o->kernel = false;
	o->block = false;
	while ((opt = getopt(argc, argv, "s:n:f:m:lkbh")) != -1) {
		switch (opt) {
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		case 'n': o->cases = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'f': o->filter = optarg; break;
		case 'm': o->max_print = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'l': o->list = true; break;
		case 'k': o->kernel = true; break;
		case 'b': o->block = true; break;
		default:
			fprintf(stderr, "usage: %s [-s seed] [-n cases-per-form] [-f filter] "
				"[-m max-printed] [-l] [-k] [-b]\n", argv[0]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t data_in[DIFF_DATA_LEN], stack_in[0x1000];
	static uint8_t edata[DIFF_DATA_LEN], estack[0x1000];
	struct diff_table t = { 0 };
	struct run_opts o;
	struct sandbox *sb;
	unsigned long nforms = 0, ncases = 0, nmis = 0, nskip = 0;
	unsigned *per_form;
	struct timespec t0, t1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	/* Translate every block on its first run (read once, at the first
	 * x86emu_run()). */
	if (o.block)
		setenv("RINGVM_JIT_HOT", "1", 1);
	forms_int(&t);
	forms_sse(&t);
	if (o.list) {
		for (size_t i = 0; i < t.n; i++) {
			printf("%4zu %-40s\t", i, t.v[i].name);
			hex("", t.v[i].code, t.v[i].len);
		}
		return 0;
	}
	per_form = calloc(t.n, sizeof(*per_form));
	rng_state = o.seed;
	if (!per_form || native_init() < 0)
		return 2;
	if (selftest() < 0) {
		fprintf(stderr, "diffrun: native trampoline self-test failed\n");
		return 2;
	}
	sb = sandbox_new(!o.kernel);
	if (!sb) {
		fprintf(stderr, "diffrun: cannot create the emulated sandbox\n");
		return 2;
	}
	{
		/* On the alternate stack: the alarm may hit while a form runs
		 * natively on its small stack. */
		struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_ONSTACK };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t fi = 0; fi < t.n; fi++) {
		const struct diff_form *f = &t.v[fi];

		if ((o.filter && !strstr(f->name, o.filter)) || (o.kernel && f->user_only))
			continue;
		if (!feat_has(f->feat, true, NULL) || !feat_has(f->feat, false, sandbox_emu(sb))) {
			printf("skip %s: CPUID feature %d missing on the %s\n", f->name, f->feat,
			       feat_has(f->feat, true, NULL) ? "emulator" : "host");
			nskip++;
			continue;
		}
		nforms++;
		cur_form = f->name;
		alarm(FORM_TIMEOUT_S);
		/* Per-form seed: a form's cases do not depend on which forms
		 * ran before it (so -f reproduces a full run's cases). */
		rng_state = o.seed ^ (0x9e3779b97f4a7c15ULL * (fi + 1));
		for (unsigned k = 0; k < o.cases; k++) {
			uint8_t code[64];
			struct diff_state in, n, e;
			uint64_t erip, frip = 0;
			int vn, ve;

			cur_case = k;
			gen_case(f, code, &in, data_in);
			vn = native_run(code, f->len, &in, &n, native_data(), data_in,
					native_stack(), stack_in);
			/* Same bytes, exit jump included, on the guest side. */
			memcpy(sandbox_ptr(sb, DIFF_CODE_VA), (uint8_t *)DIFF_CODE_VA, f->len + 14);
			x86emu_invalidate(sandbox_emu(sb), DIFF_CODE_VA, 0x1000);
			copy_in(sb, DIFF_DATA_VA, data_in, DIFF_DATA_LEN);
			copy_in(sb, DIFF_STACK_VA, stack_in, 0x1000);
			sandbox_load(sb, &in, DIFF_CODE_VA);
			ve = o.block ? sandbox_run_block(sb, f->ninsn, DIFF_CODE_VA + f->len)
				     : sandbox_run(sb, f->ninsn, DIFF_CODE_VA + f->len);
			sandbox_save(sb, &e, &erip);
			if (ve >= 0 && ve < 256)
				frip = sandbox_fault_rip(sb, ve);
			copy_out(sb, DIFF_DATA_VA, edata, DIFF_DATA_LEN);
			copy_out(sb, DIFF_STACK_VA, estack, 0x1000);
			ncases++;
			if (compare(f, code, (int)k, &in, data_in, vn, &n, native_data(), native_stack(),
				    ve, &e, erip, frip, edata, estack, o.max_print, o.kernel)) {
				nmis++;
				per_form[fi]++;
				/* A wild emulator write may have hit the system
				 * pages: start the next case from a clean guest. */
				sandbox_free(sb);
				sb = sandbox_new(!o.kernel);
				if (!sb)
					return 2;
			}
		}
	}
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (nmis) {
		printf("forms with mismatches (mismatched/cases):\n");
		for (size_t fi = 0; fi < t.n; fi++)
			if (per_form[fi])
				printf("  %-44s %u/%u\n", t.v[fi].name, per_form[fi], o.cases);
	}
	printf("diff: seed %#" PRIx64 ", CPL %d, %lu skipped, %.1f s\n", o.seed, o.kernel ? 0 : 3, nskip,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("diff: %lu forms, %lu cases, %lu mismatches\n", nforms, ncases, nmis);
	sandbox_free(sb);
	free(per_form);
	free(t.v);
	return nmis ? 1 : 0;
}
