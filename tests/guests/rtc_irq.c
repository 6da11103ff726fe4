/* The CMOS RTC's interrupts on IRQ 8 through the cascaded 8259s: update-
 * ended (UIE) once a second with the seconds moving on, then periodic
 * (PIE) at 64 Hz. The handler reads register C, which acknowledges the
 * RTC (MC146818A datasheet, Register C), then sends EOI to both PICs. */
#include "rt.h"

#define IRQ_BASE 0x20
#define RTC_IRQ  8

static volatile uint32_t uf_irqs, pf_irqs, other_irqs;

static void on_rtc(struct isr_frame *f)
{
	uint8_t c = cmos_read(0x0c);

	(void)f;
	if (!(c & 0x80))
		other_irqs++;      /* IRQF clear: not ours */
	if (c & 0x10)
		uf_irqs++;
	if (c & 0x40)
		pf_irqs++;
	pic_eoi(RTC_IRQ);
}

static uint8_t seconds(void)
{
	unsigned spins = 0;

	while ((cmos_read(0x0a) & 0x80) && ++spins < 100000)
		;
	return cmos_read(0x00);
}

/* Halt until *count reaches n; fail after too many empty wake-ups. */
static void wait_irqs(volatile uint32_t *count, uint32_t n, const char *what)
{
	uint32_t halts = 0;

	while (*count < n) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		if (++halts > 1000000)
			fail("%s: woke %u times, saw %u interrupts", what, halts, *count);
	}
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint8_t s0, s1;

	(void)magic, (void)info;
	idt_init();
	pic_remap(IRQ_BASE, IRQ_BASE + 8);
	idt_set_handler(IRQ_BASE + RTC_IRQ, on_rtc);
	pic_unmask(RTC_IRQ);
	(void)cmos_read(0x0c);               /* drop anything pending */
	cmos_write(0x0b, 0x12);              /* UIE, 24-hour BCD */
	wait_irqs(&uf_irqs, 1, "update");
	s0 = seconds();
	wait_irqs(&uf_irqs, 2, "update");
	s1 = seconds();
	if (s1 == s0)
		fail("two update interrupts, seconds stayed %x", s0);
	printf("update irqs: %u\n", (unsigned)uf_irqs);
	cmos_write(0x0b, 0x02);              /* UIE off */
	cmos_write(0x0a, 0x2a);              /* RS=10: 64 Hz */
	(void)cmos_read(0x0c);
	pf_irqs = 0;
	cmos_write(0x0b, 0x42);              /* PIE */
	wait_irqs(&pf_irqs, 16, "periodic");
	cmos_write(0x0b, 0x02);
	cmos_write(0x0a, 0x26);
	(void)cmos_read(0x0c);
	printf("periodic irqs: %u\n", (unsigned)pf_irqs >= 16 ? 16u : (unsigned)pf_irqs);
	if (other_irqs)
		fail("%u interrupts without IRQF", (unsigned)other_irqs);
	pass();
}
