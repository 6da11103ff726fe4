/* The ACPI fixed hardware (src/hw/acpi-pm.c): PM1 status write-one-to-
 * clear, enables, the SCI level on GSI 9, S5 power off, the power button
 * and the PM timer's rate. */
#include <time.h>
#include "ringvm/acpi.h"
#include "hw-fixture.h"

static int sci_level = -1, sci_changes;

static int fake_irq_line(struct vm *vm, unsigned gsi, int level)
{
	assert_int_equal(gsi, ACPI_SCI_GSI);
	if (level != sci_level)
		sci_changes++;
	sci_level = level;
	return 0;
}

static const struct accel_ops fake_accel = { .name = "fake", .irq_line = fake_irq_line };

static int setup(void **state)
{
	hw_setup(state);
	the_vm.accel = &fake_accel;
	sci_level = -1;
	sci_changes = 0;
	assert_int_equal(acpi_pm_init(&the_vm), 0);
	return 0;
}

static int teardown(void **state)
{
	acpi_pm_exit(&the_vm);
	return hw_teardown(state);
}

static void test_sci_en_always_set(void **state)
{
	/* No SMI_CMD in the FADT: the board powers up in ACPI mode. */
	assert_int_equal(in(ACPI_PM1_CNT_BLK, 2) & 1, 1);
	out(ACPI_PM1_CNT_BLK, 2, 0);
	assert_int_equal(in(ACPI_PM1_CNT_BLK, 2) & 1, 1);
}

static void test_power_button(void **state)
{
	/* Nobody listening: the press is reported as ignored, no SCI. */
	assert_int_equal(acpi_pm_power_button(&the_vm), -1);
	assert_int_not_equal(sci_level, 1);
	assert_int_equal(in(ACPI_PM1_EVT_BLK, 2) & 0x100, 0x100);   /* PWRBTN_STS */
	/* Enabling the event with the status pending raises the SCI. */
	out(ACPI_PM1_EVT_BLK + 2, 2, 0x100);
	assert_int_equal(sci_level, 1);
	assert_int_equal(in(ACPI_PM1_EVT_BLK + 2, 2), 0x100);
	/* Writing 0 to the status changes nothing; writing 1 clears it. */
	out(ACPI_PM1_EVT_BLK, 2, 0);
	assert_int_equal(sci_level, 1);
	out(ACPI_PM1_EVT_BLK, 2, 0x100);
	assert_int_equal(in(ACPI_PM1_EVT_BLK, 2) & 0x100, 0);
	assert_int_equal(sci_level, 0);
	/* Now a listening guest: 0 and the SCI goes up. */
	assert_int_equal(acpi_pm_power_button(&the_vm), 0);
	assert_int_equal(sci_level, 1);
	assert_int_equal(atomic_load(&the_vm.state), VM_RUNNING);
}

static void test_gpe_sci(void **state)
{
	out(ACPI_GPE0_BLK + 2, 1, 0x01);
	assert_int_equal(in(ACPI_GPE0_BLK + 2, 1), 0x01);
	assert_int_not_equal(sci_level, 1);      /* enabled, nothing pending */
}

static void test_s5_powers_off(void **state)
{
	/* SLP_TYP other than S5: ignored, the VM keeps running. */
	out(ACPI_PM1_CNT_BLK, 2, (3u << 10) | (1u << 13));
	assert_int_equal(atomic_load(&the_vm.state), VM_RUNNING);
	/* SLP_TYP without SLP_EN: only stored. */
	out(ACPI_PM1_CNT_BLK, 2, (ACPI_S5_SLP_TYP << 10));
	assert_int_equal(atomic_load(&the_vm.state), VM_RUNNING);
	assert_int_equal((in(ACPI_PM1_CNT_BLK, 2) >> 10) & 7, ACPI_S5_SLP_TYP);
	/* SLP_EN reads back as zero. */
	assert_int_equal(in(ACPI_PM1_CNT_BLK, 2) & (1u << 13), 0);
	/* S5 with SLP_EN, written as two bytes like some OSes do. */
	out(ACPI_PM1_CNT_BLK + 1, 1, ((ACPI_S5_SLP_TYP << 10) | (1u << 13)) >> 8);
	assert_int_equal(atomic_load(&the_vm.state), VM_STOPPING);
	assert_int_equal(the_vm.exit_status, 0);
}

static void test_pm_timer_rate(void **state)
{
	struct timespec pause = { .tv_nsec = 50 * 1000 * 1000 };
	uint32_t a, b;

	a = in(ACPI_PM_TMR_BLK, 4);
	nanosleep(&pause, NULL);
	b = in(ACPI_PM_TMR_BLK, 4);
	/* 3.579545 MHz: 50 ms is ~178977 ticks; allow a loaded host. */
	assert_true(b - a >= 170000);
	assert_true(b - a < 2000000);
	/* Read-only. */
	out(ACPI_PM_TMR_BLK, 4, 0);
	assert_true(in(ACPI_PM_TMR_BLK, 4) - b < 2000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sci_en_always_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_button, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpe_sci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_s5_powers_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pm_timer_rate, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
