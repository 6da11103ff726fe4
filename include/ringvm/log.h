/* Logging with levels. -q shows errors only, -v adds debug. */
#ifndef RINGVM_LOG_H
#define RINGVM_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* At most `burst` messages per second from one call site; guest mistakes use
 * this so a misbehaving guest cannot flood the host's log. */
struct log_ratelimit { long window; int count; };
void log_rl(struct log_ratelimit *rl, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pr_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) do { if (log_threshold >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define pr_guest(...) do { static struct log_ratelimit rl_; log_rl(&rl_, LOG_WARN, __VA_ARGS__); } while (0)

#endif
