#include "autoconnect.h"

#include <stdlib.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "util.h"

#define AUTOCONNECT_SOON_MS 200
#define AUTOCONNECT_PERIOD_MS 10000

/* Is there a link (in any state) to this MAC, or a dial that expects it? */
static bool mac_busy(const struct invpnd *d, const uint8_t mac[MAC_LEN])
{
	for (const struct link *l = d->links.list; l; l = l->next) {
		if (l->state == LINK_UP && mac_eq(l->peer_mac, mac))
			return true;
		if (l->state != LINK_UP && l->expect_mac && mac_eq(l->expected_mac, mac))
			return true;
	}
	return false;
}

static bool dialling_mac(const struct nodes *n, const uint8_t mac[MAC_LEN])
{
	nodes_foreach(n, a) {
		if (a->dialing && a->has_mac && mac_eq(a->mac, mac))
			return true;
	}
	return false;
}

static bool eligible(const struct invpnd *d, const struct node_addr *a, uint64_t now)
{
	if (a->dialing || a->next_try_ms > now)
		return false;
	if (!a->has_mac)
		return true;
	return !mac_eq(a->mac, d->mac) && !mac_busy(d, a->mac) && !dialling_mac(&d->nodes, a->mac);
}

/* Fewest failures first, then the most recently working, then SRV order, then the newest. */
static bool better(const struct node_addr *a, const struct node_addr *b)
{
	if (a->fails != b->fails)
		return a->fails < b->fails;
	if (a->last_success_wall_ms != b->last_success_wall_ms)
		return a->last_success_wall_ms > b->last_success_wall_ms;
	if (a->rank != b->rank)
		return a->rank < b->rank; /* SRV priority and weight */
	return a->learned_wall_ms > b->learned_wall_ms;
}

static struct node_addr *pick(struct invpnd *d, uint64_t now)
{
	struct node_addr *best = NULL;

	nodes_foreach(&d->nodes, a) {
		if (eligible(d, a, now) && (!best || better(a, best)))
			best = a;
	}
	return best;
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

	while (!d->stopping && d->links.n_up + d->links.n_dialing < d->cfg->min_links) {
		struct node_addr *a = pick(d, now);

		if (!a)
			break;
		a->dialing = true;
		link_dial(&d->links, (struct sockaddr *)&a->sa, a->salen, a->verify_mac ? a->mac : NULL,
			  a->id);
	}
	/* wake up when the earliest backoff ends, if we still want links */
	if (d->links.n_up + d->links.n_dialing < d->cfg->min_links) {
		nodes_foreach(&d->nodes, a) {
			if (!a->dialing && a->next_try_ms > now && a->next_try_ms < next)
				next = a->next_try_ms;
		}
	}
	if (!d->stopping)
		loop_timer_arm_at(&d->loop, &d->autoconnect_timer, next, on_timer);
}
