/* A triple fault: with an empty IDT (limit 0) the #UD from ud2 cannot be delivered,
 * the resulting #GP cannot either, nor the #DF after it, so the CPU shuts
 * down (SDM Vol. 3A, 6.15 "Interrupt 8 - Double Fault Exception"). ringvm
 * must report it and exit non-zero, not hang or crash. */
#include "rt.h"

void guest_main(uint32_t magic, const uint32_t *info)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) empty = { 0, 0 };

	(void)magic, (void)info;
	printf("loading an empty IDT and executing ud2\n");
	__asm__ volatile("lidt %0; ud2" :: "m"(empty));
	fail("still running after a triple fault");
}
