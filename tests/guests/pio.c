/* Port I/O: reads from a port nobody claims float high (all ones, like an
 * ISA bus with pull-ups), string I/O through COM1, the CMOS clock, and
 * fw_cfg's signature and CPU count. */
#include "rt.h"

#define UNCLAIMED_PORT 0x1230   /* no ISA or PCI device decodes it */
#define FW_CFG_SEL     0x510
#define FW_CFG_DATA    0x511

static void check_unclaimed(void)
{
	uint8_t buf[8];

	outb(UNCLAIMED_PORT, 0x5a);   /* dropped */
	outw(UNCLAIMED_PORT, 0x5a5a);
	outl(UNCLAIMED_PORT, 0x5a5a5a5a);
	if (inb(UNCLAIMED_PORT) != 0xff)
		fail("inb unclaimed = %x", inb(UNCLAIMED_PORT));
	if (inw(UNCLAIMED_PORT) != 0xffff)
		fail("inw unclaimed = %x", inw(UNCLAIMED_PORT));
	if (inl(UNCLAIMED_PORT) != 0xffffffffu)
		fail("inl unclaimed = %x", inl(UNCLAIMED_PORT));
	printf("unclaimed port reads all ones\n");

	/* rep insb from the same port: every byte 0xff, count honoured. */
	memset(buf, 0, sizeof(buf));
	{
		void *d = buf;
		uint32_t n = 6;
		__asm__ volatile("cld; rep insb" : "+D"(d), "+c"(n) : "d"(UNCLAIMED_PORT) : "memory");
		if (n != 0 || d != buf + 6)
			fail("rep insb left ecx=%u edi=%p", n, d);
	}
	for (int i = 0; i < 6; i++)
		if (buf[i] != 0xff)
			fail("rep insb byte %d = %x", i, buf[i]);
	if (buf[6] || buf[7])
		fail("rep insb wrote past its count");
	printf("rep insb ok\n");
}

static void check_string_out(void)
{
	static const char msg[] = "rep outsb to COM1\r\n";
	const void *s = msg;
	uint32_t n = sizeof(msg) - 1;

	/* The UART takes bytes faster than we send them here, so no need to
	 * poll LSR between them. */
	__asm__ volatile("cld; rep outsb" : "+S"(s), "+c"(n) : "d"(COM1) : "memory");
	if (n != 0 || s != msg + sizeof(msg) - 1)
		fail("rep outsb left ecx=%u esi=%p", n, s);
}

static int bcd_ok(uint8_t v, uint8_t max)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9 && v <= max;
}

static void check_rtc(void)
{
	uint8_t b = cmos_read(0x0b), sec, min, hour;
	unsigned spins = 0;

	/* Wait for the update-in-progress bit (register A bit 7) to clear
	 * before reading the time (MC146818A datasheet, "Update Cycle"). */
	while ((cmos_read(0x0a) & 0x80) && ++spins < 100000)
		;
	sec = cmos_read(0x00);
	min = cmos_read(0x02);
	hour = cmos_read(0x04);
	if (b & 0x04) {
		/* binary mode */
		if (sec > 59 || min > 59 || (hour & 0x7f) > 23)
			fail("rtc binary time %u:%u:%u", hour, min, sec);
	} else if (!bcd_ok(sec, 0x59) || !bcd_ok(min, 0x59) || !bcd_ok(hour & 0x7f, 0x23)) {
		fail("rtc bcd time %x:%x:%x", hour, min, sec);
	}
	if (!(cmos_read(0x0d) & 0x80))
		fail("rtc register D: valid RAM and time bit clear");
	printf("rtc time valid (%s mode)\n", b & 0x04 ? "binary" : "bcd");
}

static void fw_cfg_read(uint16_t key, void *buf, unsigned len)
{
	uint8_t *p = buf;

	outw(FW_CFG_SEL, key);
	while (len--)
		*p++ = inb(FW_CFG_DATA);
}

static void check_fw_cfg(void)
{
	char sig[5] = { 0 };
	uint8_t n[2];

	fw_cfg_read(0x0000, sig, 4);
	if (memcmp(sig, "QEMU", 4))
		fail("fw_cfg signature %x %x %x %x", sig[0], sig[1], sig[2], sig[3]);
	printf("fw_cfg signature: %s\n", sig);
	fw_cfg_read(0x0005, n, 2);    /* FW_CFG_NB_CPUS, little-endian 16-bit */
	printf("fw_cfg cpus: %u\n", (unsigned)(n[0] | n[1] << 8));
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	(void)magic, (void)info;
	check_unclaimed();
	check_string_out();
	check_rtc();
	check_fw_cfg();
	pass();
}
