/* The AvahiPoll adapter's bookkeeping: watches per fd, deferred frees, timeouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "avahi_poll.h"
#include "loop.h"
#include "mdns.h"

static struct loop loop;
static void *api_arg; /* the AvahiPoll, as the callbacks' userdata */
static int fired, read_events;
static AvahiWatch *self_freeing;

static void on_timeout(AvahiTimeout *t, void *arg)
{
	const AvahiPoll *api = arg;

	fired++;
	/* Avahi frees timeouts from inside their callbacks */
	api->timeout_free(t);
	loop_stop(&loop);
}

static void on_readable(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *arg)
{
	const AvahiPoll *api = arg;
	char c;

	assert_true(ev & AVAHI_WATCH_IN);
	assert_int_equal(api->watch_get_events(w), ev);
	assert_int_equal(read(fd, &c, 1), 1);
	read_events++;
	if (w == self_freeing)
		api->watch_free(w);
	loop_stop(&loop);
}

static void never(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *arg)
{
	fail_msg("a freed or write-only watch was called");
}

static void after_round(void *arg)
{
	avpoll_sweep(arg);
}

static void two_watches_on_one_fd(void **state)
{
	struct avpoll *p;
	const AvahiPoll *api;
	AvahiWatch *r, *w;
	int fds[2];

	assert_int_equal(loop_init(&loop), 0);
	p = avpoll_new(&loop);
	api = avpoll_api(p);
	memcpy(&api_arg, &api, sizeof(api));
	loop.after_round = after_round;
	loop.after_round_arg = p;
	assert_int_equal(pipe(fds), 0);

	/* libdbus watches one socket twice: the second must not fail with EEXIST */
	r = api->watch_new(api, fds[0], AVAHI_WATCH_IN, on_readable, api_arg);
	w = api->watch_new(api, fds[0], 0, never, NULL);
	assert_non_null(r);
	assert_non_null(w);
	assert_int_equal(avpoll_live_watches(p), 2);
	api->watch_update(w, 0);

	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(read_events, 1);

	/* freed inside its own callback: swept after the round, never called again */
	self_freeing = r;
	assert_int_equal(write(fds[1], "yz", 2), 2);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(read_events, 2);
	assert_int_equal(avpoll_live_watches(p), 1);
	api->watch_free(w);
	assert_int_equal(avpoll_live_watches(p), 0);
	avpoll_sweep(p);

	/* the same fd number again after everything on it was freed */
	r = api->watch_new(api, fds[0], AVAHI_WATCH_IN, on_readable, api_arg);
	assert_non_null(r);
	self_freeing = NULL;
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(read_events, 3);

	avpoll_free(p);
	close(fds[0]);
	close(fds[1]);
	loop_fini(&loop);
}

static void timeouts(void **state)
{
	struct avpoll *p;
	const AvahiPoll *api;
	struct timeval now, soon;
	AvahiTimeout *t, *off;

	assert_int_equal(loop_init(&loop), 0);
	p = avpoll_new(&loop);
	api = avpoll_api(p);
	memcpy(&api_arg, &api, sizeof(api));
	loop.after_round = after_round;
	loop.after_round_arg = p;
	gettimeofday(&now, NULL);
	soon = now;
	soon.tv_usec += 20000;
	if (soon.tv_usec >= 1000000) {
		soon.tv_sec++;
		soon.tv_usec -= 1000000;
	}
	/* NULL: created disabled */
	off = api->timeout_new(api, NULL, on_timeout, api_arg);
	assert_int_equal(avpoll_live_timeouts(p), 0);
	t = api->timeout_new(api, &soon, on_timeout, api_arg);
	assert_non_null(t);
	assert_int_equal(avpoll_live_timeouts(p), 1);
	/* re-armed to "now" (the D-Bus glue does this), then disabled again */
	api->timeout_update(off, &now);
	api->timeout_update(off, NULL);
	assert_int_equal(avpoll_live_timeouts(p), 1);

	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(avpoll_live_timeouts(p), 0);
	api->timeout_free(off);
	avpoll_free(p);
	loop_fini(&loop);
}

/* The mDNS states invpnctl status shows: one documented name each; off without mdns. */
static void mdns_states(void **state)
{
	static const char *const want[MDNS_STATE_COUNT] = {
		"off", "no_dbus", "no_daemon", "registering", "published", "browsing", "failed",
	};
	struct mdns_info mi;

	for (int s = 0; s < MDNS_STATE_COUNT; s++)
		assert_string_equal(mdns_state_name((enum mdns_state)s), want[s]);
	assert_string_equal(mdns_state_name(MDNS_STATE_COUNT), "?");
	memset(&mi, 0xff, sizeof(mi));
	mdns_get_info(NULL, &mi); /* mDNS off */
	assert_int_equal(mi.state, MDNS_OFF);
	assert_null(mi.service_name);
	assert_null(mi.error);
	assert_false(mi.browsing);
	assert_false(mi.retrying);
	assert_int_equal(mi.services, 0);
}

/* Services are counted by name, whatever Avahi reports per interface and protocol. */
static void mdns_seen_by_name(void **state)
{
	static struct mdns_seen s;
	char name[80];

	mdns_seen_add(&s, "invpn 1"); /* IPv4 on eth0 */
	mdns_seen_add(&s, "invpn 1"); /* IPv6 on eth0 */
	mdns_seen_add(&s, "invpn 2");
	assert_int_equal(s.n, 2);
	mdns_seen_remove(&s, "invpn 1");
	assert_int_equal(s.n, 2);	 /* still there over IPv6 */
	mdns_seen_remove(&s, "invpn 3"); /* never seen: nothing */
	assert_int_equal(s.n, 2);
	mdns_seen_remove(&s, "invpn 1");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0].name, "invpn 2");
	mdns_seen_remove(&s, "invpn 1");
	assert_int_equal(s.n, 1);
	mdns_seen_remove(&s, "invpn 2");
	assert_int_equal(s.n, 0);

	/* bounded: names past the limit and over-long names are not counted */
	for (unsigned i = 0; i < MDNS_MAX_SEEN + 10; i++) {
		snprintf(name, sizeof(name), "invpn %u", i);
		mdns_seen_add(&s, name);
	}
	assert_int_equal(s.n, MDNS_MAX_SEEN);
	mdns_seen_remove(&s, "invpn 0");
	assert_int_equal(s.n, MDNS_MAX_SEEN - 1);
	s.n = 0;
	memset(name, 'x', 64);
	name[64] = '\0';
	mdns_seen_add(&s, name);
	assert_int_equal(s.n, 0);
	name[63] = '\0';
	mdns_seen_add(&s, name);
	assert_int_equal(s.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_watches_on_one_fd),
		cmocka_unit_test(timeouts),
		cmocka_unit_test(mdns_states),
		cmocka_unit_test(mdns_seen_by_name),
	};

	return cmocka_run_group_tests_name("avahi_poll", tests, NULL, NULL);
}
