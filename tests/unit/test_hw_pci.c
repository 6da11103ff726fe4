/* PCI configuration mechanism #1 on a bare VM: the host bridge, absent
 * devices, the enable bit, byte/word lanes, and a registered device with
 * writable bits and a sizable BAR. */
#include <errno.h>
#include "ringvm/pci.h"
#include "hw-fixture.h"

static int setup(void **state)
{
	hw_setup(state);
	return pci_init(&the_vm);
}

static uint32_t conf1_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read(unsigned dev, unsigned fn, unsigned reg, unsigned size)
{
	out(0xcf8, 4, conf1_addr(0, dev, fn, reg));
	return in((uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(unsigned dev, unsigned fn, unsigned reg, unsigned size, uint32_t v)
{
	out(0xcf8, 4, conf1_addr(0, dev, fn, reg));
	out((uint16_t)(0xcfc + (reg & 3)), size, v);
}

static void test_host_bridge(void **state)
{
	assert_int_equal(cfg_read(0, 0, 0x00, 4), 0x29c08086);
	assert_int_equal(cfg_read(0, 0, 0x00, 2), 0x8086);
	assert_int_equal(cfg_read(0, 0, 0x02, 2), 0x29c0);
	assert_int_equal(cfg_read(0, 0, 0x0b, 1), 0x06);  /* bridge */
	assert_int_equal(cfg_read(0, 0, 0x0a, 1), 0x00);  /* host */
	assert_int_equal(cfg_read(0, 0, 0x08, 4) >> 8, 0x060000);
	assert_int_equal(cfg_read(0, 0, 0x0e, 1), 0x00);  /* type 0, single function */
	/* Read-only: the guest cannot rewrite the IDs. */
	cfg_write(0, 0, 0x00, 4, 0x12345678);
	assert_int_equal(cfg_read(0, 0, 0x00, 4), 0x29c08086);
}

static void test_absent_devices(void **state)
{
	assert_int_equal(cfg_read(1, 0, 0x00, 4), 0xffffffff);
	assert_int_equal(cfg_read(31, 7, 0x00, 4), 0xffffffff);
	assert_int_equal(cfg_read(0, 1, 0x00, 4), 0xffffffff);  /* function 1 */
	assert_int_equal(cfg_read(5, 0, 0x02, 2), 0xffff);
	/* Bus 1 does not exist, even for device 0. */
	out(0xcf8, 4, conf1_addr(1, 0, 0, 0));
	assert_int_equal(in(0xcfc, 4), 0xffffffff);
}

static void test_address_register(void **state)
{
	/* Linux's pci_check_type1(): what is written reads back. */
	out(0xcf8, 4, 0x80000000);
	assert_int_equal(in(0xcf8, 4), 0x80000000);
	/* Reserved bits 30:24 and 1:0 read as zero. */
	out(0xcf8, 4, 0xffffffff);
	assert_int_equal(in(0xcf8, 4), 0x80fffffc);
	/* Byte accesses to 0xcf8 are not the address register. */
	out(0xcf8, 4, 0x80000000);
	out(0xcf8, 1, 0x00);
	assert_int_equal(in(0xcf8, 4), 0x80000000);
	assert_int_equal(in(0xcf8, 1), 0xff);
}

static void test_disabled_address(void **state)
{
	out(0xcf8, 4, conf1_addr(0, 0, 0, 0) & 0x7fffffff);
	assert_int_equal(in(0xcfc, 4), 0xffffffff);
	assert_int_equal(in(0xcfe, 2), 0xffff);
}

static uint32_t seen_old;
static unsigned seen_off, seen_writes;

static void dev_config_write(struct pci_device *d, unsigned off, unsigned size, uint32_t old)
{
	seen_off = off;
	seen_old = old;
	seen_writes++;
}

static void test_registered_device(void **state)
{
	static struct pci_device d, d2;

	memset(&d, 0, sizeof(d));
	pci_config_init(&d, 0x1af4, 0x1041, 0x020000, 1);
	assert_int_equal(pci_bar_init(&d, 0, 0x1000, 0), 0);
	assert_int_equal(pci_bar_init(&d, 1, 0x40, PCI_BAR_IO), 0);
	assert_int_equal(pci_bar_init(&d, 2, 0x4000, PCI_BAR_MEM64 | PCI_BAR_PREFETCH), 0);
	assert_int_equal(pci_bar_init(&d, 0, 0x1001, 0), -EINVAL);
	d.devfn = -1;
	d.config_write = dev_config_write;
	assert_int_equal(pci_register_device(&the_vm, &d), 0);
	assert_int_equal(d.devfn, PCI_DEVFN(1, 0));
	/* Asking for a taken devfn fails. */
	memset(&d2, 0, sizeof(d2));
	d2.devfn = PCI_DEVFN(1, 0);
	assert_int_equal(pci_register_device(&the_vm, &d2), -EBUSY);

	assert_int_equal(cfg_read(1, 0, 0x00, 4), 0x10411af4);
	assert_int_equal(cfg_read(1, 0, 0x08, 4), 0x02000001);

	/* BAR sizing: write all ones, read back the size mask. */
	cfg_write(1, 0, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_read(1, 0, 0x10, 4), 0xfffff000);
	cfg_write(1, 0, 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_read(1, 0, 0x14, 4), 0xffffffc1);
	cfg_write(1, 0, 0x18, 4, 0xffffffff);
	assert_int_equal(cfg_read(1, 0, 0x18, 4), 0xffffc00c);
	cfg_write(1, 0, 0x10, 4, 0xfebf1000);
	cfg_write(1, 0, 0x14, 4, 0xc040);
	cfg_write(1, 0, 0x18, 4, 0x00004000);
	cfg_write(1, 0, 0x1c, 4, 0x00000001);
	assert_int_equal(pci_bar_addr(&d, 0), 0xfebf1000);
	assert_int_equal(pci_bar_addr(&d, 1), 0xc040);
	assert_true(pci_bar_addr(&d, 2) == 0x100004000ULL);

	/* Command register: only the defined bits stick; the callback sees
	 * the old value. */
	seen_writes = 0;
	cfg_write(1, 0, 0x04, 2, 0xffff);
	assert_int_equal(cfg_read(1, 0, 0x04, 2), 0x0407);
	assert_int_equal(seen_writes, 1);
	assert_int_equal(seen_off, 0x04);
	assert_int_equal(seen_old, 0);

	/* Status error bits are write-1-to-clear. */
	d.cfg[0x07] = 0x80 | 0x20;  /* parity error detected, and a RO bit */
	cfg_write(1, 0, 0x06, 2, 0x8000);
	assert_int_equal(cfg_read(1, 0, 0x06, 2), 0x2000);

	/* Interrupt line through a byte access at 0xcfc + 0 of reg 0x3c. */
	cfg_write(1, 0, 0x3c, 1, 11);
	assert_int_equal(cfg_read(1, 0, 0x3c, 1), 11);
	assert_int_equal(pci_config_read(&the_vm, PCI_DEVFN(1, 0), 0x3c, 1), 11);
	/* Misaligned dword through 0xcfd does not reach the device. */
	out(0xcf8, 4, conf1_addr(0, 1, 0, 0));
	assert_int_equal(in(0xcfd, 4), 0xffffffff);
}

static void test_reset_control(void **state)
{
	atomic_store(&the_vm.state, VM_RUNNING);
	out(0xcf9, 1, 0x02);               /* SYS_RST alone does nothing */
	assert_int_equal(atomic_load(&the_vm.state), VM_RUNNING);
	assert_int_equal(in(0xcf9, 1), 0x02);
	out(0xcf9, 1, 0x06);               /* RST_CPU: reset */
	assert_int_equal(atomic_load(&the_vm.state), VM_RESETTING);
}

static void test_no_host(void **state)
{
	static struct vm bare;
	struct pci_device d;

	memset(&bare, 0, sizeof(bare));
	memset(&d, 0, sizeof(d));
	d.devfn = -1;
	assert_int_equal(pci_register_device(&bare, &d), -ENODEV);
	assert_int_equal(pci_config_read(&bare, 0, 0, 4), 0xffffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge, setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_absent_devices, setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_address_register, setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_disabled_address, setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_registered_device, setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_reset_control, setup, hw_teardown),
		cmocka_unit_test(test_no_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
