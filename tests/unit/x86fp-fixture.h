/* Shared by the FPU unit tests: a data buffer at the same layout on the
 * host and in the guest, a runner that executes instruction bytes natively
 * (copied into an executable page) and one that runs them in the emulator,
 * and value generators biased towards the IEEE edge cases. Include after
 * cmocka.h and x86emu-fixture.h. */
#ifndef RINGVM_TEST_X86FP_FIXTURE_H
#define RINGVM_TEST_X86FP_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Exception vectors (SDM Vol. 3A 6.3.1). */
enum { V_UD = 6, V_NM = 7, V_GP = 13, V_MF = 16, V_XM = 19 };

#define DATA 0x20000ULL   /* guest address of the shared data buffer */
#define BUFSZ 0x400

/* Buffer layout (both sides). */
#define O_A      0x00    /* x87: ST(1) input (tword); SSE: xmm0 input */
#define O_B      0x10    /* x87: ST(0) input; SSE: xmm1 input */
#define O_MEM    0x20    /* memory operand, 16 bytes, 16-aligned */
#define O_CW     0x40    /* FCW or MXCSR in */
#define O_MXOUT  0x44    /* MXCSR out */
#define O_FL     0x50    /* RFLAGS in */
#define O_RAX    0x58    /* RAX in */
#define O_FLOUT  0x60    /* RFLAGS out */
#define O_RAXOUT 0x68    /* RAX out */
#define O_XOUT   0x70    /* xmm0 out */
#define O_SAVE   0x100   /* FNSAVE image (108 bytes) */
#define MXCSR_DAZ_T 0x40

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* --- native execution ----------------------------------------------------- */

static uint8_t *xpage;

static void native_run(const uint8_t *body, size_t n, uint8_t *buf)
{
	size_t k = 0;
	uint32_t mx;

	if (!xpage) {
		xpage = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(xpage != MAP_FAILED);
	}
	xpage[k++] = 0x53;                                      /* push rbx */
	xpage[k++] = 0x48; xpage[k++] = 0x89; xpage[k++] = 0xfb; /* mov rbx, rdi */
	memcpy(xpage + k, body, n);
	k += n;
	xpage[k++] = 0x5b;                                      /* pop rbx */
	xpage[k++] = 0xc3;                                      /* ret */
	asm volatile("stmxcsr %0" : "=m"(mx));
	((void (*)(void *))(void *)xpage)(buf);
	asm volatile("ldmxcsr %0" : : "m"(mx));
}

/* --- emulated execution ------------------------------------------------------ */

static struct tvm *tv;

static void set_cr(uint64_t cr0_set, uint64_t cr0_clr, uint64_t cr4_set, uint64_t cr4_clr)
{
	struct vcpu_sregs s = t_sregs(tv);
	s.cr0 = (s.cr0 | cr0_set) & ~cr0_clr;
	s.cr4 = (s.cr4 | cr4_set) & ~cr4_clr;
	x86emu_set_sregs(tv->cpu, &s);
}

static int setup(void **state)
{
	const char *seed = getenv("FP_SEED");   /* reproduce/extend runs */

	(void)state;
	if (seed)
		rng = strtoull(seed, NULL, 0) | 1;
	tv = t_new();
	assert_non_null(tv);
	t_long_mode(tv, 0);
	set_cr(0, 0, 0x600, 0);   /* OSFXSR, OSXMMEXCPT */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	t_free(tv);
	return 0;
}

/* Run body followed by HLT at T_CODE with RBX = DATA. Returns the RIP after
 * the stop: T_CODE + n + 1 when it completed, t_handler_done(v) when
 * vector v was raised. */
static uint64_t emu_run(const uint8_t *body, size_t n)
{
	struct vcpu_regs r;

	t_code(tv, T_CODE, body, n);
	t_w8(tv, T_CODE + n, 0xf4);
	x86emu_invalidate(tv->cpu, T_CODE, 4096);
	r = t_regs(tv);
	r.rip = T_CODE;
	r.rbx = DATA;
	r.rsp = T_KSTACK - 0x100;
	r.rflags = 2;
	x86emu_set_regs(tv->cpu, &r);
	assert_int_equal(x86emu_run(tv->cpu, 1000), X86EMU_HLT);
	return t_regs(tv).rip;
}

static uint8_t *emu_buf(void)
{
	return tv->mem + DATA;
}

/* Build prologue + insn + epilogue into out. */
static size_t build(uint8_t *out, const uint8_t *pro, size_t np, const uint8_t *insn, size_t ni,
		    const uint8_t *epi, size_t ne)
{
	memcpy(out, pro, np);
	if (ni)
		memcpy(out + np, insn, ni);
	if (ne)
		memcpy(out + np + ni, epi, ne);
	return np + ni + ne;
}

/* --- value generators ----------------------------------------------------- */

static void gen_ld(uint8_t *p)
{
	uint64_t m = rnd();
	uint16_t se;
	unsigned sign = (rnd() & 1) << 15;

	switch (rnd() % 16) {
	case 0: m = 0; se = 0; break;                                   /* zero */
	case 1: m &= ~(1ULL << 63); se = 0; break;                      /* denormal */
	case 2: m |= 1ULL << 63; se = 0; break;                         /* pseudo-denormal */
	case 3: m = 1ULL << 63; se = 0x7fff; break;                     /* inf */
	case 4: m |= 3ULL << 62; se = 0x7fff; break;                    /* QNaN */
	case 5: m = (m & ~(3ULL << 62)) | (1ULL << 63) | 1; se = 0x7fff; break; /* SNaN */
	case 6: m &= ~(1ULL << 63); se = (uint16_t)(1 + rnd() % 0x7ffe); break; /* unnormal */
	case 7: se = 1; m |= 1ULL << 63; break;                         /* tiny */
	case 8: se = 0x7ffe; m |= 1ULL << 63; break;                    /* huge */
	case 9: {                                                       /* small integer */
		long double v = (long double)(int)(rnd() % 2001 - 1000);
		memcpy(p, &v, 10);
		return;
	}
	case 10: se = (uint16_t)(0x3fff + 62 + rnd() % 3); m |= 1ULL << 63; break; /* ~2^63 */
	case 11: se = (uint16_t)(0x3fff - 70 + rnd() % 140); m |= 1ULL << 63;
		m &= ~0xffffffffffULL; break;                            /* short mantissa */
	case 12: se = (uint16_t)(0x3f00 + rnd() % 0x200); m |= 1ULL << 63; break;
	default: se = (uint16_t)(0x3fff - 20 + rnd() % 40); m |= 1ULL << 63; break;
	}
	se |= (uint16_t)sign;
	memcpy(p, &m, 8);
	memcpy(p + 8, &se, 2);
}

static uint32_t gen_f32(void)
{
	uint32_t s = (uint32_t)(rnd() & 1) << 31, m = (uint32_t)rnd() & 0x7fffff;
	switch (rnd() % 12) {
	case 0: return s;
	case 1: return s | (m ? m : 1);                         /* denormal */
	case 2: return s | 0x7f800000;                          /* inf */
	case 3: return s | 0x7fc00000 | m;                      /* QNaN */
	case 4: return s | 0x7f800000 | ((m & 0x3fffff) | 1);   /* SNaN */
	case 5: return s | 0x00800000 | m;                      /* smallest normals */
	case 6: return s | 0x7f000000 | m;                      /* huge */
	case 7: return s | (uint32_t)(0x3f800000 + (rnd() % 64) * 0x800000) | (m & 0x7f0000);
	case 8: return s | (uint32_t)(0x4e800000 + (rnd() % 4) * 0x800000) | m; /* ~2^31..2^64 */
	default: return s | (uint32_t)((100 + rnd() % 56) << 23) | m;
	}
}

static uint64_t gen_f64(void)
{
	uint64_t s = (rnd() & 1) << 63, m = rnd() & 0xfffffffffffffULL;
	switch (rnd() % 12) {
	case 0: return s;
	case 1: return s | (m ? m : 1);
	case 2: return s | 0x7ff0000000000000ULL;
	case 3: return s | 0x7ff8000000000000ULL | m;
	case 4: return s | 0x7ff0000000000000ULL | ((m & 0x7ffffffffffffULL) | 1);
	case 5: return s | 0x0010000000000000ULL | m;
	case 6: return s | 0x7fe0000000000000ULL | m;
	case 7: return s | ((0x3ffULL + rnd() % 64) << 52) | (m & 0xff00000000000ULL);
	case 8: return s | ((0x3ffULL + 30 + rnd() % 35) << 52) | m;   /* ~2^31..2^64 */
	case 9: return s | ((0x380ULL + rnd() % 8) << 52) | m;          /* float denormal range */
	default: return s | ((0x3ffULL - 60 + rnd() % 120) << 52) | m;
	}
}

enum vk { V_INT, V_PS, V_PD };

static void gen_xmm(uint8_t *p, int kind)
{
	for (int k = 0; k < 4; k++) {
		uint32_t v;
		if (kind == V_PS)
			v = gen_f32();
		else if (kind == V_PD) {
			uint64_t q = gen_f64();
			memcpy(p + 8 * (k / 2), &q, 8);
			k++;
			continue;
		} else {
			switch (rnd() % 4) {
			case 0: v = 0; break;
			case 1: v = 0xffffffffu; break;
			case 2: v = 0x80008080u ^ ((uint32_t)rnd() & 0x01010101u); break;
			default: v = (uint32_t)rnd(); break;
			}
		}
		memcpy(p + 4 * k, &v, 4);
	}
}

#endif
