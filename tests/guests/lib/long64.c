/* The C half of the IA-32e scaffolding (see long64.h). */
#include "long64.h"

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));

void lm_enter_flat(uint32_t efer_extra)
{
	for (unsigned i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x87;   /* 2 MiB, user, writable */
	pdpt[0] = (uint32_t)pd | 7;
	pml4[0] = (uint32_t)pdpt | 7;
	lm_enter((uint32_t)pml4, efer_extra);
}
