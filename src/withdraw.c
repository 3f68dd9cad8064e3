#include "withdraw.h"

#include <string.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "route.h"
#include "tomb.h"

void withdraw_start(struct withdrawal *w, const struct link *from)
{
	w->from = from;
	w->n = 0;
}

void withdraw_flush(struct invpnd *d, struct withdrawal *w)
{
	uint8_t wire[PROTO_WITHDRAW_FRAME];
	int n;

	if (!w->n)
		return;
	n = proto_encode_withdraw(wire, sizeof(wire), w->e, w->n);
	w->n = 0;
	/* a no_relay node forwarded no INFO: no route goes through it */
	if (n <= 0 || d->cfg->no_relay)
		return;
	/* draining links too: INFO no longer goes over them, so the peer's
	 * routes through us move away, but a dead node's never would (the sim's
	 * churn: such routes lived until the drain closed the link, 7-29 s) */
	for (struct link *l = d->links.list; l; l = l->next) {
		if (l != w->from && l->state == LINK_UP && !l->full &&
		    (l->peer_caps & PROTO_CAPS_WITHDRAW))
			link_send(l, wire, (size_t)n, true);
	}
}

static void add(struct invpnd *d, struct withdrawal *w, const struct route *r)
{
	memcpy(w->e[w->n].mac, r->mac, MAC_LEN);
	w->e[w->n].last_id = r->info.top;
	if (++w->n == PROTO_WITHDRAW_MAX)
		withdraw_flush(d, w);
}

void withdraw_route(struct invpnd *d, struct withdrawal *w, struct route *r)
{
	/* a forgotten id would be new again: without the tomb a dead node's
	 * last INFO went round and round, relearned and withdrawn (the sim's
	 * churn: 150 WITHDRAW and 270 INFO frames a node a second, for good) */
	tomb_add(&d->tombs, r->mac, r->info.top, d->loop.now_ms);
	add(d, w, r);
	route_remove(&d->routes, r);
}

struct closing {
	struct invpnd *d;
	const struct link *l;
	struct withdrawal w;
};

static void collect(const struct route *r, void *arg)
{
	struct closing *c = arg;

	if (r->via != c->l || !r->info.used)
		return;
	tomb_add(&c->d->tombs, r->mac, r->info.top, c->d->loop.now_ms);
	add(c->d, &c->w, r);
}

void withdraw_link_down(struct invpnd *d, const struct link *l)
{
	static struct closing c; /* 3.6 KiB; one link closes at a time */

	c.d = d;
	c.l = l;
	withdraw_start(&c.w, l);
	route_foreach(&d->routes, collect, &c);
	withdraw_flush(d, &c.w);
}

void withdraw_take(struct invpnd *d, const struct link *from, const struct proto_withdraw *w)
{
	struct withdrawal out;
	size_t taken = 0;

	withdraw_start(&out, from);
	for (size_t i = 0; i < w->n; i++) {
		struct proto_withdraw_entry e;
		struct route *r;

		proto_withdraw_get(w, i, &e);
		r = route_find(&d->routes, e.mac);
		/*
		 * Only a route through the sender, that heard nothing newer than
		 * the sender's: its path went through the sender's lost link.
		 * A route to the sender itself comes only from its link.
		 */
		if (!r || r->via != from || !r->info.used || r->info.top > e.last_id ||
		    mac_eq(e.mac, from->peer_mac)) {
			d->counters.withdraw_ignored++;
			continue;
		}
		d->counters.routes_withdrawn++;
		withdraw_route(d, &out, r);
		taken++;
	}
	withdraw_flush(d, &out);
	if (taken)
		log_debug("link %s: %zu route(s) withdrawn", from->name, taken);
}
