/* CPUID: only what every accelerator must report alike (vendor string
 * present, the baseline features a PC kernel relies on), never the exact
 * values, which legitimately differ between KVM and emu. */
#include "rt.h"

struct feat { const char *name; uint32_t leaf; int reg; int bit; };

/* CPUID leaf 1 EDX/ECX and 0x80000001 EDX bit numbers: SDM Vol. 2A,
 * CPUID, Tables 3-10/3-11; AMD APM Vol. 3, E.4.2. */
static const struct feat feats[] = {
	{ "fpu",  1, 3, 0 },
	{ "apic", 1, 3, 9 },
	{ "tsc",  1, 3, 4 },
	{ "msr",  1, 3, 5 },
	{ "pae",  1, 3, 6 },
	{ "cx8",  1, 3, 8 },
	{ "cmov", 1, 3, 15 },
	{ "fxsr", 1, 3, 24 },
	{ "sse",  1, 3, 25 },
	{ "sse2", 1, 3, 26 },
	{ "lm",   0x80000001, 3, 29 },
	{ "syscall", 0x80000001, 3, 11 },
};

static int printable(uint32_t w)
{
	for (int i = 0; i < 4; i++, w >>= 8)
		if ((w & 0xff) < 0x20 || (w & 0xff) > 0x7e)
			return 0;
	return 1;
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t r[4], max_ext, id0, id1;

	(void)magic, (void)info;
	/* CPUID exists iff EFLAGS.ID (bit 21) can be toggled (SDM Vol. 1, 19.1). */
	__asm__ volatile("pushfl; popl %0; movl %0, %1; xorl $0x200000, %1; pushl %1; popfl;"
			 "pushfl; popl %1; pushl %0; popfl"
			 : "=&r"(id0), "=&r"(id1) :: "cc");
	printf("eflags.id toggles: %u\n", ((id0 ^ id1) >> 21) & 1);

	cpuid(0, 0, r);
	printf("max basic leaf >= 1: %u\n", r[0] >= 1);
	printf("vendor string present: %u\n", printable(r[1]) && printable(r[3]) && printable(r[2]));
	cpuid(0x80000000, 0, r);
	max_ext = r[0];
	printf("max extended leaf >= 0x80000001: %u\n", max_ext >= 0x80000001);
	for (unsigned i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		const struct feat *f = &feats[i];
		if (f->leaf >= 0x80000000 && max_ext < f->leaf)
			r[f->reg] = 0;
		else
			cpuid(f->leaf, 0, r);
		printf("has %s: %u\n", f->name, (r[f->reg] >> f->bit) & 1);
	}
	/* The boot CPU's initial APIC ID (leaf 1 EBX[31:24]) is 0. */
	cpuid(1, 0, r);
	printf("initial apic id: %u\n", r[1] >> 24);
	pass();
}
