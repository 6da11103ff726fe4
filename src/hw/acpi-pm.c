/* ACPI fixed-hardware power management (ACPI 6.5 spec, 4.8 "ACPI Hardware
 * Model", 4.8.3 fixed hardware registers): the PM1a event block (status and
 * enable), the PM1a control block (SCI_EN, SLP_TYP/SLP_EN for S5 power
 * off), the PM timer and a GPE0 block, at the ports the FADT (src/boot/
 * acpi.c) names. The SCI is a level interrupt on GSI 9.
 *
 * With this the guest's `poweroff` ends ringvm with status 0, and the
 * power button lets SIGTERM ask the guest to shut down cleanly. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "ringvm/acpi.h"
#include "ringvm/bus.h"
#include "ringvm/irq.h"
#include "ringvm/log.h"
#include "ringvm/vm.h"

/* PM1 status/enable bits (ACPI 6.5 Table 4.11 / 4.13). */
#define PM1_TMR        (1u << 0)
#define PM1_GBL        (1u << 5)
#define PM1_PWRBTN     (1u << 8)
#define PM1_SLPBTN     (1u << 9)
#define PM1_RTC        (1u << 10)
#define PM1_WAK        (1u << 15)
#define PM1_STS_MASK   (PM1_TMR | (1u << 4) | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC | PM1_WAK)
#define PM1_EN_MASK    (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC)
/* PM1 control bits (Table 4.15). */
#define PM1_SCI_EN     (1u << 0)
#define PM1_SLP_TYP(v) (((v) >> 10) & 7)
#define PM1_SLP_EN     (1u << 13)

/* The PM timer counts at 3.579545 MHz (4.8.3.3). */
#define PM_TMR_HZ 3579545ULL

struct acpi_pm {
	struct vm *vm;
	struct irq_line sci;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en;
	int sci_level;
	struct timespec t0;
};

static void acpi_pm_update_sci(struct acpi_pm *pm)
{
	int level = (pm->pm1_cnt & PM1_SCI_EN) &&
		    ((pm->pm1_sts & pm->pm1_en) || (pm->gpe_sts & pm->gpe_en));

	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_line_set(&pm->sci, level);
	}
}

static uint32_t acpi_pm_timer(struct acpi_pm *pm)
{
	struct timespec now;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (uint64_t)(now.tv_sec - pm->t0.tv_sec) * 1000000000ULL +
	     (uint64_t)(now.tv_nsec - pm->t0.tv_nsec);
	/* 32-bit counter (FADT TMR_VAL_EXT); split to avoid overflow. */
	return (uint32_t)((ns / 1000000000ULL) * PM_TMR_HZ +
			  (ns % 1000000000ULL) * PM_TMR_HZ / 1000000000ULL);
}

static uint64_t acpi_pm_read(void *opaque, uint64_t off, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint8_t regs[ACPI_PM_LEN] = { 0 };
	uint32_t tmr = acpi_pm_timer(pm);
	uint64_t v = 0;

	/* Lay the registers out as the guest sees them, then read any width
	 * at any offset out of that. */
	regs[0] = (uint8_t)pm->pm1_sts; regs[1] = (uint8_t)(pm->pm1_sts >> 8);
	regs[2] = (uint8_t)pm->pm1_en;  regs[3] = (uint8_t)(pm->pm1_en >> 8);
	regs[4] = (uint8_t)pm->pm1_cnt; regs[5] = (uint8_t)(pm->pm1_cnt >> 8);
	for (int i = 0; i < 4; i++)
		regs[8 + i] = (uint8_t)(tmr >> (8 * i));
	regs[0x20] = (uint8_t)pm->gpe_sts; regs[0x21] = (uint8_t)(pm->gpe_sts >> 8);
	regs[0x22] = (uint8_t)pm->gpe_en;  regs[0x23] = (uint8_t)(pm->gpe_en >> 8);
	for (unsigned i = 0; i < size && off + i < ACPI_PM_LEN; i++)
		v |= (uint64_t)regs[off + i] << (8 * i);
	return v;
}

static void acpi_pm_sleep(struct acpi_pm *pm, unsigned typ)
{
	if (typ == ACPI_S5_SLP_TYP) {
		pr_info("guest powered off (ACPI S5)");
		vm_request_stop(pm->vm, 0);
		return;
	}
	/* No S1-S4: the DSDT offers only \_S5, so a guest asking for another
	 * state is confused; ignore it the way a board without it would. */
	pr_guest("acpi: guest asked for sleep type %u, which ringvm does not offer", typ);
}

static void acpi_pm_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct acpi_pm *pm = opaque;

	for (unsigned i = 0; i < size; i++) {
		unsigned o = (unsigned)off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		switch (o) {
		case 0: case 1: /* PM1_STS: write one to clear (4.8.3.1.1) */
			pm->pm1_sts &= (uint16_t)~((unsigned)b << (8 * o)) | ~PM1_STS_MASK;
			break;
		case 2: case 3:
			pm->pm1_en = (uint16_t)((pm->pm1_en & ~(0xffu << (8 * (o - 2)))) |
						((unsigned)b << (8 * (o - 2)))) & PM1_EN_MASK;
			break;
		case 4:
			/* SCI_EN stays set: no SMI_CMD port, so the board is in
			 * ACPI mode from power-on (FADT SMI_CMD = 0, 4.8.2.5). */
			pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & 0xff00) | b | PM1_SCI_EN);
			break;
		case 5: {
			uint16_t cnt = (uint16_t)((pm->pm1_cnt & 0x00ff) | (unsigned)b << 8);
			/* SLP_EN is write-only and reads as zero. */
			pm->pm1_cnt = cnt & (uint16_t)~PM1_SLP_EN;
			if (cnt & PM1_SLP_EN)
				acpi_pm_sleep(pm, PM1_SLP_TYP(cnt));
			break;
		}
		case 0x20: case 0x21:
			pm->gpe_sts &= (uint16_t)~((unsigned)b << (8 * (o - 0x20)));
			break;
		case 0x22: case 0x23:
			pm->gpe_en = (uint16_t)((pm->gpe_en & ~(0xffu << (8 * (o - 0x22)))) |
						((unsigned)b << (8 * (o - 0x22))));
			break;
		default:
			break; /* timer and holes: read-only */
		}
	}
	acpi_pm_update_sci(pm);
}

static const struct bus_ops acpi_pm_ops = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
};

int acpi_pm_init(struct vm *vm)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));
	int ret;

	if (!pm)
		return -ENOMEM;
	pm->vm = vm;
	pm->pm1_cnt = PM1_SCI_EN;
	clock_gettime(CLOCK_MONOTONIC, &pm->t0);
	irq_line_init(&pm->sci, vm, ACPI_SCI_GSI);
	ret = bus_register(vm, BUS_PIO, ACPI_PM_BASE, ACPI_PM_LEN, &acpi_pm_ops, pm);
	if (ret < 0)
		free(pm);
	return ret;
}

/* The device's state hangs off the range it claimed, as for the other
 * platform devices (src/hw/hw.c). */
static struct acpi_pm *acpi_pm_of(struct vm *vm)
{
	const struct bus_range *r = bus_find(&vm->bus[BUS_PIO], ACPI_PM_BASE);

	return r && r->ops == &acpi_pm_ops ? r->opaque : NULL;
}

void acpi_pm_exit(struct vm *vm)
{
	free(acpi_pm_of(vm));
}

int acpi_pm_power_button(struct vm *vm)
{
	struct acpi_pm *pm = acpi_pm_of(vm);
	int listening;

	if (!pm)
		return -1;
	vm_lock(vm);
	/* A guest that never enabled the button event would not notice. */
	listening = (pm->pm1_en & PM1_PWRBTN) != 0;
	pm->pm1_sts |= PM1_PWRBTN;
	acpi_pm_update_sci(pm);
	vm_unlock(vm);
	return listening ? 0 : -1;
}
