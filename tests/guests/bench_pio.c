/* Benchmark guest (bench/run.sh, not a test): 100000 OUTs to port 0x80,
 * the POST-code port every PC platform sinks, so that each one is a full
 * exit round trip through the VMM and nothing else.
 *
 * ringvm's boot-timer port 0x440 reads as a microsecond clock; reading it
 * around the loop times it from inside the guest. Elsewhere (QEMU) the port
 * floats at all ones and the line says so; bench/ then falls back to wall
 * time minus the hello guest's. */
#include "rt.h"

#define N_OUTS 100000u

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t t0, t1;

	(void)magic, (void)info;
	printf("bench_pio: start\n");
	t0 = inl(BOOTTIMER);
	for (uint32_t i = 0; i < N_OUTS; i++)
		outb(0x80, (uint8_t)i);
	t1 = inl(BOOTTIMER);
	if (t0 == 0xffffffffu && t1 == 0xffffffffu)
		printf("bench_pio: %u outs, no boot timer\n", N_OUTS);
	else
		printf("bench_pio: %u outs in %u us\n", N_OUTS, t1 - t0);
	pass();
}
