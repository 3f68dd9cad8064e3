/*
 * Link bookkeeping and back-pressure (link.c) through its event table, and
 * the bounds of a health round (health.c). Real sockets on loopback where a
 * link needs one, no TLS peer: handshakes never finish here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "addr.h"
#include "health.h"
#include "link.h"
#include "proto.h"
#include "route.h"
#include "tls.h"

static struct loop lp;
static struct tls tls;
static struct link_set set;
static const uint8_t self_mac[MAC_LEN] = {0x02, 0, 0, 0, 0, 0x01};

/* what the set said, in order */
static char events[64][24];
static int n_events, dial_ok = -1;
static uint64_t dial_id;

static void note(const char *what)
{
	if (n_events < 64)
		snprintf(events[n_events++], sizeof(events[0]), "%s", what);
}

static void ev_up(struct link *l)
{
	note("up");
}

static void ev_down(struct link *l)
{
	note("down");
}

static void ev_changed(struct link_set *s)
{
	note("changed");
}

static void ev_dial_done(struct link_set *s, uint64_t addr_id, bool ok, const uint8_t *mac)
{
	note("dial_done");
	dial_ok = ok;
	dial_id = addr_id;
}

static void ev_hold(struct link_set *s, bool hold)
{
	note(hold ? "hold" : "release");
}

static const struct link_events evs = {
	.up = ev_up,
	.down = ev_down,
	.changed = ev_changed,
	.dial_done = ev_dial_done,
	.hold = ev_hold,
};

static int setup(void **state)
{
	memset(&lp, 0, sizeof(lp));
	assert_int_equal(loop_init(&lp), 0);
	lp.now_ms = loop_clock_ms();
	tls.ctx = SSL_CTX_new(TLS_method());
	assert_non_null(tls.ctx);
	link_set_init(&set, &lp, &tls, self_mac, &evs);
	n_events = 0;
	dial_ok = -1;
	return 0;
}

static int teardown(void **state)
{
	link_close_all(&set);
	SSL_CTX_free(tls.ctx);
	loop_fini(&lp);
	return 0;
}

static bool saw(int i, const char *what)
{
	return i < n_events && !strcmp(events[i], what);
}

/* A TCP listener on 127.0.0.1 (an ephemeral port): its address in ss. */
static int listener(struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	assert_true(fd >= 0);
	*len = addr_from_string(ss, "127.0.0.1", 0);
	assert_int_equal(bind(fd, (struct sockaddr *)ss, *len), 0);
	assert_int_equal(listen(fd, 4), 0);
	*len = sizeof(*in);
	assert_int_equal(getsockname(fd, (struct sockaddr *)ss, len), 0);
	return fd;
}

static void test_dial_counts_and_timeout(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(&ss, &len);
	struct link *l = link_dial(&set, (struct sockaddr *)&ss, len, NULL, 42);

	assert_non_null(l);
	assert_int_equal(set.n_links, 1);
	assert_int_equal(set.n_dialing, 1);
	assert_int_equal(set.n_up, 0);
	link_set_check(&set);
	/* no handshake within the limit: closed, counted, reported as a failed dial */
	link_check_timeouts(&set, l->created_ms + LINK_HANDSHAKE_TIMEOUT_MS);
	assert_int_equal(l->state, LINK_CLOSED);
	assert_int_equal(set.n_links, 0);
	assert_int_equal(set.n_dialing, 0);
	assert_int_equal(set.c.refused, 1);
	assert_int_equal(dial_ok, 0);
	assert_int_equal(dial_id, 42);
	assert_true(saw(0, "dial_done") && saw(1, "changed"));
	/* a second close changes nothing */
	link_close(l, "again");
	assert_int_equal(n_events, 2);
	link_after_round(&set); /* frees it */
	assert_null(set.dead);
	close(lfd);
}

static struct sockaddr_storage v4addr(const char *ip)
{
	struct sockaddr_storage ss;

	assert_true(addr_from_string(&ss, ip, 41744) > 0);
	return ss;
}

/* Slots: LINK_PENDING_PER_ADDR per address; the reserve for addresses that linked before. */
static void test_admit(void **state)
{
	struct sockaddr_storage ss, peer, other = v4addr("127.0.0.2"), known = v4addr("127.0.0.3");
	socklen_t len, plen;
	int lfd = listener(&ss, &len), cfd[LINK_PENDING_PER_ADDR];
	const char *why = NULL;
	size_t saved;

	(void)state;
	for (int i = 0; i < LINK_PENDING_PER_ADDR; i++) {
		int afd;

		cfd[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(cfd[i], (struct sockaddr *)&ss, len), 0);
		plen = sizeof(peer);
		afd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		assert_true(afd >= 0);
		assert_int_equal(link_admit(&set, (struct sockaddr *)&peer, &why), 0);
		assert_non_null(link_accept(&set, afd, (struct sockaddr *)&peer, plen));
	}
	assert_int_equal(link_admit(&set, (struct sockaddr *)&peer, &why), -EBUSY);
	assert_string_equal(why, "too many unfinished handshakes from that address");
	assert_int_equal(set.c.refused_per_addr, 1);
	assert_int_equal(link_admit(&set, (struct sockaddr *)&other, &why), 0);
	/* outside the reserve: only known addresses */
	saved = set.n_pending_in;
	set.n_pending_in = LINK_PENDING_MAX - LINK_PENDING_RESERVED;
	memcpy(set.known[0], "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x03", 16);
	set.n_known = 1;
	assert_int_equal(link_admit(&set, (struct sockaddr *)&other, &why), -EBUSY);
	assert_int_equal(set.c.refused_full, 1);
	assert_int_equal(link_admit(&set, (struct sockaddr *)&known, &why), 0);
	set.n_pending_in = LINK_PENDING_MAX;
	assert_int_equal(link_admit(&set, (struct sockaddr *)&known, &why), -EBUSY);
	assert_int_equal(set.c.refused_full, 2);
	set.n_pending_in = saved;
	set.n_known = 0;
	for (int i = 0; i < LINK_PENDING_PER_ADDR; i++)
		close(cfd[i]);
	close(lfd);
}

static void test_accept_counts_pending(void **state)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen = sizeof(peer);
	int lfd = listener(&ss, &len), cfd = socket(AF_INET, SOCK_STREAM, 0), afd;
	struct link *l;

	assert_int_equal(connect(cfd, (struct sockaddr *)&ss, len), 0);
	afd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(afd >= 0);
	l = link_accept(&set, afd, (struct sockaddr *)&peer, plen);
	assert_non_null(l);
	/* waiting for the client's hello */
	assert_int_equal(l->state, LINK_HANDSHAKE);
	assert_int_equal(set.n_pending_in, 1);
	assert_int_equal(set.n_links, 1);
	/* a client that sends no TLS byte goes after LINK_SILENT_MS, not before */
	link_check_timeouts(&set, l->created_ms + LINK_SILENT_MS - 1);
	assert_int_equal(l->state, LINK_HANDSHAKE);
	link_check_timeouts(&set, l->created_ms + LINK_SILENT_MS);
	assert_int_equal(l->state, LINK_CLOSED);
	assert_int_equal(set.n_pending_in, 0);
	assert_int_equal(set.c.refused, 1);
	assert_int_equal(set.c.closed_silent, 1);
	assert_int_equal(dial_ok, -1); /* an incoming link is no dial */
	close(cfd);
	close(lfd);
}

/* A link that is up without a socket (no TLS: nothing is ever flushed). */
static struct link *fake_up(uint8_t last)
{
	struct link *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->set = &set;
	l->state = LINK_UP;
	l->outgoing = true;
	l->confirmed = true;
	l->io.fd = -1;
	l->peer_mac[0] = 0x02;
	l->peer_mac[5] = last;
	l->out = malloc(LINK_OUT_CAP);
	l->in = malloc(LINK_IN_CAP);
	l->next = set.list;
	if (set.list)
		set.list->prev = l;
	set.list = l;
	set.n_links++;
	set.n_up++;
	return l;
}

static void test_close_of_an_up_link(void **state)
{
	struct link *l = fake_up(2);

	link_protocol_error(l, "test");
	assert_int_equal(set.c.bad_frames, 1);
	assert_int_equal(set.n_up, 0);
	assert_int_equal(set.n_links, 0);
	/* confirmed: no failed dial; the owner hears of the loss, then of the count */
	assert_int_equal(dial_ok, -1);
	assert_true(saw(0, "down") && saw(1, "changed"));
	link_set_check(&set);
}

static void test_backpressure_holds_and_releases(void **state)
{
	struct link *busy = fake_up(2), *idle = fake_up(3);

	(void)idle;
	/* a link that moves data and is over half full holds the sources */
	busy->out_end = LINK_OUT_DATA_CAP / 2 + 1;
	busy->last_tx_progress_ms = lp.now_ms;
	link_after_round(&set);
	assert_true(saw(0, "hold"));
	assert_true(set.recheck.armed);
	link_after_round(&set); /* said once, not every round */
	assert_int_equal(n_events, 1);
	/* one that stopped moving does not hold the others for long */
	lp.now_ms += LINK_STALL_MS;
	link_after_round(&set);
	assert_true(saw(1, "release"));
	assert_false(set.recheck.armed);
	/* and a drained one releases too */
	busy->last_tx_progress_ms = lp.now_ms;
	link_after_round(&set);
	assert_true(saw(2, "hold"));
	busy->out_start = busy->out_end = 0;
	link_after_round(&set);
	assert_true(saw(3, "release"));
}

/* ---- health rounds ----------------------------------------------------- */

static struct health health;
static struct route_table routes;
static int done_calls;
static struct health_round *done_round;

static int64_t next_id(struct health *h)
{
	return 777;
}

static void round_done(struct health_round *r)
{
	done_calls++;
	done_round = r;
	loop_stop(&lp);
}

/* An answer from node number i to us, for round id. */
static size_t answer(uint8_t *buf, size_t cap, unsigned i, int64_t id, size_t extra_routes)
{
	static uint8_t pairs[2 * MAC_LEN * 512];
	struct proto_health_resp r = {.id = id};
	int n;

	memcpy(r.dst, self_mac, MAC_LEN);
	r.src[0] = 0x02;
	r.src[3] = (uint8_t)(i >> 16);
	r.src[4] = (uint8_t)(i >> 8);
	r.src[5] = (uint8_t)i;
	r.rtrace = r.src;
	r.nrtrace = 1;
	r.routes = pairs;
	r.nroutes = extra_routes;
	n = proto_encode_health_resp(buf, cap, &r);
	assert_true(n > 0);
	return (size_t)n;
}

static void collect(unsigned i, int64_t id, size_t extra_routes)
{
	static uint8_t buf[PROTO_MAX_FRAME];
	struct proto_health_resp resp;
	size_t n = answer(buf, sizeof(buf), i, id, extra_routes);

	assert_int_equal(proto_decode_health_resp(buf + PROTO_HDR_SIZE, n - PROTO_HDR_SIZE, &resp),
			 0);
	/* answers count only from nodes we have a route to (PROTOCOL: Rules) */
	if (!route_find(&routes, resp.src))
		route_learn(&routes, resp.src, 1, (struct link *)&routes, 0);
	health_collect(&health, buf + PROTO_HDR_SIZE, n - PROTO_HDR_SIZE, &resp);
}

/* An answer from a node with no route here: counted as unknown, not kept. */
static void collect_unrouted(unsigned i, int64_t id)
{
	static uint8_t buf[PROTO_MAX_FRAME];
	struct proto_health_resp resp;
	size_t n = answer(buf, sizeof(buf), i, id, 0);

	assert_int_equal(proto_decode_health_resp(buf + PROTO_HDR_SIZE, n - PROTO_HDR_SIZE, &resp),
			 0);
	health_collect(&health, buf + PROTO_HDR_SIZE, n - PROTO_HDR_SIZE, &resp);
}

static void test_health_round_bounds(void **state)
{
	struct link *a = fake_up(2), *b = fake_up(3), *orig = fake_up(4);
	struct health_round r;
	struct proto_health_resp got;

	route_init(&routes, HEALTH_MAX_ANSWERS + 64);
	health_init(&health, &lp, &set, &routes, self_mac, next_id);
	done_calls = 0;
	a->peer_sent_caps = b->peer_sent_caps = true;
	assert_int_equal(health_round_start(&health, &r, 1, round_done), 0);
	/* the request went out on every link whose peer sent CAPS... */
	assert_int_equal(link_queued(a), PROTO_HDR_SIZE + PROTO_HREQ_FIXED);
	assert_int_equal(link_queued(b), PROTO_HDR_SIZE + PROTO_HREQ_FIXED);
	/* ...and not to an original node, which the round names */
	assert_int_equal(link_queued(orig), 0);
	assert_int_equal(r.n_not_asked, 1);
	assert_memory_equal(r.not_asked[0], orig->peer_mac, MAC_LEN);
	collect(1, 777, 0);
	collect(1, 777, 0); /* the same node again: not kept */
	collect(2, 555, 0); /* another round's: not ours */
	for (unsigned i = 2; i <= HEALTH_MAX_ANSWERS + 10; i++)
		collect(i, 777, 0);
	assert_int_equal(r.n, HEALTH_MAX_ANSWERS);
	assert_int_equal(r.dup, 1);
	assert_int_equal(r.over, 10);
	/* a made-up node (no route to it): cut, and counted for the asker */
	collect_unrouted(HEALTH_MAX_ANSWERS + 30, 777);
	assert_int_equal(r.unknown, 1);
	assert_int_equal(r.n, HEALTH_MAX_ANSWERS);
	assert_int_equal(loop_run(&lp), 0);
	assert_int_equal(done_calls, 1);
	assert_ptr_equal(done_round, &r);
	assert_int_equal(health_round_get(&r, 0, &got), 0);
	assert_int_equal(got.src[5], 1);
	assert_int_not_equal(health_round_get(&r, r.n, &got), 0);
	/* late answers are not collected once the round is over */
	collect(HEALTH_MAX_ANSWERS + 20, 777, 0);
	assert_int_equal(r.over, 10);
	health_round_end(&r);
	assert_int_equal(r.n, 0);
	health_round_end(&r); /* twice is fine */
	health_fini(&health);
	route_fini(&routes);
}

static void test_health_round_byte_budget(void **state)
{
	struct health_round r;
	size_t kept;

	route_init(&routes, HEALTH_MAX_ANSWERS + 64);
	health_init(&health, &lp, &set, &routes, self_mac, next_id);
	assert_int_equal(health_round_start(&health, &r, 1000, round_done), 0);
	/* big answers (512 routes each, ~6 KiB): the byte budget stops them first */
	for (unsigned i = 1; i <= 2000; i++)
		collect(i, 777, 512);
	kept = r.n;
	assert_true(kept < 2000);
	assert_true(r.bytes <= HEALTH_MAX_BYTES);
	assert_int_equal(r.over, 2000 - kept);
	health_fini(&health); /* ends the round that is still running */
	assert_false(r.running);
	route_fini(&routes);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dial_counts_and_timeout),
		T(test_accept_counts_pending),
		T(test_admit),
		T(test_close_of_an_up_link),
		T(test_backpressure_holds_and_releases),
		T(test_health_round_bounds),
		T(test_health_round_byte_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
