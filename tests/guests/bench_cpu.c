/* CPU-bound benchmark guest (bench/cpu.py, not a test: no .expect file).
 *
 * Three fixed amounts of work, each ending with a line that carries its
 * checksum, so that a wrong answer is as visible as a slow one: the
 * checksums must be identical under ringvm emu, ringvm kvm and QEMU TCG.
 *
 *   alu     an integer mix: xorshift, add/sub/xor, shifts and rotates,
 *           32x32->64 multiply, 32-bit divide and modulo, in one loop
 *   mem     a 4 MiB array (1 Mi words at 16 MiB): fill, LSD radix sort
 *           through a second 4 MiB buffer, a checked sortedness pass, then
 *           a pointer chase through a random cycle over all of it (each
 *           step a likely cache/TLB miss in the host, as in real code)
 *   branch  a small bytecode interpreter (switch dispatch, data-dependent
 *           branches) running Collatz chain lengths, plus a sieve
 *
 * Plain 32-bit protected mode, flat segments, no paging: the runtime in
 * lib/ is 32-bit and this is what every accelerator and QEMU boot alike.
 * bench/cpu.py times each part from the arrival of its line on COM1. */
#include "rt.h"

#define ALU_ITERS   100000000u
#define MEM_WORDS   (1u << 20)                 /* 4 MiB per buffer */
#define MEM_A       ((uint32_t *)0x01000000)   /* 16 MiB: past the image */
#define MEM_B       ((uint32_t *)0x01400000)   /* 20 MiB */
#define CHASE_STEPS (12u * MEM_WORDS)
#define COLLATZ_N   120000u
#define SIEVE_N     (1u << 20)
#define SIEVE_REPS  8u
#define SIEVE_BUF   ((uint8_t *)0x01800000)    /* 24 MiB */

static inline uint32_t rotl32(uint32_t x, unsigned n)
{
	return (x << (n & 31)) | (x >> ((32 - n) & 31));
}

static uint32_t bench_alu(void)
{
	uint32_t x = 0x12345678u, acc = 0, h = 0x811c9dc5u;

	for (uint32_t i = 1; i <= ALU_ITERS; i++) {
		uint64_t p;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p = (uint64_t)x * (i | 1);
		acc += (uint32_t)(p >> 32) ^ (uint32_t)p;
		acc = rotl32(acc, i & 31) - i;
		if ((i & 7) == 0)
			acc ^= x / ((i & 0xffff) | 1) + x % 251u;
		h = (h ^ (acc & 0xff)) * 16777619u;
		h += (uint32_t)((int32_t)acc >> 3);
	}
	return acc ^ h;
}

/* One 8-bit digit pass of an LSD radix sort, src -> dst. */
static void radix_pass(const uint32_t *src, uint32_t *dst, unsigned shift)
{
	uint32_t count[256];

	memset(count, 0, sizeof(count));
	for (uint32_t i = 0; i < MEM_WORDS; i++)
		count[(src[i] >> shift) & 0xff]++;
	for (uint32_t d = 0, sum = 0; d < 256; d++) {
		uint32_t c = count[d];
		count[d] = sum;
		sum += c;
	}
	for (uint32_t i = 0; i < MEM_WORDS; i++)
		dst[count[(src[i] >> shift) & 0xff]++] = src[i];
}

static uint32_t bench_mem(void)
{
	uint32_t *a = MEM_A, *b = MEM_B, seed = 2463534242u, sum = 0, p;

	for (uint32_t i = 0; i < MEM_WORDS; i++) {
		seed = seed * 1664525u + 1013904223u;
		a[i] = seed;
	}
	for (unsigned shift = 0; shift < 32; shift += 16) {
		radix_pass(a, b, shift);
		radix_pass(b, a, shift + 8);
	}
	for (uint32_t i = 0; i < MEM_WORDS; i++) {
		if (i && a[i - 1] > a[i])
			fail("bench_cpu: radix sort left %u > %u at %u", a[i - 1], a[i], i);
		sum = sum * 31u + a[i];
	}
	/* A single random cycle through every index (Sattolo's shuffle of the
	 * identity), then follow it. */
	for (uint32_t i = 0; i < MEM_WORDS; i++)
		b[i] = i;
	for (uint32_t i = MEM_WORDS - 1; i > 0; i--) {
		uint32_t j, t;
		seed = seed * 1664525u + 1013904223u;
		j = (seed >> 8) % i;
		t = b[i], b[i] = b[j], b[j] = t;
	}
	p = 0;
	for (uint32_t s = 0; s < CHASE_STEPS; s++) {
		p = b[p];
		sum += p ^ s;
	}
	return sum;
}

/* The interpreter's instruction set: a register machine with 8 registers
 * and a program counter; each instruction is op, a, b, c bytes. */
enum { OP_LI, OP_ADD, OP_ADDI, OP_SHR1, OP_AND1, OP_MUL3, OP_JZ, OP_JNZ, OP_JEQ,
       OP_JMP, OP_ACC, OP_HALT };

struct vm_insn {
	uint8_t op, a, b, c;
};

/* for n in [1, N): steps = length of n's Collatz chain; r7 += steps.
 * r0 = n, r1 = x, r2 = steps, r3 = tmp, r4 = N, r7 = total */
static const struct vm_insn collatz_prog[] = {
	/* 0 */ { OP_LI, 0, 1, 0 },           /* n = 1 */
	/* 1 */ { OP_JEQ, 0, 4, 15 },         /* if n == N goto halt */
	/* 2 */ { OP_ADDI, 1, 0, 0 },         /* x = n */
	/* 3 */ { OP_LI, 2, 0, 0 },           /* steps = 0 */
	/* 4 */ { OP_LI, 3, 1, 0 },           /* tmp = 1 */
	/* 5 */ { OP_JEQ, 1, 3, 13 },         /* while x != 1 */
	/* 6 */ { OP_AND1, 3, 1, 0 },         /* tmp = x & 1 */
	/* 7 */ { OP_JNZ, 3, 10, 0 },         /* odd? */
	/* 8 */ { OP_SHR1, 1, 1, 0 },         /* x >>= 1 */
	/* 9 */ { OP_JMP, 11, 0, 0 },
	/* 10 */ { OP_MUL3, 1, 1, 0 },        /* x = 3x + 1 */
	/* 11 */ { OP_ADD, 2, 2, 5 },         /* steps += r5 (1) */
	/* 12 */ { OP_JMP, 4, 0, 0 },
	/* 13 */ { OP_ACC, 7, 2, 0 },         /* total = total * 3 + steps */
	/* 14 */ { OP_ADD, 0, 0, 5 },         /* n++ ; goto 1 */
	/* 15 */ { OP_JZ, 6, 1, 0 },          /* r6 is 0 until halt: loop */
	/* 16 */ { OP_HALT, 0, 0, 0 },
};

static uint32_t vm_run(const struct vm_insn *prog, uint32_t n)
{
	uint32_t r[8] = { 0, 0, 0, 0, n, 1, 0, 0 };
	uint32_t pc = 0;

	for (;;) {
		const struct vm_insn *in = &prog[pc++];

		switch (in->op) {
		case OP_LI: r[in->a] = in->b; break;
		case OP_ADD: r[in->a] = r[in->b] + r[in->c]; break;
		case OP_ADDI: r[in->a] = r[in->b] + in->c; break;
		case OP_SHR1: r[in->a] = r[in->b] >> 1; break;
		case OP_AND1: r[in->a] = r[in->b] & 1; break;
		case OP_MUL3: r[in->a] = r[in->b] * 3 + 1; break;
		case OP_JZ: if (!r[in->a]) pc = in->b; break;
		case OP_JNZ: if (r[in->a]) pc = in->b; break;
		case OP_JEQ: if (r[in->a] == r[in->b]) pc = in->c; break;
		case OP_JMP: pc = in->a; break;
		case OP_ACC: r[in->a] = r[in->a] * 3 + r[in->b]; break;
		case OP_HALT: return r[7];
		default: fail("bench_cpu: bad vm op %u at %u", in->op, pc - 1);
		}
		/* Instruction 15 jumps back to 1 unless the loop ended. */
		if (pc == 15 && r[0] == r[4])
			r[6] = 1;
	}
}

static uint32_t bench_branch(void)
{
	uint8_t *s = SIEVE_BUF;
	uint32_t sum = vm_run(collatz_prog, COLLATZ_N), primes = 0;

	for (uint32_t rep = 0; rep < SIEVE_REPS; rep++) {
		primes = 0;
		memset(s, 1, SIEVE_N);
		s[0] = s[1] = 0;
		for (uint32_t i = 2; i * i < SIEVE_N; i++)
			if (s[i])
				for (uint32_t j = i * i; j < SIEVE_N; j += i)
					s[j] = 0;
		for (uint32_t i = 0; i < SIEVE_N; i++)
			primes += s[i];
	}
	if (primes != 82025)   /* pi(2^20) */
		fail("bench_cpu: sieve found %u primes below 2^20, not 82025", primes);
	return sum * 1000003u + primes;
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t a, m, b;

	(void)magic;
	/* The buffers at 16..25 MiB must be RAM: multiboot mem_upper (KiB
	 * above 1 MiB) when the loader gives it (flags bit 0). */
	if ((info[0] & 1) && info[2] < 25u * 1024)
		fail("bench_cpu: needs 26 MiB of RAM, has %u KiB above 1 MiB", info[2]);
	printf("bench_cpu: start\n");
	a = bench_alu();
	printf("bench_cpu: alu %08x\n", a);
	m = bench_mem();
	printf("bench_cpu: mem %08x\n", m);
	b = bench_branch();
	printf("bench_cpu: branch %08x\n", b);
	printf("bench_cpu: checksum %08x\n", a ^ rotl32(m, 11) ^ rotl32(b, 22));
	pass();
}
