/* Benchmark guest (bench/run.sh, not a test): 100000 OUTs to port 0x80,
 * the POST-code port every PC platform sinks, so each one is a full exit
 * round trip through the VMM and nothing else. Boot-timer port writes
 * bracket the loop for VMMs that log them (ringvm: port 0x440). */
#include "rt.h"

#define N_OUTS 100000u

void guest_main(uint32_t magic, const uint32_t *info)
{
	(void)magic, (void)info;
	printf("bench_pio: start\n");
	outl(BOOTTIMER, 1);
	for (uint32_t i = 0; i < N_OUTS; i++)
		outb(0x80, (uint8_t)i);
	outl(BOOTTIMER, 2);
	printf("bench_pio: %u outs done\n", N_OUTS);
	pass();
}
