/* PCI bus 0 behind configuration mechanism #1 (ports 0xcf8/0xcfc, PCI Local
 * Bus Specification 3.0 §3.2.2.3.2). pci_init() (hw.h) creates the host
 * bridge at 00:00.0; devices add themselves with pci_register_device().
 *
 * A device owns a 256-byte configuration space. The core does the plain
 * part of every config access: reads return cfg[], writes change only the
 * bits set in wmask[] and clear the status-style bits set in w1cmask[]
 * when written with 1. A device that must react (a BAR moved, the command
 * register changed) gets config_write after the bytes are stored; one that
 * computes registers on the fly supplies config_read. Both run with the
 * VM's device lock held. */
#ifndef RINGVM_PCI_H
#define RINGVM_PCI_H

#include <stdint.h>

struct vm;

#define PCI_CFG_SIZE 256

/* Standard header offsets (PCI 3.0 §6.1). */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION_ID    0x08
#define PCI_CLASS_PROG     0x09
#define PCI_CLASS_DEVICE   0x0a  /* subclass, then base class at 0x0b */
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID   0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d

#define PCI_COMMAND_IO     0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_BAR_IO         0x1
#define PCI_BAR_MEM64      0x4
#define PCI_BAR_PREFETCH   0x8

#define PCI_DEVFN(slot, fn) ((uint8_t)(((slot) & 0x1f) << 3 | ((fn) & 7)))

struct pci_device {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];    /* 1 bits: guest-writable */
	uint8_t w1cmask[PCI_CFG_SIZE];  /* 1 bits: write 1 to clear */
	/* Requested device/function on bus 0; negative: first free slot,
	 * function 0. pci_register_device() stores the one it got. */
	int devfn;
	/* Optional: a register computed by the device. Return the value for
	 * [off, off+size) (size 1, 2 or 4, naturally aligned). */
	uint32_t (*config_read)(struct pci_device *d, unsigned off, unsigned size);
	/* Optional: called after a guest write to [off, off+size) was
	 * applied to cfg[]; old is the value those bytes had before. */
	void (*config_write)(struct pci_device *d, unsigned off, unsigned size, uint32_t old);
	void *opaque;                   /* the device's own */
};

/* Fill the identity registers and the usual writable bits (command,
 * interrupt line, status error bits). class_code is base << 16 | sub << 8
 * | prog-if. */
void pci_config_init(struct pci_device *d, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision);
/* Declare BAR n (0-5) of size bytes (a power of two; at least 16 for
 * memory, 4 for I/O). flags: PCI_BAR_IO, or PCI_BAR_MEM64 (takes BAR n+1
 * too) | PCI_BAR_PREFETCH. Returns 0 or -EINVAL. */
int pci_bar_init(struct pci_device *d, int n, uint64_t size, unsigned flags);
/* The address the guest programmed in BAR n (flag bits removed). */
uint64_t pci_bar_addr(const struct pci_device *d, int n);

/* Put d on bus 0 of vm (after pci_init). d must live until the VM is
 * freed. Returns 0, -ENODEV (no PCI host), -EBUSY (devfn taken), -ENOSPC
 * (bus full) or -EINVAL. */
int pci_register_device(struct vm *vm, struct pci_device *d);

/* Config space access as mechanism #1 does it: for unit tests and for a
 * future ECAM window. bdf = bus << 8 | devfn. Absent functions read all
 * ones. Callers hold the device lock (or own the VM alone). */
uint32_t pci_config_read(struct vm *vm, uint16_t bdf, unsigned off, unsigned size);
void pci_config_write(struct vm *vm, uint16_t bdf, unsigned off, unsigned size, uint32_t val);

#endif
