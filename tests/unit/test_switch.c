/*
 * The switch's decisions, on the real switch, route, directory, link-buffer
 * and health code: links are real struct links (up, with real output
 * buffers) but without sockets or TLS; the TAP is one end of a SOCK_SEQPACKET
 * pair, so each frame written to it arrives whole at the other end. What a
 * frame did is read back from the links' output buffers, the TAP and the
 * counters.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "autoconnect.h"
#include "daemon.h"
#include "link.h"
#include "origin.h"
#include "pace.h"
#include "proto.h"
#include "route.h"
#include "switch.h"

#define SELF "02:00:00:00:00:01"
#define B "02:00:00:00:00:02"
#define C "02:00:00:00:00:03"
#define X "02:00:00:00:00:99" /* a node two hops away */
#define Y "02:00:00:00:00:98" /* another, elsewhere */

static struct invpnd d;
static struct config cfg;
static int tap_peer = -1; /* the test's end of the fake TAP */

static const uint8_t *M(const char *s)
{
	static uint8_t macs[8][MAC_LEN];
	static int next;
	uint8_t *m = macs[next++ % 8];

	assert_int_equal(mac_parse(s, m), 0);
	return m;
}

static int setup(void **state)
{
	int sv[2];

	memset(&d, 0, sizeof(d));
	config_init(&cfg);
	d.cfg = &cfg;
	memcpy(d.mac, M(SELF), MAC_LEN);
	assert_int_equal(loop_init(&d.loop), 0);
	d.loop.now_ms = 1000000;
	link_set_init(&d.links, &d.loop, &d.tls, d.mac, NULL);
	route_init(&d.routes, 64);
	assert_int_equal(nodes_init(&d.nodes, 64), 0);
	health_init(&d.health, &d.loop, &d.links, &d.routes, d.mac, NULL);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	d.tap.fd = sv[0];
	tap_peer = sv[1];
	snprintf(d.tap.name, sizeof(d.tap.name), "tap-test");
	return 0;
}

static int teardown(void **state)
{
	d.stopping = true;
	link_close_all(&d.links);
	route_fini(&d.routes);
	nodes_fini(&d.nodes);
	loop_fini(&d.loop);
	close(d.tap.fd);
	close(tap_peer);
	config_fini(&cfg);
	return 0;
}

/* A link that is up, to a peer with this MAC, seen at ip:port. */
static struct link *fake_link(const char *mac, const char *ip, uint16_t port)
{
	struct link *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->set = &d.links;
	l->state = LINK_UP;
	l->io.fd = -1;
	l->id = ++d.links.next_id;
	memcpy(l->peer_mac, M(mac), MAC_LEN);
	l->addrlen = addr_from_string(&l->addr, ip, port);
	assert_true(l->addrlen > 0);
	l->in = malloc(LINK_IN_CAP);
	l->out = malloc(LINK_OUT_CAP);
	assert_non_null(l->in);
	assert_non_null(l->out);
	snprintf(l->name, sizeof(l->name), "%s", mac);
	l->next = d.links.list;
	if (d.links.list)
		d.links.list->prev = l;
	d.links.list = l;
	d.links.n_links++;
	d.links.n_up++;
	link_set_check(&d.links);
	return l;
}

/* The next frame l queued: its type, body and body length; false if none is left. */
static bool sent(struct link *l, uint8_t *type, const uint8_t **body, size_t *len)
{
	size_t n;

	if (l->out_end - l->out_start < PROTO_HDR_SIZE)
		return false;
	n = proto_get16(l->out + l->out_start);
	assert_true(n >= 1 && l->out_start + PROTO_LEN_SIZE + n <= l->out_end);
	*type = l->out[l->out_start + 2];
	*body = l->out + l->out_start + PROTO_HDR_SIZE;
	*len = n - 1;
	l->out_start += PROTO_LEN_SIZE + n;
	return true;
}

/* The next frame l queued must be of this type. */
static const uint8_t *expect_sent(struct link *l, uint8_t want, size_t *len)
{
	const uint8_t *body = NULL;
	uint8_t type = 0;
	size_t n = 0;

	assert_true(sent(l, &type, &body, &n));
	assert_int_equal(type, want);
	if (len)
		*len = n;
	return body;
}

static void expect_nothing_sent(struct link *l)
{
	assert_int_equal(l->out_end - l->out_start, 0);
}

static void drain(struct link *l)
{
	l->out_start = l->out_end = 0;
}

/* The next frame the switch wrote to the TAP (its size), or -1 if none. */
static ssize_t tap_got(uint8_t *buf, size_t cap)
{
	ssize_t n = recv(tap_peer, buf, cap, MSG_DONTWAIT);

	return n < 0 ? -1 : n;
}

/* Feed a whole wire frame to the switch as if it arrived on l. */
static void arrive(struct link *l, const uint8_t *wire, size_t n)
{
	static uint8_t buf[PROTO_MAX_FRAME];

	memcpy(buf, wire, n); /* the switch may change it in place */
	switch_frame(&d, l, buf + PROTO_LEN_SIZE, n - PROTO_LEN_SIZE);
}

static void arrive_info(struct link *l, const char *mac, int64_t id, const char *ip, uint16_t port)
{
	struct proto_info in = {.id = id, .port = port, .iptype = PROTO_IP_NONE};
	struct sockaddr_storage ss;
	uint8_t wire[PROTO_INFO_MAX];
	int n;

	memcpy(in.mac, M(mac), MAC_LEN);
	if (ip) {
		addr_from_string(&ss, ip, port);
		in.iptype = PROTO_IP_V4;
		memcpy(in.ip, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	}
	n = proto_encode_info(wire, sizeof(wire), &in);
	assert_true(n > 0);
	arrive(l, wire, (size_t)n);
}

static void arrive_announce(struct link *l, const char *mac, int64_t id, uint16_t port)
{
	struct proto_announce a = {.id = id, .port = port};
	uint8_t wire[PROTO_HDR_SIZE + PROTO_ANNOUNCE_BODY];
	int n;

	memcpy(a.mac, M(mac), MAC_LEN);
	n = proto_encode_announce(wire, sizeof(wire), &a);
	assert_true(n > 0);
	arrive(l, wire, (size_t)n);
}

/* An Ethernet frame dst <- src with a few payload bytes. */
static size_t eth(uint8_t *buf, const char *dst, const char *src)
{
	memcpy(buf, M(dst), MAC_LEN);
	memcpy(buf + MAC_LEN, M(src), MAC_LEN);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(buf + 14, 0xab, 46);
	return 60;
}

static void tap_sends(const uint8_t *frame, size_t n)
{
	assert_int_equal(send(tap_peer, frame, n, 0), (ssize_t)n);
	switch_tap_readable(&d.tap_io, EPOLLIN);
}

/* ---- announcements and routes ------------------------------------------ */

static void test_announce_learns_route_and_floods_info(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 50000), *c = fake_link(C, "198.18.0.3", 41744);
	struct proto_info info;
	const struct node_addr *found = NULL;
	const uint8_t *body;
	size_t len;

	arrive_announce(b, B, 5000, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), b);
	/* flooded to c as INFO with the address b is seen at and the port it listens on */
	body = expect_sent(c, PROTO_INFO, &len);
	assert_int_equal(proto_decode_info(body, len, &info), 0);
	assert_memory_equal(info.mac, M(B), MAC_LEN);
	assert_int_equal(info.port, 41744);
	assert_int_equal(info.iptype, PROTO_IP_V4);
	assert_memory_equal(info.ip, "\xc6\x12\x00\x02", 4);
	/* never back where it came from */
	expect_nothing_sent(b);
	/* and the address goes into the directory, for dialling */
	nodes_foreach(&d.nodes, a) {
		if (a->has_mac && mac_eq(a->mac, M(B)))
			found = a;
	}
	assert_non_null(found);
	assert_int_equal(addr_port((const struct sockaddr *)&found->sa), 41744);
}

static void test_announce_for_another_mac_is_dropped(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);

	arrive_announce(b, X, 5000, 41744);
	assert_null(route_find(&d.routes, M(X)));
	expect_nothing_sent(c);
}

static void test_older_info_is_a_duplicate(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	uint64_t dup0 = d.counters.drop_duplicate;

	arrive_info(b, X, 9000, "198.18.0.9", 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), b);
	drain(c);
	/* the same announcement again, by another path: first seen wins */
	arrive_info(c, X, 9000, "198.18.0.9", 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), b);
	assert_int_equal(d.counters.drop_duplicate, dup0 + 1);
	expect_nothing_sent(b);
	/* a newer one moves the route */
	arrive_info(c, X, 9001, "198.18.0.9", 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), c);
	expect_sent(b, PROTO_INFO, NULL);
}

static void test_info_about_ourselves_is_ignored(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);

	arrive_info(b, SELF, 9000, "198.18.0.1", 41744);
	assert_null(route_find(&d.routes, M(SELF)));
	expect_nothing_sent(c);
}

static void test_no_relay_floods_nothing(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);

	cfg.no_relay = true;
	arrive_info(b, X, 9000, "198.18.0.9", 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), b); /* still learned, for our own use */
	expect_nothing_sent(c);
}

static void test_link_up_announces_and_replays_routes(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c;
	struct proto_info info;
	const uint8_t *body;
	size_t len;

	arrive_info(b, X, 9000, "198.18.0.9", 41744);
	c = fake_link(C, "198.18.0.3", 41744);
	switch_link_up(&d, c);
	/* CAPS always (the mesh extensions), no GSO bit without offloads... */
	body = expect_sent(c, PROTO_CAPS, &len);
	{
		uint32_t caps = 0;

		assert_int_equal(proto_decode_caps(body, len, &caps), 0);
		assert_int_equal(caps, PROTO_CAPS_MESH | PROTO_CAPS_WITHDRAW | PROTO_CAPS_DRAIN |
					       PROTO_CAPS_PACE);
	}
	expect_sent(c, PROTO_ANNOUNCE, NULL);
	/* (no DEGREE: c has not said it speaks the mesh extensions) */
	/* ...then what we know, so c need not wait for the next round */
	body = expect_sent(c, PROTO_INFO, &len);
	assert_int_equal(proto_decode_info(body, len, &info), 0);
	assert_memory_equal(info.mac, M(X), MAC_LEN);
	assert_int_equal(info.id, 9000);
	expect_nothing_sent(c);
}

/* The replay to a new link is paced under what a joiner takes from one link (ORIGIN_NEW_*). */
static void test_replay_to_a_new_link_is_paced(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c;
	uint8_t mac[MAC_LEN] = {0x02, 0x20}, type;
	const uint8_t *body;
	size_t len, infos = 0, total = 0, steps = 0;

	route_fini(&d.routes);
	assert_int_equal(route_init(&d.routes, 2048), 0);
	for (unsigned i = 0; i < 1000; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		assert_non_null(route_learn(&d.routes, mac, 9000, b, d.loop.now_ms));
		route_find(&d.routes, mac)->info_len =
			(uint8_t)proto_encode_info(route_find(&d.routes, mac)->info_frame,
						   PROTO_INFO_MAX,
						   &(struct proto_info){.id = 9000});
	}
	c = fake_link(C, "198.18.0.3", 41744);
	switch_link_up(&d, c);
	while (sent(c, &type, &body, &len))
		infos += type == PROTO_INFO;
	/* a burst under the peer's 512, finishing the hash bucket it ends in */
	assert_true(infos >= SWITCH_REPLAY_BURST && infos < SWITCH_REPLAY_BURST + 16);
	assert_true(c->replaying);
	total = infos;
	while (c->replaying && steps++ < 100) {
		drain(c);
		switch_replay_tick(&d);
		infos = 0;
		while (sent(c, &type, &body, &len))
			infos += type == PROTO_INFO;
		/* then under 64 a second; the last step may be short */
		assert_true(infos < SWITCH_REPLAY_PER_S + 16);
		assert_true(infos >= SWITCH_REPLAY_PER_S || !c->replaying);
		total += infos;
	}
	assert_int_equal(total, 1000);
	/* done: a tick sends nothing more */
	switch_replay_tick(&d);
	expect_nothing_sent(c);
}

/* GONE drops a route that heard nothing newer, and keeps one that did. */
static void test_gone_drops_stale_routes_only(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	struct proto_gone g = {.id = 5000, .last_id = 9000};
	uint8_t wire[64];
	int n;

	arrive_info(b, B, 9000, NULL, 41744);
	arrive_info(b, X, 9000, "198.18.0.9", 41744);
	arrive_info(c, C, 9000, NULL, 41744);
	arrive_info(c, Y, 9500, "198.18.0.10", 41744);
	memcpy(g.origin, M(B), MAC_LEN);
	memcpy(g.gone, M(X), MAC_LEN);
	n = proto_encode_gone(wire, sizeof(wire), &g);
	assert_true(n > 0);
	arrive(b, wire, (size_t)n);
	assert_null(route_find(&d.routes, M(X)));
	/* Y's route does not go through b: b's GONE says nothing of it (taken
	 * from any link, one GONE could silence any node) */
	g.id = 5001;
	memcpy(g.gone, M(Y), MAC_LEN);
	n = proto_encode_gone(wire, sizeof(wire), &g);
	arrive(b, wire, (size_t)n);
	assert_ptr_equal(route_lookup(&d.routes, M(Y)), c);
	/* X announced after the GONE's last_id: it is alive */
	arrive_info(b, X, 9600, "198.18.0.9", 41744);
	g.id = 5003;
	memcpy(g.gone, M(X), MAC_LEN);
	n = proto_encode_gone(wire, sizeof(wire), &g);
	arrive(b, wire, (size_t)n);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), b);
	/* a peer we have a direct link to is never dropped on hearsay */
	g.id = 5002;
	memcpy(g.gone, M(C), MAC_LEN);
	n = proto_encode_gone(wire, sizeof(wire), &g);
	arrive(b, wire, (size_t)n);
	assert_ptr_equal(route_lookup(&d.routes, M(C)), c);
}

static void test_link_down_drops_its_routes(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);

	arrive_info(b, X, 9000, "198.18.0.9", 41744);
	arrive_info(c, C, 9000, NULL, 41744);
	switch_link_down(&d, b);
	assert_null(route_find(&d.routes, M(X)));
	assert_ptr_equal(route_lookup(&d.routes, M(C)), c);
}

/* A peer that takes WITHDRAW (and the mesh extensions). */
static struct link *withdraw_peer(const char *mac, const char *ip)
{
	struct link *l = fake_link(mac, ip, 41744);

	l->peer_sent_caps = true;
	l->peer_caps = PROTO_CAPS_MESH | PROTO_CAPS_WITHDRAW;
	return l;
}

/* The entries of the next frame l queued, which must be a WITHDRAW. */
static size_t expect_withdraw(struct link *l, struct proto_withdraw_entry *e, size_t cap)
{
	struct proto_withdraw w;
	const uint8_t *body;
	size_t len;

	body = expect_sent(l, PROTO_WITHDRAW, &len);
	assert_int_equal(proto_decode_withdraw(body, len, &w), 0);
	assert_true(w.n <= cap);
	for (size_t i = 0; i < w.n; i++)
		proto_withdraw_get(&w, i, &e[i]);
	return w.n;
}

static bool has_entry(const struct proto_withdraw_entry *e, size_t n, const char *mac, int64_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (mac_eq(e[i].mac, M(mac)))
			return e[i].last_id == id;
	}
	return false;
}

/* A closed link's routes are withdrawn to WITHDRAW peers, and tombed here. */
static void test_link_down_withdraws_its_routes(void **state)
{
	struct link *b = withdraw_peer(B, "198.18.0.2"), *c = withdraw_peer(C, "198.18.0.3");
	struct link *o = fake_link(Y, "198.18.0.10", 41744); /* no WITHDRAW: gets none */
	/* being drained (autoconnect): gets the WITHDRAW all the same, as no
	 * newer INFO of a dead node would ever move its peer's routes */
	struct link *dr = withdraw_peer("02:00:00:00:00:04", "198.18.0.4");
	struct proto_withdraw_entry e[4] = {0};
	size_t n;

	arrive_info(b, B, 9000, NULL, 41744);
	arrive_info(b, X, 9100, "198.18.0.9", 41744);
	arrive_info(c, C, 9000, NULL, 41744);
	drain(c);
	drain(o);
	drain(dr);
	dr->drain_ms = d.loop.now_ms + 1000;
	switch_link_down(&d, b);
	n = expect_withdraw(c, e, 4);
	assert_int_equal(n, 2);
	assert_true(has_entry(e, n, B, 9000));
	assert_true(has_entry(e, n, X, 9100));
	/* then our fresh announcement (the GONE goes to MESH peers without WITHDRAW only) */
	expect_sent(c, PROTO_ANNOUNCE, NULL);
	expect_sent(o, PROTO_ANNOUNCE, NULL);
	/* the draining peer: the same WITHDRAW, and no announcement */
	memset(e, 0, sizeof(e));
	n = expect_withdraw(dr, e, 4);
	assert_int_equal(n, 2);
	assert_true(has_entry(e, n, B, 9000));
	assert_true(has_entry(e, n, X, 9100));
	expect_nothing_sent(dr);
	assert_null(route_find(&d.routes, M(X)));
	/* the peer itself is gone (no other link to it): its old INFO stays out */
	arrive_info(c, B, 9000, NULL, 41744);
	assert_null(route_find(&d.routes, M(B)));
	/* a late copy of X's last INFO does not bring it back; its next one does */
	arrive_info(c, X, 9100, "198.18.0.9", 41744);
	assert_null(route_find(&d.routes, M(X)));
	arrive_info(c, X, 9101, "198.18.0.9", 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), c);
}

/* A duplicate link closed: its routes move to the other link to that peer. */
static void test_duplicate_link_down_moves_its_routes(void **state)
{
	struct link *b = withdraw_peer(B, "198.18.0.2"), *c = withdraw_peer(C, "198.18.0.3");
	struct link *b2 = withdraw_peer(B, "198.18.0.2");

	arrive_info(b, B, 9000, NULL, 41744);
	arrive_info(b, X, 9100, "198.18.0.9", 41744);
	drain(c);
	drain(b2);
	switch_link_down(&d, b);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), b2);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), b2);
	/* nothing is gone: no WITHDRAW, no GONE, no announcement */
	expect_nothing_sent(c);
	expect_nothing_sent(b2);
}

static size_t unicast_wire(uint8_t *wire, const char *dst, const char *src);

static struct link *drain_peer(const char *mac, const char *ip)
{
	struct link *l = withdraw_peer(mac, ip);

	l->peer_caps |= PROTO_CAPS_DRAIN;
	return l;
}

static void arrive_drain(struct link *l, bool closing)
{
	uint8_t f[PROTO_HDR_SIZE + PROTO_DRAIN_BODY];

	assert_int_equal(proto_encode_drain(f, sizeof(f), closing), (int)sizeof(f));
	arrive(l, f, sizeof(f));
}

/* (ext) A peer says DRAIN: its route moves to another link before the link closes. */
static void test_drain_moves_the_route_to_the_peer(void **state)
{
	struct link *b = drain_peer(B, "198.18.0.2"), *c = drain_peer(C, "198.18.0.3");
	struct link *o = fake_link(Y, "198.18.0.10", 41744);
	static uint8_t wire[PROTO_MAX_FRAME];
	uint8_t got[128];
	size_t n;

	(void)state;
	arrive_info(b, B, 9000, NULL, 41744);
	arrive_info(c, C, 9000, NULL, 41744);
	/* without a drain, the route to B comes only from b */
	arrive_info(c, B, 9001, NULL, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), b);
	drain(b);
	drain(c);
	drain(o);
	/* B drains b: we stop using it, and announce ourselves afresh elsewhere */
	arrive_drain(b, true);
	assert_true(b->drain_ms > d.loop.now_ms);
	assert_true(b->drain_by_peer);
	assert_int_equal(d.counters.drain_notices, 1);
	expect_sent(c, PROTO_ANNOUNCE, NULL);
	expect_sent(o, PROTO_ANNOUNCE, NULL);
	expect_nothing_sent(b);
	/* B's fresh INFO over c moves the route: b closes with nothing on it */
	arrive_info(c, B, 9002, NULL, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), c);
	/* and B's own frames on b still reach us meanwhile (its link says it
	 * is B), however many of B's INFOs came over c since */
	arrive_info(c, B, 9003, NULL, 41744);
	arrive_info(c, B, 9004, NULL, 41744);
	n = unicast_wire(wire, SELF, B);
	arrive(b, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), 60);
	assert_int_equal(d.counters.drop_reverse_path, 0);
	/* a second DRAIN changes nothing; "kept" ends the drain */
	arrive_drain(b, true);
	assert_int_equal(d.counters.drain_notices, 1);
	arrive_drain(b, false);
	assert_int_equal(b->drain_ms, 0);
	assert_false(b->drain_by_peer);
	/* a bad value is a bad frame, as any other */
	{
		uint8_t f[PROTO_HDR_SIZE + PROTO_DRAIN_BODY];

		proto_encode_drain(f, sizeof(f), true);
		f[4] = 7;
		arrive(c, f, sizeof(f));
		assert_int_equal(c->drain_ms, 0);
	}
	/* drained again and closed: the route to B stays on c */
	arrive_drain(b, true);
	switch_link_down(&d, b);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), c);
}

/*
 * (ext) The peer drains a link that routes here still go over (their
 * origins' INFO has not come round another way yet): before the peer's
 * deadline we say "kept", and keep it. With nothing on it, we leave the
 * close to the peer.
 */
static void test_drained_by_peer_says_kept_while_routes_use_it(void **state)
{
	struct link *b = drain_peer(B, "198.18.0.2"), *c = drain_peer(C, "198.18.0.3");
	const uint8_t *body;
	bool closing = true;
	uint64_t deadline;
	size_t len;

	(void)state;
	arrive_info(b, B, 9000, NULL, 41744);
	arrive_info(c, C, 9000, NULL, 41744);
	arrive_info(b, X, 9000, "198.18.0.9", 41744);
	arrive_drain(b, true);
	deadline = b->drain_ms;
	/* ours comes before the peer's: announce_interval + 1.5 s after its start */
	assert_true(deadline < d.loop.now_ms + cfg.announce_interval * 1000 + 1500);
	drain(b);
	drain(c);
	/* autoconnect reads the monotonic clock: the deadline is past for it */
	b->drain_ms = 1;
	autoconnect_run(&d);
	body = expect_sent(b, PROTO_DRAIN, &len);
	assert_int_equal(proto_decode_drain(body, len, &closing), 0);
	assert_false(closing);
	assert_int_equal(b->drain_ms, 0);
	assert_int_equal(b->state, LINK_UP);
	/* drained again, X's INFO now over c: nothing to say, the peer closes */
	arrive_drain(b, true);
	arrive_info(c, X, 9100, "198.18.0.9", 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), c);
	drain(b);
	b->drain_ms = 1;
	autoconnect_run(&d);
	expect_nothing_sent(b);
	assert_int_equal(b->state, LINK_UP);
	assert_true(b->drain_checked);
	assert_true(b->drain_ms > loop_clock_ms()); /* ours is a fallback only */
}

/* (ext) Our own drain: a peer that takes DRAIN is told, one that does not is not. */
static void test_our_drain_tells_the_peer(void **state)
{
	struct link *b = drain_peer(B, "198.18.0.2"), *c = drain_peer(C, "198.18.0.3");
	struct link *o = fake_link(Y, "198.18.0.10", 41744);
	const uint8_t *body;
	bool closing = false;
	size_t len;

	(void)state;
	arrive_info(b, B, 9000, NULL, 41744);
	arrive_info(c, C, 9000, NULL, 41744);
	arrive_info(o, Y, 9000, NULL, 41744);
	drain(b);
	drain(c);
	drain(o);
	autoconnect_drain_start(&d, b, false);
	assert_false(b->drain_by_peer);
	body = expect_sent(b, PROTO_DRAIN, &len);
	assert_int_equal(proto_decode_drain(body, len, &closing), 0);
	assert_true(closing);
	expect_nothing_sent(b);
	expect_sent(c, PROTO_ANNOUNCE, NULL);
	/* we take B's route from c now */
	arrive_info(c, B, 9001, NULL, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), c);
	/* the peer's "kept" ends a drain of ours too: routes still go over it there */
	arrive_drain(b, false);
	assert_int_equal(b->drain_ms, 0);
	/* a peer without DRAIN hears nothing; a second drain within the second
	 * sends no second announcement */
	drain(c);
	drain(o);
	autoconnect_drain_start(&d, o, false);
	expect_nothing_sent(o);
	expect_nothing_sent(c);
}

/* A WITHDRAW takes only routes through its sender that heard nothing newer. */
static void test_withdraw_takes_routes_through_the_sender_only(void **state)
{
	struct link *b = withdraw_peer(B, "198.18.0.2"), *c = withdraw_peer(C, "198.18.0.3");
	struct link *e2 = withdraw_peer("02:00:00:00:00:04", "198.18.0.4");
	struct proto_withdraw_entry in[4] = {{.last_id = 9100},
					     {.last_id = 9200},
					     {.last_id = 9000},
					     {.last_id = 9300}};
	struct proto_withdraw_entry out[4] = {0};
	const char *Z = "02:00:00:00:00:97";
	uint8_t wire[PROTO_WITHDRAW_FRAME];
	int size;

	arrive_info(b, B, 9000, NULL, 41744);
	arrive_info(b, X, 9100, "198.18.0.9", 41744);
	arrive_info(c, C, 9000, NULL, 41744);
	arrive_info(c, Y, 9200, "198.18.0.10", 41744);
	arrive_info(c, Z, 9301, "198.18.0.11", 41744);
	drain(b);
	drain(c);
	drain(e2);
	/* c withdraws X (through b), Y (through c), c itself and Z (heard newer) */
	memcpy(in[0].mac, M(X), MAC_LEN);
	memcpy(in[1].mac, M(Y), MAC_LEN);
	memcpy(in[2].mac, M(C), MAC_LEN);
	memcpy(in[3].mac, M(Z), MAC_LEN);
	size = proto_encode_withdraw(wire, sizeof(wire), in, 4);
	assert_true(size > 0);
	arrive(c, wire, (size_t)size);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), b);
	assert_null(route_find(&d.routes, M(Y)));
	assert_ptr_equal(route_lookup(&d.routes, M(C)), c);
	assert_ptr_equal(route_lookup(&d.routes, M(Z)), c);
	assert_int_equal(d.counters.routes_withdrawn, 1);
	assert_int_equal(d.counters.withdraw_ignored, 3);
	/* relayed (what we dropped, at our own newest id) to the others, not back */
	assert_int_equal(expect_withdraw(b, out, 4), 1);
	assert_true(has_entry(out, 1, Y, 9200));
	assert_int_equal(expect_withdraw(e2, out, 4), 1);
	expect_nothing_sent(c);
	/* the same again: nothing left to take, nothing relayed */
	arrive(c, wire, (size_t)size);
	expect_nothing_sent(b);
	assert_int_equal(d.counters.routes_withdrawn, 1);
	/* Y's old INFO is refused (forgotten, it would be new again and go
	 * round); its next one brings the route back */
	arrive_info(b, Y, 9200, "198.18.0.10", 41744);
	assert_null(route_find(&d.routes, M(Y)));
	arrive_info(b, Y, 9201, "198.18.0.10", 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(Y)), b);
}

/* ---- frames from the TAP ------------------------------------------------- */

static void test_tap_unicast_follows_the_route(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	uint8_t frame[64];
	const uint8_t *body;
	size_t n = eth(frame, X, SELF), len;

	arrive_info(c, X, 9000, "198.18.0.9", 41744);
	drain(b);
	tap_sends(frame, n);
	body = expect_sent(c, PROTO_UNICAST, &len);
	assert_int_equal(len, n);
	assert_memory_equal(body, frame, n);
	expect_nothing_sent(b);
}

static void test_tap_unicast_without_route_is_counted(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744);
	uint8_t frame[64];
	size_t n = eth(frame, X, SELF);

	tap_sends(frame, n);
	assert_int_equal(d.counters.drop_no_route, 1);
	expect_nothing_sent(b);
}

static void test_tap_frame_from_another_host_is_dropped(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744);
	uint8_t frame[64];
	size_t n = eth(frame, "ff:ff:ff:ff:ff:ff", C);

	tap_sends(frame, n);
	assert_int_equal(d.counters.drop_foreign_src, 1);
	expect_nothing_sent(b);
}

static void test_tap_broadcast_and_multicast_flood(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	const char *dsts[] = {"ff:ff:ff:ff:ff:ff", "33:33:00:00:00:01"};

	for (size_t i = 0; i < 2; i++) {
		struct proto_broadcast bc;
		uint8_t frame[64];
		size_t n = eth(frame, dsts[i], SELF), len;
		const uint8_t *body;

		tap_sends(frame, n);
		for (int k = 0; k < 2; k++) {
			body = expect_sent(k ? b : c, PROTO_BROADCAST, &len);
			assert_int_equal(proto_decode_broadcast(body, len, &bc), 0);
			assert_memory_equal(bc.src, M(SELF), MAC_LEN);
			assert_int_equal(bc.rest_len, n - 2 * MAC_LEN);
		}
	}
}

/* ---- frames from the mesh ------------------------------------------------ */

static size_t unicast_wire(uint8_t *wire, const char *dst, const char *src)
{
	uint8_t frame[64];
	size_t n = eth(frame, dst, src);
	int w = proto_encode_unicast(wire, PROTO_MAX_FRAME, frame, n);

	assert_true(w > 0);
	return (size_t)w;
}

static void test_unicast_for_us_reaches_the_tap(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744);
	static uint8_t wire[PROTO_MAX_FRAME];
	uint8_t got[128];
	size_t n = unicast_wire(wire, SELF, B);

	arrive_announce(b, B, 100, 41744);
	arrive(b, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), 60);
	assert_memory_equal(got, M(SELF), MAC_LEN);
	assert_int_equal(d.counters.tap_tx_frames, 1);
}

static void test_unicast_is_forwarded_not_reflected(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	static uint8_t wire[PROTO_MAX_FRAME];
	uint8_t got[128];
	size_t n = unicast_wire(wire, X, B);

	arrive_info(c, X, 9000, NULL, 41744);
	arrive_announce(b, B, 100, 41744);
	arrive_announce(c, C, 100, 41744);
	drain(b);
	drain(c);
	arrive(b, wire, n);
	expect_sent(c, PROTO_UNICAST, NULL);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
	/* a frame for X coming from the link that is X's route goes nowhere
	 * (from C, so that the source check passes) */
	n = unicast_wire(wire, X, C);
	arrive(c, wire, n);
	expect_nothing_sent(b);
	expect_nothing_sent(c);
	assert_int_equal(d.counters.drop_no_route, 1);
}

static size_t broadcast_wire(uint8_t *wire, const char *src, int64_t id)
{
	uint8_t frame[64];
	size_t n = eth(frame, "ff:ff:ff:ff:ff:ff", src);
	int w = proto_encode_broadcast(wire, PROTO_MAX_FRAME, id, frame, n);

	assert_true(w > 0);
	return (size_t)w;
}

static void test_broadcast_from_unknown_origin_is_dropped(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	static uint8_t wire[PROTO_MAX_FRAME];
	uint8_t got[128];
	size_t n = broadcast_wire(wire, X, 7000);

	arrive(b, wire, n);
	assert_int_equal(d.counters.drop_unknown_origin, 1);
	expect_nothing_sent(c);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
}

static void test_broadcast_is_flooded_and_delivered_once(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	static uint8_t wire[PROTO_MAX_FRAME];
	uint8_t got[128];
	size_t n = broadcast_wire(wire, X, 7000);

	arrive_info(b, X, 9000, NULL, 41744);
	drain(c);
	arrive(b, wire, n);
	expect_sent(c, PROTO_BROADCAST, NULL);
	expect_nothing_sent(b);
	/* delivered as an Ethernet broadcast from X */
	assert_int_equal(tap_got(got, sizeof(got)), 60);
	assert_memory_equal(got, "\xff\xff\xff\xff\xff\xff", MAC_LEN);
	assert_memory_equal(got + MAC_LEN, M(X), MAC_LEN);
	/* the same broadcast again on its route: dropped, counted */
	arrive(b, wire, n);
	expect_nothing_sent(c);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
	assert_int_equal(d.counters.drop_duplicate, 1);
	/* by another path: not X's route, so not X's word (the reverse-path rule) */
	arrive(c, wire, n);
	expect_nothing_sent(b);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
	assert_int_equal(d.counters.drop_reverse_path, 1);
}

static void test_malformed_frame_closes_only_that_link(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	uint8_t wire[PROTO_HDR_SIZE + 3] = {0, 4, PROTO_INFO, 1, 2, 3};

	arrive(b, wire, sizeof(wire));
	assert_int_equal(b->state, LINK_CLOSED);
	assert_int_equal(c->state, LINK_UP);
	assert_int_equal(d.links.c.bad_frames, 1);
	assert_int_equal(d.links.n_up, 1);
}

static void test_unknown_type_is_skipped(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	uint8_t wire[PROTO_HDR_SIZE + 2] = {0, 3, 0x55, 1, 2};

	arrive(b, wire, sizeof(wire));
	assert_int_equal(b->state, LINK_UP);
	expect_nothing_sent(c);
}

static void test_caps_are_remembered(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744);
	uint8_t wire[PROTO_HDR_SIZE + PROTO_CAPS_BODY];

	assert_true(proto_encode_caps(wire, sizeof(wire), PROTO_CAPS_GSO) > 0);
	arrive(b, wire, sizeof(wire));
	assert_int_equal(b->peer_caps, PROTO_CAPS_GSO);
}

static void test_health_request_is_answered_and_forwarded(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	struct proto_health_req req = {.id = 7000};
	struct proto_health_resp resp;
	struct proto_health_req fwd;
	uint8_t wire[PROTO_HDR_SIZE + PROTO_HREQ_FIXED];
	const uint8_t *body;
	size_t len;

	b->peer_sent_caps = c->peer_sent_caps = true;
	arrive_info(b, X, 9000, NULL, 41744);
	drain(c);
	memcpy(req.origin, M(X), MAC_LEN);
	assert_true(proto_encode_health_req(wire, sizeof(wire), &req) > 0);
	arrive(b, wire, sizeof(wire));
	/* our answer goes back along the route to X */
	body = expect_sent(b, PROTO_HEALTH_RESP, &len);
	assert_int_equal(proto_decode_health_resp(body, len, &resp), 0);
	assert_memory_equal(resp.dst, M(X), MAC_LEN);
	assert_memory_equal(resp.src, M(SELF), MAC_LEN);
	assert_int_equal(resp.nconn, 2);
	/* the request goes on, with our MAC on its trace */
	body = expect_sent(c, PROTO_HEALTH_REQ, &len);
	assert_int_equal(proto_decode_health_req(body, len, &fwd), 0);
	assert_int_equal(fwd.ntrace, 1);
	assert_memory_equal(fwd.trace, M(SELF), MAC_LEN);
	/* asked again (the same path, or another): not answered twice */
	arrive(b, wire, sizeof(wire));
	arrive(c, wire, sizeof(wire));
	expect_nothing_sent(b);
	expect_nothing_sent(c);
	assert_int_equal(d.counters.drop_duplicate, 1);
	assert_int_equal(d.counters.drop_reverse_path, 1);
}

/* An original node (no CAPS) is never sent a 0x02 nor a 0x03 (PROTOCOL: CAPS). */
static void test_health_never_to_original_nodes(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	struct proto_health_req req = {.id = 7100};
	uint8_t wire[PROTO_HDR_SIZE + PROTO_HREQ_FIXED];

	(void)state;
	b->peer_sent_caps = true; /* c is an original node */
	arrive_info(b, X, 9000, NULL, 41744);
	arrive_info(c, Y, 9000, NULL, 41744);
	drain(b);
	drain(c);
	/* from X through b: answered through b, not forwarded to c */
	memcpy(req.origin, M(X), MAC_LEN);
	assert_true(proto_encode_health_req(wire, sizeof(wire), &req) > 0);
	arrive(b, wire, sizeof(wire));
	expect_sent(b, PROTO_HEALTH_RESP, NULL);
	expect_nothing_sent(c);
	/* from Y, whose route is c: not answered (the answer would go to c) */
	req.id = 7101;
	memcpy(req.origin, M(Y), MAC_LEN);
	assert_true(proto_encode_health_req(wire, sizeof(wire), &req) > 0);
	arrive(b, wire, sizeof(wire));
	expect_nothing_sent(c);
}

/* ---- the rules for every frame (PROTOCOL.md: Rules) ----------------------- */

static size_t hreq_wire(uint8_t *wire, const char *origin, int64_t id)
{
	struct proto_health_req req = {.id = id};
	int w;

	memcpy(req.origin, M(origin), MAC_LEN);
	w = proto_encode_health_req(wire, PROTO_HDR_SIZE + PROTO_HREQ_FIXED, &req);
	assert_true(w > 0);
	return (size_t)w;
}

static void test_route_to_a_neighbour_only_from_its_link(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);

	(void)state;
	/* c says B is behind it, with a newer id: B is linked, so only b speaks for B */
	arrive_info(c, B, 5000, NULL, 41744);
	assert_null(route_lookup(&d.routes, M(B)));
	assert_int_equal(d.counters.drop_not_direct, 1);
	arrive_announce(b, B, 100, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), b);
	arrive_info(c, B, 6000, NULL, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), b);
	assert_int_equal(d.counters.drop_not_direct, 2);
}

/*
 * A neighbour's unicast through a third node: B is linked, but B's frames
 * may reach us over c (c's route to us goes through c's link, not B's).
 * c relayed B's newest INFO, so c is on a path from B: taken (six_seeds
 * lost a pair for good without this); a link that relayed nothing is not.
 */
static void test_neighbour_unicast_through_a_relay(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	struct link *e = fake_link(Y, "198.18.0.4", 41744);
	static uint8_t wire[PROTO_MAX_FRAME];
	uint8_t got[128];
	size_t n = unicast_wire(wire, SELF, B);

	(void)state;
	arrive_announce(b, B, 9000, 41744);
	arrive_info(c, B, 9000, NULL, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), b);
	assert_int_equal(d.counters.drop_not_direct, 1);
	arrive(c, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), 60);
	arrive(e, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
	assert_int_equal(d.counters.drop_reverse_path, 1);
	/* a newer id on c is still not a route (rule 1), and e, which relayed
	 * nothing of B's, still may not speak for B */
	arrive_info(c, B, 9500, NULL, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(B)), b);
	arrive(e, wire, n);
	assert_int_equal(d.counters.drop_reverse_path, 2);
}

/* ---- pace (pace.h): rare floods, asked for when links go ----------------- */

static void arrive_degree(struct link *l, const char *mac, int64_t id, uint16_t links)
{
	struct proto_degree g = {.id = id, .links = links};
	uint8_t wire[PROTO_HDR_SIZE + PROTO_DEGREE_BODY];
	int n;

	memcpy(g.mac, M(mac), MAC_LEN);
	n = proto_encode_degree(wire, sizeof(wire), &g);
	assert_true(n > 0);
	arrive(l, wire, (size_t)n);
}

static void test_gone_asks_for_a_fresh_announcement(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	struct proto_gone g = {.id = 5000, .last_id = 9000};
	uint8_t wire[64];
	uint64_t first;
	int n;

	arrive_info(b, B, 9000, NULL, 41744);
	arrive_info(c, C, 9000, NULL, 41744);
	drain(b);
	drain(c);
	assert_false(d.refresh_timer.armed);
	memcpy(g.origin, M(B), MAC_LEN);
	memcpy(g.gone, M(X), MAC_LEN);
	n = proto_encode_gone(wire, sizeof(wire), &g);
	arrive(b, wire, (size_t)n);
	/* within the jitter, not at once (a mesh-wide burst) */
	assert_true(d.refresh_timer.armed);
	assert_true(d.refresh_timer.when_ms < d.loop.now_ms + PACE_REFRESH_JITTER_MS);
	first = d.refresh_timer.when_ms;
	d.loop.now_ms = first;
	d.refresh_timer.armed = false;
	d.refresh_timer.cb(&d.refresh_timer);
	assert_int_equal(d.counters.refreshes, 1);
	expect_sent(c, PROTO_ANNOUNCE, NULL);
	/* the next GONE's refresh waits a base interval after that one */
	g.id = 5001;
	n = proto_encode_gone(wire, sizeof(wire), &g);
	arrive(b, wire, (size_t)n);
	assert_true(d.refresh_timer.armed);
	assert_int_equal(d.refresh_timer.when_ms, first + cfg.announce_interval * 1000);
	/* a duplicate (the same id again) asks for nothing more */
	loop_timer_cancel(&d.loop, &d.refresh_timer);
	arrive(b, wire, (size_t)n);
	assert_false(d.refresh_timer.armed);
}

static void test_fewer_links_in_degree_asks_for_a_refresh(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744);

	arrive_info(b, B, 9000, NULL, 41744);
	arrive_info(b, X, 9000, "198.18.0.9", 41744);
	/* the first we take: a new node's, it would cost a mesh-wide round */
	arrive_degree(b, X, 9001, 3);
	assert_false(d.refresh_timer.armed);
	arrive_degree(b, X, 9002, 4);
	assert_false(d.refresh_timer.armed); /* a new link: replays do the rest */
	arrive_degree(b, X, 9003, 3);
	assert_true(d.refresh_timer.armed);
}

static void test_our_degree_leaves_out_a_draining_link(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	const uint8_t *body;
	struct proto_degree g;
	size_t len;

	b->peer_caps = c->peer_caps = PROTO_CAPS_MESH; /* they take DEGREE */
	switch_announce(&d);
	drain(b);
	drain(c);
	c->drain_ms = d.loop.now_ms + 5000;
	d.loop.now_ms += 1000;
	switch_announce(&d);
	/* nothing goes over the draining link; b hears we keep one link */
	expect_nothing_sent(c);
	expect_sent(b, PROTO_ANNOUNCE, NULL);
	body = expect_sent(b, PROTO_DEGREE, &len);
	assert_int_equal(proto_decode_degree(body, len, &g), 0);
	assert_int_equal(g.links, 1);
}

/* An invpn node of an earlier version expires routes after 30 s: we flood often enough for it. */
static void test_a_node_that_does_not_pace_caps_the_interval(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744);
	uint8_t wire[PROTO_HDR_SIZE + PROTO_CAPS_BODY], mac[MAC_LEN] = {0x02, 0x10};

	for (unsigned i = 0; i < 30; i++) {
		mac[5] = (uint8_t)i;
		assert_non_null(route_learn(&d.routes, mac, 9000, b, d.loop.now_ms));
	}
	assert_int_equal(daemon_flood_ms(&d), 30000);
	/* a current node says PACE: nothing changes */
	assert_true(proto_encode_caps(wire, sizeof(wire), PROTO_CAPS_MESH | PROTO_CAPS_PACE) > 0);
	arrive(b, wire, sizeof(wire));
	assert_int_equal(daemon_flood_ms(&d), 30000);
	/* one of an earlier version (MESH, no PACE): 10 s, for 10 minutes */
	assert_true(proto_encode_caps(wire, sizeof(wire), PROTO_CAPS_MESH | PROTO_CAPS_DRAIN) > 0);
	arrive(b, wire, sizeof(wire));
	assert_int_equal(daemon_flood_ms(&d), PACE_UNPACED_MAX_S * 1000);
	d.loop.now_ms += PACE_UNPACED_MS;
	assert_int_equal(daemon_flood_ms(&d), 30000);
	/* an original (no MESH) expires routes after minutes: no cap */
	assert_true(proto_encode_caps(wire, sizeof(wire), 0) > 0);
	arrive(b, wire, sizeof(wire));
	assert_int_equal(daemon_flood_ms(&d), 30000);
}

static void test_keepalive_only_on_links_we_left_idle(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	const uint8_t *body;
	struct proto_announce a1, a2;
	size_t len;

	switch_announce(&d);
	body = expect_sent(b, PROTO_ANNOUNCE, &len);
	assert_int_equal(proto_decode_announce(body, len, &a1), 0);
	drain(b);
	drain(c);
	d.loop.now_ms += 4000;
	b->last_tx_ms = d.loop.now_ms - 100; /* b carried something lately */
	c->last_tx_ms = d.loop.now_ms - 4000;
	c->drain_ms = d.loop.now_ms + 5000; /* a draining link must live until it closes */
	switch_keepalive(&d, 4000);
	expect_nothing_sent(b);
	body = expect_sent(c, PROTO_ANNOUNCE, &len);
	assert_int_equal(proto_decode_announce(body, len, &a2), 0);
	/* the same announcement: a duplicate for the peer, no new flood */
	assert_true(a2.id == a1.id);
	assert_int_equal(d.counters.keepalives, 1);
}

/*
 * Rounds ride together: a fresh INFO from another node makes us flood ours
 * with its relay, once half our interval is up, and not before.
 */
static void test_a_fresh_info_late_in_our_interval_joins_the_round(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	uint64_t half;

	(void)state;
	switch_announce(&d);
	drain(b);
	drain(c);
	half = daemon_flood_ms(&d) / 2;
	d.loop.now_ms += half - 1;
	arrive_info(b, X, 9000, "198.18.0.9", 41744);
	expect_sent(c, PROTO_INFO, NULL);
	expect_nothing_sent(c);
	expect_nothing_sent(b);
	d.loop.now_ms += 1;
	daemon_refresh_soon(&d); /* asked for, not sent yet: the joined flood is it */
	assert_true(d.refresh_timer.armed);
	arrive_info(b, X, 9001, "198.18.0.9", 41744);
	expect_sent(c, PROTO_INFO, NULL);
	expect_sent(c, PROTO_ANNOUNCE, NULL);
	expect_sent(b, PROTO_ANNOUNCE, NULL);
	assert_int_equal(d.counters.rounds_joined, 1);
	assert_false(d.refresh_timer.armed);
	/* just flooded: the next fresh INFO is relayed only */
	drain(b);
	drain(c);
	arrive_info(b, X, 9002, "198.18.0.9", 41744);
	expect_sent(c, PROTO_INFO, NULL);
	expect_nothing_sent(c);
	/* half an interval on, but one joined flood per interval: INFOs off the
	 * round's schedule (an original's, a hostile node's) do not halve it */
	d.loop.now_ms += half;
	arrive_info(b, X, 9003, "198.18.0.9", 41744);
	expect_sent(c, PROTO_INFO, NULL);
	expect_nothing_sent(c);
	assert_int_equal(d.counters.rounds_joined, 1);
	d.loop.now_ms += half;
	arrive_info(b, X, 9004, "198.18.0.9", 41744);
	expect_sent(c, PROTO_INFO, NULL);
	expect_sent(c, PROTO_ANNOUNCE, NULL);
	assert_int_equal(d.counters.rounds_joined, 2);
}

/* A round's frames wait for the batch timer; anything else takes them along. */
static void test_round_frames_wait_for_the_batch(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744);
	uint8_t f[PROTO_HDR_SIZE + 1] = {0, 2, PROTO_ANNOUNCE};
	uint64_t t0 = loop_clock_ms();

	(void)state;
	d.links.dirty = NULL;
	b->on_dirty_list = false;
	assert_true(link_send_round(b, f, sizeof(f)));
	assert_false(b->on_dirty_list);
	assert_true(b->batched);
	assert_true(d.links.batch.armed);
	assert_in_range(d.links.batch.when_ms, t0 + LINK_ROUND_BATCH_MS,
			loop_clock_ms() + LINK_ROUND_BATCH_MS);
	/* a data frame goes this round, and the held frame with it */
	assert_true(link_send(b, f, sizeof(f), false));
	assert_true(b->on_dirty_list);
	assert_false(b->batched);
	assert_int_equal(b->out_end - b->out_start, 2 * sizeof(f));
	/* the timer marks what is still held */
	d.links.dirty = NULL;
	b->on_dirty_list = false;
	assert_true(link_send_round(b, f, sizeof(f)));
	loop_timer_cancel(&d.loop, &d.links.batch);
	d.links.batch.cb(&d.links.batch);
	assert_true(b->on_dirty_list);
	assert_false(b->batched);
	drain(b);
}

/* An outgoing link up for a minute to a peer with this DEGREE (and a route to via over it). */
static struct link *own_link(const char *mac, const char *ip, uint16_t degree, const char *via)
{
	struct link *l = fake_link(mac, ip, 41744);

	l->outgoing = true;
	l->up_ms = loop_clock_ms() - 60000;
	arrive_info(l, mac, 9000, NULL, 41744);
	arrive_degree(l, mac, 9000, degree);
	if (via)
		arrive_info(l, via, 9000, "198.18.0.9", 41744);
	return l;
}

/* What rewire_drop looks at: the new link (addr_id 77) up this long. */
static void rewire_settled(struct link *fresh, uint64_t up_for_ms)
{
	d.shape_next_ms = UINT64_MAX; /* shaping has tests of its own */
	d.rewired = true;
	fresh->addr_id = 77;
	fresh->up_ms = loop_clock_ms() - up_for_ms;
	d.rewire_addr = 77;
}

/*
 * Rewiring: once its new link has settled, a node drains its own link that
 * carries the fewest routes; never the new one, nor one that would leave
 * the peer with min_links or fewer.
 */
static void test_rewire_drains_the_link_that_carries_least(void **state)
{
	struct link *b = own_link(B, "198.18.0.2", 3, X), *c = own_link(C, "198.18.0.3", 3, NULL);
	struct link *lean = own_link("02:00:00:00:00:04", "198.18.0.4", 2, NULL);
	struct link *fresh = own_link("02:00:00:00:00:05", "198.18.0.5", 3, NULL);

	(void)state;
	rewire_settled(fresh, 1000);
	autoconnect_run(&d);
	assert_int_equal(c->drain_ms, 0); /* not settled yet */
	assert_int_equal(d.rewire_addr, 77);
	fresh->up_ms = loop_clock_ms() - 6000;
	autoconnect_run(&d);
	assert_int_equal(d.rewire_addr, 0);
	assert_int_not_equal(c->drain_ms, 0);
	assert_int_equal(b->drain_ms, 0);
	assert_int_equal(lean->drain_ms, 0);
	assert_int_equal(fresh->drain_ms, 0);
}

/* ... but a link to a peer above the target degree goes first, whatever it carries. */
static void test_rewire_drains_a_busy_peer_first(void **state)
{
	struct link *b = own_link(B, "198.18.0.2", 9, X), *c = own_link(C, "198.18.0.3", 3, NULL);
	struct link *fresh = own_link("02:00:00:00:00:05", "198.18.0.5", 3, NULL);

	(void)state;
	rewire_settled(fresh, 6000);
	autoconnect_run(&d);
	assert_int_not_equal(b->drain_ms, 0);
	assert_int_equal(c->drain_ms, 0);
}

static void test_far_future_ids_are_refused(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	int64_t now = (int64_t)loop_wall_ms(), future = now + ORIGIN_MAX_SKEW_MS + 5000;
	static uint8_t wire[PROTO_MAX_FRAME];
	uint8_t got[128];
	size_t n;

	(void)state;
	arrive_info(b, X, future, NULL, 41744);
	assert_null(route_lookup(&d.routes, M(X)));
	arrive_info(b, X, now, NULL, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), b);
	drain(c);
	/* a far-future broadcast would push X's window ahead and silence X */
	n = broadcast_wire(wire, X, future);
	arrive(b, wire, n);
	expect_nothing_sent(c);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
	n = hreq_wire(wire, X, future);
	arrive(b, wire, n);
	expect_nothing_sent(b);
	assert_int_equal(d.counters.drop_future_id, 3);
	/* X's real broadcasts still pass */
	n = broadcast_wire(wire, X, now + 1);
	arrive(b, wire, n);
	expect_sent(c, PROTO_BROADCAST, NULL);
	assert_int_equal(tap_got(got, sizeof(got)), 60);
	/* within the bound is not refused */
	n = broadcast_wire(wire, X, now + ORIGIN_MAX_SKEW_MS - 1000);
	arrive(b, wire, n);
	expect_sent(c, PROTO_BROADCAST, NULL);
	assert_int_equal(d.counters.drop_future_id, 3);
}

static void test_unicast_only_from_the_path_of_its_source(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	static uint8_t wire[PROTO_MAX_FRAME];
	uint8_t got[128];
	size_t n = unicast_wire(wire, SELF, X);

	(void)state;
	/* no route to X: nobody can speak for X */
	arrive(c, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
	arrive_info(b, X, 9000, NULL, 41744);
	/* X is behind b: c may not speak for X */
	arrive(c, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
	assert_int_equal(d.counters.drop_reverse_path, 2);
	arrive(b, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), 60);
	/* c delivered a copy of X's newest INFO: c is on a path from X (an
	 * asymmetric route), and stays so for one more INFO */
	arrive_info(c, X, 9000, NULL, 41744);
	arrive(c, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), 60);
	arrive_info(b, X, 9100, NULL, 41744);
	arrive(c, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), 60);
	arrive_info(b, X, 9200, NULL, 41744);
	arrive(c, wire, n);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
	assert_int_equal(d.counters.drop_reverse_path, 3);
	/* nobody speaks as us, nor as a group address */
	drain(b);
	drain(c);
	n = unicast_wire(wire, X, SELF);
	arrive(b, wire, n);
	n = unicast_wire(wire, SELF, "03:00:00:00:00:01");
	arrive(b, wire, n);
	expect_nothing_sent(c);
	assert_int_equal(tap_got(got, sizeof(got)), -1);
	assert_int_equal(d.counters.drop_spoofed_src, 2);
}

static void test_new_origins_per_link_are_bounded(void **state)
{
	struct link *b, *c;
	char mac[MAC_STRLEN];
	size_t kept;

	(void)state;
	route_fini(&d.routes);
	route_init(&d.routes, 4096);
	b = fake_link(B, "198.18.0.2", 41744);
	c = fake_link(C, "198.18.0.3", 41744);
	/* b makes up 600 nodes at once: a burst is taken, the rest refused */
	for (int i = 0; i < 600; i++) {
		snprintf(mac, sizeof(mac), "02:66:00:00:%02x:%02x", i >> 8, i & 0xff);
		arrive_info(b, mac, 1000, NULL, 41744);
	}
	kept = d.routes.count;
	assert_int_equal(kept, ORIGIN_NEW_BURST);
	assert_int_equal(d.counters.drop_new_origins, 600 - ORIGIN_NEW_BURST);
	/* another link is not held back by b's budget */
	arrive_info(c, X, 1000, NULL, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(X)), c);
	/* b gets more as time passes: 64 a second */
	d.loop.now_ms += 1000;
	for (int i = 600; i < 700; i++) {
		snprintf(mac, sizeof(mac), "02:66:00:00:%02x:%02x", i >> 8, i & 0xff);
		arrive_info(b, mac, 1000, NULL, 41744);
	}
	assert_int_equal(d.routes.count, kept + 1 + ORIGIN_NEW_PER_S);
}

static void test_a_full_table_keeps_room_for_neighbours(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c;
	char mac[MAC_STRLEN];

	(void)state;
	/* the test table holds 64: 48 for nodes far away, the rest for neighbours */
	for (int i = 0; i < 64; i++) {
		snprintf(mac, sizeof(mac), "02:66:00:00:00:%02x", i);
		arrive_info(b, mac, 1000, NULL, 41744);
	}
	assert_int_equal(d.routes.count, 48);
	assert_int_equal(d.counters.drop_routes_full, 16);
	/* a neighbour still fits, and nothing was evicted for it */
	c = fake_link(C, "198.18.0.3", 41744);
	arrive_announce(c, C, 100, 41744);
	assert_ptr_equal(route_lookup(&d.routes, M(C)), c);
	assert_int_equal(d.routes.count, 49);
	assert_non_null(route_find(&d.routes, M("02:66:00:00:00:00")));
}

static void test_health_requests_are_rate_limited_per_origin(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744), *c = fake_link(C, "198.18.0.3", 41744);
	uint8_t wire[PROTO_HDR_SIZE + PROTO_HREQ_FIXED];
	int answered = 0;
	size_t len;
	uint8_t type;
	const uint8_t *body;

	(void)state;
	b->peer_sent_caps = c->peer_sent_caps = true;
	arrive_info(b, X, 9000, NULL, 41744);
	drain(b);
	drain(c);
	for (int i = 0; i < 10; i++) {
		hreq_wire(wire, X, 7000 + i);
		arrive(b, wire, sizeof(wire));
	}
	while (sent(b, &type, &body, &len))
		answered += type == PROTO_HEALTH_RESP;
	assert_int_equal(answered, ORIGIN_HREQ_BURST);
	assert_int_equal(d.counters.drop_health_rate, 10 - ORIGIN_HREQ_BURST);
	/* one a second after that */
	d.loop.now_ms += 1000;
	hreq_wire(wire, X, 7100);
	arrive(b, wire, sizeof(wire));
	expect_sent(b, PROTO_HEALTH_RESP, NULL);
	/* a forged request (from a link that is not X's route) is neither answered nor counted
	 * against X */
	drain(b);
	drain(c);
	hreq_wire(wire, X, 7200);
	arrive(c, wire, sizeof(wire));
	expect_nothing_sent(b);
	expect_nothing_sent(c);
	assert_int_equal(d.counters.drop_reverse_path, 1);
	assert_int_equal(d.counters.drop_health_rate, 10 - ORIGIN_HREQ_BURST);
	(void)len;
}

/* ---- back-pressure -------------------------------------------------------- */

static void test_data_past_half_full_marks_the_set_filling(void **state)
{
	struct link *b = fake_link(B, "198.18.0.2", 41744);
	static uint8_t big[8192];
	uint64_t drops0 = d.links.c.queue_full;
	bool dropped = false;

	assert_false(link_set_filling(&d.links));
	while (link_queued(b) + sizeof(big) <= LINK_OUT_DATA_CAP / 2)
		assert_true(link_send(b, big, sizeof(big), false));
	assert_false(link_set_filling(&d.links));
	assert_true(link_send(b, big, sizeof(big), false));
	assert_true(link_set_filling(&d.links));
	/* data stops at LINK_OUT_DATA_CAP and is counted; control frames still fit */
	while (!dropped)
		dropped = !link_send(b, big, sizeof(big), false);
	assert_int_equal(d.links.c.queue_full, drops0 + 1);
	assert_true(link_send(b, big, sizeof(big), true));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_announce_learns_route_and_floods_info),
		T(test_announce_for_another_mac_is_dropped),
		T(test_older_info_is_a_duplicate),
		T(test_info_about_ourselves_is_ignored),
		T(test_no_relay_floods_nothing),
		T(test_link_up_announces_and_replays_routes),
		T(test_link_down_drops_its_routes),
		T(test_gone_drops_stale_routes_only),
		T(test_link_down_withdraws_its_routes),
		T(test_duplicate_link_down_moves_its_routes),
		T(test_withdraw_takes_routes_through_the_sender_only),
		T(test_drain_moves_the_route_to_the_peer),
		T(test_our_drain_tells_the_peer),
		T(test_tap_unicast_follows_the_route),
		T(test_tap_unicast_without_route_is_counted),
		T(test_tap_frame_from_another_host_is_dropped),
		T(test_tap_broadcast_and_multicast_flood),
		T(test_unicast_for_us_reaches_the_tap),
		T(test_unicast_is_forwarded_not_reflected),
		T(test_broadcast_from_unknown_origin_is_dropped),
		T(test_broadcast_is_flooded_and_delivered_once),
		T(test_malformed_frame_closes_only_that_link),
		T(test_unknown_type_is_skipped),
		T(test_caps_are_remembered),
		T(test_health_request_is_answered_and_forwarded),
		T(test_health_never_to_original_nodes),
		T(test_route_to_a_neighbour_only_from_its_link),
		T(test_neighbour_unicast_through_a_relay),
		T(test_drained_by_peer_says_kept_while_routes_use_it),
		T(test_replay_to_a_new_link_is_paced),
		T(test_gone_asks_for_a_fresh_announcement),
		T(test_fewer_links_in_degree_asks_for_a_refresh),
		T(test_our_degree_leaves_out_a_draining_link),
		T(test_keepalive_only_on_links_we_left_idle),
		T(test_a_node_that_does_not_pace_caps_the_interval),
		T(test_a_fresh_info_late_in_our_interval_joins_the_round),
		T(test_round_frames_wait_for_the_batch),
		T(test_rewire_drains_the_link_that_carries_least),
		T(test_rewire_drains_a_busy_peer_first),
		T(test_far_future_ids_are_refused),
		T(test_unicast_only_from_the_path_of_its_source),
		T(test_new_origins_per_link_are_bounded),
		T(test_a_full_table_keeps_room_for_neighbours),
		T(test_health_requests_are_rate_limited_per_origin),
		T(test_data_past_half_full_marks_the_set_filling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
