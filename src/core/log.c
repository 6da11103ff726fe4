/* Logging: one line per message on stderr, prefixed with the level. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include "ringvm/log.h"

enum log_level log_threshold = LOG_INFO;

static const char *const level_name[] = {
	[LOG_ERR] = "error", [LOG_WARN] = "warning", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	if (lvl > log_threshold)
		return;
	/* One write per line so lines from vCPU threads don't interleave. */
	n = snprintf(buf, sizeof(buf), "ringvm: %s: ", level_name[lvl]);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (n > 0 && buf[n - 1] != '\n')
		buf[n++] = '\n';
	fwrite(buf, 1, (size_t)n, stderr);
	fflush(stderr);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void log_rl(struct log_ratelimit *rl, enum log_level lvl, const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;
	int count;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Racy across threads by design: the worst case is a few extra lines. */
	if (rl->window != ts.tv_sec) {
		rl->window = ts.tv_sec;
		rl->count = 0;
	}
	count = ++rl->count;
	if (count > 5)
		return;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
	if (count == 5)
		log_msg(lvl, "(further messages like this are suppressed for a second)");
}
