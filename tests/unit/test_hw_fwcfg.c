/* fw_cfg: the traditional interface as a guest sees it, through the port
 * handlers and through a bare VM's PIO bus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/vm.h"

static void select_item(struct fw_cfg *f, uint16_t key)
{
	fw_cfg_io_write(f, 0, 2, key);
}

static void read_bytes(struct fw_cfg *f, void *buf, size_t len)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)fw_cfg_io_read(f, 1, 1);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_signature_and_id(void **state)
{
	struct fw_cfg *f = fw_cfg_new();
	uint8_t buf[4];

	assert_non_null(f);
	select_item(f, FW_CFG_SIGNATURE);
	read_bytes(f, buf, 4);
	assert_memory_equal(buf, "QEMU", 4);
	select_item(f, FW_CFG_ID);
	read_bytes(f, buf, 4);
	/* Bit 0: traditional interface; bit 1 (DMA) must be clear. */
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[1] | buf[2] | buf[3], 0);
	/* Selecting again restarts at offset 0. */
	select_item(f, FW_CFG_SIGNATURE);
	assert_int_equal(fw_cfg_io_read(f, 1, 1), 'Q');
	fw_cfg_free(f);
}

static void test_ram_size_and_cpus(void **state)
{
	struct fw_cfg *f = fw_cfg_new();
	uint64_t ram = 0x123456789aULL;
	uint16_t cpus = 3;
	uint8_t buf[8];

	assert_non_null(f);
	assert_int_equal(fw_cfg_add(f, FW_CFG_RAM_SIZE, &ram, sizeof(ram)), 0);
	assert_int_equal(fw_cfg_add(f, FW_CFG_NB_CPUS, &cpus, sizeof(cpus)), 0);
	assert_int_equal(fw_cfg_add(f, FW_CFG_MAX_CPUS, &cpus, sizeof(cpus)), 0);
	select_item(f, FW_CFG_RAM_SIZE);
	read_bytes(f, buf, 8);
	assert_int_equal(buf[0], 0x9a);  /* little-endian */
	assert_int_equal(buf[4], 0x12);
	assert_int_equal(buf[5] | buf[6] | buf[7], 0);
	select_item(f, FW_CFG_NB_CPUS);
	read_bytes(f, buf, 2);
	assert_int_equal(buf[0] | buf[1] << 8, 3);
	select_item(f, FW_CFG_MAX_CPUS);
	read_bytes(f, buf, 2);
	assert_int_equal(buf[0] | buf[1] << 8, 3);
	/* Replacing an item keeps one copy, with the new value. */
	cpus = 5;
	assert_int_equal(fw_cfg_add(f, FW_CFG_NB_CPUS, &cpus, sizeof(cpus)), 0);
	select_item(f, FW_CFG_NB_CPUS);
	assert_int_equal(fw_cfg_io_read(f, 1, 1), 5);
	fw_cfg_free(f);
}

/* Look a file up the way a guest does: walk FILE_DIR. */
static int find_file(struct fw_cfg *f, const char *name, uint16_t *key, uint32_t *size)
{
	uint8_t hdr[4], e[64];
	uint32_t n;

	select_item(f, FW_CFG_FILE_DIR);
	read_bytes(f, hdr, 4);
	n = get_be32(hdr);
	for (uint32_t i = 0; i < n; i++) {
		read_bytes(f, e, 64);
		if (!strncmp((char *)e + 8, name, 56)) {
			*size = get_be32(e);
			*key = (uint16_t)(e[4] << 8 | e[5]);
			return 0;
		}
	}
	return -ENOENT;
}

static void test_file_dir_lookup(void **state)
{
	struct fw_cfg *f = fw_cfg_new();
	static const char boot[] = "bootorder-data";
	uint8_t blob[300];
	uint8_t buf[300];
	uint16_t key;
	uint32_t size;
	uint8_t hdr[4];

	assert_non_null(f);
	/* An empty directory is a zero count. */
	select_item(f, FW_CFG_FILE_DIR);
	read_bytes(f, hdr, 4);
	assert_int_equal(get_be32(hdr), 0);

	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7);
	assert_int_equal(fw_cfg_add_file(f, "etc/ringvm/blob", blob, sizeof(blob)), 0);
	assert_int_equal(fw_cfg_add_file(f, "bootorder", boot, sizeof(boot)), 0);
	assert_int_equal(fw_cfg_add_file(f, "bootorder", boot, 1), -EEXIST);
	assert_int_equal(fw_cfg_add_file(f, "a-name-that-is-far-too-long-for-the-fifty-six-byte-field", boot, 1),
			 -ENAMETOOLONG);

	select_item(f, FW_CFG_FILE_DIR);
	read_bytes(f, hdr, 4);
	assert_int_equal(get_be32(hdr), 2);

	assert_int_equal(find_file(f, "etc/ringvm/blob", &key, &size), 0);
	assert_int_equal(key, 0x20);
	assert_int_equal(size, sizeof(blob));
	select_item(f, key);
	read_bytes(f, buf, sizeof(blob));
	assert_memory_equal(buf, blob, sizeof(blob));

	assert_int_equal(find_file(f, "bootorder", &key, &size), 0);
	assert_int_equal(key, 0x21);
	assert_int_equal(size, sizeof(boot));
	select_item(f, key);
	read_bytes(f, buf, sizeof(boot));
	assert_string_equal((char *)buf, boot);

	assert_int_equal(find_file(f, "missing", &key, &size), -ENOENT);
	fw_cfg_free(f);
}

static void test_read_past_end_and_unknown(void **state)
{
	struct fw_cfg *f = fw_cfg_new();

	assert_non_null(f);
	select_item(f, FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		assert_int_not_equal(fw_cfg_io_read(f, 1, 1), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(fw_cfg_io_read(f, 1, 1), 0);
	/* An item that does not exist reads as zeros. */
	select_item(f, 0x1234);
	assert_int_equal(fw_cfg_io_read(f, 1, 1), 0);
	/* The write-channel bit (14) does not change which item is read. */
	select_item(f, 0x4000 | FW_CFG_SIGNATURE);
	assert_int_equal(fw_cfg_io_read(f, 1, 1), 'Q');
	fw_cfg_free(f);
}

static void test_ports_on_bus(void **state)
{
	static struct vm vm;
	struct fw_cfg *f = fw_cfg_new();
	uint16_t sel = FW_CFG_SIGNATURE;
	char sig[5] = { 0 };
	uint32_t wide;

	memset(&vm, 0, sizeof(vm));
	assert_non_null(f);
	assert_int_equal(fw_cfg_attach(f, &vm), 0);
	assert_int_equal(bus_dispatch(&vm, BUS_PIO, 0x510, &sel, 2, true), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(bus_dispatch(&vm, BUS_PIO, 0x511, &sig[i], 1, false), 0);
	assert_string_equal(sig, "QEMU");
	/* Only byte reads stream data; a dword read does not consume any. */
	sel = FW_CFG_SIGNATURE;
	assert_int_equal(bus_dispatch(&vm, BUS_PIO, 0x510, &sel, 2, true), 0);
	assert_int_equal(bus_dispatch(&vm, BUS_PIO, 0x511, &wide, 4, false), 0);
	assert_int_equal(fw_cfg_io_read(f, 1, 1), 'Q');
	bus_free(&vm.bus[BUS_PIO]);
	fw_cfg_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_and_id),
		cmocka_unit_test(test_ram_size_and_cpus),
		cmocka_unit_test(test_file_dir_lookup),
		cmocka_unit_test(test_read_past_end_and_unknown),
		cmocka_unit_test(test_ports_on_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
