/* The host side of the guest console.
 *
 * "stdio": guest output to stdout, host keyboard to the guest. A terminal
 * on stdin is put in raw mode so every key (Ctrl-C included) reaches the
 * guest; Ctrl-A is the escape key for ringvm's own commands. The terminal
 * is restored on every way out: close, exit(), and fatal signals.
 * "file:PATH": output appended to PATH, no input. "none": output dropped. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>
#include "ringvm/console.h"
#include "ringvm/log.h"
#include "ringvm/loop.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"

#define CONSOLE_ESCAPE 0x01      /* Ctrl-A */
#define CONSOLE_WRITE_WAIT_MS 2000 /* longest a full stdout may stall a vCPU */

enum console_kind { CONSOLE_NONE, CONSOLE_STDIO, CONSOLE_FILE };

struct console {
	enum console_kind kind;
	struct vm *vm;
	int in_fd, out_fd;
	bool out_dead;           /* the reader went away: stop writing */
	bool is_tty;             /* stdin is a terminal in raw mode */
	bool got_escape;         /* last key was Ctrl-A */
	struct loop *loop;       /* input attached to this loop */
	void (*sink)(void *opaque, const uint8_t *buf, size_t len);
	void *sink_opaque;
};

/* Saved terminal modes, restorable from a signal handler: plain data that
 * tcsetattr() (async-signal-safe, POSIX.1-2008 §2.4.3) can use directly. */
#define CONSOLE_MAX_TTYS 4
static struct {
	volatile sig_atomic_t active;
	int fd;
	struct termios saved;
} tty_saved[CONSOLE_MAX_TTYS];

static const int fatal_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS,
				     SIGFPE, SIGILL, SIGABRT };
static struct sigaction old_actions[ARRAY_SIZE(fatal_signals)];
static bool handlers_installed;

void console_restore_all(void)
{
	for (int i = 0; i < CONSOLE_MAX_TTYS; i++) {
		if (!tty_saved[i].active)
			continue;
		tcsetattr(tty_saved[i].fd, TCSANOW, &tty_saved[i].saved);
		tty_saved[i].active = 0;
	}
}

/* Restore the terminal, then let the signal do what it would have done:
 * chain to a handler installed before ours, or re-raise with the default
 * action so a crash still dumps core and a kill still kills. */
static void console_on_signal(int sig)
{
	console_restore_all();
	for (size_t i = 0; i < ARRAY_SIZE(fatal_signals); i++) {
		const struct sigaction *old = &old_actions[i];

		if (fatal_signals[i] != sig)
			continue;
		if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler == SIG_IGN)
			return;
		if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL) {
			old->sa_handler(sig);
			return;
		}
		break;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void console_install_handlers(void)
{
	struct sigaction sa = { .sa_handler = console_on_signal };

	if (handlers_installed)
		return;
	handlers_installed = true;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(fatal_signals); i++)
		sigaction(fatal_signals[i], &sa, &old_actions[i]);
	atexit(console_restore_all);
}

/* Raw input, like cfmakeraw(3), except for output processing: OPOST stays
 * as the user had it (normally with ONLCR). Firmware and small test guests
 * print a bare "\n"; without OPOST their lines would staircase across the
 * screen. Linux's own tty layer already sends "\r\n", which a terminal
 * shows the same with or without the extra CR. QEMU's stdio backend makes
 * the same choice. */
static int console_raw_mode(struct console *c)
{
	struct termios t;
	int slot = -1;

	for (int i = 0; i < CONSOLE_MAX_TTYS; i++)
		if (!tty_saved[i].active) {
			slot = i;
			break;
		}
	if (slot < 0)
		return -EBUSY;
	if (tcgetattr(c->in_fd, &t) < 0)
		return -errno;
	tty_saved[slot].fd = c->in_fd;
	tty_saved[slot].saved = t;
	console_install_handlers();
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tty_saved[slot].active = 1;
	if (tcsetattr(c->in_fd, TCSANOW, &t) < 0) {
		int err = -errno;
		tty_saved[slot].active = 0;
		return err;
	}
	return 0;
}

static void console_restore_fd(int fd)
{
	for (int i = 0; i < CONSOLE_MAX_TTYS; i++) {
		if (!tty_saved[i].active || tty_saved[i].fd != fd)
			continue;
		tcsetattr(fd, TCSANOW, &tty_saved[i].saved);
		tty_saved[i].active = 0;
	}
}

struct console *console_open(const char *spec, struct vm *vm)
{
	struct console *c;
	int ret;

	if (!spec) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->vm = vm;
	c->in_fd = -1;
	c->out_fd = -1;
	if (!strcmp(spec, "none")) {
		c->kind = CONSOLE_NONE;
	} else if (!strcmp(spec, "stdio")) {
		c->kind = CONSOLE_STDIO;
		c->in_fd = STDIN_FILENO;
		c->out_fd = STDOUT_FILENO;
		if (isatty(c->in_fd)) {
			ret = console_raw_mode(c);
			if (ret < 0) {
				pr_warn("console: cannot put the terminal in raw mode: %s",
					strerror(-ret));
			} else {
				c->is_tty = true;
			}
		}
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		c->kind = CONSOLE_FILE;
		c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			ret = errno;
			free(c);
			errno = ret;
			return NULL;
		}
	} else {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	return c;
}

void console_close(struct console *c)
{
	if (!c)
		return;
	if (c->loop && c->in_fd >= 0)
		loop_del_fd(c->loop, c->in_fd);
	if (c->is_tty)
		console_restore_fd(c->in_fd);
	if (c->kind == CONSOLE_FILE && c->out_fd >= 0)
		close(c->out_fd);
	free(c);
}

/* Called from vCPU threads with the device lock held, so it must not wait
 * forever: a stdout that stays full for CONSOLE_WRITE_WAIT_MS loses the
 * rest of this write rather than freezing the guest. stdout's blocking
 * mode belongs to whoever started us and is left alone; EAGAIN only shows
 * up when they made it non-blocking. */
static void console_write_fd(struct console *c, const uint8_t *buf, size_t len)
{
	int waited = 0;

	while (len && !c->out_dead) {
		ssize_t n = write(c->out_fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		/* A vCPU blocked here is kicked with a signal when the VM
		 * stops; drop the rest rather than block the stop. */
		if (n < 0 && errno == EINTR) {
			if (c->vm && atomic_load(&c->vm->state) != VM_RUNNING)
				return;
			continue;
		}
		if (n < 0 && errno == EAGAIN && waited < CONSOLE_WRITE_WAIT_MS) {
			struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };

			poll(&p, 1, 100);
			waited += 100;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			pr_guest("console: output stalled, dropping %zu bytes", len);
			return;
		}
		/* EPIPE, EIO (terminal hung up), ENOSPC...: nobody will read
		 * more of the guest's output, and retrying would spin. */
		pr_warn("console: output failed: %s; dropping further output",
			n < 0 ? strerror(errno) : "short write");
		c->out_dead = true;
	}
}

void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	if (!c || !len || c->kind == CONSOLE_NONE)
		return;
	console_write_fd(c, buf, len);
}

static void console_help(struct console *c)
{
	static const char help[] =
		"\r\n"
		"ringvm console keys:\r\n"
		"  Ctrl-A x       quit ringvm (the guest is stopped)\r\n"
		"  Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n"
		"  Ctrl-A h       this help\r\n";

	console_write_fd(c, (const uint8_t *)help, sizeof(help) - 1);
}

/* Interpret Ctrl-A sequences (terminal input only). Keys meant for the
 * guest are compacted in place; returns how many remain. A sequence split
 * across two reads works because got_escape survives between calls. */
static size_t console_filter(struct console *c, uint8_t *buf, size_t len)
{
	size_t out = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t ch = buf[i];

		if (!c->got_escape) {
			if (ch == CONSOLE_ESCAPE)
				c->got_escape = true;
			else
				buf[out++] = ch;
			continue;
		}
		c->got_escape = false;
		switch (ch) {
		case CONSOLE_ESCAPE:
			buf[out++] = ch;
			break;
		case 'x':
		case 'X':
			console_write_fd(c, (const uint8_t *)"\r\nringvm: terminated by Ctrl-A x\r\n", 34);
			if (c->vm)
				vm_request_stop(c->vm, 0);
			break;
		case 'h':
		case 'H':
		case '?':
			console_help(c);
			break;
		default:
			/* Unknown command: swallowed, as QEMU's mux does. */
			break;
		}
	}
	return out;
}

static void console_input_cb(void *opaque, uint32_t events)
{
	struct console *c = opaque;
	uint8_t buf[256];
	ssize_t n;
	size_t len;

	n = read(c->in_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* EOF or a dead terminal: stop watching the descriptor so the
		 * loop does not spin on it; the guest keeps running. */
		if (n < 0)
			pr_debug("console: input: %s", strerror(errno));
		loop_del_fd(c->loop, c->in_fd);
		c->loop = NULL;
		return;
	}
	len = (size_t)n;
	if (c->is_tty)
		len = console_filter(c, buf, len);
	if (len && c->sink)
		c->sink(c->sink_opaque, buf, len);
}

int console_attach_input(struct console *c, struct loop *l,
			 void (*sink)(void *opaque, const uint8_t *buf, size_t len),
			 void *opaque)
{
	int ret;

	if (!c || !l || !sink)
		return -EINVAL;
	if (c->kind != CONSOLE_STDIO || c->loop)
		return 0;
	c->sink = sink;
	c->sink_opaque = opaque;
	ret = loop_add_fd(l, c->in_fd, EPOLLIN, console_input_cb, c);
	if (ret == -EPERM) {
		/* epoll refuses regular files and /dev/null: stdin was
		 * redirected from one, so there is no interactive input. */
		pr_debug("console: stdin cannot be polled; no console input");
		return 0;
	}
	if (ret < 0)
		return ret;
	c->loop = l;
	return 0;
}
