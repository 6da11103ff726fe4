/* The host event loop: one epoll set run by the main thread. Host I/O
 * (stdin, sockets, timers) is dispatched here; vCPU threads never block on
 * host file descriptors. */
#ifndef RINGVM_LOOP_H
#define RINGVM_LOOP_H

#include <stdint.h>

typedef void (*loop_cb)(void *opaque, uint32_t events);

struct loop;

struct loop *loop_new(void);
void loop_free(struct loop *l);
/* events are EPOLLIN/EPOLLOUT... Returns 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_cb cb, void *opaque);
int loop_del_fd(struct loop *l, int fd);
/* Call cb every period_us microseconds (timerfd). Returns an id >= 0. */
int loop_add_timer(struct loop *l, uint64_t period_us, loop_cb cb, void *opaque);
/* Runs until loop_stop(); callable from any thread and signal-safe. */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* Make a stopped loop runnable again (after a VM reset). */
void loop_rearm(struct loop *l);

#endif
