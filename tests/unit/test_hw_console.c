/* The console's host side: specs, file output, stdin forwarding through
 * the event loop (pipe and EOF), raw mode on a pseudo-terminal with the
 * Ctrl-A keys, and the terminal restored on close and on a fatal signal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>
#include "ringvm/console.h"
#include "ringvm/loop.h"
#include "ringvm/vm.h"

struct sink {
	char buf[256];
	size_t len;
	int calls;
};

static void sink_fn(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	if (len > sizeof(s->buf) - s->len)
		len = sizeof(s->buf) - s->len;
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->calls++;
}

static void stop_cb(void *opaque, uint32_t events)
{
	loop_stop(opaque);
}

/* Run the loop for about ms milliseconds: every test VM has a timeout. */
static void run_loop_for(struct loop *l, unsigned ms)
{
	int id = loop_add_timer(l, (uint64_t)ms * 1000, stop_cb, l);

	assert_true(id >= 0);
	loop_run(l);
	loop_rearm(l);
}

static void test_invalid_specs(void **state)
{
	static const char *const bad[] = { "bogus", "file:", "", "stdio2", "FILE:/tmp/x" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(console_open(bad[i], NULL));
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_null(console_open(NULL, NULL));
	assert_int_equal(errno, EINVAL);
}

static void test_none_discards(void **state)
{
	struct console *c = console_open("none", NULL);

	assert_non_null(c);
	console_write(c, (const uint8_t *)"dropped", 7);
	console_close(c);
}

static void test_file_appends(void **state)
{
	char path[] = "/tmp/ringvm-con-XXXXXX", spec[64], buf[64];
	struct console *c;
	struct stat st;
	mode_t old;
	FILE *f;
	int fd;
	size_t n;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old\n", 4), 4);
	close(fd);
	snprintf(spec, sizeof(spec), "file:%s", path);
	c = console_open(spec, NULL);
	assert_non_null(c);
	console_write(c, (const uint8_t *)"new\n", 4);
	console_close(c);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "old\nnew\n", 8);
	unlink(path);

	/* Created with mode 0644. */
	old = umask(0);
	c = console_open(spec, NULL);
	umask(old);
	assert_non_null(c);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	console_close(c);
	unlink(path);

	/* A directory that does not exist: NULL with the open error. */
	errno = 0;
	assert_null(console_open("file:/nonexistent-dir/x", NULL));
	assert_int_equal(errno, ENOENT);
}

static void test_stdio_pipe_forwarding_and_eof(void **state)
{
	int in_pipe[2], out_pipe[2], saved_in = dup(0), saved_out = dup(1);
	struct sink s = { .len = 0 };
	struct loop *l = loop_new();
	struct console *c;
	char buf[32];
	ssize_t n;

	assert_non_null(l);
	assert_int_equal(pipe(in_pipe), 0);
	assert_int_equal(pipe(out_pipe), 0);
	assert_int_equal(dup2(in_pipe[0], 0), 0);
	assert_int_equal(dup2(out_pipe[1], 1), 1);
	c = console_open("stdio", NULL);
	assert_non_null(c);
	assert_int_equal(console_attach_input(c, l, sink_fn, &s), 0);

	/* Not a terminal: bytes pass through untouched, Ctrl-A included. */
	assert_int_equal(write(in_pipe[1], "hi\x01x", 4), 4);
	run_loop_for(l, 100);
	assert_int_equal(s.len, 4);
	assert_memory_equal(s.buf, "hi\x01x", 4);

	/* EOF: the descriptor leaves the loop (or the loop would spin on a
	 * readable-at-EOF pipe); the data before it was all delivered. */
	close(in_pipe[1]);
	run_loop_for(l, 50);
	run_loop_for(l, 50);
	assert_int_equal(loop_del_fd(l, 0), -ENOENT);
	assert_int_equal(s.len, 4);

	console_write(c, (const uint8_t *)"out\n", 4);
	n = read(out_pipe[0], buf, sizeof(buf));
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "out\n", 4);

	console_close(c);
	loop_free(l);
	dup2(saved_in, 0);
	dup2(saved_out, 1);
	close(saved_in);
	close(saved_out);
	close(in_pipe[0]);
	close(out_pipe[0]);
	close(out_pipe[1]);
}

static void test_tty_raw_mode_and_escape(void **state)
{
	static struct vm vm;
	int master, slave, saved_in = dup(0), saved_out = dup(1), null = open("/dev/null", O_WRONLY);
	struct sink s = { .len = 0 };
	struct termios t;
	struct loop *l = loop_new();
	struct console *c;

	memset(&vm, 0, sizeof(vm));
	atomic_store(&vm.state, VM_RUNNING);
	assert_non_null(l);
	if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
		loop_free(l);
		skip();  /* no pseudo-terminals in this sandbox */
	}
	assert_int_equal(dup2(slave, 0), 0);
	assert_int_equal(dup2(null, 1), 1);  /* the help text goes here */

	c = console_open("stdio", &vm);
	assert_non_null(c);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_false(t.c_lflag & (ICANON | ECHO | ISIG));
	assert_false(t.c_iflag & ICRNL);
	assert_true(t.c_oflag & OPOST);       /* kept: "\n" still means CR LF */
	assert_int_equal(console_attach_input(c, l, sink_fn, &s), 0);

	/* Ctrl-C reaches the guest; Ctrl-A Ctrl-A is one Ctrl-A; Ctrl-A h
	 * is eaten; an escape split across two reads still works. */
	assert_int_equal(write(master, "a\x03\x01\x01" "b\x01h\x01", 8), 8);
	run_loop_for(l, 100);
	assert_int_equal(s.len, 4);
	assert_memory_equal(s.buf, "a\x03\x01" "b", 4);
	assert_int_equal(atomic_load(&vm.state), VM_RUNNING);
	assert_int_equal(write(master, "x", 1), 1);
	run_loop_for(l, 100);
	assert_int_equal(s.len, 4);
	assert_int_equal(atomic_load(&vm.state), VM_STOPPING);
	assert_int_equal(vm.exit_status, 0);

	console_close(c);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true(t.c_lflag & ICANON);      /* restored */
	assert_true(t.c_lflag & ECHO);

	loop_free(l);
	dup2(saved_in, 0);
	dup2(saved_out, 1);
	close(saved_in);
	close(saved_out);
	close(null);
	close(master);
	close(slave);
}

static void test_tty_restored_on_fatal_signal(void **state)
{
	int master, slave, status;
	struct termios t;
	pid_t pid;

	if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
		skip();  /* no pseudo-terminals in this sandbox */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct console *c;

		dup2(slave, 0);
		c = console_open("stdio", NULL);
		if (!c)
			_exit(2);
		if (tcgetattr(0, &t) < 0 || (t.c_lflag & ICANON))
			_exit(3);
		raise(SIGTERM);
		_exit(4);  /* not reached: the default action kills us */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true(t.c_lflag & ICANON);
	close(master);
	close(slave);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_specs),
		cmocka_unit_test(test_none_discards),
		cmocka_unit_test(test_file_appends),
		cmocka_unit_test(test_stdio_pipe_forwarding_and_eof),
		cmocka_unit_test(test_tty_raw_mode_and_escape),
		cmocka_unit_test(test_tty_restored_on_fatal_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
