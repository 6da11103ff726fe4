/* Platform devices. Each *_init registers its ranges on the VM's bus. */
#ifndef RINGVM_HW_H
#define RINGVM_HW_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct console;

/* 16550A UART. COM1 = 0x3f8, IRQ 4. Output goes to the console; input is
 * fed by uart_receive() from the event loop. */
struct uart *uart_init(struct vm *vm, uint16_t base, unsigned gsi, struct console *con);
void uart_receive(struct uart *u, const uint8_t *buf, size_t len);
void uart_free(struct uart *u);
/* The level the UART drives on its IRQ line: an enabled interrupt is
 * pending and MCR.OUT2 gates it through (tests and debugging). */
int uart_irq_level(struct uart *u);

int i8042_init(struct vm *vm);            /* 0x60/0x64; 0xFE -> reset */
int rtc_init(struct vm *vm);              /* CMOS 0x70/0x71, host time, IRQ 8 */
int debugexit_init(struct vm *vm);        /* 0xf4: exit with (v<<1)|1 */
int boottimer_init(struct vm *vm);        /* 0x440: log µs since start */
int pci_init(struct vm *vm);              /* host bridge, conf1 at 0xcf8 */
int post_init(struct vm *vm);             /* port 0x80 sink */

/* fw_cfg at 0x510 (selector) / 0x511 (data), QEMU-compatible. */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID        0x01
#define FW_CFG_RAM_SIZE  0x03
#define FW_CFG_NB_CPUS   0x05
#define FW_CFG_MAX_CPUS  0x0f
#define FW_CFG_FILE_DIR  0x19
struct fw_cfg *fw_cfg_new(void);
int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, size_t len);
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len);
int fw_cfg_attach(struct fw_cfg *f, struct vm *vm);
void fw_cfg_free(struct fw_cfg *f);
/* Port-level access, for unit tests and the bus glue. */
uint64_t fw_cfg_io_read(void *opaque, uint64_t off, unsigned size);
void fw_cfg_io_write(void *opaque, uint64_t off, unsigned size, uint64_t val);

/* Marks the guest wrote to the boot-timer port, in order (value, µs since
 * ringvm started). Returns how many; *marks stays valid until hw_exit(). */
struct boottimer_mark {
	uint32_t value;
	uint64_t us;
};
size_t boottimer_marks(struct vm *vm, const struct boottimer_mark **marks);

/* Frees the state of the devices created by i8042_init, rtc_init,
 * debugexit_init, boottimer_init, pci_init and post_init on vm. The UART and
 * fw_cfg have their own _free. Call before the VM's buses are freed. */
void hw_exit(struct vm *vm);

#define DEBUGEXIT_PORT 0xf4
#define BOOTTIMER_PORT 0x440

#endif
