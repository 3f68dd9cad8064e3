/*
 * The event loop: timer order, re-arming from a timer, cancelling, handles
 * deleted while their event is pending, and after_round once per round.
 * Timers are a few milliseconds long; only their order is checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "util.h"

static struct loop lp;
static int order[16], n_order, rounds;

struct tagged {
	struct loop_timer t;
	int tag;
};

static void record(struct loop_timer *t)
{
	struct tagged *x = container_of(t, struct tagged, t);

	order[n_order++] = x->tag;
}

static void record_and_stop(struct loop_timer *t)
{
	record(t);
	loop_stop(&lp);
}

static void count_round(void *arg)
{
	rounds++;
}

static int setup(void **state)
{
	memset(&lp, 0, sizeof(lp));
	assert_int_equal(loop_init(&lp), 0);
	lp.after_round = count_round;
	n_order = rounds = 0;
	return 0;
}

static int teardown(void **state)
{
	loop_fini(&lp);
	return 0;
}

static void test_timers_fire_in_time_order(void **state)
{
	struct tagged a = {.tag = 3}, b = {.tag = 1}, c = {.tag = 2}, stop = {.tag = 9};

	loop_timer_arm(&lp, &a.t, 6, record);
	loop_timer_arm(&lp, &b.t, 2, record);
	loop_timer_arm(&lp, &c.t, 4, record);
	loop_timer_arm(&lp, &stop.t, 10, record_and_stop);
	assert_int_equal(loop_run(&lp), 0);
	assert_int_equal(n_order, 4);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
	assert_int_equal(order[3], 9);
	assert_true(rounds >= 1);
}

static void test_cancel_and_rearm(void **state)
{
	struct tagged a = {.tag = 1}, b = {.tag = 2}, stop = {.tag = 9};

	loop_timer_arm(&lp, &a.t, 2, record);
	loop_timer_arm(&lp, &b.t, 3, record);
	loop_timer_cancel(&lp, &a.t);
	assert_false(a.t.armed);
	loop_timer_cancel(&lp, &a.t); /* twice is fine */
	/* re-arming moves a timer, it never fires twice */
	loop_timer_arm(&lp, &b.t, 4, record);
	loop_timer_arm(&lp, &stop.t, 8, record_and_stop);
	assert_int_equal(loop_run(&lp), 0);
	assert_int_equal(n_order, 2);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 9);
}

static struct tagged again = {.tag = 5};
static int round_of_again[2];

static void rearm_now(struct loop_timer *t)
{
	round_of_again[n_order] = rounds;
	record(t);
	if (n_order == 1)
		loop_timer_arm_at(&lp, t, lp.now_ms, rearm_now); /* "now", from a timer */
	else
		loop_stop(&lp);
}

static void test_timer_rearmed_for_now_waits_a_round(void **state)
{
	loop_timer_arm(&lp, &again.t, 1, rearm_now);
	assert_int_equal(loop_run(&lp), 0);
	assert_int_equal(n_order, 2);
	/* not run again inside the same round (that could spin for ever) */
	assert_true(round_of_again[1] > round_of_again[0]);
}

/* two handles ready in one batch: whichever runs first deletes both */
static struct loop_io io1, io2;
static int io_calls;

static void on_io(struct loop_io *io, uint32_t events)
{
	io_calls++;
	loop_io_del(&lp, &io1);
	loop_io_del(&lp, &io2);
}

static void test_deleted_handle_is_skipped(void **state)
{
	struct tagged stop = {.tag = 9};
	int fds1[2], fds2[2];

	assert_int_equal(pipe(fds1), 0);
	assert_int_equal(pipe(fds2), 0);
	assert_int_equal(write(fds1[1], "x", 1), 1);
	assert_int_equal(write(fds2[1], "x", 1), 1);
	assert_int_equal(loop_io_add(&lp, &io1, fds1[0], EPOLLIN, on_io), 0);
	assert_int_equal(loop_io_add(&lp, &io2, fds2[0], EPOLLIN, on_io), 0);
	loop_timer_arm(&lp, &stop.t, 5, record_and_stop);
	assert_int_equal(loop_run(&lp), 0);
	/* both were ready in the first batch, but the second was deleted by then */
	assert_int_equal(io_calls, 1);
	loop_io_del(&lp, &io1); /* deleting again is safe */
	for (int i = 0; i < 2; i++) {
		close(fds1[i]);
		close(fds2[i]);
	}
}

static void test_mod_without_change_keeps_the_handle(void **state)
{
	int fds[2];
	struct loop_io io;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(loop_io_add(&lp, &io, fds[0], EPOLLIN, on_io), 0);
	assert_int_equal(loop_io_mod(&lp, &io, EPOLLIN), 0);
	assert_int_equal(loop_io_mod(&lp, &io, 0), 0);
	assert_int_equal(io.events, 0);
	assert_true(io.registered);
	loop_io_del(&lp, &io);
	close(fds[0]);
	close(fds[1]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_timers_fire_in_time_order),	     T(test_cancel_and_rearm),
		T(test_timer_rearmed_for_now_waits_a_round), T(test_deleted_handle_is_skipped),
		T(test_mod_without_change_keeps_the_handle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
