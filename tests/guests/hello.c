/* The smallest guest: proves the multiboot loader, COM1 and debug-exit.
 * Exit code 0x10 -> ringvm exit status 0x21. */
#include "rt.h"

#define MB_BOOT_MAGIC 0x2BADB002u   /* Multiboot Specification 0.6.96, 3.2 */

void guest_main(uint32_t magic, const uint32_t *info)
{
	printf("hello from a ringvm test guest\n");
	if (magic != MB_BOOT_MAGIC)
		fail("multiboot magic %x", magic);
	printf("multiboot magic ok\n");
	(void)info;
	pass();
}
