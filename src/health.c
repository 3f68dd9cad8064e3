#include "health.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "link.h"
#include "log.h"
#include "route.h"
#include "util.h"

/* a HEALTH RESPONSE body is at most this long (its len field) */
#define BODY_MAX (PROTO_MAX_LEN - 1)

static uint64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void health_init(struct health *h, struct loop *loop, struct link_set *links,
		 struct route_table *routes, const uint8_t *mac,
		 int64_t (*next_id)(struct health *h))
{
	memset(h, 0, sizeof(*h));
	h->loop = loop;
	h->links = links;
	h->routes = routes;
	h->mac = mac;
	h->next_id = next_id;
}

void health_fini(struct health *h)
{
	while (h->rounds)
		health_round_end(h->rounds);
}

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

int health_build_response(struct health *h, const struct proto_health_req *req, uint8_t *buf,
			  size_t cap)
{
	/* the body must leave room for the return path: PROTOCOL.md */
	const size_t body_max = BODY_MAX - PROTO_RTRACE_RESERVE * MAC_LEN;
	/* neither list can be longer than a body */
	static uint8_t conn[BODY_MAX], routes[BODY_MAX];
	struct proto_health_resp r = {.id = req->id};
	struct route_walk w = {.out = routes};
	size_t fixed, room;

	memcpy(r.dst, req->origin, MAC_LEN);
	memcpy(r.src, h->mac, MAC_LEN);
	for (struct link *l = h->links->list; l && (r.nconn + 1) * MAC_LEN <= body_max / 2;
	     l = l->next) {
		if (l->state == LINK_UP)
			memcpy(conn + r.nconn++ * MAC_LEN, l->peer_mac, MAC_LEN);
	}
	r.conn = conn;
	r.trace = req->trace;
	r.ntrace = req->ntrace;
	r.rtrace = h->mac; /* the return path starts with us */
	r.nrtrace = 1;
	fixed = PROTO_HRESP_FIXED + 6 + (r.nconn + 1) * MAC_LEN;
	/* an absurdly long forward trace is cut rather than the answer lost */
	if (fixed + r.ntrace * MAC_LEN > body_max)
		r.ntrace = (body_max - fixed) / MAC_LEN;
	room = body_max - fixed - r.ntrace * MAC_LEN;
	w.max = room / (2 * MAC_LEN);
	route_foreach(h->routes, collect_route, &w);
	r.routes = routes;
	r.nroutes = w.n;
	return proto_encode_health_resp(buf, cap, &r);
}

void health_answer(struct health *h, const struct proto_health_req *req)
{
	struct link *via = route_lookup(h->routes, req->origin);
	int n;

	if (!via || !via->peer_sent_caps)
		return;
	n = health_build_response(h, req, h->buf, sizeof(h->buf));
	if (n > 0)
		link_send(via, h->buf, (size_t)n, true);
}

static struct health_round *find_round(struct health *h, int64_t id)
{
	for (struct health_round *r = h->rounds; r; r = r->next) {
		if (r->id == id)
			return r;
	}
	return NULL;
}

static bool answered(const struct health_round *r, const uint8_t mac[MAC_LEN])
{
	for (size_t i = 0; i < r->n; i++) {
		if (mac_eq(r->answers[i].mac, mac))
			return true;
	}
	return false;
}

void health_collect(struct health *h, const uint8_t *body, size_t len,
		    const struct proto_health_resp *resp)
{
	struct health_round *r = find_round(h, resp->id);
	struct health_answer *a;

	if (!r)
		return; /* late, or not ours */
	if (!route_find(h->routes, resp->src)) {
		r->unknown++;
		return;
	}
	if (answered(r, resp->src)) {
		r->dup++;
		return;
	}
	if (r->n >= HEALTH_MAX_ANSWERS || r->bytes + len > HEALTH_MAX_BYTES) {
		r->over++;
		return;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct health_answer *v = realloc(r->answers, cap * sizeof(*v));

		if (!v) {
			r->over++;
			return;
		}
		r->answers = v;
		r->cap = cap;
	}
	a = &r->answers[r->n];
	a->body = malloc(len);
	if (!a->body) {
		r->over++;
		return;
	}
	memcpy(a->body, body, len);
	a->len = len;
	memcpy(a->mac, resp->src, MAC_LEN);
	a->rtt_us = clock_us() - r->start_us;
	r->n++;
	r->bytes += len;
}

int health_round_get(const struct health_round *r, size_t i, struct proto_health_resp *out)
{
	if (i >= r->n)
		return -ENOENT;
	return proto_decode_health_resp(r->answers[i].body, r->answers[i].len, out);
}

/* Collect no more for r. */
static void round_stop(struct health_round *r)
{
	struct health *h = r->h;

	if (!r->running)
		return;
	r->running = false;
	loop_timer_cancel(h->loop, &r->timer);
	if (r->prev)
		r->prev->next = r->next;
	else
		h->rounds = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

static void on_round_timer(struct loop_timer *t)
{
	struct health_round *r = container_of(t, struct health_round, timer);

	round_stop(r);
	r->done(r);
}

int health_round_start(struct health *h, struct health_round *r, uint64_t wait_ms,
		       health_done_fn *done)
{
	struct proto_health_req hr = {0};
	uint8_t wire[PROTO_HDR_SIZE + PROTO_HREQ_FIXED];
	int n;

	memset(r, 0, sizeof(*r));
	r->h = h;
	r->done = done;
	r->id = hr.id = h->next_id(h);
	memcpy(hr.origin, h->mac, MAC_LEN);
	n = proto_encode_health_req(wire, sizeof(wire), &hr);
	if (n < 0)
		return n;
	for (struct link *l = h->links->list; l; l = l->next) {
		if (l->state != LINK_UP)
			continue;
		if (!l->peer_sent_caps) {
			/* an original node: its 0x02 handler can hang it (PROTOCOL: CAPS) */
			if (r->n_not_asked < HEALTH_MAX_NOT_ASKED)
				memcpy(r->not_asked[r->n_not_asked], l->peer_mac, MAC_LEN);
			r->n_not_asked++;
			continue;
		}
		link_send(l, wire, (size_t)n, true);
	}
	r->start_us = clock_us();
	r->running = true;
	r->next = h->rounds;
	if (h->rounds)
		h->rounds->prev = r;
	h->rounds = r;
	loop_timer_arm(h->loop, &r->timer, wait_ms, on_round_timer);
	return 0;
}

void health_round_end(struct health_round *r)
{
	round_stop(r);
	for (size_t i = 0; i < r->n; i++)
		free(r->answers[i].body);
	free(r->answers);
	r->answers = NULL;
	r->n = r->cap = r->bytes = 0;
}
