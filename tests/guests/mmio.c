/* Memory: an address nothing decodes reads all ones and drops writes;
 * RAM above 1 MiB keeps what is written to it, at both ends of the range
 * the multiboot loader reports. Paging is off, so these are physical. */
#include "rt.h"

#define UNCLAIMED_MMIO 0xd0000000u   /* in the PCI hole, no BAR there */
#define MBI_MEM        (1u << 0)     /* Multiboot 0.6.96, 3.3: mem_lower/upper valid */

static void check_unclaimed(void)
{
	volatile uint32_t *p32 = (volatile uint32_t *)UNCLAIMED_MMIO;
	volatile uint16_t *p16 = (volatile uint16_t *)(UNCLAIMED_MMIO + 0x10);
	volatile uint8_t *p8 = (volatile uint8_t *)(UNCLAIMED_MMIO + 0x21);
	uint32_t v;

	if ((v = *p32) != 0xffffffffu)
		fail("read32 unclaimed = %x", v);
	*p32 = 0x12345678;
	if ((v = *p32) != 0xffffffffu)
		fail("read32 after write = %x", v);
	*p16 = 0x1234;
	if ((v = *p16) != 0xffff)
		fail("read16 unclaimed = %x", v);
	*p8 = 0x12;
	if ((v = *p8) != 0xff)
		fail("read8 unclaimed = %x", v);
	printf("unclaimed mmio reads all ones, writes dropped\n");
}

/* Patterns over [base, base+len): address-as-data, then its complement,
 * so a stuck bit or an aliased page both show. */
static void check_ram(uint32_t base, uint32_t len)
{
	volatile uint32_t *p = (volatile uint32_t *)base;
	uint32_t n = len / 4;

	for (uint32_t i = 0; i < n; i++)
		p[i] = base + i * 4;
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != base + i * 4)
			fail("ram %x = %x, wrote %x", base + i * 4, p[i], base + i * 4);
	for (uint32_t i = 0; i < n; i++)
		p[i] = ~(base + i * 4);
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != ~(base + i * 4))
			fail("ram %x = %x, wrote %x", base + i * 4, p[i], ~(base + i * 4));
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t top;

	(void)magic;
	check_unclaimed();
	if (!(info[0] & MBI_MEM))
		fail("multiboot info has no mem_upper");
	/* mem_upper: KiB of RAM from 1 MiB up to the first hole. */
	top = 0x100000 + info[2] * 1024;
	if (top < 0x800000)
		fail("only %u KiB above 1 MiB", info[2]);
	/* Small windows: under an emulated CPU every store costs. */
	check_ram(0x200000, 0x10000);
	check_ram(0x400000 - 0x1000, 0x2000);        /* across a 4 MiB boundary */
	check_ram(top - 0x10000, 0x10000);            /* the last 64 KiB */
	printf("ram patterns ok\n");
	pass();
}
