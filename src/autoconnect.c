#include "autoconnect.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "route.h"
#include "switch.h"
#include "util.h"

#define AUTOCONNECT_SOON_MS 200
#define AUTOCONNECT_PERIOD_MS 10000
/* how often to look for known nodes we have no route to (randomised: 1x-2x) */
#define HEAL_CHECK_MS 1000
/* a link dialled to heal a split is not dropped as superfluous for this long */
#define HEAL_KEEP_MS 60000
/* a link is not dropped as superfluous before it is this old, nor more often */
#define SHAPE_MIN_AGE_MS 10000
#define SHAPE_PERIOD_MS 5000
/* a superfluous link drains for drain_wait_ms and this much more */
#define DRAIN_SLACK_MS 1500
/* at most one fresh announcement a second for drains (a peer's DRAINs included) */
#define DRAIN_ANNOUNCE_MS 1000
/* a DEGREE-less node (an original, or not heard yet) counts as this many links */
#define DEGREE_UNKNOWN 2
/* a node that said FULL recently counts as this many */
#define DEGREE_FULL 64
#define FULL_MEMORY_MS 120000
/* a node rewires once, some 10-20 s after start (or as soon as it can
 * dial within the next 40 s) */
#define REWIRE_AFTER_MS 10000
#define REWIRE_GIVE_UP_MS 40000
/* the new link carries routes for this long before an old one drains */
#define REWIRE_SETTLE_MS 5000

/* Is there a link (in any state) to this MAC, or a dial that expects it? */
static bool mac_busy(const struct invpnd *d, const uint8_t mac[MAC_LEN])
{
	for (const struct link *l = d->links.list; l; l = l->next) {
		if (l->state == LINK_UP && !l->full && mac_eq(l->peer_mac, mac))
			return true;
		if (l->state != LINK_UP && l->expect_mac && mac_eq(l->expected_mac, mac))
			return true;
	}
	return false;
}

/*
 * The MACs of the directory entries being dialled, collected once per pick()
 * (not by a scan of the directory for each entry: that was O(D^2) per run).
 * Dials are few (bounded by max_links); past the array, the scan is the fallback.
 */
#define DIALLING_MAX 32

struct dialling {
	size_t n;
	bool overflow;
	uint8_t mac[DIALLING_MAX][MAC_LEN];
};

static void dialling_collect(const struct nodes *n, struct dialling *s)
{
	s->n = 0;
	s->overflow = false;
	nodes_foreach(n, a) {
		if (!a->dialing || !a->has_mac)
			continue;
		if (s->n == DIALLING_MAX) {
			s->overflow = true;
			return;
		}
		memcpy(s->mac[s->n++], a->mac, MAC_LEN);
	}
}

static bool dialling_mac(const struct nodes *n, const struct dialling *s,
			 const uint8_t mac[MAC_LEN])
{
	if (s->overflow) {
		nodes_foreach(n, a) {
			if (a->dialing && a->has_mac && mac_eq(a->mac, mac))
				return true;
		}
		return false;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (mac_eq(s->mac[i], mac))
			return true;
	}
	return false;
}

static bool eligible(const struct invpnd *d, const struct dialling *s, const struct node_addr *a,
		     uint64_t now)
{
	if (a->dialing || a->next_try_ms > now)
		return false;
	/* never loopback, multicast or ourselves on someone else's word (PROTOCOL: Rules) */
	if (nodes_is_claim(a->source) &&
	    nodes_addr_verdict(&d->nodes, (const struct sockaddr *)&a->sa))
		return false;
	if (!a->has_mac)
		return true;
	return !mac_eq(a->mac, d->mac) && !mac_busy(d, a->mac) &&
	       !dialling_mac(&d->nodes, s, a->mac);
}

/* How many links the node behind an address says it has (PROTOCOL: DEGREE). */
static unsigned degree_of(const struct invpnd *d, const struct node_addr *a, uint64_t now)
{
	const struct route *r;

	if (a->full_ms && now - a->full_ms < FULL_MEMORY_MS)
		return DEGREE_FULL;
	r = a->has_mac ? route_find(&d->routes, a->mac) : NULL;
	return r && r->degree_id ? r->degree : DEGREE_UNKNOWN;
}

/* Weighted away from nodes with many links: a node with k links weighs 1/(1+k)^2. */
static uint32_t weight(const struct invpnd *d, const struct node_addr *a, uint64_t now)
{
	uint32_t k = degree_of(d, a, now) + 1;

	return 65536 / (k * k) + 1;
}

enum want {
	WANT_ANY,	  /* any eligible address (filling up to min_links) */
	WANT_UNREACHABLE, /* known MAC, no route: healing a split */
	WANT_SEED,	  /* a configured seed not dialled yet, or never reached */
};

static bool wanted(const struct invpnd *d, const struct node_addr *a, enum want w)
{
	switch (w) {
	case WANT_SEED:
		/* until it answered once (then we know its MAC, and healing
		 * takes over if we lose it) */
		return a->source == NODE_SRC_CONFIG && (!a->tried || !a->has_mac);
	case WANT_UNREACHABLE:
		return a->has_mac && !route_find(&d->routes, a->mac);
	default:
		return true;
	}
}

/*
 * A random candidate among the equally good ones (fewest failures), weighted
 * by degree. Picking in table order made hubs of the first nodes heard of.
 */
static struct node_addr *pick(struct invpnd *d, uint64_t now, enum want w, size_t *count)
{
	unsigned best_fails = ~0u;
	uint64_t total = 0, r;
	size_t n = 0;
	struct dialling s;

	dialling_collect(&d->nodes, &s);
	nodes_foreach(&d->nodes, a) {
		if (eligible(d, &s, a, now) && wanted(d, a, w) && a->fails < best_fails)
			best_fails = a->fails;
	}
	nodes_foreach(&d->nodes, a) {
		if (eligible(d, &s, a, now) && wanted(d, a, w) && a->fails == best_fails) {
			total += weight(d, a, now);
			n++;
		}
	}
	if (count)
		*count = n;
	if (!n)
		return NULL;
	r = ((uint64_t)random() << 31 | (uint64_t)random()) % total;
	nodes_foreach(&d->nodes, a) {
		if (eligible(d, &s, a, now) && wanted(d, a, w) && a->fails == best_fails) {
			uint32_t wt = weight(d, a, now);

			if (r < wt)
				return a;
			r -= wt;
		}
	}
	return NULL;
}

static void dial(struct invpnd *d, struct node_addr *a, bool heal)
{
	a->dialing = true;
	a->tried = true;
	if (heal)
		a->keep_ms = loop_clock_ms();
	link_dial(&d->links, (struct sockaddr *)&a->sa, a->salen, a->verify_mac ? a->mac : NULL,
		  a->id);
}

static size_t links_wanted(const struct invpnd *d)
{
	return link_set_degree(&d->links) + d->links.n_dialing;
}

/* Links we dialled (up or being dialled). */
static size_t links_own(const struct invpnd *d)
{
	size_t n = d->links.n_dialing;

	for (const struct link *l = d->links.list; l; l = l->next) {
		if (l->state == LINK_UP && !l->full && l->outgoing)
			n++;
	}
	return n;
}

/*
 * Fill: at least min_links links; and, while under the upper target, until
 * min_links of them are our own. Incoming links alone (a ring of seeds, each
 * dialled by the next) make long paths; each node adding random links of its
 * own makes a random graph with few hops.
 */
static bool want_more(const struct invpnd *d)
{
	size_t n = links_wanted(d), min = d->cfg->min_links;

	if (n >= d->cfg->max_links)
		return false;
	return n < min || (n < 2 * min && links_own(d) < min);
}

/*
 * Healing (after tinc 1.1's connect_to_unreachable): now and then, with a
 * chance of unreachable / known, dial a random known node we have no route
 * to, whatever our link count. In a whole mesh nobody dials; in a small piece
 * cut off from a big one, everyone does; as pieces merge it stops by itself.
 * One such dial at a time, and each address has its own backoff.
 */
static void heal(struct invpnd *d, uint64_t now)
{
	struct node_addr *a;
	size_t unreachable = 0;

	if (now < d->heal_next_ms)
		return;
	d->heal_next_ms = now + HEAL_CHECK_MS + (uint64_t)random() % HEAL_CHECK_MS;
	if (d->links.n_dialing || links_wanted(d) >= d->cfg->max_links)
		return;
	a = pick(d, now, WANT_UNREACHABLE, &unreachable);
	if (!a || (uint64_t)random() % (unreachable + d->routes.count) >= unreachable)
		return;
	log_info("autoconnect: no route to a node at a known address: dialling it (%zu such, %zu routes)",
		 unreachable, d->routes.count);
	dial(d, a, true);
}

/*
 * A link that shedding (shape) or rewiring may drain: one of our own, up
 * for SHAPE_MIN_AGE_MS, not draining, not dialled to heal a split lately;
 * and the peer's route, with its DEGREE (NULL: not one).
 */
static const struct route *sheddable(struct invpnd *d, const struct link *l, uint64_t now)
{
	const struct node_addr *a;
	const struct route *rt;

	if (l->state != LINK_UP || l->full || !l->outgoing || l->drain_ms ||
	    now - l->up_ms < SHAPE_MIN_AGE_MS)
		return NULL;
	a = nodes_get(&d->nodes, l->addr_id);
	if (a && a->keep_ms && now - a->keep_ms < HEAL_KEEP_MS)
		return NULL;
	rt = route_find(&d->routes, l->peer_mac);
	return rt && rt->degree_id ? rt : NULL;
}

/*
 * Shape: above the target degree (2 x min_links + 1: what filling leaves,
 * plus one), drop one link of our own making now and then: not an incoming
 * one, not a young one, not one that healed a split lately, and only to a
 * peer that keeps more than min_links without it. Also, while we keep more
 * than min_links, drop one to a peer above the target: a hub cannot shed
 * incoming links, its dialers do, and dial someone less busy instead.
 */
static void shape(struct invpnd *d, uint64_t now)
{
	size_t target = 2 * d->cfg->min_links + 1, n = 0, r;
	struct link *victim = NULL;

	size_t deg = link_set_degree(&d->links);

	if (now < d->shape_next_ms || deg <= d->cfg->min_links || !d->cfg->min_links)
		return;
	for (const struct link *l = d->links.list; l; l = l->next) {
		if (l->drain_ms)
			return; /* one at a time */
	}
	d->shape_next_ms = now + SHAPE_PERIOD_MS + (uint64_t)random() % SHAPE_PERIOD_MS;
	for (int pass = 0; pass < 2; pass++) {
		r = pass ? (size_t)random() % n : 0;
		for (struct link *l = d->links.list; l; l = l->next) {
			const struct route *rt = sheddable(d, l, now);

			if (!rt || rt->degree <= d->cfg->min_links + 1)
				continue;
			/* above target ourselves, or the peer is (it cannot shed the
			 * links others made to it: they do, and dial elsewhere) */
			if (deg <= target && rt->degree <= target)
				continue;
			if (!pass) {
				n++;
			} else if (!r--) {
				victim = l;
				break;
			}
		}
		if (!n)
			return;
	}
	if (victim) {
		log_info("autoconnect: %zu links, target %zu: draining %s",
			 link_set_degree(&d->links), target, victim->name);
		autoconnect_drain_start(d, victim, false);
	}
}

/*
 * How long routes take to move off a draining link: every origin's next
 * INFO, a flood interval; in a big mesh the DEGREE we send (without the
 * link) makes every node flood afresh sooner, within two base intervals
 * (pace_refresh_at: one every announce_interval at most).
 */
static uint64_t drain_wait_ms(const struct invpnd *d)
{
	uint64_t flood = daemon_flood_ms(d), asked = 2 * (uint64_t)d->cfg->announce_interval * 1000;

	return flood < asked ? flood : asked;
}

/*
 * Not closed at once: its routes would be gone until their next INFO.
 * Drained first (see drain), it closes with nothing on it. That includes the
 * route to the peer itself (PROTOCOL: DRAIN): we tell a peer that takes
 * DRAIN, so it stops using the link too, both ends then take the other's
 * announcement from other links, and a fresh one from each goes out now.
 */
void autoconnect_drain_start(struct invpnd *d, struct link *l, bool by_peer)
{
	uint64_t now = d->loop.now_ms;

	if (l->drain_ms)
		return;
	/* the peer closes it at its deadline; ours comes first, to say "kept"
	 * in time if routes still go over it here (see drain) */
	l->drain_ms = now + drain_wait_ms(d) + (by_peer ? DRAIN_SLACK_MS / 2 : DRAIN_SLACK_MS);
	l->drain_by_peer = by_peer;
	l->drain_checked = false;
	if (!by_peer)
		switch_send_drain(l, true);
	if (!d->drain_announce_ms || now - d->drain_announce_ms >= DRAIN_ANNOUNCE_MS) {
		d->drain_announce_ms = now;
		switch_announce(d);
	} else {
		/* floods are rare in a big mesh (pace.h): ours must still come
		 * before the close, or the peer's route to us dies with the link */
		daemon_refresh_soon(d);
	}
	/* the DEGREE without this link goes even when the announcement waits */
	switch_degree_soon(d);
}

void autoconnect_drain_kept(struct invpnd *d, struct link *l)
{
	(void)d;
	/* our own drain too: the peer still routes over the link, and closing
	 * it would cut those routes until their origins' next INFO */
	l->drain_ms = 0;
	l->drain_by_peer = false;
	l->drain_checked = false;
}

struct via_count {
	const struct link *l;
	size_t n;
};

static void count_via(const struct route *r, void *arg)
{
	struct via_count *c = arg;

	/* the route to the peer itself comes only from its link (PROTOCOL:
	 * the reverse-path rules): it goes with it, and the peer announces afresh */
	if (r->via == c->l && !mac_eq(r->mac, c->l->peer_mac))
		c->n++;
}

/* Routes over l, the peer's own not counted. */
static size_t routes_via(const struct invpnd *d, const struct link *l)
{
	struct via_count c = {l, 0};

	route_foreach(&d->routes, count_via, &c);
	return c.n;
}

/*
 * A drained link is closed once no route uses it any more: every origin's
 * next INFO came first over another link. If some still do, the link is what
 * connects us to them (a bridge in the graph, or their INFO has not come
 * round yet): it stays, and the peer is told, whichever end began the drain.
 * The end the peer told checks before the peer's deadline and, if nothing
 * goes over the link, leaves the close to the peer (its own is a fallback).
 */
static void drain(struct invpnd *d, uint64_t now)
{
	for (struct link *l = d->links.list, *next; l; l = next) {
		size_t n;

		next = l->next;
		if (!l->drain_ms || now < l->drain_ms)
			continue;
		n = routes_via(d, l);
		if (n) {
			log_info("autoconnect: %s still carries %zu route(s): kept", l->name, n);
			switch_send_drain(l, false);
			autoconnect_drain_kept(d, l);
			continue;
		}
		if (l->drain_by_peer && !l->drain_checked) {
			l->drain_checked = true;
			l->drain_ms = now + 2 * DRAIN_SLACK_MS;
			continue;
		}
		log_info("autoconnect: dropping %s (drained)", l->name);
		link_close(l, "superfluous link (autoconnect)");
	}
}

/*
 * Once the new link of a rewiring has carried routes for a while: drain the
 * link of our own making that carries the fewest (a busy peer's first), to
 * a peer that keeps at least min_links without it, and not one that healed
 * a split lately (the drain keeps it if it turns out to be a bridge). None
 * such: the new link stays, one more than before.
 */
static void rewire_drop(struct invpnd *d, uint64_t now)
{
	struct link *fresh = NULL, *victim = NULL;
	size_t least = 0, target = 2 * d->cfg->min_links + 1;
	bool busy = false;

	for (struct link *l = d->links.list; l; l = l->next) {
		if (l->addr_id == d->rewire_addr && l->state == LINK_UP && !l->full)
			fresh = l;
		if (l->drain_ms)
			return; /* one at a time (shape's too) */
	}
	if (!fresh) {
		const struct node_addr *a = nodes_get(&d->nodes, d->rewire_addr);

		if (!a || !a->dialing)
			d->rewire_addr = 0; /* the dial failed, or the link is gone */
		return;
	}
	if (now - fresh->up_ms < REWIRE_SETTLE_MS)
		return;
	d->rewire_addr = 0;
	if (link_set_degree(&d->links) <= d->cfg->min_links)
		return;
	for (struct link *l = d->links.list; l; l = l->next) {
		const struct route *rt = l == fresh ? NULL : sheddable(d, l, now);
		bool b;
		size_t n;

		if (!rt || rt->degree <= d->cfg->min_links)
			continue;
		/* a busy peer's link first (what shape would shed), then the
		 * one that carries the fewest routes */
		b = rt->degree > target;
		n = routes_via(d, l);
		if (!victim || b > busy || (b == busy && n < least)) {
			least = n;
			busy = b;
			victim = l;
		}
	}
	if (victim) {
		log_info("autoconnect: rewired to %s: draining %s (%zu routes over it)",
			 fresh->name, victim->name, least);
		autoconnect_drain_start(d, victim, false);
	}
}

/*
 * Rewire: the links a node makes at start go to the few nodes it has heard
 * of by then, its seed's neighbourhood, and a mass start leaves a long,
 * ring-like mesh (the simulator's 1 000 nodes: 30 hops). Once, 10-20 s after
 * start, when the directory holds most of the mesh, a node dials a random
 * known node (as filling does: weighted away from busy ones) and, once that
 * link carries routes, drains its own link that carries the fewest. Random
 * long links make a small world (after Watts and Strogatz): 9 hops at most
 * there. Bounded: one dial and one drain per start.
 */
static void rewire(struct invpnd *d, uint64_t now)
{
	struct node_addr *a;

	if (d->rewire_addr) {
		rewire_drop(d, now);
		return;
	}
	if (d->rewired)
		return;
	if (!d->rewire_at_ms) {
		d->rewire_at_ms = now + REWIRE_AFTER_MS + (uint64_t)random() % REWIRE_AFTER_MS;
		return;
	}
	if (now < d->rewire_at_ms)
		return;
	/* a dial under way (filling, healing) or nobody to dial yet: later,
	 * until REWIRE_GIVE_UP_MS past the time */
	if (now - d->rewire_at_ms >= REWIRE_GIVE_UP_MS) {
		log_info("autoconnect: no rewiring: no dial possible for %u s",
			 REWIRE_GIVE_UP_MS / 1000);
		d->rewired = true;
		return;
	}
	if (d->links.n_dialing || links_wanted(d) >= d->cfg->max_links || !links_own(d))
		return;
	a = pick(d, now, WANT_ANY, NULL);
	if (!a)
		return;
	d->rewired = true;
	log_info("autoconnect: rewiring: dialling a random known node");
	d->rewire_addr = a->id;
	dial(d, a, true);
}

/* The earliest drain deadline before next, so that drain runs on time. */
static uint64_t next_drain(const struct invpnd *d, uint64_t next)
{
	for (const struct link *l = d->links.list; l; l = l->next) {
		if (l->drain_ms && l->drain_ms < next)
			next = l->drain_ms;
	}
	return next;
}

static void on_timer(struct loop_timer *t)
{
	struct invpnd *d = container_of(t, struct invpnd, autoconnect_timer);

	autoconnect_run(d);
}

void autoconnect_soon(struct invpnd *d)
{
	uint64_t when = loop_clock_ms() + AUTOCONNECT_SOON_MS;

	if (d->autoconnect_timer.armed && d->autoconnect_timer.when_ms <= when)
		return;
	loop_timer_arm_at(&d->loop, &d->autoconnect_timer, when, on_timer);
}

void autoconnect_run(struct invpnd *d)
{
	uint64_t now = loop_clock_ms(), next = now + AUTOCONNECT_PERIOD_MS;
	static bool seeded;
	struct node_addr *a;

	if (!seeded) {
		/* every node must choose differently: the MAC, the pid and the time */
		unsigned s = (unsigned)getpid() ^ (unsigned)loop_wall_ms();

		for (int i = 0; i < MAC_LEN; i++)
			s = s * 31 + d->mac[i];
		srandom(s);
		seeded = true;
	}
	if (d->stopping)
		return;
	/* configured seeds first: each is dialled once at start, whatever came in
	 * meanwhile (an incoming link must not keep a node from its seed) */
	while (links_wanted(d) < d->cfg->max_links && (a = pick(d, now, WANT_SEED, NULL)))
		dial(d, a, false);
	while (want_more(d) && (a = pick(d, now, WANT_ANY, NULL)))
		dial(d, a, false);
	if (d->cfg->min_links) {
		heal(d, now);
		drain(d, now);
		shape(d, now);
		rewire(d, now);
		if (d->heal_next_ms < next)
			next = d->heal_next_ms;
		if (!d->rewired && d->rewire_at_ms > now && d->rewire_at_ms < next)
			next = d->rewire_at_ms;
		next = next_drain(d, next);
	}
	/* wake up when the earliest backoff ends, if we still want links */
	if (want_more(d)) {
		nodes_foreach(&d->nodes, b) {
			if (!b->dialing && b->next_try_ms > now && b->next_try_ms < next)
				next = b->next_try_ms;
		}
	}
	loop_timer_arm_at(&d->loop, &d->autoconnect_timer, next, on_timer);
}
