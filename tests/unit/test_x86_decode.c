/* Decoder: lengths and fields for a table of encodings in 16-, 32- and
 * 64-bit code (Intel SDM Vol. 2A chapter 2 and appendix A). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/x86/cpu.h"

static void dummy(struct x86_cpu *c, const struct x86_insn *i) { (void)c; (void)i; }

/* SSE/x87 opcodes are other modules' handlers; give the few used below a
 * placeholder so their lengths can be checked even when those modules are
 * absent (the decoder reports #UD for a NULL handler). */
static int setup(void **state)
{
	(void)state;
	x86_optab_init();
	static const uint8_t need[][2] = {
		{ 1, 0x6f }, { 1, 0x70 }, { 1, 0x10 }, { 1, 0xc6 }, { 3, 0x0f }, { 1, 0x7f },
		{ 0, 0xd9 },
	};
	for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++)
		if (!x86_optab[need[k][0]][need[k][1]])
			x86_optab[need[k][0]][need[k][1]] = dummy;
	return 0;
}

struct dcase {
	int mode;               /* code size 2, 4, 8 */
	const char *hex;
	int len;                /* expected return value */
	int opsz, adsz;         /* 0 = don't check */
	int base, index, seg;   /* -1 = don't check */
	long long disp;
	unsigned long long imm;
	int check_imm;
};

static int unhex(const char *h, uint8_t *out)
{
	int n = 0;
	while (h[0] && h[1]) {
		unsigned v;
		if (h[0] == ' ') { h++; continue; }
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

#define NOCHK -1, -1, -1, 0, 0, 0

static const struct dcase cases[] = {
	/* 64-bit mode */
	{ 8, "48 89 e5", 3, 8, 8, NOCHK },                            /* mov rbp,rsp */
	{ 8, "89 e5", 2, 4, 8, NOCHK },                               /* mov ebp,esp */
	{ 8, "48 8b 05 10 00 00 00", 7, 8, 8, RIP_REL, NO_REG, S_DS, 0x10, 0, 0 },
	{ 8, "48 b8 88 77 66 55 44 33 22 11", 10, 8, 8, -1, -1, -1, 0, 0x1122334455667788ULL, 1 },
	{ 8, "66 b8 34 12", 4, 2, 8, -1, -1, -1, 0, 0x1234, 1 },
	{ 8, "b8 ff ff ff ff", 5, 4, 8, -1, -1, -1, 0, 0xffffffffULL, 1 },
	{ 8, "41 50", 2, 8, 8, NOCHK },                               /* push r8 */
	{ 8, "66 41 50", 3, 2, 8, NOCHK },                            /* push r8w */
	{ 8, "41 66 50", 3, 2, 8, NOCHK },                            /* REX not last: ignored */
	{ 8, "f3 48 a5", 3, 8, 8, NOCHK },                            /* rep movsq */
	{ 8, "0f 05", 2, 0, 0, NOCHK },                               /* syscall */
	{ 8, "e8 fb ff ff ff", 5, 8, 8, -1, -1, -1, 0, (unsigned long long)-5LL, 1 },
	{ 8, "66 e8 00 00 00 00", 6, 8, 8, NOCHK },                   /* near call forced 64 */
	{ 8, "eb fe", 2, 8, 8, -1, -1, -1, 0, (unsigned long long)-2LL, 1 },
	{ 8, "0f 84 00 01 00 00", 6, 8, 8, -1, -1, -1, 0, 0x100, 1 },
	{ 8, "f6 c0 01", 3, 1, 8, -1, -1, -1, 0, 1, 1 },              /* test al,1 */
	{ 8, "f6 d0", 2, 1, 8, NOCHK },                               /* not al: no imm */
	{ 8, "f7 c0 78 56 34 12", 6, 4, 8, -1, -1, -1, 0, 0x12345678, 1 },
	{ 8, "48 f7 c0 ff ff ff ff", 7, 8, 8, -1, -1, -1, 0, ~0ULL, 1 },
	{ 8, "f7 d8", 2, 4, 8, NOCHK },                               /* neg eax */
	{ 8, "f7 f1", 2, 4, 8, NOCHK },                               /* div ecx */
	{ 8, "c8 10 00 01", 4, 8, 8, -1, -1, -1, 0, 0x10, 1 },        /* enter 16,1 */
	{ 8, "48 a1 88 77 66 55 44 33 22 11", 10, 8, 8, -1, -1, -1, 0, 0x1122334455667788ULL, 1 },
	{ 8, "67 a1 44 33 22 11", 6, 4, 4, -1, -1, -1, 0, 0x11223344, 1 },
	{ 8, "a0 01 00 00 00 00 00 00 00", 9, 1, 8, NOCHK },          /* mov al, moffs64 */
	{ 8, "64 8b 04 25 28 00 00 00", 8, 4, 8, NO_REG, NO_REG, S_FS, 0x28, 0, 0 },
	{ 8, "2e 8b 00", 3, 4, 8, R_AX, NO_REG, S_DS, 0, 0, 0 },      /* CS: ignored */
	{ 8, "36 8b 00", 3, 4, 8, R_AX, NO_REG, S_DS, 0, 0, 0 },      /* SS: ignored too */
	{ 8, "65 8b 00", 3, 4, 8, R_AX, NO_REG, S_GS, 0, 0, 0 },
	{ 8, "8b 45 f8", 3, 4, 8, R_BP, NO_REG, S_SS, -8, 0, 0 },
	{ 8, "41 8b 45 f8", 4, 4, 8, R_R13, NO_REG, S_DS, -8, 0, 0 },
	{ 8, "8b 04 24", 3, 4, 8, R_SP, NO_REG, S_SS, 0, 0, 0 },
	{ 8, "42 8b 04 a0", 4, 4, 8, R_AX, R_R12, S_DS, 0, 0, 0 },
	{ 8, "8b 04 a0", 3, 4, 8, R_AX, NO_REG, S_DS, 0, 0, 0 },      /* index 100b: none */
	{ 8, "41 8b 04 24", 4, 4, 8, R_R12, NO_REG, S_DS, 0, 0, 0 },
	{ 8, "8b 44 8d 80", 4, 4, 8, R_BP, R_CX, S_SS, -128, 0, 0 },
	{ 8, "67 8b 07", 3, 4, 4, R_DI, NO_REG, S_DS, 0, 0, 0 },
	{ 8, "0f 20 c0", 3, 0, 0, NOCHK },                            /* mov rax,cr0 */
	{ 8, "0f 22 00", 3, 0, 0, NOCHK },                            /* mod ignored: no disp */
	{ 8, "0f ba e0 05", 4, 4, 8, -1, -1, -1, 0, 5, 1 },
	{ 8, "f3 0f b8 c1", 4, 4, 8, NOCHK },                         /* popcnt */
	{ 8, "0f 38 f0 06", 4, 4, 8, R_SI, NO_REG, S_DS, 0, 0, 0 },   /* movbe */
	{ 8, "66 0f 3a 0f c1 08", 6, 2, 8, -1, -1, -1, 0, 8, 1 },     /* palignr */
	{ 8, "ff 15 00 00 00 00", 6, 8, 8, RIP_REL, NO_REG, -1, 0, 0, 0 },
	{ 8, "ff 75 08", 3, 8, 8, R_BP, NO_REG, S_SS, 8, 0, 0 },      /* push [rbp+8] */
	{ 8, "ff c0", 2, 4, 8, NOCHK },                               /* inc eax */
	{ 8, "66 0f 1f 44 00 00", 6, 2, 8, NOCHK },                   /* nopw */
	{ 8, "0f 1f 84 00 00 00 00 00", 8, 4, 8, NOCHK },
	{ 8, "66 0f 6f 00", 4, 0, 0, NOCHK },                         /* movdqa */
	{ 8, "66 0f 70 c1 1b", 5, 0, 0, -1, -1, -1, 0, 0x1b, 1 },     /* pshufd */
	{ 8, "d9 e8", 2, 0, 0, NOCHK },                               /* fld1 */
	{ 8, "f0 01 18", 3, 4, 8, NOCHK },                            /* lock add [rax],ebx */
	{ 8, "f0 48 0f c7 0e", 5, 8, 8, NOCHK },                      /* lock cmpxchg16b */
	{ 8, "f0 0f c1 08", 4, 4, 8, NOCHK },                         /* lock xadd */
	{ 8, "6a ff", 2, 8, 8, -1, -1, -1, 0, ~0ULL, 1 },             /* push -1 */
	{ 8, "68 00 00 00 80", 5, 8, 8, -1, -1, -1, 0, 0xffffffff80000000ULL, 1 },
	{ 8, "48 63 c1", 3, 8, 8, NOCHK },                            /* movsxd */
	{ 8, "c2 08 00", 3, 8, 8, -1, -1, -1, 0, 8, 1 },
	{ 8, "26 26 64 f2 f3 66 67 90", 8, 0, 0, NOCHK },             /* prefixes repeated */
	{ 8, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 15, 0, 0, NOCHK },
	/* 64-bit mode: invalid */
	{ 8, "06", 0, 0, 0, NOCHK },                                  /* push es */
	{ 8, "37", 0, 0, 0, NOCHK },                                  /* aaa */
	{ 8, "62 00", 0, 0, 0, NOCHK },                               /* bound/EVEX */
	{ 8, "c4 e2 79 18 00", 0, 0, 0, NOCHK },                      /* VEX */
	{ 8, "c5 f9 6f c1", 0, 0, 0, NOCHK },
	{ 8, "ce", 0, 0, 0, NOCHK },                                  /* into */
	{ 8, "9a 00 00 00 00 00 00", 0, 0, 0, NOCHK },                /* callf ptr */
	{ 8, "d4 0a", 0, 0, 0, NOCHK },                               /* aam */
	{ 8, "d6", 0, 0, 0, NOCHK },                                  /* salc */
	{ 8, "0f 0f c1 b4", 0, 0, 0, NOCHK },                         /* 3DNow! */
	{ 8, "0f 0b", 0, 0, 0, NOCHK },                               /* ud2 */
	{ 8, "f0 01 d8", 0, 0, 0, NOCHK },                            /* lock, register dest */
	{ 8, "f0 90", 0, 0, 0, NOCHK },                               /* lock nop */
	{ 8, "f0 39 18", 0, 0, 0, NOCHK },                            /* lock cmp */
	{ 8, "f0 8b 00", 0, 0, 0, NOCHK },                            /* lock mov */
	{ 8, "8f c8", 0, 0, 0, NOCHK },                               /* XOP escape */
	{ 8, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", X86_DEC_TOOLONG, 0, 0, NOCHK },
	{ 8, "48 b8 00 00", X86_DEC_TRUNC, 0, 0, NOCHK },
	{ 8, "66", X86_DEC_TRUNC, 0, 0, NOCHK },
	/* 32-bit mode */
	{ 4, "8b 04 24", 3, 4, 4, R_SP, NO_REG, S_SS, 0, 0, 0 },
	{ 4, "8b 05 78 56 34 12", 6, 4, 4, NO_REG, NO_REG, S_DS, 0x12345678, 0, 0 },
	{ 4, "40", 1, 4, 4, NOCHK },                                  /* inc eax */
	{ 4, "48 90", 1, 4, 4, NOCHK },                               /* dec eax; no REX */
	{ 4, "c4 06", 2, 4, 4, R_SI, NO_REG, S_DS, 0, 0, 0 },         /* les eax,[esi] */
	{ 4, "c5 c0", 0, 0, 0, NOCHK },                               /* VEX2: #UD */
	{ 4, "9a 44 33 22 11 08 00", 7, 4, 4, -1, -1, -1, 0, 0x11223344, 1 },
	{ 4, "66 9a 22 11 08 00", 6, 2, 4, -1, -1, -1, 0, 0x1122, 1 },
	{ 4, "67 8b 07", 3, 4, 2, R_BX, NO_REG, S_DS, 0, 0, 0 },      /* [bx] */
	{ 4, "62 05 00 00 00 00", 6, 4, 4, NOCHK },                   /* bound */
	{ 4, "06", 1, 4, 4, NOCHK },
	{ 4, "37", 1, 4, 4, NOCHK },
	{ 4, "a1 44 33 22 11", 5, 4, 4, -1, -1, -1, 0, 0x11223344, 1 },
	{ 4, "67 a1 22 11", 4, 4, 2, -1, -1, -1, 0, 0x1122, 1 },
	{ 4, "2e 8b 00", 3, 4, 4, R_AX, NO_REG, S_CS, 0, 0, 0 },
	{ 4, "e8 00 00 00 00", 5, 4, 4, NOCHK },
	{ 4, "66 e8 00 00", 4, 2, 4, NOCHK },
	{ 4, "d4 0a", 2, 4, 4, -1, -1, -1, 0, 10, 1 },
	{ 4, "d6", 1, 4, 4, NOCHK },                                  /* salc */
	/* 16-bit mode */
	{ 2, "8b 46 02", 3, 2, 2, R_BP, NO_REG, S_SS, 2, 0, 0 },
	{ 2, "8b 06 34 12", 4, 2, 2, NO_REG, NO_REG, S_DS, 0x1234, 0, 0 },
	{ 2, "8b 00", 2, 2, 2, R_BX, R_SI, S_DS, 0, 0, 0 },
	{ 2, "8b 43 fe", 3, 2, 2, R_BP, R_DI, S_SS, -2, 0, 0 },
	{ 2, "8b 87 00 80", 4, 2, 2, R_BX, NO_REG, S_DS, -32768, 0, 0 },
	{ 2, "66 b8 78 56 34 12", 6, 4, 2, -1, -1, -1, 0, 0x12345678, 1 },
	{ 2, "ea 00 7c 00 00", 5, 2, 2, -1, -1, -1, 0, 0x7c00, 1 },
	{ 2, "67 8b 04 24", 4, 2, 4, R_SP, NO_REG, S_SS, 0, 0, 0 },
	{ 2, "e8 fd ff", 3, 2, 2, -1, -1, -1, 0, (unsigned long long)-3LL, 1 },
	{ 2, "26 8b 07", 3, 2, 2, R_BX, NO_REG, S_ES, 0, 0, 0 },
	{ 2, "cd 10", 2, 2, 2, -1, -1, -1, 0, 0x10, 1 },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct dcase *t = &cases[k];
		uint8_t b[32];
		struct x86_insn i;
		int n = unhex(t->hex, b), r;

		memset(&i, 0xcc, sizeof(i));
		r = x86_decode(b, n, t->mode, &i);
		if (r != t->len)
			fail_msg("case %zu (%d-bit) \"%s\": length %d, want %d", k, t->mode * 8,
				 t->hex, r, t->len);
		if (r <= 0)
			continue;
		if (!i.fn)
			fail_msg("case %zu: no handler", k);
		if (t->opsz && i.opsz != t->opsz)
			fail_msg("case %zu \"%s\": opsz %d, want %d", k, t->hex, i.opsz, t->opsz);
		if (t->adsz && i.adsz != t->adsz)
			fail_msg("case %zu \"%s\": adsz %d, want %d", k, t->hex, i.adsz, t->adsz);
		if (t->base != -1 && i.base != t->base)
			fail_msg("case %zu \"%s\": base %d, want %d", k, t->hex, i.base, t->base);
		if (t->index != -1 && i.index != t->index)
			fail_msg("case %zu \"%s\": index %d, want %d", k, t->hex, i.index, t->index);
		if (t->seg != -1 && i.seg != t->seg)
			fail_msg("case %zu \"%s\": seg %d, want %d", k, t->hex, i.seg, t->seg);
		if (t->base != -1 && i.disp != t->disp)
			fail_msg("case %zu \"%s\": disp %lld, want %lld", k, t->hex,
				 (long long)i.disp, t->disp);
		if (t->check_imm && i.imm != t->imm)
			fail_msg("case %zu \"%s\": imm %llx, want %llx", k, t->hex,
				 (unsigned long long)i.imm, t->imm);
	}
}

/* Fields beyond the table: registers with REX, prefixes, ENTER's level,
 * far pointer selectors, mandatory SSE prefix selection. */
static void test_fields(void **state)
{
	struct x86_insn i;
	(void)state;

	/* 4f 8b 44 cd 10: mov r8, [r13 + r9*8 + 16] (REX.WRXB) */
	assert_int_equal(x86_decode((const uint8_t *)"\x4f\x8b\x44\xcd\x10", 5, 8, &i), 5);
	assert_int_equal(i.reg, R_R8);
	assert_int_equal(i.base, R_R13);
	assert_int_equal(i.index, R_R9);
	assert_int_equal(i.scale, 3);
	assert_int_equal(i.disp, 16);
	assert_int_equal(i.mod, 1);
	assert_int_equal(i.rex, 0x4f);

	/* 41 88 c7: mov r15b, al (register form, REX.B). */
	assert_int_equal(x86_decode((const uint8_t *)"\x41\x88\xc7", 3, 8, &i), 3);
	assert_int_equal(i.mod, 3);
	assert_int_equal(i.rm, R_R15);
	assert_int_equal(i.reg, R_AX);
	assert_int_equal(i.opsz, 1);

	/* 49 bf imm64: mov r15, imm (register in the opcode, REX.B). */
	assert_int_equal(x86_decode((const uint8_t *)"\x49\xbf\1\2\3\4\5\6\7\x08", 10, 8, &i), 10);
	assert_int_equal(i.rm, R_R15);

	/* c8 00 01 03: enter 0x100, 3 */
	assert_int_equal(x86_decode((const uint8_t *)"\xc8\x00\x01\x03", 4, 8, &i), 4);
	assert_int_equal(i.imm, 0x100);
	assert_int_equal(i.imm2, 3);

	/* ea 78 56 34 12 08 00: jmp far 0008:12345678 (32-bit) */
	assert_int_equal(x86_decode((const uint8_t *)"\xea\x78\x56\x34\x12\x08\x00", 7, 4, &i), 7);
	assert_int_equal(i.imm, 0x12345678);
	assert_int_equal(i.imm2, 8);

	/* f2 66 0f 10 c1: last of F2/F3 wins over 66 for SSE (movsd). */
	assert_int_equal(x86_decode((const uint8_t *)"\xf2\x66\x0f\x10\xc1", 5, 8, &i), 5);
	assert_int_equal(i.sse_pfx, 0xf2);
	assert_int_equal(i.pfx66, 1);
	assert_int_equal(i.map, 1);
	assert_int_equal(i.op, 0x10);

	/* f3 f2 a6: repne cmpsb (last repeat prefix wins). */
	assert_int_equal(x86_decode((const uint8_t *)"\xf3\xf2\xa6", 3, 8, &i), 3);
	assert_int_equal(i.rep, 0xf2);
	assert_int_equal(i.opsz, 1);

	/* f0 prefix recorded on a lockable form. */
	assert_int_equal(x86_decode((const uint8_t *)"\xf0\x0f\xb1\x0f", 4, 8, &i), 4);
	assert_int_equal(i.lock, 1);

	/* 0f 3a: three-byte map and its immediate. */
	assert_int_equal(x86_decode((const uint8_t *)"\x66\x0f\x3a\x0f\xc1\x08", 6, 8, &i), 6);
	assert_int_equal(i.map, 3);
	assert_int_equal(i.op, 0x0f);

	/* A truncated buffer shorter than 15 bytes asks for more. */
	assert_int_equal(x86_decode((const uint8_t *)"\x8b\x80\x00", 3, 4, &i), X86_DEC_TRUNC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
