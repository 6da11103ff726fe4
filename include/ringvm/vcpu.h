/* vCPUs and the one exit format every accelerator returns. */
#ifndef RINGVM_VCPU_H
#define RINGVM_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum vcpu_exit_type {
	VCPU_EXIT_NONE,
	VCPU_EXIT_IO,             /* port in/out: io.* */
	VCPU_EXIT_MMIO,           /* memory access outside RAM: mmio.* */
	VCPU_EXIT_HLT,            /* halted with nothing to wake it (no irqchip) */
	VCPU_EXIT_SHUTDOWN,       /* triple fault */
	VCPU_EXIT_RESET,          /* guest asked for a reset */
	VCPU_EXIT_POWEROFF,       /* guest powered off */
	VCPU_EXIT_INTERNAL_ERROR, /* accelerator could not go on: fail.* */
	VCPU_EXIT_FAIL_ENTRY,     /* VM entry failed: fail.* */
	VCPU_EXIT_INTR,           /* interrupted by the VMM (kick) */
};

struct vcpu_exit {
	enum vcpu_exit_type type;
	union {
		struct {
			uint16_t port;
			uint8_t size;      /* 1, 2, 4 */
			bool in;
			uint32_t count;    /* string I/O repeats */
			uint8_t *data;     /* count * size bytes */
		} io;
		struct {
			uint64_t addr;
			uint8_t len;
			bool write;
			uint8_t data[8];
		} mmio;
		struct {
			uint64_t code;
			char reason[96];
		} fail;
	};
};

struct vm;

struct vcpu {
	struct vm *vm;
	int id;
	pthread_t thread;
	void *priv;               /* the accelerator's */
	volatile int kicked;
};

/* Handle one exit. Both accelerators call this; the emulator calls it from
 * inside an instruction for I/O and MMIO. Returns 0 to keep running, 1 when
 * the VM is stopping (the status is in the vm). */
int vcpu_exit_handle(struct vcpu *v, struct vcpu_exit *e);

int vcpu_start(struct vcpu *v);  /* thread running the accelerator loop */
/* True when one host thread runs every vCPU (--vcpu-sched single, emu
 * only): vCPU 0's thread then drives them all through vcpu_run. */
bool vcpu_single_thread(const struct vm *vm);
void vcpu_dump(struct vcpu *v);  /* registers to stderr */

#endif
