/* Integer ALU: results and flags of the software CPU's handlers.
 *
 * Two kinds of checks:
 *  - hand-computed edge cases from the SDM's flag definitions (these hold
 *    on any host);
 *  - a sweep that runs the very same instruction bytes on the host CPU
 *    (this file is built for x86-64 hosts) and compares registers and every
 *    flag the SDM defines for that instruction.
 * Only register operands are used, so no guest memory is involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cpuid.h>
#include <cmocka.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/isa.h"

static struct x86_cpu *cpu;

static int setup(void **state)
{
	(void)state;
	cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return -1;
	x86_optab_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(cpu);
	return 0;
}

static void cpu_reset64(struct x86_cpu *c)
{
	memset(c->r, 0, sizeof(c->r));
	c->rflags = 2;
	c->lf.op = LF_NONE;
	c->mode = MODE_LONG;
	c->code_size = 8;
	c->stack_size = 8;
	c->rip = 0x1000;
}

/* Decode and run one instruction; returns the exception vector or -1.
 * special: use the decode cache's specialised handler (fast.c) when there
 * is one, as the run loop does. */
static int exec_as(struct x86_cpu *c, const uint8_t *b, int n, bool special)
{
	struct x86_insn i;
	int r = x86_decode(b, n, 8, &i);

	if (r != n)
		fail_msg("decode of %d bytes returned %d", n, r);
	if (special)
		x86_specialize(&i, 8);
	c->insn_rip = c->rip;
	c->rip += (uint64_t)r;
	if (setjmp(c->fault_jmp))
		return c->exc_vec;
	i.fn(c, &i);
	return -1;
}

static int exec(struct x86_cpu *c, const uint8_t *b, int n)
{
	return exec_as(c, b, n, false);
}

#define EXEC(c, s) exec((c), (const uint8_t *)(s), (int)sizeof(s) - 1)
#define FLAGS(c) (x86_flags_get(c) & F_ARITH)

static void test_add_sub_edges(void **state)
{
	struct x86_cpu *c = cpu;
	(void)state;

	cpu_reset64(c);
	c->r[R_AX] = 0x7fffffff; c->r[R_BX] = 1;
	EXEC(c, "\x01\xd8");                           /* add eax, ebx */
	assert_int_equal(c->r[R_AX], 0x80000000);
	assert_int_equal(FLAGS(c), F_OF | F_SF | F_AF | F_PF);

	cpu_reset64(c);
	c->r[R_AX] = 0x12ff; c->r[R_BX] = 1;
	EXEC(c, "\x00\xd8");                           /* add al, bl */
	assert_int_equal(c->r[R_AX], 0x1200);          /* AH untouched */
	assert_int_equal(FLAGS(c), F_CF | F_ZF | F_AF | F_PF);

	cpu_reset64(c);
	c->r[R_AX] = 0xffffffff00000000ULL; c->r[R_BX] = 1;
	EXEC(c, "\x29\xd8");                           /* sub eax, ebx: 0 - 1 */
	assert_int_equal(c->r[R_AX], 0xffffffff);      /* upper half cleared */
	assert_int_equal(FLAGS(c), F_CF | F_SF | F_AF | F_PF);

	cpu_reset64(c);
	c->r[R_AX] = 0x8000000000000000ULL; c->r[R_BX] = 1;
	EXEC(c, "\x48\x39\xd8");                       /* cmp rax, rbx */
	assert_int_equal(c->r[R_AX], 0x8000000000000000ULL);
	assert_int_equal(FLAGS(c), F_OF | F_AF | F_PF);
	assert_true(x86_cond(c, 0));                   /* O */
	assert_false(x86_cond(c, 2));                  /* B */
	assert_true(x86_cond(c, 0xc));                 /* L: SF != OF */

	cpu_reset64(c);
	c->rflags |= F_CF;
	c->r[R_AX] = 0xffffffff; c->r[R_BX] = 0;
	EXEC(c, "\x11\xd8");                           /* adc eax, ebx */
	assert_int_equal(c->r[R_AX], 0);
	assert_int_equal(FLAGS(c), F_CF | F_ZF | F_AF | F_PF);

	cpu_reset64(c);
	c->rflags |= F_CF;
	c->r[R_AX] = 0; c->r[R_BX] = 0xffff;
	EXEC(c, "\x66\x19\xd8");                       /* sbb ax, bx: 0 - ffff - 1 */
	assert_int_equal(c->r[R_AX], 0);
	assert_int_equal(FLAGS(c) & (F_CF | F_ZF), F_CF | F_ZF);

	cpu_reset64(c);
	c->rflags |= F_CF;
	c->r[R_AX] = 0x7fffffff;
	EXEC(c, "\xff\xc0");                           /* inc eax keeps CF */
	assert_int_equal(FLAGS(c), F_CF | F_OF | F_SF | F_AF | F_PF);

	cpu_reset64(c);
	c->r[R_AX] = 0x80;
	EXEC(c, "\xfe\xc8");                           /* dec al */
	assert_int_equal(c->r[R_AX], 0x7f);
	assert_int_equal(FLAGS(c), F_OF | F_AF);

	cpu_reset64(c);
	c->r[R_AX] = 0;
	EXEC(c, "\xf7\xd8");                           /* neg eax (0) */
	assert_int_equal(FLAGS(c), F_ZF | F_PF);
	c->r[R_AX] = 0x80000000;
	EXEC(c, "\xf7\xd8");
	assert_int_equal(c->r[R_AX], 0x80000000);
	assert_int_equal(FLAGS(c), F_CF | F_OF | F_SF | F_PF);

	cpu_reset64(c);
	c->rflags |= F_CF | F_OF | F_AF;
	c->r[R_AX] = 0xf0; c->r[R_BX] = 0x0f;
	EXEC(c, "\x20\xd8");                           /* and al, bl */
	assert_int_equal(FLAGS(c), F_ZF | F_PF);
}

static void test_shift_edges(void **state)
{
	struct x86_cpu *c = cpu;
	(void)state;

	cpu_reset64(c);
	c->r[R_AX] = 0x80000000;
	EXEC(c, "\xd1\xe0");                           /* shl eax, 1 */
	assert_int_equal(c->r[R_AX], 0);
	assert_int_equal(FLAGS(c) & ~F_AF, F_CF | F_OF | F_ZF | F_PF);

	cpu_reset64(c);
	c->r[R_AX] = 0x80000001;
	EXEC(c, "\xd1\xf8");                           /* sar eax, 1 */
	assert_int_equal(c->r[R_AX], 0xc0000000);
	assert_int_equal(FLAGS(c) & ~F_AF, F_CF | F_SF | F_PF);

	cpu_reset64(c);
	c->r[R_AX] = 0x80000001;
	EXEC(c, "\xd1\xe8");                           /* shr eax, 1: OF = old MSB */
	assert_int_equal(c->r[R_AX], 0x40000000);
	assert_int_equal(FLAGS(c) & ~F_AF, F_CF | F_OF | F_PF);

	/* A count of 0 (after masking: 32 for a 32-bit operand) changes no
	 * flags. */
	cpu_reset64(c);
	c->rflags |= F_CF | F_ZF;
	c->r[R_AX] = 0x1234; c->r[R_CX] = 32;
	EXEC(c, "\xd3\xe0");                           /* shl eax, cl */
	assert_int_equal(c->r[R_AX], 0x1234);
	assert_int_equal(FLAGS(c), F_CF | F_ZF);

	cpu_reset64(c);
	c->r[R_AX] = 0x80;
	EXEC(c, "\xd0\xc0");                           /* rol al, 1 */
	assert_int_equal(c->r[R_AX], 1);
	assert_int_equal(FLAGS(c), F_CF | F_OF);

	cpu_reset64(c);
	c->rflags |= F_CF;
	c->r[R_AX] = 0x00;
	EXEC(c, "\xd0\xd8");                           /* rcr al, 1: CF into bit 7 */
	assert_int_equal(c->r[R_AX], 0x80);
	assert_int_equal(FLAGS(c), F_OF);

	/* RCL of a byte rotates through 9 bits: count 9 is the identity. */
	cpu_reset64(c);
	c->rflags |= F_CF;
	c->r[R_AX] = 0x5a; c->r[R_CX] = 9;
	EXEC(c, "\xd2\xd0");                           /* rcl al, cl */
	assert_int_equal(c->r[R_AX], 0x5a);
	assert_true(FLAGS(c) & F_CF);

	cpu_reset64(c);
	c->r[R_AX] = 0x1; c->r[R_BX] = 0x80000000;
	EXEC(c, "\x0f\xa4\xd8\x01");                   /* shld eax, ebx, 1 */
	assert_int_equal(c->r[R_AX], 0x3);
}

static void test_muldiv_edges(void **state)
{
	struct x86_cpu *c = cpu;
	(void)state;

	cpu_reset64(c);
	c->r[R_AX] = 0x80000000; c->r[R_CX] = 2;
	EXEC(c, "\xf7\xe1");                           /* mul ecx */
	assert_int_equal(c->r[R_AX], 0);
	assert_int_equal(c->r[R_DX], 1);
	assert_int_equal(FLAGS(c) & (F_CF | F_OF), F_CF | F_OF);

	cpu_reset64(c);
	c->r[R_AX] = (uint64_t)-3; c->r[R_CX] = 5;
	EXEC(c, "\x48\xf7\xe9");                       /* imul rcx */
	assert_int_equal(c->r[R_AX], (uint64_t)-15);
	assert_int_equal(c->r[R_DX], ~0ULL);
	assert_int_equal(FLAGS(c) & (F_CF | F_OF), 0);

	cpu_reset64(c);
	c->r[R_AX] = 0x40000000; c->r[R_CX] = 2;
	EXEC(c, "\x0f\xaf\xc1");                       /* imul eax, ecx */
	assert_int_equal(c->r[R_AX], 0x80000000);
	assert_int_equal(FLAGS(c) & (F_CF | F_OF), F_CF | F_OF);

	cpu_reset64(c);
	c->r[R_AX] = (uint64_t)-7; c->r[R_DX] = ~0ULL; c->r[R_CX] = 2;
	assert_int_equal(EXEC(c, "\x48\xf7\xf9"), -1); /* idiv rcx */
	assert_int_equal(c->r[R_AX], (uint64_t)-3);
	assert_int_equal(c->r[R_DX], (uint64_t)-1);

	/* #DE: zero divisor, quotient overflow, and the one signed case that
	 * would trap the host itself. RIP is rolled back to the instruction. */
	cpu_reset64(c);
	c->r[R_AX] = 5; c->r[R_CX] = 0;
	assert_int_equal(EXEC(c, "\xf7\xf1"), X86_DE);
	assert_int_equal(c->rip, 0x1000);
	assert_int_equal(c->r[R_AX], 5);

	cpu_reset64(c);
	c->r[R_AX] = 0; c->r[R_DX] = 1; c->r[R_CX] = 1;
	assert_int_equal(EXEC(c, "\xf7\xf1"), X86_DE);  /* div ecx: 2^32 / 1 */

	cpu_reset64(c);
	c->r[R_AX] = 0; c->r[R_DX] = 0x8000000000000000ULL; c->r[R_CX] = ~0ULL;
	assert_int_equal(EXEC(c, "\x48\xf7\xf9"), X86_DE);

	cpu_reset64(c);
	c->r[R_AX] = 0; c->r[R_DX] = 0x80000000; c->r[R_CX] = 0xffffffff;
	assert_int_equal(EXEC(c, "\xf7\xf9"), X86_DE);  /* idiv ecx: -2^63 / -1 */

	cpu_reset64(c);
	c->r[R_AX] = 0x8000; c->r[R_CX] = 0xff;
	assert_int_equal(EXEC(c, "\xf6\xf9"), X86_DE);  /* idiv cl: -32768/-1 */
}

static void test_bits_edges(void **state)
{
	struct x86_cpu *c = cpu;
	(void)state;

	cpu_reset64(c);
	c->r[R_AX] = 0x1234; c->r[R_BX] = 0;
	EXEC(c, "\x0f\xbc\xc3");                       /* bsf eax, ebx (0) */
	assert_int_equal(c->r[R_AX], 0x1234);          /* unchanged */
	assert_true(FLAGS(c) & F_ZF);

	c->r[R_BX] = 0x80;
	EXEC(c, "\x0f\xbc\xc3");
	assert_int_equal(c->r[R_AX], 7);
	assert_false(FLAGS(c) & F_ZF);

	EXEC(c, "\xf3\x0f\xbd\xc3");                   /* lzcnt eax, ebx */
	assert_int_equal(c->r[R_AX], 24);

	c->r[R_BX] = 0;
	EXEC(c, "\xf3\x48\x0f\xbc\xc3");               /* tzcnt rax, rbx (0) */
	assert_int_equal(c->r[R_AX], 64);
	assert_int_equal(FLAGS(c) & (F_CF | F_ZF), F_CF);

	c->r[R_BX] = 0xf0f0;
	EXEC(c, "\xf3\x0f\xb8\xc3");                   /* popcnt eax, ebx */
	assert_int_equal(c->r[R_AX], 8);

	cpu_reset64(c);
	c->r[R_AX] = 0x20; c->r[R_CX] = 37;             /* bit offset masked: 37 & 31 */
	EXEC(c, "\x0f\xa3\xc8");                       /* bt eax, ecx */
	assert_true(FLAGS(c) & F_CF);
	EXEC(c, "\x0f\xb3\xc8");                       /* btr eax, ecx */
	assert_int_equal(c->r[R_AX], 0);

	cpu_reset64(c);
	c->r[R_AX] = 5; c->r[R_BX] = 5; c->r[R_CX] = 9;
	EXEC(c, "\x0f\xb1\xcb");                       /* cmpxchg ebx, ecx */
	assert_int_equal(c->r[R_BX], 9);
	assert_true(FLAGS(c) & F_ZF);
	EXEC(c, "\x0f\xb1\xcb");                       /* now differs: eax <- ebx */
	assert_int_equal(c->r[R_AX], 9);
	assert_false(FLAGS(c) & F_ZF);

	cpu_reset64(c);
	c->r[R_AX] = 1; c->r[R_BX] = 2;
	EXEC(c, "\x0f\xc1\xc3");                       /* xadd ebx, eax */
	assert_int_equal(c->r[R_BX], 3);
	assert_int_equal(c->r[R_AX], 2);

	cpu_reset64(c);
	c->r[R_AX] = 0x1122334455667788ULL;
	EXEC(c, "\x48\x0f\xc8");                       /* bswap rax */
	assert_int_equal(c->r[R_AX], 0x8877665544332211ULL);
}

static void test_cond_matrix(void **state)
{
	static const uint64_t v[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
	};
	struct x86_cpu *c = cpu;
	(void)state;

	/* After CMP a, b every condition must agree with the comparison it
	 * names (SDM Vol. 1 Table B-1), on the lazy fast path and after the
	 * flags were materialised. */
	for (int size = 1; size <= 8; size *= 2)
		for (size_t x = 0; x < sizeof(v) / sizeof(v[0]); x++)
			for (size_t y = 0; y < sizeof(v) / sizeof(v[0]); y++) {
				uint64_t m = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
				uint64_t a = v[x] & m, b = v[y] & m;
				int64_t sa = x86_sext(a, size), sb = x86_sext(b, size);
				bool want[16];
				want[2] = a < b;  want[4] = a == b; want[6] = a <= b;
				want[12] = sa < sb; want[14] = sa <= sb;
				for (int cc = 2; cc < 16; cc += 2) {
					if (cc == 8 || cc == 10)
						continue;
					cpu_reset64(c);
					x86_lf(c, LF_SUB, size, (a - b) & m, a, b);
					assert_int_equal(x86_cond(c, cc), want[cc]);
					assert_int_equal(x86_cond(c, cc + 1), !want[cc]);
					x86_flags_flush(c);
					assert_int_equal(x86_cond(c, cc), want[cc]);
				}
			}
}

/* ---- host differential sweep ---- */

struct hstate {
	uint64_t r[4];   /* rax rbx rcx rdx */
	uint64_t flags;
};

typedef void (*hfn)(struct hstate *);
static uint8_t *jit;

static hfn host_build(const uint8_t *insn, int n)
{
	static const uint8_t pre[] = {
		0x53,                         /* push rbx */
		0x48, 0x8b, 0x07,             /* mov rax,[rdi] */
		0x48, 0x8b, 0x5f, 0x08,       /* mov rbx,[rdi+8] */
		0x48, 0x8b, 0x4f, 0x10,       /* mov rcx,[rdi+16] */
		0x48, 0x8b, 0x57, 0x18,       /* mov rdx,[rdi+24] */
		0xff, 0x77, 0x20,             /* push [rdi+32] */
		0x9d,                         /* popfq */
	};
	static const uint8_t post[] = {
		0x9c,                         /* pushfq */
		0x8f, 0x47, 0x20,             /* pop [rdi+32] */
		0x48, 0x89, 0x07,
		0x48, 0x89, 0x5f, 0x08,
		0x48, 0x89, 0x4f, 0x10,
		0x48, 0x89, 0x57, 0x18,
		0x5b, 0xc3,                   /* pop rbx; ret */
	};
	memcpy(jit, pre, sizeof(pre));
	memcpy(jit + sizeof(pre), insn, n);
	memcpy(jit + sizeof(pre) + n, post, sizeof(post));
	__builtin___clear_cache((char *)jit, (char *)jit + 256);
	return (hfn)(void *)jit;
}

enum fl { FL_ALL, FL_NOAF, FL_SHIFT, FL_SHIFTI, FL_ROT, FL_ROTI, FL_MUL, FL_ZF, FL_CF, FL_CFZF, FL_NONE, FL_SHxD };

struct hcase {
	const char *name;
	const char *bytes;
	int n;
	enum fl fl;
	int size;        /* operand size (for count-dependent flag rules) */
	bool need_lzcnt, need_bmi1;
};

#define HC(name, s, fl, size) { name, s, sizeof(s) - 1, fl, size, false, false }

static const struct hcase hcases[] = {
	HC("add r8", "\x00\xd8", FL_ALL, 1), HC("add r16", "\x66\x01\xd8", FL_ALL, 2),
	HC("add r32", "\x01\xd8", FL_ALL, 4), HC("add r64", "\x48\x01\xd8", FL_ALL, 8),
	HC("adc r8", "\x10\xd8", FL_ALL, 1), HC("adc r32", "\x11\xd8", FL_ALL, 4),
	HC("adc r64", "\x48\x11\xd8", FL_ALL, 8), HC("sub r8", "\x28\xd8", FL_ALL, 1),
	HC("sub r16", "\x66\x29\xd8", FL_ALL, 2), HC("sub r64", "\x48\x29\xd8", FL_ALL, 8),
	HC("sbb r8", "\x18\xd8", FL_ALL, 1), HC("sbb r16", "\x66\x19\xd8", FL_ALL, 2),
	HC("sbb r32", "\x19\xd8", FL_ALL, 4), HC("sbb r64", "\x48\x19\xd8", FL_ALL, 8),
	HC("cmp r32", "\x39\xd8", FL_ALL, 4), HC("cmp r8 ah", "\x38\xfc", FL_ALL, 1),
	HC("and r64", "\x48\x21\xd8", FL_NOAF, 8), HC("or r16", "\x66\x09\xd8", FL_NOAF, 2),
	HC("xor r8", "\x30\xd8", FL_NOAF, 1), HC("test r32", "\x85\xd8", FL_NOAF, 4),
	HC("add r,rm 32", "\x03\xc3", FL_ALL, 4), HC("sub r32", "\x29\xd8", FL_ALL, 4),
	HC("and r32", "\x21\xd8", FL_NOAF, 4), HC("cmp r64", "\x48\x39\xd8", FL_ALL, 8),
	HC("sub r32 imm", "\x81\xeb\xff\x00\x00\x00", FL_ALL, 4), HC("sub r,rm 64", "\x48\x2b\xc3", FL_ALL, 8),
	HC("or r,rm 64", "\x48\x0b\xc3", FL_NOAF, 8), HC("xor r,rm 32", "\x33\xc3", FL_NOAF, 4),
	HC("and r,rm 32", "\x23\xc3", FL_NOAF, 4), HC("cmp r,rm 64", "\x48\x3b\xc3", FL_ALL, 8),
	HC("test r64", "\x48\x85\xd8", FL_NOAF, 8), HC("xor r64", "\x48\x31\xd8", FL_NOAF, 8),
	HC("or r32", "\x09\xd8", FL_NOAF, 4), HC("add r32 imm32", "\x81\xc3\x78\x56\x34\x92", FL_ALL, 4),
	HC("sub r64 imm8", "\x48\x83\xeb\x81", FL_ALL, 8), HC("cmp r64 imm8", "\x48\x83\xfb\x05", FL_ALL, 8),
	HC("cmp r32 imm32", "\x81\xfb\x00\x00\x00\x80", FL_ALL, 4), HC("and r64 imm", "\x48\x83\xe3\xf0", FL_NOAF, 8),
	HC("or r32 imm", "\x83\xcb\x81", FL_NOAF, 4), HC("xor r64 imm", "\x48\x81\xf3\x01\x00\x00\x80", FL_NOAF, 8),
	HC("mov r,r 32", "\x89\xd8", FL_ALL, 4), HC("mov r,r 64", "\x48\x8b\xc3", FL_ALL, 8),
	HC("mov r,imm32", "\xbb\x78\x56\x34\x92", FL_ALL, 4),
	HC("lea 64", "\x48\x8d\x84\x58\x00\x01\x00\x80", FL_ALL, 8),
	HC("add imm8", "\x83\xc0\x80", FL_ALL, 4), HC("sub imm32", "\x48\x2d\x00\x00\x00\x80", FL_ALL, 8),
	HC("inc r8", "\xfe\xc0", FL_ALL, 1), HC("inc r64", "\x48\xff\xc0", FL_ALL, 8),
	HC("dec r16", "\x66\xff\xc8", FL_ALL, 2), HC("dec r32", "\xff\xc8", FL_ALL, 4),
	HC("neg r8", "\xf6\xd8", FL_ALL, 1), HC("neg r64", "\x48\xf7\xd8", FL_ALL, 8),
	HC("not r32", "\xf7\xd0", FL_ALL, 4),
	HC("shl r8 cl", "\xd2\xe0", FL_SHIFT, 1), HC("shl r16 cl", "\x66\xd3\xe0", FL_SHIFT, 2),
	HC("shl r32 cl", "\xd3\xe0", FL_SHIFT, 4), HC("shl r64 cl", "\x48\xd3\xe0", FL_SHIFT, 8),
	HC("shr r8 cl", "\xd2\xe8", FL_SHIFT, 1), HC("shr r32 cl", "\xd3\xe8", FL_SHIFT, 4),
	HC("shr r64 cl", "\x48\xd3\xe8", FL_SHIFT, 8), HC("sar r8 cl", "\xd2\xf8", FL_SHIFT, 1),
	HC("sar r16 cl", "\x66\xd3\xf8", FL_SHIFT, 2), HC("sar r64 cl", "\x48\xd3\xf8", FL_SHIFT, 8),
	HC("shl r32 5", "\xc1\xe0\x05", FL_SHIFTI, 4), HC("shl r64 0", "\x48\xc1\xe0\x00", FL_SHIFTI, 8),
	HC("shl r64 1", "\x48\xc1\xe0\x01", FL_SHIFTI, 8), HC("shr r64 63", "\x48\xc1\xe8\x3f", FL_SHIFTI, 8),
	HC("shr r32 1", "\xc1\xe8\x01", FL_SHIFTI, 4), HC("sar r32 31", "\xc1\xf8\x1f", FL_SHIFTI, 4),
	HC("sar r64 1", "\x48\xc1\xf8\x01", FL_SHIFTI, 8), HC("sal r32 33", "\xc1\xf0\x21", FL_SHIFTI, 4),
	HC("shr r32 0", "\xc1\xe8\x00", FL_SHIFTI, 4),
	HC("rol r8 cl", "\xd2\xc0", FL_ROT, 1), HC("rol r32 cl", "\xd3\xc0", FL_ROT, 4),
	HC("ror r16 cl", "\x66\xd3\xc8", FL_ROT, 2), HC("ror r64 cl", "\x48\xd3\xc8", FL_ROT, 8),
	HC("rol r32 5", "\xc1\xc0\x05", FL_ROTI, 4), HC("rol r64 63", "\x48\xc1\xc0\x3f", FL_ROTI, 8),
	HC("rol r32 33", "\xc1\xc0\x21", FL_ROTI, 4), HC("ror r32 13", "\xc1\xc8\x0d", FL_ROTI, 4),
	HC("ror r64 1", "\x48\xc1\xc8\x01", FL_ROTI, 8), HC("ror r32 0", "\xc1\xc8\x00", FL_ROTI, 4),
	HC("rcl r8 cl", "\xd2\xd0", FL_ROT, 1), HC("rcl r16 cl", "\x66\xd3\xd0", FL_ROT, 2),
	HC("rcl r32 cl", "\xd3\xd0", FL_ROT, 4), HC("rcr r8 cl", "\xd2\xd8", FL_ROT, 1),
	HC("rcr r16 cl", "\x66\xd3\xd8", FL_ROT, 2), HC("rcr r64 cl", "\x48\xd3\xd8", FL_ROT, 8),
	HC("shld r32 cl", "\x0f\xa5\xd8", FL_SHxD, 4), HC("shrd r64 cl", "\x48\x0f\xad\xd8", FL_SHxD, 8),
	HC("shrd r16 cl", "\x66\x0f\xad\xd8", FL_SHxD, 2),
	HC("mul r8", "\xf6\xe3", FL_MUL, 1), HC("mul r32", "\xf7\xe3", FL_MUL, 4),
	HC("mul r64", "\x48\xf7\xe3", FL_MUL, 8), HC("imul r16", "\x66\xf7\xeb", FL_MUL, 2),
	HC("cmp al imm8", "\x3c\x81", FL_ALL, 1), HC("test al imm8", "\xa8\x81", FL_NOAF, 1),
	HC("cmp eax imm32", "\x3d\x00\x00\x00\x80", FL_ALL, 4),
	HC("cmp rax imm32", "\x48\x3d\xff\xff\xff\x7f", FL_ALL, 8),
	HC("and eax imm32", "\x25\x0f\x00\xff\xff", FL_NOAF, 4),
	HC("xor rax imm32", "\x48\x35\x01\x00\x00\x80", FL_NOAF, 8),
	HC("or eax imm32", "\x0d\x00\x01\x00\x00", FL_NOAF, 4),
	HC("add rax imm32", "\x48\x05\x78\x56\x34\x92", FL_ALL, 8),
	HC("sub eax imm32", "\x2d\x01\x00\x00\x00", FL_ALL, 4),
	HC("mul edx", "\xf7\xe2", FL_MUL, 4), HC("mul rax", "\x48\xf7\xe0", FL_MUL, 8),
	HC("inc r32", "\xff\xc3", FL_ALL, 4), HC("dec r64", "\x48\xff\xcb", FL_ALL, 8),
	HC("sar r32 cl", "\xd3\xf8", FL_SHIFT, 4), HC("sal r32 cl", "\xd3\xf0", FL_SHIFT, 4),
	HC("rol r64 cl", "\x48\xd3\xc0", FL_ROT, 8), HC("ror r32 cl", "\xd3\xcb", FL_ROT, 4),
	HC("imul r64", "\x48\xf7\xeb", FL_MUL, 8), HC("imul r,r32", "\x0f\xaf\xc3", FL_MUL, 4),
	HC("imul r,r64", "\x48\x0f\xaf\xc3", FL_MUL, 8), HC("imul r,r,i32 64", "\x48\x69\xc3\x78\x56\x34\x92", FL_MUL, 8),
	HC("imul r,r,i8", "\x6b\xc3\x85", FL_MUL, 4), HC("imul r,r,i16", "\x66\x69\xc3\x34\x92", FL_MUL, 2),
	HC("bt r64", "\x48\x0f\xa3\xd8", FL_CF, 8), HC("bts r32", "\x0f\xab\xd8", FL_CF, 4),
	HC("btc r16", "\x66\x0f\xbb\xd8", FL_CF, 2), HC("btr imm", "\x0f\xba\xf0\x21", FL_CF, 4),
	HC("bsf r32", "\x0f\xbc\xc3", FL_ZF, 4), HC("bsr r64", "\x48\x0f\xbd\xc3", FL_ZF, 8),
	HC("popcnt r64", "\xf3\x48\x0f\xb8\xc3", FL_ALL, 8),
	{ "lzcnt r32", "\xf3\x0f\xbd\xc3", 4, FL_CFZF, 4, true, false },
	{ "tzcnt r16", "\x66\xf3\x0f\xbc\xc3", 5, FL_CFZF, 2, false, true },
	HC("cmpxchg r32", "\x0f\xb1\xd9", FL_ALL, 4), HC("cmpxchg r8", "\x0f\xb0\xd9", FL_ALL, 1),
	HC("xadd r64", "\x48\x0f\xc1\xd8", FL_ALL, 8),
	HC("cmovl", "\x0f\x4c\xc3", FL_ALL, 4), HC("cmova r64", "\x48\x0f\x47\xc3", FL_ALL, 8),
	HC("setbe", "\x0f\x96\xc1", FL_ALL, 1), HC("setg", "\x0f\x9f\xc5", FL_ALL, 1),
	HC("movsx", "\x48\x0f\xbf\xc3", FL_ALL, 8), HC("movzx", "\x0f\xb6\xc7", FL_ALL, 4),
	HC("movzx r64,bl", "\x48\x0f\xb6\xc3", FL_ALL, 8), HC("movzx r32,ah", "\x0f\xb6\xcc", FL_ALL, 4),
	HC("movzx r32,r16", "\x0f\xb7\xcb", FL_ALL, 4), HC("movzx r32,bl rex", "\x40\x0f\xb6\xd3", FL_ALL, 4),
	HC("cwde", "\x98", FL_ALL, 4), HC("cqo", "\x48\x99", FL_ALL, 8), HC("cbw", "\x66\x98", FL_ALL, 2),
	HC("bswap", "\x0f\xcb", FL_ALL, 4), HC("xchg", "\x48\x87\xd8", FL_ALL, 8),
	HC("xchg ax", "\x93", FL_ALL, 4), HC("lea", "\x48\x8d\x44\x8b\x07", FL_ALL, 8),
	HC("lahf", "\x9f", FL_ALL, 1), HC("sahf", "\x9e", FL_ALL, 1), HC("cmc", "\xf5", FL_ALL, 1),
	HC("div r32", "\xf7\xf3", FL_NONE, 4), HC("idiv r16", "\x66\xf7\xfb", FL_NONE, 2),
	HC("div r8", "\xf6\xf3", FL_NONE, 1), HC("idiv r64", "\x48\xf7\xfb", FL_NONE, 8),
};

/* Flags the SDM defines for this instruction with these inputs. */
static uint64_t defined_mask(const struct hcase *h, uint64_t count)
{
	unsigned cnt = (unsigned)count & (h->size == 8 ? 63 : 31);
	switch (h->fl) {
	case FL_ALL: return F_ARITH;
	case FL_NOAF: return F_ARITH & ~F_AF;
	case FL_SHIFT:
		if (!cnt) return F_ARITH;
		return cnt == 1 ? (F_ARITH & ~F_AF) : (F_ARITH & ~(F_AF | F_OF));
	case FL_SHIFTI:
		/* The count is the instruction's last byte. */
		cnt = (uint8_t)h->bytes[h->n - 1] & (h->size == 8 ? 63 : 31);
		if (!cnt) return F_ARITH;
		return cnt == 1 ? (F_ARITH & ~F_AF) : (F_ARITH & ~(F_AF | F_OF));
	case FL_SHxD:
		if (!cnt) return F_ARITH;
		return cnt == 1 ? (F_ARITH & ~F_AF) : (F_ARITH & ~(F_AF | F_OF));
	case FL_ROTI:
		/* As FL_ROT, with the count in the instruction's last byte. */
		cnt = (uint8_t)h->bytes[h->n - 1] & (h->size == 8 ? 63 : 31);
		/* fall through */
	case FL_ROT:
		/* Untouched flags are defined (unchanged); OF only for 1. */
		return cnt == 1 || cnt == 0 ? F_ARITH : (F_ARITH & ~F_OF);
	case FL_MUL: return F_CF | F_OF;
	case FL_ZF: return F_ZF;
	case FL_CF: return F_CF;
	case FL_CFZF: return F_CF | F_ZF;
	default: return 0;
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const uint64_t edge[] = {
	0, 1, 2, 7, 8, 9, 0x0f, 0x10, 0x1f, 0x20, 0x21, 0x3f, 0x40, 0x41, 0x7f, 0x80, 0x99,
	0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
	0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
	0x123456789abcdef0ULL, 0xfedcba9876543210ULL,
};
#define NEDGE (sizeof(edge) / sizeof(edge[0]))

/* Division inputs the host can run without trapping. */
static bool div_ok(const struct hcase *h, const struct hstate *s)
{
	int sz = h->size;
	bool sgn = strstr(h->name, "idiv") != NULL;
	uint64_t m = sz == 8 ? ~0ULL : (1ULL << (sz * 8)) - 1;
	uint64_t d = s->r[1] & m;

	if (!d)
		return false;
	if (!sgn) {
		if (sz == 1)
			return ((s->r[0] & 0xffff) / d) <= 0xff;
		if (sz == 8)
			return (s->r[3] < d);
		return (((s->r[3] & m) << (sz * 8) | (s->r[0] & m)) / d) <= m;
	} else {
		__int128 n, q;
		int64_t sd = x86_sext(d, sz);
		if (sz == 1)
			n = (int16_t)(s->r[0] & 0xffff);
		else if (sz == 8)
			n = (__int128)(((unsigned __int128)s->r[3] << 64) | s->r[0]);
		else
			n = x86_sext(((s->r[3] & m) << (sz * 8)) | (s->r[0] & m), sz * 2);
		if (sz == 8 && n == (__int128)((unsigned __int128)1 << 127))
			return false;
		q = n / sd;
		return q == (__int128)x86_sext((uint64_t)q & m, sz);
	}
}

static bool host_has(unsigned leaf, int reg, unsigned bit)
{
	unsigned r[4];
	if (!__get_cpuid_count(leaf, 0, &r[0], &r[1], &r[2], &r[3]))
		return false;
	return (r[reg] >> bit) & 1;
}

/* Run h from the input state es on the emulator and compare with the
 * host's output hs. Returns 1 when compared, 0 when the result is
 * undefined and was skipped. */
static int sweep_check(struct x86_cpu *c, const struct hcase *h, const struct hstate *es,
		       const struct hstate *hs, bool special)
{
	const char *tag = special ? " (fast)" : "";
	uint64_t mask;

	cpu_reset64(c);
	c->r[R_AX] = es->r[0]; c->r[R_BX] = es->r[1];
	c->r[R_CX] = es->r[2]; c->r[R_DX] = es->r[3];
	c->rflags = es->flags;
	if (exec_as(c, (const uint8_t *)h->bytes, h->n, special) != -1)
		fail_msg("%s%s: unexpected exception", h->name, tag);
	/* SHLD/SHRD on 16 bits with a count above 16: undefined. */
	if (h->fl == FL_SHxD && h->size == 2 && (es->r[2] & 31) > 16)
		return 0;
	if (c->r[R_AX] != hs->r[0] || c->r[R_BX] != hs->r[1] ||
	    c->r[R_CX] != hs->r[2] || c->r[R_DX] != hs->r[3])
		fail_msg("%s%s: in rax=%llx rbx=%llx rcx=%llx rdx=%llx fl=%llx: "
			 "host rax=%llx rbx=%llx rcx=%llx rdx=%llx, emu %llx %llx %llx %llx",
			 h->name, tag, (unsigned long long)es->r[0], (unsigned long long)es->r[1],
			 (unsigned long long)es->r[2], (unsigned long long)es->r[3],
			 (unsigned long long)es->flags,
			 (unsigned long long)hs->r[0], (unsigned long long)hs->r[1],
			 (unsigned long long)hs->r[2], (unsigned long long)hs->r[3],
			 (unsigned long long)c->r[R_AX], (unsigned long long)c->r[R_BX],
			 (unsigned long long)c->r[R_CX], (unsigned long long)c->r[R_DX]);
	mask = defined_mask(h, es->r[2]);
	if ((x86_flags_get(c) & mask) != (hs->flags & mask))
		fail_msg("%s%s: in rax=%llx rbx=%llx rcx=%llx fl=%llx: flags host %llx emu %llx (mask %llx)",
			 h->name, tag, (unsigned long long)es->r[0], (unsigned long long)es->r[1],
			 (unsigned long long)es->r[2], (unsigned long long)es->flags,
			 (unsigned long long)(hs->flags & mask),
			 (unsigned long long)(x86_flags_get(c) & mask), (unsigned long long)mask);
	return 1;
}

static void test_host_sweep(void **state)
{
	struct x86_cpu *c = cpu;
	bool has_lzcnt = host_has(0x80000001, 2, 5), has_bmi1 = host_has(7, 1, 3);
	int checked = 0;
	(void)state;

	jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (jit == MAP_FAILED)
		skip();

	for (size_t k = 0; k < sizeof(hcases) / sizeof(hcases[0]); k++) {
		const struct hcase *h = &hcases[k];
		hfn fn;

		if ((h->need_lzcnt && !has_lzcnt) || (h->need_bmi1 && !has_bmi1))
			continue;
		fn = host_build((const uint8_t *)h->bytes, h->n);
		for (int t = 0; t < (int)(NEDGE * NEDGE) + 3000; t++) {
			struct hstate hs, es;

			if (t < (int)(NEDGE * NEDGE)) {
				hs.r[0] = edge[t / NEDGE];
				hs.r[1] = edge[t % NEDGE];
			} else {
				hs.r[0] = rnd() >> (rnd() & 63);
				hs.r[1] = rnd() >> (rnd() & 63);
			}
			hs.r[2] = (t & 3) == 0 ? edge[(t / 4) % NEDGE] : rnd() & 0xff;
			hs.r[3] = rnd() >> (rnd() & 63);
			hs.flags = (rnd() & F_ARITH) | 2;
			if (h->fl == FL_NONE && !div_ok(h, &hs))
				continue;
			es = hs;
			fn(&hs);

			/* The generic handler and the decode cache's specialised
			 * one (fast.c) must both match the host. */
			for (int special = 0; special < 2; special++)
				checked += sweep_check(c, h, &es, &hs, special);
		}
	}
	munmap(jit, 4096);
	assert_true(checked > 100000);
}

/* Legacy-mode only instructions (invalid in 64-bit mode): decimal adjusts
 * per the SDM "Operation" sections, one-byte INC. */
static int exec32(struct x86_cpu *c, const uint8_t *b, int n)
{
	struct x86_insn i;
	int r = x86_decode(b, n, 4, &i);

	if (r != n)
		fail_msg("decode of %d bytes returned %d", n, r);
	c->mode = MODE_PROT;
	c->code_size = 4;
	c->insn_rip = c->rip;
	c->rip += (uint64_t)r;
	if (setjmp(c->fault_jmp))
		return c->exc_vec;
	i.fn(c, &i);
	return -1;
}
#define EXEC32(c, s) exec32((c), (const uint8_t *)(s), (int)sizeof(s) - 1)

static void test_bcd_legacy(void **state)
{
	struct x86_cpu *c = cpu;
	(void)state;

	cpu_reset64(c);
	c->r[R_AX] = 0xae;                  /* 0x79 + 0x35 */
	EXEC32(c, "\x27");                   /* daa */
	assert_int_equal(c->r[R_AX], 0x14);
	assert_int_equal(FLAGS(c) & (F_CF | F_AF), F_CF | F_AF);

	cpu_reset64(c);
	c->r[R_AX] = 0x2b;
	EXEC32(c, "\x2f");                   /* das */
	assert_int_equal(c->r[R_AX], 0x25);
	assert_int_equal(FLAGS(c) & (F_CF | F_AF), F_AF);

	cpu_reset64(c);
	c->r[R_AX] = 0x000f;
	EXEC32(c, "\x37");                   /* aaa */
	assert_int_equal(c->r[R_AX], 0x0105);
	assert_int_equal(FLAGS(c) & (F_CF | F_AF), F_CF | F_AF);

	cpu_reset64(c);
	c->r[R_AX] = 0x0005;
	EXEC32(c, "\x37");                   /* aaa: no adjust, AH kept */
	assert_int_equal(c->r[R_AX], 0x0005);
	assert_int_equal(FLAGS(c) & (F_CF | F_AF), 0);

	cpu_reset64(c);
	c->r[R_AX] = 63;
	EXEC32(c, "\xd4\x0a");               /* aam */
	assert_int_equal(c->r[R_AX], 0x0603);
	EXEC32(c, "\xd5\x0a");               /* aad */
	assert_int_equal(c->r[R_AX], 0x003f);
	assert_int_equal(EXEC32(c, "\xd4\x00"), X86_DE);

	cpu_reset64(c);
	c->rflags |= F_CF;
	c->r[R_AX] = 0x1234;
	EXEC32(c, "\xd6");                   /* salc */
	assert_int_equal(c->r[R_AX], 0x12ff);

	cpu_reset64(c);
	c->r[R_AX] = 0xffffffff;
	EXEC32(c, "\x40");                   /* inc eax */
	assert_int_equal(c->r[R_AX], 0);
	assert_int_equal(FLAGS(c) & (F_ZF | F_OF | F_CF), F_ZF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sub_edges),
		cmocka_unit_test(test_shift_edges),
		cmocka_unit_test(test_muldiv_edges),
		cmocka_unit_test(test_bits_edges),
		cmocka_unit_test(test_cond_matrix),
		cmocka_unit_test(test_bcd_legacy),
		cmocka_unit_test(test_host_sweep),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
