/* Teardown for the platform devices that have no handle of their own:
 * their state hangs off the bus ranges they claimed. */
#include "ringvm/hw.h"
#include "hw/hw-priv.h"

void hw_exit(struct vm *vm)
{
	i8042_exit(vm);
	rtc_exit(vm);
	boottimer_exit(vm);
	pci_exit(vm);
}
