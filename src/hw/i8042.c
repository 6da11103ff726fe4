/* i8042 keyboard controller (ports 0x60/0x64) with a PS/2 keyboard that
 * answers commands but never types, no PS/2 mouse, and (when nobody else
 * owns it) system control port B at 0x61.
 *
 * References: IBM PC/AT Technical Reference, "Keyboard Controller"; the
 * command set as Linux's drivers/input/serio/i8042.h uses it. What matters
 * for a guest: Linux's i8042 probe must finish quickly (every command it
 * sends gets its answer; AUX writes get an immediate "no device" answer
 * instead of a timeout) and "reboot=k" (pulse output port bit 0 with
 * command 0xFE) must reset the machine. Keyboard input is not emulated:
 * the console goes to the serial port. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/irq.h"
#include "ringvm/log.h"
#include "ringvm/vm.h"
#include "hw/hw-priv.h"

#define I8042_DATA   0x60
#define I8042_PORTB  0x61
#define I8042_STATUS 0x64

/* Status register */
#define STR_OBF     0x01
#define STR_IBF     0x02
#define STR_SYS     0x04
#define STR_CMD     0x08  /* last write went to 0x64 */
#define STR_UNLOCK  0x10  /* keyboard not inhibited by the keylock */
#define STR_AUXDATA 0x20
#define STR_TIMEOUT 0x40

/* Command byte (controller RAM byte 0) */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS    0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE  0x40

/* Output port (command 0xD0/0xD1) */
#define OUT_RESET   0x01  /* 0 holds the CPU in reset */
#define OUT_A20     0x02
#define OUT_KBD_OBF 0x10
#define OUT_AUX_OBF 0x20

#define I8042_QUEUE 16

struct i8042_byte {
	uint8_t val;
	uint8_t flags;  /* STR_AUXDATA / STR_TIMEOUT to show with it */
};

struct i8042 {
	struct vm *vm;
	struct irq_line kbd_irq, aux_irq;
	int kbd_level, aux_level;
	uint8_t ram[32];          /* ram[0] is the command byte */
	uint8_t status;           /* STR_SYS | STR_CMD as last set */
	uint8_t pending_cmd;      /* controller command waiting for its data byte */
	uint8_t kbd_cmd;          /* keyboard command waiting for its parameter */
	uint8_t outport;
	uint8_t last;             /* last byte read from the output buffer */
	struct i8042_byte q[I8042_QUEUE];
	unsigned q_head, q_count;
	/* Port 0x61 */
	uint8_t portb;
	bool portb_toggle;
};

static void i8042_update_irq(struct i8042 *k)
{
	int kbd = 0, aux = 0;

	if (k->q_count) {
		if (k->q[k->q_head].flags & STR_AUXDATA)
			aux = !!(k->ram[0] & CTR_AUXINT);
		else
			kbd = !!(k->ram[0] & CTR_KBDINT);
	}
	if (kbd != k->kbd_level) {
		k->kbd_level = kbd;
		irq_line_set(&k->kbd_irq, kbd);
	}
	if (aux != k->aux_level) {
		k->aux_level = aux;
		irq_line_set(&k->aux_irq, aux);
	}
}

static void i8042_queue(struct i8042 *k, uint8_t val, uint8_t flags)
{
	if (k->q_count == I8042_QUEUE) {
		pr_guest("i8042: output buffer overflow, byte %#x dropped", val);
		return;
	}
	k->q[(k->q_head + k->q_count) % I8042_QUEUE] = (struct i8042_byte){ val, flags };
	k->q_count++;
}

static uint8_t i8042_status(const struct i8042 *k)
{
	uint8_t s = k->status | STR_UNLOCK;

	if (k->q_count)
		s |= STR_OBF | k->q[k->q_head].flags;
	return s;
}

static uint8_t i8042_outport(const struct i8042 *k)
{
	uint8_t v = k->outport;

	if (k->q_count)
		v |= (k->q[k->q_head].flags & STR_AUXDATA) ? OUT_AUX_OBF : OUT_KBD_OBF;
	return v;
}

static void i8042_reset_machine(struct i8042 *k)
{
	pr_debug("i8042: guest pulsed the reset line");
	vm_request_reset(k->vm);
}

/* The PS/2 keyboard behind the controller (IBM PS/2 Keyboard Technical
 * Reference command set): acknowledges everything, identifies as an MF2
 * keyboard, and takes parameters for the commands that have one. */
static void i8042_kbd_write(struct i8042 *k, uint8_t val)
{
	if (k->kbd_cmd) {
		uint8_t cmd = k->kbd_cmd;

		k->kbd_cmd = 0;
		i8042_queue(k, 0xfa, 0);
		if (cmd == 0xf0 && val == 0)
			i8042_queue(k, 0x02, 0);  /* current scan code set: 2 */
		return;
	}
	switch (val) {
	case 0xed: /* set LEDs */
	case 0xf0: /* get/set scan code set */
	case 0xf3: /* set typematic rate */
	case 0xfb: case 0xfc: case 0xfd: /* per-key modes */
		k->kbd_cmd = val;
		i8042_queue(k, 0xfa, 0);
		break;
	case 0xee: /* echo */
		i8042_queue(k, 0xee, 0);
		break;
	case 0xf2: /* identify: MF2 keyboard */
		i8042_queue(k, 0xfa, 0);
		i8042_queue(k, 0xab, 0);
		i8042_queue(k, 0x83, 0);
		break;
	case 0xff: /* reset: ACK, then basic assurance test passed */
		i8042_queue(k, 0xfa, 0);
		i8042_queue(k, 0xaa, 0);
		break;
	default:   /* enable, disable, defaults, resend... */
		i8042_queue(k, 0xfa, 0);
		break;
	}
}

/* The data byte that follows a controller command. */
static void i8042_cmd_data(struct i8042 *k, uint8_t cmd, uint8_t val)
{
	switch (cmd) {
	case 0xd1: /* write output port */
		k->outport = (uint8_t)((val & ~(OUT_KBD_OBF | OUT_AUX_OBF)) | OUT_A20);
		if (!(val & OUT_A20))
			pr_debug("i8042: guest tried to disable A20; it stays enabled");
		if (!(val & OUT_RESET))
			i8042_reset_machine(k);
		break;
	case 0xd2: /* write keyboard output buffer: looks like keyboard data */
		i8042_queue(k, val, 0);
		break;
	case 0xd3: /* write AUX output buffer: looks like mouse data */
		i8042_queue(k, val, STR_AUXDATA);
		break;
	case 0xd4: /* write to the AUX device: there is none, so the
		    * controller answers with a timeout at once */
		i8042_queue(k, 0xfe, STR_AUXDATA | STR_TIMEOUT);
		break;
	default:   /* 0x60-0x7f: write controller RAM */
		k->ram[cmd & 0x1f] = val;
		if ((cmd & 0x1f) == 0)
			k->status = (uint8_t)((k->status & ~STR_SYS) | (val & CTR_SYS));
		break;
	}
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	if (cmd >= 0x20 && cmd <= 0x3f) {            /* read controller RAM */
		i8042_queue(k, k->ram[cmd & 0x1f], 0);
		return;
	}
	if ((cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4)) {
		k->pending_cmd = cmd;
		return;
	}
	if (cmd >= 0xf0) {
		/* Pulse output port bits 3:0 low for each 0 bit in the
		 * command; bit 0 is the CPU reset line. */
		if (!(cmd & 1))
			i8042_reset_machine(k);
		return;
	}
	switch (cmd) {
	case 0xa7: k->ram[0] |= CTR_AUXDIS; break;
	case 0xa8: k->ram[0] &= (uint8_t)~CTR_AUXDIS; break;
	case 0xa9: i8042_queue(k, 0x00, 0); break;  /* AUX interface test: OK */
	case 0xaa:                                   /* controller self-test */
		k->status |= STR_SYS;
		i8042_queue(k, 0x55, 0);
		break;
	case 0xab: i8042_queue(k, 0x00, 0); break;  /* keyboard interface test */
	case 0xad: k->ram[0] |= CTR_KBDDIS; break;
	case 0xae: k->ram[0] &= (uint8_t)~CTR_KBDDIS; break;
	case 0xc0: i8042_queue(k, 0x80, 0); break;  /* input port: not inhibited */
	case 0xd0: i8042_queue(k, i8042_outport(k), 0); break;
	case 0xdd: case 0xdf: break;                 /* A20 gate: always on */
	case 0xe0: i8042_queue(k, 0x00, 0); break;  /* test inputs */
	default:
		pr_guest("i8042: unknown controller command %#x", cmd);
		break;
	}
}

/* Port 0x61, system control port B (IBM PC/AT Technical Reference, "System
 * Board I/O"): bits 0-3 as written; bit 4 toggles with each DRAM refresh
 * and bit 5 is PIT channel 2's OUT. Without a PIT model behind this port
 * both toggle on every read, so a guest loop waiting for either to change
 * (udelay by refresh cycles, PIT calibration) always finishes; the
 * calibration then fails cleanly instead of hanging. */
static uint8_t i8042_portb_read(struct i8042 *k)
{
	k->portb_toggle = !k->portb_toggle;
	return (uint8_t)((k->portb & 0x0f) | (k->portb_toggle ? 0x30 : 0));
}

static uint64_t i8042_data_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t v;

	/* With nothing new the output buffer still holds the last byte. */
	if (!k->q_count)
		return k->last;
	v = k->last = k->q[k->q_head].val;
	k->q_head = (k->q_head + 1) % I8042_QUEUE;
	k->q_count--;
	i8042_update_irq(k);
	return v;
}

static void i8042_data_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct i8042 *k = opaque;
	uint8_t b = (uint8_t)val;

	k->status &= (uint8_t)~STR_CMD;
	if (k->pending_cmd) {
		uint8_t cmd = k->pending_cmd;

		k->pending_cmd = 0;
		i8042_cmd_data(k, cmd, b);
	} else {
		/* Talking to the keyboard re-enables its interface, as on
		 * real controllers. */
		k->ram[0] &= (uint8_t)~CTR_KBDDIS;
		i8042_kbd_write(k, b);
	}
	i8042_update_irq(k);
}

static uint64_t i8042_status_read(void *opaque, uint64_t off, unsigned size)
{
	return i8042_status(opaque);
}

static void i8042_command_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct i8042 *k = opaque;

	k->status |= STR_CMD;
	/* A new command cancels one still waiting for its data byte. */
	k->pending_cmd = 0;
	i8042_command(k, (uint8_t)val);
	i8042_update_irq(k);
}

static uint64_t i8042_portb_io_read(void *opaque, uint64_t off, unsigned size)
{
	return i8042_portb_read(opaque);
}

static void i8042_portb_io_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct i8042 *k = opaque;

	k->portb = (uint8_t)(val & 0x0f);
}

static const struct bus_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct bus_ops i8042_status_ops = {
	.read = i8042_status_read,
	.write = i8042_command_write,
};

static const struct bus_ops i8042_portb_ops = {
	.read = i8042_portb_io_read,
	.write = i8042_portb_io_write,
};

int i8042_init(struct vm *vm)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	bool portb_free;
	int ret;

	if (!k)
		return -ENOMEM;
	k->vm = vm;
	irq_line_init(&k->kbd_irq, vm, 1);
	irq_line_init(&k->aux_irq, vm, 12);
	/* As firmware leaves it: both interrupts on, POST passed,
	 * scan-code translation on. */
	k->ram[0] = CTR_KBDINT | CTR_AUXINT | CTR_SYS | CTR_XLATE;
	k->status = STR_SYS;
	k->outport = OUT_RESET | OUT_A20;

	ret = bus_register(vm, BUS_PIO, I8042_DATA, 1, &i8042_data_ops, k);
	if (ret < 0) {
		free(k);
		return ret;
	}
	/* From here on the bus holds k and i8042_exit() frees it. */
	ret = bus_register(vm, BUS_PIO, I8042_STATUS, 1, &i8042_status_ops, k);
	if (ret < 0)
		return ret;
	/* 0x61 belongs to the PIT model when there is one (it knows channel
	 * 2's gate and output); this device only fills the gap. The emulated
	 * platform registers its ports before the devices (vm_init() creates
	 * the accelerator first), and under KVM the in-kernel PIT answers
	 * 0x61 before an exit ever reaches us. */
	vm_lock(vm);
	portb_free = !bus_find(&vm->bus[BUS_PIO], I8042_PORTB);
	vm_unlock(vm);
	if (portb_free)
		return bus_register(vm, BUS_PIO, I8042_PORTB, 1, &i8042_portb_ops, k);
	return 0;
}

void i8042_exit(struct vm *vm)
{
	const struct bus_range *r = bus_find(&vm->bus[BUS_PIO], I8042_DATA);

	if (r && r->ops == &i8042_data_ops)
		free(r->opaque);
}
