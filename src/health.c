#include "health.h"

#include <errno.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "link.h"
#include "log.h"

struct route_walk {
	uint8_t *out;
	size_t n, max;
};

static void collect_route(const struct route *r, void *arg)
{
	struct route_walk *w = arg;

	if (w->n >= w->max)
		return;
	memcpy(w->out + w->n * 2 * MAC_LEN, r->mac, MAC_LEN);
	memcpy(w->out + w->n * 2 * MAC_LEN + MAC_LEN, r->via->peer_mac, MAC_LEN);
	w->n++;
}

int health_build_response(struct invpnd *d, const struct proto_health_req *req, uint8_t *buf,
			  size_t cap)
{
	/* the body must leave room for the return path: PROTOCOL.md */
	const size_t body_max = PROTO_MAX_LEN - 1 - PROTO_RTRACE_RESERVE * MAC_LEN;
	static uint8_t conn[1024 * MAC_LEN], routes[DAEMON_MAX_ROUTES * 2 * MAC_LEN];
	struct proto_health_resp r = {.id = req->id};
	struct route_walk w = {.out = routes};
	size_t fixed, room;

	memcpy(r.dst, req->origin, MAC_LEN);
	memcpy(r.src, d->mac, MAC_LEN);
	for (struct link *l = d->links.list; l && r.nconn < 1024; l = l->next) {
		if (l->state == LINK_UP)
			memcpy(conn + r.nconn++ * MAC_LEN, l->peer_mac, MAC_LEN);
	}
	r.conn = conn;
	r.trace = req->trace;
	r.ntrace = req->ntrace;
	r.rtrace = d->mac; /* the return path starts with us */
	r.nrtrace = 1;
	fixed = PROTO_HRESP_FIXED + 6 + (r.nconn + 1) * MAC_LEN;
	/* an absurdly long forward trace is cut rather than the answer lost */
	if (fixed + r.ntrace * MAC_LEN > body_max)
		r.ntrace = (body_max - fixed) / MAC_LEN;
	room = body_max - fixed - r.ntrace * MAC_LEN;
	w.max = room / (2 * MAC_LEN);
	if (w.max > DAEMON_MAX_ROUTES)
		w.max = DAEMON_MAX_ROUTES;
	route_foreach(&d->routes, collect_route, &w);
	r.routes = routes;
	r.nroutes = w.n;
	return proto_encode_health_resp(buf, cap, &r);
}

void health_answer(struct invpnd *d, const struct proto_health_req *req)
{
	struct link *via = route_lookup(&d->routes, req->origin);
	int n;

	if (!via)
		return;
	n = health_build_response(d, req, d->scratch, sizeof(d->scratch));
	if (n > 0)
		link_send(via, d->scratch, (size_t)n, true);
}

void health_collect(struct invpnd *d, const struct proto_health_resp *resp)
{
	control_health_response(d, resp);
}
