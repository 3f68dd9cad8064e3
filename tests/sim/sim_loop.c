/*
 * loop.h on the simulator's fake clock: no epoll. Each daemon's timers are a
 * sorted list in its struct loop, exactly as loop.c keeps them; the global
 * event queue holds one wake-up per node at its earliest timer. IO handles
 * are only recorded: links are simulated (sim_link.c), the TAP, listeners
 * and signals never become ready.
 */
#include <stdint.h>
#include <string.h>

#include "loop.h"
#include "sim.h"
#include "util.h"

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = -1;
	return 0;
}

void loop_fini(struct loop *l)
{
	while (l->timers) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		t->next = NULL;
		t->armed = false;
	}
}

int loop_io_add(struct loop *l, struct loop_io *io, int fd, uint32_t events, loop_io_cb *cb)
{
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->registered = true;
	return 0;
}

int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events)
{
	io->events = events;
	return 0;
}

void loop_io_del(struct loop *l, struct loop_io *io)
{
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
	struct sim_node *n = sim_node_of_loop(l);
	struct loop_timer **pp;

	loop_timer_cancel(l, t);
	/* as loop.c: a timer re-armed for "now" from a timer waits for the next round */
	if (l->in_timers && when_ms <= l->now_ms)
		when_ms = l->now_ms + 1;
	t->when_ms = when_ms;
	t->cb = cb;
	t->armed = true;
	for (pp = &l->timers; *pp && (*pp)->when_ms <= when_ms; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	if (when_ms < n->wake_ms) {
		struct sim_ev e = {.when = when_ms < sim.now ? sim.now : when_ms,
				   .kind = SIM_EV_WAKE,
				   .node = n->idx};

		n->wake_ms = e.when;
		sim_push(&e);
	}
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t delay_ms, loop_timer_cb *cb)
{
	loop_timer_arm_at(l, t, loop_clock_ms() + delay_ms, cb);
}

uint64_t loop_clock_ms(void)
{
	return sim.now;
}

uint64_t loop_wall_ms(void)
{
	return SIM_EPOCH_MS + sim.now;
}

int loop_run(struct loop *l)
{
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

void sim_node_wake(struct sim_node *n)
{
	struct loop *l = &n->d.loop;
	uint64_t now = sim.now;

	if (n->wake_ms <= now)
		n->wake_ms = UINT64_MAX;
	l->now_ms = now;
	l->in_timers = true;
	while (l->timers && l->timers->when_ms <= now && n->alive) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		t->next = NULL;
		t->armed = false;
		t->cb(t);
	}
	l->in_timers = false;
	if (n->alive)
		sim_node_after_round(n);
	/* the next wake-up: timers armed during the round queued theirs already */
	if (n->alive && l->timers && l->timers->when_ms < n->wake_ms) {
		struct sim_ev e = {.when = l->timers->when_ms, .kind = SIM_EV_WAKE, .node = n->idx};

		n->wake_ms = e.when;
		sim_push(&e);
	}
}
