/* Long mode from the 32-bit multiboot entry (SDM Vol. 3A, 10.8.5
 * "Initializing IA-32e Mode"): PAE page tables identity-mapping the first
 * GiB, CR4.PAE, EFER.LME, CR0.PG, then a far jump to a 64-bit code
 * segment. The 64-bit part (longmode-asm.S) checks and prints for itself. */
#include "rt.h"

#define PTE_P  (1ull << 0)
#define PTE_W  (1ull << 1)
#define PTE_PS (1ull << 7)   /* 2 MiB page in a PD entry */

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));

void enter_long_mode(uint32_t cr3) __attribute__((noreturn));

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t r[4];

	(void)magic, (void)info;
	cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000001)
		fail("no extended cpuid leaves");
	cpuid(0x80000001, 0, r);
	if (!(r[3] & (1u << 29)))
		fail("cpu has no long mode (cpuid 0x80000001 edx.lm)");
	for (unsigned i = 0; i < 512; i++)
		pd[i] = (uint64_t)i << 21 | PTE_P | PTE_W | PTE_PS;
	pdpt[0] = (uint32_t)pd | PTE_P | PTE_W;
	pml4[0] = (uint32_t)pdpt | PTE_P | PTE_W;
	printf("32-bit: page tables ready, entering long mode\n");
	enter_long_mode((uint32_t)pml4);
}
