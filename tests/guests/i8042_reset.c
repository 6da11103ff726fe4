/* Reset through the keyboard controller: command 0xFE pulses the CPU
 * reset line (8042 "pulse output port", bit 0 = reset). The guest runs
 * again from its entry point; CMOS NVRAM survives the reset as on real
 * hardware, so a byte there tells the second boot from the first. */
#include "rt.h"

#define FLAG_INDEX 0x40   /* general-purpose NVRAM, no BIOS use */
#define FLAG_VALUE 0xa5

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint8_t last, changes = 0;
	unsigned spins = 0;

	(void)magic, (void)info;
	if (cmos_read(FLAG_INDEX) == FLAG_VALUE) {
		cmos_write(FLAG_INDEX, 0);
		printf("rebooted\n");
		pass();
	}
	cmos_write(FLAG_INDEX, FLAG_VALUE);
	if (cmos_read(FLAG_INDEX) != FLAG_VALUE)
		fail("cmos nvram does not keep a value");
	printf("first boot: resetting through the i8042\n");
	outb(0x64, 0xfe);
	/* The reset should be immediate; give it two RTC second ticks (1-2 s
	 * of guest time) before calling it a failure. */
	last = cmos_read(0x00);
	while (changes < 2 && ++spins < 50000000) {
		uint8_t s = cmos_read(0x00);
		if (s != last)
			changes++, last = s;
	}
	fail("no reset after writing 0xfe to port 0x64");
}
