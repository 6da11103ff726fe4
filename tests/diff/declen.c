/* declen: ringvm's instruction decoder against Zydis, on random and
 * structured byte streams in 16-, 32- and 64-bit modes.
 *
 *   declen [-s seed] [-n streams-per-mode] [-m max-printed]
 *
 * Classes:
 *   compared     both decode; lengths must be equal (a difference is a
 *                mismatch and fails the run)
 *   unsupported  Zydis decodes, ringvm says #UD: instructions ringvm does not
 *                implement (counted per mnemonic, printed, not a failure)
 *   zydis-invalid ringvm returns a length for bytes Zydis calls invalid
 *                (printed as warnings: the handler may still #UD at run time)
 * Closing line: "declen: N streams, M compared, K mismatches". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/cpu.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Structured stream: legacy prefixes, maybe REX, an opcode from one of the
 * maps, then ModRM/SIB/displacement/immediate bytes at random. Random
 * tails are what the decoder must measure. */
static void gen_stream(uint8_t *b, int mode)
{
	static const uint8_t pfx[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x3e, 0x26,
				       0x64, 0x65, 0x36 };
	int n = 0;

	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)rnd();
	if (rnd() % 4 == 0)
		return;   /* fully random */
	for (int k = (int)(rnd() % 4); k > 0; k--)
		b[n++] = pfx[rnd() % sizeof(pfx)];
	if (mode == 8 && rnd() % 2)
		b[n++] = (uint8_t)(0x40 | (rnd() & 15));
	switch (rnd() % 4) {
	case 0: case 1:
		b[n++] = (uint8_t)rnd();
		break;
	case 2:
		b[n++] = 0x0f;
		b[n++] = (uint8_t)rnd();
		break;
	default:
		b[n++] = 0x0f;
		b[n++] = rnd() % 2 ? 0x38 : 0x3a;
		b[n++] = (uint8_t)rnd();
		break;
	}
	/* Bias the ModRM toward memory forms with SIB and displacements. */
	if (rnd() % 2)
		b[n] = (uint8_t)((rnd() % 3) << 6 | (rnd() & 0x38) | (rnd() % 2 ? 4 : rnd() & 7));
}

struct tally {
	const char *name;
	unsigned long streams, compared, mismatches, unsupported, zinvalid, amd_branch;
	unsigned long by_mnem[ZYDIS_MNEMONIC_MAX_VALUE + 1];
};

static unsigned printed, warned;

static void hex(const uint8_t *b, int n)
{
	for (int i = 0; i < n; i++)
		printf(" %02x", b[i]);
}

static void run_mode(struct tally *t, ZydisMachineMode zm, ZydisStackWidth sw, int code_size,
		     unsigned long n, unsigned max_print)
{
	ZydisDecoder dec, dec_amd;
	ZydisDecodedInstruction zi;

	ZydisDecoderInit(&dec, zm, sw);
	ZydisDecoderInit(&dec_amd, zm, sw);
	/* AMD CPUs honour 66 on near branches in 64-bit mode (AMD APM Vol. 3
	 * 1.2.x "Operand-Size Override"), Intel ignores it (SDM Vol. 2A
	 * 2.2.1.3); either is a legitimate choice for an emulator. */
	ZydisDecoderEnableMode(&dec_amd, ZYDIS_DECODER_MODE_AMD_BRANCHES, ZYAN_TRUE);

	for (unsigned long k = 0; k < n; k++) {
		uint8_t b[16];
		struct x86_insn ri;
		int rl;
		bool zok;

		gen_stream(b, code_size);
		t->streams++;
		zok = ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, b, 15, &zi));
		rl = x86_decode(b, 15, code_size, &ri);
		if (zok && rl > 0) {
			t->compared++;
			if (rl == zi.length)
				continue;
			{
				ZydisDecodedInstruction za;
				if (ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec_amd, NULL, b, 15, &za)) &&
				    za.length == rl) {
					t->amd_branch++;
					continue;
				}
			}
			t->mismatches++;
			if (printed++ < max_print) {
				printf("LENGTH %s:", t->name);
				hex(b, 15);
				printf("\n  zydis %s len %u, ringvm len %d (map %u op %02x)\n",
				       ZydisMnemonicGetString(zi.mnemonic), zi.length, rl, ri.map, ri.op);
			}
		} else if (zok && rl == 0) {
			t->unsupported++;
			t->by_mnem[zi.mnemonic]++;
		} else if (!zok && rl > 0) {
			t->zinvalid++;
			if (warned++ < 10) {
				printf("note %s: ringvm decodes %d bytes Zydis rejects:", t->name, rl);
				hex(b, rl);
				printf("\n");
			}
		}
		/* Both invalid, or ringvm needs more than 15 bytes: agree. A
		 * Zydis-valid instruction ringvm calls too long is a length
		 * disagreement. */
		else if (zok && rl < 0) {
			t->compared++;
			t->mismatches++;
			if (printed++ < max_print) {
				printf("LENGTH %s:", t->name);
				hex(b, 15);
				printf("\n  zydis %s len %u, ringvm says truncated/too long (%d)\n",
				       ZydisMnemonicGetString(zi.mnemonic), zi.length, rl);
			}
		}
	}
}

static int cmp_count(const void *a, const void *b, void *arg)
{
	const unsigned long *c = arg;
	unsigned long x = c[*(const int *)a], y = c[*(const int *)b];

	return x < y ? 1 : x > y ? -1 : 0;
}

static void report(const struct tally *t)
{
	static int idx[ZYDIS_MNEMONIC_MAX_VALUE + 1];
	int n = 0;

	printf("declen %s: %lu streams, %lu compared, %lu mismatches, %lu AMD-branch lengths, "
	       "%lu unsupported by ringvm, %lu decoded only by ringvm\n", t->name, t->streams,
	       t->compared, t->mismatches, t->amd_branch, t->unsupported, t->zinvalid);
	for (int m = 0; m <= ZYDIS_MNEMONIC_MAX_VALUE; m++)
		if (t->by_mnem[m])
			idx[n++] = m;
	qsort_r(idx, n, sizeof(idx[0]), cmp_count, (void *)t->by_mnem);
	if (n) {
		printf("  unsupported (top of %d mnemonics):", n);
		for (int i = 0; i < n && i < 40; i++)
			printf("%s %s:%lu", i % 8 ? "" : "\n   ",
			       ZydisMnemonicGetString((ZydisMnemonic)idx[i]), t->by_mnem[idx[i]]);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	static struct tally t[3] = { { .name = "64-bit" }, { .name = "32-bit" }, { .name = "16-bit" } };
	unsigned long n = 500000, total = 0, cmp = 0, mis = 0;
	unsigned max_print = 20;
	uint64_t seed = 0xdec0de;
	int opt;

	while ((opt = getopt(argc, argv, "s:n:m:")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'm': max_print = (unsigned)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-s seed] [-n streams-per-mode] [-m max-printed]\n",
				argv[0]);
			return 2;
		}
	}
	rng_state = seed;
	x86_optab_init();
	run_mode(&t[0], ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64, 8, n, max_print);
	run_mode(&t[1], ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32, 4, n, max_print);
	run_mode(&t[2], ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16, 2, n, max_print);
	for (int i = 0; i < 3; i++) {
		report(&t[i]);
		total += t[i].streams;
		cmp += t[i].compared;
		mis += t[i].mismatches;
	}
	printf("declen: %lu streams, %lu compared, %lu mismatches\n", total, cmp, mis);
	return mis ? 1 : 0;
}
