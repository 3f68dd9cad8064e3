/*
 * The event loop: level-triggered epoll, one-shot timers, signals via signalfd.
 *
 * Handles are embedded in their owners. A callback may delete any handle,
 * including one whose event is still pending in the current batch: deleted
 * handles are skipped. Owners must not free memory holding a handle until
 * the batch is over: they free it in after_round, which runs once after
 * every round (events, then due timers).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_io;
struct loop_timer;

typedef void loop_io_cb(struct loop_io *io, uint32_t events);
typedef void loop_timer_cb(struct loop_timer *t);
typedef void loop_defer_cb(void *arg);

struct loop_io {
	int fd;
	uint32_t events;
	bool registered;
	loop_io_cb *cb;
};

struct loop_timer {
	uint64_t when_ms;
	bool armed;
	loop_timer_cb *cb;
	struct loop_timer *next;
};

struct loop {
	int epfd;
	bool stop;
	bool in_timers; /* timers re-armed for "now" from a timer wait for the next round */
	uint64_t now_ms;
	struct loop_timer *timers; /* sorted by when_ms */
	/* runs after every dispatch round (output flushing, deferred frees) */
	loop_defer_cb *after_round;
	void *after_round_arg;
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);

/** Register fd with events (EPOLLIN/EPOLLOUT). 0 or -errno. */
int loop_io_add(struct loop *l, struct loop_io *io, int fd, uint32_t events, loop_io_cb *cb);
/** Change the events of a registered handle (no syscall if unchanged). */
int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events);
/** Unregister; safe on a handle that was never or is no longer registered. */
void loop_io_del(struct loop *l, struct loop_io *io);

/** (Re)arm a timer to fire once, delay_ms from now. */
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t delay_ms, loop_timer_cb *cb);
/** Arm for an absolute monotonic time in ms. */
void loop_timer_arm_at(struct loop *l, struct loop_timer *t, uint64_t when_ms, loop_timer_cb *cb);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/** Monotonic milliseconds, read fresh. */
uint64_t loop_clock_ms(void);
/** Wall-clock milliseconds since the Unix epoch. */
uint64_t loop_wall_ms(void);

/** Run until loop_stop(). Returns 0, or -errno if epoll_wait failed. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
