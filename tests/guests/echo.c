/* Console input: echoes what arrives on COM1 (polling LSR.DR) until it
 * sees 'q', then passes. The console tests type into it through a pty. */
#include "rt.h"

#define LSR 5
#define LSR_DR 0x01

void guest_main(uint32_t magic, const uint32_t *info)
{
	(void)magic;
	(void)info;
	printf("echo: ready\n");
	for (;;) {
		char c;

		while (!(inb(COM1 + LSR) & LSR_DR))
			__asm__ volatile("pause");
		c = (char)inb(COM1);
		if (c == 'q')
			break;
		printf("got %c\n", c >= ' ' && c < 127 ? c : '?');
	}
	pass();
}
