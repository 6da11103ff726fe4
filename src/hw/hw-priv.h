/* Internals shared by the platform devices in src/hw (not the emulated
 * interrupt controllers: those are in platform-priv.h). Not a public
 * header. */
#ifndef RINGVM_HW_HW_PRIV_H
#define RINGVM_HW_HW_PRIV_H

struct vm;

/* Each frees its device's state if the device is on vm's bus; hw_exit()
 * calls them all. Safe when the device was never created. */
void i8042_exit(struct vm *vm);
void rtc_exit(struct vm *vm);
void boottimer_exit(struct vm *vm);
void pci_exit(struct vm *vm);

#endif
