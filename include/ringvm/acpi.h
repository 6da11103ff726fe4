/* ACPI platform: where the fixed hardware lives (the FADT in src/boot/acpi.c
 * points at it) and the power-management device in src/hw/acpi-pm.c. */
#ifndef RINGVM_ACPI_H
#define RINGVM_ACPI_H

struct vm;

/* One I/O block: PM1a_EVT at +0 (4 bytes), PM1a_CNT at +4 (2), PM_TMR at
 * +8 (4), GPE0 at +0x20 (2 status + 2 enable). */
#define ACPI_PM_BASE      0x600
#define ACPI_PM_LEN       0x24
#define ACPI_PM1_EVT_BLK  (ACPI_PM_BASE + 0x00)
#define ACPI_PM1_CNT_BLK  (ACPI_PM_BASE + 0x04)
#define ACPI_PM_TMR_BLK   (ACPI_PM_BASE + 0x08)
#define ACPI_GPE0_BLK     (ACPI_PM_BASE + 0x20)
#define ACPI_SCI_GSI      9
/* SLP_TYP for S5 in the DSDT's \_S5 package and in PM1a_CNT. */
#define ACPI_S5_SLP_TYP   5
/* FADT RESET_REG: the PCI reset control register (src/hw/pci.c). */
#define ACPI_RESET_PORT   0xcf9
#define ACPI_RESET_VALUE  0x06

int acpi_pm_init(struct vm *vm);
void acpi_pm_exit(struct vm *vm);
/* Press the ACPI power button: 0 when the guest has enabled the event (it
 * will shut down), -1 when nobody listens. Takes the device lock. */
int acpi_pm_power_button(struct vm *vm);

#endif
