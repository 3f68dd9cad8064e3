#include "avahi_poll.h"

#include <stdlib.h>
#include <sys/time.h>

#include "loop.h"
#include "util.h"

struct avfd;

struct AvahiWatch {
	struct avpoll *p;
	struct avfd *fde;
	AvahiWatchEvent want, got;
	AvahiWatchCallback cb;
	void *userdata;
	bool dead;
	AvahiWatch *next; /* in the fd's list */
};

/* All watches on one fd share one epoll registration. */
struct avfd {
	struct loop_io io;
	struct avpoll *p;
	int fd;
	AvahiWatch *watches;
	struct avfd *next;
};

struct AvahiTimeout {
	struct avpoll *p;
	struct loop_timer timer;
	AvahiTimeoutCallback cb;
	void *userdata;
	bool dead;
	AvahiTimeout *next;
};

struct avpoll {
	AvahiPoll api;
	struct loop *loop;
	struct avfd *fds;
	AvahiTimeout *timeouts;
};

static uint32_t to_epoll(AvahiWatchEvent e)
{
	/* libdbus's glue may pass DBUS_WATCH_WRITABLE (2) as well as AVAHI_WATCH_OUT */
	return (e & AVAHI_WATCH_IN ? EPOLLIN : 0) | (e & (AVAHI_WATCH_OUT | 2) ? EPOLLOUT : 0);
}

static AvahiWatchEvent from_epoll(uint32_t ev)
{
	return (ev & EPOLLIN ? AVAHI_WATCH_IN : 0) | (ev & EPOLLOUT ? AVAHI_WATCH_OUT : 0) |
	       (ev & EPOLLERR ? AVAHI_WATCH_ERR : 0) | (ev & EPOLLHUP ? AVAHI_WATCH_HUP : 0);
}

/* Recompute the fd's epoll mask from its live watches; unregister if none is left. */
static void update_fd(struct avfd *f)
{
	uint32_t events = 0;
	bool live = false;

	for (AvahiWatch *w = f->watches; w; w = w->next) {
		if (!w->dead) {
			live = true;
			events |= to_epoll(w->want);
		}
	}
	if (!live) {
		/* Avahi may close the fd right after freeing its last watch */
		loop_io_del(f->p->loop, &f->io);
		return;
	}
	if (f->io.registered)
		loop_io_mod(f->p->loop, &f->io, events);
}

static void on_fd(struct loop_io *io, uint32_t ev)
{
	struct avfd *f = (struct avfd *)io;
	AvahiWatchEvent got = from_epoll(ev);

	for (AvahiWatch *w = f->watches; w; w = w->next) {
		AvahiWatchEvent match = got & (w->want | AVAHI_WATCH_ERR | AVAHI_WATCH_HUP);

		if (w->dead || !match)
			continue;
		w->got = match;
		w->cb(w, f->fd, match, w->userdata);
		w->got = 0;
	}
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent event,
			     AvahiWatchCallback cb, void *userdata)
{
	struct avpoll *p = api->userdata;
	struct avfd *f;
	AvahiWatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	for (f = p->fds; f && f->fd != fd; f = f->next)
		;
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f) {
			free(w);
			return NULL;
		}
		f->p = p;
		f->fd = fd;
		f->next = p->fds;
		p->fds = f;
	}
	*w = (AvahiWatch){.p = p,
			  .fde = f,
			  .want = event,
			  .cb = cb,
			  .userdata = userdata,
			  .next = f->watches};
	f->watches = w;
	if (!f->io.registered) {
		/* a new fd, or the same number reused after a close */
		if (loop_io_add(p->loop, &f->io, fd, to_epoll(event), on_fd) < 0) {
			w->dead = true;
			return NULL;
		}
	}
	update_fd(f);
	return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent event)
{
	w->want = event;
	update_fd(w->fde);
}

static AvahiWatchEvent watch_get_events(AvahiWatch *w)
{
	return w->got;
}

static void watch_free(AvahiWatch *w)
{
	w->dead = true;
	update_fd(w->fde);
}

static void on_timer(struct loop_timer *t)
{
	AvahiTimeout *to = container_of(t, AvahiTimeout, timer);

	if (!to->dead)
		to->cb(to, to->userdata);
}

/* Avahi gives absolute gettimeofday() times; our timers are monotonic. */
static void arm(AvahiTimeout *to, const struct timeval *tv)
{
	struct timeval now;
	int64_t delta_ms;

	loop_timer_cancel(to->p->loop, &to->timer);
	if (!tv)
		return;
	gettimeofday(&now, NULL);
	delta_ms = ((int64_t)tv->tv_sec - now.tv_sec) * 1000 +
		   ((int64_t)tv->tv_usec - now.tv_usec) / 1000;
	loop_timer_arm(to->p->loop, &to->timer, delta_ms > 0 ? (uint64_t)delta_ms : 0, on_timer);
}

static AvahiTimeout *timeout_new(const AvahiPoll *api, const struct timeval *tv,
				 AvahiTimeoutCallback cb, void *userdata)
{
	struct avpoll *p = api->userdata;
	AvahiTimeout *to = calloc(1, sizeof(*to));

	if (!to)
		return NULL;
	to->p = p;
	to->cb = cb;
	to->userdata = userdata;
	to->next = p->timeouts;
	p->timeouts = to;
	arm(to, tv);
	return to;
}

static void timeout_update(AvahiTimeout *to, const struct timeval *tv)
{
	if (!to->dead)
		arm(to, tv);
}

static void timeout_free(AvahiTimeout *to)
{
	loop_timer_cancel(to->p->loop, &to->timer);
	to->dead = true;
}

struct avpoll *avpoll_new(struct loop *loop)
{
	struct avpoll *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->loop = loop;
	p->api = (AvahiPoll){
		.userdata = p,
		.watch_new = watch_new,
		.watch_update = watch_update,
		.watch_get_events = watch_get_events,
		.watch_free = watch_free,
		.timeout_new = timeout_new,
		.timeout_update = timeout_update,
		.timeout_free = timeout_free,
	};
	return p;
}

const AvahiPoll *avpoll_api(struct avpoll *p)
{
	return &p->api;
}

void avpoll_sweep(struct avpoll *p)
{
	for (struct avfd **fp = &p->fds; *fp;) {
		struct avfd *f = *fp;

		for (AvahiWatch **wp = &f->watches; *wp;) {
			AvahiWatch *w = *wp;

			if (w->dead) {
				*wp = w->next;
				free(w);
			} else {
				wp = &w->next;
			}
		}
		if (!f->watches) {
			loop_io_del(p->loop, &f->io);
			*fp = f->next;
			free(f);
		} else {
			fp = &f->next;
		}
	}
	for (AvahiTimeout **tp = &p->timeouts; *tp;) {
		AvahiTimeout *to = *tp;

		if (to->dead) {
			*tp = to->next;
			free(to);
		} else {
			tp = &to->next;
		}
	}
}

void avpoll_free(struct avpoll *p)
{
	if (!p)
		return;
	for (struct avfd *f = p->fds; f; f = f->next) {
		for (AvahiWatch *w = f->watches; w; w = w->next)
			w->dead = true;
	}
	for (AvahiTimeout *to = p->timeouts; to; to = to->next)
		timeout_free(to);
	avpoll_sweep(p);
	free(p);
}

size_t avpoll_live_watches(const struct avpoll *p)
{
	size_t n = 0;

	for (const struct avfd *f = p->fds; f; f = f->next) {
		for (const AvahiWatch *w = f->watches; w; w = w->next)
			n += !w->dead;
	}
	return n;
}

size_t avpoll_live_timeouts(const struct avpoll *p)
{
	size_t n = 0;

	for (const AvahiTimeout *to = p->timeouts; to; to = to->next)
		n += !to->dead && to->timer.armed;
	return n;
}
