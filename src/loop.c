#include "loop.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOOP_BATCH 64

uint64_t loop_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t loop_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->now_ms = loop_clock_ms();
	return 0;
}

void loop_fini(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	l->timers = NULL;
}

int loop_io_add(struct loop *l, struct loop_io *io, int fd, uint32_t events, loop_io_cb *cb)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};

	io->fd = fd;
	io->events = events;
	io->cb = cb;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	io->registered = true;
	return 0;
}

int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};

	if (!io->registered || io->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	io->events = events;
	return 0;
}

void loop_io_del(struct loop *l, struct loop_io *io)
{
	if (!io->registered)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->registered = false;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (!t->armed)
		return;
	for (struct loop_timer **pp = &l->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

void loop_timer_arm_at(struct loop *l, struct loop_timer *t, uint64_t when_ms, loop_timer_cb *cb)
{
	struct loop_timer **pp;

	loop_timer_cancel(l, t);
	if (l->in_timers && when_ms <= l->now_ms)
		when_ms = l->now_ms + 1;
	t->when_ms = when_ms;
	t->cb = cb;
	t->armed = true;
	for (pp = &l->timers; *pp && (*pp)->when_ms <= when_ms; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t delay_ms, loop_timer_cb *cb)
{
	loop_timer_arm_at(l, t, loop_clock_ms() + delay_ms, cb);
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

static void run_timers(struct loop *l)
{
	uint64_t now = l->now_ms;

	l->in_timers = true;
	while (l->timers && l->timers->when_ms <= now && !l->stop) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		t->next = NULL;
		t->armed = false;
		t->cb(t);
	}
	l->in_timers = false;
}

static int next_timeout(const struct loop *l)
{
	uint64_t now;

	if (!l->timers)
		return -1;
	now = loop_clock_ms();
	if (l->timers->when_ms <= now)
		return 0;
	return l->timers->when_ms - now > 60000 ? 60000 : (int)(l->timers->when_ms - now);
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[LOOP_BATCH];

	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, LOOP_BATCH, next_timeout(l));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		l->now_ms = loop_clock_ms();
		for (int i = 0; i < n && !l->stop; i++) {
			struct loop_io *io = evs[i].data.ptr;

			/* deleted earlier in this batch: its owner may be dying */
			if (io->registered)
				io->cb(io, evs[i].events);
		}
		run_timers(l);
		if (l->after_round)
			l->after_round(l->after_round_arg);
	}
	return 0;
}
