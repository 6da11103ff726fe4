/* The host event loop: epoll over host fds plus timerfds, and an eventfd
 * so any thread (or a signal handler) can stop it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "ringvm/log.h"
#include "ringvm/loop.h"

#define LOOP_MAX_FDS 64

struct loop_entry {
	int fd;
	int is_timer;
	loop_cb cb;
	void *opaque;
};

struct loop {
	int epfd;
	int stopfd;
	volatile int stopping;
	struct loop_entry e[LOOP_MAX_FDS];
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (!l)
		return NULL;
	for (int i = 0; i < LOOP_MAX_FDS; i++)
		l->e[i].fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->stopfd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev) < 0) {
		loop_free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (int i = 0; i < LOOP_MAX_FDS; i++)
		if (l->e[i].fd >= 0 && l->e[i].is_timer)
			close(l->e[i].fd);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->stopfd >= 0)
		close(l->stopfd);
	free(l);
}

static int loop_add(struct loop *l, int fd, uint32_t events, loop_cb cb, void *opaque, int is_timer)
{
	for (int i = 0; i < LOOP_MAX_FDS; i++) {
		struct loop_entry *e = &l->e[i];
		struct epoll_event ev = { .events = events, .data.ptr = e };
		if (e->fd >= 0)
			continue;
		*e = (struct loop_entry){ .fd = fd, .is_timer = is_timer, .cb = cb, .opaque = opaque };
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			int err = -errno;
			e->fd = -1;
			return err;
		}
		return i;
	}
	return -ENOSPC;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_cb cb, void *opaque)
{
	int r = loop_add(l, fd, events, cb, opaque, 0);
	return r < 0 ? r : 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	for (int i = 0; i < LOOP_MAX_FDS; i++) {
		if (l->e[i].fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->e[i].fd = -1;
		return 0;
	}
	return -ENOENT;
}

int loop_add_timer(struct loop *l, uint64_t period_us, loop_cb cb, void *opaque)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = (time_t)(period_us / 1000000), .tv_nsec = (long)(period_us % 1000000) * 1000 },
	};
	int fd, id;

	if (!period_us)
		return -EINVAL;
	its.it_value = its.it_interval;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0 ||
	    (id = loop_add(l, fd, EPOLLIN, cb, opaque, 1)) < 0) {
		close(fd);
		return -EINVAL;
	}
	return id;
}

void loop_run(struct loop *l)
{
	struct epoll_event evs[16];

	while (!l->stopping) {
		int n = epoll_wait(l->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("event loop: epoll_wait: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n && !l->stopping; i++) {
			struct loop_entry *e = evs[i].data.ptr;
			if (!e)
				continue; /* the stop eventfd */
			if (e->is_timer) {
				uint64_t ticks;
				if (read(e->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
					continue;
			}
			if (e->fd >= 0)
				e->cb(e->opaque, evs[i].events);
		}
	}
}

void loop_stop(struct loop *l)
{
	uint64_t one = 1;

	l->stopping = 1;
	/* write(2) is async-signal-safe. */
	if (write(l->stopfd, &one, sizeof(one)) < 0) {
		/* Counter saturated: the loop is already waking up. */
	}
}

void loop_rearm(struct loop *l)
{
	uint64_t v;

	if (read(l->stopfd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was pending. */
	}
	l->stopping = 0;
}
