/* The guest console's host side: stdio in raw mode (Ctrl-A x quits, the
 * terminal is always restored), a file, or nothing. */
#ifndef RINGVM_CONSOLE_H
#define RINGVM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct loop;

struct console;

/* spec: "stdio", "file:PATH", "none". NULL with errno set on failure. */
struct console *console_open(const char *spec, struct vm *vm);
void console_close(struct console *c);
void console_write(struct console *c, const uint8_t *buf, size_t len);
/* Start feeding input to sink(opaque, buf, len) from the event loop. */
int console_attach_input(struct console *c, struct loop *l,
			 void (*sink)(void *opaque, const uint8_t *buf, size_t len),
			 void *opaque);
/* Restore the terminal; safe from signal handlers and atexit. */
void console_restore_all(void);

#endif
